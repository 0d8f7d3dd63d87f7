//! What the Prometheus provider tells `update` (answers to the golden-signal queries, alert
//! history), and what `update` asks of it (the range the Service screen charts).

use std::collections::BTreeMap;

use crate::model::signals::{AlertSpan, Answer, ExprGraph, Range, Signal, Want};

/// Messages from the Prometheus provider.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// One batched query's answer: `signal` over `range` for every service asked about.
    /// `chart` when it was read for the Service screen's chart rather than the Overview;
    /// `generation` is the `Want` it answers, and an older one's answer is dropped.
    Loaded {
        range: Range,
        signal: Signal,
        answer: Answer,
        chart: bool,
        generation: u64,
    },
    /// The open alert's rule expression, read for `generation`.
    Expr { graph: ExprGraph, generation: u64 },
    /// Firing spans per service from `ALERTS` and `ALERTS_FOR_STATE` over the history window.
    History {
        spans: BTreeMap<String, Vec<AlertSpan>>,
    },
}

/// Work for the Prometheus provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Read what is on screen now, and only that.
    Watch(Want),
}
