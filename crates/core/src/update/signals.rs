//! Stores what Prometheus answered: each batched query's series replace that signal's and
//! range's previous ones (the cache a chart draws from), and the alert history per service.
//! Tells the provider what is on screen (`watch`), so it reads only that, and drops answers
//! to what was on screen before.

use crate::message::signals::{Command, Msg};
use crate::message::{Discard, Effect};
use crate::model::overview::Line;
use crate::model::signals::{MarkKind, Marker, Want, chart_layout};
use crate::model::{Model, Screen, SourceKind};

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    model.signals.enabled = true;
    match msg {
        Msg::Loaded {
            range,
            signal,
            answer,
            chart,
            generation,
        } => {
            // Read for what was on screen before: the service scrolled away, the screen left.
            if generation != model.signals.want.generation {
                return vec![Effect::Discard(Discard::new(answer))];
            }
            let cache = if chart {
                &mut model.signals.charts
            } else {
                &mut model.signals.answers
            };
            let old = cache.insert((range, signal), answer);
            let mut effects = vec![Effect::Render];
            if let Some(old) = old {
                effects.push(Effect::Discard(Discard::new(old)));
            }
            effects
        }
        Msg::Expr { graph, generation } => {
            if generation != model.signals.want.generation {
                return vec![];
            }
            model.signals.expr = Some(graph);
            vec![Effect::Render]
        }
        Msg::History { spans } => {
            model.signals.history = spans;
            refresh_markers(model);
            vec![Effect::Render]
        }
    }
}

/// The open Service screen's markers again, after the history or the deploys changed.
pub(crate) fn refresh_markers(model: &mut Model) {
    let Some(page) = &model.catalog.overview.page else {
        return;
    };
    let markers = markers(model, &page.service, &page.title);
    if let Some(page) = model.catalog.overview.page.as_mut() {
        page.markers = markers;
    }
}

/// The deploys of `service` (a catalog ref) and the starts and ends of the alerts of `name`
/// (its entity name, the alerts' service label), oldest first, for its charts' time axis.
pub(crate) fn markers(model: &Model, service: &str, name: &str) -> Vec<Marker> {
    use crate::model::join::ChangeKind;
    let mut out: Vec<Marker> = model
        .pipelines
        .changes(service)
        .iter()
        .filter(|c| c.kind == ChangeKind::Deploy)
        .map(|c| Marker {
            at: c.at.timestamp(),
            kind: MarkKind::Deploy,
        })
        .collect();
    for span in model.signals.history.get(name).into_iter().flatten() {
        out.push(Marker {
            at: span.start,
            kind: MarkKind::AlertStart,
        });
        if let Some(end) = span.end {
            out.push(Marker {
                at: end,
                kind: MarkKind::AlertEnd,
            });
        }
    }
    out.sort_by_key(|m| m.at);
    out
}

/// Makes the next `watch` tell the provider what is on screen even if it has not changed.
pub(crate) fn forget_want(model: &mut Model) {
    model.signals.want = Want {
        generation: model.signals.want.generation,
        ..Want::default()
    };
}

/// What is on screen for Prometheus now; a command when it changed. Nothing without a
/// Prometheus source.
pub fn watch(model: &mut Model) -> Option<Effect> {
    if !model
        .sources
        .iter()
        .any(|s| s.id.kind == SourceKind::Prometheus)
    {
        return None;
    }
    let ov = &model.catalog.overview;
    let on_overview = model.screen == Screen::Overview;
    let chart = ov.page.as_ref().filter(|_| on_overview).map(|p| {
        let (_, columns) = chart_layout(model.size.0.saturating_sub(2));
        (p.title.clone(), model.signals.range, columns)
    });
    let list = on_overview && ov.page.is_none() && !ov.problems_open;
    // Only the rows on screen when they do not all fit: a long list costs what a screen shows.
    let services = if list && !model.signals.every_service && ov.lines.len() > model.list_height {
        let offset = model.list(Screen::Overview).cursor.offset;
        ov.lines
            .iter()
            .skip(offset)
            .take(model.list_height)
            .filter_map(|l| match l {
                Line::Service(i) => ov.rows.get(*i).map(|r| r.name.clone()),
                Line::Group { .. } => None,
            })
            .collect()
    } else {
        Vec::new()
    };
    // The open alert detail graphs its rule's expression.
    let alert = (model.screen == Screen::Alerts)
        .then_some(model.alerts.detail.as_ref())
        .flatten()
        .and_then(|d| model.alerts.by_fingerprint(&d.fingerprint))
        .and_then(|m| model.alerts.alert(m))
        .map(|a| {
            (
                a.name().to_string(),
                a.labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            )
        });
    let want = Want {
        generation: model.signals.want.generation,
        overview: list,
        services,
        chart,
        alert,
    };
    if want == model.signals.want {
        return None;
    }
    let want = Want {
        generation: want.generation + 1,
        ..want
    };
    model.signals.want = want.clone();
    Some(Effect::Signals(Command::Watch(want)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::Keymap;
    use crate::model::signals::{Answer, Range, Series, Signal};
    use chrono::Utc;

    fn loaded(v: f64, generation: u64) -> Msg {
        Msg::Loaded {
            range: Range::Hour,
            signal: Signal::ErrorRatio,
            answer: Answer {
                series: [(
                    "payments-api".to_string(),
                    Series {
                        points: vec![(0, 0.01), (60, v)],
                    },
                )]
                .into(),
                ..Answer::default()
            },
            chart: false,
            generation,
        }
    }

    #[test]
    fn an_answer_replaces_the_cached_one_and_the_newest_value_is_current() {
        let mut model = Model::new(Keymap::default(), Utc::now());
        for v in [0.2, 0.3] {
            update(&mut model, loaded(v, 0));
        }
        assert!(model.signals.enabled);
        assert_eq!(model.signals.answers.len(), 1);
        assert_eq!(
            model.signals.current(Signal::ErrorRatio, "payments-api"),
            Some(0.3)
        );
    }

    #[test]
    fn the_first_frames_want_is_told_again_when_the_provider_starts() {
        use crate::message::{Msg as AppMsg, SourceEvent};
        use crate::model::{FetchState, SourceId, SourceStatus};
        let mut model = Model::new(Keymap::default(), Utc::now());
        let id = SourceId::new(SourceKind::Prometheus, "sim");
        model
            .sources
            .push(SourceStatus::new(id.clone(), FetchState::Connecting));
        // The first frame's update: its effects go nowhere, no provider listens yet.
        let first = crate::update::update(
            &mut model,
            AppMsg::Resize {
                width: 120,
                height: 40,
            },
        );
        assert!(first.iter().any(|e| matches!(e, Effect::Signals(_))));
        let told = crate::update::update(
            &mut model,
            AppMsg::Source {
                id,
                event: SourceEvent::Connecting,
            },
        );
        let want = told.iter().find_map(|e| match e {
            Effect::Signals(Command::Watch(w)) => Some(w.clone()),
            _ => None,
        });
        let want = want.expect("the Overview is asked for again");
        assert!(want.overview);
        assert_eq!(want.generation, model.signals.want.generation);
    }

    #[test]
    fn an_answer_to_an_older_want_is_dropped() {
        let mut model = Model::new(Keymap::default(), Utc::now());
        model.signals.want.generation = 3;
        update(&mut model, loaded(0.3, 2));
        assert!(model.signals.answers.is_empty(), "generation 2 is stale");
        update(&mut model, loaded(0.4, 3));
        assert_eq!(
            model.signals.current(Signal::ErrorRatio, "payments-api"),
            Some(0.4)
        );
    }
}
