//! The one place that formats ages and durations, so every screen says them the same way.

use chrono::{DateTime, Duration, Utc};

/// How long ago `then` was, to the minute: `<1m`, `5m`, `3h`, `2d`. Minute granularity keeps an
/// idle screen still, since nothing shown changes between minutes.
pub fn age(now: DateTime<Utc>, then: DateTime<Utc>) -> String {
    let d = now - then;
    if d < Duration::minutes(1) {
        "<1m".to_string()
    } else {
        coarse(d)
    }
}

/// A duration in its two largest units: `45s`, `3m12s`, `2h05m`, `3d4h`.
pub fn duration(d: Duration) -> String {
    let s = d.num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        3600..86400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{}h", s / 86400, (s % 86400) / 3600),
    }
}

/// A duration in its largest unit: `5m`, `3h`, `2d`.
pub fn coarse(d: Duration) -> String {
    let m = d.num_minutes().max(0);
    match m {
        0..60 => format!("{m}m"),
        60..2880 => format!("{}h", m / 60),
        _ => format!("{}d", m / 1440),
    }
}

/// Time until `at`, in seconds while under two minutes (a retry countdown), else coarse.
pub fn until(now: DateTime<Utc>, at: DateTime<Utc>) -> String {
    let d = at - now;
    if d <= Duration::zero() {
        "now".to_string()
    } else if d < Duration::minutes(2) {
        format!("{}s", d.num_seconds() + 1)
    } else {
        coarse(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(0, "<1m")]
    #[case(59, "<1m")]
    #[case(60, "1m")]
    #[case(3599, "59m")]
    #[case(3600, "1h")]
    #[case(2 * 86400, "2d")]
    #[case(-30, "<1m")]
    fn ages(#[case] secs: i64, #[case] expected: &str) {
        let now = DateTime::<Utc>::UNIX_EPOCH + Duration::days(10);
        assert_eq!(age(now, now - Duration::seconds(secs)), expected);
    }

    #[rstest]
    #[case(42, "42s")]
    #[case(192, "3m12s")]
    #[case(7500, "2h05m")]
    #[case(3 * 86400 + 4 * 3600, "3d4h")]
    fn durations(#[case] secs: i64, #[case] expected: &str) {
        assert_eq!(duration(Duration::seconds(secs)), expected);
    }
}
