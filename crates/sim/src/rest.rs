//! What the sim's REST servers share: timestamps as the APIs write them, ETags and
//! conditional requests, query parameters and `Link`-header pagination.

use axum::http::HeaderValue;
use chrono::{DateTime, SecondsFormat, Utc};
use flightdeck_core::wire::percent_encode;

use crate::world::{SimClock, hash};

/// A story time as the wall time it is served as: RFC 3339 in whole seconds with `Z`, as
/// GitHub and the Kubernetes API write times. Every served time goes through the clock here.
pub fn ts(clock: &SimClock, story: DateTime<Utc>) -> String {
    wall_ts(clock.wall(story))
}

/// A wall time (a rate limit's reset, a client's own time) in the same format.
pub fn wall_ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A strong ETag from the body: two differently seeded 64-bit hashes, hex.
pub fn etag_of(body: &[u8]) -> String {
    let a = body.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    });
    let b = hash(a, &[body.len() as u64, a.rotate_left(17)]);
    format!("\"{a:016x}{b:016x}\"")
}

/// Whether an `If-None-Match` value names `etag` (a list, `*`, and weak forms count).
pub fn etag_matches(if_none_match: Option<&HeaderValue>, etag: &str) -> bool {
    let Some(v) = if_none_match.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    v.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == etag)
}

/// `per_page` (default `default`, at most 100) and `page` (from 1) from a query.
pub fn paging(params: &[(String, String)], default: usize) -> (usize, usize) {
    let get = |k: &str| param(params, k).and_then(|v| v.parse::<usize>().ok());
    let per_page = get("per_page").unwrap_or(default).clamp(1, 100);
    let page = get("page").unwrap_or(1).max(1);
    (per_page, page)
}

/// The first value of query parameter `name`.
pub fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// The slice of `items` on `page`.
pub fn page_of<T: Clone>(items: &[T], per_page: usize, page: usize) -> Vec<T> {
    items
        .iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .cloned()
        .collect()
}

/// GitHub's `Link` header for `total` items: prev, next, last and first, each keeping the
/// request's other parameters.
pub fn link_header(
    url: &str,
    params: &[(String, String)],
    per_page: usize,
    page: usize,
    total: usize,
) -> Option<String> {
    let last = total.div_ceil(per_page).max(1);
    let with_page = |p: usize| {
        let mut q: Vec<String> = params
            .iter()
            .filter(|(k, _)| k != "page" && k != "per_page")
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect();
        q.push(format!("per_page={per_page}"));
        q.push(format!("page={p}"));
        format!("<{url}?{}>", q.join("&"))
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(format!("{}; rel=\"prev\"", with_page((page - 1).min(last))));
    }
    if page < last {
        links.push(format!("{}; rel=\"next\"", with_page(page + 1)));
        links.push(format!("{}; rel=\"last\"", with_page(last)));
    }
    if page > 1 {
        links.push(format!("{}; rel=\"first\"", with_page(1)));
    }
    (!links.is_empty()).then(|| links.join(", "))
}
