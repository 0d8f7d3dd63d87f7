//! What `update` says to the user: the status-line notice, and the confirmation every action
//! that changes something elsewhere goes through. A leaf below every screen's module, so the
//! screens can use it without importing the `update` that dispatches to them.

use crate::message::Effect;
use crate::model::{Confirm, Level, Model, Notice, Overlay};

/// The one gate for actions that change something elsewhere (re-run, cancel, silence,
/// restart, scale, delete): refused under `--read-only`, otherwise shown for confirmation.
pub fn confirm(
    model: &mut Model,
    title: impl Into<String>,
    lines: Vec<String>,
    on_yes: Effect,
) -> Vec<Effect> {
    let title = title.into();
    if model.read_only {
        notify(
            model,
            Level::Warning,
            format!("{title}: refused, flightdeck runs read-only"),
        );
        return vec![Effect::Render];
    }
    model.overlay = Some(Overlay::Confirm(Confirm {
        title,
        lines,
        on_yes: Box::new(on_yes),
    }));
    vec![Effect::Render]
}

/// Shows `text` in the status line until the next few ticks pass.
pub fn notify(model: &mut Model, level: Level, text: impl Into<String>) {
    model.notice = Some(Notice {
        text: text.into(),
        level,
        at: model.now,
    });
}
