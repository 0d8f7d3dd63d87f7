//! The config file: where it is, what it may hold, and errors a person can act on. Everything is
//! checked here, before the terminal is touched, so a typo ends the program with the file, line,
//! column and the nearest valid key rather than a half-drawn screen. Secrets are never in it.

pub mod theme;

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use flightdeck_core::keymap::{Keymap, KeymapError};
use flightdeck_core::suggest::suggest;

/// The whole config file. Every table rejects unknown keys, so a typo is reported, not ignored.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub general: General,
    pub catalog: Catalog,
    pub services: Vec<ServiceDecl>,
    pub github: Option<GithubSource>,
    pub gitlab: Option<GitlabSource>,
    pub kubernetes: Option<KubernetesSource>,
    pub alertmanager: Vec<AlertmanagerSource>,
    /// Where the golden signals and alert history come from.
    pub prometheus: Vec<PrometheusSource>,
    pub jira: Option<JiraSource>,
    pub pagerduty: Option<PagerdutySource>,
    /// Action name → keys; each entry replaces that action's default keys.
    pub keys: BTreeMap<String, Vec<String>>,
    /// The organisation's onboarding path for new hires.
    #[serde(default)]
    pub onboarding: OnboardingSource,
    /// How delivery history is read and what its metrics count as failure and rework.
    pub delivery: DeliverySettings,
}

/// `[delivery]`: the definitions' knobs (docs/metrics.md) and how history is read.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeliverySettings {
    /// A commit title matching this regex marks its deployment as rework.
    pub rework_pattern: String,
    /// A commit merged by a pull request with one of these labels marks rework.
    pub rework_labels: Vec<String>,
    /// A critical alert starting this long after a deployment makes it failed (`1h`, `90m`).
    pub failure_alert_window: String,
    /// A deployment this long after a failed one is rework (`24h`).
    pub rework_window: String,
    /// Read deployments, statuses and pull requests through GitHub's GraphQL; `false` reads
    /// through REST only.
    pub graphql: bool,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        let rules = flightdeck_core::model::delivery::Rules::default();
        DeliverySettings {
            rework_pattern: flightdeck_core::model::delivery::DEFAULT_FIX_PATTERN.into(),
            rework_labels: rules.fix_labels,
            failure_alert_window: "1h".into(),
            rework_window: "24h".into(),
            graphql: true,
        }
    }
}

impl DeliverySettings {
    /// The definitions' rules; the config was checked at load, so an error here is a config
    /// built in code, and it says so.
    pub fn rules(&self) -> Result<flightdeck_core::model::delivery::Rules, String> {
        flightdeck_core::model::delivery::Rules::from_settings(
            &self.rework_pattern,
            &self.rework_labels,
            &self.failure_alert_window,
            &self.rework_window,
        )
    }
}

/// `[onboarding]`: the guided path, written here (`[[onboarding.phases]]`) or in a YAML file of
/// the same shape (`file`). Without either, an onboarding.yaml named by the catalog's
/// `flightdeck.dev/onboarding` annotation is used.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OnboardingSource {
    /// A YAML file with `title`, `buddy` and `phases`; relative paths are beside this config.
    pub file: Option<PathBuf>,
    pub title: Option<String>,
    pub buddy: Option<String>,
    pub phases: Vec<flightdeck_core::model::onboarding::PhaseSpec>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct General {
    /// A built-in theme's name or a path to a theme file; `--theme` wins over it.
    pub theme: Option<String>,
    /// Who the user is, as a catalog entity reference (`user:default/jdoe`).
    pub me: Option<String>,
    /// The author written on silences; defaults to the user's name.
    pub created_by: Option<String>,
    /// Refuse every action that changes something elsewhere.
    pub read_only: bool,
    /// Where the log goes (never the terminal); defaults to the platform's data dir.
    pub log_file: Option<PathBuf>,
    /// How often the remote data is saved for the next start.
    pub snapshot_interval_secs: u64,
}

impl Default for General {
    fn default() -> Self {
        General {
            theme: None,
            me: None,
            created_by: None,
            read_only: false,
            log_file: None,
            snapshot_interval_secs: 300,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Catalog {
    /// Globs of `catalog-info.yaml` files; `~` and relative paths are resolved at load.
    pub paths: Vec<String>,
    /// Also read the descriptor of the git repository of the current directory.
    pub current_repo: bool,
    pub backstage: Option<BackstageSource>,
}

impl Default for Catalog {
    fn default() -> Self {
        Catalog {
            paths: Vec::new(),
            current_repo: true,
            backstage: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackstageSource {
    pub url: String,
    pub token_env: Option<String>,
    pub token_command: Option<String>,
}

/// A service declared in the config, for teams without Backstage descriptors. The fields are
/// the join keys a descriptor's annotations would give.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceDecl {
    pub name: String,
    pub owner: Option<String>,
    pub system: Option<String>,
    pub lifecycle: Option<String>,
    pub description: Option<String>,
    /// `owner/repo`.
    pub github: Option<String>,
    /// `group/project` or a numeric project id.
    pub gitlab: Option<String>,
    pub kubernetes_id: Option<String>,
    pub kubernetes_label_selector: Option<String>,
    pub kubernetes_namespace: Option<String>,
    pub docs: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GithubSource {
    pub api_url: String,
    pub token_env: Option<String>,
    pub token_command: Option<String>,
    pub poll_idle_secs: u64,
    pub poll_running_secs: u64,
    pub max_in_flight: usize,
    /// Every GitHub request of the cockpit shares this budget (averaged over a second).
    pub requests_per_sec: f64,
    /// Ask GraphQL which repositories changed, and read only those through REST.
    pub sweep: bool,
    /// Read the services' open issues too (the Work screen's third source).
    pub issues: bool,
    /// How often issues are read while they are on screen (Work, a service's screen).
    pub issues_poll_secs: u64,
    /// While they are not: a slow sweep.
    pub issues_sweep_secs: u64,
}

impl Default for GithubSource {
    fn default() -> Self {
        GithubSource {
            api_url: "https://api.github.com".into(),
            token_env: None,
            token_command: None,
            poll_idle_secs: 60,
            poll_running_secs: 5,
            max_in_flight: 4,
            requests_per_sec: 5.0,
            sweep: true,
            issues: true,
            issues_poll_secs: 60,
            issues_sweep_secs: 600,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GitlabSource {
    pub api_url: String,
    pub token_env: Option<String>,
    pub token_command: Option<String>,
    pub poll_idle_secs: u64,
    pub poll_running_secs: u64,
}

impl Default for GitlabSource {
    fn default() -> Self {
        GitlabSource {
            api_url: "https://gitlab.com".into(),
            token_env: None,
            token_command: None,
            poll_idle_secs: 60,
            poll_running_secs: 5,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KubernetesSource {
    /// Defaults to what kubectl reads (`$KUBECONFIG`, else `~/.kube/config`).
    pub kubeconfig: Option<PathBuf>,
    /// Empty: the kubeconfig's current context.
    pub contexts: Vec<String>,
    /// Empty: the namespaces named by the services' descriptors.
    pub namespaces: Vec<String>,
    pub log_buffer_lines: usize,
    /// How long a request (and each page of an initial list) may go unanswered before the feed
    /// is abandoned and restarted.
    pub timeout_secs: u64,
    /// The address port-forwards listen on. Loopback only unless set: a forward reaches into
    /// the cluster with the user's credentials, and anyone who can reach the port can use it.
    pub port_forward_address: std::net::IpAddr,
}

impl Default for KubernetesSource {
    fn default() -> Self {
        KubernetesSource {
            kubeconfig: None,
            contexts: Vec::new(),
            namespaces: Vec::new(),
            log_buffer_lines: 10_000,
            timeout_secs: 30,
            port_forward_address: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        }
    }
}

fn default_poll_interval_secs() -> u64 {
    5
}

fn default_service_label() -> String {
    "service".into()
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerSource {
    pub name: String,
    pub url: String,
    pub token_env: Option<String>,
    pub token_command: Option<String>,
    pub basic_auth_user: Option<String>,
    pub basic_auth_password_env: Option<String>,
    #[serde(default = "default_poll_interval_secs")]
    pub poll_interval_secs: u64,
    /// The alert label that names the service.
    #[serde(default = "default_service_label")]
    pub service_label: String,
}

/// `[[prometheus]]`: a Prometheus (or anything speaking its HTTP API v1) holding the services'
/// golden signals.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusSource {
    pub name: String,
    pub url: String,
    pub token_env: Option<String>,
    pub token_command: Option<String>,
    pub basic_auth_user: Option<String>,
    pub basic_auth_password_env: Option<String>,
    /// How often its targets are scraped: the signals are re-read this often, never faster.
    #[serde(default = "default_scrape_interval_secs")]
    pub scrape_interval_secs: u64,
    /// The series label that names the service.
    #[serde(default = "default_service_label")]
    pub service_label: String,
    /// PromQL templates replacing the defaults, by signal (`error_ratio = "…"`); `$selector`,
    /// `$by` and `$window` are filled in per query.
    #[serde(default)]
    pub queries: BTreeMap<String, String>,
}

fn default_scrape_interval_secs() -> u64 {
    15
}

/// `[jira]`: Jira Cloud (REST v3, `email` + API token as Basic auth) or Server/Data Center
/// (REST v2, a personal access token as Bearer when no `user` is given).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JiraSource {
    pub url: String,
    /// The account's email (Cloud); with it the token is sent as Basic auth.
    pub user: Option<String>,
    pub token_env: Option<String>,
    pub token_command: Option<String>,
    /// 3 (Cloud) or 2 (Server/Data Center).
    pub api_version: u8,
    /// The queue: mine by default.
    pub jql: String,
    /// While the tickets are on screen (Work, a service's screen).
    pub poll_secs: u64,
    /// While they are not: a slow sweep.
    pub sweep_secs: u64,
}

impl Default for JiraSource {
    fn default() -> Self {
        JiraSource {
            url: String::new(),
            user: None,
            token_env: None,
            token_command: None,
            api_version: 3,
            jql: "assignee = currentUser() AND statusCategory != Done ORDER BY priority DESC"
                .into(),
            poll_secs: 60,
            sweep_secs: 600,
        }
    }
}

/// `[pagerduty]`: REST API v2 with a `Token token=…` key; `from` is the email PagerDuty records
/// acknowledgements and resolutions under (it requires one).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PagerdutySource {
    pub api_url: String,
    pub token_env: Option<String>,
    pub token_command: Option<String>,
    pub from: Option<String>,
    /// While incidents or on-call are on screen (Work, a service, the Overview, Alerts).
    pub poll_secs: u64,
    /// While they are not: a slow sweep.
    pub sweep_secs: u64,
    /// On-call changes by the shift: read it this often.
    pub oncall_poll_secs: u64,
}

impl Default for PagerdutySource {
    fn default() -> Self {
        PagerdutySource {
            api_url: "https://api.pagerduty.com".into(),
            token_env: None,
            token_command: None,
            from: None,
            poll_secs: 30,
            sweep_secs: 600,
            oncall_poll_secs: 300,
        }
    }
}

/// A config checked and resolved: paths absolute, keymap built, theme (if named) loadable.
#[derive(Clone, Debug)]
pub struct Loaded {
    pub config: Config,
    pub keymap: Keymap,
    pub path: PathBuf,
}

/// How the config file was chosen; a missing file is an error only when the user named it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    Cli,
    Env,
    Default,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Cli => "--config",
            Origin::Env => "$FLIGHTDECK_CONFIG",
            Origin::Default => "the default location",
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Located {
    pub path: PathBuf,
    pub origin: Origin,
}

/// The environment variable that names the config file.
pub const CONFIG_ENV: &str = "FLIGHTDECK_CONFIG";

/// A place in a file, for messages of the form `file:line:column`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub path: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config error: cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "config error: {} does not exist (named by {origin}); create it from config.example.toml, \
         or run `flightdeck --demo`",
        path.display()
    )]
    Missing { path: PathBuf, origin: Origin },
    /// Something wrong at a place in a file; `snippet` shows that line with a caret under it.
    #[error("config error: {location}: {message}{snippet}")]
    At {
        location: Location,
        message: String,
        snippet: String,
    },
    /// Something wrong that has no place in a file, such as `--theme` naming no theme.
    #[error("config error: {message}")]
    Invalid { message: String },
}

impl ConfigError {
    /// Where in which file, when the error has a place.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ConfigError::At { location, .. } => Some(location),
            _ => None,
        }
    }
}

/// Finds the config file: `--config`, else `$FLIGHTDECK_CONFIG`, else the platform config dir.
pub fn locate(cli: Option<&Path>) -> Located {
    let default_dir = directories::ProjectDirs::from("dev", "flightdeck", "flightdeck")
        .map(|dirs| dirs.config_dir().to_path_buf());
    locate_with(cli, |name| std::env::var(name).ok(), default_dir)
}

/// [`locate`] with the environment and the platform dir passed in, for tests.
pub fn locate_with(
    cli: Option<&Path>,
    env: impl Fn(&str) -> Option<String>,
    default_dir: Option<PathBuf>,
) -> Located {
    if let Some(path) = cli {
        return Located {
            path: path.to_path_buf(),
            origin: Origin::Cli,
        };
    }
    if let Some(path) = env(CONFIG_ENV).filter(|p| !p.is_empty()) {
        return Located {
            path: PathBuf::from(path),
            origin: Origin::Env,
        };
    }
    // Without a home directory there is no platform dir; the working directory is the only
    // place left that a user can predict.
    let path = default_dir
        .map(|dir| dir.join("config.toml"))
        .unwrap_or_else(|| PathBuf::from("flightdeck.toml"));
    Located {
        path,
        origin: Origin::Default,
    }
}

/// Loads the config, or `Ok(None)` when there is none at the default location: the cockpit then
/// shows its first-run screen. A file the user named that does not exist is an error.
pub fn load_or_first_run(cli: Option<&Path>) -> Result<Option<Loaded>, ConfigError> {
    load_located(&locate(cli))
}

/// [`load_or_first_run`] for a file already located.
pub fn load_located(located: &Located) -> Result<Option<Loaded>, ConfigError> {
    match std::fs::metadata(&located.path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => match located.origin {
            Origin::Default => Ok(None),
            origin => Err(ConfigError::Missing {
                path: located.path.clone(),
                origin,
            }),
        },
        _ => load(&located.path).map(Some),
    }
}

/// Reads, checks and resolves one config file.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| not_utf8(path, &e))?;
    let home = directories::BaseDirs::new().map(|dirs| dirs.home_dir().to_path_buf());
    load_str(&text, path, home.as_deref())
}

/// A file that is not UTF-8, at the first byte that is not: line and column are counted in
/// the valid text before it.
fn not_utf8(path: &Path, e: &std::string::FromUtf8Error) -> ConfigError {
    let bytes = e.as_bytes();
    let at = e.utf8_error().valid_up_to();
    let valid = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
    // The snippet shows the line up to the bad byte: the rest may not be text at all.
    let line_end = bytes[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |i| at + i);
    let shown = format!("{valid}{}", String::from_utf8_lossy(&bytes[at..line_end]));
    Source::new(path, &shown).error(
        Some(at..at + 1),
        format!(
            "the file is not UTF-8 text: byte 0x{:02x} cannot start a character; save it as UTF-8",
            bytes[at]
        ),
    )
}

/// [`load`] on text already read: `path` names it in messages and anchors its relative paths,
/// `home` is what `~` stands for.
pub fn load_str(text: &str, path: &Path, home: Option<&Path>) -> Result<Loaded, ConfigError> {
    let source = Source::new(path, text);
    let mut config: Config = source.deserialize()?;
    validate(&config, &source)?;
    let keymap = Keymap::with_overrides(&config.keys).map_err(|e| keymap_error(&source, e))?;
    let base = path.parent().unwrap_or(Path::new("."));
    resolve_paths(&mut config, base, home);
    check_theme(&config, &source)?;
    Ok(Loaded {
        config,
        keymap,
        path: path.to_path_buf(),
    })
}

fn keymap_error(source: &Source<'_>, error: KeymapError) -> ConfigError {
    let message = error.to_string();
    let span = match &error {
        KeymapError::UnknownAction { name, .. } => source.key_span(&[key("keys"), key(name)]),
        KeymapError::BadKey { action, index, .. } | KeymapError::Conflict { action, index, .. } => {
            source.value_span(&[key("keys"), key(action.name()), Seg::Index(*index)])
        }
    };
    source.error(span, message)
}

fn validate(config: &Config, src: &Source<'_>) -> Result<(), ConfigError> {
    src.require(
        config.general.snapshot_interval_secs > 0,
        &[key("general"), key("snapshot_interval_secs")],
        "`snapshot_interval_secs` in [general] must be at least 1 (seconds)",
    )?;
    if let Some(backstage) = &config.catalog.backstage {
        src.check_url(
            &backstage.url,
            &[key("catalog"), key("backstage"), key("url")],
        )?;
    }
    let mut names = HashSet::new();
    for (i, service) in config.services.iter().enumerate() {
        let at = [key("services"), Seg::Index(i), key("name")];
        src.require(
            !service.name.trim().is_empty(),
            &at,
            "a service needs a non-empty `name`",
        )?;
        src.require(
            names.insert(service.name.as_str()),
            &at,
            &format!(
                "service `{}` is declared twice in [[services]]",
                service.name
            ),
        )?;
    }
    if let Some(github) = &config.github {
        src.check_url(&github.api_url, &[key("github"), key("api_url")])?;
        for (field, value) in [
            ("poll_idle_secs", github.poll_idle_secs),
            ("poll_running_secs", github.poll_running_secs),
            ("max_in_flight", github.max_in_flight as u64),
        ] {
            src.require(
                value > 0,
                &[key("github"), key(field)],
                &format!("`{field}` in [github] must be at least 1"),
            )?;
        }
        src.require(
            github.requests_per_sec.is_finite() && github.requests_per_sec > 0.0,
            &[key("github"), key("requests_per_sec")],
            "`requests_per_sec` in [github] must be more than 0",
        )?;
    }
    check_delivery(&config.delivery, src)?;
    if let Some(gitlab) = &config.gitlab {
        src.check_url(&gitlab.api_url, &[key("gitlab"), key("api_url")])?;
        for (field, value) in [
            ("poll_idle_secs", gitlab.poll_idle_secs),
            ("poll_running_secs", gitlab.poll_running_secs),
        ] {
            src.require(
                value > 0,
                &[key("gitlab"), key(field)],
                &format!("`{field}` in [gitlab] must be at least 1"),
            )?;
        }
    }
    if let Some(kubernetes) = &config.kubernetes {
        src.require(
            kubernetes.log_buffer_lines > 0,
            &[key("kubernetes"), key("log_buffer_lines")],
            "`log_buffer_lines` in [kubernetes] must be at least 1",
        )?;
        src.require(
            kubernetes.timeout_secs > 0,
            &[key("kubernetes"), key("timeout_secs")],
            "`timeout_secs` in [kubernetes] must be at least 1",
        )?;
    }
    let mut names = HashSet::new();
    for (i, am) in config.alertmanager.iter().enumerate() {
        let at = |field| [key("alertmanager"), Seg::Index(i), key(field)];
        src.require(
            !am.name.trim().is_empty(),
            &at("name"),
            "an [[alertmanager]] needs a non-empty `name`",
        )?;
        src.require(
            names.insert(am.name.as_str()),
            &at("name"),
            &format!("alertmanager `{}` is declared twice", am.name),
        )?;
        src.check_url(&am.url, &at("url"))?;
        src.require(
            am.poll_interval_secs > 0,
            &at("poll_interval_secs"),
            "`poll_interval_secs` in [[alertmanager]] must be at least 1",
        )?;
        src.require(
            !am.service_label.is_empty(),
            &at("service_label"),
            "`service_label` in [[alertmanager]] must name a label",
        )?;
        src.require(
            am.basic_auth_user.is_some() == am.basic_auth_password_env.is_some(),
            &at(if am.basic_auth_user.is_some() {
                "basic_auth_user"
            } else {
                "basic_auth_password_env"
            }),
            "basic auth needs both `basic_auth_user` and `basic_auth_password_env` \
             (the name of the environment variable that holds the password)",
        )?;
    }
    let mut names = HashSet::new();
    for (i, p) in config.prometheus.iter().enumerate() {
        let at = |field| [key("prometheus"), Seg::Index(i), key(field)];
        src.require(
            !p.name.trim().is_empty(),
            &at("name"),
            "a [[prometheus]] needs a non-empty `name`",
        )?;
        src.require(
            names.insert(p.name.as_str()),
            &at("name"),
            &format!("prometheus `{}` is declared twice", p.name),
        )?;
        src.check_url(&p.url, &at("url"))?;
        src.require(
            p.scrape_interval_secs > 0,
            &at("scrape_interval_secs"),
            "`scrape_interval_secs` in [[prometheus]] must be at least 1",
        )?;
        src.require(
            !p.service_label.is_empty(),
            &at("service_label"),
            "`service_label` in [[prometheus]] must name a label",
        )?;
        src.require(
            p.basic_auth_user.is_some() == p.basic_auth_password_env.is_some(),
            &at(if p.basic_auth_user.is_some() {
                "basic_auth_user"
            } else {
                "basic_auth_password_env"
            }),
            "basic auth needs both `basic_auth_user` and `basic_auth_password_env` \
             (the name of the environment variable that holds the password)",
        )?;
        for signal in p.queries.keys() {
            let known: Vec<&str> = flightdeck_core::model::signals::Signal::ALL
                .iter()
                .map(|s| s.key())
                .collect();
            src.require(
                known.contains(&signal.as_str()),
                &at("queries"),
                &format!(
                    "`{signal}` in [prometheus.queries] is not a signal; the signals are {}",
                    known.join(", ")
                ),
            )?;
        }
    }
    Ok(())
}

/// `[delivery]`: the pattern compiles and the windows are durations, each error at its value.
fn check_delivery(d: &DeliverySettings, src: &Source<'_>) -> Result<(), ConfigError> {
    // Compiled the one way the metrics compile it (durations checked below, on their own).
    let compiled =
        flightdeck_core::model::delivery::Rules::from_settings(&d.rework_pattern, &[], "1h", "1h");
    if let Err(e) = compiled {
        // The regex crate's message spans lines; its last line says what is wrong.
        let why = e.to_string();
        let why = why
            .lines()
            .rfind(|l| !l.trim().is_empty())
            .unwrap_or("invalid");
        src.require(
            false,
            &[key("delivery"), key("rework_pattern")],
            &format!(
                "`rework_pattern` in [delivery] is not a regular expression: {}",
                why.trim()
            ),
        )?;
    }
    for (field, value) in [
        ("failure_alert_window", &d.failure_alert_window),
        ("rework_window", &d.rework_window),
    ] {
        src.require(
            flightdeck_core::model::alerts::parse_duration(value).is_some(),
            &[key("delivery"), key(field)],
            &format!("`{field}` in [delivery] must be a duration such as 1h, 90m or 2d"),
        )?;
    }
    Ok(())
}

/// Whether a theme setting names a file rather than a built-in theme.
pub(crate) fn looks_like_path(value: &str) -> bool {
    value.contains('/')
        || value.contains('\\')
        || value.ends_with(".toml")
        || value.starts_with('~')
}

fn check_theme(config: &Config, src: &Source<'_>) -> Result<(), ConfigError> {
    let Some(name) = &config.general.theme else {
        return Ok(());
    };
    let at = [key("general"), key("theme")];
    if looks_like_path(name) {
        // Errors inside the theme file carry that file's own line and column.
        return match std::fs::read_to_string(name) {
            Ok(text) => {
                theme::parse_theme(&text, Path::new(name), theme::ColorSupport::TrueColor).map(drop)
            }
            Err(e) => Err(src.error(
                src.value_span(&at),
                format!("cannot read theme file {name}: {e}"),
            )),
        };
    }
    if theme::builtin(name).is_some() {
        return Ok(());
    }
    Err(src.error(src.value_span(&at), theme::unknown_theme_message(name)))
}

/// `~` → home, relative → beside the config file, so every path other code sees is absolute.
fn resolve_paths(config: &mut Config, base: &Path, home: Option<&Path>) {
    let resolve = |p: &Path| -> PathBuf {
        let expanded = expand_home(p, home);
        if expanded.is_absolute() {
            expanded
        } else {
            base.join(expanded)
        }
    };
    for glob in &mut config.catalog.paths {
        *glob = resolve(Path::new(glob.as_str()))
            .to_string_lossy()
            .into_owned();
    }
    if let Some(p) = &mut config.general.log_file {
        *p = resolve(p);
    }
    if let Some(p) = &mut config.onboarding.file {
        *p = resolve(p);
    }
    if let Some(theme) = &mut config.general.theme
        && looks_like_path(theme)
    {
        *theme = resolve(Path::new(theme.as_str()))
            .to_string_lossy()
            .into_owned();
    }
    if let Some(k) = &mut config.kubernetes
        && let Some(p) = &mut k.kubeconfig
    {
        *p = resolve(p);
    }
    for service in &mut config.services {
        if let Some(p) = &mut service.docs {
            *p = resolve(p);
        }
    }
}

/// Replaces a leading `~` with the home directory (`~user` is left alone).
pub fn expand_home(path: &Path, home: Option<&Path>) -> PathBuf {
    let Some(home) = home else {
        return path.to_path_buf();
    };
    match path.strip_prefix("~") {
        Ok(rest) if rest.as_os_str().is_empty() => home.to_path_buf(),
        Ok(rest) => home.join(rest),
        Err(_) => path.to_path_buf(),
    }
}

/// One step of a path into a TOML document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

pub(crate) fn key(name: &str) -> Seg {
    Seg::Key(name.to_string())
}

/// A TOML file being loaded: its text, its name for messages, and its parsed tree with spans,
/// which is how an error or a later check finds the line and column it is about.
pub(crate) struct Source<'a> {
    path: &'a Path,
    text: &'a str,
    doc: Option<Spanned<DeTable<'a>>>,
}

impl<'a> Source<'a> {
    pub(crate) fn new(path: &'a Path, text: &'a str) -> Self {
        Source {
            path,
            text,
            doc: DeTable::parse(text).ok(),
        }
    }

    /// Deserialises the whole file, turning serde's messages into ones that name the table, the
    /// key, what was expected and the nearest valid key.
    pub(crate) fn deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, ConfigError> {
        toml::from_str(self.text).map_err(|e| self.toml_error(&e))
    }

    fn toml_error(&self, error: &toml::de::Error) -> ConfigError {
        let span = error.span();
        let raw = error.message().trim();
        if self.doc.is_none() {
            return self.error(span, format!("invalid TOML: {}", raw.replace('\n', "; ")));
        }
        let (table, key_name) = self.context(span.as_ref().map_or(0, |s| s.start));
        let table_label = describe_table(&table);
        let message = if let Some(rest) = raw.strip_prefix("unknown field ") {
            let names = backticked(rest);
            let unknown = names.first().cloned().unwrap_or_default();
            let expected = &names[names.len().min(1)..];
            let mut message = format!("unknown key `{unknown}` in {table_label}");
            if expected.is_empty() {
                message.push_str("; this table takes no keys");
            } else {
                message.push_str("; expected one of ");
                message.push_str(&expected.join(", "));
                if let Some(s) = suggest(&unknown, expected.iter().map(String::as_str)) {
                    message.push_str(&format!("; did you mean `{s}`?"));
                }
            }
            message
        } else if let Some(rest) = raw.strip_prefix("missing field ") {
            let name = backticked(rest).into_iter().next().unwrap_or_default();
            format!("missing key `{name}` in {table_label}")
        } else if let Some(rest) = raw.strip_prefix("invalid type: ") {
            let (found, expected) = rest
                .split_once(", expected ")
                .unwrap_or((rest, "another type"));
            let (found, expected) = (toml_words(found), toml_words(expected));
            // No key inside the table: the table itself is of the wrong type, as when
            // `[alertmanager]` is written for the list `[[alertmanager]]`.
            let header = span
                .as_ref()
                .and_then(|r| self.text.get(r.start..))
                .is_some_and(|t| t.starts_with('['));
            let whole = match (&key_name, table.last()) {
                (None, Some(Seg::Key(k))) => Some(k.clone()),
                _ => None,
            };
            match (key_name.as_deref(), whole) {
                (_, Some(k)) if header && found == "a table" && expected == "an array" => format!(
                    "`{k}` is a list of tables: write [[{k}]] (two brackets) for each entry, not [{k}]"
                ),
                (_, Some(k)) => format!(
                    "wrong type for `{k}` in {}: found {found}, expected {expected}",
                    describe_table(&table[..table.len() - 1])
                ),
                (Some(k), None) => format!(
                    "wrong type for `{k}` in {table_label}: found {found}, expected {expected}"
                ),
                (None, None) => {
                    format!("wrong type in {table_label}: found {found}, expected {expected}")
                }
            }
        } else if let Some(rest) = raw.strip_prefix("invalid value: ") {
            format!(
                "invalid value for `{}` in {table_label}: {rest}",
                key_name.as_deref().unwrap_or("?")
            )
        } else {
            match key_name {
                Some(k) => format!("`{k}` in {table_label}: {raw}"),
                None => format!("{table_label}: {raw}"),
            }
        };
        self.error(span, message)
    }

    pub(crate) fn require(&self, ok: bool, at: &[Seg], message: &str) -> Result<(), ConfigError> {
        if ok {
            Ok(())
        } else {
            Err(self.error(self.value_span(at), message.to_string()))
        }
    }

    fn check_url(&self, url: &str, at: &[Seg]) -> Result<(), ConfigError> {
        let ok = (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() > "https://".len()
            && !url.contains(char::is_whitespace);
        self.require(
            ok,
            at,
            &format!("`{url}` is not a URL; expected one that starts with https:// or http://"),
        )
    }

    /// A located error. Without a span (which toml gives for nearly everything), the start of
    /// the file stands in.
    pub(crate) fn error(&self, span: Option<Range<usize>>, message: String) -> ConfigError {
        let span = span.unwrap_or(0..0);
        let start = span.start.min(self.text.len());
        let before = &self.text[..floor_boundary(self.text, start)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        let line_end = self.text[line_start..]
            .find('\n')
            .map_or(self.text.len(), |i| line_start + i);
        let line_text = self.text[line_start..line_end].trim_end_matches('\r');
        let start = floor_boundary(self.text, start);
        let end = floor_boundary(self.text, span.end.clamp(start, line_end));
        // The line goes to a terminal: its controls and bidi overrides are shown, not obeyed
        // (a U+202E in the file reversed the message), and the caret is placed under what is
        // shown.
        let shown = |t: &str| flightdeck_core::sanitize::line(t);
        let pad = shown(&line_text[..(start - line_start).min(line_text.len())])
            .chars()
            .count();
        let width = shown(&self.text[start..end]).chars().count().max(1);
        let gutter = " ".repeat(line.to_string().len());
        let snippet = format!(
            "\n{gutter} |\n{line} | {}\n{gutter} | {}{}",
            shown(line_text),
            " ".repeat(pad),
            "^".repeat(width)
        );
        ConfigError::At {
            location: Location {
                path: self.path.to_path_buf(),
                line,
                column,
            },
            message,
            snippet,
        }
    }

    /// The span of the value at `path`, or of the nearest ancestor that exists.
    pub(crate) fn value_span(&self, path: &[Seg]) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut best = None;
        let mut table = Some(doc.get_ref());
        let mut array: Option<&[Spanned<DeValue<'_>>]> = None;
        for seg in path {
            let next = match (seg, table, array) {
                (Seg::Key(k), Some(t), _) => t.get(k.as_str()),
                (Seg::Index(i), _, Some(a)) => a.get(*i),
                _ => None,
            };
            let Some(value) = next else { break };
            best = Some(value.span());
            table = value.get_ref().as_table();
            array = value.get_ref().as_array().map(|a| &a[..]);
        }
        best
    }

    /// The span of the key at the end of `path` (where an unknown name was written).
    pub(crate) fn key_span(&self, path: &[Seg]) -> Option<Range<usize>> {
        let (Some(Seg::Key(last)), parent) = (path.last(), &path[..path.len().saturating_sub(1)])
        else {
            return self.value_span(path);
        };
        let doc = self.doc.as_ref()?;
        let table = if parent.is_empty() {
            Some(doc.get_ref())
        } else {
            self.value_at(parent).and_then(|v| v.as_table())
        };
        table
            .and_then(|t| t.get_key_value(last.as_str()))
            .map(|(k, _)| k.span())
            .or_else(|| self.value_span(parent))
    }

    fn value_at(&self, path: &[Seg]) -> Option<&DeValue<'a>> {
        let doc = self.doc.as_ref()?;
        let mut current: Option<&DeValue<'a>> = None;
        for seg in path {
            let next = match (seg, current) {
                (Seg::Key(k), None) => doc.get_ref().get(k.as_str()),
                (Seg::Key(k), Some(v)) => v.as_table().and_then(|t| t.get(k.as_str())),
                (Seg::Index(i), Some(v)) => v.as_array().and_then(|a| a.get(*i)),
                (Seg::Index(_), None) => None,
            };
            current = Some(next?.get_ref());
        }
        current
    }

    /// The table that holds `offset`, and the key whose name or value is there.
    fn context(&self, offset: usize) -> (Vec<Seg>, Option<String>) {
        let mut path = Vec::new();
        let Some(doc) = &self.doc else {
            return (path, None);
        };
        let mut key_name = None;
        let mut table = doc.get_ref();
        loop {
            let hit = table.iter().find(|(k, v)| {
                k.span().contains(&offset)
                    || v.span().contains(&offset)
                    || contains_nested(v, offset)
            });
            let Some((k, v)) = hit else { break };
            key_name = Some(k.get_ref().to_string());
            if k.span().contains(&offset) {
                break;
            }
            match v.get_ref() {
                DeValue::Table(t) => {
                    path.push(Seg::Key(k.get_ref().to_string()));
                    key_name = None;
                    table = t;
                }
                DeValue::Array(items) => {
                    let entry = items.iter().enumerate().find(|(_, item)| {
                        item.span().contains(&offset) || contains_nested(item, offset)
                    });
                    match entry {
                        Some((i, item)) if item.get_ref().is_table() => {
                            path.push(Seg::Key(k.get_ref().to_string()));
                            path.push(Seg::Index(i));
                            key_name = None;
                            match item.get_ref().as_table() {
                                Some(t) => table = t,
                                None => break,
                            }
                        }
                        _ => break,
                    }
                }
                _ => break,
            }
        }
        (path, key_name)
    }
}

/// Whether a table's or array's contents reach `offset`: a `[section]` header's span does not
/// cover the keys written under it.
fn contains_nested(value: &Spanned<DeValue<'_>>, offset: usize) -> bool {
    match value.get_ref() {
        DeValue::Table(t) => t.iter().any(|(k, v)| {
            k.span().contains(&offset) || v.span().contains(&offset) || contains_nested(v, offset)
        }),
        DeValue::Array(a) => a
            .iter()
            .any(|v| v.span().contains(&offset) || contains_nested(v, offset)),
        _ => false,
    }
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `[general]`, `[[services]] entry 2`, `[catalog.backstage]`, or `the top level`.
fn describe_table(path: &[Seg]) -> String {
    if path.is_empty() {
        return "the top level".into();
    }
    let mut label = String::new();
    let mut entry = None;
    for seg in path {
        match seg {
            Seg::Key(k) => {
                if !label.is_empty() {
                    label.push('.');
                }
                label.push_str(k);
            }
            Seg::Index(i) => entry = Some(*i),
        }
    }
    match entry {
        Some(i) => format!("[[{label}]] entry {}", i + 1),
        None => format!("[{label}]"),
    }
}

/// serde's data-model words in TOML's terms, for a reader who only knows the file.
fn toml_words(text: &str) -> String {
    if text.starts_with("struct ") || text == "map" || text == "a map" {
        return "a table".into();
    }
    match text {
        "sequence" | "a sequence" => "an array".into(),
        _ => text.to_string(),
    }
}

/// The words quoted in backticks, in order: serde lists field names that way.
fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::cli(Some("/etc/fd.toml"), Some("/env.toml"), "/etc/fd.toml", Origin::Cli)]
    #[case::env(None, Some("/env.toml"), "/env.toml", Origin::Env)]
    #[case::empty_env_is_unset(
        None,
        Some(""),
        "/home/u/.config/flightdeck/config.toml",
        Origin::Default
    )]
    #[case::default(None, None, "/home/u/.config/flightdeck/config.toml", Origin::Default)]
    fn locate_prefers_cli_then_env_then_default(
        #[case] cli: Option<&str>,
        #[case] env: Option<&str>,
        #[case] expected: &str,
        #[case] origin: Origin,
    ) {
        let located = locate_with(
            cli.map(Path::new),
            |name| {
                (name == CONFIG_ENV)
                    .then(|| env.map(str::to_string))
                    .flatten()
            },
            Some(PathBuf::from("/home/u/.config/flightdeck")),
        );
        assert_eq!(
            located,
            Located {
                path: PathBuf::from(expected),
                origin
            }
        );
    }

    #[test]
    fn an_empty_file_is_the_defaults() {
        let loaded = load_str("", Path::new("/c/config.toml"), None).expect("empty is valid");
        assert_eq!(loaded.config, Config::default());
        assert_eq!(loaded.config.general.snapshot_interval_secs, 300);
        assert!(loaded.config.catalog.current_repo);
    }

    #[test]
    fn paths_are_expanded_and_anchored_beside_the_config() {
        let text = r#"
            [general]
            log_file = "logs/fd.log"
            [catalog]
            paths = ["~/src/*/catalog-info.yaml", "/abs/catalog-info.yaml"]
            [kubernetes]
            kubeconfig = "~"
        "#;
        let loaded = load_str(
            text,
            Path::new("/c/config.toml"),
            Some(Path::new("/home/u")),
        )
        .expect("valid");
        assert_eq!(
            loaded.config.catalog.paths,
            ["/home/u/src/*/catalog-info.yaml", "/abs/catalog-info.yaml"]
        );
        assert_eq!(
            loaded.config.general.log_file,
            Some(PathBuf::from("/c/logs/fd.log"))
        );
        assert_eq!(
            loaded.config.kubernetes.and_then(|k| k.kubeconfig),
            Some(PathBuf::from("/home/u"))
        );
    }

    #[rstest]
    #[case::string_for_array("[keys]\nquit = \"q\"\n", "found string \"q\", expected an array")]
    #[case::integer_for_table("general = 3\n", "found integer `3`, expected a table")]
    #[case::table_for_array("[catalog]\npaths = { a = 1 }\n", "found a table, expected an array")]
    fn type_errors_use_tomls_words(#[case] text: &str, #[case] expected: &str) {
        let err = load_str(text, Path::new("c.toml"), None).expect_err("wrong type");
        assert!(err.to_string().contains(expected), "{err}");
    }

    /// Issue 20: a config file with invalid UTF-8 gave no line or column.
    #[test]
    fn a_file_that_is_not_utf8_says_where() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let path = dir.path().join("c.toml");
        std::fs::write(&path, b"[general]\ntheme = \"d\xffrk\"\n").expect("written");
        let text = load(&path).expect_err("not UTF-8").to_string();
        assert!(
            text.contains("c.toml:2:11: the file is not UTF-8"),
            "{text}"
        );
        assert!(text.contains("0xff"), "{text}");
    }

    /// Issue 20: `[alertmanager]` written as a single table said "wrong type for `?`".
    #[test]
    fn a_table_where_a_list_of_tables_belongs_names_the_key_and_the_form() {
        let err = load_str(
            "[alertmanager]\nname = \"prod\"\nurl = \"http://am:9093\"\n",
            Path::new("c.toml"),
            None,
        )
        .expect_err("one table is not a list of them");
        let text = err.to_string();
        assert!(text.contains("c.toml:1:"), "{text}");
        assert!(
            text.contains("`alertmanager` is a list of tables: write [[alertmanager]]"),
            "{text}"
        );
        assert!(!text.contains('?'), "{text}");
    }

    #[test]
    fn the_snippet_points_at_the_offending_text() {
        let err = load_str(
            "[general]\nread_only = \"yes\"\n",
            Path::new("c.toml"),
            None,
        )
        .expect_err("a string is not a bool");
        let text = err.to_string();
        assert!(
            text.contains("c.toml:2:13: wrong type for `read_only` in [general]"),
            "{text}"
        );
        assert!(
            text.ends_with("2 | read_only = \"yes\"\n  |             ^^^^^"),
            "{text}"
        );
    }

    /// Found by the config property test: the snippet quoted the line raw, so a bidi override
    /// in the file reached the terminal and reversed the message.
    #[test]
    fn the_snippet_shows_controls_and_keeps_the_caret_under_them() {
        let err = load_str(
            "[general]\nme = \"\u{202e}x\"\nread_only = \"\u{202e}\"\n",
            Path::new("c.toml"),
            None,
        )
        .expect_err("a string is not a bool");
        let text = err.to_string();
        assert!(!text.contains('\u{202e}'), "{text:?}");
        assert!(
            text.ends_with("3 | read_only = \"<U+202E>\"\n  |             ^^^^^^^^^^"),
            "{text}"
        );
    }
}
