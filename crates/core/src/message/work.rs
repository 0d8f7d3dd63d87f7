//! What the ticket and on-call providers (Jira, PagerDuty, GitHub Issues) tell `update`, and the
//! changes `update` asks of them once the user confirmed.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::model::work::{OnCallData, Ticket, TicketComment, TicketSource};

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// One poll of one source: every ticket it has for us now.
    Tickets {
        source: TicketSource,
        at: DateTime<Utc>,
        tickets: Vec<Ticket>,
    },
    OnCall {
        at: DateTime<Utc>,
        data: OnCallData,
    },
    /// GitHub: the counted labels (`bug`, `incident`) on every open issue, by lower-case
    /// `owner/repo`.
    IssueLabels {
        at: DateTime<Utc>,
        by_repo: BTreeMap<String, BTreeMap<String, usize>>,
    },
    /// What only the ticket's own answer carries.
    Detail {
        source: TicketSource,
        id: String,
        description: Option<String>,
        comments: Vec<TicketComment>,
        links: Vec<String>,
        transitions: Vec<(String, String)>,
    },
    /// A ticket's own answer could not be read: the detail says so instead of loading for ever.
    DetailFailed {
        source: TicketSource,
        id: String,
        error: String,
    },
    /// A change was made; `what` says which, for the notice.
    Done {
        what: String,
    },
    Failed {
        what: String,
        error: String,
    },
}

/// Work for the ticket providers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Load a ticket's description, comments, links and transitions.
    Open { source: TicketSource, id: String },
    /// PagerDuty: acknowledge or resolve an incident.
    SetIncident {
        id: String,
        label: String,
        status: IncidentStatus,
    },
    /// Jira: move an issue through a transition.
    Transition {
        key: String,
        transition: String,
        to: String,
    },
    /// A comment on a Jira issue, or a note on a PagerDuty incident.
    Comment {
        source: TicketSource,
        id: String,
        /// What the notice calls it: `comment on PAY-3`.
        label: String,
        body: String,
    },
    /// These sources' data is on screen: poll them at their pace, the others in a slow sweep.
    /// Every ticket provider reads it (none claims it).
    Visible(Vec<TicketSource>),
}

impl Command {
    /// Acknowledges (or resolves) incident `t`, with what the question and the notice call it.
    pub fn set_incident(t: &Ticket, status: IncidentStatus) -> (Command, String) {
        let verb = match status {
            IncidentStatus::Acknowledged => "Acknowledge",
            IncidentStatus::Resolved => "Resolve",
        };
        let label = format!("{verb} PagerDuty incident {}", t.key);
        (
            Command::SetIncident {
                id: t.id.clone(),
                label: label.clone(),
                status,
            },
            label,
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentStatus {
    Acknowledged,
    Resolved,
}

impl IncidentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Acknowledged => "acknowledged",
            IncidentStatus::Resolved => "resolved",
        }
    }
}
