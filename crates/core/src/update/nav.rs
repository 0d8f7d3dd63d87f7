//! The back stack: every key that takes the user to another screen (a screen key, a palette
//! jump, a runbook, an alert's pods) leaves the place it came from, and `esc` where the jump
//! landed goes back there, with the selection and the open detail. Screens know nothing of it:
//! it watches where a key leaves the user.

use crate::keymap::{Action, Key};
use crate::message::Effect;
use crate::model::alerts::AlertsView;
use crate::model::nav::{MAX_BACK, Place, Spot};
use crate::model::workloads::View;
use crate::model::{Model, Screen};

use super::{alerts, keys, overview, pipelines, workloads};

/// Routes `key`, first taking `esc` back when the user stands where a jump landed, and
/// remembers where the user was when the key took them to another screen.
pub(super) fn on_key(model: &mut Model, key: Key) -> Vec<Effect> {
    if model.keymap.action(&key) == Some(Action::Back)
        && let Some(effects) = back(model)
    {
        return effects;
    }
    let before = place(model);
    let effects = keys::on_key(model, key);
    if model.screen != before.screen && !model.quit {
        let landed = spot(model);
        model.back.push(Place { landed, ..before });
        if model.back.len() > MAX_BACK {
            model.back.remove(0);
        }
    }
    effects
}

/// Goes back to where the last jump came from, when `esc` is pressed where it landed and
/// nothing opened since (a detail, a form, the filter) that `esc` should close first.
fn back(model: &mut Model) -> Option<Vec<Effect>> {
    let top = model.back.last()?;
    let list = model.list(model.screen);
    if model.overlay.is_some() || list.filtering || spot(model) != top.landed {
        return None;
    }
    let place = model.back.pop()?;
    restore(model, place);
    Some(vec![Effect::Render])
}

/// The layers open on the current screen, each closed by one `esc`.
fn spot(model: &Model) -> Spot {
    let n = |b: bool| u8::from(b);
    let depth = match model.screen {
        Screen::Overview => {
            let ov = &model.catalog.overview;
            n(ov.page.is_some()) + n(ov.problems_open)
        }
        Screen::Pipelines => {
            let p = &model.pipelines;
            n(p.detail.is_some())
                + n(p.log.is_some())
                + n(p.form.is_some())
                + n(p.prs.scope.is_some())
        }
        Screen::Workloads => {
            let w = &model.workloads;
            n(w.view != View::List) + n(w.scale.is_some())
        }
        Screen::Alerts => {
            let a = &model.alerts;
            n(a.detail.is_some()) + n(a.form.is_some()) + n(a.view == AlertsView::Silences)
        }
        Screen::Docs => {
            let d = &model.docs;
            let back = u8::try_from(d.back.len()).unwrap_or(u8::MAX);
            n(d.open.is_some())
                .saturating_add(back)
                .saturating_add(n(d.search.typing))
        }
        Screen::Onboarding => 0,
        Screen::Work => n(model.work.detail.is_some()),
        Screen::Delivery => {
            let d = &model.delivery;
            n(d.timeline.is_some()) + n(d.changes.is_some()) + n(d.change.is_some())
        }
        // Each stage past the list is one more `esc` back (a run's end goes back to the list).
        Screen::Create => model.create.stage as u8,
    };
    Spot {
        screen: model.screen,
        depth,
        filter: model.list(model.screen).filter.text().to_string(),
    }
}

/// Where the user is now, to come back to.
fn place(model: &Model) -> Place {
    let screen = model.screen;
    let list = model.list(screen);
    let (selected, detail) = match screen {
        Screen::Overview => (
            overview::selected_key(model),
            model
                .catalog
                .overview
                .page
                .as_ref()
                .map(|p| p.service.clone()),
        ),
        Screen::Pipelines => (pipelines::selected_key(model), None),
        Screen::Workloads => (workloads::selected_key(model), None),
        Screen::Alerts => (
            alerts::selected_key(model),
            model.alerts.detail.as_ref().map(|d| d.fingerprint.clone()),
        ),
        Screen::Docs | Screen::Onboarding | Screen::Work | Screen::Delivery | Screen::Create => {
            (None, None)
        }
    };
    Place {
        screen,
        selected,
        cursor: list.cursor,
        chosen: list.chosen,
        detail,
        landed: spot(model),
    }
}

fn restore(model: &mut Model, place: Place) {
    model.screen = place.screen;
    let list = model.list_mut(place.screen);
    list.cursor = place.cursor;
    list.chosen = place.chosen;
    if let Some(key) = &place.selected {
        match place.screen {
            Screen::Overview => overview::select_key(model, key),
            Screen::Pipelines => pipelines::select_key(model, key),
            Screen::Workloads => workloads::select_key(model, key),
            Screen::Alerts => alerts::select_key(model, key),
            Screen::Docs
            | Screen::Onboarding
            | Screen::Work
            | Screen::Delivery
            | Screen::Create => false,
        };
        // Selecting again is restoring, not a new choice.
        model.list_mut(place.screen).chosen = place.chosen;
    }
    match (place.screen, place.detail) {
        (Screen::Alerts, Some(fingerprint)) => alerts::reopen_detail(model, &fingerprint),
        (Screen::Overview, Some(service))
            if model.catalog.overview.page.as_ref().map(|p| &p.service) != Some(&service) =>
        {
            overview::open_service(model, &service);
        }
        _ => {}
    }
}
