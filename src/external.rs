//! Running `$EDITOR` or `$PAGER` in the terminal the cockpit handed over. The loop suspends the
//! terminal before and resumes it after; this only starts the program and waits.

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
    fn command_lines_split_like_a_shell_would_for_simple_cases() {
        assert_eq!(shell_words("code --wait"), vec!["code", "--wait"]);
        assert_eq!(shell_words("'my editor' -n"), vec!["my editor", "-n"]);
        assert!(shell_words("  ").is_empty());
    }
}
