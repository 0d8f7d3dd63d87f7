//! The Service screen's golden-signal charts: one per signal over the chosen range, with the
//! service's deploys and alert starts and ends marked on the same time axis, so a regression
//! at a deploy shows at a glance. Fewer charts when the terminal is small, most telling first.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::chart;
use super::theme::{Role, Theme};
use flightdeck_core::model::Model;
use flightdeck_core::model::overview::ServicePage;
use flightdeck_core::model::signals::{
    Answer, LABEL_WIDTH, Range, Signal, chart_layout, format_value,
};
use flightdeck_core::model::time::coarse;

/// The signals in the order they give way: errors and p99 stay longest.
const ORDER: [Signal; 6] = [
    Signal::ErrorRatio,
    Signal::LatencyP99,
    Signal::RequestRate,
    Signal::LatencyP50,
    Signal::Cpu,
    Signal::Memory,
];

/// Lines of one chart beyond its plot: its title and its time axis with the markers.
const CHART_FRAME: u16 = 2;
/// The fewest plot rows worth drawing, and the most worth giving.
const MIN_PLOT: u16 = 2;
const MAX_PLOT: u16 = 8;

/// How many charts fit in `height` rows with `across` side by side, and each plot's rows.
/// One row is the time labels under the last row of charts.
fn fit(height: u16, across: u16) -> (usize, u16) {
    let usable = height.saturating_sub(1);
    let across = usize::from(across.max(1));
    for shown in (1..=ORDER.len()).rev() {
        let rows = shown.div_ceil(across) as u16;
        let each = usable / rows;
        if each >= CHART_FRAME + MIN_PLOT {
            return (shown, (each - CHART_FRAME).min(MAX_PLOT));
        }
    }
    (0, 0)
}

/// The answer a chart of `signal` over `range` draws: the chart's own read, else (for the
/// hour) the Overview's.
fn answer(model: &Model, range: Range, signal: Signal) -> Option<&Answer> {
    let s = &model.signals;
    s.charts
        .get(&(range, signal))
        .or_else(|| (range == Range::Hour).then(|| s.answers.get(&(range, signal)))?)
}

pub fn draw(model: &Model, page: &ServicePage, theme: &Theme, frame: &mut Frame, area: Rect) {
    let range = model.signals.range;
    let muted = theme.style(Role::Muted);
    let mut title = vec![Span::styled(" Signals ", theme.style(Role::Title))];
    for r in Range::ALL {
        let style = if r == range {
            theme.style(Role::Selection)
        } else {
            muted
        };
        title.push(Span::styled(r.label(), style));
        title.push(Span::raw(" "));
    }
    title.push(Span::styled("▲ deploy  ! alert  ✓ resolved ", muted));
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.style(Role::Border))
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (across, plot_w) = chart_layout(inner.width);
    let (shown, plot_h) = fit(inner.height, across);
    if shown == 0 {
        return;
    }
    // Only the markers inside the range (they are sorted by time): a service's whole history of
    // deploys and alerts is not walked for each chart of each frame.
    let from = model.now.timestamp() - range.seconds();
    let first = page.markers.partition_point(|m| m.at < from);
    let markers: Vec<(i64, char)> = page.markers[first..]
        .iter()
        .map(|m| (m.at, m.kind.glyph()))
        .collect();
    let each_w = inner.width / across;
    for (i, signal) in ORDER.iter().take(shown).enumerate() {
        let col = (i % usize::from(across)) as u16;
        let row = (i / usize::from(across)) as u16;
        let x = inner.x + col * each_w;
        let y = inner.y + row * (plot_h + CHART_FRAME);
        let rect = Rect::new(x, y, each_w.saturating_sub(1), plot_h + CHART_FRAME);
        let lines = match answer(model, range, *signal)
            .and_then(|a| Some((a, a.series.get(&page.title)?)))
        {
            Some((a, series)) => {
                let now = series
                    .last()
                    .map_or("–".to_string(), |v| format_value(signal.unit(), v));
                let mut lines = vec![Line::from(vec![
                    Span::styled(
                        format!("{:>w$} ", signal.title(), w = usize::from(LABEL_WIDTH) - 1),
                        theme.style(Role::Title),
                    ),
                    Span::styled(now, theme.style(Role::Text)),
                    Span::styled(" now", muted),
                ])];
                let rows = chart::chart(
                    series,
                    (a.start, a.end),
                    (usize::from(plot_w), usize::from(plot_h)),
                    signal.unit(),
                    &markers,
                );
                let last = rows.len().saturating_sub(1);
                lines.extend(rows.into_iter().enumerate().map(|(i, r)| {
                    Line::styled(
                        r,
                        if i == last {
                            muted
                        } else {
                            theme.style(Role::Accent)
                        },
                    )
                }));
                lines
            }
            None => vec![
                Line::styled(
                    format!("{:>w$} ", signal.title(), w = usize::from(LABEL_WIDTH) - 1),
                    theme.style(Role::Title),
                ),
                Line::styled(
                    if answer(model, range, *signal).is_none() {
                        format!("reading the last {}…", range.label())
                    } else {
                        "no data for this service".to_string()
                    },
                    muted,
                ),
            ],
        };
        frame.render_widget(Paragraph::new(lines), rect);
    }
    // The time labels under the last row of charts, one per column of charts.
    let rows = shown.div_ceil(usize::from(across)) as u16;
    let y = inner.y + rows * (plot_h + CHART_FRAME);
    if y < inner.y + inner.height {
        let label = time_axis(range, usize::from(plot_w));
        for col in 0..across.min(shown as u16) {
            let x = inner.x + col * each_w;
            let rect = Rect::new(x, y, each_w.saturating_sub(1), 1);
            frame.render_widget(
                Paragraph::new(Line::styled(
                    format!("{:w$}{label}", "", w = usize::from(LABEL_WIDTH)),
                    muted,
                )),
                rect,
            );
        }
    }
}

/// The time axis' labels `width` columns wide: the range's start at the left, `now` at the
/// right, and a tick or two between at whole units, each at its column.
fn time_axis(range: Range, width: usize) -> String {
    let total = range.seconds();
    let ticks: &[i64] = match range {
        Range::Hour => &[45 * 60, 30 * 60, 15 * 60],
        Range::SixHours => &[4 * 3600, 2 * 3600],
        Range::Day => &[18 * 3600, 12 * 3600, 6 * 3600],
        Range::Week => &[5 * 86400, 3 * 86400, 86400],
    };
    let mut out: Vec<char> = vec![' '; width];
    let put = |at: usize, text: &str, out: &mut Vec<char>| {
        let chars: Vec<char> = text.chars().collect();
        let end = at + chars.len();
        if end > width || out[at..end].iter().any(|c| *c != ' ') {
            return;
        }
        // Keep a space before and after, so labels never run together.
        if at > 0 && out[at - 1] != ' ' || end < width && out[end] != ' ' {
            return;
        }
        out[at..end].copy_from_slice(&chars);
    };
    let label = |secs: i64| format!("-{}", coarse(chrono::Duration::seconds(secs)));
    put(0, &label(total), &mut out);
    put(width.saturating_sub(3), "now", &mut out);
    for t in ticks {
        let text = label(*t);
        let col =
            ((total - t) as f64 / total as f64 * width.saturating_sub(1) as f64).round() as usize;
        put(col.saturating_sub(text.len() / 2), &text, &mut out);
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_give_way_when_short_and_labels_sit_at_their_time() {
        // 80x24: two charts of two rows; 200x50: all six, two across.
        assert_eq!(fit(9, 1), (2, 2));
        assert_eq!(fit(2, 1), (0, 0));
        assert_eq!(fit(25, 2), (6, 6));
        let axis = time_axis(Range::SixHours, 61);
        assert!(axis.starts_with("-6h "), "{axis:?}");
        assert!(axis.ends_with(" now"), "{axis:?}");
        // -2h is two thirds along: column 40, the label centred on it.
        assert_eq!(axis.find("-2h"), Some(39), "{axis:?}");
    }
}
