//! Jira REST shapes: the search page (Cloud v3 `search/jql` with `nextPageToken`, Server/DC v2
//! `search` with `startAt`), an issue's fields, transitions and comments, and the Atlassian
//! Document Format that v3 uses for descriptions and comments, read here as Markdown text.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchPage {
    #[serde(default)]
    pub issues: Vec<Issue>,
    /// Cloud v3: the token of the next page; absent or empty on the last.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_page_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_last: Option<bool>,
    /// Server/DC v2: offset pagination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_results: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

impl SearchPage {
    /// The token to ask for next, when there is another page.
    pub fn next_token(&self) -> Option<&str> {
        if self.is_last == Some(true) {
            return None;
        }
        self.next_page_token.as_deref().filter(|t| !t.is_empty())
    }

    /// v2: the `startAt` of the next page, when there is one.
    pub fn next_start(&self) -> Option<u64> {
        let (start, total) = (self.start_at?, self.total?);
        let next = start.checked_add(self.issues.len() as u64)?;
        (next < total && !self.issues.is_empty()).then_some(next)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub key: String,
    #[serde(default)]
    pub fields: Fields,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Named {
    #[serde(default)]
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    #[serde(default)]
    pub name: String,
    /// `new`, `indeterminate` or `done`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_category: Option<StatusCategory>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCategory {
    #[serde(default)]
    pub key: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Server/DC's user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl User {
    pub fn label(&self) -> &str {
        self.display_name
            .as_deref()
            .or(self.name.as_deref())
            .or(self.account_id.as_deref())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    #[serde(default)]
    pub key: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssueLink {
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<LinkType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outward_issue: Option<LinkedIssue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inward_issue: Option<LinkedIssue>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkType {
    #[serde(default)]
    pub outward: String,
    #[serde(default)]
    pub inward: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkedIssue {
    #[serde(default)]
    pub key: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<User>,
    /// ADF (v3) or plain text (v2).
    #[serde(default)]
    pub body: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Comments {
    #[serde(default)]
    pub comments: Vec<Comment>,
}

/// The fields the cockpit asks for (`fields=` in the search); all optional on the wire.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fields {
    #[serde(default)]
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Named>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuetype: Option<Named>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<User>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<User>,
    #[serde(default)]
    pub labels: Vec<String>,
    #[serde(default)]
    pub components: Vec<Named>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<Project>,
    /// `2020-12-03T14:05:20.974+0100`: see [`parse_time`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    /// When the issue was resolved (same format), null while it is not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolutiondate: Option<String>,
    /// ADF (v3), a string (v2), or null.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub description: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<Comments>,
    #[serde(default)]
    pub issuelinks: Vec<IssueLink>,
    /// Jira Cloud's usual sprint field: a list of sprints, the open one last.
    #[serde(
        default,
        rename = "customfield_10020",
        skip_serializing_if = "Value::is_null"
    )]
    pub sprint: Value,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transition {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_available: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<Status>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transitions {
    #[serde(default)]
    pub transitions: Vec<Transition>,
}

/// `POST /issue/{key}/transitions`: `{"transition": {"id": "21"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoTransition {
    pub transition: TransitionId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransitionId {
    pub id: String,
}

/// Jira's time format: ISO 8601 with milliseconds and an offset without a colon; RFC 3339 is
/// taken too.
pub fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z")
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The time as Jira writes it.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string()
}

/// A comment body in ADF, as v3 takes it: one paragraph per line of `text`.
pub fn adf_of_text(text: &str) -> Value {
    let content: Vec<Value> = text
        .lines()
        .map(|l| {
            if l.is_empty() {
                serde_json::json!({"type": "paragraph", "content": []})
            } else {
                serde_json::json!({"type": "paragraph", "content": [{"type": "text", "text": l}]})
            }
        })
        .collect();
    serde_json::json!({"type": "doc", "version": 1, "content": content})
}

/// A description or comment as Markdown: ADF is walked (paragraphs, headings, lists, code
/// blocks, marks for code/strong/em, links, mentions); a v2 string is taken as it is. Not
/// sanitised: the caller does that once, at decode.
pub fn to_markdown(body: &Value) -> String {
    match body {
        Value::String(s) => s.clone(),
        Value::Object(_) => {
            let mut out = String::new();
            block(body, &mut out, "");
            out.trim_end().to_string()
        }
        _ => String::new(),
    }
}

fn children(node: &Value) -> &[Value] {
    node.get("content")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn block(node: &Value, out: &mut String, indent: &str) {
    let kind = node.get("type").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "doc" | "panel" | "blockquote" | "expand" => {
            for c in children(node) {
                block(c, out, indent);
            }
        }
        "paragraph" => {
            out.push_str(indent);
            inline_all(node, out);
            out.push_str("\n\n");
        }
        "heading" => {
            let level = node
                .pointer("/attrs/level")
                .and_then(Value::as_u64)
                .unwrap_or(1)
                .clamp(1, 6) as usize;
            out.push_str(&"#".repeat(level));
            out.push(' ');
            inline_all(node, out);
            out.push_str("\n\n");
        }
        "bulletList" | "orderedList" => {
            for (i, item) in children(node).iter().enumerate() {
                let marker = if kind == "bulletList" {
                    "- ".to_string()
                } else {
                    format!("{}. ", i + 1)
                };
                out.push_str(indent);
                out.push_str(&marker);
                let mut inner = String::new();
                let nested = format!("{indent}  ");
                for c in children(item) {
                    block(c, &mut inner, &nested);
                }
                out.push_str(inner.trim_start().trim_end());
                out.push('\n');
            }
            out.push('\n');
        }
        "codeBlock" => {
            out.push_str("```\n");
            for c in children(node) {
                inline(c, out);
            }
            out.push_str("\n```\n\n");
        }
        "rule" => out.push_str("---\n\n"),
        _ => {
            // Tables, media and what later versions add: their text, as a paragraph.
            let mut text = String::new();
            inline_all(node, &mut text);
            if !text.is_empty() {
                out.push_str(indent);
                out.push_str(&text);
                out.push_str("\n\n");
            }
        }
    }
}

fn inline_all(node: &Value, out: &mut String) {
    for c in children(node) {
        inline(c, out);
    }
}

fn inline(node: &Value, out: &mut String) {
    let kind = node.get("type").and_then(Value::as_str).unwrap_or_default();
    match kind {
        "text" => {
            let text = node.get("text").and_then(Value::as_str).unwrap_or_default();
            let marks: Vec<&Value> = node
                .get("marks")
                .and_then(Value::as_array)
                .map(|m| m.iter().collect())
                .unwrap_or_default();
            let has = |k: &str| {
                marks
                    .iter()
                    .any(|m| m.get("type").and_then(Value::as_str) == Some(k))
            };
            let link = marks.iter().find_map(|m| {
                (m.get("type").and_then(Value::as_str) == Some("link"))
                    .then(|| m.pointer("/attrs/href").and_then(Value::as_str))
                    .flatten()
            });
            let mut t = text.to_string();
            if has("code") {
                t = format!("`{t}`");
            }
            if has("strong") {
                t = format!("**{t}**");
            }
            if has("em") {
                t = format!("*{t}*");
            }
            match link {
                Some(href) => out.push_str(&format!("[{t}]({href})")),
                None => out.push_str(&t),
            }
        }
        "hardBreak" => out.push('\n'),
        "mention" => {
            let t = node
                .pointer("/attrs/text")
                .and_then(Value::as_str)
                .unwrap_or("@someone");
            out.push_str(t);
        }
        "emoji" => {
            let t = node
                .pointer("/attrs/text")
                .or_else(|| node.pointer("/attrs/shortName"))
                .and_then(Value::as_str)
                .unwrap_or_default();
            out.push_str(t);
        }
        "inlineCard" => {
            let t = node
                .pointer("/attrs/url")
                .and_then(Value::as_str)
                .unwrap_or_default();
            out.push_str(t);
        }
        _ => inline_all(node, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jira_times_have_an_offset_without_a_colon() {
        let t = parse_time("2020-12-03T14:05:20.974+0100").expect("parses");
        assert_eq!(t.to_rfc3339(), "2020-12-03T13:05:20.974+00:00");
        assert_eq!(parse_time(&format_time(t)), Some(t));
    }

    #[test]
    fn adf_reads_as_markdown() {
        let adf = serde_json::json!({"type": "doc", "version": 1, "content": [
            {"type": "heading", "attrs": {"level": 2}, "content": [{"type": "text", "text": "Steps"}]},
            {"type": "bulletList", "content": [
                {"type": "listItem", "content": [{"type": "paragraph", "content": [
                    {"type": "text", "text": "run "}, {"type": "text", "text": "make", "marks": [{"type": "code"}]}]}]},
                {"type": "listItem", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "see"}]}]}
            ]},
            {"type": "paragraph", "content": [{"type": "text", "text": "docs", "marks": [{"type": "link", "attrs": {"href": "https://x.example"}}]}]}
        ]});
        assert_eq!(
            to_markdown(&adf),
            "## Steps\n\n- run `make`\n- see\n\n[docs](https://x.example)"
        );
        assert_eq!(to_markdown(&adf_of_text("a\nb")), "a\n\nb");
    }

    #[test]
    fn v3_pages_end_on_is_last_or_an_empty_token_and_v2_on_the_total() {
        let p: SearchPage =
            serde_json::from_str(r#"{"issues": [], "nextPageToken": "", "isLast": false}"#)
                .expect("decodes");
        assert_eq!(p.next_token(), None);
        let p: SearchPage = serde_json::from_str(
            r#"{"startAt": 0, "maxResults": 1, "total": 2, "issues": [{"key": "A-1"}]}"#,
        )
        .expect("decodes");
        assert_eq!(p.next_start(), Some(1));
    }
}
