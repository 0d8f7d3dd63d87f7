//! Keys and actions as data: every binding is looked up here, so remapping in the config and
//! the generated help screen can never disagree with what a key really does. The key type is
//! our own (no crossterm), so the keymap and `update` stay free of terminal types.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use crate::suggest::suggest;

/// The compiled-in defaults; the single source for the defaults, the help and the docs.
pub const DEFAULT_KEYMAP_TOML: &str = include_str!("keymap-default.toml");

/// What a user writes in the config, for error messages.
pub const KEY_FORMS: &str = "a character (`q`, `G`, `?`, `1`), `space`, or a named key \
(`enter`, `esc`, `tab`, `backspace`, `delete`, `insert`, `up`, `down`, `left`, `right`, `home`, \
`end`, `pgup`, `pgdn`, `f1`..`f24`), optionally prefixed with `ctrl-`, `alt-` or `shift-`";

/// A key without its modifiers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyCode {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    Insert,
    F(u8),
}

/// A key press as the keymap sees it. An upper-case letter is `Char('G')` without `shift`;
/// [`Key::normalized`] folds the shapes terminals report into this one form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
    pub alt: bool,
    pub shift: bool,
}

impl Key {
    pub const fn new(code: KeyCode) -> Self {
        Key {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    /// A plain character, e.g. `Key::char('q')`.
    pub const fn char(c: char) -> Self {
        Key::new(KeyCode::Char(c))
    }

    /// A character with Ctrl held, e.g. `Key::ctrl('c')`.
    pub const fn ctrl(c: char) -> Self {
        Key {
            code: KeyCode::Char(c),
            ctrl: true,
            alt: false,
            shift: false,
        }
    }

    /// Folds equivalent reports into one form, so a binding matches however the terminal sent
    /// it: a character already carries its shift (`?` arrives with SHIFT on most terminals),
    /// shift-tab is `BackTab`, and Ctrl with an upper-case letter is indistinguishable from Ctrl
    /// with the lower-case one on a legacy terminal.
    pub fn normalized(self) -> Key {
        let mut key = self;
        match key.code {
            KeyCode::Char(c) => {
                if key.shift && c.is_ascii_lowercase() && !key.ctrl {
                    key.code = KeyCode::Char(c.to_ascii_uppercase());
                }
                if key.ctrl && c.is_ascii_uppercase() {
                    key.code = KeyCode::Char(c.to_ascii_lowercase());
                }
                key.shift = false;
            }
            KeyCode::Tab if key.shift => {
                key.code = KeyCode::BackTab;
                key.shift = false;
            }
            KeyCode::BackTab => key.shift = false,
            _ => {}
        }
        key
    }
}

/// Why a key string could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeyParseError {
    #[error("empty key")]
    Empty,
    #[error("unknown key `{0}`; expected {KEY_FORMS}")]
    Unknown(String),
    #[error(
        "`shift-` applies to letters and named keys only; write the character itself (`?`, not `shift-/`)"
    )]
    ShiftOnSymbol,
}

const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("bs", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("ins", KeyCode::Insert),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pageup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("pagedown", KeyCode::PageDown),
    ("space", KeyCode::Char(' ')),
];

impl FromStr for Key {
    type Err = KeyParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(KeyParseError::Empty);
        }
        let mut key = Key::new(KeyCode::Char(' '));
        let mut rest = s;
        // A single character is always itself, so `-` alone and `ctrl--` both work.
        while rest.chars().count() > 1 {
            let lower = rest.to_ascii_lowercase();
            let modifier = [
                "ctrl-", "control-", "c-", "alt-", "meta-", "m-", "a-", "shift-", "s-",
            ]
            .into_iter()
            .find(|p| lower.starts_with(p) && lower.len() > p.len());
            let Some(prefix) = modifier else { break };
            match prefix {
                "ctrl-" | "control-" | "c-" => key.ctrl = true,
                "shift-" | "s-" => key.shift = true,
                _ => key.alt = true,
            }
            rest = &rest[prefix.len()..];
        }
        let mut chars = rest.chars();
        key.code = match (chars.next(), chars.next()) {
            (Some(c), None) => {
                if key.shift && !c.is_ascii_alphabetic() {
                    return Err(KeyParseError::ShiftOnSymbol);
                }
                KeyCode::Char(c)
            }
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some((_, code)) = NAMED.iter().find(|(name, _)| *name == lower) {
                    *code
                } else if let Some(n) = lower
                    .strip_prefix('f')
                    .and_then(|n| n.parse::<u8>().ok())
                    .filter(|n| (1..=24).contains(n))
                {
                    KeyCode::F(n)
                } else {
                    return Err(KeyParseError::Unknown(s.to_string()));
                }
            }
        };
        Ok(key.normalized())
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.normalized();
        if key.ctrl {
            f.write_str("ctrl-")?;
        }
        if key.alt {
            f.write_str("alt-")?;
        }
        if key.shift {
            f.write_str("shift-")?;
        }
        match key.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::BackTab => f.write_str("shift-tab"),
            KeyCode::Backspace => f.write_str("backspace"),
            KeyCode::Delete => f.write_str("delete"),
            KeyCode::Insert => f.write_str("insert"),
            KeyCode::Up => f.write_str("up"),
            KeyCode::Down => f.write_str("down"),
            KeyCode::Left => f.write_str("left"),
            KeyCode::Right => f.write_str("right"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::F(n) => write!(f, "f{n}"),
        }
    }
}

macro_rules! actions {
    ($($variant:ident => $name:literal, $group:literal, $description:literal;)*) => {
        /// Everything a key can do. The name is what the config and the help use.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Action {
            $($variant,)*
        }

        impl Action {
            /// Every action, in declaration order.
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            /// The kebab-case name used in the config's `[keys]` table and in the help.
            pub fn name(self) -> &'static str {
                match self {
                    $(Action::$variant => $name,)*
                }
            }

            /// One line for the help screen and the docs.
            pub fn description(self) -> &'static str {
                match self {
                    $(Action::$variant => $description,)*
                }
            }

            /// The help screen's section, one of [`Action::GROUPS`].
            pub fn group(self) -> &'static str {
                match self {
                    $(Action::$variant => $group,)*
                }
            }
        }
    };
}

actions! {
    Quit => "quit", "global", "Quit flightdeck";
    Help => "help", "global", "Show the keys of the current keymap";
    Palette => "palette", "global", "Open the command palette (fuzzy jump to screens and items)";
    Filter => "filter", "lists", "Filter the current list in place";
    Open => "open", "navigation", "Open the selected item";
    Back => "back", "navigation", "Go back; clear the filter or close the popup";
    NextPanel => "next-panel", "navigation", "Focus the next panel";
    PrevPanel => "prev-panel", "navigation", "Focus the previous panel";
    Down => "down", "navigation", "Move down";
    Up => "up", "navigation", "Move up";
    PageDown => "page-down", "navigation", "Move down a page";
    PageUp => "page-up", "navigation", "Move up a page";
    Top => "top", "navigation", "Go to the first item";
    Bottom => "bottom", "navigation", "Go to the last item";
    Refresh => "refresh", "global", "Refresh the data of the current screen now";
    Redraw => "redraw", "global", "Redraw the whole terminal";
    Logs => "logs", "actions", "Show logs of the selected pod, job or run";
    Describe => "describe", "actions", "Show every field of the selected item";
    Events => "events", "actions", "Show events of the selected workload";
    Silence => "silence", "actions", "Silence the selected alert";
    Acknowledge => "acknowledge", "actions", "Acknowledge the selected alert";
    RerunFailed => "rerun-failed", "actions", "Re-run the failed jobs of the selected run";
    Rerun => "rerun", "actions", "Re-run the whole selected run";
    Cancel => "cancel", "actions", "Cancel the selected run";
    Copy => "copy", "actions", "Copy the selected item (OSC 52, works over SSH)";
    OpenUrl => "open-url", "actions", "Open the selected item's URL, or show it to copy";
    Edit => "edit", "actions", "Open the selected item in $EDITOR or $PAGER";
    ToggleGroup => "toggle-group", "lists", "Group the list by system or owner, or ungroup";
    ToggleMine => "toggle-mine", "lists", "Show only what is mine, or everything";
    ToggleMuted => "toggle-muted", "lists", "Show or hide silenced and inhibited items";
    ScreenOverview => "screen-overview", "screens", "Go to the Overview screen";
    ScreenPipelines => "screen-pipelines", "screens", "Go to the Pipelines screen";
    ScreenWorkloads => "screen-workloads", "screens", "Go to the Workloads screen";
    ScreenAlerts => "screen-alerts", "screens", "Go to the Alerts screen";
    ScreenDocs => "screen-docs", "screens", "Go to the Docs screen";
    ScreenOnboarding => "screen-onboarding", "screens", "Go to the Onboarding screen";
}

impl Action {
    /// The help screen's sections, in the order it shows them.
    pub const GROUPS: &'static [&'static str] =
        &["global", "navigation", "lists", "actions", "screens"];

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A binding in the config that cannot be used. Carries the action and key as written, so the
/// config loader can point at them in the file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error("unknown action `{name}` in [keys]{}", did_you_mean(.suggestion))]
    UnknownAction {
        name: String,
        suggestion: Option<&'static str>,
    },
    #[error("bad key `{key}` for `{action}`: {reason}")]
    BadKey {
        action: Action,
        index: usize,
        key: String,
        reason: KeyParseError,
    },
    #[error(
        "key `{key}` is bound to both `{other}` and `{action}`{}",
        if *.other_is_default {
            format!("; `{other}` has it by default: bind `{other}` to another key too (or `{other} = []` to unbind it)")
        } else {
            String::from("; a key can trigger only one action")
        }
    )]
    Conflict {
        key: String,
        /// The overridden action whose key list holds the clash.
        action: Action,
        index: usize,
        other: Action,
        other_is_default: bool,
    },
}

fn did_you_mean(suggestion: &Option<&'static str>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean `{s}`?"),
        None => String::from("; see docs/keybindings.md for the action names"),
    }
}

/// The live key bindings: which action a key triggers and which keys an action has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keymap {
    /// Indexed by `Action as usize`.
    keys: Vec<Vec<Key>>,
    lookup: HashMap<Key, Action>,
}

impl Keymap {
    /// The compiled-in defaults.
    pub fn defaults() -> Keymap {
        static DEFAULTS: OnceLock<Keymap> = OnceLock::new();
        DEFAULTS
            .get_or_init(|| {
                let table: BTreeMap<String, Vec<String>> = toml::from_str(DEFAULT_KEYMAP_TOML)
                    .expect("the embedded default keymap is TOML; its tests check it");
                Keymap::build(&table, &Keymap::empty())
                    .expect("the embedded default keymap is valid; its tests check it")
            })
            .clone()
    }

    /// The defaults with each named action's keys replaced by the given ones (`[]` unbinds).
    pub fn with_overrides(
        overrides: &BTreeMap<String, Vec<String>>,
    ) -> Result<Keymap, KeymapError> {
        Keymap::build(overrides, &Keymap::defaults())
    }

    fn empty() -> Keymap {
        Keymap {
            keys: vec![Vec::new(); Action::ALL.len()],
            lookup: HashMap::new(),
        }
    }

    fn build(
        overrides: &BTreeMap<String, Vec<String>>,
        base: &Keymap,
    ) -> Result<Keymap, KeymapError> {
        let mut keys = base.keys.clone();
        let mut overridden = vec![false; Action::ALL.len()];
        for (name, written) in overrides {
            let action = Action::from_name(name).ok_or_else(|| KeymapError::UnknownAction {
                name: name.clone(),
                suggestion: suggest(name, Action::ALL.iter().map(|a| a.name())),
            })?;
            let mut parsed = Vec::with_capacity(written.len());
            for (index, text) in written.iter().enumerate() {
                let key = text.parse::<Key>().map_err(|reason| KeymapError::BadKey {
                    action,
                    index,
                    key: text.clone(),
                    reason,
                })?;
                if !parsed.contains(&key) {
                    parsed.push(key);
                }
            }
            keys[action.index()] = parsed;
            overridden[action.index()] = true;
        }

        // Untouched actions first, so a clash is reported against the line the user wrote.
        let mut lookup = HashMap::new();
        let order = Action::ALL
            .iter()
            .filter(|a| !overridden[a.index()])
            .chain(Action::ALL.iter().filter(|a| overridden[a.index()]));
        for &action in order {
            for (index, key) in keys[action.index()].iter().enumerate() {
                if let Some(&other) = lookup.get(key) {
                    let written = overrides
                        .get(action.name())
                        .and_then(|w| w.get(index))
                        .cloned()
                        .unwrap_or_else(|| key.to_string());
                    return Err(KeymapError::Conflict {
                        key: written,
                        action,
                        index,
                        other,
                        other_is_default: !overridden[Action::index(other)],
                    });
                }
                lookup.insert(*key, action);
            }
        }
        Ok(Keymap { keys, lookup })
    }

    /// The action a key press triggers, if any.
    pub fn action(&self, key: &Key) -> Option<Action> {
        self.lookup.get(&key.normalized()).copied()
    }

    /// The keys bound to an action (empty when unbound).
    pub fn keys(&self, action: Action) -> &[Key] {
        &self.keys[action.index()]
    }

    /// Every action with its keys, by help group and then declaration order: the help screen
    /// is drawn from this, so it shows what the keys really do.
    pub fn help(&self) -> Vec<(Action, Vec<Key>)> {
        Action::GROUPS
            .iter()
            .flat_map(|group| Action::ALL.iter().filter(move |a| a.group() == *group))
            .map(|&a| (a, self.keys(a).to_vec()))
            .collect()
    }
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap::defaults()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn key(code: KeyCode, ctrl: bool, alt: bool, shift: bool) -> Key {
        Key {
            code,
            ctrl,
            alt,
            shift,
        }
    }

    #[rstest]
    #[case::letter("q", Key::char('q'))]
    #[case::upper_letter_is_itself("G", Key::char('G'))]
    #[case::shift_letter_is_upper("shift-g", Key::char('G'))]
    #[case::symbol("?", Key::char('?'))]
    #[case::dash_alone("-", Key::char('-'))]
    #[case::ctrl_dash("ctrl--", Key::ctrl('-'))]
    #[case::ctrl("ctrl-c", Key::ctrl('c'))]
    #[case::ctrl_upper_folds("ctrl-C", Key::ctrl('c'))]
    #[case::ctrl_case_insensitive("Ctrl-c", Key::ctrl('c'))]
    #[case::alt("alt-x", key(KeyCode::Char('x'), false, true, false))]
    #[case::shift_tab("shift-tab", Key::new(KeyCode::BackTab))]
    #[case::backtab("backtab", Key::new(KeyCode::BackTab))]
    #[case::esc("esc", Key::new(KeyCode::Esc))]
    #[case::escape("Escape", Key::new(KeyCode::Esc))]
    #[case::enter("enter", Key::new(KeyCode::Enter))]
    #[case::space("space", Key::char(' '))]
    #[case::up("up", Key::new(KeyCode::Up))]
    #[case::shift_up("shift-up", key(KeyCode::Up, false, false, true))]
    #[case::pgdn("pgdn", Key::new(KeyCode::PageDown))]
    #[case::pageup("PageUp", Key::new(KeyCode::PageUp))]
    #[case::f5("f5", Key::new(KeyCode::F(5)))]
    #[case::ctrl_alt("ctrl-alt-delete", key(KeyCode::Delete, true, true, false))]
    #[case::digit("1", Key::char('1'))]
    fn parses_the_forms_users_write(#[case] text: &str, #[case] expected: Key) {
        assert_eq!(text.parse::<Key>(), Ok(expected));
    }

    #[rstest]
    #[case::empty("", KeyParseError::Empty)]
    #[case::unknown_name("enterr", KeyParseError::Unknown("enterr".into()))]
    #[case::modifier_only("ctrl-", KeyParseError::Unknown("ctrl-".into()))]
    #[case::f_out_of_range("f25", KeyParseError::Unknown("f25".into()))]
    #[case::shift_symbol("shift-/", KeyParseError::ShiftOnSymbol)]
    fn rejects_what_is_not_a_key(#[case] text: &str, #[case] expected: KeyParseError) {
        assert_eq!(text.parse::<Key>(), Err(expected));
    }

    #[test]
    fn display_round_trips_every_default_key() {
        let keymap = Keymap::defaults();
        for (action, keys) in keymap.help() {
            for k in keys {
                let text = k.to_string();
                assert_eq!(text.parse::<Key>(), Ok(k), "{action}: {text}");
            }
        }
    }

    #[rstest]
    #[case::question_with_shift(key(KeyCode::Char('?'), false, false, true), Some(Action::Help))]
    #[case::upper_with_shift(key(KeyCode::Char('G'), false, false, true), Some(Action::Bottom))]
    #[case::shift_and_tab(key(KeyCode::Tab, false, false, true), Some(Action::PrevPanel))]
    #[case::backtab_with_shift(key(KeyCode::BackTab, false, false, true), Some(Action::PrevPanel))]
    #[case::ctrl_c(Key::ctrl('c'), Some(Action::Quit))]
    #[case::plain_c(Key::char('c'), None)]
    #[case::alt_q(key(KeyCode::Char('q'), false, true, false), None)]
    fn terminal_reports_are_normalised_before_lookup(
        #[case] pressed: Key,
        #[case] expected: Option<Action>,
    ) {
        assert_eq!(Keymap::defaults().action(&pressed), expected);
    }

    #[test]
    fn every_action_has_a_default_key_and_the_defaults_do_not_clash() {
        let table: BTreeMap<String, Vec<String>> =
            toml::from_str(DEFAULT_KEYMAP_TOML).expect("default keymap parses");
        for action in Action::ALL {
            assert!(
                table.contains_key(action.name()),
                "{} has no default binding",
                action.name()
            );
        }
        let keymap = Keymap::build(&table, &Keymap::empty()).expect("defaults are consistent");
        for action in Action::ALL {
            for k in keymap.keys(*action) {
                assert_eq!(keymap.action(k), Some(*action));
            }
        }
    }

    #[test]
    fn names_round_trip_and_groups_are_known() {
        for &action in Action::ALL {
            assert_eq!(Action::from_name(action.name()), Some(action));
            assert!(Action::GROUPS.contains(&action.group()), "{action}");
            assert!(!action.description().is_empty());
        }
    }

    #[test]
    fn help_lists_every_action_once_grouped_in_group_order() {
        let help = Keymap::defaults().help();
        assert_eq!(help.len(), Action::ALL.len());
        let groups: Vec<usize> = help
            .iter()
            .map(|(a, _)| {
                Action::GROUPS
                    .iter()
                    .position(|g| *g == a.group())
                    .unwrap_or(99)
            })
            .collect();
        assert!(groups.windows(2).all(|w| w[0] <= w[1]), "{groups:?}");
        assert_eq!(help[0].0, Action::Quit);
    }

    #[test]
    fn an_override_replaces_the_actions_keys_and_frees_the_old_ones() {
        let overrides = BTreeMap::from([("quit".to_string(), vec!["x".to_string()])]);
        let keymap = Keymap::with_overrides(&overrides).expect("x is free");
        assert_eq!(keymap.keys(Action::Quit), &[Key::char('x')]);
        assert_eq!(keymap.action(&Key::char('x')), Some(Action::Quit));
        assert_eq!(keymap.action(&Key::char('q')), None);
        assert_eq!(keymap.action(&Key::ctrl('c')), None);
    }

    #[test]
    fn an_empty_list_unbinds_and_frees_the_key_for_another_action() {
        let overrides = BTreeMap::from([
            ("describe".to_string(), vec![]),
            ("logs".to_string(), vec!["d".to_string()]),
        ]);
        let keymap = Keymap::with_overrides(&overrides).expect("d was freed");
        assert!(keymap.keys(Action::Describe).is_empty());
        assert_eq!(keymap.action(&Key::char('d')), Some(Action::Logs));
    }

    #[rstest]
    #[case::unknown_action("qiut=x", "unknown action `qiut` in [keys]; did you mean `quit`?")]
    #[case::bad_key(
        "quit=ctrl-",
        "bad key `ctrl-` for `quit`: unknown key `ctrl-`; expected a character"
    )]
    #[case::clash_with_default(
        "logs=d",
        "key `d` is bound to both `describe` and `logs`; `describe` has it by default"
    )]
    #[case::clash_between_overrides(
        "logs=x;quit=x",
        "key `x` is bound to both `quit` and `logs`; a key can trigger only one action"
    )]
    fn bad_overrides_are_rejected_with_a_clear_message(
        #[case] overrides: &str,
        #[case] expected_start: &str,
    ) {
        // `action=key,key;action=key`, to keep the table readable.
        let table: BTreeMap<String, Vec<String>> = overrides
            .split(';')
            .filter_map(|entry| entry.split_once('='))
            .map(|(a, ks)| (a.to_string(), ks.split(',').map(str::to_string).collect()))
            .collect();
        let err = Keymap::with_overrides(&table).expect_err("the override is invalid");
        let message = err.to_string();
        assert!(message.starts_with(expected_start), "{message}");
    }
}
