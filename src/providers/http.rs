//! One HTTP setup for the providers: the client (timeouts, user agent, TLS provider), what a
//! failed answer means (rate limits, `retry-after`, server errors, malformed bodies) and how
//! long to wait before trying again. Providers share it so they all behave alike toward the
//! servers they poll and all explain failures in the same words.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use flightdeck_core::sanitize;

/// Sent with every request; servers (GitHub among them) require one.
pub const USER_AGENT: &str = concat!("flightdeck/", env!("CARGO_PKG_VERSION"));
/// How long to wait for a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole request may take, body included: a server that hangs costs this, then
/// its source says so and the last data stays on screen.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// When a rate-limited answer says neither when to retry nor when the limit resets, wait at
/// least this long (GitHub's guidance: one minute, then back off).
pub const DEFAULT_LIMIT_WAIT: Duration = Duration::from_secs(60);

/// A reqwest client with the shared timeouts and user agent.
pub fn client(timeout: Duration) -> Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(CONNECT_TIMEOUT))
        .user_agent(USER_AGENT)
        .build()
        .map_err(|e| format!("cannot build an HTTP client: {e}"))
}

/// How requests to one API authenticate.
#[derive(Clone)]
pub enum Auth {
    None,
    Bearer(String),
    Basic {
        user: String,
        password: Option<String>,
    },
}

impl std::fmt::Debug for Auth {
    /// Never prints the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::None => f.write_str("none"),
            Auth::Bearer(_) => f.write_str("bearer <redacted>"),
            Auth::Basic { user, .. } => write!(f, "basic {user}:<redacted>"),
        }
    }
}

/// The credential a source names, in the one order every provider keeps (the variable the
/// config names, then its command; see `resolve_token`), else basic auth; every HTTP source
/// whose config offers `token_env`, `token_command` or basic auth reads it here.
pub async fn credentials(
    token_env: Option<&str>,
    token_command: Option<&str>,
    basic_auth_user: Option<&str>,
    basic_auth_password_env: Option<&str>,
) -> Result<Auth, String> {
    let names: Vec<&str> = token_env.into_iter().collect();
    match resolve_token(&names, token_command).await? {
        Some(token) => return Ok(Auth::Bearer(token)),
        None => {
            if let Some(var) = token_env {
                return Err(format!(
                    "the environment variable {var} (token_env) is not set"
                ));
            }
        }
    }
    if let Some(user) = basic_auth_user {
        let password = match basic_auth_password_env {
            Some(var) => Some(std::env::var(var).map_err(|_| {
                format!("the environment variable {var} (basic_auth_password_env) is not set")
            })?),
            None => None,
        };
        return Ok(Auth::Basic {
            user: user.to_string(),
            password,
        });
    }
    Ok(Auth::None)
}

/// One API server as its clients (Alertmanager, Prometheus) reach it: the base URL, the shared
/// client and the credential, which goes only to this base URL.
#[derive(Debug, Clone)]
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub auth: Auth,
    pub timeout: Duration,
}

impl Api {
    pub fn new(url: &str, auth: Auth, timeout: Duration) -> Result<Self, String> {
        Ok(Self {
            base: url.trim_end_matches('/').to_string(),
            http: client(timeout)?,
            auth,
            timeout,
        })
    }

    /// A request to `path` (with its query, if any) under the base URL, authenticated.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let req = self.http.request(method, format!("{}{path}", self.base));
        match &self.auth {
            Auth::None => req,
            Auth::Bearer(token) => req.bearer_auth(token),
            Auth::Basic { user, password } => req.basic_auth(user, password.as_ref()),
        }
    }
}

/// Exponential backoff between tries of a failing source: `base`, twice that, four times,
/// up to `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The wait after `failures` failures in a row (the first failure waits `base`).
    pub fn delay(&self, failures: u32) -> Duration {
        let factor = 1u32 << failures.saturating_sub(1).min(10);
        self.base
            .saturating_mul(factor)
            .min(self.max.max(self.base))
    }
}

/// A server's rate-limit budget, from `x-ratelimit-*` (GitHub) or `ratelimit-*` (GitLab).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub limit: u64,
    pub remaining: u64,
    /// Unix seconds, in the server's clock.
    pub reset: i64,
}

impl RateLimit {
    pub fn from_headers(h: &HeaderMap) -> Option<Self> {
        let num = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| header_str(h, n)?.trim().parse::<i64>().ok())
        };
        Some(Self {
            limit: num(&["x-ratelimit-limit", "ratelimit-limit"])?.max(0) as u64,
            remaining: num(&["x-ratelimit-remaining", "ratelimit-remaining"])?.max(0) as u64,
            reset: num(&["x-ratelimit-reset", "ratelimit-reset"]).unwrap_or(0),
        })
    }

    /// `4870/5000`, as the status bar shows it.
    pub fn label(&self) -> String {
        format!("{}/{}", self.remaining, self.limit)
    }
}

fn header_str<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).and_then(|v| v.to_str().ok())
}

/// The server's clock (`Date`), so waits computed from its reset times do not depend on ours.
pub fn server_now(h: &HeaderMap) -> Option<DateTime<Utc>> {
    let date = header_str(h, "date")?;
    DateTime::parse_from_rfc2822(date.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

/// `retry-after`, in seconds or as an HTTP date.
pub fn retry_after(h: &HeaderMap) -> Option<Duration> {
    let v = header_str(h, "retry-after")?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = DateTime::parse_from_rfc2822(v).ok()?.with_timezone(&Utc);
    let now = server_now(h)?;
    Some((at - now).to_std().unwrap_or(Duration::ZERO))
}

/// Why a request failed, in terms of what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Rate limited: wait this long before sending anything more to this server.
    Limited {
        wait: Duration,
        primary: bool,
        message: String,
    },
    /// The server answered with an error.
    Status {
        code: u16,
        message: String,
    },
    /// No answer in time.
    Timeout(Duration),
    /// No connection, or it broke: what happened, in words (`connection refused by …`).
    Connect(String),
    /// An answer that is not what the API documents.
    Malformed(String),
    /// Refused before sending (read-only mode, a bad token).
    Refused(String),
    Other(String),
}

impl Failure {
    /// One line a person can act on; `what` names the call (`acme/pay runs`).
    pub fn describe(&self, what: &str) -> String {
        match self {
            Failure::Limited { primary: true, .. } => format!("{what}: rate limit exhausted"),
            Failure::Limited { wait, .. } => {
                format!("{what}: secondary rate limit, waiting {}s", wait.as_secs())
            }
            Failure::Status { code, message } if message.is_empty() => {
                format!("{what}: HTTP {code}")
            }
            Failure::Status { code, message } => format!("{what}: HTTP {code}: {message}"),
            Failure::Timeout(d) => format!("{what}: no answer within {}s", d.as_secs()),
            Failure::Connect(why) => format!("{what}: {why}"),
            Failure::Malformed(e) => format!("{what}: malformed answer ({e})"),
            Failure::Refused(why) => format!("{what}: {why}"),
            Failure::Other(e) => format!("{what}: {e}"),
        }
    }

    /// From a reqwest error, with the host's URL to name on a failed connection.
    pub fn from_reqwest(e: &reqwest::Error, base: &str, timeout: Duration) -> Self {
        // reqwest calls every failure to read a body a decode error, a deadline or a reset
        // half-way through included; only the JSON parser's complaint means a malformed answer.
        let unparsable = std::error::Error::source(e).is_some_and(|s| s.is::<serde_json::Error>());
        if e.is_decode() && unparsable {
            return Failure::Malformed(sanitize::excerpt(&e.to_string(), 120));
        }
        Self::from_transport(e, base, timeout)
    }

    /// What went wrong on the way to a server, read from the error's chain of causes by their
    /// types and one-line texts: refused, reset, DNS, TLS or timeout. Never by `{:?}`: some
    /// errors (octocrab's) carry a backtrace whose Debug form resolves symbols, loading the
    /// binary's debug info on the first failure (resident memory went from ~31 to ~213 MB).
    pub fn from_transport(
        e: &(dyn std::error::Error + 'static),
        base: &str,
        timeout: Duration,
    ) -> Self {
        let base = sanitize::line(base);
        let mut texts = String::new();
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
        while let Some(c) = cause {
            // rustls' complaints ("received corrupt message of type InvalidContentType" from
            // a plain-HTTP port) name no TLS word.
            if holds_rustls(c) {
                return Failure::Connect(format!("TLS with {base} failed"));
            }
            if let Some(io) = c.downcast_ref::<std::io::Error>() {
                use std::io::ErrorKind as K;
                match io.kind() {
                    K::ConnectionRefused => {
                        return Failure::Connect(format!("connection refused by {base}"));
                    }
                    K::ConnectionReset
                    | K::ConnectionAborted
                    | K::BrokenPipe
                    | K::UnexpectedEof => {
                        return Failure::Connect(format!("connection reset by {base}"));
                    }
                    K::TimedOut => return Failure::Timeout(timeout),
                    _ => {}
                }
            }
            if c.downcast_ref::<reqwest::Error>()
                .is_some_and(|r| r.is_timeout())
            {
                return Failure::Timeout(timeout);
            }
            texts.push_str(&c.to_string().to_lowercase());
            texts.push('\n');
            cause = c.source();
        }
        let has = |words: &[&str]| words.iter().any(|w| texts.contains(w));
        if has(&[
            "dns error",
            "failed to lookup",
            "name or service not known",
            "no such host",
        ]) {
            Failure::Connect(format!("DNS: cannot resolve the host of {base}"))
        } else if has(&["certificate", "tls", "handshake", "ssl"]) {
            Failure::Connect(format!("TLS with {base} failed"))
        } else if has(&["timed out", "timeout", "deadline has elapsed"]) {
            Failure::Timeout(timeout)
        } else if has(&[
            "connection reset",
            "connection closed",
            "incomplete message",
            "broken pipe",
        ]) {
            Failure::Connect(format!("connection reset by {base}"))
        } else if has(&["connection refused"]) {
            Failure::Connect(format!("connection refused by {base}"))
        } else if has(&["connect"]) {
            Failure::Connect(format!("cannot connect to {base}"))
        } else if has(&["decod", "body", "utf"]) {
            Failure::Malformed(sanitize::excerpt(&e.to_string(), 120))
        } else {
            Failure::Other(sanitize::excerpt(&e.to_string(), 120))
        }
    }
}

/// Whether `e` is a rustls error or wraps one in io::Errors: an io::Error's `source` skips
/// the error it wraps, and connectors wrap io::Errors in io::Errors.
fn holds_rustls(mut e: &(dyn std::error::Error + 'static)) -> bool {
    loop {
        if e.is::<rustls::Error>() {
            return true;
        }
        match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => e = inner,
            None => return false,
        }
    }
}

/// Why an answer could not be decoded, without its values: serde's messages quote the value
/// they did not expect (`invalid type: string "https://hooks…/secret"`), which can be a secret.
pub fn decode_error(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let kind = match e.classify() {
        Category::Io => "unreadable",
        Category::Syntax => "not JSON",
        Category::Data => "a field of the wrong type or missing",
        Category::Eof => "cut short",
    };
    format!("{kind} at line {} column {}", e.line(), e.column())
}

/// What a non-success answer means. `None` for a success (2xx, 3xx, 304).
pub fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> Option<Failure> {
    if status.is_success() || status.is_redirection() {
        return None;
    }
    let message = error_message(body);
    if status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS {
        if let Some(wait) = retry_after(headers) {
            return Some(Failure::Limited {
                wait,
                primary: false,
                message,
            });
        }
        if let Some(limit) = RateLimit::from_headers(headers).filter(|l| l.remaining == 0) {
            let now = server_now(headers).map_or_else(|| Utc::now().timestamp(), |d| d.timestamp());
            let wait = Duration::from_secs(limit.reset.saturating_sub(now).max(1) as u64);
            return Some(Failure::Limited {
                wait,
                primary: true,
                message,
            });
        }
        if status == StatusCode::TOO_MANY_REQUESTS || message.to_lowercase().contains("rate limit")
        {
            return Some(Failure::Limited {
                wait: DEFAULT_LIMIT_WAIT,
                primary: false,
                message,
            });
        }
    }
    Some(Failure::Status {
        code: status.as_u16(),
        message,
    })
}

/// The `message` of a JSON error body (GitHub, GitLab), else the start of the body, sanitised.
fn error_message(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let from_json = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| match v.get("message") {
            Some(serde_json::Value::String(s)) => Some(s.clone()),
            Some(other) => Some(other.to_string()),
            None => v.get("error").and_then(|e| e.as_str()).map(str::to_string),
        });
    let raw = from_json.unwrap_or_else(|| text.trim().chars().take(120).collect());
    let first = raw.lines().next().unwrap_or_default();
    sanitize::line(first.trim())
}

/// Runs `f`, giving up after `timeout`: the one guard against a server that never answers,
/// whatever client the provider uses.
pub async fn bounded<T>(
    timeout: Duration,
    f: impl std::future::Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    tokio::time::timeout(timeout, f)
        .await
        .unwrap_or(Err(Failure::Timeout(timeout)))
}

/// The first of the environment variables `names` that is set and not empty, trimmed. `env`
/// reads a variable (the process environment outside tests).
pub fn token_from_env(names: &[&str], env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    names.iter().find_map(|n| {
        env(n)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    })
}

/// The one order every provider reads its secret in (docs/configuration.md, "Secrets"): the
/// environment variables `names` (the one `token_env` names first, then the provider's
/// defaults for its own host), then `token_command`, else none. GitHub looks in gh's login
/// store for the same host between the two.
pub async fn resolve_token(
    names: &[&str],
    command: Option<&str>,
) -> Result<Option<String>, String> {
    let env = |k: &str| std::env::var(k).ok();
    if let Some(t) = token_from_env(names, &env) {
        return Ok(Some(t));
    }
    match command {
        Some(cmd) => token_from_command(cmd).await.map(Some),
        None => Ok(None),
    }
}

/// Reads a token from a configured command's standard output (a password manager, `gh auth
/// token`). Its output is never logged; its error output is, as the reason it failed.
pub async fn token_from_command(command: &str) -> Result<String, String> {
    let out = bounded(REQUEST_TIMEOUT, async {
        tokio::process::Command::new("sh")
            .arg("-c")
            .arg(command)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output()
            .await
            .map_err(|e| Failure::Other(format!("cannot run the token command: {e}")))
    })
    .await
    .map_err(|f| f.describe("token_command"))?;
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!(
            "token_command failed ({}): {}",
            out.status,
            sanitize::line(err.lines().next().unwrap_or_default())
        ));
    }
    let token = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if token.is_empty() {
        return Err("token_command printed nothing".into());
    }
    Ok(token)
}

/// A token fit for an HTTP header: visible ASCII only, so it cannot break the request (and a
/// client that parses it into a header cannot panic on it).
pub fn check_token(token: &str) -> Result<(), String> {
    if !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err("the token has characters a header cannot carry".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use rstest::rstest;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("valid"));
        }
        h
    }

    #[rstest]
    #[case::first(1, 2)]
    #[case::second(2, 4)]
    #[case::capped(9, 60)]
    fn backoff_doubles_up_to_its_cap(#[case] failures: u32, #[case] secs: u64) {
        let b = Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_secs(60),
        };
        assert_eq!(b.delay(failures), Duration::from_secs(secs));
    }

    #[test]
    fn primary_limits_wait_for_the_reset_in_the_servers_clock() {
        let h = headers(&[
            ("x-ratelimit-limit", "5000"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "1772438500"),
            ("date", "Mon, 02 Mar 2026 08:00:00 GMT"),
        ]);
        let f = classify(
            StatusCode::FORBIDDEN,
            &h,
            br#"{"message":"API rate limit exceeded"}"#,
        );
        assert_eq!(
            f,
            Some(Failure::Limited {
                wait: Duration::from_secs(1_772_438_500 - 1_772_438_400),
                primary: true,
                message: "API rate limit exceeded".into()
            })
        );
    }

    #[rstest]
    #[case::retry_after(StatusCode::FORBIDDEN, &[("retry-after", "30")], "{}", Some(30))]
    #[case::too_many_without_headers(StatusCode::TOO_MANY_REQUESTS, &[], "", Some(60))]
    #[case::forbidden_is_not_a_limit(StatusCode::FORBIDDEN, &[("x-ratelimit-remaining", "10"), ("x-ratelimit-limit", "60")], r#"{"message":"Resource not accessible"}"#, None)]
    fn limits_are_told_from_refusals(
        #[case] status: StatusCode,
        #[case] pairs: &[(&'static str, &str)],
        #[case] body: &str,
        #[case] wait: Option<u64>,
    ) {
        match classify(status, &headers(pairs), body.as_bytes()) {
            Some(Failure::Limited { wait: w, .. }) => assert_eq!(Some(w.as_secs()), wait),
            Some(Failure::Status { code, message }) => {
                assert!(wait.is_none());
                assert_eq!(code, 403);
                assert_eq!(message, "Resource not accessible");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn error_bodies_are_sanitised_and_kept_short() {
        let f = classify(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            "<html>\u{1b}]0;pwned\u{7}bad\ngateway".as_bytes(),
        );
        let Some(Failure::Status { code: 502, message }) = f else {
            panic!("a status failure")
        };
        assert!(!message.contains('\u{1b}'));
        assert!(
            !message.contains("gateway"),
            "only the first line: {message}"
        );
    }

    #[test]
    fn tokens_must_fit_a_header() {
        assert!(check_token("ghp_abc123").is_ok());
        assert!(check_token("a b").is_err());
        assert!(check_token("tok\n").is_err());
        assert!(check_token("").is_err());
    }
}
