//! Where GitHub's token comes from: the configured command, the environment, or the `gh` CLI's
//! login for the same host.

use crate::config::GithubSource;
use crate::providers::http;

/// The host gh keys its `hosts.yml` by, from the API URL: `github.com` for api.github.com,
/// else the URL's host (GitHub Enterprise Server).
pub fn gh_host(api_url: &str) -> String {
    let rest = api_url.split_once("://").map_or(api_url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    if host == "api.github.com" {
        "github.com".into()
    } else {
        host.to_string()
    }
}

/// A token from the environment (`token_env`, `GH_TOKEN`, `GITHUB_TOKEN`, and gh's enterprise
/// variables for other hosts), else from gh's `hosts.yml` for the host.
pub fn token_without_command(
    source: &GithubSource,
    env: &dyn Fn(&str) -> Option<String>,
    hosts_yml: Option<&str>,
) -> Option<String> {
    let host = gh_host(&source.api_url);
    let mut names: Vec<&str> = source.token_env.as_deref().into_iter().collect();
    // As gh does: GH_TOKEN is for github.com only, so a github.com token is never sent to an
    // Enterprise host (or to the demo's sim on 127.0.0.1).
    if host == "github.com" {
        names.extend(["GH_TOKEN", "GITHUB_TOKEN"]);
    } else {
        names.extend(["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"]);
    }
    if let Some(t) = http::token_from_env(&names, env) {
        return Some(t);
    }
    let doc: serde_norway::Value = serde_norway::from_str(hosts_yml?).ok()?;
    let token = doc.get(host.as_str())?.get("oauth_token")?.as_str()?.trim();
    (!token.is_empty()).then(|| token.to_string())
}

/// Where gh keeps `hosts.yml`.
pub(crate) fn gh_hosts_path(env: &dyn Fn(&str) -> Option<String>) -> Option<std::path::PathBuf> {
    if let Some(dir) = env("GH_CONFIG_DIR") {
        return Some(std::path::PathBuf::from(dir).join("hosts.yml"));
    }
    if let Some(dir) = env("XDG_CONFIG_HOME") {
        return Some(std::path::PathBuf::from(dir).join("gh/hosts.yml"));
    }
    env("HOME").map(|h| std::path::PathBuf::from(h).join(".config/gh/hosts.yml"))
}

/// The token to use, or `None` to go unauthenticated (public repositories, 60 requests an
/// hour). Never logged or shown.
pub async fn resolve_token(source: &GithubSource) -> Result<Option<String>, String> {
    let env = |k: &str| std::env::var(k).ok();
    let hosts = gh_hosts_path(&env).and_then(|p| std::fs::read_to_string(p).ok());
    if let Some(t) = token_without_command(source, &env, hosts.as_deref()) {
        return Ok(Some(t));
    }
    match &source.token_command {
        Some(cmd) => http::token_from_command(cmd).await.map(Some),
        None => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_come_from_the_environment_then_gh() {
        let source = GithubSource::default();
        let env = |k: &str| (k == "GITHUB_TOKEN").then(|| "from-env".to_string());
        assert_eq!(
            token_without_command(&source, &env, None).as_deref(),
            Some("from-env")
        );
        let none = |_: &str| None;
        let hosts = "github.com:\n  user: jdoe\n  oauth_token: from-gh\n  git_protocol: https\n";
        assert_eq!(
            token_without_command(&source, &none, Some(hosts)).as_deref(),
            Some("from-gh")
        );
        let ghes = GithubSource {
            api_url: "https://ghe.acme.example/api/v3".into(),
            ..GithubSource::default()
        };
        assert_eq!(
            token_without_command(&ghes, &none, Some(hosts)),
            None,
            "another host's token is not used"
        );
        let configured = GithubSource {
            token_env: Some("ACME_GH".into()),
            ..GithubSource::default()
        };
        let both = |k: &str| match k {
            "ACME_GH" => Some("configured".to_string()),
            "GH_TOKEN" => Some("generic".to_string()),
            _ => None,
        };
        assert_eq!(
            token_without_command(&configured, &both, None).as_deref(),
            Some("configured")
        );
        assert_eq!(
            token_without_command(&ghes, &both, None),
            None,
            "a github.com token is never sent to another host"
        );
    }

    #[test]
    fn gh_hosts_are_named_like_gh_names_them() {
        assert_eq!(gh_host("https://api.github.com"), "github.com");
        assert_eq!(
            gh_host("https://ghe.acme.example/api/v3"),
            "ghe.acme.example"
        );
        assert_eq!(gh_host("http://127.0.0.1:8080"), "127.0.0.1:8080");
    }
}
