//! How a table's columns share the terminal's width by their content. Each screen says, per
//! column, the least it is worth showing at, what its visible rows want, and how much it
//! matters; this decides who is shown, who is cut and who gets spare room, so no column takes
//! half a wide terminal while its neighbours are cut, and a narrow one loses the least useful.

/// One column's claim on the width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Column {
    /// Below this the column says nothing useful; a column whose `min` is its `want` is shown
    /// whole or not at all (a status cell cut in half misleads).
    pub min: usize,
    /// What the widest visible cell (or the header) needs.
    pub want: usize,
    /// Higher keeps its place and its want longer.
    pub priority: u8,
    /// Gives way whole rather than cut the others: a column that only adds context.
    pub optional: bool,
}

impl Column {
    /// A column wanting `want` (at least its header's `label`), never cut below `min`.
    pub fn new(label: &str, min: usize, want: usize, priority: u8) -> Column {
        let want = want.max(unicode_width::UnicodeWidthStr::width(label));
        Column {
            min: min.min(want),
            want,
            priority,
            optional: false,
        }
    }

    /// A column shown whole or not at all, at exactly what its content wants.
    pub fn whole(label: &str, want: usize, priority: u8) -> Column {
        let c = Column::new(label, 0, want, priority);
        Column { min: c.want, ..c }
    }

    /// The column is dropped before any other is cut below what it wants.
    pub fn optional(self) -> Column {
        Column {
            optional: true,
            ..self
        }
    }
}

/// The widest of `cells`, in display columns: what a column of them wants. The caller passes
/// the visible rows only, so the cost does not grow with the data.
pub fn widest<'a>(cells: impl IntoIterator<Item = &'a str>) -> usize {
    cells
        .into_iter()
        .map(unicode_width::UnicodeWidthStr::width)
        .max()
        .unwrap_or(0)
}

/// Each column's width in `width` terminal columns, `gap` columns between two shown ones; 0
/// means the column is not shown. In turn: the least important columns are dropped until every
/// other fits at its `min`; optional columns are dropped, least important first, until every
/// shown column fits at its `want`; then each shown column gets its `min` and, most important
/// first, grows to its `want` while room is left. Room nobody wants stays unused at the right.
pub fn share(cols: &[Column], width: usize, gap: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..cols.len()).collect();
    // Stable: of two columns that matter as much, the left one stays longer.
    order.sort_by_key(|&i| std::cmp::Reverse(cols.get(i).map_or(0, |c| c.priority)));
    let mut shown = vec![true; cols.len()];
    let need = |shown: &[bool], of: fn(&Column) -> usize| -> usize {
        let (sum, n) = cols
            .iter()
            .zip(shown)
            .filter(|(_, s)| **s)
            .fold((0, 0usize), |(sum, n), (c, _)| (sum + of(c), n + 1));
        sum + gap * n.saturating_sub(1)
    };
    // The most important column stays, however narrow; it is cut to the width below.
    for &i in order.iter().skip(1).rev() {
        if need(&shown, |c| c.min) <= width {
            break;
        }
        shown[i] = false;
    }
    for &i in order.iter().rev() {
        if need(&shown, |c| c.want) <= width {
            break;
        }
        if cols[i].optional {
            shown[i] = false;
        }
    }
    let mut widths: Vec<usize> = cols
        .iter()
        .zip(&shown)
        .map(|(c, s)| if *s { c.min } else { 0 })
        .collect();
    let mut room = width.saturating_sub(need(&shown, |c| c.min));
    for &i in &order {
        if !shown[i] {
            continue;
        }
        let grow = cols[i].want.saturating_sub(widths[i]).min(room);
        widths[i] += grow;
        room -= grow;
    }
    if let Some(&top) = order.first() {
        widths[top] = widths[top].min(width);
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn col(min: usize, want: usize, priority: u8) -> Column {
        Column::new("", min, want, priority)
    }

    #[rstest]
    #[case::everything_fits(
        vec![col(4, 10, 9), col(4, 6, 5)], 30, vec![10, 6]
    )]
    #[case::spare_room_stays_unused_no_column_takes_half(
        vec![col(8, 12, 9), col(8, 15, 5), col(3, 3, 7)], 200, vec![12, 15, 3]
    )]
    #[case::the_more_important_grows_first(
        vec![col(4, 20, 9), col(4, 20, 5)], 25, vec![20, 4]
    )]
    #[case::a_less_important_column_keeps_its_min(
        vec![col(4, 40, 9), col(6, 20, 5)], 30, vec![23, 6]
    )]
    #[case::too_narrow_for_every_min_drops_the_least_important(
        vec![col(8, 20, 9), col(8, 20, 1), col(8, 20, 5)], 18, vec![9, 0, 8]
    )]
    #[case::the_most_important_stays_cut_to_the_width(
        vec![col(8, 20, 9), col(8, 20, 5)], 5, vec![5, 0]
    )]
    #[case::width_zero(vec![col(8, 20, 9), col(8, 20, 5)], 0, vec![0, 0])]
    #[case::ties_keep_the_left_column(
        vec![col(8, 8, 5), col(8, 8, 5)], 10, vec![8, 0]
    )]
    #[case::no_columns(vec![], 80, vec![])]
    fn shares_the_width(#[case] cols: Vec<Column>, #[case] width: usize, #[case] want: Vec<usize>) {
        let got = share(&cols, width, 1);
        assert_eq!(got, want);
        let shown = got.iter().filter(|w| **w > 0).count();
        assert!(got.iter().sum::<usize>() + shown.saturating_sub(1) <= width.max(1));
    }

    #[test]
    fn an_optional_column_gives_way_whole_before_another_is_cut() {
        let cols = [
            col(8, 15, 9),
            col(8, 15, 8),
            col(10, 10, 2).optional(),
            col(10, 10, 1).optional(),
        ];
        // Both optional ones would fit at their min, but only by cutting the first two.
        assert_eq!(share(&cols, 42, 1), vec![15, 15, 10, 0]);
        assert_eq!(share(&cols, 31, 1), vec![15, 15, 0, 0]);
        assert_eq!(share(&cols, 60, 1), vec![15, 15, 10, 10]);
    }

    #[test]
    fn a_whole_column_is_never_cut() {
        let cols = [col(4, 30, 9), Column::whole("PODS", 6, 8)];
        assert_eq!(share(&cols, 20, 1), vec![13, 6]);
        assert_eq!(share(&cols, 8, 1), vec![8, 0]);
    }

    #[test]
    fn a_header_wider_than_the_cells_sets_the_want() {
        let c = Column::new("DEPLOYED", 2, 4, 1);
        assert_eq!((c.min, c.want), (2, 8));
        assert_eq!(Column::whole("DOCS", 1, 1).min, 4);
        assert_eq!(widest(["ab", "漢字", ""]), 4);
    }
}
