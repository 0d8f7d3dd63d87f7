//! Text fitted to a number of terminal columns. Every screen cuts and pads by display width (a
//! CJK character or an emoji takes two columns) and marks a cut with `…`, the same way, so no
//! cell spills into the next one.

use std::borrow::Cow;

use unicode_truncate::UnicodeTruncateStr;
use unicode_width::UnicodeWidthStr;

/// What marks a cut; one column wide.
const ELLIPSIS: char = '…';

/// `text` in at most `width` columns, its end replaced by `…` when it does not fit.
pub fn truncate(text: &str, width: usize) -> Cow<'_, str> {
    if text.width() <= width {
        return Cow::Borrowed(text);
    }
    let Some(room) = width.checked_sub(1) else {
        return Cow::Borrowed("");
    };
    let (kept, _) = text.unicode_truncate(room);
    let mut out = String::with_capacity(kept.len() + ELLIPSIS.len_utf8());
    out.push_str(kept);
    out.push(ELLIPSIS);
    Cow::Owned(out)
}

/// `text` in at most `width` columns, its start replaced by `…` when it does not fit: the end of
/// a path, or the text just before a cursor, says more than its start.
pub fn truncate_start(text: &str, width: usize) -> Cow<'_, str> {
    if text.width() <= width {
        return Cow::Borrowed(text);
    }
    let Some(room) = width.checked_sub(1) else {
        return Cow::Borrowed("");
    };
    let (kept, _) = text.unicode_truncate_start(room);
    let mut out = String::with_capacity(kept.len() + ELLIPSIS.len_utf8());
    out.push(ELLIPSIS);
    out.push_str(kept);
    Cow::Owned(out)
}

/// `text` in at most `width` columns, its middle replaced by `…` when it does not fit: a pod's
/// name keeps its start (the workload) and its unique suffix, `payments-api-7f…-x2k9p`. The end
/// gets the larger half, since the suffix is what tells two rows apart.
pub fn truncate_middle(text: &str, width: usize) -> Cow<'_, str> {
    if text.width() <= width {
        return Cow::Borrowed(text);
    }
    let Some(room) = width.checked_sub(1) else {
        return Cow::Borrowed("");
    };
    let (tail, tail_w) = text.unicode_truncate_start(room - room / 2);
    let (head, head_w) = text.unicode_truncate(room / 2);
    // A wide character that did not fit on one side leaves a column the other side may use.
    let spare = room.saturating_sub(head_w + tail_w);
    let (tail, _) = if spare > 0 {
        text.unicode_truncate_start(tail_w + spare)
    } else {
        (tail, tail_w)
    };
    let mut out = String::with_capacity(head.len() + ELLIPSIS.len_utf8() + tail.len());
    out.push_str(head);
    out.push(ELLIPSIS);
    out.push_str(tail);
    Cow::Owned(out)
}

/// `text` broken into lines of at most `width` columns, at spaces where it can and inside a
/// word only when the word alone is wider: what a dialog is about to do is shown whole.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let sep = usize::from(!line.is_empty());
        if line.width() + sep + word.width() <= width {
            if sep == 1 {
                line.push(' ');
            }
            line.push_str(word);
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = word;
        while rest.width() > width {
            let (head, _) = rest.unicode_truncate(width);
            if head.is_empty() {
                // Narrower than one wide character: it goes alone on its line.
                let n = rest.chars().next().map_or(rest.len(), char::len_utf8);
                lines.push(rest[..n].to_string());
                rest = &rest[n..];
                continue;
            }
            lines.push(head.to_string());
            rest = &rest[head.len()..];
        }
        line.push_str(rest);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `text` in exactly `width` columns: cut as [`truncate`] cuts it, then padded with spaces, so
/// the next cell starts where the table says.
pub fn fit(text: &str, width: usize) -> String {
    let cut = truncate(text, width);
    let pad = width.saturating_sub(cut.width());
    let mut out = String::with_capacity(cut.len() + pad);
    out.push_str(&cut);
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::fits("abc", 5, "abc")]
    #[case::exact_fit("abcde", 5, "abcde")]
    #[case::cut("abcdef", 5, "abcd…")]
    #[case::width_zero("abc", 0, "")]
    #[case::width_zero_empty("", 0, "")]
    #[case::width_one("abc", 1, "…")]
    #[case::width_one_fits("a", 1, "a")]
    #[case::wide_exact_fit("漢字", 4, "漢字")]
    #[case::wide_cut_on_a_boundary("漢字かな", 5, "漢字…")]
    #[case::wide_char_straddles_the_cut("ab漢字", 4, "ab…")]
    #[case::narrow_then_wide("abc漢", 4, "abc…")]
    #[case::wide_width_one("漢字", 1, "…")]
    #[case::emoji("🚀🚀🚀", 5, "🚀🚀…")]
    #[case::combining_mark_stays_with_its_letter("cafe\u{301}s", 5, "cafe\u{301}s")]
    #[case::combining_mark_cut("cafe\u{301}stop", 5, "cafe\u{301}…")]
    fn truncates_by_display_width(#[case] text: &str, #[case] width: usize, #[case] want: &str) {
        let got = truncate(text, width);
        assert_eq!(got, want);
        assert!(got.width() <= width, "{got:?} is wider than {width}");
    }

    #[rstest]
    #[case::fits("a/b", 5, "a/b")]
    #[case::cut("src/ui/text.rs", 8, "…text.rs")]
    #[case::width_zero("abc", 0, "")]
    #[case::width_one("abc", 1, "…")]
    #[case::wide("漢字かな", 5, "…かな")]
    #[case::wide_char_straddles_the_cut("漢字ab", 4, "…ab")]
    fn truncates_the_start_by_display_width(
        #[case] text: &str,
        #[case] width: usize,
        #[case] want: &str,
    ) {
        let got = truncate_start(text, width);
        assert_eq!(got, want);
        assert!(got.width() <= width, "{got:?} is wider than {width}");
    }

    #[rstest]
    #[case::fits("abc", 5, "abc")]
    #[case::pod("payments-api-7f9c8d6b5-x2k9p", 22, "payments-a…8d6b5-x2k9p")]
    #[case::keeps_the_suffix("payments-api-7f9c8d6b5-x2k9p", 12, "payme…-x2k9p")]
    #[case::width_zero("abc", 0, "")]
    #[case::width_one("abc", 1, "…")]
    #[case::width_two("abcdef", 2, "…f")]
    #[case::wide("漢字かなカナ", 7, "漢…カナ")]
    #[case::wide_char_straddles_the_cut("漢字かなカナ", 6, "漢…ナ")]
    #[case::wide_and_narrow("ab漢字cd", 6, "ab…cd")]
    #[case::emoji("🚀🚀🚀🚀", 5, "🚀…🚀")]
    fn truncates_the_middle_by_display_width(
        #[case] text: &str,
        #[case] width: usize,
        #[case] want: &str,
    ) {
        let got = truncate_middle(text, width);
        assert_eq!(got, want);
        assert!(got.width() <= width, "{got:?} is wider than {width}");
    }

    #[rstest]
    #[case::fits("a b", 5, &["a b"])]
    #[case::at_spaces("alertname=\"X\" service=\"api\"", 16, &["alertname=\"X\"", "service=\"api\""])]
    #[case::long_word("abcdefgh", 3, &["abc", "def", "gh"])]
    #[case::wide("漢字かな ab", 4, &["漢字", "かな", "ab"])]
    #[case::wide_wider_than_the_width("漢字", 1, &["漢", "字"])]
    #[case::empty("", 4, &[""])]
    fn wraps_by_display_width(#[case] text: &str, #[case] width: usize, #[case] want: &[&str]) {
        assert_eq!(wrap(text, width), want);
    }

    #[rstest]
    #[case::pads("ab", 4, "ab  ")]
    #[case::exact_fit("abcd", 4, "abcd")]
    #[case::cut("abcdef", 4, "abc…")]
    #[case::width_zero("abc", 0, "")]
    #[case::width_one("abc", 1, "…")]
    #[case::wide_pads("漢", 3, "漢 ")]
    #[case::wide_cut_is_padded("ab漢字", 4, "ab… ")]
    #[case::emoji("🚀x", 4, "🚀x ")]
    fn fits_exactly_the_width(#[case] text: &str, #[case] width: usize, #[case] want: &str) {
        let got = fit(text, width);
        assert_eq!(got, want);
        assert_eq!(got.width(), width);
    }
}
