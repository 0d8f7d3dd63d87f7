//! Providers: one per source. Each runs in tokio tasks, turns remote data into `Msg`s (sanitised
//! at decode time), and carries out the effects addressed to it. None touches the model: they
//! learn what to watch from `Effect::Targets` and report back through the channel.

pub mod alertmanager;
pub mod backstage;
pub mod catalog;
pub mod ci;
pub mod docs;
pub mod github;
pub mod gitlab;
pub mod http;
pub mod jira;
pub mod kubernetes;
pub mod onboarding;
pub mod pagerduty;
pub mod poll;
pub mod prometheus;
pub mod tickets;

use tokio::sync::mpsc;

use crate::config::Config;
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::SourceKind;
use flightdeck_core::model::join::ServiceTarget;

/// Sources paced in clock time (`Clock::wall`) never re-read more often than this on the wall,
/// however fast a sim runs.
pub const MIN_WALL_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What every provider offers the effect runner.
pub trait Provider: Send {
    /// The catalog changed: watch these services from now on.
    fn targets(&mut self, _targets: &[ServiceTarget]) {}
    /// The kinds of source it reads: `Effect::Refresh` reaches it only when it names one.
    fn kinds(&self) -> &'static [SourceKind];
    /// Fetch now rather than at the next poll.
    fn refresh(&mut self) {}
    /// Carries out `effect` if it is addressed to this provider; says whether it was.
    fn command(&mut self, _effect: &Effect) -> bool {
        false
    }
    /// A Kubernetes context's client, for what the loop runs itself (a shell); `None` from
    /// every provider but the Kubernetes one.
    fn kubernetes_client(
        &mut self,
        _context: &str,
    ) -> Option<tokio::sync::oneshot::Receiver<Result<kube::Client, String>>> {
        None
    }
}

/// Everything a provider needs from start-up.
#[derive(Clone)]
pub struct Context {
    pub tx: mpsc::Sender<Msg>,
    /// The time to stamp on what arrives (`fetched_at`): the sim's clock in the demo.
    pub clock: crate::clock::Clock,
    /// Refuse every action that changes something elsewhere.
    pub read_only: bool,
}

/// The running providers.
pub struct Providers {
    providers: Vec<Box<dyn Provider>>,
}

impl Providers {
    /// Starts a provider for every source the config names and this build can read. Sources
    /// without a provider stay marked as unsupported in the status bar.
    pub fn start(config: &Config, cx: &Context) -> Self {
        let mut providers: Vec<Box<dyn Provider>> = Vec::new();
        // One line per provider, in status-bar order. Each decides from `config` whether it
        // runs, and reports its state with `Msg::Source`.
        let _ = (config, cx, &mut providers);
        providers.extend(catalog::CatalogProvider::start(config, cx));
        providers.extend(backstage::BackstageProvider::start(config, cx));
        providers.extend(github::start(config, cx).map(|p| Box::new(p) as Box<dyn Provider>));
        providers.extend(
            github::issues::IssuesProvider::start(config, cx)
                .map(|p| Box::new(p) as Box<dyn Provider>),
        );
        providers.extend(
            github::history::HistoryProvider::start(config, cx)
                .map(|p| Box::new(p) as Box<dyn Provider>),
        );
        providers.extend(gitlab::start(config, cx).map(|p| Box::new(p) as Box<dyn Provider>));
        providers.extend(kubernetes::KubernetesProvider::start(config, cx));
        providers.extend(
            alertmanager::AlertmanagerProvider::start(config, cx)
                .map(|p| Box::new(p) as Box<dyn Provider>),
        );
        providers.extend(
            prometheus::PrometheusProvider::start(config, cx)
                .map(|p| Box::new(p) as Box<dyn Provider>),
        );
        providers.extend(
            jira::JiraProvider::start(config, cx).map(|p| Box::new(p) as Box<dyn Provider>),
        );
        providers.extend(
            pagerduty::PagerdutyProvider::start(config, cx)
                .map(|p| Box::new(p) as Box<dyn Provider>),
        );
        providers.push(Box::new(docs::DocsProvider::new(cx)));
        providers.push(Box::new(onboarding::OnboardingProvider::start(config, cx)));
        Self { providers }
    }

    /// Adds a provider that needs more than the config (the scaffolder's resume file).
    pub fn add(&mut self, provider: Box<dyn Provider>) {
        self.providers.push(provider);
    }

    /// Hands an effect to the provider it is addressed to.
    /// The client of a Kubernetes context, when a Kubernetes source is configured.
    pub fn kubernetes_client(
        &mut self,
        context: &str,
    ) -> Option<tokio::sync::oneshot::Receiver<Result<kube::Client, String>>> {
        self.providers
            .iter_mut()
            .find_map(|p| p.kubernetes_client(context))
    }

    pub fn dispatch(&mut self, effect: &Effect) {
        match effect {
            Effect::Targets(targets) => {
                for p in &mut self.providers {
                    p.targets(targets);
                }
            }
            Effect::Batch(effects) => {
                for e in effects {
                    self.dispatch(e);
                }
            }
            Effect::Refresh(kinds) => {
                for p in &mut self.providers {
                    if p.kinds().iter().any(|k| kinds.contains(k)) {
                        p.refresh();
                    }
                }
            }
            other => {
                for p in &mut self.providers {
                    if p.command(other) {
                        break;
                    }
                }
            }
        }
    }
}

/// Whether a loop with no terminal (`flightdeck status`, a cockpit driven by tests) hands
/// `effect` to the providers: not when it is the terminal's or the disk's, or onboarding's, whose
/// checks would start a new hire's clock, save their progress and run their commands.
pub fn headless(effect: &Effect) -> bool {
    !matches!(
        effect,
        Effect::Render
            | Effect::FullRedraw
            | Effect::Quit
            | Effect::SaveSnapshot
            | Effect::Discard(_)
            | Effect::Copy(_)
            | Effect::OpenUrl(_)
            | Effect::External(_)
            | Effect::Onboarding(_)
    )
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    struct Counting {
        kinds: &'static [SourceKind],
        refreshed: Arc<AtomicUsize>,
    }

    impl Provider for Counting {
        fn targets(&mut self, _targets: &[ServiceTarget]) {}

        fn kinds(&self) -> &'static [SourceKind] {
            self.kinds
        }

        fn refresh(&mut self) {
            self.refreshed.fetch_add(1, Ordering::Relaxed);
        }

        fn command(&mut self, _effect: &Effect) -> bool {
            false
        }
    }

    /// Refreshes each of `kinds` in turn and says how often each provider was asked.
    fn refreshed(asked: Vec<SourceKind>) -> Vec<usize> {
        let providers: [&'static [SourceKind]; 4] = [
            &[SourceKind::Catalog],
            &[SourceKind::Github],
            &[SourceKind::Kubernetes],
            &[],
        ];
        let counts: Vec<Arc<AtomicUsize>> = providers.iter().map(|_| Arc::default()).collect();
        let mut all = Providers {
            providers: providers
                .iter()
                .zip(&counts)
                .map(|(kinds, refreshed)| {
                    Box::new(Counting {
                        kinds,
                        refreshed: refreshed.clone(),
                    }) as Box<dyn Provider>
                })
                .collect(),
        };
        all.dispatch(&Effect::Refresh(asked));
        counts.iter().map(|c| c.load(Ordering::Relaxed)).collect()
    }

    #[test]
    fn refresh_reaches_only_the_providers_of_the_kinds_asked() {
        assert_eq!(
            refreshed(vec![SourceKind::Github, SourceKind::Gitlab]),
            [0, 1, 0, 0]
        );
        assert_eq!(refreshed(SourceKind::ALL.to_vec()), [1, 1, 1, 0]);
        assert_eq!(refreshed(vec![]), [0, 0, 0, 0]);
    }
}
