//! Tickets and on-call against the sim's Jira, PagerDuty and GitHub Issues over real HTTP: what
//! the Work screen and `flightdeck status --json` hold agrees with the sim's own REST answers
//! fetched here by a plain client; acknowledging an incident, moving a Jira issue, commenting on
//! it and adding a note to an incident in the cockpit change them in the sim; the ticket sources
//! poll quickly only while on screen (requests counted by the sim). The published Jira and
//! PagerDuty payloads decode with the providers' types (the fixtures hold no GitHub issue list).

use crate::common;
use crate::headless::Cockpit;

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use flightdeck::clock::Clock;
use flightdeck::status::{Report, StatusArgs, collect};
use flightdeck_core::keymap::{Key, KeyCode};
use flightdeck_core::message::Msg;
use flightdeck_core::model::work::{Row, TicketSource};
use flightdeck_core::model::{Model, Screen};
use flightdeck_core::update::update;
use flightdeck_sim::{Sim, SimConfig};

const TOKEN: &str = "flightdeck-sim-token";

/// A cockpit without a terminal on the sim's whole config, writing.
fn start(sim: &Sim) -> Cockpit {
    let loaded = flightdeck::config::load(&sim.flightdeck_config()).expect("the sim's config");
    Cockpit::of(&loaded, false)
}

/// Puts the Work cursor on `row` as a user would: `g`, then `j` row times.
fn select(c: &Cockpit, row: usize) {
    c.press('g');
    for _ in 0..row {
        c.press('j');
    }
    assert_eq!(c.model().list(Screen::Work).cursor.selected, row);
}

async fn get(url: &str, auth: &str) -> Value {
    let resp = reqwest::Client::new()
        .get(url)
        .header("Authorization", auth)
        .send()
        .await
        .expect("the sim answers");
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    resp.json().await.expect("JSON")
}

fn jira_auth() -> String {
    // Basic base64("jdoe@acme.example:flightdeck-sim-token"), as the sim's config sends.
    "Basic amRvZUBhY21lLmV4YW1wbGU6ZmxpZ2h0ZGVjay1zaW0tdG9rZW4=".into()
}

fn pd_auth() -> String {
    format!("Token token={TOKEN}")
}

/// The sim's Jira queue for jdoe, by the default JQL, read page by page with the token.
async fn rest_jira_keys(sim: &Sim) -> BTreeSet<String> {
    let base = &sim.endpoints().jira;
    let jql = flightdeck_core::wire::percent_encode(
        "assignee = currentUser() AND statusCategory != Done ORDER BY priority DESC",
    );
    let mut keys = BTreeSet::new();
    let mut token = String::new();
    loop {
        let url =
            format!("{base}/rest/api/3/search/jql?jql={jql}&maxResults=2&nextPageToken={token}");
        let page = get(&url, &jira_auth()).await;
        for i in page["issues"].as_array().expect("issues") {
            keys.insert(i["key"].as_str().expect("a key").to_string());
        }
        match page["nextPageToken"].as_str() {
            Some(t) if page["isLast"] != true => token = t.to_string(),
            _ => break,
        }
    }
    keys
}

async fn rest_incidents(sim: &Sim) -> Vec<Value> {
    let url = format!(
        "{}/incidents?statuses[]=triggered&statuses[]=acknowledged&limit=100",
        sim.endpoints().pagerduty
    );
    get(&url, &pd_auth()).await["incidents"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// A GET to the sim's GitHub with the token: `None` for a 404.
async fn github_get(url: &str) -> Option<Value> {
    // reqwest is built without a default TLS provider; the cockpit installs the same one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = reqwest::Client::new()
        .get(url)
        .header("Authorization", format!("token {TOKEN}"))
        .header("User-Agent", "flightdeck-test")
        .send()
        .await
        .expect("the sim answers");
    if resp.status() == reqwest::StatusCode::NOT_FOUND {
        return None;
    }
    assert!(resp.status().is_success(), "{url}: {}", resp.status());
    Some(resp.json().await.expect("JSON"))
}

/// Every GitHub-hosted service's open issues as the sim answers them, by `owner/repo`, every
/// page (numbered here, not followed through the `Link` header the cockpit reads).
async fn rest_issues(sim: &Sim) -> Vec<(String, Vec<Value>)> {
    let mut out = Vec::new();
    'services: for svc in &sim.shared.world.services {
        let mut all = Vec::new();
        for page in 1.. {
            let url = format!(
                "{}/repos/{}/issues?state=open&per_page=100&page={page}",
                sim.endpoints().github,
                svc.repo
            );
            // GitLab-hosted services are not on GitHub.
            let Some(list) = github_get(&url).await else {
                continue 'services;
            };
            let list = list.as_array().cloned().unwrap_or_default();
            if list.is_empty() {
                break;
            }
            all.extend(list);
        }
        out.push((svc.repo.clone(), all));
    }
    out
}

/// The user's GitHub queue as the issue asks for it: open issues (not pull requests) assigned
/// to jdoe, opened by jdoe, or assigned to nobody; as `owner/repo#n`.
fn github_queue(issues: &[(String, Vec<Value>)]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (repo, list) in issues {
        for i in list {
            if !i["pull_request"].is_null() {
                continue;
            }
            let assignees = i["assignees"].as_array().cloned().unwrap_or_default();
            let mine =
                assignees.iter().any(|a| a["login"] == "jdoe") || i["user"]["login"] == "jdoe";
            if assignees.is_empty() || mine {
                out.insert(format!("{repo}#{}", i["number"]));
            }
        }
    }
    out
}

fn model_keys(m: &Model, source: TicketSource) -> BTreeSet<String> {
    m.work
        .tickets
        .get(&source)
        .map(|f| f.value.iter().map(|t| t.id.clone()).collect())
        .unwrap_or_default()
}

/// A story fast enough that payments-api pages within seconds (the crash-loop alert fires six
/// story minutes in) and slow enough that the page stays open through the test.
fn fast() -> SimConfig {
    SimConfig {
        speed: 30.0,
        ..SimConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_work_screen_agrees_with_the_sims_rest_and_its_actions_change_the_sim() {
    let sim = Sim::start(fast()).await.expect("the sim starts");
    let c = start(&sim);
    c.wait(
        "the page, the queues and the on-call, joined",
        Duration::from_secs(60),
        |m| {
            m.work.tickets.len() == 3
                && !m.work.tickets[&TicketSource::Github].value.is_empty()
                && m.work.oncall.is_some()
                && m.work
                    .by_service
                    .get("component:default/payments-api")
                    .is_some_and(|w| w.incidents > 0)
        },
    )
    .await;

    // Jira: the queue the cockpit shows is the sim's answer to the same JQL, page by page.
    let rest_keys = rest_jira_keys(&sim).await;
    assert_eq!(c.with(|m| model_keys(m, TicketSource::Jira)), rest_keys);
    // PagerDuty: the open incidents; the page is held by team-payments' on-call.
    let incidents = rest_incidents(&sim).await;
    let rest_ids: BTreeSet<String> = incidents
        .iter()
        .filter_map(|i| i["id"].as_str().map(str::to_string))
        .collect();
    assert_eq!(c.with(|m| model_keys(m, TicketSource::Pagerduty)), rest_ids);
    let page = incidents
        .iter()
        .find(|i| i["service"]["summary"] == "payments-api")
        .expect("payments-api's page");
    let oncalls = get(
        &format!("{}/oncalls", sim.endpoints().pagerduty),
        &pd_auth(),
    )
    .await;
    let policy = page["escalation_policy"]["id"].as_str().expect("a policy");
    let now_on_call = oncalls["oncalls"]
        .as_array()
        .expect("oncalls")
        .iter()
        .find(|o| o["escalation_policy"]["id"] == policy)
        .and_then(|o| o["user"]["summary"].as_str())
        .expect("someone is on call");
    let payments = c.with(|m| m.work.by_service["component:default/payments-api"].clone());
    assert_eq!(
        payments.oncall.as_ref().map(|o| o.now.as_str()),
        Some(now_on_call)
    );
    assert_eq!(
        page["assignments"][0]["assignee"]["summary"].as_str(),
        Some(now_on_call),
        "the page is held by the on-call"
    );
    // The alert that opened it is found by its fingerprint.
    let key = page["incident_key"].as_str().expect("a dedup key");
    assert_eq!(
        c.with(|m| m.work.incident_for(key).map(|t| t.id.clone()))
            .as_deref(),
        page["id"].as_str()
    );
    // Every open ticket is on screen once, under its service.
    let rows = c.with(|m| {
        m.work
            .rows
            .iter()
            .filter(|r| matches!(r, Row::Ticket(_)))
            .count()
    });
    // GitHub: the user's issues and the team's unassigned ones, pull requests left out.
    let issues = rest_issues(&sim).await;
    let queue = github_queue(&issues);
    assert!(!queue.is_empty());
    assert_eq!(c.with(|m| model_keys(m, TicketSource::Github)), queue);
    assert!(
        c.with(|m| m
            .work
            .every_ticket()
            .filter(|(_, t)| t.source == TicketSource::Github)
            .all(|(r, _)| m.work.service_of.contains_key(&r))),
        "every GitHub issue joins its service by github.com/project-slug"
    );
    let jira = c.with(|m| model_keys(m, TicketSource::Jira).len());
    assert_eq!(rows, rest_ids.len() + jira + queue.len());

    // Acknowledge the page in the cockpit: `7`, cursor on it, `a`, `y`.
    c.press('7');
    assert_eq!(c.model().screen, Screen::Work);
    let page_id = page["id"].as_str().expect("an id").to_string();
    let row = c
        .with(|m| {
            m.work.rows.iter().position(
                |r| matches!(r, Row::Ticket(t) if m.work.ticket(*t).is_some_and(|t| t.id == page_id)),
            )
        })
        .expect("the page is listed");
    select(&c, row);
    c.press('a');
    assert!(c.model().overlay.is_some(), "acknowledging asks first");
    c.press('y');
    c.wait("the page acknowledged", Duration::from_secs(20), |m| {
        m.work
            .every_ticket()
            .any(|(_, t)| t.id == page_id && t.status == "acknowledged")
    })
    .await;
    let after = rest_incidents(&sim).await;
    let acked = after
        .iter()
        .find(|i| i["id"] == page_id.as_str())
        .expect("still open");
    assert_eq!(acked["status"], "acknowledged");
    assert_eq!(
        acked["acknowledgements"][0]["acknowledger"]["summary"], "Jane Doe",
        "recorded as the `from` user"
    );
    // The alert that opened the page was acknowledged under the same question: a short
    // silence on its labels, in the sim's Alertmanager.
    let silences = get(
        &format!("{}/api/v2/silences", sim.endpoints().alertmanager),
        "",
    )
    .await;
    assert!(
        silences.as_array().is_some_and(|l| l.iter().any(|x| {
            x["comment"].as_str().is_some_and(|c| c.starts_with("ACK!"))
                && x["matchers"]
                    .as_array()
                    .is_some_and(|m| m.iter().any(|m| m["value"] == "KubePodCrashLooping"))
        })),
        "the crash-loop alert is acknowledged too: {silences}"
    );

    // Move a Jira issue: open it, choose the next status, `T`, `y`.
    let (jira_row, jira_key, before) = c
        .with(|m| {
            m.work.rows.iter().enumerate().find_map(|(i, r)| match r {
                Row::Ticket(t) => m
                    .work
                    .ticket(*t)
                    .filter(|t| t.source == TicketSource::Jira)
                    .map(|t| (i, t.id.clone(), t.status.clone())),
                Row::Group { .. } => None,
            })
        })
        .expect("a Jira ticket");
    select(&c, jira_row);
    c.send(Msg::Key(Key::new(KeyCode::Enter)));
    c.wait("the ticket's transitions", Duration::from_secs(20), |m| {
        m.work.detail.as_ref().is_some_and(|d| d.loaded)
    })
    .await;
    let detail = c.model().work.detail.clone().expect("open");
    assert!(
        detail.description.is_some(),
        "the description arrives as Markdown"
    );
    let to = detail.transitions[detail.chosen].1.clone();
    assert_ne!(to, before);
    c.press('T');
    c.press('y');
    let issue_url = format!("{}/rest/api/3/issue/{jira_key}", sim.endpoints().jira);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let issue = get(&issue_url, &jira_auth()).await;
        if issue["fields"]["status"]["name"] == to.as_str() {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{jira_key} never moved to {to}"
        );
        c.run_for(Duration::from_millis(200)).await;
    }

    // Comment on the open Jira issue: `c`, the text, `enter`, `y`.
    c.press('c');
    c.type_text("Looking into it, yes.");
    c.send(Msg::Key(Key::new(KeyCode::Enter)));
    assert!(c.model().overlay.is_some(), "commenting asks first");
    c.press('y');
    c.wait(
        "the comment shown in the detail",
        Duration::from_secs(20),
        |m| {
            m.work.detail.as_ref().is_some_and(|d| {
                d.comments
                    .iter()
                    .any(|x| x.body.contains("Looking into it"))
            })
        },
    )
    .await;
    let comments = get(&format!("{issue_url}/comment"), &jira_auth()).await;
    assert!(
        comments.to_string().contains("Looking into it, yes."),
        "the sim's Jira has the comment: {comments}"
    );

    // A note on the page: back to the list, open the incident, `c`, the text, `enter`, `y`.
    c.send(Msg::Key(Key::new(KeyCode::Esc)));
    let row = c
        .with(|m| {
            m.work.rows.iter().position(
                |r| matches!(r, Row::Ticket(t) if m.work.ticket(*t).is_some_and(|t| t.id == page_id)),
            )
        })
        .expect("the page is listed");
    select(&c, row);
    c.send(Msg::Key(Key::new(KeyCode::Enter)));
    c.press('c');
    c.type_text("Rolled back; watching.");
    c.send(Msg::Key(Key::new(KeyCode::Enter)));
    c.press('y');
    c.wait(
        "the note shown in the detail",
        Duration::from_secs(20),
        |m| {
            m.work
                .detail
                .as_ref()
                .is_some_and(|d| d.comments.iter().any(|x| x.body.contains("Rolled back")))
        },
    )
    .await;
    let notes = get(
        &format!("{}/incidents/{page_id}/notes", sim.endpoints().pagerduty),
        &pd_auth(),
    )
    .await;
    let note = notes["notes"]
        .as_array()
        .and_then(|n| n.iter().find(|x| x["content"] == "Rolled back; watching."))
        .expect("the sim's PagerDuty has the note");
    assert_eq!(note["user"]["summary"], "Jane Doe", "under the `from` user");
}

/// Request counts per endpoint, from the sim's stats.
async fn requests(sim: &Sim, endpoint: &str, status: u64) -> u64 {
    let stats = get(
        &format!("{}/_sim/stats", sim.endpoints().github),
        &pd_auth(),
    )
    .await;
    stats
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["endpoint"] == endpoint && (status == 0 || r["status"] == status))
        .map(|r| r["count"].as_u64().unwrap_or(0))
        .sum()
}

/// Polling is paced like the CI sources: a source whose data is not on screen is not polled
/// beyond its slow sweep; on screen it is polled at its interval (GitHub conditionally, its
/// 304s costing no rate limit). Counted in the sim's stats.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticket_sources_poll_quickly_only_while_on_screen() {
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("the sim starts");
    let mut loaded = flightdeck::config::load(&sim.flightdeck_config()).expect("config");
    let hour = 3600;
    if let Some(j) = loaded.config.jira.as_mut() {
        (j.poll_secs, j.sweep_secs) = (5, hour);
    }
    if let Some(p) = loaded.config.pagerduty.as_mut() {
        (p.poll_secs, p.sweep_secs, p.oncall_poll_secs) = (5, hour, hour);
    }
    if let Some(g) = loaded.config.github.as_mut() {
        (g.issues_poll_secs, g.issues_sweep_secs) = (5, hour);
    }
    let c = Cockpit::of(&loaded, false);
    assert_eq!(c.model().screen, Screen::Overview);
    c.wait(
        "every ticket source's first answer",
        Duration::from_secs(60),
        |m| m.work.tickets.len() == 3 && !m.work.tickets[&TicketSource::Github].value.is_empty(),
    )
    .await;
    const JIRA: &str = "/rest/api/3/search/jql";
    const PD: &str = "/incidents";
    const ISSUES: &str = "/repos/{owner}/{repo}/issues";
    let counts = async || {
        (
            requests(&sim, JIRA, 0).await,
            requests(&sim, PD, 0).await,
            requests(&sim, ISSUES, 0).await,
            requests(&sim, ISSUES, 304).await,
        )
    };
    // The Overview shows PagerDuty (its on-call column) and neither Jira's nor GitHub's issues.
    c.run_for(Duration::from_secs(2)).await;
    let before = counts().await;
    c.run_for(Duration::from_secs(12)).await;
    let hidden = counts().await;
    assert_eq!(hidden.0, before.0, "Jira off screen: not polled");
    assert_eq!(hidden.2, before.2, "GitHub issues off screen: not polled");
    assert!(
        hidden.1 >= before.1 + 2,
        "PagerDuty on the Overview: every 5 s"
    );
    // The Work screen shows all three: each is polled at once, then every 5 s.
    c.press('7');
    c.run_for(Duration::from_secs(12)).await;
    let shown = counts().await;
    let repos = rest_issues(&sim).await.len() as u64;
    assert!(
        shown.0 >= hidden.0 + 2,
        "Jira on screen: {hidden:?} → {shown:?}"
    );
    assert!(
        shown.2 >= hidden.2 + 2 * repos,
        "GitHub issues on screen: {hidden:?} → {shown:?}"
    );
    assert!(
        shown.3 >= hidden.3 + repos,
        "unchanged issue lists answer 304 to the conditional requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_json_has_tickets_and_oncall_per_service_as_the_sim_answers() {
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("the sim starts");
    let loaded = flightdeck::config::load(&sim.flightdeck_config()).expect("config");
    let args = StatusArgs {
        json: true,
        service: None,
        owner: None,
        mine: false,
        timeout: Duration::from_secs(20),
    };
    let (model, answered) = collect(&loaded.config, Clock::System, args.timeout).await;
    let json = Report::new(&model, &args, &answered).json();
    let jira = rest_jira_keys(&sim).await;
    let incidents = rest_incidents(&sim).await;
    let oncalls = get(
        &format!("{}/oncalls", sim.endpoints().pagerduty),
        &pd_auth(),
    )
    .await;
    let services = get(
        &format!("{}/services", sim.endpoints().pagerduty),
        &pd_auth(),
    )
    .await;
    let mut seen = BTreeSet::new();
    for s in json["services"].as_array().expect("services") {
        let name = s["name"].as_str().expect("a name");
        let svc = sim.shared.world.service(name).expect("a sim service");
        // Jira: the queue's issues whose component is this service.
        let items = s["tickets"]["items"].as_array().expect("a tickets block");
        for i in items {
            seen.insert(i["id"].as_str().expect("an id").to_string());
        }
        let pd_id = services["services"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"] == name))
            .expect("a PagerDuty service");
        let expected_incidents = incidents
            .iter()
            .filter(|i| i["service"]["id"] == pd_id["id"])
            .count();
        assert_eq!(s["tickets"]["incidents"], expected_incidents, "{name}");
        let on = oncalls["oncalls"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|o| o["escalation_policy"]["id"] == pd_id["escalation_policy"]["id"])
            })
            .and_then(|o| o["user"]["summary"].as_str())
            .expect("someone on call");
        assert_eq!(s["oncall"]["now"], on, "{name} ({})", svc.owner);
        assert!(s["oncall"]["next"].is_string());
    }
    let issues = rest_issues(&sim).await;
    let expected: BTreeSet<String> = jira
        .into_iter()
        .chain(
            incidents
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_string)),
        )
        .chain(github_queue(&issues))
        .collect();
    assert_eq!(seen, expected, "every open ticket is under one service");
    // Each service's bug and incident labels, over every open issue of its repository.
    for s in json["services"].as_array().expect("services") {
        let name = s["name"].as_str().expect("a name");
        let svc = sim.shared.world.service(name).expect("a sim service");
        let Some((_, list)) = issues.iter().find(|(r, _)| *r == svc.repo) else {
            continue;
        };
        for label in ["bug", "incident"] {
            let n = list
                .iter()
                .filter(|i| i["pull_request"].is_null())
                .filter(|i| {
                    i["labels"]
                        .as_array()
                        .is_some_and(|l| l.iter().any(|x| x["name"] == label))
                })
                .count();
            let got = s["tickets"]["labels"][label].as_u64().unwrap_or(0);
            assert_eq!(got, n as u64, "{name}: {label}");
        }
    }
}

#[test]
fn published_jira_and_pagerduty_payloads_decode_with_the_providers_types() {
    use flightdeck::providers::{jira, pagerduty};
    use flightdeck_core::wire::jira::{Issue, SearchPage, Transitions, to_markdown};
    use flightdeck_core::wire::pagerduty::IncidentEnvelope;
    let Some(dir) = common::fixtures_dir() else {
        return;
    };
    let read =
        |p: &str| std::fs::read_to_string(dir.join(p)).unwrap_or_else(|e| panic!("{p}: {e}"));
    // Cursor pages: tokens lead on until the last page or an empty token.
    let p1: SearchPage =
        serde_json::from_str(&read("jira/jira-cli/pr-965/search_page1.json")).expect("page 1");
    assert_eq!(p1.next_token(), Some("token-page-2"));
    let last: SearchPage =
        serde_json::from_str(&read("jira/jira-cli/pr-965/search_page3.json")).expect("page 3");
    assert_eq!(last.next_token(), None);
    let empty: SearchPage =
        serde_json::from_str(&read("jira/jira-cli/pr-965/search_empty.json")).expect("empty");
    assert!(empty.issues.is_empty() && empty.next_token().is_none());
    let now = Utc::now();
    let t = jira::decode(&p1.issues[1], None, None, now);
    assert_eq!(
        (
            t.key.as_str(),
            t.kind.as_str(),
            t.status.as_str(),
            t.priority.as_str()
        ),
        ("TEST-2", "Story", "In Progress", "High")
    );
    assert_eq!(t.labels, vec!["critical", "feature"]);
    assert_eq!(t.created.to_rfc3339(), "2020-12-03T13:05:20.974+00:00");
    // ADF descriptions read as Markdown; v2's plain strings stay as they are.
    let issue: Issue = serde_json::from_str(&read("jira/jira-cli/issue.json")).expect("issue");
    assert_eq!(to_markdown(&issue.fields.description), "Test description");
    assert_eq!(
        issue.fields.issuelinks[0]
            .outward_issue
            .as_ref()
            .and_then(|o| o.key.as_deref()),
        Some("TEST-2")
    );
    let v2: Issue = serde_json::from_str(&read("jira/jira-cli/issue-2.json")).expect("issue v2");
    assert!(!to_markdown(&v2.fields.description).is_empty());
    let tr: Transitions =
        serde_json::from_str(&read("jira/jira-cli/transitions.json")).expect("transitions");
    assert_eq!(
        tr.transitions
            .iter()
            .filter(|t| t.is_available != Some(false))
            .count(),
        2
    );
    // PagerDuty: a real incident body.
    let inc: IncidentEnvelope = serde_json::from_str(&read(
        "pagerduty/rapid7-insightconnect-plugins/POST_incidents.response.json",
    ))
    .expect("incident");
    let t = pagerduty::decode(&inc.incident, Some("PFJIAVM"));
    assert_eq!(
        (
            t.key.as_str(),
            t.status.as_str(),
            t.priority.as_str(),
            t.rank
        ),
        ("#22", "triggered", "P1", 0)
    );
    assert_eq!(t.assignee.as_deref(), Some("Test User"));
    assert!(t.mine);
    assert_eq!(t.pagerduty_service.as_deref(), Some("PLPY09O"));
    assert_eq!(
        t.incident_key.as_deref(),
        Some("e7dfa7ed254447a2b28e9bfef69b6709")
    );
    assert_eq!(
        t.url.as_deref(),
        Some("https://dev-rapid7.pagerduty.com/incidents/Q0Y3S4INEWMXN2")
    );
}

/// The Work screen as drawn, rows written straight into the buffer: the group heading with its
/// count, then each ticket's mark, key, priority, status, title, assignee and age in columns.
#[test]
fn the_work_screen_draws_its_visible_rows_in_columns() {
    use flightdeck_core::message::work::Msg as WorkMsg;
    use flightdeck_core::model::work::Ticket;
    let now = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .expect("a time")
        .to_utc();
    let ticket = |source, key: &str, title: &str, rank, mine: bool| Ticket {
        source,
        key: key.into(),
        id: key.into(),
        title: title.into(),
        status: "To Do".into(),
        done: false,
        rank,
        priority: if rank == 0 { "Highest" } else { "Low" }.into(),
        kind: "Bug".into(),
        assignee: mine.then(|| "jdoe".to_string()),
        mine,
        project: None,
        components: vec![],
        pagerduty_service: None,
        repo: None,
        labels: vec![],
        sprint: None,
        created: now - chrono::Duration::hours(3),
        updated: now,
        url: None,
        incident_key: None,
    };
    let mut m = Model::new(flightdeck_core::keymap::Keymap::defaults(), now);
    m.screen = Screen::Work;
    update(
        &mut m,
        Msg::Work(WorkMsg::Tickets {
            source: TicketSource::Jira,
            at: now,
            tickets: vec![
                ticket(
                    TicketSource::Jira,
                    "PAY-1",
                    "Retry budget is exhausted",
                    0,
                    true,
                ),
                ticket(
                    TicketSource::Jira,
                    "PAY-2",
                    "Upgrade the base image",
                    3,
                    false,
                ),
            ],
        }),
    );
    // A GitHub issue: a longer key, shown whole, and its ranking label where a priority goes.
    let mut issue = ticket(
        TicketSource::Github,
        "checkout-web#21",
        "Flaky integration test on the retry path",
        2,
        false,
    );
    (issue.priority, issue.kind, issue.labels) = (
        String::new(),
        "issue".into(),
        vec!["ci".into(), "bug".into()],
    );
    update(
        &mut m,
        Msg::Work(WorkMsg::Tickets {
            source: TicketSource::Github,
            at: now,
            tickets: vec![issue],
        }),
    );
    let screen = crate::ui_overview::render(&m, 100, 16);
    assert!(
        screen.contains(" ●PAY-1           Highest  To Do"),
        "{screen}"
    );
    assert!(
        screen.contains("  checkout-web#21 bug      To Do"),
        "{screen}"
    );
    insta::assert_snapshot!("work_rows_100x16", screen);
}

/// The cursor on the ticket whose id is `id`, as a user moves it.
fn select_ticket(c: &Cockpit, id: &str) {
    let row = c
        .with(|m| {
            m.work.rows.iter().position(
                |r| matches!(r, Row::Ticket(t) if m.work.ticket(*t).is_some_and(|t| t.id == id)),
            )
        })
        .unwrap_or_else(|| panic!("{id} is listed"));
    select(c, row);
}

/// A GitHub issue's detail holds its comments as the sim's REST lists them, and `c` posts one:
/// asked first, recorded by the sim as the token's user, shown in the detail after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_github_issue_shows_its_comments_and_takes_a_new_one() {
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("the sim starts");
    let c = start(&sim);
    c.wait("the GitHub issues", Duration::from_secs(60), |m| {
        m.work
            .tickets
            .get(&TicketSource::Github)
            .is_some_and(|f| !f.value.is_empty())
    })
    .await;
    c.press('7');
    // An issue of the queue the sim's people commented on.
    let mut chosen = None;
    let keys = c.with(|m| model_keys(m, TicketSource::Github));
    for id in keys {
        let (repo, number) = id.rsplit_once('#').expect("owner/repo#n");
        let url = format!(
            "{}/repos/{repo}/issues/{number}/comments",
            sim.endpoints().github
        );
        let list = github_get(&url).await.expect("the issue's comments");
        if list.as_array().is_some_and(|l| !l.is_empty()) {
            chosen = Some((id, url, list));
            break;
        }
    }
    let (id, url, rest) = chosen.expect("an issue of the queue with comments");
    select_ticket(&c, &id);
    c.send(Msg::Key(Key::new(KeyCode::Enter)));
    c.wait("the issue's comments", Duration::from_secs(20), |m| {
        m.work.detail.as_ref().is_some_and(|d| d.loaded)
    })
    .await;
    let detail = c.model().work.detail.clone().expect("open");
    let shown: Vec<(String, String)> = detail
        .comments
        .iter()
        .map(|x| (x.author.clone(), x.body.clone()))
        .collect();
    let expected: Vec<(String, String)> = rest
        .as_array()
        .expect("a list")
        .iter()
        .map(|x| {
            (
                x["user"]["login"].as_str().expect("a login").to_string(),
                x["body"].as_str().expect("a body").to_string(),
            )
        })
        .collect();
    assert_eq!(shown, expected, "the detail's comments are the sim's");
    assert!(
        detail.description.is_some(),
        "the body is shown above the comments"
    );
    let laid_out: String = detail
        .lines
        .iter()
        .map(|l| l.text.as_str())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        laid_out.contains(&expected[0].0),
        "the comments are laid out as Markdown under their authors"
    );

    // `c`, the text, `enter`: asked first; `y` posts it.
    c.press('c');
    c.type_text("Reproduced on staging; taking it.");
    c.send(Msg::Key(Key::new(KeyCode::Enter)));
    assert!(c.model().overlay.is_some(), "commenting asks first");
    c.press('y');
    c.wait(
        "the new comment shown in the detail",
        Duration::from_secs(20),
        |m| {
            m.work.detail.as_ref().is_some_and(|d| {
                d.comments
                    .iter()
                    .any(|x| x.body == "Reproduced on staging; taking it." && x.author == "jdoe")
            })
        },
    )
    .await;
    let after = github_get(&url).await.expect("the issue's comments");
    let posted = after.as_array().and_then(|l| l.last()).expect("a comment");
    assert_eq!(posted["body"], "Reproduced on staging; taking it.");
    assert_eq!(posted["user"]["login"], "jdoe", "as the token's user");
    assert_eq!(
        after.as_array().map(Vec::len),
        Some(expected.len() + 1),
        "one comment more"
    );
}

/// Under `--read-only` the comment is refused at `c`, before anything is typed or sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commenting_on_a_github_issue_is_refused_read_only() {
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("the sim starts");
    let c = start(&sim);
    c.model().read_only = true;
    c.wait("the GitHub issues", Duration::from_secs(60), |m| {
        m.work
            .tickets
            .get(&TicketSource::Github)
            .is_some_and(|f| !f.value.is_empty())
    })
    .await;
    c.press('7');
    let id = c
        .with(|m| model_keys(m, TicketSource::Github))
        .into_iter()
        .next()
        .expect("an issue");
    select_ticket(&c, &id);
    c.send(Msg::Key(Key::new(KeyCode::Enter)));
    c.press('c');
    assert!(
        c.with(|m| m.work.detail.as_ref().is_some_and(|d| d.compose.is_none())),
        "no comment field under --read-only"
    );
    let notice = c.with(|m| m.notice.clone());
    assert!(
        notice
            .as_ref()
            .is_some_and(|n| n.text.contains("read-only")),
        "the status line says why: {notice:?}"
    );
}

/// A repository with more than 100 open issues is read page by page through the `Link`
/// header: the queue holds every page's issues as the sim lists them, and a settled round
/// costs one 304 per page (counted by the sim).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issues_list_reads_past_100_a_repository_with_a_304_per_page() {
    // The story stands still, so nothing but the cockpit's rounds changes what is asked.
    let sim = Sim::start(SimConfig {
        issue_backlog: 150,
        speed: 0.0,
        ..SimConfig::default()
    })
    .await
    .expect("the sim starts");
    let mut loaded = flightdeck::config::load(&sim.flightdeck_config()).expect("config");
    if let Some(g) = loaded.config.github.as_mut() {
        (g.issues_poll_secs, g.issues_sweep_secs) = (5, 3600);
    }
    let c = Cockpit::of(&loaded, false);
    c.press('7');
    let issues = rest_issues(&sim).await;
    let pages: u64 = issues
        .iter()
        .map(|(_, l)| l.len().div_ceil(100).max(1) as u64)
        .sum();
    assert!(
        issues.iter().any(|(_, l)| l.len() > 100),
        "a repository runs past one page"
    );
    let queue = github_queue(&issues);
    c.wait("every page's issues", Duration::from_secs(60), |m| {
        model_keys(m, TicketSource::Github) == queue
    })
    .await;
    let bugs = |list: &[Value]| {
        list.iter()
            .filter(|i| i["pull_request"].is_null())
            .filter(|i| {
                i["labels"]
                    .as_array()
                    .is_some_and(|l| l.iter().any(|x| x["name"] == "bug"))
            })
            .count()
    };
    let (repo, list) = issues
        .iter()
        .find(|(_, l)| l.len() > 100)
        .expect("a long list");
    assert_eq!(
        c.with(|m| m
            .work
            .issue_labels
            .as_ref()
            .and_then(|f| f.value.get(&repo.to_ascii_lowercase()))
            .and_then(|l| l.get("bug"))
            .copied()),
        Some(bugs(list)),
        "labels are counted over every page"
    );
    const ISSUES: &str = "/repos/{owner}/{repo}/issues";
    let before = requests(&sim, ISSUES, 304).await;
    let fresh_before = requests(&sim, ISSUES, 200).await;
    // Two rounds begin within 12 s at a 5 s pace, so one whole round falls inside.
    c.run_for(Duration::from_secs(12)).await;
    let after = requests(&sim, ISSUES, 304).await;
    let fresh = requests(&sim, ISSUES, 200).await - fresh_before;
    eprintln!(
        "issues of {} repositories in {pages} pages: {} 304s and {fresh} 200s in 12 s",
        issues.len(),
        after - before
    );
    assert!(
        after >= before + pages,
        "a settled round: a 304 per page ({pages} pages), {before} → {after}"
    );
    assert!(fresh < pages, "and not every page again");
}

/// The real binary in tmux against the sim: open a GitHub issue on the Work screen, `c`, type a
/// comment, `enter`, answer the question with `y`; the comment shows in the detail under
/// `jdoe` and the sim's REST lists it.
#[test]
fn tmux_comment_on_a_github_issue() {
    use crate::e2e_tmux::{Tmux, assert_restored, script};
    let Some(t) = Tmux::new("issue-comment") else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sim = rt
        .block_on(Sim::start(SimConfig {
            speed: 0.0,
            ..SimConfig::default()
        }))
        .expect("the sim starts");
    // An issue of jdoe's queue, by the key the Work screen shows (`repo#n`).
    let issues = rt.block_on(rest_issues(&sim));
    let queue = github_queue(&issues);
    let id = queue.iter().next().expect("an issue in the queue").clone();
    let (repo, number) = id.rsplit_once('#').expect("owner/repo#n");
    let key = format!("{}#{number}", repo.rsplit('/').next().unwrap_or(repo));
    let title = issues
        .iter()
        .filter(|(r, _)| r == repo)
        .flat_map(|(_, l)| l.iter())
        .find(|i| i["number"].as_u64() == number.parse().ok())
        .and_then(|i| i["title"].as_str())
        .expect("its title")
        .to_string();
    t.start(&script(
        &t,
        &format!(
            "--no-snapshot --config {}",
            sim.flightdeck_config().display()
        ),
    ));
    t.wait_for("Overview");
    t.keys(&["7"]);
    t.wait_for("Work ·");
    // Narrowed to the issue by its key.
    t.keys(&["/", &key, "Enter"]);
    let list = t.wait_for(&title);
    assert!(
        list.contains(&format!("{key} ")),
        "the key column is wide enough for GitHub's keys:\n{list}"
    );
    t.keys(&["Enter"]);
    t.wait_for(&format!("{key} · github"));
    t.keys(&["c"]);
    t.wait_for("comment:");
    t.keys(&["Picking this up today.", "Enter"]);
    let ask = t.wait_for(&format!("Comment on GitHub issue {key}"));
    assert!(
        ask.contains("Picking this up today."),
        "the question shows the comment:\n{ask}"
    );
    t.keys(&["y"]);
    let detail = t.wait_for("Picking this up today.");
    assert!(
        detail.contains("jdoe"),
        "the new comment is shown under its author:\n{detail}"
    );
    let url = format!(
        "{}/repos/{repo}/issues/{number}/comments",
        sim.endpoints().github
    );
    let comments = rt.block_on(github_get(&url)).expect("the issue's comments");
    assert!(
        comments.as_array().is_some_and(|l| l
            .iter()
            .any(|c| c["body"] == "Picking this up today." && c["user"]["login"] == "jdoe")),
        "the sim has the comment: {comments}"
    );
    t.keys(&["Escape", "q"]);
    assert_restored(&t);
    drop(sim);
}

/// When an issue's comments cannot be read (the sim answers their endpoint 502), the detail
/// still shows the body the list carried, and the status line says what is missing and why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_whose_comments_fail_still_shows_its_body() {
    use flightdeck_sim::control::{Fault, FaultKind};
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("the sim starts");
    let c = start(&sim);
    c.wait("the GitHub issues", Duration::from_secs(60), |m| {
        m.work
            .tickets
            .get(&TicketSource::Github)
            .is_some_and(|f| !f.value.is_empty())
    })
    .await;
    c.press('7');
    let id = c
        .with(|m| model_keys(m, TicketSource::Github))
        .into_iter()
        .next()
        .expect("an issue");
    let (repo, number) = id.rsplit_once('#').expect("owner/repo#n");
    sim.shared.faults.add(Fault {
        service: Some("github".into()),
        path_prefix: Some(format!("/repos/{repo}/issues/{number}/comments")),
        kind: FaultKind::Status { code: 502 },
        times: None,
    });
    select_ticket(&c, &id);
    c.send(Msg::Key(Key::new(KeyCode::Enter)));
    c.wait(
        "the body shown without comments",
        Duration::from_secs(20),
        |m| m.work.detail.as_ref().is_some_and(|d| d.loaded),
    )
    .await;
    let detail = c.model().work.detail.clone().expect("open");
    assert!(detail.description.is_some(), "the body is shown");
    assert!(detail.comments.is_empty());
    c.wait("the notice", Duration::from_secs(5), |m| {
        m.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("comments of") && n.text.contains("502"))
    })
    .await;
}

/// A Jira issue whose own answer fails says so in its detail, not "loading…" for ever, and `r`
/// reads it again once the server answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_whose_detail_fails_says_so_and_r_reads_it_again() {
    use flightdeck_sim::control::{Fault, FaultKind};
    let sim = Sim::start(SimConfig::default())
        .await
        .expect("the sim starts");
    let c = start(&sim);
    c.wait("the Jira queue", Duration::from_secs(60), |m| {
        m.work
            .tickets
            .get(&TicketSource::Jira)
            .is_some_and(|f| !f.value.is_empty())
    })
    .await;
    c.press('7');
    let id = c
        .with(|m| model_keys(m, TicketSource::Jira))
        .into_iter()
        .next()
        .expect("a Jira issue");
    sim.shared.faults.add(Fault {
        service: Some("jira".into()),
        path_prefix: Some(format!("/rest/api/3/issue/{id}")),
        kind: FaultKind::Status { code: 502 },
        times: None,
    });
    select_ticket(&c, &id);
    c.send(Msg::Key(Key::new(KeyCode::Enter)));
    c.wait("the failure in the detail", Duration::from_secs(20), |m| {
        m.work.detail.as_ref().is_some_and(|d| d.failed.is_some())
    })
    .await;
    let screen = c.screen(Screen::Work);
    assert!(
        screen.contains("could not be read") && screen.contains("502"),
        "the detail says why:\n{screen}"
    );
    assert!(!screen.contains("loading…"), "{screen}");
    sim.shared.faults.clear();
    c.press('r');
    c.wait("the detail read again", Duration::from_secs(20), |m| {
        m.work
            .detail
            .as_ref()
            .is_some_and(|d| d.loaded && d.failed.is_none() && d.description.is_some())
    })
    .await;
}
