//! The Create screen's state: pick a template, fill its form page by page, review what a dry run
//! builds, then follow the run step by step. Data only; `update::create` moves it, so the view
//! draws what is here without sorting, filtering or checking anything itself.

use serde_json::Value;

use super::{Preview, RunEnd, StepEvent, Template};
use crate::model::input::TextInput;

/// Where the screen is, in the order a user goes through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stage {
    #[default]
    Pick,
    Form,
    Review,
    Run,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CreateState {
    pub stage: Stage,
    /// The templates were asked for (the first time the screen showed).
    pub asked: bool,
    /// The templates as the scaffolder last read them; `None` until the first answer.
    pub templates: Option<Vec<Template>>,
    /// Templates that did not decode, and other reasons one is missing: `where: what`.
    pub problems: Vec<String>,
    /// Indices into `templates` the list shows, best match of the filter first.
    pub matches: Vec<usize>,
    /// A template to open as soon as the list arrives (from the Onboarding screen or
    /// `flightdeck new` with no template named): its name or entity ref.
    pub wanted: Option<String>,
    pub form: Option<Form>,
    /// The dry run's answer for the filled form: what will be created, or why it is refused.
    pub review: Option<Result<Preview, Vec<String>>>,
    /// The selected line of the review's file tree.
    pub review_cursor: usize,
    pub run: Option<RunView>,
}

/// A template's form being filled.
#[derive(Debug, Clone, PartialEq)]
pub struct Form {
    /// Index into `templates`.
    pub template: usize,
    pub page: usize,
    /// Index of the focused field among the page's fields.
    pub field: usize,
    /// One input per field, in `Template::fields` order.
    pub inputs: Vec<TextInput>,
    /// Each field's check of what is typed now (`None`: fine); checked as the user types.
    pub errors: Vec<Option<String>>,
    /// The choices a field offers (enum values, catalog owners or entities), in the same order.
    pub choices: Vec<Vec<String>>,
    /// The choices matching what is typed in the focused field, best first.
    pub matching: Vec<String>,
}

impl Form {
    /// The index into `inputs` of the focused field, given the pages' field counts.
    pub fn focused(&self, template: &Template) -> usize {
        let before: usize = template
            .pages
            .iter()
            .take(self.page)
            .map(|p| p.fields.len())
            .sum();
        before + self.field
    }

    /// `name=value` of every field typed in; empty fields are left to their defaults.
    pub fn given(&self, template: &Template) -> Vec<(String, String)> {
        template
            .fields()
            .zip(&self.inputs)
            .filter(|(_, i)| !i.is_empty())
            .map(|(f, i)| (f.name.clone(), i.text().to_string()))
            .collect()
    }
}

/// A run as it goes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RunView {
    /// The template's name and the values it runs with, for a resume.
    pub template: String,
    pub given: Vec<(String, String)>,
    /// One row per step: name, action, state.
    pub steps: Vec<StepRow>,
    /// Every step's log lines, as `step id: line`, oldest first.
    pub log: Vec<String>,
    pub end: Option<RunEnd>,
    /// When the run started (the first step's message), in the model's clock.
    pub started: Option<chrono::DateTime<chrono::Utc>>,
    /// The catalog entity the run registers, which the road to production follows.
    pub service: Option<String>,
    /// After it was created: each stage on the way to production and when the cockpit first
    /// saw it reached, in order.
    pub road: Vec<Milestone>,
}

/// The road's stage the Service screen reads a time to production from.
pub const PRODUCTION_STAGE: &str = "deployed to production";
/// The road's last stage: Prometheus has a series of it, or an alert rule names it — "in
/// production with monitoring".
pub const MONITORING_STAGE: &str = "first metrics or alert rule";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    pub label: String,
    pub reached: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StepRow {
    pub id: String,
    pub name: String,
    pub action: String,
    pub state: StepState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepState {
    Waiting,
    Running,
    Done { millis: u64 },
    Skipped,
    Reused,
    Failed,
}

/// Log lines a run keeps: a template's steps log a line or two each.
pub const RUN_LOG_LINES: usize = 500;

impl RunView {
    pub fn new(template: &Template, given: Vec<(String, String)>) -> Self {
        Self {
            template: template.name.clone(),
            given,
            steps: template
                .steps
                .iter()
                .map(|s| StepRow {
                    id: s.id.clone(),
                    name: s.name.clone(),
                    action: s.action.clone(),
                    state: StepState::Waiting,
                })
                .collect(),
            log: Vec::new(),
            end: None,
            started: None,
            service: None,
            road: Vec::new(),
        }
    }

    pub fn apply(&mut self, event: StepEvent) {
        let (index, state) = match event {
            StepEvent::Started { index } => (index, StepState::Running),
            StepEvent::Done { index, millis } => (index, StepState::Done { millis }),
            StepEvent::Skipped { index } => (index, StepState::Skipped),
            StepEvent::Reused { index } => (index, StepState::Reused),
            StepEvent::Log { index, line } => {
                let id = self.steps.get(index).map_or("-", |s| s.id.as_str());
                self.log.push(format!("{id}: {line}"));
                if self.log.len() > RUN_LOG_LINES {
                    self.log.remove(0);
                }
                return;
            }
        };
        if let Some(row) = self.steps.get_mut(index) {
            row.state = state;
        }
    }

    pub fn finish(&mut self, end: RunEnd) {
        if matches!(end, RunEnd::Failed { .. }) {
            for row in &mut self.steps {
                if row.state == StepState::Running {
                    row.state = StepState::Failed;
                }
            }
        }
        self.end = Some(end);
    }

    /// Whether the run stopped at a step a resume can start again from.
    pub fn resumable(&self) -> bool {
        matches!(
            self.end,
            Some(RunEnd::Failed {
                resumable: true,
                ..
            })
        )
    }
}

/// A default as the form shows it before anything is typed.
pub fn shown_default(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(a) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
            .collect::<Vec<_>>()
            .join(","),
        other => other.to_string(),
    }
}
