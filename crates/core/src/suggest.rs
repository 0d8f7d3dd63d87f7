//! "Did you mean …?": the nearest of a set of names to a word a user typed, for config keys,
//! action names and anything else looked up by name.

/// The candidate nearest to `word` by edit distance, when it is near enough to be a typo.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word_lower = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&word_lower, &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Up to `n` candidates near `word`, nearest first: typos within the same distance as
/// [`suggest`], and names that contain the word (`payments` → `payments-api`) after them.
pub fn nearest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
    n: usize,
) -> Vec<&'a str> {
    let word_lower = word.to_lowercase();
    let limit = (word.chars().count() / 3).max(1);
    let mut near: Vec<(usize, &str)> = candidates
        .into_iter()
        .filter_map(|c| {
            let lower = c.to_lowercase();
            let d = edit_distance(&word_lower, &lower);
            if d <= limit {
                Some((d, c))
            } else if !word_lower.is_empty() && lower.contains(&word_lower) {
                // Ranked after every typo, shortest (least added) first.
                Some((limit + 1 + lower.len() - word_lower.len(), c))
            } else {
                None
            }
        })
        .collect();
    near.sort();
    near.dedup_by(|a, b| a.1 == b.1);
    near.into_iter().take(n).map(|(_, c)| c).collect()
}

/// Levenshtein distance, counting an adjacent swap as one edit (`qiut` is one typo from `quit`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut rows = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::one_letter_missing("thme", &["theme", "me"], Some("theme"))]
    #[case::swap("qiut", &["quit", "help"], Some("quit"))]
    #[case::case_only("Theme", &["theme"], Some("theme"))]
    #[case::too_far("zzzzzz", &["theme", "me"], None)]
    fn suggests_the_nearest_key(
        #[case] word: &str,
        #[case] candidates: &[&str],
        #[case] expected: Option<&str>,
    ) {
        assert_eq!(suggest(word, candidates.iter().copied()), expected);
    }

    #[rstest]
    #[case::typos_nearest_first("ledgre", &["ledger", "legder", "orders"], 3, &["ledger", "legder"])]
    #[case::contained_after_typos("payments", &["payments-gw", "payment", "payments-api", "cart"], 3, &["payment", "payments-gw", "payments-api"])]
    #[case::at_most_n("cart", &["carts", "card", "care", "cat"], 2, &["card", "care"])]
    #[case::none_near("zzzz", &["ledger", "cart"], 3, &[])]
    #[case::each_once("cart", &["cart", "cart"], 3, &["cart"])]
    fn lists_the_few_nearest(
        #[case] word: &str,
        #[case] candidates: &[&str],
        #[case] n: usize,
        #[case] expected: &[&str],
    ) {
        assert_eq!(nearest(word, candidates.iter().copied(), n), expected);
    }
}
