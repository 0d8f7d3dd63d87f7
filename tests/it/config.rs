//! The config, keymap and themes as a user meets them: the shipped example and themes load,
//! mistakes are reported with file, line, column and a suggestion, and the docs list exactly
//! what the code accepts, so they cannot drift.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use flightdeck::config::theme::{BUILTIN_THEMES, ColorSupport, builtin, load_theme};
use flightdeck::config::{self, ConfigError, Located, Origin, load_str};
use flightdeck::ui::theme::Role;
use flightdeck_core::keymap::{Action, Key, KeyCode, Keymap, Layer};
use ratatui::style::{Color, Modifier};
use rstest::rstest;

fn repo_file(relative: &str) -> (PathBuf, String) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    (path, text)
}

fn load_text(text: &str) -> Result<config::Loaded, ConfigError> {
    load_str(
        text,
        Path::new("/home/x/.config/flightdeck/config.toml"),
        Some(Path::new("/home/x")),
    )
}

/// Lines of the form `# key = value` or `# [table]` are the example's optional settings.
fn uncomment_examples(text: &str) -> String {
    text.lines()
        .map(|line| {
            let Some(rest) = line.strip_prefix("# ") else {
                return line.to_string();
            };
            let is_header = rest.starts_with('[') && rest.ends_with(']');
            let is_setting = rest.split_once(" = ").is_some_and(|(k, _)| {
                !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_lowercase() || c == '_' || c == '-')
            });
            if is_header || is_setting {
                rest.to_string()
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_example_config_loads_as_shipped() {
    let (path, text) = repo_file("config.example.toml");
    let loaded = load_str(&text, &path, Some(Path::new("/home/x"))).expect("the example is valid");
    assert_eq!(loaded.config.general.theme.as_deref(), Some("dark"));
    assert_eq!(
        loaded.config.catalog.paths,
        ["/home/x/src/*/catalog-info.yaml"]
    );
    assert_eq!(loaded.keymap, Keymap::defaults());
}

#[test]
fn the_example_config_loads_with_every_optional_setting_enabled() {
    let (path, text) = repo_file("config.example.toml");
    let enabled = uncomment_examples(&text);
    let loaded = load_str(&enabled, &path, Some(Path::new("/home/x")))
        .unwrap_or_else(|e| panic!("every commented example must be valid:\n{e}"));
    let c = &loaded.config;
    assert_eq!(c.general.me.as_deref(), Some("user:default/jdoe"));
    assert!(c.catalog.backstage.is_some());
    assert_eq!(c.services.len(), 1);
    assert_eq!(
        c.services[0].docs.as_deref(),
        Some(Path::new("/home/x/src/payments-api/docs"))
    );
    assert_eq!(c.github.as_ref().map(|g| g.max_in_flight), Some(4));
    assert_eq!(
        c.gitlab.as_ref().map(|g| g.api_url.as_str()),
        Some("https://gitlab.com")
    );
    assert_eq!(
        c.kubernetes.as_ref().map(|k| k.contexts.clone()),
        Some(vec!["staging".to_string(), "production".to_string()])
    );
    assert_eq!(c.alertmanager.len(), 1);
    assert_eq!(
        loaded.keymap.action_in(
            &[Layer::Overview],
            &Key {
                code: KeyCode::Char('m'),
                ctrl: false,
                alt: true,
                shift: false,
            }
        ),
        Some(Action::ToggleMine)
    );
}

#[test]
fn defaults_match_the_documented_ones() {
    let loaded = load_text(
        "[github]\n[gitlab]\n[kubernetes]\n[[alertmanager]]\nname = \"a\"\nurl = \"http://127.0.0.1:9093\"\n",
    )
    .expect("empty source tables take defaults");
    let c = loaded.config;
    let github = c.github.expect("github table present");
    assert_eq!(
        (
            github.api_url.as_str(),
            github.poll_idle_secs,
            github.poll_running_secs,
            github.max_in_flight
        ),
        ("https://api.github.com", 60, 5, 4)
    );
    let gitlab = c.gitlab.expect("gitlab table present");
    assert_eq!(
        (gitlab.api_url.as_str(), gitlab.poll_idle_secs),
        ("https://gitlab.com", 60)
    );
    assert_eq!(c.kubernetes.map(|k| k.log_buffer_lines), Some(10_000));
    assert_eq!(c.alertmanager[0].poll_interval_secs, 5);
    assert_eq!(c.alertmanager[0].service_label, "service");
    assert_eq!(c.general.snapshot_interval_secs, 300);
    assert!(c.catalog.current_repo);
}

#[rstest]
#[case::unknown_key(
    "[general]\ntheme = \"dark\"\nthme = \"dark\"\n",
    3,
    1,
    "unknown key `thme` in [general]; expected one of theme, me, created_by, read_only, log_file, snapshot_interval_secs; did you mean `theme`?"
)]
#[case::unknown_table(
    "[genral]\n",
    1,
    2,
    "unknown key `genral` in the top level; expected one of general, catalog, services, github, gitlab, kubernetes, alertmanager, prometheus, jira, pagerduty, keys, onboarding, delivery; did you mean `general`?"
)]
#[case::unknown_key_in_second_service(
    "[[services]]\nname = \"a\"\n\n[[services]]\nname = \"b\"\nownr = \"group:x\"\n",
    6,
    1,
    "unknown key `ownr` in [[services]] entry 2; expected one of name, owner,"
)]
#[case::unknown_key_in_inline_table(
    "github = { api_urll = \"https://x\" }\n",
    1,
    12,
    "unknown key `api_urll` in [github]; expected one of api_url,"
)]
#[case::wrong_type(
    "[general]\nread_only = \"yes\"\n",
    2,
    13,
    "wrong type for `read_only` in [general]: found string \"yes\", expected a boolean"
)]
#[case::wrong_type_in_list(
    "[catalog]\npaths = [\"a\", 3]\n",
    2,
    15,
    "wrong type for `paths` in [catalog]: found integer `3`, expected a string"
)]
#[case::negative_interval(
    "[general]\nsnapshot_interval_secs = -5\n",
    2,
    26,
    "invalid value for `snapshot_interval_secs` in [general]"
)]
#[case::zero_interval(
    "[github]\npoll_running_secs = 0\n",
    2,
    21,
    "`poll_running_secs` in [github] must be at least 1"
)]
#[case::missing_required_key(
    "[[alertmanager]]\nname = \"prod\"\n",
    1,
    1,
    "missing key `url` in [[alertmanager]] entry 1"
)]
#[case::not_a_url(
    "[[alertmanager]]\nname = \"prod\"\nurl = \"alertmanager:9093\"\n",
    3,
    7,
    "`alertmanager:9093` is not a URL; expected one that starts with https:// or http://"
)]
#[case::half_basic_auth(
    "[[alertmanager]]\nname = \"prod\"\nurl = \"http://am\"\nbasic_auth_user = \"me\"\n",
    4,
    19,
    "basic auth needs both `basic_auth_user` and `basic_auth_password_env`"
)]
#[case::duplicate_service(
    "[[services]]\nname = \"a\"\n[[services]]\nname = \"a\"\n",
    4,
    8,
    "service `a` is declared twice"
)]
#[case::bad_key_string(
    "[keys]\nquit = [\"q\", \"ctrl-\"]\n",
    2,
    14,
    "bad key `ctrl-` for `quit`: unknown key `ctrl-`; expected a character (`q`, `G`, `?`, `1`), `space`, or a named key"
)]
#[case::shift_on_a_symbol(
    "[keys]\nhelp = [\"shift-/\"]\n",
    2,
    9,
    "bad key `shift-/` for `help`: `shift-` applies to letters and named keys only"
)]
#[case::unknown_action(
    "[keys]\nqiut = [\"x\"]\n",
    2,
    1,
    "unknown action `qiut` in [keys]; did you mean `quit`?"
)]
#[case::conflicting_binding(
    "[keys]\nlogs = [\"l\", \"d\"]\n",
    2,
    14,
    "key `d` is bound to both `describe` and `logs`; `describe` has it by default: bind `describe` to another key too (or `describe = []` to unbind it)"
)]
#[case::conflict_between_two_overrides(
    "[keys]\nlogs = [\"x\"]\ncopy = [\"x\"]\n",
    3,
    9,
    "key `x` is bound to both `logs` and `copy`; a key can trigger only one action"
)]
#[case::unknown_theme(
    "[general]\ntheme = \"drak\"\n",
    2,
    9,
    "unknown theme `drak`; expected one of dark, light, high-contrast, mono or a path to a theme file (.toml); did you mean `dark`?"
)]
#[case::syntax_error("[general]\ntheme = \"dark\n", 2, 14, "invalid TOML:")]
#[case::bad_rework_pattern(
    "[delivery]\nrework_pattern = \"(?i)^(revert|hotfix\"\n",
    2,
    18,
    "`rework_pattern` in [delivery] is not a regular expression: "
)]
#[case::bad_rework_window(
    "[delivery]\nrework_window = \"a day\"\n",
    2,
    17,
    "`rework_window` in [delivery] must be a duration such as 1h, 90m or 2d"
)]
fn a_bad_config_names_file_line_column_and_what_was_expected(
    #[case] text: &str,
    #[case] line: usize,
    #[case] column: usize,
    #[case] expected: &str,
) {
    let err = load_text(text).expect_err("the config is invalid");
    let shown = err.to_string();
    let prefix = format!("config error: /home/x/.config/flightdeck/config.toml:{line}:{column}: ");
    assert!(
        shown.starts_with(&format!("{prefix}{expected}")),
        "expected a message starting with\n  {prefix}{expected}\ngot\n  {shown}"
    );
    let location = err.location().expect("a located error");
    assert_eq!((location.line, location.column), (line, column));
}

#[test]
fn an_error_shows_the_line_with_a_caret_under_the_culprit() {
    let err = load_text("[general]\nthme = \"dark\"\n").expect_err("unknown key");
    let shown = err.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        &lines[1..],
        ["  |", "2 | thme = \"dark\"", "  | ^^^^"],
        "{shown}"
    );
}

#[test]
fn a_missing_config_is_the_first_run_only_at_the_default_location() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("config.toml");
    let at = |origin| Located {
        path: path.clone(),
        origin,
    };
    assert!(
        config::load_located(&at(Origin::Default))
            .expect("first run")
            .is_none()
    );
    for origin in [Origin::Cli, Origin::Env] {
        let err = config::load_located(&at(origin)).expect_err("a named file must exist");
        let shown = err.to_string();
        assert!(
            shown.contains("config.toml does not exist (named by"),
            "{shown}"
        );
    }
    std::fs::write(&path, "[general]\nread_only = true\n").expect("write config");
    let loaded = config::load_located(&at(Origin::Default))
        .expect("valid")
        .expect("present");
    assert!(loaded.config.general.read_only);
    assert_eq!(loaded.path, path);
}

#[test]
fn remapping_moves_an_action_to_new_keys() {
    let loaded = load_text(
        "[keys]\nquit = [\"ctrl-q\"]\ndescribe = []\nlogs = [\"d\", \"L\"]\nscreen-alerts = [\"f4\", \"4\"]\n",
    )
    .expect("a consistent remap");
    let km = &loaded.keymap;
    assert_eq!(km.action(&Key::ctrl('q')), Some(Action::Quit));
    assert_eq!(km.action(&Key::char('q')), None);
    let on = |key: &Key| km.action_in(&[Layer::Workloads], key);
    assert_eq!(on(&Key::char('d')), Some(Action::Logs));
    assert_eq!(on(&Key::char('l')), None);
    assert_eq!(on(&Key::char('L')), Some(Action::Logs));
    assert_eq!(
        km.action(&Key::new(KeyCode::F(4))),
        Some(Action::ScreenAlerts)
    );
    assert!(km.keys(Action::Describe).is_empty());
    // The help is generated from the live keymap, so it shows the remap.
    let help: BTreeMap<Action, Vec<Key>> = km.help().into_iter().flat_map(|(_, a)| a).collect();
    assert_eq!(help[&Action::Quit], vec![Key::ctrl('q')]);
    assert_eq!(help[&Action::Logs], vec![Key::char('d'), Key::char('L')]);
}

/// The markdown the keybindings doc must contain: one table per keymap layer, in layer order,
/// with every action live in that layer.
fn keybindings_tables(keymap: &Keymap) -> String {
    let mut out = String::new();
    for &layer in Layer::ALL {
        out.push_str(&format!(
            "### {layer}: {}\n\n| action | default keys | what it does |\n| --- | --- | --- |\n",
            layer.title()
        ));
        for &action in Action::ALL.iter().filter(|a| a.in_layer(layer)) {
            let keys: Vec<String> = keymap
                .keys(action)
                .iter()
                .map(|k| format!("`{k}`"))
                .collect();
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                action.name(),
                keys.join(", "),
                action.description().replace('|', "\\|")
            ));
        }
        out.push('\n');
    }
    out
}

#[test]
fn a_remapped_screen_action_leaves_its_old_key() {
    let loaded = load_text("[keys]\ndelete-pod = [\"ctrl-x\"]\nscale = [\"x\"]\n")
        .expect("ctrl-x and x are free on Workloads");
    let km = &loaded.keymap;
    let on = |key: &Key| km.action_in(&[Layer::Workloads], key);
    assert_eq!(on(&Key::char('D')), None);
    assert_eq!(on(&Key::ctrl('x')), Some(Action::DeletePod));
    assert_eq!(on(&Key::char('x')), Some(Action::Scale));
    // x keeps its meaning where its default actions live.
    assert_eq!(
        km.action_in(&[Layer::Silences], &Key::char('x')),
        Some(Action::ExpireSilence)
    );
}

#[test]
fn a_screen_key_that_clashes_with_a_global_one_is_refused_where_it_was_written() {
    let err = load_text("[keys]\nscale = [\"q\"]\n").expect_err("q quits everywhere");
    let text = err.to_string();
    assert!(
        text.contains("key `q` is bound to both `quit` and `scale`"),
        "{text}"
    );
    assert!(text.contains(":2:"), "{text}");
}

#[test]
fn the_keybindings_doc_lists_every_action_with_its_default_keys() {
    let (_, doc) = repo_file("docs/keybindings.md");
    let expected = keybindings_tables(&Keymap::defaults());
    let expected = expected.trim_end();
    assert!(
        doc.contains(expected),
        "docs/keybindings.md has drifted from the keymap; it must contain:\n\n{expected}"
    );
    for action in Action::ALL {
        assert!(
            doc.contains(&format!("| `{}` |", action.name())),
            "{}",
            action.name()
        );
    }
}

/// The keys a table accepts, as the loader itself lists them in its unknown-key message.
fn accepted_keys(prefix: &str) -> Vec<String> {
    let text = format!("{prefix}zzz_not_a_key = 1\n");
    let err = load_text(&text).expect_err("an unknown key");
    let shown = err.to_string();
    let first_line = shown.lines().next().unwrap_or_default();
    let list = first_line
        .split_once("expected one of ")
        .map(|(_, rest)| rest.split(';').next().unwrap_or_default())
        .unwrap_or_else(|| panic!("no key list in: {shown}"));
    list.split(", ").map(str::to_string).collect()
}

const TABLES: &[(&str, &str)] = &[
    ("", "The top level"),
    ("[general]\n", "[general]"),
    ("[catalog]\n", "[catalog]"),
    (
        "[catalog.backstage]\nurl = \"https://b\"\n",
        "[catalog.backstage]",
    ),
    ("[[services]]\nname = \"a\"\n", "[[services]]"),
    ("[github]\n", "[github]"),
    ("[gitlab]\n", "[gitlab]"),
    ("[kubernetes]\n", "[kubernetes]"),
    (
        "[[alertmanager]]\nname = \"a\"\nurl = \"https://a\"\n",
        "[[alertmanager]]",
    ),
    ("[jira]\nurl = \"https://j\"\n", "[jira]"),
    ("[pagerduty]\n", "[pagerduty]"),
    ("[delivery]\n", "[delivery]"),
];

#[test]
fn the_configuration_doc_and_the_example_describe_every_key() {
    let (_, doc) = repo_file("docs/configuration.md");
    let (_, example) = repo_file("config.example.toml");
    for (prefix, heading) in TABLES {
        let keys = accepted_keys(prefix);
        assert!(!keys.is_empty(), "{heading}");
        let start = doc
            .find(&format!("## `{heading}`"))
            .or_else(|| doc.find(&format!("## {heading}")))
            .unwrap_or_else(|| panic!("docs/configuration.md has no section for {heading}"));
        let section = &doc[start..];
        let section = &section[..section[3..].find("\n## ").map_or(section.len(), |i| i + 3)];
        for key in keys {
            assert!(
                section.contains(&format!("| `{key}` |")),
                "docs/configuration.md does not document `{key}` under {heading}"
            );
            if !prefix.is_empty() {
                let shown =
                    example.contains(&format!("{key} = ")) || example.contains(&format!(".{key}]"));
                assert!(
                    shown,
                    "config.example.toml does not show `{key}` ({heading})"
                );
            }
        }
    }
}

#[test]
fn the_configuration_doc_lists_every_theme_role_and_builtin_theme() {
    let (_, doc) = repo_file("docs/configuration.md");
    for role in Role::ALL {
        assert!(
            doc.contains(&format!("| `{}` |", role.name())),
            "role {}",
            role.name()
        );
    }
    for name in BUILTIN_THEMES {
        assert!(doc.contains(&format!("| `{name}` |")), "theme {name}");
    }
}

#[rstest]
fn every_builtin_theme_loads_at_every_colour_level(
    #[values("dark", "light", "high-contrast", "mono")] name: &str,
    #[values(
        ColorSupport::TrueColor,
        ColorSupport::Ansi256,
        ColorSupport::Ansi16,
        ColorSupport::NoColor
    )]
    support: ColorSupport,
) {
    let theme = load_theme(name, support).expect("built-in themes are valid");
    let expected_name = if support == ColorSupport::NoColor {
        "mono"
    } else {
        name
    };
    assert_eq!(theme.name, expected_name);
    for &role in Role::ALL {
        let style = theme.style(role);
        for color in [style.fg, style.bg].into_iter().flatten() {
            let allowed = match support {
                ColorSupport::TrueColor => true,
                ColorSupport::Ansi256 => !matches!(color, Color::Rgb(..)),
                ColorSupport::Ansi16 => !matches!(color, Color::Rgb(..) | Color::Indexed(_)),
                ColorSupport::NoColor => false,
            };
            assert!(allowed, "{name} under {support:?}: {role:?} has {color:?}");
        }
    }
}

#[test]
fn the_builtin_theme_names_are_the_files_shipped() {
    let mut shipped: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("themes"))
            .expect("themes/ exists")
            .filter_map(|e| e.ok())
            .filter_map(|e| {
                e.file_name()
                    .to_str()?
                    .strip_suffix(".toml")
                    .map(str::to_string)
            })
            .collect();
    shipped.sort();
    let mut builtin: Vec<String> = BUILTIN_THEMES.iter().map(|s| s.to_string()).collect();
    builtin.sort();
    assert_eq!(shipped, builtin);
}

#[test]
fn no_color_selects_the_mono_theme_whatever_is_configured() {
    let env = |name: &str| match name {
        "NO_COLOR" => Some("1".to_string()),
        "COLORTERM" => Some("truecolor".to_string()),
        "TERM" => Some("xterm-256color".to_string()),
        _ => None,
    };
    let support = ColorSupport::detect(env);
    assert_eq!(support, ColorSupport::NoColor);
    let theme = load_theme("high-contrast", support).expect("built-in");
    assert_eq!(theme.name, "mono");
    for &role in Role::ALL {
        let style = theme.style(role);
        assert_eq!((style.fg, style.bg), (None, None), "{role:?}");
    }
    assert!(
        theme
            .style(Role::Selection)
            .add_modifier
            .contains(Modifier::REVERSED)
    );
}

#[test]
fn the_mono_theme_uses_modifiers_only() {
    let mono = builtin("mono").expect("built-in");
    let allowed = Modifier::BOLD | Modifier::DIM | Modifier::UNDERLINED | Modifier::REVERSED;
    for &role in Role::ALL {
        let style = mono.style(role);
        assert_eq!((style.fg, style.bg), (None, None), "{role:?}");
        assert!(
            allowed.contains(style.add_modifier),
            "{role:?}: {:?}",
            style.add_modifier
        );
    }
}

fn luminance(color: Color) -> Option<f64> {
    let Color::Rgb(r, g, b) = color else {
        return None;
    };
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    Some(0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b))
}

fn contrast(a: Color, b: Color) -> f64 {
    let (la, lb) = (luminance(a).unwrap_or(0.0), luminance(b).unwrap_or(0.0));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// WCAG contrast of every role against the backgrounds its theme is meant for (the terminal's
/// own where the role sets none): 4.5:1 for text (7:1 in high-contrast), 3:1 for borders.
#[rstest]
#[case::dark("dark", &["#000000", "#1e1e1e", "#282828"], 4.5)]
#[case::light("light", &["#ffffff", "#f5f5f5", "#fdf6e3"], 4.5)]
#[case::high_contrast("high-contrast", &["#000000", "#1e1e1e"], 7.0)]
fn theme_colours_are_readable_on_their_backgrounds(
    #[case] name: &str,
    #[case] backgrounds: &[&str],
    #[case] minimum: f64,
) {
    let hex = |s: &str| {
        let v = u32::from_str_radix(&s[1..], 16).expect("hex colour");
        Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8)
    };
    let theme = builtin(name).expect("built-in");
    for &role in Role::ALL {
        let style = theme.style(role);
        let Some(fg) = style.fg else { continue };
        let required = if matches!(role, Role::Border | Role::BorderFocused) {
            3.0
        } else {
            minimum
        };
        let behind: Vec<Color> = match style.bg {
            Some(bg) => vec![bg],
            None => backgrounds.iter().map(|b| hex(b)).collect(),
        };
        for bg in behind {
            let ratio = contrast(fg, bg);
            assert!(
                ratio >= required,
                "{name}: {role:?} {fg:?} on {bg:?} is {ratio:.2}:1, needs {required}:1"
            );
        }
    }
}

fn write_theme(dir: &Path, file: &str, text: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, text).expect("write theme");
    path
}

#[test]
fn a_user_theme_falls_back_to_dark_or_to_the_theme_it_extends() {
    let dir = tempfile::tempdir().expect("temp dir");
    let own = write_theme(
        dir.path(),
        "own.toml",
        "name = \"own\"\n[roles]\nok = { fg = \"#00ff00\" }\n",
    );
    let theme = load_theme(&own.to_string_lossy(), ColorSupport::TrueColor).expect("valid theme");
    let dark = builtin("dark").expect("built-in");
    assert_eq!(theme.name, "own");
    assert_eq!(theme.style(Role::Ok).fg, Some(Color::Rgb(0, 255, 0)));
    assert_eq!(theme.style(Role::Critical), dark.style(Role::Critical));

    let on_light = write_theme(
        dir.path(),
        "on-light.toml",
        "name = \"on-light\"\nextends = \"light\"\n[roles]\nok = { fg = \"green\" }\n",
    );
    let theme = load_theme(&on_light.to_string_lossy(), ColorSupport::Ansi16).expect("valid theme");
    let light16 = load_theme("light", ColorSupport::Ansi16).expect("built-in");
    assert_eq!(theme.style(Role::Ok).fg, Some(Color::Green));
    assert_eq!(theme.style(Role::Critical), light16.style(Role::Critical));
}

#[rstest]
#[case::unknown_role(
    "name = \"t\"\n[roles]\nokk = { fg = \"#00ff00\" }\n",
    3,
    1,
    "unknown role `okk` in [roles]; expected one of text, muted,"
)]
#[case::bad_colour(
    "name = \"t\"\n[roles]\nok = { fg = \"#00ff0\" }\n",
    3,
    13,
    "`fg` in [roles.ok]: invalid colour `#00ff0`; expected `#rrggbb`"
)]
#[case::bad_modifier(
    "name = \"t\"\n[roles]\nok = { modifiers = [\"blod\"] }\n",
    3,
    21,
    "`modifiers` in [roles.ok]: unknown modifier `blod`; expected one of bold,"
)]
#[case::unknown_field(
    "name = \"t\"\n[roles]\nok = { foreground = \"red\" }\n",
    3,
    8,
    "unknown key `foreground` in [roles.ok]; expected one of fg, bg, modifiers"
)]
#[case::unknown_base("name = \"t\"\nextends = \"drak\"\n", 2, 11, "unknown theme `drak`")]
fn a_bad_theme_file_names_its_line_and_column(
    #[case] text: &str,
    #[case] line: usize,
    #[case] column: usize,
    #[case] expected: &str,
) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = write_theme(dir.path(), "bad.toml", text);
    let err =
        load_theme(&path.to_string_lossy(), ColorSupport::TrueColor).expect_err("invalid theme");
    let shown = err.to_string();
    let prefix = format!("config error: {}:{line}:{column}: ", path.display());
    assert!(
        shown.starts_with(&format!("{prefix}{expected}")),
        "expected\n  {prefix}{expected}\ngot\n  {shown}"
    );
}

#[test]
fn a_config_naming_a_broken_theme_file_reports_the_theme_files_location() {
    let dir = tempfile::tempdir().expect("temp dir");
    write_theme(
        dir.path(),
        "mine.toml",
        "name = \"mine\"\n[roles]\nwarnign = {}\n",
    );
    let config_path = dir.path().join("config.toml");
    std::fs::write(&config_path, "[general]\ntheme = \"mine.toml\"\n").expect("write config");
    let err = config::load(&config_path).expect_err("the theme is broken");
    let shown = err.to_string();
    let expected = format!(
        "{}:3:1: unknown role `warnign`",
        dir.path().join("mine.toml").display()
    );
    assert!(shown.contains(&expected), "{shown}");
    assert!(shown.contains("did you mean `warning`?"), "{shown}");
}

#[test]
fn an_unknown_theme_name_from_the_command_line_is_explained() {
    let err = load_theme("hig-contrast", ColorSupport::TrueColor).expect_err("no such theme");
    assert_eq!(
        err.to_string(),
        "config error: unknown theme `hig-contrast`; expected one of dark, light, high-contrast, mono or a path to a theme file (.toml); did you mean `high-contrast`?"
    );
}
