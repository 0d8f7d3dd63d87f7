//! What the scaffolder tells `update` while the Create screen is used (the templates, a dry
//! run's review, each step's progress), and the work `update` asks of it.

use crate::model::create::{Preview, RunEnd, StepEvent, Template};

#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// The templates of the catalog, and what kept any from the list.
    Templates {
        templates: Vec<Template>,
        problems: Vec<String>,
    },
    /// A dry run of `template` with the form's values: what will be created, or every reason
    /// it is refused (nothing was created either way).
    Review {
        template: String,
        review: Result<Preview, Vec<String>>,
    },
    Step(StepEvent),
    End(RunEnd),
    /// Prometheus holds a series of the created service (`service` is its catalog ref), or an
    /// alert rule names it: what was found, in one line.
    Monitored {
        service: String,
        found: String,
    },
}

/// Work for the scaffolder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Read the templates again.
    Load,
    /// Check the values and build the files without creating anything.
    Review {
        template: String,
        given: Vec<(String, String)>,
    },
    /// Create it. `resume`: the last failed run of the same template and values goes on from
    /// the step that failed, reusing what its done steps made.
    Run {
        template: String,
        given: Vec<(String, String)>,
        resume: bool,
    },
    /// Watch Prometheus until it has a series labelled `service="name"` or a rule names it,
    /// then answer `Monitored` once.
    WatchMonitoring { service: String, name: String },
}
