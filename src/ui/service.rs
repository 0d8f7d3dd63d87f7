//! The Service screen: everything about one service on one screen (who owns it, its links,
//! what it depends on and what depends on it with their health, its runs, pods, alerts and
//! docs), and why a panel is empty. Drawn from the `ServicePage` that `update` built.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::summary::{
    alerts_text, ci_text, deploy_text, docs_text, health_mark, health_role, pods_text,
};
use super::text::fit;
use super::theme::{Role, Theme};
use super::widgets;
use flightdeck_core::keymap::Action;
use flightdeck_core::model::Model;
use flightdeck_core::model::join::ChangeKind;
use flightdeck_core::model::overview::{Cell, Related, ServicePage, ServiceRow};
use flightdeck_core::model::time::{age, duration};

pub fn draw(model: &Model, theme: &Theme, frame: &mut Frame, area: Rect) {
    let Some(page) = &model.catalog.overview.page else {
        return;
    };
    let row = page.row.and_then(|i| model.catalog.overview.rows.get(i));
    let mut title = vec![Span::styled(
        format!(" {} ", page.title),
        theme.style(Role::Title),
    )];
    if let Some(r) = row {
        title.push(Span::styled(
            format!("{} {} ", health_mark(r.health), r.health.label()),
            theme.style(health_role(r.health)),
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::BorderFocused))
        .title(Line::from(title))
        .title_bottom(hints(model, theme));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    let about = about_lines(model, page, row, theme);
    let about_h = (about.len() as u16).min(inner.height / 2).max(3);
    let [top, rest] =
        Layout::vertical([Constraint::Length(about_h), Constraint::Fill(1)]).areas(inner);
    frame.render_widget(Paragraph::new(about).wrap(Wrap { trim: false }), top);
    // The golden signals take the upper part of the rest when a Prometheus is configured.
    let rest = if model.signals.enabled {
        let charts_h = (rest.height * 2 / 3).max(6).min(rest.height);
        let [charts, below] =
            Layout::vertical([Constraint::Length(charts_h), Constraint::Fill(1)]).areas(rest);
        super::service_charts::draw(model, page, theme, frame, charts);
        below
    } else {
        rest
    };

    let health = health_lines(model, row, theme);
    let related = related_lines(model, page, theme);
    let runs = run_lines(model, page, theme);
    if rest.width >= 100 {
        let [left, right] =
            Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)])
                .areas(rest);
        // Health first: its last rows (tickets, on call) must not give way to the join keys,
        // which only say how the service was found. One spare line: a long "why" wraps.
        let keys = key_lines(page, theme);
        let [h, k] = Layout::vertical([
            Constraint::Length(health.len() as u16 + 3),
            Constraint::Fill(1),
        ])
        .areas(left);
        panel(HEALTH, health, theme, frame, h);
        panel(" Join keys ", keys, theme, frame, k);
        let [d, r] = Layout::vertical([
            Constraint::Length(related.len() as u16 + 2),
            Constraint::Fill(1),
        ])
        .areas(right);
        panel(
            " Depends on · Dependency of (enter opens) ",
            related,
            theme,
            frame,
            d,
        );
        panel(
            " Recent runs and deploys (2 Pipelines) ",
            runs,
            theme,
            frame,
            r,
        );
    } else {
        // One spare line: a long "why" wraps.
        let [h, d, r] = Layout::vertical([
            Constraint::Length(health.len() as u16 + 2),
            Constraint::Length(related.len() as u16 + 2),
            Constraint::Fill(1),
        ])
        .areas(rest);
        panel(HEALTH, health, theme, frame, h);
        panel(" Depends on · Dependency of ", related, theme, frame, d);
        panel(" Recent runs (2 Pipelines) ", runs, theme, frame, r);
    }
}

const HEALTH: &str = " Health ";

fn hints(model: &Model, theme: &Theme) -> Line<'static> {
    let k = theme.style(Role::Key);
    let m = theme.style(Role::Muted);
    let key = |a: Action| {
        model
            .keymap
            .keys(a)
            .first()
            .map(|k| k.to_string())
            .unwrap_or_default()
    };
    let mut items = vec![(Action::Back, "back")];
    if model.signals.enabled {
        items.push((Action::ChartRange, "chart range"));
    }
    let mut spans = widgets::action_hints(model, &items, theme);
    spans.extend([
        Span::styled(" · ", m),
        Span::styled(key(Action::ScreenPipelines), k),
        Span::styled("-", m),
        Span::styled(key(Action::ScreenDocs), k),
        Span::styled(" pipelines, workloads, alerts, docs of this service ·", m),
    ]);
    spans.extend(widgets::action_hints(
        model,
        &[(Action::Copy, "copy ref"), (Action::OpenUrl, "open link")],
        theme,
    ));
    spans.push(Span::raw(" "));
    Line::from(spans)
}

/// A titled panel. Only the health panel wraps (its "why" can be long); lists are cut, one
/// item per line.
fn panel(title: &str, lines: Vec<Line<'static>>, theme: &Theme, frame: &mut Frame, area: Rect) {
    let wrap = title == HEALTH;
    let paragraph = if wrap {
        Paragraph::new(lines).wrap(Wrap { trim: false })
    } else {
        Paragraph::new(lines)
    };
    frame.render_widget(
        paragraph.block(
            Block::default()
                .borders(Borders::TOP)
                .border_style(theme.style(Role::Border))
                .title(Span::styled(title.to_string(), theme.style(Role::Title))),
        ),
        area,
    );
}

fn label(text: &str, theme: &Theme) -> Span<'static> {
    Span::styled(format!("{text:<11}"), theme.style(Role::Muted))
}

fn about_lines(
    model: &Model,
    page: &ServicePage,
    row: Option<&ServiceRow>,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = page
        .description
        .iter()
        .map(|d| Line::styled(d.clone(), theme.style(Role::Text)))
        .collect();
    if lines.is_empty() {
        lines.push(Line::styled(
            "No description (metadata.description).",
            theme.style(Role::Muted),
        ));
    }
    let text = theme.style(Role::Text);
    if let Some(r) = row {
        let owner = if r.owner.is_empty() {
            "none (spec.owner is missing)".to_string()
        } else {
            r.owner.clone()
        };
        let mut spans = vec![label("Owner", theme), Span::styled(owner, text)];
        if !page.members.is_empty() {
            spans.push(Span::styled(
                format!("  {}", page.members.join(", ")),
                theme.style(Role::Muted),
            ));
        }
        lines.push(Line::from(spans));
        let mut spans = vec![
            label("System", theme),
            Span::styled(
                if r.system.is_empty() {
                    "—".into()
                } else {
                    r.system.clone()
                },
                text,
            ),
        ];
        spans.push(Span::styled("   lifecycle ", theme.style(Role::Muted)));
        spans.push(Span::styled(
            if r.lifecycle.is_empty() {
                "—".to_string()
            } else {
                r.lifecycle.clone()
            },
            text,
        ));
        if !page.spec_type.is_empty() {
            spans.push(Span::styled("   type ", theme.style(Role::Muted)));
            spans.push(Span::styled(page.spec_type.clone(), text));
        }
        if r.mine {
            spans.push(Span::styled("   yours", theme.style(Role::Accent)));
        }
        lines.push(Line::from(spans));
    }
    if !page.apis.is_empty() {
        lines.push(Line::from(vec![
            label("APIs", theme),
            Span::styled(page.apis.join(", "), text),
        ]));
    }
    for (i, (title, url)) in page.links.iter().enumerate() {
        lines.push(Line::from(vec![
            label(if i == 0 { "Links" } else { "" }, theme),
            Span::styled(format!("{title} "), text),
            Span::styled(url.clone(), theme.style(Role::Link)),
        ]));
    }
    if let Some(t) = &page.template {
        let mut spans = vec![label("Template", theme), Span::styled(t.clone(), text)];
        if let Some(at) = page.requested {
            spans.push(Span::styled(
                format!(" · requested {} ago", age(model.now, at)),
                theme.style(Role::Muted),
            ));
        }
        if let Some(took) = page.to_production {
            spans.push(Span::styled(
                format!(" · in production {} after the request", duration(took)),
                theme.style(Role::Ok),
            ));
        }
        lines.push(Line::from(spans));
    }
    lines.push(Line::from(vec![
        label("Defined in", theme),
        Span::styled(page.origin.clone(), theme.style(Role::Muted)),
    ]));
    lines
}

/// One line per summary: its value, or why it is empty, so a team learns what to add.
fn health_lines(model: &Model, row: Option<&ServiceRow>, theme: &Theme) -> Vec<Line<'static>> {
    let Some(r) = row else {
        return vec![Line::styled("Not joined yet.", theme.style(Role::Muted))];
    };
    let why =
        |c: Option<String>| c.map(|w| Span::styled(format!("  {w}"), theme.style(Role::Muted)));
    fn long<T>(c: &Cell<T>) -> Option<String> {
        match c {
            Cell::Empty(w) => Some(w.long()),
            Cell::Value { .. } => None,
        }
    }
    let mut out = Vec::new();
    let mut push = |name: &str,
                    (text, style): (String, ratatui::style::Style),
                    extra: Option<String>,
                    detail: Option<String>| {
        let mut spans = vec![label(name, theme), Span::styled(text, style)];
        if let Some(x) = extra {
            spans.push(Span::styled(format!("  {x}"), theme.style(Role::Muted)));
        }
        spans.extend(why(detail));
        out.push(Line::from(spans));
    };
    let ci_extra =
        r.ci.value()
            .map(|c| format!("{} on {}", c.workflow, c.branch));
    push("CI", ci_text(model, &r.ci, theme), ci_extra, long(&r.ci));
    let deploy_extra = r.deploy.value().map(|d| format!("in {}", d.environment));
    push(
        "Deployed",
        deploy_text(model, &r.deploy, theme),
        deploy_extra,
        long(&r.deploy),
    );
    let pods_extra = r.pods.value().and_then(|p| p.worst.clone());
    push(
        "Pods",
        pods_text(model, &r.pods, theme),
        pods_extra,
        long(&r.pods),
    );
    push(
        "Alerts",
        alerts_text(model, &r.alerts, theme),
        None,
        long(&r.alerts),
    );
    push("Docs", docs_text(&r.docs, theme), None, long(&r.docs));
    // Tickets and on-call, when a ticket source is configured.
    let work = &model.work;
    if !work.tickets.is_empty() || work.oncall.is_some() {
        let w = work.by_service.get(&r.service).cloned().unwrap_or_default();
        let role = if w.incidents > 0 {
            Role::Critical
        } else if w.bugs > 0 {
            Role::Warning
        } else {
            Role::Text
        };
        push(
            "Tickets",
            (format!("{} open", w.open), theme.style(role)),
            Some(format!("{} bugs, {} incidents", w.bugs, w.incidents)),
            None,
        );
        // GitHub: every open issue of the repository labelled bug or incident, not only mine.
        if !w.labels.is_empty() {
            let counts: Vec<String> = w.labels.iter().map(|(l, n)| format!("{n} {l}")).collect();
            push(
                "Issues",
                (counts.join(", "), theme.style(Role::Text)),
                Some("open, labelled".into()),
                None,
            );
        }
        let (text, extra) = match &w.oncall {
            Some(o) => (o.now.clone(), o.next.as_ref().map(|n| format!("next {n}"))),
            None => ("unknown".to_string(), None),
        };
        push("On call", (text, theme.style(Role::Text)), extra, None);
    }
    out
}

fn related_lines(model: &Model, page: &ServicePage, theme: &Theme) -> Vec<Line<'static>> {
    let cursor = model.catalog.overview.related_cursor;
    let mut out = Vec::new();
    let mut index = 0;
    for (heading, list) in [
        ("depends on", &page.depends_on),
        ("used by", &page.dependency_of),
    ] {
        if list.is_empty() {
            out.push(Line::from(vec![
                label(heading, theme),
                Span::styled("nothing", theme.style(Role::Muted)),
            ]));
            continue;
        }
        for (i, rel) in list.iter().enumerate() {
            out.push(related_line(
                if i == 0 { heading } else { "" },
                rel,
                index == cursor,
                theme,
            ));
            index += 1;
        }
    }
    out
}

fn related_line(heading: &str, rel: &Related, selected: bool, theme: &Theme) -> Line<'static> {
    let style = if selected {
        theme.style(Role::Selection)
    } else {
        theme.style(Role::Text)
    };
    let (mark, role, note) = match (rel.health, rel.missing) {
        (_, true) => ("?", Role::Warning, "  not in the catalog"),
        (Some(h), _) => (health_mark(h), health_role(h), ""),
        (None, _) => ("·", Role::Muted, ""),
    };
    let mut spans = vec![
        label(heading, theme),
        Span::styled(format!("{mark} "), theme.style(role)),
        Span::styled(rel.label.clone(), style),
    ];
    if let Some(h) = rel
        .health
        .filter(|h| *h != flightdeck_core::model::overview::Health::Healthy)
    {
        spans.push(Span::styled(
            format!("  {}", h.label()),
            theme.style(health_role(h)),
        ));
    }
    if !note.is_empty() {
        spans.push(Span::styled(note, theme.style(Role::Muted)));
    }
    Line::from(spans)
}

/// The service's newest changes, one a line, with where each is: `✓` done, `…` under way,
/// `✗` failed, `·` not yet, for CI, staging and production, then the pods on it and in words.
fn trail_lines(model: &Model, page: &ServicePage, theme: &Theme) -> Vec<Line<'static>> {
    use flightdeck_core::model::delivery::trail::Step;
    let Some((service, trails)) = &model.delivery.service_trails else {
        return vec![];
    };
    if service != &page.service {
        return vec![];
    }
    let mark = |s: Step| match s {
        Step::Done(_) => ("✓", Role::Ok),
        Step::Running(_) => ("…", Role::Running),
        Step::Failed(_) => ("✗", Role::Critical),
        Step::Waiting => ("·", Role::Muted),
    };
    trails
        .iter()
        .map(|t| {
            let mut spans = vec![
                Span::styled(fit(&age(model.now, t.merged), 5), theme.style(Role::Muted)),
                Span::styled("change ", theme.style(Role::Accent)),
                Span::styled(
                    format!("{} ", t.sha.get(..7).unwrap_or(&t.sha)),
                    theme.style(Role::Text),
                ),
            ];
            for (name, step) in [("CI", t.ci), ("stg", t.staging), ("prod", t.production)] {
                let (m, role) = mark(step);
                spans.push(Span::styled(format!("{m}{name} "), theme.style(role)));
            }
            if let Some((ready, total)) = t.pods {
                spans.push(Span::styled(
                    format!("pods {ready}/{total} "),
                    theme.style(if ready < total {
                        Role::Warning
                    } else {
                        Role::Ok
                    }),
                ));
            }
            spans.push(Span::styled(
                format!("{} · {} · {}", t.stage(), t.title, t.author),
                theme.style(Role::Text),
            ));
            Line::from(spans)
        })
        .collect()
}

fn run_lines(model: &Model, page: &ServicePage, theme: &Theme) -> Vec<Line<'static>> {
    let trails = trail_lines(model, page, theme);
    if !trails.is_empty() {
        let mut lines = trails;
        lines.extend(page.changes.iter().map(|c| change_line(model, c, theme)));
        return lines;
    }
    if page.changes.is_empty() {
        let why = model
            .catalog
            .overview
            .page
            .as_ref()
            .and_then(|p| p.row)
            .and_then(|i| model.catalog.overview.rows.get(i))
            .and_then(|r| match &r.ci {
                Cell::Empty(w) => Some(w.long()),
                Cell::Value { .. } => None,
            })
            .unwrap_or_else(|| "no runs or deploys yet".into());
        return vec![Line::styled(why, theme.style(Role::Muted))];
    }
    page.changes
        .iter()
        .map(|c| change_line(model, c, theme))
        .collect()
}

fn change_line(
    model: &Model,
    c: &flightdeck_core::model::join::Change,
    theme: &Theme,
) -> Line<'static> {
    let kind = match c.kind {
        ChangeKind::Deploy => Span::styled("deploy ", theme.style(Role::Accent)),
        ChangeKind::Run => Span::styled("run    ", theme.style(Role::Muted)),
    };
    Line::from(vec![
        Span::styled(fit(&age(model.now, c.at), 5), theme.style(Role::Muted)),
        kind,
        Span::styled(c.label.clone(), theme.style(Role::Text)),
    ])
}

fn key_lines(page: &ServicePage, theme: &Theme) -> Vec<Line<'static>> {
    if page.keys.is_empty() {
        return vec![Line::styled(
            "No join keys: add github.com/project-slug, backstage.io/kubernetes-id and backstage.io/techdocs-ref annotations.",
            theme.style(Role::Muted),
        )];
    }
    page.keys
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                label(k, theme),
                Span::styled(v.clone(), theme.style(Role::Text)),
            ])
        })
        .collect()
}
