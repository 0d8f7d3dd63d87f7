//! Label selectors as the API server reads them (`a=b,c!=d,e in (x,y),f notin (z),g,!h`), to
//! match watched objects to services on our side and to union many services' selectors into
//! one watch per namespace, so 200 services do not open 1,200 watches.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Req {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector; every requirement must hold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    reqs: Vec<Req>,
}

impl Selector {
    pub fn parse(s: &str) -> Result<Selector, String> {
        let mut reqs = Vec::new();
        for term in split_terms(s) {
            let term = term.trim();
            if term.is_empty() {
                continue;
            }
            reqs.push(
                parse_term(term)
                    .ok_or_else(|| format!("cannot read the label selector term `{term}`"))?,
            );
        }
        Ok(Selector { reqs })
    }

    pub fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        let get = |k: &str| labels.and_then(|l| l.get(k)).map(String::as_str);
        self.reqs.iter().all(|r| match r {
            Req::Eq(k, v) => get(k) == Some(v.as_str()),
            Req::NotEq(k, v) => get(k) != Some(v.as_str()),
            Req::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Req::NotIn(k, vs) => get(k).is_none_or(|x| !vs.iter().any(|v| v == x)),
            Req::Exists(k) => get(k).is_some(),
            Req::NotExists(k) => get(k).is_none(),
        })
    }

    /// `(key, value)` when the selector is exactly one equality.
    pub fn single_eq(&self) -> Option<(&str, &str)> {
        match self.reqs.as_slice() {
            [Req::Eq(k, v)] => Some((k, v)),
            _ => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }
}

/// Splits at commas outside parentheses.
fn split_terms(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn values(list: &str) -> Option<Vec<String>> {
    let inner = list.trim().strip_prefix('(')?.strip_suffix(')')?;
    Some(
        inner
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect(),
    )
}

fn parse_term(term: &str) -> Option<Req> {
    if let Some(k) = term.strip_prefix('!') {
        return Some(Req::NotExists(k.trim().to_string()));
    }
    if let Some((k, v)) = term.split_once("!=") {
        return Some(Req::NotEq(k.trim().to_string(), v.trim().to_string()));
    }
    if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
        return Some(Req::Eq(k.trim().to_string(), v.trim().to_string()));
    }
    let mut words = term.splitn(2, char::is_whitespace);
    let key = words.next()?.trim().to_string();
    match words.next().map(str::trim) {
        None => Some(Req::Exists(key)),
        Some(rest) => {
            if let Some(list) = rest.strip_prefix("notin") {
                Some(Req::NotIn(key, values(list)?))
            } else if let Some(list) = rest.strip_prefix("in") {
                Some(Req::In(key, values(list)?))
            } else {
                None
            }
        }
    }
}

/// One selector that selects at least what each of `selectors` does: the selector itself when
/// they are all the same, `key in (v1,v2,…)` when each is one equality on the same key, else
/// `None` (watch everything in the scope and match on our side).
pub fn union(selectors: &[&str]) -> Option<String> {
    let mut distinct: Vec<&str> = selectors.iter().map(|s| s.trim()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    if let [only] = distinct.as_slice() {
        return (!only.is_empty()).then(|| only.to_string());
    }
    let parsed: Vec<Selector> = distinct
        .iter()
        .map(|s| Selector::parse(s))
        .collect::<Result<_, _>>()
        .ok()?;
    let mut key: Option<&str> = None;
    let mut vals: Vec<&str> = Vec::new();
    for sel in &parsed {
        let (k, v) = sel.single_eq()?;
        if key.is_some_and(|key| key != k) {
            return None;
        }
        key = Some(k);
        vals.push(v);
    }
    vals.sort_unstable();
    vals.dedup();
    Some(format!("{} in ({})", key?, vals.join(",")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[rstest]
    #[case("app=web", &[("app", "web")], true)]
    #[case("app==web", &[("app", "web")], true)]
    #[case("app=web", &[("app", "api")], false)]
    #[case("app!=web", &[], true)]
    #[case("app in (web, api),tier", &[("app", "api"), ("tier", "x")], true)]
    #[case("app in (web, api),tier", &[("app", "api")], false)]
    #[case("app notin (web),!legacy", &[("app", "api")], true)]
    #[case("app notin (web),!legacy", &[("app", "api"), ("legacy", "1")], false)]
    fn selectors_match_as_the_api_server_does(
        #[case] sel: &str,
        #[case] l: &[(&str, &str)],
        #[case] want: bool,
    ) {
        let sel = Selector::parse(sel).expect("a valid selector");
        assert_eq!(sel.matches(Some(&labels(l))), want);
    }

    #[rstest]
    #[case(&["a=1", "a=2", "a=1"], Some("a in (1,2)"))]
    #[case(&["a=1", "a=1"], Some("a=1"))]
    #[case(&["a=1", "b=2"], None)]
    #[case(&["a=1", "a in (2,3)"], None)]
    fn unions_make_one_watch(#[case] sels: &[&str], #[case] want: Option<&str>) {
        assert_eq!(union(sels).as_deref(), want);
    }

    #[test]
    fn a_union_selects_each_part() {
        let u = Selector::parse(&union(&["k=a", "k=b"]).expect("a union")).expect("parses");
        assert!(u.matches(Some(&labels(&[("k", "a")]))));
        assert!(u.matches(Some(&labels(&[("k", "b")]))));
        assert!(!u.matches(Some(&labels(&[("k", "c")]))));
    }
}
