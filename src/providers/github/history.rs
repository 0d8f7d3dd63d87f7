//! Delivery history from GitHub: production deployments with their final status, the commits
//! each brought (compare with the previous successful one) and the labels of the pull requests
//! behind them; deployments and pull requests through GraphQL in batches where the host answers
//! it (`graphql.rs`), REST otherwise. History does not change once a deployment has ended, so it
//! is kept on disk (versioned, written atomically, sanitised again when read back) and a later
//! run asks only for what is newer: the newest deployments, and statuses of those still open.
//! The cockpit's history task reads GitLab projects too (`providers::gitlab::history`).

mod graphql;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::api::{Fetch, GithubApi, decode};
use super::wire;
use crate::providers::http::Failure;
use flightdeck_core::message::Msg;
use flightdeck_core::message::delivery::{Command, Msg as DeliveryMsg, Repo};
use flightdeck_core::model::delivery::{Change, Deployment, Outcome};
use flightdeck_core::sanitize;

/// The cache file's format; another version is discarded and fetched again.
pub const CACHE_VERSION: u32 = 1;
const PER_PAGE: usize = 100;

/// What is kept of one repository.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RepoHistory {
    /// Production deployments by id.
    pub deployments: BTreeMap<u64, Deployment>,
    /// The first deployments page's ETag: a 304 means nothing new.
    pub etag: Option<String>,
    /// How far back the deployments were read; a longer window reads further.
    pub covers: Option<DateTime<Utc>>,
    /// `base...head` → the commits head brought.
    pub compares: BTreeMap<String, Vec<Change>>,
    /// Commit sha → (pull request number, labels), for commits already asked about.
    pub pulls: BTreeMap<String, (Option<u64>, Vec<String>)>,
    /// Deployments that will not change again although they have no outcome (put out of use
    /// before one): their statuses are not asked for again.
    #[serde(default)]
    pub settled: BTreeSet<u64>,
    /// GitLab: the newest deployment update seen; a later read asks only for newer ones.
    #[serde(default)]
    pub updated_after: Option<DateTime<Utc>>,
}

impl RepoHistory {
    /// The deployments created from `since` on and the one before them (the base of what the
    /// first brought), oldest first.
    pub fn since(&self, since: DateTime<Utc>) -> Vec<Deployment> {
        let mut all: Vec<_> = self.deployments.values().cloned().collect();
        all.sort_by_key(|d| (d.created, d.id));
        let first = all.iter().rposition(|d| d.created < since).unwrap_or(0);
        all.split_off(first)
    }
}

/// The whole cache: one file per GitHub API.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Cache {
    pub version: u32,
    pub repos: BTreeMap<String, RepoHistory>,
}

/// Where the cache for a GitHub API lives.
pub fn cache_path(cache_dir: &Path, api_url: &str) -> PathBuf {
    host_cache_path(cache_dir, "github", api_url)
}

/// Where the cache for a GitLab API lives: the same format, a file of its own.
pub fn gitlab_cache_path(cache_dir: &Path, api_url: &str) -> PathBuf {
    host_cache_path(cache_dir, "gitlab", api_url)
}

fn host_cache_path(cache_dir: &Path, host: &str, api_url: &str) -> PathBuf {
    let h = api_url.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    cache_dir.join(format!("delivery-{host}-{h:016x}.json"))
}

impl Cache {
    /// Reads the cache; a missing, corrupt or other-version file is an empty cache. Every
    /// string passes the sanitiser again: the file is outside data too.
    pub fn load(path: &Path) -> Self {
        let Ok(bytes) = std::fs::read(path) else {
            return Self::fresh();
        };
        match serde_json::from_slice::<Cache>(&bytes) {
            Ok(mut c) if c.version == CACHE_VERSION => {
                c.sanitise();
                c
            }
            Ok(_) | Err(_) => {
                tracing::info!(path = %path.display(), "discarding a delivery cache of another format");
                Self::fresh()
            }
        }
    }

    fn fresh() -> Self {
        Self {
            version: CACHE_VERSION,
            repos: BTreeMap::new(),
        }
    }

    fn sanitise(&mut self) {
        let change = |c: &mut Change| {
            c.sha = sanitize::ident(&c.sha);
            c.title = sanitize::line(&c.title);
            c.author = sanitize::ident(&c.author);
            for l in &mut c.labels {
                *l = sanitize::line(l);
            }
        };
        for repo in self.repos.values_mut() {
            for d in repo.deployments.values_mut() {
                d.sha = sanitize::ident(&d.sha);
                d.creator = sanitize::ident(&d.creator);
                d.changes.iter_mut().for_each(change);
            }
            for cs in repo.compares.values_mut() {
                cs.iter_mut().for_each(change);
            }
            for (_, labels) in repo.pulls.values_mut() {
                for l in labels {
                    *l = sanitize::line(l);
                }
            }
        }
    }

    /// Saves atomically: a crash mid-write leaves the previous file.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
        serde_json::to_writer(&mut tmp, self)?;
        tmp.flush()?;
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

#[derive(Debug, Deserialize)]
struct CompareCommitAuthor {
    #[serde(default)]
    login: String,
}

#[derive(Debug, Deserialize)]
struct CompareCommitPerson {
    date: DateTime<Utc>,
    #[serde(default)]
    name: String,
}

#[derive(Debug, Deserialize)]
struct CompareCommitInner {
    committer: CompareCommitPerson,
    #[serde(default)]
    author: Option<CompareCommitPerson>,
    #[serde(default)]
    message: String,
}

#[derive(Debug, Deserialize)]
struct CompareCommit {
    sha: String,
    commit: CompareCommitInner,
    #[serde(default)]
    author: Option<CompareCommitAuthor>,
}

#[derive(Debug, Deserialize)]
struct Comparison {
    #[serde(default)]
    commits: Vec<CompareCommit>,
}

#[derive(Debug, Deserialize)]
struct Label {
    name: String,
}

#[derive(Debug, Deserialize)]
struct Pull {
    number: u64,
    #[serde(default)]
    labels: Vec<Label>,
    #[serde(default)]
    merged_at: Option<DateTime<Utc>>,
}

/// One repository to read: its slug and production environment.
#[derive(Debug, Clone)]
pub struct Ask {
    pub slug: String,
    pub environment: String,
}

/// Reads histories: deployments with their statuses, and the pull requests behind commits,
/// through GraphQL in batches while the host answers it, through REST otherwise (a host
/// without GraphQL, an answer it refused, or `[delivery] graphql = false`); compares through
/// REST. Every request goes through the host's scheduler.
pub struct Reader {
    pub api: Arc<GithubApi>,
    graphql: AtomicBool,
}

/// Repositories read together: one GraphQL deployments query covers them.
pub const BATCH: usize = graphql::REPOS_PER_QUERY;
/// A warm read's first page: a few newest deployments are enough to meet the cached ones.
const WARM_PAGE: usize = 10;

impl Reader {
    pub fn new(api: Arc<GithubApi>, graphql: bool) -> Self {
        Self {
            api,
            graphql: AtomicBool::new(graphql),
        }
    }

    fn graphql(&self) -> bool {
        self.graphql.load(Ordering::Relaxed)
    }

    /// A GraphQL failure other than a limit: read through REST from now on.
    fn without_graphql(&self, f: &Failure) {
        tracing::info!(failure = %f.describe("GitHub GraphQL"), "delivery history reads through REST");
        self.graphql.store(false, Ordering::Relaxed);
    }

    /// The history of each of `asks` from `since` on (and the deployment before it, the base
    /// of the first compare), updated in `repos` (the same order) in place; one answer each.
    pub async fn read(
        &self,
        asks: &[Ask],
        since: DateTime<Utc>,
        repos: &mut [RepoHistory],
    ) -> Vec<Result<(), Failure>> {
        let mut results: Vec<Result<(), Failure>> = asks.iter().map(|_| Ok(())).collect();
        // 1. Deployments, newest first, until one older than `since` or one already ended in
        // the cache (everything before it is known).
        let mut fresh: Vec<BTreeSet<u64>> = vec![BTreeSet::new(); asks.len()];
        let mut by_rest = true;
        if self.graphql() {
            match self
                .graphql_deployments(asks, since, repos, &mut fresh)
                .await
            {
                Ok(each) => {
                    by_rest = false;
                    for (r, e) in results.iter_mut().zip(each) {
                        *r = e;
                    }
                }
                Err(f @ Failure::Limited { .. }) => {
                    return asks.iter().map(|_| Err(f.clone())).collect();
                }
                Err(f) => self.without_graphql(&f),
            }
        }
        if by_rest {
            for ((a, repo), r) in asks.iter().zip(repos.iter_mut()).zip(&mut results) {
                *r = rest_deployments(&self.api, &a.slug, &a.environment, since, repo).await;
            }
        }
        // 2. Statuses of those still open that step 1 did not just read: a settled deployment
        // is never asked about again.
        for (((a, repo), r), seen) in asks
            .iter()
            .zip(repos.iter_mut())
            .zip(&mut results)
            .zip(&fresh)
        {
            if r.is_ok() {
                *r = rest_statuses(&self.api, &a.slug, repo, seen).await;
            }
        }
        // 3. What each ended deployment brought: compare with the previous successful one.
        let mut wanted: Vec<Vec<(u64, String)>> = Vec::with_capacity(asks.len());
        for ((a, repo), r) in asks.iter().zip(repos.iter_mut()).zip(&mut results) {
            let w = compares_wanted(repo);
            if r.is_ok() {
                *r = rest_compares(&self.api, &a.slug, repo, &w).await;
            }
            wanted.push(w);
        }
        // 4. The pull requests behind those commits, for their labels.
        let mut missing: Vec<(usize, String)> = Vec::new();
        for (i, (repo, w)) in repos.iter().zip(&wanted).enumerate() {
            if results[i].is_err() {
                continue;
            }
            let shas: BTreeSet<&String> = w
                .iter()
                .filter_map(|(_, k)| repo.compares.get(k))
                .flatten()
                .map(|c| &c.sha)
                .filter(|s| !repo.pulls.contains_key(*s))
                .collect();
            missing.extend(shas.into_iter().map(|s| (i, s.clone())));
        }
        if self.graphql() {
            for chunk in missing.chunks(graphql::COMMITS_PER_QUERY) {
                let asked: Vec<(&str, &str)> = chunk
                    .iter()
                    .map(|(i, sha)| (asks[*i].slug.as_str(), sha.as_str()))
                    .collect();
                match self.api.history_pulls(&asked).await {
                    Ok(found) => {
                        for ((i, sha), entry) in chunk.iter().zip(found) {
                            repos[*i].pulls.insert(sha.clone(), entry);
                        }
                    }
                    Err(f @ Failure::Limited { .. }) => {
                        for (i, _) in chunk {
                            results[*i] = Err(f.clone());
                        }
                    }
                    Err(f) => {
                        self.without_graphql(&f);
                        break;
                    }
                }
            }
        }
        let left: Vec<(usize, String)> = missing
            .into_iter()
            .filter(|(i, sha)| results[*i].is_ok() && !repos[*i].pulls.contains_key(sha))
            .collect();
        if !left.is_empty() {
            rest_pulls(&self.api, asks, repos, &mut results, left).await;
        }
        // 5. Join it all onto the deployments.
        for ((repo, w), r) in repos.iter_mut().zip(wanted).zip(&results) {
            if r.is_ok() {
                join(repo, w);
            }
        }
        results
    }

    /// Step 1 through GraphQL: a page per repository and query, the next pages only for the
    /// repositories that need them. `fresh` gets the deployments whose statuses were read.
    async fn graphql_deployments(
        &self,
        asks: &[Ask],
        since: DateTime<Utc>,
        repos: &mut [RepoHistory],
        fresh: &mut [BTreeSet<u64>],
    ) -> Result<Vec<Result<(), Failure>>, Failure> {
        let mut results: Vec<Result<(), Failure>> = asks.iter().map(|_| Ok(())).collect();
        let deep: Vec<bool> = repos
            .iter()
            .map(|r| r.covers.is_none_or(|c| since < c))
            .collect();
        // Per repository: the next cursor, or done.
        let mut next: Vec<Option<Option<String>>> = asks.iter().map(|_| Some(None)).collect();
        loop {
            let active: Vec<usize> = (0..asks.len()).filter(|i| next[*i].is_some()).collect();
            if active.is_empty() {
                break;
            }
            let pages: Vec<graphql::PageAsk<'_>> = active
                .iter()
                .map(|i| {
                    let after = next[*i].clone().flatten();
                    graphql::PageAsk {
                        slug: &asks[*i].slug,
                        environment: &asks[*i].environment,
                        first: if deep[*i] || after.is_some() {
                            PER_PAGE
                        } else {
                            WARM_PAGE
                        },
                        after,
                    }
                })
                .collect();
            let answers = self.api.history_pages(&pages).await?;
            for (i, page) in active.into_iter().zip(answers) {
                let Some(page) = page else {
                    results[i] = Err(Failure::Status {
                        code: 404,
                        message: format!("{} not found", asks[i].slug),
                    });
                    next[i] = None;
                    continue;
                };
                let repo = &mut repos[i];
                let mut stop = false;
                for n in page.nodes {
                    let known_ended = repo.deployments.get(&n.id).is_some_and(|d| d.end.is_some());
                    let old = n.created < since;
                    if !known_ended {
                        let d = repo.deployments.entry(n.id).or_insert_with(|| Deployment {
                            id: n.id,
                            sha: n.sha.clone(),
                            creator: n.creator.clone(),
                            created: n.created,
                            end: None,
                            changes: vec![],
                        });
                        d.end = n.end;
                        if n.settled {
                            repo.settled.insert(n.id);
                        }
                        fresh[i].insert(n.id);
                    }
                    if old || (known_ended && !deep[i]) {
                        stop = true;
                        break;
                    }
                }
                next[i] = match page.next {
                    Some(cursor) if !stop => Some(Some(cursor)),
                    _ => None,
                };
            }
        }
        for (repo, d) in repos.iter_mut().zip(deep) {
            if d {
                repo.covers = Some(since);
            }
        }
        Ok(results)
    }
}

/// Step 1 through REST: the deployments list, its first page conditional on the cached ETag.
async fn rest_deployments(
    api: &GithubApi,
    slug: &str,
    environment: &str,
    since: DateTime<Utc>,
    repo: &mut RepoHistory,
) -> Result<(), Failure> {
    let deep = repo.covers.is_none_or(|c| since < c);
    let mut page = 1;
    'pages: loop {
        let path = format!(
            "/repos/{slug}/deployments?environment={}&per_page={PER_PAGE}&page={page}",
            flightdeck_core::wire::percent_encode(environment)
        );
        let etag = if page == 1 && !deep {
            repo.etag.as_deref()
        } else {
            None
        };
        let body = match api.get(&path, etag).await? {
            Fetch::NotModified => break,
            Fetch::Fresh { body, etag } => {
                if page == 1 {
                    repo.etag = etag;
                }
                body
            }
        };
        let list: Vec<wire::Deployment> = decode(&body)?;
        let n = list.len();
        for w in list {
            let known_ended = repo.deployments.get(&w.id).is_some_and(|d| d.end.is_some());
            let old = w.created_at < since;
            if !known_ended {
                repo.deployments.entry(w.id).or_insert_with(|| Deployment {
                    id: w.id,
                    sha: sanitize::ident(&w.sha),
                    creator: w
                        .creator
                        .as_ref()
                        .map(|u| sanitize::ident(&u.login))
                        .unwrap_or_default(),
                    created: w.created_at,
                    end: None,
                    changes: vec![],
                });
            }
            if old || (known_ended && !deep) {
                break 'pages;
            }
        }
        if n < PER_PAGE {
            break;
        }
        page += 1;
    }
    if deep {
        repo.covers = Some(since);
    }
    Ok(())
}

/// Step 2: the statuses of deployments still open (not ended, not settled) and not in `seen`.
async fn rest_statuses(
    api: &Arc<GithubApi>,
    slug: &str,
    repo: &mut RepoHistory,
    seen: &BTreeSet<u64>,
) -> Result<(), Failure> {
    let pending: Vec<u64> = repo
        .deployments
        .values()
        .filter(|d| d.end.is_none() && !repo.settled.contains(&d.id) && !seen.contains(&d.id))
        .map(|d| d.id)
        .collect();
    let mut asks = tokio::task::JoinSet::new();
    for id in pending {
        let api = api.clone();
        let path = format!("/repos/{slug}/deployments/{id}/statuses?per_page={PER_PAGE}");
        asks.spawn(async move { (id, api.get_json::<Vec<wire::DeploymentStatus>>(&path).await) });
    }
    while let Some(joined) = asks.join_next().await {
        let Ok((id, answer)) = joined else { continue };
        let statuses = answer?;
        // Newest first; `inactive` follows a success when a later one replaced it.
        let end = statuses.iter().find_map(|s| {
            let outcome = match s.state.as_str() {
                "success" => Outcome::Success,
                "failure" => Outcome::Failure,
                "error" => Outcome::Error,
                _ => return None,
            };
            Some((outcome, s.created_at))
        });
        // Ended, or put out of use without an outcome: it will not change again.
        if end.is_some() || statuses.iter().any(|s| s.state == "inactive") {
            repo.settled.insert(id);
        }
        if let Some(d) = repo.deployments.get_mut(&id) {
            d.end = end;
        }
    }
    Ok(())
}

/// Which compares the ended deployments need: (deployment, `base...head`).
pub(crate) fn compares_wanted(repo: &RepoHistory) -> Vec<(u64, String)> {
    let mut ordered: Vec<&Deployment> = repo.deployments.values().collect();
    ordered.sort_by_key(|d| (d.created, d.id));
    let mut wanted: Vec<(u64, String)> = Vec::new();
    let mut base: Option<&str> = None;
    for d in &ordered {
        if let (Some(b), Some(_)) = (base, d.end) {
            wanted.push((d.id, format!("{b}...{}", d.sha)));
        }
        if matches!(d.end, Some((Outcome::Success, _))) {
            base = Some(d.sha.as_str());
        }
    }
    wanted
}

/// Step 3: the compares not cached yet.
async fn rest_compares(
    api: &Arc<GithubApi>,
    slug: &str,
    repo: &mut RepoHistory,
    wanted: &[(u64, String)],
) -> Result<(), Failure> {
    let mut asks = tokio::task::JoinSet::new();
    for (_, key) in wanted {
        if repo.compares.contains_key(key) {
            continue;
        }
        let api = api.clone();
        let key = key.clone();
        let path = format!("/repos/{slug}/compare/{key}");
        asks.spawn(async move { (key, api.get_json::<Comparison>(&path).await) });
    }
    while let Some(joined) = asks.join_next().await {
        let Ok((key, answer)) = joined else { continue };
        let changes = answer?
            .commits
            .into_iter()
            .map(|c| Change {
                sha: sanitize::ident(&c.sha),
                title: sanitize::line(c.commit.message.lines().next().unwrap_or_default()),
                author: c
                    .author
                    .map(|a| sanitize::ident(&a.login))
                    .filter(|a| !a.is_empty())
                    .or_else(|| c.commit.author.map(|a| sanitize::line(&a.name)))
                    .unwrap_or_default(),
                committed: c.commit.committer.date,
                labels: vec![],
                pull: None,
            })
            .collect();
        repo.compares.insert(key, changes);
    }
    Ok(())
}

/// Step 4 through REST: a request per commit; a repository whose lookup fails is marked so.
async fn rest_pulls(
    api: &Arc<GithubApi>,
    asks: &[Ask],
    repos: &mut [RepoHistory],
    results: &mut [Result<(), Failure>],
    missing: Vec<(usize, String)>,
) {
    let mut pending = tokio::task::JoinSet::new();
    for (i, sha) in missing {
        let api = api.clone();
        let path = format!("/repos/{}/commits/{sha}/pulls", asks[i].slug);
        pending.spawn(async move { (i, sha, api.get_json::<Vec<Pull>>(&path).await) });
    }
    while let Some(joined) = pending.join_next().await {
        let Ok((i, sha, answer)) = joined else {
            continue;
        };
        let pulls = match answer {
            Ok(p) => p,
            Err(f) => {
                results[i] = Err(f);
                continue;
            }
        };
        let merged = pulls.iter().find(|p| p.merged_at.is_some());
        let entry = merged.map_or((None, vec![]), |p| {
            (
                Some(p.number),
                p.labels.iter().map(|l| sanitize::line(&l.name)).collect(),
            )
        });
        repos[i].pulls.insert(sha, entry);
    }
}

/// Step 5: each deployment's changes, with their pull requests and labels.
pub(crate) fn join(repo: &mut RepoHistory, wanted: Vec<(u64, String)>) {
    for (id, key) in wanted {
        let mut changes = repo.compares.get(&key).cloned().unwrap_or_default();
        for c in &mut changes {
            if let Some((pull, labels)) = repo.pulls.get(&c.sha) {
                c.pull = *pull;
                c.labels = labels.clone();
            }
        }
        if let Some(d) = repo.deployments.get_mut(&id) {
            d.changes = changes;
        }
    }
}

/// The cockpit's side of the history: the Delivery screen asks (`Command::Read`) once it is
/// opened; the task answers at once from the disk cache, then reads what is newer from GitHub
/// repository by repository, sends each service's deployments as they come, and saves the cache.
/// When and how often to read is the screen's to say; this only reads.
pub struct HistoryProvider {
    tx: tokio::sync::mpsc::UnboundedSender<(DateTime<Utc>, Vec<Repo>)>,
}

impl HistoryProvider {
    /// Runs when `[github]` or `[gitlab]` is configured; idle until the Delivery screen asks.
    pub fn start(config: &crate::config::Config, cx: &crate::providers::Context) -> Option<Self> {
        if config.github.is_none() && config.gitlab.is_none() {
            return None;
        }
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let dir = crate::snapshot::cache_dir();
        let path = |url: &str| dir.as_deref().map(|d| cache_path(d, url));
        let sources = Sources {
            github: config.github.clone().map(|s| (s.clone(), path(&s.api_url))),
            gitlab: config.gitlab.clone().map(|s| {
                let p = dir.as_deref().map(|d| gitlab_cache_path(d, &s.api_url));
                (s, p)
            }),
            graphql: config.delivery.graphql,
        };
        tokio::spawn(read_task(sources, rx, cx.tx.clone(), cx.clock.clone()));
        Some(Self { tx })
    }
}

impl crate::providers::Provider for HistoryProvider {
    fn kinds(&self) -> &'static [flightdeck_core::model::SourceKind] {
        // Refreshing is the screen's own `Read`: a refresh of GitHub's CI must not re-read
        // history, so no kind reaches `refresh`.
        &[]
    }

    fn command(&mut self, effect: &flightdeck_core::message::Effect) -> bool {
        match effect {
            flightdeck_core::message::Effect::Delivery(Command::Read { since, repos }) => {
                let _ = self.tx.send((*since, repos.clone()));
                true
            }
            _ => false,
        }
    }
}

/// What the history task reads from.
struct Sources {
    github: Option<(crate::config::GithubSource, Option<PathBuf>)>,
    gitlab: Option<(crate::config::GitlabSource, Option<PathBuf>)>,
    graphql: bool,
}

async fn read_task(
    sources: Sources,
    mut rx: tokio::sync::mpsc::UnboundedReceiver<(DateTime<Utc>, Vec<Repo>)>,
    tx: tokio::sync::mpsc::Sender<Msg>,
    clock: crate::clock::Clock,
) {
    let mut github = Side::default();
    let mut gitlab = Side::default();
    while let Some((mut since, mut repos)) = rx.recv().await {
        // Asks queued while a read ran: the newest list, the deepest window.
        while let Ok((s, r)) = rx.try_recv() {
            since = since.min(s);
            repos = r;
        }
        let (on_gitlab, on_github): (Vec<Repo>, Vec<Repo>) =
            repos.into_iter().partition(|r| r.gitlab);
        let read = Read {
            since,
            tx: &tx,
            clock: &clock,
        };
        let go_on = match &sources.github {
            Some((source, path)) => {
                read_github(
                    &read,
                    source,
                    sources.graphql,
                    path,
                    &mut github,
                    &on_github,
                )
                .await
            }
            None => {
                read.unread(&on_github, "no [github] source is configured")
                    .await
            }
        } && match &sources.gitlab {
            Some((source, path)) => read_gitlab(&read, source, path, &mut gitlab, &on_gitlab).await,
            None => {
                read.unread(&on_gitlab, "no [gitlab] source is configured")
                    .await
            }
        };
        if !go_on {
            return;
        }
    }
}

/// One host's cache and client, made on the first read.
struct Side<C> {
    cache: Option<Cache>,
    client: Option<C>,
}

impl<C> Default for Side<C> {
    fn default() -> Self {
        Self {
            cache: None,
            client: None,
        }
    }
}

impl<C> Side<C> {
    async fn cache(&mut self, path: &Option<PathBuf>) -> &mut Cache {
        if self.cache.is_none() {
            let loaded = match path.clone() {
                Some(p) => tokio::task::spawn_blocking(move || Cache::load(&p))
                    .await
                    .unwrap_or_default(),
                None => Cache::default(),
            };
            self.cache = Some(loaded);
        }
        self.cache.get_or_insert_with(Cache::default)
    }
}

/// One read's window and where its answers go.
struct Read<'a> {
    since: DateTime<Utc>,
    tx: &'a tokio::sync::mpsc::Sender<Msg>,
    clock: &'a crate::clock::Clock,
}

impl Read<'_> {
    /// Sends one message; `false` once the cockpit is gone.
    async fn send(&self, msg: DeliveryMsg) -> bool {
        self.tx.send(Msg::Delivery(msg)).await.is_ok()
    }

    /// Every one of `repos` failed for the same reason.
    async fn unread(&self, repos: &[Repo], why: &str) -> bool {
        for r in repos {
            let msg = DeliveryMsg::Failed {
                service: r.service.clone(),
                error: sanitize::line(why),
            };
            if !self.send(msg).await {
                return false;
            }
        }
        true
    }

    /// What a previous run kept shows at once, before anything is asked of the host.
    async fn cached(&self, cache: &Cache, repos: &[Repo]) -> bool {
        for r in repos {
            if let Some(repo) = cache.repos.get(&r.slug) {
                let msg = DeliveryMsg::History {
                    service: r.service.clone(),
                    at: self.clock.now(),
                    deployments: repo.since(self.since),
                };
                if !self.send(msg).await {
                    return false;
                }
            }
        }
        true
    }

    /// One repository's answer.
    async fn answer(&self, r: &Repo, repo: &RepoHistory, answer: Result<(), String>) -> bool {
        let msg = match answer {
            Ok(()) => DeliveryMsg::History {
                service: r.service.clone(),
                at: self.clock.now(),
                deployments: repo.since(self.since),
            },
            Err(error) => DeliveryMsg::Failed {
                service: r.service.clone(),
                error,
            },
        };
        self.send(msg).await
    }
}

/// GitHub's repositories, a batch at a time; `false` once the cockpit is gone.
async fn read_github(
    read: &Read<'_>,
    source: &crate::config::GithubSource,
    graphql: bool,
    path: &Option<PathBuf>,
    side: &mut Side<Arc<Reader>>,
    repos: &[Repo],
) -> bool {
    if repos.is_empty() {
        return true;
    }
    let since = read.since;
    if !read.cached(side.cache(path).await, repos).await {
        return false;
    }
    let reader = match &side.client {
        Some(r) => r.clone(),
        None => {
            let made = match super::resolve_token(source).await {
                // Built from the source, so the host has `[github]`'s budget whichever of its
                // users starts first.
                Ok(token) => {
                    GithubApi::for_source(source, token, crate::providers::http::REQUEST_TIMEOUT)
                        .map(|a| Arc::new(Reader::new(Arc::new(a), graphql)))
                        .map_err(|e| e.to_string())
                }
                Err(e) => Err(e.to_string()),
            };
            match made {
                Ok(a) => side.client.insert(a).clone(),
                Err(e) => return read.unread(repos, &e).await,
            }
        }
    };
    let cache = side.cache(path).await;
    // Saved every few seconds as well as at the end: a cold read takes a while, and a quit
    // in the middle should keep what was read so far.
    let mut saved = std::time::Instant::now();
    for batch in repos.chunks(BATCH) {
        let asks: Vec<Ask> = batch
            .iter()
            .map(|r| Ask {
                slug: r.slug.clone(),
                environment: r.environment.clone(),
            })
            .collect();
        let mut held: Vec<RepoHistory> = batch
            .iter()
            .map(|r| cache.repos.remove(&r.slug).unwrap_or_default())
            .collect();
        let answers = reader.read(&asks, since, &mut held).await;
        for ((r, repo), answer) in batch.iter().zip(held).zip(answers) {
            let answer = answer.map_err(|f| f.describe("GitHub"));
            let sent = read.answer(r, &repo, answer).await;
            cache.repos.insert(r.slug.clone(), repo);
            if !sent {
                return false;
            }
        }
        if saved.elapsed() >= SAVE_EVERY {
            save(cache, path.as_deref()).await;
            saved = std::time::Instant::now();
        }
    }
    save(cache, path.as_deref()).await;
    true
}

/// GitLab's projects, one at a time; `false` once the cockpit is gone.
async fn read_gitlab(
    read: &Read<'_>,
    source: &crate::config::GitlabSource,
    path: &Option<PathBuf>,
    side: &mut Side<Arc<crate::providers::gitlab::GitlabApi>>,
    repos: &[Repo],
) -> bool {
    if repos.is_empty() {
        return true;
    }
    if !read.cached(side.cache(path).await, repos).await {
        return false;
    }
    let api = match &side.client {
        Some(a) => a.clone(),
        None => {
            let made = match crate::providers::gitlab::resolve_token(source).await {
                Ok(token) => crate::providers::gitlab::GitlabApi::new(
                    &source.api_url,
                    token,
                    4,
                    crate::providers::http::REQUEST_TIMEOUT,
                )
                .map(Arc::new),
                Err(e) => Err(e),
            };
            match made {
                Ok(a) => side.client.insert(a).clone(),
                Err(e) => return read.unread(repos, &e).await,
            }
        }
    };
    let cache = side.cache(path).await;
    let mut saved = std::time::Instant::now();
    for r in repos {
        let mut repo = cache.repos.remove(&r.slug).unwrap_or_default();
        let answer = api
            .history(&r.slug, &r.environment, read.since, &mut repo)
            .await
            .map_err(|f| f.describe("GitLab"));
        let sent = read.answer(r, &repo, answer).await;
        cache.repos.insert(r.slug.clone(), repo);
        if !sent {
            return false;
        }
        if saved.elapsed() >= SAVE_EVERY {
            save(cache, path.as_deref()).await;
            saved = std::time::Instant::now();
        }
    }
    save(cache, path.as_deref()).await;
    true
}

/// How often a long read saves what it has so far.
const SAVE_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

async fn save(cache: &Cache, path: Option<&Path>) {
    let Some(p) = path.map(Path::to_path_buf) else {
        return;
    };
    let snapshot = cache.clone();
    let saved = tokio::task::spawn_blocking(move || snapshot.save(&p)).await;
    if let Ok(Err(e)) = saved {
        tracing::warn!(error = %e, "cannot save the delivery cache");
    }
}
