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
}
