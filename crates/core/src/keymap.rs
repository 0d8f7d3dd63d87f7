//! Keys and actions as data: every binding is looked up here, so remapping in the config and
//! the generated help screen can never disagree with what a key really does. The key type is
//! our own (no crossterm), so the keymap and `update` stay free of terminal types.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use crate::suggest::suggest;

/// The compiled-in defaults; the single source for the defaults, the help and the docs.
pub(crate) const DEFAULT_KEYMAP_TOML: &str = include_str!("keymap-default.toml");

/// What a user writes in the config, for error messages.
pub(crate) const KEY_FORMS: &str = "a character (`q`, `G`, `?`, `1`), `space`, or a named key \
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
    pub(crate) fn normalized(self) -> Key {
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

/// A keymap layer: the global keys, or the keys of one screen or sub-view. A screen's keys are
/// looked up in its layers first and then in the global layer, so the same key can mean different
/// things on different screens but never two things at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Global,
    Overview,
    Pipelines,
    PipelineLog,
    Workloads,
    Events,
    Describe,
    Logs,
    Revisions,
    Forwards,
    Alerts,
    Silences,
    Docs,
    DocsPage,
    Onboarding,
    Work,
    Delivery,
    Create,
    /// While a text input (a filter, the palette, a form field) has the keyboard. It replaces the
    /// global layer instead of sitting on it, so `ctrl-u` can delete to the start of a field while
    /// it pages up everywhere else.
    Input,
    /// While a multi-line field (a template's textarea) has the keyboard: looked up before the
    /// input layer, so `enter` starts a line there and still accepts in every one-line field.
    TextArea,
    /// While a question waits for yes or no: any other key leaves it open.
    Confirm,
    /// While the first-run tour is on screen: any other key closes it and does what it does.
    Tour,
}

impl Layer {
    /// Every layer, in the order the docs list them.
    pub const ALL: &'static [Layer] = &[
        Layer::Global,
        Layer::Overview,
        Layer::Pipelines,
        Layer::PipelineLog,
        Layer::Workloads,
        Layer::Events,
        Layer::Describe,
        Layer::Logs,
        Layer::Revisions,
        Layer::Forwards,
        Layer::Alerts,
        Layer::Silences,
        Layer::Docs,
        Layer::DocsPage,
        Layer::Onboarding,
        Layer::Work,
        Layer::Delivery,
        Layer::Create,
        Layer::Input,
        Layer::TextArea,
        Layer::Confirm,
        Layer::Tour,
    ];

    /// The layers that are live together on some screen, most specific first; the global layer
    /// is under each of them. Clashes are checked within each of these stacks.
    pub(crate) const STACKS: &'static [&'static [Layer]] = &[
        &[Layer::Overview],
        &[Layer::Pipelines],
        &[Layer::PipelineLog],
        &[Layer::Workloads],
        &[Layer::Events],
        &[Layer::Describe],
        &[Layer::Logs],
        &[Layer::Revisions],
        &[Layer::Forwards],
        &[Layer::Alerts],
        &[Layer::Silences],
        &[Layer::Docs],
        &[Layer::DocsPage, Layer::Docs],
        &[Layer::Onboarding],
        &[Layer::Work],
        &[Layer::Delivery],
        &[Layer::Create],
        &[Layer::Input],
        &[Layer::TextArea],
        &[Layer::Confirm],
        &[Layer::Tour],
    ];

    /// Whether the global keys are live under this layer. Not while typing (every key either
    /// edits the text or is the input's own), nor while a question or the tour has the keyboard.
    pub(crate) fn under_global(self) -> bool {
        !matches!(
            self,
            Layer::Input | Layer::TextArea | Layer::Confirm | Layer::Tour
        )
    }

    /// The name of its table in keymap-default.toml and its heading in the help and the docs.
    pub fn name(self) -> &'static str {
        match self {
            Layer::Global => "global",
            Layer::Overview => "overview",
            Layer::Pipelines => "pipelines",
            Layer::PipelineLog => "pipeline-log",
            Layer::Workloads => "workloads",
            Layer::Events => "events",
            Layer::Describe => "describe",
            Layer::Logs => "logs",
            Layer::Revisions => "revisions",
            Layer::Forwards => "forwards",
            Layer::Alerts => "alerts",
            Layer::Silences => "silences",
            Layer::Docs => "docs",
            Layer::DocsPage => "docs-page",
            Layer::Onboarding => "onboarding",
            Layer::Work => "work",
            Layer::Delivery => "delivery",
            Layer::Create => "create",
            Layer::Input => "input",
            Layer::TextArea => "textarea",
            Layer::Confirm => "confirm",
            Layer::Tour => "tour",
        }
    }

    /// Where the layer is live, for the help and the docs.
    pub fn title(self) -> &'static str {
        match self {
            Layer::Global => "everywhere",
            Layer::Overview => "Overview",
            Layer::Pipelines => "Pipelines",
            Layer::PipelineLog => "Pipelines: a job's log",
            Layer::Workloads => "Workloads",
            Layer::Events => "Workloads: events",
            Layer::Describe => "Workloads: describe",
            Layer::Logs => "Workloads: logs",
            Layer::Revisions => "Workloads: revisions",
            Layer::Forwards => "Workloads: port-forwards",
            Layer::Alerts => "Alerts",
            Layer::Silences => "Alerts: silences",
            Layer::Docs => "Docs",
            Layer::DocsPage => "Docs: the open page",
            Layer::Onboarding => "Onboarding",
            Layer::Work => "Work",
            Layer::Delivery => "Delivery",
            Layer::Create => "Create",
            Layer::Input => "while typing in a field (filter, palette, form)",
            Layer::TextArea => "while typing in a multi-line field (before the input keys)",
            Layer::Confirm => "while a question asks yes or no",
            Layer::Tour => "while the first-run tour is shown",
        }
    }

    /// The actions the layer's footer hints name, in order.
    pub fn hints(self) -> &'static [Action] {
        use Action as A;
        match self {
            Layer::Global => &[A::Help, A::Palette, A::Quit],
            Layer::Overview => &[A::Open, A::Filter, A::ToggleGroup, A::ToggleMine],
            Layer::Pipelines => &[
                A::Open,
                A::PullRequests,
                A::Logs,
                A::RerunFailed,
                A::Rerun,
                A::Cancel,
                A::Dispatch,
                A::ToggleMine,
                A::FailingFirst,
            ],
            Layer::PipelineLog => &[A::Filter, A::FindNext, A::Edit, A::Refresh, A::Back],
            Layer::Workloads => &[
                A::Open,
                A::Logs,
                A::Events,
                A::Restart,
                A::Scale,
                A::DeletePod,
                A::ToggleGroup,
                A::Rollback,
                A::Shell,
                A::PortForward,
            ],
            Layer::Revisions => &[A::Open, A::Back],
            Layer::Forwards => &[A::StopForward, A::Forwards, A::Back],
            Layer::Events => &[A::Back, A::Copy],
            Layer::Describe => &[A::Back, A::Filter, A::FindNext, A::Edit, A::Copy],
            Layer::Logs => &[
                A::Follow,
                A::Filter,
                A::FindNext,
                A::Wrap,
                A::Tail,
                A::Since,
                A::Previous,
                A::Edit,
                A::Copy,
            ],
            Layer::Alerts => &[
                A::Open,
                A::Silence,
                A::Acknowledge,
                A::ToggleMuted,
                A::ShowSilences,
                A::Filter,
            ],
            Layer::Silences => &[
                A::Open,
                A::EditSilence,
                A::ExtendSilence,
                A::ExpireSilence,
                A::ShowAlerts,
                A::Back,
            ],
            Layer::Docs => &[A::Open, A::NextPanel, A::Filter, A::Palette, A::Edit],
            // The open page: its own keys, then the tree's.
            Layer::DocsPage => &[
                A::Filter,
                A::FindNext,
                A::LinkNext,
                A::Open,
                A::PageBack,
                A::PageForward,
                A::Edit,
            ],
            Layer::Onboarding => &[A::ToggleStep, A::Open, A::Refresh, A::OpenUrl],
            Layer::Work => &[
                A::Open,
                A::Filter,
                A::Acknowledge,
                A::Resolve,
                A::NextTransition,
                A::Transition,
                A::Comment,
                A::OpenUrl,
            ],
            Layer::Delivery => &[
                A::Timeline,
                A::DeliveryWindow,
                A::DeliveryGroup,
                A::MyChanges,
                A::Filter,
                A::Refresh,
            ],
            Layer::Create => &[A::Open, A::Filter, A::CreateRun, A::CreateResume, A::Back],
            // A field shows its own prompt; its keys are in the help, not the footer.
            Layer::Input => &[],
            Layer::TextArea => &[A::TextAreaSubmit, A::InputNext],
            // A question's and the tour's answers, shown in their popups.
            Layer::Confirm => &[A::ConfirmYes, A::ConfirmNo],
            Layer::Tour => &[A::TourNext, A::TourBack, A::TourSkip],
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! actions {
    ($($variant:ident => $name:literal, [$($layer:ident),+], $label:literal, $description:literal;)*) => {
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

            /// A word or two for the footer hints, beside the action's first key.
            pub fn label(self) -> &'static str {
                match self {
                    $(Action::$variant => $label,)*
                }
            }

            /// The layers the action is live in; the first is where keymap-default.toml lists it.
            pub fn layers(self) -> &'static [Layer] {
                match self {
                    $(Action::$variant => &[$(Layer::$layer),+],)*
                }
            }
        }
    };
}

actions! {
    Quit => "quit", [Global], "quit", "Quit flightdeck";
    Help => "help", [Global], "help", "Show the keys of the current screen, then the global ones";
    Palette => "palette", [Global], "palette", "Open the command palette (fuzzy jump to screens and items)";
    Refresh => "refresh", [Global], "refresh", "Refresh the current screen's sources now (on the Overview, which joins them all: every source)";
    Redraw => "redraw", [Global], "redraw", "Redraw the whole terminal";
    Suspend => "suspend", [Global], "suspend", "Suspend flightdeck to the shell (fg brings it back)";
    Open => "open", [Overview, Pipelines, Workloads, Revisions, Alerts, Silences, Docs, Onboarding, Work, Create], "open", "Open the selected item; on a silence, the alerts it matches now";
    Back => "back", [Global], "back", "Close the popup, clear the filter, or go back where you came from";
    NextPanel => "next-panel", [Global], "next panel", "Focus the next panel";
    PrevPanel => "prev-panel", [Global], "previous panel", "Focus the previous panel";
    Down => "down", [Global], "down", "Move down";
    Up => "up", [Global], "up", "Move up";
    PageDown => "page-down", [Global], "page down", "Move down a page";
    PageUp => "page-up", [Global], "page up", "Move up a page";
    Top => "top", [Global], "top", "Go to the first item";
    Bottom => "bottom", [Global], "bottom", "Go to the last item";
    Filter => "filter", [Global], "filter", "Filter the current list in place, or search the open text";
    Logs => "logs", [Pipelines, Overview, PipelineLog, Workloads, Logs], "logs", "Show logs of the selected pod, job or run";
    Describe => "describe", [Workloads, Overview, Describe, Onboarding], "describe", "Show every field of the selected item";
    Copy => "copy", [Overview, Pipelines, Workloads, Events, Describe, Logs, Alerts, Docs, Work, Delivery], "copy", "Copy the selected item (OSC 52, works over SSH)";
    OpenUrl => "open-url", [Overview, Pipelines, Alerts, Docs, Onboarding, Work, Delivery], "open url", "Open the selected item's URL, or show it to copy";
    ScreenOverview => "screen-overview", [Global], "overview", "Go to the Overview screen";
    ScreenPipelines => "screen-pipelines", [Global], "pipelines", "Go to the Pipelines screen";
    ScreenWorkloads => "screen-workloads", [Global], "workloads", "Go to the Workloads screen";
    ScreenAlerts => "screen-alerts", [Global], "alerts", "Go to the Alerts screen";
    ScreenDocs => "screen-docs", [Global], "docs", "Go to the Docs screen";
    ScreenOnboarding => "screen-onboarding", [Global], "onboarding", "Go to the Onboarding screen";
    ScreenWork => "screen-work", [Global], "work", "Go to the Work screen (tickets and incidents)";
    ScreenCreate => "screen-create", [Global], "create", "Go to the Create screen (a new service from a template)";
    ToggleGroup => "toggle-group", [Overview, Workloads, Alerts], "collapse", "Group or ungroup the list; on Alerts, fold the selected service's alerts";
    ToggleMine => "toggle-mine", [Overview, Pipelines], "mine", "Show only what is mine, or everything";
    Edit => "edit", [Overview, PipelineLog, Workloads, Describe, Logs, Docs], "edit", "Open the selected item in $EDITOR or $PAGER";
    RerunFailed => "rerun-failed", [Pipelines, Overview], "re-run failed", "Re-run the failed jobs of the selected run";
    Rerun => "rerun", [Pipelines], "re-run", "Re-run the whole selected run";
    Cancel => "cancel", [Pipelines], "cancel", "Cancel the selected run";
    Dispatch => "dispatch", [Pipelines], "dispatch", "Start the selected run's workflow again, with inputs you fill in";
    FailingFirst => "failing-first", [Pipelines], "failing first", "Sort failing runs first, or newest first";
    PullRequests => "pull-requests", [Pipelines], "PRs", "Show the open pull requests (checks, review, mergeability; mine first), or the runs again";
    FindNext => "find-next", [PipelineLog, Describe, Logs, DocsPage], "next match", "Go to the next match of the search";
    FindPrev => "find-prev", [PipelineLog, Describe, Logs, DocsPage], "previous match", "Go to the previous match of the search";
    Events => "events", [Workloads, Events], "events", "Show events of the selected workload, or go back to the list";
    Scale => "scale", [Workloads], "scale", "Scale the selected workload to a number of replicas you type";
    ScaleUp => "scale-up", [Workloads], "scale +1", "Scale the selected workload up by one replica";
    ScaleDown => "scale-down", [Workloads], "scale -1", "Scale the selected workload down by one replica";
    DeletePod => "delete-pod", [Workloads], "delete pod", "Delete the selected pod (asks first)";
    Restart => "restart", [Workloads], "restart", "Restart the selected workload's pods (asks first)";
    Namespace => "namespace", [Workloads], "namespace", "Show only the next namespace, then every one again (the palette lists them too)";
    Context => "context", [Workloads], "context", "Show only the next context, then every one again (the palette lists them too)";
    Rollback => "rollback", [Workloads, Revisions], "rollback", "List the selected Deployment's revisions (images, change-cause) to roll back to";
    Shell => "shell", [Workloads], "shell", "Open a shell in the selected pod's container (bash, else /bin/sh); exit returns here";
    PortForward => "port-forward", [Workloads], "port-forward", "Forward a local port to the selected pod's port, or a workload's first ready pod's (asks which ports)";
    Forwards => "forwards", [Workloads, Forwards], "forwards", "Show the port-forwards with their state, or go back to the list";
    StopForward => "stop-forward", [Forwards], "stop", "Stop the selected port-forward";
    Follow => "follow", [Logs], "follow", "Follow new lines, or pause on the last one";
    Wrap => "wrap", [Logs], "wrap", "Wrap long lines, or cut them";
    Previous => "previous", [Logs], "previous", "Show the previous container instance's log, or the current one";
    Tail => "tail", [Logs], "tail", "Fetch more or fewer of the last lines";
    Since => "since", [Logs], "since", "Fetch lines from a longer or shorter time back";
    Silence => "silence", [Alerts, Overview], "silence", "Silence the selected alert, or on a group's row the whole group";
    Acknowledge => "acknowledge", [Alerts, Work], "ack", "Acknowledge the selected alert, or the selected PagerDuty incident (asks first)";
    ToggleMuted => "toggle-muted", [Alerts], "muted", "Show or hide silenced and inhibited items";
    ShowSilences => "show-silences", [Alerts], "silences", "Show the silences instead of the alerts";
    ShowAlerts => "show-alerts", [Silences], "alerts", "Show the alerts instead of the silences";
    ExpireSilence => "expire-silence", [Silences], "expire", "Expire the selected silence (asks first)";
    EditSilence => "edit-silence", [Silences], "edit", "Edit the selected silence: matchers, end, comment (Alertmanager replaces it by id; asks first)";
    ExtendSilence => "extend-silence", [Silences], "extend 1h", "Extend the selected silence by an hour (asks first)";
    LinkNext => "link-next", [DocsPage], "next link", "Go to the next link on the page";
    LinkPrev => "link-prev", [DocsPage], "previous link", "Go to the previous link on the page";
    PageBack => "page-back", [DocsPage], "back", "Go back to the page read before";
    PageForward => "page-forward", [DocsPage], "forward", "Go forward again to the page left by going back";
    ToggleStep => "toggle-step", [Onboarding], "tick", "Tick or untick the selected manual step";
    Resolve => "resolve", [Work], "resolve", "Resolve the selected PagerDuty incident (asks first)";
    NextTransition => "next-transition", [Work], "next status", "Choose the next Jira status the open ticket can move to";
    Transition => "transition", [Work], "move", "Move the open Jira ticket to the chosen status (asks first)";
    InputAccept => "input-accept", [Input], "accept", "Accept what was typed (run the search, pick the match, submit the form)";
    InputCancel => "input-cancel", [Input], "cancel", "Leave the field, dropping what was typed";
    InputNext => "input-next", [Input], "next", "Go to the next field, or the next match in the palette";
    InputPrev => "input-prev", [Input], "previous", "Go to the previous field, or the previous match in the palette";
    InputLeft => "input-left", [Input], "left", "Move the cursor one character left";
    InputRight => "input-right", [Input], "right", "Move the cursor one character right";
    InputStart => "input-start", [Input], "start", "Move the cursor to the start of the field";
    InputEnd => "input-end", [Input], "end", "Move the cursor to the end of the field";
    InputBackspace => "input-backspace", [Input], "backspace", "Delete the character before the cursor";
    InputDelete => "input-delete", [Input], "delete", "Delete the character under the cursor";
    InputDeleteWord => "input-delete-word", [Input], "delete word", "Delete the word before the cursor";
    InputDeleteToStart => "input-delete-to-start", [Input], "delete to start", "Delete everything before the cursor";
    TextAreaNewline => "textarea-newline", [TextArea], "new line", "Start a new line in a multi-line field";
    TextAreaLineUp => "textarea-line-up", [TextArea], "line up", "Move the cursor a line up; from the first line, go to the previous field";
    TextAreaLineDown => "textarea-line-down", [TextArea], "line down", "Move the cursor a line down; from the last line, go to the next field";
    TextAreaSubmit => "textarea-submit", [TextArea], "submit", "Accept the form's page from a multi-line field, where enter starts a line";
    ConfirmYes => "confirm-yes", [Confirm], "do it", "Answer yes: do what the question asks";
    ConfirmNo => "confirm-no", [Confirm], "cancel", "Answer no: do nothing";
    TourNext => "tour-next", [Tour], "next", "Show the tour's next page (the last one ends it)";
    TourBack => "tour-back", [Tour], "back", "Show the tour's previous page";
    TourSkip => "tour-skip", [Tour], "skip the tour", "End the tour";
    ChartRange => "chart-range", [Overview], "range", "On the Service screen, chart the next time range (1h, 6h, 24h, 7d)";
    ScreenDelivery => "screen-delivery", [Global], "delivery", "Go to the Delivery screen (DORA's five metrics per service, deployment timelines)";
    Timeline => "timeline", [Delivery], "timeline", "Open the selected service's deployment timeline: a chart over the window and each deployment with the commits it brought";
    DeliveryWindow => "delivery-window", [Delivery], "window", "Switch the window the metrics are computed over: 7, 30 or 90 days";
    MyChanges => "my-changes", [Delivery], "my changes", "Show my newest changes and where each is: CI, staging, production, pods ready, alerts since (again: the metrics)";
    DeliveryGroup => "delivery-group", [Delivery], "group", "Show a row per service, or services rolled up per owner, or per system";
    CreateRun => "create-run", [Create], "create", "Create the reviewed service: publish its repository and register it (asks first)";
    CreateResume => "create-resume", [Create], "resume", "Go on with a failed creation from the step that failed, reusing what the done steps made (asks first)";
    Comment => "comment", [Work], "comment", "Write a comment on the open Jira ticket or GitHub issue, or a note on the open PagerDuty incident (asks first)";
}

impl Action {
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == name)
    }

    /// Whether it jumps to a screen (`1`..`6`).
    pub fn is_screen_jump(self) -> bool {
        matches!(
            self,
            Action::ScreenOverview
                | Action::ScreenPipelines
                | Action::ScreenWorkloads
                | Action::ScreenAlerts
                | Action::ScreenDocs
                | Action::ScreenOnboarding
                | Action::ScreenWork
                | Action::ScreenDelivery
                | Action::ScreenCreate
        )
    }

    /// Whether the action is live in `layer`.
    pub fn in_layer(self, layer: Layer) -> bool {
        self.layers().contains(&layer)
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

/// The live key bindings: which action a key triggers in which layer, and which keys an action
/// has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keymap {
    /// Indexed by `Action as usize`.
    keys: Vec<Vec<Key>>,
    lookup: HashMap<(Layer, Key), Action>,
}

/// The actions of one layer with their keys, as the help and the docs show them.
pub(crate) type LayerHelp = (Layer, Vec<(Action, Vec<Key>)>);

/// Reads keymap-default.toml: one table per layer, each `action = [keys]`; an action is listed
/// once, in the table of its first layer.
pub(crate) fn default_table()
-> Result<BTreeMap<String, BTreeMap<String, Vec<String>>>, toml::de::Error> {
    toml::from_str(DEFAULT_KEYMAP_TOML)
}

impl Keymap {
    /// The compiled-in defaults.
    pub fn defaults() -> Keymap {
        static DEFAULTS: OnceLock<Keymap> = OnceLock::new();
        DEFAULTS
            .get_or_init(|| {
                let layered = default_table()
                    .expect("the embedded default keymap is TOML; its tests check it");
                let table: BTreeMap<String, Vec<String>> =
                    layered.into_values().flatten().collect();
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

        // Within each stack of layers live together (a screen's own and the global one) a key
        // triggers one action. Untouched actions first, so a clash is reported against the line
        // the user wrote.
        let order: Vec<Action> = Action::ALL
            .iter()
            .filter(|a| !overridden[a.index()])
            .chain(Action::ALL.iter().filter(|a| overridden[a.index()]))
            .copied()
            .collect();
        for stack in Layer::STACKS {
            let mut seen: HashMap<Key, Action> = HashMap::new();
            let global = stack.first().is_none_or(|l| l.under_global());
            let live = |a: &Action| {
                (global && a.in_layer(Layer::Global))
                    || stack.iter().any(|&layer| a.in_layer(layer))
            };
            for &action in order.iter().filter(|a| live(a)) {
                for (index, key) in keys[action.index()].iter().enumerate() {
                    match seen.get(key) {
                        Some(&other) if other != action => {
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
                                other_is_default: !overridden[other.index()],
                            });
                        }
                        _ => {
                            seen.insert(*key, action);
                        }
                    }
                }
            }
        }
        let mut lookup = HashMap::new();
        for &action in Action::ALL {
            for &layer in action.layers() {
                for key in &keys[action.index()] {
                    lookup.insert((layer, *key), action);
                }
            }
        }
        Ok(Keymap { keys, lookup })
    }

    /// The action a key press triggers in the given layers (most specific first), else in the
    /// global layer.
    pub fn action_in(&self, layers: &[Layer], key: &Key) -> Option<Action> {
        let key = key.normalized();
        layers
            .iter()
            .chain([&Layer::Global])
            .find_map(|&layer| self.lookup.get(&(layer, key)).copied())
    }

    /// The action a key press triggers in one layer alone, without falling back to the global
    /// keys: how a text input reads its keys.
    pub fn action_in_only(&self, layer: Layer, key: &Key) -> Option<Action> {
        self.lookup.get(&(layer, key.normalized())).copied()
    }

    /// The action a key press triggers in the global layer, if any.
    pub fn action(&self, key: &Key) -> Option<Action> {
        self.action_in(&[], key)
    }

    /// The keys bound to an action (empty when unbound).
    pub fn keys(&self, action: Action) -> &[Key] {
        &self.keys[action.index()]
    }

    /// The help of a screen: its layers' actions (most specific first), then the global ones,
    /// then the keys of a text field (every screen has a filter), and on the Create screen those
    /// of a multi-line field. An action is shown once, under the first layer that has it.
    pub fn help_for(&self, layers: &[Layer]) -> Vec<LayerHelp> {
        let mut shown = Vec::new();
        let textarea = layers.contains(&Layer::Create).then_some(&Layer::TextArea);
        layers
            .iter()
            .chain([&Layer::Global, &Layer::Input])
            .chain(textarea)
            .map(|&layer| {
                let actions = Action::ALL
                    .iter()
                    .filter(|a| a.in_layer(layer))
                    .filter(|a| {
                        let new = !shown.contains(*a);
                        shown.push(**a);
                        new
                    })
                    .map(|&a| (a, self.keys(a).to_vec()))
                    .collect();
                (layer, actions)
            })
            .collect()
    }

    /// Every action with its keys, by the layer it is listed under (its first), in layer
    /// order: the docs are checked against this.
    pub fn help(&self) -> Vec<LayerHelp> {
        Layer::ALL
            .iter()
            .map(|&layer| {
                let actions = Action::ALL
                    .iter()
                    .filter(|a| a.layers().first() == Some(&layer))
                    .map(|&a| (a, self.keys(a).to_vec()))
                    .collect();
                (layer, actions)
            })
            .collect()
    }

    /// The footer hints of a screen: each hinted action of its most specific layer that has a
    /// key, with its first key and its label.
    pub fn hints(&self, layers: &[Layer]) -> Vec<(Action, String, &'static str)> {
        let layer = layers.first().copied().unwrap_or(Layer::Global);
        layer
            .hints()
            .iter()
            .filter_map(|&a| self.keys(a).first().map(|k| (a, k.to_string(), a.label())))
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
        for (action, keys) in keymap.help().into_iter().flat_map(|(_, actions)| actions) {
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
    fn every_action_has_a_default_key_in_its_first_layers_table_and_none_clash() {
        let layered = default_table().expect("default keymap parses");
        for (layer, actions) in &layered {
            let layer = Layer::ALL
                .iter()
                .find(|l| l.name() == layer)
                .unwrap_or_else(|| panic!("[{layer}] is not a layer"));
            for name in actions.keys() {
                let action = Action::from_name(name).unwrap_or_else(|| panic!("{name}"));
                assert_eq!(
                    action.layers().first(),
                    Some(layer),
                    "{name} under [{layer}]"
                );
            }
        }
        let table: BTreeMap<String, Vec<String>> = layered.into_values().flatten().collect();
        for action in Action::ALL {
            assert!(
                table.contains_key(action.name()),
                "{} has no default binding",
                action.name()
            );
        }
        let keymap = Keymap::build(&table, &Keymap::empty()).expect("defaults are consistent");
        for &action in Action::ALL {
            for &layer in action.layers() {
                for k in keymap.keys(action) {
                    assert_eq!(keymap.action_in(&[layer], k), Some(action), "{layer} {k}");
                }
            }
        }
    }

    #[test]
    fn names_round_trip_and_every_action_has_words() {
        for &action in Action::ALL {
            assert_eq!(Action::from_name(action.name()), Some(action));
            assert!(!action.layers().is_empty(), "{action}");
            assert!(!action.description().is_empty());
            assert!(!action.label().is_empty());
        }
    }

    #[test]
    fn one_key_means_different_things_in_different_layers() {
        let keymap = Keymap::defaults();
        let s = Key::char('S');
        assert_eq!(
            keymap.action_in(&[Layer::Workloads], &s),
            Some(Action::Scale)
        );
        assert_eq!(
            keymap.action_in(&[Layer::Alerts], &s),
            Some(Action::ShowSilences)
        );
        assert_eq!(keymap.action_in(&[Layer::Overview], &s), None);
        assert_eq!(keymap.action(&Key::char('D')), None);
        // The global layer is under every screen's.
        assert_eq!(
            keymap.action_in(&[Layer::Logs], &Key::char('q')),
            Some(Action::Quit)
        );
        // A key free in a screen's stack can be taken there even if another screen uses it.
        let overrides = BTreeMap::from([("scale".to_string(), vec!["x".to_string()])]);
        let moved = Keymap::with_overrides(&overrides).expect("x is free on Workloads");
        assert_eq!(
            moved.action_in(&[Layer::Workloads], &Key::char('x')),
            Some(Action::Scale)
        );
        assert_eq!(moved.action_in(&[Layer::Workloads], &s), None);
        assert_eq!(
            moved.action_in(&[Layer::Silences], &Key::char('x')),
            Some(Action::ExpireSilence)
        );
    }

    #[test]
    fn the_create_screens_help_lists_the_textarea_keys() {
        let help = Keymap::defaults().help_for(&[Layer::Create]);
        let last = help.last().expect("sections");
        assert_eq!(last.0, Layer::TextArea);
        assert!(last.1.iter().any(|(a, _)| *a == Action::TextAreaSubmit));
        let docs = Keymap::defaults().help_for(&[Layer::Docs]);
        assert!(docs.iter().all(|(l, _)| *l != Layer::TextArea));
    }

    #[test]
    fn help_shows_the_screens_keys_first_then_the_global_ones_each_once() {
        let help = Keymap::defaults().help_for(&[Layer::DocsPage, Layer::Docs]);
        let layers: Vec<Layer> = help.iter().map(|(l, _)| *l).collect();
        assert_eq!(
            layers,
            [Layer::DocsPage, Layer::Docs, Layer::Global, Layer::Input]
        );
        assert_eq!(help[0].1[0].0, Action::FindNext);
        let all: Vec<Action> = help
            .iter()
            .flat_map(|(_, a)| a.iter().map(|(a, _)| *a))
            .collect();
        let mut unique = all.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(all.len(), unique.len());
        assert!(all.contains(&Action::Edit) && all.contains(&Action::Quit));
        assert!(!all.contains(&Action::Scale));
    }

    #[test]
    fn the_docs_help_lists_every_action_once() {
        let help = Keymap::defaults().help();
        let count: usize = help.iter().map(|(_, a)| a.len()).sum();
        assert_eq!(count, Action::ALL.len());
        assert_eq!(help[0].1[0].0, Action::Quit);
    }

    #[test]
    fn footer_hints_come_from_the_keymap() {
        let overrides = BTreeMap::from([("dispatch".to_string(), vec!["W".to_string()])]);
        let keymap = Keymap::with_overrides(&overrides).expect("W is free");
        let hints = keymap.hints(&[Layer::Pipelines]);
        assert!(
            hints.contains(&(Action::Dispatch, "W".to_string(), "dispatch")),
            "{hints:?}"
        );
        assert!(!hints.iter().any(|(_, k, _)| k == "e"), "{hints:?}");
    }

    #[test]
    fn an_override_replaces_the_actions_keys_and_frees_the_old_ones() {
        let overrides = BTreeMap::from([("quit".to_string(), vec!["ctrl-q".to_string()])]);
        let keymap = Keymap::with_overrides(&overrides).expect("ctrl-q is free");
        assert_eq!(keymap.keys(Action::Quit), &[Key::ctrl('q')]);
        assert_eq!(keymap.action(&Key::ctrl('q')), Some(Action::Quit));
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
        assert_eq!(
            keymap.action_in(&[Layer::Workloads], &Key::char('d')),
            Some(Action::Logs)
        );
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
        "logs=ctrl-q;quit=ctrl-q",
        "key `ctrl-q` is bound to both `quit` and `logs`; a key can trigger only one action"
    )]
    #[case::clash_between_a_layer_and_global(
        "scale=l",
        "key `l` is bound to both `logs` and `scale`; `logs` has it by default"
    )]
    #[case::clash_within_a_layer(
        "wrap=f",
        "key `f` is bound to both `follow` and `wrap`; `follow` has it by default"
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
