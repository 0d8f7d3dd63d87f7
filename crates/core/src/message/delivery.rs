//! What the delivery history provider tells `update` (each service's production deployments,
//! from GitHub or from the disk cache a previous run wrote) and what `update` asks of it: which
//! repositories to read and how far back, once the Delivery screen wants them.

use chrono::{DateTime, Utc};

use crate::model::delivery::Deployment;

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// One service's production deployments from `since` on, as read at `at`.
    History {
        service: String,
        at: DateTime<Utc>,
        deployments: Vec<Deployment>,
    },
    /// Reading one service's history failed; what was read before stays.
    Failed { service: String, error: String },
}

/// A service's repository and the environment that is its production.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// The catalog ref.
    pub service: String,
    /// `owner/repo` on GitHub, or the GitLab project (`group/project` or its id).
    pub slug: String,
    pub environment: String,
    /// The repository is a GitLab project.
    pub gitlab: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Read the history of `repos` from `since` on: the cached part at once, then what is newer.
    Read {
        since: DateTime<Utc>,
        repos: Vec<Repo>,
    },
}
