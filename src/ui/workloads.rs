//! The Workloads screen: workloads with their rollout state and, under each, its pods (trouble
//! first); the Events of the selection; Describe's YAML; the Logs view; and a Deployment's
//! revisions to roll back to. Every view draws
//! only the visible slice, so 10,000 pods cost what 40 do.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::log_line;
use super::text::{fit, truncate, truncate_middle};
use super::theme::{Role, Theme};
use flightdeck_core::keymap::Action;
use flightdeck_core::model::time::age;
use flightdeck_core::model::workloads::{
    ContainerPicker, Describe, ForwardState, Logs, Phase, Pod, Revisions, Row, ScopeState, Trouble,
    View, Workload, WorkloadsState, service_name,
};
use flightdeck_core::model::{Model, Screen};
use flightdeck_core::update::layers;

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = &model.workloads;
    let nothing = w.pods.is_empty() && w.workloads.is_empty();
    match w.view {
        View::List if nothing && model.list(Screen::Workloads).filter.is_empty() => {
            super::empty_state(model, Screen::Workloads, theme, frame, area)
        }
        View::List => draw_list(model, theme, frame, area),
        View::Events => draw_events(model, theme, frame, area),
        View::Describe => match &w.describe {
            Some(d) => draw_describe(model, d, theme, frame, area),
            None => draw_list(model, theme, frame, area),
        },
        View::Logs => match &w.logs {
            Some(l) => draw_logs(model, l, theme, frame, area),
            None => draw_list(model, theme, frame, area),
        },
        View::Revisions => match &w.revisions {
            Some(r) => draw_revisions(model, r, theme, frame, area),
            None => draw_list(model, theme, frame, area),
        },
        View::Forwards => draw_forwards(model, theme, frame, area),
    }
    if let Some(picker) = &w.picker {
        draw_picker(picker, theme, frame, area);
    }
    if let Some(prompt) = &w.forward_prompt {
        let rect = super::centered(area, 56, 6);
        frame.render_widget(Clear, rect);
        let name = prompt
            .pod
            .as_ref()
            .map_or(String::new(), |p| p.name.to_string());
        let block = super::widgets::panel(format!(" port-forward {name} "), true, theme);
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let [input, declared, hint] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        super::widgets::input_line("local:remote ", &prompt.input, true, theme, frame, input);
        let ports = if prompt.ports.is_empty() {
            "the pod declares no ports".to_string()
        } else {
            let list: Vec<String> = prompt.ports.iter().map(u16::to_string).collect();
            format!("declared: {}", list.join(", "))
        };
        frame.render_widget(Line::styled(ports, theme.style(Role::Muted)), declared);
        frame.render_widget(
            Line::styled(
                "enter start · :PORT any free local port · esc cancel",
                theme.style(Role::Muted),
            ),
            hint,
        );
    }
    if let Some(prompt) = &w.scale {
        let rect = super::centered(area, 50, 5);
        frame.render_widget(Clear, rect);
        let name = prompt
            .target
            .as_ref()
            .map_or(String::new(), |t| t.key.name.to_string());
        let block = super::widgets::panel(
            format!(" scale {name} (now {}) ", prompt.current),
            true,
            theme,
        );
        let inner = block.inner(rect);
        frame.render_widget(block, rect);
        let [input, hint] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(inner);
        super::widgets::input_line("replicas: ", &prompt.input, true, theme, frame, input);
        frame.render_widget(
            Line::styled("enter confirm · esc cancel", theme.style(Role::Muted)),
            hint,
        );
    }
}

fn role_of(t: Trouble) -> Role {
    match t {
        Trouble::None => Role::Text,
        Trouble::Busy => Role::Running,
        Trouble::Warning => Role::Warning,
        Trouble::Critical => Role::Critical,
    }
}

/// The block around a view, with the contexts' troubles on top and the keys at the bottom.
fn frame_block<'a>(
    title: String,
    status: Vec<Span<'a>>,
    keys: Line<'a>,
    theme: &Theme,
) -> Block<'a> {
    let mut top = vec![Span::styled(format!(" {title} "), theme.style(Role::Title))];
    top.extend(status);
    Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::BorderFocused))
        .title(Line::from(top))
        .title_bottom(keys)
}

/// Scopes that are not fine, per context: forbidden namespaces, failing watches, syncing.
fn scope_spans<'a>(w: &WorkloadsState, theme: &Theme) -> Vec<Span<'a>> {
    let mut spans = Vec::new();
    let many = w.contexts.len() > 1;
    for c in &w.contexts {
        for (ns, s) in &c.scopes {
            let place = if many {
                format!("{}/{ns}", c.name)
            } else {
                ns.clone()
            };
            let (text, role) = match s {
                ScopeState::Synced => continue,
                ScopeState::Syncing => (format!("{place}: syncing"), Role::Muted),
                ScopeState::Forbidden(_) => (format!("{place}: forbidden"), Role::Warning),
                ScopeState::Failing { .. } => (format!("{place}: failing"), Role::Critical),
            };
            spans.push(Span::styled(format!(" {text} "), theme.style(role)));
        }
    }
    spans
}

/// The view's key hints, from the keymap; an action the cluster forbids is greyed.
fn key_hint<'a>(model: &Model, theme: &Theme, allowed: impl Fn(Action) -> bool) -> Line<'a> {
    let mut spans = vec![Span::raw(" ")];
    for (action, key, what) in model.keymap.hints(layers(model)) {
        let enabled = allowed(action);
        let (k, m) = if enabled {
            (Role::Key, Role::Muted)
        } else {
            (Role::Muted, Role::Muted)
        };
        spans.push(Span::styled(key, theme.style(k)));
        let text = if enabled {
            format!(" {what} ")
        } else {
            format!(" {what} (not allowed) ")
        };
        spans.push(Span::styled(text, theme.style(m)));
    }
    Line::from(spans)
}

fn draw_list(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = &model.workloads;
    let list = model.list(Screen::Workloads);
    let selected = w.rows.get(list.cursor.selected);
    let access = selected
        .and_then(|r| match r {
            Row::Workload { key, .. } | Row::Pod(key) => Some(w.access(key)),
            Row::Orphans { .. } => None,
        })
        .unwrap_or_default();
    let keys = key_hint(model, theme, |a| match a {
        Action::Restart => access.restart != Some(false),
        Action::Scale => access.scale != Some(false),
        Action::DeletePod => access.delete_pods != Some(false),
        Action::Shell => access.exec != Some(false),
        Action::PortForward => access.port_forward != Some(false),
        _ => true,
    });
    let title = format!(
        "Workloads · {} workloads · {} pods",
        w.workloads.len(),
        w.pods.len()
    );
    let block = frame_block(title, scope_spans(w, theme), keys, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rest = super::widgets::filter_line(list, inner, theme, frame);
    let [header, body] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(rest);
    let width = usize::from(inner.width);
    let cols = Columns::for_rows(
        width,
        w.rows
            .iter()
            .skip(list.cursor.offset)
            .take(usize::from(body.height))
            .filter_map(|r| match r {
                Row::Pod(key) => w.pods.get(key),
                _ => None,
            }),
    );
    frame.render_widget(
        Line::styled(cols.header(), theme.style(Role::Header)),
        header,
    );
    if w.rows.is_empty() {
        frame.render_widget(
            Line::styled(" nothing matches the filter", theme.style(Role::Muted)),
            body,
        );
    }
    let many_contexts = w.contexts.len() > 1;
    let lines: Vec<Line> = w
        .rows
        .iter()
        .enumerate()
        .skip(list.cursor.offset)
        .take(usize::from(body.height))
        .map(|(i, row)| {
            let line = match row {
                Row::Workload { kind, key } => match w.workloads.get(&(*kind, key.clone())) {
                    Some(wl) => workload_line(
                        w,
                        row,
                        wl,
                        many_contexts.then_some(key.context.as_ref()),
                        theme,
                        width,
                    ),
                    // Pods whose Deployment is known only by its ReplicaSet's name.
                    None => Line::styled(
                        format!("{} {} (not watched)", kind.short(), key.name),
                        theme.style(Role::Muted),
                    ),
                },
                Row::Pod(key) => match w.pods.get(key) {
                    Some(p) => pod_line(model, key, p, &cols, theme),
                    None => Line::default(),
                },
                Row::Orphans { context, namespace } => {
                    let n = w.pods_of(row).len();
                    let ctx = if many_contexts {
                        format!(" ({context})")
                    } else {
                        String::new()
                    };
                    Line::styled(
                        format!("pods without a watched workload in {namespace}{ctx}: {n}"),
                        theme.style(Role::Title),
                    )
                }
            };
            if i == list.cursor.selected {
                line.style(theme.style(Role::Selection))
            } else {
                line
            }
        })
        .collect();
    put_lines(frame, body, lines);
}

/// Writes one line per row straight into the buffer: cheaper than a Paragraph, which lays
/// out and truncates every line again, and these lines are already cut to the width.
fn put_lines(frame: &mut Frame, area: Rect, lines: Vec<Line>) {
    let buf = frame.buffer_mut();
    for (i, line) in lines.iter().take(usize::from(area.height)).enumerate() {
        let y = area.y + i as u16;
        if line.style != Style::default() {
            buf.set_style(
                Rect {
                    x: area.x,
                    y,
                    width: area.width,
                    height: 1,
                },
                line.style,
            );
        }
        buf.set_line(area.x, y, line, area.width);
    }
}

/// Column widths for pod rows, shared by content: NAME and NODE take what the visible pods'
/// names and nodes need, so at 200 columns neither is cut while the other has room to spare,
/// and at 80 the name gives way first, cut in its middle so its unique suffix stays. Only the
/// visible rows are measured, so the cost does not grow with the data.
struct Columns {
    name: usize,
    node: usize,
}

impl Columns {
    fn for_rows<'p>(width: usize, pods: impl Iterator<Item = &'p Pod>) -> Columns {
        let (mut name, mut node) = (4, 4);
        for p in pods {
            name = name.max(p.name.width());
            node = node.max(p.node.as_deref().map_or(1, UnicodeWidthStr::width));
        }
        // Indent 2, READY 6, RESTARTS 6, AGE 5, and at least 18 for the status.
        let fixed = 2 + 1 + 6 + 6 + 5 + 18;
        let node = if width >= 110 { node + 1 } else { 0 };
        let name_room = width.saturating_sub(fixed + node);
        let name = name.min(name_room).max(16);
        Columns { name, node }
    }

    fn header(&self) -> String {
        let mut h = format!(
            "  {:<w$} {:>5} {:>5} {:>4} ",
            "NAME",
            "READY",
            "RST",
            "AGE",
            w = self.name
        );
        if self.node > 0 {
            h.push_str(&format!(" {:<w$}", "NODE", w = self.node - 1));
        }
        h.push_str(" STATUS");
        h
    }
}

fn workload_line<'a>(
    w: &WorkloadsState,
    row: &Row,
    wl: &Workload,
    context: Option<&str>,
    theme: &Theme,
    width: usize,
) -> Line<'a> {
    let trouble = w
        .pods_of(row)
        .iter()
        .filter_map(|k| w.pods.get(k))
        .map(Pod::trouble)
        .fold(wl.trouble(), Trouble::max);
    let mark = match trouble {
        Trouble::Critical => "✗",
        Trouble::Warning => "!",
        Trouble::Busy => "↻",
        Trouble::None => "●",
    };
    let mut text = format!(
        "{}/{} ready · {} updated · {} available",
        wl.ready, wl.desired, wl.updated, wl.available
    );
    if let Some(r) = wl.revision {
        text.push_str(&format!(" · rev {r}"));
    }
    if let Some(t) = &wl.tag {
        text.push_str(&format!(" · {t}"));
    }
    let services: Vec<&str> = wl.services.iter().map(|s| service_name(s)).collect();
    let place = match context {
        Some(c) => format!("{}/{c}", wl.namespace),
        None => wl.namespace.clone(),
    };
    let mut tail = format!("  {} · {place}", services.join(","));
    if let Some(m) = &wl.message {
        tail.push_str(&format!(" · {m}"));
    }
    let head = format!("{mark} {} {} ", wl.kind.short(), wl.name);
    let state = format!(" {}", wl.rollout.name());
    // Narrow, the counts and the rollout state give way after the name, never past the edge.
    let head = truncate_middle(&head, width).into_owned();
    let state = truncate(&state, width.saturating_sub(head.width())).into_owned();
    let text = truncate(&text, width.saturating_sub(head.width() + state.width())).into_owned();
    let room = width.saturating_sub(head.width() + text.width() + state.width());
    Line::from(vec![
        Span::styled(
            head,
            theme
                .style(role_of(trouble))
                .patch(theme.style(Role::Title)),
        ),
        Span::styled(text, theme.style(Role::Text)),
        Span::styled(state, theme.style(role_of(wl.trouble()))),
        Span::styled(truncate(&tail, room).into_owned(), theme.style(Role::Muted)),
    ])
}

fn pod_line<'a>(
    model: &Model,
    key: &flightdeck_core::model::workloads::ObjRef,
    p: &Pod,
    cols: &Columns,
    theme: &Theme,
) -> Line<'a> {
    let now = model.now;
    let trouble = p.trouble();
    let ready = format!("{}/{}", p.ready, p.containers.len());
    let age_text = p.created.map_or("-".to_string(), |c| age(now, c));
    let mut spans = vec![
        Span::styled(
            format!(
                "  {} ",
                fit(&truncate_middle(&p.name, cols.name), cols.name)
            ),
            theme.style(Role::Text),
        ),
        Span::styled(
            format!("{ready:>5} "),
            theme.style(if p.is_ready() {
                Role::Ok
            } else {
                Role::Warning
            }),
        ),
        Span::styled(
            format!("{:>5} ", p.restarts),
            theme.style(if p.restarts > 0 {
                Role::Warning
            } else {
                Role::Muted
            }),
        ),
        Span::styled(format!("{age_text:>4} "), theme.style(Role::Muted)),
    ];
    if cols.node > 0 {
        let node = p.node.as_deref().unwrap_or("-");
        spans.push(Span::styled(
            format!(" {}", fit(node, cols.node - 1)),
            theme.style(Role::Muted),
        ));
    }
    let status = match &p.reason {
        Some(r) => r.describe(now),
        None if p.phase == Phase::Running && p.is_ready() => "Running".to_string(),
        None => p.phase.name().to_string(),
    };
    spans.push(Span::styled(
        format!(" {status}"),
        theme.style(match trouble {
            Trouble::None => Role::Ok,
            t => role_of(t),
        }),
    ));
    if let Some(u) = model.workloads.usage.get(key) {
        spans.push(Span::styled(
            format!("  {}m {}Mi", u.cpu_millis, u.memory_bytes / (1024 * 1024)),
            theme.style(Role::Muted),
        ));
    }
    Line::from(spans)
}

fn draw_events(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = &model.workloads;
    let keys = key_hint(model, theme, |_| true);
    let title = format!("Events · {} · newest first", w.events_title);
    let block = frame_block(title, scope_spans(w, theme), keys, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [header, body] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    frame.render_widget(
        Line::styled(
            format!(
                " {:>4}  {:<7} {:<18} {:<30} MESSAGE",
                "AGE", "TYPE", "REASON", "OBJECT"
            ),
            theme.style(Role::Header),
        ),
        header,
    );
    if w.events_rows.is_empty() {
        frame.render_widget(
            Line::styled(" no events for the selection", theme.style(Role::Muted)),
            body,
        );
        return;
    }
    let width = usize::from(inner.width);
    let lines: Vec<Line> = w
        .events_rows
        .iter()
        .enumerate()
        .skip(w.events_cursor.offset)
        .take(usize::from(body.height))
        .filter_map(|(i, k)| w.events.get(k).map(|e| (i, e)))
        .map(|(i, e)| {
            let when = e.last.map_or("-".to_string(), |t| age(model.now, t));
            let count = if e.count > 1 {
                format!(" ×{}", e.count)
            } else {
                String::new()
            };
            let object = fit(&format!("{}/{}", e.kind.to_lowercase(), e.object), 30);
            let head = format!(
                " {when:>4}  {:<7} {} {object} ",
                if e.warning { "Warning" } else { "Normal" },
                fit(&e.reason, 18)
            );
            let rest = width.saturating_sub(head.width());
            let role = if e.warning { Role::Warning } else { Role::Text };
            let line = Line::from(vec![
                Span::styled(head, theme.style(role)),
                Span::styled(
                    truncate(&format!("{}{count}", e.message), rest).into_owned(),
                    theme.style(if e.warning {
                        Role::Warning
                    } else {
                        Role::Muted
                    }),
                ),
            ]);
            if i == w.events_cursor.selected {
                line.style(theme.style(Role::Selection))
            } else {
                line
            }
        })
        .collect();
    put_lines(frame, body, lines);
}

/// A Deployment's revisions, newest first, as `kubectl rollout history` lists them, with the
/// image each ran; `enter` rolls back to the selected one.
fn draw_revisions(model: &Model, r: &Revisions, theme: &Theme, frame: &mut Frame, area: Rect) {
    let keys = key_hint(model, theme, |_| true);
    let title = format!(
        "Revisions · deploy {} · {} · enter rolls back",
        r.target.key.name, r.target.key.namespace
    );
    let block = frame_block(title, vec![], keys, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [header, body] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    let width = usize::from(inner.width);
    // The image column takes what the fixed ones leave, up to a half of the width.
    let image_w = (width.saturating_sub(30) / 2).clamp(12, 60);
    frame.render_widget(
        Line::styled(
            format!(
                " {:>8}  {:>4}  {:<image_w$}  CHANGE-CAUSE",
                "REVISION", "AGE", "IMAGE"
            ),
            theme.style(Role::Header),
        ),
        header,
    );
    if r.rows.is_empty() {
        frame.render_widget(
            Line::styled(
                " no ReplicaSets with a revision are watched for this Deployment",
                theme.style(Role::Muted),
            ),
            body,
        );
        return;
    }
    let lines: Vec<Line> = r
        .rows
        .iter()
        .enumerate()
        .skip(r.cursor.offset)
        .take(usize::from(body.height))
        .map(|(i, v)| {
            let when = v.created.map_or("-".to_string(), |t| age(model.now, t));
            let mark = if v.current { "●" } else { " " };
            let head = format!(
                "{mark}{:>8}  {when:>4}  {}  ",
                v.revision,
                fit(&truncate_middle(&v.image, image_w), image_w)
            );
            let rest = width.saturating_sub(head.width());
            let cause = if v.current {
                format!("{} (running)", v.change_cause)
            } else {
                v.change_cause.clone()
            };
            let line = Line::from(vec![
                Span::styled(
                    head,
                    theme.style(if v.current { Role::Ok } else { Role::Text }),
                ),
                Span::styled(
                    truncate(cause.trim(), rest).into_owned(),
                    theme.style(Role::Muted),
                ),
            ]);
            if i == r.cursor.selected {
                line.style(theme.style(Role::Selection))
            } else {
                line
            }
        })
        .collect();
    put_lines(frame, body, lines);
}

/// The container picker a shell asks first when the pod has several.
fn draw_picker(picker: &ContainerPicker, theme: &Theme, frame: &mut Frame, area: Rect) {
    let height = u16::try_from(picker.containers.len().min(12)).unwrap_or(12) + 3;
    let rect = super::centered(area, 40, height);
    frame.render_widget(Clear, rect);
    let name = picker
        .pod
        .as_ref()
        .map_or(String::new(), |p| p.name.to_string());
    let block = super::widgets::panel(format!(" shell into {name}: container "), true, theme);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let width = usize::from(inner.width);
    let skip = picker.selected.saturating_sub(11);
    let mut lines: Vec<Line> = picker
        .containers
        .iter()
        .enumerate()
        .skip(skip)
        .take(12)
        .map(|(i, c)| {
            let line = Line::styled(fit(&format!(" {c}"), width), theme.style(Role::Text));
            if i == picker.selected {
                line.style(theme.style(Role::Selection))
            } else {
                line
            }
        })
        .collect();
    lines.push(Line::styled(
        " enter shell · esc cancel",
        theme.style(Role::Muted),
    ));
    put_lines(frame, inner, lines);
}

/// The port-forwards this cockpit runs: where each listens, to which pod and port, its state
/// and connections.
fn draw_forwards(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let w = &model.workloads;
    let keys = key_hint(model, theme, |_| true);
    let title = format!("Port-forwards · {}", w.forwards.len());
    let block = frame_block(title, vec![], keys, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [header, body] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(inner);
    let width = usize::from(inner.width);
    frame.render_widget(
        Line::styled(
            format!(
                " {:<22} {:<40} {:<10} {:>11}  LAST ERROR",
                "LOCAL", "POD:PORT", "STATE", "CONNECTIONS"
            ),
            theme.style(Role::Header),
        ),
        header,
    );
    if w.forwards.is_empty() {
        frame.render_widget(
            Line::styled(
                " no port-forwards: shift-F on a pod starts one",
                theme.style(Role::Muted),
            ),
            body,
        );
        return;
    }
    let cursor = w.forwards_cursor;
    let lines: Vec<Line> = w
        .forwards
        .iter()
        .enumerate()
        .skip(cursor.offset)
        .take(usize::from(body.height))
        .map(|(i, f)| {
            let local = f.bound.clone().unwrap_or_else(|| match f.local {
                0 => "any port".to_string(),
                p => p.to_string(),
            });
            let (state, role, error) = match &f.state {
                ForwardState::Starting => ("starting", Role::Running, f.last_error.clone()),
                ForwardState::Listening => ("listening", Role::Ok, f.last_error.clone()),
                ForwardState::Failed(e) => ("failed", Role::Critical, Some(e.clone())),
            };
            let target = format!("{}/{}:{}", f.pod.namespace, f.pod.name, f.remote);
            let head = format!(
                " {} {} {:<10} {:>11}  ",
                fit(&truncate(&local, 22), 22),
                fit(&truncate_middle(&target, 40), 40),
                state,
                format!("{} open/{}", f.open, f.total),
            );
            let rest = width.saturating_sub(head.width());
            let line = Line::from(vec![
                Span::styled(head, theme.style(role)),
                Span::styled(
                    truncate(error.as_deref().unwrap_or(""), rest).into_owned(),
                    theme.style(Role::Muted),
                ),
            ]);
            if i == cursor.selected {
                line.style(theme.style(Role::Selection))
            } else {
                line
            }
        })
        .collect();
    put_lines(frame, body, lines);
}

fn draw_describe(model: &Model, d: &Describe, theme: &Theme, frame: &mut Frame, area: Rect) {
    let keys = key_hint(model, theme, |_| true);
    let block = frame_block(format!("Describe · {}", d.title), vec![], keys, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [body, search] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(u16::from(d.searching)),
    ])
    .areas(inner);
    if d.loading {
        frame.render_widget(Line::styled(" loading…", theme.style(Role::Muted)), body);
    } else if let Some(e) = &d.error {
        frame.render_widget(
            Paragraph::new(Line::styled(e.clone(), theme.style(Role::Critical)))
                .wrap(Wrap { trim: false }),
            body,
        );
    } else {
        let (base, matched) = (theme.style(Role::Text), theme.style(Role::Match));
        let lines: Vec<Line> = d
            .lines
            .iter()
            .skip(d.scroll)
            .take(usize::from(body.height))
            .map(|l| Line::from(log_line::spans(l, &[], &d.query, base, matched)))
            .collect();
        put_lines(frame, body, lines);
    }
    if search.height > 0 {
        super::widgets::input_line("/", &d.search, true, theme, frame, search);
    }
}

const PREFIX_ROLES: [Role; 4] = [Role::Accent, Role::Info, Role::Running, Role::Link];

fn draw_logs(model: &Model, l: &Logs, theme: &Theme, frame: &mut Frame, area: Rect) {
    let keys = key_hint(model, theme, |_| true);
    let mut opts = vec![match l.options.tail {
        Some(t) => format!("tail {t}"),
        None => "all".to_string(),
    }];
    if let Some(s) = l.options.since_secs {
        opts.push(format!(
            "since {}",
            flightdeck_core::model::time::coarse(chrono::Duration::seconds(s))
        ));
    }
    if l.options.previous {
        opts.push("previous".into());
    }
    opts.push(if l.follow {
        "following".into()
    } else {
        "PAUSED".into()
    });
    if l.wrap {
        opts.push("wrap".into());
    }
    let mut status = vec![Span::styled(
        format!("{} · {} lines", opts.join(" · "), l.lines.len()),
        theme.style(if l.follow { Role::Muted } else { Role::Warning }),
    )];
    if l.dropped > 0 {
        status.push(Span::styled(
            format!(" ({} older dropped)", l.dropped),
            theme.style(Role::Muted),
        ));
    }
    let failed: Vec<&String> = l.ended.values().flatten().collect();
    if let Some(e) = failed.first() {
        status.push(Span::styled(format!(" {e}"), theme.style(Role::Critical)));
    }
    let block = frame_block(format!("Logs · {}", l.title), status, keys, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [body, search] = Layout::vertical([
        Constraint::Fill(1),
        Constraint::Length(u16::from(l.searching)),
    ])
    .areas(inner);
    if search.height > 0 {
        super::widgets::input_line("/", &l.search, true, theme, frame, search);
    }
    if l.lines.is_empty() {
        let text = if l.ended.len() == l.sources.len() && !l.sources.is_empty() {
            " no log lines"
        } else {
            " waiting for lines…"
        };
        frame.render_widget(Line::styled(text, theme.style(Role::Muted)), body);
        return;
    }
    let height = usize::from(body.height);
    let width = usize::from(body.width).max(1);
    let merged = l.sources.len() > 1;
    let prefix_width = if merged {
        l.sources
            .iter()
            .map(|s| s.prefix.width())
            .max()
            .unwrap_or(0)
            .min(24)
    } else {
        0
    };
    let selected = l.selected();
    let needle = l.query.to_ascii_lowercase();
    let render = |seq: u64| -> Option<Line> {
        let line = l.line(seq)?;
        let mut spans = Vec::new();
        if merged {
            let src = l.sources.get(usize::from(line.source));
            let prefix = src.map_or("", |s| s.prefix.as_str());
            let role = PREFIX_ROLES[usize::from(line.source) % PREFIX_ROLES.len()];
            spans.push(Span::styled(
                format!("{} ", fit(prefix, prefix_width)),
                theme.style(role),
            ));
        }
        spans.extend(log_line::spans(
            &line.text,
            &line.runs,
            &needle,
            theme.style(Role::Text),
            theme.style(Role::Match),
        ));
        let out = Line::from(spans);
        Some(if Some(seq) == selected && !l.follow {
            out.style(theme.style(Role::Selection))
        } else {
            out
        })
    };
    // Rows a line takes when wrapped; one when not.
    let rows_of = |seq: u64| -> usize {
        if !l.wrap {
            return 1;
        }
        let w =
            l.line(seq).map_or(0, |x| x.text.width()) + if merged { prefix_width + 1 } else { 0 };
        w.div_ceil(width).max(1)
    };
    // Following: the newest line at the bottom. Paused: from `top`, unless wrapping pushes the
    // selected line below the screen; then the selected line at the bottom.
    let (end, floor) = if l.follow {
        (l.end_seq(), l.first_seq)
    } else {
        (
            selected.map_or(l.end_seq(), |s| s + 1),
            l.top.max(l.first_seq),
        )
    };
    let (first, scroll) = {
        let mut seq = end;
        let mut rows = 0;
        while seq > floor && rows < height {
            seq -= 1;
            rows += rows_of(seq);
        }
        (seq, rows.saturating_sub(height))
    };
    let mut lines = Vec::new();
    let mut rows = 0;
    let mut seq = first;
    while seq < l.end_seq() && rows < height + scroll {
        if let Some(line) = render(seq) {
            rows += rows_of(seq);
            lines.push(line);
        }
        seq += 1;
    }
    if l.wrap {
        put_wrapped(frame, body, &lines, scroll);
    } else {
        put_lines(frame, body, lines);
    }
}

/// Lines cut at the area's width by character, as `less` wraps a log, written straight into
/// the buffer; the first `skip` rows are left out. A line's own style (the selection) covers
/// every row it takes.
fn put_wrapped(frame: &mut Frame, area: Rect, lines: &[Line], skip: usize) {
    let width = usize::from(area.width);
    let bottom = skip + usize::from(area.height);
    if width == 0 {
        return;
    }
    let buf = frame.buffer_mut();
    let mut row = 0usize;
    for line in lines {
        if row >= bottom {
            break;
        }
        let mut col = 0usize;
        for span in &line.spans {
            let style = line.style.patch(span.style);
            let text = span.content.as_ref();
            // A run of characters that fits the current row, written in one call.
            let (mut start, mut start_col) = (0usize, col);
            for (i, ch) in text.char_indices() {
                let w = ch.width().unwrap_or(0);
                if col + w > width {
                    put_piece(buf, area, row, skip, start_col, &text[start..i], style);
                    row += 1;
                    col = 0;
                    start = i;
                    start_col = 0;
                }
                col += w;
            }
            put_piece(buf, area, row, skip, start_col, &text[start..], style);
        }
        // The written cells carry the line's style already; the rest of its last row too.
        if line.style != Style::default() && (skip..bottom).contains(&row) && col < width {
            let y = area.y + (row - skip) as u16;
            let rest = Rect::new(area.x + col as u16, y, (width - col) as u16, 1);
            buf.set_style(rest, line.style);
        }
        row += 1;
    }
}

fn put_piece(
    buf: &mut ratatui::buffer::Buffer,
    area: Rect,
    row: usize,
    skip: usize,
    col: usize,
    piece: &str,
    style: Style,
) {
    if piece.is_empty() || row < skip || row - skip >= usize::from(area.height) {
        return;
    }
    let y = area.y + (row - skip) as u16;
    let x = area.x + col as u16;
    buf.set_stringn(
        x,
        y,
        piece,
        usize::from(area.width).saturating_sub(col),
        style,
    );
}
