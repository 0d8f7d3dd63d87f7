//! The Pipelines screen's pull-request view in `update`: PRs arriving from the GitHub provider,
//! the switch between runs and PRs, and `enter` on a PR, which shows the run list narrowed to
//! that PR's runs (fetched for it, since they are rarely among a repository's newest).

use crate::keymap::Action;
use crate::message::Effect;
use crate::message::pipelines::Msg;
use crate::model::pipelines::pulls::{Pull, PullKey};
use crate::model::{Cursor, Level, Model, Screen};

use crate::update::feedback::{UrlUse, notify, url_effect};

/// The PR-view messages; the rest are the runs' (`None`).
pub(crate) fn update(model: &mut Model, msg: Msg) -> Result<Vec<Effect>, Msg> {
    match msg {
        Msg::Pulls {
            host,
            repo,
            service: _,
            pulls,
            at: _,
        } => {
            let prs = &mut model.pipelines.prs;
            let key = (host, repo);
            if prs.repos.get(&key) == Some(&pulls) {
                return Ok(vec![]);
            }
            if pulls.is_empty() {
                prs.repos.remove(&key);
            } else {
                prs.repos.insert(key, pulls);
            }
            let selected = selected(model).map(|p| p.key.clone());
            resort(model);
            keep(model, selected.as_ref());
            Ok(if model.pipelines.prs.shown {
                vec![Effect::Render]
            } else {
                vec![]
            })
        }
        Msg::PullRuns { pull, runs } => {
            let p = &mut model.pipelines;
            if p.prs.scope.as_ref().map(|s| &s.key) != Some(&pull)
                || (p.prs.runs_of.as_ref() == Some(&pull) && p.prs.runs == runs)
            {
                return Ok(vec![]);
            }
            p.prs.runs = runs;
            p.prs.runs_of = Some(pull);
            let cursor = model.list(Screen::Pipelines).cursor;
            let chosen = model.pipelines.selected(cursor).map(|r| r.key.clone());
            model.pipelines.rebuild(&[]);
            super::refilter(model);
            super::keep_run(model, chosen.as_ref());
            Ok(vec![Effect::Render])
        }
        other => Err(other),
    }
}

/// Sorts the PRs again (mine first) and refilters; after new PRs or when who "me" is changed.
pub(crate) fn resort(model: &mut Model) {
    // The refilter before learns the catalog's name for the user, which the sort needs.
    super::refilter(model);
    let me = model.pipelines.me();
    model.pipelines.prs.rebuild(&me);
    super::refilter(model);
}

/// The PR of the selected row, while the PR view is up.
pub(crate) fn selected(model: &Model) -> Option<&Pull> {
    let p = &model.pipelines.prs;
    if !p.shown {
        return None;
    }
    p.selected(model.list(Screen::Pipelines).cursor.selected)
}

fn keep(model: &mut Model, key: Option<&PullKey>) {
    if !model.pipelines.prs.shown {
        return;
    }
    let prs = &model.pipelines.prs;
    let pos = key.and_then(|k| {
        prs.visible
            .iter()
            .position(|i| prs.all.get(*i).is_some_and(|p| &p.key == k))
    });
    let (rows, height) = (prs.visible.len(), model.list_height);
    model
        .list_mut(Screen::Pipelines)
        .reselect(pos, rows, height);
}

/// Swaps the list's cursor with the one the other view kept.
fn swap_cursor(model: &mut Model) {
    let stashed = model.pipelines.prs.stashed;
    let list = model.list_mut(Screen::Pipelines);
    let current = std::mem::replace(&mut list.cursor, stashed);
    model.pipelines.prs.stashed = current;
}

/// `p`: the PR view, or the runs again (from a PR's runs, back to the PRs).
pub(crate) fn toggle(model: &mut Model) -> Vec<Effect> {
    if model.pipelines.prs.scope.is_some() {
        return unscope(model);
    }
    let prs = &mut model.pipelines.prs;
    prs.shown = !prs.shown;
    swap_cursor(model);
    super::refilter(model);
    if model.pipelines.prs.shown && model.pipelines.prs.all.is_empty() {
        let github = model
            .sources_for(Screen::Pipelines)
            .any(|s| s.id.kind == crate::model::SourceKind::Github);
        let why = if github {
            "pull requests: none open, or still loading"
        } else {
            "pull requests come from GitHub: add [github] to the config"
        };
        notify(model, Level::Info, why);
    }
    vec![Effect::Render]
}

/// Back from a PR's runs to the PR view, where it was.
fn unscope(model: &mut Model) -> Vec<Effect> {
    let p = &mut model.pipelines;
    p.prs.scope = None;
    p.prs.shown = true;
    p.detail = None;
    model.pipelines.rebuild(&[]);
    swap_cursor(model);
    super::refilter(model);
    vec![Effect::Render]
}

/// `enter` on a PR: the run list, narrowed to its runs.
fn scope(model: &mut Model, pull: Pull) -> Vec<Effect> {
    let p = &mut model.pipelines;
    p.prs.shown = false;
    // Another PR's kept runs go; this PR's stay until its watch answers again.
    if p.prs.runs_of.as_ref() != Some(&pull.key) {
        p.prs.runs.clear();
        p.prs.runs_of = None;
    }
    p.prs.scope = Some(pull);
    p.rebuild(&[]);
    swap_cursor(model);
    model.list_mut(Screen::Pipelines).cursor = Cursor::default();
    super::refilter(model);
    vec![Effect::Render]
}

/// Actions while the PR view is up, or on a PR's runs; `None` leaves them to the runs' list.
pub(crate) fn on_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    if action == Action::PullRequests {
        return Some(toggle(model));
    }
    if model.pipelines.prs.scope.is_some() && !model.pipelines.prs.shown {
        // Back leaves a PR's runs once the filter is clear (the filter goes first, as
        // everywhere).
        let list = model.list(Screen::Pipelines);
        if action == Action::Back && list.filter.is_empty() && !list.filtering {
            return Some(unscope(model));
        }
        return None;
    }
    if !model.pipelines.prs.shown {
        return None;
    }
    let pull = selected(model).cloned();
    match action {
        Action::Open | Action::Logs => Some(match pull {
            Some(p) => scope(model, p),
            None => vec![],
        }),
        Action::OpenUrl | Action::Copy => Some(match pull.and_then(|p| p.url) {
            Some(url) => {
                let how = if action == Action::Copy {
                    UrlUse::Copy
                } else {
                    UrlUse::Open
                };
                url_effect(model, how, &url)
            }
            None => {
                notify(
                    model,
                    Level::Warning,
                    "this pull request has no link to open or copy (none given, or it failed the URL check)",
                );
                vec![Effect::Render]
            }
        }),
        Action::ToggleMine => {
            model.pipelines.mine = !model.pipelines.mine;
            let key = pull.map(|p| p.key);
            super::refilter(model);
            keep(model, key.as_ref());
            Some(vec![Effect::Render])
        }
        // Run actions have no run to act on here: nothing rather than a hidden run.
        Action::RerunFailed
        | Action::Rerun
        | Action::Cancel
        | Action::Dispatch
        | Action::FailingFirst => Some(vec![]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::Keymap;
    use crate::message::Msg as AnyMsg;
    use crate::message::pipelines::Command;
    use crate::model::join::RunState;
    use crate::model::pipelines::pulls::{Checks, Review};
    use crate::model::pipelines::{Host, Run, RunKey};
    use crate::update::update;
    use chrono::{DateTime, TimeZone, Utc};

    fn at(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
            .single()
            .expect("valid")
            + chrono::Duration::minutes(min)
    }

    fn pull(number: u64, author: &str, updated: i64, requested: &[&str]) -> Pull {
        Pull {
            key: PullKey {
                host: Host::Github,
                repo: "acme/pay".into(),
                number,
            },
            service: "component:default/pay".into(),
            service_name: "pay".into(),
            title: format!("Change {number}"),
            author: author.into(),
            branch: format!("feat/{number}"),
            base: "main".into(),
            sha: format!("{number:040x}"),
            draft: false,
            created: at(0),
            updated: at(updated),
            checks: Checks::default(),
            review: Review::None,
            requested: requested.iter().map(|s| s.to_string()).collect(),
            mergeable: Some(true),
            merge_state: "clean".into(),
            url: Some(format!("https://github.example/acme/pay/pull/{number}")),
        }
    }

    fn run(id: u64, branch: &str, sha: &str) -> Run {
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
            branch: branch.into(),
            event: "push".into(),
            actor: "asingh".into(),
            status: "completed".into(),
            conclusion: Some("success".into()),
            state: RunState::Success,
            attempt: 1,
            created: at(id as i64),
            started: Some(at(id as i64)),
            updated: at(id as i64),
            finished: Some(at(id as i64)),
            title: "t".into(),
            sha: sha.into(),
            url: None,
        }
    }

    fn model() -> Model {
        let mut m = Model::new(Keymap::defaults(), at(60));
        m.screen = Screen::Pipelines;
        m.me = Some("user:default/jdoe".into());
        m.sources.push(crate::model::SourceStatus::new(
            Host::Github.source(),
            crate::model::FetchState::Ok,
        ));
        update(
            &mut m,
            AnyMsg::Pipelines(Msg::Runs {
                host: Host::Github,
                repo: "acme/pay".into(),
                service: "component:default/pay".into(),
                runs: vec![run(1, "main", "aaa"), run(2, "main", "bbb")],
                at: at(60),
            }),
        );
        update(
            &mut m,
            AnyMsg::Pipelines(Msg::Pulls {
                host: Host::Github,
                repo: "acme/pay".into(),
                service: "component:default/pay".into(),
                pulls: vec![
                    pull(7, "asingh", 50, &[]),
                    pull(8, "lgarcia", 10, &["jdoe"]),
                    pull(9, "jdoe", 5, &[]),
                ],
                at: at(60),
            }),
        );
        m
    }

    fn numbers(m: &Model) -> Vec<u64> {
        let p = &m.pipelines.prs;
        p.visible.iter().map(|i| p.all[*i].key.number).collect()
    }

    fn last_watch(effects: &[Effect]) -> Option<crate::model::pipelines::Watch> {
        effects.iter().rev().find_map(|e| match e {
            Effect::Pipelines(Command::Watch(w)) => Some(w.clone()),
            _ => None,
        })
    }

    fn key(m: &mut Model, c: char) -> Vec<Effect> {
        update(m, AnyMsg::Key(crate::keymap::Key::char(c)))
    }

    #[test]
    fn mine_first_then_asked_of_me_then_newest() {
        let mut m = model();
        let effects = key(&mut m, 'p');
        assert!(m.pipelines.prs.shown);
        assert_eq!(numbers(&m), [9, 8, 7]);
        let w = last_watch(&effects).expect("the PR view is announced");
        assert!(w.pulls, "PRs are polled only while their view is up");
        key(&mut m, 'm');
        assert_eq!(numbers(&m), [9], "mine: only my own");
        key(&mut m, 'm');
        m.list_mut(Screen::Pipelines).filter = crate::model::TextInput::default();
        for c in "lgarcia".chars() {
            m.list_mut(Screen::Pipelines)
                .filter
                .apply(crate::model::input::Edit::Insert(c));
        }
        super::super::refilter(&mut m);
        assert_eq!(numbers(&m), [8], "the filter's words match the author");
    }

    #[test]
    fn a_login_arriving_after_the_prs_puts_mine_first() {
        let mut m = model();
        m.me = None;
        m.pipelines.me_name = None;
        super::resort(&mut m);
        key(&mut m, 'p');
        assert_eq!(numbers(&m), [7, 8, 9], "nobody is me yet: newest first");
        update(
            &mut m,
            AnyMsg::Pipelines(Msg::Login {
                host: Host::Github,
                login: "jdoe".into(),
            }),
        );
        assert_eq!(numbers(&m), [9, 8, 7]);
    }

    #[test]
    fn enter_shows_the_prs_runs_and_back_returns_to_the_prs() {
        let mut m = model();
        key(&mut m, 'p');
        key(&mut m, 'j');
        let effects = update(
            &mut m,
            AnyMsg::Key(crate::keymap::Key::new(crate::keymap::KeyCode::Enter)),
        );
        let scope = m.pipelines.prs.scope.clone().expect("a PR is open");
        assert_eq!(scope.key.number, 8);
        let w = last_watch(&effects).expect("its runs are asked for");
        assert_eq!(w.pull, Some((scope.key.clone(), "feat/8".to_string())));
        assert!(
            m.pipelines.visible.is_empty(),
            "none of the main runs is the PR's"
        );
        update(
            &mut m,
            AnyMsg::Pipelines(Msg::PullRuns {
                pull: scope.key.clone(),
                runs: vec![run(30, "feat/8", &scope.sha), run(31, "feat/8", "older")],
            }),
        );
        let shown: Vec<u64> = m
            .pipelines
            .visible
            .iter()
            .map(|i| m.pipelines.runs[*i].key.id)
            .collect();
        assert_eq!(shown, [31, 30], "its branch's runs, newest first");
        // A run of the PR opens like any run.
        update(
            &mut m,
            AnyMsg::Key(crate::keymap::Key::new(crate::keymap::KeyCode::Enter)),
        );
        assert_eq!(m.pipelines.detail.as_ref().map(|d| d.run.id), Some(31));
        update(
            &mut m,
            AnyMsg::Key(crate::keymap::Key::new(crate::keymap::KeyCode::Esc)),
        );
        assert!(m.pipelines.detail.is_none());
        let effects = update(
            &mut m,
            AnyMsg::Key(crate::keymap::Key::new(crate::keymap::KeyCode::Esc)),
        );
        assert!(m.pipelines.prs.scope.is_none() && m.pipelines.prs.shown);
        assert_eq!(
            m.list(Screen::Pipelines).cursor.selected,
            1,
            "back on the PR it came from"
        );
        assert_eq!(m.pipelines.runs.len(), 2, "the PR's runs leave the list");
        assert_eq!(last_watch(&effects).and_then(|w| w.pull), None);
        // Opened again before the poller saw it closed: its watch answers "not modified" and
        // sends nothing, so the runs kept from before show at once.
        update(
            &mut m,
            AnyMsg::Key(crate::keymap::Key::new(crate::keymap::KeyCode::Enter)),
        );
        let shown: Vec<u64> = m
            .pipelines
            .visible
            .iter()
            .map(|i| m.pipelines.runs[*i].key.id)
            .collect();
        assert_eq!(
            shown,
            [31, 30],
            "the PR's runs are back without a new answer"
        );
    }

    #[test]
    fn run_actions_do_nothing_on_a_pr_row() {
        let mut m = model();
        key(&mut m, 'p');
        for c in ['R', 'C', 'e', 'z'] {
            let effects = key(&mut m, c);
            assert!(m.overlay.is_none(), "{c}: nothing asked");
            assert!(
                !effects.iter().any(|e| matches!(
                    e,
                    Effect::Pipelines(
                        Command::Rerun(_) | Command::Cancel(_) | Command::RerunFailed(_)
                    )
                )),
                "{c}: nothing sent"
            );
        }
        // `o` opens the PR's page, through the URL check.
        let effects = key(&mut m, 'o');
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::OpenUrl(u) if u.ends_with("/pull/9"))),
            "{effects:?}"
        );
    }
}
