//! The Create screen's worker: reads the templates, builds a dry run's review and carries out a
//! confirmed run, reporting each step as a message, so `update` stays pure and the loop never
//! waits on a publish. A failed run is kept for a resume, the same file `flightdeck new --resume`
//! reads.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::Utc;
use tokio::sync::{Mutex, mpsc};

use super::load::{self, Templates};
use super::{Saved, forget_resume, links, load_resume, preview, run, save_resume, targets};
use crate::config::Config;
use crate::providers::{Context, Provider};
use flightdeck_core::message::create::{Command, Msg as CreateMsg};
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::SourceKind;
use flightdeck_core::model::create::{RunEnd, StepEvent};

/// How long a created service is watched for its first metrics or alert rule, and how often.
const MONITORING_WATCH: std::time::Duration = std::time::Duration::from_secs(30 * 60);
const MONITORING_POLL: std::time::Duration = std::time::Duration::from_secs(5);

pub struct ScaffolderProvider {
    config: Arc<Config>,
    tx: mpsc::Sender<Msg>,
    read_only: bool,
    /// The templates last read, which a review and a run look their template up in.
    templates: Arc<Mutex<Option<Templates>>>,
    resume_file: Option<PathBuf>,
}

impl ScaffolderProvider {
    pub fn start(config: &Config, cx: &Context, resume_file: Option<PathBuf>) -> Self {
        Self {
            config: Arc::new(config.clone()),
            tx: cx.tx.clone(),
            read_only: cx.read_only,
            templates: Arc::new(Mutex::new(None)),
            resume_file,
        }
    }
}

impl Provider for ScaffolderProvider {
    fn kinds(&self) -> &'static [SourceKind] {
        &[]
    }

    fn command(&mut self, effect: &Effect) -> bool {
        let Effect::Create(command) = effect else {
            return false;
        };
        let work = Work {
            config: self.config.clone(),
            tx: self.tx.clone(),
            read_only: self.read_only,
            templates: self.templates.clone(),
            resume_file: self.resume_file.clone(),
        };
        let command = command.clone();
        tokio::spawn(async move { work.run(command).await });
        true
    }
}

struct Work {
    config: Arc<Config>,
    tx: mpsc::Sender<Msg>,
    read_only: bool,
    templates: Arc<Mutex<Option<Templates>>>,
    resume_file: Option<PathBuf>,
}

impl Work {
    async fn send(&self, msg: CreateMsg) {
        let _ = self.tx.send(Msg::Create(msg)).await;
    }

    async fn run(self, command: Command) {
        match command {
            Command::Load => {
                let loaded = load::load(&self.config).await;
                let mut problems = loaded.problems.clone();
                for s in &loaded.list {
                    problems.extend(
                        s.warnings
                            .iter()
                            .map(|w| format!("{}: {w}", s.template.name)),
                    );
                }
                let templates = loaded.list.iter().map(|s| s.template.clone()).collect();
                *self.templates.lock().await = Some(loaded);
                self.send(CreateMsg::Templates {
                    templates,
                    problems,
                })
                .await;
            }
            Command::Review { template, given } => {
                let review = self.review(&template, &given).await;
                self.send(CreateMsg::Review { template, review }).await;
            }
            Command::Run {
                template,
                given,
                resume,
            } => {
                let end = self.create(&template, &given, resume).await;
                self.send(CreateMsg::End(end)).await;
            }
            Command::WatchMonitoring { service, name } => {
                let found = match self.config.prometheus.first() {
                    Some(source) => first_monitoring(source, &name, MONITORING_WATCH).await,
                    None => None,
                };
                if let Some(found) = found {
                    self.send(CreateMsg::Monitored { service, found }).await;
                }
            }
        }
    }
}

/// Asks `source` every few seconds, for up to `watch`, whether it has a series whose service
/// label (`service_label`, `service` by default) is `name`, or a rule whose query or name names the service: the new service is then
/// "in production with monitoring". What was found, in one line; `None` when neither came.
pub async fn first_monitoring(
    source: &crate::config::PrometheusSource,
    name: &str,
    watch: std::time::Duration,
) -> Option<String> {
    let client = crate::providers::http::credentials(
        source.token_env.as_deref(),
        source.token_command.as_deref(),
        source.basic_auth_user.as_deref(),
        source.basic_auth_password_env.as_deref(),
    )
    .await
    .and_then(|auth| {
        crate::providers::prometheus::PromClient::new(
            &source.name,
            &source.url,
            auth,
            std::time::Duration::from_secs(10),
        )
    })
    .ok()?;
    // The selector's value is the catalog name: quoted, so a name is never PromQL.
    let quoted = name.replace('\\', "\\\\").replace('"', "\\\"");
    let label = &source.service_label;
    let selector = format!("{{{label}=\"{quoted}\"}}");
    let until = std::time::Instant::now() + watch;
    while std::time::Instant::now() < until {
        if let Ok((series, _)) = client.series(&selector).await
            && let Some(first) = series.first()
        {
            let metric = first.get("__name__").map_or("a series", String::as_str);
            return Some(format!(
                "{} has {}",
                source.name,
                flightdeck_core::sanitize::line(&format!("{metric}{selector}"))
            ));
        }
        if let Ok((rules, _)) = client.rules().await {
            let names = |r: &flightdeck_core::wire::prometheus::Rule| {
                r.query.contains(&format!("{label}=\"{name}\""))
                    || r.query.contains(&format!("{label}='{name}'"))
                    || r.name.contains(name)
            };
            if let Some(rule) = rules
                .groups
                .iter()
                .flat_map(|g| &g.rules)
                .find(|r| names(r))
            {
                return Some(format!(
                    "{} has the rule {}",
                    source.name,
                    flightdeck_core::sanitize::line(&rule.name)
                ));
            }
        }
        tokio::time::sleep(MONITORING_POLL).await;
    }
    None
}

impl Work {
    async fn review(
        &self,
        name: &str,
        given: &[(String, String)],
    ) -> Result<flightdeck_core::model::create::Preview, Vec<String>> {
        let guard = self.templates.lock().await;
        let source = guard
            .as_ref()
            .and_then(|t| t.find(name))
            .ok_or_else(|| vec![format!("no template {name}: read the templates again")])?;
        let targets = targets(&self.config);
        let plan = run::preflight(source, given, &targets, Utc::now(), None).await?;
        let mut quiet = |_: run::Event| {};
        let dry = run::run(&plan, &targets, true, None, &mut quiet)
            .await
            .map_err(|f| vec![f.to_string()])?;
        Ok(preview(&plan, &dry))
    }

    async fn create(&self, name: &str, given: &[(String, String)], resume: bool) -> RunEnd {
        if self.read_only {
            return RunEnd::Refused(vec!["flightdeck runs read-only".into()]);
        }
        let saved = if resume {
            let saved = self.resume_file.as_deref().and_then(load_resume);
            match saved {
                Some(s) if s.template == name && s.given == given => Some(s),
                _ => {
                    return RunEnd::Refused(vec![
                        "no failed run of this template with these values to resume".into(),
                    ]);
                }
            }
        } else {
            None
        };
        let guard = self.templates.lock().await;
        let Some(source) = guard.as_ref().and_then(|t| t.find(name)) else {
            return RunEnd::Refused(vec![format!("no template {name}")]);
        };
        let targets = targets(&self.config);
        let resume = saved.as_ref().map(|s| &s.resume);
        let started = saved.as_ref().map_or_else(Utc::now, |s| s.started);
        let plan = match run::preflight(source, given, &targets, started, resume).await {
            Ok(p) => p,
            Err(reasons) => return RunEnd::Refused(reasons),
        };
        let tx = self.tx.clone();
        // Progress goes out as it happens; a full queue drops a log line, never a step's state.
        let mut progress = move |e: run::Event| {
            let event = match e {
                run::Event::Started { index, .. } => StepEvent::Started { index },
                run::Event::Log { index, line } => StepEvent::Log { index, line },
                run::Event::Done { index, millis } => StepEvent::Done {
                    index,
                    millis: u64::try_from(millis).unwrap_or(u64::MAX),
                },
                run::Event::Skipped { index } => StepEvent::Skipped { index },
                run::Event::Reused { index } => StepEvent::Reused { index },
            };
            let _ = tx.try_send(Msg::Create(CreateMsg::Step(event)));
        };
        match run::run(&plan, &targets, false, resume, &mut progress).await {
            Ok(outcome) => {
                if let Some(path) = &self.resume_file {
                    forget_resume(path);
                }
                RunEnd::Created {
                    links: links(&outcome.output),
                    created: outcome.created,
                }
            }
            Err(f) => {
                let kept = self.resume_file.as_deref().is_some_and(|path| {
                    let saved = Saved {
                        template: source.template.name.clone(),
                        given: given.to_vec(),
                        started: plan.started,
                        resume: run::Resume::of(&f),
                    };
                    match save_resume(path, &saved) {
                        Ok(()) => true,
                        Err(e) => {
                            tracing::warn!(error = %e, "cannot keep the failed run to resume");
                            false
                        }
                    }
                });
                RunEnd::Failed {
                    step: f.step,
                    error: flightdeck_core::sanitize::text(&f.error),
                    done: f.done,
                    created: f.created,
                    resumable: kept,
                }
            }
        }
    }
}
