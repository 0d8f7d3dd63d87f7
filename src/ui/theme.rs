//! Semantic style roles. View code asks for `theme.style(Role::Critical)` and never names a
//! colour, so one theme file re-colours the whole cockpit and NO_COLOR can swap in a theme made
//! of modifiers only. Themes are data (themes/*.toml); loading lives in `config::theme`.

use ratatui::style::Style;

use crate::config::theme::{ColorSupport, parse_builtin};

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

/// The names of the themes compiled in, in the order the docs list them.
pub const BUILTIN_THEMES: &[&str] = &["dark", "light", "high-contrast", "mono"];

/// The source of each built-in theme; the files in themes/ are the single source.
pub(crate) fn builtin_source(name: &str) -> Option<&'static str> {
    Some(match name {
        "dark" => include_str!("../../themes/dark.toml"),
        "light" => include_str!("../../themes/light.toml"),
        "high-contrast" => include_str!("../../themes/high-contrast.toml"),
        "mono" => include_str!("../../themes/mono.toml"),
        _ => return None,
    })
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

    /// A built-in theme with its colours as written (true colour); use
    /// `config::theme::load_theme` to fit a theme to the terminal.
    pub fn builtin(name: &str) -> Option<Theme> {
        builtin_source(name)?;
        parse_builtin(name, ColorSupport::TrueColor).ok()
    }
}

impl Default for Theme {
    fn default() -> Self {
        Theme::builtin("dark").unwrap_or_else(|| Theme::from_fn("plain", |_| Style::default()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for &role in Role::ALL {
            assert_eq!(Role::from_name(role.name()), Some(role));
        }
    }

    #[test]
    fn every_builtin_loads_and_has_its_name() {
        for name in BUILTIN_THEMES {
            let theme = Theme::builtin(name).expect("built-in themes are valid");
            assert_eq!(theme.name, *name);
        }
        assert!(Theme::builtin("nope").is_none());
    }

    #[test]
    fn roles_that_mean_different_things_look_different_in_every_builtin() {
        let pairs = [
            (Role::Ok, Role::Critical),
            (Role::Ok, Role::Warning),
            (Role::Warning, Role::Critical),
            (Role::Text, Role::Muted),
            (Role::Text, Role::Selection),
            (Role::Border, Role::BorderFocused),
            (Role::Tab, Role::TabActive),
        ];
        for name in BUILTIN_THEMES {
            let theme = Theme::builtin(name).expect("valid");
            for (a, b) in pairs {
                assert_ne!(theme.style(a), theme.style(b), "{name}: {a:?} vs {b:?}");
            }
        }
    }
}
