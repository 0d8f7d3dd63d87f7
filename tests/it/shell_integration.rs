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
    // A report of one service from a catalog file, with no server to ask.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let catalog = dir.path().join("catalog-info.yaml");
    std::fs::write(
        &catalog,
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: alpha\n\
         spec:\n  type: service\n  owner: team-a\n  lifecycle: production\n",
    )
    .expect("the catalog is written");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[catalog]\npaths = [{:?}]\ncurrent_repo = false\n",
            catalog.display().to_string()
        ),
    )
    .expect("the config is written");
    let config = config.display().to_string();
    let status = ["--config", &config, "status", "--json"];
    let metrics = ["--config", &config, "metrics", "--json"];
    for args in [&["man"][..], &["completions", "bash"], &status, &metrics] {
        let out = Command::new(BIN)
            .args(args)
            .stdout(writer.try_clone().expect("the pipe's writing end"))
            .output()
            .expect("flightdeck runs");
        assert!(out.status.success(), "{args:?}: {out:?}");
        // Metrics says on stderr that alpha has no repository to read; nothing else speaks.
        let stderr = String::from_utf8_lossy(&out.stderr);
        let expected = if args == metrics {
            "flightdeck metrics: alpha: no github.com/project-slug or gitlab.com/project-slug annotation\n"
        } else {
            ""
        };
        assert_eq!(stderr, expected, "{args:?}");
    }
}
