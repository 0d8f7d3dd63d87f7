//! GitHub Issues, the Work screen's third source: each service repository's open issues, kept
//! when they are assigned to the user, opened by the user, or wait unassigned for the team.
//! Every open issue's `bug` and `incident` labels are counted per repository for the service
//! screens. One conditional request per page of each repository's list and round (a 304 costs
//! no rate limit; pages follow the `Link` header, bounded), through the shared GitHub client
//! and the ticket sources' poll loop; the token goes only to the configured GitHub host, as for
//! CI. Opening an issue reads its comments; `c` posts one.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use super::api::decode;
use super::{Fetch, GithubApi, resolve_token, wire};
use crate::config::{Config, GithubSource};
use crate::providers::http::{self, Failure};
use crate::providers::poll::{self, Control};
use crate::providers::tickets;
use crate::providers::{Context, Provider};
use flightdeck_core::message::work::{Command, Msg as WorkMsg};
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::join::ServiceTarget;
use flightdeck_core::model::work::{COUNTED_LABELS, Ticket, TicketComment, TicketSource};
use flightdeck_core::model::{SourceId, SourceKind};
use flightdeck_core::sanitize;
use flightdeck_core::sync::lock;
use flightdeck_core::update::work::GITHUB_ISSUES;

/// Issues a page: GitHub's largest.
const PER_PAGE: usize = 100;
/// Pages of open issues read per repository and round at most: 1,000 issues is more queue than
/// a team works from; the status bar says when a repository has more.
const MAX_PAGES: usize = 10;
/// Pages of an issue's comments read when it is opened at most.
const COMMENT_PAGES: usize = 5;

/// What the provider's handle shares with its poll task.
#[derive(Default)]
struct Shared {
    control: Control,
    /// The services' repositories (`owner/repo`), from the catalog.
    repos: Mutex<BTreeSet<String>>,
    /// Each kept issue's body by ticket id, for the detail (the list carries it).
    bodies: Mutex<HashMap<String, String>>,
    /// The client, once the poll task made it: opening and commenting use it too.
    api: tokio::sync::OnceCell<GithubApi>,
}

pub struct IssuesProvider {
    shared: Arc<Shared>,
    cx: Context,
}

impl IssuesProvider {
    /// Runs when `[github]` is configured and `issues` is not turned off.
    pub fn start(config: &Config, cx: &Context) -> Option<Self> {
        let source = config.github.clone().filter(|g| g.issues)?;
        let shared = Arc::new(Shared::default());
        tokio::spawn(poll_task(source, shared.clone(), cx.clone()));
        Some(Self {
            shared,
            cx: cx.clone(),
        })
    }
}

impl Provider for IssuesProvider {
    fn targets(&mut self, targets: &[ServiceTarget]) {
        let repos: BTreeSet<String> = targets.iter().filter_map(|t| t.github.clone()).collect();
        let changed = {
            let mut held = lock(&self.shared.repos);
            let changed = *held != repos;
            *held = repos;
            changed
        };
        if changed {
            self.shared.control.refresh();
        }
    }

    fn kinds(&self) -> &'static [SourceKind] {
        &[SourceKind::Github]
    }

    fn refresh(&mut self) {
        self.shared.control.refresh();
    }

    fn command(&mut self, effect: &Effect) -> bool {
        match effect {
            Effect::Work(Command::Visible(sources)) => {
                // Every ticket provider reads it: not claimed.
                self.shared
                    .control
                    .set_visible(sources.contains(&TicketSource::Github));
                false
            }
            Effect::Work(
                command @ (Command::Open {
                    source: TicketSource::Github,
                    ..
                }
                | Command::Comment {
                    source: TicketSource::Github,
                    ..
                }),
            ) => {
                let command = command.clone();
                let shared = self.shared.clone();
                let tx = self.cx.tx.clone();
                let read_only = self.cx.read_only;
                tokio::spawn(async move {
                    let Some(api) = shared.api.get() else {
                        return tickets::not_connected(&tx, "github issues").await;
                    };
                    match command {
                        Command::Open { id, .. } => {
                            // The body came with the list: it is shown even when the comments
                            // cannot be read, and the notice says why they are missing.
                            let read = detail(api, &shared, &id).await;
                            let shown = read.clone().or_else(|_| Ok(body_only(&shared, &id)));
                            tickets::open(&tx, TicketSource::Github, &id, async { shown }).await;
                            if let Err(error) = read {
                                let what = format!("comments of {id}");
                                let failed = WorkMsg::Failed { what, error };
                                let _ = tx.send(Msg::Work(failed)).await;
                            }
                        }
                        Command::Comment {
                            id, label, body, ..
                        } => {
                            let act = async {
                                post_comment(api, &id, &body)
                                    .await
                                    .map_err(|f| f.describe("comment"))
                            };
                            // The detail shows the comment with the others; the list's next
                            // poll sees the issue updated.
                            let then = async {
                                shared.control.refresh();
                                detail(api, &shared, &id).await.ok()
                            };
                            tickets::change(&tx, read_only, label, act, then).await;
                        }
                        _ => {}
                    }
                });
                true
            }
            _ => false,
        }
    }
}

/// `owner/repo` and the number of a ticket id `owner/repo#7`, as a path prefix
/// `/repos/owner/repo/issues/7` (each part percent-encoded).
fn issue_path(id: &str) -> Option<String> {
    let (repo, number) = id.rsplit_once('#')?;
    let (owner, name) = repo.split_once('/')?;
    let number: u64 = number.parse().ok()?;
    let enc = flightdeck_core::wire::percent_encode;
    Some(format!(
        "/repos/{}/{}/issues/{number}",
        enc(owner),
        enc(name)
    ))
}

/// An issue's detail: its body (the list carried it) and its comments, oldest first, as
/// Markdown like the body.
async fn detail(api: &GithubApi, shared: &Shared, id: &str) -> Result<WorkMsg, String> {
    let path = issue_path(id).ok_or_else(|| format!("{id} is not an issue"))?;
    let mut comments = Vec::new();
    let mut next = Some(format!("{path}/comments?per_page={PER_PAGE}"));
    for _ in 0..COMMENT_PAGES {
        let Some(page) = next.take() else { break };
        let (fetch, more) = api
            .get_page(&page, None)
            .await
            .map_err(|f| f.describe("comments"))?;
        let Fetch::Fresh { body, .. } = fetch else {
            break;
        };
        let list: Vec<wire::IssueComment> = decode(&body).map_err(|f| f.describe("comments"))?;
        comments.extend(list.iter().map(decode_comment));
        next = more;
    }
    let mut shown = body_only(shared, id);
    if let WorkMsg::Detail { comments: c, .. } = &mut shown {
        *c = comments;
    }
    Ok(shown)
}

/// An issue's detail with its body alone.
fn body_only(shared: &Shared, id: &str) -> WorkMsg {
    let body = lock(&shared.bodies).get(id).cloned();
    WorkMsg::Detail {
        source: TicketSource::Github,
        id: id.to_string(),
        description: body.filter(|b| !b.trim().is_empty()),
        comments: vec![],
        links: vec![],
        transitions: vec![],
    }
}

pub fn decode_comment(c: &wire::IssueComment) -> TicketComment {
    TicketComment {
        author: c
            .user
            .as_ref()
            .map_or_else(|| "someone".to_string(), |u| sanitize::ident(&u.login)),
        at: Some(c.created_at),
        body: c.body.as_deref().map(sanitize::text).unwrap_or_default(),
    }
}

/// Posts `text` as a comment on the issue `id` (`owner/repo#7`).
async fn post_comment(api: &GithubApi, id: &str, text: &str) -> Result<(), Failure> {
    let path = issue_path(id).ok_or_else(|| Failure::Other(format!("{id} is not an issue")))?;
    let body = serde_json::json!({ "body": text });
    api.post(&format!("{path}/comments"), Some(&body))
        .await
        .map(|_| ())
}

/// Whether the queue keeps an issue: a pull request never; an issue assigned to the user,
/// opened by the user, or assigned to nobody (the team's to pick up).
pub fn kept(issue: &wire::Issue, me: Option<&str>) -> bool {
    if issue.pull_request.is_some() {
        return false;
    }
    let is_me = |u: &wire::User| me.is_some_and(|m| u.login.eq_ignore_ascii_case(m));
    let assignees: Vec<&wire::User> = issue
        .assignees
        .iter()
        .chain(issue.assignee.iter())
        .collect();
    assignees.is_empty()
        || assignees.iter().any(|u| is_me(u))
        || issue.user.as_ref().is_some_and(is_me)
}

/// An issue as the model keeps it: `repo` is `owner/repo`.
pub fn decode_issue(issue: &wire::Issue, repo: &str, me: Option<&str>) -> Ticket {
    let labels: Vec<String> = issue
        .labels
        .iter()
        .map(|l| sanitize::line(&l.name))
        .collect();
    let has = |name: &str| labels.iter().any(|l| l.eq_ignore_ascii_case(name));
    // GitHub has no priority: an incident first, then bugs, then the rest.
    let rank = if has("incident") {
        1
    } else if has("bug") {
        2
    } else {
        5
    };
    let repo = sanitize::ident(repo);
    let name = repo.rsplit('/').next().unwrap_or(&repo).to_string();
    let assignee = issue
        .assignees
        .first()
        .or(issue.assignee.as_ref())
        .map(|u| sanitize::ident(&u.login));
    Ticket {
        source: TicketSource::Github,
        key: format!("{name}#{}", issue.number),
        id: format!("{repo}#{}", issue.number),
        title: sanitize::line(&issue.title),
        status: sanitize::line(&issue.state),
        done: issue.state == "closed",
        rank,
        priority: String::new(),
        kind: "issue".into(),
        // Mine when any assignee is me, as `kept` reads it, not only the first.
        mine: me.is_some_and(|m| {
            issue
                .assignees
                .iter()
                .chain(issue.assignee.as_ref())
                .any(|u| u.login.eq_ignore_ascii_case(m))
        }),
        assignee,
        project: None,
        components: vec![],
        pagerduty_service: None,
        repo: Some(repo.clone()),
        labels,
        sprint: None,
        created: issue.created_at,
        updated: issue.updated_at.unwrap_or(issue.created_at),
        url: issue.html_url.as_deref().and_then(sanitize::url),
        incident_key: None,
    }
}

/// One page of a repository's open issues as last read: where it was, its ETag, the issues
/// kept from it, the counted labels over all its issues, and where the next page is.
struct Page {
    path: String,
    etag: Option<String>,
    next: Option<String>,
    tickets: Vec<Ticket>,
    bodies: Vec<(String, String)>,
    labels: BTreeMap<String, usize>,
}

impl Page {
    fn read(
        list: &[wire::Issue],
        repo: &str,
        me: Option<&str>,
        path: String,
        etag: Option<String>,
        next: Option<String>,
    ) -> Self {
        let kept: Vec<&wire::Issue> = list.iter().filter(|i| kept(i, me)).collect();
        let tickets: Vec<Ticket> = kept.iter().map(|i| decode_issue(i, repo, me)).collect();
        let bodies = kept
            .iter()
            .zip(&tickets)
            .map(|(i, t)| {
                let body = i.body.as_deref().map(sanitize::text).unwrap_or_default();
                (t.id.clone(), body)
            })
            .collect();
        Self {
            path,
            etag,
            next,
            tickets,
            bodies,
            labels: count_labels(list),
        }
    }
}

/// What one repository's last answers left: its pages, and whether the list went on past
/// [`MAX_PAGES`].
#[derive(Default)]
struct RepoIssues {
    pages: Vec<Page>,
    capped: bool,
}

/// One page's answer to its conditional GET.
enum PageAnswer {
    Same,
    Fresh {
        body: String,
        etag: Option<String>,
        next: Option<String>,
    },
}

/// What a round asks about a page it read before: its path, ETag and next page.
type Known = (String, Option<String>, Option<String>);

/// Reads `repo`'s open issues page by page, following the `Link` header up to [`MAX_PAGES`]:
/// each page conditionally when the last round read the same page, so a settled list costs one
/// 304 per page. Says too whether more pages were left unread.
async fn read_pages(
    api: &GithubApi,
    repo: &str,
    known: Vec<Known>,
) -> Result<(Vec<(String, PageAnswer)>, bool), Failure> {
    let mut out = Vec::new();
    let mut path = Some(format!(
        "/repos/{repo}/issues?state=open&per_page={PER_PAGE}"
    ));
    while let Some(p) = path.take() {
        if out.len() == MAX_PAGES {
            return Ok((out, true));
        }
        let held = known.get(out.len()).filter(|k| k.0 == p);
        let (fetch, next) = api.get_page(&p, held.and_then(|k| k.1.as_deref())).await?;
        match fetch {
            Fetch::NotModified => {
                path = held.and_then(|k| k.2.clone());
                out.push((p, PageAnswer::Same));
            }
            Fetch::Fresh { body, etag } => {
                path = next.clone();
                out.push((p, PageAnswer::Fresh { body, etag, next }));
            }
        }
    }
    Ok((out, false))
}

/// How many of `list`'s issues (pull requests aside) carry each counted label.
pub fn count_labels(list: &[wire::Issue]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for i in list.iter().filter(|i| i.pull_request.is_none()) {
        for counted in COUNTED_LABELS {
            if i.labels
                .iter()
                .any(|l| l.name.eq_ignore_ascii_case(counted))
            {
                *out.entry(counted.to_string()).or_default() += 1;
            }
        }
    }
    out
}

struct Issues<'a> {
    api: &'a GithubApi,
    cx: &'a Context,
    shared: &'a Shared,
    me: Option<String>,
    by_repo: HashMap<String, RepoIssues>,
    /// What was last sent, so an unchanged round sends nothing.
    sent: Option<Vec<Ticket>>,
    sent_labels: Option<BTreeMap<String, BTreeMap<String, usize>>>,
}

impl Issues<'_> {
    /// One repository's pages as this round read them: `false` when nothing changed. A page
    /// that failed to decode leaves the repository as it was.
    fn take(
        &mut self,
        repo: &str,
        answer: Result<(Vec<(String, PageAnswer)>, bool), Failure>,
    ) -> Result<bool, Failure> {
        let (answers, capped) = answer?;
        let held = self.by_repo.entry(repo.to_string()).or_default();
        let same = answers.len() == held.pages.len()
            && capped == held.capped
            && answers.iter().all(|(_, a)| matches!(a, PageAnswer::Same));
        if same {
            return Ok(false);
        }
        let me = self.me.as_deref();
        let mut fresh: Vec<Option<Page>> = Vec::with_capacity(answers.len());
        for (i, (path, answer)) in answers.into_iter().enumerate() {
            match answer {
                PageAnswer::Same if i < held.pages.len() => fresh.push(None),
                PageAnswer::Same => {
                    return Err(Failure::Malformed("304 for a page never read".into()));
                }
                PageAnswer::Fresh { body, etag, next } => {
                    let list: Vec<wire::Issue> = decode(&body)?;
                    fresh.push(Some(Page::read(&list, repo, me, path, etag, next)));
                }
            }
        }
        let mut old: Vec<Option<Page>> = std::mem::take(&mut held.pages)
            .into_iter()
            .map(Some)
            .collect();
        held.pages = fresh
            .into_iter()
            .enumerate()
            .filter_map(|(i, f)| f.or_else(|| old.get_mut(i).and_then(Option::take)))
            .collect();
        held.capped = capped;
        Ok(true)
    }
}

impl poll::Poller for Issues<'_> {
    async fn round(&mut self) -> poll::Round {
        if self.me.is_none() {
            self.me = self.api.login().await.ok();
            // Pages read before the login was known dropped and unmarked the user's issues; a
            // 304 would keep them so, so they are read whole once more.
            if self.me.is_some() {
                self.by_repo.clear();
            }
        }
        let repos: Vec<String> = lock(&self.shared.repos).iter().cloned().collect();
        self.by_repo.retain(|r, _| repos.contains(r));
        // Every repository at once (the client bounds what is in flight), its pages in turn.
        let asks = repos.iter().map(|repo| {
            let known: Vec<Known> = self.by_repo.get(repo).map_or_else(Vec::new, |r| {
                r.pages
                    .iter()
                    .map(|p| (p.path.clone(), p.etag.clone(), p.next.clone()))
                    .collect()
            });
            let api = self.api;
            async move { read_pages(api, repo, known).await }
        });
        let answers = futures::future::join_all(asks).await;
        let mut failed: Option<String> = None;
        for (repo, answer) in repos.iter().zip(answers) {
            // One repository failing keeps its last issues; the others still count.
            if let Err(f) = self.take(repo, answer) {
                failed.get_or_insert_with(|| f.describe(&format!("issues of {repo}")));
            }
        }
        let mut tickets: Vec<Ticket> = Vec::new();
        let mut bodies = HashMap::new();
        let mut labels = BTreeMap::new();
        let mut capped = Vec::new();
        for repo in &repos {
            if let Some(r) = self.by_repo.get(repo) {
                let mut counted: BTreeMap<String, usize> = BTreeMap::new();
                for p in &r.pages {
                    tickets.extend(p.tickets.iter().cloned());
                    bodies.extend(p.bodies.iter().cloned());
                    for (label, n) in &p.labels {
                        *counted.entry(label.clone()).or_default() += n;
                    }
                }
                labels.insert(repo.to_ascii_lowercase(), counted);
                if r.capped {
                    capped.push(repo.as_str());
                }
            }
        }
        *lock(&self.shared.bodies) = bodies;
        let count = tickets.len();
        if self.sent_labels.as_ref() != Some(&labels) {
            self.sent_labels = Some(labels.clone());
            self.cx
                .tx
                .send(Msg::Work(WorkMsg::IssueLabels {
                    at: self.cx.clock.now(),
                    by_repo: labels,
                }))
                .await
                .map_err(|_| "shutting down".to_string())?;
        }
        if self.sent.as_ref() != Some(&tickets) {
            let at = self.cx.clock.now();
            self.sent = Some(tickets.clone());
            self.cx
                .tx
                .send(Msg::Work(WorkMsg::Tickets {
                    source: TicketSource::Github,
                    at,
                    tickets,
                }))
                .await
                .map_err(|_| "shutting down".to_string())?;
        }
        match failed {
            Some(error) => Err(error),
            None if capped.is_empty() => Ok(Some(format!(
                "{count} issues in {} repositories",
                repos.len()
            ))),
            None => Ok(Some(format!(
                "{count} issues in {} repositories; the first {} open of {}",
                repos.len(),
                MAX_PAGES * PER_PAGE,
                capped.join(", ")
            ))),
        }
    }
}

async fn poll_task(source: GithubSource, shared: Arc<Shared>, cx: Context) {
    let id = SourceId::new(SourceKind::Github, GITHUB_ISSUES);
    let make = async {
        let token = resolve_token(&source).await?;
        // The host's one scheduler and budget, shared with the CI poller.
        GithubApi::for_source(&source, token, http::REQUEST_TIMEOUT)
    };
    let Some(api) = poll::connect(&cx, &id, make).await else {
        return;
    };
    let api = shared.api.get_or_init(|| async { api }).await;
    let pace = poll::Pace::new(source.issues_poll_secs, source.issues_sweep_secs);
    let mut issues = Issues {
        api,
        cx: &cx,
        shared: &shared,
        me: None,
        by_repo: HashMap::new(),
        sent: None,
        sent_labels: None,
    };
    poll::run(&cx, &id, &shared.control, pace, &mut issues).await;
}

/// Closed issues read for the metrics, pages of 100 at most.
const CLOSED_PAGES: usize = 10;

/// The issues of `repo` closed since `since` (pull requests left out), each with when it was
/// closed: what the delivery metrics' ticket rework share counts.
pub async fn closed_since(
    api: &GithubApi,
    repo: &str,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(chrono::DateTime<chrono::Utc>, Ticket)>, Failure> {
    let since = flightdeck_core::wire::percent_encode(
        &since.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    );
    let mut out = Vec::new();
    for page in 1..=CLOSED_PAGES {
        let list: Vec<wire::Issue> = api
            .get_json(&format!(
                "/repos/{repo}/issues?state=closed&since={since}&per_page={PER_PAGE}&page={page}"
            ))
            .await?;
        let full = list.len() == PER_PAGE;
        out.extend(
            list.iter()
                .filter(|i| i.pull_request.is_none())
                .filter_map(|i| Some((i.closed_at?, decode_issue(i, repo, None)))),
        );
        if !full {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issue(json: serde_json::Value) -> wire::Issue {
        serde_json::from_value(json).expect("an issue")
    }

    #[test]
    fn a_comment_is_sanitised_at_decode_and_keeps_its_author_and_time() {
        let c: wire::IssueComment = serde_json::from_value(serde_json::json!({
            "id": 1, "user": {"login": "jdoe\u{202e}"}, "body": "rolled back\u{1b}]52;c;eA==\u{7}",
            "created_at": "2026-03-02T08:00:00Z",
        }))
        .expect("a comment");
        let t = decode_comment(&c);
        assert!(
            !t.author.contains('\u{202e}')
                && !t.body.contains('\u{1b}')
                && !t.body.contains('\u{7}'),
            "no control or bidi character reaches the model: {t:?}"
        );
        assert!(t.body.starts_with("rolled back"));
        assert_eq!(
            t.at.map(|a| a.to_rfc3339()).as_deref(),
            Some("2026-03-02T08:00:00+00:00")
        );
        let anonymous: wire::IssueComment = serde_json::from_value(
            serde_json::json!({"user": null, "created_at": "2026-03-02T08:00:00Z"}),
        )
        .expect("a comment of a deleted user");
        assert_eq!(decode_comment(&anonymous).author, "someone");
        assert_eq!(
            issue_path("acme/payments-api#7").as_deref(),
            Some("/repos/acme/payments-api/issues/7")
        );
        assert_eq!(
            issue_path("acme/payments-api#x"),
            None,
            "not an issue number"
        );
    }

    #[test]
    fn the_queue_keeps_mine_the_teams_unassigned_and_no_pull_request() {
        let base = serde_json::json!({
            "number": 3, "title": "t\u{1b}[2J", "state": "open", "user": {"login": "asingh"},
            "assignees": [], "labels": [{"name": "bug"}],
            "created_at": "2026-03-02T08:00:00Z", "updated_at": "2026-03-02T09:00:00Z",
            "html_url": "https://github.com/acme/payments-api/issues/3",
        });
        let with = |k: &str, v: serde_json::Value| {
            let mut j = base.clone();
            j[k] = v;
            issue(j)
        };
        let me = Some("jdoe");
        assert!(kept(&issue(base.clone()), me), "unassigned: the team's");
        let theirs = with("assignees", serde_json::json!([{"login": "lgarcia"}]));
        assert!(!kept(&theirs, me));
        assert!(kept(
            &with("assignees", serde_json::json!([{"login": "JDoe"}])),
            me
        ));
        let mut opened = with("assignees", serde_json::json!([{"login": "lgarcia"}]));
        opened.user = Some(wire::User {
            login: "jdoe".into(),
        });
        assert!(kept(&opened, me), "opened by me");
        assert!(!kept(&with("pull_request", serde_json::json!({})), me));
        let t = decode_issue(&issue(base), "acme/payments-api", me);
        assert_eq!(
            (t.key.as_str(), t.id.as_str(), t.rank, t.title.as_str()),
            ("payments-api#3", "acme/payments-api#3", 2, "t^[[2J"),
            "the escape is shown in caret form, never sent to the terminal"
        );
        assert!(t.is_bug() && !t.mine);
    }
}
