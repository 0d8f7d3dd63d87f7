//! The Work screen: tickets and incidents arriving from Jira, GitHub and PagerDuty, joined to
//! services, the ticket detail, and the actions on them (acknowledge and resolve an incident,
//! move a Jira issue through a transition, comment on a Jira or GitHub issue or add a note to an
//! incident), each through the confirmation gate; and which sources are on screen, for the
//! pollers' pace.

use crate::keymap::{Action, Key};
use crate::message::Effect;
use crate::message::work::{Command, IncidentStatus, Msg};
use crate::model::input::{Edit, InputKey, TextInput};
use crate::model::work::{Detail, Row, Ticket, TicketRef, TicketSource};
use crate::model::{Fetched, Level, Model, Screen, SourceKind};

use super::feedback::{UrlUse, confirm, notify, refused_read_only, url_effect};

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Tickets {
            source,
            at,
            tickets,
        } => {
            let old = model.work.tickets.insert(
                source,
                Fetched {
                    value: tickets,
                    fetched_at: at,
                },
            );
            let changed = old.as_ref().is_none_or(|o| {
                Some(&o.value) != model.work.tickets.get(&source).map(|f| &f.value)
            });
            if !changed {
                return vec![];
            }
            rejoin(model);
            vec![Effect::Render]
        }
        Msg::OnCall { at, data } => {
            let same = model.work.oncall.as_ref().is_some_and(|o| o.value == data);
            model.work.oncall = Some(Fetched {
                value: data,
                fetched_at: at,
            });
            if same {
                return vec![];
            }
            rejoin(model);
            vec![Effect::Render]
        }
        Msg::IssueLabels { at, by_repo } => {
            let same = model
                .work
                .issue_labels
                .as_ref()
                .is_some_and(|o| o.value == by_repo);
            model.work.issue_labels = Some(Fetched {
                value: by_repo,
                fetched_at: at,
            });
            if same {
                return vec![];
            }
            rejoin(model);
            vec![Effect::Render]
        }
        Msg::Detail {
            source,
            id,
            description,
            comments,
            links,
            transitions,
        } => {
            let Some(d) = model.work.detail.as_mut() else {
                return vec![];
            };
            if d.source != source || d.id != id {
                return vec![];
            }
            d.description = description;
            d.comments = comments;
            d.links = links;
            d.transitions = transitions;
            d.chosen = d.chosen.min(d.transitions.len().saturating_sub(1));
            d.loaded = true;
            d.failed = None;
            resized(model);
            vec![Effect::Render]
        }
        Msg::DetailFailed { source, id, error } => {
            let Some(d) = model.work.detail.as_mut() else {
                return vec![];
            };
            if d.source != source || d.id != id {
                return vec![];
            }
            d.failed = Some(error);
            vec![Effect::Render]
        }
        Msg::Done { what } => {
            notify(model, Level::Info, format!("{what}: done"));
            vec![Effect::Render]
        }
        Msg::Failed { what, error } => {
            notify(model, Level::Error, format!("{what}: {error}"));
            vec![Effect::Render]
        }
    }
}

/// The tickets or the catalog changed: join again, keeping the cursor on the same ticket.
pub fn rejoin(model: &mut Model) {
    let selected = selected(model)
        .and_then(|r| model.work.ticket(r))
        .map(|t| (t.source, t.id.clone()));
    let now = model.now;
    let Model { work, catalog, .. } = model;
    work.rebuild(catalog.services(), now);
    refilter(model);
    let found = selected.and_then(|(source, id)| {
        model.work.rows.iter().position(|r| match r {
            Row::Ticket(t) => model
                .work
                .ticket(*t)
                .is_some_and(|t| t.source == source && t.id == id),
            Row::Group { .. } => false,
        })
    });
    let rows = model.work.rows.len();
    let height = model.list_height;
    model.list_mut(Screen::Work).reselect(found, rows, height);
}

/// Lays the open ticket's description and comments out for the terminal's width: the detail
/// takes the whole screen less its border.
pub fn resized(model: &mut Model) {
    let width = model.size.0.saturating_sub(4).max(20);
    let Some(d) = model.work.detail.as_mut() else {
        return;
    };
    let mut text = d
        .description
        .clone()
        .unwrap_or_else(|| "*No description.*".into());
    for c in &d.comments {
        let when =
            c.at.map(|at| crate::model::time::age(model.now, at))
                .unwrap_or_default();
        text.push_str(&format!("\n\n---\n\n**{}** {when}\n\n{}", c.author, c.body));
    }
    d.lines = crate::model::markdown::layout(&crate::model::markdown::parse(&text), width).lines;
}

pub fn refilter(model: &mut Model) {
    let filter = model.list(Screen::Work).filter.text().to_string();
    model.work.refilter(&filter);
}

pub fn row_count(model: &Model) -> usize {
    model.work.rows.len()
}

/// The ticket under the cursor (a group's heading stands for its first ticket).
pub fn selected(model: &Model) -> Option<TicketRef> {
    let i = model.list(Screen::Work).cursor.selected;
    match model.work.rows.get(i)? {
        Row::Ticket(r) => Some(*r),
        Row::Group { .. } => match model.work.rows.get(i + 1)? {
            Row::Ticket(r) => Some(*r),
            Row::Group { .. } => None,
        },
    }
}

/// The fingerprint of the alert that opened the incident shown in the detail, if any.
pub fn alert_of_open_incident(model: &Model) -> Option<String> {
    let d = model.work.detail.as_ref()?;
    if d.source != TicketSource::Pagerduty {
        return None;
    }
    target(model)?.incident_key
}

/// The ticket the action is about: the open one, else the selected one.
fn target(model: &Model) -> Option<Ticket> {
    if model.work.detail.is_some() {
        return model.work.detail_ticket().map(|(_, t)| t.clone());
    }
    selected(model).and_then(|r| model.work.ticket(r)).cloned()
}

pub(crate) fn on_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    if model.work.detail.is_some() {
        match action {
            Action::Back => {
                model.work.detail = None;
                return Some(vec![Effect::Render]);
            }
            Action::Down | Action::Up | Action::Top | Action::PageDown | Action::PageUp => {
                let d = model.work.detail.as_mut()?;
                d.scroll = match action {
                    Action::Down => d.scroll + 1,
                    Action::Up => d.scroll.saturating_sub(1),
                    Action::PageDown => d.scroll + model.list_height.max(1),
                    Action::PageUp => d.scroll.saturating_sub(model.list_height.max(1)),
                    _ => 0,
                };
                return Some(vec![Effect::Render]);
            }
            Action::Bottom | Action::Open => return Some(vec![]),
            // A detail that could not be read is asked for again; one that loaded leaves `r`
            // to refresh the screen's sources.
            Action::Refresh => {
                let d = model.work.detail.as_mut()?;
                if d.loaded || d.failed.take().is_none() {
                    return None;
                }
                let (source, id) = (d.source, d.id.clone());
                return Some(vec![
                    Effect::Work(Command::Open { source, id }),
                    Effect::Render,
                ]);
            }
            _ => {}
        }
    }
    match action {
        Action::Open => {
            let t = target(model)?;
            Some(open(model, &t))
        }
        Action::Acknowledge | Action::Resolve => {
            let t = target(model)?;
            Some(set_incident(model, &t, action))
        }
        Action::NextTransition => {
            let d = model.work.detail.as_mut()?;
            if d.transitions.is_empty() {
                notify(
                    model,
                    Level::Warning,
                    "no transition to choose: open a Jira ticket",
                );
                return Some(vec![Effect::Render]);
            }
            d.chosen = (d.chosen + 1) % d.transitions.len();
            Some(vec![Effect::Render])
        }
        Action::Transition => Some(transition(model)),
        Action::Comment => Some(start_comment(model)),
        Action::Copy | Action::OpenUrl => {
            let t = target(model)?;
            let Some(url) = t.url.clone() else {
                notify(model, Level::Warning, format!("{}: no link", t.key));
                return Some(vec![Effect::Render]);
            };
            // Through the one URL check, like every screen's copy and open.
            let how = if action == Action::Copy {
                UrlUse::Copy
            } else {
                UrlUse::Open
            };
            Some(url_effect(model, how, &url))
        }
        _ => None,
    }
}

/// Opens `t`'s detail and asks its provider for what only the ticket's own answer carries.
pub fn open(model: &mut Model, t: &Ticket) -> Vec<Effect> {
    let at = model.work.find(t.source, &t.id);
    model.work.detail = Some(Detail {
        source: t.source,
        id: t.id.clone(),
        description: None,
        comments: Vec::new(),
        links: Vec::new(),
        transitions: Vec::new(),
        chosen: 0,
        loaded: false,
        failed: None,
        scroll: 0,
        lines: Vec::new(),
        compose: None,
        at,
    });
    vec![
        Effect::Work(Command::Open {
            source: t.source,
            id: t.id.clone(),
        }),
        Effect::Render,
    ]
}

fn set_incident(model: &mut Model, t: &Ticket, action: Action) -> Vec<Effect> {
    if t.source != TicketSource::Pagerduty {
        notify(
            model,
            Level::Warning,
            format!(
                "{}: only PagerDuty incidents are acknowledged or resolved",
                t.key
            ),
        );
        return vec![Effect::Render];
    }
    let status = if action == Action::Resolve {
        IncidentStatus::Resolved
    } else {
        IncidentStatus::Acknowledged
    };
    if t.status == status.as_str() || t.done {
        notify(
            model,
            Level::Info,
            format!("{} is already {}", t.key, t.status),
        );
        return vec![Effect::Render];
    }
    // An incident an alert opened is one thing with its alert: acknowledging it acknowledges the
    // alert too (its short silence), under one question, as `a` on the alert does.
    if status == IncidentStatus::Acknowledged
        && let Some(fingerprint) = t.incident_key.as_deref()
        && let Some(effects) = super::alerts::acknowledge_unsilenced(model, fingerprint)
    {
        return effects;
    }
    let (command, title) = Command::set_incident(t, status);
    let effect = Effect::Work(command);
    let mut lines = vec![
        format!("{}: {}", t.key, t.title),
        format!(
            "now {}, held by {}",
            t.status,
            t.assignee.as_deref().unwrap_or("nobody")
        ),
    ];
    lines.push(format!(
        "PagerDuty records it as done by you; {}",
        if status == IncidentStatus::Acknowledged {
            "escalation stops for now"
        } else {
            "the incident closes"
        }
    ));
    confirm(model, title, lines, effect)
}

fn transition(model: &mut Model) -> Vec<Effect> {
    let Some(d) = model.work.detail.as_ref() else {
        notify(model, Level::Warning, "open a Jira ticket first (enter)");
        return vec![Effect::Render];
    };
    let Some((id, to)) = d.transitions.get(d.chosen).cloned() else {
        let why = if d.loaded {
            "this ticket has no transition"
        } else {
            "still loading the ticket's transitions"
        };
        notify(model, Level::Warning, why);
        return vec![Effect::Render];
    };
    let Some(t) = target(model) else {
        return vec![];
    };
    confirm(
        model,
        format!("Move {} to {to}", t.key),
        vec![
            format!("{}: {}", t.key, t.title),
            format!("from {} to {to}", t.status),
        ],
        Effect::Work(Command::Transition {
            key: t.id.clone(),
            transition: id,
            to,
        }),
    )
}

/// What a comment is called where it goes: Jira's and GitHub's comments, PagerDuty's notes.
fn comment_label(t: &Ticket) -> String {
    match t.source {
        TicketSource::Pagerduty => format!("Add a note to PagerDuty incident {}", t.key),
        TicketSource::Github => format!("Comment on GitHub issue {}", t.key),
        TicketSource::Jira => format!("Comment on {}", t.key),
    }
}

/// `c` in an open Jira ticket, GitHub issue or PagerDuty incident: opens the one-line input (refused at once
/// under `--read-only`, before anything is typed).
fn start_comment(model: &mut Model) -> Vec<Effect> {
    let Some(t) = model.work.detail.as_ref().and_then(|_| target(model)) else {
        notify(model, Level::Warning, "open a ticket first (enter)");
        return vec![Effect::Render];
    };
    if refused_read_only(model, &comment_label(&t)) {
        return vec![Effect::Render];
    }
    if let Some(d) = model.work.detail.as_mut() {
        d.compose = Some(TextInput::default());
    }
    vec![Effect::Render]
}

/// Keys while a comment is being written: `enter` asks to send it, `esc` drops it, the rest
/// edit it. `None` when no comment is open.
pub(crate) fn on_key(model: &mut Model, key: &Key) -> Option<Vec<Effect>> {
    let input = InputKey::read(&model.keymap, key);
    let compose = model.work.detail.as_mut()?.compose.as_mut()?;
    match input {
        Some(InputKey::Cancel) => {
            if let Some(d) = model.work.detail.as_mut() {
                d.compose = None;
            }
            Some(vec![Effect::Render])
        }
        Some(InputKey::Accept) => {
            let body = compose.text().trim().to_string();
            if body.is_empty() {
                notify(
                    model,
                    Level::Warning,
                    "nothing to send: type the comment first",
                );
                return Some(vec![Effect::Render]);
            }
            let t = target(model)?;
            if let Some(d) = model.work.detail.as_mut() {
                d.compose = None;
            }
            let label = comment_label(&t);
            let shown: String = body.chars().take(200).collect();
            Some(confirm(
                model,
                label.clone(),
                vec![format!("{}: {}", t.key, t.title), format!("“{shown}”")],
                Effect::Work(Command::Comment {
                    source: t.source,
                    id: t.id.clone(),
                    label,
                    body,
                }),
            ))
        }
        Some(InputKey::Edit(edit)) => {
            compose.apply(edit);
            Some(vec![Effect::Render])
        }
        // While a comment is written the field has the keyboard: no other key acts.
        Some(InputKey::Next | InputKey::Prev) | None => Some(vec![]),
    }
}

/// Pasted text goes into an open comment.
pub(crate) fn on_paste(model: &mut Model, text: &str) -> bool {
    let Some(compose) = model.work.detail.as_mut().and_then(|d| d.compose.as_mut()) else {
        return false;
    };
    compose.apply(Edit::Paste(text.to_string()));
    true
}

/// Which ticket sources the screen shows now: the Work screen and a service's screen show all
/// of them, the Overview (its on-call column) and the Alerts screen (an alert's incident) only
/// PagerDuty's. Told to the providers when it changes, so what is not visible is only swept
/// slowly.
pub fn watch(model: &mut Model) -> Option<Effect> {
    let any = model.sources.iter().any(|s| {
        matches!(s.id.kind, SourceKind::Jira | SourceKind::Pagerduty)
            || (s.id.kind == SourceKind::Github && s.id.name == GITHUB_ISSUES)
    });
    if !any {
        return None;
    }
    let visible: Vec<TicketSource> = match model.screen {
        Screen::Work => TicketSource::ALL.to_vec(),
        Screen::Overview if model.catalog.overview.page.is_some() => TicketSource::ALL.to_vec(),
        Screen::Overview | Screen::Alerts => vec![TicketSource::Pagerduty],
        _ => vec![],
    };
    if model.work.visible.as_ref() == Some(&visible) {
        return None;
    }
    model.work.visible = Some(visible.clone());
    Some(Effect::Work(Command::Visible(visible)))
}

/// The name of the GitHub Issues source (kind `github`), beside the CI source `github`.
pub const GITHUB_ISSUES: &str = "issues";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::KeyCode;
    use crate::keymap::Keymap;
    use crate::model::catalog::Entity;
    use chrono::{DateTime, Utc};

    fn ticket(source: TicketSource, key: &str, rank: u8, project: Option<&str>) -> Ticket {
        Ticket {
            source,
            key: key.into(),
            id: key.into(),
            title: format!("title of {key}"),
            status: "triggered".into(),
            done: false,
            rank,
            priority: String::new(),
            kind: if source == TicketSource::Pagerduty {
                "incident"
            } else {
                "Bug"
            }
            .into(),
            assignee: Some("Lucia Garcia".into()),
            mine: false,
            project: project.map(str::to_string),
            components: vec!["payments-api".into()],
            pagerduty_service: Some("PSVC".into()),
            repo: None,
            labels: vec![],
            sprint: None,
            created: DateTime::<Utc>::UNIX_EPOCH,
            updated: DateTime::<Utc>::UNIX_EPOCH,
            url: None,
            incident_key: Some("fp1".into()),
        }
    }

    fn model() -> Model {
        let keymap = Keymap::defaults();
        let mut m = Model::new(keymap, DateTime::<Utc>::UNIX_EPOCH);
        m.screen = Screen::Work;
        m
    }

    #[test]
    fn tickets_group_by_urgency_and_acknowledging_asks_first() {
        let mut m = model();
        update(
            &mut m,
            Msg::Tickets {
                source: TicketSource::Jira,
                at: DateTime::<Utc>::UNIX_EPOCH,
                tickets: vec![ticket(TicketSource::Jira, "PAY-2", 3, Some("PAY"))],
            },
        );
        update(
            &mut m,
            Msg::Tickets {
                source: TicketSource::Pagerduty,
                at: DateTime::<Utc>::UNIX_EPOCH,
                tickets: vec![ticket(TicketSource::Pagerduty, "#1004", 0, None)],
            },
        );
        // No catalog: both under the no-service heading, the page first.
        assert_eq!(m.work.rows.len(), 3);
        assert_eq!(
            selected(&m)
                .and_then(|r| m.work.ticket(r))
                .map(|t| t.key.as_str()),
            Some("#1004")
        );
        assert!(m.work.incident_for("fp1").is_some());
        let effects = on_action(&mut m, Action::Acknowledge).expect("handled");
        assert_eq!(effects, vec![Effect::Render]);
        let Some(crate::model::Overlay::Confirm(c)) = &m.overlay else {
            panic!("a confirmation");
        };
        assert!(matches!(
            *c.on_yes,
            Effect::Work(Command::SetIncident { .. })
        ));
        m.overlay = None;
        m.read_only = true;
        on_action(&mut m, Action::Acknowledge);
        assert!(m.overlay.is_none(), "refused under --read-only");
    }

    #[test]
    fn the_open_detail_follows_its_ticket_when_a_poll_reorders_the_list() {
        let mut m = model();
        let tickets = |keys: &[&str]| Msg::Tickets {
            source: TicketSource::Jira,
            at: DateTime::<Utc>::UNIX_EPOCH,
            tickets: keys
                .iter()
                .map(|k| ticket(TicketSource::Jira, k, 3, Some("PAY")))
                .collect(),
        };
        update(&mut m, tickets(&["PAY-1", "PAY-2"]));
        let at = m
            .work
            .rows
            .iter()
            .position(|r| {
                matches!(r, Row::Ticket(r) if m.work.ticket(*r).is_some_and(|t| t.id == "PAY-2"))
            })
            .expect("PAY-2 is listed");
        m.list_mut(Screen::Work).cursor.selected = at;
        on_action(&mut m, Action::Open);
        let key = |m: &Model| m.work.detail_ticket().map(|(_, t)| t.key.clone());
        assert_eq!(key(&m), Some("PAY-2".into()));
        // The next poll lists it first, with a new ticket before the old first one.
        update(&mut m, tickets(&["PAY-2", "PAY-3", "PAY-1"]));
        assert_eq!(key(&m), Some("PAY-2".into()));
        assert_eq!(
            m.work.detail.as_ref().and_then(|d| d.at).map(|r| r.index),
            Some(0),
            "the place was found again at the rebuild"
        );
        // Gone from the list: the detail stays open, with no ticket behind it.
        update(&mut m, tickets(&["PAY-1"]));
        assert_eq!(key(&m), None);
        assert!(m.work.detail.is_some());
    }

    #[test]
    fn a_detail_that_fails_says_why_and_r_asks_again() {
        let mut m = model();
        update(
            &mut m,
            Msg::Tickets {
                source: TicketSource::Jira,
                at: DateTime::<Utc>::UNIX_EPOCH,
                tickets: vec![ticket(TicketSource::Jira, "PAY-2", 3, Some("PAY"))],
            },
        );
        on_action(&mut m, Action::Open);
        // Not before it failed: `r` is the screen's refresh then.
        assert_eq!(on_action(&mut m, Action::Refresh), None);
        let failed = |id: &str| Msg::DetailFailed {
            source: TicketSource::Jira,
            id: id.into(),
            error: "jira issue: HTTP 502".into(),
        };
        // Another ticket's failure is not this one's.
        update(&mut m, failed("PAY-9"));
        assert!(m.work.detail.as_ref().is_some_and(|d| d.failed.is_none()));
        update(&mut m, failed("PAY-2"));
        assert!(m.work.detail.as_ref().is_some_and(|d| d.failed.is_some()));
        assert_eq!(
            on_action(&mut m, Action::Refresh),
            Some(vec![
                Effect::Work(Command::Open {
                    source: TicketSource::Jira,
                    id: "PAY-2".into()
                }),
                Effect::Render
            ])
        );
        assert!(
            m.work.detail.as_ref().is_some_and(|d| d.failed.is_none()),
            "loading again"
        );
    }

    #[test]
    fn a_comment_is_typed_in_the_detail_and_sent_only_after_yes() {
        let mut m = model();
        update(
            &mut m,
            Msg::Tickets {
                source: TicketSource::Jira,
                at: DateTime::<Utc>::UNIX_EPOCH,
                tickets: vec![ticket(TicketSource::Jira, "PAY-2", 3, Some("PAY"))],
            },
        );
        // Not before a ticket is open.
        on_action(&mut m, Action::Comment);
        assert!(m.work.detail.is_none());
        on_action(&mut m, Action::Open);
        on_action(&mut m, Action::Comment);
        for c in "on it".chars() {
            assert!(on_key(&mut m, &Key::new(KeyCode::Char(c))).is_some());
        }
        assert!(on_paste(&mut m, " now"));
        on_key(&mut m, &Key::new(KeyCode::Enter));
        let Some(crate::model::Overlay::Confirm(c)) = &m.overlay else {
            panic!("a confirmation");
        };
        assert_eq!(
            *c.on_yes,
            Effect::Work(Command::Comment {
                source: TicketSource::Jira,
                id: "PAY-2".into(),
                label: "Comment on PAY-2".into(),
                body: "on it now".into(),
            })
        );
        assert!(m.work.detail.as_ref().is_some_and(|d| d.compose.is_none()));
        // Under --read-only the input never opens.
        m.overlay = None;
        m.read_only = true;
        on_action(&mut m, Action::Comment);
        assert!(m.work.detail.as_ref().is_some_and(|d| d.compose.is_none()));
        assert!(on_key(&mut m, &Key::new(KeyCode::Char('x'))).is_none());
    }

    #[test]
    fn a_github_issue_takes_a_comment_through_the_same_question() {
        let mut m = model();
        let mut issue = ticket(TicketSource::Github, "payments-api#3", 2, None);
        issue.id = "acme/payments-api#3".into();
        update(
            &mut m,
            Msg::Tickets {
                source: TicketSource::Github,
                at: DateTime::<Utc>::UNIX_EPOCH,
                tickets: vec![issue],
            },
        );
        on_action(&mut m, Action::Open);
        on_action(&mut m, Action::Comment);
        assert!(
            m.work.detail.as_ref().is_some_and(|d| d.compose.is_some()),
            "the comment field opens on a GitHub issue"
        );
        assert!(on_paste(&mut m, "Reproduced on staging."));
        on_key(&mut m, &Key::new(KeyCode::Enter));
        let Some(crate::model::Overlay::Confirm(c)) = &m.overlay else {
            panic!("a confirmation");
        };
        assert_eq!(
            *c.on_yes,
            Effect::Work(Command::Comment {
                source: TicketSource::Github,
                id: "acme/payments-api#3".into(),
                label: "Comment on GitHub issue payments-api#3".into(),
                body: "Reproduced on staging.".into(),
            })
        );
        m.overlay = None;
        m.read_only = true;
        on_action(&mut m, Action::Comment);
        assert!(
            m.work.detail.as_ref().is_some_and(|d| d.compose.is_none()),
            "refused under --read-only before anything is typed"
        );
    }

    #[test]
    fn the_pollers_learn_which_sources_are_on_screen_once_per_change() {
        use crate::model::{FetchState, SourceId, SourceStatus};
        let mut m = model();
        m.screen = Screen::Overview;
        assert_eq!(watch(&mut m), None, "no ticket source, nobody to tell");
        m.sources.push(SourceStatus::new(
            SourceId::new(SourceKind::Jira, "jira"),
            FetchState::Connecting,
        ));
        assert_eq!(
            watch(&mut m),
            Some(Effect::Work(Command::Visible(vec![
                TicketSource::Pagerduty
            ])))
        );
        assert_eq!(watch(&mut m), None, "told once");
        m.screen = Screen::Work;
        assert_eq!(
            watch(&mut m),
            Some(Effect::Work(Command::Visible(TicketSource::ALL.to_vec())))
        );
        m.screen = Screen::Docs;
        assert_eq!(watch(&mut m), Some(Effect::Work(Command::Visible(vec![]))));
    }

    #[test]
    fn filter_keeps_the_headings_of_matching_tickets() {
        let mut m = model();
        update(
            &mut m,
            Msg::Tickets {
                source: TicketSource::Jira,
                at: DateTime::<Utc>::UNIX_EPOCH,
                tickets: vec![
                    ticket(TicketSource::Jira, "PAY-2", 3, Some("PAY")),
                    ticket(TicketSource::Jira, "SHOP-9", 1, Some("SHOP")),
                ],
            },
        );
        for c in "shop".chars() {
            m.list_mut(Screen::Work)
                .filter
                .apply(crate::model::input::Edit::Insert(c));
        }
        refilter(&mut m);
        assert_eq!(m.work.rows.len(), 2);
        let _unused: Option<&Entity> = None;
    }
}
