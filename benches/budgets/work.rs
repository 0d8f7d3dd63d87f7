//! The Work screen's `view` with 5,000 tickets at 200x60: budget under 1 ms. The tickets arrive
//! as one Jira poll and one PagerDuty poll, go through `update` (join, group, sort), and then
//! only the visible rows are drawn; also the rebuild itself, which runs once per poll.

use std::hint::black_box;

use chrono::{DateTime, Duration, Utc};
use criterion::{Criterion, criterion_group};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use flightdeck::config::theme::{ColorSupport, load_theme};
use flightdeck_core::keymap::Keymap;
use flightdeck_core::message::Msg;
use flightdeck_core::message::work::Msg as WorkMsg;
use flightdeck_core::model::work::{Ticket, TicketSource};
use flightdeck_core::model::{Model, Screen};
use flightdeck_core::update::update;

const TICKETS: usize = 5_000;

fn tickets(source: TicketSource, n: usize, now: DateTime<Utc>) -> Vec<Ticket> {
    (0..n)
        .map(|i| Ticket {
            source,
            key: format!("PRJ{}-{i}", i % 40),
            id: format!("{}-{i}", source.label()),
            title: format!(
                "Ticket number {i} about something that broke in service {}",
                i % 40
            ),
            status: ["To Do", "In Progress", "In Review", "triggered"][i % 4].into(),
            done: false,
            rank: (i % 6) as u8,
            priority: ["Highest", "High", "Medium", "Low", "Lowest", ""][i % 6].into(),
            kind: ["Bug", "Task", "Story"][i % 3].into(),
            assignee: Some(format!("Person {}", i % 25)),
            mine: i % 3 == 0,
            project: Some(format!("PRJ{}", i % 40)),
            components: vec![],
            pagerduty_service: Some(format!("P{}", i % 40)),
            repo: None,
            labels: vec!["bug".into()],
            sprint: None,
            created: now - Duration::minutes(i as i64),
            updated: now,
            url: None,
            incident_key: None,
        })
        .collect()
}

fn model() -> Model {
    let now = DateTime::parse_from_rfc3339("2026-03-02T09:30:00Z")
        .expect("a fixed time")
        .with_timezone(&Utc);
    let mut m = Model::new(Keymap::defaults(), now);
    m.screen = Screen::Work;
    update(
        &mut m,
        Msg::Resize {
            width: 200,
            height: 60,
        },
    );
    for (source, n) in [
        (TicketSource::Jira, TICKETS - 200),
        (TicketSource::Pagerduty, 200),
    ] {
        update(
            &mut m,
            Msg::Work(WorkMsg::Tickets {
                source,
                at: now,
                tickets: tickets(source, n, now),
            }),
        );
    }
    m
}

fn bench(c: &mut Criterion) {
    let theme = load_theme("dark", ColorSupport::TrueColor).expect("dark loads");
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).expect("a test terminal");
    let m = model();
    assert_eq!(
        m.work
            .rows
            .iter()
            .filter(|r| matches!(r, flightdeck_core::model::work::Row::Ticket(_)))
            .count(),
        TICKETS
    );
    c.bench_function("work view 5000 tickets 200x60", |b| {
        b.iter(|| {
            terminal
                .draw(|f| flightdeck::ui::view(black_box(&m), &theme, f))
                .expect("draws");
        })
    });
    let mut m = model();
    c.bench_function("work rebuild 5000 tickets", |b| {
        b.iter(|| flightdeck_core::update::work::rejoin(black_box(&mut m)))
    });
}

criterion_group!(work, bench);
