//! Start-up: arguments, config (checked before the terminal is touched), logging to a file, the
//! demo organisation when asked, then the loop. Everything is wired here, in dependency order;
//! no module starts anything on its own.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;
use color_eyre::eyre::{Result, WrapErr};
use tokio::sync::mpsc;

use flightdeck::app::{self, Effects, Exit};
use flightdeck::cli::{Cli, Command};
use flightdeck::clock::Clock;
use flightdeck::config::theme::{ColorSupport, load_theme};
use flightdeck::config::{self, Loaded};
use flightdeck::demo::Demo;
use flightdeck::providers::{Context, Providers};
use flightdeck::terminal::{self, TerminalGuard};
use flightdeck::{snapshot, startup};
use flightdeck_core::message::Effect;
use flightdeck_core::model::Model;
use flightdeck_core::sanitize;

fn main() -> ExitCode {
    flightdeck::memory::limit_arenas();
    let started = std::time::Instant::now();
    let cli = Cli::parse();
    // Printed from the arguments alone: no config, no runtime, no terminal.
    let printed = match &cli.command {
        Some(Command::Completions { shell }) => Some(Ok(flightdeck::cli::completions(*shell))),
        Some(Command::Man) => Some(flightdeck::cli::man_page()),
        _ => None,
    };
    if let Some(text) = printed {
        return match text.and_then(|t| flightdeck::terminal::emit(&t)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("flightdeck: {e}");
                ExitCode::from(1)
            }
        };
    }
    if let Err(e) = install_hooks() {
        terminal::say(&format!("flightdeck: {e}"));
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            terminal::say(&format!("flightdeck: cannot start the async runtime: {e}"));
            return ExitCode::from(2);
        }
    };
    runtime.spawn(flightdeck::memory::trim_every(
        flightdeck::memory::TRIM_EVERY,
    ));
    let result = runtime.block_on(run(cli, started));
    terminal::restore();
    // Providers may still be waiting on the network, or parsing a large catalog on the
    // blocking pool; nobody waits for them on the way out (a bounded wait was spent whole
    // whenever a catalog load was in progress).
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(e) => {
            // Error text can carry remote strings; it goes through the sanitiser like any other.
            terminal::say(&format!(
                "flightdeck: {}",
                sanitize::text(&format!("{e:?}"))
            ));
            ExitCode::from(1)
        }
    }
}

/// color-eyre's reports, with the terminal restored before a panic message is printed.
fn install_hooks() -> Result<()> {
    // Colours only for a terminal: piped or logged stderr gets plain text.
    let theme = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        color_eyre::config::Theme::dark()
    } else {
        color_eyre::config::Theme::new()
    };
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .theme(theme)
        .display_env_section(false)
        .into_hooks();
    eyre_hook.install()?;
    std::panic::set_hook(Box::new(move |info| {
        terminal::restore();
        terminal::say(&panic_hook.panic_report(info).to_string());
    }));
    Ok(())
}

async fn run(cli: Cli, started: std::time::Instant) -> Result<ExitCode> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    #[cfg(feature = "sim")]
    if let Some(Command::Sim { dir }) = &cli.command {
        return flightdeck::demo::serve(&cli.sim, dir.as_deref()).await;
    }
    if let Some(Command::Metrics {
        json,
        csv,
        since,
        service,
        owner,
        until,
        timeout,
    }) = &cli.command
    {
        let args = flightdeck::metrics::MetricsArgs {
            json: *json,
            csv: *csv,
            days: *since,
            service: service.clone(),
            owner: owner.clone(),
            until: *until,
            timeout: std::time::Duration::from_secs(*timeout),
            cache_dir: cache_dir(),
        };
        return match config::load_or_first_run(cli.config.as_deref()) {
            Ok(Some(loaded)) => match flightdeck::metrics::run(&loaded.config, args).await {
                Ok(code) => Ok(code),
                Err(e) => {
                    eprintln!("flightdeck metrics: {}", sanitize::text(&e.to_string()));
                    Ok(ExitCode::from(flightdeck::status::UNKNOWN))
                }
            },
            // A config that does not load says where (file, line, column), as at start.
            Err(e) => {
                eprintln!("flightdeck metrics: {e}");
                Ok(ExitCode::from(flightdeck::status::UNKNOWN))
            }
            Ok(None) => {
                eprintln!("flightdeck metrics: no config file; see docs/configuration.md");
                Ok(ExitCode::from(flightdeck::status::UNKNOWN))
            }
        };
    }
    if let Some(Command::Status {
        json,
        service,
        owner,
        mine,
        timeout,
    }) = &cli.command
    {
        let args = flightdeck::status::StatusArgs {
            json: *json,
            service: service.clone(),
            owner: owner.clone(),
            mine: *mine,
            timeout: std::time::Duration::from_secs(*timeout),
        };
        // Whatever stops status from judging is "unknown" (3), never a service's state.
        let unknown = ExitCode::from(flightdeck::status::UNKNOWN);
        return match config::load_or_first_run(cli.config.as_deref()) {
            Ok(Some(loaded)) => match flightdeck::status::run(&loaded.config, args).await {
                Ok(code) => Ok(code),
                Err(e) => {
                    terminal::say(&format!(
                        "flightdeck status: {}",
                        sanitize::text(&e.to_string())
                    ));
                    Ok(unknown)
                }
            },
            Ok(None) => match zero_config() {
                // No config file, but a repository with a descriptor: its sources are enough.
                Some(found) => {
                    for line in flightdeck::zero_config::describe(&found.findings) {
                        eprintln!("flightdeck status: {line}");
                    }
                    match flightdeck::status::run(&found.config, args).await {
                        Ok(code) => Ok(code),
                        Err(e) => {
                            eprintln!("flightdeck status: {}", sanitize::text(&e.to_string()));
                            Ok(unknown)
                        }
                    }
                }
                None => {
                    let located = config::locate(cli.config.as_deref());
                    eprintln!(
                        "flightdeck status: no config at {}, and no catalog-info.yaml in a git repository here; see docs/configuration.md",
                        sanitize::line(&located.path.display().to_string())
                    );
                    Ok(unknown)
                }
            },
            Err(e) => {
                terminal::say(&sanitize::text(&e.to_string()));
                Ok(unknown)
            }
        };
    }

    // `flightdeck new` naming no template, in a terminal, opens the cockpit's Create screen.
    let open_create = matches!(
        &cli.command,
        Some(Command::New {
            template: None,
            list: false,
            resume: false,
            ..
        })
    ) && std::io::IsTerminal::is_terminal(&std::io::stdin())
        && std::io::IsTerminal::is_terminal(&std::io::stdout());
    if let Some(Command::New {
        template,
        list,
        values,
        dry_run,
        yes,
        resume,
    }) = &cli.command
        && !open_create
    {
        let args = flightdeck::scaffolder::NewArgs {
            template: template.clone(),
            list: *list,
            values: values.clone(),
            dry_run: *dry_run,
            yes: *yes,
            resume: *resume,
            resume_file: cache_dir().map(|d| flightdeck::scaffolder::resume_file(&d)),
        };
        let refused = ExitCode::from(flightdeck::scaffolder::REFUSED);
        return match config::load_or_first_run(cli.config.as_deref()) {
            Ok(Some(loaded)) => Ok(flightdeck::scaffolder::command(&loaded.config, args).await),
            Ok(None) => {
                let located = config::locate(cli.config.as_deref());
                eprintln!(
                    "flightdeck new: no config at {}; see docs/configuration.md",
                    sanitize::line(&located.path.display().to_string())
                );
                Ok(refused)
            }
            Err(e) => {
                eprintln!("{}", sanitize::text(&e.to_string()));
                Ok(refused)
            }
        };
    }
    if let Some(Command::Init { force }) = &cli.command {
        return Ok(init(cli.config.as_deref(), *force));
    }

    if let Some(why) = terminal::missing() {
        terminal::say(why);
        return Ok(ExitCode::from(2));
    }
    // The demo starts its organisation first: its config is the one the cockpit loads.
    let demo = if cli.demo {
        Some(
            Demo::start(&cli.sim)
                .await
                .wrap_err("while starting the demo organisation")?,
        )
    } else {
        None
    };
    let config_arg = match &demo {
        Some(demo) => Some(demo.config_path()),
        None => cli.config.clone(),
    };
    // A bad config ends here, before the terminal is touched.
    let loaded = match config::load_or_first_run(config_arg.as_deref()) {
        Ok(loaded) => loaded,
        Err(e) => {
            terminal::say(&sanitize::text(&e.to_string()));
            return Ok(ExitCode::from(2));
        }
    };
    // No config file: a repository with a descriptor stands in for one, and what was found
    // for each source is shown on the Onboarding screen.
    let mut found_sources = Vec::new();
    let loaded = match loaded {
        None if !cli.demo => zero_config().map(|found| {
            found_sources = found
                .findings
                .iter()
                .map(|f| flightdeck_core::model::onboarding::FoundSource {
                    source: f.source.to_string(),
                    found: f.found.as_deref().map(sanitize::line),
                    how: f.how.to_string(),
                })
                .collect();
            Loaded {
                config: found.config,
                keymap: flightdeck_core::keymap::Keymap::defaults(),
                path: found.descriptor,
            }
        }),
        loaded => loaded,
    };
    let located = config::locate(config_arg.as_deref());
    let _log_guard = init_logging(loaded.as_ref());

    let support = ColorSupport::detect(|k| std::env::var(k).ok());
    let theme_name = cli
        .theme
        .clone()
        .or_else(|| loaded.as_ref().and_then(|l| l.config.general.theme.clone()))
        .unwrap_or_else(|| "dark".to_string());
    let theme = match load_theme(&theme_name, support) {
        Ok(t) => t,
        Err(e) => {
            terminal::say(&sanitize::text(&e.to_string()));
            return Ok(ExitCode::from(2));
        }
    };

    // The sim serves wall times, so the demo's cockpit reads the wall clock too.
    let clock = Clock::System;
    let now = clock.now();
    let (mut model, snapshot_key) = match &loaded {
        Some(Loaded {
            config,
            keymap,
            path,
        }) => (
            startup::model(config, keymap.clone(), cli.read_only, now, path),
            if cli.demo {
                "demo".to_string()
            } else {
                path.display().to_string()
            },
        ),
        None => (
            startup::first_run(
                flightdeck_core::keymap::Keymap::defaults(),
                &located.path.display().to_string(),
                now,
            ),
            "first-run".to_string(),
        ),
    };
    model.read_only |= cli.read_only;
    if open_create {
        model.screen = flightdeck_core::model::Screen::Create;
    }
    let snapshot_path = cache_dir().map(|d| snapshot::path_for(&d, &snapshot_key));
    if !cli.no_snapshot
        && let Some(path) = &snapshot_path
        && let Some(saved) = snapshot::load(path)
    {
        saved.restore_into(&mut model);
    }
    if !found_sources.is_empty() {
        let missing = found_sources.iter().filter(|f| f.found.is_none()).count();
        model.onboarding.found = found_sources;
        model.notice = Some(flightdeck_core::model::Notice {
            text: format!(
                "no config file: sources from this repository ({missing} not configured; {} shows them)",
                model
                    .keymap
                    .keys(flightdeck_core::keymap::Action::ScreenOnboarding)
                    .first()
                    .map_or_else(|| "Onboarding".to_string(), ToString::to_string)
            ),
            level: flightdeck_core::model::Level::Info,
            ticks: 0,
        });
    }

    let (tx, rx) = mpsc::channel(1024);
    let providers = match &loaded {
        Some(l) => Providers::start(
            &l.config,
            &Context {
                tx: tx.clone(),
                clock: clock.clone(),
                read_only: model.read_only,
            },
        ),
        None => Providers::start(
            &Default::default(),
            &Context {
                tx: tx.clone(),
                clock: clock.clone(),
                read_only: true,
            },
        ),
    };
    let mut providers = providers;
    if let Some(l) = &loaded {
        providers.add(Box::new(
            flightdeck::scaffolder::provider::ScaffolderProvider::start(
                &l.config,
                &Context {
                    tx: tx.clone(),
                    clock: clock.clone(),
                    read_only: model.read_only,
                },
                cache_dir().map(|d| flightdeck::scaffolder::resume_file(&d)),
            ),
        ));
    }
    let mut runner = Runner {
        snapshot_path,
        providers,
    };
    let mut guard = TerminalGuard::enter().wrap_err("while taking over the terminal")?;
    let exit = app::run(
        model,
        &theme,
        &mut guard,
        rx,
        &mut runner,
        app::Options {
            clock,
            exit_after_first_frame: std::env::var_os("FLIGHTDECK_EXIT_AFTER_FIRST_FRAME").is_some(),
            started,
        },
    )
    .await;
    drop(guard);
    drop(demo);
    match exit? {
        Exit::Quit => Ok(ExitCode::SUCCESS),
        Exit::Terminated => Ok(ExitCode::from(143)),
        Exit::Interrupted => Ok(ExitCode::from(130)),
        Exit::HungUp => Ok(ExitCode::from(129)),
    }
}

/// Carries out effects that leave the loop.
struct Runner {
    snapshot_path: Option<PathBuf>,
    providers: Providers,
}

impl Effects for Runner {
    fn run(&mut self, effect: Effect, model: &Model) {
        match effect {
            Effect::SaveSnapshot => {
                if let Some(path) = &self.snapshot_path
                    && let Err(e) = snapshot::save(path, &snapshot::Snapshot::of(model))
                {
                    tracing::warn!(path = %path.display(), error = %e, "cannot save the snapshot");
                }
            }
            Effect::Copy(text) => {
                use std::io::Write;
                let mut out = std::io::stdout();
                let _ = crossterm::execute!(
                    out,
                    crossterm::clipboard::CopyToClipboard::to_clipboard_from(text)
                );
                let _ = out.flush();
            }
            Effect::OpenUrl(url) => open_url(&url),
            Effect::Discard(garbage) => {
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn_blocking(move || drop(garbage));
                }
            }
            Effect::Render
            | Effect::FullRedraw
            | Effect::Quit
            | Effect::Suspend
            | Effect::External(_)
            | Effect::Shell(_) => {}
            other => self.providers.dispatch(&other),
        }
    }

    fn shell(
        &mut self,
        target: &flightdeck_core::model::workloads::ShellTarget,
    ) -> futures::future::BoxFuture<'static, Result<i32, String>> {
        let client = self.providers.kubernetes_client(&target.pod.context);
        let target = target.clone();
        Box::pin(async move {
            let client = client
                .ok_or("no Kubernetes source is configured")?
                .await
                .map_err(|_| "the Kubernetes provider stopped".to_string())??;
            flightdeck::providers::kubernetes::shell::run(client, &target).await
        })
    }
}

/// Opens a URL once it passed the one URL check; `$BROWSER` first, then the platform opener.
fn open_url(url: &str) {
    let Some(url) = sanitize::url(url) else {
        tracing::warn!("refusing to open a URL that is not plain http(s)");
        return;
    };
    flightdeck::external::open_url(&url);
}

/// The config the current directory's repository gives, when there is no config file.
fn zero_config() -> Option<flightdeck::zero_config::Discovered> {
    let cwd = std::env::current_dir().ok()?;
    flightdeck::zero_config::discover(&cwd, &|k| std::env::var(k).ok())
}

/// `flightdeck init`: writes a commented config from what the repository here gives.
fn init(config_arg: Option<&Path>, force: bool) -> ExitCode {
    let Some(found) = zero_config() else {
        eprintln!(
            "flightdeck init: no catalog-info.yaml at the root of a git repository here; copy config.example.toml instead"
        );
        return ExitCode::from(2);
    };
    let located = config::locate(config_arg);
    let shown = sanitize::line(&located.path.display().to_string());
    if located.path.exists() && !force {
        eprintln!("flightdeck init: {shown} exists; --force replaces it");
        return ExitCode::from(2);
    }
    let text = flightdeck::zero_config::init_file(&found);
    let written = located
        .path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&located.path, text));
    match written {
        Ok(()) => {
            for line in flightdeck::zero_config::describe(&found.findings) {
                println!("{line}");
            }
            println!("wrote {shown}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("flightdeck init: cannot write {shown}: {e}");
            ExitCode::from(2)
        }
    }
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("dev", "flightdeck", "flightdeck")
}

fn cache_dir() -> Option<PathBuf> {
    flightdeck::snapshot::cache_dir()
}

/// Log lines waiting for the writer thread at most.
const LOG_QUEUE_LINES: usize = 4_096;

/// Logs go to a file, never to the terminal the cockpit draws on.
fn init_logging(loaded: Option<&Loaded>) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    use tracing_subscriber::EnvFilter;
    let path = loaded
        .and_then(|l| l.config.general.log_file.clone())
        .or_else(|| project_dirs().map(|d| d.data_local_dir().join("flightdeck.log")))?;
    let appender = flightdeck::logfile::open(&path).ok()?;
    // The writer's queue is allocated whole up front: its default of 128,000 lines cost 4 MB of
    // a budget of 60. A burst beyond these lines loses lines, never blocks the loop.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(true)
        .finish(appender);
    let filter =
        EnvFilter::try_from_env("FLIGHTDECK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(writer)
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(guard)
}
