//! What the Prometheus provider tells `update` (answers to the golden-signal queries, alert
//! history), and what `update` asks of it (the range the Service screen charts).

use std::collections::BTreeMap;

use crate::model::signals::{AlertSpan, Answer, Range, Signal};

/// Messages from the Prometheus provider.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// One batched query's answer: `signal` over `range` for every service asked about.
    Loaded {
        range: Range,
        signal: Signal,
        answer: Answer,
    },
    /// Firing spans per service from `ALERTS` over the history window.
    History {
        spans: BTreeMap<String, Vec<AlertSpan>>,
    },
}

/// Work for the Prometheus provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Chart this range too (the Overview's hour is always read), `columns` wide.
    Range { range: Range, columns: u16 },
}
