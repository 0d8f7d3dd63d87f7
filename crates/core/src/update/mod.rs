//! The one state transition: `update(&mut Model, Msg) -> Vec<Effect>`. It never awaits and never
//! performs IO; whatever must happen outside (draw, fetch, copy, quit) it returns as effects, in
//! the order they must run: the app's loop (`src/app.rs`) keeps draws, redraws, quitting and
//! external programs, and hands the rest to the runner in `src/main.rs` (snapshots, clipboard,
//! URLs, providers). It sits above `model` and `message`, which import nothing of it. Inside,
//! imports run one way: this root, `nav` (the back stack) and `keys` (where a keystroke goes) call the screens' files,
//! the screens call `feedback` (notices, the confirmation gate), and none calls back up.

pub mod alerts;
pub mod create;
pub mod delivery;
pub mod docs;
mod feedback;
mod keys;
mod nav;
pub mod onboarding;
pub mod overview;
pub mod pipelines;
pub mod signals;
pub mod work;
pub mod workloads;

use chrono::{DateTime, Utc};

// The providers still name these through `update`; the rest of the code imports `message`.
pub use crate::message::{Discard, Effect, External, Msg, SourceEvent};
use crate::model::{CHROME_ROWS, FetchState, Level, Model, SourceId};
pub use feedback::{NOTICE_GONE, NOTICE_KEPT, confirm, notify};
pub use keys::layers;

/// Applies `msg` to `model` and says what must happen next.
pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let mut effects = match msg {
        Msg::Key(key) => {
            let read = model.notice.take_if(|n| n.ticks >= NOTICE_KEPT).is_some();
            let mut effects = nav::on_key(model, key);
            if read && !effects.contains(&Effect::Render) {
                effects.push(Effect::Render);
            }
            effects
        }
        Msg::Paste(text) => keys::on_paste(model, text),
        Msg::Resize { width, height } => {
            model.size = (width, height);
            model.list_height = usize::from(height).saturating_sub(CHROME_ROWS).max(1);
            for list in model.lists.values_mut() {
                list.cursor = list
                    .cursor
                    .scrolled_into_view(usize::MAX, model.list_height);
            }
            docs::resized(model);
            onboarding::resized(model);
            work::resized(model);
            vec![Effect::Render]
        }
        Msg::Tick(now) => on_tick(model, now),
        Msg::Source { id, event } => on_source(model, id, event),
        Msg::Catalog(m) => {
            let effects = overview::update(model, m);
            // Tickets join to services through the catalog's annotations.
            if effects.contains(&Effect::Render) && !model.work.tickets.is_empty() {
                work::rejoin(model);
            }
            effects
        }
        // The Overview reads the pipelines through each service's CI and deploy summaries:
        // the rows whose summary moved are joined again, and only those; anything else the
        // message moved (a run on a branch, a deployment's history) shows on the open
        // Service screen.
        Msg::Pipelines(m) => {
            let effects = pipelines::update(model, m);
            let moved = model.pipelines.take_moved_summaries();
            if !moved.is_empty() {
                overview::rejoin_some(model, &moved);
            } else if effects.contains(&Effect::Render) {
                overview::refresh_page(model);
            }
            effects
        }
        // The Overview reads the workloads only through the pods' roll-ups, and the workloads
        // update joins again the rows whose roll-up moved: a batch that moved none, a log
        // line or a port-forward's counter joins nothing.
        Msg::Workloads(m) => workloads::update(model, m),
        // The Overview reads the alerts through each service's summary: the rows whose
        // summary moved are joined again, and only those.
        Msg::Alerts(m) => {
            let effects = alerts::update(model, m);
            let moved = model.alerts.take_moved_summaries();
            if !moved.is_empty() {
                let refs = overview::refs_of(model, &moved);
                overview::rejoin_some(model, &refs);
            }
            effects
        }
        Msg::Docs(m) => rejoined(model, |model| docs::update(model, m)),
        Msg::Onboarding(m) => onboarding::update(model, m),
        Msg::Signals(m) => signals::update(model, m),
        Msg::Work(m) => rejoined(model, |model| work::update(model, m)),
        Msg::Delivery(m) => {
            let mut effects = delivery::update(model, m);
            // A history may say when a template-made service reached production.
            let before = model
                .catalog
                .overview
                .page
                .as_ref()
                .map(|p| p.to_production);
            if before.is_some() {
                overview::refresh_page(model);
                let after = model
                    .catalog
                    .overview
                    .page
                    .as_ref()
                    .map(|p| p.to_production);
                if after != before && !effects.contains(&Effect::Render) {
                    effects.push(Effect::Render);
                }
            }
            effects
        }
        Msg::Create(m) => create::update(model, m),
        Msg::Resumed { outcome } => {
            if let Err(e) = outcome {
                notify(model, Level::Error, e);
            }
            vec![Effect::FullRedraw]
        }
    };
    // Whatever moved the user (keys, palette, a message), the CI providers learn what is on
    // screen, so they poll it and pause the rest.
    effects.extend(pipelines::watch(model));
    // Prometheus reads only what is on screen: the Overview's rows, the open service's charts.
    effects.extend(signals::watch(model));
    // Likewise the ticket pollers: quick for what is on screen, a slow sweep for the rest.
    effects.extend(work::watch(model));
    // The delivery history is read once the Delivery screen is opened, deeper for a longer window.
    effects.extend(delivery::watch(model));
    // The open "My changes" follows the runs, deployments, pods and alerts as they move.
    if effects.contains(&Effect::Render) {
        delivery::retrail(model);
    }
    // A page opened in the docs viewer, from anywhere, may be what an onboarding step checks.
    effects.extend(onboarding::docs_opened(model));
    // The Create screen reads the templates the first time it shows, and follows a created
    // service on its way to production.
    effects.extend(create::watch(model));
    if let Some(e) = create::follow(model)
        && !effects.contains(&e)
    {
        effects.push(e);
    }
    effects
}

/// A domain's data changed what the Overview joins: the joined rows are recomputed here, once,
/// rather than by every screen that shows them.
fn rejoined(model: &mut Model, f: impl FnOnce(&mut Model) -> Vec<Effect>) -> Vec<Effect> {
    let effects = f(model);
    if effects.contains(&Effect::Render) {
        overview::rejoin(model);
    }
    effects
}

/// Ages are shown to the minute (`<1m`, `3m`, `2h`), so a tick redraws only when a minute
/// boundary passes or a retry time is reached: an idle cockpit writes nothing.
fn on_tick(model: &mut Model, now: DateTime<Utc>) -> Vec<Effect> {
    let before = model.now;
    model.now = now;
    let minute_changed = before.timestamp().div_euclid(60) != now.timestamp().div_euclid(60);
    let countdown_shown = model.sources.iter().any(
        |s| matches!(&s.state, FetchState::Failing { retry_at: Some(at), .. } if *at > before),
    );
    if let Some(n) = model.notice.as_mut() {
        n.ticks = n.ticks.saturating_add(1);
    }
    let notice_expired = model.notice.take_if(|n| n.ticks >= NOTICE_GONE).is_some();
    let mut effects = Vec::new();
    if now - model.snapshot_saved >= model.snapshot_every {
        model.snapshot_saved = now;
        effects.push(Effect::SaveSnapshot);
    }
    // Shifts change hands on the minute at the finest: who is on call is read again then.
    if minute_changed && model.work.oncall.is_some() {
        work::rejoin(model);
    }
    if minute_changed || countdown_shown || notice_expired {
        effects.push(Effect::Render);
    }
    effects
}

fn on_source(model: &mut Model, id: SourceId, event: SourceEvent) -> Vec<Effect> {
    // A Prometheus provider says it started: what was on screen before it could listen (the
    // first frame's) is told again, by `signals::watch` at the end of this update.
    if id.kind == crate::model::SourceKind::Prometheus && event == SourceEvent::Connecting {
        signals::forget_want(model);
    }
    let Some(source) = model.source_mut(&id) else {
        return vec![];
    };
    let before = source.clone();
    match event {
        SourceEvent::Connecting => source.state = FetchState::Connecting,
        SourceEvent::Ok { at, detail } => {
            source.state = FetchState::Ok;
            source.fetched_at = Some(at);
            source.from_snapshot = false;
            source.detail = detail;
        }
        SourceEvent::Failed {
            error,
            at,
            retry_at,
        } => {
            let since = match &source.state {
                FetchState::Failing { since, .. } => *since,
                _ => at,
            };
            source.state = FetchState::Failing {
                error,
                since,
                retry_at,
            };
        }
    }
    if *source == before {
        return vec![];
    }
    // The Overview's empty cells say why from the sources' states (connecting, failing and
    // with what error, answered with nothing): a state that moved joins the rows again. A
    // fresh answer of a source that was already live moves no cell by itself.
    let moved = match (&before.state, &source.state) {
        (FetchState::Failing { error: a, .. }, FetchState::Failing { error: b, .. }) => a != b,
        (a, b) => std::mem::discriminant(a) != std::mem::discriminant(b),
    } && overview::READ_BY_ROWS.contains(&id.kind);
    if moved {
        overview::rejoin(model);
    }
    vec![Effect::Render]
}

#[cfg(test)]
mod nav_tests;
#[cfg(test)]
mod tests;
