//! Running `$EDITOR` or `$PAGER` in the terminal the cockpit handed over (the loop suspends the
//! terminal before and resumes it after; this only starts the program and waits), and opening a
//! URL with `$BROWSER` or the platform's opener, detached from the terminal.

use std::io::Write;
use std::process::Command;

use flightdeck_core::message::External;

/// Runs the program to completion; `Err` is a message for the status line.
pub fn run(program: &External) -> Result<(), String> {
    match program {
        External::Editor { path, line } => {
            let editor = command_from_env(&["VISUAL", "EDITOR"], "vi");
            let mut cmd = shell_words(&editor);
            let Some(exe) = cmd.first().cloned() else {
                return Err("$EDITOR is empty".into());
            };
            if let Some(line) = line {
                cmd.push(format!("+{line}"));
            }
            cmd.push(path.clone());
            wait(Command::new(&exe).args(&cmd[1..]), &exe)
        }
        External::Pager { text } => {
            let pager = command_from_env(&["PAGER"], "less -R");
            let cmd = shell_words(&pager);
            let Some(exe) = cmd.first().cloned() else {
                return Err("$PAGER is empty".into());
            };
            let mut file = tempfile::Builder::new()
                .prefix("flightdeck-")
                .suffix(".txt")
                .tempfile()
                .map_err(|e| format!("cannot write a file for the pager: {e}"))?;
            file.write_all(text.as_bytes())
                .map_err(|e| format!("cannot write a file for the pager: {e}"))?;
            wait(Command::new(&exe).args(&cmd[1..]).arg(file.path()), &exe)
        }
    }
}

fn command_from_env(vars: &[&str], fallback: &str) -> String {
    vars.iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| fallback.to_string())
}

/// The commands `$BROWSER` names for `url`, in the order to try them: a colon-separated list, as
/// other tools read it; `%s` in an entry stands for the URL (`%%` for a `%`), and an entry
/// without it gets the URL as its last argument.
pub fn browser_commands(browser: &str, url: &str) -> Vec<Vec<String>> {
    browser
        .split(':')
        .map(shell_words)
        .filter(|words| !words.is_empty())
        .map(|words| {
            let mut substituted = false;
            let mut out: Vec<String> = words
                .iter()
                .map(|w| {
                    let mut arg = String::new();
                    let mut chars = w.chars().peekable();
                    while let Some(c) = chars.next() {
                        match (c, chars.peek()) {
                            ('%', Some('s')) => {
                                chars.next();
                                arg.push_str(url);
                                substituted = true;
                            }
                            ('%', Some('%')) => {
                                chars.next();
                                arg.push('%');
                            }
                            _ => arg.push(c),
                        }
                    }
                    arg
                })
                .collect();
            if !substituted {
                out.push(url.to_string());
            }
            out
        })
        .collect()
}

/// Opens a URL, already checked by the caller: each `$BROWSER` entry in turn until one exits
/// successfully, else the platform opener when there is a desktop (over SSH there is none, and
/// the screen that asked shows the URL to copy). Runs on its own thread, so a slow opener never
/// holds the loop; the programs get no terminal, which the cockpit is drawing on.
pub fn open_url(url: &str) {
    let browser = std::env::var("BROWSER").unwrap_or_default();
    let mut commands = browser_commands(&browser, url);
    let desktop =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if desktop || cfg!(target_os = "macos") {
        let opener = if cfg!(target_os = "macos") {
            "open"
        } else {
            "xdg-open"
        };
        commands.push(vec![opener.to_string(), url.to_string()]);
    }
    if !commands.is_empty() {
        try_in_turn(commands);
    }
}

/// Runs the commands one after the other on a new thread until one succeeds; the handle says
/// whether one did.
fn try_in_turn(commands: Vec<Vec<String>>) -> std::thread::JoinHandle<bool> {
    std::thread::spawn(move || {
        for words in commands {
            let Some((exe, args)) = words.split_first() else {
                continue;
            };
            let status = Command::new(exe)
                .args(args)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
            match status {
                Ok(s) if s.success() => return true,
                Ok(s) => tracing::info!(browser = %exe, status = %s, "the browser failed"),
                Err(e) => tracing::info!(browser = %exe, error = %e, "cannot run the browser"),
            }
        }
        false
    })
}

/// Splits a command line on whitespace, honouring simple quotes (`code --wait`, `'my editor'`).
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn wait(cmd: &mut Command, exe: &str) -> Result<(), String> {
    match cmd.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(format!("{exe} exited with {status}")),
        Err(e) => Err(format!("cannot run {exe}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_entries_are_colon_separated_with_percent_s_for_the_url() {
        let url = "https://ci.example/run/7?x=1";
        assert_eq!(
            browser_commands("firefox --new-tab %s:w3m", url),
            vec![
                vec!["firefox".to_string(), "--new-tab".into(), url.into()],
                vec!["w3m".to_string(), url.into()],
            ]
        );
        assert_eq!(
            browser_commands("echo 100%% %s", url),
            vec![vec!["echo".to_string(), "100%".into(), url.into()]]
        );
        assert!(browser_commands("", url).is_empty());
        assert!(browser_commands("::", url).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_failing_browser_is_passed_over_for_the_next() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let out = dir.path().join("opened");
        let script = dir.path().join("browser");
        std::fs::write(
            &script,
            format!("#!/bin/sh\nprintf '%s' \"$1\" > '{}'\n", out.display()),
        )
        .expect("script written");
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
            .expect("script made executable");
        let url = "https://docs.example/runbook#5xx";
        let browser = format!("/nonexistent/browser:false:{}", script.display());
        let opened = try_in_turn(browser_commands(&browser, url))
            .join()
            .expect("the opener thread ends");
        assert!(opened);
        assert_eq!(
            std::fs::read_to_string(&out).expect("the URL was written"),
            url
        );
        assert!(
            !try_in_turn(browser_commands("false", url))
                .join()
                .expect("ends")
        );
    }

    #[test]
    fn command_lines_split_like_a_shell_would_for_simple_cases() {
        assert_eq!(shell_words("code --wait"), vec!["code", "--wait"]);
        assert_eq!(shell_words("'my editor' -n"), vec!["my editor", "-n"]);
        assert!(shell_words("  ").is_empty());
    }
}
