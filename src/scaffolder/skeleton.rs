//! The workspace a run builds before publishing: files in memory, by relative path. `fetch:template`
//! renders a skeleton's contents and paths with `values`; `fetch:plain` copies one as it is.
//! Nothing touches the disk but reading the skeleton, so a dry run and the benchmark build the
//! very same tree a real run publishes.

use std::collections::BTreeMap;
use std::path::{Component, Path};

use serde_json::Value;

use super::engine::Engine;

/// Relative path (with `/`) → bytes.
pub type Workspace = BTreeMap<String, Vec<u8>>;

/// How to copy one skeleton into the workspace.
#[derive(Debug, Default)]
pub struct Options<'a> {
    /// `targetPath`: where under the workspace the files go.
    pub target: &'a str,
    /// `copyWithoutRender` globs: copied as they are.
    pub verbatim: Vec<glob::Pattern>,
    /// `templateFileExtension`: only files with it are rendered (and lose it).
    pub extension: Option<String>,
}

/// Every file under `root`, by relative path, sorted. A skeleton holding a link out of itself,
/// or nothing at all, is an error: both are a template mistake worth naming.
pub fn read_dir(root: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) -> Result<(), String> {
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
            let path = entry.path();
            let meta = std::fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            if meta.is_dir() {
                walk(root, &path, out)?;
            } else {
                let rel = path
                    .strip_prefix(root)
                    .map_err(|_| format!("{} is outside the skeleton", path.display()))?;
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                out.push((rel, bytes));
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(root, root, &mut out)?;
    if out.is_empty() {
        return Err(format!("{} holds no files", root.display()));
    }
    out.sort();
    Ok(out)
}

/// A workspace path that stays inside the workspace: relative, no `..`, no empty part.
pub fn clean_path(p: &str) -> Result<String, String> {
    let path = Path::new(p);
    let mut parts = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => return Err(format!("{p} leaves the workspace")),
        }
    }
    Ok(parts.join("/"))
}

/// `fetch:template`: each file's path and (UTF-8) content rendered with `{ values }`. A path
/// that renders empty, or to a directory only, drops the file: templates use that for
/// optional files.
pub fn render_into(
    engine: &Engine,
    files: &[(String, Vec<u8>)],
    values: &Value,
    options: &Options<'_>,
    ws: &mut Workspace,
) -> Result<usize, String> {
    let context = serde_json::json!({ "values": values });
    let target = clean_path(options.target)?;
    let mut written = 0;
    for (rel, bytes) in files {
        let verbatim = options.verbatim.iter().any(|g| g.matches(rel));
        let (rel, render) = match &options.extension {
            Some(ext) => match rel.strip_suffix(ext.as_str()) {
                Some(stripped) => (stripped.to_string(), !verbatim),
                None => (rel.clone(), false),
            },
            None => (rel.clone(), !verbatim),
        };
        let path = if rel.contains("${{") || rel.contains("{%") {
            engine
                .render(&rel, &context)
                .map_err(|e| format!("path {rel}: {e}"))?
        } else {
            rel.clone()
        };
        if path.is_empty() || path.ends_with('/') || path.split('/').any(str::is_empty) {
            continue;
        }
        let path = clean_path(&path)?;
        let content = match (render, std::str::from_utf8(bytes)) {
            (true, Ok(text)) => engine
                .render(text, &context)
                .map_err(|e| format!("{rel}: {e}"))?
                .into_bytes(),
            _ => bytes.clone(),
        };
        ws.insert(join(&target, &path), content);
        written += 1;
    }
    Ok(written)
}

/// `fetch:plain`: copied as they are.
pub fn copy_into(
    files: &[(String, Vec<u8>)],
    target: &str,
    ws: &mut Workspace,
) -> Result<usize, String> {
    let target = clean_path(target)?;
    for (rel, bytes) in files {
        ws.insert(join(&target, &clean_path(rel)?), bytes.clone());
    }
    Ok(files.len())
}

fn join(dir: &str, rel: &str) -> String {
    if dir.is_empty() {
        rel.to_string()
    } else {
        format!("{dir}/{rel}")
    }
}

/// Adds `annotations` to every entity of the workspace's `catalog-info.yaml`, so the service
/// says which template made it and when the request started. The file is rewritten as YAML,
/// which drops its comments; the entities stay the same otherwise.
pub fn annotate_descriptor(
    ws: &mut Workspace,
    path: &str,
    annotations: &[(&str, String)],
) -> Result<bool, String> {
    let Some(bytes) = ws.get(path) else {
        return Ok(false);
    };
    let text = String::from_utf8_lossy(bytes).into_owned();
    let mut docs = Vec::new();
    for doc in serde_norway::Deserializer::from_str(&text) {
        let mut v: Value = serde::Deserialize::deserialize(doc)
            .map_err(|e| format!("{path} as rendered is not YAML: {e}"))?;
        if v.is_null() {
            continue;
        }
        if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            let a = meta
                .entry("annotations")
                .or_insert_with(|| Value::Object(serde_json::Map::new()));
            if let Some(a) = a.as_object_mut() {
                for (k, val) in annotations {
                    a.insert((*k).to_string(), Value::String(val.clone()));
                }
            }
        }
        docs.push(serde_norway::to_string(&v).map_err(|e| e.to_string())?);
    }
    ws.insert(path.to_string(), docs.join("---\n").into_bytes());
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_contents_and_paths_and_keeps_verbatim_files() -> Result<(), String> {
        let engine = Engine::new()?;
        let files = vec![
            (
                "src/${{ values.name }}.rs".to_string(),
                b"// ${{ values.name }}\n".to_vec(),
            ),
            (
                ".github/workflows/ci.yml".to_string(),
                b"run: ${{ github.sha }}\n".to_vec(),
            ),
            (
                "${{ 'opt.txt' if values.extra }}".to_string(),
                b"x".to_vec(),
            ),
        ];
        let mut ws = Workspace::new();
        let options = Options {
            target: "./app",
            verbatim: vec![glob::Pattern::new(".github/workflows/*").map_err(|e| e.to_string())?],
            extension: None,
        };
        let n = render_into(
            &engine,
            &files,
            &json!({ "name": "billing" }),
            &options,
            &mut ws,
        )?;
        assert_eq!(n, 2);
        assert_eq!(ws["app/src/billing.rs"], b"// billing\n");
        assert_eq!(
            ws["app/.github/workflows/ci.yml"],
            b"run: ${{ github.sha }}\n"
        );
        assert!(clean_path("../etc/passwd").is_err());
        Ok(())
    }

    #[test]
    fn the_descriptor_records_its_template() -> Result<(), String> {
        let mut ws = Workspace::new();
        ws.insert(
            "catalog-info.yaml".into(),
            b"apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: x\nspec:\n  type: service\n".to_vec(),
        );
        annotate_descriptor(&mut ws, "catalog-info.yaml", &[("a/b", "c".into())])?;
        let text = String::from_utf8_lossy(&ws["catalog-info.yaml"]).into_owned();
        assert!(text.contains("annotations:\n    a/b: c"), "{text}");
        Ok(())
    }
}
