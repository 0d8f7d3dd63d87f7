//! Semantic style roles. View code asks for `theme.style(Role::Critical)` and never names a
//! colour, so one theme file re-colours the whole cockpit and NO_COLOR can swap in a theme made
//! of modifiers only. Themes are data (themes/*.toml): `config::theme` reads and checks them and
//! hands the view a resolved [`Theme`], so nothing here knows about files.

use ratatui::style::{Color, Style};

macro_rules! roles {
    ($($variant:ident => $name:literal, $doc:literal;)*) => {
        /// What a piece of text means; a theme gives each meaning a style.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Role {
            $(#[doc = $doc] $variant,)*
        }

        impl Role {
            /// Every role, in declaration order.
            pub const ALL: &'static [Role] = &[$(Role::$variant,)*];

            /// The name used in theme files (`[roles]` keys).
            pub fn name(self) -> &'static str {
                match self {
                    $(Role::$variant => $name,)*
                }
            }

            /// What the role is for, as the docs list it.
            pub fn description(self) -> &'static str {
                match self {
                    $(Role::$variant => $doc,)*
                }
            }
        }
    };
}

roles! {
    Text => "text", "Ordinary text";
    Muted => "muted", "Secondary text: ages, ids, hints";
    Accent => "accent", "Emphasis that is neither good nor bad news";
    Ok => "ok", "Healthy, passed, resolved";
    Warning => "warning", "Needs attention soon: warnings, pending, degraded";
    Critical => "critical", "Needs attention now: failures, critical alerts, crash loops";
    Info => "info", "Informational states and alerts";
    Running => "running", "In progress: running pipelines, rolling deployments";
    Selection => "selection", "The selected row";
    Border => "border", "Borders of unfocused panels";
    BorderFocused => "border_focused", "The border of the focused panel";
    Title => "title", "Panel titles";
    Header => "header", "Table headers";
    StatusBar => "status_bar", "The status bar";
    Key => "key", "Key names in the help, the status bar and hints";
    Match => "match", "Characters matched by a filter or the palette";
    Stale => "stale", "Data older than its source's refresh, or from a failing source";
    Tab => "tab", "Screen tabs that are not shown";
    TabActive => "tab_active", "The tab of the screen shown";
    Link => "link", "URLs and links in docs";
    Popup => "popup", "Popups: help, palette, confirmations";
    Input => "input", "Text being typed: filter, palette, silence comment";
}

impl Role {
    pub fn from_name(name: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.name() == name)
    }
}

/// A theme resolved for one terminal: every role has a style whose colours that terminal shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Theme {
    pub name: String,
    /// Indexed by `Role as usize`; a lookup is an array index, as cheap as a constant.
    styles: Vec<Style>,
}

impl Theme {
    /// A theme whose every role has the style `style_of` gives.
    pub fn from_fn(name: impl Into<String>, style_of: impl Fn(Role) -> Style) -> Theme {
        Theme {
            name: name.into(),
            styles: Role::ALL.iter().map(|&r| style_of(r)).collect(),
        }
    }

    pub fn style(&self, role: Role) -> Style {
        self.styles.get(role as usize).copied().unwrap_or_default()
    }
}

/// The 16 ANSI colours in index order, by name: a terminal draws these from its own palette,
/// so its colour scheme applies to them.
pub const ANSI16: [Color; 16] = [
    Color::Black,
    Color::Red,
    Color::Green,
    Color::Yellow,
    Color::Blue,
    Color::Magenta,
    Color::Cyan,
    Color::Gray,
    Color::DarkGray,
    Color::LightRed,
    Color::LightGreen,
    Color::LightYellow,
    Color::LightBlue,
    Color::LightMagenta,
    Color::LightCyan,
    Color::White,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for &role in Role::ALL {
            assert_eq!(Role::from_name(role.name()), Some(role));
        }
    }
}
