//! The joined view: one row per service with what each domain says about it, and why a cell is
//! empty when it is. Built by `update::overview::rejoin` whenever the catalog, a summary source
//! or the filter changes, and only read by the Overview and Service screens and `status`.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::cursor::Cursor;
use super::join::{AlertSummary, Change, CiSummary, DeploySummary, PodSummary};
use super::source::SourceId;

/// How much a service needs attention; the Overview sorts by it, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    /// Critical alerts firing, production deploy failed, or pods crash-looping.
    Critical,
    /// The latest default-branch build or a non-production deploy failed.
    Failing,
    /// Warning alerts, pods not all ready, or restarts in the last hour.
    Warning,
    Healthy,
    /// Nothing is known yet.
    Unknown,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::Critical => "critical",
            Health::Failing => "failing",
            Health::Warning => "warning",
            Health::Healthy => "healthy",
            Health::Unknown => "unknown",
        }
    }
}

/// Why a cell has no value: what a team can do about it. The explanations that read the same
/// for every service are static text, not a copy in each of 20,000 rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// No source of this kind in the config: `no CI source configured`.
    NotConfigured(&'static str),
    /// The descriptor lacks the join key: `no github.com/project-slug annotation`.
    NoKey(Cow<'static, str>),
    /// The source is connecting and has not answered yet.
    Loading,
    /// Configured, but this build has no provider for it.
    Unsupported,
    /// The source fails and has nothing for this service yet.
    Failing(String),
    /// The source answered and has nothing for this service (no runs yet, no pods match).
    Nothing(Cow<'static, str>),
}

impl Why {
    /// The short form, for a table cell.
    pub fn short(&self) -> &'static str {
        match self {
            Why::NotConfigured(_) => "off",
            Why::NoKey(_) => "—",
            Why::Loading => "…",
            Why::Unsupported => "n/a",
            Why::Failing(_) => "✗ error",
            Why::Nothing(_) => "none",
        }
    }

    /// The whole explanation, for the Service screen.
    pub fn long(&self) -> String {
        match self {
            Why::NotConfigured(what) => format!("{what} not configured"),
            Why::NoKey(s) => s.to_string(),
            Why::Loading => "loading…".into(),
            Why::Unsupported => "configured, but this build does not read it".into(),
            Why::Failing(e) => format!("source failing: {e}"),
            Why::Nothing(s) => s.to_string(),
        }
    }
}

/// A cell: a value with the source it came from (whose freshness the view shows), or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell<T> {
    Value { value: T, source: Option<SourceId> },
    Empty(Why),
}

impl<T> Cell<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Cell::Value { value, .. } => Some(value),
            Cell::Empty(_) => None,
        }
    }
}

/// One service, joined.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceRow {
    /// Catalog ref: the key of everything.
    pub service: String,
    pub name: String,
    /// Owner as shown (`team-a`, `user:jdoe`), empty when the descriptor has none.
    pub owner: String,
    pub owner_ref: Option<String>,
    pub system: String,
    pub lifecycle: String,
    /// The three larger values boxed: a row without them (20,000 services, most not yet
    /// built or watched) is 216 bytes smaller.
    pub ci: Cell<Box<CiSummary>>,
    pub deploy: Cell<Box<DeploySummary>>,
    pub pods: Cell<Box<PodSummary>>,
    pub alerts: Cell<AlertSummary>,
    pub docs: Cell<bool>,
    pub health: Health,
    pub mine: bool,
    /// `name owner system lifecycle`, lower-case, for the `/` filter.
    pub haystack: String,
}

/// How the Overview groups its rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Grouping {
    #[default]
    None,
    System,
    Owner,
}

impl Grouping {
    pub fn next(self) -> Grouping {
        match self {
            Grouping::None => Grouping::System,
            Grouping::System => Grouping::Owner,
            Grouping::Owner => Grouping::None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Grouping::None => "",
            Grouping::System => "by system",
            Grouping::Owner => "by owner",
        }
    }
}

/// A line of the Overview list: a group header or a service row (an index into `rows`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Group {
        label: String,
        count: usize,
        worst: Health,
    },
    Service(usize),
}

/// A related service on the Service screen, with its health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Related {
    pub entity_ref: String,
    pub label: String,
    /// `None` when the other end is not a service (a resource, an API) or not in the catalog.
    pub health: Option<Health>,
    /// Whether it can be opened (a Component in the catalog).
    pub service: bool,
    pub missing: bool,
}

/// Everything the Service screen shows, built in `update` when a service opens or its data
/// changes.
#[derive(Debug, Clone, PartialEq)]
pub struct ServicePage {
    pub service: String,
    /// Index into `rows` of the service.
    pub row: Option<usize>,
    pub title: String,
    pub description: Vec<String>,
    pub spec_type: String,
    pub members: Vec<String>,
    pub links: Vec<(String, String)>,
    pub origin: String,
    /// Depends-on first, then dependency-of; the cursor moves over these.
    pub depends_on: Vec<Related>,
    pub dependency_of: Vec<Related>,
    pub apis: Vec<String>,
    pub changes: Vec<Change>,
    /// Join keys that are set, for "where this comes from".
    pub keys: Vec<(String, String)>,
    /// Deploys and alert starts and ends, oldest first, for the charts' time axis.
    pub markers: Vec<super::signals::Marker>,
    /// Golden paths: the template that made it (`backstage.io/source-template`) and when it
    /// was requested (`flightdeck.dev/created-at`).
    pub template: Option<String>,
    pub requested: Option<chrono::DateTime<chrono::Utc>>,
    /// Time from the request to the first healthy production deployment, from the delivery
    /// history, else the deployments the pollers hold, else the Create screen's road.
    pub to_production: Option<chrono::Duration>,
}

/// The Overview screen's state.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OverviewState {
    /// Every service, joined, sorted by attention then name.
    pub rows: Vec<ServiceRow>,
    /// What the list shows after "mine", the filter and grouping.
    pub lines: Vec<Line>,
    /// How many services `lines` shows.
    pub shown: usize,
    pub grouping: Grouping,
    pub mine: bool,
    /// The Service screen, when a service is open.
    pub page: Option<ServicePage>,
    /// Services opened before this one (Enter on a dependency), for Esc.
    pub back: Vec<String>,
    /// Cursor over the related services of the open page.
    pub related_cursor: usize,
    /// The Problems view is open.
    pub problems_open: bool,
    pub problems_cursor: Cursor,
    /// When the rows were last joined.
    pub joined_at: Option<DateTime<Utc>>,
}

impl OverviewState {
    /// The service under the list cursor, if the line there is one.
    pub fn row_at(&self, line: usize) -> Option<&ServiceRow> {
        match self.lines.get(line) {
            Some(Line::Service(i)) => self.rows.get(*i),
            _ => None,
        }
    }

    pub fn row(&self, service: &str) -> Option<&ServiceRow> {
        self.rows.iter().find(|r| r.service == service)
    }
}
