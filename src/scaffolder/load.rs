//! Where templates come from: the Template entities among the catalog's descriptor files (found
//! the way the catalog finds everything, Locations followed) and the Backstage API. A template
//! that does not decode is a problem beside the list, never a reason to list nothing.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::remote::RemoteDir;
use crate::config::Config;
use flightdeck_core::model::catalog::{EntityOrigin, Kind};
use flightdeck_core::model::create::{self, Template};
use flightdeck_core::sanitize;

/// A template and where its relative paths (`./skeleton`) start.
#[derive(Debug, Clone)]
pub struct Source {
    pub template: Template,
    pub warnings: Vec<String>,
    pub base: Base,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Base {
    /// The directory of the template's file.
    Dir(PathBuf),
    /// A directory of a GitHub repository (a template registered by URL): its skeleton is read
    /// through the contents API.
    Github(RemoteDir),
    /// A location the catalog holds it at that is neither on this machine nor a GitHub file or
    /// directory URL: its skeleton cannot be read from here.
    Remote(String),
}

#[derive(Debug, Default)]
pub struct Templates {
    pub list: Vec<Source>,
    /// `where: what`, one line each.
    pub problems: Vec<String>,
}

impl Templates {
    /// By name or entity ref (`template:default/name`), case-insensitive.
    pub fn find(&self, name: &str) -> Option<&Source> {
        let name = name.to_lowercase();
        self.list
            .iter()
            .find(|s| s.template.name.to_lowercase() == name || s.template.entity_ref == name)
    }

    fn add(&mut self, source: Source) {
        if self.find(&source.template.entity_ref).is_none() {
            self.list.push(source);
        }
    }
}

/// The templates of the configured catalog files, then those only the Backstage API knows.
pub async fn load(config: &Config) -> Templates {
    let cwd = std::env::current_dir().ok();
    let home = directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf());
    let loaded = crate::providers::catalog::load(config, cwd.as_deref(), home.as_deref());
    let mut files: Vec<PathBuf> = Vec::new();
    for e in loaded.entities.iter().filter(|e| e.kind == Kind::Template) {
        if let EntityOrigin::File { place, .. } = &e.origin {
            let p = PathBuf::from(&*place.path);
            if !files.contains(&p) {
                files.push(p);
            }
        }
    }
    let mut out = Templates::default();
    for f in &files {
        from_file(f, &mut out);
    }
    if let Some(b) = &config.catalog.backstage {
        match from_backstage(b).await {
            Ok(items) => {
                for item in items {
                    match decode_item(&item) {
                        Ok(s) => out.add(s),
                        Err(e) => out.problems.push(e),
                    }
                }
            }
            Err(e) => out.problems.push(e),
        }
    }
    out.list
        .sort_by(|a, b| a.template.name.cmp(&b.template.name));
    out
}

/// Every Template document of one descriptor file.
pub fn from_file(path: &Path, out: &mut Templates) {
    let shown = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            out.problems.push(format!("{shown}: {e}"));
            return;
        }
    };
    let base = Base::Dir(path.parent().unwrap_or(Path::new(".")).to_path_buf());
    for doc in serde_norway::Deserializer::from_str(&text) {
        let v = match Value::deserialize(doc) {
            Ok(v) => v,
            Err(e) => {
                out.problems.push(format!(
                    "{shown}: invalid YAML: {}",
                    sanitize::line(&e.to_string())
                ));
                continue;
            }
        };
        if v.get("kind").and_then(Value::as_str) != Some("Template") {
            continue;
        }
        match create::decode(&v) {
            Ok((template, warnings)) => out.add(Source {
                template,
                warnings,
                base: base.clone(),
            }),
            Err(e) => out.problems.push(format!("{shown}: {e}")),
        }
    }
}

/// A Backstage API item: its location annotation says where its skeleton is.
fn decode_item(item: &Value) -> Result<Source, String> {
    let name = item
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .map_or_else(|| "a template".into(), sanitize::ident);
    let (template, warnings) =
        create::decode(item).map_err(|e| format!("Backstage template {name}: {e}"))?;
    let annotation = |key: &str| {
        item.pointer(&format!("/metadata/annotations/{}", key.replace('/', "~1")))
            .and_then(Value::as_str)
            .map(sanitize::line)
    };
    let location = annotation("backstage.io/managed-by-location").unwrap_or_default();
    let base = match location.split_once(':') {
        Some(("file", path)) => Base::Dir(
            Path::new(path)
                .parent()
                .unwrap_or(Path::new("."))
                .to_path_buf(),
        ),
        // Held at a URL: its own file's directory, else the source location Backstage
        // records (`url:…/tree/main/templates/x/`).
        _ => match RemoteDir::parse(&location).or_else(|| {
            annotation("backstage.io/source-location").and_then(|s| RemoteDir::parse(&s))
        }) {
            Some(dir) => Base::Github(dir),
            None => Base::Remote(location),
        },
    };
    Ok(Source {
        template,
        warnings,
        base,
    })
}

async fn from_backstage(b: &crate::config::BackstageSource) -> Result<Vec<Value>, String> {
    let token = crate::providers::backstage::token(b).await?;
    crate::providers::backstage::Client::new(&b.url, token)?
        .templates()
        .await
}
