//! `flightdeck metrics --json` against the sim agrees exactly with DORA's metrics computed here
//! by separate, straightforward code from the sim's own REST answers read with a plain HTTP
//! client; and a second run with the disk cache asks GitHub for much less.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use flightdeck_sim::world::CiHost;
use flightdeck_sim::{Sim, SimConfig};

/// One production deployment as the REST answers give it.
#[derive(Debug, Clone)]
struct Dep {
    sha: String,
    created: DateTime<Utc>,
    /// Last final status and its time.
    end: Option<(String, DateTime<Utc>)>,
    /// (committer date, title, labels) of the commits it brought.
    commits: Vec<(DateTime<Utc>, String, Vec<String>)>,
}

async fn get(client: &reqwest::Client, url: &str) -> Value {
    let res = client
        .get(url)
        .header("authorization", "Bearer test")
        .send()
        .await
        .expect("the sim answers");
    assert!(res.status().is_success(), "{url}: {}", res.status());
    res.json().await.expect("JSON")
}

/// A GET to the sim's Jira or PagerDuty with the authorization they take.
async fn get_as(client: &reqwest::Client, url: &str, auth: &str) -> Value {
    let res = client
        .get(url)
        .header("authorization", auth)
        .send()
        .await
        .expect("the sim answers");
    assert!(res.status().is_success(), "{url}: {}", res.status());
    res.json().await.expect("JSON")
}

/// Basic base64("jdoe@acme.example:flightdeck-sim-token"), as the sim's config sends to Jira.
const JIRA_AUTH: &str = "Basic amRvZUBhY21lLmV4YW1wbGU6ZmxpZ2h0ZGVjay1zaW0tdG9rZW4=";
const PD_AUTH: &str = "Token token=flightdeck-sim-token";

/// (resolved in `[start, until)`, of those bugs and incidents) of `svc`'s Jira issues (by its
/// project and component) and its PagerDuty incidents, as the sim's REST answers them.
async fn tickets_by_hand(
    client: &reqwest::Client,
    sim: &Sim,
    svc: &flightdeck_sim::world::Service,
    start: DateTime<Utc>,
    until: DateTime<Utc>,
) -> ((usize, usize), (usize, usize)) {
    let jql = flightdeck_core::wire::percent_encode(&format!(
        "project = {} AND component = {} AND statusCategory = Done",
        flightdeck_sim::work::project_key(&svc.owner),
        svc.name
    ));
    let mut jira = Vec::new();
    let mut token = String::new();
    loop {
        let url = format!(
            "{}/rest/api/3/search/jql?jql={jql}&fields=issuetype,labels,resolutiondate&maxResults=100&nextPageToken={token}",
            sim.shared.endpoints.jira
        );
        let page = get_as(client, &url, JIRA_AUTH).await;
        jira.extend(page["issues"].as_array().cloned().unwrap_or_default());
        match page["nextPageToken"].as_str() {
            Some(t) if page["isLast"] != true => token = t.to_string(),
            _ => break,
        }
    }
    let jira_in: Vec<&Value> = jira
        .iter()
        .filter(|i| {
            let at = i["fields"]["resolutiondate"]
                .as_str()
                .and_then(|s| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.3f%z").ok())
                .expect("a resolved issue's resolutiondate")
                .with_timezone(&Utc);
            start <= at && at < until
        })
        .collect();
    let jira_rework = jira_in
        .iter()
        .filter(|i| {
            let f = &i["fields"];
            matches!(f["issuetype"]["name"].as_str(), Some("Bug" | "Incident"))
                || f["labels"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|x| x == "bug" || x == "incident"))
        })
        .count();
    let url = format!(
        "{}/incidents?statuses[]=resolved&service_ids[]={}&limit=100",
        sim.shared.endpoints.pagerduty,
        flightdeck_sim::work::service_id(&svc.name)
    );
    let incidents = get_as(client, &url, PD_AUTH).await;
    let pd = incidents["incidents"]
        .as_array()
        .expect("incidents")
        .iter()
        .filter(|i| {
            let at = time(&i["last_status_change_at"]);
            start <= at && at < until
        })
        .count();
    ((jira_in.len(), jira_rework), (pd, pd))
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .expect("an RFC 3339 time")
        .with_timezone(&Utc)
}

/// Every production deployment of `repo`, oldest first, with statuses and brought commits.
async fn deployments(client: &reqwest::Client, base: &str, repo: &str) -> Vec<Dep> {
    let mut raw = Vec::new();
    for page in 1.. {
        let url = format!(
            "{base}/repos/{repo}/deployments?environment=production&per_page=100&page={page}"
        );
        let list = get(client, &url).await;
        let list = list.as_array().expect("a list").clone();
        if list.is_empty() {
            break;
        }
        raw.extend(list);
    }
    let mut out = Vec::new();
    for d in &raw {
        let id = d["id"].as_u64().expect("an id");
        let statuses = get(
            client,
            &format!("{base}/repos/{repo}/deployments/{id}/statuses?per_page=100"),
        )
        .await;
        let end = statuses
            .as_array()
            .expect("a list")
            .iter()
            .find(|s| matches!(s["state"].as_str(), Some("success" | "failure" | "error")))
            .map(|s| {
                (
                    s["state"].as_str().unwrap_or_default().to_string(),
                    time(&s["created_at"]),
                )
            });
        out.push(Dep {
            sha: d["sha"].as_str().unwrap_or_default().to_string(),
            created: time(&d["created_at"]),
            end,
            commits: vec![],
        });
    }
    out.sort_by_key(|d| d.created);
    let mut last_good: Option<String> = None;
    for d in &mut out {
        if d.end.is_none() {
            continue;
        }
        if let Some(b) = &last_good {
            let cmp = get(
                client,
                &format!("{base}/repos/{repo}/compare/{b}...{}", d.sha),
            )
            .await;
            for c in cmp["commits"].as_array().expect("commits") {
                let sha = c["sha"].as_str().unwrap_or_default();
                let pulls = get(client, &format!("{base}/repos/{repo}/commits/{sha}/pulls")).await;
                let labels: Vec<String> = pulls
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|p| !p["merged_at"].is_null())
                    .flat_map(|p| p["labels"].as_array().cloned().unwrap_or_default())
                    .filter_map(|l| l["name"].as_str().map(str::to_string))
                    .collect();
                let title = c["commit"]["message"]
                    .as_str()
                    .unwrap_or_default()
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                d.commits
                    .push((time(&c["commit"]["committer"]["date"]), title, labels));
            }
        }
        if d.end.as_ref().is_some_and(|(s, _)| s == "success") {
            last_good = Some(d.sha.clone());
        }
    }
    out
}

/// Every production deployment of a GitLab project, oldest first, as GitLab's REST gives them:
/// each carries its status (`canceled` is failed, as GitHub's `error`), ended when its job
/// finished; what it brought from the repository compare. No labels: GitLab rework is read
/// from commit titles.
async fn gitlab_deployments(client: &reqwest::Client, api: &str, project: u64) -> Vec<Dep> {
    let mut raw = Vec::new();
    for page in 1.. {
        let url = format!(
            "{api}/projects/{project}/deployments?environment=production&per_page=100&page={page}"
        );
        let list = get(client, &url).await;
        let list = list.as_array().expect("a list").clone();
        if list.is_empty() {
            break;
        }
        raw.extend(list);
    }
    let mut out: Vec<Dep> = raw
        .iter()
        .map(|d| {
            let state = match d["status"].as_str() {
                Some("success") => Some("success"),
                Some("failed") => Some("failure"),
                Some("canceled") => Some("error"),
                _ => None,
            };
            let finished = if d["deployable"]["finished_at"].is_string() {
                &d["deployable"]["finished_at"]
            } else {
                &d["updated_at"]
            };
            Dep {
                sha: d["sha"].as_str().unwrap_or_default().to_string(),
                created: time(&d["created_at"]),
                end: state.map(|s| (s.to_string(), time(finished))),
                commits: vec![],
            }
        })
        .collect();
    out.sort_by_key(|d| d.created);
    let mut last_good: Option<String> = None;
    for d in &mut out {
        if d.end.is_none() {
            continue;
        }
        if let Some(b) = &last_good {
            let cmp = get(
                client,
                &format!(
                    "{api}/projects/{project}/repository/compare?from={b}&to={}",
                    d.sha
                ),
            )
            .await;
            for c in cmp["commits"].as_array().expect("commits") {
                let title = c["title"].as_str().unwrap_or_default().to_string();
                d.commits.push((time(&c["committed_date"]), title, vec![]));
            }
        }
        if d.end.as_ref().is_some_and(|(s, _)| s == "success") {
            last_good = Some(d.sha.clone());
        }
    }
    out
}

fn nearest_rank(mut v: Vec<i64>, p: usize) -> Option<i64> {
    v.sort();
    if v.is_empty() {
        return None;
    }
    let rank = ((v.len() * p) as f64 / 100.0).ceil().max(1.0) as usize;
    Some(v[rank - 1])
}

/// The metrics of one service's window, by the definitions in docs/metrics.md.
fn by_hand(
    deps: &[Dep],
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> BTreeMap<&'static str, Value> {
    let ok = |d: &Dep| d.end.as_ref().is_some_and(|(s, _)| s == "success");
    let n = deps.len();
    let mut failed = vec![false; n];
    for i in 0..n {
        let Some((state, _)) = &deps[i].end else {
            continue;
        };
        let earlier_live: BTreeSet<&str> = deps[..i]
            .iter()
            .filter(|d| ok(d))
            .map(|d| d.sha.as_str())
            .collect();
        let rolled_back = deps.get(i + 1).is_some_and(|next| {
            ok(next) && next.sha != deps[i].sha && earlier_live.contains(next.sha.as_str())
        });
        failed[i] = state != "success" || rolled_back;
    }
    // `(?i)^(revert|hotfix)\b`: the word at the start, then no more word characters.
    let is_fix_title = |t: &str| {
        let lower = t.to_lowercase();
        ["revert", "hotfix"].iter().any(|w| {
            lower.starts_with(w)
                && !lower[w.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_alphanumeric() || c == '_')
        })
    };
    let mut rows = Vec::new();
    let mut successful = 0usize;
    for i in 0..n {
        let d = &deps[i];
        let Some((state, ended)) = &d.end else {
            continue;
        };
        if d.created < start || d.created >= end {
            continue;
        }
        let successes: Vec<&Dep> = deps[..i].iter().filter(|p| ok(p)).collect();
        let rollback = successes
            .last()
            .is_some_and(|live| live.sha != d.sha && successes.iter().any(|p| p.sha == d.sha));
        let fix = d.commits.iter().any(|(_, title, labels)| {
            is_fix_title(title)
                || labels
                    .iter()
                    .any(|l| l.eq_ignore_ascii_case("hotfix") || l.eq_ignore_ascii_case("incident"))
        });
        let after_failure = (0..n).any(|j| {
            failed[j]
                && deps[j].end.as_ref().is_some_and(|(_, at)| {
                    *at <= d.created && d.created - *at <= Duration::hours(24)
                })
        });
        let recovery = failed[i]
            .then(|| {
                (i + 1..n)
                    .find(|&k| ok(&deps[k]) && !failed[k])
                    .and_then(|k| {
                        deps[k]
                            .end
                            .as_ref()
                            .map(|(_, at)| (*at - *ended).num_seconds())
                    })
            })
            .flatten();
        let leads: Vec<i64> = if state == "success" {
            d.commits
                .iter()
                .map(|(at, _, _)| (*ended - *at).num_seconds())
                .collect()
        } else {
            vec![]
        };
        rows.push((failed[i], rollback || fix || after_failure, recovery, leads));
        successful += usize::from(state == "success");
    }
    // Deployment frequency: successful deployments over the window's days.
    let days = (end - start).num_seconds() as f64 / 86_400.0;
    let total = rows.len();
    let failures = rows.iter().filter(|r| r.0).count();
    let rework = rows.iter().filter(|r| r.1).count();
    let leads: Vec<i64> = rows.iter().flat_map(|r| r.3.clone()).collect();
    let recoveries: Vec<i64> = rows.iter().filter_map(|r| r.2).collect();
    let rate = |k: usize| (total > 0).then(|| k as f64 / total as f64);
    BTreeMap::from([
        ("deployments", Value::from(total)),
        ("successful_deployments", Value::from(successful)),
        (
            "deployments_per_day",
            serde_json::json!(successful as f64 / days),
        ),
        (
            "deployments_per_week",
            serde_json::json!(successful as f64 * 7.0 / days),
        ),
        ("failed_deployments", Value::from(failures)),
        ("change_failure_rate", serde_json::json!(rate(failures))),
        (
            "lead_time_median_secs",
            serde_json::json!(nearest_rank(leads.clone(), 50)),
        ),
        (
            "lead_time_p90_secs",
            serde_json::json!(nearest_rank(leads, 90)),
        ),
        (
            "recovery_time_median_secs",
            serde_json::json!(nearest_rank(recoveries, 50)),
        ),
        ("rework_deployments", Value::from(rework)),
        ("rework_rate", serde_json::json!(rate(rework))),
    ])
}

fn metrics_bin(config: &std::path::Path, home: &std::path::Path, until: &str) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_flightdeck"))
        .arg("--config")
        .arg(config)
        .args(["metrics", "--json", "--since", "30d", "--until", until])
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("FLIGHTDECK_CONFIG")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the binary runs");
    assert!(
        out.status.success(),
        "metrics exits 0: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

fn github_requests(sim: &Sim) -> u64 {
    sim.shared
        .stats
        .rows()
        .iter()
        .filter(|r| r.key.service == "github")
        .map(|r| r.count)
        .sum()
}

/// The sim's count of history requests by kind: REST deployment lists, statuses, compares and
/// commit→pull lookups, and the history's GraphQL queries by operation.
fn history_requests(sim: &Sim) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for r in sim.shared.stats.rows() {
        let e = r.key.endpoint.as_str();
        let kind = if let Some(op) = e.strip_prefix("/graphql ") {
            format!("graphql {op}")
        } else if e.ends_with("/statuses") {
            "statuses".into()
        } else if e.ends_with("/deployments") {
            "deployments".into()
        } else if e.contains("/compare/") {
            "compares".into()
        } else if e.ends_with("/pulls") && e.contains("/commits/") {
            "pulls".into()
        } else {
            continue;
        };
        if r.key.service == "github" {
            *out.entry(kind).or_default() += r.count;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_json_agrees_with_the_sims_rest_answers_for_every_service() {
    // A frozen story: what the sim serves does not move while both sides read it.
    let config = SimConfig {
        speed: 0.0,
        ..SimConfig::default()
    };
    let sim = Sim::start(config).await.expect("the sim starts");
    let until = Utc::now();
    let until_s = until.to_rfc3339_opts(SecondsFormat::Secs, true);
    let until = DateTime::parse_from_rfc3339(&until_s)
        .expect("a time")
        .with_timezone(&Utc);
    let home = tempfile::tempdir().expect("a temp dir");
    // The sim has no secondary limit: the request budget that keeps a cockpit within GitHub's
    // would only make this cold read of every history slow. What is asserted here is the numbers.
    let config_path = home.path().join("flightdeck.toml");
    let text = std::fs::read_to_string(sim.flightdeck_config()).expect("the sim's config");
    std::fs::write(
        &config_path,
        text.replacen(
            "\nrequests_per_sec = 50\n",
            "\nrequests_per_sec = 200\nmax_in_flight = 8\n",
            1,
        ),
    )
    .expect("write the config");

    let before = github_requests(&sim);
    let json = tokio::task::spawn_blocking({
        let (c, h, u) = (
            config_path.clone(),
            home.path().to_path_buf(),
            until_s.clone(),
        );
        move || metrics_bin(&c, &h, &u)
    })
    .await
    .expect("joined");
    let cold = github_requests(&sim) - before;
    // The history is read through GraphQL: deployments with their statuses, and the pull
    // requests behind commits, batched; compares stay REST, one per deployment.
    let kinds = history_requests(&sim);
    eprintln!("cold history requests by kind: {kinds:?}");
    assert!(
        kinds.get("graphql History").is_some_and(|n| *n > 0),
        "{kinds:?}"
    );
    assert!(
        kinds.get("graphql HistoryPulls").is_some_and(|n| *n > 0),
        "{kinds:?}"
    );
    assert_eq!(
        kinds.get("pulls"),
        None,
        "no pull looked up one by one: {kinds:?}"
    );
    // The cockpit's own CI poll reads the newest deployment's statuses per environment; the
    // history reads none one by one (a REST read took one per deployment, 702 here).
    let github_services = sim
        .shared
        .world
        .services
        .iter()
        .filter(|s| s.ci != CiHost::Gitlab)
        .count() as u64;
    assert!(
        kinds.get("statuses").copied().unwrap_or(0) <= 2 * github_services,
        "no statuses read one by one: {kinds:?}"
    );
    let json_warm = tokio::task::spawn_blocking({
        let (c, h, u) = (
            config_path.clone(),
            home.path().to_path_buf(),
            until_s.clone(),
        );
        move || metrics_bin(&c, &h, &u)
    })
    .await
    .expect("joined");
    let warm = github_requests(&sim) - before - cold;
    eprintln!("metrics --since 30d, 12 services: {cold} GitHub requests cold, {warm} warm");
    assert_eq!(
        json["services"], json_warm["services"],
        "the cache changes nothing"
    );
    // A host whose GraphQL refuses (an Enterprise Server without it): the history is read
    // through REST, to the same figures.
    sim.shared.faults.add(flightdeck_sim::control::Fault {
        service: Some("github".into()),
        path_prefix: Some("/graphql".into()),
        kind: flightdeck_sim::control::FaultKind::Status { code: 404 },
        times: None,
    });
    let rest_home = tempfile::tempdir().expect("a temp dir");
    let rest_before = history_requests(&sim);
    let json_rest = tokio::task::spawn_blocking({
        let (c, h, u) = (
            config_path.clone(),
            rest_home.path().to_path_buf(),
            until_s.clone(),
        );
        move || metrics_bin(&c, &h, &u)
    })
    .await
    .expect("joined");
    sim.shared.faults.clear();
    let rest_pulls = history_requests(&sim).get("pulls").copied().unwrap_or(0)
        - rest_before.get("pulls").copied().unwrap_or(0);
    assert!(rest_pulls > 0, "the fallback looked pulls up through REST");
    assert_eq!(
        json["services"], json_rest["services"],
        "REST and GraphQL read the same history"
    );

    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::new();
    let base = &sim.shared.endpoints.github;
    let gitlab_api = format!(
        "{}/api/v4",
        sim.shared
            .endpoints
            .gitlab
            .trim_end_matches('/')
            .trim_end_matches("/api/v4")
    );
    let mut gitlab_rows = 0;
    let services = json["services"].as_array().expect("services");
    let world = &sim.shared.world;
    assert_eq!(services.len(), world.services.len(), "one row per service");
    let start = until - Duration::days(30);
    for svc in &world.services {
        let row = services
            .iter()
            .find(|r| r["name"] == svc.name.as_str())
            .expect("a row per service");
        assert!(row["error"].is_null(), "{}: {}", svc.name, row["error"]);
        let deps = if svc.ci == CiHost::Gitlab {
            gitlab_deployments(&client, &gitlab_api, svc.project_id).await
        } else {
            deployments(&client, base, &svc.repo).await
        };
        let expected = by_hand(&deps, start, until);
        for (field, want) in &expected {
            assert_eq!(
                &row[*field], want,
                "{}: {field} (computed by hand from the REST answers)",
                svc.name
            );
        }
        assert!(
            row["deployments"].as_u64().is_some_and(|n| n > 0),
            "{}: the window has deployments",
            svc.name
        );
        if svc.ci == CiHost::Gitlab {
            // GitLab's issues are not a ticket source.
            gitlab_rows += 1;
            continue;
        }
        // The ticket side of rework: issues (not pull requests) closed in the window, and of
        // those the ones labelled bug or incident.
        let closed = get(
            &client,
            &format!("{base}/repos/{}/issues?state=closed&per_page=100", svc.repo),
        )
        .await;
        let in_window: Vec<&Value> = closed
            .as_array()
            .expect("a list")
            .iter()
            .filter(|i| i["pull_request"].is_null())
            .filter(|i| {
                let at = time(&i["closed_at"]);
                start <= at && at < until
            })
            .collect();
        let rework = in_window
            .iter()
            .filter(|i| {
                i["labels"].as_array().is_some_and(|l| {
                    l.iter()
                        .any(|x| x["name"] == "bug" || x["name"] == "incident")
                })
            })
            .count();
        let github = &row["ticket_rework"]["sources"]["github"];
        assert_eq!(
            github["resolved"],
            in_window.len(),
            "{}: resolved GitHub issues",
            svc.name
        );
        assert_eq!(
            github["rework"], rework,
            "{}: bug and incident issues",
            svc.name
        );
        // Jira's resolved issues of the service's project and component, typed or labelled
        // bug or incident; PagerDuty's resolved incidents, every one unplanned work.
        let ((jira, jira_rework), (pd, pd_rework)) =
            tickets_by_hand(&client, &sim, svc, start, until).await;
        let sources = &row["ticket_rework"]["sources"];
        assert_eq!(
            (&sources["jira"]["resolved"], &sources["jira"]["rework"]),
            (&json!(jira), &json!(jira_rework)),
            "{}: Jira",
            svc.name
        );
        assert_eq!(
            (
                &sources["pagerduty"]["resolved"],
                &sources["pagerduty"]["rework"]
            ),
            (&json!(pd), &json!(pd_rework)),
            "{}: PagerDuty",
            svc.name
        );
        assert_eq!(
            (
                &row["ticket_rework"]["resolved"],
                &row["ticket_rework"]["rework"]
            ),
            (
                &json!(in_window.len() + jira + pd),
                &json!(rework + jira_rework + pd_rework)
            ),
            "{}: the share is over every source together",
            svc.name
        );
    }
    assert!(
        gitlab_rows > 0,
        "the sim has GitLab services, and they were checked"
    );
    // The profiles show through.
    let get_row = |name: &str| {
        services
            .iter()
            .find(|r| r["name"] == name)
            .expect("the row")
            .clone()
    };
    assert_eq!(
        get_row("catalog-search")["bands"]["deployment_frequency"],
        "elite"
    );
    assert!(get_row("checkout-web")["rework_deployments"].as_u64() > Some(0));
    assert!(
        services
            .iter()
            .any(|r| r["ticket_rework"]["rework"].as_u64() > Some(0)),
        "some service closed bugs in the window"
    );
    for source in ["jira", "pagerduty"] {
        assert!(
            services
                .iter()
                .any(|r| r["ticket_rework"]["sources"][source]["resolved"].as_u64() > Some(0)),
            "{source} resolved something in the window"
        );
    }
    assert!(warm * 5 < cold, "warm {warm} vs cold {cold}");
}

/// The history's own costs, read through the providers against a frozen sim: a warm GitHub read
/// of two repositories is one GraphQL query and nothing else (no statuses of a settled
/// deployment, no compare or pull lookup made before); REST's warm read asks statuses of open
/// deployments only; a warm GitLab read is one `updated_after` page and no compare.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warm_history_read_asks_only_for_what_can_have_changed() {
    use flightdeck::providers::github::GithubApi;
    use flightdeck::providers::github::history::{Ask, Reader, RepoHistory};
    use flightdeck::providers::gitlab::GitlabApi;

    let sim = Sim::start(SimConfig {
        speed: 0.0,
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts");
    let world = &sim.shared.world;
    let since = Utc::now() - Duration::days(14);
    let source = flightdeck::config::GithubSource {
        api_url: sim.shared.endpoints.github.clone(),
        requests_per_sec: 200.0,
        max_in_flight: 8,
        ..Default::default()
    };
    let api = std::sync::Arc::new(
        GithubApi::for_source(
            &source,
            Some("flightdeck-sim-token".into()),
            std::time::Duration::from_secs(10),
        )
        .expect("a client"),
    );
    let asks: Vec<Ask> = world
        .services
        .iter()
        .filter(|s| s.ci != CiHost::Gitlab)
        .take(2)
        .map(|s| Ask {
            slug: s.repo.clone(),
            environment: "production".into(),
        })
        .collect();
    let mut repos = vec![RepoHistory::default(), RepoHistory::default()];
    let reader = Reader::new(api.clone(), true);
    let cold = reader.read(&asks, since, &mut repos).await;
    assert!(cold.iter().all(Result::is_ok), "{cold:?}");
    assert!(
        repos.iter().all(|r| !r.deployments.is_empty()),
        "both have deployments"
    );
    let before = history_requests(&sim);
    let warm = reader.read(&asks, since, &mut repos).await;
    assert!(warm.iter().all(Result::is_ok), "{warm:?}");
    let after = history_requests(&sim);
    let asked: BTreeMap<&String, u64> = after
        .iter()
        .map(|(k, v)| (k, v - before.get(k).copied().unwrap_or(0)))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(
        asked,
        BTreeMap::from([(&"graphql History".to_string(), 1)]),
        "a warm read of two repositories is one query"
    );
    // Through REST: a conditional deployments page each, and statuses of open ones only.
    let open: u64 = repos
        .iter()
        .flat_map(|r| r.deployments.values().map(move |d| (r, d)))
        .filter(|(r, d)| d.end.is_none() && !r.settled.contains(&d.id))
        .count() as u64;
    let rest = Reader::new(api, false);
    let before = history_requests(&sim);
    let warm = rest.read(&asks, since, &mut repos).await;
    assert!(warm.iter().all(Result::is_ok), "{warm:?}");
    let after = history_requests(&sim);
    let delta = |k: &str| after.get(k).copied().unwrap_or(0) - before.get(k).copied().unwrap_or(0);
    assert_eq!(delta("statuses"), open, "statuses of open deployments only");
    assert_eq!(
        (delta("compares"), delta("pulls")),
        (0, 0),
        "nothing read before"
    );

    // GitLab: a first read, then one page of what was updated since.
    let gitlab = world
        .services
        .iter()
        .find(|s| s.ci == CiHost::Gitlab)
        .expect("a GitLab service");
    let api = GitlabApi::new(
        &sim.shared.endpoints.gitlab,
        Some("flightdeck-sim-token".into()),
        4,
        std::time::Duration::from_secs(10),
    )
    .expect("a client");
    let project = gitlab.project_id.to_string();
    let mut repo = RepoHistory::default();
    api.history(&project, "production", since, &mut repo)
        .await
        .expect("a first read");
    assert!(
        repo.deployments.values().any(|d| !d.changes.is_empty()),
        "deployments with what they brought"
    );
    let count = |sim: &Sim, what: &str| -> u64 {
        sim.shared
            .stats
            .rows()
            .iter()
            .filter(|r| r.key.service == "gitlab" && r.key.endpoint.ends_with(what))
            .map(|r| r.count)
            .sum()
    };
    let (lists, compares) = (count(&sim, "/deployments"), count(&sim, "/compare"));
    api.history(&project, "production", since, &mut repo)
        .await
        .expect("a warm read");
    assert_eq!(
        (
            count(&sim, "/deployments") - lists,
            count(&sim, "/compare") - compares
        ),
        (1, 0),
        "a warm GitLab read is one page and no compare"
    );
}
