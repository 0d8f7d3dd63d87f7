//! The Pipelines screen's part of `update`: runs, jobs, deployments and logs from the GitHub and
//! GitLab providers; the list with its filter, "my runs" and failing-first; the run detail, the
//! log view with search, and the dispatch form. Re-run, cancel and dispatch go through
//! `confirm`. After every message, [`watch`] tells the providers what is on screen, so they
//! poll only what someone looks at.

mod pulls;

use crate::keymap::{Action, Key};
use crate::model::input::{Edit, InputKey};
use crate::model::join::RunState;
use crate::model::pipelines::{
    Detail, DispatchForm, FormField, Host, Job, JobRef, LogView, Run, RunKey, Watch,
};
use crate::model::{Cursor, Level, Model, PaletteItem, PaletteTarget, Screen, TextInput};

use super::feedback::{UrlUse, confirm, notify, refused_read_only, url_effect};
use crate::message::Effect;

// The providers still name these through `update`; the rest of the code imports `message`.
pub use crate::message::pipelines::{Command, Dispatch, Msg};

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    let msg = match pulls::update(model, msg) {
        Ok(effects) => return effects,
        Err(msg) => msg,
    };
    match msg {
        Msg::Runs {
            host,
            repo,
            service,
            runs,
            at,
        } => {
            let data = model.pipelines.repos.entry((host, repo)).or_default();
            if data.runs == runs && data.service == service {
                return vec![];
            }
            data.runs = runs;
            data.service = service.clone();
            data.fetched_at = Some(at);
            unpin_finished(model);
            data_changed(model, &service)
        }
        Msg::Deployments {
            host,
            repo,
            service,
            deployments,
            at,
        } => {
            let data = model.pipelines.repos.entry((host, repo)).or_default();
            if data.deployments == deployments && data.service == service {
                return vec![];
            }
            data.deployments = deployments;
            data.service = service.clone();
            data.fetched_at = Some(at);
            data_changed(model, &service)
        }
        Msg::Jobs { run, jobs } => {
            let height = job_rows(model);
            let Some(detail) = model.pipelines.detail.as_mut().filter(|d| d.run == run) else {
                return vec![];
            };
            if detail.jobs.as_ref() == Some(&jobs) && detail.error.is_none() {
                return vec![];
            }
            detail.cursor = detail.cursor.to(detail.cursor.selected, jobs.len(), height);
            detail.error = None;
            let open_log = std::mem::take(&mut detail.log_when_loaded);
            let telling = telling_job(&jobs);
            detail.jobs = Some(jobs);
            if open_log && let Some(i) = telling {
                detail.cursor = detail.cursor.to(i, usize::MAX, height);
                return open_log_of_selected(model);
            }
            vec![Effect::Render]
        }
        Msg::JobsFailed { run, error } => {
            let Some(detail) = model.pipelines.detail.as_mut().filter(|d| d.run == run) else {
                return vec![];
            };
            detail.error = Some(error);
            detail.log_when_loaded = false;
            vec![Effect::Render]
        }
        Msg::Log {
            job,
            lines,
            complete,
        } => {
            let height = log_rows(model);
            // A chunk for a log that was closed or replaced is dropped.
            let Some(log) = model
                .pipelines
                .log
                .as_mut()
                .filter(|l| l.job.as_ref() == Some(&job))
            else {
                return vec![];
            };
            log.prepend(lines, height);
            log.complete = complete;
            log.error = None;
            vec![Effect::Render]
        }
        Msg::LogFailed { job, error } => {
            let Some(log) = model
                .pipelines
                .log
                .as_mut()
                .filter(|l| l.job.as_ref() == Some(&job))
            else {
                return vec![];
            };
            log.error = Some(error);
            log.complete = true;
            vec![Effect::Render]
        }
        Msg::Login { host, login } => {
            if model.pipelines.logins.get(&host) == Some(&login) {
                return vec![];
            }
            model.pipelines.logins.insert(host, login);
            // "Mine first" may now name other PRs.
            pulls::resort(model);
            vec![Effect::Render]
        }
        Msg::ActionDone { what, service, run } => {
            // Poll the service until what was started ends, even off screen.
            model.pipelines.pinned.insert(service);
            let text = match &run {
                Some(r) => format!("{what}: done, new run {}", r.id),
                None => format!("{what}: done"),
            };
            notify(model, Level::Info, text);
            vec![Effect::Render]
        }
        Msg::ActionFailed { what, error } => {
            notify(model, Level::Error, format!("{what}: {error}"));
            vec![Effect::Render]
        }
        // Taken by the PR view above.
        Msg::Pulls { .. } | Msg::PullRuns { .. } => vec![],
    }
}

/// A service's runs or deployments changed: recompute its summaries and the rows (the
/// Overview join follows, since the effects ask for a redraw).
fn data_changed(model: &mut Model, service: &str) -> Vec<Effect> {
    // The chosen run keeps the cursor wherever new runs land, so an action never hits another
    // run; until the user chooses, the newest run on top stays selected.
    let cursor = model.list(Screen::Pipelines).cursor;
    let shown = model.pipelines.prs.shown;
    let selected = model.pipelines.selected(cursor).map(|r| r.key.clone());
    model.pipelines.rebuild(&[service.to_string()]);
    refilter(model);
    // The cursor is the PR view's while that is up; its rows did not change.
    if !shown {
        keep_selection(model, selected.as_ref());
    }
    vec![Effect::Render]
}

/// Keeps the run `key` selected after the rows changed.
pub(crate) fn keep_run(model: &mut Model, key: Option<&RunKey>) {
    keep_selection(model, key);
}

/// A run the user started stays pinned until it ends.
fn unpin_finished(model: &mut Model) {
    let p = &mut model.pipelines;
    if p.pinned.is_empty() {
        return;
    }
    let busy: std::collections::BTreeSet<String> = p
        .repos
        .values()
        .filter(|r| r.runs.iter().any(|run| !run.state.is_done()))
        .map(|r| r.service.clone())
        .collect();
    p.pinned.retain(|s| busy.contains(s));
}

fn keep_selection(model: &mut Model, key: Option<&RunKey>) {
    let pos = key.and_then(|key| {
        model
            .pipelines
            .visible
            .iter()
            .position(|i| model.pipelines.runs.get(*i).is_some_and(|r| &r.key == key))
    });
    let (rows, height) = (row_count(model), model.list_height);
    model
        .list_mut(Screen::Pipelines)
        .reselect(pos, rows, height);
}

/// The job a log is most likely wanted for: the first that failed, else one running, else
/// the last.
fn telling_job(jobs: &[Job]) -> Option<usize> {
    jobs.iter()
        .position(|j| j.state == RunState::Failure)
        .or_else(|| jobs.iter().position(|j| j.state == RunState::Running))
        .or(jobs.len().checked_sub(1))
}

/// Rows the detail's job list gets: the top half of the list area.
fn job_rows(model: &Model) -> usize {
    (model.list_height / 2).max(3)
}

/// Rows the log view shows.
fn log_rows(model: &Model) -> usize {
    model.list_height.max(1)
}

/// Tells the providers what to poll when that changed. Called after every message, so a
/// screen change however it came (keys, palette, tabs) pauses or resumes polling at once.
pub fn watch(model: &mut Model) -> Option<Effect> {
    // Without a CI source there is nobody to tell.
    model.sources_for(Screen::Pipelines).next()?;
    let p = &model.pipelines;
    let mut pinned = p.pinned.clone();
    let run = p.detail.as_ref().map(|d| d.run.clone());
    let all = matches!(model.screen, Screen::Overview | Screen::Pipelines);
    if model.screen == Screen::Pipelines
        && let Some(r) = run.as_ref().and_then(|k| p.run(k))
    {
        pinned.insert(r.service.clone());
    }
    let here = model.screen == Screen::Pipelines;
    let w = Watch {
        all,
        pinned,
        run: if here { run } else { None },
        pulls: here && (p.prs.shown || p.prs.scope.is_some()),
        pull: p
            .prs
            .scope
            .as_ref()
            .filter(|_| here)
            .map(|s| (s.key.clone(), s.branch.clone())),
    };
    if p.watched.as_ref() == Some(&w) {
        return None;
    }
    model.pipelines.watched = Some(w.clone());
    Some(Effect::Pipelines(Command::Watch(w)))
}

/// Rows in the screen's list now.
pub(crate) fn row_count(model: &Model) -> usize {
    if model.pipelines.prs.shown {
        model.pipelines.prs.visible.len()
    } else {
        model.pipelines.visible.len()
    }
}

/// Takes raw keys while the dispatch form or the log search has the keyboard; `None` lets them
/// through to the keymap.
pub(crate) fn on_key(model: &mut Model, key: &Key) -> Option<Vec<Effect>> {
    if model.screen != Screen::Pipelines {
        return None;
    }
    if model.pipelines.form.is_some() {
        return Some(on_form_key(model, key));
    }
    let height = log_rows(model);
    let input = InputKey::read(&model.keymap, key);
    let log = model.pipelines.log.as_mut()?;
    if log.searching {
        let effects = match input {
            Some(InputKey::Cancel) => {
                log.searching = false;
                log.search.clear();
                log.research();
                vec![Effect::Render]
            }
            Some(InputKey::Accept) => {
                log.searching = false;
                log.current = None;
                log.jump(true, height);
                vec![Effect::Render]
            }
            Some(InputKey::Edit(edit)) => {
                if log.search.apply(edit) {
                    log.research();
                }
                vec![Effect::Render]
            }
            Some(InputKey::Next | InputKey::Prev) | None => vec![],
        };
        return Some(effects);
    }
    None
}

fn on_form_key(model: &mut Model, key: &Key) -> Vec<Effect> {
    let input = InputKey::read(&model.keymap, key);
    let Some(form) = model.pipelines.form.as_mut() else {
        return vec![];
    };
    let fields = form.fields();
    let at = fields.iter().position(|f| *f == form.focus).unwrap_or(0);
    match input {
        Some(InputKey::Cancel) => {
            model.pipelines.form = None;
            notify(model, Level::Info, "dispatch: cancelled");
            vec![Effect::Render]
        }
        Some(InputKey::Next) => {
            form.focus = fields[(at + 1) % fields.len()];
            vec![Effect::Render]
        }
        Some(InputKey::Prev) => {
            form.focus = fields[(at + fields.len() - 1) % fields.len()];
            vec![Effect::Render]
        }
        Some(InputKey::Accept) => submit_form(model),
        Some(InputKey::Edit(edit)) => {
            if form.focused().apply(edit) {
                form.error = None;
                form.tidy();
            }
            vec![Effect::Render]
        }
        None => vec![],
    }
}

fn submit_form(model: &mut Model) -> Vec<Effect> {
    let Some(form) = model.pipelines.form.as_mut() else {
        return vec![];
    };
    let (git_ref, inputs) = match form.values() {
        Ok(v) => v,
        Err(e) => {
            form.error = Some(e);
            return vec![Effect::Render];
        }
    };
    let Some(form) = model.pipelines.form.take() else {
        return vec![];
    };
    let (title, mut lines) = match form.host {
        Host::Github => (
            format!("Dispatch {} on {}", form.workflow, form.repo),
            vec![
                format!(
                    "Starts workflow {} ({}) of {} on GitHub",
                    form.workflow, form.workflow_ref, form.repo
                ),
                format!("on ref {git_ref}"),
            ],
        ),
        Host::Gitlab => (
            format!("New pipeline on {}", form.repo),
            vec![format!(
                "Starts a pipeline of GitLab project {} on ref {git_ref}",
                form.repo
            )],
        ),
    };
    if inputs.is_empty() {
        lines.push("with no inputs".into());
    }
    for (k, v) in &inputs {
        lines.push(format!("  {k} = {v:?}"));
    }
    let dispatch = Dispatch {
        host: form.host,
        repo: form.repo,
        service: form.service,
        workflow: form.workflow_ref,
        git_ref,
        inputs,
    };
    confirm(
        model,
        title,
        lines,
        Effect::Pipelines(Command::Dispatch(dispatch)),
    )
}

/// Handles an action on this screen; `None` leaves it to the global keys.
pub(crate) fn on_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    if model.pipelines.log.is_some() {
        return on_log_action(model, action);
    }
    if model.pipelines.detail.is_some() {
        return on_detail_action(model, action);
    }
    if let Some(effects) = pulls::on_action(model, action) {
        return Some(effects);
    }
    on_list_action(model, action)
}

fn on_list_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    let selected = model
        .pipelines
        .selected(model.list(Screen::Pipelines).cursor)
        .cloned();
    match action {
        Action::Open => Some(match selected {
            Some(run) => open_detail(model, run.key, false),
            None => vec![],
        }),
        Action::Logs => Some(match selected {
            Some(run) => open_detail(model, run.key, true),
            None => vec![],
        }),
        Action::ToggleMine => {
            model.pipelines.mine = !model.pipelines.mine;
            if model.pipelines.mine && model.pipelines.me().is_empty() {
                notify(
                    model,
                    Level::Warning,
                    "my runs: who you are is not known yet (set [general] me, or wait for the CI login)",
                );
            }
            Some(relisted(model))
        }
        Action::FailingFirst => {
            model.pipelines.failing_first = !model.pipelines.failing_first;
            let what = if model.pipelines.failing_first {
                "failing runs first"
            } else {
                "newest first"
            };
            notify(model, Level::Info, format!("runs: {what}"));
            Some(relisted(model))
        }
        Action::RerunFailed | Action::Rerun | Action::Cancel => Some(match selected {
            Some(run) => run_action(model, &run, action),
            None => vec![],
        }),
        Action::Dispatch => Some(match selected {
            Some(run) => open_form(model, &run),
            None => vec![],
        }),
        Action::OpenUrl | Action::Copy => Some(match selected {
            Some(run) => match run.url {
                Some(url) => url_for(model, action, &url),
                None => no_url(model, "this run"),
            },
            None => vec![],
        }),
        _ => None,
    }
}

fn url_for(model: &mut Model, action: Action, url: &str) -> Vec<Effect> {
    let how = if action == Action::Copy {
        UrlUse::Copy
    } else {
        UrlUse::Open
    };
    url_effect(model, how, url)
}

/// A run or job whose link was missing, or refused by the URL check when it was decoded (the
/// provider keeps only links that pass): say so rather than do nothing.
fn no_url(model: &mut Model, what: &str) -> Vec<Effect> {
    notify(
        model,
        Level::Warning,
        format!("{what} has no link to open or copy (none given, or it failed the URL check)"),
    );
    vec![Effect::Render]
}

fn relisted(model: &mut Model) -> Vec<Effect> {
    let key = model
        .pipelines
        .selected(model.list(Screen::Pipelines).cursor)
        .map(|r| r.key.clone());
    refilter(model);
    keep_selection(model, key.as_ref());
    vec![Effect::Render]
}

fn open_detail(model: &mut Model, run: RunKey, log_when_loaded: bool) -> Vec<Effect> {
    model.pipelines.detail = Some(Detail {
        run,
        jobs: None,
        cursor: Cursor::default(),
        error: None,
        log_when_loaded,
    });
    // The jobs come from the provider, which starts polling them when `watch` names the run.
    vec![Effect::Render]
}

fn on_detail_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    let height = job_rows(model);
    let run = model
        .pipelines
        .detail
        .as_ref()
        .and_then(|d| model.pipelines.run(&d.run))
        .cloned();
    let detail = model.pipelines.detail.as_mut()?;
    let jobs = detail.jobs.as_ref().map_or(0, Vec::len);
    let moved = |d: &mut Detail, c: Cursor| {
        if c == d.cursor {
            vec![]
        } else {
            d.cursor = c;
            vec![Effect::Render]
        }
    };
    match action {
        Action::Back => {
            model.pipelines.detail = None;
            Some(vec![Effect::Render])
        }
        Action::Down => Some(moved(detail, detail.cursor.moved(1, jobs, height))),
        Action::Up => Some(moved(detail, detail.cursor.moved(-1, jobs, height))),
        Action::Top => Some(moved(detail, detail.cursor.to(0, jobs, height))),
        Action::Bottom => Some(moved(detail, detail.cursor.to(usize::MAX, jobs, height))),
        Action::Open | Action::Logs => Some(open_log_of_selected(model)),
        Action::RerunFailed | Action::Rerun | Action::Cancel => {
            Some(run.map_or_else(Vec::new, |r| run_action(model, &r, action)))
        }
        Action::Dispatch => Some(run.map_or_else(Vec::new, |r| open_form(model, &r))),
        Action::OpenUrl | Action::Copy => {
            let job_url = detail
                .jobs
                .as_ref()
                .and_then(|j| j.get(detail.cursor.selected))
                .and_then(|j| j.url.clone());
            Some(match job_url.or_else(|| run.and_then(|r| r.url)) {
                Some(url) => url_for(model, action, &url),
                None => no_url(model, "this job"),
            })
        }
        // Lists of other screens are not reachable from here; the rest are global keys.
        Action::PageDown | Action::PageUp | Action::ToggleMine | Action::FailingFirst => {
            Some(vec![])
        }
        _ => None,
    }
}

fn open_log_of_selected(model: &mut Model) -> Vec<Effect> {
    let Some(detail) = &model.pipelines.detail else {
        return vec![];
    };
    let Some(job) = detail
        .jobs
        .as_ref()
        .and_then(|j| j.get(detail.cursor.selected))
    else {
        return vec![];
    };
    if job.started.is_none() {
        notify(
            model,
            Level::Info,
            format!("{}: not started, no log yet", job.name),
        );
        return vec![Effect::Render];
    }
    let job = JobRef {
        run: detail.run.clone(),
        id: job.id,
        name: job.name.clone(),
    };
    model.pipelines.log = Some(LogView::new(job.clone()));
    vec![Effect::Pipelines(Command::Log(job)), Effect::Render]
}

fn on_log_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    let height = log_rows(model);
    let log = model.pipelines.log.as_mut()?;
    let page = height as isize;
    let scrolled = |log: &mut LogView, delta: isize| {
        let before = log.top;
        log.scroll(delta, height);
        if log.top == before {
            vec![]
        } else {
            vec![Effect::Render]
        }
    };
    Some(match action {
        Action::FindNext | Action::FindPrev => {
            if log.jump(action == Action::FindNext, height) {
                vec![Effect::Render]
            } else {
                vec![]
            }
        }
        Action::Back => {
            if !log.search.is_empty() {
                log.search.clear();
                log.research();
            } else {
                model.pipelines.log = None;
            }
            vec![Effect::Render]
        }
        Action::Filter => {
            log.searching = true;
            vec![Effect::Render]
        }
        Action::Down => scrolled(log, 1),
        Action::Up => scrolled(log, -1),
        Action::PageDown => scrolled(log, page),
        Action::PageUp => scrolled(log, -page),
        Action::Top => scrolled(log, isize::MIN / 2),
        Action::Bottom => scrolled(log, isize::MAX / 2),
        Action::Edit | Action::Logs => vec![Effect::External(crate::message::External::Pager {
            text: log.pager_text(),
        })],
        Action::Refresh => match log.job.clone() {
            Some(job) => {
                model.pipelines.log = Some(LogView::new(job.clone()));
                vec![Effect::Pipelines(Command::Log(job)), Effect::Render]
            }
            None => vec![],
        },
        Action::Open | Action::ToggleMine | Action::FailingFirst => vec![],
        _ => return None,
    })
}

/// Re-run failed jobs, re-run, or cancel `run`, after the user confirms what it does.
fn run_action(model: &mut Model, run: &Run, action: Action) -> Vec<Effect> {
    let label = format!("{} #{} of {}", run.workflow, run.number, run.key.repo);
    let host = match run.key.host {
        Host::Github => "GitHub",
        Host::Gitlab => "GitLab",
    };
    let (title, lines, command) = match (action, run.key.host) {
        (Action::Cancel, _) => {
            if run.state.is_done() {
                notify(
                    model,
                    Level::Info,
                    format!("cancel: {label} already ended ({})", run.status),
                );
                return vec![Effect::Render];
            }
            (
                format!("Cancel {label}"),
                vec![format!(
                    "Asks {host} to cancel every job still queued or running in {label}."
                )],
                Command::Cancel(run.key.clone()),
            )
        }
        (Action::RerunFailed, _) | (Action::Rerun, Host::Gitlab) => {
            if !run.state.is_done() {
                notify(
                    model,
                    Level::Info,
                    format!("re-run: {label} is still {}", run.status),
                );
                return vec![Effect::Render];
            }
            if !matches!(run.state, RunState::Failure | RunState::Cancelled) {
                notify(
                    model,
                    Level::Info,
                    format!("re-run failed jobs: {label} has none ({})", run.status),
                );
                return vec![Effect::Render];
            }
            let mut lines = vec![format!(
                "Starts attempt {} of {label} on {}.",
                run.attempt + 1,
                run.branch
            )];
            lines.push(match run.key.host {
                Host::Github => {
                    "Re-runs only the failed jobs and the jobs that depend on them.".into()
                }
                Host::Gitlab => {
                    "GitLab retries the failed and cancelled jobs; passed jobs are kept.".into()
                }
            });
            (
                format!("Re-run failed jobs of {label}"),
                lines,
                Command::RerunFailed(run.key.clone()),
            )
        }
        (Action::Rerun, Host::Github) => {
            if !run.state.is_done() {
                notify(
                    model,
                    Level::Info,
                    format!("re-run: {label} is still {}", run.status),
                );
                return vec![Effect::Render];
            }
            (
                format!("Re-run {label}"),
                vec![
                    format!(
                        "Starts attempt {} of {label} on {}.",
                        run.attempt + 1,
                        run.branch
                    ),
                    "Re-runs every job of the run, passed ones included.".into(),
                ],
                Command::Rerun(run.key.clone()),
            )
        }
        _ => return vec![],
    };
    let mut lines = lines;
    lines.push(format!(
        "commit {} \"{}\"",
        run.sha.get(..7).unwrap_or(&run.sha),
        run.title
    ));
    confirm(model, title, lines, Effect::Pipelines(command))
}

fn open_form(model: &mut Model, run: &Run) -> Vec<Effect> {
    if refused_read_only(model, "dispatch") {
        return vec![Effect::Render];
    }
    let mut git_ref = TextInput::default();
    git_ref.apply(Edit::Paste(run.branch.clone()));
    let mut form = DispatchForm {
        host: run.key.host,
        repo: run.key.repo.clone(),
        service: run.service.clone(),
        workflow: run.workflow.clone(),
        workflow_ref: run.workflow_ref.clone(),
        git_ref,
        inputs: Vec::new(),
        focus: FormField::Ref,
        error: None,
    };
    form.tidy();
    model.pipelines.form = Some(form);
    vec![Effect::Render]
}

/// Recomputes the screen's visible rows after its filter changed.
pub fn refilter(model: &mut Model) {
    model.pipelines.me_name = model.me.as_deref().map(|m| {
        let name = m.rsplit_once('/').map_or(m, |(_, n)| n);
        name.rsplit_once(':').map_or(name, |(_, n)| n).to_string()
    });
    let text = model.list(Screen::Pipelines).filter.text().to_string();
    model.pipelines.refilter(&text);
    let (rows, height) = (row_count(model), model.list_height);
    let list = model.list_mut(Screen::Pipelines);
    list.cursor = list.cursor.to(list.cursor.selected, rows, height);
}

/// A run's key as the palette and the back stack name it.
fn run_key(key: &RunKey) -> String {
    format!("{}:{}:{}", key.host.label(), key.repo, key.id)
}

/// The selected run's key, to find it again after a jump away and back.
pub(crate) fn selected_key(model: &Model) -> Option<String> {
    model
        .pipelines
        .selected(model.list(Screen::Pipelines).cursor)
        .map(|r| run_key(&r.key))
}

/// Selects the run named `key` (see `run_key`), clearing a filter that hides it; false when
/// the run is not known.
pub(crate) fn select_key(model: &mut Model, key: &str) -> bool {
    let find = |model: &Model| {
        let p = &model.pipelines;
        p.visible
            .iter()
            .position(|i| p.runs.get(*i).is_some_and(|r| run_key(&r.key) == key))
    };
    let mut pos = find(model);
    if pos.is_none() && model.pipelines.runs.iter().any(|r| run_key(&r.key) == key) {
        model.list_mut(Screen::Pipelines).filter.clear();
        model.pipelines.mine = false;
        refilter(model);
        pos = find(model);
    }
    let Some(pos) = pos else {
        return false;
    };
    let (rows, height) = (row_count(model), model.list_height);
    model.list_mut(Screen::Pipelines).choose(pos, rows, height);
    true
}

/// Entries this screen adds to the `:` palette: the newest runs of each service.
pub fn palette_items(model: &Model, items: &mut Vec<PaletteItem>) {
    let mut seen = std::collections::BTreeSet::new();
    for run in &model.pipelines.runs {
        if !seen.insert((&run.service_name, &run.workflow)) {
            continue;
        }
        items.push(PaletteItem {
            label: format!(
                "{} {} #{} {}",
                run.service_name,
                run.workflow,
                run.number,
                crate::model::pipelines::state_word(run.state)
            ),
            kind: "run",
            target: PaletteTarget::Row {
                screen: Screen::Pipelines,
                key: run_key(&run.key),
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::{KeyCode, Keymap};
    use crate::model::pipelines::LogLine;
    use chrono::{DateTime, TimeZone, Utc};
    use rstest::rstest;

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
            .single()
            .expect("valid")
            + chrono::Duration::minutes(min)
    }

    fn run(id: u64, state: RunState, actor: &str, min: i64) -> Run {
        Run {
            key: RunKey {
                host: Host::Github,
                repo: "acme/pay".into(),
                id,
            },
            service: "component:default/pay".into(),
            service_name: "pay".into(),
            number: id,
            workflow: "CI".into(),
            workflow_ref: "ci.yml".into(),
            branch: "main".into(),
            event: "push".into(),
            actor: actor.into(),
            status: if state.is_done() {
                "completed".into()
            } else {
                "in_progress".into()
            },
            conclusion: state
                .is_done()
                .then(|| crate::model::pipelines::state_word(state).into()),
            state,
            attempt: 1,
            created: at(min),
            started: Some(at(min)),
            updated: at(min + 3),
            finished: state.is_done().then(|| at(min + 3)),
            title: "Fix it".into(),
            sha: "abcdef0123".into(),
            url: Some(format!("https://github.example/acme/pay/actions/runs/{id}")),
        }
    }

    fn model_with(runs: Vec<Run>) -> Model {
        let mut m = Model::new(Keymap::defaults(), at(60));
        m.screen = Screen::Pipelines;
        m.me = Some("user:default/jdoe".into());
        m.sources.push(crate::model::SourceStatus::new(
            Host::Github.source(),
            crate::model::FetchState::Ok,
        ));
        update(
            &mut m,
            Msg::Runs {
                host: Host::Github,
                repo: "acme/pay".into(),
                service: "component:default/pay".into(),
                runs,
                at: at(60),
            },
        );
        m
    }

    /// Failure 6 of the hardening issue: a run whose html_url failed the URL check at decode
    /// (so the provider kept none) did nothing and said nothing on `o` and `y`.
    #[test]
    fn a_run_without_a_usable_link_says_so() {
        let mut bad = run(1, RunState::Failure, "jdoe", 0);
        bad.url = None;
        for action in [Action::OpenUrl, Action::Copy] {
            let mut m = model_with(vec![bad.clone()]);
            assert_eq!(on_action(&mut m, action), Some(vec![Effect::Render]));
            let notice = m.notice.as_ref().map(|n| n.text.as_str()).unwrap_or("");
            assert!(notice.contains("failed the URL check"), "{notice:?}");
        }
        let mut m = model_with(vec![run(1, RunState::Failure, "jdoe", 0)]);
        let url = "https://github.example/acme/pay/actions/runs/1".to_string();
        assert_eq!(
            on_action(&mut m, Action::Copy),
            Some(vec![Effect::Copy(url), Effect::Render])
        );
    }

    fn ids(m: &Model) -> Vec<u64> {
        m.pipelines
            .visible
            .iter()
            .map(|i| m.pipelines.runs[*i].key.id)
            .collect()
    }

    fn three() -> Vec<Run> {
        vec![
            run(1, RunState::Success, "jdoe", 0),
            run(2, RunState::Failure, "asingh", 10),
            run(3, RunState::Running, "jdoe", 20),
        ]
    }

    #[rstest]
    #[case::everything("", false, false, vec![3, 2, 1])]
    #[case::status("status:failure", false, false, vec![2])]
    #[case::actor_me("actor:me", false, false, vec![3, 1])]
    #[case::mine_toggle("", true, false, vec![3, 1])]
    #[case::failing_first("", false, true, vec![2, 3, 1])]
    #[case::words_and_fields("status:running fix", false, false, vec![3])]
    #[case::nothing("branch:release", false, false, vec![])]
    fn rows_follow_filter_mine_and_sort(
        #[case] filter: &str,
        #[case] mine: bool,
        #[case] failing_first: bool,
        #[case] expected: Vec<u64>,
    ) {
        let mut m = model_with(three());
        m.pipelines.mine = mine;
        m.pipelines.failing_first = failing_first;
        m.list_mut(Screen::Pipelines)
            .filter
            .apply(Edit::Paste(filter.into()));
        refilter(&mut m);
        assert_eq!(ids(&m), expected);
    }

    #[test]
    fn an_unchanged_poll_changes_nothing_and_draws_nothing() {
        let mut m = model_with(three());
        let effects = update(
            &mut m,
            Msg::Runs {
                host: Host::Github,
                repo: "acme/pay".into(),
                service: "component:default/pay".into(),
                runs: three(),
                at: at(61),
            },
        );
        assert!(effects.is_empty());
    }

    /// The cursor follows the run, not the row: once the user chose a run (even the top one),
    /// a newer run arriving above must not move the selection, or `R y` re-runs another one.
    #[rstest]
    #[case::untouched_the_newest_shows("", 4)]
    #[case::chosen_at_the_top_stays("jk", 3)]
    #[case::further_down_the_selection_stays("jj", 1)]
    fn new_runs_and_the_cursor(#[case] keys: &str, #[case] expected: u64) {
        let mut m = model_with(three());
        for c in keys.chars() {
            crate::update::update(
                &mut m,
                crate::message::Msg::Key(crate::keymap::Key::char(c)),
            );
        }
        let mut runs = three();
        runs.push(run(4, RunState::Queued, "jdoe", 30));
        update(
            &mut m,
            Msg::Runs {
                host: Host::Github,
                repo: "acme/pay".into(),
                service: "component:default/pay".into(),
                runs,
                at: at(61),
            },
        );
        let cursor = m.list(Screen::Pipelines).cursor;
        assert_eq!(
            m.pipelines.selected(cursor).map(|r| r.key.id),
            Some(expected)
        );
    }

    #[test]
    fn summaries_follow_the_newest_default_branch_run() {
        let m = model_with(three());
        let ci = m
            .pipelines
            .ci_summary("component:default/pay")
            .expect("a summary");
        assert_eq!(ci.state, RunState::Running);
        assert_eq!(m.pipelines.changes("component:default/pay").len(), 3);
        assert!(m.pipelines.ci_summary("component:default/other").is_none());
    }

    #[rstest]
    #[case::rerun_failed_on_failure(2, Action::RerunFailed, true)]
    #[case::rerun_failed_on_success(1, Action::RerunFailed, false)]
    #[case::cancel_running(3, Action::Cancel, true)]
    #[case::cancel_finished(1, Action::Cancel, false)]
    #[case::rerun_finished(1, Action::Rerun, true)]
    #[case::rerun_running(3, Action::Rerun, false)]
    fn actions_ask_only_when_they_make_sense(
        #[case] id: u64,
        #[case] action: Action,
        #[case] asks: bool,
    ) {
        let mut m = model_with(three());
        let pos = ids(&m).iter().position(|i| *i == id).expect("listed");
        m.list_mut(Screen::Pipelines).cursor.selected = pos;
        on_action(&mut m, action);
        match &m.overlay {
            Some(crate::model::Overlay::Confirm(c)) => {
                assert!(asks, "asked: {}", c.title);
                let want = match action {
                    Action::Cancel => Command::Cancel(
                        m.pipelines
                            .runs
                            .iter()
                            .find(|r| r.key.id == id)
                            .expect("run")
                            .key
                            .clone(),
                    ),
                    Action::Rerun => Command::Rerun(
                        m.pipelines
                            .runs
                            .iter()
                            .find(|r| r.key.id == id)
                            .expect("run")
                            .key
                            .clone(),
                    ),
                    _ => Command::RerunFailed(
                        m.pipelines
                            .runs
                            .iter()
                            .find(|r| r.key.id == id)
                            .expect("run")
                            .key
                            .clone(),
                    ),
                };
                assert_eq!(*c.on_yes, Effect::Pipelines(want));
                assert!(
                    c.lines.iter().any(|l| l.contains("acme/pay")),
                    "says what: {:?}",
                    c.lines
                );
            }
            _ => assert!(!asks, "nothing was asked; notice: {:?}", m.notice),
        }
    }

    #[test]
    fn read_only_refuses_before_asking() {
        let mut m = model_with(three());
        m.read_only = true;
        m.list_mut(Screen::Pipelines).cursor.selected = 1;
        on_action(&mut m, Action::RerunFailed);
        assert!(m.overlay.is_none());
        assert!(
            m.notice
                .as_ref()
                .is_some_and(|n| n.text.contains("read-only"))
        );
        on_action(&mut m, Action::Dispatch);
        assert!(m.pipelines.form.is_none());
    }

    #[test]
    fn watch_follows_the_screen_and_the_open_run() {
        let mut m = model_with(three());
        let first = watch(&mut m).expect("first announcement");
        assert_eq!(
            first,
            Effect::Pipelines(Command::Watch(Watch {
                all: true,
                ..Watch::default()
            }))
        );
        assert!(watch(&mut m).is_none(), "nothing changed, nothing sent");
        on_action(&mut m, Action::Open);
        let Some(Effect::Pipelines(Command::Watch(w))) = watch(&mut m) else {
            panic!("the open run is announced")
        };
        assert_eq!(w.run.map(|r| r.id), Some(3));
        assert!(w.pinned.contains("component:default/pay"));
        m.screen = Screen::Alerts;
        let Some(Effect::Pipelines(Command::Watch(w))) = watch(&mut m) else {
            panic!("leaving pauses")
        };
        assert_eq!(
            w,
            Watch::default(),
            "nothing is polled for a screen that shows no pipelines"
        );
    }

    #[test]
    fn logs_open_on_the_failed_job_once_jobs_arrive_and_fill_newest_first() {
        let mut m = model_with(three());
        let pos = ids(&m).iter().position(|i| *i == 2).expect("listed");
        m.list_mut(Screen::Pipelines).cursor.selected = pos;
        assert_eq!(on_action(&mut m, Action::Logs), Some(vec![Effect::Render]));
        let key = m.pipelines.detail.as_ref().expect("detail").run.clone();
        let job = |id, state| Job {
            id,
            name: format!("job{id}"),
            stage: String::new(),
            state,
            status: "completed".into(),
            started: Some(at(10)),
            finished: Some(at(12)),
            steps: vec![],
            url: None,
        };
        let effects = update(
            &mut m,
            Msg::Jobs {
                run: key.clone(),
                jobs: vec![job(7, RunState::Success), job(8, RunState::Failure)],
            },
        );
        let want = JobRef {
            run: key,
            id: 8,
            name: "job8".into(),
        };
        assert_eq!(
            effects,
            vec![
                Effect::Pipelines(Command::Log(want.clone())),
                Effect::Render
            ]
        );
        let lines = |r: std::ops::Range<i32>| {
            r.map(|i| LogLine::decode(&format!("line {i}")))
                .collect::<Vec<_>>()
        };
        update(
            &mut m,
            Msg::Log {
                job: want.clone(),
                lines: lines(50..100),
                complete: false,
            },
        );
        update(
            &mut m,
            Msg::Log {
                job: want.clone(),
                lines: lines(0..50),
                complete: true,
            },
        );
        let log = m.pipelines.log.as_ref().expect("log open");
        assert_eq!(log.lines.first().map(|l| l.text.as_str()), Some("line 0"));
        assert_eq!(log.lines.last().map(|l| l.text.as_str()), Some("line 99"));
        assert!(log.follow, "a log opens at its end");
        let stale = JobRef { id: 9, ..want };
        assert!(
            update(
                &mut m,
                Msg::Log {
                    job: stale,
                    lines: lines(0..1),
                    complete: true
                }
            )
            .is_empty(),
            "a replaced log's chunk is dropped"
        );
    }

    #[test]
    fn the_dispatch_form_confirms_exactly_what_it_sends() {
        let mut m = model_with(three());
        on_action(&mut m, Action::Dispatch);
        assert!(m.pipelines.form.is_some());
        for key in [Key::new(KeyCode::Tab)]
            .into_iter()
            .chain("level".chars().map(Key::char))
            .chain([Key::new(KeyCode::Tab)])
            .chain("debug".chars().map(Key::char))
        {
            on_key(&mut m, &key);
        }
        on_key(&mut m, &Key::new(KeyCode::Enter));
        let Some(crate::model::Overlay::Confirm(c)) = &m.overlay else {
            panic!("asks first")
        };
        assert!(
            c.lines.iter().any(|l| l.contains("level = \"debug\"")),
            "{:?}",
            c.lines
        );
        assert_eq!(
            *c.on_yes,
            Effect::Pipelines(Command::Dispatch(Dispatch {
                host: Host::Github,
                repo: "acme/pay".into(),
                service: "component:default/pay".into(),
                workflow: "ci.yml".into(),
                git_ref: "main".into(),
                inputs: vec![("level".into(), "debug".into())],
            }))
        );
    }
}
