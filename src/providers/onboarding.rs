//! Onboarding's outside world: reads the path (from the config or an onboarding.yaml), keeps
//! the progress in the platform data dir (written atomically, so a crash loses nothing), and
//! runs the checks with the real clients: GitHub's `/user`, runs by `actor` and deployments by
//! `creator`; a pod list through kube; Alertmanager's `/-/ready`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use super::{Context, Provider};
use crate::config::{Config, GithubSource};
use flightdeck_core::message::onboarding::{CheckRequest, Command, Msg as OnbMsg};
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::join::ServiceTarget;
use flightdeck_core::model::onboarding::{CheckKind, CheckResult, PathSpec, Progress};
use flightdeck_core::sanitize;
use flightdeck_core::update::onboarding::CONFIG_SOURCE;

/// How long any one check may take before it counts as failed.
const CHECK_TIMEOUT: Duration = Duration::from_secs(15);

pub struct OnboardingProvider {
    tx: mpsc::Sender<Msg>,
    clock: crate::clock::Clock,
    config: Config,
    data_dir: Option<PathBuf>,
    http: reqwest::Client,
    /// Saves are numbered as asked; the number of the newest written is kept, so a save that
    /// reaches the disk after a newer one is dropped instead of undoing it.
    saves_asked: u64,
    saves_written: std::sync::Arc<std::sync::Mutex<u64>>,
    login: LoginCache,
}

impl OnboardingProvider {
    /// Starts with the platform data dir.
    pub fn start(config: &Config, cx: &Context) -> Self {
        let dir = directories::ProjectDirs::from("dev", "flightdeck", "flightdeck")
            .map(|d| d.data_dir().to_path_buf());
        Self::with_data_dir(config, cx, dir)
    }

    /// Starts keeping progress in `data_dir` (tests use a temporary one). Reads the tour state
    /// and the config's path at once.
    pub fn with_data_dir(config: &Config, cx: &Context, data_dir: Option<PathBuf>) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(CHECK_TIMEOUT)
            .user_agent(concat!("flightdeck/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        let me = Self {
            tx: cx.tx.clone(),
            clock: cx.clock.clone(),
            config: config.clone(),
            data_dir,
            http,
            saves_asked: 0,
            saves_written: Default::default(),
            login: LoginCache::default(),
        };
        me.initial();
        me
    }

    fn spawn<F>(&self, f: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(f);
        }
    }

    fn initial(&self) {
        let tx = self.tx.clone();
        let tour = self.data_dir.as_ref().map(|d| d.join("tour-done"));
        let onboarding = self.config.onboarding.clone();
        self.spawn(async move {
            let done = match tour {
                Some(p) => tokio::fs::metadata(&p).await.is_ok(),
                // Nowhere to remember it: do not show the tour at every start.
                None => true,
            };
            let _ = tx.send(Msg::Onboarding(OnbMsg::TourState { done })).await;
            if !onboarding.phases.is_empty() {
                let spec = PathSpec {
                    title: onboarding.title.map(|t| sanitize::line(&t)),
                    buddy: onboarding.buddy.map(|b| sanitize::line(&b)),
                    phases: onboarding.phases.into_iter().map(sanitize_phase).collect(),
                };
                let _ = tx
                    .send(Msg::Onboarding(OnbMsg::PathLoaded {
                        spec,
                        source: CONFIG_SOURCE.into(),
                    }))
                    .await;
            } else if let Some(file) = onboarding.file {
                let _ = tx.send(load_file(&file).await).await;
            }
        });
    }
}

impl Provider for OnboardingProvider {
    fn targets(&mut self, _targets: &[ServiceTarget]) {
        // The catalog changed; the model decides whether it now names an onboarding.yaml.
        let _ = self.tx.try_send(Msg::Onboarding(OnbMsg::CatalogChanged));
    }

    fn kinds(&self) -> &'static [flightdeck_core::model::SourceKind] {
        &[]
    }

    fn command(&mut self, effect: &Effect) -> bool {
        let Effect::Onboarding(command) = effect else {
            return false;
        };
        let tx = self.tx.clone();
        match command.clone() {
            Command::LoadFile(file) => self.spawn(async move {
                let _ = tx.send(load_file(Path::new(&file)).await).await;
            }),
            Command::LoadProgress { key } => {
                let path = self.data_dir.as_ref().map(|d| progress_path(d, &key));
                self.spawn(async move {
                    let msg = match path {
                        None => OnbMsg::ProgressLoaded {
                            progress: None,
                            error: Some("no data directory".into()),
                        },
                        Some(p) => {
                            match tokio::task::spawn_blocking(move || load_progress(&p)).await {
                                Ok(Ok(progress)) => OnbMsg::ProgressLoaded {
                                    progress,
                                    error: None,
                                },
                                Ok(Err(e)) => OnbMsg::ProgressLoaded {
                                    progress: None,
                                    error: Some(e),
                                },
                                Err(e) => OnbMsg::ProgressLoaded {
                                    progress: None,
                                    error: Some(e.to_string()),
                                },
                            }
                        }
                    };
                    let _ = tx.send(Msg::Onboarding(msg)).await;
                });
            }
            Command::Save { key, progress } => {
                let Some(path) = self.data_dir.as_ref().map(|d| progress_path(d, &key)) else {
                    return true;
                };
                self.saves_asked += 1;
                let (seq, written) = (self.saves_asked, self.saves_written.clone());
                self.spawn(async move {
                    let saved = tokio::task::spawn_blocking(move || {
                        // Held across the write: writes go one at a time, newest last.
                        let mut newest = written.lock().unwrap_or_else(|e| e.into_inner());
                        if *newest > seq {
                            return Ok(());
                        }
                        *newest = seq;
                        save_atomically(&path, &progress)
                    })
                    .await;
                    let error = match saved {
                        Ok(Ok(())) => return,
                        Ok(Err(e)) => e.to_string(),
                        Err(e) => e.to_string(),
                    };
                    let _ = tx.send(Msg::Onboarding(OnbMsg::SaveFailed { error })).await;
                });
            }
            Command::TourDone => {
                let Some(path) = self.data_dir.as_ref().map(|d| d.join("tour-done")) else {
                    return true;
                };
                self.spawn(async move {
                    let written =
                        tokio::task::spawn_blocking(move || save_atomically(&path, &true)).await;
                    if let Ok(Err(e)) = written {
                        tracing::warn!(error = %e, "cannot remember that the tour was done");
                    }
                });
            }
            Command::RunChecks(requests) => {
                for req in requests {
                    let tx = tx.clone();
                    let checker = Checker {
                        config: self.config.clone(),
                        http: self.http.clone(),
                        clock: self.clock.clone(),
                        login: self.login.clone(),
                    };
                    self.spawn(async move {
                        let step = req.step.clone();
                        let result = match tokio::time::timeout(CHECK_TIMEOUT, checker.run(&req)).await {
                            Ok(r) => r,
                            Err(_) => CheckResult {
                                at: checker.clock.now(),
                                ..fail(
                                    format!("no answer within {}s", CHECK_TIMEOUT.as_secs()),
                                    "check that the source is reachable from here (VPN, proxy), then press r",
                                )
                            },
                        };
                        let _ = tx.send(Msg::Onboarding(OnbMsg::Checked { step, result })).await;
                    });
                }
            }
        }
        true
    }
}

fn sanitize_phase(
    mut p: flightdeck_core::model::onboarding::PhaseSpec,
) -> flightdeck_core::model::onboarding::PhaseSpec {
    p.name = sanitize::line(&p.name);
    for s in &mut p.steps {
        s.id = sanitize::ident(&s.id);
        s.title = sanitize::line(&s.title);
        s.text = sanitize::text(&s.text);
        for d in &mut s.docs {
            *d = sanitize::line(d);
        }
        for v in &mut s.services {
            *v = sanitize::ident(v);
        }
        for v in [
            &mut s.context,
            &mut s.namespace,
            &mut s.alertmanager,
            &mut s.environment,
            &mut s.repo,
        ]
        .into_iter()
        .flatten()
        {
            *v = sanitize::ident(v);
        }
    }
    p
}

/// Reads an onboarding.yaml; a bad file gives its line and column.
pub async fn load_file(file: &Path) -> Msg {
    let source = file.display().to_string();
    let msg = match tokio::fs::read_to_string(file).await {
        Err(e) => OnbMsg::PathFailed {
            source,
            error: format!("cannot read it: {e}"),
        },
        Ok(text) => match serde_norway::from_str::<PathSpec>(&text) {
            Ok(spec) => OnbMsg::PathLoaded {
                spec: PathSpec {
                    title: spec.title.map(|t| sanitize::line(&t)),
                    buddy: spec.buddy.map(|b| sanitize::line(&b)),
                    phases: spec.phases.into_iter().map(sanitize_phase).collect(),
                },
                source,
            },
            Err(e) => OnbMsg::PathFailed {
                source,
                error: sanitize::line(&e.to_string()),
            },
        },
    };
    Msg::Onboarding(msg)
}

/// One progress file per path title, so a demo's practice never mixes with the real path.
pub fn progress_path(data_dir: &Path, key: &str) -> PathBuf {
    let h = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    data_dir.join(format!("onboarding-{h:016x}.json"))
}

/// The saved progress; `Ok(None)` when there is none yet.
pub fn load_progress(path: &Path) -> Result<Option<Progress>, String> {
    match std::fs::read(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{} is corrupt: {e}", path.display())),
    }
}

/// Writes to a temporary file beside `path`, syncs it, then renames it over: a crash leaves
/// either the old file or the new one, never half of one.
pub fn save_atomically<T: serde::Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    serde_json::to_writer_pretty(&mut tmp, value)?;
    tmp.flush()?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

fn ok(found: String) -> CheckResult {
    CheckResult {
        ok: true,
        found,
        next: None,
        at: Utc::now(),
        event_at: None,
    }
}

fn fail(found: impl Into<String>, next: impl Into<String>) -> CheckResult {
    CheckResult {
        ok: false,
        found: found.into(),
        next: Some(next.into()),
        at: Utc::now(),
        event_at: None,
    }
}

/// Runs one check with the real clients of the config's sources.
pub struct Checker {
    pub config: Config,
    pub http: reqwest::Client,
    /// Stamps the results, so the demo's ages follow the sim's clock.
    pub clock: crate::clock::Clock,
    /// The GitHub login, shared by the checks of one round.
    pub login: LoginCache,
}

/// How long a GitHub login read by one check serves the others: three checks need it, and a
/// round of checks asked one `GET /user` each; a later `r` asks again.
const LOGIN_KEPT: Duration = Duration::from_secs(30);

/// The GitHub login the checks share: the first check of a round reads it, the others wait for
/// it rather than asking again.
#[derive(Clone, Default)]
pub struct LoginCache(Arc<tokio::sync::Mutex<Option<(std::time::Instant, String)>>>);

impl Checker {
    pub async fn run(&self, req: &CheckRequest) -> CheckResult {
        let mut result = self.check(req).await;
        result.at = self.clock.now();
        result
    }

    async fn check(&self, req: &CheckRequest) -> CheckResult {
        match req.kind {
            CheckKind::GithubToken => self.github_token().await,
            CheckKind::KubePods => self.kube_pods(req).await,
            CheckKind::Alertmanager => self.alertmanager(req).await,
            CheckKind::CiRun => self.ci_run(req).await,
            CheckKind::Deployed => self.deployed(req).await,
            // Answered from the model; never sent here, but say so if one is.
            CheckKind::CatalogGroup | CheckKind::RunbookOpened => fail(
                "this check is answered by the cockpit itself",
                "press r on the Onboarding screen",
            ),
        }
    }

    fn github(&self) -> Result<&GithubSource, CheckResult> {
        self.config.github.as_ref().ok_or_else(|| {
            fail(
                "no [github] source in the config",
                "add a [github] table to the config (docs/configuration.md), then restart",
            )
        })
    }

    async fn github_get(
        &self,
        gh: &GithubSource,
        path: &str,
    ) -> Result<serde_json::Value, CheckResult> {
        let token = crate::providers::github::auth::resolve_token(gh)
            .await
            .map_err(|e| fail(e, "fix the token setting under [github], then press r"))?;
        let url = format!("{}{}", gh.api_url.trim_end_matches('/'), path);
        let mut request = self
            .http
            .get(&url)
            .header("Accept", "application/vnd.github+json");
        if let Some(t) = &token {
            request = request.bearer_auth(t);
        }
        let response = request.send().await.map_err(|e| {
            fail(
                format!(
                    "cannot reach {}: {}",
                    gh.api_url,
                    sanitize::line(&e.to_string())
                ),
                "check the network and [github] api_url, then press r",
            )
        })?;
        let status = response.status();
        if status.as_u16() == 401 {
            let default = if crate::providers::github::auth::gh_host(&gh.api_url) == "github.com" {
                "GITHUB_TOKEN"
            } else {
                "GH_ENTERPRISE_TOKEN"
            };
            let var = gh.token_env.as_deref().unwrap_or(default);
            let next = if token.is_none() {
                format!(
                    "create a token (Settings → Developer settings → tokens, scopes repo and workflow) and export it as ${var}"
                )
            } else {
                format!(
                    "the token was refused: create a new one (scopes repo and workflow) and export it as ${var}"
                )
            };
            return Err(fail(
                format!("GitHub answered 401 Unauthorized for {path}"),
                next,
            ));
        }
        if !status.is_success() {
            return Err(fail(
                format!("GitHub answered {status} for {path}"),
                "check that the token can read this repository (SSO authorisation, scopes), then press r",
            ));
        }
        response.json().await.map_err(|e| {
            fail(
                format!("GitHub's answer to {path} is not JSON: {e}"),
                "press r to try again",
            )
        })
    }

    async fn login(&self, gh: &GithubSource) -> Result<String, CheckResult> {
        let mut cached = self.login.0.lock().await;
        if let Some((at, login)) = cached.as_ref()
            && at.elapsed() < LOGIN_KEPT
        {
            return Ok(login.clone());
        }
        let user = self.github_get(gh, "/user").await?;
        let login = user
            .get("login")
            .and_then(|l| l.as_str())
            .map(sanitize::ident)
            .ok_or_else(|| fail("GitHub's /user has no login", "press r to try again"))?;
        *cached = Some((std::time::Instant::now(), login.clone()));
        Ok(login)
    }

    async fn github_token(&self) -> CheckResult {
        let gh = match self.github() {
            Ok(gh) => gh,
            Err(r) => return r,
        };
        match self.login(gh).await {
            Ok(login) => ok(format!("signed in to {} as {login}", gh.api_url)),
            Err(r) => r,
        }
    }

    async fn ci_run(&self, req: &CheckRequest) -> CheckResult {
        let gh = match self.github() {
            Ok(gh) => gh,
            Err(r) => return r,
        };
        let login = match self.login(gh).await {
            Ok(l) => l,
            Err(r) => return r,
        };
        if req.repos.is_empty() {
            return fail(
                "your team's services name no GitHub repository",
                "add github.com/project-slug to your services' descriptors, or set `repo` on this step",
            );
        }
        for repo in &req.repos {
            let path = format!("/repos/{repo}/actions/runs?actor={login}&per_page=1");
            let runs = match self.github_get(gh, &path).await {
                Ok(v) => v,
                Err(r) => return r,
            };
            if let Some(run) = runs
                .get("workflow_runs")
                .and_then(|r| r.as_array())
                .and_then(|a| a.first())
            {
                let name = run
                    .get("name")
                    .and_then(|v| v.as_str())
                    .map(sanitize::line)
                    .unwrap_or_default();
                let number = run.get("run_number").and_then(|v| v.as_u64()).unwrap_or(0);
                let state = run
                    .get("conclusion")
                    .and_then(|v| v.as_str())
                    .or_else(|| run.get("status").and_then(|v| v.as_str()))
                    .map(sanitize::line)
                    .unwrap_or_default();
                return ok(format!("{name} #{number} on {repo} by {login}: {state}"));
            }
        }
        fail(
            format!("no run by {login} in {}", req.repos.join(", ")),
            format!(
                "push a branch to {} (or re-run a workflow: R on Pipelines), then press r",
                req.repos[0]
            ),
        )
    }

    async fn deployed(&self, req: &CheckRequest) -> CheckResult {
        let gh = match self.github() {
            Ok(gh) => gh,
            Err(r) => return r,
        };
        let login = match self.login(gh).await {
            Ok(l) => l,
            Err(r) => return r,
        };
        let env = req.environment.as_deref().unwrap_or("staging");
        if req.repos.is_empty() {
            return fail(
                "your team's services name no GitHub repository",
                "add github.com/project-slug to your services' descriptors, or set `repo` on this step",
            );
        }
        for repo in &req.repos {
            let path = format!("/repos/{repo}/deployments?environment={env}&per_page=100");
            let list = match self.github_get(gh, &path).await {
                Ok(v) => v,
                Err(r) => return r,
            };
            let mine = list.as_array().into_iter().flatten().find(|d| {
                d.get("creator")
                    .and_then(|c| c.get("login"))
                    .and_then(|l| l.as_str())
                    .is_some_and(|l| sanitize::ident(l) == login)
            });
            if let Some(d) = mine {
                let sha = d
                    .get("sha")
                    .and_then(|v| v.as_str())
                    .map_or(String::new(), |s| s.chars().take(7).collect());
                let created = d
                    .get("created_at")
                    .and_then(|v| v.as_str())
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                    .map(|t| t.with_timezone(&Utc));
                let mut r = ok(format!("{login} deployed {sha} of {repo} to {env}"));
                r.event_at = created;
                return r;
            }
        }
        fail(
            format!(
                "no deployment to {env} by {login} in {}",
                req.repos.join(", ")
            ),
            format!(
                "deploy {} to {env}: run its deploy workflow (Pipelines), then press r",
                req.repos[0]
            ),
        )
    }

    async fn alertmanager(&self, req: &CheckRequest) -> CheckResult {
        let am = match &req.alertmanager {
            Some(name) => self.config.alertmanager.iter().find(|a| &a.name == name),
            None => self.config.alertmanager.first(),
        };
        let Some(am) = am else {
            return fail(
                "no [[alertmanager]] in the config",
                "add an [[alertmanager]] with its url to the config (docs/configuration.md)",
            );
        };
        let url = format!("{}/-/ready", am.url.trim_end_matches('/'));
        let mut request = self.http.get(&url);
        if let Some(var) = &am.token_env
            && let Ok(t) = std::env::var(var)
        {
            request = request.bearer_auth(t.trim());
        }
        if let (Some(user), Some(var)) = (&am.basic_auth_user, &am.basic_auth_password_env) {
            request = request.basic_auth(user, std::env::var(var).ok());
        }
        match request.send().await {
            Ok(r) if r.status().is_success() => ok(format!("{} at {} is ready", am.name, am.url)),
            Ok(r) if matches!(r.status().as_u16(), 401 | 403) => fail(
                format!("{} answered {}", am.name, r.status()),
                "set the credentials of this [[alertmanager]] (token_env or basic_auth_*), then press r",
            ),
            Ok(r) => fail(
                format!("{} answered {}", am.name, r.status()),
                "Alertmanager is not ready yet: ask #observability, then press r",
            ),
            Err(e) => fail(
                format!(
                    "cannot reach {}: {}",
                    am.url,
                    sanitize::line(&e.to_string())
                ),
                "check the url of this [[alertmanager]] and your VPN, then press r",
            ),
        }
    }

    async fn kube_pods(&self, req: &CheckRequest) -> CheckResult {
        use k8s_openapi::api::core::v1::Pod;
        use kube::api::{Api, ListParams};
        use kube::config::{KubeConfigOptions, Kubeconfig};

        let Some(k) = &self.config.kubernetes else {
            return fail(
                "no [kubernetes] in the config",
                "add a [kubernetes] table with your kubeconfig and contexts (docs/configuration.md)",
            );
        };
        let Some(namespace) = req.namespace.clone() else {
            return fail(
                "no namespace to try",
                "set `namespace` on this step, or annotate your services with backstage.io/kubernetes-namespace",
            );
        };
        let context = req.context.clone().or_else(|| k.contexts.first().cloned());
        let kubeconfig = match &k.kubeconfig {
            Some(p) => Kubeconfig::read_from(p),
            None => Kubeconfig::read(),
        };
        let kubeconfig = match kubeconfig {
            Ok(c) => c,
            Err(e) => {
                return fail(
                    format!(
                        "cannot read the kubeconfig: {}",
                        sanitize::line(&e.to_string())
                    ),
                    "get your kubeconfig from the platform team (or set [kubernetes] kubeconfig), then press r",
                );
            }
        };
        let options = KubeConfigOptions {
            context: context.clone(),
            cluster: None,
            user: None,
        };
        let ctx_label = context
            .clone()
            .unwrap_or_else(|| "the current context".into());
        let client = match kube::Config::from_custom_kubeconfig(kubeconfig, &options)
            .await
            .map(kube::Client::try_from)
        {
            Ok(Ok(c)) => c,
            Ok(Err(e)) => {
                return fail(
                    format!(
                        "cannot build a client for {ctx_label}: {}",
                        sanitize::line(&e.to_string())
                    ),
                    "check the context's cluster and user in the kubeconfig",
                );
            }
            Err(e) => {
                return fail(
                    format!("{ctx_label}: {}", sanitize::line(&e.to_string())),
                    format!(
                        "check that the kubeconfig has the context {ctx_label} (kubectl config get-contexts)"
                    ),
                );
            }
        };
        let pods: Api<Pod> = Api::namespaced(client, &namespace);
        match pods.list(&ListParams::default().limit(50)).await {
            Ok(list) => {
                let names: Vec<String> = list
                    .items
                    .iter()
                    .take(2)
                    .filter_map(|p| p.metadata.name.as_deref().map(sanitize::line))
                    .collect();
                let n = list.items.len();
                let more = if list
                    .metadata
                    .continue_
                    .as_deref()
                    .is_some_and(|c| !c.is_empty())
                {
                    "+"
                } else {
                    ""
                };
                ok(format!(
                    "{n}{more} pods in {namespace} on {ctx_label} ({}{})",
                    names.join(", "),
                    if n > 2 { ", …" } else { "" }
                ))
            }
            Err(kube::Error::Api(status)) if status.code == 403 => fail(
                format!("403 Forbidden listing pods in {namespace} on {ctx_label}"),
                format!(
                    "ask your team lead for a RoleBinding that lets you list pods in {namespace}, then press r"
                ),
            ),
            Err(kube::Error::Api(status)) if status.code == 401 => fail(
                format!("401 Unauthorized on {ctx_label}"),
                "your cluster credentials expired: log in again (your cloud's `get-credentials`), then press r",
            ),
            Err(e) => fail(
                format!(
                    "cannot list pods in {namespace} on {ctx_label}: {}",
                    sanitize::line(&e.to_string())
                ),
                "check the cluster is reachable (VPN) with kubectl get pods, then press r",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_is_written_atomically_and_read_back() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = progress_path(dir.path(), "Acme");
        assert_eq!(load_progress(&path), Ok(None));
        let mut p = Progress::default();
        p.done
            .insert("github-token".into(), DateTime::<Utc>::UNIX_EPOCH);
        save_atomically(&path, &p).expect("saves");
        assert_eq!(load_progress(&path), Ok(Some(p)));
        std::fs::write(&path, b"{\"started_at\": tru").expect("write");
        assert!(load_progress(&path).is_err_and(|e| e.contains("corrupt")));
        assert_ne!(
            progress_path(dir.path(), "Acme"),
            progress_path(dir.path(), "Other")
        );
    }
}
