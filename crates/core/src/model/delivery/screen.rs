//! The Delivery screen's state: each service's classified history as it arrived, and what the
//! screen shows for the chosen window and grouping (rows with both windows' metrics, bands and
//! per-week bars, sorted by what needs attention; a service's deployment timeline), derived in
//! `update` when the data, the window, the grouping or the filter changes, so the view only draws.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};

use super::{Band, Bands, Deployment, Failed, History, Metrics, Outcome, Rework, Tally, Window};

/// The windows the screen switches between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Span {
    Week,
    #[default]
    Month,
    Quarter,
}

impl Span {
    pub fn days(self) -> i64 {
        match self {
            Span::Week => 7,
            Span::Month => 30,
            Span::Quarter => 90,
        }
    }

    pub fn next(self) -> Span {
        match self {
            Span::Week => Span::Month,
            Span::Month => Span::Quarter,
            Span::Quarter => Span::Week,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Span::Week => "7d",
            Span::Month => "30d",
            Span::Quarter => "90d",
        }
    }

    /// The width of one bar: a day over a week (seven bars), else a week.
    pub fn bucket(self) -> Duration {
        match self {
            Span::Week => Duration::days(1),
            Span::Month | Span::Quarter => Duration::days(7),
        }
    }

    /// How many bars the window has (the oldest one may be partial).
    pub fn buckets(self) -> usize {
        let b = self.bucket().num_days().max(1);
        ((self.days() + b - 1) / b) as usize
    }
}

/// One row per service, or services rolled up per owner or per system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Grouping {
    #[default]
    Service,
    Owner,
    System,
}

impl Grouping {
    pub fn next(self) -> Grouping {
        match self {
            Grouping::Service => Grouping::Owner,
            Grouping::Owner => Grouping::System,
            Grouping::System => Grouping::Service,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Grouping::Service => "service",
            Grouping::Owner => "owner",
            Grouping::System => "system",
        }
    }
}

/// What the catalog says about a service the screen lists.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceInfo {
    pub name: String,
    pub owner: String,
    pub system: String,
    /// Golden paths: the template that made it (`backstage.io/source-template`) and when it
    /// was requested (`flightdeck.dev/created-at`).
    pub template: Option<String>,
    pub requested: Option<DateTime<Utc>>,
}

/// One service's history as the cockpit holds it.
#[derive(Debug, Clone, Default)]
pub struct ServiceHistory {
    pub history: History,
    /// When it was last read (from GitHub, or from the disk cache a previous run wrote).
    pub fetched_at: Option<DateTime<Utc>>,
    /// Why the last read failed; the history kept is from before.
    pub error: Option<String>,
}

/// Which way a metric moved against the previous window, and whether that is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trend {
    Up,
    Down,
    Flat,
}

impl Trend {
    pub fn arrow(self) -> &'static str {
        match self {
            Trend::Up => "↑",
            Trend::Down => "↓",
            Trend::Flat => "→",
        }
    }

    fn of(now: Option<f64>, before: Option<f64>) -> Option<Trend> {
        let (n, b) = (now?, before?);
        let tolerance = b.abs() * 0.05;
        Some(if (n - b).abs() <= tolerance {
            Trend::Flat
        } else if n > b {
            Trend::Up
        } else {
            Trend::Down
        })
    }
}

/// The trend of each metric, the window against the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Trends {
    pub frequency: Option<Trend>,
    pub lead_time: Option<Trend>,
    pub change_failure_rate: Option<Trend>,
    pub recovery_time: Option<Trend>,
    pub rework_rate: Option<Trend>,
}

impl Trends {
    fn of(now: &Metrics, before: &Metrics) -> Self {
        let secs = |s: Option<i64>| s.map(|s| s as f64);
        let freq = |m: &Metrics| (m.deployments > 0).then_some(m.deployments_per_week);
        Trends {
            frequency: Trend::of(freq(now), freq(before)),
            lead_time: Trend::of(
                secs(now.lead_time_median_secs),
                secs(before.lead_time_median_secs),
            ),
            change_failure_rate: Trend::of(now.change_failure_rate, before.change_failure_rate),
            recovery_time: Trend::of(
                secs(now.recovery_time_median_secs),
                secs(before.recovery_time_median_secs),
            ),
            rework_rate: Trend::of(now.rework_rate, before.rework_rate),
        }
    }
}

/// One row of the screen: a service, or an owner's or system's services rolled up.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// The service's catalog ref, or the owner's or system's name.
    pub key: String,
    pub name: String,
    /// How many services it sums (1 for a service's row).
    pub services: usize,
    pub now: Metrics,
    pub before: Metrics,
    pub bands: Bands,
    pub trends: Trends,
    /// Ended deployments per bar, oldest first, and the failed ones among them.
    pub deploys: Vec<u32>,
    pub failures: Vec<u32>,
    /// The largest bar of `deploys`, for the scale.
    pub top: u32,
    /// Why its history may be behind (the last read failed), for a service's row.
    pub error: Option<String>,
    /// `name owner system`, lower-case, for the `/` filter.
    pub haystack: String,
}

impl Row {
    /// The sort key: what needs attention first. Failures not yet recovered, then the worst
    /// band among the four, then the change failure rate, then the name; rows with nothing to
    /// compute from last.
    fn attention(&self) -> (bool, bool, u8, i64, String) {
        let worst = [
            self.bands.deployment_frequency,
            self.bands.lead_time,
            self.bands.change_failure_rate,
            self.bands.recovery_time,
        ]
        .into_iter()
        .flatten()
        .max()
        .map_or(0, |b| b as u8);
        let cfr = self
            .now
            .change_failure_rate
            .map_or(0, |r| (r * 10_000.0) as i64);
        (
            self.now.deployments == 0,
            self.now.unrecovered == 0,
            u8::MAX - worst,
            -cfr,
            self.name.to_lowercase(),
        )
    }
}

/// How one deployment of the timeline ended, in the words the list uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Healthy,
    Failed,
    RolledBack,
    /// A critical alert started within the hour after it.
    Alerted,
    /// It has not ended.
    Running,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Healthy => "healthy",
            Verdict::Failed => "failed",
            Verdict::RolledBack => "rolled back",
            Verdict::Alerted => "critical alert",
            Verdict::Running => "running",
        }
    }
}

/// A line of the timeline's list: a deployment, or one commit it brought under it.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Deploy {
        created: DateTime<Utc>,
        /// The deployed commit, seven hex digits.
        version: String,
        creator: String,
        /// From its creation to its last status.
        took: Option<Duration>,
        verdict: Verdict,
        rework: Option<Rework>,
        /// Whether this deployment put back an earlier version.
        rollback: bool,
        changes: usize,
    },
    Change {
        sha: String,
        title: String,
        author: String,
        pull: Option<u64>,
    },
}

/// One day's (or week's) column of the timeline's chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bar {
    pub deploys: u32,
    pub failed: u32,
    pub rollbacks: u32,
    pub rework: u32,
}

/// A service's deployments over the window: a bar per day and the list, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Timeline {
    pub service: String,
    pub name: String,
    pub span: Span,
    pub start: DateTime<Utc>,
    pub bars: Vec<Bar>,
    pub top: u32,
    pub entries: Vec<Entry>,
    pub deployments: usize,
    pub scroll: usize,
}

/// The Delivery screen's whole state.
#[derive(Debug, Clone, Default)]
pub struct DeliveryState {
    /// By service ref.
    pub histories: BTreeMap<String, ServiceHistory>,
    /// The catalog's services the screen lists, by ref (filled from the catalog in `update`).
    pub services: BTreeMap<String, ServiceInfo>,
    pub span: Span,
    pub grouping: Grouping,
    /// Every row for the window and grouping, sorted; `visible` indexes the filtered ones.
    pub rows: Vec<Row>,
    pub visible: Vec<usize>,
    /// The window the rows were computed for.
    pub window: Option<Window>,
    pub timeline: Option<Timeline>,
    /// How far back the history provider was last asked to read (days before now), and when.
    pub asked: Option<(i64, DateTime<Utc>)>,
    /// How many services' histories were asked for, to say how many are still coming.
    pub asked_services: usize,
    /// Whether any history source is configured; without one the screen says what it needs.
    pub enabled: bool,
    /// The "My changes" view, when open: the user's newest changes with their trails, rebuilt
    /// when the runs, deployments, pods or alerts they come from change.
    pub changes: Option<Vec<super::trail::Trail>>,
    /// For the open alert detail (by fingerprint): the changes that were in production when
    /// the alert started, newest first, its "what changed before this".
    pub before_alert: Option<(String, Vec<super::trail::Trail>)>,
    /// Counted at each change, for the title.
    pub summary: Summary,
    /// For the open service screen (by ref): its newest changes with their trails.
    pub service_trails: Option<(String, Vec<super::trail::Trail>)>,
    /// The definitions' knobs from the config (`[delivery]`), applied as histories arrive.
    pub rules: super::Rules,
    /// The change opened from "My changes" (`enter`), rebuilt with the trails.
    pub change: Option<super::trail::ChangeDetail>,
    /// The listed services' golden-path figures over the window, as `flightdeck metrics`
    /// reports them: template-made services, their share of production deployments, and the
    /// median time from request to production.
    pub golden: crate::model::create::golden::Adoption,
}

impl DeliveryState {
    /// Recomputes every row for the window ending at `now`, and the filtered view of them.
    pub fn rebuild(&mut self, now: DateTime<Utc>, filter: &str) {
        let window = Window::last(self.span.days(), now);
        self.window = Some(window);
        let span = self.span;
        let mut groups: BTreeMap<String, (String, Vec<&str>)> = BTreeMap::new();
        for (service, info) in &self.services {
            let (key, name) = match self.grouping {
                Grouping::Service => (service.clone(), info.name.clone()),
                Grouping::Owner => (info.owner.clone(), owner_name(&info.owner)),
                Grouping::System => (info.system.clone(), info.system.clone()),
            };
            groups
                .entry(key)
                .or_insert_with(|| (name, Vec::new()))
                .1
                .push(service.as_str());
        }
        let mut rows = Vec::with_capacity(groups.len());
        for (key, (name, members)) in groups {
            let mut now_t = Tally::default();
            let mut before_t = Tally::default();
            let mut deploys = vec![0u32; span.buckets()];
            let mut failures = vec![0u32; span.buckets()];
            let mut error = None;
            let mut haystack = name.to_lowercase();
            for service in &members {
                if let Some(info) = self.services.get(*service) {
                    haystack.push(' ');
                    haystack.push_str(&info.name.to_lowercase());
                    haystack.push(' ');
                    haystack.push_str(&info.owner.to_lowercase());
                    haystack.push(' ');
                    haystack.push_str(&info.system.to_lowercase());
                }
                let Some(h) = self.histories.get(*service) else {
                    continue;
                };
                if error.is_none() {
                    error.clone_from(&h.error);
                }
                let (d, v) = (&h.history.deployments, &h.history.verdicts);
                now_t.add(d, v, window);
                before_t.add(d, v, window.previous());
                bars(d, v, window, span, &mut deploys, &mut failures);
            }
            let now_m = now_t.metrics(window);
            let before_m = before_t.metrics(window.previous());
            rows.push(Row {
                key,
                name,
                services: members.len(),
                bands: now_m.bands(),
                trends: Trends::of(&now_m, &before_m),
                now: now_m,
                before: before_m,
                top: deploys.iter().copied().max().unwrap_or(0),
                deploys,
                failures,
                error,
                haystack,
            });
        }
        rows.sort_by_cached_key(Row::attention);
        self.rows = rows;
        let empty = History::default();
        self.golden = crate::model::create::golden::adoption(
            self.services.iter().map(
                |(service, info)| crate::model::create::golden::ServiceSide {
                    template: info.template.as_deref(),
                    requested: info.requested,
                    history: self.histories.get(service).map_or(&empty, |h| &h.history),
                },
            ),
            window,
        );
        self.summarise();
        self.refilter(filter);
        if let Some(t) = &self.timeline {
            let (service, scroll) = (t.service.clone(), t.scroll);
            self.open(&service);
            if let Some(t) = self.timeline.as_mut() {
                t.scroll = scroll.min(t.entries.len().saturating_sub(1));
            }
        }
    }

    /// Keeps the rows whose name, owner or system contain every word of `filter`.
    pub fn refilter(&mut self, filter: &str) {
        let words: Vec<String> = filter.split_whitespace().map(str::to_lowercase).collect();
        self.visible = self
            .rows
            .iter()
            .enumerate()
            .filter(|(_, r)| words.iter().all(|w| r.haystack.contains(w.as_str())))
            .map(|(i, _)| i)
            .collect();
    }

    /// The row at `index` of the visible ones.
    pub fn visible_row(&self, index: usize) -> Option<&Row> {
        self.rows.get(*self.visible.get(index)?)
    }

    /// Opens the timeline of `service` (a catalog ref) over the current window: a bar per day
    /// and every deployment in the window, newest first, each followed by what it brought.
    pub fn open(&mut self, service: &str) -> bool {
        let Some(window) = self.window else {
            return false;
        };
        let Some(info) = self.services.get(service) else {
            return false;
        };
        let empty = ServiceHistory::default();
        let h = self.histories.get(service).unwrap_or(&empty);
        let (deps, verdicts) = (&h.history.deployments, &h.history.verdicts);
        let days = self.span.days() as usize;
        let mut bars = vec![Bar::default(); days];
        let mut entries = Vec::new();
        let mut count = 0;
        for (d, v) in deps.iter().zip(verdicts).rev() {
            if !window.contains(d.created) {
                continue;
            }
            count += 1;
            let rollback = v.rework == Some(Rework::Rollback);
            let verdict = verdict(d, v);
            if d.end.is_some() {
                let day = ((d.created - window.start).num_seconds() / 86_400) as usize;
                if let Some(b) = bars.get_mut(day) {
                    b.deploys += 1;
                    b.failed += u32::from(v.failed.is_some());
                    b.rollbacks += u32::from(rollback);
                    b.rework += u32::from(v.rework.is_some());
                }
            }
            entries.push(Entry::Deploy {
                created: d.created,
                version: d.sha.get(..7).unwrap_or(&d.sha).to_string(),
                creator: d.creator.clone(),
                took: d.end.map(|(_, at)| at - d.created),
                verdict,
                rework: v.rework,
                rollback,
                changes: d.changes.len(),
            });
            for c in &d.changes {
                entries.push(Entry::Change {
                    sha: c.sha.get(..7).unwrap_or(&c.sha).to_string(),
                    title: c.title.clone(),
                    author: c.author.clone(),
                    pull: c.pull,
                });
            }
        }
        self.timeline = Some(Timeline {
            service: service.to_string(),
            name: info.name.clone(),
            span: self.span,
            start: window.start,
            top: bars.iter().map(|b| b.deploys).max().unwrap_or(0),
            bars,
            entries,
            deployments: count,
            scroll: 0,
        });
        true
    }

    /// Counts what the title says of the histories, once per change rather than per frame.
    pub fn summarise(&mut self) {
        let answered = self
            .histories
            .values()
            .filter(|h| h.fetched_at.is_some() || h.error.is_some())
            .count();
        let failed: Vec<&String> = self
            .histories
            .values()
            .filter_map(|h| h.error.as_ref())
            .collect();
        self.summary = Summary {
            pending: self.asked_services.saturating_sub(answered),
            oldest_read: self.histories.values().filter_map(|h| h.fetched_at).min(),
            failed: failed.len(),
            first_error: failed.first().map(|e| (*e).clone()),
        };
    }
}

/// What the screen's title says of the histories.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Services asked for whose history has not come (nor failed) yet.
    pub pending: usize,
    /// The oldest read among the histories, for the screen's age.
    pub oldest_read: Option<DateTime<Utc>>,
    /// Services whose last read failed, and the first one's reason.
    pub failed: usize,
    pub first_error: Option<String>,
}

/// `group:default/team-payments` as the screen names it: `team-payments`.
fn owner_name(owner: &str) -> String {
    if owner.is_empty() {
        "(no owner)".to_string()
    } else {
        owner.rsplit('/').next().unwrap_or(owner).to_string()
    }
}

fn verdict(d: &Deployment, v: &super::Verdict) -> Verdict {
    match (d.end, v.failed) {
        (None, _) => Verdict::Running,
        (Some(_), None) => Verdict::Healthy,
        (Some(_), Some(Failed::Status)) => Verdict::Failed,
        (Some(_), Some(Failed::RolledBack)) => Verdict::RolledBack,
        (Some(_), Some(Failed::Alert)) => Verdict::Alerted,
    }
}

/// Adds the ended deployments created in `window` to the bars: one per `span.bucket()`,
/// counted back from the window's end so the newest bar is whole.
fn bars(
    deployments: &[Deployment],
    verdicts: &[super::Verdict],
    window: Window,
    span: Span,
    deploys: &mut [u32],
    failures: &mut [u32],
) {
    let bucket = span.bucket().num_seconds().max(1);
    let n = deploys.len();
    // Oldest first: skip what is before the window without looking at each.
    let from = deployments.partition_point(|d| d.created < window.start);
    for (d, v) in deployments[from..].iter().zip(&verdicts[from..]) {
        if d.created >= window.end {
            break;
        }
        if !matches!(
            d.end,
            Some((Outcome::Success | Outcome::Failure | Outcome::Error, _))
        ) {
            continue;
        }
        let back = ((window.end - d.created).num_seconds() / bucket) as usize;
        let Some(i) = n.checked_sub(back + 1) else {
            continue;
        };
        deploys[i] += 1;
        failures[i] += u32::from(v.failed.is_some());
    }
}

/// A band's one-letter form for narrow columns: `E`, `H`, `M`, `L`.
pub fn band_letter(b: Band) -> &'static str {
    match b {
        Band::Elite => "E",
        Band::High => "H",
        Band::Medium => "M",
        Band::Low => "L",
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Change, Rules};
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn dep(id: u64, sha: &str, days_ago: i64, outcome: Outcome) -> Deployment {
        let created = t0() - Duration::days(days_ago);
        Deployment {
            id,
            sha: sha.into(),
            creator: "jdoe".into(),
            created,
            end: Some((outcome, created + Duration::minutes(5))),
            changes: vec![Change {
                sha: format!("{sha}c"),
                title: format!("Change {id}"),
                author: "asingh".into(),
                committed: created - Duration::hours(2),
                labels: vec![],
                pull: Some(id),
            }],
        }
    }

    fn state() -> DeliveryState {
        let mut s = DeliveryState::default();
        let info = |name: &str, owner: &str| ServiceInfo {
            name: name.into(),
            owner: owner.into(),
            system: "shop".into(),
            template: None,
            requested: None,
        };
        s.services
            .insert("c:a".into(), info("alpha", "group:default/team-a"));
        s.services
            .insert("c:b".into(), info("beta", "group:default/team-a"));
        s.services
            .insert("c:c".into(), info("gamma", "group:default/team-c"));
        let history = |deps: Vec<Deployment>| ServiceHistory {
            history: History::new(deps, &[], &Rules::default()),
            fetched_at: Some(t0()),
            error: None,
        };
        // alpha: healthy every few days; beta: a failure not yet recovered; gamma: nothing.
        s.histories.insert(
            "c:a".into(),
            history(vec![
                dep(1, "a1", 20, Outcome::Success),
                dep(2, "a2", 10, Outcome::Success),
                dep(3, "a3", 3, Outcome::Success),
                dep(4, "a4", 40, Outcome::Success),
            ]),
        );
        s.histories.insert(
            "c:b".into(),
            history(vec![
                dep(5, "b1", 12, Outcome::Success),
                dep(6, "b2", 2, Outcome::Failure),
            ]),
        );
        s
    }

    #[test]
    fn the_golden_paths_of_the_listed_services_are_summed_with_the_rows() {
        let mut s = state();
        // beta came from a template, requested the day before its first deployment.
        if let Some(beta) = s.services.get_mut("c:b") {
            beta.template = Some("template:default/rust-service".into());
            beta.requested = Some(t0() - Duration::days(13));
        }
        s.rebuild(t0(), "");
        let g = &s.golden;
        assert_eq!((g.services, g.template_services), (3, 1));
        // In the last 30 days: alpha 3, beta 2 ended production deployments.
        assert_eq!((g.template_deployments, g.deployments), (2, 5));
        assert_eq!(g.share, Some(0.4));
        // Requested 13 days ago, healthy 12 days ago plus the deployment's five minutes.
        assert_eq!(
            g.time_to_production_median_secs,
            Some((Duration::days(1) + Duration::minutes(5)).num_seconds())
        );
        assert_eq!(g.reached_production, 1);
    }

    #[test]
    fn rows_sort_unrecovered_failures_first_and_empty_rows_last() {
        let mut s = state();
        s.rebuild(t0(), "");
        let names: Vec<&str> = s.rows.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["beta", "alpha", "gamma"]);
        let alpha = &s.rows[1];
        assert_eq!(
            alpha.now.deployments, 3,
            "the 40-day-old one is before the window"
        );
        assert_eq!(alpha.before.deployments, 1);
        assert_eq!(alpha.deploys.len(), 5, "30 days in weekly bars");
        assert_eq!(alpha.deploys.iter().sum::<u32>(), 3);
        assert_eq!(s.rows[0].failures.iter().sum::<u32>(), 1);
        assert_eq!(s.rows[0].now.unrecovered, 1);
    }

    #[test]
    fn the_window_switch_recounts_and_a_week_has_daily_bars() {
        let mut s = state();
        s.span = Span::Week;
        s.rebuild(t0(), "");
        let alpha = s.rows.iter().find(|r| r.name == "alpha").expect("alpha");
        assert_eq!(alpha.now.deployments, 1);
        assert_eq!(alpha.deploys.len(), 7);
        // Three days before the end: the fourth bar from the right.
        assert_eq!(alpha.deploys, [0, 0, 0, 1, 0, 0, 0]);
        s.span = Span::Quarter;
        s.rebuild(t0(), "");
        let alpha = s.rows.iter().find(|r| r.name == "alpha").expect("alpha");
        assert_eq!(alpha.now.deployments, 4);
        assert_eq!(alpha.deploys.len(), 13);
    }

    #[test]
    fn grouping_by_owner_rolls_services_up_in_one_tally() {
        let mut s = state();
        s.grouping = Grouping::Owner;
        s.rebuild(t0(), "");
        let a = s
            .rows
            .iter()
            .find(|r| r.key.ends_with("team-a"))
            .expect("team-a");
        assert_eq!(a.name, "team-a");
        assert_eq!(a.services, 2);
        assert_eq!(a.now.deployments, 5);
        assert_eq!(a.now.failed_deployments, 1);
        assert_eq!(a.now.change_failure_rate, Some(0.2));
        let c = s
            .rows
            .iter()
            .find(|r| r.key.ends_with("team-c"))
            .expect("team-c");
        assert_eq!(c.now.deployments, 0);
        s.grouping = Grouping::System;
        s.rebuild(t0(), "");
        assert_eq!(s.rows.len(), 1);
        assert_eq!(s.rows[0].now.deployments, 5);
    }

    #[test]
    fn the_filter_keeps_rows_by_name_owner_or_system() {
        let mut s = state();
        s.rebuild(t0(), "");
        s.refilter("team-c");
        assert_eq!(s.visible.len(), 1);
        assert_eq!(s.visible_row(0).map(|r| r.name.as_str()), Some("gamma"));
        s.refilter("SHOP alp");
        assert_eq!(s.visible_row(0).map(|r| r.name.as_str()), Some("alpha"));
        s.refilter("");
        assert_eq!(s.visible.len(), 3);
    }

    #[test]
    fn the_timeline_lists_deployments_newest_first_with_their_changes_and_marks_days() {
        let mut s = state();
        s.rebuild(t0(), "");
        assert!(s.open("c:b"));
        let t = s.timeline.as_ref().expect("a timeline");
        assert_eq!(t.deployments, 2);
        assert_eq!(t.bars.len(), 30);
        assert_eq!(t.bars[28].failed, 1, "two days before the end");
        match &t.entries[0] {
            Entry::Deploy {
                version,
                verdict,
                changes,
                ..
            } => {
                assert_eq!(version, "b2");
                assert_eq!(*verdict, Verdict::Failed);
                assert_eq!(*changes, 1);
            }
            other => panic!("a deployment first, not {other:?}"),
        }
        assert!(matches!(&t.entries[1], Entry::Change { title, .. } if title == "Change 6"));
        // A window switch redraws the open timeline over the new window.
        s.span = Span::Week;
        s.rebuild(t0(), "");
        let t = s.timeline.as_ref().expect("still open");
        assert_eq!((t.deployments, t.bars.len()), (1, 7));
        assert!(!s.open("c:unknown"));
    }

    #[test]
    fn trends_compare_with_the_previous_window() {
        let now = Metrics {
            change_failure_rate: Some(0.2),
            ..History::default().metrics(Window::last(30, t0()))
        };
        let before = Metrics {
            change_failure_rate: Some(0.1),
            ..now.clone()
        };
        let t = Trends::of(&now, &before);
        assert_eq!(t.change_failure_rate, Some(Trend::Up));
        assert_eq!(t.lead_time, None, "nothing to compare");
        assert_eq!(
            Trends::of(&before, &now).change_failure_rate,
            Some(Trend::Down)
        );
        assert_eq!(
            Trends::of(&now, &now).change_failure_rate,
            Some(Trend::Flat)
        );
    }
}
