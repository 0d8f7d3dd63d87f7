//! Every GitHub request waits here for its turn. One budget per API host is shared by every
//! client of that host in the process (runs, jobs, logs, deployments, PRs, issues, history), so
//! however many pollers ask, GitHub sees at most `requests_per_sec` requests a second and
//! `max_in_flight` at once, the most urgent first, and nothing at all while it asked us to wait.
//!
//! Priority comes from the task, not the call: a poller wraps its work in [`with_priority`], and
//! every request made inside (however deep, through whichever helper) queues at that priority.
//! Calls that say nothing queue as [`Priority::Running`]; requests that change something are
//! always [`Priority::Now`] (the user asked for them).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
// tokio's clock, so tests can pause it.
use tokio::time::Instant;

use crate::providers::http::{DEFAULT_LIMIT_WAIT, Failure, RateLimit};
use flightdeck_core::sync::lock;

/// Who waits first: lower goes first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// What the user just did or looks at: an action, a log, the open run's jobs, the services
    /// pinned by the user.
    Now,
    /// Work in progress: runs that run, deployments that have not settled.
    Running,
    /// Repositories where nothing moves, and background reading (history).
    Idle,
}

tokio::task_local! {
    static PRIORITY: Priority;
}

/// Runs `f` with every GitHub request it makes queued at `priority`.
pub async fn with_priority<F: Future>(priority: Priority, f: F) -> F::Output {
    PRIORITY.scope(priority, f).await
}

/// The priority of the task asking, [`Priority::Running`] when it did not say.
pub fn current() -> Priority {
    PRIORITY.try_with(|p| *p).unwrap_or(Priority::Running)
}

/// The budget of one host.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    /// Requests a second, averaged; at most a second's worth goes out at once.
    pub per_sec: f64,
    pub in_flight: usize,
}

impl Budget {
    /// GitHub's secondary limits allow 900 points a minute per endpoint and 100 requests at
    /// once; five a second and four at once stays well under both with room for other tools.
    pub const DEFAULT: Budget = Budget {
        per_sec: 5.0,
        in_flight: 4,
    };
}

/// When the remaining primary budget falls under this share of its limit, requests are spread
/// over the time left to the reset instead of spent at the configured rate.
const RESERVE_SHARE: f64 = 0.05;

#[derive(Debug)]
struct State {
    budget: Budget,
    tokens: f64,
    refilled: Instant,
    in_flight: usize,
    /// Waiting requests by (priority, arrival): the first key is served first.
    queue: BTreeMap<(Priority, u64), ()>,
    next_ticket: u64,
    /// GitHub asked to wait: nothing is sent before this.
    hold_until: Option<Instant>,
    /// The answer that asked: whether it was the primary limit, and its words.
    hold_why: (bool, String),
    /// Limit answers in a row that said no wait of their own (GitHub: wait a minute, then
    /// back off exponentially).
    unguided: u32,
    /// The primary budget per resource (`core`, `graphql`) as the last answer gave it, with
    /// when it was seen.
    primary: HashMap<String, (RateLimit, Instant, i64)>,
    sent: HashMap<Priority, u64>,
}

/// One host's queue and budget.
#[derive(Debug)]
pub struct Scheduler {
    state: Mutex<State>,
    changed: Notify,
}

/// Held while a request is in flight; dropping it frees the slot.
#[derive(Debug)]
pub struct Permit {
    scheduler: Arc<Scheduler>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        {
            let mut s = lock(&self.scheduler.state);
            s.in_flight = s.in_flight.saturating_sub(1);
        }
        self.scheduler.changed.notify_waiters();
    }
}

/// Removes a waiter that gave up (its future was dropped) from the queue.
struct Ticket<'a> {
    scheduler: &'a Scheduler,
    key: (Priority, u64),
    granted: bool,
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.granted {
            lock(&self.scheduler.state).queue.remove(&self.key);
            self.scheduler.changed.notify_waiters();
        }
    }
}

enum Turn {
    Go,
    /// GitHub asked to wait: this long still.
    Held(Duration),
    /// Not before this long (tokens refill, or a hold ends).
    Sleep(Duration),
    /// Until something changes (a slot frees, a waiter ahead goes).
    Wait,
}

static HOSTS: LazyLock<Mutex<HashMap<String, Arc<Scheduler>>>> = LazyLock::new(Mutex::default);

impl Scheduler {
    pub fn new(budget: Budget) -> Arc<Self> {
        let budget = Budget {
            per_sec: if budget.per_sec.is_finite() && budget.per_sec > 0.0 {
                budget.per_sec
            } else {
                Budget::DEFAULT.per_sec
            },
            in_flight: budget.in_flight.max(1),
        };
        Arc::new(Self {
            state: Mutex::new(State {
                budget,
                tokens: budget.per_sec.max(1.0),
                refilled: Instant::now(),
                in_flight: 0,
                queue: BTreeMap::new(),
                next_ticket: 0,
                hold_until: None,
                hold_why: (false, String::new()),
                unguided: 0,
                primary: HashMap::new(),
                sent: HashMap::new(),
            }),
            changed: Notify::new(),
        })
    }

    /// The one scheduler of the host at `base` (the API URL), made with `budget` the first
    /// time; later callers share it as it is.
    pub fn for_host(base: &str, budget: Budget) -> Arc<Self> {
        lock(&HOSTS)
            .entry(base.trim_end_matches('/').to_string())
            .or_insert_with(|| Self::new(budget))
            .clone()
    }

    /// Sets the host's budget (the config's `[github]`), for every client already sharing it.
    pub fn configure(base: &str, budget: Budget) -> Arc<Self> {
        let s = Self::for_host(base, budget);
        s.set_budget(budget);
        s
    }

    pub fn set_budget(&self, budget: Budget) {
        {
            let mut s = lock(&self.state);
            if budget.per_sec.is_finite() && budget.per_sec > 0.0 {
                s.budget.per_sec = budget.per_sec;
                s.tokens = s.tokens.min(budget.per_sec.max(1.0));
            }
            s.budget.in_flight = budget.in_flight.max(1);
        }
        self.changed.notify_waiters();
    }

    pub fn budget(&self) -> Budget {
        lock(&self.state).budget
    }

    /// Requests sent so far at each priority.
    pub fn sent(&self, p: Priority) -> u64 {
        lock(&self.state).sent.get(&p).copied().unwrap_or(0)
    }

    /// A request refused during a hold, as the answer that started it said (`left` to go).
    pub fn held(&self, left: Duration) -> Failure {
        let (primary, message) = lock(&self.state).hold_why.clone();
        Failure::Limited {
            wait: left,
            primary,
            message,
        }
    }

    /// How long GitHub asked us to wait still, if it did.
    pub fn held_for(&self) -> Option<Duration> {
        let s = lock(&self.state);
        s.hold_until
            .and_then(|u| u.checked_duration_since(Instant::now()))
            .filter(|d| !d.is_zero())
    }

    /// Waits for this request's turn at the task's priority (see [`current`]). While GitHub has
    /// asked to wait, every request is refused at once with how long is left, rather than
    /// queued to go out the moment the wait ends: its caller says so and tries at its next
    /// turn, and a round of polls ends at once instead of after the wait.
    pub async fn acquire(
        self: &Arc<Self>,
        priority: Priority,
        resource: &str,
    ) -> Result<Permit, Duration> {
        let key = {
            let mut s = lock(&self.state);
            let key = (priority, s.next_ticket);
            s.next_ticket += 1;
            s.queue.insert(key, ());
            key
        };
        let mut ticket = Ticket {
            scheduler: self,
            key,
            granted: false,
        };
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            match self.turn(key, resource) {
                Turn::Go => break,
                Turn::Held(left) => {
                    ticket.granted = true;
                    return Err(left);
                }
                Turn::Sleep(d) => {
                    tokio::select! {
                        _ = notified => {}
                        _ = tokio::time::sleep(d) => {}
                    }
                }
                Turn::Wait => notified.await,
            }
        }
        ticket.granted = true;
        drop(ticket);
        // The next in line may go too, if tokens and slots allow.
        self.changed.notify_waiters();
        Ok(Permit {
            scheduler: self.clone(),
        })
    }

    fn turn(&self, key: (Priority, u64), resource: &str) -> Turn {
        let now = Instant::now();
        let mut s = lock(&self.state);
        if let Some(until) = s.hold_until {
            if until > now {
                s.queue.remove(&key);
                return Turn::Held(until - now);
            }
            s.hold_until = None;
        }
        if s.queue.keys().next() != Some(&key) {
            return Turn::Wait;
        }
        if s.in_flight >= s.budget.in_flight {
            return Turn::Wait;
        }
        // The primary budget running low: spread what is left over the time to its reset.
        let rate = match s.primary.get(resource) {
            Some((limit, seen, server_now)) if limit.limit > 0 => {
                let left = limit.remaining as f64;
                let secs_to_reset =
                    (limit.reset - server_now) as f64 - seen.elapsed().as_secs_f64();
                if left < limit.limit as f64 * RESERVE_SHARE && secs_to_reset > 0.0 {
                    (left / secs_to_reset).clamp(1.0 / 60.0, s.budget.per_sec)
                } else {
                    s.budget.per_sec
                }
            }
            _ => s.budget.per_sec,
        };
        let capacity = s.budget.per_sec.max(1.0);
        let elapsed = now.duration_since(s.refilled).as_secs_f64();
        s.tokens = (s.tokens + elapsed * rate).min(capacity);
        s.refilled = now;
        if s.tokens < 1.0 {
            return Turn::Sleep(Duration::from_secs_f64((1.0 - s.tokens) / rate));
        }
        s.tokens -= 1.0;
        s.in_flight += 1;
        s.queue.remove(&key);
        *s.sent.entry(key.0).or_default() += 1;
        Turn::Go
    }

    /// Reads an answer's budget headers (`server_now`: its `Date`, as Unix seconds).
    pub fn observe(&self, resource: &str, limit: RateLimit, server_now: i64) {
        let mut s = lock(&self.state);
        s.primary
            .insert(resource.to_string(), (limit, Instant::now(), server_now));
        if limit.remaining > 0 {
            s.unguided = 0;
        }
    }

    /// GitHub refused for a limit: nothing more goes out for as long as it said (a limit
    /// answer that says nothing waits a minute, doubling while they keep coming).
    pub fn limited(&self, failure: &Failure) {
        let Failure::Limited {
            wait,
            primary,
            message,
        } = failure
        else {
            return;
        };
        {
            let mut s = lock(&self.state);
            let wait = if *wait == DEFAULT_LIMIT_WAIT {
                s.unguided += 1;
                DEFAULT_LIMIT_WAIT.saturating_mul(1 << (s.unguided - 1).min(4))
            } else {
                *wait
            };
            let until = Instant::now() + wait;
            s.hold_until = Some(s.hold_until.map_or(until, |u| u.max(until)));
            s.hold_why = (*primary, message.clone());
            // What was saved up before the wait is not spent at once after it.
            s.tokens = s.tokens.min(1.0);
        }
        self.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn budget(per_sec: f64, in_flight: usize) -> Budget {
        Budget { per_sec, in_flight }
    }

    #[tokio::test]
    async fn requests_are_spread_to_the_rate() {
        let s = Scheduler::new(budget(50.0, 4));
        let start = tokio::time::Instant::now();
        for _ in 0..60 {
            drop(s.acquire(Priority::Running, "core").await.expect("a turn"));
        }
        // Fifty at once (a second's worth), then one each fiftieth of a second.
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(190) && took <= Duration::from_millis(600),
            "{took:?}"
        );
    }

    #[tokio::test]
    async fn at_most_in_flight_at_once() {
        let s = Scheduler::new(budget(1000.0, 3));
        let live = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (s, live, most) = (s.clone(), live.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                let _p = s.acquire(Priority::Running, "core").await.expect("a turn");
                let n = live.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                live.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.expect("task");
        }
        assert_eq!(most.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn the_most_urgent_waiter_goes_first() {
        let s = Scheduler::new(budget(20.0, 1));
        // Spend the tokens, so everything below queues.
        for _ in 0..20 {
            drop(s.acquire(Priority::Running, "core").await.expect("a turn"));
        }
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for (i, p) in [
            Priority::Idle,
            Priority::Running,
            Priority::Idle,
            Priority::Now,
        ]
        .into_iter()
        .enumerate()
        {
            let (s, order) = (s.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                drop(s.acquire(p, "core").await.expect("a turn"));
                lock(&order).push(i);
            }));
            tokio::task::yield_now().await;
        }
        for t in tasks {
            t.await.expect("task");
        }
        assert_eq!(*lock(&order), vec![3, 1, 0, 2]);
    }

    #[tokio::test]
    async fn a_limit_answer_holds_everything_for_its_wait() {
        let s = Scheduler::new(budget(100.0, 4));
        drop(s.acquire(Priority::Now, "core").await.expect("a turn"));
        s.limited(&Failure::Limited {
            wait: Duration::from_millis(300),
            primary: false,
            message: String::new(),
        });
        // Refused at once with what is left of the wait, until it has passed.
        let left = s.acquire(Priority::Now, "core").await.expect_err("held");
        assert!(
            left > Duration::ZERO && left <= Duration::from_millis(300),
            "{left:?}"
        );
        tokio::time::sleep(left).await;
        drop(
            s.acquire(Priority::Now, "core")
                .await
                .expect("a turn after the wait"),
        );
        // An answer that names no wait: a minute, then two.
        let unguided = Failure::Limited {
            wait: DEFAULT_LIMIT_WAIT,
            primary: false,
            message: String::new(),
        };
        s.limited(&unguided);
        s.limited(&unguided);
        let held = s.held_for().expect("held");
        assert!(held > Duration::from_secs(119), "{held:?}");
    }

    #[tokio::test]
    async fn a_low_primary_budget_is_spread_to_its_reset() {
        let s = Scheduler::new(budget(5.0, 4));
        // 10 left of 5,000 with 100 s to the reset: one request each 10 s.
        s.observe(
            "core",
            RateLimit {
                limit: 5000,
                remaining: 10,
                reset: 1100,
            },
            1000,
        );
        for _ in 0..5 {
            drop(s.acquire(Priority::Running, "core").await.expect("a turn"));
        }
        let start = tokio::time::Instant::now();
        drop(s.acquire(Priority::Running, "core").await.expect("a turn"));
        assert!(
            start.elapsed() >= Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        // Another resource's budget is its own.
        let start = tokio::time::Instant::now();
        drop(
            s.acquire(Priority::Running, "graphql")
                .await
                .expect("a turn"),
        );
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn a_waiter_that_gives_up_leaves_the_queue() {
        let s = Scheduler::new(budget(1.0, 1));
        drop(s.acquire(Priority::Running, "core").await.expect("a turn"));
        let gave_up =
            tokio::time::timeout(Duration::from_millis(10), s.acquire(Priority::Now, "core")).await;
        assert!(gave_up.is_err());
        // The next one is not stuck behind it.
        let p =
            tokio::time::timeout(Duration::from_secs(2), s.acquire(Priority::Idle, "core")).await;
        assert!(p.is_ok());
    }
}
