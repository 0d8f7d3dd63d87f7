//! The scaffolder: Backstage Software Templates run from the terminal. Templates are read from
//! the catalog, their skeletons rendered with a real Jinja engine, then published to GitHub and
//! registered in Backstage — `flightdeck new` drives it without a terminal UI.

pub mod engine;
pub mod load;
pub mod publish;
pub mod run;
pub mod skeleton;

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use chrono::Utc;
use serde_json::Value;

use crate::config::Config;
use flightdeck_core::sanitize;

/// Exit codes of `flightdeck new`.
pub const OK: u8 = 0;
/// A step failed: something may exist elsewhere; stderr says what.
pub const FAILED: u8 = 1;
/// Refused before anything ran: unknown template, bad values, unsupported action, no consent.
pub const REFUSED: u8 = 2;

#[derive(Debug, Clone, Default)]
pub struct NewArgs {
    pub template: Option<String>,
    pub list: bool,
    pub values: Vec<(String, String)>,
    pub dry_run: bool,
    pub yes: bool,
}

/// `key=value`, as `--value` takes it.
pub fn parse_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("{s}: expected key=value"))
}

/// Where a run may write, from the config.
pub fn targets(config: &Config) -> run::Targets {
    run::Targets {
        github: config.github.clone(),
        backstage: config.catalog.backstage.clone(),
    }
}

/// The workspace as an indented tree, one line per file or directory.
pub fn tree(ws: &skeleton::Workspace) -> Vec<String> {
    let mut out = Vec::new();
    let mut open: Vec<&str> = Vec::new();
    for path in ws.keys() {
        let parts: Vec<&str> = path.split('/').collect();
        let (dirs, file) = parts.split_at(parts.len() - 1);
        let common = open.iter().zip(dirs).take_while(|(a, b)| a == b).count();
        open.truncate(common);
        for d in &dirs[common..] {
            out.push(format!("{}{d}/", "  ".repeat(open.len())));
            open.push(d);
        }
        out.push(format!(
            "{}{}",
            "  ".repeat(open.len()),
            file.first().copied().unwrap_or_default()
        ));
    }
    out
}

/// `flightdeck new`.
pub async fn command(config: &Config, args: NewArgs) -> ExitCode {
    let templates = load::load(config).await;
    for p in &templates.problems {
        eprintln!("flightdeck new: {}", sanitize::line(p));
    }
    let Some(name) = args.template.as_deref().filter(|_| !args.list) else {
        for s in &templates.list {
            println!("{}", s.template.name);
        }
        if !args.list {
            eprintln!(
                "flightdeck new: name a template (flightdeck new TEMPLATE --value key=value …)"
            );
            return ExitCode::from(REFUSED);
        }
        return ExitCode::from(OK);
    };
    let Some(source) = templates.find(name) else {
        let names = templates.list.iter().map(|s| s.template.name.as_str());
        match flightdeck_core::suggest::suggest(name, names) {
            Some(near) => eprintln!("flightdeck new: no template {name} (did you mean {near}?)"),
            None => {
                eprintln!("flightdeck new: no template {name}; `flightdeck new --list` lists them")
            }
        }
        return ExitCode::from(REFUSED);
    };
    for w in &source.warnings {
        eprintln!("flightdeck new: {}: {w}", source.template.name);
    }
    let targets = targets(config);
    let plan = match run::preflight(source, &args.values, &targets, Utc::now()).await {
        Ok(p) => p,
        Err(errors) => {
            eprintln!(
                "flightdeck new: {} refused, nothing was created:",
                source.template.name
            );
            for e in errors {
                eprintln!("  {e}");
            }
            return ExitCode::from(REFUSED);
        }
    };

    // The review: what a dry run builds is exactly what the real run publishes.
    let mut quiet = |_: run::Event| {};
    let preview = match run::run(&plan, &targets, true, &mut quiet).await {
        Ok(o) => o,
        Err(f) => {
            eprintln!("flightdeck new: {}", sanitize::text(&f.to_string()));
            return ExitCode::from(FAILED);
        }
    };
    println!(
        "template   {} ({})",
        source.template.display_name(),
        source.template.entity_ref
    );
    for (k, v) in &plan.values {
        let shown = match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        println!("value      {k} = {}", sanitize::line(&shown));
    }
    for r in &plan.repositories {
        println!("repository {r}");
    }
    println!("files      {}", preview.workspace.len());
    for line in tree(&preview.workspace) {
        println!("  {}", sanitize::line(&line));
    }
    if args.dry_run {
        println!("dry run: nothing was created");
        return ExitCode::from(OK);
    }
    if !args.yes {
        if !std::io::stdin().is_terminal() {
            eprintln!("flightdeck new: not a terminal to ask on; pass --yes to create it");
            return ExitCode::from(REFUSED);
        }
        print!("Create it? [y/N] ");
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().lock().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            eprintln!("flightdeck new: not created");
            return ExitCode::from(REFUSED);
        }
    }

    let steps = &source.template.steps;
    let mut progress = |e: run::Event| match e {
        run::Event::Started {
            index,
            step,
            action,
        } => {
            println!("[{}/{}] {step} ({action})", index + 1, steps.len());
        }
        run::Event::Log { line, .. } => println!("      {}", sanitize::line(&line)),
        run::Event::Done { millis, .. } => println!("      done in {millis} ms"),
        run::Event::Skipped { index } => {
            println!("[{}/{}] skipped (if: false)", index + 1, steps.len())
        }
    };
    match run::run(&plan, &targets, false, &mut progress).await {
        Ok(outcome) => {
            if let Some(links) = outcome.output.get("links").and_then(Value::as_array) {
                for l in links {
                    let title = l.get("title").and_then(Value::as_str).unwrap_or("link");
                    let to = l
                        .get("url")
                        .and_then(Value::as_str)
                        .and_then(sanitize::url)
                        .or_else(|| {
                            l.get("entityRef")
                                .and_then(Value::as_str)
                                .map(sanitize::ident)
                        });
                    if let Some(to) = to {
                        println!("{}: {to}", sanitize::line(title));
                    }
                }
            }
            ExitCode::from(OK)
        }
        Err(f) => {
            eprintln!("flightdeck new: {}", sanitize::text(&f.to_string()));
            ExitCode::from(FAILED)
        }
    }
}
