//! Each service's golden signals from Prometheus: which PromQL reads each signal (defaults for
//! the common conventions, overridable per service and in the config), how one batched query
//! covers every visible service, the step a chart's width allows, and the series as they came.
//! Pure: the provider runs the queries and `update` stores the answers here.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// A golden signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Signal {
    RequestRate,
    ErrorRatio,
    LatencyP50,
    LatencyP99,
    /// CPU used against the pods' limit.
    Cpu,
    /// The fullest pod's memory against its limit.
    Memory,
}

/// How a signal's values read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    PerSecond,
    /// 0..1, shown as a percentage.
    Ratio,
    Seconds,
    /// Whatever an alert rule's expression measures.
    Number,
}

impl Signal {
    pub const ALL: [Signal; 6] = [
        Signal::RequestRate,
        Signal::ErrorRatio,
        Signal::LatencyP50,
        Signal::LatencyP99,
        Signal::Cpu,
        Signal::Memory,
    ];

    /// The name used in config keys, annotations and JSON.
    pub fn key(self) -> &'static str {
        match self {
            Signal::RequestRate => "request_rate",
            Signal::ErrorRatio => "error_ratio",
            Signal::LatencyP50 => "latency_p50",
            Signal::LatencyP99 => "latency_p99",
            Signal::Cpu => "cpu",
            Signal::Memory => "memory",
        }
    }

    pub fn from_key(key: &str) -> Option<Signal> {
        Signal::ALL.into_iter().find(|s| s.key() == key)
    }

    pub fn title(self) -> &'static str {
        match self {
            Signal::RequestRate => "requests",
            Signal::ErrorRatio => "errors",
            Signal::LatencyP50 => "p50",
            Signal::LatencyP99 => "p99",
            Signal::Cpu => "cpu/limit",
            Signal::Memory => "mem/limit",
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Signal::RequestRate => Unit::PerSecond,
            Signal::ErrorRatio | Signal::Cpu | Signal::Memory => Unit::Ratio,
            Signal::LatencyP50 | Signal::LatencyP99 => Unit::Seconds,
        }
    }

    /// The default PromQL: `$selector` is the label matchers (the service label, and the
    /// services asked about), `$by` the service label, `$window` the rate window.
    pub fn default_template(self) -> &'static str {
        match self {
            Signal::RequestRate => "sum by ($by) (rate(http_requests_total{$selector}[$window]))",
            Signal::ErrorRatio => {
                "sum by ($by) (rate(http_requests_total{$selector,code=~\"5..\"}[$window])) / sum by ($by) (rate(http_requests_total{$selector}[$window]))"
            }
            Signal::LatencyP50 => {
                "histogram_quantile(0.5, sum by ($by, le) (rate(http_request_duration_seconds_bucket{$selector}[$window])))"
            }
            Signal::LatencyP99 => {
                "histogram_quantile(0.99, sum by ($by, le) (rate(http_request_duration_seconds_bucket{$selector}[$window])))"
            }
            Signal::Cpu => {
                "sum by ($by) (rate(container_cpu_usage_seconds_total{$selector}[$window])) / sum by ($by) (kube_pod_container_resource_limits{$selector,resource=\"cpu\"})"
            }
            Signal::Memory => {
                "max by ($by) (container_memory_working_set_bytes{$selector} / on (namespace, pod, container) group_left kube_pod_container_resource_limits{resource=\"memory\"})"
            }
        }
    }
}

/// Formats a value with its unit, compactly: `12.3/s`, `4.1%`, `230ms`, `1.2s`.
pub fn format_value(unit: Unit, v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    match unit {
        Unit::PerSecond if v >= 1000.0 => format!("{:.1}k/s", v / 1000.0),
        Unit::PerSecond => format!("{v:.1}/s"),
        Unit::Ratio => format!("{:.1}%", v * 100.0),
        Unit::Seconds if v < 1.0 => format!("{:.0}ms", v * 1000.0),
        Unit::Seconds => format!("{v:.1}s"),
        Unit::Number if v.abs() >= 10_000.0 => format!("{v:.2e}"),
        Unit::Number if v.abs() >= 100.0 => format!("{v:.0}"),
        Unit::Number => format!("{v:.3}"),
    }
}

/// A chart's time range, chosen at a key on the Service screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Range {
    #[default]
    Hour,
    SixHours,
    Day,
    Week,
}

impl Range {
    pub const ALL: [Range; 4] = [Range::Hour, Range::SixHours, Range::Day, Range::Week];

    pub fn seconds(self) -> i64 {
        match self {
            Range::Hour => 3600,
            Range::SixHours => 6 * 3600,
            Range::Day => 24 * 3600,
            Range::Week => 7 * 24 * 3600,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Range::Hour => "1h",
            Range::SixHours => "6h",
            Range::Day => "24h",
            Range::Week => "7d",
        }
    }

    pub fn next(self) -> Range {
        match self {
            Range::Hour => Range::SixHours,
            Range::SixHours => Range::Day,
            Range::Day => Range::Week,
            Range::Week => Range::Hour,
        }
    }
}

/// The `query_range` step for a chart `columns` wide: never more points than columns, and
/// never finer than the scrape interval (a finer step only repeats samples).
pub fn step_for(range: Range, columns: u16, scrape_secs: i64) -> i64 {
    let columns = i64::from(columns.max(1));
    let step = (range.seconds() + columns - 1) / columns;
    step.max(scrape_secs.max(1))
}

/// The rate window for a step: at least four scrapes, and at least the step, so a rate at each
/// point covers the whole step.
pub fn window_for(step: i64, scrape_secs: i64) -> String {
    format!("{}s", step.max(scrape_secs.max(1) * 4))
}

/// The PromQL templates in force: the defaults, overridden in the config.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Templates {
    pub overrides: BTreeMap<Signal, String>,
}

impl Templates {
    pub fn get(&self, signal: Signal) -> &str {
        self.overrides
            .get(&signal)
            .map_or(signal.default_template(), String::as_str)
    }
}

/// Escapes a value for a PromQL regex matcher inside double quotes.
fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c == '\\' {
            // A backslash the regex reads as itself is two, each doubled for the PromQL string.
            out.push_str(r"\\\\");
            continue;
        }
        if ".+*?()|[]{}^$".contains(c) {
            // One backslash for the regex, doubled for the PromQL string.
            out.push_str("\\\\");
        } else if c == '"' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Fills a template for `services` (one batched query, `label=~"a|b"`), or for one service
/// (`label="a"`) when a per-service override holds its own query.
pub fn render(template: &str, label: &str, services: &[&str], window: &str) -> String {
    let selector = match services {
        [one] => format!(
            "{label}=\"{}\"",
            one.replace('\\', "\\\\").replace('"', "\\\"")
        ),
        many => {
            let alts: Vec<String> = many.iter().map(|s| regex_escape(s)).collect();
            format!("{label}=~\"{}\"", alts.join("|"))
        }
    };
    template
        .replace("$selector", &selector)
        .replace("$by", label)
        .replace("$window", window)
}

/// The annotation a service uses to hold its own query for `signal`.
pub fn annotation(signal: Signal) -> String {
    format!(
        "flightdeck.dev/prometheus-{}",
        signal.key().replace('_', "-")
    )
}

/// One series as charts draw it: unix seconds and values, oldest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Series {
    pub points: Vec<(i64, f64)>,
}

impl Series {
    /// The newest finite value.
    pub fn last(&self) -> Option<f64> {
        self.points
            .iter()
            .rev()
            .map(|p| p.1)
            .find(|v| v.is_finite())
    }

    /// Smallest and largest finite value.
    pub fn bounds(&self) -> Option<(f64, f64)> {
        self.points
            .iter()
            .map(|p| p.1)
            .filter(|v| v.is_finite())
            .fold(None, |acc, v| match acc {
                None => Some((v, v)),
                Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
            })
    }
}

/// What one query answered: a series per service for one signal over one range.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer {
    pub series: BTreeMap<String, Series>,
    pub fetched_at: Option<DateTime<Utc>>,
    /// The query's start and end (unix seconds) and step.
    pub start: i64,
    pub end: i64,
    pub step: i64,
    pub warnings: Vec<String>,
}

/// How wide the value axis' labels are, and the axis itself: a chart's plot is the rest.
pub const LABEL_WIDTH: u16 = 8;

/// How the Service screen lays its charts out across an area `width` wide: how many side by
/// side, and each plot's columns. `update` asks the provider for points at this width and the
/// view draws at it, so the two agree on "never more points than columns".
pub fn chart_layout(width: u16) -> (u16, u16) {
    let across = if width >= 160 { 2 } else { 1 };
    // One column between charts side by side.
    let each = width / across;
    (across, each.saturating_sub(LABEL_WIDTH + 1).max(1))
}

/// A mark on a chart's time axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    Deploy,
    AlertStart,
    AlertEnd,
}

impl MarkKind {
    /// Drawn on the axis row; readable without colour.
    pub fn glyph(self) -> char {
        match self {
            MarkKind::Deploy => '▲',
            MarkKind::AlertStart => '!',
            MarkKind::AlertEnd => '✓',
        }
    }
}

/// A deploy or an alert's start or end at `at` (unix seconds), for the Service screen's charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Marker {
    pub at: i64,
    pub kind: MarkKind,
}

/// What the Prometheus provider should read now, as `update` last told it. A new `generation`
/// each time it changes: answers to an older one are dropped, so a service scrolled away or a
/// screen left never overwrites what is shown.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Want {
    pub generation: u64,
    /// The Overview is on screen: its hour of sparklines is read at the scrape interval.
    pub overview: bool,
    /// The services (entity names) to read when the list is longer than the screen: those
    /// on it. Empty means every service.
    pub services: Vec<String>,
    /// The open Service screen's service, its range and its plot's columns.
    pub chart: Option<(String, Range, u16)>,
    /// The open alert detail's alert: its name and labels, whose rule's expression is graphed.
    pub alert: Option<(String, Vec<(String, String)>)>,
}

impl Want {
    /// Whether anything is on screen to read.
    pub fn idle(&self) -> bool {
        !self.overview && self.chart.is_none() && self.alert.is_none()
    }
}

/// Every answer kept, per range and signal: a range's answers stay cached when another range
/// is shown, so switching back draws at once.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SignalsState {
    pub answers: BTreeMap<(Range, Signal), Answer>,
    /// The open Service screen's charts, per range and signal: one service's series read at
    /// the chart's width, apart from the Overview's batched hour.
    pub charts: BTreeMap<(Range, Signal), Answer>,
    /// What the provider was last told to read.
    pub want: Want,
    /// Read every service whatever fits on screen (`flightdeck status`, which has none).
    pub every_service: bool,
    /// The open alert's expression over the last hours, for its detail.
    pub expr: Option<ExprGraph>,
    /// The range the Service screen charts.
    pub range: Range,
    /// Alert history per service: each firing span from `ALERTS`, for time to resolve and MTTR.
    pub history: BTreeMap<String, Vec<AlertSpan>>,
    /// Whether any Prometheus source is configured: the columns and charts show only then.
    pub enabled: bool,
}

impl SignalsState {
    pub fn series(&self, range: Range, signal: Signal, service: &str) -> Option<&Series> {
        self.answers.get(&(range, signal))?.series.get(service)
    }

    /// The newest value of `signal` for `service`, from the shortest range that has one.
    pub fn current(&self, signal: Signal, service: &str) -> Option<f64> {
        Range::ALL
            .iter()
            .find_map(|r| self.series(*r, signal, service)?.last())
    }
}

/// One alert's firing span, from Prometheus' `ALERTS` series: `end` is `None` while firing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertSpan {
    pub alert: String,
    pub start: i64,
    pub end: Option<i64>,
    /// Its `severity` label is `critical`: such a start after a deploy fails the deploy.
    pub critical: bool,
}

/// Firing spans from an `ALERTS{alertstate="firing"}` range answer for one series: a gap of
/// more than one step between points ends a span.
pub fn spans(alert: &str, points: &[(i64, f64)], step: i64, end: i64) -> Vec<AlertSpan> {
    let mut out: Vec<AlertSpan> = Vec::new();
    let mut last: Option<i64> = None;
    for (t, _) in points {
        match (out.last_mut(), last) {
            (Some(span), Some(prev)) if t - prev <= step => span.end = Some(*t),
            _ => out.push(AlertSpan {
                alert: alert.to_string(),
                start: *t,
                end: Some(*t),
                critical: false,
            }),
        }
        last = Some(*t);
    }
    // A span whose last point is the query's end is still firing.
    if let Some(span) = out.last_mut()
        && span.end.is_some_and(|e| end - e < step)
    {
        span.end = None;
    }
    out
}

/// Moves each span's start to when its alert became active, read from `ALERTS_FOR_STATE`'s
/// points (their value is that time, in unix seconds): a start read from `ALERTS` is only as
/// exact as the query's step. A value after the span's first point, or before the previous
/// span ended, belongs to another firing and is ignored.
pub fn exact_starts(spans: &mut [AlertSpan], active: &[(i64, f64)], step: i64) {
    let mut previous_end = i64::MIN;
    for span in spans.iter_mut() {
        let until = span.end.unwrap_or(i64::MAX);
        let at = active
            .iter()
            .find(|(t, v)| *t >= span.start.saturating_sub(step) && *t <= until && v.is_finite())
            .map(|(_, v)| v.round() as i64);
        if let Some(at) = at
            && at <= span.start
            && at > previous_end
        {
            span.start = at;
        }
        previous_end = span.end.unwrap_or(i64::MAX);
    }
}

/// An alerting rule's expression as its detail graphs it: the comparison split, the left side
/// read over the last hours for the alert's series, the right side the threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct ExprGraph {
    /// The alert it was read for.
    pub alert: String,
    pub left: String,
    /// `>`, `<`, `>=`, `<=`, `==` or `!=`; empty when the expression compares nothing.
    pub op: String,
    pub right: String,
    /// The right side as a number, drawn as a line; `None` when it is itself a query.
    pub threshold: Option<f64>,
    /// The left side's series matching the alert's labels, under the key `""` (the highest
    /// when several match), or why there is none.
    pub answer: Result<Answer, String>,
}

/// Splits a PromQL comparison at its last top-level operator (outside parentheses, braces,
/// brackets and strings): `a / b > 0.05` → (`a / b`, `>`, `0.05`). A `bool` modifier is
/// dropped. `None` when the expression compares nothing at the top.
pub fn split_comparison(expr: &str) -> Option<(String, String, String)> {
    let bytes = expr.as_bytes();
    let mut depth = 0i32;
    let mut quote: Option<u8> = None;
    let mut found: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match quote {
            Some(q) => {
                if c == b'\\' {
                    i += 1;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                b'"' | b'\'' | b'`' => quote = Some(c),
                b'(' | b'{' | b'[' => depth += 1,
                b')' | b'}' | b']' => depth -= 1,
                b'>' | b'<' | b'=' | b'!' if depth == 0 => {
                    let next = bytes.get(i + 1).copied();
                    let len = match (c, next) {
                        (b'>' | b'<' | b'=' | b'!', Some(b'=')) => 2,
                        (b'>' | b'<', _) => 1,
                        _ => 0,
                    };
                    if len > 0 {
                        found = Some((i, len));
                        i += len;
                        continue;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    let (at, len) = found?;
    let left = expr[..at].trim();
    let op = &expr[at..at + len];
    let mut right = expr[at + len..].trim();
    if let Some(rest) = right.strip_prefix("bool ") {
        right = rest.trim();
    }
    (!left.is_empty() && !right.is_empty())
        .then(|| (left.to_string(), op.to_string(), right.to_string()))
}

/// Mean time to recovery over the spans that started from `from` on and resolved, in seconds,
/// and how many there were.
pub fn mttr_since(spans: &[AlertSpan], from: i64) -> (Option<i64>, usize) {
    let resolved: Vec<AlertSpan> = spans
        .iter()
        .filter(|s| s.start >= from && s.end.is_some())
        .cloned()
        .collect();
    (mttr(&resolved), resolved.len())
}

/// Mean time to recovery over the resolved spans, in seconds.
pub fn mttr(spans: &[AlertSpan]) -> Option<i64> {
    let resolved: Vec<i64> = spans
        .iter()
        .filter_map(|s| Some(s.end?.saturating_sub(s.start)))
        .collect();
    // Remote timestamps: a sum that would overflow saturates rather than wraps.
    (!resolved.is_empty())
        .then(|| resolved.iter().fold(0i64, |a, d| a.saturating_add(*d)) / resolved.len() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a PromQL double-quoted string holds after its escapes: the regex Prometheus
    /// compiles.
    fn unquoted(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            out.push(if c == '\\' {
                chars.next().unwrap_or(c)
            } else {
                c
            });
        }
        out
    }

    #[test]
    fn a_name_with_regex_characters_matches_only_itself() {
        for name in [r"a\b", "a.b", "a|b", r#"a"b"#, "(x)+"] {
            let regex = unquoted(&regex_escape(name));
            // The regex, read back as Go's RE2 reads it: each escaped character is itself.
            let mut literal = String::new();
            let mut chars = regex.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    literal.push(chars.next().expect("an escape escapes something"));
                } else {
                    assert!(
                        !".+*?()|[]{}^$\\".contains(c),
                        "{name}: unescaped {c} in {regex}"
                    );
                    literal.push(c);
                }
            }
            assert_eq!(literal, name, "{regex}");
        }
    }

    #[test]
    fn one_query_covers_every_service_and_steps_fit_the_width() {
        let q = render(
            Signal::ErrorRatio.default_template(),
            "service",
            &["payments-api", "a.b"],
            "60s",
        );
        assert_eq!(
            q,
            "sum by (service) (rate(http_requests_total{service=~\"payments-api|a\\\\.b\",code=~\"5..\"}[60s])) / sum by (service) (rate(http_requests_total{service=~\"payments-api|a\\\\.b\"}[60s]))"
        );
        let one = render(Signal::RequestRate.default_template(), "app", &["x"], "1m");
        assert_eq!(
            one,
            "sum by (app) (rate(http_requests_total{app=\"x\"}[1m]))"
        );
        // 7 days on 80 columns: 7560 s a point, 80 points.
        assert_eq!(step_for(Range::Week, 80, 15), 7560);
        assert!(Range::Week.seconds() / step_for(Range::Week, 80, 15) <= 80);
        // An hour on 200 columns would be 18 s; never finer than the scrape.
        assert_eq!(step_for(Range::Hour, 200, 30), 30);
    }

    #[test]
    fn a_rules_comparison_splits_at_its_top_level_operator() {
        let rule = "sum by (service) (rate(http_requests_total{code=~\"5..\"}[1m]))\n  / sum by (service) (rate(http_requests_total[1m])) > 0.05\n";
        let (left, op, right) = split_comparison(rule).expect("a comparison");
        assert!(left.ends_with("(rate(http_requests_total[1m]))"), "{left}");
        assert_eq!((op.as_str(), right.as_str()), (">", "0.05"));
        assert_eq!(
            split_comparison("up{job!=\"a>b\"} == bool 0"),
            Some(("up{job!=\"a>b\"}".into(), "==".into(), "0".into()))
        );
        assert_eq!(
            split_comparison("x / y >= 0.95"),
            Some(("x / y".into(), ">=".into(), "0.95".into()))
        );
        assert_eq!(split_comparison("absent(up{job=\"x\"})"), None);
        assert_eq!(
            split_comparison("rate(x[5m]) > on(job) y"),
            Some(("rate(x[5m])".into(), ">".into(), "on(job) y".into()))
        );
    }

    #[test]
    fn spans_and_mttr_from_alerts_points() {
        let pts: Vec<(i64, f64)> = [0, 15, 30, 45, 300, 315, 600]
            .iter()
            .map(|t| (*t, 1.0))
            .collect();
        let s = spans("HighErrorRate", &pts, 15, 600);
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].start, s[0].end), (0, Some(45)));
        assert_eq!((s[1].start, s[1].end), (300, Some(315)));
        assert_eq!(s[2].end, None, "the last point is the query's end: firing");
        assert_eq!(mttr(&s), Some(30));
        // ALERTS_FOR_STATE says the first became active at -8, the second at 290, and a
        // value later than a span's first point is another firing's.
        let mut exact = s.clone();
        exact_starts(
            &mut exact,
            &[(0, -8.0), (15, -8.0), (300, 290.0), (600, 605.0)],
            15,
        );
        assert_eq!(exact[0].start, -8);
        assert_eq!(exact[1].start, 290);
        assert_eq!(exact[2].start, 600);
        assert_eq!(mttr(&exact), Some((45 + 8 + 315 - 290) / 2));
        assert_eq!(format_value(Unit::Ratio, 0.0412), "4.1%");
        assert_eq!(format_value(Unit::Seconds, 0.23), "230ms");
    }
}
