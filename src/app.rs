//! The loop: one task owns the terminal and the model. It selects over terminal input, messages
//! from providers, a one-second tick and signals; feeds each to `update`; carries out the
//! effects; and draws only when an effect asked for it, at most once per frame interval.

use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr};
use crossterm::event::{Event, EventStream, KeyEventKind};
use futures::StreamExt;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use crate::terminal::TerminalGuard;
use crate::ui::theme::Theme;
use flightdeck_core::keymap::{Key, KeyCode};
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::Model;
use flightdeck_core::model::workloads::ShellTarget;
use flightdeck_core::update::update;

/// Draws are coalesced to at most one per this interval (about 60 a second).
pub const FRAME: Duration = Duration::from_millis(16);

/// How often the loop asks whether its terminal is still there (see the `tty` arm).
const TTY_CHECK: Duration = Duration::from_millis(250);

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Quit,
    /// SIGTERM.
    Terminated,
    /// SIGINT (exit status 130, as shells expect).
    Interrupted,
    /// SIGHUP, or the terminal went away (a dropped SSH connection).
    HungUp,
}

/// Carries out the effects that leave the loop: fetching, copying, opening, saving.
pub trait Effects {
    fn run(&mut self, effect: Effect, model: &Model);
    /// A shell in a pod's container, run while the loop has handed the terminal over; its
    /// exit code, or why it could not attach.
    fn shell(
        &mut self,
        target: &ShellTarget,
    ) -> futures::future::BoxFuture<'static, Result<i32, String>>;
}

pub struct Options {
    /// Where ticks read the time: the system's, or the sim's in the demo.
    pub clock: crate::clock::Clock,
    /// Stop after the first frame is drawn (for start-up measurements).
    pub exit_after_first_frame: bool,
    /// When the process started, to log how long the first frame took.
    pub started: std::time::Instant,
}

pub async fn run(
    model: Model,
    theme: &Theme,
    guard: &mut TerminalGuard,
    mut messages: mpsc::Receiver<Msg>,
    effects: &mut dyn Effects,
    options: Options,
) -> Result<Exit> {
    // The model is never freed: the loop ends only for the process to exit, and freeing a
    // large catalog (two copies of 22,000 entities, a million allocations) one allocation at
    // a time made quitting wait about 100 ms for nothing.
    let mut model = std::mem::ManuallyDrop::new(model);
    let mut hangup =
        signal(SignalKind::hangup()).wrap_err("while installing the SIGHUP handler")?;
    let mut terminate =
        signal(SignalKind::terminate()).wrap_err("while installing the SIGTERM handler")?;
    let mut interrupt =
        signal(SignalKind::interrupt()).wrap_err("while installing the SIGINT handler")?;
    // `kill -TSTP` (and a ctrl-z the terminal turned into a signal) is caught, so the terminal
    // is handed back before the process stops.
    let mut stop = signal(SignalKind::from_raw(libc::SIGTSTP))
        .wrap_err("while installing the SIGTSTP handler")?;
    let mut input = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut tty = tokio::time::interval(TTY_CHECK);
    tty.set_missed_tick_behavior(MissedTickBehavior::Delay);

    // The first frame is drawn before anything else happens.
    let size = guard
        .terminal
        .size()
        .wrap_err("while reading the terminal size")?;
    let first = update(
        &mut model,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    );
    draw(guard, &model, theme).wrap_err("while drawing")?;
    let first_frame = options.started.elapsed();
    tracing::info!(ms = first_frame.as_secs_f64() * 1000.0, "first frame drawn");
    if options.exit_after_first_frame {
        return Ok(Exit::Quit);
    }
    // What the first size asks besides a frame (the visible screen's feeds) is carried out
    // like any later effect; the frame was just drawn.
    follow_up(effects, &model, first);
    let mut last_draw = Instant::now();
    let mut dirty = false;
    // When the oldest key not yet answered on screen arrived: logged (debug) once drawn, so a
    // measurement can read key-to-screen latency under load (scripts/measure-log-storm).
    let mut key_at: Option<Instant> = None;

    let mut stop_asked = false;
    loop {
        let frame_due = last_draw + FRAME;
        let msg = tokio::select! {
            biased;
            _ = hangup.recv() => return Ok(Exit::HungUp),
            _ = terminate.recv() => return Ok(Exit::Terminated),
            _ = interrupt.recv() => return Ok(Exit::Interrupted),
            _ = stop.recv() => {
                stop_asked = true;
                Msg::Tick(options.clock.now())
            }
            event = input.next() => match event {
                Some(Ok(event)) => match translate(event) {
                    Some(msg) => msg,
                    None => continue,
                },
                // The tty is gone: over SSH a dropped connection must end the process.
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "terminal input failed; exiting");
                    return Ok(Exit::HungUp);
                }
                None => return Ok(Exit::HungUp),
            },
            // The terminal, the clock and the screen come before the providers' messages: a burst
            // of data (a busy organisation, a loaded machine) must neither starve the screen nor
            // hide that the terminal went away.
            _ = tty.tick() => {
                // A hung-up tty does not always say so: when the session leader ignores SIGHUP
                // no signal comes, and input only reads end-of-file. Asked four times a second,
                // it answers "not a terminal" (one ioctl).
                if tty_gone() {
                    tracing::warn!("the terminal is gone; exiting");
                    return Ok(Exit::HungUp);
                }
                continue;
            }
            _ = tick.tick() => Msg::Tick(options.clock.now()),
            _ = tokio::time::sleep_until(frame_due), if dirty => {
                    if !frame(guard, &model, theme)? {
                    return Ok(Exit::HungUp);
                }
                last_draw = Instant::now();
                answered(&mut key_at);
                dirty = false;
                continue;
            }
            Some(msg) = messages.recv() => msg,
        };
        if std::mem::take(&mut stop_asked) {
            let Some(back) = hand_over(guard, input, async { stop_here() }).await? else {
                return Ok(Exit::HungUp);
            };
            input = back;
            dirty = true;
            continue;
        }
        if matches!(msg, Msg::Key(_) | Msg::Paste(_)) && key_at.is_none() {
            key_at = Some(Instant::now());
        }

        for effect in update(&mut model, msg) {
            match effect {
                Effect::Render => dirty = true,
                Effect::FullRedraw => {
                    guard
                        .repaint_all()
                        .wrap_err("while clearing the terminal")?;
                    dirty = true;
                }
                // `update` sends the save before the quit, and effects run in order.
                Effect::Quit => return Ok(Exit::Quit),
                Effect::Suspend => {
                    let Some(back) = hand_over(guard, input, async { stop_here() }).await? else {
                        return Ok(Exit::HungUp);
                    };
                    input = back;
                    dirty = true;
                }
                Effect::External(program) => {
                    let Some((back, outcome)) =
                        hand_over_for(guard, input, async { crate::external::run(&program) })
                            .await?
                    else {
                        return Ok(Exit::HungUp);
                    };
                    input = back;
                    let next = update(&mut model, Msg::Resumed { outcome });
                    follow_up(effects, &model, next);
                    dirty = true;
                }
                Effect::Shell(target) => {
                    let Some((back, result)) =
                        hand_over_for(guard, input, effects.shell(&target)).await?
                    else {
                        return Ok(Exit::HungUp);
                    };
                    input = back;
                    let ended = flightdeck_core::message::workloads::Msg::ShellEnded {
                        pod: target.pod.name.to_string(),
                        container: target.container.clone(),
                        result,
                    };
                    let next = update(&mut model, Msg::Workloads(ended));
                    follow_up(effects, &model, next);
                    dirty = true;
                }
                other => effects.run(other, &model),
            }
        }
        if dirty && last_draw.elapsed() >= FRAME {
            if !frame(guard, &model, theme)? {
                return Ok(Exit::HungUp);
            }
            last_draw = Instant::now();
            answered(&mut key_at);
            dirty = false;
        }
        if model.quit {
            return Ok(Exit::Quit);
        }
    }
}

/// The one way the terminal leaves the cockpit and comes back — ctrl-z, `$EDITOR`/`$PAGER`, a
/// shell in a container: the input stream is dropped first (else it keeps reading stdin and
/// steals the other side's keys), the terminal handed back (raw mode off, main screen, cursor
/// shown), `work` runs, then the terminal is taken again, forgotten so the next draw repaints
/// it whole, and a new input stream made.
async fn hand_over_for<T>(
    guard: &mut TerminalGuard,
    input: EventStream,
    work: impl std::future::Future<Output = T>,
) -> Result<Option<(EventStream, T)>> {
    drop(input);
    guard
        .suspend()
        .wrap_err("while handing the terminal over")?;
    let out = work.await;
    // A terminal that hung up meanwhile (a dropped SSH connection during a shell) is not taken
    // back: trying blocked for seconds before failing. The caller ends as on SIGHUP.
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        tracing::warn!("the terminal went away while handed over; exiting");
        return Ok(None);
    }
    guard.resume().wrap_err("while taking the terminal back")?;
    Ok(Some((EventStream::new(), out)))
}

async fn hand_over(
    guard: &mut TerminalGuard,
    input: EventStream,
    work: impl std::future::Future<Output = ()>,
) -> Result<Option<EventStream>> {
    Ok(hand_over_for(guard, input, work)
        .await?
        .map(|(input, ())| input))
}

/// Stops the process as a shell's job control expects, once the terminal is handed back;
/// returns after `fg` (SIGCONT). SIGSTOP stops for certain, where the caught SIGTSTP no longer
/// would.
fn stop_here() {
    // SAFETY: raise is async-signal-safe and has no memory effects; it returns once the
    // process is continued.
    unsafe {
        libc::raise(libc::SIGSTOP);
    }
}

/// Carries out what an update made outside the loop's own match asked (the feeds a screen
/// needs, a save); the caller draws the frame anyway. Handing the terminal over again from
/// there is not done: those updates answer a hand-over, and never ask for another.
fn follow_up(effects: &mut dyn Effects, model: &Model, produced: Vec<Effect>) {
    for effect in produced {
        match effect {
            Effect::Render
            | Effect::FullRedraw
            | Effect::Quit
            | Effect::Suspend
            | Effect::External(_)
            | Effect::Shell(_) => {}
            other => effects.run(other, model),
        }
    }
}

/// Whether the terminal hung up: a hung-up tty answers "not a terminal" (one ioctl).
fn tty_gone() -> bool {
    !std::io::IsTerminal::is_terminal(&std::io::stdin())
}

/// A frame was drawn: the key waiting for it has its answer on screen.
fn answered(key_at: &mut Option<Instant>) {
    if let Some(at) = key_at.take() {
        tracing::debug!(ms = at.elapsed().as_secs_f64() * 1000.0, "key answered");
    }
}

/// Draws a frame; `false` when the terminal went away. A draw fails first when the terminal
/// went between two checks: that is a hangup (exit 129), not an error to print on a terminal
/// nobody reads. EIO is what writing to a pty whose other side closed answers, sometimes before
/// the tty itself reads as hung up.
fn frame(guard: &mut TerminalGuard, model: &Model, theme: &Theme) -> Result<bool> {
    match draw(guard, model, theme) {
        Ok(()) => Ok(true),
        Err(e) if tty_gone() || e.raw_os_error() == Some(libc::EIO) => {
            tracing::warn!(error = %e, "the terminal is gone; exiting");
            Ok(false)
        }
        Err(e) => Err(e).wrap_err("while drawing"),
    }
}

fn draw(guard: &mut TerminalGuard, model: &Model, theme: &Theme) -> std::io::Result<()> {
    guard
        .terminal
        .draw(|frame| crate::ui::view(model, theme, frame))?;
    Ok(())
}

/// Turns a terminal event into a message; key releases and repeats are dropped.
pub fn translate(event: Event) -> Option<Msg> {
    use crossterm::event::{KeyCode as C, KeyModifiers as M};
    match event {
        Event::Key(k) if k.kind == KeyEventKind::Press => {
            let code = match k.code {
                C::Char(c) => KeyCode::Char(c),
                C::Enter => KeyCode::Enter,
                C::Esc => KeyCode::Esc,
                C::Tab => KeyCode::Tab,
                C::BackTab => KeyCode::BackTab,
                C::Backspace => KeyCode::Backspace,
                C::Delete => KeyCode::Delete,
                C::Up => KeyCode::Up,
                C::Down => KeyCode::Down,
                C::Left => KeyCode::Left,
                C::Right => KeyCode::Right,
                C::Home => KeyCode::Home,
                C::End => KeyCode::End,
                C::PageUp => KeyCode::PageUp,
                C::PageDown => KeyCode::PageDown,
                C::Insert => KeyCode::Insert,
                C::F(n) => KeyCode::F(n),
                _ => return None,
            };
            // Shift is part of the character for printable keys (`G`), so it only counts for
            // the others (shift-tab arrives as BackTab).
            let shift = k.modifiers.contains(M::SHIFT) && !matches!(code, KeyCode::Char(_));
            Some(Msg::Key(Key {
                code,
                ctrl: k.modifiers.contains(M::CONTROL),
                alt: k.modifiers.contains(M::ALT),
                shift,
            }))
        }
        Event::Paste(text) => Some(Msg::Paste(text)),
        Event::Resize(width, height) => Some(Msg::Resize { width, height }),
        _ => None,
    }
}
