//! The Onboarding screen's part of `update`: the path arriving (from the config or an
//! onboarding.yaml the catalog names), checks asked of the provider and their results, steps
//! ticked by hand, progress saved after every change, and the first-launch tour.

use chrono::{DateTime, Utc};

use crate::keymap::{Action, Key, Layer};
use crate::model::catalog::Kind;
use crate::model::markdown;
use crate::model::onboarding::{
    CheckKind, CheckResult, PathSpec, Row, StepSpec, TOUR, detail_width,
};
use crate::model::{Level, Model, Overlay, PaletteItem, PaletteTarget, Screen};

use super::feedback::notify;
use crate::message::Effect;

// The providers still name these through `update`; the rest of the code imports `message`.
pub use crate::message::onboarding::{CheckRequest, Command, Msg};

/// The annotation, on a Group or a Location, that names the organisation's onboarding.yaml.
pub(crate) const ANNOTATION: &str = "flightdeck.dev/onboarding";

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::PathLoaded { spec, source } => {
            let key = progress_key(&spec);
            let st = &mut model.onboarding;
            st.path = Some(spec);
            st.source = Some(source);
            st.error = None;
            st.progress_loaded = false;
            rebuild_rows(model);
            relayout(model);
            vec![
                Effect::Onboarding(Command::LoadProgress { key }),
                Effect::Render,
            ]
        }
        Msg::PathFailed { source, error } => {
            model.onboarding.error = Some(format!("{source}: {error}"));
            vec![Effect::Render]
        }
        Msg::ProgressLoaded { progress, error } => {
            let st = &mut model.onboarding;
            st.progress = progress.unwrap_or_default();
            st.progress_loaded = true;
            let mut effects = vec![Effect::Render];
            if let Some(e) = error {
                notify(
                    model,
                    Level::Warning,
                    format!("onboarding progress: {e}; starting afresh"),
                );
            }
            let mut changed = false;
            if model.onboarding.progress.started_at.is_none() {
                model.onboarding.progress.started_at = Some(model.now);
                changed = true;
            }
            let (checks, saved) = run_checks(model, None);
            effects.extend(checks);
            // One save of the start and of what the checks found: two writes in flight could
            // land in either order, and the older would win.
            if changed || saved {
                effects.extend(save(model));
            }
            effects
        }
        Msg::TourState { done } => {
            model.onboarding.progress.tour_done = done;
            if !done && model.first_run.is_none() && model.overlay.is_none() {
                model.overlay = Some(Overlay::Tour { page: 0 });
                return vec![Effect::Render];
            }
            vec![]
        }
        Msg::CatalogChanged => catalog_changed(model),
        Msg::Checked { step, result } => {
            let mut effects = vec![Effect::Render];
            if checked(model, step, result) {
                effects.extend(save(model));
            }
            effects
        }
        Msg::SaveFailed { error } => {
            notify(
                model,
                Level::Error,
                format!("onboarding progress not saved: {error}"),
            );
            vec![Effect::Render]
        }
    }
}

/// Marks a step whose check passed as done; true when progress changed. What happened before
/// the path started counts from when the cockpit saw it, for the step and for the time to
/// first deploy alike, so "done … ago" and "first deploy … after start" read one instant.
fn record(model: &mut Model, step: &str, event_at: DateTime<Utc>, is_deploy: bool) -> bool {
    let now = model.now;
    let p = &mut model.onboarding.progress;
    let at = match p.started_at {
        Some(s) if event_at < s => now,
        _ => event_at,
    };
    let mut changed = false;
    let done_at = *p.done.entry(step.to_string()).or_insert_with(|| {
        changed = true;
        at
    });
    if is_deploy && p.first_deploy_at.is_none() {
        p.first_deploy_at = Some(done_at);
        changed = true;
    }
    changed
}

/// Progress is kept per path title, so the demo's practice and a real path never mix.
fn progress_key(spec: &PathSpec) -> String {
    spec.title.clone().unwrap_or_else(|| "onboarding".into())
}

fn save(model: &Model) -> Vec<Effect> {
    let st = &model.onboarding;
    match (&st.path, st.progress_loaded) {
        (Some(spec), true) => vec![Effect::Onboarding(Command::Save {
            key: progress_key(spec),
            progress: st.progress.clone(),
        })],
        // Until the saved progress is read, saving would overwrite it.
        _ => vec![],
    }
}

/// Looks in the catalog for the annotation naming an onboarding.yaml, unless the config
/// already gives a path. Asks the provider to read it once.
fn catalog_changed(model: &mut Model) -> Vec<Effect> {
    if model.onboarding.source.as_deref() == Some(CONFIG_SOURCE) {
        return vec![];
    }
    let found = model.catalog.entities.iter().find_map(|e| {
        if !matches!(e.kind, Kind::Group | Kind::Location) {
            return None;
        }
        let file = e.annotations.get(ANNOTATION)?;
        let base = match &e.origin {
            crate::model::catalog::EntityOrigin::File { place, .. } => {
                std::path::Path::new(&*place.path)
                    .parent()
                    .map(|p| p.to_path_buf())
            }
            _ => None,
        };
        let file = file.trim();
        let path = std::path::Path::new(file.strip_prefix("./").unwrap_or(file));
        Some(match base {
            Some(b) if path.is_relative() => b.join(path).display().to_string(),
            _ => path.display().to_string(),
        })
    });
    match found {
        Some(file) if model.onboarding.catalog_file.as_deref() != Some(file.as_str()) => {
            model.onboarding.catalog_file = Some(file.clone());
            vec![Effect::Onboarding(Command::LoadFile(file))]
        }
        _ => vec![],
    }
}

/// How the provider names a path that came from the config.
pub const CONFIG_SOURCE: &str = "the config";

fn rebuild_rows(model: &mut Model) {
    let st = &mut model.onboarding;
    st.rows.clear();
    if let Some(path) = &st.path {
        for (p, phase) in path.phases.iter().enumerate() {
            st.rows.push(Row::Phase(p));
            st.rows
                .extend((0..phase.steps.len()).map(|s| Row::Step { phase: p, step: s }));
        }
    }
}

/// Lays every step's text out for the detail panel's width; steps are few and short, so all
/// are done at once, on load and on resize.
fn relayout(model: &mut Model) {
    let width = detail_width(model.size.0);
    let st = &mut model.onboarding;
    let Some(path) = &st.path else {
        st.detail = None;
        return;
    };
    let mut all = Vec::new();
    for step in path.phases.iter().flat_map(|p| &p.steps) {
        let doc = markdown::parse(&step.text);
        all.push((step.id.clone(), markdown::layout(&doc, width).lines));
    }
    st.detail = Some((width, all));
}

/// The terminal changed size: lay the step texts out again.
pub(crate) fn resized(model: &mut Model) {
    if model
        .onboarding
        .detail
        .as_ref()
        .is_some_and(|(w, _)| *w != detail_width(model.size.0))
    {
        relayout(model);
    }
}

fn step_by_id<'a>(model: &'a Model, id: &str) -> Option<&'a StepSpec> {
    model
        .onboarding
        .path
        .as_ref()?
        .phases
        .iter()
        .flat_map(|p| &p.steps)
        .find(|s| s.id == id)
}

fn selected_step(model: &Model) -> Option<&StepSpec> {
    match model
        .onboarding
        .rows
        .get(model.list(Screen::Onboarding).cursor.selected)?
    {
        Row::Step { phase, step } => model.onboarding.step(*phase, *step),
        Row::Phase(_) => None,
    }
}

/// The user's team's services: refs, names, GitHub repos and namespaces.
struct Team {
    groups: Vec<String>,
    services: Vec<String>,
    names: Vec<String>,
    repos: Vec<String>,
    namespaces: Vec<String>,
}

fn team(model: &Model) -> Team {
    let catalog = &model.catalog;
    let mut t = Team {
        groups: catalog.my_groups.iter().cloned().collect(),
        services: vec![],
        names: vec![],
        repos: vec![],
        namespaces: vec![],
    };
    for e in catalog.services().filter(|e| catalog.is_mine(e)) {
        t.services.push(e.entity_ref.clone());
        t.names.push(e.name.clone());
        if let Some(r) = e.annotations.get("github.com/project-slug") {
            t.repos.push(r.clone());
        }
        if let Some(ns) = e.annotations.get("backstage.io/kubernetes-namespace")
            && !t.namespaces.contains(ns)
        {
            t.namespaces.push(ns.clone());
        }
    }
    t
}

/// Runs the checks of every step (or only `only`): those that need a remote go to the
/// provider, those the model can answer are answered here. Returns the effects and whether a
/// local check changed the progress, which the caller must save.
fn run_checks(model: &mut Model, only: Option<&str>) -> (Vec<Effect>, bool) {
    let Some(path) = &model.onboarding.path else {
        return (vec![Effect::Render], false);
    };
    let team = team(model);
    let steps: Vec<StepSpec> = path
        .phases
        .iter()
        .flat_map(|p| &p.steps)
        .filter(|s| s.check.is_some() && only.is_none_or(|id| id == s.id))
        .cloned()
        .collect();
    let mut remote = Vec::new();
    let mut local = Vec::new();
    for step in steps {
        let Some(kind) = step.check else { continue };
        match kind {
            CheckKind::CatalogGroup => local.push((step.id.clone(), catalog_check(model, &team))),
            CheckKind::RunbookOpened => local.push((step.id.clone(), runbook_check(model, &team))),
            _ => {
                model.onboarding.checking.insert(step.id.clone());
                remote.push(CheckRequest {
                    step: step.id.clone(),
                    kind,
                    context: step.context.clone(),
                    namespace: step
                        .namespace
                        .clone()
                        .or_else(|| team.namespaces.first().cloned()),
                    alertmanager: step.alertmanager.clone(),
                    environment: step.environment.clone(),
                    repos: step
                        .repo
                        .clone()
                        .map_or_else(|| team.repos.clone(), |r| vec![r]),
                });
            }
        }
    }
    let mut changed = false;
    for (step, result) in local {
        changed |= checked(model, step, result);
    }
    let effect = if remote.is_empty() {
        Effect::Render
    } else {
        Effect::Onboarding(Command::RunChecks(remote))
    };
    (vec![effect], changed)
}

/// Keeps a check's result; true when it marked its step done (progress to save).
fn checked(model: &mut Model, step: String, result: CheckResult) -> bool {
    model.onboarding.checking.remove(&step);
    let ok = result.ok;
    let event_at = result.event_at.unwrap_or(result.at);
    let is_deploy = step_by_id(model, &step).is_some_and(|s| s.check == Some(CheckKind::Deployed));
    model.onboarding.results.insert(step.clone(), result);
    ok && record(model, &step, event_at, is_deploy)
}

/// Re-runs the runbook checks when a page was opened in the docs viewer, whichever key, link
/// or palette entry opened it: the root of `update` calls this after every message, and it
/// acts only when the set of opened pages grew. The check is local, so this costs no request.
pub(crate) fn docs_opened(model: &mut Model) -> Vec<Effect> {
    let seen = model.docs.opened.len();
    if seen == model.onboarding.opened_seen {
        return vec![];
    }
    model.onboarding.opened_seen = seen;
    let st = &model.onboarding;
    let Some(path) = &st.path else { return vec![] };
    if !st.progress_loaded {
        // The checks run when the progress arrives, and see every page opened until then.
        return vec![];
    }
    let steps: Vec<String> = path
        .phases
        .iter()
        .flat_map(|p| &p.steps)
        .filter(|s| s.check == Some(CheckKind::RunbookOpened) && !st.is_done(&s.id))
        .map(|s| s.id.clone())
        .collect();
    if steps.is_empty() {
        return vec![];
    }
    let mut changed = false;
    for id in steps {
        // A local check: its only effect is a render, pushed once below.
        changed |= run_checks(model, Some(&id)).1;
    }
    let mut effects = if changed { save(model) } else { vec![] };
    effects.push(Effect::Render);
    effects
}

fn result(model: &Model, ok: bool, found: String, next: Option<String>) -> CheckResult {
    CheckResult {
        ok,
        found,
        next,
        at: model.now,
        event_at: None,
    }
}

fn catalog_check(model: &Model, team: &Team) -> CheckResult {
    let catalog = &model.catalog;
    let Some(me) = &catalog.identity else {
        return result(
            model,
            false,
            "the cockpit does not know who you are".into(),
            Some("set `me = \"user:default/<your-login>\"` under [general] in the config, or make your git user.email the one on your User entity".into()),
        );
    };
    if team.groups.is_empty() {
        return result(
            model,
            false,
            format!("{} is in no Group of the catalog", me.user),
            Some(format!(
                "ask your team lead to add `{}` to your team's Group (spec.members) in the catalog",
                me.user
            )),
        );
    }
    if team.names.is_empty() {
        return result(
            model,
            false,
            format!("{} is in {}, which owns no service", me.user, team.groups.join(", ")),
            Some("ask your team lead which Group owns your services, and to set it as their spec.owner".into()),
        );
    }
    let shown: Vec<&str> = team.names.iter().take(4).map(String::as_str).collect();
    let more = if team.names.len() > 4 {
        format!(" and {} more", team.names.len() - 4)
    } else {
        String::new()
    };
    result(
        model,
        true,
        format!(
            "{} is in {}, owning {}{more}",
            me.user,
            team.groups.join(", "),
            shown.join(", ")
        ),
        None,
    )
}

fn runbook_check(model: &Model, team: &Team) -> CheckResult {
    match model.docs.opened_runbook_of(&team.services) {
        Some((service, path)) => {
            let name = service.rsplit('/').next().unwrap_or(&service);
            result(model, true, format!("you opened {path} of {name}"), None)
        }
        None => {
            let which = team
                .names
                .iter()
                .find(|n| {
                    team.services
                        .iter()
                        .any(|s| s.ends_with(&format!("/{n}")) && model.docs.has_docs(s))
                })
                .or(team.names.first());
            let next = match which {
                Some(name) => format!(
                    "press 5 for Docs, open {name} and one of its runbooks (or : then \"{name} runbook\")"
                ),
                None => "press 5 for Docs and open a runbook of a service your team owns".into(),
            };
            result(
                model,
                false,
                "no runbook of your team's services opened yet".into(),
                Some(next),
            )
        }
    }
}

/// Rows in the screen's list now.
pub(crate) fn row_count(model: &Model) -> usize {
    model.onboarding.rows.len()
}

/// Every key of this screen goes through the keymap (`toggle-step` ticks a manual step).
pub(crate) fn on_key(_model: &mut Model, _key: &Key) -> Option<Vec<Effect>> {
    None
}

fn toggle(model: &mut Model) -> Vec<Effect> {
    let Some(step) = selected_step(model).cloned() else {
        return vec![];
    };
    if let Some(kind) = step.check {
        notify(
            model,
            Level::Info,
            format!(
                "checked by the cockpit ({}); r checks again",
                kind.describe()
            ),
        );
        return vec![Effect::Render];
    }
    let now = model.now;
    let p = &mut model.onboarding.progress;
    if p.done.remove(&step.id).is_none() {
        p.done.insert(step.id.clone(), now);
    }
    let mut effects = vec![Effect::Render];
    effects.extend(save(model));
    effects
}

/// Handles an action on this screen; `None` leaves it to the global keys.
pub(crate) fn on_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    match action {
        Action::ToggleStep => Some(toggle(model)),
        Action::Open => {
            let step = selected_step(model)?.clone();
            if let Some(template) = &step.template {
                // A first deploy through the team's golden path: the template's form.
                return Some(super::create::open_template(model, template));
            }
            if step.check.is_some() {
                Some(checks_then_save(model, Some(&step.id)))
            } else {
                Some(toggle(model))
            }
        }
        Action::Refresh if model.onboarding.path.is_some() => {
            notify(model, Level::Info, "checking every step again");
            Some(checks_then_save(model, None))
        }
        Action::OpenUrl | Action::Describe => {
            let step = selected_step(model)?.clone();
            let Some(doc) = step.docs.first() else {
                notify(model, Level::Info, "this step links no docs page");
                return Some(vec![Effect::Render]);
            };
            Some(open_doc(model, doc))
        }
        _ => None,
    }
}

/// Runs checks at the user's asking, saving what the local ones found.
fn checks_then_save(model: &mut Model, only: Option<&str>) -> Vec<Effect> {
    let (mut effects, changed) = run_checks(model, only);
    if changed {
        effects.extend(save(model));
    }
    effects.push(Effect::Render);
    effects
}

/// Opens a `service:path#anchor` docs link of a step in the docs viewer.
fn open_doc(model: &mut Model, link: &str) -> Vec<Effect> {
    let (service, path) = link.split_once(':').map_or(("", link), |(s, p)| (s, p));
    let service_ref = if service.contains('/') {
        service.to_string()
    } else {
        format!("component:default/{service}")
    };
    match super::docs::open_runbook(model, &service_ref, path)
        .or_else(|| super::docs::open_runbook(model, service, path))
    {
        Some(effects) => effects,
        None => {
            notify(
                model,
                Level::Warning,
                format!("{link}: not found in the docs"),
            );
            vec![Effect::Render]
        }
    }
}

/// Recomputes the screen's visible rows after its filter changed: the path is short, so the
/// filter keeps phases and only the steps whose title matches.
pub fn refilter(model: &mut Model) {
    rebuild_rows(model);
    let query = model
        .list(Screen::Onboarding)
        .filter
        .text()
        .trim()
        .to_lowercase();
    if query.is_empty() {
        return;
    }
    let st = &mut model.onboarding;
    let Some(path) = &st.path else { return };
    st.rows.retain(|r| match r {
        Row::Phase(_) => true,
        Row::Step { phase, step } => path.phases[*phase].steps[*step]
            .title
            .to_lowercase()
            .contains(&query),
    });
}

/// Entries this screen adds to the `:` palette: the tour and every step.
pub fn palette_items(model: &Model, items: &mut Vec<PaletteItem>) {
    items.push(PaletteItem {
        label: "Tour of the cockpit (replay)".into(),
        kind: "command",
        target: PaletteTarget::Row {
            screen: Screen::Onboarding,
            key: "tour".into(),
        },
    });
    if let Some(path) = &model.onboarding.path {
        for phase in &path.phases {
            for step in &phase.steps {
                items.push(PaletteItem {
                    label: format!("Onboarding › {} › {}", phase.name, step.title),
                    kind: "step",
                    target: PaletteTarget::Row {
                        screen: Screen::Onboarding,
                        key: format!("step:{}", step.id),
                    },
                });
            }
        }
    }
}

/// A palette entry of this screen was chosen: the tour, or a step to select.
pub(crate) fn open_key(model: &mut Model, key: &str) -> Vec<Effect> {
    if key == "tour" {
        model.overlay = Some(Overlay::Tour { page: 0 });
        return vec![Effect::Render];
    }
    model.screen = Screen::Onboarding;
    if let Some(id) = key.strip_prefix("step:") {
        let list = model.list(Screen::Onboarding).filter.is_empty();
        if !list {
            model.list_mut(Screen::Onboarding).filter.clear();
            rebuild_rows(model);
        }
        let path = model.onboarding.path.as_ref();
        let at = model.onboarding.rows.iter().position(|r| match r {
            Row::Step { phase, step } => path
                .and_then(|p| p.phases.get(*phase)?.steps.get(*step))
                .is_some_and(|s| s.id == id),
            Row::Phase(_) => false,
        });
        if let Some(at) = at {
            let (len, height) = (model.onboarding.rows.len(), model.list_height);
            let list = model.list_mut(Screen::Onboarding);
            list.cursor = list.cursor.to(at, len, height);
        }
    }
    vec![Effect::Render]
}

/// Keys while the tour is on screen (the keymap's `tour` layer; enter, space or → next, ← back,
/// esc skips by default). Any other key
/// closes the tour and does what it does without it, so a user who already knows the cockpit
/// (or a script driving it) is never stuck behind the tour: then the second value is true, and
/// the caller handles the key as if the tour had not been there.
pub(crate) fn on_tour_key(model: &mut Model, key: &Key) -> (Vec<Effect>, bool) {
    let Some(Overlay::Tour { page }) = model.overlay else {
        return (vec![], false);
    };
    let next = match model.keymap.action_in_only(Layer::Tour, key) {
        Some(Action::TourNext) => Some(page + 1),
        Some(Action::TourBack) => Some(page.saturating_sub(1)),
        Some(Action::TourSkip) => Some(TOUR.len()),
        _ => None,
    };
    match next {
        Some(p) if p < TOUR.len() => {
            model.overlay = Some(Overlay::Tour { page: p });
            (vec![Effect::Render], false)
        }
        Some(_) => (finish_tour(model), false),
        None => (finish_tour(model), true),
    }
}

fn finish_tour(model: &mut Model) -> Vec<Effect> {
    model.overlay = None;
    let first = !model.onboarding.progress.tour_done;
    model.onboarding.progress.tour_done = true;
    if first {
        notify(
            model,
            Level::Info,
            "tour done; replay it from the palette (:) with \"tour\"",
        );
    }
    vec![Effect::Onboarding(Command::TourDone), Effect::Render]
}
