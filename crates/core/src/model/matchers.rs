//! The matcher syntax on-call engineers already type into amtool and Alertmanager's `filter`
//! parameter (`severity=critical`, `service=~"pay.*"`, `alertname!=Watchdog`), read out of a
//! free-form line that may also hold plain words. One matcher is parsed by the wire module's
//! `Matcher::parse`, the same code the sim serves with, so the cockpit and the server agree.

use crate::wire::alertmanager::{CompiledMatcher, LabelSet, Matcher, MatcherError};
use rustc_hash::FxHashMap;

/// A `/` filter: label matchers that must all hold, and words that must all appear (case
/// insensitive) somewhere in the alert's searchable text.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub matchers: Vec<CompiledMatcher>,
    /// Lower-cased.
    pub words: Vec<String>,
    /// Items that look like matchers but do not parse, in the server's words.
    pub errors: Vec<String>,
}

impl Filter {
    pub fn parse(text: &str) -> Filter {
        let mut filter = Filter::default();
        for item in split_items(text) {
            if looks_like_matcher(&item) {
                match Matcher::parse(&item).and_then(|m| m.compile()) {
                    Ok(m) => filter.matchers.push(m),
                    // Regex errors span lines; the footer shows one.
                    Err(e) => filter.errors.push(
                        e.to_string()
                            .split_whitespace()
                            .collect::<Vec<_>>()
                            .join(" "),
                    ),
                }
            } else {
                filter.words.push(item.to_lowercase());
            }
        }
        filter
    }

    pub fn is_empty(&self) -> bool {
        self.matchers.is_empty() && self.words.is_empty()
    }

    /// `search` is the alert's lower-cased searchable text.
    pub fn matches(&self, labels: &LabelSet, search: &str) -> bool {
        self.matchers.iter().all(|m| m.matches(labels))
            && self.words.iter().all(|w| search.contains(w.as_str()))
    }

    /// An empty memo for [`Filter::matches_memo`].
    pub(crate) fn memo<'a>(&self) -> FilterMemo<'a> {
        FilterMemo {
            regex: self.matchers.iter().map(|_| FxHashMap::default()).collect(),
        }
    }

    /// [`Filter::matches`], remembering each regex matcher's answer per label value: over many
    /// alerts the values repeat (a few severities, a few alert names) and a regex costs more
    /// than a lookup.
    pub(crate) fn matches_memo<'a>(
        &self,
        labels: &'a LabelSet,
        search: &str,
        memo: &mut FilterMemo<'a>,
    ) -> bool {
        self.matchers
            .iter()
            .zip(memo.regex.iter_mut())
            .all(|(m, seen)| {
                let value = labels.get(&m.matcher.name).map_or("", String::as_str);
                if m.matcher.is_regex {
                    *seen.entry(value).or_insert_with(|| m.matches_value(value))
                } else {
                    m.matches_value(value)
                }
            })
            && self.words.iter().all(|w| search.contains(w.as_str()))
    }
}

/// What [`Filter::matches_memo`] remembers: per matcher, label value to answer.
#[derive(Debug, Default)]
pub(crate) struct FilterMemo<'a> {
    regex: Vec<FxHashMap<&'a str, bool>>,
}

/// Reads a list of matchers as amtool takes them: separated by commas or spaces, optionally in
/// braces (`{alertname="X", service=~"pay.*"}`). Every item must be a matcher.
pub(crate) fn parse_matchers(text: &str) -> Result<Vec<Matcher>, MatcherError> {
    let items = split_items(text);
    if items.is_empty() {
        return Err(MatcherError::Format(text.trim().to_string()));
    }
    items.iter().map(|item| Matcher::parse(item)).collect()
}

/// The matchers as one editable line, each value quoted so it re-parses on every version.
pub fn format_matchers(matchers: &[Matcher]) -> String {
    matchers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

const OPERATORS: [&str; 4] = ["=~", "!~", "!=", "="];

/// Splits on commas and whitespace outside double quotes, drops surrounding braces, and glues
/// `name != value` back into one item, since people put spaces around operators.
pub(crate) fn split_items(text: &str) -> Vec<String> {
    let text = text.trim();
    let text = text.strip_prefix('{').unwrap_or(text);
    let text = text.strip_suffix('}').unwrap_or(text);
    let mut raw: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in text.chars() {
        if quoted {
            current.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            }
        } else if c == ',' || c.is_whitespace() {
            if !current.is_empty() {
                raw.push(std::mem::take(&mut current));
            }
        } else {
            if c == '"' {
                quoted = true;
            }
            current.push(c);
        }
    }
    if !current.is_empty() {
        raw.push(current);
    }
    let mut items: Vec<String> = Vec::with_capacity(raw.len());
    let mut pending_value = false;
    for token in raw {
        let starts_with_op = OPERATORS.iter().any(|op| token.starts_with(op));
        match items.last_mut() {
            Some(last) if pending_value || (starts_with_op && is_label_name(last)) => {
                last.push_str(&token);
                pending_value = OPERATORS.iter().any(|op| token == *op);
            }
            _ => {
                pending_value =
                    OPERATORS.iter().any(|op| token.ends_with(op)) && looks_like_matcher(&token);
                items.push(token);
            }
        }
    }
    items
}

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A label name followed by an operator: the user meant a matcher, so a parse error is shown
/// rather than the item being searched as text.
pub(crate) fn looks_like_matcher(item: &str) -> bool {
    let name_len = item
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit())))
        .map_or(item.len(), |(i, _)| i);
    name_len > 0 && {
        let rest = &item[name_len..];
        rest.starts_with('=') || rest.starts_with("!=") || rest.starts_with("!~")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[rstest]
    #[case::plain("severity=critical", &["severity=critical"])]
    #[case::spaces_around_operator("alertname != Watchdog", &["alertname!=Watchdog"])]
    #[case::space_after_operator("alertname=~ \"Kube.*\"", &["alertname=~\"Kube.*\""])]
    #[case::quoted_value_with_space("summary=\"two words\" pay", &["summary=\"two words\"", "pay"])]
    #[case::braces_and_commas("{a=\"b\",c!~\"d|e\"}", &["a=\"b\"", "c!~\"d|e\""])]
    #[case::escaped_quote("msg=\"say \\\"hi there\\\"\"", &["msg=\"say \\\"hi there\\\"\""])]
    #[case::words_only("crash loop", &["crash", "loop"])]
    fn items_split_like_amtool(#[case] text: &str, #[case] expected: &[&str]) {
        assert_eq!(split_items(text), expected);
    }

    #[rstest]
    #[case::equal("severity=critical", true)]
    #[case::regex("service=~\"pay.*\"", true)]
    #[case::regex_is_anchored("service=~pay", false)]
    #[case::not_equal("alertname!=Watchdog", true)]
    #[case::not_regex("service!~\"pay.*\"", false)]
    #[case::word("crash", true)]
    #[case::word_is_case_insensitive("CRASH", true)]
    #[case::missing_word("disk", false)]
    #[case::matcher_and_word("severity=critical looping", true)]
    #[case::missing_label_is_empty("team=\"\"", true)]
    fn filters_select_alerts(#[case] text: &str, #[case] hit: bool) {
        let set = labels(&[
            ("alertname", "KubePodCrashLooping"),
            ("service", "payments-api"),
            ("severity", "critical"),
        ]);
        let filter = Filter::parse(text);
        assert!(filter.errors.is_empty(), "{text}: {:?}", filter.errors);
        assert_eq!(
            filter.matches(
                &set,
                "kubepodcrashlooping payments-api pods are crash looping"
            ),
            hit,
            "{text}"
        );
    }

    #[test]
    fn a_broken_matcher_is_reported_not_searched() {
        let filter = Filter::parse("service=~\"(\" pay");
        assert_eq!(filter.errors.len(), 1, "{:?}", filter.errors);
        assert!(filter.errors[0].contains("invalid regular expression"));
        assert_eq!(filter.words, vec!["pay".to_string()]);
        assert!(filter.matchers.is_empty());
    }

    #[test]
    fn matcher_lists_round_trip() {
        let ms = parse_matchers("{alertname=\"HighErrorRate\", service=~\"pay.*\", team!=\"x y\"}")
            .expect("valid list");
        assert_eq!(ms.len(), 3);
        assert_eq!(ms[2].value, "x y");
        assert!(!ms[2].is_equal);
        assert_eq!(
            parse_matchers(&format_matchers(&ms)).expect("re-parses"),
            ms
        );
        assert!(parse_matchers("  ").is_err());
        assert!(
            parse_matchers("alertname=X crash").is_err(),
            "a bare word is not a matcher"
        );
    }
}
