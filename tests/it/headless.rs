//! A cockpit without a terminal, for the tests that drive the real providers and the real
//! `update` against a sim: a task turns the loop as the app does (what the providers send, a
//! tick every 250 ms, effects handed back to the providers) while the test reads the model,
//! presses keys and draws the screen. One harness, so the fault matrix, the Workloads tests and
//! the Work tests cannot drift apart in how they run the loop.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

use flightdeck::clock::Clock;
use flightdeck::config::theme::{ColorSupport, load_theme};
use flightdeck::config::{Config, Loaded};
use flightdeck::providers::{Context, Providers};
use flightdeck::ui::theme::Theme;
use flightdeck_core::keymap::{Key, KeyCode, Keymap};
use flightdeck_core::message::{Effect, Msg, SourceEvent};
use flightdeck_core::model::{Model, Screen};
use flightdeck_core::update::update;

/// How often the loop ticks, as the app's clock does.
const TICK: Duration = Duration::from_millis(250);

pub struct Cockpit {
    model: Arc<Mutex<Model>>,
    /// Effects of the test's own messages, for the loop's task to hand to the providers.
    /// Dropping it ends the task, and the providers with it.
    effects: mpsc::UnboundedSender<Effect>,
    /// Each source's failure reports, by its label: the attempts no server counts when nothing
    /// listens.
    failed: Arc<Mutex<BTreeMap<String, u32>>>,
    theme: Theme,
}

impl Cockpit {
    /// Starts every source `config` names, with the model the app would start with. Must be
    /// called inside a tokio runtime: the loop is a task of it.
    pub fn start(config: &Config, keymap: Keymap, path: &Path, read_only: bool) -> Cockpit {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let clock = Clock::System;
        let model = flightdeck::startup::model(config, keymap, read_only, clock.now(), path);
        let model = Arc::new(Mutex::new(model));
        let failed = Arc::new(Mutex::new(BTreeMap::new()));
        let (tx, rx) = mpsc::channel(4096);
        let providers = Providers::start(
            config,
            &Context {
                tx,
                clock,
                read_only,
            },
        );
        let (effects, erx) = mpsc::unbounded_channel();
        tokio::spawn(run_loop(model.clone(), failed.clone(), providers, rx, erx));
        Cockpit {
            model,
            effects,
            failed,
            theme: load_theme("dark", ColorSupport::TrueColor).expect("the dark theme loads"),
        }
    }

    /// Starts the cockpit of a loaded config, with its own keymap.
    pub fn of(loaded: &Loaded, read_only: bool) -> Cockpit {
        Self::start(
            &loaded.config,
            loaded.keymap.clone(),
            &loaded.path,
            read_only,
        )
    }

    /// The model, locked: read it in one statement, never across an `.await`.
    pub fn model(&self) -> MutexGuard<'_, Model> {
        self.model.lock().expect("model lock")
    }

    pub fn with<T>(&self, f: impl FnOnce(&Model) -> T) -> T {
        f(&self.model())
    }

    /// Sends `msg` through `update` as the loop would, its effects carried out.
    pub fn send(&self, msg: Msg) {
        let effects = update(&mut self.model(), msg);
        for e in effects {
            self.dispatch(e);
        }
    }

    /// Hands `effect` to the providers, as the loop does with `update`'s.
    pub fn dispatch(&self, effect: Effect) {
        let _ = self.effects.send(effect);
    }

    pub fn key(&self, key: Key) {
        self.send(Msg::Key(key));
    }

    pub fn press(&self, c: char) {
        self.key(Key::new(KeyCode::Char(c)));
    }

    pub fn type_text(&self, text: &str) {
        text.chars().for_each(|c| self.press(c));
    }

    /// How many times the source `label` reported a failure.
    pub fn failures(&self, label: &str) -> u32 {
        let failed = self.failed.lock().expect("failure counts lock");
        failed.get(label).copied().unwrap_or(0)
    }

    /// Waits until `ok` holds, or fails saying what the status bar read after `within`; says
    /// how long it took.
    pub async fn until(
        &self,
        what: &str,
        within: Duration,
        ok: impl Fn(&Model) -> bool,
    ) -> Result<Duration, String> {
        self.until_seen(what, within, ok)
            .await
            .map(|(took, _)| took)
    }

    /// [`Cockpit::until`], with the status bar as it read in the state where `ok` held: the
    /// loop goes on meanwhile, and a bar drawn a moment later may show another source's news.
    pub async fn until_seen(
        &self,
        what: &str,
        within: Duration,
        ok: impl Fn(&Model) -> bool,
    ) -> Result<(Duration, String), String> {
        let start = Instant::now();
        loop {
            {
                let m = self.model();
                if ok(&m) {
                    return Ok((start.elapsed(), bottom_line(&draw(&m, &self.theme))));
                }
            }
            if start.elapsed() >= within {
                return Err(format!(
                    "{what}: not within {within:?}; the status bar read {:?}; notice {:?}",
                    self.status_bar(),
                    self.with(|m| m.notice.clone())
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// [`Cockpit::until`], failing the test.
    pub async fn wait(&self, what: &str, within: Duration, ok: impl Fn(&Model) -> bool) {
        if let Err(why) = self.until(what, within, ok).await {
            panic!("{why}");
        }
    }

    /// Lets the loop turn for `d`.
    pub async fn run_for(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }

    /// The bottom line of the screen, as a user reads it.
    pub fn status_bar(&self) -> String {
        bottom_line(&draw(&self.model(), &self.theme))
    }

    /// The whole of `screen` as drawn, a line per row.
    pub fn screen(&self, screen: Screen) -> String {
        let mut m = self.model();
        let was = std::mem::replace(&mut m.screen, screen);
        let drawn = draw(&m, &self.theme);
        m.screen = was;
        drawn
    }
}

/// The model's screen drawn at 160x30, a line per row.
fn draw(model: &Model, theme: &Theme) -> String {
    let mut terminal = Terminal::new(TestBackend::new(160, 30)).expect("a test terminal");
    terminal
        .draw(|f| flightdeck::ui::view(model, theme, f))
        .expect("draws");
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn bottom_line(screen: &str) -> String {
    screen.lines().last().unwrap_or_default().to_string()
}

/// The loop: what the providers send and the clock's ticks go through `update`, and the effects
/// a loop with no terminal carries out go to the providers (onboarding's checks are left out,
/// so what servers count is the pollers' alone).
async fn run_loop(
    model: Arc<Mutex<Model>>,
    failed: Arc<Mutex<BTreeMap<String, u32>>>,
    mut providers: Providers,
    mut rx: mpsc::Receiver<Msg>,
    mut erx: mpsc::UnboundedReceiver<Effect>,
) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let effects = tokio::select! {
            msg = rx.recv() => {
                let Some(msg) = msg else { return };
                if let Msg::Source { id, event: SourceEvent::Failed { .. } } = &msg {
                    *failed.lock().expect("failure counts lock").entry(id.label()).or_default() += 1;
                }
                let mut m = model.lock().expect("model lock");
                m.now = Clock::System.now();
                update(&mut m, msg)
            }
            _ = tick.tick() => {
                update(&mut model.lock().expect("model lock"), Msg::Tick(Clock::System.now()))
            }
            e = erx.recv() => match e {
                Some(e) => vec![e],
                None => return,
            },
        };
        for effect in effects
            .iter()
            .filter(|e| flightdeck::providers::headless(e))
        {
            providers.dispatch(effect);
        }
    }
}
