//! What the GitHub and GitLab providers tell `update`, and the work `update` asks of them.

use chrono::{DateTime, Utc};

use crate::model::pipelines::pulls::{Pull, PullKey};
use crate::model::pipelines::{Deployment, Host, Job, JobRef, LogLine, Run, RunKey, Watch};

/// Messages from the pipelines providers. Every string in them is already sanitised.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// The newest runs of one repository changed (an unchanged poll sends nothing).
    Runs {
        host: Host,
        repo: String,
        service: String,
        runs: Vec<Run>,
        at: DateTime<Utc>,
    },
    /// The deployments of one repository, each with its latest status.
    Deployments {
        host: Host,
        repo: String,
        service: String,
        deployments: Vec<Deployment>,
        at: DateTime<Utc>,
    },
    /// The open pull requests of one repository changed.
    Pulls {
        host: Host,
        repo: String,
        service: String,
        pulls: Vec<Pull>,
        at: DateTime<Utc>,
    },
    /// The runs of the PR whose runs are shown.
    PullRuns {
        pull: PullKey,
        runs: Vec<Run>,
    },
    /// The jobs of a run (the open one).
    Jobs {
        run: RunKey,
        jobs: Vec<Job>,
    },
    JobsFailed {
        run: RunKey,
        error: String,
    },
    /// A chunk of a job's log. The newest lines come first; each later chunk holds the lines
    /// just before the previous one.
    Log {
        job: JobRef,
        lines: Vec<LogLine>,
        complete: bool,
    },
    LogFailed {
        job: JobRef,
        error: String,
    },
    /// Who the token authenticates as on a host.
    Login {
        host: Host,
        login: String,
    },
    /// An action was accepted. `run` is the run it created, when the host says.
    ActionDone {
        what: String,
        service: String,
        run: Option<RunKey>,
    },
    ActionFailed {
        what: String,
        error: String,
    },
}

/// A workflow dispatch (GitHub) or a new pipeline (GitLab) on a ref, with inputs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatch {
    pub host: Host,
    pub repo: String,
    pub service: String,
    /// The workflow file or id (GitHub); unused by GitLab, which runs the project's pipeline.
    pub workflow: String,
    pub git_ref: String,
    pub inputs: Vec<(String, String)>,
}

/// Work for the pipelines providers. Each names its host, so only that provider takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// What is on screen now: poll those, pause the rest.
    Watch(Watch),
    /// Fetch a job's log.
    Log(JobRef),
    RerunFailed(RunKey),
    Rerun(RunKey),
    Cancel(RunKey),
    Dispatch(Dispatch),
}

impl Command {
    /// The host a command is for; `None` for those every pipelines provider takes.
    pub fn host(&self) -> Option<Host> {
        match self {
            Command::Watch(_) => None,
            Command::Log(j) => Some(j.run.host),
            Command::RerunFailed(r) | Command::Rerun(r) | Command::Cancel(r) => Some(r.host),
            Command::Dispatch(d) => Some(d.host),
        }
    }
}
