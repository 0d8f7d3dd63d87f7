//! The catalog on disk: Backstage descriptors found by the config's globs, the current git
//! repository's `catalog-info.yaml`, the Locations they name, and `[[services]]`. One bad
//! document becomes a problem with its file, line and column; it never stops the others.
//! The entity decoder here is also the Backstage API provider's, so both read the same way.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Component as PathComponent, Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{Notify, mpsc};

use crate::config::Config;
use crate::providers::{Context, Provider};
use flightdeck_core::message::{Msg, SourceEvent, catalog};
use flightdeck_core::model::catalog::{
    Entity, EntityOrigin, FieldLines, Kind, Link, Origin, POINTED_AT, Place, Problem, ProblemLevel,
    Profile, Spec, SpecFields, annotations, parse_ref, valid_name,
};
use flightdeck_core::model::{SourceId, SourceKind};
use flightdeck_core::sanitize;

/// How often (wall time) the files a load read are looked at again (their modification times
/// and what the globs match), so edits show without a restart, when the file system cannot
/// tell: only a change re-parses them.
const CHECK_EVERY: Duration = Duration::from_secs(5);
/// The same look while file-system notifications watch the files' directories: only for what
/// they can miss (a network file system, a directory made after the watch began).
const CHECK_WATCHED_EVERY: Duration = Duration::from_secs(60);
/// Files larger than this are parsed again rather than kept parsed between loads: what they
/// hold (a 7 MB file, 22,000 entities) would be one more copy of the catalog in memory, and it
/// spares a parse only when another file changed.
const CACHED_BYTES: usize = 1 << 20;
/// Notifications come in bursts (an editor writes, renames, sets times): one look after the
/// burst.
const SETTLE: Duration = Duration::from_millis(150);

/// What a load found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Loaded {
    /// Shared with the parse cache, and then with the catalog the loop keeps.
    pub entities: Vec<std::sync::Arc<Entity>>,
    pub problems: Vec<Problem>,
    /// Descriptor files read.
    pub files: usize,
}

/// What a load looked at, so that a later look can tell whether reading again would find
/// anything new: every file read with its modification time and size, and what every glob or
/// plain path matched (a file that appears or goes away changes that).
#[derive(Debug, Default, PartialEq)]
pub struct Inputs {
    files: Vec<(PathBuf, Option<Stamp>)>,
    globs: Vec<(PathBuf, Vec<PathBuf>)>,
}

type Stamp = (std::time::SystemTime, u64);

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

/// The files a glob (or a plain path) stands for, sorted.
fn matches_of(pattern: &Path) -> Vec<PathBuf> {
    let text = pattern.to_string_lossy();
    if !text.contains(['*', '?', '[']) {
        return if pattern.is_file() {
            vec![pattern.to_path_buf()]
        } else {
            Vec::new()
        };
    }
    let mut found: Vec<PathBuf> = glob::glob(&text)
        .map(|paths| {
            paths
                .filter_map(Result::ok)
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

impl Inputs {
    /// The directories to watch for changes to what was read: each file's directory, and
    /// each glob's fixed leading directory (with all below it when the pattern's wildcards
    /// reach into directories).
    pub fn watch_dirs(&self) -> Vec<(PathBuf, bool)> {
        let mut dirs: Vec<(PathBuf, bool)> = Vec::new();
        for (p, _) in &self.files {
            if let Some(d) = p.parent() {
                dirs.push((d.to_path_buf(), false));
            }
        }
        for (g, _) in &self.globs {
            let mut fixed = PathBuf::new();
            let mut wild = false;
            let parts: Vec<_> = g.components().collect();
            for (i, c) in parts.iter().enumerate() {
                let text = c.as_os_str().to_string_lossy();
                if text.contains(['*', '?', '[']) {
                    wild = i + 1 < parts.len() || text.contains("**");
                    break;
                }
                if i + 1 < parts.len() {
                    fixed.push(c);
                }
            }
            if !fixed.as_os_str().is_empty() {
                dirs.push((fixed, wild));
            }
        }
        dirs.sort();
        dirs.dedup();
        // A directory watched with all below it covers those under it.
        let deep: Vec<PathBuf> = dirs
            .iter()
            .filter(|(_, r)| *r)
            .map(|(d, _)| d.clone())
            .collect();
        dirs.retain(|(d, r)| *r || !deep.iter().any(|x| d.starts_with(x)));
        dirs
    }

    /// Whether any file read changed or any glob matches other files now: a few `stat`s and
    /// directory reads, never a parse.
    pub fn changed(&self) -> bool {
        self.files.iter().any(|(p, s)| stamp(p) != *s)
            || self.globs.iter().any(|(g, found)| matches_of(g) != *found)
    }
}

/// Everything the config names, read from disk. `cwd` is where the current repository is
/// looked for (when `current_repo`); `home` is what `~` stands for.
pub fn load(config: &Config, cwd: Option<&Path>, home: Option<&Path>) -> Loaded {
    load_watched(config, cwd, home).0
}

/// [`load`], and what it looked at, to tell later whether to load again.
pub fn load_watched(config: &Config, cwd: Option<&Path>, home: Option<&Path>) -> (Loaded, Inputs) {
    let (loaded, inputs, _) = load_incremental(config, cwd, home, ParseCache::default());
    (loaded, inputs)
}

/// [`load_watched`], parsing only the files whose stamp moved since `previous` was made.
pub fn load_incremental(
    config: &Config,
    cwd: Option<&Path>,
    home: Option<&Path>,
    previous: ParseCache,
) -> (Loaded, Inputs, ParseCache) {
    let mut loader = Loader {
        previous,
        ..Loader::default()
    };
    for pattern in &config.catalog.paths {
        let expanded = crate::config::expand_home(Path::new(pattern), home);
        loader.load_glob(
            &expanded,
            None,
            &format!("`[catalog] paths` entry {pattern}"),
        );
    }
    if config.catalog.current_repo
        && let Some(root) = cwd.and_then(git_root)
    {
        for name in ["catalog-info.yaml", "catalog-info.yml"] {
            let path = root.join(name);
            loader.inputs.globs.push((path.clone(), matches_of(&path)));
            if path.is_file() {
                loader.load_file(&path, None);
                break;
            }
        }
    }
    for service in &config.services {
        match config_entity(service) {
            Ok(e) => loader.out.entities.push(std::sync::Arc::new(e)),
            Err(p) => loader.out.problems.push(p),
        }
    }
    (loader.out, loader.inputs, loader.cache)
}

/// Reads descriptor files (and the Locations they name), as `[catalog] paths` would.
pub fn load_files<'a>(paths: impl IntoIterator<Item = &'a Path>) -> Loaded {
    let mut loader = Loader::default();
    for p in paths {
        loader.load_file(p, None);
    }
    loader.out
}

/// The root of the git work tree holding `dir`.
fn git_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").exists())
        .map(Path::to_path_buf)
}

#[derive(Default)]
struct Loader {
    visited: HashSet<PathBuf>,
    out: Loaded,
    inputs: Inputs,
    /// What the last load parsed, by file and stamp: an unchanged file is not parsed again.
    previous: ParseCache,
    cache: ParseCache,
}

/// Each file a load parsed, with its modification time and size then: the next load parses
/// only the files whose stamp moved, so one edited file of many costs one parse. Shared, so
/// keeping it costs no copy of what it holds until a load takes its entities.
#[derive(Default)]
pub struct ParseCache {
    files: HashMap<PathBuf, (Stamp, std::sync::Arc<ParsedFile>)>,
    /// Files this load parsed (the rest came from the cache).
    parsed: usize,
}

impl ParseCache {
    pub fn parsed(&self) -> usize {
        self.parsed
    }
}

impl Loader {
    /// A glob (or plain path); `via` is the Location line that named it.
    fn load_glob(&mut self, pattern: &Path, via: Option<&Place>, what: &str) {
        let text = pattern.to_string_lossy();
        if !text.contains(['*', '?', '[']) {
            self.inputs
                .globs
                .push((pattern.to_path_buf(), matches_of(pattern)));
            if pattern.is_file() {
                self.load_file(pattern, via);
            } else {
                self.problem(
                    via,
                    ProblemLevel::Warning,
                    format!("{what}: {} does not exist", pattern.display()),
                );
            }
            return;
        }
        match glob::glob(&text) {
            Ok(paths) => {
                let mut found: Vec<PathBuf> = paths
                    .filter_map(Result::ok)
                    .filter(|p| p.is_file())
                    .collect();
                found.sort();
                self.inputs
                    .globs
                    .push((pattern.to_path_buf(), found.clone()));
                if found.is_empty() {
                    self.problem(
                        via,
                        ProblemLevel::Warning,
                        format!("{what}: matched no file"),
                    );
                }
                for p in found {
                    self.load_file(&p, via);
                }
            }
            Err(e) => self.problem(
                via,
                ProblemLevel::Error,
                format!("{what}: not a valid glob: {e}"),
            ),
        }
    }

    fn problem(&mut self, place: Option<&Place>, level: ProblemLevel, message: String) {
        self.out.problems.push(Problem {
            place: place.cloned(),
            level,
            entity: None,
            message,
        });
    }

    fn load_file(&mut self, path: &Path, via: Option<&Place>) {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if !self.visited.insert(key) {
            return;
        }
        // A file that cannot be read is labelled as itself (not as the API's): the problem is
        // in that file, whichever path or Location led to it.
        let itself = Place {
            path: sanitize::line(&path.display().to_string()).into(),
            line: 1,
            column: 1,
        };
        // Stamped before reading: an edit during the read shows as a change next time.
        let now = stamp(path);
        self.inputs.files.push((path.to_path_buf(), now));
        if let Some((st, parsed)) = self.previous.files.remove(path)
            && Some(st) == now
        {
            self.out.files += 1;
            self.cache
                .files
                .insert(path.to_path_buf(), (st, parsed.clone()));
            self.take(path, &parsed);
            return;
        }
        let text = match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => {
                    let message = format!(
                        "not a text file (byte {} is not UTF-8); catalog paths name YAML descriptors",
                        e.utf8_error().valid_up_to()
                    );
                    self.problem(Some(&itself), ProblemLevel::Error, message);
                    return;
                }
            },
            Err(e) => {
                let message = format!(
                    "cannot read {}: {}",
                    itself.path,
                    sanitize::line(&e.to_string())
                );
                self.problem(via.or(Some(&itself)), ProblemLevel::Error, message);
                return;
            }
        };
        self.out.files += 1;
        let parsed = std::sync::Arc::new(parse_file(path, &text));
        let large = text.len() > CACHED_BYTES;
        drop(text);
        self.cache.parsed += 1;
        if let Some(st) = now
            && !large
        {
            self.cache
                .files
                .insert(path.to_path_buf(), (st, parsed.clone()));
        }
        self.take(path, &parsed);
    }

    fn take(&mut self, path: &Path, parsed: &ParsedFile) {
        self.out.entities.extend(parsed.entities.iter().cloned());
        self.out.problems.extend(parsed.problems.iter().cloned());
        let base = path.parent().unwrap_or(Path::new("."));
        for follow in &parsed.follows {
            self.follow(base, follow.clone());
        }
    }

    fn follow(&mut self, base: &Path, f: Follow) {
        if f.remote {
            self.problem(
                Some(&f.place),
                ProblemLevel::Warning,
                format!(
                    "Location target {} is a URL; it is not followed (the Backstage API reads it)",
                    f.target
                ),
            );
            return;
        }
        let target = f.target.strip_prefix("file:").unwrap_or(&f.target);
        let path = normalize(&base.join(target));
        let what = format!("Location target {}", f.target);
        if f.optional && !target.contains(['*', '?', '[']) && !path.exists() {
            self.inputs.globs.push((path, Vec::new()));
            return;
        }
        self.load_glob(&path, Some(&f.place), &what);
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system (the target may not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            PathComponent::CurDir => {}
            PathComponent::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// A Location target to read next.
#[derive(Clone)]
struct Follow {
    target: String,
    place: Place,
    optional: bool,
    remote: bool,
}

struct ParsedFile {
    entities: Vec<std::sync::Arc<Entity>>,
    problems: Vec<Problem>,
    follows: Vec<Follow>,
}

/// One YAML document of a file, with the file line its text starts on.
struct Document {
    /// 1-based line of the document's first line in the file.
    first_line: u32,
    text: String,
}

/// Splits multi-document YAML at `---` and `...` lines, keeping each document's line offset
/// so errors point into the file. A `---` line's own content (`--- !tag`) stays, in place.
fn split_documents(text: &str) -> Vec<Document> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut first_line = 1u32;
    for (n, line) in text.split_inclusive('\n').enumerate() {
        let n = n as u32 + 1;
        let marker = |m: &str| {
            line.strip_prefix(m)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
        };
        if marker("---") {
            docs.push(Document {
                first_line,
                text: std::mem::take(&mut current),
            });
            first_line = n;
            current.push_str("   ");
            current.push_str(&line[3..]);
        } else if marker("...") {
            docs.push(Document {
                first_line,
                text: std::mem::take(&mut current),
            });
            first_line = n + 1;
        } else {
            current.push_str(line);
        }
    }
    docs.push(Document {
        first_line,
        text: current,
    });
    docs.retain(|d| {
        d.text
            .lines()
            .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    });
    docs
}

/// Documents per thread below which a file is parsed on one thread: starting threads costs
/// more than small files take.
const DOCUMENTS_PER_THREAD: usize = 500;

fn parse_file(path: &Path, text: &str) -> ParsedFile {
    // One path shared by every entity and problem of the file.
    let display: std::sync::Arc<str> = path.display().to_string().into();
    let base = path.parent().unwrap_or(Path::new("."));
    let docs = split_documents(text);
    // Documents are independent: a large file (22,000 entities) is parsed on every core, each
    // thread taking a run of documents, and the runs joined in file order.
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(docs.len() / DOCUMENTS_PER_THREAD)
        .max(1);
    let parse = |docs: &[Document]| {
        let mut out = ParsedFile {
            entities: Vec::new(),
            problems: Vec::new(),
            follows: Vec::new(),
        };
        for doc in docs {
            parse_document(doc, &display, base, &mut out);
        }
        out
    };
    if threads == 1 {
        return parse(&docs);
    }
    let per = docs.len().div_ceil(threads);
    let parts: Vec<ParsedFile> = std::thread::scope(|scope| {
        let running: Vec<_> = docs
            .chunks(per)
            .map(|run| scope.spawn(|| parse(run)))
            .collect();
        running
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    let mut out = ParsedFile {
        entities: Vec::with_capacity(parts.iter().map(|p| p.entities.len()).sum()),
        problems: Vec::new(),
        follows: Vec::new(),
    };
    for part in parts {
        out.entities.extend(part.entities);
        out.problems.extend(part.problems);
        out.follows.extend(part.follows);
    }
    out
}

/// One document of a file: its entity, its problems and the Locations it points at.
fn parse_document(
    doc: &Document,
    display: &std::sync::Arc<str>,
    base: &Path,
    out: &mut ParsedFile,
) {
    let start = first_content_line(&doc.text);
    let place = Place {
        path: std::sync::Arc::clone(display),
        line: doc.first_line + start,
        column: 1,
    };
    let value: Value = match serde_norway::from_str(&doc.text) {
        Ok(Value::Null) => return,
        Ok(v) => v,
        Err(e) => {
            let (line, column) = e.location().map_or((place.line, 1), |l| {
                (doc.first_line + l.line() as u32 - 1, l.column() as u32)
            });
            let reason = e.to_string();
            // the YAML parser appends "at line L column C" relative to the document; the place
            // already says it, relative to the file.
            let reason = reason
                .split(" at line ")
                .next()
                .unwrap_or(&reason)
                .to_string();
            out.problems.push(Problem {
                place: Some(Place {
                    path: std::sync::Arc::clone(display),
                    line,
                    column,
                }),
                level: ProblemLevel::Error,
                entity: None,
                message: format!("invalid YAML: {}", sanitize::line(&reason)),
            });
            return;
        }
    };
    let field_lines = field_lines(&doc.text, doc.first_line);
    let origin = EntityOrigin::File {
        place: place.clone(),
        field_lines,
    };
    match decode_entity(&value, origin, Some(base)) {
        Ok((entity, problems)) => {
            out.problems.extend(problems);
            if entity.kind == Kind::Location {
                let optional =
                    str_at(&value, &["spec", "presence"]).is_some_and(|p| p == "optional");
                let remote_type = str_at(&value, &["spec", "type"]).is_some_and(|t| t != "file");
                let line = entity
                    .origin
                    .place_of("targets")
                    .or_else(|| entity.origin.place_of("target"));
                for target in &entity.spec.more().targets {
                    out.follows.push(Follow {
                        target: target.clone(),
                        place: line.clone().unwrap_or_else(|| place.clone()),
                        optional,
                        remote: remote_type
                            || target.starts_with("http://")
                            || target.starts_with("https://"),
                    });
                }
            }
            out.entities.push(std::sync::Arc::new(entity));
        }
        Err(problem) => out.problems.push(problem),
    }
}

/// Lines before the first line with content (comments and blank lines skipped).
fn first_content_line(text: &str) -> u32 {
    text.lines()
        .position(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .unwrap_or(0) as u32
}

/// File lines of the keys directly under `spec:` (`owner`, `dependsOn`, …) and of
/// `metadata.name`, so a problem can point at the line that caused it.
fn field_lines(text: &str, first_line: u32) -> FieldLines {
    let mut out: Vec<(String, (u32, u32))> = Vec::new();
    let mut section: Option<&str> = None;
    let mut indent: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let depth = line.len() - trimmed.len();
        let key = trimmed
            .split_once(':')
            .map(|(k, _)| k.trim().trim_matches(['"', '\'']));
        if depth == 0 || (line.starts_with("   ") && n == 0) {
            if let Some(k) = key.filter(|k| POINTED_AT.contains(k)) {
                out.push((k.to_string(), (first_line + n as u32, depth as u32 + 1)));
            }
            section = key.filter(|k| *k == "spec" || *k == "metadata");
            indent = None;
            continue;
        }
        let Some(s) = section else { continue };
        let level = *indent.get_or_insert(depth);
        if depth != level {
            continue;
        }
        if let Some(k) = key.filter(|k| !k.contains(' ')) {
            let name = if s == "metadata" {
                format!("metadata.{k}")
            } else {
                k.to_string()
            };
            if !POINTED_AT.contains(&name.as_str()) {
                continue;
            }
            out.push((name, (first_line + n as u32, depth as u32 + 1)));
        }
    }
    // The first place of each key is kept.
    out.into_iter().collect()
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
}

/// A scalar as text: strings as they are, numbers and booleans written out (YAML often leaves
/// `gitlab.com/project-id: 123` unquoted).
fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Decodes one entity (a YAML document or an API item). Structural faults (no kind, no
/// name) reject it; a missing required spec field or a bad ref is a problem, and the entity
/// still loads so the team sees it. `base` is the descriptor's directory, for docs.
pub fn decode_entity(
    v: &Value,
    origin: EntityOrigin,
    base: Option<&Path>,
) -> Result<(Entity, Vec<Problem>), Problem> {
    let reject = |field: &str, message: String, entity: Option<String>| Problem {
        place: origin.place_of(field),
        level: ProblemLevel::Error,
        entity,
        message,
    };
    if !v.is_object() {
        return Err(reject(
            "",
            "a descriptor must be a mapping with apiVersion, kind, metadata and spec".into(),
            None,
        ));
    }
    // The API may trim fields (`fields=`); what it serves it has validated already.
    let from_file = matches!(origin, EntityOrigin::File { .. });
    if from_file && str_at(v, &["apiVersion"]).is_none_or(|a| a.trim().is_empty()) {
        return Err(reject(
            "",
            "apiVersion is missing (backstage.io/v1alpha1 for the core kinds)".into(),
            None,
        ));
    }
    let Some(kind) = str_at(v, &["kind"])
        .map(str::trim)
        .filter(|k| !k.is_empty())
    else {
        return Err(reject(
            "",
            "kind is missing (Component, API, System, Group, …)".into(),
            None,
        ));
    };
    let kind = Kind::parse(&sanitize::ident(kind));
    let Some(metadata) = v.get("metadata").filter(|m| m.is_object()) else {
        return Err(reject(
            "",
            format!("metadata is missing from this {}", kind.title()),
            None,
        ));
    };
    let Some(raw_name) = metadata.get("name").and_then(scalar) else {
        return Err(reject(
            "metadata.name",
            format!("metadata.name is missing from this {}", kind.title()),
            None,
        ));
    };
    let name = sanitize::ident(raw_name.trim());
    if !valid_name(&name) {
        return Err(reject(
            "metadata.name",
            format!(
                "metadata.name `{name}` is not a valid name: 1-63 letters and digits, joined by single - _ or ."
            ),
            None,
        ));
    }
    let namespace = metadata
        .get("namespace")
        .and_then(scalar)
        .map(|n| sanitize::ident(n.trim()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".into());
    let entity_ref = format!("{}:{}/{}", kind.as_str(), namespace, name).to_lowercase();
    let ns = namespace.to_lowercase();
    let mut problems = Vec::new();
    let mut problem = |field: &str, level: ProblemLevel, message: String| {
        problems.push(Problem {
            place: origin.place_of(field),
            level,
            entity: Some(entity_ref.clone()),
            message,
        });
    };

    let spec_v = v.get("spec").cloned().unwrap_or(Value::Null);
    let text_of = |key: &str| {
        spec_v
            .get(key)
            .and_then(scalar)
            .map(|s| sanitize::ident(s.trim()))
            .filter(|s| !s.is_empty())
    };
    let one_ref = |field: &'static str,
                   default_kind: Option<&str>,
                   problem: &mut dyn FnMut(&str, ProblemLevel, String)| {
        let raw = spec_v.get(field)?;
        match ref_value(raw, default_kind, &ns) {
            Ok(r) => Some(r),
            Err(e) => {
                problem(field, ProblemLevel::Error, format!("spec.{field}: {e}"));
                None
            }
        }
    };
    let owner = one_ref("owner", Some("group"), &mut problem);
    let system = one_ref("system", Some("system"), &mut problem);
    let domain = one_ref("domain", Some("domain"), &mut problem);
    let subcomponent_of = one_ref("subcomponentOf", Some("component"), &mut problem);
    let subdomain_of = one_ref("subdomainOf", Some("domain"), &mut problem);
    let parent = one_ref("parent", Some("group"), &mut problem);
    let mut list = |field: &'static str, default_kind: Option<&str>| -> Vec<String> {
        let Some(raw) = spec_v.get(field) else {
            return Vec::new();
        };
        let items: Vec<&Value> = match raw {
            Value::Array(a) => a.iter().collect(),
            Value::Null => Vec::new(),
            other => vec![other],
        };
        let mut out = Vec::new();
        for item in items {
            match ref_value(item, default_kind, &ns) {
                Ok(r) => out.push(r),
                Err(e) => problem(field, ProblemLevel::Error, format!("spec.{field}: {e}")),
            }
        }
        out
    };
    let children = list("children", Some("group"));
    let members = list("members", Some("user"));
    let member_of = list("memberOf", Some("group"));
    let provides_apis = list("providesApis", Some("api"));
    let consumes_apis = list("consumesApis", Some("api"));
    let depends_on = list("dependsOn", None);
    let dependency_of = list("dependencyOf", None);

    let mut targets: Vec<String> = Vec::new();
    if kind == Kind::Location {
        if let Some(t) = spec_v.get("target").and_then(scalar) {
            targets.push(sanitize::line(t.trim()));
        }
        if let Some(Value::Array(ts)) = spec_v.get("targets") {
            targets.extend(
                ts.iter()
                    .filter_map(scalar)
                    .map(|t| sanitize::line(t.trim())),
            );
        }
    }
    let profile = spec_v
        .get("profile")
        .filter(|p| p.is_object())
        .map(|p| Profile {
            display_name: p
                .get("displayName")
                .and_then(scalar)
                .map(|s| sanitize::line(s.trim())),
            email: p
                .get("email")
                .and_then(scalar)
                .map(|s| sanitize::ident(s.trim())),
        });
    let spec = Spec::from(SpecFields {
        spec_type: text_of("type"),
        lifecycle: text_of("lifecycle"),
        owner,
        system,
        domain,
        subcomponent_of,
        subdomain_of,
        parent,
        children,
        members,
        member_of,
        provides_apis,
        consumes_apis,
        depends_on,
        dependency_of,
        profile,
        targets,
    });

    // What Backstage's validators require of each kind. The entity loads anyway: a team
    // sees its service with the problem rather than not at all.
    let required: &[&str] = match kind {
        Kind::Component => &["type", "lifecycle", "owner"],
        Kind::Api => &["type", "lifecycle", "owner", "definition"],
        Kind::Resource => &["type", "owner"],
        Kind::System | Kind::Domain => &["owner"],
        Kind::Group => &["type", "children"],
        Kind::User => &["memberOf"],
        _ => &[],
    };
    let required = if from_file { required } else { &[] };
    for field in required {
        if spec_v.get(*field).is_none_or(Value::is_null) {
            let at = if spec_v.is_null() { "" } else { "spec" };
            problems.push(Problem {
                place: origin.place_of(at).or_else(|| origin.place_of("")),
                level: ProblemLevel::Error,
                entity: Some(entity_ref.clone()),
                message: format!(
                    "spec.{field} is required for a {}; loaded without it",
                    kind.title()
                ),
            });
        }
    }

    let mut annotations_map = BTreeMap::new();
    if let Some(Value::Object(a)) = metadata.get("annotations") {
        for (k, v) in a {
            if let Some(s) = scalar(v) {
                annotations_map.insert(sanitize::ident(k), sanitize::line(&s));
            }
        }
    }
    let tags = match metadata.get("tags") {
        Some(Value::Array(t)) => t
            .iter()
            .filter_map(scalar)
            .map(|s| sanitize::ident(&s))
            .collect(),
        _ => Vec::new(),
    };
    let mut links = Vec::new();
    if let Some(Value::Array(ls)) = metadata.get("links") {
        for l in ls {
            let Some(raw) = l.get("url").and_then(scalar) else {
                continue;
            };
            match sanitize::url(&raw) {
                Some(url) => links.push(Link {
                    url,
                    title: l
                        .get("title")
                        .and_then(scalar)
                        .map(|t| sanitize::line(t.trim())),
                }),
                None => problems.push(Problem {
                    place: origin.place_of("metadata.links"),
                    level: ProblemLevel::Warning,
                    entity: Some(entity_ref.clone()),
                    message: format!(
                        "link {} is not an http(s) URL; it is not shown",
                        sanitize::line(&raw)
                    ),
                }),
            }
        }
    }
    let docs_dir = match (&kind, base) {
        (Kind::Component, Some(base)) => docs_dir(
            annotations_map.get(annotations::TECHDOCS),
            base,
            &origin,
            &entity_ref,
            &mut problems,
        ),
        _ => None,
    };
    let entity = Entity {
        kind,
        namespace,
        name,
        entity_ref,
        title: metadata
            .get("title")
            .and_then(scalar)
            .map(|t| sanitize::line(t.trim())),
        description: metadata
            .get("description")
            .and_then(scalar)
            .map(|d| sanitize::text(d.trim_end())),
        annotations: annotations_map.into(),
        tags,
        links,
        spec,
        docs_dir,
        origin,
    };
    Ok((entity, problems))
}

/// A ref written as a string or in the compound `{kind, namespace, name}` form.
fn ref_value(v: &Value, default_kind: Option<&str>, namespace: &str) -> Result<String, String> {
    match v {
        Value::Object(o) => {
            let get = |k: &str| o.get(k).and_then(scalar).map(|s| sanitize::ident(s.trim()));
            let kind = get("kind")
                .or(default_kind.map(str::to_string))
                .ok_or("a compound ref needs a kind")?;
            let name = get("name").ok_or("a compound ref needs a name")?;
            let ns = get("namespace").unwrap_or_else(|| namespace.to_string());
            Ok(format!("{kind}:{ns}/{name}").to_lowercase())
        }
        other => match scalar(other) {
            Some(s) => parse_ref(&sanitize::ident(&s), default_kind, namespace),
            None => Err("is not a reference (expected [kind:][namespace/]name)".into()),
        },
    }
}

/// Where a service's docs are: `techdocs-ref: dir:…` beside the descriptor, else a docs/
/// directory or README.md there.
fn docs_dir(
    techdocs: Option<&String>,
    base: &Path,
    origin: &EntityOrigin,
    entity_ref: &str,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    if let Some(r) = techdocs {
        if let Some(dir) = r.trim().strip_prefix("dir:") {
            let path = normalize(&base.join(dir.trim()));
            if path.is_dir() {
                return Some(path.display().to_string());
            }
            problems.push(Problem {
                place: origin.place_of("metadata.annotations"),
                level: ProblemLevel::Warning,
                entity: Some(entity_ref.to_string()),
                message: format!(
                    "{} {r}: {} is not a directory",
                    annotations::TECHDOCS,
                    path.display()
                ),
            });
            return None;
        }
        return None;
    }
    (base.join("docs").is_dir() || base.join("README.md").is_file())
        .then(|| base.display().to_string())
}

/// A `[[services]]` entry as a Component, so one code path joins every service.
fn config_entity(s: &crate::config::ServiceDecl) -> Result<Entity, Problem> {
    let name = sanitize::ident(s.name.trim());
    let place_less = |message: String| Problem {
        place: None,
        level: ProblemLevel::Error,
        entity: None,
        message,
    };
    if !valid_name(&name) {
        return Err(place_less(format!(
            "[[services]] name `{name}` is not a valid entity name"
        )));
    }
    let entity_ref = format!("component:default/{name}").to_lowercase();
    let r = |v: &Option<String>, kind: &str| -> Result<Option<String>, Problem> {
        v.as_deref()
            .map(|o| parse_ref(&sanitize::ident(o), Some(kind), "default"))
            .transpose()
            .map_err(|e| place_less(format!("[[services]] {name}: {e}")))
    };
    let mut annotations_map = BTreeMap::new();
    let mut put = |k: &str, v: &Option<String>| {
        if let Some(v) = v {
            annotations_map.insert(k.to_string(), sanitize::line(v.trim()));
        }
    };
    put(annotations::GITHUB, &s.github);
    let gitlab_key = if s
        .gitlab
        .as_deref()
        .is_some_and(|g| g.trim().chars().all(|c| c.is_ascii_digit()))
    {
        annotations::GITLAB_ID
    } else {
        annotations::GITLAB_SLUG
    };
    put(gitlab_key, &s.gitlab);
    put(annotations::KUBE_ID, &s.kubernetes_id);
    put(annotations::KUBE_SELECTOR, &s.kubernetes_label_selector);
    put(annotations::KUBE_NAMESPACE, &s.kubernetes_namespace);
    Ok(Entity {
        kind: Kind::Component,
        namespace: "default".into(),
        entity_ref,
        title: None,
        description: s.description.as_deref().map(sanitize::text),
        annotations: annotations_map.into(),
        tags: Vec::new(),
        links: Vec::new(),
        spec: Spec {
            spec_type: Some("service".into()),
            lifecycle: s.lifecycle.as_deref().map(sanitize::ident),
            owner: r(&s.owner, "group")?,
            system: r(&s.system, "system")?,
            ..Spec::default()
        },
        docs_dir: s.docs.as_ref().map(|d| d.display().to_string()),
        origin: EntityOrigin::Config {
            path: "the config".into(),
        },
        name,
    })
}

/// The user's git email in `dir`, to guess who they are.
async fn git_email(dir: Option<PathBuf>) -> Option<String> {
    let mut cmd = tokio::process::Command::new("git");
    cmd.args(["config", "user.email"])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let out = tokio::time::timeout(Duration::from_secs(3), cmd.output())
        .await
        .ok()?
        .ok()?;
    let email = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !email.is_empty()).then(|| sanitize::ident(&email))
}

/// Reads the descriptors at start, on refresh and when a file they came from changed; sends a
/// batch only when what it read changed.
pub struct CatalogProvider {
    refresh: std::sync::Arc<Notify>,
}

impl CatalogProvider {
    /// Runs when the config names descriptors or services, or the current repository may
    /// hold one.
    pub fn start(config: &Config, cx: &Context) -> Option<Box<dyn Provider>> {
        let c = &config.catalog;
        if c.paths.is_empty() && config.services.is_empty() && !c.current_repo {
            return None;
        }
        let refresh = std::sync::Arc::new(Notify::new());
        tokio::spawn(run(
            config.clone(),
            cx.tx.clone(),
            refresh.clone(),
            cx.clock.clone(),
        ));
        Some(Box::new(CatalogProvider { refresh }))
    }
}

impl Provider for CatalogProvider {
    fn kinds(&self) -> &'static [flightdeck_core::model::SourceKind] {
        &[flightdeck_core::model::SourceKind::Catalog]
    }

    fn refresh(&mut self) {
        self.refresh.notify_one();
    }
}

async fn run(
    config: Config,
    tx: mpsc::Sender<Msg>,
    refresh: std::sync::Arc<Notify>,
    clock: crate::clock::Clock,
) {
    let id = SourceId::new(SourceKind::Catalog, "catalog");
    let cwd = std::env::current_dir().ok();
    let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
    if tx
        .send(Msg::Source {
            id: id.clone(),
            event: SourceEvent::Connecting,
        })
        .await
        .is_err()
    {
        return;
    }
    let email = git_email(cwd.clone()).await;
    if tx
        .send(Msg::Catalog(catalog::Msg::GitEmail(email)))
        .await
        .is_err()
    {
        return;
    }
    // What the last batch sent was read from: a load that parsed nothing and looked at the
    // same inputs read the same catalog, so it is not sent again (no copy kept to compare).
    let mut inputs: Option<std::sync::Arc<Inputs>> = None;
    let mut sent = false;
    let mut cache = ParseCache::default();
    let changed = std::sync::Arc::new(Notify::new());
    let mut watch = Watch::new(changed.clone());
    loop {
        let (cfg, dir, h) = (config.clone(), cwd.clone(), home.clone());
        let previous = std::mem::take(&mut cache);
        let loaded = tokio::task::spawn_blocking(move || {
            let loaded = load_incremental(&cfg, dir.as_deref(), h.as_deref(), previous);
            // A parse frees several times what it keeps (the text, each document's YAML
            // tree): that goes back to the system now, not at the next periodic trim.
            if loaded.2.parsed() > 0 {
                crate::memory::trim();
            }
            loaded
        })
        .await;
        let at = clock.now();
        let event = match loaded {
            Ok((loaded, read, parsed)) => {
                let same = sent
                    && parsed.parsed() == 0
                    && inputs.as_deref().is_some_and(|before| *before == read);
                cache = parsed;
                watch.follow(&read.watch_dirs());
                inputs = Some(std::sync::Arc::new(read));
                let services = loaded
                    .entities
                    .iter()
                    .filter(|e| e.kind == Kind::Component)
                    .count();
                let detail = format!("{services} services, {} files", loaded.files);
                if !same {
                    let msg = catalog::Msg::Loaded {
                        origin: Origin::Files,
                        entities: loaded.entities,
                        problems: loaded.problems,
                        at,
                    };
                    if tx.send(Msg::Catalog(msg)).await.is_err() {
                        return;
                    }
                    sent = true;
                }
                SourceEvent::Ok {
                    at,
                    detail: Some(detail),
                }
            }
            Err(e) => {
                // Nothing to compare against: read again after the next wait.
                inputs = None;
                SourceEvent::Failed {
                    error: format!("reading descriptors stopped: {e}"),
                    at,
                    retry_at: Some(
                        at + chrono::Duration::from_std(CHECK_EVERY).unwrap_or_default(),
                    ),
                }
            }
        };
        if tx
            .send(Msg::Source {
                id: id.clone(),
                event,
            })
            .await
            .is_err()
        {
            return;
        }
        // Read again on refresh, or when a look at the inputs finds a change, prompted by the
        // file system or, slowly, by the clock; an unchanged catalog is never parsed again.
        loop {
            let every = if watch.complete() {
                CHECK_WATCHED_EVERY
            } else {
                CHECK_EVERY
            };
            tokio::select! {
                _ = refresh.notified() => break,
                _ = changed.notified() => tokio::time::sleep(SETTLE).await,
                _ = tokio::time::sleep(every) => {}
            }
            let Some(seen) = inputs.clone() else { break };
            match tokio::task::spawn_blocking(move || seen.changed()).await {
                Ok(false) => {}
                _ => break,
            }
        }
    }
}

/// File-system notifications for the directories a load read from; any event but a read
/// wakes the catalog's look at its inputs (which decides whether to read again).
struct Watch {
    watcher: Option<notify::RecommendedWatcher>,
    watched: Vec<(PathBuf, bool)>,
    /// Every directory is watched: the clock's look can be slow.
    all: bool,
}

impl Watch {
    fn new(changed: std::sync::Arc<Notify>) -> Self {
        let watcher = notify::recommended_watcher(move |e: notify::Result<notify::Event>| {
            if e.is_ok_and(|e| !e.kind.is_access()) {
                changed.notify_one();
            }
        });
        if let Err(e) = &watcher {
            tracing::info!("catalog: no file-system notifications ({e}); looking every 5 s");
        }
        Self {
            watcher: watcher.ok(),
            watched: Vec::new(),
            all: false,
        }
    }

    /// Watches `dirs` instead of what was watched.
    fn follow(&mut self, dirs: &[(PathBuf, bool)]) {
        use notify::Watcher as _;
        let Some(w) = self.watcher.as_mut() else {
            return;
        };
        if self.watched == dirs && self.all {
            return;
        }
        for (d, _) in self.watched.drain(..) {
            let _ = w.unwatch(&d);
        }
        let mut all = true;
        for (d, deep) in dirs {
            let mode = if *deep {
                notify::RecursiveMode::Recursive
            } else {
                notify::RecursiveMode::NonRecursive
            };
            match w.watch(d, mode) {
                Ok(()) => self.watched.push((d.clone(), *deep)),
                Err(_) => all = false,
            }
        }
        self.all = all;
    }

    fn complete(&self) -> bool {
        self.watcher.is_some() && self.all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn component(name: &str) -> String {
        format!(
            "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: {name}\nspec:\n  type: service\n  lifecycle: production\n  owner: team-a\n"
        )
    }

    /// An unchanged catalog is not read again; an edited file, a file a glob now matches and
    /// a removed file each are a change.
    #[test]
    fn only_a_change_asks_for_a_new_read() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("catalog-info.yaml");
        std::fs::write(
            &root,
            "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: org\nspec:\n  targets: [./repos/*.yaml]\n",
        )?;
        std::fs::create_dir_all(dir.path().join("repos"))?;
        let a = dir.path().join("repos/a.yaml");
        std::fs::write(&a, component("a"))?;
        let config = Config {
            catalog: crate::config::Catalog {
                paths: vec![root.to_string_lossy().into_owned()],
                current_repo: false,
                ..Default::default()
            },
            ..Default::default()
        };
        let (loaded, inputs) = load_watched(&config, None, None);
        assert_eq!(loaded.entities.len(), 2, "{:?}", loaded.problems);
        assert!(!inputs.changed(), "nothing changed yet");

        let b = dir.path().join("repos/b.yaml");
        std::fs::write(&b, component("b"))?;
        assert!(inputs.changed(), "a new file the glob matches");
        let (loaded, inputs) = load_watched(&config, None, None);
        assert_eq!(loaded.entities.len(), 3);
        assert!(!inputs.changed());

        std::fs::write(&a, component("a-renamed-and-longer"))?;
        assert!(inputs.changed(), "an edited file");
        let (_, inputs) = load_watched(&config, None, None);
        std::fs::remove_file(&b)?;
        assert!(inputs.changed(), "a removed file");
        Ok(())
    }

    fn two_files() -> std::io::Result<(tempfile::TempDir, Config)> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("catalog-info.yaml");
        std::fs::write(
            &root,
            "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: org\nspec:\n  targets: [./repos/*.yaml]\n",
        )?;
        std::fs::create_dir_all(dir.path().join("repos"))?;
        std::fs::write(dir.path().join("repos/a.yaml"), component("a"))?;
        std::fs::write(dir.path().join("repos/b.yaml"), component("b"))?;
        let config = Config {
            catalog: crate::config::Catalog {
                paths: vec![root.to_string_lossy().into_owned()],
                current_repo: false,
                ..Default::default()
            },
            ..Default::default()
        };
        Ok((dir, config))
    }

    #[test]
    fn a_load_parses_only_the_files_that_changed() -> std::io::Result<()> {
        let (dir, config) = two_files()?;
        let (first, _, cache) = load_incremental(&config, None, None, ParseCache::default());
        assert_eq!(cache.parsed(), 3, "the Location and both components");
        let (again, _, cache) = load_incremental(&config, None, None, cache);
        assert_eq!(cache.parsed(), 0, "nothing changed, nothing parsed");
        assert_eq!(again, first, "the same catalog from the cache");
        std::fs::write(dir.path().join("repos/b.yaml"), component("b-edited"))?;
        let (edited, _, cache) = load_incremental(&config, None, None, cache);
        assert_eq!(cache.parsed(), 1, "only the edited file");
        let (whole, _) = load_watched(&config, None, None);
        assert_eq!(edited, whole, "as a load from nothing reads it");
        Ok(())
    }

    #[test]
    fn the_directories_read_and_globbed_are_watched() -> std::io::Result<()> {
        let (dir, config) = two_files()?;
        let (_, inputs) = load_watched(&config, None, None);
        let dirs = inputs.watch_dirs();
        let root = dir.path().to_path_buf();
        assert!(dirs.contains(&(root.clone(), false)), "{dirs:?}");
        assert!(dirs.contains(&(root.join("repos"), false)), "{dirs:?}");
        Ok(())
    }

    /// An edit shows well before the clock's look would find it: the file system says so.
    #[tokio::test]
    async fn an_edited_file_is_read_again_when_the_file_system_says_so() -> std::io::Result<()> {
        let (dir, config) = two_files()?;
        let (tx, mut rx) = mpsc::channel(64);
        let cx = Context {
            tx,
            clock: crate::clock::Clock::System,
            read_only: false,
        };
        let _p = CatalogProvider::start(&config, &cx);
        let names = |m: &Msg| match m {
            Msg::Catalog(catalog::Msg::Loaded { entities, .. }) => {
                Some(entities.iter().map(|e| e.name.clone()).collect::<Vec<_>>())
            }
            _ => None,
        };
        let wait = |secs| tokio::time::Instant::now() + Duration::from_secs(secs);
        let deadline = wait(10);
        loop {
            let m = tokio::time::timeout_at(deadline, rx.recv()).await;
            if m.ok().flatten().as_ref().and_then(names).is_some() {
                break;
            }
        }
        // Let the watch begin, then edit.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let edited = tokio::time::Instant::now();
        std::fs::write(dir.path().join("repos/b.yaml"), component("b-edited"))?;
        let deadline = wait(4);
        let got = loop {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(m)) => {
                    if let Some(n) = names(&m) {
                        break n;
                    }
                }
                _ => panic!("no new read within 4 s of the edit"),
            }
        };
        assert!(got.iter().any(|n| n == "b-edited"), "{got:?}");
        assert!(
            edited.elapsed() < CHECK_EVERY,
            "read {:?} after the edit",
            edited.elapsed()
        );
        Ok(())
    }

    #[test]
    fn documents_keep_their_file_lines() {
        let text = "# c\n---\na: 1\n---\n\nb: [\n...\nc: 3\n";
        let docs = split_documents(text);
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0].first_line, 2);
        assert_eq!(docs[1].first_line, 4);
        assert_eq!(docs[2].first_line, 8);
        let e = serde_norway::from_str::<Value>(&docs[1].text).expect_err("unclosed flow sequence");
        let loc = e.location().expect("the YAML parser gives a location");
        assert!(
            docs[1].first_line + loc.line() as u32 > 6,
            "points at or after `b: [`"
        );
    }

    /// A file large enough to be parsed on several threads reads as one thread reads it:
    /// entities in file order, each problem at its own line.
    #[test]
    fn a_large_file_parsed_in_parts_keeps_order_and_lines() {
        let n = DOCUMENTS_PER_THREAD * 4 + 7;
        let broken = n - 3;
        let mut text = String::new();
        for i in 0..n {
            if i == broken {
                text.push_str("---\nkind: [\n");
            } else {
                text.push_str(&format!(
                    "---\napiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: s{i:05}\nspec:\n  owner: t\n"
                ));
            }
        }
        let parsed = parse_file(Path::new("big.yaml"), &text);
        let names: Vec<&str> = parsed.entities.iter().map(|e| e.name.as_str()).collect();
        let expected: Vec<String> = (0..n)
            .filter(|i| *i != broken)
            .map(|i| format!("s{i:05}"))
            .collect();
        assert_eq!(names, expected);
        let last = parsed
            .entities
            .last()
            .and_then(|e| e.origin.place_of("metadata.name"));
        // Seven lines a document, the broken one two: the last document's `---` is at line
        // 7 * (n - 1) + 1 - 5, its name four lines below.
        assert_eq!(last.map(|p| p.line), Some(7 * n as u32 - 7));
        let problem = parsed
            .problems
            .iter()
            .find(|p| p.message.starts_with("invalid YAML"))
            .and_then(|p| p.place.as_ref())
            .map(|p| p.line);
        // `kind: [` is the line after the broken document's `---`; the parser finds it
        // unclosed at the end of the document, the line after that.
        assert_eq!(problem, Some(7 * broken as u32 + 3));
    }

    #[test]
    fn field_lines_point_at_spec_keys() {
        let text = "apiVersion: v1\nkind: Component\nmetadata:\n  name: x\nspec:\n  type: service\n  owner: team-a\n  dependsOn:\n    - resource:db\n";
        let lines = field_lines(text, 10);
        assert_eq!(lines.get("metadata.name"), Some((13, 3)));
        assert_eq!(lines.get("owner"), Some((16, 3)));
        assert_eq!(lines.get("dependsOn"), Some((17, 3)));
        assert_eq!(lines.get("spec"), Some((14, 1)));
    }

    #[test]
    fn normalize_resolves_dots() {
        assert_eq!(
            normalize(Path::new("/a/b/./../c/d.yaml")),
            PathBuf::from("/a/c/d.yaml")
        );
    }
}
