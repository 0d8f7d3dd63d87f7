//! The template engine as Backstage's scaffolder configures nunjucks: `${{ … }}` for values,
//! `{% … %}` for blocks, and the filters templates use (`parseRepoUrl`, `pick`, `projectSlug`,
//! `dump`). A real Jinja engine with its delimiters set, so templates behave as they do there.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Serde, Value as JValue};
use minijinja::{AutoEscape, Environment, Error, ErrorKind};
use serde_json::{Map, Value};

/// One configured engine; cheap to share, built once per run.
pub struct Engine {
    env: Environment<'static>,
}

impl Engine {
    pub fn new() -> Result<Self, String> {
        let mut env = Environment::new();
        let syntax = SyntaxConfig::builder()
            .variable_delimiters("${{", "}}")
            .block_delimiters("{%", "%}")
            .comment_delimiters("{#", "#}")
            // nunjucks keeps a file's last newline; Jinja's default drops it.
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| format!("template syntax: {e}"))?;
        env.set_syntax(syntax);
        // Skeletons are source files, never HTML to escape.
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.add_filter("parseRepoUrl", parse_repo_url_filter);
        env.add_filter("projectSlug", project_slug_filter);
        env.add_filter("pick", pick);
        env.add_filter("dump", dump);
        Ok(Self { env })
    }

    /// Renders text (a file's content or path) with `context`.
    pub fn render(&self, source: &str, context: &Value) -> Result<String, String> {
        self.env
            .render_str(source, to_jinja(context))
            .map_err(|e| describe(&e))
    }

    /// Renders a step's input as Backstage does: a string that is one whole `${{ expr }}` keeps
    /// the expression's type (an object from `parseRepoUrl`, a list, a number); any other string
    /// is rendered as text; objects and lists are rendered member by member.
    pub fn render_value(&self, v: &Value, context: &Value) -> Result<Value, String> {
        match v {
            Value::String(s) => {
                if let Some(expr) = whole_expression(s) {
                    let compiled = self
                        .env
                        .compile_expression(expr)
                        .map_err(|e| describe(&e))?;
                    let out = compiled.eval(to_jinja(context)).map_err(|e| describe(&e))?;
                    if out.is_undefined() {
                        return Ok(Value::Null);
                    }
                    serde_json::to_value(&out).map_err(|e| e.to_string())
                } else {
                    self.render(s, context).map(Value::String)
                }
            }
            Value::Array(a) => a
                .iter()
                .map(|x| self.render_value(x, context))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array),
            Value::Object(o) => o
                .iter()
                .map(|(k, x)| Ok((k.clone(), self.render_value(x, context)?)))
                .collect::<Result<Map<_, _>, String>>()
                .map(Value::Object),
            other => Ok(other.clone()),
        }
    }
}

fn to_jinja<T: serde::Serialize>(v: T) -> JValue {
    JValue::from(Serde(v))
}

/// `${{ expr }}` and nothing else around it (whitespace aside), with no second `${{` inside.
fn whole_expression(s: &str) -> Option<&str> {
    let inner = s.trim().strip_prefix("${{")?.strip_suffix("}}")?;
    (!inner.contains("${{") && !inner.contains("}}")).then_some(inner.trim())
}

/// A template error in one line: what went wrong and where in the text.
fn describe(e: &Error) -> String {
    let mut out = e.to_string();
    if let Some(line) = e.line() {
        out = format!("line {line}: {out}");
    }
    flightdeck_core::sanitize::line(&out)
}

/// The parts of a RepoUrlPicker value: `host?owner=o&repo=r` (GitLab, Bitbucket and Azure add
/// `organization`, `workspace`, `project`).
pub fn parse_repo_url(raw: &str) -> Result<Map<String, Value>, String> {
    let (host, query) = raw
        .split_once('?')
        .ok_or_else(|| format!("{raw} is not a repository location (host?owner=…&repo=…)"))?;
    if host.is_empty() || host.contains('/') {
        return Err(format!("{raw} does not start with a host"));
    }
    let mut out = Map::new();
    out.insert("host".into(), Value::String(host.to_string()));
    for pair in query.split('&') {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        if matches!(
            k,
            "owner" | "repo" | "organization" | "workspace" | "project"
        ) {
            out.insert(k.into(), Value::String(v.to_string()));
        }
    }
    if !out.contains_key("repo") {
        return Err(format!("{raw} names no repo"));
    }
    Ok(out)
}

fn invalid(msg: String) -> Error {
    Error::new(ErrorKind::InvalidOperation, msg)
}

fn parse_repo_url_filter(raw: &str) -> Result<JValue, Error> {
    parse_repo_url(raw).map(|m| to_jinja(&m)).map_err(invalid)
}

/// `owner/repo` of a repository location (`group/subgroup/repo` for GitLab's nested groups).
fn project_slug_filter(raw: &str) -> Result<String, Error> {
    let parts = parse_repo_url(raw).map_err(invalid)?;
    let get = |k: &str| parts.get(k).and_then(Value::as_str).unwrap_or_default();
    let owner = match get("owner") {
        "" => get("organization"),
        o => o,
    };
    Ok(format!("{owner}/{}", get("repo")))
}

/// `obj | pick('key')`: one member of an object.
fn pick(obj: JValue, key: &str) -> Result<JValue, Error> {
    obj.get_attr(key)
}

/// nunjucks' `dump`: the value as JSON (a string quoted, so it is a safe YAML scalar too).
fn dump(v: JValue) -> Result<String, Error> {
    serde_json::to_string(&v).map_err(|e| invalid(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_backstage_expressions_and_filters() -> Result<(), String> {
        let e = Engine::new()?;
        let cx = json!({ "parameters": { "repoUrl": "github.com?owner=acme&repo=billing", "name": "billing" } });
        let v = e.render_value(&json!("${{ parameters.repoUrl | parseRepoUrl }}"), &cx)?;
        assert_eq!(
            v,
            json!({ "host": "github.com", "owner": "acme", "repo": "billing" })
        );
        let v = e.render_value(
            &json!("${{ parameters.repoUrl | parseRepoUrl | pick('owner') }}"),
            &cx,
        )?;
        assert_eq!(v, json!("acme"));
        let v = e.render_value(&json!("${{ parameters.repoUrl | projectSlug }}"), &cx)?;
        assert_eq!(v, json!("acme/billing"));
        let v = e.render_value(&json!("This is ${{ parameters.name }}!"), &cx)?;
        assert_eq!(v, json!("This is billing!"));
        let text = e.render(
            "name: ${{ parameters.name | dump }}\n{%- if parameters.missing %}\nx: 1{% endif %}\n",
            &cx,
        )?;
        assert_eq!(text, "name: \"billing\"\n");
        Ok(())
    }

    #[test]
    fn a_bad_expression_says_where() {
        let e = Engine::new().expect("engine");
        let err = e
            .render("a\n${{ parameters. }}", &json!({}))
            .expect_err("syntax error");
        assert!(err.starts_with("line 2:"), "{err}");
    }
}
