//! Stores what Prometheus answered: each batched query's series replace that signal's and
//! range's previous ones (the cache a chart draws from), and the alert history per service.

use crate::message::signals::Msg;
use crate::message::{Discard, Effect};
use crate::model::Model;

pub fn update(model: &mut Model, msg: Msg) -> Vec<Effect> {
    model.signals.enabled = true;
    match msg {
        Msg::Loaded {
            range,
            signal,
            answer,
        } => {
            let old = model.signals.answers.insert((range, signal), answer);
            let mut effects = vec![Effect::Render];
            if let Some(old) = old {
                effects.push(Effect::Discard(Discard::new(old)));
            }
            effects
        }
        Msg::History { spans } => {
            model.signals.history = spans;
            vec![Effect::Render]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keymap::Keymap;
    use crate::model::signals::{Answer, Range, Series, Signal};
    use chrono::Utc;

    #[test]
    fn an_answer_replaces_the_cached_one_and_the_newest_value_is_current() {
        let mut model = Model::new(Keymap::default(), Utc::now());
        let answer = |v: f64| Answer {
            series: [(
                "payments-api".to_string(),
                Series {
                    points: vec![(0, 0.01), (60, v)],
                },
            )]
            .into(),
            ..Answer::default()
        };
        for v in [0.2, 0.3] {
            update(
                &mut model,
                Msg::Loaded {
                    range: Range::Hour,
                    signal: Signal::ErrorRatio,
                    answer: answer(v),
                },
            );
        }
        assert!(model.signals.enabled);
        assert_eq!(model.signals.answers.len(), 1);
        assert_eq!(
            model.signals.current(Signal::ErrorRatio, "payments-api"),
            Some(0.3)
        );
    }
}
