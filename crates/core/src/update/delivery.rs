//! The Delivery screen: histories arriving from the provider are classified here once (with the
//! critical alerts the cockpit knows of), the rows are recomputed when the data, the window or
//! the grouping changes, and the provider is asked for history only once the screen is opened
//! (and again, deeper, when a longer window needs it).

use chrono::Duration;

use crate::keymap::Action;
use crate::message::Effect;
use crate::message::delivery::{Command, Msg, Repo};
use crate::model::alerts::Severity;
use crate::model::delivery::screen::{Grouping, ServiceHistory, ServiceInfo};
use crate::model::delivery::trail::{detail, my_changes, trails};
use crate::model::delivery::{ENVIRONMENT_ANNOTATION, History};
use crate::model::{Level, Model, Screen, SourceKind};

use super::feedback::notify;

/// History is read this far before the previous window, so the first deployment in it has the
/// one before it (the base of what it brought, a rollback's earlier version, a failure before).
pub const MARGIN_DAYS: i64 = 14;
/// While the screen is up, the history is read again this often (a warm read is one request
/// per repository).
const REREAD_MINUTES: i64 = 5;

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::History {
            service,
            at,
            deployments,
        } => {
            let alerts = critical_starts(model, &service);
            let history = History::new(deployments, &alerts, &model.delivery.rules);
            let entry = model.delivery.histories.entry(service).or_default();
            let same = entry.history.deployments == history.deployments && entry.error.is_none();
            *entry = ServiceHistory {
                history,
                fetched_at: Some(at),
                error: None,
            };
            if same && model.screen != Screen::Delivery {
                return vec![];
            }
            rebuild(model);
            vec![Effect::Render]
        }
        Msg::Failed { service, error } => {
            model.delivery.histories.entry(service).or_default().error = Some(error);
            rebuild(model);
            vec![Effect::Render]
        }
    }
}

/// The start times of `service`'s critical alerts: those Alertmanager has now, and those
/// Prometheus' alert history holds (resolved ones too).
fn critical_starts(model: &Model, service: &str) -> Vec<chrono::DateTime<chrono::Utc>> {
    let mut out: Vec<_> = model
        .alerts
        .merged
        .iter()
        .filter(|m| m.service_ref.as_deref() == Some(service))
        .filter_map(|m| model.alerts.alert(m))
        .filter(|a| a.severity == Severity::Critical)
        .map(|a| a.starts_at)
        .collect();
    let name = model
        .catalog
        .get(service)
        .map(|e| e.name.clone())
        .unwrap_or_default();
    if let Some(spans) = model.signals.history.get(&name) {
        out.extend(
            spans
                .iter()
                .filter(|s| s.critical)
                .filter_map(|s| chrono::DateTime::from_timestamp(s.start, 0)),
        );
    }
    out
}

/// The catalog's services, then every row, for the window ending now.
pub fn rebuild(model: &mut Model) {
    model.delivery.services = model
        .catalog
        .overview
        .rows
        .iter()
        .map(|r| {
            let entity = model.catalog.get(&r.service);
            (
                r.service.clone(),
                ServiceInfo {
                    name: r.name.clone(),
                    owner: r.owner_ref.clone().unwrap_or_else(|| r.owner.clone()),
                    system: r.system.clone(),
                    template: entity
                        .and_then(|e| e.annotation(crate::model::create::SOURCE_TEMPLATE))
                        .map(str::to_string),
                    requested: entity.and_then(crate::model::create::requested_at),
                },
            )
        })
        .collect();
    let filter = model.list(Screen::Delivery).filter.text().to_string();
    let now = model.now;
    model.delivery.rebuild(now, &filter);
    clamp(model);
}

pub fn refilter(model: &mut Model) {
    let filter = model.list(Screen::Delivery).filter.text().to_string();
    model.delivery.refilter(&filter);
}

pub fn row_count(model: &Model) -> usize {
    match &model.delivery.changes {
        Some(changes) => changes.len(),
        None => model.delivery.visible.len(),
    }
}

/// How many of each service's newest changes of mine the view lists.
const CHANGES_PER_SERVICE: usize = 5;

/// How many changes live when an alert started its detail names.
const BEFORE_ALERT: usize = 3;

/// Rebuilds the trails on screen from what the cockpit holds now: the open "My changes" view,
/// and the open alert detail's changes in production when it started.
pub fn retrail(model: &mut Model) {
    if model.screen == Screen::Delivery && model.delivery.changes.is_some() {
        let changes = my_changes(model, CHANGES_PER_SERVICE);
        model.delivery.changes = Some(changes);
        clamp(model);
        // The open change follows what its trail holds now.
        let open = model.delivery.change.as_ref().map(|c| c.trail.sha.clone());
        model.delivery.change = open.and_then(|sha| {
            let t = model
                .delivery
                .changes
                .iter()
                .flatten()
                .find(|t| t.sha == sha)?;
            Some(detail(model, t))
        });
    }
    model.delivery.before_alert = before_alert(model);
    model.delivery.service_trails = service_trails(model);
}

/// How many of its newest changes the service screen shows with their trails.
const SERVICE_TRAILS: usize = 5;

fn service_trails(model: &Model) -> Option<(String, Vec<crate::model::delivery::trail::Trail>)> {
    if model.screen != Screen::Overview {
        return None;
    }
    let service = model.catalog.overview.page.as_ref()?.service.clone();
    let production = model
        .catalog
        .get(&service)
        .and_then(|e| e.annotation(ENVIRONMENT_ANNOTATION))
        .unwrap_or("production");
    let newest = trails(model, &service, production, false, SERVICE_TRAILS);
    Some((service, newest))
}

fn before_alert(model: &Model) -> Option<(String, Vec<crate::model::delivery::trail::Trail>)> {
    if model.screen != Screen::Alerts {
        return None;
    }
    let fingerprint = model.alerts.detail.as_ref()?.fingerprint.clone();
    let merged = model.alerts.by_fingerprint(&fingerprint)?;
    let started = model.alerts.alert(merged)?.starts_at;
    let service = merged.service_ref.as_deref()?;
    let production = model
        .catalog
        .get(service)
        .and_then(|e| e.annotation(ENVIRONMENT_ANNOTATION))
        .unwrap_or("production");
    let live: Vec<_> = trails(model, service, production, false, 50)
        .into_iter()
        .filter(|t| t.production.done_at().is_some_and(|at| at <= started))
        .take(BEFORE_ALERT)
        .collect();
    Some((fingerprint, live))
}

fn clamp(model: &mut Model) {
    let rows = row_count(model);
    let height = model.list_height;
    let list = model.list_mut(Screen::Delivery);
    list.cursor = list.cursor.to(list.cursor.selected, rows, height);
}

/// Rows of the timeline's list: the screen less its chart (a third, at most 12 rows), header
/// lines and borders.
pub fn timeline_rows(model: &Model) -> usize {
    let chart = (model.list_height / 3).clamp(4, 12);
    model.list_height.saturating_sub(chart + 4).max(1)
}

pub(crate) fn on_action(model: &mut Model, action: Action) -> Option<Vec<Effect>> {
    if model.delivery.timeline.is_some()
        && !matches!(action, Action::DeliveryWindow | Action::Refresh)
    {
        let page = timeline_rows(model).max(1);
        let t = model.delivery.timeline.as_mut()?;
        let last = t.entries.len().saturating_sub(1);
        let before = t.scroll;
        t.scroll = match action {
            Action::Back => {
                model.delivery.timeline = None;
                return Some(vec![Effect::Render]);
            }
            Action::Down => (t.scroll + 1).min(last),
            Action::Up => t.scroll.saturating_sub(1),
            Action::PageDown => (t.scroll + page).min(last),
            Action::PageUp => t.scroll.saturating_sub(page),
            Action::Top => 0,
            Action::Bottom => last,
            _ => return None,
        };
        return Some(if t.scroll == before {
            vec![]
        } else {
            vec![Effect::Render]
        });
    }
    if let Some(open) = &model.delivery.change {
        // The open change: `o` and `y` take its pull request's page (else its run's) through
        // the one URL check; back closes it; list moves do nothing under it.
        let url = open.url().map(str::to_string);
        return Some(match action {
            Action::Back | Action::MyChanges => {
                model.delivery.change = None;
                vec![Effect::Render]
            }
            Action::OpenUrl | Action::Copy => match url {
                Some(u) => {
                    let how = if action == Action::Copy {
                        crate::update::feedback::UrlUse::Copy
                    } else {
                        crate::update::feedback::UrlUse::Open
                    };
                    crate::update::feedback::url_effect(model, how, &u)
                }
                None => {
                    notify(model, Level::Info, "this change has no page to open yet");
                    vec![Effect::Render]
                }
            },
            _ => vec![],
        });
    }
    if model.delivery.changes.is_some() {
        match action {
            Action::MyChanges | Action::Back => {
                model.delivery.changes = None;
                clamp(model);
                return Some(vec![Effect::Render]);
            }
            Action::Timeline => {
                let selected = model.list(Screen::Delivery).cursor.selected;
                let trail = model
                    .delivery
                    .changes
                    .as_ref()
                    .and_then(|c| c.get(selected))
                    .cloned();
                if let Some(t) = trail {
                    model.delivery.change = Some(detail(model, &t));
                    return Some(vec![Effect::Render]);
                }
                return Some(vec![]);
            }
            Action::DeliveryGroup | Action::DeliveryWindow => {
                return Some(vec![]);
            }
            _ => {}
        }
    }
    match action {
        Action::MyChanges => {
            model.delivery.changes = Some(Vec::new());
            retrail(model);
            let rows = row_count(model);
            let height = model.list_height;
            let list = model.list_mut(Screen::Delivery);
            list.cursor = list.cursor.to(0, rows, height);
            Some(vec![Effect::Render])
        }
        Action::Timeline => {
            let Some(row) = model
                .delivery
                .visible_row(model.list(Screen::Delivery).cursor.selected)
            else {
                return Some(vec![]);
            };
            if model.delivery.grouping != Grouping::Service {
                let what = format!(
                    "{} rolls up {} services; press {} for a row per service to open one",
                    row.name,
                    row.services,
                    model
                        .keymap
                        .keys(Action::DeliveryGroup)
                        .first()
                        .map(ToString::to_string)
                        .unwrap_or_default()
                );
                notify(model, Level::Info, what);
                return Some(vec![Effect::Render]);
            }
            let key = row.key.clone();
            model.delivery.open(&key);
            Some(vec![Effect::Render])
        }
        Action::DeliveryWindow => {
            model.delivery.span = model.delivery.span.next();
            rebuild(model);
            Some(vec![Effect::Render])
        }
        Action::DeliveryGroup => {
            model.delivery.grouping = model.delivery.grouping.next();
            rebuild(model);
            let rows = row_count(model);
            let height = model.list_height;
            let list = model.list_mut(Screen::Delivery);
            list.cursor = list.cursor.to(0, rows, height);
            Some(vec![Effect::Render])
        }
        Action::Refresh => {
            model.delivery.asked = None;
            let effects: Vec<Effect> = watch(model).into_iter().collect();
            notify(model, Level::Info, "reading the delivery history again");
            Some([effects, vec![Effect::Render]].concat())
        }
        _ => None,
    }
}

/// Asks the provider for history when the Delivery screen is up and what it holds is not deep
/// enough for the window, or was read more than a few minutes ago. Nothing is read before the
/// screen is first opened: a cold read costs a request per deployment and per commit.
pub fn watch(model: &mut Model) -> Option<Effect> {
    if model.screen != Screen::Delivery {
        return None;
    }
    model.delivery.enabled = model
        .sources
        .iter()
        .any(|s| matches!(s.id.kind, SourceKind::Github | SourceKind::Gitlab));
    if !model.delivery.enabled {
        return None;
    }
    let days = model.delivery.span.days() * 2 + MARGIN_DAYS;
    let now = model.now;
    if model
        .delivery
        .asked
        .is_some_and(|(asked, at)| asked >= days && now - at < Duration::minutes(REREAD_MINUTES))
    {
        return None;
    }
    let repos: Vec<Repo> = model
        .catalog
        .targets()
        .into_iter()
        .filter_map(|t| {
            // GitHub's repository when there is one, else the GitLab project.
            let gitlab = t.github.is_none();
            let slug = t.github.or(t.gitlab)?;
            let environment = model
                .catalog
                .get(&t.service)
                .and_then(|e| e.annotation(ENVIRONMENT_ANNOTATION))
                .unwrap_or("production")
                .to_string();
            Some(Repo {
                service: t.service,
                slug,
                environment,
                gitlab,
            })
        })
        .collect();
    if repos.is_empty() {
        return None;
    }
    // A shorter window after a longer one keeps reading as deep as before.
    let depth = model.delivery.asked.map_or(days, |(d, _)| d.max(days));
    model.delivery.asked = Some((depth, now));
    model.delivery.asked_services = repos.len();
    model.delivery.summarise();
    if model.delivery.window.is_none() {
        rebuild(model);
    }
    Some(Effect::Delivery(Command::Read {
        since: now - Duration::days(depth),
        repos,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::{Key, KeyCode, Keymap};
    use crate::message::Msg as RootMsg;
    use crate::model::catalog::{Entity, EntityOrigin, Kind, Origin, Spec};
    use crate::model::delivery::{Change, Deployment, Outcome};
    use crate::model::{FetchState, SourceId, SourceStatus};
    use crate::update::update;
    use chrono::{DateTime, TimeZone, Utc};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn model() -> Model {
        let mut m = Model::new(Keymap::defaults(), now());
        m.sources.push(SourceStatus::new(
            SourceId::new(SourceKind::Github, "github"),
            FetchState::Connecting,
        ));
        let entity = |name: &str, slug: &str| Entity {
            kind: Kind::Component,
            namespace: "default".into(),
            name: name.into(),
            entity_ref: format!("component:default/{name}"),
            title: None,
            description: None,
            annotations: [("github.com/project-slug".to_string(), slug.to_string())].into(),
            tags: vec![],
            links: vec![],
            spec: Spec {
                owner: Some("group:default/team-a".into()),
                ..Spec::default()
            },
            docs_dir: None,
            origin: EntityOrigin::Backstage { url: "x".into() },
        };
        update(
            &mut m,
            RootMsg::Catalog(crate::message::catalog::Msg::Loaded {
                origin: Origin::Backstage,
                entities: vec![
                    entity("pay", "acme/pay").into(),
                    entity("cart", "acme/cart").into(),
                ],
                problems: vec![],
                at: now(),
            }),
        );
        m
    }

    fn key(c: char) -> RootMsg {
        RootMsg::Key(Key::char(c))
    }

    fn history(service: &str, days_ago: &[i64], failed: &[bool]) -> RootMsg {
        let deployments = days_ago
            .iter()
            .zip(failed)
            .enumerate()
            .map(|(i, (d, f))| {
                let created = now() - Duration::days(*d);
                Deployment {
                    id: i as u64,
                    sha: format!("{service}{i:07}"),
                    creator: "jdoe".into(),
                    created,
                    end: Some((
                        if *f {
                            Outcome::Failure
                        } else {
                            Outcome::Success
                        },
                        created + Duration::minutes(5),
                    )),
                    changes: vec![Change {
                        sha: format!("c{i}"),
                        title: "Tune the pool".into(),
                        author: "jdoe".into(),
                        committed: created - Duration::hours(1),
                        labels: vec![],
                        pull: None,
                    }],
                }
            })
            .collect();
        RootMsg::Delivery(Msg::History {
            service: service.into(),
            at: now(),
            deployments,
        })
    }

    #[test]
    fn opening_the_screen_asks_for_history_once_and_a_longer_window_asks_deeper() {
        let mut m = model();
        let effects = update(&mut m, key('1'));
        assert!(
            !effects.iter().any(|e| matches!(e, Effect::Delivery(_))),
            "nothing is read before the screen is opened"
        );
        let effects = update(&mut m, key('8'));
        let read = effects.iter().find_map(|e| match e {
            Effect::Delivery(Command::Read { since, repos }) => Some((*since, repos.clone())),
            _ => None,
        });
        let (since, repos) = read.expect("the screen asks for history");
        assert_eq!(
            since,
            now() - Duration::days(74),
            "30 days, the 30 before, a margin"
        );
        assert_eq!(repos.len(), 2);
        assert_eq!(repos[0].environment, "production");
        let effects = update(&mut m, key('j'));
        assert!(!effects.iter().any(|e| matches!(e, Effect::Delivery(_))));
        let effects = update(&mut m, key('w'));
        assert!(
            effects.iter().any(|e| matches!(
                e,
                Effect::Delivery(Command::Read { since, .. }) if *since == now() - Duration::days(194)
            )),
            "90 days need 194 days of history: {effects:?}"
        );
    }

    #[test]
    fn history_becomes_rows_and_enter_opens_the_timeline_esc_closes_it() {
        let mut m = model();
        update(&mut m, key('8'));
        update(
            &mut m,
            history("component:default/pay", &[20, 10, 2], &[false, false, true]),
        );
        update(&mut m, history("component:default/cart", &[5], &[false]));
        assert_eq!(row_count(&m), 2);
        let first = m.delivery.visible_row(0).expect("a row");
        assert_eq!(
            first.name, "pay",
            "an unrecovered failure needs attention first"
        );
        assert_eq!(first.now.failed_deployments, 1);
        update(&mut m, RootMsg::Key(Key::new(KeyCode::Enter)));
        let t = m.delivery.timeline.as_ref().expect("the timeline opens");
        assert_eq!(t.name, "pay");
        assert_eq!(t.deployments, 3);
        update(&mut m, RootMsg::Key(Key::new(KeyCode::Esc)));
        assert!(m.delivery.timeline.is_none());
    }

    #[test]
    fn grouping_rolls_up_and_enter_on_a_group_says_how_to_open_a_service() {
        let mut m = model();
        update(&mut m, key('8'));
        update(
            &mut m,
            history("component:default/pay", &[20, 10], &[false, true]),
        );
        update(&mut m, history("component:default/cart", &[5], &[false]));
        update(&mut m, key('z'));
        assert_eq!(row_count(&m), 1);
        let row = m.delivery.visible_row(0).expect("the owner's row");
        assert_eq!((row.services, row.now.deployments), (2, 3));
        update(&mut m, RootMsg::Key(Key::new(KeyCode::Enter)));
        assert!(m.delivery.timeline.is_none());
        assert!(
            m.notice
                .as_ref()
                .is_some_and(|n| n.text.contains("rolls up 2"))
        );
    }

    #[test]
    fn a_failed_read_keeps_the_history_and_says_why() {
        let mut m = model();
        update(&mut m, key('8'));
        update(&mut m, history("component:default/pay", &[3], &[false]));
        update(
            &mut m,
            RootMsg::Delivery(Msg::Failed {
                service: "component:default/pay".into(),
                error: "HTTP 502".into(),
            }),
        );
        let row = m
            .delivery
            .rows
            .iter()
            .find(|r| r.name == "pay")
            .expect("pay");
        assert_eq!(row.now.deployments, 1);
        assert_eq!(row.error.as_deref(), Some("HTTP 502"));
    }

    #[test]
    fn the_service_screen_gets_its_newest_changes_with_their_trails() {
        use crate::model::join::RunState;
        use crate::model::pipelines::{Deployment as Dep, Host, RepoData, Run, RunKey};
        let mut m = model();
        let run = Run {
            key: RunKey {
                host: Host::Github,
                repo: "acme/pay".into(),
                id: 1,
            },
            service: "component:default/pay".into(),
            service_name: "pay".into(),
            number: 1,
            workflow: "CI".into(),
            workflow_ref: "ci.yml".into(),
            branch: "main".into(),
            event: "push".into(),
            actor: "jdoe".into(),
            status: "completed".into(),
            conclusion: Some("success".into()),
            state: RunState::Success,
            attempt: 1,
            created: now() - Duration::minutes(30),
            started: Some(now() - Duration::minutes(30)),
            updated: now() - Duration::minutes(25),
            finished: Some(now() - Duration::minutes(25)),
            title: "Tune the pool".into(),
            sha: "abcdef0123".into(),
            url: None,
        };
        let dep = Dep {
            id: 1,
            environment: "production".into(),
            sha: "fedcba9876".into(),
            git_ref: "main".into(),
            state: RunState::Success,
            status: "success".into(),
            creator: "bot".into(),
            created: now() - Duration::minutes(20),
            updated: now() - Duration::minutes(18),
            url: None,
        };
        m.pipelines.repos.insert(
            (Host::Github, "acme/pay".into()),
            RepoData {
                runs: vec![run],
                deployments: vec![dep],
                service: "component:default/pay".into(),
                fetched_at: Some(now()),
            },
        );
        crate::update::overview::open_service(&mut m, "component:default/pay");
        update(
            &mut m,
            RootMsg::Resize {
                width: 120,
                height: 40,
            },
        );
        let (service, trails) = m
            .delivery
            .service_trails
            .clone()
            .expect("the open service's trails");
        assert_eq!(service, "component:default/pay");
        assert_eq!(trails.len(), 1);
        assert_eq!(trails[0].stage(), "in production");
        update(&mut m, key('8'));
        assert!(
            m.delivery.service_trails.is_none(),
            "kept only while the service screen shows them"
        );
    }
}
