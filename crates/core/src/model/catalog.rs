//! The service catalog: Backstage entities from every origin (descriptors on disk, a Backstage
//! API, the config), merged, with relations derived as Backstage derives them and every problem
//! a team can fix. It is the spine of the join: `targets()` tells each provider what to watch.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::join::{KubeTarget, ServiceTarget};

/// The kinds of `backstage.io/v1alpha1`, plus whatever else a catalog holds.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    Component,
    Api,
    System,
    Domain,
    Resource,
    Group,
    User,
    Location,
    Template,
    /// Any other kind (custom kinds are allowed), lower-cased.
    Other(String),
}

impl Kind {
    pub fn parse(s: &str) -> Kind {
        match s.to_ascii_lowercase().as_str() {
            "component" => Kind::Component,
            "api" => Kind::Api,
            "system" => Kind::System,
            "domain" => Kind::Domain,
            "resource" => Kind::Resource,
            "group" => Kind::Group,
            "user" => Kind::User,
            "location" => Kind::Location,
            "template" => Kind::Template,
            other => Kind::Other(other.to_string()),
        }
    }

    /// The lower-case form used in entity refs.
    pub fn as_str(&self) -> &str {
        match self {
            Kind::Component => "component",
            Kind::Api => "api",
            Kind::System => "system",
            Kind::Domain => "domain",
            Kind::Resource => "resource",
            Kind::Group => "group",
            Kind::User => "user",
            Kind::Location => "location",
            Kind::Template => "template",
            Kind::Other(s) => s,
        }
    }

    /// The form descriptors spell it in (`Component`, `API`).
    pub fn title(&self) -> &str {
        match self {
            Kind::Component => "Component",
            Kind::Api => "API",
            Kind::System => "System",
            Kind::Domain => "Domain",
            Kind::Resource => "Resource",
            Kind::Group => "Group",
            Kind::User => "User",
            Kind::Location => "Location",
            Kind::Template => "Template",
            Kind::Other(s) => s,
        }
    }
}

/// Backstage's well-known relations, each with its inverse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum RelationKind {
    OwnedBy,
    OwnerOf,
    PartOf,
    HasPart,
    DependsOn,
    DependencyOf,
    ProvidesApi,
    ApiProvidedBy,
    ConsumesApi,
    ApiConsumedBy,
    MemberOf,
    HasMember,
    ParentOf,
    ChildOf,
}

impl RelationKind {
    pub(crate) fn inverse(self) -> RelationKind {
        use RelationKind::*;
        match self {
            OwnedBy => OwnerOf,
            OwnerOf => OwnedBy,
            PartOf => HasPart,
            HasPart => PartOf,
            DependsOn => DependencyOf,
            DependencyOf => DependsOn,
            ProvidesApi => ApiProvidedBy,
            ApiProvidedBy => ProvidesApi,
            ConsumesApi => ApiConsumedBy,
            ApiConsumedBy => ConsumesApi,
            MemberOf => HasMember,
            HasMember => MemberOf,
            ParentOf => ChildOf,
            ChildOf => ParentOf,
        }
    }

    /// Backstage's name for it (`ownedBy`), as the API's `relations[].type` spells it.
    pub fn name(self) -> &'static str {
        use RelationKind::*;
        match self {
            OwnedBy => "ownedBy",
            OwnerOf => "ownerOf",
            PartOf => "partOf",
            HasPart => "hasPart",
            DependsOn => "dependsOn",
            DependencyOf => "dependencyOf",
            ProvidesApi => "providesApi",
            ApiProvidedBy => "apiProvidedBy",
            ConsumesApi => "consumesApi",
            ApiConsumedBy => "apiConsumedBy",
            MemberOf => "memberOf",
            HasMember => "hasMember",
            ParentOf => "parentOf",
            ChildOf => "childOf",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub kind: RelationKind,
    pub target: End,
}

/// The other end of a derived relation: an entity of the catalog, by its index in
/// [`CatalogState::entities`] (a 22,000-entity catalog derives about 110,000 relations; an
/// index spares each its own copy of a ref), or a ref the catalog does not hold (a dangling
/// ref, kept on the side that wrote it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    Entity(u32),
    /// Shared by every relation that names the same missing ref.
    Missing(Arc<str>),
}

impl End {
    /// `target` as an end: its index when the catalog holds it, else the missing ref as
    /// `missing` holds it.
    fn of(
        target: &str,
        index: &HashMap<String, usize>,
        missing: &BTreeMap<Arc<str>, Named>,
    ) -> End {
        match index.get(target).and_then(|i| u32::try_from(*i).ok()) {
            Some(i) => End::Entity(i),
            None => End::Missing(
                missing
                    .get_key_value(target)
                    .map_or_else(|| Arc::from(target), |(k, _)| Arc::clone(k)),
            ),
        }
    }

    fn at(i: usize) -> End {
        End::Entity(u32::try_from(i).unwrap_or(u32::MAX))
    }
}

/// A `metadata.links` entry: a bookmark, never a join key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub url: String,
    pub title: Option<String>,
}

/// `spec.profile` of a Group or User.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub display_name: Option<String>,
    pub email: Option<String>,
}

/// The spec fields the cockpit reads, every ref already canonical (`group:default/team-a`).
/// What most entities write is inline; the rest is boxed, so a Component that writes none of
/// it carries 8 bytes for it, not 240 (20,000 services: 5 MB). Saved and restored in the
/// flat shape [`SpecFields`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "SpecFields", into = "SpecFields")]
pub struct Spec {
    pub spec_type: Option<String>,
    pub lifecycle: Option<String>,
    pub owner: Option<String>,
    pub system: Option<String>,
    pub depends_on: Vec<String>,
    pub member_of: Vec<String>,
    pub profile: Option<Profile>,
    /// `None` when every field of it is empty (as [`Spec::from`] a [`SpecFields`] leaves
    /// it); read through [`Spec::more`].
    pub more: Option<Box<SpecMore>>,
}

/// The spec fields fewer entities write: Systems, Domains, Groups, APIs' providers and
/// consumers, Locations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpecMore {
    pub domain: Option<String>,
    pub subcomponent_of: Option<String>,
    pub subdomain_of: Option<String>,
    pub parent: Option<String>,
    pub children: Vec<String>,
    pub members: Vec<String>,
    pub provides_apis: Vec<String>,
    pub consumes_apis: Vec<String>,
    pub dependency_of: Vec<String>,
    /// A Location's `target` and `targets`, as written.
    pub targets: Vec<String>,
}

impl SpecMore {
    fn is_empty(&self) -> bool {
        *self == SPEC_MORE_NONE
    }
}

static SPEC_MORE_NONE: SpecMore = SpecMore {
    domain: None,
    subcomponent_of: None,
    subdomain_of: None,
    parent: None,
    children: Vec::new(),
    members: Vec::new(),
    provides_apis: Vec::new(),
    consumes_apis: Vec::new(),
    dependency_of: Vec::new(),
    targets: Vec::new(),
};

impl Spec {
    /// The fields fewer entities write; all empty when this one writes none.
    pub fn more(&self) -> &SpecMore {
        self.more.as_deref().unwrap_or(&SPEC_MORE_NONE)
    }
}

/// Every spec field the cockpit reads, flat: how a decoder builds a [`Spec`], and how a
/// snapshot holds one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecFields {
    pub spec_type: Option<String>,
    pub lifecycle: Option<String>,
    pub owner: Option<String>,
    pub system: Option<String>,
    pub domain: Option<String>,
    pub subcomponent_of: Option<String>,
    pub subdomain_of: Option<String>,
    pub parent: Option<String>,
    pub children: Vec<String>,
    pub members: Vec<String>,
    pub member_of: Vec<String>,
    pub provides_apis: Vec<String>,
    pub consumes_apis: Vec<String>,
    pub depends_on: Vec<String>,
    pub dependency_of: Vec<String>,
    pub profile: Option<Profile>,
    /// A Location's `target` and `targets`, as written.
    pub targets: Vec<String>,
}

impl From<SpecFields> for Spec {
    fn from(f: SpecFields) -> Spec {
        let more = SpecMore {
            domain: f.domain,
            subcomponent_of: f.subcomponent_of,
            subdomain_of: f.subdomain_of,
            parent: f.parent,
            children: f.children,
            members: f.members,
            provides_apis: f.provides_apis,
            consumes_apis: f.consumes_apis,
            dependency_of: f.dependency_of,
            targets: f.targets,
        };
        Spec {
            spec_type: f.spec_type,
            lifecycle: f.lifecycle,
            owner: f.owner,
            system: f.system,
            depends_on: f.depends_on,
            member_of: f.member_of,
            profile: f.profile,
            more: (!more.is_empty()).then(|| Box::new(more)),
        }
    }
}

impl From<Spec> for SpecFields {
    fn from(s: Spec) -> SpecFields {
        let more = s.more.map(|m| *m).unwrap_or_default();
        SpecFields {
            spec_type: s.spec_type,
            lifecycle: s.lifecycle,
            owner: s.owner,
            system: s.system,
            domain: more.domain,
            subcomponent_of: more.subcomponent_of,
            subdomain_of: more.subdomain_of,
            parent: more.parent,
            children: more.children,
            members: more.members,
            member_of: s.member_of,
            provides_apis: more.provides_apis,
            consumes_apis: more.consumes_apis,
            depends_on: s.depends_on,
            dependency_of: more.dependency_of,
            profile: s.profile,
            targets: more.targets,
        }
    }
}

/// A place in a file: `path:line:column`, 1-based.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Place {
    /// Shared by every entity and problem of one file (a 20,000-entity file is one path).
    pub path: Arc<str>,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path, self.line, self.column)
    }
}

/// The keys a problem can point at ([`EntityOrigin::place_of`]'s callers): the spec's
/// references and targets, `spec` itself, and the metadata read.
pub const POINTED_AT: &[&str] = &[
    "spec",
    "metadata.name",
    "metadata.annotations",
    "metadata.links",
    "owner",
    "system",
    "domain",
    "subcomponentOf",
    "subdomainOf",
    "parent",
    "children",
    "members",
    "memberOf",
    "providesApis",
    "consumesApis",
    "dependsOn",
    "dependencyOf",
    "target",
    "targets",
];

/// Where in its file each key of [`POINTED_AT`] an entity has was written: (key's index,
/// line, column). Every entity of a 22,000-entity catalog holds one, so it is a short
/// slice (about 100 bytes) rather than a map of owned keys (about 600). Saved as a map
/// from key to `[line, column]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldLines(Box<[(u8, u32, u32)]>);

impl FieldLines {
    /// Line and column of `field`, when it is one of [`POINTED_AT`] and was written.
    pub fn get(&self, field: &str) -> Option<(u32, u32)> {
        let at = POINTED_AT.iter().position(|k| *k == field)?;
        self.0
            .iter()
            .find(|(k, _, _)| usize::from(*k) == at)
            .map(|(_, line, column)| (*line, *column))
    }
}

/// The first place of each key of [`POINTED_AT`]; other keys are dropped.
impl<S: AsRef<str>> FromIterator<(S, (u32, u32))> for FieldLines {
    fn from_iter<I: IntoIterator<Item = (S, (u32, u32))>>(iter: I) -> Self {
        let mut out: Vec<(u8, u32, u32)> = Vec::new();
        for (key, (line, column)) in iter {
            let Some(at) = POINTED_AT.iter().position(|k| *k == key.as_ref()) else {
                continue;
            };
            let Ok(at) = u8::try_from(at) else { continue };
            if !out.iter().any(|(k, _, _)| *k == at) {
                out.push((at, line, column));
            }
        }
        FieldLines(out.into_boxed_slice())
    }
}

impl Serialize for FieldLines {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().filter_map(|(k, line, column)| {
            POINTED_AT
                .get(usize::from(*k))
                .map(|key| (*key, (*line, *column)))
        }))
    }
}

impl<'de> Deserialize<'de> for FieldLines {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, (u32, u32)>::deserialize(deserializer)?;
        Ok(map.into_iter().collect())
    }
}

/// Where an entity came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntityOrigin {
    /// A descriptor document on disk; the place of its first line, and of the spec keys that
    /// hold references, so a dangling ref names the line that made it.
    File {
        place: Place,
        field_lines: FieldLines,
    },
    /// The Backstage catalog API at this base URL.
    Backstage { url: String },
    /// A `[[services]]` entry of the config.
    Config { path: String },
}

impl EntityOrigin {
    /// Where a field of the entity was written, as precisely as known.
    pub fn place_of(&self, field: &str) -> Option<Place> {
        match self {
            EntityOrigin::File { place, field_lines } => {
                let (line, column) = field_lines.get(field).unwrap_or((place.line, place.column));
                Some(Place {
                    line,
                    column,
                    path: place.path.clone(),
                })
            }
            EntityOrigin::Backstage { .. } | EntityOrigin::Config { .. } => None,
        }
    }

    /// A short label for the Service screen: `catalog-info.yaml:12`, `backstage`, `config`.
    pub fn label(&self) -> String {
        match self {
            EntityOrigin::File { place, .. } => format!("{}:{}", place.path, place.line),
            EntityOrigin::Backstage { url } => format!("Backstage {url}"),
            EntityOrigin::Config { path } => format!("[[services]] in {path}"),
        }
    }
}

/// `metadata.annotations`: key and value, sorted by key, each key once. A short sorted slice
/// rather than a `BTreeMap`, whose first node is about 540 bytes however few keys it holds:
/// 20,000 entities of one or two annotations each held 11 MB of mostly empty nodes. Read,
/// saved and restored as a map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotations(Box<[(String, String)]>);

impl Annotations {
    pub fn get(&self, key: &str) -> Option<&String> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(key))
            .ok()
            .and_then(|i| self.0.get(i))
            .map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// In key order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| k)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// As a map does: sorted by key, and of a key given twice the last value is kept.
impl FromIterator<(String, String)> for Annotations {
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let mut pairs: Vec<(String, String)> = iter.into_iter().collect();
        // Stable, so equal keys stay in the order given and the last one can win.
        pairs.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(String, String)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match out.last_mut() {
                Some(last) if last.0 == pair.0 => *last = pair,
                _ => out.push(pair),
            }
        }
        Annotations(out.into_boxed_slice())
    }
}

impl From<BTreeMap<String, String>> for Annotations {
    fn from(map: BTreeMap<String, String>) -> Self {
        Annotations(map.into_iter().collect::<Vec<_>>().into_boxed_slice())
    }
}

impl<const N: usize> From<[(String, String); N]> for Annotations {
    fn from(pairs: [(String, String); N]) -> Self {
        pairs.into_iter().collect()
    }
}

impl<'a> IntoIterator for &'a Annotations {
    type Item = (&'a String, &'a String);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, String)>,
        fn(&'a (String, String)) -> (&'a String, &'a String),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl Serialize for Annotations {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

impl<'de> Deserialize<'de> for Annotations {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        BTreeMap::<String, String>::deserialize(deserializer).map(Annotations::from)
    }
}

/// One catalog entity, decoded and sanitised by its provider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    pub kind: Kind,
    /// As written (display); refs use the lower-cased form.
    pub namespace: String,
    pub name: String,
    /// `kind:namespace/name`, lower-case: the join key.
    pub entity_ref: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub annotations: Annotations,
    pub tags: Vec<String>,
    pub links: Vec<Link>,
    pub spec: Spec,
    /// Where the service's docs are on disk, found by the provider beside the descriptor.
    pub docs_dir: Option<String>,
    pub origin: EntityOrigin,
}

impl Entity {
    /// `title`, else the name.
    pub fn display_name(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ProblemLevel {
    /// The entity was not loaded, or is invalid as Backstage sees it.
    Error,
    /// The entity loaded, but something in it points nowhere or is ignored.
    Warning,
}

/// Something wrong with a descriptor: where, which entity, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Problem {
    pub place: Option<Place>,
    pub level: ProblemLevel,
    /// The entity's ref, when it got that far.
    pub entity: Option<String>,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(place) = &self.place {
            write!(f, "{place}: ")?;
        }
        if let Some(e) = &self.entity {
            write!(f, "{e}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// Which provider a batch of entities came from; each replaces only its own batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Origin {
    /// Descriptors on disk and `[[services]]`.
    Files,
    Backstage,
}

/// What one origin last sent. Its entities are the very ones the merged catalog holds
/// (shared, not copied): a 22,000-entity catalog is in memory once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub entities: Vec<Arc<Entity>>,
    pub problems: Vec<Problem>,
    pub fetched_at: DateTime<Utc>,
}

/// Who the user is, and how that was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub user: String,
    pub how: IdentitySource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdentitySource {
    /// `[general] me`.
    Configured,
    /// The git config's `user.email` matched a User's `spec.profile.email`.
    GitEmail,
}

/// What the cockpit knows about the catalog.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CatalogState {
    pub batches: BTreeMap<Origin, Batch>,
    /// Every entity of every origin, merged (first origin wins a duplicate), sorted by ref;
    /// shared with the batches they came in.
    pub entities: Vec<Arc<Entity>>,
    /// The relations derived for each entity of `entities` (same index), sorted: kept apart
    /// so the entity itself stays the one its batch holds.
    pub relations: Vec<Vec<Relation>>,
    index: HashMap<String, usize>,
    /// Entities defined more than once, as the merge finds them; shared with `problems`.
    defined_twice: Vec<Arc<Problem>>,
    /// Every ref a spec names that the catalog does not hold, with who names it and the one
    /// problem that says so: 20,000 services that name 25 missing Groups are 25 problems,
    /// not 20,000, and an edit redoes only the refs its entities named before and after.
    missing: BTreeMap<Arc<str>, Named>,
    /// Refs defined more than once (in one origin or across them): which definition wins is
    /// decided by the whole merge, so a change to one of them rebuilds it.
    twice: BTreeSet<String>,
    /// Indices into `entities` of every Component, by name.
    pub components: Vec<usize>,
    /// Problems of every origin plus the dangling refs of the merged catalog, by place.
    pub problems: Vec<Arc<Problem>>,
    /// `user.email` of the git config, sent by the catalog provider.
    pub git_email: Option<String>,
    pub identity: Option<Identity>,
    /// The Groups the user belongs to: "my services" are the ones they own.
    pub my_groups: BTreeSet<String>,
    /// The targets last announced to the providers, so an unchanged catalog announces nothing.
    /// Shared with the `Effect::Targets` that announced them.
    pub announced: Option<Arc<Vec<ServiceTarget>>>,
    /// The joined Overview and the Service screen, derived from the catalog and every domain.
    pub overview: super::overview::OverviewState,
}

impl CatalogState {
    pub fn get(&self, entity_ref: &str) -> Option<&Entity> {
        self.index
            .get(entity_ref)
            .and_then(|i| self.entities.get(*i))
            .map(|e| &**e)
    }

    /// The relations derived for an entity (both ends of every spec ref), sorted; none for
    /// a ref the catalog does not hold.
    pub fn relations_of(&self, entity_ref: &str) -> &[Relation] {
        self.index
            .get(entity_ref)
            .and_then(|i| self.relations.get(*i))
            .map_or(&[], Vec::as_slice)
    }

    /// Targets of one relation kind of an entity, in a stable order.
    pub fn related<'a>(
        &'a self,
        entity_ref: &str,
        kind: RelationKind,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.relations_of(entity_ref)
            .iter()
            .filter(move |r| r.kind == kind)
            .map(|r| end_ref(&self.entities, &r.target))
    }

    /// The Components, by name.
    pub fn services(&self) -> impl Iterator<Item = &Entity> {
        self.components
            .iter()
            .filter_map(|i| self.entities.get(*i))
            .map(|e| &**e)
    }

    /// The join keys of every service, for the providers.
    pub fn targets(&self) -> Vec<super::join::ServiceTarget> {
        // Sized to the services, not grown by doubling past them.
        let mut targets = Vec::with_capacity(self.components.len());
        targets.extend(self.services().map(target_of));
        targets
    }

    /// Whether `service` is owned by the user or one of the user's Groups.
    pub fn is_mine(&self, service: &Entity) -> bool {
        match (&service.spec.owner, &self.identity) {
            (Some(owner), Some(me)) => *owner == me.user || self.my_groups.contains(owner),
            _ => false,
        }
    }

    /// Merges the batches, derives relations, finds dangling refs and who the user is.
    /// `configured_me` is `[general] me`.
    pub fn rebuild(&mut self, configured_me: Option<&str>) {
        let mut entities: Vec<Arc<Entity>> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut problems: Vec<Arc<Problem>> = Vec::new();
        let mut origin_of: Vec<Origin> = Vec::new();
        let mut twice = BTreeSet::new();
        for (origin, batch) in &self.batches {
            for e in &batch.entities {
                if let Some(&i) = index.get(&e.entity_ref) {
                    twice.insert(e.entity_ref.clone());
                    // The same entity from the files and from Backstage is expected (Backstage
                    // reads those files too): the files win, being what the user edits.
                    if origin_of.get(i) != Some(origin) {
                        continue;
                    }
                    let first_at = entities
                        .get(i)
                        .map(|f| f.origin.label())
                        .unwrap_or_default();
                    problems.push(Arc::new(Problem {
                        place: e.origin.place_of("metadata.name"),
                        level: ProblemLevel::Warning,
                        entity: Some(e.entity_ref.clone()),
                        message: format!(
                            "defined again; the first definition ({first_at}) is used"
                        ),
                    }));
                    continue;
                }
                index.insert(e.entity_ref.clone(), entities.len());
                origin_of.push(*origin);
                entities.push(Arc::clone(e));
            }
        }
        entities.sort_by(|a, b| a.entity_ref.cmp(&b.entity_ref));
        index = entities
            .iter()
            .enumerate()
            .map(|(i, e)| (e.entity_ref.clone(), i))
            .collect();

        // Relations: each spec field gives one relation and its inverse on the other end,
        // as Backstage's built-in processor does. A target that is not in the catalog is a
        // dangling ref: listed, and kept on the source side so the user still sees it.
        let mut derived: Vec<Vec<Relation>> = vec![Vec::new(); entities.len()];
        let mut missing: BTreeMap<Arc<str>, Named> = BTreeMap::new();
        for (i, e) in entities.iter().enumerate() {
            for (field, kind, target) in spec_refs(e) {
                let end = match index.get(target) {
                    Some(&j) => {
                        derived[j].push(Relation {
                            kind: kind.inverse(),
                            target: End::at(i),
                        });
                        End::at(j)
                    }
                    None => End::Missing(name_missing(&mut missing, target, i, field)),
                };
                derived[i].push(Relation { kind, target: end });
            }
        }
        for rels in &mut derived {
            sort_relations(rels, &entities);
        }
        for (target, named) in &mut missing {
            named.problem = named.problem_of(target, &entities);
        }
        let mut components: Vec<usize> = (0..entities.len())
            .filter(|i| entities[*i].kind == Kind::Component)
            .collect();
        components.sort_by(|a, b| by_name(&entities[*a], &entities[*b]));

        self.entities = entities;
        self.relations = derived;
        self.index = index;
        self.components = components;
        self.defined_twice = problems;
        self.missing = missing;
        self.twice = twice;
        self.collect_problems();
        self.resolve_identity(configured_me);
    }

    /// Every origin's problems and the merge's own, by place.
    fn collect_problems(&mut self) {
        let mut problems: Vec<Arc<Problem>> = self
            .batches
            .values()
            .flat_map(|b| b.problems.iter())
            .map(|p| Arc::new(p.clone()))
            .chain(self.defined_twice.iter().cloned())
            .chain(self.missing.values().filter_map(|m| m.problem.clone()))
            .collect();
        problems.sort();
        problems.dedup();
        self.problems = problems;
    }

    /// Puts `batch` in place of what `origin` last sent and says what that changed. When the
    /// batch holds the same entities in the same order (a re-read descriptor file, an edited
    /// entity), only the changed entities are replaced and only their relations and the
    /// relations of what they point at (before and after) are derived again: an edit in a
    /// 20,000-entity catalog costs one pass comparing the batches, not a merge. Entities that
    /// came, went or are defined twice merge the whole catalog again. The batch replaced is
    /// handed back, for the caller to free off the loop.
    pub fn replace(
        &mut self,
        origin: Origin,
        batch: Batch,
        configured_me: Option<&str>,
    ) -> (Touched, Option<Batch>) {
        let changed: Option<Vec<usize>> = self.batches.get(&origin).and_then(|old| {
            (old.entities.len() == batch.entities.len()).then_some(())?;
            let mut changed = Vec::new();
            for (i, (o, n)) in old.entities.iter().zip(&batch.entities).enumerate() {
                if o.entity_ref != n.entity_ref {
                    return None;
                }
                if !Arc::ptr_eq(o, n) && o != n {
                    if self.twice.contains(&n.entity_ref) || !self.index.contains_key(&n.entity_ref)
                    {
                        return None;
                    }
                    changed.push(i);
                }
            }
            Some(changed)
        });
        let problems_moved = self
            .batches
            .get(&origin)
            .is_none_or(|old| old.problems != batch.problems);
        let Some(changed) = changed else {
            let old = self.batches.insert(origin, batch);
            self.rebuild(configured_me);
            return (Touched::All, old);
        };
        if changed.is_empty() {
            self.adopt(origin, &batch);
            let old = self.batches.insert(origin, batch);
            if problems_moved {
                self.collect_problems();
                return (Touched::Some(BTreeSet::new()), old);
            }
            return (Touched::Nothing, old);
        }
        let before = (self.identity.clone(), self.my_groups.clone());
        let new: Vec<&Arc<Entity>> = changed
            .iter()
            .filter_map(|i| batch.entities.get(*i))
            .collect();
        let changed_at: BTreeSet<usize> = new
            .iter()
            .filter_map(|e| self.index.get(&e.entity_ref).copied())
            .collect();
        // Whose relations to derive again: the changed entities and every entity they point
        // at, before and after. Each keeps, as candidates for who refers to it, the ends of
        // its relations now (every referrer put an inverse there) and the changed entities.
        let mut touched: BTreeSet<usize> = changed_at.clone();
        for e in &new {
            let old = self.get(&e.entity_ref);
            let targets = old
                .into_iter()
                .flat_map(spec_refs)
                .chain(spec_refs(e))
                .filter_map(|(_, _, target)| self.index.get(target).copied());
            touched.extend(targets);
        }
        let candidates: Vec<(usize, BTreeSet<usize>)> = touched
            .iter()
            .map(|&x| {
                let mut from: BTreeSet<usize> = changed_at.clone();
                if let Some(rels) = self.relations.get(x) {
                    from.extend(rels.iter().filter_map(|r| match r.target {
                        End::Entity(i) => usize::try_from(i).ok(),
                        End::Missing(_) => None,
                    }));
                }
                (x, from)
            })
            .collect();
        // The missing refs the changed entities named, before and after: only theirs move.
        let mut moved_missing: BTreeSet<Arc<str>> = changed_at
            .iter()
            .filter_map(|i| self.entities.get(*i))
            .flat_map(|old| spec_refs(old))
            .filter_map(|(_, _, target)| self.missing.get_key_value(target))
            .map(|(key, _)| Arc::clone(key))
            .collect();
        for target in &moved_missing {
            if let Some(named) = self.missing.get_mut(target) {
                named
                    .by
                    .retain(|(j, _)| !changed_at.contains(&(*j as usize)));
            }
        }
        let mut renamed = false;
        for e in &new {
            if let Some(&i) = self.index.get(&e.entity_ref)
                && let Some(slot) = self.entities.get_mut(i)
            {
                renamed |= slot.name != e.name;
                *slot = Arc::clone(e);
                for (field, _, target) in spec_refs(e) {
                    if !self.index.contains_key(target) {
                        moved_missing.insert(name_missing(&mut self.missing, target, i, field));
                    }
                }
            }
        }
        for target in &moved_missing {
            match self.missing.get_mut(target) {
                Some(named) if !named.by.is_empty() => {
                    named.by.sort_unstable();
                    named.by.dedup();
                    named.problem = named.problem_of(target, &self.entities);
                }
                _ => {
                    self.missing.remove(target);
                }
            }
        }
        for (x, from) in candidates {
            let Some(me) = self.entities.get(x) else {
                continue;
            };
            let mut rels: Vec<Relation> = spec_refs(me)
                .into_iter()
                .map(|(_, kind, target)| Relation {
                    kind,
                    target: End::of(target, &self.index, &self.missing),
                })
                .collect();
            for y in from {
                let Some(other) = self.entities.get(y) else {
                    continue;
                };
                rels.extend(
                    spec_refs(other)
                        .into_iter()
                        .filter(|(_, _, target)| *target == me.entity_ref)
                        .map(|(_, kind, _)| Relation {
                            kind: kind.inverse(),
                            target: End::at(y),
                        }),
                );
            }
            sort_relations(&mut rels, &self.entities);
            if let Some(slot) = self.relations.get_mut(x) {
                *slot = rels;
            }
        }
        if renamed {
            let entities = &self.entities;
            self.components
                .sort_by(|a, b| by_name(&entities[*a], &entities[*b]));
        }
        let touched_refs: BTreeSet<String> = touched
            .iter()
            .filter_map(|i| self.entities.get(*i))
            .map(|e| e.entity_ref.clone())
            .collect();
        self.adopt(origin, &batch);
        let old = self.batches.insert(origin, batch);
        self.collect_problems();
        self.resolve_identity(configured_me);
        if (self.identity.clone(), self.my_groups.clone()) != before {
            // Who the user is moved: whether each service is theirs may have too.
            return (Touched::All, old);
        }
        (Touched::Some(touched_refs), old)
    }

    /// Before `batch` replaces what `origin` sent, in the same order: the merged list holds
    /// the batch's entities in place of the old batch's equal ones, so the catalog stays in
    /// memory once and the old batch, freed off the loop, takes the old copies with it.
    fn adopt(&mut self, origin: Origin, batch: &Batch) {
        let Some(old) = self.batches.get(&origin) else {
            return;
        };
        for (o, n) in old.entities.iter().zip(&batch.entities) {
            if let Some(&i) = self.index.get(&o.entity_ref)
                && let Some(slot) = self.entities.get_mut(i)
                && Arc::ptr_eq(slot, o)
            {
                *slot = Arc::clone(n);
            }
        }
    }

    /// Who the user is: `[general] me`, else the User whose profile email is the git email.
    fn resolve_identity(&mut self, configured_me: Option<&str>) {
        self.identity = match configured_me {
            Some(me) => parse_ref(me, Some("user"), "default")
                .ok()
                .map(|user| Identity {
                    user,
                    how: IdentitySource::Configured,
                }),
            None => self.git_email.as_ref().and_then(|email| {
                self.entities
                    .iter()
                    .filter(|e| e.kind == Kind::User)
                    .find(|e| {
                        e.spec
                            .profile
                            .as_ref()
                            .and_then(|p| p.email.as_deref())
                            .is_some_and(|m| m.eq_ignore_ascii_case(email.trim()))
                    })
                    .map(|e| Identity {
                        user: e.entity_ref.clone(),
                        how: IdentitySource::GitEmail,
                    })
            }),
        };
        self.my_groups = match &self.identity {
            Some(me) => self
                .get(&me.user)
                .map(|u| {
                    self.related(&u.entity_ref, RelationKind::MemberOf)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            None => BTreeSet::new(),
        };
    }

    /// Display names of a Group's members, for the Service screen.
    pub fn members_of(&self, group: &str) -> Vec<&Entity> {
        self.get(group)
            .map(|g| {
                self.related(&g.entity_ref, RelationKind::HasMember)
                    .filter_map(|m| self.get(m))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// What [`CatalogState::replace`] changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touched {
    /// Nothing: the batch is what the catalog held.
    Nothing,
    /// These entities (refs) or their relations changed, or only problems did (none named);
    /// every other entity is as it was.
    Some(BTreeSet<String>),
    /// The catalog was merged again whole.
    All,
}

/// The ref an end stands for.
fn end_ref<'a>(entities: &'a [Arc<Entity>], end: &'a End) -> &'a str {
    match end {
        End::Entity(i) => usize::try_from(*i)
            .ok()
            .and_then(|i| entities.get(i))
            .map_or("", |e| e.entity_ref.as_str()),
        End::Missing(r) => r,
    }
}

/// By kind, then by the other end's ref; each once.
fn sort_relations(rels: &mut Vec<Relation>, entities: &[Arc<Entity>]) {
    rels.sort_by(|a, b| {
        a.kind
            .cmp(&b.kind)
            .then_with(|| end_ref(entities, &a.target).cmp(end_ref(entities, &b.target)))
    });
    rels.dedup();
}

/// Who names a ref the catalog does not hold, and the problem that says so.
#[derive(Debug, Clone, Default, PartialEq)]
struct Named {
    /// (index into `entities`, the field's index in [`POINTED_AT`]), sorted.
    by: Vec<(u32, u8)>,
    /// Placed where the first of them names it.
    problem: Option<Arc<Problem>>,
}

impl Named {
    fn problem_of(&self, target: &str, entities: &[Arc<Entity>]) -> Option<Arc<Problem>> {
        let &(first, field) = self.by.first()?;
        let e = entities.get(usize::try_from(first).ok()?)?;
        let field = POINTED_AT.get(usize::from(field))?;
        let mut others = self.by.iter().map(|(i, _)| *i).collect::<Vec<_>>();
        others.dedup();
        let others = others.len() - 1;
        let message = match others {
            0 => format!("{field} refers to {target}, which is not in the catalog"),
            1 => format!(
                "{field} refers to {target}, which is not in the catalog; 1 other entity refers to it too"
            ),
            n => format!(
                "{field} refers to {target}, which is not in the catalog; {n} other entities refer to it too"
            ),
        };
        Some(Arc::new(Problem {
            place: e.origin.place_of(field),
            level: ProblemLevel::Warning,
            entity: Some(e.entity_ref.clone()),
            message,
        }))
    }
}

/// Records that entity `i` names the missing `target` in `field`; the ref as the map holds it.
fn name_missing(
    missing: &mut BTreeMap<Arc<str>, Named>,
    target: &str,
    i: usize,
    field: &str,
) -> Arc<str> {
    let field = POINTED_AT
        .iter()
        .position(|k| *k == field)
        .and_then(|f| u8::try_from(f).ok())
        .unwrap_or(u8::MAX);
    let key = missing
        .get_key_value(target)
        .map_or_else(|| Arc::from(target), |(key, _)| Arc::clone(key));
    let at = u32::try_from(i).unwrap_or(u32::MAX);
    missing
        .entry(Arc::clone(&key))
        .or_default()
        .by
        .push((at, field));
    key
}

/// By name, ignoring case, without a lower-cased copy per comparison (20,000 services sort
/// in about 300,000 comparisons).
pub fn by_name(a: &Entity, b: &Entity) -> std::cmp::Ordering {
    cmp_ignore_case(&a.name, &b.name)
}

/// `a.to_lowercase().cmp(&b.to_lowercase())` for names, char by char.
pub fn cmp_ignore_case(a: &str, b: &str) -> std::cmp::Ordering {
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

/// Every reference a spec makes: (field as written, relation, target).
fn spec_refs(e: &Entity) -> Vec<(&'static str, RelationKind, &str)> {
    use RelationKind::*;
    let s = &e.spec;
    let m = s.more();
    let singles: [(&'static str, RelationKind, &Option<String>); 6] = [
        ("owner", OwnedBy, &s.owner),
        ("system", PartOf, &s.system),
        ("domain", PartOf, &m.domain),
        ("subcomponentOf", PartOf, &m.subcomponent_of),
        ("subdomainOf", PartOf, &m.subdomain_of),
        ("parent", ChildOf, &m.parent),
    ];
    let mut out: Vec<(&'static str, RelationKind, &str)> = singles
        .into_iter()
        .filter_map(|(field, kind, v)| v.as_deref().map(|t| (field, kind, t)))
        .collect();
    let lists: [(&'static str, RelationKind, &Vec<String>); 7] = [
        ("children", ParentOf, &m.children),
        ("members", HasMember, &m.members),
        ("memberOf", MemberOf, &s.member_of),
        ("providesApis", ProvidesApi, &m.provides_apis),
        ("consumesApis", ConsumesApi, &m.consumes_apis),
        ("dependsOn", DependsOn, &s.depends_on),
        ("dependencyOf", DependencyOf, &m.dependency_of),
    ];
    for (field, kind, list) in lists {
        out.extend(list.iter().map(|t| (field, kind, t.as_str())));
    }
    out
}

/// Parses `[kind:][namespace/]name` into the canonical `kind:namespace/name`, lower-case.
/// `default_kind` is what the field implies (`owner` → group); `None` means the ref must name
/// its kind, as `dependsOn` entries must.
pub fn parse_ref(
    s: &str,
    default_kind: Option<&str>,
    default_namespace: &str,
) -> Result<String, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("is empty".into());
    }
    let (kind, rest) = match s.split_once(':') {
        Some((k, rest)) if !k.contains('/') => (Some(k), rest),
        _ => (None, s),
    };
    let kind = match kind.or(default_kind) {
        Some(k) if !k.trim().is_empty() => k.trim(),
        _ => return Err(format!("`{s}` needs a kind, such as component:{s}")),
    };
    let (namespace, name) = match rest.split_once('/') {
        Some((ns, name)) => (ns.trim(), name.trim()),
        None => (default_namespace, rest.trim()),
    };
    if name.is_empty() || namespace.is_empty() || name.contains('/') {
        return Err(format!("`{s}` is not of the form [kind:][namespace/]name"));
    }
    Ok(format!("{}:{}/{}", kind, namespace, name).to_lowercase())
}

/// A ref as a person reads it: the name, with the kind when it is not the field's usual one
/// and the namespace when it is not `default`.
pub fn short_ref(entity_ref: &str, usual_kind: &str) -> String {
    let (kind, rest) = entity_ref.split_once(':').unwrap_or(("", entity_ref));
    let rest = rest.strip_prefix("default/").unwrap_or(rest);
    if kind == usual_kind || kind.is_empty() {
        rest.to_string()
    } else {
        format!("{kind}:{rest}")
    }
}

/// A Backstage entity name: 1–63 chars, `[a-zA-Z0-9]` runs joined by single `-`, `_` or `.`.
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.last().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        && !b
            .windows(2)
            .any(|w| !w[0].is_ascii_alphanumeric() && !w[1].is_ascii_alphanumeric())
}

/// Annotation keys the join reads.
pub mod annotations {
    pub const GITHUB: &str = "github.com/project-slug";
    pub const GITLAB_SLUG: &str = "gitlab.com/project-slug";
    pub const GITLAB_ID: &str = "gitlab.com/project-id";
    pub const KUBE_ID: &str = "backstage.io/kubernetes-id";
    pub const KUBE_SELECTOR: &str = "backstage.io/kubernetes-label-selector";
    pub const KUBE_NAMESPACE: &str = "backstage.io/kubernetes-namespace";
    pub const ALERTS: &str = "prometheus.io/alert";
    pub const TECHDOCS: &str = "backstage.io/techdocs-ref";
}

/// The join keys of one Component.
pub(crate) fn target_of(e: &Entity) -> ServiceTarget {
    use annotations::*;
    let kubernetes = match (e.annotation(KUBE_SELECTOR), e.annotation(KUBE_ID)) {
        (Some(sel), _) => Some(sel.trim().to_string()),
        (None, Some(id)) => Some(format!("{KUBE_ID}={}", id.trim())),
        (None, None) => None,
    }
    .map(|selector| KubeTarget {
        selector,
        namespace: e.annotation(KUBE_NAMESPACE).map(|n| n.trim().to_string()),
    });
    ServiceTarget {
        service: e.entity_ref.clone(),
        name: e.name.clone(),
        github: e.annotation(GITHUB).map(|s| s.trim().to_string()),
        gitlab: e
            .annotation(GITLAB_SLUG)
            .or_else(|| e.annotation(GITLAB_ID))
            .map(|s| s.trim().to_string()),
        kubernetes,
        alert_names: e
            .annotation(ALERTS)
            .map(|a| {
                a.split(',')
                    .map(|n| n.trim().to_string())
                    .filter(|n| !n.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        docs: e.docs_dir.as_ref().map(std::path::PathBuf::from),
        prometheus: crate::model::signals::Signal::ALL
            .iter()
            .filter_map(|s| {
                let q = e.annotation(&crate::model::signals::annotation(*s))?.trim();
                (!q.is_empty()).then(|| (s.key().to_string(), q.to_string()))
            })
            .collect(),
    }
}

/// An entity of the default namespace with nothing but its kind, name and spec, as core tests
/// build their catalogs.
#[cfg(test)]
pub(crate) fn test_entity(kind: Kind, name: &str, spec: Spec) -> Entity {
    Entity {
        entity_ref: format!("{}:default/{}", kind.as_str(), name.to_lowercase()),
        kind,
        namespace: "default".into(),
        name: name.into(),
        title: None,
        description: None,
        annotations: Annotations::default(),
        tags: vec![],
        links: vec![],
        spec,
        docs_dir: None,
        origin: EntityOrigin::Config {
            path: "the config".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[test]
    fn annotations_read_like_the_map_they_were_written_as() {
        let pairs = [
            ("b/two", "first"),
            ("a/one", "1"),
            ("c/three", "3"),
            ("b/two", "second"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()));
        let map: BTreeMap<String, String> = pairs.clone().into_iter().collect();
        let annotations: Annotations = pairs.into_iter().collect();
        assert_eq!(
            annotations.iter().collect::<Vec<_>>(),
            map.iter().collect::<Vec<_>>(),
            "sorted by key, and the last of a key given twice kept"
        );
        assert_eq!(annotations, Annotations::from(map.clone()));
        for key in ["a/one", "b/two", "c/three", "d/four", ""] {
            assert_eq!(annotations.get(key), map.get(key), "{key}");
        }
        let saved = serde_json::to_string(&annotations).expect("annotations serialise");
        assert_eq!(
            saved,
            serde_json::to_string(&map).expect("a map serialises"),
            "saved as the map"
        );
        let restored: Annotations = serde_json::from_str(&saved).expect("restored");
        assert_eq!(restored, annotations);
    }

    #[test]
    fn a_services_own_promql_comes_from_its_annotations() {
        let e = Entity {
            kind: Kind::Component,
            namespace: "default".into(),
            name: "ledger".into(),
            entity_ref: "component:default/ledger".into(),
            title: None,
            description: None,
            annotations: [
                (
                    "flightdeck.dev/prometheus-request-rate".to_string(),
                    " sum(rate(ledger_http_total{$selector}[$window])) ".to_string(),
                ),
                (
                    "flightdeck.dev/prometheus-error-ratio".to_string(),
                    " ".to_string(),
                ),
                (
                    "flightdeck.dev/prometheus-nonsense".to_string(),
                    "up".to_string(),
                ),
            ]
            .into(),
            tags: vec![],
            links: vec![],
            spec: Spec::default(),
            docs_dir: None,
            origin: EntityOrigin::Backstage { url: "x".into() },
        };
        assert_eq!(
            target_of(&e).prometheus,
            [(
                "request_rate".to_string(),
                "sum(rate(ledger_http_total{$selector}[$window]))".to_string()
            )],
            "a blank annotation and an unknown signal are ignored"
        );
    }

    use super::test_entity as entity;

    fn service(name: &str, owner: &str, depends_on: &[&str]) -> Entity {
        entity(
            Kind::Component,
            name,
            Spec {
                owner: Some(format!("group:default/{owner}")),
                depends_on: depends_on
                    .iter()
                    .map(|d| format!("component:default/{d}"))
                    .collect(),
                ..Spec::default()
            },
        )
    }

    fn batch(entities: Vec<Entity>) -> Batch {
        Batch {
            entities: entities.into_iter().map(Arc::new).collect(),
            problems: vec![],
            fetched_at: DateTime::<Utc>::UNIX_EPOCH,
        }
    }

    /// An edit applied in place leaves the catalog exactly as a merge from nothing makes it:
    /// the entity, the relations at both ends (old and new), dangling refs, the service order.
    #[test]
    fn an_edit_in_place_is_the_same_catalog_as_a_whole_merge() {
        let group = |n: &str| entity(Kind::Group, n, Spec::default());
        let base = vec![
            group("team-a"),
            group("team-b"),
            service("a", "team-a", &["b"]),
            service("b", "team-a", &[]),
            service("c", "team-b", &["a", "b"]),
            service("d", "team-b", &["nowhere"]),
            service("e", "team-b", &["nowhere"]),
        ];
        let edits: Vec<(&str, Entity)> = vec![
            ("c points nowhere too", service("c", "team-b", &["nowhere"])),
            ("e's owner is missing", service("e", "team-z", &["nowhere"])),
            (
                "a depends on c instead of b",
                service("a", "team-a", &["c"]),
            ),
            ("b moves to team-b", service("b", "team-b", &[])),
            ("c depends on nothing", service("c", "team-b", &[])),
            ("d's dangling ref is mended", service("d", "team-b", &["a"])),
            ("a points nowhere", service("a", "team-a", &["gone"])),
            ("b is renamed in case", {
                let mut e = service("b", "team-a", &[]);
                e.name = "B".into();
                e
            }),
        ];
        for (what, edited) in edits {
            let mut state = CatalogState::default();
            assert_eq!(
                state.replace(Origin::Files, batch(base.clone()), None).0,
                Touched::All
            );
            let mut next = base.clone();
            let at = next
                .iter()
                .position(|e| e.entity_ref == edited.entity_ref)
                .expect("the edited entity is in the base");
            next[at] = edited;
            let (touched, _) = state.replace(Origin::Files, batch(next.clone()), None);
            let Touched::Some(refs) = touched else {
                panic!("{what}: an edit in place, not {touched:?}");
            };
            assert!(refs.len() < base.len(), "{what}: touched {refs:?}");
            let mut whole = CatalogState::default();
            whole.batches.insert(Origin::Files, batch(next));
            whole.rebuild(None);
            assert_eq!(state.entities, whole.entities, "{what}");
            assert_eq!(state.relations, whole.relations, "{what}");
            assert_eq!(state.problems, whole.problems, "{what}");
            assert_eq!(state.components, whole.components, "{what}");
        }
    }

    /// The boxed part of a spec is there only when written, and the saved shape is the flat
    /// one either way, so a snapshot reads back the spec it held.
    #[test]
    fn a_spec_keeps_its_rarer_fields_apart_and_saves_flat() {
        let plain = Spec::from(SpecFields {
            owner: Some("group:default/team-a".into()),
            depends_on: vec!["component:default/b".into()],
            ..SpecFields::default()
        });
        assert!(plain.more.is_none());
        assert_eq!(plain.more(), &SpecMore::default());
        let group = Spec::from(SpecFields {
            parent: Some("group:default/org".into()),
            children: vec!["group:default/team-b".into()],
            ..SpecFields::default()
        });
        assert_eq!(group.more().children, ["group:default/team-b"]);
        for spec in [plain, group] {
            let json = serde_json::to_value(&spec).expect("a spec serialises");
            let flat =
                serde_json::to_value(SpecFields::from(spec.clone())).expect("its fields serialise");
            assert_eq!(json, flat);
            let back: Spec = serde_json::from_value(json).expect("and reads back");
            assert_eq!(back, spec);
        }
    }

    /// A ref many entities name is one problem, placed where the first names it, saying how
    /// many more do; a ref one entity names says just that.
    #[test]
    fn a_missing_ref_named_by_many_entities_is_one_problem() {
        let mut services: Vec<Entity> = (0..20)
            .map(|i| service(&format!("s{i:02}"), "ghosts", &[]))
            .collect();
        services.push(service("lonely", "team-a", &["nowhere"]));
        services.push(entity(Kind::Group, "team-a", Spec::default()));
        let mut state = CatalogState::default();
        state.replace(Origin::Files, batch(services), None);
        let messages: Vec<String> = state.problems.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            messages,
            [
                "component:default/lonely: dependsOn refers to component:default/nowhere, \
                 which is not in the catalog",
                "component:default/s00: owner refers to group:default/ghosts, which is not in \
                 the catalog; 19 other entities refer to it too",
            ]
        );
        // Every one of them still shows the missing owner on its own side.
        let missing_owners = state
            .components
            .iter()
            .filter(|i| {
                state.relations[**i].iter().any(|r| {
                    r.kind == RelationKind::OwnedBy
                        && r.target == End::Missing("group:default/ghosts".into())
                })
            })
            .count();
        assert_eq!(missing_owners, 20);
    }

    #[test]
    fn entities_that_come_go_or_are_defined_twice_merge_again() {
        let base = vec![service("a", "t", &[]), service("b", "t", &[])];
        let mut state = CatalogState::default();
        state.replace(Origin::Files, batch(base.clone()), None);
        assert_eq!(
            state.replace(Origin::Files, batch(base.clone()), None).0,
            Touched::Nothing
        );
        let fewer = vec![service("a", "t", &[])];
        assert_eq!(
            state.replace(Origin::Files, batch(fewer), None).0,
            Touched::All
        );
        let twice = vec![service("a", "t", &[]), service("a", "u", &[])];
        state.replace(Origin::Files, batch(twice), None);
        let edited = vec![service("a", "t", &["b"]), service("a", "u", &[])];
        assert_eq!(
            state.replace(Origin::Files, batch(edited), None).0,
            Touched::All
        );
    }

    #[test]
    fn field_lines_keep_the_first_place_of_each_key_pointed_at_and_save_as_a_map() {
        let lines: FieldLines = [
            ("owner", (3, 3)),
            ("type", (4, 3)),
            ("owner", (9, 3)),
            ("metadata.name", (2, 3)),
        ]
        .into_iter()
        .collect();
        assert_eq!(lines.get("owner"), Some((3, 3)), "the first place wins");
        assert_eq!(lines.get("metadata.name"), Some((2, 3)));
        assert_eq!(lines.get("type"), None, "no problem points at it");
        let saved = serde_json::to_value(&lines).expect("serialises");
        assert_eq!(
            saved,
            serde_json::json!({ "owner": [3, 3], "metadata.name": [2, 3] })
        );
        let back: FieldLines = serde_json::from_value(saved).expect("reads back");
        assert_eq!(back.get("owner"), Some((3, 3)));
        assert_eq!(back.get("metadata.name"), Some((2, 3)));
    }

    #[rstest]
    #[case("team-a", Some("group"), "default", Ok("group:default/team-a"))]
    #[case(
        "group:team-extensibility",
        Some("group"),
        "default",
        Ok("group:default/team-extensibility")
    )]
    #[case("User:Ops/JDoe", Some("group"), "default", Ok("user:ops/jdoe"))]
    #[case("artists", Some("domain"), "music", Ok("domain:music/artists"))]
    #[case(
        "resource:artists-db",
        None,
        "default",
        Ok("resource:default/artists-db")
    )]
    #[case("artists-db", None, "default", Err(()))]
    #[case("", Some("group"), "default", Err(()))]
    #[case("group:a/b/c", Some("group"), "default", Err(()))]
    fn refs_are_canonical(
        #[case] input: &str,
        #[case] kind: Option<&str>,
        #[case] ns: &str,
        #[case] expected: Result<&str, ()>,
    ) {
        assert_eq!(
            parse_ref(input, kind, ns).map_err(|_| ()),
            expected.map(str::to_string)
        );
    }

    #[rstest]
    #[case("XBlock", true)]
    #[case("a.b_c-d", true)]
    #[case("-a", false)]
    #[case("a--b", false)]
    #[case("", false)]
    #[case("has space", false)]
    fn names(#[case] name: &str, #[case] ok: bool) {
        assert_eq!(valid_name(name), ok);
    }

    #[test]
    fn short_refs_drop_what_is_implied() {
        assert_eq!(short_ref("group:default/team-a", "group"), "team-a");
        assert_eq!(short_ref("user:default/jdoe", "group"), "user:jdoe");
        assert_eq!(short_ref("group:ops/sre", "group"), "ops/sre");
    }
}
