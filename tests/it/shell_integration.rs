//! What the binary gives the user's shell: completion scripts that bash really loads and that
//! complete subcommands and flags, and a man page, all generated from the same arguments.

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_flightdeck");

fn printed(args: &[&str]) -> String {
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("flightdeck runs");
    assert!(out.status.success(), "flightdeck {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

/// Runs a bash script that has loaded the completion; its stdout.
fn bash(script: &str) -> String {
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", script])
        .env("FLIGHTDECK_BIN", BIN)
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "bash: {out:?}");
    String::from_utf8(out.stdout).expect("UTF-8 output")
}

#[test]
fn bash_loads_the_completion_and_completes_subcommands_and_flags() {
    let loaded = bash(r#"source <("$FLIGHTDECK_BIN" completions bash); complete -p flightdeck"#);
    assert!(
        loaded.contains("-F _flightdeck flightdeck"),
        "bash registered the completion function: {loaded}"
    );
    // The function bash calls on tab, given the words typed so far.
    let complete = |words: &str| {
        bash(&format!(
            r#"source <("$FLIGHTDECK_BIN" completions bash)
COMP_WORDS=({words}); COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="${{COMP_WORDS[*]}}"; COMP_POINT=${{#COMP_LINE}}
_flightdeck flightdeck "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#
        ))
    };
    let subcommands = complete("flightdeck ''");
    for sub in ["status", "completions", "man"] {
        assert!(
            subcommands.lines().any(|l| l == sub),
            "{sub} offered: {subcommands}"
        );
    }
    let flags = complete("flightdeck status --j");
    assert_eq!(flags.trim(), "--json");
    let shells = complete("flightdeck completions ''");
    for shell in ["bash", "zsh", "fish"] {
        assert!(shells.lines().any(|l| l == shell), "{shell}: {shells}");
    }
}

#[test]
fn zsh_and_fish_scripts_are_generated_for_the_same_arguments() {
    let zsh = printed(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef flightdeck"), "{zsh}");
    assert!(zsh.contains("--read-only"));
    let fish = printed(&["completions", "fish"]);
    assert!(fish.contains("complete -c flightdeck"), "{fish}");
    assert!(fish.contains("read-only"));
}

#[test]
fn the_man_page_documents_every_subcommand_and_flag() {
    let man = printed(&["man"]);
    assert!(man.contains(".TH flightdeck 1"), "a section-1 man page");
    for word in ["status", "completions", "read\\-only", "\\-\\-demo"] {
        assert!(man.contains(word), "{word} in the man page");
    }
}

#[test]
fn a_reader_that_stops_early_is_not_an_error() {
    // A pipe whose reading end is already closed: every write fails, as after `| head` quits.
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    for args in [&["man"][..], &["completions", "bash"]] {
        let out = Command::new(BIN)
            .args(args)
            .stdout(writer.try_clone().expect("the pipe's writing end"))
            .output()
            .expect("flightdeck runs");
        assert!(out.status.success(), "{args:?}: {out:?}");
        assert!(out.stderr.is_empty(), "{args:?}: {out:?}");
    }
}
