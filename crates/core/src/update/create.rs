//! The Create screen: a template picked from the catalog's (fuzzy, with the palette's matcher),
//! its form filled page by page with every field checked as it is typed, the dry run's review,
//! then the run, confirmed through the one gate and carried out by the scaffolder, whose
//! progress arrives as messages. A failed run can be resumed from the step that failed.

use crate::keymap::{Action, Key};
use crate::message::Effect;
use crate::message::External;
use crate::message::create::{Command, Msg};
use crate::model::catalog::Kind;
use crate::model::create::screen::{
    Form, MONITORING_STAGE, Milestone, PRODUCTION_STAGE, RunView, Stage,
};
use crate::model::create::{DEFAULT_REPO_HOSTS, FieldKind, Picker, RunEnd, Template};
use crate::model::input::{Edit, InputKey, TextInput};
use crate::model::palette::{Palette, PaletteItem, PaletteTarget};
use crate::model::{Level, Model, Screen, SourceKind};

use super::feedback::{confirm, notify, refused_read_only};

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Templates {
            templates,
            problems,
        } => {
            model.create.templates = Some(templates);
            model.create.problems = problems;
            refilter(model);
            if let Some(wanted) = model.create.wanted.take() {
                return open_template(model, &wanted);
            }
            vec![Effect::Render]
        }
        Msg::Review { template, review } => {
            let current = current_template(model).map(|t| t.name.clone());
            if model.create.stage != Stage::Review || current.as_deref() != Some(&template) {
                // The user went back before the answer came: it answers nothing on screen.
                return vec![];
            }
            model.create.review = Some(review);
            model.create.review_cursor = 0;
            vec![Effect::Render]
        }
        Msg::Step(event) => {
            let st = &mut model.create;
            match &mut st.run {
                // A resume's first step: the same rows go on.
                Some(run) if run.end.is_some() => run.end = None,
                Some(_) => {}
                None => {
                    let Some(t) = current_template(model).cloned() else {
                        return vec![];
                    };
                    let given = model
                        .create
                        .form
                        .as_ref()
                        .map(|f| f.given(&t))
                        .unwrap_or_default();
                    model.create.run = Some(RunView::new(&t, given));
                }
            }
            let now = model.now;
            let service = match &model.create.review {
                Some(Ok(p)) => p.catalog.clone(),
                _ => None,
            };
            model.create.stage = Stage::Run;
            if let Some(run) = &mut model.create.run {
                run.started.get_or_insert(now);
                if run.service.is_none() {
                    run.service = service;
                }
                run.apply(event);
            }
            vec![Effect::Render]
        }
        Msg::End(end) => {
            let mut effects = vec![Effect::Render];
            match &end {
                RunEnd::Created { .. } => {
                    notify(
                        model,
                        Level::Info,
                        "created: the catalog and CI are read again",
                    );
                    // The new service is in the cockpit at once, not at the next poll.
                    effects.push(Effect::Refresh(SourceKind::ALL.to_vec()));
                }
                RunEnd::Failed { step, .. } => {
                    notify(model, Level::Error, format!("step {step} failed"));
                }
                RunEnd::Refused(_) => {
                    notify(model, Level::Warning, "refused: nothing was created");
                }
            }
            if model.create.run.is_none()
                && let Some(t) = current_template(model).cloned()
            {
                let given = model
                    .create
                    .form
                    .as_ref()
                    .map(|f| f.given(&t))
                    .unwrap_or_default();
                model.create.run = Some(RunView::new(&t, given));
            }
            model.create.stage = Stage::Run;
            if let Some(run) = &mut model.create.run {
                if matches!(end, RunEnd::Created { .. }) {
                    run.road = ROAD
                        .iter()
                        .map(|label| Milestone {
                            label: (*label).to_string(),
                            reached: None,
                        })
                        .collect();
                }
                run.finish(end);
            }
            follow(model);
            // With monitoring: the scaffolder watches Prometheus for the new service.
            let watch = model
                .create
                .run
                .as_ref()
                .filter(|r| !r.road.is_empty())
                .and_then(|r| r.service.clone())
                .filter(|_| {
                    model
                        .sources
                        .iter()
                        .any(|s| s.id.kind == SourceKind::Prometheus)
                });
            if let Some(service) = watch {
                let name = service.rsplit('/').next().unwrap_or(&service).to_string();
                effects.push(Effect::Create(Command::WatchMonitoring { service, name }));
            }
            effects
        }
        Msg::Monitored { service, found } => {
            let now = model.now;
            let Some(run) = model
                .create
                .run
                .as_mut()
                .filter(|r| r.service.as_deref() == Some(service.as_str()))
            else {
                return vec![];
            };
            if let Some(m) = run
                .road
                .iter_mut()
                .find(|m| m.label == MONITORING_STAGE && m.reached.is_none())
            {
                m.reached = Some(now);
                run.log.push(format!("monitoring: {found}"));
            }
            vec![Effect::Render]
        }
    }
}

/// The stages a created service goes through on its way to production, as the cockpit sees
/// them in its joined row.
const ROAD: [&str; 6] = [
    "in the catalog",
    "first CI run passed",
    "deployed to staging",
    PRODUCTION_STAGE,
    "pods ready",
    MONITORING_STAGE,
];

/// After every message: a created service's stages first seen reached, with the time. Reads
/// the Overview's joined row of the service, so it costs one lookup while a road is followed.
pub fn follow(model: &mut Model) -> Option<Effect> {
    let run = model.create.run.as_ref()?;
    if run.road.is_empty() || run.road.iter().all(|m| m.reached.is_some()) {
        return None;
    }
    let service = run.service.as_deref()?;
    let row = model
        .catalog
        .overview
        .rows
        .iter()
        .find(|r| r.service == service)?;
    use crate::model::join::RunState;
    let ci = row.ci.value().is_some_and(|c| c.state == RunState::Success);
    let deployed = |env: &str| {
        row.deploy
            .value()
            .is_some_and(|d| d.state == RunState::Success && d.environment == env)
    };
    // The row shows production first: once there, staging was passed on the way.
    let production = deployed("production");
    let staging = production || deployed("staging");
    let pods = row
        .pods
        .value()
        .is_some_and(|p| p.total > 0 && p.ready == p.total);
    let now = model.now;
    let mut changed = false;
    let run = model.create.run.as_mut()?;
    // The monitoring stage is reached by the scaffolder's `Monitored`, not by the joined row.
    for (m, reached) in run
        .road
        .iter_mut()
        .zip([true, ci, staging, production, pods])
    {
        if reached && m.reached.is_none() {
            m.reached = Some(now);
            changed = true;
        }
    }
    if changed {
        // The Service screen's time to production may have just become known.
        super::overview::refresh_page(model);
    }
    changed.then_some(Effect::Render)
}

/// The template the open form is for.
fn current_template(model: &Model) -> Option<&Template> {
    let i = model.create.form.as_ref()?.template;
    model.create.templates.as_ref()?.get(i)
}

/// The screen asks for the templates the first time it is shown.
pub fn watch(model: &mut Model) -> Option<Effect> {
    if model.screen == Screen::Create && !model.create.asked {
        model.create.asked = true;
        return Some(Effect::Create(Command::Load));
    }
    None
}

/// Opens the Create screen on `name`'s form (by name or entity ref), once the templates are
/// known: from the Onboarding screen's first-deploy step, or `flightdeck new` with no template.
pub fn open_template(model: &mut Model, name: &str) -> Vec<Effect> {
    model.screen = Screen::Create;
    let Some(templates) = &model.create.templates else {
        model.create.wanted = Some(name.to_string());
        let mut effects = vec![Effect::Render];
        effects.extend(watch(model));
        return effects;
    };
    let lower = name.to_lowercase();
    match templates
        .iter()
        .position(|t| t.name.to_lowercase() == lower || t.entity_ref == lower)
    {
        Some(i) => open_form(model, i),
        None => {
            notify(
                model,
                Level::Warning,
                format!("no template {name} in the catalog"),
            );
            vec![Effect::Render]
        }
    }
}

pub fn row_count(model: &Model) -> usize {
    match model.create.stage {
        Stage::Pick => model.create.matches.len(),
        _ => 0,
    }
}

/// The template list for the `/` filter, best match first, with the palette's matcher.
pub fn refilter(model: &mut Model) {
    let Some(templates) = &model.create.templates else {
        model.create.matches.clear();
        return;
    };
    let query = model.list(Screen::Create).filter.text().to_string();
    let mut palette = Palette::new(
        templates
            .iter()
            .map(|t| PaletteItem {
                label: format!("{} {} {}", t.name, t.display_name(), t.tags.join(" ")),
                kind: "template",
                target: PaletteTarget::Row {
                    screen: Screen::Create,
                    key: t.entity_ref.clone(),
                },
            })
            .collect(),
    );
    palette.input.apply(Edit::Paste(query));
    palette.refilter();
    model.create.matches = palette.matches;
}

fn open_form(model: &mut Model, template: usize) -> Vec<Effect> {
    let Some(t) = model
        .create
        .templates
        .as_ref()
        .and_then(|ts| ts.get(template))
    else {
        return vec![];
    };
    let choices: Vec<Vec<String>> = t.fields().map(|f| choices(model, f)).collect();
    let inputs = t
        .fields()
        .map(|f| {
            if f.multiline {
                TextInput::multiline()
            } else {
                TextInput::default()
            }
        })
        .collect();
    // `ui:autofocus` says where typing starts; fields are listed in name order.
    let field = t
        .pages
        .first()
        .and_then(|p| p.fields.iter().position(|f| f.autofocus))
        .unwrap_or(0);
    let mut form = Form {
        template,
        page: 0,
        field,
        errors: Vec::new(),
        inputs,
        choices,
        matching: Vec::new(),
    };
    recheck(t, &mut form);
    model.create.form = Some(form);
    model.create.stage = Stage::Form;
    model.create.review = None;
    vec![Effect::Render]
}

/// What a field offers to choose from: its enum, or the catalog's owners or entities.
fn choices(model: &Model, field: &crate::model::create::Field) -> Vec<String> {
    if let FieldKind::Enum(values) = &field.kind {
        return values.clone();
    }
    // A repository: `host?owner=o&repo=` for each allowed host and owner (the catalog's groups
    // when the template names none); the name is typed after it.
    if let Some(Picker::RepoUrl { hosts, owners }) = &field.picker {
        let hosts: Vec<String> = if hosts.is_empty() {
            DEFAULT_REPO_HOSTS
                .iter()
                .map(|h| (*h).to_string())
                .collect()
        } else {
            hosts.clone()
        };
        let owners: Vec<String> = if owners.is_empty() {
            model
                .catalog
                .entities
                .iter()
                .filter(|e| e.kind == Kind::Group)
                .map(|e| e.name.clone())
                .collect()
        } else {
            owners.clone()
        };
        return hosts
            .iter()
            .flat_map(|h| owners.iter().map(move |o| format!("{h}?owner={o}&repo=")))
            .collect();
    }
    let kinds = match &field.picker {
        Some(Picker::Owner { kinds }) if kinds.is_empty() => vec!["group".to_string()],
        Some(Picker::Owner { kinds } | Picker::Entity { kinds }) => {
            kinds.iter().map(|k| k.to_lowercase()).collect()
        }
        _ => return Vec::new(),
    };
    model
        .catalog
        .entities
        .iter()
        .filter(|e| kinds.is_empty() || kinds.iter().any(|k| Kind::parse(k) == e.kind))
        .map(|e| e.entity_ref.clone())
        .collect()
}

/// Every field's check of what is typed now, and the focused field's matching choices.
fn recheck(t: &Template, form: &mut Form) {
    form.errors = t
        .fields()
        .zip(&form.inputs)
        .map(|(f, i)| {
            if i.is_empty() {
                (f.required && f.default.is_none()).then(|| "is required".to_string())
            } else {
                f.check(i.text()).err()
            }
        })
        .collect();
    let focused = form.focused(t);
    let typed = form
        .inputs
        .get(focused)
        .map(|i| i.text().to_lowercase())
        .unwrap_or_default();
    form.matching = form
        .choices
        .get(focused)
        .map(|c| {
            c.iter()
                .filter(|c| c.to_lowercase().contains(&typed))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
}

/// Raw keys while the form has the keyboard.
pub fn on_key(model: &mut Model, key: &Key) -> Option<Vec<Effect>> {
    if model.create.stage != Stage::Form || model.overlay.is_some() {
        return None;
    }
    let st = &mut model.create;
    let (Some(form), Some(templates)) = (&mut st.form, &st.templates) else {
        return None;
    };
    let t = templates.get(form.template)?;
    let page_len = t.pages.get(form.page).map_or(0, |p| p.fields.len());
    let focused = form.focused(t);
    let area = form
        .inputs
        .get(focused)
        .is_some_and(TextInput::is_multiline);
    let input = if area {
        InputKey::read_area(&model.keymap, key)?
    } else {
        InputKey::read(&model.keymap, key)?
    };
    // Up from a textarea's first line and down from its last leave it, as they leave a line.
    let input = match (input, form.inputs.get(focused).map(TextInput::row_col)) {
        (InputKey::Edit(Edit::LineUp), Some((0, _))) => InputKey::Prev,
        (InputKey::Edit(Edit::LineDown), Some((row, _)))
            if form
                .inputs
                .get(focused)
                .is_some_and(|i| row + 1 >= i.line_count()) =>
        {
            InputKey::Next
        }
        (input, _) => input,
    };
    match input {
        InputKey::Edit(edit) => {
            let rows = t.fields().nth(focused).map_or(1, |f| f.rows);
            if let Some(i) = form.inputs.get_mut(focused) {
                i.apply(edit);
                i.scroll_to_cursor(rows);
            }
        }
        InputKey::Next => form.field = (form.field + 1).min(page_len.saturating_sub(1)),
        InputKey::Prev => form.field = form.field.saturating_sub(1),
        InputKey::Cancel => {
            if form.page > 0 {
                form.page -= 1;
                form.field = 0;
            } else {
                st.form = None;
                st.stage = Stage::Pick;
                return Some(vec![Effect::Render]);
            }
        }
        InputKey::Accept => {
            let text = form
                .inputs
                .get(focused)
                .map(|i| i.text().to_string())
                .unwrap_or_default();
            let offers = form.choices.get(focused).is_some_and(|c| !c.is_empty());
            let exact = form.choices.get(focused).is_some_and(|c| c.contains(&text));
            if offers
                && !exact
                && let Some(first) = form.matching.first().cloned()
            {
                // `enter` on a picker takes its best match, as the palette does.
                if let Some(i) = form.inputs.get_mut(focused) {
                    i.clear();
                    i.apply(Edit::Paste(first));
                }
            } else {
                let before: usize = t.pages.iter().take(form.page).map(|p| p.fields.len()).sum();
                let wrong = (0..page_len)
                    .find(|k| form.errors.get(before + k).is_some_and(Option::is_some));
                if let Some(k) = wrong {
                    form.field = k;
                } else if form.page + 1 < t.pages.len() {
                    form.page += 1;
                    form.field = 0;
                } else {
                    let given = form.given(t);
                    let template = t.name.clone();
                    st.stage = Stage::Review;
                    st.review = None;
                    st.review_cursor = 0;
                    return Some(vec![
                        Effect::Create(Command::Review { template, given }),
                        Effect::Render,
                    ]);
                }
            }
        }
    }
    recheck(t, form);
    Some(vec![Effect::Render])
}

/// Pasted text goes to the focused field.
pub fn on_paste(model: &mut Model, text: &str) -> bool {
    if model.create.stage != Stage::Form {
        return false;
    }
    let st = &mut model.create;
    let (Some(form), Some(templates)) = (&mut st.form, &st.templates) else {
        return false;
    };
    let Some(t) = templates.get(form.template) else {
        return false;
    };
    let focused = form.focused(t);
    let rows = t.fields().nth(focused).map_or(1, |f| f.rows);
    if let Some(i) = form.inputs.get_mut(focused) {
        i.apply(Edit::Paste(text.to_string()));
        i.scroll_to_cursor(rows);
    }
    recheck(t, form);
    true
}

pub fn on_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    match model.create.stage {
        Stage::Pick => match action {
            Action::Open => {
                let row = model.list(Screen::Create).cursor.selected;
                let i = *model.create.matches.get(row)?;
                Some(open_form(model, i))
            }
            Action::Refresh => {
                notify(model, Level::Info, "reading the templates again");
                Some(vec![Effect::Create(Command::Load), Effect::Render])
            }
            _ => None,
        },
        Stage::Form => None,
        Stage::Review => review_action(model, action),
        Stage::Run => run_action(model, action),
    }
}

fn review_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    let lines = match &model.create.review {
        Some(Ok(p)) => p.tree.len(),
        _ => 0,
    };
    let st = &mut model.create;
    let moved = match action {
        Action::Down => Some((st.review_cursor + 1).min(lines.saturating_sub(1))),
        Action::Up => Some(st.review_cursor.saturating_sub(1)),
        Action::Top => Some(0),
        Action::Bottom => Some(lines.saturating_sub(1)),
        _ => None,
    };
    if let Some(to) = moved {
        st.review_cursor = to;
        return Some(vec![Effect::Render]);
    }
    match action {
        Action::Back => {
            st.stage = Stage::Form;
            st.review = None;
            Some(vec![Effect::Render])
        }
        Action::Open => {
            let Some(Ok(p)) = &st.review else {
                return Some(vec![]);
            };
            let file = p
                .tree
                .get(st.review_cursor)
                .and_then(|(_, f)| *f)
                .and_then(|i| p.files.get(i));
            match file {
                Some(f) => match &f.text {
                    Some(text) => Some(vec![Effect::External(External::Pager {
                        text: format!("{}\n\n{text}", f.path),
                    })]),
                    None => {
                        let what = format!("{}: a binary file of {} bytes", f.path, f.bytes);
                        notify(model, Level::Info, what);
                        Some(vec![Effect::Render])
                    }
                },
                None => Some(vec![]),
            }
        }
        Action::CreateRun => {
            let Some(Ok(p)) = &st.review else {
                notify(
                    model,
                    Level::Warning,
                    "nothing to create: the review refused it",
                );
                return Some(vec![Effect::Render]);
            };
            let mut lines: Vec<String> = p
                .repositories
                .iter()
                .map(|r| format!("creates repository {r}"))
                .collect();
            if let Some(c) = &p.catalog {
                lines.push(format!("registers {c} in the catalog"));
            }
            lines.push(format!("{} files, {} steps", p.files.len(), p.steps.len()));
            let t = current_template(model)?;
            let template = t.name.clone();
            let given = model.create.form.as_ref()?.given(t);
            let title = format!("Create from {template}");
            Some(confirm(
                model,
                title,
                lines,
                Effect::Create(Command::Run {
                    template,
                    given,
                    resume: false,
                }),
            ))
        }
        _ => None,
    }
}

fn run_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    let run = model.create.run.as_ref()?;
    match action {
        Action::CreateResume => {
            if !run.resumable() {
                notify(model, Level::Info, "resume: no failed run to go on with");
                return Some(vec![Effect::Render]);
            }
            let title = format!("Resume creating from {}", run.template);
            if refused_read_only(model, &title) {
                return Some(vec![Effect::Render]);
            }
            let run = model.create.run.as_ref()?;
            let done: Vec<String> = run
                .steps
                .iter()
                .filter(|s| {
                    matches!(
                        s.state,
                        crate::model::create::screen::StepState::Done { .. }
                            | crate::model::create::screen::StepState::Reused
                    )
                })
                .map(|s| s.id.clone())
                .collect();
            let lines = vec![
                format!("reuses the done steps: {}", done.join(", ")),
                "runs the failed step and the ones after it".to_string(),
            ];
            let effect = Effect::Create(Command::Run {
                template: run.template.clone(),
                given: run.given.clone(),
                resume: true,
            });
            Some(confirm(model, title, lines, effect))
        }
        // Done with this run: back to the list, for the next.
        Action::Back if run.end.is_some() => {
            model.create.run = None;
            model.create.form = None;
            model.create.review = None;
            model.create.stage = Stage::Pick;
            Some(vec![Effect::Render])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::{KeyCode, Keymap};
    use crate::model::create::{Preview, PreviewFile, StepEvent, decode};
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn template() -> Template {
        let v = json!({
            "apiVersion": "scaffolder.backstage.io/v1beta3",
            "kind": "Template",
            "metadata": { "name": "rust-service", "title": "Rust service" },
            "spec": {
                "parameters": [
                    {
                        "title": "About",
                        "required": ["name"],
                        "properties": {
                            "name": { "type": "string", "pattern": "^[a-z0-9-]+$" },
                            "tier": { "type": "string", "enum": ["gold", "silver"], "default": "gold" }
                        }
                    },
                    {
                        "title": "Owner",
                        "required": ["owner"],
                        "properties": {
                            "owner": { "type": "string", "ui:field": "OwnerPicker" }
                        }
                    }
                ],
                "steps": [
                    { "id": "fetch", "action": "fetch:template", "input": { "url": "./skeleton" } },
                    { "id": "publish", "action": "publish:github", "input": { "repoUrl": "x" } }
                ]
            }
        });
        decode(&v).expect("decodes").0
    }

    fn model() -> Model {
        let mut m = Model::new(
            Keymap::defaults(),
            Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
                .single()
                .expect("time"),
        );
        m.screen = Screen::Create;
        m
    }

    fn key(m: &mut Model, code: KeyCode) -> Vec<Effect> {
        crate::update::update(m, crate::message::Msg::Key(Key::new(code)))
    }

    fn typed(m: &mut Model, text: &str) {
        for c in text.chars() {
            key(m, KeyCode::Char(c));
        }
    }

    fn loaded() -> Model {
        let mut m = model();
        let now = m.now;
        let effects = crate::update::update(&mut m, crate::message::Msg::Tick(now));
        assert!(
            effects.contains(&Effect::Create(Command::Load)),
            "{effects:?}"
        );
        update(
            &mut m,
            Msg::Templates {
                templates: vec![template()],
                problems: vec![],
            },
        );
        m
    }

    #[test]
    fn a_form_is_checked_as_typed_and_goes_page_by_page_to_the_review() {
        let mut m = loaded();
        assert_eq!(m.create.matches, vec![0]);
        key(&mut m, KeyCode::Enter);
        assert_eq!(m.create.stage, Stage::Form);
        let errors = |m: &Model| m.create.form.as_ref().expect("form").errors.clone();
        assert_eq!(errors(&m)[0].as_deref(), Some("is required"));
        typed(&mut m, "Bad!");
        assert_eq!(
            errors(&m)[0].as_deref(),
            Some("does not match ^[a-z0-9-]+$")
        );
        // A page with a wrong field stays, its field focused.
        key(&mut m, KeyCode::Enter);
        assert_eq!(m.create.form.as_ref().expect("form").page, 0);
        for _ in 0..4 {
            key(&mut m, KeyCode::Backspace);
        }
        typed(&mut m, "billing");
        assert_eq!(errors(&m)[0], None);
        // The enum offers its values; `enter` takes the best match of what is typed.
        key(&mut m, KeyCode::Tab);
        typed(&mut m, "sil");
        key(&mut m, KeyCode::Enter);
        let form = m.create.form.as_ref().expect("form");
        assert_eq!((form.page, form.inputs[1].text()), (0, "silver"));
        key(&mut m, KeyCode::Enter);
        assert_eq!(m.create.form.as_ref().expect("form").page, 1);
        // `esc` goes a page back, `enter` forward again.
        key(&mut m, KeyCode::Esc);
        assert_eq!(m.create.form.as_ref().expect("form").page, 0);
        key(&mut m, KeyCode::Enter);
        typed(&mut m, "team-a");
        let effects = key(&mut m, KeyCode::Enter);
        assert_eq!(m.create.stage, Stage::Review);
        assert!(effects.contains(&Effect::Create(Command::Review {
            template: "rust-service".into(),
            given: vec![
                ("name".into(), "billing".into()),
                ("tier".into(), "silver".into()),
                ("owner".into(), "team-a".into())
            ],
        })));
    }

    #[test]
    fn a_repo_url_picker_offers_host_and_owner_then_takes_the_typed_name() {
        let mut m = model();
        let t = decode(&json!({
            "apiVersion": "scaffolder.backstage.io/v1beta3",
            "kind": "Template",
            "metadata": { "name": "repo" },
            "spec": {
                "parameters": [{
                    "required": ["repoUrl"],
                    "properties": {
                        "repoUrl": {
                            "type": "string", "ui:field": "RepoUrlPicker",
                            "ui:options": { "allowedHosts": ["github.com"], "allowedOwners": ["acme", "platform"] }
                        }
                    }
                }],
                "steps": [{ "id": "log", "action": "debug:log", "input": { "message": "x" } }]
            }
        }))
        .expect("decodes")
        .0;
        update(
            &mut m,
            Msg::Templates {
                templates: vec![t],
                problems: vec![],
            },
        );
        key(&mut m, KeyCode::Enter);
        let form = |m: &Model| m.create.form.clone().expect("form");
        assert_eq!(
            form(&m).matching,
            [
                "github.com?owner=acme&repo=",
                "github.com?owner=platform&repo="
            ]
        );
        typed(&mut m, "plat");
        key(&mut m, KeyCode::Enter);
        assert_eq!(form(&m).inputs[0].text(), "github.com?owner=platform&repo=");
        assert_eq!(
            form(&m).errors[0].as_deref(),
            Some("needs a repository name")
        );
        typed(&mut m, "bad/name");
        assert!(
            form(&m).errors[0]
                .as_deref()
                .is_some_and(|e| e.contains("letters, digits")),
            "{:?}",
            form(&m).errors
        );
        for _ in 0.."bad/name".len() {
            key(&mut m, KeyCode::Backspace);
        }
        typed(&mut m, "billing");
        assert_eq!(form(&m).errors[0], None);
        let effects = key(&mut m, KeyCode::Enter);
        assert!(effects.contains(&Effect::Create(Command::Review {
            template: "repo".into(),
            given: vec![(
                "repoUrl".into(),
                "github.com?owner=platform&repo=billing".into()
            )],
        })));
    }

    #[test]
    fn a_textarea_takes_lines_and_keeps_them_into_the_review() {
        let mut m = model();
        let t = decode(&json!({
            "apiVersion": "scaffolder.backstage.io/v1beta3",
            "kind": "Template",
            "metadata": { "name": "notes" },
            "spec": {
                "parameters": [{
                    "title": "About",
                    "properties": {
                        "about": { "type": "string", "ui:widget": "textarea", "ui:options": { "rows": 2 } },
                        "name": { "type": "string" }
                    }
                }],
                "steps": [{ "id": "log", "action": "debug:log", "input": { "message": "x" } }]
            }
        }))
        .expect("decodes")
        .0;
        update(
            &mut m,
            Msg::Templates {
                templates: vec![t],
                problems: vec![],
            },
        );
        key(&mut m, KeyCode::Enter);
        assert_eq!(m.create.stage, Stage::Form);
        let input = |m: &Model| m.create.form.as_ref().expect("form").inputs[0].clone();
        // `enter` starts a line in the textarea instead of leaving the page.
        typed(&mut m, "one");
        key(&mut m, KeyCode::Enter);
        typed(&mut m, "two");
        key(&mut m, KeyCode::Enter);
        typed(&mut m, "three");
        assert_eq!(m.create.stage, Stage::Form);
        assert_eq!(input(&m).text(), "one\ntwo\nthree");
        // The box shows two lines, and follows the cursor.
        assert_eq!(input(&m).top(), 1);
        key(&mut m, KeyCode::Up);
        key(&mut m, KeyCode::Up);
        assert_eq!((input(&m).row_col(), input(&m).top()), ((0, 3), 0));
        // Up from the first line leaves nothing to go to; down from the last goes on.
        key(&mut m, KeyCode::Up);
        assert_eq!(m.create.form.as_ref().expect("form").field, 0);
        for _ in 0..3 {
            key(&mut m, KeyCode::Down);
        }
        assert_eq!(m.create.form.as_ref().expect("form").field, 1);
        // In a one-line field `enter` accepts; back in the textarea the documented key does.
        key(&mut m, KeyCode::Up);
        let submit: Key = "ctrl-s".parse().expect("the keymap's notation");
        let effects = crate::update::update(&mut m, crate::message::Msg::Key(submit));
        assert_eq!(m.create.stage, Stage::Review);
        assert!(effects.contains(&Effect::Create(Command::Review {
            template: "notes".into(),
            given: vec![("about".into(), "one\ntwo\nthree".into())],
        })));
    }

    #[test]
    fn the_review_opens_files_and_creating_asks_first_and_not_under_read_only() {
        let mut m = loaded();
        key(&mut m, KeyCode::Enter);
        typed(&mut m, "billing");
        key(&mut m, KeyCode::Enter);
        typed(&mut m, "team-a");
        key(&mut m, KeyCode::Enter);
        update(
            &mut m,
            Msg::Review {
                template: "rust-service".into(),
                review: Ok(Preview {
                    repositories: vec!["github.com/acme/billing".into()],
                    files: vec![PreviewFile {
                        path: "src/main.rs".into(),
                        bytes: 12,
                        text: Some("fn main() {}".into()),
                    }],
                    tree: vec![("src/".into(), None), ("  main.rs".into(), Some(0))],
                    ..Preview::default()
                }),
            },
        );
        key(&mut m, KeyCode::Char('j'));
        let effects = key(&mut m, KeyCode::Enter);
        assert!(matches!(
            effects.first(),
            Some(Effect::External(External::Pager { text })) if text.contains("fn main")
        ));
        let mut ro = m.clone();
        key(&mut m, KeyCode::Char('c'));
        assert!(matches!(m.overlay, Some(crate::model::Overlay::Confirm(_))));
        let effects = key(&mut m, KeyCode::Char('y'));
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::Create(Command::Run { resume: false, .. })))
        );
        ro.read_only = true;
        let effects = key(&mut ro, KeyCode::Char('c'));
        assert!(ro.overlay.is_none());
        assert!(!effects.iter().any(|e| matches!(e, Effect::Create(_))));
    }

    #[test]
    fn a_failed_run_shows_its_steps_and_resumes() {
        let mut m = loaded();
        key(&mut m, KeyCode::Enter);
        typed(&mut m, "billing");
        key(&mut m, KeyCode::Enter);
        typed(&mut m, "team-a");
        key(&mut m, KeyCode::Enter);
        update(&mut m, Msg::Step(StepEvent::Started { index: 0 }));
        update(
            &mut m,
            Msg::Step(StepEvent::Done {
                index: 0,
                millis: 3,
            }),
        );
        update(&mut m, Msg::Step(StepEvent::Started { index: 1 }));
        update(
            &mut m,
            Msg::End(RunEnd::Failed {
                step: "publish (publish:github)".into(),
                error: "boom".into(),
                done: vec!["fetch".into()],
                created: vec![],
                resumable: true,
            }),
        );
        assert_eq!(m.create.stage, Stage::Run);
        let run = m.create.run.as_ref().expect("run");
        assert_eq!(
            run.steps[1].state,
            crate::model::create::screen::StepState::Failed
        );
        key(&mut m, KeyCode::Char('R'));
        let effects = key(&mut m, KeyCode::Char('y'));
        assert!(effects.contains(&Effect::Create(Command::Run {
            template: "rust-service".into(),
            given: vec![
                ("name".into(), "billing".into()),
                ("owner".into(), "team-a".into())
            ],
            resume: true,
        })));
        update(&mut m, Msg::Step(StepEvent::Reused { index: 0 }));
        assert!(m.create.run.as_ref().expect("run").end.is_none());
    }

    #[test]
    fn a_created_service_is_watched_until_prometheus_knows_it() {
        use crate::model::{FetchState, SourceId, SourceStatus};
        let mut m = loaded();
        m.sources.push(SourceStatus::new(
            SourceId::new(SourceKind::Prometheus, "prom"),
            FetchState::Connecting,
        ));
        key(&mut m, KeyCode::Enter);
        m.create.review = Some(Ok(Preview {
            catalog: Some("component:default/billing".into()),
            ..Preview::default()
        }));
        update(&mut m, Msg::Step(StepEvent::Started { index: 0 }));
        let effects = update(
            &mut m,
            Msg::End(RunEnd::Created {
                links: vec![],
                created: vec![],
            }),
        );
        assert!(
            effects.contains(&Effect::Create(Command::WatchMonitoring {
                service: "component:default/billing".into(),
                name: "billing".into(),
            })),
            "{effects:?}"
        );
        let reached = |m: &Model| {
            m.create
                .run
                .as_ref()
                .and_then(|r| r.road.iter().find(|s| s.label == MONITORING_STAGE))
                .and_then(|s| s.reached)
        };
        assert_eq!(reached(&m), None, "not before Prometheus says so");
        // Another service's answer is not this one's.
        update(
            &mut m,
            Msg::Monitored {
                service: "component:default/other".into(),
                found: "x".into(),
            },
        );
        assert_eq!(reached(&m), None);
        update(
            &mut m,
            Msg::Monitored {
                service: "component:default/billing".into(),
                found: "prom has http_requests_total{service=\"billing\"}".into(),
            },
        );
        assert_eq!(reached(&m), Some(m.now));
    }
}
