//! `update` as a pure state machine: a model and a message in, a model and effects out.
//! No IO, no async, no clock.

use chrono::{DateTime, Duration, Utc};
use rstest::rstest;

use super::*;
use crate::keymap::{Key, KeyCode, Keymap};
use crate::message::{Effect, Msg, SourceEvent};
use crate::model::{Overlay, Screen, SourceKind, SourceStatus};

fn t0() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + Duration::days(20_000)
}

fn model() -> Model {
    let mut m = Model::new(Keymap::defaults(), t0());
    m.sources.push(SourceStatus::new(
        SourceId::new(SourceKind::Github, "github"),
        FetchState::Connecting,
    ));
    update(
        &mut m,
        Msg::Resize {
            width: 120,
            height: 40,
        },
    );
    m
}

fn key(c: char) -> Msg {
    Msg::Key(Key::char(c))
}

fn code(code: KeyCode) -> Msg {
    Msg::Key(Key {
        code,
        ctrl: false,
        alt: false,
        shift: false,
    })
}

fn run(m: &mut Model, msgs: impl IntoIterator<Item = Msg>) -> Vec<Effect> {
    msgs.into_iter().flat_map(|msg| update(m, msg)).collect()
}

#[rstest]
#[case::digit_jumps_to_screen(vec![key('4')], Screen::Alerts)]
#[case::tab_goes_to_next(vec![code(KeyCode::Tab)], Screen::Pipelines)]
#[case::backtab_wraps_around(vec![code(KeyCode::BackTab)], Screen::Delivery)]
#[case::palette_jumps_by_fuzzy_name(vec![key(':'), key('w'), key('r'), key('k'), code(KeyCode::Enter)], Screen::Workloads)]
#[case::palette_esc_stays(vec![key('3'), key(':'), key('d'), code(KeyCode::Esc)], Screen::Workloads)]
#[case::keys_in_the_filter_are_text(vec![key('/'), key('5'), code(KeyCode::Esc)], Screen::Overview)]
fn screen_navigation(#[case] msgs: Vec<Msg>, #[case] expected: Screen) {
    let mut m = model();
    run(&mut m, msgs);
    assert_eq!(m.screen, expected);
    assert!(m.overlay.is_none());
}

#[test]
fn help_opens_scrolls_within_its_lines_and_closes() {
    let mut m = model();
    update(
        &mut m,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    let scroll = |m: &Model| match m.overlay {
        Some(Overlay::Help { scroll }) => scroll,
        _ => usize::MAX,
    };
    assert_eq!(update(&mut m, key('?')), vec![Effect::Render]);
    assert_eq!(scroll(&m), 0);
    update(&mut m, key('j'));
    assert_eq!(scroll(&m), 1);
    update(&mut m, key('G'));
    let last = scroll(&m);
    assert!(last > 1, "{last}");
    // At the end, a page down does nothing, and k moves at once.
    assert_eq!(update(&mut m, code(KeyCode::PageDown)), vec![]);
    update(&mut m, key('k'));
    assert_eq!(scroll(&m), last - 1);
    // A page is ten lines: as many pages as it takes, and no more, bring it back to the top.
    for _ in 0..(last - 1).div_ceil(10) {
        update(&mut m, code(KeyCode::PageUp));
    }
    assert_eq!(scroll(&m), 0);
    update(&mut m, code(KeyCode::Esc));
    assert!(m.overlay.is_none());
}

fn typed(text: &str) -> Vec<Msg> {
    text.chars().map(key).collect()
}

/// The runner carries out effects in order and saves nothing on its own: one save, then quit.
#[rstest]
#[case::q(vec![key('q')])]
#[case::palette(vec![key(':'), Msg::Paste("quit".into()), code(KeyCode::Enter)])]
fn quitting_saves_the_snapshot_once_first(#[case] msgs: Vec<Msg>) {
    let mut m = model();
    let effects = run(&mut m, msgs);
    let kept: Vec<&Effect> = effects
        .iter()
        .filter(|e| matches!(e, Effect::SaveSnapshot | Effect::Quit))
        .collect();
    assert_eq!(kept, [&Effect::SaveSnapshot, &Effect::Quit]);
    assert!(m.quit);
}

#[rstest]
// The Overview joins every source, so it refreshes them all, as the help says.
#[case::overview(Screen::Overview, SourceKind::ALL.to_vec())]
#[case::pipelines(Screen::Pipelines, vec![SourceKind::Github, SourceKind::Gitlab])]
#[case::workloads(Screen::Workloads, vec![SourceKind::Kubernetes])]
#[case::alerts(Screen::Alerts, vec![SourceKind::Alertmanager])]
#[case::docs(Screen::Docs, vec![SourceKind::Catalog])]
fn r_refreshes_the_sources_of_the_current_screen(
    #[case] screen: Screen,
    #[case] kinds: Vec<SourceKind>,
) {
    let mut m = model();
    m.screen = screen;
    let effects = update(&mut m, key('r'));
    let refreshes: Vec<&Effect> = effects
        .iter()
        .filter(|e| matches!(e, Effect::Refresh(_)))
        .collect();
    assert_eq!(refreshes, [&Effect::Refresh(kinds)]);
    assert!(effects.contains(&Effect::Render));
}

#[test]
fn the_palette_refreshes_every_source() {
    let mut m = model();
    m.screen = Screen::Alerts;
    let mut msgs = vec![key(':')];
    msgs.extend(typed("refresh all"));
    msgs.push(code(KeyCode::Enter));
    let effects = run(&mut m, msgs);
    assert!(effects.contains(&Effect::Refresh(SourceKind::ALL.to_vec())));
    assert!(
        m.notice
            .as_ref()
            .is_some_and(|n| n.text == "refreshing every source")
    );
}

#[test]
fn q_inside_the_filter_is_a_letter_not_quit() {
    let mut m = model();
    run(&mut m, [key('/'), key('q')]);
    assert!(!m.quit);
    assert_eq!(m.list(Screen::Overview).filter.text(), "q");
    run(&mut m, [code(KeyCode::Enter)]);
    assert!(
        !m.list(Screen::Overview).filtering,
        "enter keeps the filter and leaves the input"
    );
    assert_eq!(m.list(Screen::Overview).filter.text(), "q");
    run(&mut m, [code(KeyCode::Esc)]);
    assert!(
        m.list(Screen::Overview).filter.is_empty(),
        "esc clears a kept filter"
    );
}

#[test]
fn paste_goes_into_the_open_input() {
    let mut m = model();
    run(&mut m, [key(':'), Msg::Paste("alerts\n".into())]);
    let Some(Overlay::Palette(p)) = &m.overlay else {
        panic!("the palette should be open");
    };
    assert_eq!(p.input.text(), "alerts ");
    // With nothing open, a paste does nothing.
    let mut m = model();
    assert!(update(&mut m, Msg::Paste("x".into())).is_empty());
}

#[rstest]
#[case::same_minute_is_silent(30, false)]
#[case::next_minute_redraws(90, true)]
fn ticks_redraw_only_when_something_shown_changes(#[case] secs: i64, #[case] redraw: bool) {
    let mut m = model();
    let effects = update(&mut m, Msg::Tick(t0() + Duration::seconds(secs)));
    assert_eq!(effects.contains(&Effect::Render), redraw);
    assert_eq!(m.now, t0() + Duration::seconds(secs));
}

#[test]
fn a_failing_source_keeps_its_last_fetch_time_and_first_failure() {
    let mut m = model();
    let id = SourceId::new(SourceKind::Github, "github");
    let ok_at = t0() + Duration::seconds(5);
    run(
        &mut m,
        [Msg::Source {
            id: id.clone(),
            event: SourceEvent::Ok {
                at: ok_at,
                detail: None,
            },
        }],
    );
    let fail = |s| Msg::Source {
        id: id.clone(),
        event: SourceEvent::Failed {
            error: "502 Bad Gateway".into(),
            at: t0() + Duration::seconds(s),
            retry_at: Some(t0() + Duration::seconds(s + 30)),
        },
    };
    run(&mut m, [fail(10), fail(40)]);
    let s = &m.sources[0];
    assert_eq!(s.fetched_at, Some(ok_at));
    assert!(
        matches!(&s.state, FetchState::Failing { since, .. } if *since == t0() + Duration::seconds(10))
    );
}

#[test]
fn an_unchanged_source_event_does_not_redraw() {
    let mut m = model();
    let id = SourceId::new(SourceKind::Github, "github");
    let ok = Msg::Source {
        id,
        event: SourceEvent::Ok {
            at: t0(),
            detail: None,
        },
    };
    assert_eq!(update(&mut m, ok.clone()), vec![Effect::Render]);
    assert!(update(&mut m, ok).is_empty());
}

#[test]
fn events_for_unknown_sources_are_ignored() {
    let mut m = model();
    let before = m.sources.clone();
    let effects = update(
        &mut m,
        Msg::Source {
            id: SourceId::new(SourceKind::Gitlab, "x"),
            event: SourceEvent::Connecting,
        },
    );
    assert!(effects.is_empty());
    assert_eq!(m.sources, before);
}

#[test]
fn resize_sets_the_list_height() {
    let mut m = model();
    update(
        &mut m,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    assert_eq!(m.size, (80, 24));
    assert_eq!(m.list_height, 24 - crate::model::CHROME_ROWS);
}

#[test]
fn a_failed_external_program_is_reported() {
    let mut m = model();
    let effects = update(
        &mut m,
        Msg::Resumed {
            outcome: Err("vi exited with 1".into()),
        },
    );
    assert_eq!(effects, vec![Effect::FullRedraw]);
    assert_eq!(
        m.notice.as_ref().map(|n| n.text.as_str()),
        Some("vi exited with 1")
    );
}

#[rstest]
#[case::yes_sends(KeyCode::Char('y'), true, false)]
#[case::no_cancels(KeyCode::Char('n'), false, false)]
#[case::esc_cancels(KeyCode::Esc, false, false)]
#[case::a_stray_key_keeps_asking(KeyCode::Char('j'), false, true)]
fn confirmations(#[case] answer: KeyCode, #[case] sent: bool, #[case] still_open: bool) {
    let mut m = model();
    let effects = confirm(
        &mut m,
        "Re-run failed jobs",
        vec!["acme/payments-api ci #42".into()],
        Effect::Refresh(vec![SourceKind::Github]),
    );
    assert_eq!(effects, vec![Effect::Render]);
    let effects = update(&mut m, code(answer));
    assert_eq!(
        effects.contains(&Effect::Refresh(vec![SourceKind::Github])),
        sent
    );
    assert_eq!(matches!(m.overlay, Some(Overlay::Confirm(_))), still_open);
}

#[test]
fn read_only_refuses_before_asking() {
    let mut m = model();
    m.read_only = true;
    let effects = confirm(
        &mut m,
        "Silence HighErrorRate",
        vec![],
        Effect::Refresh(vec![SourceKind::Github]),
    );
    assert_eq!(effects, vec![Effect::Render]);
    assert!(m.overlay.is_none());
    assert!(
        m.notice
            .as_ref()
            .is_some_and(|n| n.text.contains("read-only"))
    );
}

/// The demo's clock runs ten times faster than the wall: a notice timed by it went in under a
/// second. Ticks come once a wall second, whatever the clock says.
#[test]
fn a_notice_stays_five_wall_seconds_however_fast_the_clock_runs() {
    let mut m = model();
    notify(&mut m, Level::Info, "copied https://example.test/run/1");
    let tick = |m: &mut Model, n: i64| update(m, Msg::Tick(t0() + Duration::seconds(10 * n)));
    for n in 1..NOTICE_KEPT {
        tick(&mut m, i64::from(n));
        // Keys within the first seconds do not wipe it either.
        update(&mut m, key('j'));
        assert!(m.notice.is_some(), "gone after {n} ticks");
    }
    tick(&mut m, i64::from(NOTICE_KEPT));
    assert!(m.notice.is_some(), "kept until a key or its last tick");
    let effects = update(&mut m, key('j'));
    assert!(m.notice.is_none(), "the next key clears it");
    assert!(effects.contains(&Effect::Render));
}

#[test]
fn an_unread_notice_goes_by_itself() {
    let mut m = model();
    notify(
        &mut m,
        Level::Warning,
        "rerun: refused, flightdeck runs read-only",
    );
    for n in 1..NOTICE_GONE {
        update(&mut m, Msg::Tick(t0() + Duration::seconds(i64::from(n))));
        assert!(m.notice.is_some(), "gone after {n} ticks");
    }
    let effects = update(&mut m, Msg::Tick(t0() + Duration::seconds(60)));
    assert!(m.notice.is_none());
    assert!(effects.contains(&Effect::Render), "its going is drawn");
}
