//! Backstage Software Templates (`kind: Template`, `scaffolder.backstage.io/v1beta3`) as data:
//! the form pages a template asks (a JSON Schema subset), its steps and what they need. Pure, so
//! the same decode and the same validation serve `flightdeck new` and the Create screen.

use regex::Regex;
use serde_json::{Map, Value};

use crate::sanitize;
use crate::suggest::suggest;

pub mod golden;
pub mod screen;

/// The actions the scaffolder runs. Anything else is named before a step runs, never skipped.
pub const SUPPORTED_ACTIONS: &[&str] = &[
    "fetch:template",
    "fetch:plain",
    "publish:github",
    "publish:gitlab",
    "catalog:register",
    "debug:log",
];

/// The lines a textarea shows when its template gives no `ui:options.rows` (react-jsonschema-form
/// leaves it to the browser, whose default textarea is a few lines high).
pub const TEXTAREA_ROWS: usize = 4;

/// The annotation a created service's descriptor carries: which template made it.
pub const SOURCE_TEMPLATE: &str = "backstage.io/source-template";
/// When the request that created it started (RFC 3339): time-to-production counts from here.
pub const CREATED_AT: &str = "flightdeck.dev/created-at";

/// When the request that made `e` started, from its descriptor; `None` for a service no
/// template made (or a stamp that does not parse).
pub fn requested_at(e: &crate::model::catalog::Entity) -> Option<chrono::DateTime<chrono::Utc>> {
    e.annotation(CREATED_AT)
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub name: String,
    /// `template:namespace/name`, lower case.
    pub entity_ref: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub owner: Option<String>,
    /// `spec.type` (service, website, …).
    pub kind: Option<String>,
    pub pages: Vec<Page>,
    pub steps: Vec<Step>,
    /// `spec.output`, rendered after the run.
    pub output: Value,
}

/// One page of the form: a JSON Schema object.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub title: String,
    pub description: Option<String>,
    pub fields: Vec<Field>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub kind: FieldKind,
    pub required: bool,
    pub pattern: Option<Pattern>,
    pub default: Option<Value>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub help: Option<String>,
    pub autofocus: bool,
    /// `ui:widget: textarea`: edited as several lines.
    pub multiline: bool,
    /// The lines a textarea's box shows (`ui:options.rows`, 4 when not given; 1 for a line).
    pub rows: usize,
    /// `ui:field` (OwnerPicker, EntityPicker, RepoUrlPicker, …): the choices come from elsewhere.
    pub picker: Option<Picker>,
}

/// A field's `pattern`, as written (shown in errors) and compiled once at decode.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub written: String,
    pub regex: Regex,
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.written == other.written
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    String,
    Number,
    Integer,
    Boolean,
    Enum(Vec<String>),
    /// An array of strings, given as `a,b,c`.
    StringArray,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Picker {
    /// Groups (or the kinds named in `allowedKinds`) from the catalog.
    Owner {
        kinds: Vec<String>,
    },
    /// Entities of `allowedKinds` (all kinds when empty) from the catalog.
    Entity {
        kinds: Vec<String>,
    },
    /// `host?owner=o&repo=r`, on one of `allowedHosts` (github.com when none is given), owned
    /// by one of `allowedOwners` (any when none is given; the form offers the catalog's groups).
    RepoUrl {
        hosts: Vec<String>,
        owners: Vec<String>,
    },
    Other(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub id: String,
    pub name: String,
    pub action: String,
    /// `input`, as written: its strings are template expressions rendered at run time.
    pub input: Value,
    /// `if:`, rendered at run time; a falsy result skips the step.
    pub condition: Option<Value>,
}

impl Template {
    pub fn display_name(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }

    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.pages.iter().flat_map(|p| p.fields.iter())
    }

    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields().find(|f| f.name == name)
    }

    /// Steps whose action the scaffolder does not run, as `step id (action)`.
    pub fn unsupported(&self) -> Vec<String> {
        self.steps
            .iter()
            .filter(|s| !SUPPORTED_ACTIONS.contains(&s.action.as_str()))
            .map(|s| format!("step {} ({})", s.id, s.action))
            .collect()
    }

    /// The form's values from `key=value` pairs: defaults filled in, each value checked against
    /// its field. Every problem is returned at once (unknown keys with the nearest name), so a
    /// script learns all it must fix from one try.
    pub fn values(&self, given: &[(String, String)]) -> Result<Map<String, Value>, Vec<String>> {
        let mut out = Map::new();
        let mut errors = Vec::new();
        for (key, _) in given {
            if self.field(key).is_none() {
                let names = self.fields().map(|f| f.name.as_str());
                errors.push(match suggest(key, names) {
                    Some(near) => {
                        format!("{key}: this template asks no such value (did you mean {near}?)")
                    }
                    None => format!("{key}: this template asks no such value"),
                });
            }
        }
        for field in self.fields() {
            let raw = given
                .iter()
                .rev()
                .find(|(k, _)| *k == field.name)
                .map(|(_, v)| v.as_str());
            match (raw, &field.default) {
                (Some(raw), _) => match field.check(raw) {
                    Ok(v) => {
                        out.insert(field.name.clone(), v);
                    }
                    Err(e) => errors.push(format!("{}: {e}", field.name)),
                },
                (None, Some(d)) => {
                    out.insert(field.name.clone(), d.clone());
                }
                (None, None) if field.required => {
                    errors.push(format!("{}: is required", field.name));
                }
                (None, None) => {}
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

impl Field {
    /// What the form shows as the field's label.
    pub fn label(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }

    /// One typed value checked against the schema; the error says what is wrong in the user's
    /// terms, as the form shows it while they type.
    pub fn check(&self, raw: &str) -> Result<Value, String> {
        if raw.is_empty() && self.required {
            return Err("is required".into());
        }
        if let Some(Picker::RepoUrl { hosts, owners }) = &self.picker {
            check_repo_url(raw, hosts, owners)?;
        }
        match &self.kind {
            FieldKind::String => {
                let n = raw.chars().count();
                if let Some(min) = self.min_length.filter(|m| n < *m) {
                    return Err(format!("needs at least {min} characters"));
                }
                if let Some(max) = self.max_length.filter(|m| n > *m) {
                    return Err(format!("takes at most {max} characters"));
                }
                if let Some(p) = &self.pattern
                    && !p.regex.is_match(raw)
                {
                    return Err(match &self.help {
                        Some(help) => format!("does not match {} ({help})", p.written),
                        None => format!("does not match {}", p.written),
                    });
                }
                Ok(Value::String(raw.to_string()))
            }
            FieldKind::Number => raw
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                .ok_or_else(|| "is not a number".into()),
            FieldKind::Integer => raw
                .trim()
                .parse::<i64>()
                .map(Value::from)
                .map_err(|_| "is not a whole number".into()),
            FieldKind::Boolean => match raw.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "y" | "1" => Ok(Value::Bool(true)),
                "false" | "no" | "n" | "0" | "" => Ok(Value::Bool(false)),
                _ => Err("is not true or false".into()),
            },
            FieldKind::Enum(choices) => {
                if choices.iter().any(|c| c == raw) {
                    Ok(Value::String(raw.to_string()))
                } else {
                    Err(format!("is not one of {}", choices.join(", ")))
                }
            }
            FieldKind::StringArray => Ok(Value::Array(
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.to_string()))
                    .collect(),
            )),
        }
    }
}

/// The hosts a RepoUrlPicker offers when its template names none, as Backstage's does.
pub const DEFAULT_REPO_HOSTS: &[&str] = &["github.com"];

/// A RepoUrlPicker's value (`host?owner=o&repo=r`, what `parseRepoUrl` reads) checked against
/// its allowed hosts and owners; the repository's name as GitHub and GitLab take one.
pub fn check_repo_url(raw: &str, hosts: &[String], owners: &[String]) -> Result<(), String> {
    let (host, query) = raw.split_once('?').ok_or("is not host?owner=o&repo=r")?;
    let param = |key: &str| {
        query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    };
    let allowed: Vec<&str> = if hosts.is_empty() {
        DEFAULT_REPO_HOSTS.to_vec()
    } else {
        hosts.iter().map(String::as_str).collect()
    };
    if !allowed.iter().any(|h| h.eq_ignore_ascii_case(host)) {
        return Err(format!("host {host} is not one of {}", allowed.join(", ")));
    }
    let owner = param("owner")
        .filter(|o| !o.is_empty())
        .ok_or("needs an owner")?;
    if !owners.is_empty() && !owners.iter().any(|o| o == owner) {
        return Err(format!("owner {owner} is not one of {}", owners.join(", ")));
    }
    let repo = param("repo")
        .filter(|r| !r.is_empty())
        .ok_or("needs a repository name")?;
    let name_ok = repo.len() <= 100
        && repo != "."
        && repo != ".."
        && repo
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !name_ok {
        return Err(format!(
            "repository name {repo}: letters, digits, '-', '_' and '.' only"
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// What a run shows: the review the runner builds before anything is created, and each step's
// progress. Data only, so the messages that carry them and the screen that keeps them share it.
// ---------------------------------------------------------------------------------------------

/// What a dry run of the filled form builds: exactly what the real run would publish.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Preview {
    /// The values the template will run with (defaults filled in), as `name = value`.
    pub values: Vec<(String, String)>,
    /// Repositories the run creates, as `host/owner/repo`.
    pub repositories: Vec<String>,
    /// The catalog entity the run registers (`component:default/name`) and where from.
    pub catalog: Option<String>,
    /// The steps, as `id`, name and action.
    pub steps: Vec<(String, String, String)>,
    /// The workspace's files, sorted by path.
    pub files: Vec<PreviewFile>,
    /// The files as an indented tree: each line, and the file it names (none for a directory).
    pub tree: Vec<(String, Option<usize>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PreviewFile {
    pub path: String,
    pub bytes: usize,
    /// The content, sanitised, when it is text; `None` for a binary file.
    pub text: Option<String>,
}

/// One step's progress, as the runner reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepEvent {
    Started {
        index: usize,
    },
    Log {
        index: usize,
        line: String,
    },
    Done {
        index: usize,
        millis: u64,
    },
    Skipped {
        index: usize,
    },
    /// Done by an earlier try of this run: its output is reused, nothing is done again.
    Reused {
        index: usize,
    },
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunEnd {
    Created {
        /// `spec.output.links`: title and URL or entity ref.
        links: Vec<(String, String)>,
        created: Vec<String>,
    },
    Failed {
        /// `id (action)` of the step that failed.
        step: String,
        error: String,
        done: Vec<String>,
        created: Vec<String>,
        /// An earlier try can be resumed from this step (`flightdeck new --resume`, or the
        /// Create screen's resume key).
        resumable: bool,
    },
    /// Refused before any step ran: nothing was created.
    Refused(Vec<String>),
}

// ---------------------------------------------------------------------------------------------
// Decoding.
// ---------------------------------------------------------------------------------------------

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn line_at(v: &Value, key: &str) -> Option<String> {
    str_at(v, key).map(sanitize::line)
}

fn strings_at(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(sanitize::ident)
                .collect()
        })
        .unwrap_or_default()
}

/// Every string of a step's input through the sanitiser (keeping newlines, so multi-line
/// templates stay multi-line); structure unchanged.
fn sanitize_value(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(sanitize::text(s)),
        Value::Array(a) => Value::Array(a.iter().map(sanitize_value).collect()),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, v)| (sanitize::ident(k), sanitize_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Decodes a Template entity (a YAML document as JSON, or a Backstage API item). What makes it
/// unusable is an error; what only loses a detail (an unknown field type) is a warning beside
/// the template, so one odd field does not hide the template.
pub fn decode(v: &Value) -> Result<(Template, Vec<String>), String> {
    let mut warnings = Vec::new();
    if str_at(v, "kind").is_none_or(|k| !k.eq_ignore_ascii_case("template")) {
        return Err("not a Template entity".into());
    }
    let api = str_at(v, "apiVersion").unwrap_or_default();
    if api != "scaffolder.backstage.io/v1beta3" {
        return Err(format!(
            "apiVersion {} is not scaffolder.backstage.io/v1beta3",
            sanitize::line(api)
        ));
    }
    let meta = v.get("metadata").ok_or("metadata is missing")?;
    let name = str_at(meta, "name")
        .map(sanitize::ident)
        .filter(|n| !n.is_empty())
        .ok_or("metadata.name is missing")?;
    let namespace = str_at(meta, "namespace").map_or("default".into(), sanitize::ident);
    let spec = v.get("spec").ok_or("spec is missing")?;

    let pages = match spec.get("parameters") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(pages)) => pages.clone(),
        Some(page @ Value::Object(_)) => vec![page.clone()],
        Some(_) => return Err("spec.parameters is neither a page nor a list of pages".into()),
    };
    let pages = pages
        .iter()
        .enumerate()
        .map(|(i, p)| decode_page(i, p, &mut warnings))
        .collect::<Result<Vec<_>, _>>()?;

    let steps = spec
        .get("steps")
        .and_then(Value::as_array)
        .ok_or("spec.steps is missing")?
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let action = str_at(s, "action")
                .map(sanitize::ident)
                .ok_or(format!("step {} has no action", i + 1))?;
            let id = str_at(s, "id").map_or_else(|| format!("step-{}", i + 1), sanitize::ident);
            Ok(Step {
                name: line_at(s, "name").unwrap_or_else(|| id.clone()),
                id,
                action,
                input: s.get("input").map(sanitize_value).unwrap_or(Value::Null),
                condition: s.get("if").map(sanitize_value),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;

    let template = Template {
        entity_ref: format!("template:{namespace}/{name}").to_lowercase(),
        name,
        title: line_at(meta, "title"),
        description: str_at(meta, "description").map(sanitize::text),
        tags: strings_at(meta, "tags"),
        owner: str_at(spec, "owner").map(sanitize::ident),
        kind: line_at(spec, "type"),
        pages,
        steps,
        output: spec
            .get("output")
            .map(sanitize_value)
            .unwrap_or(Value::Null),
    };
    Ok((template, warnings))
}

fn decode_page(i: usize, p: &Value, warnings: &mut Vec<String>) -> Result<Page, String> {
    let title = line_at(p, "title").unwrap_or_else(|| format!("Page {}", i + 1));
    let required = strings_at(p, "required");
    let mut fields = Vec::new();
    if let Some(props) = p.get("properties").and_then(Value::as_object) {
        for (name, f) in props {
            let name = sanitize::ident(name);
            let ty = str_at(f, "type").unwrap_or("string");
            let kind = if let Some(choices) = f.get("enum").and_then(Value::as_array) {
                FieldKind::Enum(
                    choices
                        .iter()
                        .map(|c| match c {
                            Value::String(s) => sanitize::line(s),
                            other => other.to_string(),
                        })
                        .collect(),
                )
            } else {
                match ty {
                    "string" => FieldKind::String,
                    "number" => FieldKind::Number,
                    "integer" => FieldKind::Integer,
                    "boolean" => FieldKind::Boolean,
                    "array" => {
                        let items = f.get("items").and_then(|i| str_at(i, "type"));
                        if items.is_some_and(|t| t != "string") {
                            warnings.push(format!(
                                "{name}: arrays of {} are read as strings",
                                sanitize::line(items.unwrap_or_default())
                            ));
                        }
                        FieldKind::StringArray
                    }
                    other => {
                        warnings.push(format!(
                            "{name}: type {} is read as a string",
                            sanitize::line(other)
                        ));
                        FieldKind::String
                    }
                }
            };
            let pattern = match str_at(f, "pattern") {
                Some(written) => Some(Pattern {
                    written: sanitize::line(written),
                    regex: Regex::new(written).map_err(|e| {
                        format!(
                            "{name}: pattern {} does not compile: {}",
                            sanitize::line(written),
                            sanitize::line(&e.to_string())
                        )
                    })?,
                }),
                None => None,
            };
            let options = f.get("ui:options").cloned().unwrap_or(Value::Null);
            let picker = str_at(f, "ui:field").map(|p| match p {
                "OwnerPicker" => Picker::Owner {
                    kinds: strings_at(&options, "allowedKinds"),
                },
                "EntityPicker" => Picker::Entity {
                    kinds: strings_at(&options, "allowedKinds"),
                },
                "RepoUrlPicker" => Picker::RepoUrl {
                    hosts: strings_at(&options, "allowedHosts"),
                    owners: strings_at(&options, "allowedOwners"),
                },
                other => Picker::Other(sanitize::ident(other)),
            });
            let len = |k: &str| f.get(k).and_then(Value::as_u64).map(|n| n as usize);
            let multiline = str_at(f, "ui:widget") == Some("textarea");
            fields.push(Field {
                required: required.contains(&name),
                title: line_at(f, "title"),
                description: str_at(f, "description").map(sanitize::text),
                kind,
                pattern,
                default: f.get("default").map(sanitize_value),
                min_length: len("minLength"),
                max_length: len("maxLength"),
                help: line_at(f, "ui:help"),
                autofocus: f.get("ui:autofocus").and_then(Value::as_bool) == Some(true),
                multiline,
                rows: if multiline {
                    // A box taller than a screen helps nobody; one of a line is a line.
                    options
                        .get("rows")
                        .and_then(Value::as_u64)
                        .map_or(TEXTAREA_ROWS, |n| (n as usize).clamp(2, 20))
                } else {
                    1
                },
                picker,
                name,
            });
        }
    }
    Ok(Page {
        title,
        description: str_at(p, "description").map(sanitize::text),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn template() -> Template {
        let v = json!({
            "apiVersion": "scaffolder.backstage.io/v1beta3",
            "kind": "Template",
            "metadata": { "name": "rust-service", "title": "Rust service", "tags": ["rust"] },
            "spec": {
                "owner": "team-platform",
                "type": "service",
                "parameters": [{
                    "title": "About",
                    "required": ["name", "owner"],
                    "properties": {
                        "name": { "type": "string", "pattern": "^[a-z0-9-]+$", "ui:help": "lower-case letters, digits and dashes", "maxLength": 30 },
                        "owner": { "type": "string", "ui:field": "OwnerPicker", "ui:options": { "allowedKinds": ["Group"] } },
                        "description": { "type": "string", "ui:widget": "textarea", "default": "A new service" },
                        "replicas": { "type": "integer", "default": 2 },
                        "tier": { "type": "string", "enum": ["gold", "silver"] },
                        "notes": { "type": "string", "ui:widget": "textarea", "ui:options": { "rows": 6 } }
                    }
                }],
                "steps": [
                    { "id": "fetch", "action": "fetch:template", "input": { "url": "./skeleton" } },
                    { "id": "pr", "action": "publish:github:pull-request" }
                ]
            }
        });
        match decode(&v) {
            Ok((t, warnings)) => {
                assert!(warnings.is_empty(), "{warnings:?}");
                t
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn decodes_pages_fields_and_pickers() {
        let t = template();
        assert_eq!(t.entity_ref, "template:default/rust-service");
        let owner = t.field("owner").expect("owner");
        assert!(owner.required);
        assert_eq!(
            owner.picker,
            Some(Picker::Owner {
                kinds: vec!["Group".into()]
            })
        );
        let description = t.field("description").expect("description");
        assert!(description.multiline);
        assert_eq!(description.rows, TEXTAREA_ROWS, "no ui:options.rows");
        assert_eq!(t.field("notes").map(|f| f.rows), Some(6));
        assert_eq!(t.field("name").map(|f| f.rows), Some(1));
        assert_eq!(
            t.unsupported(),
            vec!["step pr (publish:github:pull-request)"]
        );
    }

    #[test]
    fn a_repo_url_picker_takes_an_allowed_host_and_owner_and_a_valid_name() {
        let hosts = vec!["github.com".to_string(), "gitlab.example.com".to_string()];
        let owners = vec!["acme".to_string()];
        let check = |raw: &str| check_repo_url(raw, &hosts, &owners);
        assert_eq!(check("github.com?owner=acme&repo=billing-api"), Ok(()));
        assert_eq!(check("gitlab.example.com?repo=x&owner=acme"), Ok(()));
        for (raw, why) in [
            ("billing", "is not host?owner=o&repo=r"),
            (
                "example.org?owner=acme&repo=x",
                "host example.org is not one of",
            ),
            (
                "github.com?owner=evil&repo=x",
                "owner evil is not one of acme",
            ),
            ("github.com?owner=acme&repo=", "needs a repository name"),
            ("github.com?owner=acme&repo=a/b", "letters, digits"),
            ("github.com?repo=x", "needs an owner"),
        ] {
            let err = check(raw).expect_err(raw);
            assert!(err.contains(why), "{raw}: {err}");
        }
        // No allowedHosts: github.com, as Backstage's picker; no allowedOwners: any owner.
        assert_eq!(
            check_repo_url("github.com?owner=x&repo=y", &[], &[]),
            Ok(())
        );
        assert!(check_repo_url("gitlab.com?owner=x&repo=y", &[], &[]).is_err());
    }

    #[test]
    fn values_check_every_field_and_name_unknown_keys() {
        let t = template();
        let given = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let ok = t
            .values(&given(&[("name", "billing"), ("owner", "team-a")]))
            .expect("valid");
        assert_eq!(ok["description"], json!("A new service"));
        assert_eq!(ok["replicas"], json!(2));

        let errors = t
            .values(&given(&[
                ("name", "Billing!"),
                ("ownr", "x"),
                ("tier", "bronze"),
            ]))
            .expect_err("invalid");
        assert_eq!(
            errors,
            vec![
                "ownr: this template asks no such value (did you mean owner?)",
                "name: does not match ^[a-z0-9-]+$ (lower-case letters, digits and dashes)",
                "owner: is required",
                "tier: is not one of gold, silver",
            ]
        );
    }

    #[test]
    fn a_bad_pattern_or_a_missing_action_is_an_error() {
        let mut v = json!({
            "apiVersion": "scaffolder.backstage.io/v1beta3", "kind": "Template",
            "metadata": { "name": "x" },
            "spec": { "parameters": { "properties": { "n": { "type": "string", "pattern": "([" } } }, "steps": [] }
        });
        assert!(
            decode(&v)
                .expect_err("bad pattern")
                .contains("does not compile")
        );
        v["spec"]["parameters"] = json!({});
        v["spec"]["steps"] = json!([{ "id": "a" }]);
        assert_eq!(decode(&v).expect_err("no action"), "step 1 has no action");
    }
}
