//! The one poll loop the ticket sources (Jira, PagerDuty, GitHub Issues) share, so they connect,
//! pace, back off and report their state alike: connect once (token, client), then poll in
//! rounds, quickly while the source's data is on screen, in a slow sweep while it is not, and
//! after a growing wait while it fails. The CI poller paces per repository and has its own.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::Context;
use super::http::Backoff;
use flightdeck_core::message::{Msg, SourceEvent};
use flightdeck_core::model::SourceId;

/// How often a source polls: while its data is on screen, while it is not, and after failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pace {
    pub visible: Duration,
    pub hidden: Duration,
    pub backoff: Backoff,
}

impl Pace {
    /// `visible_secs` at least 5 s (the servers' guidance for polling), the sweep never quicker
    /// than that, and failures backing off from the visible interval up to ten minutes.
    pub fn new(visible_secs: u64, hidden_secs: u64) -> Self {
        let visible = Duration::from_secs(visible_secs.max(5));
        Self {
            visible,
            hidden: Duration::from_secs(hidden_secs).max(visible),
            backoff: Backoff {
                base: visible,
                max: Duration::from_secs(600),
            },
        }
    }

    pub fn interval(&self, visible: bool) -> Duration {
        if visible { self.visible } else { self.hidden }
    }
}

/// What the provider's handle tells its poll task: poll now, and whether the data is on screen.
#[derive(Debug, Default)]
pub struct Control {
    refresh: Notify,
    visible: AtomicBool,
    paced: Notify,
}

impl Control {
    /// Poll now rather than at the next round.
    pub fn refresh(&self) {
        self.refresh.notify_one();
    }

    /// The source's data came on screen or went off it: the current wait is measured again
    /// against the new interval (coming on screen after a long sweep polls at once).
    pub fn set_visible(&self, visible: bool) {
        if self.visible.swap(visible, Ordering::Relaxed) != visible {
            self.paced.notify_one();
        }
    }

    pub fn visible(&self) -> bool {
        self.visible.load(Ordering::Relaxed)
    }
}

/// A round's outcome: the status bar's detail (`12 open`), or why it failed.
pub type Round = Result<Option<String>, String>;

/// One source's poll: what a round fetches and sends. A trait rather than a closure so the
/// future's `Send` is checked where it is written.
pub trait Poller: Send {
    fn round(&mut self) -> impl Future<Output = Round> + Send;
}

async fn send_state(cx: &Context, id: &SourceId, event: SourceEvent) -> bool {
    cx.tx
        .send(Msg::Source {
            id: id.clone(),
            event,
        })
        .await
        .is_ok()
}

/// Says the source is connecting, then builds its client; a failure (no token, a bad URL) is
/// reported with no retry, since nothing changes until the config does.
pub async fn connect<C>(
    cx: &Context,
    id: &SourceId,
    make: impl Future<Output = Result<C, String>>,
) -> Option<C> {
    send_state(cx, id, SourceEvent::Connecting).await;
    match make.await {
        Ok(c) => Some(c),
        Err(error) => {
            send_state(
                cx,
                id,
                SourceEvent::Failed {
                    error,
                    at: cx.clock.now(),
                    retry_at: None,
                },
            )
            .await;
            None
        }
    }
}

/// Runs `poller` until the cockpit goes away: the first round at once, then at `pace`. A
/// round sends its own data; this sends the source's state after each.
pub async fn run(
    cx: &Context,
    id: &SourceId,
    control: &Control,
    pace: Pace,
    poller: &mut impl Poller,
) {
    let mut failures = 0u32;
    loop {
        let result = poller.round().await;
        let at = cx.clock.now();
        let (event, retry) = match result {
            Ok(detail) => {
                failures = 0;
                (SourceEvent::Ok { at, detail }, None)
            }
            Err(error) => {
                failures = failures.saturating_add(1);
                let wait = pace.backoff.delay(failures);
                tracing::info!(source = %id.label(), %error, "poll failed");
                let retry_at =
                    at + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::seconds(60));
                (
                    SourceEvent::Failed {
                        error,
                        at,
                        retry_at: Some(retry_at),
                    },
                    Some(wait),
                )
            }
        };
        if !send_state(cx, id, event).await {
            return;
        }
        let polled = Instant::now();
        loop {
            let wait = retry.unwrap_or_else(|| pace.interval(control.visible()));
            tokio::select! {
                _ = tokio::time::sleep_until(polled + wait) => break,
                _ = control.refresh.notified() => break,
                // Measure the same wait against the new interval.
                _ = control.paced.notified() => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_sources_are_swept_no_quicker_than_visible_ones_are_polled() {
        let p = Pace::new(1, 2);
        assert_eq!(p.interval(true), Duration::from_secs(5));
        assert_eq!(p.interval(false), Duration::from_secs(5));
        let p = Pace::new(30, 600);
        assert_eq!(p.interval(false), Duration::from_secs(600));
        assert_eq!(p.backoff.delay(2), Duration::from_secs(60));
    }

    /// In real time with short intervals (the paused test clock needs a tokio feature the
    /// build does not carry).
    #[tokio::test]
    async fn a_round_comes_at_the_pace_of_what_is_on_screen() {
        use std::sync::Arc;
        use std::sync::atomic::AtomicUsize;
        let ms = Duration::from_millis;
        let (tx, mut rx) = tokio::sync::mpsc::channel(64);
        let cx = Context {
            tx,
            clock: crate::clock::Clock::System,
            read_only: true,
        };
        let control = Arc::new(Control::default());
        let rounds = Arc::new(AtomicUsize::new(0));
        let pace = Pace {
            visible: ms(150),
            hidden: ms(60_000),
            backoff: Backoff {
                base: ms(150),
                max: ms(150),
            },
        };
        struct Counting(Arc<AtomicUsize>);
        impl Poller for Counting {
            async fn round(&mut self) -> Round {
                self.0.fetch_add(1, Ordering::Relaxed);
                Ok(None)
            }
        }
        let task = {
            let (control, rounds) = (control.clone(), rounds.clone());
            tokio::spawn(async move {
                let id = SourceId::new(flightdeck_core::model::SourceKind::Jira, "jira");
                run(&cx, &id, &control, pace, &mut Counting(rounds)).await;
            })
        };
        let count = || rounds.load(Ordering::Relaxed);
        let until = async |n: usize| {
            let deadline = Instant::now() + ms(5_000);
            while count() < n && Instant::now() < deadline {
                tokio::time::sleep(ms(5)).await;
            }
            count()
        };
        assert_eq!(until(1).await, 1, "the first round at once");
        // Hidden: nothing within several visible intervals.
        tokio::time::sleep(ms(600)).await;
        assert_eq!(count(), 1, "a hidden source waits for the sweep");
        // On screen 600 ms after the last round (past its 150 ms interval): at once.
        control.set_visible(true);
        assert_eq!(until(2).await, 2);
        assert_eq!(until(4).await, 4, "then at the visible pace");
        control.set_visible(false);
        let before = until(0).await;
        tokio::time::sleep(ms(600)).await;
        assert!(
            count() <= before + 1,
            "off screen again: at most the round under way"
        );
        let before = count();
        control.refresh();
        assert_eq!(until(before + 1).await, before + 1, "refresh polls now");
        while rx.try_recv().is_ok() {}
        task.abort();
    }
}
