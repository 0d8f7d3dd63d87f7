//! The alerts screen's part of `update`: data from the Alertmanager providers, the list and its
//! filter, the alert detail, the silence form, acknowledgements and the silences list. Every
//! silence and expiry goes through `confirm`, so read-only mode refuses it and the user sees
//! what it will do first.

use chrono::Duration;

use crate::keymap::{Action, Key};
use crate::model::alerts::{
    ACK_PREFIX, AlertsView, Detail, Editing, FormField, Instance, InstanceData, MergedAlert,
    PRESET_TOMORROW, PRESET_TYPED, PRESETS, Row, SilenceDraft, SilenceEnd, SilenceForm,
    detail_lines, detail_text_width, matchers_for, parse_duration, tomorrow_at_nine,
};
use crate::model::input::{Edit, InputKey};
use crate::model::matchers::{format_matchers, parse_matchers};
use crate::model::{Cursor, Fetched, Level, Model, PaletteItem, PaletteTarget, Screen, TextInput};

use super::feedback::{UrlUse, confirm, notify, refused_read_only, url_effect};
use crate::message::{Discard, Effect};

// The providers still name these through `update`; the rest of the code imports `message`.
pub use crate::message::alerts::{Command, Msg};

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Configured {
            instances,
            created_by,
            utc_offset_secs,
            ack_minutes,
        } => {
            let state = &mut model.alerts;
            let mut old = std::mem::take(&mut state.instances);
            for (name, service_label) in instances {
                let data = old
                    .iter_mut()
                    .find(|i| i.name == name)
                    .and_then(Instance::take_data);
                state
                    .instances
                    .push(Instance::new(name, service_label, data));
            }
            state.created_by = if created_by.trim().is_empty() {
                "flightdeck".into()
            } else {
                created_by
            };
            state.utc_offset_secs = utc_offset_secs;
            state.ack_minutes = if ack_minutes > 0 { ack_minutes } else { 15 };
            rebuild(model);
            vec![Effect::Render]
        }
        Msg::Fetched { instance, at, data } => {
            let state = &mut model.alerts;
            let index = match state.instance_index(&instance) {
                Some(i) => i,
                None => {
                    state
                        .instances
                        .push(Instance::new(instance, "service".into(), None));
                    state.instances.len() - 1
                }
            };
            let (changed, old) = state.instances[index].set_data(Fetched {
                value: data,
                fetched_at: at,
            });
            let mut effects: Vec<Effect> = old
                .map(Discard::new)
                .map(Effect::Discard)
                .into_iter()
                .collect();
            // Alerts are re-sent every few seconds: most polls change nothing shown, and the
            // merge stays valid (same alerts in the same places).
            if changed {
                rebuild(model);
                effects.push(Effect::Render);
            }
            effects
        }
        Msg::SilenceSaved { instance, id } => {
            notify(
                model,
                Level::Info,
                format!("silence {id} saved on {instance}"),
            );
            vec![Effect::Render]
        }
        Msg::SilenceExpired { instance, id } => {
            notify(
                model,
                Level::Info,
                format!("silence {id} expired on {instance}"),
            );
            vec![Effect::Render]
        }
        Msg::ActionFailed {
            instance,
            action,
            error,
        } => {
            notify(
                model,
                Level::Error,
                format!("{action} on {instance} failed: {error}"),
            );
            vec![Effect::Render]
        }
    }
}

/// Puts an Alertmanager's data from the previous run's snapshot back, so the first frame shows
/// it (marked stale by its source) while the provider connects.
pub fn restore(model: &mut Model, instance: String, data: Fetched<InstanceData>) {
    match model.alerts.instance_index(&instance) {
        Some(i) => {
            // Restored at start-up, before any poll: there is no earlier data to free.
            let _ = model.alerts.instances[i].set_data(data);
        }
        None => model
            .alerts
            .instances
            .push(Instance::new(instance, "service".into(), Some(data))),
    }
    rebuild(model);
}

/// Recomputes the merged alerts and rows, keeping the cursor on the same alert or service.
fn rebuild(model: &mut Model) {
    let before = selected_row_key(model);
    // What the providers were last told is the catalog's targets now (every catalog change
    // announces); made afresh only before the first announcement.
    let targets = model
        .catalog
        .announced
        .clone()
        .unwrap_or_else(|| std::sync::Arc::new(model.catalog.targets()));
    let filter = model.list(Screen::Alerts).filter.text().to_string();
    model.alerts.rebuild(&targets, &filter);
    restore_cursor(model, before);
    rewrap_detail(model, true);
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum RowKey {
    Alert(String),
    Service(String),
}

fn selected_row_key(model: &Model) -> Option<RowKey> {
    let state = &model.alerts;
    if state.view != AlertsView::Alerts {
        return None;
    }
    match state.rows.get(model.list(Screen::Alerts).cursor.selected)? {
        Row::Alert(i) => state
            .merged
            .get(*i)
            .and_then(|m| state.alert(m))
            .map(|a| RowKey::Alert(a.fingerprint.clone())),
        Row::Service { service, .. } => Some(RowKey::Service(service.clone())),
    }
}

fn restore_cursor(model: &mut Model, key: Option<RowKey>) {
    let rows = row_count(model);
    let height = model.list_height;
    let state = &model.alerts;
    let found = key.and_then(|key| {
        state.rows.iter().position(|row| match (row, &key) {
            (Row::Alert(i), RowKey::Alert(fp)) => state
                .merged
                .get(*i)
                .and_then(|m| state.alert(m))
                .is_some_and(|a| &a.fingerprint == fp),
            (Row::Service { service, .. }, RowKey::Service(s)) => service == s,
            _ => false,
        })
    });
    model.list_mut(Screen::Alerts).reselect(found, rows, height);
}

/// The selected alert's fingerprint or service, to find it again after a jump away and back.
pub(crate) fn selected_key(model: &Model) -> Option<String> {
    selected_row_key(model).map(|k| match k {
        RowKey::Alert(fp) | RowKey::Service(fp) => fp,
    })
}

/// Selects the alert with fingerprint `key` (or the service group `key`), opening its group
/// and showing the alerts list; false when neither is listed.
pub(crate) fn select_key(model: &mut Model, key: &str) -> bool {
    // The detail covers the list: the jump shows the list with the target selected.
    model.alerts.detail = None;
    if model.alerts.view == AlertsView::Silences {
        switch_view(model);
    }
    let service = model
        .alerts
        .by_fingerprint(key)
        .map(|m| m.service.to_string());
    if let Some(service) = service
        && model.alerts.collapsed.remove(&service)
    {
        refilter(model);
    }
    let find = |model: &Model| {
        let state = &model.alerts;
        state.rows.iter().position(|row| match row {
            Row::Alert(i) => state
                .merged
                .get(*i)
                .and_then(|m| state.alert(m))
                .is_some_and(|a| a.fingerprint == key),
            Row::Service { service, .. } => service == key,
        })
    };
    let mut pos = find(model);
    if pos.is_none() && !model.list(Screen::Alerts).filter.is_empty() {
        model.list_mut(Screen::Alerts).filter.clear();
        refilter(model);
        pos = find(model);
    }
    let Some(pos) = pos else {
        return false;
    };
    let (rows, height) = (row_count(model), model.list_height);
    model.list_mut(Screen::Alerts).choose(pos, rows, height);
    true
}

/// Opens the detail of the alert `fingerprint` again (going back to it), unless it is open.
pub(crate) fn reopen_detail(model: &mut Model, fingerprint: &str) {
    if model
        .alerts
        .detail
        .as_ref()
        .is_some_and(|d| d.fingerprint == fingerprint)
    {
        return;
    }
    let index = model.alerts.merged.iter().position(|m| {
        model
            .alerts
            .alert(m)
            .is_some_and(|a| a.fingerprint == fingerprint)
    });
    if let Some(i) = index {
        open_detail(model, i);
    }
}

/// From an alert's detail, the Workloads key opens Workloads on the alert's service (the key
/// router carries it out, as it alone reaches every screen's filter).
pub(crate) fn filtered_jump(model: &Model, action: Action) -> Option<(Screen, String)> {
    if model.screen != Screen::Alerts || action != Action::ScreenWorkloads {
        return None;
    }
    let detail = model.alerts.detail.as_ref()?;
    let merged = model.alerts.by_fingerprint(&detail.fingerprint)?;
    let service = merged
        .service_ref
        .as_deref()
        .map_or(&*merged.service, crate::model::workloads::service_name);
    (!service.is_empty()).then(|| (Screen::Workloads, format!("service:{service}")))
}

/// Rows in the screen's list now.
pub(crate) fn row_count(model: &Model) -> usize {
    match model.alerts.view {
        AlertsView::Alerts => model.alerts.rows.len(),
        AlertsView::Silences => model.alerts.silences.len(),
    }
}

/// Takes raw keys while the silence form is open; every other key goes through the keymap.
pub(crate) fn on_key(model: &mut Model, key: &Key) -> Option<Vec<Effect>> {
    if model.alerts.form.is_some() {
        return Some(on_form_key(model, key));
    }
    if model.list(Screen::Alerts).filtering {
        return None;
    }
    // The terminal may have been resized since the detail was wrapped; any key re-wraps it
    // before it acts, so the view never wraps.
    rewrap_detail(model, false);
    None
}

/// Handles an action on this screen; `None` leaves it to the global keys.
pub(crate) fn on_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    if model.alerts.view == AlertsView::Silences {
        return match action {
            Action::Back | Action::ShowAlerts => Some(switch_view(model)),
            Action::ExpireSilence => Some(expire_selected(model)),
            Action::EditSilence => Some(edit_selected(model)),
            Action::ExtendSilence => Some(extend_selected(model)),
            Action::Open => Some(show_matched(model)),
            _ => None,
        };
    }
    if model.alerts.detail.is_some() {
        return on_detail_action(model, action);
    }
    if action == Action::ShowSilences {
        return Some(switch_view(model));
    }
    let selected = model.list(Screen::Alerts).cursor.selected;
    match action {
        Action::Open => match model.alerts.rows.get(selected)? {
            Row::Alert(i) => {
                let i = *i;
                open_detail(model, i);
                Some(vec![Effect::Render])
            }
            // An open group's header stands for its most urgent alert, the row below it: the
            // on-call path is `4`, `enter`, and lands on the worst alert. A folded group unfolds.
            Row::Service { collapsed, .. } => {
                if !*collapsed && let Some(Row::Alert(i)) = model.alerts.rows.get(selected + 1) {
                    let i = *i;
                    let rows = row_count(model);
                    let height = model.list_height;
                    let list = model.list_mut(Screen::Alerts);
                    list.cursor = list.cursor.to(selected + 1, rows, height);
                    list.chosen = true;
                    open_detail(model, i);
                    return Some(vec![Effect::Render]);
                }
                Some(fold(model, selected))
            }
        },
        Action::ToggleGroup => Some(fold(model, selected)),
        Action::ToggleMuted => {
            model.alerts.show_muted = !model.alerts.show_muted;
            let before = selected_row_key(model);
            refilter(model);
            restore_cursor(model, before);
            let what = if model.alerts.show_muted {
                "shown"
            } else {
                "hidden"
            };
            notify(
                model,
                Level::Info,
                format!("silenced and inhibited alerts {what}"),
            );
            Some(vec![Effect::Render])
        }
        Action::Silence
            if let Some(Row::Service { service, .. }) = model.alerts.rows.get(selected) =>
        {
            let service = service.clone();
            Some(silence_group(model, &service))
        }
        Action::Silence | Action::Acknowledge | Action::Copy | Action::OpenUrl => {
            let (index, _) = model.alerts.alert_at_row(selected)?;
            Some(act_on(model, index, action))
        }
        _ => None,
    }
}

fn on_detail_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    let detail = model.alerts.detail.as_mut()?;
    let page = model.list_height.max(1);
    let last = detail.lines.len().saturating_sub(1);
    let scroll = match action {
        Action::Back => {
            model.alerts.detail = None;
            return Some(vec![Effect::Render]);
        }
        Action::Down => detail.scroll + 1,
        Action::Up => detail.scroll.saturating_sub(1),
        Action::PageDown => detail.scroll + page,
        Action::PageUp => detail.scroll.saturating_sub(page),
        Action::Top => 0,
        Action::Bottom => last,
        Action::Silence | Action::Acknowledge | Action::Copy | Action::OpenUrl => {
            let fingerprint = detail.fingerprint.clone();
            let index = model.alerts.merged.iter().position(|m| {
                model
                    .alerts
                    .alert(m)
                    .is_some_and(|a| a.fingerprint == fingerprint)
            });
            return match index {
                Some(i) => Some(act_on(model, i, action)),
                None => {
                    notify(model, Level::Warning, "this alert is no longer firing");
                    Some(vec![Effect::Render])
                }
            };
        }
        // The detail covers the list: other list actions wait until it is closed.
        Action::Open | Action::ToggleMuted | Action::ShowSilences => return Some(vec![]),
        _ => return None,
    };
    let scroll = scroll.min(last);
    if scroll == detail.scroll {
        return Some(vec![]);
    }
    detail.scroll = scroll;
    Some(vec![Effect::Render])
}

/// Silence, acknowledge, copy or open the runbook of the merged alert `index`.
fn act_on(model: &mut Model, index: usize, action: Action) -> Vec<Effect> {
    let Some(merged) = model.alerts.merged.get(index).cloned() else {
        return vec![];
    };
    let Some(alert) = model.alerts.alert(&merged).cloned() else {
        return vec![];
    };
    match action {
        Action::Copy | Action::OpenUrl => match alert.runbook_url.clone() {
            Some(url) => {
                // A runbook in the service's own docs opens in the viewer, at its anchor.
                if action == Action::OpenUrl
                    && let Some(service) = merged.service_ref.as_deref()
                    && let Some(effects) = super::docs::open_runbook(model, service, &url)
                {
                    return effects;
                }
                let how = if action == Action::Copy {
                    UrlUse::Copy
                } else {
                    UrlUse::Open
                };
                url_effect(model, how, &url)
            }
            None => {
                notify(
                    model,
                    Level::Warning,
                    format!("{} has no usable runbook_url", alert.name()),
                );
                vec![Effect::Render]
            }
        },
        Action::Silence => {
            if refused_read_only(model, "Silence") {
                return vec![Effect::Render];
            }
            let matchers = matchers_for(&alert);
            let targets = model.alerts.silence_targets(&merged.seen_on);
            open_form(model, &matchers, targets, None);
            vec![Effect::Render]
        }
        Action::Acknowledge => acknowledge(model, &merged, &alert),
        _ => vec![],
    }
}

/// Opens the silence form on these matchers. With `editing`, the form starts from that
/// silence (its comment, and the time it has left as a typed duration) and replaces it.
fn open_form(
    model: &mut Model,
    matchers: &[crate::wire::alertmanager::Matcher],
    targets: Vec<usize>,
    editing: Option<(Editing, String, chrono::DateTime<chrono::Utc>)>,
) {
    let (typed, comment, preset, editing) = match editing {
        Some((editing, comment, ends_at)) => (
            input_with(&crate::model::time::duration(ends_at - model.now)),
            input_with(&comment),
            PRESET_TYPED,
            Some(editing),
        ),
        None => (TextInput::default(), TextInput::default(), 1, None),
    };
    let focus = if editing.is_some() {
        FormField::Duration
    } else {
        FormField::Comment
    };
    let preview =
        crate::model::alerts::preview(&model.alerts.instances, &model.alerts.merged, matchers);
    model.alerts.form = Some(SilenceForm {
        matchers: input_with(&format_matchers(matchers)),
        preset,
        typed,
        comment,
        focus,
        preview,
        error: None,
        targets,
        editing,
    });
}

/// `s` on a group's row: one silence for the whole group, on the labels all its alerts share
/// (the way karma silences a group), so it keeps muting alerts the group gains later.
fn silence_group(model: &mut Model, service: &str) -> Vec<Effect> {
    if refused_read_only(model, "Silence") {
        return vec![Effect::Render];
    }
    let state = &model.alerts;
    let mut seen: Vec<usize> = Vec::new();
    let mut common: Option<Vec<(String, String)>> = None;
    for m in state.merged.iter().filter(|m| &*m.service == service) {
        let Some(alert) = state.alert(m) else {
            continue;
        };
        seen.extend(m.seen_on.iter().copied());
        let labels = matchers_for(alert);
        match common.as_mut() {
            None => common = Some(labels.into_iter().map(|m| (m.name, m.value)).collect()),
            Some(c) => c.retain(|(name, value)| {
                labels.iter().any(|l| &l.name == name && &l.value == value)
            }),
        }
    }
    let matchers: Vec<crate::wire::alertmanager::Matcher> = common
        .unwrap_or_default()
        .into_iter()
        .map(|(name, value)| crate::wire::alertmanager::Matcher {
            name,
            value,
            is_regex: false,
            is_equal: true,
        })
        .collect();
    if matchers.is_empty() {
        notify(
            model,
            Level::Warning,
            format!(
                "the alerts of {service} share no label to silence them by; silence them one by one"
            ),
        );
        return vec![Effect::Render];
    }
    seen.sort_unstable();
    seen.dedup();
    let targets = model.alerts.silence_targets(&seen);
    open_form(model, &matchers, targets, None);
    vec![Effect::Render]
}

fn input_with(text: &str) -> TextInput {
    let mut input = TextInput::default();
    input.apply(Edit::Paste(text.to_string()));
    input
}

fn who(model: &Model) -> String {
    model.alerts.created_by.clone()
}

fn names(model: &Model, indices: &[usize]) -> Vec<String> {
    indices
        .iter()
        .filter_map(|i| model.alerts.instances.get(*i))
        .map(|i| i.name.clone())
        .collect()
}

/// Acknowledges the shown alert with `fingerprint` as `a` on it does (the incident it opened
/// with it, asked once), when that alert is firing and not silenced; `None` otherwise.
pub(crate) fn acknowledge_unsilenced(model: &mut Model, fingerprint: &str) -> Option<Vec<Effect>> {
    let (merged, alert) = model.alerts.merged.iter().find_map(|m| {
        let a = model.alerts.alert(m)?;
        (a.fingerprint == fingerprint
            && a.silenced_by.is_empty()
            && a.state == crate::wire::alertmanager::AlertState::Active)
            .then(|| (m.clone(), a.clone()))
    })?;
    Some(acknowledge(model, &merged, &alert))
}

/// `a`: a short silence with a recognisable comment; when the alert already carries an
/// acknowledgement, it is extended instead of stacking a second one.
fn acknowledge(
    model: &mut Model,
    merged: &MergedAlert,
    alert: &crate::model::alerts::Alert,
) -> Vec<Effect> {
    let minutes = model.alerts.ack_minutes.max(1);
    let targets = names(model, &model.alerts.silence_targets(&merged.seen_on));
    let existing = alert
        .silenced_by
        .iter()
        .filter_map(|id| model.alerts.silence_by_id(id))
        .find(|s| s.is_ack())
        .cloned();
    let (title, draft, lines) = match existing {
        Some(ack) => {
            let new_end = ack.ends_at.max(model.now) + Duration::minutes(minutes);
            let lines = vec![
                format!("{} on {}", alert.name(), targets.join(", ")),
                format!("acknowledged by {}: {}", ack.created_by, ack.comment),
                format!(
                    "ends in {}, extended by {minutes}m",
                    crate::model::time::until(model.now, ack.ends_at)
                ),
                format!("new end: {}", new_end.format("%Y-%m-%d %H:%M UTC")),
            ];
            let draft = SilenceDraft {
                id: Some(ack.id.clone()),
                matchers: ack.matchers.clone(),
                starts_at: Some(ack.starts_at),
                end: SilenceEnd::Extend {
                    ends_at: ack.ends_at,
                    by_secs: minutes * 60,
                },
                created_by: ack.created_by.clone(),
                comment: ack.comment.clone(),
            };
            ("Extend acknowledgement".to_string(), draft, lines)
        }
        None => {
            let comment = format!("{ACK_PREFIX} {} is looking", who(model));
            let matchers = matchers_for(alert);
            let lines = vec![
                format!("{} on {}", alert.name(), targets.join(", ")),
                format!("silence for {minutes}m: {}", format_matchers(&matchers)),
                format!("comment: {comment}"),
            ];
            let draft = SilenceDraft {
                id: None,
                matchers,
                starts_at: None,
                end: SilenceEnd::For(minutes * 60),
                created_by: who(model),
                comment,
            };
            ("Acknowledge".to_string(), draft, lines)
        }
    };
    let mut lines = lines;
    let silence = Effect::Alerts(Command::CreateSilence {
        instances: targets,
        draft,
    });
    // The PagerDuty incident this alert opened is acknowledged with it, under the same `y`:
    // the page and the alert are one thing to the person holding the pager.
    let incident = model
        .work
        .incident_for(&alert.fingerprint)
        .filter(|t| t.status == "triggered")
        .cloned();
    let effect = match incident {
        Some(t) => {
            let (ack, label) = crate::message::work::Command::set_incident(
                &t,
                crate::message::work::IncidentStatus::Acknowledged,
            );
            let ack = Effect::Work(ack);
            lines.push(format!(
                "and {label}, held by {}",
                t.assignee.as_deref().unwrap_or("nobody")
            ));
            Effect::Batch(vec![silence, ack])
        }
        None => silence,
    };
    confirm(model, title, lines, effect)
}

fn on_form_key(model: &mut Model, key: &Key) -> Vec<Effect> {
    let pressed = InputKey::read(&model.keymap, key);
    let Some(form) = model.alerts.form.as_mut() else {
        return vec![];
    };
    let next = |f: FormField, back: bool| match (f, back) {
        (FormField::Matchers, false) | (FormField::Comment, true) => FormField::Duration,
        (FormField::Duration, false) | (FormField::Matchers, true) => FormField::Comment,
        (FormField::Comment, false) | (FormField::Duration, true) => FormField::Matchers,
    };
    let presets = form.focus == FormField::Duration && form.preset != PRESET_TYPED;
    match pressed {
        None => return vec![],
        Some(InputKey::Cancel) => {
            model.alerts.form = None;
            notify(model, Level::Info, "silence cancelled");
            return vec![Effect::Render];
        }
        Some(InputKey::Next) => form.focus = next(form.focus, false),
        Some(InputKey::Prev) => form.focus = next(form.focus, true),
        Some(InputKey::Accept) => return submit_form(model),
        Some(InputKey::Edit(Edit::Left)) if presets => {
            form.preset = form.preset.checked_sub(1).unwrap_or(PRESETS.len() - 1);
        }
        Some(InputKey::Edit(Edit::Right)) if presets => {
            form.preset = (form.preset + 1) % PRESETS.len();
        }
        Some(InputKey::Edit(edit)) => {
            let input = match form.focus {
                FormField::Matchers => &mut form.matchers,
                FormField::Comment => &mut form.comment,
                FormField::Duration => {
                    // Typing in the duration field means a typed duration; leaving an empty
                    // typed field with the arrows goes back to the presets.
                    if matches!(edit, Edit::Left | Edit::Right) && form.typed.is_empty() {
                        form.preset = if matches!(edit, Edit::Left) {
                            PRESET_TOMORROW
                        } else {
                            0
                        };
                        return vec![Effect::Render];
                    }
                    form.preset = PRESET_TYPED;
                    &mut form.typed
                }
            };
            let matchers_changed = input.apply(edit) && form.focus == FormField::Matchers;
            form.error = None;
            if matchers_changed {
                let text = form.matchers.text().to_string();
                match parse_matchers(&text) {
                    Ok(ms) => {
                        form.preview = crate::model::alerts::preview(
                            &model.alerts.instances,
                            &model.alerts.merged,
                            &ms,
                        );
                    }
                    Err(e) => {
                        form.preview.clear();
                        form.error = Some(e.to_string());
                    }
                }
            }
        }
    }
    vec![Effect::Render]
}

/// Checks the form; when it is complete, closes it and asks for confirmation.
fn submit_form(model: &mut Model) -> Vec<Effect> {
    let Some(form) = model.alerts.form.clone() else {
        return vec![];
    };
    let fail = |model: &mut Model, field: FormField, error: String| {
        if let Some(f) = model.alerts.form.as_mut() {
            f.error = Some(error);
            f.focus = field;
        }
        vec![Effect::Render]
    };
    let matchers = match parse_matchers(form.matchers.text()) {
        Ok(ms) => ms,
        Err(e) => return fail(model, FormField::Matchers, e.to_string()),
    };
    let all_match_empty = matchers
        .iter()
        .all(|m| m.compile().is_ok_and(|c| c.matches_value("")));
    if all_match_empty {
        return fail(
            model,
            FormField::Matchers,
            "at least one matcher must not match the empty string".into(),
        );
    }
    let (end, until) = match form.preset {
        PRESET_TYPED => match parse_duration(form.typed.text()) {
            Some(d) => (SilenceEnd::For(d.num_seconds()), model.now + d),
            None => {
                return fail(
                    model,
                    FormField::Duration,
                    format!("`{}` is not a duration (15m, 2h30m, 1d)", form.typed.text()),
                );
            }
        },
        PRESET_TOMORROW => {
            let at = tomorrow_at_nine(model.now, model.alerts.utc_offset_secs);
            (SilenceEnd::At(at), at)
        }
        n => {
            let d = parse_duration(PRESETS[n]).unwrap_or(Duration::hours(1));
            (SilenceEnd::For(d.num_seconds()), model.now + d)
        }
    };
    let comment = form.comment.text().trim().to_string();
    if comment.is_empty() {
        return fail(
            model,
            FormField::Comment,
            "a comment is required: say why, for whoever is paged next".into(),
        );
    }
    model.alerts.form = None;
    let mut seen: Vec<usize> = form.targets.clone();
    for i in &form.preview {
        if let Some(m) = model.alerts.merged.get(*i) {
            seen.extend(m.seen_on.iter().copied());
        }
    }
    seen.sort_unstable();
    seen.dedup();
    let targets = names(model, &model.alerts.silence_targets(&seen));
    let mut lines = vec![
        format!("on {}", targets.join(", ")),
        format!("matchers: {}", format_matchers(&matchers)),
        format!(
            "until {} ({})",
            (until + Duration::seconds(i64::from(model.alerts.utc_offset_secs)))
                .format("%a %Y-%m-%d %H:%M"),
            crate::model::time::coarse(until - model.now)
        ),
        format!("by {}: {comment}", who(model)),
        format!("silences {} alert(s) firing now:", form.preview.len()),
    ];
    const SHOWN: usize = 6;
    for i in form.preview.iter().take(SHOWN) {
        if let Some(a) = model
            .alerts
            .merged
            .get(*i)
            .and_then(|m| model.alerts.alert(m))
        {
            lines.push(format!(
                "  {} {} {}",
                a.severity.label(),
                a.name(),
                a.labels.get("service").map_or("", String::as_str)
            ));
        }
    }
    if form.preview.len() > SHOWN {
        lines.push(format!("  and {} more", form.preview.len() - SHOWN));
    }
    let title = match &form.editing {
        Some(e) => format!("Replace silence {}", e.id),
        None => "Silence".to_string(),
    };
    let draft = SilenceDraft {
        id: form.editing.as_ref().map(|e| e.id.clone()),
        matchers,
        starts_at: form.editing.as_ref().map(|e| e.starts_at),
        end,
        created_by: who(model),
        comment,
    };
    confirm(
        model,
        title,
        lines,
        Effect::Alerts(Command::CreateSilence {
            instances: targets,
            draft,
        }),
    )
}

fn expire_selected(model: &mut Model) -> Vec<Effect> {
    let selected = model.list(Screen::Alerts).cursor.selected;
    let Some(merged) = model.alerts.silences.get(selected).cloned() else {
        return vec![];
    };
    let Some(silence) = model.alerts.silence(&merged).cloned() else {
        return vec![];
    };
    let targets = names(model, &model.alerts.silence_targets(&merged.seen_on));
    let lines = vec![
        format!("on {}", targets.join(", ")),
        format!("matchers: {}", format_matchers(&silence.matchers)),
        format!("by {}: {}", silence.created_by, silence.comment),
        "the alerts it mutes notify again".to_string(),
    ];
    confirm(
        model,
        format!("Expire silence {}", silence.id),
        lines,
        Effect::Alerts(Command::ExpireSilence {
            instances: targets,
            id: silence.id,
        }),
    )
}

/// The silence under the cursor in the silences list, with the instances it goes to.
fn selected_silence(model: &Model) -> Option<(crate::model::alerts::Silence, Vec<String>)> {
    let selected = model.list(Screen::Alerts).cursor.selected;
    let merged = model.alerts.silences.get(selected)?;
    let silence = model.alerts.silence(merged)?.clone();
    let targets = names(model, &model.alerts.silence_targets(&merged.seen_on));
    Some((silence, targets))
}

/// `e` on a silence: the silence form, filled from it; submitting replaces it by id.
fn edit_selected(model: &mut Model) -> Vec<Effect> {
    if refused_read_only(model, "Edit silence") {
        return vec![Effect::Render];
    }
    let selected = model.list(Screen::Alerts).cursor.selected;
    let Some(merged) = model.alerts.silences.get(selected).cloned() else {
        return vec![];
    };
    let Some(silence) = model.alerts.silence(&merged).cloned() else {
        return vec![];
    };
    let targets = model.alerts.silence_targets(&merged.seen_on);
    let editing = Editing {
        id: silence.id.clone(),
        starts_at: silence.starts_at,
    };
    open_form(
        model,
        &silence.matchers,
        targets,
        Some((editing, silence.comment.clone(), silence.ends_at)),
    );
    vec![Effect::Render]
}

/// `+` on a silence: an hour more, from the later of its end and now.
fn extend_selected(model: &mut Model) -> Vec<Effect> {
    const BY_SECS: i64 = 3600;
    let Some((silence, targets)) = selected_silence(model) else {
        return vec![];
    };
    let new_end = silence.ends_at.max(model.now) + Duration::seconds(BY_SECS);
    let lines = vec![
        format!("on {}", targets.join(", ")),
        format!("matchers: {}", format_matchers(&silence.matchers)),
        format!("by {}: {}", silence.created_by, silence.comment),
        format!(
            "ends in {}, extended by 1h",
            crate::model::time::until(model.now, silence.ends_at)
        ),
        format!("new end: {}", new_end.format("%Y-%m-%d %H:%M UTC")),
    ];
    let draft = SilenceDraft {
        id: Some(silence.id.clone()),
        matchers: silence.matchers.clone(),
        starts_at: Some(silence.starts_at),
        end: SilenceEnd::Extend {
            ends_at: silence.ends_at,
            by_secs: BY_SECS,
        },
        created_by: silence.created_by.clone(),
        comment: silence.comment.clone(),
    };
    confirm(
        model,
        format!("Extend silence {}", silence.id),
        lines,
        Effect::Alerts(Command::CreateSilence {
            instances: targets,
            draft,
        }),
    )
}

/// `enter` on a silence: the alerts list filtered by its matchers, muted alerts shown, so the
/// alerts it mutes now are what is listed (the filter takes the same matcher syntax).
fn show_matched(model: &mut Model) -> Vec<Effect> {
    let Some((silence, _)) = selected_silence(model) else {
        return vec![];
    };
    let text = format_matchers(&silence.matchers);
    model.alerts.show_muted = true;
    switch_view(model);
    let list = model.list_mut(Screen::Alerts);
    list.filter = input_with(&text);
    list.filtering = false;
    refilter(model);
    let rows = row_count(model);
    let height = model.list_height;
    let list = model.list_mut(Screen::Alerts);
    list.cursor = list.cursor.to(0, rows, height);
    let shown = model.alerts.shown;
    notify(
        model,
        Level::Info,
        format!(
            "{shown} alert(s) match silence {} (esc clears the filter)",
            silence.id
        ),
    );
    vec![Effect::Render]
}

fn switch_view(model: &mut Model) -> Vec<Effect> {
    let state = &mut model.alerts;
    state.view = match state.view {
        AlertsView::Alerts => AlertsView::Silences,
        AlertsView::Silences => AlertsView::Alerts,
    };
    let list = model.lists.entry(Screen::Alerts).or_default();
    let cursor: Cursor = std::mem::replace(&mut list.cursor, state.other_cursor);
    state.other_cursor = cursor;
    let rows = row_count(model);
    let height = model.list_height;
    let list = model.list_mut(Screen::Alerts);
    list.cursor = list.cursor.to(list.cursor.selected, rows, height);
    vec![Effect::Render]
}

/// Folds or unfolds the group of the row at `row` (its header, or an alert in it), keeping the
/// cursor on the group's header.
fn fold(model: &mut Model, row: usize) -> Vec<Effect> {
    let header = model
        .alerts
        .rows
        .get(..=row)
        .and_then(|rows| rows.iter().rposition(|r| matches!(r, Row::Service { .. })));
    let Some((at, Row::Service { service, .. })) =
        header.and_then(|at| model.alerts.rows.get(at).map(|r| (at, r)))
    else {
        return vec![];
    };
    let service = service.clone();
    if !model.alerts.collapsed.remove(&service) {
        model.alerts.collapsed.insert(service);
    }
    refilter(model);
    let rows = row_count(model);
    let height = model.list_height;
    let list = model.list_mut(Screen::Alerts);
    list.cursor = list.cursor.to(at, rows, height);
    vec![Effect::Render]
}

fn open_detail(model: &mut Model, index: usize) {
    let Some(merged) = model.alerts.merged.get(index) else {
        return;
    };
    let Some(alert) = model.alerts.alert(merged) else {
        return;
    };
    let width = detail_text_width(model.size);
    let lines = detail_lines(&model.alerts, merged, alert, width);
    let fingerprint = alert.fingerprint.clone();
    model.alerts.detail = Some(Detail {
        fingerprint,
        scroll: 0,
        width,
        lines,
    });
}

/// Re-wraps the open detail when the width changed, or (`force`) when its alert's data did.
fn rewrap_detail(model: &mut Model, force: bool) {
    let width = detail_text_width(model.size);
    let Some(detail) = &model.alerts.detail else {
        return;
    };
    if !force && detail.width == width {
        return;
    }
    let fingerprint = detail.fingerprint.clone();
    let scroll = detail.scroll;
    let Some(merged) = model.alerts.by_fingerprint(&fingerprint) else {
        // Resolved while open: the last text stays, but its state says so, or the title's
        // "no longer firing" would sit above "state active".
        if let Some(d) = &mut model.alerts.detail {
            for line in d.lines.iter_mut().filter(|l| l.key == "state") {
                line.text = "resolved (no longer firing)".to_string();
                line.kind = crate::model::alerts::LineKind::Muted;
            }
        }
        return;
    };
    let Some(alert) = model.alerts.alert(merged) else {
        return;
    };
    let lines = detail_lines(&model.alerts, merged, alert, width);
    let scroll = scroll.min(lines.len().saturating_sub(1));
    model.alerts.detail = Some(Detail {
        fingerprint,
        scroll,
        width,
        lines,
    });
}

/// Recomputes the screen's visible rows after its filter changed.
pub fn refilter(model: &mut Model) {
    let filter = model.list(Screen::Alerts).filter.text().to_string();
    model.alerts.refilter(&filter);
}

/// Entries this screen adds to the `:` palette: the firing alerts.
pub fn palette_items(model: &Model, items: &mut Vec<PaletteItem>) {
    for m in &model.alerts.merged {
        let Some(alert) = model.alerts.alert(m) else {
            continue;
        };
        if alert.is_muted() {
            continue;
        }
        let label = if m.service.is_empty() {
            alert.name().to_string()
        } else {
            format!("{} {}", alert.name(), m.service)
        };
        items.push(PaletteItem {
            label,
            kind: "alert",
            target: PaletteTarget::Row {
                screen: Screen::Alerts,
                key: alert.fingerprint.clone(),
            },
        });
    }
}

// The cross-screen navigation tests walk from this screen's fixture.
#[cfg(test)]
pub(super) use tests::{code, model, press, select_alert};

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use rstest::rstest;

    use super::*;
    use crate::keymap::{KeyCode, Keymap};
    use crate::message::Msg as AppMsg;
    use crate::model::Overlay;
    use crate::model::alerts::{Alert, Cluster, Severity, Silence, SilenceState};
    use crate::update::update as app_update;
    use crate::wire::alertmanager::{AlertState, LabelSet, Matcher};
    use chrono::{DateTime, Utc};

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
            .single()
            .expect("a valid time")
    }

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    fn alert(pairs: &[(&str, &str)], summary: &str, minutes_ago: i64) -> Alert {
        let labels = labels(pairs);
        let mut a = Alert {
            fingerprint: crate::wire::alertmanager::fingerprint(&labels),
            labels,
            annotations: labels_of_summary(summary),
            tainted: vec![],
            starts_at: t0() - Duration::minutes(minutes_ago),
            updated_at: t0(),
            ends_at: t0() + Duration::minutes(5),
            state: AlertState::Active,
            silenced_by: vec![],
            inhibited_by: vec![],
            muted_by: vec![],
            receivers: vec!["default".into()],
            generator_url: Some("http://prometheus.example/graph?g0.expr=up".into()),
            runbook_url: Some(
                "https://docs.acme.example/payments-api/runbooks/crash-looping.md".into(),
            ),
            severity: Severity::Other,
            search: String::new(),
        };
        a.derive();
        a
    }

    fn labels_of_summary(summary: &str) -> LabelSet {
        labels(&[("summary", summary)])
    }

    fn ack_silence() -> Silence {
        Silence {
            id: "11111111-2222-4333-8444-555555555555".into(),
            matchers: vec![Matcher {
                name: "alertname".into(),
                value: "HighErrorRate".into(),
                is_regex: false,
                is_equal: true,
            }],
            starts_at: t0() - Duration::minutes(5),
            ends_at: t0() + Duration::minutes(10),
            updated_at: t0() - Duration::minutes(5),
            created_by: "asingh".into(),
            comment: "ACK! asingh is looking".into(),
            state: SilenceState::Active,
        }
    }

    /// Two Alertmanagers of one HA cluster reporting the same alerts, and a third, separate one.
    fn data(instance: &str) -> InstanceData {
        let mut muted = alert(
            &[
                ("alertname", "HighErrorRate"),
                ("service", "payments-api"),
                ("severity", "critical"),
            ],
            "5xx above 5%",
            20,
        );
        muted.state = AlertState::Suppressed;
        muted.silenced_by = vec![ack_silence().id];
        let mut inhibited = alert(
            &[
                ("alertname", "LatencyHigh"),
                ("service", "payments-api"),
                ("severity", "warning"),
            ],
            "p99 slow",
            15,
        );
        inhibited.state = AlertState::Suppressed;
        inhibited.inhibited_by = vec!["abc".into()];
        let alerts = vec![
            alert(
                &[
                    ("alertname", "KubePodCrashLooping"),
                    ("service", "payments-api"),
                    ("severity", "critical"),
                ],
                "Pods of payments-api are crash looping",
                30,
            ),
            muted,
            inhibited,
            alert(
                &[
                    ("alertname", "DiskFilling"),
                    ("service", "ledger"),
                    ("severity", "warning"),
                ],
                "disk 90% full",
                120,
            ),
            alert(
                &[("alertname", "Watchdog"), ("severity", "none")],
                "always firing",
                600,
            ),
        ];
        let cluster = match instance {
            "prod-a" => Some(Cluster {
                status: "ready".into(),
                name: Some("peer-a".into()),
                peers: vec!["peer-a".into(), "peer-b".into()],
            }),
            "prod-b" => Some(Cluster {
                status: "ready".into(),
                name: Some("peer-b".into()),
                peers: vec!["peer-a".into(), "peer-b".into()],
            }),
            _ => Some(Cluster {
                status: "disabled".into(),
                name: None,
                peers: vec![],
            }),
        };
        InstanceData {
            alerts,
            silences: vec![ack_silence()],
            version: Some("0.25.0".into()),
            cluster,
        }
    }

    pub(crate) fn model() -> Model {
        let mut m = Model::new(Keymap::defaults(), t0());
        app_update(
            &mut m,
            AppMsg::Resize {
                width: 120,
                height: 40,
            },
        );
        m.screen = Screen::Alerts;
        app_update(
            &mut m,
            AppMsg::Alerts(Msg::Configured {
                instances: vec![
                    ("prod-a".into(), "service".into()),
                    ("prod-b".into(), "service".into()),
                ],
                created_by: "jdoe".into(),
                utc_offset_secs: 0,
                ack_minutes: 15,
            }),
        );
        for name in ["prod-a", "prod-b"] {
            app_update(
                &mut m,
                AppMsg::Alerts(Msg::Fetched {
                    instance: name.into(),
                    at: t0(),
                    data: data(name),
                }),
            );
        }
        m
    }

    pub(crate) fn press(m: &mut Model, keys: &str) -> Vec<Effect> {
        keys.chars()
            .flat_map(|c| app_update(m, AppMsg::Key(Key::char(c))))
            .collect()
    }

    pub(crate) fn code(m: &mut Model, code: KeyCode) -> Vec<Effect> {
        app_update(m, AppMsg::Key(Key::new(code)))
    }

    fn shown_names(m: &Model) -> Vec<String> {
        m.alerts
            .rows
            .iter()
            .map(|r| match r {
                Row::Service { service, .. } => format!("[{service}]"),
                Row::Alert(i) => m
                    .alerts
                    .alert(&m.alerts.merged[*i])
                    .map_or("?".into(), |a| a.name().to_string()),
            })
            .collect()
    }

    pub(crate) fn select_alert(m: &mut Model, name: &str) {
        let row = m
            .alerts
            .rows
            .iter()
            .position(|r| matches!(r, Row::Alert(i) if m.alerts.alert(&m.alerts.merged[*i]).is_some_and(|a| a.name() == name)))
            .expect("the alert is listed");
        let list = m.list_mut(Screen::Alerts);
        list.cursor.selected = row;
        list.chosen = true;
    }

    fn confirmed_effect(m: &Model) -> Effect {
        match &m.overlay {
            Some(Overlay::Confirm(c)) => (*c.on_yes).clone(),
            other => panic!("expected a confirmation, got {other:?}"),
        }
    }

    #[test]
    fn an_ha_pair_shows_each_alert_once_with_both_instances() {
        let m = model();
        assert_eq!(m.alerts.merged.len(), 5);
        assert!(m.alerts.merged.iter().all(|x| x.seen_on[..] == [0, 1]));
        assert_eq!(
            m.alerts.silences.len(),
            1,
            "the gossiped silence shows once"
        );
    }

    #[test]
    fn grouped_by_service_worst_first_and_muted_hidden() {
        let mut m = model();
        assert_eq!(
            shown_names(&m),
            [
                "[payments-api]",
                "KubePodCrashLooping",
                "[ledger]",
                "DiskFilling",
                "[]",
                "Watchdog"
            ]
        );
        assert_eq!(m.alerts.hidden_muted, 2);
        press(&mut m, "M");
        assert_eq!(
            shown_names(&m),
            [
                "[payments-api]",
                "HighErrorRate",
                "KubePodCrashLooping",
                "LatencyHigh",
                "[ledger]",
                "DiskFilling",
                "[]",
                "Watchdog"
            ]
        );
    }

    #[rstest]
    #[case::severity("severity=critical", &["[payments-api]", "KubePodCrashLooping"])]
    #[case::regex_on_service("service=~\"pay.*\"", &["[payments-api]", "KubePodCrashLooping"])]
    #[case::not_equal("alertname!=Watchdog", &["[payments-api]", "KubePodCrashLooping", "[ledger]", "DiskFilling"])]
    #[case::free_text("disk", &["[ledger]", "DiskFilling"])]
    #[case::matcher_and_text("severity=warning full", &["[ledger]", "DiskFilling"])]
    #[case::nothing("severity=page", &[])]
    fn the_filter_takes_matchers_and_words(#[case] filter: &str, #[case] expected: &[&str]) {
        let mut m = model();
        press(&mut m, "/");
        press(&mut m, filter);
        assert!(
            m.alerts.filter_errors.is_empty(),
            "{:?}",
            m.alerts.filter_errors
        );
        assert_eq!(shown_names(&m), expected);
    }

    #[test]
    fn a_bad_matcher_in_the_filter_is_reported() {
        let mut m = model();
        press(&mut m, "/service=~\"(\"");
        assert_eq!(m.alerts.filter_errors.len(), 1);
    }

    #[test]
    fn overview_counts_skip_muted_alerts() {
        let m = model();
        let s = m.alerts.alert_summary("component:default/payments-api");
        assert_eq!((s.critical, s.warning, s.other), (1, 0, 0));
        assert_eq!(m.alerts.alert_summary("ledger").warning, 1);
        assert_eq!(
            m.alerts.alert_summary("component:default/unknown").total(),
            0
        );
    }

    #[test]
    fn silencing_needs_a_comment_then_confirms_once_per_cluster() {
        let mut m = model();
        select_alert(&mut m, "KubePodCrashLooping");
        press(&mut m, "s");
        let form = m.alerts.form.as_ref().expect("the form opens");
        assert_eq!(
            form.matchers.text(),
            "alertname=\"KubePodCrashLooping\", service=\"payments-api\", severity=\"critical\""
        );
        assert_eq!(form.preview.len(), 1);
        code(&mut m, KeyCode::Enter);
        assert!(
            m.alerts
                .form
                .as_ref()
                .and_then(|f| f.error.as_ref())
                .is_some_and(|e| e.contains("comment is required"))
        );
        press(&mut m, "rolling back");
        code(&mut m, KeyCode::Enter);
        assert!(m.alerts.form.is_none());
        match confirmed_effect(&m) {
            Effect::Alerts(Command::CreateSilence { instances, draft }) => {
                assert_eq!(
                    instances,
                    vec!["prod-a".to_string()],
                    "one member of the HA pair is enough"
                );
                assert_eq!(draft.comment, "rolling back");
                assert_eq!(draft.created_by, "jdoe");
                assert_eq!(draft.end, SilenceEnd::For(3600));
                assert_eq!(draft.matchers.len(), 3);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn the_silence_form_deletes_a_word_like_every_other_input() {
        let mut m = model();
        select_alert(&mut m, "DiskFilling");
        press(&mut m, "s");
        press(&mut m, "disk resize planned");
        let alt_backspace = Key {
            alt: true,
            ..Key::new(KeyCode::Backspace)
        };
        app_update(&mut m, AppMsg::Key(alt_backspace));
        let form = m.alerts.form.as_ref().expect("open");
        assert_eq!(form.focus, FormField::Comment);
        assert_eq!(form.comment.text(), "disk resize ");
    }

    #[rstest]
    #[case::preset_4h(vec![KeyCode::Right], "", SilenceEnd::For(4 * 3600))]
    #[case::tomorrow(vec![KeyCode::Right, KeyCode::Right], "", SilenceEnd::At(Utc.with_ymd_and_hms(2026, 3, 3, 9, 0, 0).single().expect("valid")))]
    #[case::typed(vec![], "90m", SilenceEnd::For(90 * 60))]
    fn durations_come_from_presets_or_typing(
        #[case] arrows: Vec<KeyCode>,
        #[case] typed: &str,
        #[case] expected: SilenceEnd,
    ) {
        let mut m = model();
        select_alert(&mut m, "DiskFilling");
        press(&mut m, "s");
        code(&mut m, KeyCode::BackTab);
        for k in arrows {
            code(&mut m, k);
        }
        press(&mut m, typed);
        code(&mut m, KeyCode::Tab);
        press(&mut m, "disk resize planned");
        code(&mut m, KeyCode::Enter);
        match confirmed_effect(&m) {
            Effect::Alerts(Command::CreateSilence { draft, .. }) => assert_eq!(draft.end, expected),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn editing_matchers_updates_the_preview() {
        let mut m = model();
        select_alert(&mut m, "DiskFilling");
        press(&mut m, "s");
        code(&mut m, KeyCode::Tab);
        app_update(&mut m, AppMsg::Key(Key::ctrl('u')));
        code(&mut m, KeyCode::End);
        app_update(&mut m, AppMsg::Key(Key::ctrl('u')));
        press(&mut m, "severity=~\"critical|warning\"");
        let form = m.alerts.form.as_ref().expect("open");
        assert_eq!(form.focus, FormField::Matchers);
        assert_eq!(
            form.preview.len(),
            4,
            "every critical and warning alert, muted ones included"
        );
        press(&mut m, "\"");
        assert!(
            m.alerts
                .form
                .as_ref()
                .is_some_and(|f| f.preview.is_empty() && f.error.is_some())
        );
    }

    #[rstest]
    #[case::silence('s')]
    #[case::acknowledge('a')]
    fn read_only_refuses_before_anything_opens(#[case] key: char) {
        let mut m = model();
        m.read_only = true;
        select_alert(&mut m, "DiskFilling");
        press(&mut m, &key.to_string());
        assert!(m.alerts.form.is_none());
        assert!(m.overlay.is_none());
        assert!(
            m.notice
                .as_ref()
                .is_some_and(|n| n.text.contains("read-only"))
        );
    }

    #[test]
    fn acknowledging_silences_briefly_with_a_recognisable_comment() {
        let mut m = model();
        select_alert(&mut m, "DiskFilling");
        press(&mut m, "a");
        match confirmed_effect(&m) {
            Effect::Alerts(Command::CreateSilence { draft, .. }) => {
                assert_eq!(draft.comment, "ACK! jdoe is looking");
                assert_eq!(draft.end, SilenceEnd::For(15 * 60));
                assert_eq!(draft.id, None);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn acknowledging_an_acknowledged_alert_extends_it() {
        let mut m = model();
        press(&mut m, "M");
        select_alert(&mut m, "HighErrorRate");
        press(&mut m, "a");
        let ack = ack_silence();
        match confirmed_effect(&m) {
            Effect::Alerts(Command::CreateSilence { draft, .. }) => {
                assert_eq!(draft.id.as_deref(), Some(ack.id.as_str()));
                assert_eq!(
                    draft.starts_at,
                    Some(ack.starts_at),
                    "kept so the server updates in place"
                );
                assert_eq!(
                    draft.end,
                    SilenceEnd::Extend {
                        ends_at: ack.ends_at,
                        by_secs: 15 * 60
                    }
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn the_silences_view_lists_and_expires_with_confirmation() {
        let mut m = model();
        press(&mut m, "S");
        assert_eq!(m.alerts.view, AlertsView::Silences);
        assert_eq!(row_count(&m), 1);
        press(&mut m, "x");
        match confirmed_effect(&m) {
            Effect::Alerts(Command::ExpireSilence { instances, id }) => {
                assert_eq!(id, ack_silence().id);
                assert_eq!(instances, vec!["prod-a".to_string()]);
            }
            other => panic!("unexpected {other:?}"),
        }
        code(&mut m, KeyCode::Esc);
        code(&mut m, KeyCode::Esc);
        assert_eq!(m.alerts.view, AlertsView::Alerts);
    }

    #[test]
    fn editing_a_silence_replaces_it_by_id_with_the_new_end() {
        let mut m = model();
        press(&mut m, "S");
        press(&mut m, "e");
        let form = m.alerts.form.as_ref().expect("the edit form opens");
        assert_eq!(form.matchers.text(), "alertname=\"HighErrorRate\"");
        assert_eq!(form.comment.text(), "ACK! asingh is looking");
        assert_eq!(form.typed.text(), "10m00s", "the time it has left");
        assert_eq!(form.focus, FormField::Duration);
        // Replace the typed duration with three hours.
        for _ in 0..6 {
            code(&mut m, KeyCode::Backspace);
        }
        press(&mut m, "3h");
        code(&mut m, KeyCode::Enter);
        match confirmed_effect(&m) {
            Effect::Alerts(Command::CreateSilence { instances, draft }) => {
                let old = ack_silence();
                assert_eq!(instances, vec!["prod-a".to_string()]);
                assert_eq!(draft.id.as_deref(), Some(old.id.as_str()));
                assert_eq!(draft.starts_at, Some(old.starts_at));
                assert_eq!(draft.end, SilenceEnd::For(3 * 3600));
                assert_eq!(draft.comment, old.comment);
                assert_eq!(draft.matchers, old.matchers);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn extending_a_silence_adds_an_hour_to_its_end() {
        let mut m = model();
        press(&mut m, "S+");
        match confirmed_effect(&m) {
            Effect::Alerts(Command::CreateSilence { draft, .. }) => {
                let old = ack_silence();
                assert_eq!(draft.id.as_deref(), Some(old.id.as_str()));
                assert_eq!(
                    draft.end,
                    SilenceEnd::Extend {
                        ends_at: old.ends_at,
                        by_secs: 3600
                    }
                );
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[rstest]
    #[case::edit('e')]
    #[case::extend('+')]
    fn read_only_refuses_changing_a_silence(#[case] key: char) {
        let mut m = model();
        m.read_only = true;
        press(&mut m, "S");
        press(&mut m, &key.to_string());
        assert!(m.alerts.form.is_none());
        assert!(m.overlay.is_none());
        assert!(
            m.notice
                .as_ref()
                .is_some_and(|n| n.text.contains("read-only"))
        );
    }

    #[test]
    fn a_silence_lists_and_opens_the_alerts_it_matches_now() {
        let mut m = model();
        assert_eq!(m.alerts.silence_matches, vec![1]);
        press(&mut m, "S");
        code(&mut m, KeyCode::Enter);
        assert_eq!(m.alerts.view, AlertsView::Alerts);
        assert!(m.alerts.show_muted, "the alerts it mutes are shown");
        assert_eq!(
            m.list(Screen::Alerts).filter.text(),
            "alertname=\"HighErrorRate\""
        );
        assert_eq!(shown_names(&m), ["[payments-api]", "HighErrorRate"]);
    }

    #[test]
    fn silencing_a_group_uses_the_labels_its_alerts_share() {
        let mut m = model();
        m.alerts.show_muted = true;
        refilter(&mut m);
        let row = m
            .alerts
            .rows
            .iter()
            .position(|r| matches!(r, Row::Service { service, .. } if service == "payments-api"))
            .expect("the group is listed");
        m.list_mut(Screen::Alerts).cursor.selected = row;
        press(&mut m, "s");
        let form = m.alerts.form.as_ref().expect("the form opens");
        assert_eq!(form.matchers.text(), "service=\"payments-api\"");
        assert_eq!(form.preview.len(), 3, "every alert of the group");
        press(&mut m, "deploy rolling back");
        code(&mut m, KeyCode::Enter);
        match confirmed_effect(&m) {
            Effect::Alerts(Command::CreateSilence { draft, .. }) => {
                assert_eq!(draft.id, None);
                assert_eq!(draft.matchers.len(), 1);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn the_detail_opens_copies_and_opens_the_runbook() {
        let mut m = model();
        select_alert(&mut m, "KubePodCrashLooping");
        code(&mut m, KeyCode::Enter);
        let detail = m.alerts.detail.as_ref().expect("the detail opens");
        assert!(detail.lines.iter().any(|l| l.key == "runbook_url"));
        let url = "https://docs.acme.example/payments-api/runbooks/crash-looping.md".to_string();
        assert!(press(&mut m, "y").contains(&Effect::Copy(url.clone())));
        assert!(press(&mut m, "o").contains(&Effect::OpenUrl(url)));
        code(&mut m, KeyCode::Esc);
        assert!(m.alerts.detail.is_none());
    }

    #[test]
    fn a_runbook_in_the_services_docs_opens_in_the_viewer() {
        use crate::model::docs::{Page, Site};
        let mut m = model();
        let crash =
            "# Crash looping\n\nPods restart.\n\n## First five minutes\n\nCheck the last deploy.\n";
        let site = Site {
            service: "component:default/payments-api".into(),
            name: "payments-api".into(),
            site_name: "Payments API".into(),
            site_url: Some("https://docs.acme.example/payments-api/".into()),
            root: "/repo/docs".into(),
            nav: vec![],
            pages: vec![Page {
                path: "runbooks/crash-looping.md".into(),
                file: "/repo/docs/runbooks/crash-looping.md".into(),
                markdown: crash.into(),
                ..Page::default()
            }],
        };
        app_update(
            &mut m,
            AppMsg::Docs(super::super::docs::Msg::Loaded {
                sites: vec![site],
                errors: vec![],
            }),
        );
        m.screen = Screen::Alerts;
        // The catalog names the alert's service, as the join does.
        for merged in &mut m.alerts.merged {
            if merged.service.as_ref() == "payments-api" {
                merged.service_ref = Some("component:default/payments-api".into());
            }
        }
        select_alert(&mut m, "KubePodCrashLooping");
        code(&mut m, KeyCode::Enter);
        let effects = press(&mut m, "o");
        assert!(
            !effects.iter().any(|e| matches!(e, Effect::OpenUrl(_))),
            "no browser for a page the cockpit has"
        );
        assert_eq!(m.screen, Screen::Docs);
        let open = m.docs.open.as_ref().expect("the runbook is open");
        assert_eq!(open.path, "runbooks/crash-looping.md");
    }

    #[test]
    fn long_annotations_are_wrapped_once_and_rewrapped_on_resize() {
        let mut m = model();
        let mut d = data("prod-a");
        d.alerts[0]
            .annotations
            .insert("description".into(), "word ".repeat(20_000));
        app_update(
            &mut m,
            AppMsg::Alerts(Msg::Fetched {
                instance: "prod-a".into(),
                at: t0(),
                data: d,
            }),
        );
        select_alert(&mut m, "KubePodCrashLooping");
        code(&mut m, KeyCode::Enter);
        let wide = m
            .alerts
            .detail
            .as_ref()
            .map(|d| (d.width, d.lines.len()))
            .expect("open");
        // At 120 columns the service context takes 45 of them; at 64 it moves below the text.
        app_update(
            &mut m,
            AppMsg::Resize {
                width: 64,
                height: 24,
            },
        );
        press(&mut m, "j");
        let narrow = m
            .alerts
            .detail
            .as_ref()
            .map(|d| (d.width, d.lines.len(), d.scroll))
            .expect("open");
        assert!(narrow.0 < wide.0);
        assert!(narrow.1 > wide.1, "narrower text needs more lines");
        assert_eq!(narrow.2, 1);
    }

    #[test]
    fn a_poll_that_changes_nothing_shown_does_not_redraw() {
        let mut m = model();
        let mut again = data("prod-a");
        for a in &mut again.alerts {
            a.updated_at += Duration::seconds(30);
            a.ends_at += Duration::seconds(30);
        }
        let effects = app_update(
            &mut m,
            AppMsg::Alerts(Msg::Fetched {
                instance: "prod-a".into(),
                at: t0(),
                data: again,
            }),
        );
        assert!(
            matches!(&effects[..], [Effect::Discard(_)]),
            "only the replaced data to free: {effects:?}"
        );
        let mut changed = data("prod-a");
        changed.alerts.pop();
        let effects = app_update(
            &mut m,
            AppMsg::Alerts(Msg::Fetched {
                instance: "prod-a".into(),
                at: t0(),
                data: changed,
            }),
        );
        assert!(
            matches!(&effects[..], [Effect::Discard(_), Effect::Render]),
            "{effects:?}"
        );
    }

    /// prod-a's next poll: its crash-looping alert resolved, a new critical one for ledger.
    fn prod_a_later() -> InstanceData {
        let mut d = data("prod-a");
        d.alerts.remove(0);
        d.alerts.push(alert(
            &[
                ("alertname", "NewCritical"),
                ("service", "ledger"),
                ("severity", "critical"),
            ],
            "fresh",
            1,
        ));
        d
    }

    fn fetched(m: &mut Model, instance: &str, data: InstanceData) {
        app_update(
            m,
            AppMsg::Alerts(Msg::Fetched {
                instance: instance.into(),
                at: t0(),
                data,
            }),
        );
    }

    fn type_filter(m: &mut Model, text: &str) {
        press(m, "/");
        for _ in 0..m.list(Screen::Alerts).filter.text().chars().count() {
            code(m, KeyCode::Backspace);
        }
        press(m, text);
        code(m, KeyCode::Enter);
    }

    #[test]
    fn filter_answers_kept_across_polls_match_a_fresh_merge() {
        // The filter's answers are kept per instance and reused by later rebuilds; whatever
        // order polls and filter edits come in, the rows must be those of a fresh model.
        // prod-a dropping and re-reporting an alert moves which copy (prod-a's or prod-b's)
        // the merge reads, so an answer kept from an older filter would show here.
        enum Step {
            Poll(bool),
            Filter(&'static str),
        }
        let steps = [
            Step::Filter("severity=critical"),
            Step::Poll(true),
            Step::Poll(false),
            Step::Filter("alertname!=KubePodCrashLooping"),
            Step::Poll(true),
            Step::Filter("ledger"),
            Step::Filter(""),
            Step::Poll(false),
            Step::Filter("severity=critical"),
            Step::Poll(true),
        ];
        let mut m = model();
        let (mut later, mut filter) = (false, "");
        for (n, step) in steps.into_iter().enumerate() {
            match step {
                Step::Poll(l) => {
                    later = l;
                    let d = if later {
                        prod_a_later()
                    } else {
                        data("prod-a")
                    };
                    fetched(&mut m, "prod-a", d);
                }
                Step::Filter(f) => {
                    filter = f;
                    type_filter(&mut m, f);
                }
            }
            let mut fresh = model();
            if later {
                fetched(&mut fresh, "prod-a", prod_a_later());
            }
            type_filter(&mut fresh, filter);
            assert_eq!(shown_names(&m), shown_names(&fresh), "step {n}");
        }
        assert_eq!(
            shown_names(&m),
            [
                "[ledger]",
                "NewCritical",
                "[payments-api]",
                "KubePodCrashLooping"
            ],
            "the alert only prod-b still reports is matched from prod-b's copy"
        );
        let crash = m
            .alerts
            .merged
            .iter()
            .find(|x| {
                m.alerts
                    .alert(x)
                    .is_some_and(|a| a.name() == "KubePodCrashLooping")
            })
            .expect("still listed");
        assert_eq!(crash.seen_on[..], [1]);
    }

    #[test]
    fn the_cursor_stays_on_its_alert_when_data_changes() {
        let mut m = model();
        select_alert(&mut m, "DiskFilling");
        let mut d = data("prod-a");
        d.alerts.push(alert(
            &[
                ("alertname", "Aaa"),
                ("service", "aardvark"),
                ("severity", "critical"),
            ],
            "new",
            1,
        ));
        app_update(
            &mut m,
            AppMsg::Alerts(Msg::Fetched {
                instance: "prod-a".into(),
                at: t0(),
                data: d,
            }),
        );
        let (_, merged) = m
            .alerts
            .alert_at_row(m.list(Screen::Alerts).cursor.selected)
            .expect("an alert row");
        assert_eq!(
            m.alerts.alert(merged).map(|a| a.name().to_string()),
            Some("DiskFilling".into())
        );
    }

    #[test]
    fn alerts_survive_a_restart_through_the_snapshot() {
        let m = model();
        let saved = crate::snapshot::Snapshot::of(&m);
        let json = serde_json::to_string(&saved).expect("serialises");
        let loaded: crate::snapshot::Snapshot = serde_json::from_str(&json).expect("reads back");
        let mut fresh = Model::new(Keymap::defaults(), t0());
        for name in ["prod-a", "prod-b"] {
            fresh.sources.push(crate::model::SourceStatus::new(
                crate::model::SourceId::new(crate::model::SourceKind::Alertmanager, name),
                crate::model::FetchState::Unsupported,
            ));
        }
        loaded.restore_into(&mut fresh);
        assert_eq!(fresh.alerts.merged.len(), m.alerts.merged.len());
        assert_eq!(fresh.alerts.rows, m.alerts.rows);
        assert!(fresh.warm_start.is_some());
    }

    /// `a` on a page in the Work screen acknowledges the alert that opened it too (a short
    /// silence), under the one question `a` on the alert asks; a page whose alert is silenced
    /// already is acknowledged alone.
    #[test]
    fn acknowledging_a_page_acknowledges_its_alert_under_one_question() {
        use crate::message::work::{Command as WorkCommand, Msg as WorkMsg};
        use crate::model::work::{Ticket, TicketSource};
        let mut m = model();
        let crash = m
            .alerts
            .merged
            .iter()
            .filter_map(|x| m.alerts.alert(x))
            .find(|a| a.name() == "KubePodCrashLooping")
            .expect("the crash-loop alert")
            .clone();
        let page = |key: &str, fingerprint: &str| Ticket {
            source: TicketSource::Pagerduty,
            key: key.into(),
            id: format!("Q{key}"),
            title: "[FIRING:1] KubePodCrashLooping payments-api".into(),
            status: "triggered".into(),
            done: false,
            rank: 0,
            priority: "P1".into(),
            kind: "incident".into(),
            assignee: Some("Brendan O'Brien".into()),
            mine: false,
            project: None,
            components: vec![],
            pagerduty_service: None,
            repo: None,
            labels: vec![],
            sprint: None,
            created: t0(),
            updated: t0(),
            url: None,
            incident_key: Some(fingerprint.into()),
        };
        app_update(
            &mut m,
            AppMsg::Work(WorkMsg::Tickets {
                source: TicketSource::Pagerduty,
                at: t0(),
                tickets: vec![page("#1000", &crash.fingerprint)],
            }),
        );
        m.screen = Screen::Work;
        press(&mut m, "a");
        let Some(Overlay::Confirm(c)) = &m.overlay else {
            panic!("a question");
        };
        let Effect::Batch(both) = &*c.on_yes else {
            panic!("the silence and the incident together: {:?}", c.on_yes);
        };
        assert!(matches!(
            both[0],
            Effect::Alerts(Command::CreateSilence { .. })
        ));
        assert!(matches!(
            both[1],
            Effect::Work(WorkCommand::SetIncident { .. })
        ));
        assert!(
            c.lines
                .iter()
                .any(|l| l.contains("PagerDuty incident #1000")),
            "the question names both: {:?}",
            c.lines
        );
        // A page whose alert is not shown: the incident alone.
        m.overlay = None;
        app_update(
            &mut m,
            AppMsg::Work(WorkMsg::Tickets {
                source: TicketSource::Pagerduty,
                at: t0(),
                tickets: vec![page("#1001", "not-an-alert")],
            }),
        );
        press(&mut m, "a");
        let Some(Overlay::Confirm(c)) = &m.overlay else {
            panic!("a question");
        };
        assert!(matches!(
            &*c.on_yes,
            Effect::Work(WorkCommand::SetIncident { .. })
        ));
    }
}
