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
    if refused_read_only(model, &title) {
        return vec![Effect::Render];
    }
    model.overlay = Some(Overlay::Confirm(Confirm {
        title,
        lines,
        on_yes: Box::new(on_yes),
    }));
    vec![Effect::Render]
}

/// How a URL leaves the cockpit: copied (OSC 52) or handed to the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlUse {
    Copy,
    Open,
}

/// The one gate every copied or opened URL goes through, whatever the screen: `raw` is checked
/// by `sanitize::url` as it came (never a caret form of it), and a URL that fails says so in
/// the status line instead of doing nothing.
pub fn url_effect(model: &mut Model, how: UrlUse, raw: &str) -> Vec<Effect> {
    let Some(url) = crate::sanitize::url(raw) else {
        let verb = match how {
            UrlUse::Copy => "not copied",
            UrlUse::Open => "not opened",
        };
        notify(
            model,
            Level::Warning,
            format!(
                "{verb}: {} fails the URL check (only http and https, no control characters)",
                crate::sanitize::excerpt(raw, 60)
            ),
        );
        return vec![Effect::Render];
    };
    let effect = match how {
        UrlUse::Copy => {
            notify(model, Level::Info, format!("copied {url}"));
            Effect::Copy(url)
        }
        UrlUse::Open => {
            notify(model, Level::Info, format!("opening {url} (y copies it)"));
            Effect::OpenUrl(url)
        }
    };
    vec![effect, Effect::Render]
}

/// Shows `text` in the status line: for at least [`NOTICE_KEPT`] ticks, then until the next key
/// or [`NOTICE_GONE`] ticks, whichever comes first.
pub fn notify(model: &mut Model, level: Level, text: impl Into<String>) {
    model.notice = Some(Notice {
        text: text.into(),
        level,
        ticks: 0,
    });
}

/// Ticks after which a key clears the notice. The first tick can come at once, so six ticks
/// are at least five seconds: time to read a URL or a refusal even while typing on.
pub const NOTICE_KEPT: u32 = 6;
/// Ticks after which the notice goes by itself, keys or not.
pub const NOTICE_GONE: u32 = 9;

/// Under `--read-only`, says so for `what` and returns true. Asked at the first key of every
/// action that changes something elsewhere, before any prompt or form opens.
pub(crate) fn refused_read_only(model: &mut Model, what: &str) -> bool {
    if model.read_only {
        notify(
            model,
            Level::Warning,
            format!("{what}: refused, flightdeck runs read-only"),
        );
    }
    model.read_only
}
