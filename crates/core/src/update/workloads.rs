//! The Workloads screen's part of `update`: batches of watched objects from the Kubernetes
//! provider, the list (trouble first), the Events, Describe and Logs views, and the actions
//! (rollout restart, rollback, scale, delete pod), each through the confirm gate and the RBAC
//! answers.

use crate::keymap::{Action, Key};
use crate::model::input::{Edit, InputKey};
use crate::model::workloads::{
    ContainerPicker, Describe, Filter, Forward, ForwardPrompt, ForwardState, Kind, LogOptions,
    LogSource, Logs, ObjRef, Phase, Row, SINCES, ScalePrompt, ShellTarget, TAILS, Target, Trouble,
    View, parse_ports, pod_prefix, service_name,
};
use crate::model::{Cursor, Level, Model, PaletteItem, Screen};

use super::feedback::{confirm, notify, refused_read_only};
use crate::message::{Effect, External};

// The providers still name these through `update`; the rest of the code imports `message`.
pub use crate::message::workloads::{Command, Msg};

/// Most pods one merged log view follows: each is a stream of its own.
pub(crate) const MAX_LOG_PODS: usize = 50;

/// Up to this many pods, all are in the `:` palette; beyond, only those in trouble.
pub(crate) const MAX_PALETTE_PODS: usize = 2_000;

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Configured {
            contexts,
            log_buffer_lines,
        } => {
            let state = &mut model.workloads;
            state.log_buffer_lines = if log_buffer_lines == 0 {
                10_000
            } else {
                log_buffer_lines
            };
            for (name, source) in contexts {
                state.context_mut(&name).source = source;
            }
            vec![Effect::Render]
        }
        Msg::Batch { context, changes } => {
            if changes.is_empty() {
                return vec![];
            }
            model.workloads.apply(&context, changes);
            rebuild_after_batch(model);
            refresh_revisions(model);
            vec![Effect::Render]
        }
        Msg::Scope {
            context,
            namespace,
            state,
        } => {
            let ctx = model.workloads.context_mut(&context);
            if ctx.scopes.get(&namespace) == Some(&state) {
                return vec![];
            }
            ctx.scopes.insert(namespace, state);
            vec![Effect::Render]
        }
        Msg::Access {
            context,
            namespace,
            access,
        } => {
            model
                .workloads
                .context_mut(&context)
                .access
                .insert(namespace, access);
            vec![Effect::Render]
        }
        Msg::Usage {
            context,
            pods,
            served,
        } => {
            model.workloads.context_mut(&context).metrics = served;
            model.workloads.usage.retain(|k, _| *k.context != *context);
            // Keyed as the pods are, sharing their names.
            for (namespace, name, usage) in pods {
                let key = ObjRef::new(&context, &namespace, &name);
                let key = match model.workloads.pods.get_key_value(&key) {
                    Some((shared, _)) => shared.clone(),
                    None => key,
                };
                model.workloads.usage.insert(key, usage);
            }
            vec![Effect::Render]
        }
        Msg::Described { request, result } => {
            let Some(d) = model
                .workloads
                .describe
                .as_mut()
                .filter(|d| d.request == request)
            else {
                // An answer for a Describe the user already left: dropped.
                return vec![];
            };
            d.loading = false;
            match result {
                Ok(yaml) => d.lines = yaml.lines().map(str::to_string).collect(),
                Err(e) => d.error = Some(e),
            }
            vec![Effect::Render]
        }
        Msg::LogLines { id, lines } => match model.workloads.logs.as_mut().filter(|l| l.id == id) {
            Some(logs) => {
                logs.push(lines);
                vec![Effect::Render]
            }
            None => vec![],
        },
        Msg::LogEnded { id, source, error } => {
            match model.workloads.logs.as_mut().filter(|l| l.id == id) {
                Some(logs) => {
                    logs.ended.insert(source, error);
                    vec![Effect::Render]
                }
                None => vec![],
            }
        }
        Msg::ActionDone { what } => {
            notify(model, Level::Info, format!("{what}: done"));
            vec![Effect::Render]
        }
        Msg::ActionFailed { what, error } => {
            notify(model, Level::Error, format!("{what} failed: {error}"));
            vec![Effect::Render]
        }
        Msg::ShellEnded {
            pod,
            container,
            result,
        } => {
            let (level, text) = match result {
                Ok(0) => (
                    Level::Info,
                    format!("shell in {pod}/{container} ended (exit 0)"),
                ),
                Ok(code) => (
                    Level::Warning,
                    format!("shell in {pod}/{container} ended (exit {code})"),
                ),
                Err(e) => (
                    Level::Error,
                    format!("shell in {pod}/{container} failed: {e}"),
                ),
            };
            notify(model, level, text);
            vec![Effect::Render]
        }
        Msg::Forward {
            id,
            bound,
            state,
            open,
            total,
            last_error,
        } => {
            let Some(f) = model.workloads.forwards.iter_mut().find(|f| f.id == id) else {
                // A forward the user already stopped.
                return vec![];
            };
            f.bound = bound.or(f.bound.take());
            f.state = state;
            f.open = open;
            f.total = total;
            if last_error.is_some() {
                f.last_error = last_error;
            }
            vec![Effect::Render]
        }
    }
}

/// Recomputes rows and roll-ups, keeping the cursor on the same row; tells the Overview when a
/// service's roll-up changed.
fn rebuild(model: &mut Model) {
    let selected = selected_row(model).cloned();
    let filter = model.list(Screen::Workloads).filter.text().to_string();
    let now = model.now;
    model.workloads.rebuild(&filter, now);
    let rows = model.workloads.rows.len();
    let height = model.list_height;
    let found = selected.and_then(|s| model.workloads.rows.iter().position(|r| *r == s));
    model
        .list_mut(Screen::Workloads)
        .reselect(found, rows, height);
    if model.workloads.view == View::Events {
        refresh_events(model);
    }
    rejoin_moved(model);
}

/// [`rebuild`] after a batch of changes, which leaves the rows and the cursor alone when no
/// row moved (the common case: a pod's counters changed).
fn rebuild_after_batch(model: &mut Model) {
    let selected = selected_row(model).cloned();
    let filter = model.list(Screen::Workloads).filter.text().to_string();
    let now = model.now;
    if model.workloads.rebuild_after_batch(&filter, now) {
        let rows = model.workloads.rows.len();
        let height = model.list_height;
        let found = selected.and_then(|s| model.workloads.rows.iter().position(|r| *r == s));
        model
            .list_mut(Screen::Workloads)
            .reselect(found, rows, height);
    }
    if model.workloads.view == View::Events {
        refresh_events(model);
    }
    rejoin_moved(model);
}

/// Joins again the Overview rows of the services whose pods' roll-up (what the Overview reads
/// of the workloads) the last rebuild moved, and only those: a batch that moved no roll-up,
/// the common one, costs the Overview nothing.
fn rejoin_moved(model: &mut Model) {
    // Pods can name services the catalog does not hold: no row to join for those.
    let moved: std::collections::BTreeSet<String> = model
        .workloads
        .take_moved_summaries()
        .into_iter()
        .filter(|s| model.catalog.get(s).is_some())
        .collect();
    if !moved.is_empty() {
        super::overview::rejoin_some(model, &moved);
    }
}

fn selected_row(model: &Model) -> Option<&Row> {
    model
        .workloads
        .rows
        .get(model.list(Screen::Workloads).cursor.selected)
}

/// Rows in the screen's list now.
pub(crate) fn row_count(model: &Model) -> usize {
    match model.workloads.view {
        View::List => model.workloads.rows.len(),
        View::Events => model.workloads.events_rows.len(),
        View::Revisions => model
            .workloads
            .revisions
            .as_ref()
            .map_or(0, |r| r.rows.len()),
        View::Forwards => model.workloads.forwards.len(),
        View::Describe | View::Logs => 0,
    }
}

/// Takes raw keys while the scale prompt or a search input is open; every other key goes
/// through the keymap.
pub(crate) fn on_key(model: &mut Model, key: &Key) -> Option<Vec<Effect>> {
    if model.workloads.scale.is_some() {
        return Some(scale_key(model, key));
    }
    if model.workloads.forward_prompt.is_some() {
        return Some(forward_key(model, key));
    }
    let input = InputKey::read(&model.keymap, key);
    match model.workloads.view {
        View::Describe => {
            let d = model.workloads.describe.as_mut()?;
            if d.searching {
                let done = search_key(&mut d.search, &mut d.searching, &mut d.query, input);
                return Some(if done {
                    describe_find(model, true, true)
                } else {
                    vec![Effect::Render]
                });
            }
            None
        }
        View::Logs => {
            let logs = model.workloads.logs.as_mut()?;
            if logs.searching {
                let done = search_key(
                    &mut logs.search,
                    &mut logs.searching,
                    &mut logs.query,
                    input,
                );
                if done {
                    return Some(logs_find(model, true, true));
                }
                return Some(vec![Effect::Render]);
            }
            None
        }
        _ => None,
    }
}

/// The log view's own actions (follow, wrap, previous, tail, since, next and previous match).
fn log_keys(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    let logs = model.workloads.logs.as_mut()?;
    match action {
        Action::Follow => {
            if logs.follow {
                let last = logs.end_seq().saturating_sub(1);
                logs.follow = false;
                logs.cursor = last;
                logs.top = last
                    .saturating_sub(model.list_height.saturating_sub(1) as u64)
                    .max(logs.first_seq);
            } else {
                logs.follow = true;
            }
            Some(vec![Effect::Render])
        }
        Action::Wrap => {
            logs.wrap = !logs.wrap;
            Some(vec![Effect::Render])
        }
        Action::FindNext => Some(logs_find(model, true, false)),
        Action::FindPrev => Some(logs_find(model, false, false)),
        Action::Previous => {
            let mut o = logs.options;
            o.previous = !o.previous;
            // The previous instance has ended: nothing to follow.
            o.follow = !o.previous;
            Some(restart_logs(model, o))
        }
        Action::Tail => {
            let mut o = logs.options;
            let i = TAILS
                .iter()
                .position(|t| Some(*t) == o.tail)
                .map_or(0, |i| (i + 1) % TAILS.len());
            o.tail = Some(TAILS[i]);
            Some(restart_logs(model, o))
        }
        Action::Since => {
            let mut o = logs.options;
            let i = SINCES
                .iter()
                .position(|s| *s == o.since_secs)
                .map_or(0, |i| (i + 1) % SINCES.len());
            o.since_secs = SINCES[i];
            Some(restart_logs(model, o))
        }
        _ => None,
    }
}

/// Edits a search input; returns true when Enter ended it with a query.
fn search_key(
    input: &mut crate::model::TextInput,
    searching: &mut bool,
    query: &mut String,
    key: Option<InputKey>,
) -> bool {
    match key {
        Some(InputKey::Cancel) => {
            *searching = false;
            input.clear();
            false
        }
        Some(InputKey::Accept) => {
            *searching = false;
            *query = input.text().to_string();
            !query.is_empty()
        }
        Some(InputKey::Edit(edit)) => {
            input.apply(edit);
            false
        }
        Some(InputKey::Next | InputKey::Prev) | None => false,
    }
}

/// Handles an action on this screen; `None` leaves it to the global keys.
pub(crate) fn on_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    if model.workloads.picker.is_some() {
        return picker_action(model, action);
    }
    match model.workloads.view {
        View::List => list_action(model, action),
        View::Events => events_action(model, action),
        View::Describe => describe_action(model, action),
        View::Logs => logs_action(model, action),
        View::Revisions => revisions_action(model, action),
        View::Forwards => forwards_action(model, action),
    }
}

fn list_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    match action {
        Action::Open | Action::Describe => {
            let target = selected_row(model).and_then(|r| model.workloads.target(r))?;
            Some(open_describe(model, target))
        }
        Action::Events => {
            model.workloads.view = View::Events;
            model.workloads.events_cursor = Cursor::default();
            refresh_events(model);
            Some(vec![Effect::Render])
        }
        Action::Logs => Some(open_logs(model)),
        Action::Restart => Some(restart(model)),
        Action::Rollback => Some(open_revisions(model)),
        Action::Namespace => Some(next_scope(model, false)),
        Action::Context => Some(next_scope(model, true)),
        Action::Scale => Some(open_scale(model, None)),
        Action::ScaleUp => Some(open_scale(model, Some(1))),
        Action::ScaleDown => Some(open_scale(model, Some(-1))),
        Action::DeletePod => Some(delete_pod(model)),
        Action::Shell => Some(shell(model)),
        Action::PortForward => Some(open_forward(model)),
        Action::Forwards => {
            model.workloads.view = View::Forwards;
            let n = model.workloads.forwards.len();
            let height = model.list_height.saturating_sub(1).max(1);
            model.workloads.forwards_cursor = model.workloads.forwards_cursor.to(
                model.workloads.forwards_cursor.selected,
                n,
                height,
            );
            Some(vec![Effect::Render])
        }
        Action::ToggleGroup => {
            model.workloads.collapsed = !model.workloads.collapsed;
            rebuild(model);
            Some(vec![Effect::Render])
        }
        Action::Copy => {
            let row = selected_row(model)?;
            let name = match row {
                Row::Workload { key, .. } | Row::Pod(key) => key.name.to_string(),
                Row::Orphans { namespace, .. } => namespace.to_string(),
            };
            notify(model, Level::Info, format!("copied {name}"));
            Some(vec![Effect::Copy(name), Effect::Render])
        }
        _ => None,
    }
}

fn back_to_list(model: &mut Model) -> Vec<Effect> {
    let mut effects = vec![Effect::Render];
    if let Some(logs) = model.workloads.logs.take() {
        effects.push(Effect::Workloads(Command::StopLogs { id: logs.id }));
    }
    model.workloads.describe = None;
    model.workloads.revisions = None;
    model.workloads.view = View::List;
    effects
}

/// Moves a cursor for a movement action; `None` when the action is not one.
fn moved(cursor: Cursor, action: Action, len: usize, height: usize) -> Option<Cursor> {
    Some(match action {
        Action::Down => cursor.moved(1, len, height),
        Action::Up => cursor.moved(-1, len, height),
        Action::PageDown => cursor.moved(height as isize, len, height),
        Action::PageUp => cursor.moved(-(height as isize), len, height),
        Action::Top => cursor.to(0, len, height),
        Action::Bottom => cursor.to(usize::MAX, len, height),
        _ => return None,
    })
}

fn events_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    let len = model.workloads.events_rows.len();
    let height = model.list_height.saturating_sub(1).max(1);
    if let Some(c) = moved(model.workloads.events_cursor, action, len, height) {
        model.workloads.events_cursor = c;
        return Some(vec![Effect::Render]);
    }
    match action {
        Action::Back | Action::Events => {
            model.workloads.view = View::List;
            Some(vec![Effect::Render])
        }
        Action::Copy => {
            let key = model
                .workloads
                .events_rows
                .get(model.workloads.events_cursor.selected)?;
            let e = model.workloads.events.get(key)?;
            let text = format!("{} {}/{}: {}", e.reason, e.kind, e.object, e.message);
            Some(vec![Effect::Copy(text), Effect::Render])
        }
        // Filtering and screen switches stay global; everything else is for the list.
        Action::Filter
        | Action::Quit
        | Action::Help
        | Action::Palette
        | Action::Refresh
        | Action::Redraw
        | Action::Suspend => None,
        a if a.is_screen_jump() || a == Action::NextPanel || a == Action::PrevPanel => None,
        _ => Some(vec![]),
    }
}

/// The events of the selected row, or of everything shown when the row is a group.
fn refresh_events(model: &mut Model) {
    let row = selected_row(model).cloned();
    let state = &model.workloads;
    let (rows, title) = match &row {
        Some(r @ Row::Workload { kind, key }) => {
            (vec![r.clone()], format!("{} {}", kind.short(), key.name))
        }
        Some(r @ Row::Pod(key)) => (vec![r.clone()], format!("pod {}", key.name)),
        Some(Row::Orphans { namespace, .. }) => (
            state
                .rows
                .iter()
                .filter(|r| !matches!(r, Row::Pod(_)))
                .cloned()
                .collect(),
            format!("everything shown ({namespace} and others)"),
        ),
        None => (vec![], "nothing selected".to_string()),
    };
    let events = model.workloads.events_for(&rows);
    let len = events.len();
    model.workloads.events_rows = events;
    model.workloads.events_title = title;
    let height = model.list_height.saturating_sub(1).max(1);
    model.workloads.events_cursor =
        model
            .workloads
            .events_cursor
            .to(model.workloads.events_cursor.selected, len, height);
}

fn open_describe(model: &mut Model, target: Target) -> Vec<Effect> {
    model.workloads.next_request += 1;
    let request = model.workloads.next_request;
    model.workloads.describe = Some(Describe {
        request,
        title: format!(
            "{} {}/{} ({})",
            target.kind.name(),
            target.key.namespace,
            target.key.name,
            target.key.context
        ),
        loading: true,
        ..Default::default()
    });
    model.workloads.view = View::Describe;
    vec![
        Effect::Workloads(Command::Describe { request, target }),
        Effect::Render,
    ]
}

fn describe_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    match action {
        Action::FindNext => return Some(describe_find(model, true, false)),
        Action::FindPrev => return Some(describe_find(model, false, false)),
        _ => {}
    }
    let height = model.list_height.max(1);
    let d = model.workloads.describe.as_mut()?;
    let max = d.lines.len().saturating_sub(height);
    let scroll = match action {
        Action::Down => Some(d.scroll + 1),
        Action::Up => Some(d.scroll.saturating_sub(1)),
        Action::PageDown => Some(d.scroll + height),
        Action::PageUp => Some(d.scroll.saturating_sub(height)),
        Action::Top => Some(0),
        Action::Bottom => Some(max),
        _ => None,
    };
    if let Some(s) = scroll {
        d.scroll = s.min(max);
        return Some(vec![Effect::Render]);
    }
    match action {
        Action::Back | Action::Describe => Some(back_to_list(model)),
        Action::Filter => {
            d.searching = true;
            d.search.clear();
            Some(vec![Effect::Render])
        }
        Action::Edit => Some(vec![Effect::External(External::Pager {
            text: d.lines.join("\n"),
        })]),
        Action::Copy => Some(vec![Effect::Copy(d.lines.join("\n")), Effect::Render]),
        // Refreshing is global: it fetches the cluster again, the view stays.
        Action::Quit
        | Action::Help
        | Action::Palette
        | Action::Redraw
        | Action::Suspend
        | Action::Refresh => None,
        a if a.is_screen_jump() || a == Action::NextPanel || a == Action::PrevPanel => None,
        _ => Some(vec![]),
    }
}

/// Moves the Describe view to the next (or previous) line containing the query.
fn describe_find(model: &mut Model, forward: bool, from_here: bool) -> Vec<Effect> {
    let Some(d) = model.workloads.describe.as_mut() else {
        return vec![];
    };
    let query = d.query.to_lowercase();
    if query.is_empty() || d.lines.is_empty() {
        return vec![];
    }
    let n = d.lines.len();
    let start = d.scroll;
    let found = (0..n)
        .map(|i| {
            let step = if from_here { i } else { i + 1 };
            if forward {
                (start + step) % n
            } else {
                (start + n - step % n) % n
            }
        })
        .find(|&i| d.lines[i].to_lowercase().contains(&query));
    match found {
        Some(i) => {
            d.scroll = i;
            vec![Effect::Render]
        }
        None => {
            let q = d.query.clone();
            notify(model, Level::Info, format!("not found: {q}"));
            vec![Effect::Render]
        }
    }
}

/// Starts logs for the selected row: one pod, or every pod of a workload merged.
fn open_logs(model: &mut Model) -> Vec<Effect> {
    let Some(row) = selected_row(model).cloned() else {
        notify(model, Level::Info, "logs: nothing selected");
        return vec![Effect::Render];
    };
    let state = &model.workloads;
    let (title, pods, workload): (String, Vec<ObjRef>, Option<String>) = match &row {
        Row::Pod(key) => {
            let owner = state
                .pods
                .get(key)
                .and_then(|p| state.owner_of(key, p))
                .map(|(_, k)| k.name.to_string());
            (format!("pod {}", key.name), vec![key.clone()], owner)
        }
        Row::Workload { kind, key } => {
            let pods = state.pods_of(&row).to_vec();
            (
                format!("{} {} ({} pods)", kind.short(), key.name, pods.len()),
                pods,
                Some(key.name.to_string()),
            )
        }
        Row::Orphans { namespace, .. } => {
            let pods = state.pods_of(&row).to_vec();
            (format!("pods in {namespace} ({})", pods.len()), pods, None)
        }
    };
    if pods.is_empty() {
        notify(model, Level::Info, "logs: no pods to read");
        return vec![Effect::Render];
    }
    let sources: Vec<LogSource> = pods
        .iter()
        .take(MAX_LOG_PODS)
        .map(|key| {
            let containers = state
                .pods
                .get(key)
                .map(|p| p.containers.clone())
                .unwrap_or_default();
            LogSource {
                key: key.clone(),
                // Several containers: the first, as kubectl's default container is usually it.
                container: (containers.len() > 1).then(|| containers[0].to_string()),
                prefix: pod_prefix(&key.name, workload.as_deref()),
            }
        })
        .collect();
    let title = if pods.len() > MAX_LOG_PODS {
        format!("{title}, first {MAX_LOG_PODS}")
    } else {
        title
    };
    let mut effects = vec![];
    if let Some(old) = model.workloads.logs.take() {
        effects.push(Effect::Workloads(Command::StopLogs { id: old.id }));
    }
    model.workloads.next_request += 1;
    let id = model.workloads.next_request;
    let options = LogOptions::default();
    model.workloads.logs = Some(Logs {
        id,
        title,
        sources: sources.clone(),
        options,
        capacity: model.workloads.log_buffer_lines.max(1),
        follow: true,
        ..Default::default()
    });
    model.workloads.view = View::Logs;
    effects.push(Effect::Workloads(Command::StartLogs {
        id,
        sources,
        options,
    }));
    effects.push(Effect::Render);
    effects
}

/// Re-opens the log streams with new options: a new id, so late lines of the old are dropped.
fn restart_logs(model: &mut Model, options: LogOptions) -> Vec<Effect> {
    let Some(old) = model.workloads.logs.take() else {
        return vec![];
    };
    model.workloads.next_request += 1;
    let id = model.workloads.next_request;
    let sources = old.sources.clone();
    model.workloads.logs = Some(Logs {
        id,
        title: old.title,
        sources: old.sources,
        options,
        capacity: old.capacity,
        follow: true,
        wrap: old.wrap,
        query: old.query,
        ..Default::default()
    });
    vec![
        Effect::Workloads(Command::StopLogs { id: old.id }),
        Effect::Workloads(Command::StartLogs {
            id,
            sources,
            options,
        }),
        Effect::Render,
    ]
}

fn logs_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    if let Some(effects) = log_keys(model, action) {
        return Some(effects);
    }
    let height = model.list_height.saturating_sub(1).max(1) as u64;
    let logs = model.workloads.logs.as_mut()?;
    let delta: Option<i64> = match action {
        Action::Down => Some(1),
        Action::Up => Some(-1),
        Action::PageDown => Some(height as i64),
        Action::PageUp => Some(-(height as i64)),
        Action::Top => Some(i64::MIN / 2),
        Action::Bottom => Some(i64::MAX / 2),
        _ => None,
    };
    if let Some(delta) = delta {
        let Some(current) = logs.selected() else {
            return Some(vec![]);
        };
        let last = logs.end_seq() - 1;
        let next = (current as i64)
            .saturating_add(delta)
            .clamp(logs.first_seq as i64, last as i64) as u64;
        if next == last && delta > 0 {
            // Moving past the newest line resumes following, as `less +F` does.
            logs.follow = true;
        } else {
            logs.follow = false;
            logs.cursor = next;
            scroll_into_view(logs, height);
        }
        return Some(vec![Effect::Render]);
    }
    match action {
        Action::Back | Action::Logs => Some(back_to_list(model)),
        Action::Filter => {
            logs.searching = true;
            logs.search.clear();
            Some(vec![Effect::Render])
        }
        Action::Edit => {
            let text = logs
                .lines
                .iter()
                .map(|l| logs.plain(l))
                .collect::<Vec<_>>()
                .join("\n");
            Some(vec![Effect::External(External::Pager { text })])
        }
        Action::Copy => {
            let seq = logs.selected()?;
            let text = logs.line(seq).map(|l| logs.plain(l))?;
            notify(model, Level::Info, "copied the log line");
            Some(vec![Effect::Copy(text), Effect::Render])
        }
        // Refreshing is global: it fetches the cluster again, the view stays.
        Action::Quit
        | Action::Help
        | Action::Palette
        | Action::Redraw
        | Action::Suspend
        | Action::Refresh => None,
        a if a.is_screen_jump() || a == Action::NextPanel || a == Action::PrevPanel => None,
        _ => Some(vec![]),
    }
}

fn scroll_into_view(logs: &mut Logs, height: u64) {
    if logs.cursor < logs.top {
        logs.top = logs.cursor;
    } else if logs.cursor >= logs.top + height {
        logs.top = logs.cursor + 1 - height;
    }
    logs.top = logs.top.max(logs.first_seq);
}

/// Moves to the next (or previous) line containing the query; pauses following.
fn logs_find(model: &mut Model, forward: bool, from_here: bool) -> Vec<Effect> {
    let height = model.list_height.saturating_sub(1).max(1) as u64;
    let Some(logs) = model.workloads.logs.as_mut() else {
        return vec![];
    };
    let query = logs.query.to_lowercase();
    let Some(current) = logs.selected() else {
        return vec![];
    };
    if query.is_empty() {
        return vec![];
    }
    let (first, end) = (logs.first_seq, logs.end_seq());
    let start = if from_here {
        current
    } else if forward {
        current + 1
    } else {
        current.wrapping_sub(1)
    };
    let hit = |seq: u64| {
        logs.line(seq)
            .is_some_and(|l| l.text.to_lowercase().contains(&query))
    };
    let found = if forward {
        (start.max(first)..end).find(|s| hit(*s))
    } else {
        (first..=start.min(end - 1)).rev().find(|s| hit(*s))
    };
    match found {
        Some(seq) => {
            logs.follow = false;
            logs.cursor = seq;
            scroll_into_view(logs, height);
            vec![Effect::Render]
        }
        None => {
            let q = logs.query.clone();
            notify(model, Level::Info, format!("not found: {q}"));
            vec![Effect::Render]
        }
    }
}

/// The workload the selected row is or belongs to.
fn selected_workload(model: &Model) -> Option<Target> {
    match selected_row(model)? {
        Row::Workload { kind, key } => Some(Target {
            kind: *kind,
            key: key.clone(),
        }),
        Row::Pod(key) => {
            let pod = model.workloads.pods.get(key)?;
            model
                .workloads
                .owner_of(key, pod)
                .map(|(kind, key)| Target { kind, key })
        }
        Row::Orphans { .. } => None,
    }
}

/// Says no when RBAC said no; `None` when allowed or not known (the server decides then).
fn refused(
    model: &mut Model,
    what: &str,
    allowed: Option<bool>,
    key: &ObjRef,
) -> Option<Vec<Effect>> {
    if allowed == Some(false) {
        notify(
            model,
            Level::Warning,
            format!(
                "{what}: not allowed for you in {} ({})",
                key.namespace, key.context
            ),
        );
        return Some(vec![Effect::Render]);
    }
    None
}

fn restart(model: &mut Model) -> Vec<Effect> {
    let Some(target) = selected_workload(model) else {
        notify(
            model,
            Level::Info,
            "restart: select a workload or one of its pods",
        );
        return vec![Effect::Render];
    };
    if target.kind == Kind::Pod || target.kind == Kind::ReplicaSet {
        notify(
            model,
            Level::Info,
            "restart: only Deployments, StatefulSets and DaemonSets roll out",
        );
        return vec![Effect::Render];
    }
    if let Some(e) = refused(
        model,
        "rollout restart",
        model.workloads.access(&target.key).restart,
        &target.key,
    ) {
        return e;
    }
    let pods = model
        .workloads
        .pods_of(&Row::Workload {
            kind: target.kind,
            key: target.key.clone(),
        })
        .len();
    let title = format!(
        "Rollout restart {} {}",
        target.kind.short(),
        target.key.name
    );
    let lines = vec![
        format!(
            "context {}, namespace {}",
            target.key.context, target.key.namespace
        ),
        format!("replaces its {pods} pods one by one, as `kubectl rollout restart` does"),
    ];
    confirm(
        model,
        title,
        lines,
        Effect::Workloads(Command::Restart { target }),
    )
}

/// The contexts and namespaces the watched objects live in, sorted.
fn scopes(model: &Model) -> std::collections::BTreeSet<(String, String)> {
    let w = &model.workloads;
    w.workloads
        .keys()
        .map(|(_, k)| k)
        .chain(w.pods.keys())
        .map(|k| (k.context.to_string(), k.namespace.to_string()))
        .collect()
}

/// Moves the list to the next namespace (within the shown context) or context, and after the
/// last back to all of them: `n` and `c`, as k9s's `:ns` and `:ctx` switch.
fn next_scope(model: &mut Model, context: bool) -> Vec<Effect> {
    let filter = Filter::parse(model.list(Screen::Workloads).filter.text());
    let scopes = scopes(model);
    let choices: Vec<String> = if context {
        let set: std::collections::BTreeSet<&String> = scopes.iter().map(|(c, _)| c).collect();
        set.into_iter().cloned().collect()
    } else {
        let set: std::collections::BTreeSet<&String> = scopes
            .iter()
            .filter(|(c, _)| {
                filter
                    .context
                    .as_deref()
                    .is_none_or(|f| c.eq_ignore_ascii_case(f))
            })
            .map(|(_, n)| n)
            .collect();
        set.into_iter().cloned().collect()
    };
    let current = if context {
        filter.context.as_deref()
    } else {
        filter.namespace.as_deref()
    };
    let next = match current {
        None => choices.first(),
        Some(cur) => choices
            .iter()
            .position(|c| c.eq_ignore_ascii_case(cur))
            .and_then(|i| choices.get(i + 1)),
    }
    .cloned();
    if context {
        // A namespace of another context means nothing in the next one.
        set_scope(model, next.as_deref(), None)
    } else {
        let ctx = filter.context.clone();
        set_scope(model, ctx.as_deref(), next.as_deref())
    }
}

/// Narrows the list to a context and a namespace (`None`: every one) by rewriting the scope
/// words of the `/` filter, so the filter line shows it, `esc` clears it and it stays for the
/// session; the other words are kept.
pub(crate) fn set_scope(
    model: &mut Model,
    context: Option<&str>,
    namespace: Option<&str>,
) -> Vec<Effect> {
    let text = model.list(Screen::Workloads).filter.text().to_string();
    let mut words: Vec<String> = text
        .split_whitespace()
        .filter(|w| {
            let w = w.to_lowercase();
            !["ns:", "namespace:", "ctx:", "context:"]
                .iter()
                .any(|p| w.starts_with(p))
        })
        .map(str::to_string)
        .collect();
    if let Some(c) = context {
        words.push(format!("ctx:{c}"));
    }
    if let Some(n) = namespace {
        words.push(format!("ns:{n}"));
    }
    let input = &mut model.list_mut(Screen::Workloads).filter;
    input.clear();
    if !words.is_empty() {
        input.apply(Edit::Paste(words.join(" ")));
    }
    rebuild(model);
    let said = match (context, namespace) {
        (None, None) => "every context and namespace".to_string(),
        (Some(c), None) => format!("context {c}, every namespace"),
        (None, Some(n)) => format!("namespace {n}"),
        (Some(c), Some(n)) => format!("context {c}, namespace {n}"),
    };
    notify(model, Level::Info, format!("showing {said}"));
    vec![Effect::Render]
}

/// Opens the selected Deployment's revisions, the one before the current selected: `enter`
/// then rolls back to the previous revision, or to any other chosen first.
fn open_revisions(model: &mut Model) -> Vec<Effect> {
    let Some(target) = selected_workload(model).filter(|t| t.kind == Kind::Deployment) else {
        notify(
            model,
            Level::Info,
            "rollback: select a Deployment or one of its pods",
        );
        return vec![Effect::Render];
    };
    let rows = model.workloads.revisions_of(&target);
    let height = model.list_height.saturating_sub(1).max(1);
    let cursor = Cursor::default().to(1, rows.len(), height);
    model.workloads.revisions = Some(crate::model::workloads::Revisions {
        target,
        rows,
        cursor,
    });
    model.workloads.view = View::Revisions;
    vec![Effect::Render]
}

/// Keeps the open Revisions view true to the ReplicaSets, the cursor on the same revision.
fn refresh_revisions(model: &mut Model) {
    let height = model.list_height.saturating_sub(1).max(1);
    let Some(r) = model.workloads.revisions.as_ref() else {
        return;
    };
    let rows = model.workloads.revisions_of(&r.target);
    if rows == r.rows {
        return;
    }
    let selected = r.rows.get(r.cursor.selected).map(|x| x.replicaset.clone());
    let at = selected
        .and_then(|name| rows.iter().position(|x| x.replicaset == name))
        .unwrap_or(r.cursor.selected);
    if let Some(r) = model.workloads.revisions.as_mut() {
        r.cursor = r.cursor.to(at, rows.len(), height);
        r.rows = rows;
    }
}

fn revisions_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    let r = model.workloads.revisions.as_mut()?;
    let height = model.list_height.saturating_sub(1).max(1);
    if let Some(c) = moved(r.cursor, action, r.rows.len(), height) {
        r.cursor = c;
        return Some(vec![Effect::Render]);
    }
    match action {
        Action::Back | Action::Rollback => Some(back_to_list(model)),
        Action::Open => Some(confirm_rollback(model)),
        Action::Filter
        | Action::Quit
        | Action::Help
        | Action::Palette
        | Action::Refresh
        | Action::Redraw
        | Action::Suspend => None,
        a if a.is_screen_jump() || a == Action::NextPanel || a == Action::PrevPanel => None,
        _ => Some(vec![]),
    }
}

/// Asks before rolling back to the selected revision, showing the image before and after.
fn confirm_rollback(model: &mut Model) -> Vec<Effect> {
    let Some(r) = model.workloads.revisions.as_ref() else {
        return vec![];
    };
    let target = r.target.clone();
    let Some(chosen) = r.rows.get(r.cursor.selected).cloned() else {
        notify(model, Level::Info, "rollback: no revision to roll back to");
        return vec![Effect::Render];
    };
    let current = r.rows.iter().find(|x| x.current).cloned();
    if chosen.current {
        notify(
            model,
            Level::Info,
            format!(
                "{} already runs revision {}",
                target.key.name, chosen.revision
            ),
        );
        return vec![Effect::Render];
    }
    if let Some(e) = refused(
        model,
        "rollback",
        model.workloads.access(&target.key).restart,
        &target.key,
    ) {
        return e;
    }
    let title = format!(
        "Roll back deploy {} to revision {}",
        target.key.name, chosen.revision
    );
    let (from_image, from_revision) = current
        .as_ref()
        .map_or(("?".to_string(), 0), |c| (c.image.clone(), c.revision));
    let mut lines = vec![
        format!(
            "context {}, namespace {}",
            target.key.context, target.key.namespace
        ),
        format!("from image {from_image} (revision {from_revision})"),
        format!("to image   {} (revision {})", chosen.image, chosen.revision),
    ];
    if from_image == chosen.image {
        lines.push("same image: the pod template's annotations differ".to_string());
    }
    if !chosen.change_cause.is_empty() {
        lines.push(format!("change-cause: {}", chosen.change_cause));
    }
    lines.push("replaces its pods one by one, as `kubectl rollout undo` does".to_string());
    confirm(
        model,
        title,
        lines,
        Effect::Workloads(Command::Rollback {
            target,
            revision: chosen.revision,
            replicaset: chosen.replicaset,
        }),
    )
}

/// Scale by `delta`, or open the prompt for a number when `None`.
fn open_scale(model: &mut Model, delta: Option<i32>) -> Vec<Effect> {
    if refused_read_only(model, "scale") {
        return vec![Effect::Render];
    }
    let Some(target) =
        selected_workload(model).filter(|t| matches!(t.kind, Kind::Deployment | Kind::StatefulSet))
    else {
        notify(
            model,
            Level::Info,
            "scale: select a Deployment or StatefulSet",
        );
        return vec![Effect::Render];
    };
    if let Some(e) = refused(
        model,
        "scale",
        model.workloads.access(&target.key).scale,
        &target.key,
    ) {
        return e;
    }
    let current = model
        .workloads
        .workloads
        .get(&(target.kind, target.key.clone()))
        .map_or(0, |w| w.desired);
    match delta {
        Some(d) => {
            let replicas = current.saturating_add_signed(d);
            confirm_scale(model, target, current, replicas)
        }
        None => {
            let mut input = crate::model::TextInput::default();
            input.apply(crate::model::input::Edit::Paste(current.to_string()));
            model.workloads.scale = Some(ScalePrompt {
                target: Some(target),
                current,
                input,
            });
            vec![Effect::Render]
        }
    }
}

fn confirm_scale(model: &mut Model, target: Target, current: u32, replicas: u32) -> Vec<Effect> {
    if replicas == current {
        notify(
            model,
            Level::Info,
            format!("{} already has {current} replicas", target.key.name),
        );
        return vec![Effect::Render];
    }
    let title = format!(
        "Scale {} {} to {replicas}",
        target.kind.short(),
        target.key.name
    );
    let lines = vec![
        format!(
            "context {}, namespace {}",
            target.key.context, target.key.namespace
        ),
        format!("replicas {current} → {replicas}"),
    ];
    confirm(
        model,
        title,
        lines,
        Effect::Workloads(Command::Scale { target, replicas }),
    )
}

fn scale_key(model: &mut Model, key: &Key) -> Vec<Effect> {
    let input = InputKey::read(&model.keymap, key);
    let Some(prompt) = model.workloads.scale.as_mut() else {
        return vec![];
    };
    match input {
        Some(InputKey::Cancel) => {
            model.workloads.scale = None;
            vec![Effect::Render]
        }
        Some(InputKey::Accept) => {
            let Some(prompt) = model.workloads.scale.take() else {
                return vec![];
            };
            match (prompt.input.text().trim().parse::<u32>(), prompt.target) {
                (Ok(n), Some(target)) if n <= 1000 => {
                    confirm_scale(model, target, prompt.current, n)
                }
                _ => {
                    notify(
                        model,
                        Level::Warning,
                        "scale: give a number of replicas from 0 to 1000",
                    );
                    vec![Effect::Render]
                }
            }
        }
        Some(InputKey::Edit(edit)) => {
            // A number of replicas: other characters are not typed.
            if !matches!(&edit, Edit::Insert(c) if !c.is_ascii_digit()) {
                prompt.input.apply(edit);
            }
            vec![Effect::Render]
        }
        Some(InputKey::Next | InputKey::Prev) | None => vec![Effect::Render],
    }
}

fn delete_pod(model: &mut Model) -> Vec<Effect> {
    let Some(Row::Pod(key)) = selected_row(model).cloned() else {
        notify(model, Level::Info, "delete: select a pod");
        return vec![Effect::Render];
    };
    if let Some(e) = refused(
        model,
        "delete pod",
        model.workloads.access(&key).delete_pods,
        &key,
    ) {
        return e;
    }
    let owned = model
        .workloads
        .pods
        .get(&key)
        .is_some_and(|p| p.owner.is_some());
    let title = format!("Delete pod {}", key.name);
    let lines = vec![
        format!("context {}, namespace {}", key.context, key.namespace),
        if owned {
            "its controller starts a new pod in its place".to_string()
        } else {
            "no controller owns it: it will not come back".to_string()
        },
    ];
    confirm(
        model,
        title,
        lines,
        Effect::Workloads(Command::DeletePod { key }),
    )
}

/// Recomputes the visible rows after the filter changed.
pub fn refilter(model: &mut Model) {
    rebuild(model);
}

/// A row's key as the palette and the back stack name it: kind, context, namespace, name.
fn row_key(row: &Row) -> String {
    match row {
        Row::Workload { kind, key } => {
            format!(
                "{} {}/{}/{}",
                kind.short(),
                key.context,
                key.namespace,
                key.name
            )
        }
        Row::Pod(key) => format!("pod {}/{}/{}", key.context, key.namespace, key.name),
        Row::Orphans { context, namespace } => format!("orphans {context}/{namespace}"),
    }
}

/// The selected row's key, to find it again after a jump away and back.
pub(crate) fn selected_key(model: &Model) -> Option<String> {
    selected_row(model).map(row_key)
}

/// Selects the row named `key` (see `row_key`), clearing a filter or grouping that hides it;
/// false when nothing has that name.
pub(crate) fn select_key(model: &mut Model, key: &str) -> bool {
    let find = |model: &Model| model.workloads.rows.iter().position(|r| row_key(r) == key);
    let mut pos = find(model);
    if pos.is_none() {
        model.list_mut(Screen::Workloads).filter.clear();
        model.workloads.collapsed = false;
        rebuild(model);
        pos = find(model);
    }
    let Some(pos) = pos else {
        return false;
    };
    let (rows, height) = (model.workloads.rows.len(), model.list_height);
    model.list_mut(Screen::Workloads).choose(pos, rows, height);
    true
}

/// After a jump to a service's workloads: its worst pod is selected (pods sort worst first
/// within their workload), scrolled into view; the top row when none is in trouble.
pub(crate) fn select_trouble(model: &mut Model) {
    let w = &model.workloads;
    let worst = w
        .rows
        .iter()
        .enumerate()
        .filter_map(|(i, r)| match r {
            Row::Pod(k) => w.pods.get(k).map(|p| (i, p.trouble())),
            _ => None,
        })
        .filter(|(_, t)| *t >= Trouble::Warning)
        .max_by_key(|(i, t)| (*t, std::cmp::Reverse(*i)))
        .map_or(0, |(i, _)| i);
    let (rows, height) = (w.rows.len(), model.list_height);
    model
        .list_mut(Screen::Workloads)
        .choose(worst, rows, height);
}

/// Entries this screen adds to the `:` palette: the workloads, then the pods.
pub fn palette_items(model: &Model, items: &mut Vec<PaletteItem>) {
    let mut names: Vec<(&Kind, &ObjRef, &[String])> = model
        .workloads
        .workloads
        .iter()
        .map(|((k, r), w)| (k, r, w.services.as_slice()))
        .collect();
    names.sort_by(|a, b| a.1.cmp(b.1));
    for (kind, key, services) in names {
        let service = services.first().map(|s| service_name(s)).unwrap_or("");
        items.push(PaletteItem {
            label: format!("{} {}/{} {service}", kind.short(), key.namespace, key.name),
            kind: "workload",
            target: crate::model::PaletteTarget::Row {
                screen: Screen::Workloads,
                key: row_key(&Row::Workload {
                    kind: *kind,
                    key: key.clone(),
                }),
            },
        });
    }
    // Each context and namespace to switch to, and the way back to all of them.
    let scopes = scopes(model);
    let contexts: std::collections::BTreeSet<&String> = scopes.iter().map(|(c, _)| c).collect();
    for c in contexts {
        items.push(PaletteItem {
            label: format!("context {c}"),
            kind: "context",
            target: crate::model::PaletteTarget::Scope {
                context: Some(c.clone()),
                namespace: None,
            },
        });
    }
    for (c, n) in &scopes {
        items.push(PaletteItem {
            label: format!("namespace {n} ({c})"),
            kind: "namespace",
            target: crate::model::PaletteTarget::Scope {
                context: Some(c.clone()),
                namespace: Some(n.clone()),
            },
        });
    }
    items.push(PaletteItem {
        label: "every context and namespace".into(),
        kind: "namespace",
        target: crate::model::PaletteTarget::Scope {
            context: None,
            namespace: None,
        },
    });
    // Every pod of a small cluster; of a large one the pods in trouble, the ones an on-call
    // user jumps to, so opening the palette and each keystroke stay within their budget.
    let all = model.workloads.pods.len() <= MAX_PALETTE_PODS;
    let mut pods: Vec<(&ObjRef, &crate::model::workloads::Pod)> = model
        .workloads
        .pods
        .iter()
        .filter(|(_, p)| all || p.trouble() >= Trouble::Warning)
        .collect();
    pods.sort_by(|a, b| a.0.cmp(b.0));
    for (key, pod) in pods {
        let service = pod.services.first().map(|s| service_name(s)).unwrap_or("");
        items.push(PaletteItem {
            label: format!("pod {}/{} {service}", key.namespace, key.name),
            kind: "pod",
            target: crate::model::PaletteTarget::Row {
                screen: Screen::Workloads,
                key: row_key(&Row::Pod(key.clone())),
            },
        });
    }
}

/// The selected pod, or why there is none to act on (said in the status line).
fn selected_pod(model: &mut Model, what: &str) -> Result<ObjRef, Vec<Effect>> {
    match selected_row(model) {
        Some(Row::Pod(key)) if model.workloads.pods.contains_key(key) => Ok(key.clone()),
        _ => {
            notify(model, Level::Info, format!("{what}: select a pod"));
            Err(vec![Effect::Render])
        }
    }
}

/// `s`: a shell in the selected pod's container, after the container picker when it has
/// several. Refused under `--read-only` at the first key, as every action the confirm gate
/// guards is: a shell changes nothing by itself, but it is an interactive write channel into
/// the container, and read-only promises the cockpit writes nowhere. No confirmation: nothing
/// happens until the user types into the shell, as with `kubectl exec -it`.
fn shell(model: &mut Model) -> Vec<Effect> {
    if refused_read_only(model, "shell") {
        return vec![Effect::Render];
    }
    let key = match selected_pod(model, "shell") {
        Ok(k) => k,
        Err(e) => return e,
    };
    if let Some(e) = refused(
        model,
        "shell (create pods/exec)",
        model.workloads.access(&key).exec,
        &key,
    ) {
        return e;
    }
    let Some(pod) = model.workloads.pods.get(&key) else {
        return vec![];
    };
    if pod.phase != Phase::Running {
        let phase = pod.phase.name();
        notify(
            model,
            Level::Info,
            format!("shell: {} is {phase}, not running", key.name),
        );
        return vec![Effect::Render];
    }
    let containers: Vec<String> = pod.containers.iter().map(|c| c.to_string()).collect();
    match containers.as_slice() {
        [] => {
            notify(
                model,
                Level::Info,
                format!("shell: {} has no container", key.name),
            );
            vec![Effect::Render]
        }
        [one] => {
            let container = one.clone();
            vec![Effect::Shell(ShellTarget {
                pod: key,
                container,
            })]
        }
        _ => {
            model.workloads.picker = Some(ContainerPicker {
                pod: Some(key),
                containers,
                selected: 0,
            });
            vec![Effect::Render]
        }
    }
}

/// The container picker's keys: move, pick (`enter`), cancel (`esc`); the rest wait.
fn picker_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    let picker = model.workloads.picker.as_mut()?;
    let last = picker.containers.len().saturating_sub(1);
    match action {
        Action::Down => picker.selected = (picker.selected + 1).min(last),
        Action::Up => picker.selected = picker.selected.saturating_sub(1),
        Action::Top => picker.selected = 0,
        Action::Bottom => picker.selected = last,
        Action::Back => model.workloads.picker = None,
        Action::Open => {
            let picker = model.workloads.picker.take()?;
            let container = picker.containers.get(picker.selected)?.clone();
            let pod = picker.pod?;
            return Some(vec![Effect::Shell(ShellTarget { pod, container })]);
        }
        Action::Quit | Action::Suspend | Action::Redraw => return None,
        _ => return Some(vec![]),
    }
    Some(vec![Effect::Render])
}

/// `F`: asks which ports to forward, filled with the pod's first declared port; on a
/// workload's row, for its first ready pod.
fn open_forward(model: &mut Model) -> Vec<Effect> {
    // Refused under --read-only for the reason the shell is: a forward is a channel into the
    // pod that can write to it.
    if refused_read_only(model, "port-forward") {
        return vec![Effect::Render];
    }
    // On a workload's row, its first ready pod, as a forward to a Deployment reaches one pod.
    let ready_pod = match selected_row(model) {
        Some(row @ Row::Workload { .. }) => model
            .workloads
            .pods_of(row)
            .iter()
            .find(|k| model.workloads.pods.get(*k).is_some_and(|p| p.is_ready()))
            .cloned(),
        _ => None,
    };
    let key = match ready_pod.map_or_else(|| selected_pod(model, "port-forward"), Ok) {
        Ok(k) => k,
        Err(e) => return e,
    };
    if let Some(e) = refused(
        model,
        "port-forward (create pods/portforward)",
        model.workloads.access(&key).port_forward,
        &key,
    ) {
        return e;
    }
    let ports: Vec<u16> = model
        .workloads
        .pods
        .get(&key)
        .map(|p| p.ports.to_vec())
        .unwrap_or_default();
    let mut input = crate::model::TextInput::default();
    if let Some(p) = ports.first() {
        input.apply(Edit::Paste(format!("{p}:{p}")));
    }
    model.workloads.forward_prompt = Some(ForwardPrompt {
        pod: Some(key),
        ports,
        input,
    });
    vec![Effect::Render]
}

/// The port-forward prompt's keys: digits and `:` edit, `enter` starts it, `esc` cancels.
fn forward_key(model: &mut Model, key: &Key) -> Vec<Effect> {
    match InputKey::read(&model.keymap, key) {
        Some(InputKey::Cancel) => {
            model.workloads.forward_prompt = None;
            vec![Effect::Render]
        }
        Some(InputKey::Accept) => {
            let Some(prompt) = model.workloads.forward_prompt.take() else {
                return vec![];
            };
            let (Some((local, remote)), Some(pod)) = (parse_ports(prompt.input.text()), prompt.pod)
            else {
                notify(
                    model,
                    Level::Warning,
                    "port-forward: give LOCAL:REMOTE ports (1-65535; :REMOTE picks a free local one)",
                );
                return vec![Effect::Render];
            };
            model.workloads.next_request += 1;
            let id = model.workloads.next_request;
            model.workloads.forwards.push(Forward {
                id,
                pod: pod.clone(),
                local,
                remote,
                bound: None,
                state: ForwardState::Starting,
                open: 0,
                total: 0,
                last_error: None,
            });
            let n = model.workloads.forwards.len();
            let height = model.list_height.saturating_sub(1).max(1);
            model.workloads.forwards_cursor = Cursor::default().to(n - 1, n, height);
            model.workloads.view = View::Forwards;
            vec![
                Effect::Workloads(Command::StartForward {
                    id,
                    pod,
                    local,
                    remote,
                }),
                Effect::Render,
            ]
        }
        Some(InputKey::Edit(edit)) => {
            // Ports: digits and the `:` between them are typed, nothing else.
            if let Some(prompt) = model.workloads.forward_prompt.as_mut()
                && !matches!(&edit, Edit::Insert(c) if !(c.is_ascii_digit() || *c == ':'))
            {
                prompt.input.apply(edit);
            }
            vec![Effect::Render]
        }
        Some(InputKey::Next | InputKey::Prev) | None => vec![Effect::Render],
    }
}

/// The port-forwards view: move, stop the selected one, back to the list.
fn forwards_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    let len = model.workloads.forwards.len();
    let height = model.list_height.saturating_sub(1).max(1);
    if let Some(c) = moved(model.workloads.forwards_cursor, action, len, height) {
        model.workloads.forwards_cursor = c;
        return Some(vec![Effect::Render]);
    }
    match action {
        Action::Back | Action::Forwards => {
            model.workloads.view = View::List;
            Some(vec![Effect::Render])
        }
        Action::StopForward => {
            let at = model.workloads.forwards_cursor.selected;
            if at >= len {
                notify(model, Level::Info, "stop: no port-forward to stop");
                return Some(vec![Effect::Render]);
            }
            let f = model.workloads.forwards.remove(at);
            let n = model.workloads.forwards.len();
            model.workloads.forwards_cursor = model.workloads.forwards_cursor.to(at, n, height);
            notify(
                model,
                Level::Info,
                format!(
                    "port-forward {} → {}:{} stopped",
                    f.bound.as_deref().unwrap_or("?"),
                    f.pod.name,
                    f.remote
                ),
            );
            Some(vec![
                Effect::Workloads(Command::StopForward { id: f.id }),
                Effect::Render,
            ])
        }
        _ => None,
    }
}
