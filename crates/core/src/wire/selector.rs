//! Label selectors as the API server reads them (`a=b,c!=d,e in (x,y),f notin (z),g,!h`). The
//! sim narrows its lists and watches with them, and the cockpit matches watched objects to
//! services and unites many services' selectors into one watch per namespace, so both sides
//! read a selector the same way.

use std::fmt;

/// One requirement of a label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Req {
    Eq(String, String),
    NotEq(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// A parsed label selector: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector(Vec<Req>);

/// Why a selector was refused, in the API server's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectorError(pub String);

impl fmt::Display for SelectorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The non-empty terms of a selector, split on commas that are not inside a `(...)` value set.
pub fn split_terms(s: &str) -> Vec<&str> {
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
    out.into_iter()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
}

fn value_set(rest: &str, term: &str) -> Result<Vec<String>, SelectorError> {
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| {
            SelectorError(format!(
                "unable to parse requirement: {term}: expected a (value, ...) set"
            ))
        })?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect())
}

impl LabelSelector {
    pub fn parse(s: &str) -> Result<Self, SelectorError> {
        let mut reqs = Vec::new();
        for term in split_terms(s) {
            let req = if let Some(key) = term.strip_prefix('!') {
                Req::NotExists(key.trim().to_string())
            } else if let Some((k, v)) = term.split_once("!=") {
                Req::NotEq(k.trim().into(), v.trim().into())
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                Req::Eq(k.trim().into(), v.trim().into())
            } else if let Some((k, rest)) = term.split_once(" notin ") {
                Req::NotIn(k.trim().into(), value_set(rest, term)?)
            } else if let Some((k, rest)) = term.split_once(" in ") {
                Req::In(k.trim().into(), value_set(rest, term)?)
            } else {
                Req::Exists(term.to_string())
            };
            let key = match &req {
                Req::Eq(k, _)
                | Req::NotEq(k, _)
                | Req::In(k, _)
                | Req::NotIn(k, _)
                | Req::Exists(k)
                | Req::NotExists(k) => k,
            };
            if !valid_key(key) {
                return Err(SelectorError(format!(
                    "unable to parse requirement: invalid label key \"{key}\" in \"{term}\""
                )));
            }
            reqs.push(req);
        }
        Ok(Self(reqs))
    }

    /// Whether labels looked up through `get` satisfy every requirement.
    pub fn matches<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.0.iter().all(|req| match req {
            Req::Eq(k, v) => get(k) == Some(v.as_str()),
            Req::NotEq(k, v) => get(k) != Some(v.as_str()),
            Req::In(k, vs) => get(k).is_some_and(|x| vs.iter().any(|v| v == x)),
            Req::NotIn(k, vs) => get(k).is_none_or(|x| vs.iter().all(|v| v != x)),
            Req::Exists(k) => get(k).is_some(),
            Req::NotExists(k) => get(k).is_none(),
        })
    }

    /// `(key, value)` when the selector is exactly one equality.
    pub fn single_eq(&self) -> Option<(&str, &str)> {
        match self.0.as_slice() {
            [Req::Eq(k, v)] => Some((k, v)),
            _ => None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
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
    let parsed: Vec<LabelSelector> = distinct
        .iter()
        .map(|s| LabelSelector::parse(s))
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

    fn labels<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        move |k| pairs.iter().find(|(key, _)| *key == k).map(|(_, v)| *v)
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
        let sel = LabelSelector::parse(sel).expect("a valid selector");
        assert_eq!(sel.matches(labels(l)), want);
    }

    #[test]
    fn label_selector_forms() {
        let pairs = [("app", "payments-api"), ("tier", "backend")];
        let l = labels(&pairs);
        let yes = [
            "app=payments-api",
            "app==payments-api",
            "app!=ledger",
            "app in (ledger, payments-api)",
            "tier notin (frontend)",
            "app,tier",
            "!canary",
            "app=payments-api,tier in (backend),!canary",
        ];
        for s in yes {
            assert!(
                LabelSelector::parse(s).expect(s).matches(&l),
                "{s} should match"
            );
        }
        let no = [
            "app=ledger",
            "app!=payments-api",
            "app in (ledger)",
            "tier notin (backend)",
            "canary",
            "!app",
        ];
        for s in no {
            assert!(
                !LabelSelector::parse(s).expect(s).matches(&l),
                "{s} should not match"
            );
        }
        assert!(LabelSelector::parse("app in ledger").is_err());
        assert!(LabelSelector::parse("app=x,b@d=1").is_err());
        assert!(
            LabelSelector::parse("").expect("empty").matches(&l),
            "an empty selector selects everything"
        );
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
        let u = LabelSelector::parse(&union(&["k=a", "k=b"]).expect("a union")).expect("parses");
        assert!(u.matches(labels(&[("k", "a")])));
        assert!(u.matches(labels(&[("k", "b")])));
        assert!(!u.matches(labels(&[("k", "c")])));
    }
}
