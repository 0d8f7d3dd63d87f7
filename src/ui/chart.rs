//! Pictures of a signal: one-line sparklines for the Overview and small multi-row charts with a
//! labelled value axis and time markers for the Service screen, in block characters so they
//! read without colour and in any terminal font. A series never has more points than its chart
//! has columns (the provider picks the step from the width), so drawing costs the width.

use flightdeck_core::model::signals::{Series, Unit, format_value};

/// Eight heights of a cell, lowest first.
const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// The largest value of each of `width` columns over the series' points, placed by time
/// between `span`'s start and end (a column with no finite point is `None`, drawn as a gap:
/// a service with half an hour of data fills the right half of its hour).
fn columns(series: &Series, span: (i64, i64), width: usize) -> Vec<Option<f64>> {
    let mut out = vec![None; width];
    let (start, end) = span;
    if series.points.is_empty() || width == 0 || end <= start {
        return out;
    }
    let len = (end - start) as f64;
    for (t, v) in &series.points {
        if !v.is_finite() || *t < start || *t > end {
            continue;
        }
        let col = (((t - start) as f64 / len) * (width - 1) as f64).round() as usize;
        if let Some(slot) = out.get_mut(col) {
            *slot = Some(slot.map_or(*v, |s: f64| s.max(*v)));
        }
    }
    out
}

/// The scale's top: the series' largest value, never below `floor`, so a healthy service's
/// noise stays at the bottom rather than filling the line.
fn top(series: &Series, floor: f64) -> f64 {
    series.bounds().map_or(floor, |(_, hi)| hi.max(floor))
}

/// A one-line sparkline `width` cells wide, scaled from 0 to the largest value (at least
/// `floor`).
pub fn spark(series: &Series, span: (i64, i64), width: usize, floor: f64) -> String {
    let top = top(series, floor);
    columns(series, span, width)
        .into_iter()
        .map(|v| match v {
            None => ' ',
            Some(_) if top <= 0.0 => BLOCKS[0],
            Some(v) => {
                let level = ((v / top) * 7.0).round().clamp(0.0, 7.0) as usize;
                BLOCKS[level]
            }
        })
        .collect()
}

/// The least top of the scale per unit: 5% errors, 250 ms, 1 request a second.
pub fn floor(unit: Unit) -> f64 {
    match unit {
        Unit::Ratio => 0.05,
        Unit::Seconds => 0.25,
        Unit::PerSecond => 1.0,
        // An expression's own scale: its largest value, however small.
        Unit::Number => f64::MIN_POSITIVE,
    }
}

/// A chart `height` rows by `width` columns of plot, the value axis' labels on the left
/// (`label_width` wide) and, under it, a marker row: each `(unix seconds, mark)` placed at its
/// column between `start` and `end` (`▲` a deploy, `!` an alert starting, `✓` one ending).
/// Returns the rows as text, top first.
pub fn chart(
    series: &Series,
    span: (i64, i64),
    size: (usize, usize),
    unit: Unit,
    markers: &[(i64, char)],
) -> Vec<String> {
    chart_with(series, span, size, unit, markers, None)
}

/// A chart as [`chart`] draws it, with `threshold` (an alert rule's right side) as a dotted
/// line across the row it falls in, labelled on the value axis; the scale reaches it.
pub fn chart_with(
    series: &Series,
    span: (i64, i64),
    size: (usize, usize),
    unit: Unit,
    markers: &[(i64, char)],
    threshold: Option<f64>,
) -> Vec<String> {
    let (start, end) = span;
    let (width, height) = size;
    let label_width = 7;
    let threshold = threshold.filter(|t| t.is_finite() && *t >= 0.0);
    let top = top(series, floor(unit)).max(threshold.unwrap_or(0.0));
    let cols = columns(series, span, width);
    let mut rows = Vec::with_capacity(height + 1);
    for r in 0..height {
        // Each row covers an eighth-steps band of the value range, the top row first.
        let band_lo = top * (height - r - 1) as f64 / height as f64;
        let band = top / height as f64;
        // The threshold's row: the band holding it (the bottom row holds zero).
        let on_threshold = threshold
            .is_some_and(|t| (t > band_lo && t <= band_lo + band) || (t <= 0.0 && r + 1 == height));
        let empty = if on_threshold { '┄' } else { ' ' };
        let label = match (r, threshold) {
            (0, _) => format_value(unit, top),
            (_, Some(t)) if on_threshold => format_value(unit, t),
            _ if r + 1 == height => format_value(unit, 0.0),
            _ => String::new(),
        };
        let mut line = format!("{label:>label_width$}┤");
        for v in &cols {
            line.push(match v {
                None => empty,
                Some(v) if *v <= band_lo => empty,
                Some(v) if *v >= band_lo + band => '█',
                Some(v) => {
                    let level = (((v - band_lo) / band) * 8.0).floor().clamp(0.0, 7.0) as usize;
                    BLOCKS[level]
                }
            });
        }
        rows.push(line);
    }
    let mut marks: Vec<char> = vec!['─'; width];
    if end > start && width > 0 {
        for (t, m) in markers {
            if *t < start || *t > end {
                continue;
            }
            let col = ((t - start) as f64 / (end - start) as f64 * (width - 1) as f64).round();
            if let Some(slot) = marks.get_mut(col as usize) {
                *slot = *m;
            }
        }
    }
    rows.push(format!(
        "{:>label_width$}└{}",
        "",
        marks.into_iter().collect::<String>()
    ));
    rows
}

/// Counts as a one-line bar per value (a week's deployments), scaled to `top`; a zero is `·`,
/// so an empty week reads as one without colour.
pub fn count_spark(values: &[u32], top: u32) -> String {
    values
        .iter()
        .map(|v| match (*v, top) {
            (0, _) => '·',
            (_, 0) => BLOCKS[0],
            (v, top) => {
                let level = (u64::from(v) * 7 / u64::from(top)).min(7) as usize;
                BLOCKS[level]
            }
        })
        .collect()
}

/// Counts as vertical bars `height` rows tall, one column per value, scaled to `top` (at least
/// 1), with eighth-row steps; rows top first. A column with a count never reads as empty.
pub fn count_bars(values: &[u32], top: u32, height: usize) -> Vec<String> {
    let top = f64::from(top.max(1));
    (0..height)
        .map(|r| {
            let lo = top * (height - r - 1) as f64 / height as f64;
            let band = top / height as f64;
            values
                .iter()
                .map(|v| {
                    let v = f64::from(*v);
                    if v <= lo {
                        ' '
                    } else if v >= lo + band {
                        '█'
                    } else {
                        let level = (((v - lo) / band) * 8.0).floor().clamp(0.0, 7.0) as usize;
                        BLOCKS[level]
                    }
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spike_reads_as_a_tall_block_and_gaps_as_spaces() {
        let s = Series {
            points: vec![(0, 0.0), (1, 0.01), (2, f64::NAN), (3, 0.25)],
        };
        assert_eq!(spark(&s, (0, 3), 4, 0.05), "▁▁ █");
        let young = Series {
            points: vec![(50, 0.25)],
        };
        assert_eq!(
            spark(&young, (0, 60), 4, 0.05),
            "   █",
            "a new series sits at the right"
        );
        let c = chart(&s, (0, 3), (4, 2), Unit::Ratio, &[(3, '!'), (0, '▲')]);
        assert_eq!(c.len(), 3);
        assert!(c[0].starts_with("  25.0%┤"), "{c:?}");
        assert!(c[2].ends_with("└▲──!"), "{c:?}");
        // A threshold of 0.1 on a 0.25 scale in five rows: the second row from the bottom
        // (0.05..0.1] holds it, dotted where the series is below, and says its value.
        let t = chart_with(&s, (0, 3), (4, 5), Unit::Ratio, &[], Some(0.1));
        assert!(t[3].starts_with("  10.0%┤┄┄┄"), "{t:?}");
        assert!(t[3].ends_with('█'), "the spike crosses it: {t:?}");
    }

    #[test]
    fn counts_read_without_colour_a_zero_as_a_dot_a_small_count_above_the_floor() {
        assert_eq!(count_spark(&[0, 1, 7, 14], 14), "·▁▄█");
        let rows = count_bars(&[0, 1, 4], 4, 2);
        assert_eq!(rows, vec!["  █".to_string(), " ▅█".to_string()]);
    }
}
