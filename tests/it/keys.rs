//! The keymap is the whole truth: on every screen and view, each key `?` shows does something,
//! and a key the keymap does not bind there does nothing, so no screen answers a hard-coded key
//! that help cannot show and a remap cannot move.

use std::collections::BTreeMap;

use flightdeck_core::keymap::{Action, Key, KeyCode, Keymap, Layer};
use flightdeck_core::message::{Effect, Msg};
use flightdeck_core::model::{Model, Screen};
use flightdeck_core::update::docs::open_runbook;
use flightdeck_core::update::{layers, update};

use crate::{ui_alerts, ui_docs, ui_overview, ui_pipelines, ui_workloads};

fn press(m: &mut Model, key: Key) -> Vec<Effect> {
    update(m, Msg::Key(key))
}

/// One populated model per keymap layer stack, each checked to be in the view it names.
fn contexts() -> Vec<(&'static [Layer], Model)> {
    let mut out: Vec<(&'static [Layer], Model)> = Vec::new();
    out.push((&[Layer::Overview], ui_overview::model()));
    let mut p = ui_pipelines::model();
    p.screen = Screen::Pipelines;
    out.push((&[Layer::Pipelines], p));
    let w = ui_workloads::model();
    out.push((&[Layer::Workloads], w.clone()));
    let mut events = w.clone();
    press(&mut events, Key::char('E'));
    out.push((&[Layer::Events], events));
    let mut describe = w.clone();
    press(&mut describe, Key::new(KeyCode::Enter));
    out.push((&[Layer::Describe], describe));
    let mut revisions = w.clone();
    press(&mut revisions, Key::char('u'));
    out.push((&[Layer::Revisions], revisions));
    let mut forwards = w;
    press(&mut forwards, Key::char('f'));
    out.push((&[Layer::Forwards], forwards));
    out.push((&[Layer::Logs], ui_workloads::logs_model()));
    let a = ui_alerts::model();
    out.push((&[Layer::Alerts], a.clone()));
    let mut silences = a;
    press(&mut silences, Key::char('S'));
    out.push((&[Layer::Silences], silences));
    let mut docs = ui_docs::docs_model();
    docs.screen = Screen::Docs;
    out.push((&[Layer::Docs], docs.clone()));
    let mut page = docs;
    open_runbook(
        &mut page,
        "component:default/payments-api",
        "runbooks/crash-looping.md",
    )
    .expect("the runbook opens");
    out.push((&[Layer::DocsPage, Layer::Docs], page));
    let mut onboarding = ui_docs::onboarding_model();
    onboarding.screen = Screen::Onboarding;
    out.push((&[Layer::Onboarding], onboarding));
    for (expected, m) in &mut out {
        assert_eq!(
            layers(m),
            *expected,
            "the fixture is not in the view it names"
        );
        // Settle what any first message does (the CI providers learn the screen).
        update(m, Msg::Tick(m.now));
    }
    out
}

/// Printable ASCII, the named keys and ctrl- or alt- with a letter: what a user can press.
fn candidate_keys() -> Vec<Key> {
    let mut keys: Vec<Key> = (' '..='~').map(Key::char).collect();
    keys.extend(
        [
            KeyCode::Enter,
            KeyCode::Esc,
            KeyCode::Tab,
            KeyCode::BackTab,
            KeyCode::Backspace,
            KeyCode::Delete,
            KeyCode::Insert,
            KeyCode::Up,
            KeyCode::Down,
            KeyCode::Left,
            KeyCode::Right,
            KeyCode::Home,
            KeyCode::End,
            KeyCode::PageUp,
            KeyCode::PageDown,
            KeyCode::F(1),
            KeyCode::F(5),
        ]
        .map(Key::new),
    );
    for c in 'a'..='z' {
        keys.push(Key::ctrl(c));
        keys.push(Key {
            alt: true,
            ..Key::char(c)
        });
    }
    for code in [KeyCode::Left, KeyCode::Right] {
        keys.push(Key {
            alt: true,
            ..Key::new(code)
        });
    }
    keys
}

#[test]
fn a_key_the_keymap_does_not_bind_on_a_screen_does_nothing_there() {
    let keymap = Keymap::defaults();
    let mut answered = Vec::new();
    for (stack, m) in contexts() {
        for key in candidate_keys() {
            if keymap.action_in(stack, &key).is_some() {
                continue;
            }
            let mut pressed = m.clone();
            let effects = press(&mut pressed, key);
            if !effects.is_empty() || format!("{pressed:?}") != format!("{m:?}") {
                answered.push(format!("{stack:?} {key}: {effects:?}"));
            }
        }
    }
    assert!(
        answered.is_empty(),
        "keys answered without a keymap binding:\n{}",
        answered.join("\n")
    );
}

/// Actions that do nothing in a fixture's state, and why: everything else `?` shows must act.
fn idle_here(stack: &[Layer], action: Action) -> bool {
    use Action as A;
    match action {
        // Already at the top, or nothing to go back from or clear.
        A::Up | A::PageUp | A::Top | A::Back => true,
        // No search typed yet: there is no next match.
        A::FindNext | A::FindPrev => true,
        // Already on that screen.
        a if a.is_screen_jump() => true,
        _ => match stack.first() {
            // The runbook fits in the view, and no page was read before or after it.
            Some(Layer::DocsPage) => matches!(
                action,
                A::PageBack | A::PageForward | A::Down | A::PageDown | A::Bottom
            ),
            // The fixture's runs carry no URL. (Saying so is left to the item actions' work.)
            Some(Layer::Pipelines) => matches!(action, A::Copy | A::OpenUrl),
            // The fixture's first row is a heading, not a step to tick.
            Some(Layer::Onboarding) => action == A::ToggleStep,
            _ => false,
        },
    }
}

#[test]
fn every_key_help_shows_on_a_screen_triggers_its_action_there() {
    let mut dead = Vec::new();
    for (stack, m) in contexts() {
        for (layer, actions) in m.keymap.help_for(stack) {
            // A field's keys act only while one has the keyboard; the test below opens one.
            if layer == Layer::Input {
                continue;
            }
            for (action, keys) in actions {
                for key in keys {
                    let mut pressed = m.clone();
                    let effects = press(&mut pressed, key);
                    let acted = !effects.is_empty() || format!("{pressed:?}") != format!("{m:?}");
                    // The same action moved to a key no default uses must act the same way:
                    // the key reaches the action, not a hard-coded match on the character.
                    let moved = Keymap::with_overrides(&BTreeMap::from([(
                        action.name().to_string(),
                        vec!["f20".to_string()],
                    )]))
                    .expect("f20 is free");
                    let mut remapped = m.clone();
                    remapped.keymap = moved;
                    let via_remap = press(&mut remapped, Key::new(KeyCode::F(20)));
                    if via_remap != effects {
                        dead.push(format!(
                            "{stack:?} {key} ({action}) acts apart from its action: {effects:?} vs {via_remap:?}"
                        ));
                    }
                    let mut old = m.clone();
                    old.keymap = remapped.keymap.clone();
                    let old_effects = press(&mut old, key);
                    if !old_effects.is_empty() && old.keymap.action_in(stack, &key).is_none() {
                        dead.push(format!("{stack:?} {key} still acts after {action} moved"));
                    }
                    if !acted && !idle_here(stack, action) {
                        dead.push(format!("{stack:?} {key} ({action}) does nothing"));
                    }
                }
            }
        }
    }
    assert!(dead.is_empty(), "{}", dead.join("\n"));
}

#[test]
fn every_key_of_a_field_acts_in_the_filter_and_moves_with_its_action() {
    let (_, overview) = contexts()
        .into_iter()
        .find(|(s, _)| *s == [Layer::Overview])
        .expect("the overview fixture");
    let mut typing = overview;
    press(&mut typing, Key::char('/'));
    for c in "pay ap".chars() {
        press(&mut typing, Key::char(c));
    }
    // The cursor in the middle, so moves both ways and deletes both ways change something.
    press(&mut typing, Key::new(KeyCode::Left));
    let help = typing.keymap.help_for(&[Layer::Overview]);
    let (_, fields) = help
        .iter()
        .find(|(layer, _)| *layer == Layer::Input)
        .expect("help lists a field's keys");
    let mut dead = Vec::new();
    for (action, keys) in fields {
        for key in keys {
            let mut pressed = typing.clone();
            let effects = press(&mut pressed, *key);
            let acted = format!("{pressed:?}") != format!("{typing:?}");
            // Next and previous move between fields; the filter has one.
            if !acted && !matches!(action, Action::InputNext | Action::InputPrev) {
                dead.push(format!("{key} ({action}) does nothing in the filter"));
            }
            let mut remapped = typing.clone();
            remapped.keymap = Keymap::with_overrides(&BTreeMap::from([(
                action.name().to_string(),
                vec!["f20".to_string()],
            )]))
            .expect("f20 is free");
            let via_remap = press(&mut remapped, Key::new(KeyCode::F(20)));
            let field = |m: &Model| {
                let list = m.list(Screen::Overview);
                (list.filtering, list.filter.clone())
            };
            if via_remap != effects || field(&remapped) != field(&pressed) {
                dead.push(format!("{key} ({action}) acts apart from its action"));
            }
        }
    }
    assert!(dead.is_empty(), "{}", dead.join("\n"));
}

#[test]
fn a_remapped_delete_pod_no_longer_deletes_on_its_old_key() {
    let (_, mut m) = contexts()
        .into_iter()
        .find(|(s, _)| *s == [Layer::Workloads])
        .expect("the workloads fixture");
    m.keymap = Keymap::with_overrides(&BTreeMap::from([(
        "delete-pod".to_string(),
        vec!["ctrl-x".to_string()],
    )]))
    .expect("ctrl-x is free");
    assert!(press(&mut m.clone(), Key::char('D')).is_empty());
    assert!(m.overlay.is_none());
}
