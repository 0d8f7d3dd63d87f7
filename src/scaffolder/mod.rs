//! The scaffolder: Backstage Software Templates run from the terminal. Templates are read from
//! the catalog, their skeletons rendered with a real Jinja engine, then published to GitHub and
//! registered in Backstage — `flightdeck new` drives it without a terminal UI.

pub mod engine;
pub mod load;
pub mod provider;
pub mod publish;
pub mod remote;
pub mod run;
pub mod skeleton;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::Utc;
use serde_json::Value;

use crate::config::Config;
use flightdeck_core::model::create::{Preview, PreviewFile};
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
    /// Go on with the last failed run from the step that failed.
    pub resume: bool,
    /// Where a failed run is kept for `--resume` (the cache directory).
    pub resume_file: Option<PathBuf>,
}

/// A failed run, kept so `flightdeck new --resume` or the Create screen can go on with it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Saved {
    pub template: String,
    pub given: Vec<(String, String)>,
    /// When the request started: the service's `flightdeck.dev/created-at` stays this time.
    pub started: chrono::DateTime<Utc>,
    pub resume: run::Resume,
}

/// The file a failed run is kept in, in the cache directory.
pub fn resume_file(cache_dir: &Path) -> PathBuf {
    cache_dir.join("new-resume.json")
}

pub fn save_resume(path: &Path, saved: &Saved) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let body = serde_json::to_vec_pretty(saved).map_err(|e| e.to_string())?;
    std::fs::write(path, body).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn load_resume(path: &Path) -> Option<Saved> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

/// A finished run leaves nothing to resume.
pub fn forget_resume(path: &Path) {
    let _ = std::fs::remove_file(path);
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
        gitlab: config.gitlab.clone(),
        backstage: config.catalog.backstage.clone(),
    }
}

/// The workspace as an indented tree, one line per file or directory, with the index (in path
/// order) of the file a line names.
pub fn tree(ws: &skeleton::Workspace) -> Vec<(String, Option<usize>)> {
    let mut out = Vec::new();
    let mut open: Vec<&str> = Vec::new();
    for (index, path) in ws.keys().enumerate() {
        let parts: Vec<&str> = path.split('/').collect();
        let (dirs, file) = parts.split_at(parts.len() - 1);
        let common = open.iter().zip(dirs).take_while(|(a, b)| a == b).count();
        open.truncate(common);
        for d in &dirs[common..] {
            out.push((format!("{}{d}/", "  ".repeat(open.len())), None));
            open.push(d);
        }
        out.push((
            format!(
                "{}{}",
                "  ".repeat(open.len()),
                file.first().copied().unwrap_or_default()
            ),
            Some(index),
        ));
    }
    out
}

/// What the review shows: the values, what will be created and the files, from a dry run.
pub fn preview(plan: &run::Plan<'_>, outcome: &run::Outcome) -> Preview {
    let files: Vec<PreviewFile> = outcome
        .workspace
        .iter()
        .map(|(path, bytes)| PreviewFile {
            path: sanitize::line(path),
            bytes: bytes.len(),
            text: std::str::from_utf8(bytes).ok().map(sanitize::text),
        })
        .collect();
    Preview {
        values: plan
            .values
            .iter()
            .map(|(k, v)| {
                let shown = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), sanitize::line(&shown))
            })
            .collect(),
        repositories: plan.repositories.clone(),
        catalog: run::descriptor_ref(&outcome.workspace),
        steps: plan
            .source
            .template
            .steps
            .iter()
            .map(|s| (s.id.clone(), s.name.clone(), s.action.clone()))
            .collect(),
        files,
        tree: tree(&outcome.workspace)
            .into_iter()
            .map(|(l, f)| (sanitize::line(&l), f))
            .collect(),
    }
}

/// `spec.output.links` as title and target, each URL through the URL check.
pub fn links(output: &Value) -> Vec<(String, String)> {
    output
        .get("links")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|l| {
            let title = l.get("title").and_then(Value::as_str).unwrap_or("link");
            let to = l
                .get("url")
                .and_then(Value::as_str)
                .and_then(sanitize::url)
                .or_else(|| {
                    l.get("entityRef")
                        .and_then(Value::as_str)
                        .map(sanitize::ident)
                })?;
            Some((sanitize::line(title), to))
        })
        .collect()
}

/// `flightdeck new`.
pub async fn command(config: &Config, mut args: NewArgs) -> ExitCode {
    let templates = load::load(config).await;
    for p in &templates.problems {
        eprintln!("flightdeck new: {}", sanitize::line(p));
    }
    // `--resume`: the template, its values and its start time come from the failed run.
    let saved = if args.resume {
        let Some(saved) = args.resume_file.as_deref().and_then(load_resume) else {
            eprintln!("flightdeck new: no failed run to resume");
            return ExitCode::from(REFUSED);
        };
        if args
            .template
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case(&saved.template))
        {
            eprintln!(
                "flightdeck new: the failed run was of {}, not {}",
                saved.template,
                args.template.as_deref().unwrap_or_default()
            );
            return ExitCode::from(REFUSED);
        }
        args.template = Some(saved.template.clone());
        args.values = saved.given.clone();
        Some(saved)
    } else {
        None
    };
    let Some(name) = args.template.as_deref().filter(|_| !args.list) else {
        let names: String = templates
            .list
            .iter()
            .map(|s| format!("{}\n", s.template.name))
            .collect();
        // A closed pipe ends the list; any other failure to write it is no list at all.
        if let Err(e) = crate::terminal::emit(names.as_bytes()) {
            eprintln!("flightdeck new: {e}");
            return ExitCode::from(FAILED);
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
    let resume = saved.as_ref().map(|s| &s.resume);
    let started = saved.as_ref().map_or_else(Utc::now, |s| s.started);
    let plan = match run::preflight(source, &args.values, &targets, started, resume).await {
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
    let dry = match run::run(&plan, &targets, true, resume, &mut quiet).await {
        Ok(o) => o,
        Err(f) => {
            eprintln!("flightdeck new: {}", sanitize::text(&f.to_string()));
            return ExitCode::from(FAILED);
        }
    };
    let review = preview(&plan, &dry);
    println!(
        "template   {} ({})",
        source.template.display_name(),
        source.template.entity_ref
    );
    for (k, v) in &review.values {
        println!("value      {k} = {v}");
    }
    for r in &review.repositories {
        println!("repository {r}");
    }
    if let Some(r) = &saved {
        println!("resumes    after {}", r.resume.done.join(", "));
    }
    println!("files      {}", review.files.len());
    for (line, _) in &review.tree {
        println!("  {line}");
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
        run::Event::Reused { index } => {
            println!("[{}/{}] done before, reused", index + 1, steps.len())
        }
    };
    match run::run(&plan, &targets, false, resume, &mut progress).await {
        Ok(outcome) => {
            if let Some(path) = &args.resume_file {
                forget_resume(path);
            }
            for (title, to) in links(&outcome.output) {
                println!("{title}: {to}");
            }
            ExitCode::from(OK)
        }
        Err(f) => {
            eprintln!("flightdeck new: {}", sanitize::text(&f.to_string()));
            if let Some(path) = &args.resume_file {
                let saved = Saved {
                    template: source.template.name.clone(),
                    given: args.values.clone(),
                    started: plan.started,
                    resume: run::Resume::of(&f),
                };
                match save_resume(path, &saved) {
                    Ok(()) => eprintln!(
                        "flightdeck new: `flightdeck new --resume` goes on from this step"
                    ),
                    Err(e) => eprintln!("flightdeck new: cannot keep the run to resume: {e}"),
                }
            }
            ExitCode::from(FAILED)
        }
    }
}
