//! Theme files and the terminal's colour support. A theme is written once in true colour; here it
//! is fitted to what the terminal can show (256 or 16 colours over tmux/screen/SSH, none under
//! NO_COLOR), so it reads correctly everywhere without a theme per terminal.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use toml::Spanned;

use super::{ConfigError, Source, key, looks_like_path, suggest};
use crate::ui::theme::{ANSI16, Role, Theme};

/// The names of the themes compiled in, in the order the docs list them.
pub const BUILTIN_THEMES: &[&str] = &["dark", "light", "high-contrast", "mono"];

/// The source of each built-in theme; the files in themes/ are the single source.
fn builtin_source(name: &str) -> Option<&'static str> {
    Some(match name {
        "dark" => include_str!("../../themes/dark.toml"),
        "light" => include_str!("../../themes/light.toml"),
        "high-contrast" => include_str!("../../themes/high-contrast.toml"),
        "mono" => include_str!("../../themes/mono.toml"),
        _ => return None,
    })
}

/// A built-in theme with its colours as written (true colour); [`load_theme`] fits a theme to
/// the terminal.
pub fn builtin(name: &str) -> Option<Theme> {
    builtin_source(name)?;
    parse_builtin(name, ColorSupport::TrueColor).ok()
}

/// How many colours the terminal can show.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ColorSupport {
    TrueColor,
    Ansi256,
    /// The 16 ANSI colours: what many terminals report over tmux, screen or SSH.
    Ansi16,
    /// NO_COLOR is set, or the terminal is `dumb`: modifiers only.
    NoColor,
}

impl ColorSupport {
    pub const ALL: [ColorSupport; 4] = [
        ColorSupport::TrueColor,
        ColorSupport::Ansi256,
        ColorSupport::Ansi16,
        ColorSupport::NoColor,
    ];

    /// Reads the conventions terminals follow: `NO_COLOR` (any non-empty value), `COLORTERM`
    /// (`truecolor`/`24bit`), then `TERM` (`*256color*`). The environment is passed in so the
    /// decision can be tested.
    pub fn detect(env: impl Fn(&str) -> Option<String>) -> ColorSupport {
        if env("NO_COLOR").is_some_and(|v| !v.is_empty()) {
            return ColorSupport::NoColor;
        }
        let term = env("TERM").unwrap_or_default();
        if term == "dumb" {
            return ColorSupport::NoColor;
        }
        let colorterm = env("COLORTERM").unwrap_or_default().to_ascii_lowercase();
        if colorterm == "truecolor" || colorterm == "24bit" {
            return ColorSupport::TrueColor;
        }
        if term.contains("256color") {
            return ColorSupport::Ansi256;
        }
        ColorSupport::Ansi16
    }
}

/// Loads a built-in theme by name or a user's theme file by path, fitted to `support`. Under
/// [`ColorSupport::NoColor`] the result is always the mono theme (after checking the requested
/// one, so a broken theme is still reported): stripping colours from a colour theme would leave
/// roles that differ only by hue indistinguishable.
pub fn load_theme(name_or_path: &str, support: ColorSupport) -> Result<Theme, ConfigError> {
    let theme = if builtin_source(name_or_path).is_some() {
        parse_builtin(name_or_path, support)?
    } else if looks_like_path(name_or_path) || Path::new(name_or_path).is_file() {
        let path = Path::new(name_or_path);
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        parse_theme(&text, path, support)?
    } else {
        return Err(ConfigError::Invalid {
            message: unknown_theme_message(name_or_path),
        });
    };
    if support == ColorSupport::NoColor && theme.name != "mono" {
        return parse_builtin("mono", support);
    }
    Ok(theme)
}

pub(crate) fn unknown_theme_message(name: &str) -> String {
    let mut message = format!(
        "unknown theme `{name}`; expected one of {} or a path to a theme file (.toml)",
        BUILTIN_THEMES.join(", ")
    );
    if let Some(s) = suggest(name, BUILTIN_THEMES.iter().copied()) {
        message.push_str(&format!("; did you mean `{s}`?"));
    }
    message
}

/// A built-in theme; these are checked by tests, so an error here is a bug in themes/.
fn parse_builtin(name: &str, support: ColorSupport) -> Result<Theme, ConfigError> {
    let text = builtin_source(name).ok_or_else(|| ConfigError::Invalid {
        message: unknown_theme_message(name),
    })?;
    parse_theme(
        text,
        &Path::new("themes").join(format!("{name}.toml")),
        support,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    name: String,
    /// The built-in theme whose styles fill roles this file leaves out.
    #[serde(default)]
    extends: Option<String>,
    #[serde(default)]
    roles: BTreeMap<String, RoleSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleSpec {
    fg: Option<ColorSpec>,
    bg: Option<ColorSpec>,
    /// Spanned, so a bad name is reported at the name rather than at the list.
    #[serde(default)]
    modifiers: Vec<Spanned<String>>,
}

/// A colour as written; deserialising checks it so the error points at the value.
struct ColorSpec(Color);

impl<'de> Deserialize<'de> for ColorSpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_color(&text).map(ColorSpec).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "invalid colour `{text}`; expected `#rrggbb`, `#rgb`, an ANSI name ({}), \
                 an index 0..255 or `reset`",
                NAMED_COLORS
                    .iter()
                    .filter(|(n, _)| !n.contains('_') && !n.contains("grey"))
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }
}

const MODIFIERS: &[(&str, Modifier)] = &[
    ("bold", Modifier::BOLD),
    ("dim", Modifier::DIM),
    ("italic", Modifier::ITALIC),
    ("underlined", Modifier::UNDERLINED),
    ("reversed", Modifier::REVERSED),
    ("crossed-out", Modifier::CROSSED_OUT),
    ("slow-blink", Modifier::SLOW_BLINK),
];

fn parse_modifier(text: &str) -> Result<Modifier, String> {
    let names = || MODIFIERS.iter().map(|(n, _)| *n);
    if let Some((_, m)) = MODIFIERS.iter().find(|(n, _)| *n == text) {
        return Ok(*m);
    }
    let mut message = format!(
        "unknown modifier `{text}`; expected one of {}",
        names().collect::<Vec<_>>().join(", ")
    );
    if let Some(s) = suggest(text, names()) {
        message.push_str(&format!("; did you mean `{s}`?"));
    }
    Err(message)
}

const NAMED_COLORS: &[(&str, Color)] = &[
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("grey", Color::Gray),
    ("dark-gray", Color::DarkGray),
    ("dark-grey", Color::DarkGray),
    ("light-red", Color::LightRed),
    ("light-green", Color::LightGreen),
    ("light-yellow", Color::LightYellow),
    ("light-blue", Color::LightBlue),
    ("light-magenta", Color::LightMagenta),
    ("light-cyan", Color::LightCyan),
    ("white", Color::White),
    ("reset", Color::Reset),
];

fn parse_color(text: &str) -> Option<Color> {
    let lower = text.trim().to_ascii_lowercase().replace('_', "-");
    if let Some(hex) = lower.strip_prefix('#') {
        let digits: Vec<u8> = hex
            .chars()
            .map(|c| c.to_digit(16).and_then(|d| u8::try_from(d).ok()))
            .collect::<Option<_>>()?;
        return match digits[..] {
            [r1, r0, g1, g0, b1, b0] => Some(Color::Rgb(r1 * 16 + r0, g1 * 16 + g0, b1 * 16 + b0)),
            [r, g, b] => Some(Color::Rgb(r * 17, g * 17, b * 17)),
            _ => None,
        };
    }
    if let Ok(index) = lower.parse::<u8>() {
        return Some(Color::Indexed(index));
    }
    NAMED_COLORS
        .iter()
        .find(|(n, _)| *n == lower || n.replace('-', "") == lower)
        .map(|(_, c)| *c)
}

/// Parses a theme file and fits it to `support`; `path` names the file in messages.
pub(crate) fn parse_theme(
    text: &str,
    path: &Path,
    support: ColorSupport,
) -> Result<Theme, ConfigError> {
    let source = Source::new(path, text);
    let file: ThemeFile = source.deserialize()?;
    let base_name = file.extends.as_deref().unwrap_or("dark");
    let base = if file.name == base_name || builtin_source(&file.name).is_some() {
        // A built-in theme defines every role itself (its tests check it).
        None
    } else if builtin_source(base_name).is_some() {
        Some(parse_builtin(base_name, ColorSupport::TrueColor)?)
    } else {
        return Err(source.error(
            source.value_span(&[key("extends")]),
            unknown_theme_message(base_name).replace("or a path to a theme file (.toml)", ""),
        ));
    };

    let mut styles: BTreeMap<Role, Style> = BTreeMap::new();
    for (name, spec) in &file.roles {
        let Some(role) = Role::from_name(name) else {
            let names = || Role::ALL.iter().map(|r| r.name());
            let mut message = format!(
                "unknown role `{name}` in [roles]; expected one of {}",
                names().collect::<Vec<_>>().join(", ")
            );
            if let Some(s) = suggest(name, names()) {
                message.push_str(&format!("; did you mean `{s}`?"));
            }
            return Err(source.error(source.key_span(&[key("roles"), key(name)]), message));
        };
        let mut style = Style::default();
        if let Some(ColorSpec(c)) = spec.fg {
            style = style.fg(c);
        }
        if let Some(ColorSpec(c)) = spec.bg {
            style = style.bg(c);
        }
        for written in &spec.modifiers {
            let modifier = parse_modifier(written.get_ref()).map_err(|message| {
                source.error(
                    Some(written.span()),
                    format!("`modifiers` in [roles.{name}]: {message}"),
                )
            })?;
            style = style.add_modifier(modifier);
        }
        styles.insert(role, style);
    }
    if base.is_none()
        && let Some(missing) = Role::ALL.iter().find(|r| !styles.contains_key(r))
    {
        return Err(source.error(
            source.value_span(&[key("roles")]),
            format!(
                "built-in theme `{}` leaves role `{}` undefined",
                file.name,
                missing.name()
            ),
        ));
    }
    Ok(Theme::from_fn(file.name, |role| {
        let style = styles
            .get(&role)
            .copied()
            .or_else(|| base.as_ref().map(|b| b.style(role)))
            .unwrap_or_default();
        fit(style, support)
    }))
}

/// A style with its colours replaced by ones the terminal can show.
pub fn fit(style: Style, support: ColorSupport) -> Style {
    let mut out = style;
    out.fg = style.fg.and_then(|c| fit_color(c, support));
    out.bg = style.bg.and_then(|c| fit_color(c, support));
    out.underline_color = style.underline_color.and_then(|c| fit_color(c, support));
    out
}

/// The colour the terminal can show that is nearest to `color`; `None` when it shows none.
pub fn fit_color(color: Color, support: ColorSupport) -> Option<Color> {
    match (support, color) {
        (ColorSupport::NoColor, _) => None,
        (ColorSupport::TrueColor, c) => Some(c),
        (ColorSupport::Ansi256, Color::Rgb(r, g, b)) => {
            Some(Color::Indexed(nearest_xterm256(r, g, b)))
        }
        (ColorSupport::Ansi256, c) => Some(c),
        (ColorSupport::Ansi16, Color::Rgb(r, g, b)) => Some(nearest_ansi16(r, g, b)),
        (ColorSupport::Ansi16, Color::Indexed(i)) if i < 16 => Some(ANSI16[usize::from(i)]),
        (ColorSupport::Ansi16, Color::Indexed(i)) => {
            let (r, g, b) = xterm256_rgb(i);
            Some(nearest_ansi16(r, g, b))
        }
        (ColorSupport::Ansi16, c) => Some(c),
    }
}

/// The levels of the xterm 6x6x6 colour cube.
const CUBE: [u8; 6] = [0, 95, 135, 175, 215, 255];

fn xterm256_rgb(index: u8) -> (u8, u8, u8) {
    match index {
        0..=15 => {
            // xterm's defaults; terminals differ, which is why 16-colour output uses names.
            const BASE: [(u8, u8, u8); 16] = [
                (0, 0, 0),
                (205, 0, 0),
                (0, 205, 0),
                (205, 205, 0),
                (0, 0, 238),
                (205, 0, 205),
                (0, 205, 205),
                (229, 229, 229),
                (127, 127, 127),
                (255, 0, 0),
                (0, 255, 0),
                (255, 255, 0),
                (92, 92, 255),
                (255, 0, 255),
                (0, 255, 255),
                (255, 255, 255),
            ];
            BASE[usize::from(index)]
        }
        16..=231 => {
            let i = index - 16;
            (
                CUBE[usize::from(i / 36)],
                CUBE[usize::from(i / 6 % 6)],
                CUBE[usize::from(i % 6)],
            )
        }
        _ => {
            let level = 8 + 10 * (index - 232);
            (level, level, level)
        }
    }
}

/// The nearest of the 240 fixed xterm colours (cube and grey ramp; 0..15 vary by terminal).
pub fn nearest_xterm256(r: u8, g: u8, b: u8) -> u8 {
    let nearest_level = |v: u8| -> usize {
        CUBE.iter()
            .enumerate()
            .min_by_key(|(_, level)| (i32::from(**level) - i32::from(v)).abs())
            .map_or(0, |(i, _)| i)
    };
    let (ri, gi, bi) = (nearest_level(r), nearest_level(g), nearest_level(b));
    let cube_index = 16 + 36 * ri + 6 * gi + bi;
    let cube = (CUBE[ri], CUBE[gi], CUBE[bi]);

    let average = (u32::from(r) + u32::from(g) + u32::from(b)) / 3;
    let grey_step = (average.saturating_sub(3) / 10).min(23);
    let grey_level = u8::try_from(8 + 10 * grey_step).unwrap_or(238);
    let grey_index = 232 + grey_step;

    let distance = |(cr, cg, cb): (u8, u8, u8)| -> i32 {
        let d = |a: u8, b: u8| (i32::from(a) - i32::from(b)).pow(2);
        d(r, cr) + d(g, cg) + d(b, cb)
    };
    let chosen = if distance((grey_level, grey_level, grey_level)) < distance(cube) {
        grey_index as usize
    } else {
        cube_index
    };
    u8::try_from(chosen).unwrap_or(15)
}

/// The nearest of the 16 ANSI colours by hue and lightness. Plain RGB distance to xterm's
/// palette sends most muted theme colours (GitHub's green #3fb950, for one) to grey, which would
/// make ok, warning and critical look alike exactly where colour matters most.
pub fn nearest_ansi16(r: u8, g: u8, b: u8) -> Color {
    let (rf, gf, bf) = (f32::from(r), f32::from(g), f32::from(b));
    let max = rf.max(gf).max(bf);
    let min = rf.min(gf).min(bf);
    let chroma = max - min;
    let lightness = (max + min) / 2.0;
    if chroma < 48.0 || chroma / max < 0.3 {
        return match lightness {
            l if l < 64.0 => Color::Black,
            l if l < 178.0 => Color::DarkGray,
            l if l < 242.0 => Color::Gray,
            _ => Color::White,
        };
    }
    let hue = if max == rf {
        60.0 * ((gf - bf) / chroma).rem_euclid(6.0)
    } else if max == gf {
        60.0 * ((bf - rf) / chroma + 2.0)
    } else {
        60.0 * ((rf - gf) / chroma + 4.0)
    };
    let light = lightness >= 140.0;
    let pick = |normal: Color, bright: Color| if light { bright } else { normal };
    match hue {
        h if !(20.0..345.0).contains(&h) => pick(Color::Red, Color::LightRed),
        h if h < 75.0 => pick(Color::Yellow, Color::LightYellow),
        h if h < 150.0 => pick(Color::Green, Color::LightGreen),
        h if h < 200.0 => pick(Color::Cyan, Color::LightCyan),
        h if h < 270.0 => pick(Color::Blue, Color::LightBlue),
        _ => pick(Color::Magenta, Color::LightMagenta),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[rstest]
    #[case::no_color_wins(&[("NO_COLOR", "1"), ("COLORTERM", "truecolor")], ColorSupport::NoColor)]
    #[case::empty_no_color_is_unset(&[("NO_COLOR", ""), ("COLORTERM", "truecolor")], ColorSupport::TrueColor)]
    #[case::truecolor(&[("COLORTERM", "truecolor"), ("TERM", "xterm-256color")], ColorSupport::TrueColor)]
    #[case::twenty_four_bit(&[("COLORTERM", "24bit")], ColorSupport::TrueColor)]
    #[case::tmux_256(&[("TERM", "tmux-256color")], ColorSupport::Ansi256)]
    #[case::screen_over_ssh(&[("TERM", "screen")], ColorSupport::Ansi16)]
    #[case::nothing_known(&[], ColorSupport::Ansi16)]
    #[case::dumb(&[("TERM", "dumb")], ColorSupport::NoColor)]
    fn detects_colour_support(#[case] vars: &[(&str, &str)], #[case] expected: ColorSupport) {
        assert_eq!(ColorSupport::detect(env(vars)), expected);
    }

    #[rstest]
    #[case::pure_red(255, 0, 0, 196)]
    #[case::black(0, 0, 0, 16)]
    #[case::white(255, 255, 255, 231)]
    #[case::mid_grey_goes_to_the_ramp(128, 128, 128, 244)]
    #[case::near_black_grey(18, 18, 18, 233)]
    #[case::github_green(0x3f, 0xb9, 0x50, 71)]
    #[case::github_blue(0x58, 0xa6, 0xff, 75)]
    fn degrades_to_the_nearest_xterm256(
        #[case] r: u8,
        #[case] g: u8,
        #[case] b: u8,
        #[case] expected: u8,
    ) {
        assert_eq!(nearest_xterm256(r, g, b), expected);
    }

    #[rstest]
    #[case::dark_theme_ok(0x3f, 0xb9, 0x50, Color::Green)]
    #[case::dark_theme_critical(0xff, 0x7b, 0x72, Color::LightRed)]
    #[case::dark_theme_warning(0xd2, 0x99, 0x22, Color::Yellow)]
    #[case::dark_theme_info(0x58, 0xa6, 0xff, Color::LightBlue)]
    #[case::dark_theme_muted(0x8b, 0x94, 0x9e, Color::DarkGray)]
    #[case::light_theme_critical(0xcf, 0x22, 0x2e, Color::Red)]
    #[case::light_theme_ok(0x1a, 0x7f, 0x37, Color::Green)]
    #[case::orange_is_a_warning_not_an_error(0xff, 0x88, 0x00, Color::Yellow)]
    #[case::black(0, 0, 0, Color::Black)]
    #[case::white(0xff, 0xff, 0xff, Color::White)]
    #[case::text_on_dark(0xe6, 0xed, 0xf3, Color::Gray)]
    fn degrades_to_the_ansi16_colour_of_the_same_meaning(
        #[case] r: u8,
        #[case] g: u8,
        #[case] b: u8,
        #[case] expected: Color,
    ) {
        assert_eq!(nearest_ansi16(r, g, b), expected);
    }

    #[rstest]
    #[case::hex6("#3fb950", Some(Color::Rgb(0x3f, 0xb9, 0x50)))]
    #[case::hex3("#fff", Some(Color::Rgb(255, 255, 255)))]
    #[case::upper_hex("#ABCDEF", Some(Color::Rgb(0xab, 0xcd, 0xef)))]
    #[case::name("light-blue", Some(Color::LightBlue))]
    #[case::name_underscore("dark_gray", Some(Color::DarkGray))]
    #[case::name_joined("darkgrey", Some(Color::DarkGray))]
    #[case::index("208", Some(Color::Indexed(208)))]
    #[case::reset("reset", Some(Color::Reset))]
    #[case::bad_hex("#12345", None)]
    #[case::not_hex("#gggggg", None)]
    #[case::index_too_big("256", None)]
    #[case::unknown("blurple", None)]
    fn parses_colours(#[case] text: &str, #[case] expected: Option<Color>) {
        assert_eq!(parse_color(text), expected);
    }

    #[test]
    fn an_indexed_colour_degrades_to_ansi16() {
        assert_eq!(
            fit_color(Color::Indexed(9), ColorSupport::Ansi16),
            Some(Color::LightRed)
        );
        assert_eq!(
            fit_color(Color::Indexed(196), ColorSupport::Ansi16),
            Some(Color::Red)
        );
        assert_eq!(
            fit_color(Color::Indexed(196), ColorSupport::Ansi256),
            Some(Color::Indexed(196))
        );
        assert_eq!(fit_color(Color::Red, ColorSupport::NoColor), None);
    }

    #[test]
    fn every_builtin_loads_and_has_its_name() {
        for name in BUILTIN_THEMES {
            let theme = builtin(name).expect("built-in themes are valid");
            assert_eq!(theme.name, *name);
        }
        assert!(builtin("nope").is_none());
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
            let theme = builtin(name).expect("valid");
            for (a, b) in pairs {
                assert_ne!(theme.style(a), theme.style(b), "{name}: {a:?} vs {b:?}");
            }
        }
    }
}
