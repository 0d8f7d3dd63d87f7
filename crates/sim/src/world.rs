//! The simulated organisation's story: who works here, what they run, and what happens to it over
//! time. Every protocol server derives what it serves from this one world, so GitHub's deploys,
//! Kubernetes' pods and Alertmanager's alerts tell the same story for the same seed and instant.
//!
//! Time is the world's only input besides the seed: everything here is a pure function of
//! `(seed, story time)`, and story time starts at the fixed [`epoch`] so a seed always tells the
//! same story. `SimClock` is the one place story time meets the wall: it runs the story `speed`
//! times faster than the wall and maps story times to wall times for serving, so nothing served
//! lies in the wall clock's future. State that users change (re-runs, silences, scaling) lives
//! in each protocol's own overlay.

use std::time::Instant;

use chrono::{DateTime, Duration, DurationRound, TimeZone, Utc};

pub mod history;

/// Where story time starts. Fixed, so the same seed tells the same story; the clock maps it to
/// the wall moment the sim started.
pub fn epoch() -> DateTime<Utc> {
    *EPOCH.get_or_init(|| {
        Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
            .single()
            .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
    })
}

static EPOCH: std::sync::OnceLock<DateTime<Utc>> = std::sync::OnceLock::new();

/// One story cycle: a bad deploy, the crash, the page, the fix. Repeats so a demo keeps moving.
pub const CYCLE: Duration = Duration::minutes(30);
/// Offsets inside a cycle, in sim time.
pub const BAD_DEPLOY_STARTS: Duration = Duration::minutes(2);
pub const BAD_DEPLOY_LANDS: Duration = Duration::minutes(5);
pub const ALERT_FIRES: Duration = Duration::minutes(6);
pub const FIX_DEPLOY_STARTS: Duration = Duration::minutes(16);
pub const FIX_DEPLOY_LANDS: Duration = Duration::minutes(20);
pub const ALERT_RESOLVES: Duration = Duration::minutes(21);
/// How much recent history exists before sim time zero (CI runs and the cycles' deploys); the
/// ninety days of delivery history before it are in [`history`].
pub const HISTORY: Duration = Duration::hours(6);
/// A CI run on main per service every this long, offset per service.
pub const CI_EVERY: Duration = Duration::minutes(12);

/// Knobs of the world. The same `SimConfig` gives the same world.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub seed: u64,
    /// Sim seconds per wall-clock second.
    pub speed: f64,
    /// How many services (Components); the named core twelve come first.
    pub services: usize,
    /// Pods per service (the replica count of each Deployment).
    pub pods_per_service: usize,
    /// Serve a second Kubernetes cluster, the kubeconfig's `flightdeck-sim-west` context
    /// (`flightdeck sim` does): the storefront system alone, so switching context shows
    /// something else. Off by default, so tests and the demo see one cluster.
    pub second_cluster: bool,
    /// Open issues filed on each GitHub-hosted service beyond its story's backlog (none by
    /// default), so a repository's issue list can run past GitHub's 100 a page.
    pub issue_backlog: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            seed: 7,
            speed: 10.0,
            services: 12,
            pods_per_service: 3,
            second_cluster: false,
            issue_backlog: 0,
        }
    }
}

/// The sim's only clock. The story runs `speed` times faster than the wall, starting at
/// [`epoch`] when the clock is made; what the sim serves is on the wall's time line, so the
/// story's six hours of history appear as 36 minutes at ten times speed and a five-minute run
/// lasts 30 s. Times clients send (a silence's end) are wall times too.
#[derive(Debug, Clone)]
pub struct SimClock {
    started: Instant,
    /// The wall time the story's epoch maps to: when the clock was made.
    anchor: DateTime<Utc>,
    speed: f64,
}

impl SimClock {
    pub fn new(speed: f64) -> Self {
        let now = Utc::now();
        Self {
            started: Instant::now(),
            anchor: now.duration_trunc(Duration::milliseconds(1)).unwrap_or(now),
            speed: speed.max(0.0),
        }
    }

    /// Story time since the epoch.
    pub fn elapsed(&self) -> Duration {
        let ms = self.started.elapsed().as_secs_f64() * self.speed * 1000.0;
        Duration::milliseconds(ms.floor() as i64)
    }

    /// Story time now: what the world is asked about.
    pub fn story_now(&self) -> DateTime<Utc> {
        epoch() + self.elapsed()
    }

    /// Wall time now, which clients' times are judged by: the wall clock itself (never before
    /// the story's present mapped to the wall), or, for a frozen story, the moment it froze at.
    pub fn now(&self) -> DateTime<Utc> {
        if self.speed > 0.0 {
            let now = Utc::now();
            now.duration_trunc(Duration::milliseconds(1)).unwrap_or(now)
        } else {
            self.anchor
        }
    }

    /// The wall time a story time is served as. Rounds down, so the story's present is never
    /// served after the wall's.
    pub fn wall(&self, story: DateTime<Utc>) -> DateTime<Utc> {
        let ms = (story - epoch()).num_milliseconds() as f64 / self.rate();
        self.anchor + Duration::milliseconds(ms.floor() as i64)
    }

    /// The story time a wall time (a client's) stands for.
    pub fn story(&self, wall: DateTime<Utc>) -> DateTime<Utc> {
        let ms = (wall - self.anchor).num_milliseconds() as f64 * self.rate();
        epoch() + Duration::milliseconds(ms.floor() as i64)
    }

    /// A span of story time as it passes on the wall.
    pub fn wall_span(&self, story: Duration) -> Duration {
        Duration::milliseconds((story.num_milliseconds() as f64 / self.rate()).floor() as i64)
    }

    /// A span of wall time in story time.
    pub fn story_span(&self, wall: Duration) -> Duration {
        Duration::milliseconds((wall.num_milliseconds() as f64 * self.rate()).floor() as i64)
    }

    /// Story seconds per wall second.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// The mapping's rate: a frozen story (speed 0) still maps one to one, so its past stays
    /// in the wall's past.
    fn rate(&self) -> f64 {
        if self.speed > 0.0 { self.speed } else { 1.0 }
    }
}

/// SplitMix64: tiny, fast and stable across crate versions, which a seeded world needs.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A deterministic value from the seed and any number of keys.
pub fn hash(seed: u64, keys: &[u64]) -> u64 {
    keys.iter().fold(mix(seed), |acc, k| mix(acc ^ k))
}

pub fn hash_str(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub name: String,
    pub display_name: String,
    pub email: String,
    pub members: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub login: String,
    pub display_name: String,
    pub email: String,
    pub team: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct System {
    pub name: String,
    pub owner: String,
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CiHost {
    Github,
    Gitlab,
}

/// What goes wrong with a service now and then, besides the story's incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    None,
    /// One pod gets OOMKilled every so often and restarts.
    OomKills,
    /// A staging rollout references a tag that does not exist.
    ImagePull,
    /// A flaky test makes some CI runs fail.
    FlakyCi,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub name: String,
    pub description: String,
    pub system: String,
    pub owner: String,
    pub lifecycle: String,
    pub language: String,
    /// `org/repo` on the sim's GitHub or GitLab.
    pub repo: String,
    pub ci: CiHost,
    /// Numeric project id on GitLab (also set for GitHub repos; unused there).
    pub project_id: u64,
    /// Namespace of its workloads: the system's name.
    pub namespace: String,
    pub replicas: usize,
    pub depends_on: Vec<String>,
    pub provides_api: Option<String>,
    pub consumes_apis: Vec<String>,
    pub resources: Vec<String>,
    pub trouble: Trouble,
    /// The service whose bad deploy the story is about.
    pub incident: bool,
    /// A namespace the sim's Kubernetes forbids to the demo user (RBAC 403).
    pub container_port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Api {
    pub name: String,
    pub kind: String,
    pub system: String,
    pub owner: String,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub name: String,
    pub kind: String,
    pub system: String,
    pub owner: String,
}

/// A commit on a service's default branch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub sha: String,
    pub message: String,
    pub author: String,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    Ci,
    Deploy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    Success,
    Failure,
    Cancelled,
}

/// A workflow run as the story schedules it. Whether it is queued, running or done at an
/// instant follows from its times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledRun {
    /// Unique across the world, stable for the seed.
    pub id: u64,
    pub service: String,
    pub kind: RunKind,
    pub number: u64,
    pub commit: Commit,
    pub actor: String,
    pub created: DateTime<Utc>,
    pub started: DateTime<Utc>,
    pub finished: DateTime<Utc>,
    pub outcome: RunOutcome,
    /// For deploy runs: the environments it deploys to, in order.
    pub environments: Vec<&'static str>,
    /// Index of the failing job in `jobs_for`, when the outcome is a failure.
    pub failing_job: Option<usize>,
    /// The pull request (number, head branch) a `pull_request` run ran for; `None` for runs
    /// on the default branch.
    pub pull: Option<(u64, &'static str)>,
}

/// What is running for a service at an instant, as Kubernetes would show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout {
    /// Image tag deployed: the short sha of the deployed commit.
    pub tag: String,
    /// Revision number, counting deploys.
    pub revision: u64,
    /// When this version started rolling out.
    pub since: DateTime<Utc>,
    /// The version is broken: its pods crash-loop.
    pub crashing: bool,
    /// The previous, healthy version's tag (pods of it may still run while crashing).
    pub previous_tag: Option<String>,
}

/// A firing alert as the story defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryAlert {
    pub name: String,
    pub service: String,
    pub namespace: String,
    pub severity: &'static str,
    pub summary: String,
    pub description: String,
    /// Path of the runbook page inside the service's docs, with anchor.
    pub runbook: String,
    pub starts_at: DateTime<Utc>,
    /// `None` while firing at the instant asked about.
    pub ends_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct World {
    pub config: SimConfig,
    pub org: String,
    pub teams: Vec<Team>,
    pub people: Vec<Person>,
    pub systems: Vec<System>,
    pub services: Vec<Service>,
    pub apis: Vec<Api>,
    pub resources: Vec<Resource>,
    /// Each service's ninety-day history, planned once: it is a function of the seed and the
    /// service alone, and every run, commit and deployment list reads it.
    histories: std::sync::Arc<
        std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<history::Plan>>>,
    >,
}

struct Core {
    name: &'static str,
    system: &'static str,
    owner: &'static str,
    language: &'static str,
    description: &'static str,
    depends_on: &'static [&'static str],
    trouble: Trouble,
}

const CORE: &[Core] = &[
    Core {
        name: "checkout-web",
        system: "storefront",
        owner: "team-storefront",
        language: "typescript",
        description: "The web front end customers pay through.",
        depends_on: &["payments-api", "cart-service", "catalog-search"],
        trouble: Trouble::None,
    },
    Core {
        name: "cart-service",
        system: "storefront",
        owner: "team-storefront",
        language: "go",
        description: "Holds shopping carts and prices them.",
        depends_on: &["catalog-search", "inventory"],
        trouble: Trouble::FlakyCi,
    },
    Core {
        name: "catalog-search",
        system: "storefront",
        owner: "team-storefront",
        language: "rust",
        description: "Search over the product catalog.",
        depends_on: &[],
        trouble: Trouble::None,
    },
    Core {
        name: "recommendations",
        system: "storefront",
        owner: "team-data",
        language: "python",
        description: "Products a customer may like next.",
        depends_on: &["catalog-search"],
        trouble: Trouble::OomKills,
    },
    Core {
        name: "payments-api",
        system: "payments",
        owner: "team-payments",
        language: "java",
        description: "Authorises and captures card payments.",
        depends_on: &["fraud-check", "ledger"],
        trouble: Trouble::None,
    },
    Core {
        name: "fraud-check",
        system: "payments",
        owner: "team-payments",
        language: "python",
        description: "Scores each payment for fraud.",
        depends_on: &[],
        trouble: Trouble::None,
    },
    Core {
        name: "ledger",
        system: "payments",
        owner: "team-payments",
        language: "rust",
        description: "Double-entry ledger of every money movement.",
        depends_on: &[],
        trouble: Trouble::None,
    },
    Core {
        name: "refunds-worker",
        system: "payments",
        owner: "team-payments",
        language: "go",
        description: "Processes refund requests from the queue.",
        depends_on: &["ledger", "payments-api"],
        trouble: Trouble::ImagePull,
    },
    Core {
        name: "inventory",
        system: "fulfilment",
        owner: "team-fulfilment",
        language: "go",
        description: "Stock levels per warehouse.",
        depends_on: &[],
        trouble: Trouble::None,
    },
    Core {
        name: "shipping-rates",
        system: "fulfilment",
        owner: "team-fulfilment",
        language: "kotlin",
        description: "Quotes shipping prices from carriers.",
        depends_on: &["inventory"],
        trouble: Trouble::FlakyCi,
    },
    Core {
        name: "order-router",
        system: "fulfilment",
        owner: "team-fulfilment",
        language: "rust",
        description: "Routes paid orders to a warehouse.",
        depends_on: &["inventory", "payments-api"],
        trouble: Trouble::None,
    },
    Core {
        name: "notifications",
        system: "fulfilment",
        owner: "team-data",
        language: "typescript",
        description: "Emails and texts customers about their orders.",
        depends_on: &["order-router"],
        trouble: Trouble::None,
    },
];

/// A team: its name, display name, and members as (login, full name).
type TeamSeed = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

const TEAMS: &[TeamSeed] = &[
    (
        "team-storefront",
        "Storefront",
        &[
            ("jdoe", "Jane Doe"),
            ("mkowalski", "Marta Kowalski"),
            ("tnguyen", "Thanh Nguyen"),
        ],
    ),
    (
        "team-payments",
        "Payments",
        &[
            ("asingh", "Arjun Singh"),
            ("lgarcia", "Lucia Garcia"),
            ("bobrien", "Brendan O'Brien"),
        ],
    ),
    (
        "team-fulfilment",
        "Fulfilment",
        &[
            ("kmuller", "Klaus Müller"),
            ("ayamada", "Aiko Yamada"),
            ("ookafor", "Obi Okafor"),
        ],
    ),
    (
        "team-data",
        "Data",
        &[("sjohansson", "Sara Johansson"), ("rpatel", "Ravi Patel")],
    ),
];

const SYSTEMS: &[(&str, &str, &str)] = &[
    (
        "storefront",
        "team-storefront",
        "Everything a customer sees while shopping.",
    ),
    (
        "payments",
        "team-payments",
        "Taking, checking and recording money.",
    ),
    (
        "fulfilment",
        "team-fulfilment",
        "Getting paid orders to customers.",
    ),
];

const COMMIT_MESSAGES: &[&str] = &[
    "Bump dependencies",
    "Add request tracing to the HTTP handlers",
    "Fix flaky integration test",
    "Log the upstream status on retries",
    "Tidy error messages for 4xx responses",
    "Cache the price list for five minutes",
    "Raise the pool size under load",
    "Document the on-call runbook",
    "Split the handler module",
    "Drop the unused feature flag",
];

impl World {
    pub fn new(config: SimConfig) -> Self {
        let org = "acme".to_string();
        let mut teams = Vec::new();
        let mut people = Vec::new();
        for (name, display, members) in TEAMS {
            for (login, full) in *members {
                people.push(Person {
                    login: (*login).into(),
                    display_name: (*full).into(),
                    email: format!("{login}@acme.example"),
                    team: (*name).into(),
                });
            }
            teams.push(Team {
                name: (*name).into(),
                display_name: (*display).into(),
                email: format!("{}@acme.example", name.trim_start_matches("team-")),
                members: members.iter().map(|(l, _)| (*l).to_string()).collect(),
            });
        }
        let systems = SYSTEMS
            .iter()
            .map(|(name, owner, description)| System {
                name: (*name).into(),
                owner: (*owner).into(),
                description: (*description).into(),
            })
            .collect::<Vec<_>>();

        let mut services = Vec::with_capacity(config.services);
        for i in 0..config.services {
            let core = &CORE[i % CORE.len()];
            let round = i / CORE.len();
            let name = if round == 0 {
                core.name.to_string()
            } else {
                format!("{}-{}", core.name, round + 1)
            };
            let depends_on = if round == 0 {
                core.depends_on.iter().map(|s| (*s).to_string()).collect()
            } else {
                vec![core.name.to_string()]
            };
            // Only the first round provides the APIs: copies of a service (round 1 and on)
            // consume them, or a large world would hold several APIs of one name.
            let provides_api = (round == 0
                && (core.name.ends_with("-api")
                    || core.name == "catalog-search"
                    || core.name == "inventory"))
                .then(|| format!("{}-openapi", core.name.trim_end_matches("-api")));
            let consumes_apis = core
                .depends_on
                .iter()
                .filter(|d| matches!(**d, "payments-api" | "catalog-search" | "inventory"))
                .map(|d| format!("{}-openapi", d.trim_end_matches("-api")))
                .collect();
            let resources = match core.name {
                "ledger" | "payments-api" if round == 0 => vec![format!("{}-db", core.name)],
                "inventory" if round == 0 => vec!["inventory-db".into()],
                _ => vec![],
            };
            services.push(Service {
                name,
                description: core.description.into(),
                system: core.system.into(),
                owner: core.owner.into(),
                lifecycle: if core.name == "recommendations" {
                    "experimental"
                } else {
                    "production"
                }
                .into(),
                language: core.language.into(),
                repo: String::new(),
                ci: if matches!(core.name, "shipping-rates" | "notifications") {
                    CiHost::Gitlab
                } else {
                    CiHost::Github
                },
                project_id: 1000 + i as u64,
                namespace: core.system.into(),
                replicas: config.pods_per_service,
                depends_on,
                provides_api,
                consumes_apis,
                resources,
                trouble: if round == 0 {
                    core.trouble
                } else {
                    Trouble::None
                },
                incident: round == 0 && core.name == "payments-api",
                container_port: 8080,
            });
        }
        for s in &mut services {
            s.repo = format!("{org}/{}", s.name);
        }
        let apis = services
            .iter()
            .filter_map(|s| {
                s.provides_api.as_ref().map(|api| Api {
                    name: api.clone(),
                    kind: "openapi".into(),
                    system: s.system.clone(),
                    owner: s.owner.clone(),
                    description: format!("The HTTP API of {}.", s.name),
                })
            })
            .collect();
        let resources = services
            .iter()
            .flat_map(|s| {
                s.resources.iter().map(|r| Resource {
                    name: r.clone(),
                    kind: "database".into(),
                    system: s.system.clone(),
                    owner: s.owner.clone(),
                })
            })
            .collect();
        Self {
            config,
            org,
            teams,
            people,
            systems,
            services,
            apis,
            resources,
            histories: Default::default(),
        }
    }

    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.name == name)
    }

    fn service_index(&self, name: &str) -> u64 {
        self.services
            .iter()
            .position(|s| s.name == name)
            .unwrap_or(0) as u64
    }

    pub fn person(&self, login: &str) -> Option<&Person> {
        self.people.iter().find(|p| p.login == login)
    }

    fn members_of(&self, team: &str) -> Vec<&Person> {
        self.people.iter().filter(|p| p.team == team).collect()
    }

    fn pick_member(&self, team: &str, key: u64) -> String {
        let members = self.members_of(team);
        if members.is_empty() {
            return "octocat".into();
        }
        members[(key % members.len() as u64) as usize].login.clone()
    }

    fn sha(&self, service: &str, n: i64) -> String {
        let a = hash(self.config.seed, &[hash_str(service), n as u64, 1]);
        let b = hash(self.config.seed, &[hash_str(service), n as u64, 2]);
        let c = hash(self.config.seed, &[hash_str(service), n as u64, 3]);
        format!("{a:016x}{b:016x}{:08x}", c as u32)
    }

    /// CI runs on main for `service` created in `[from, until]`, oldest first, plus the
    /// story's deploy runs. Runs not yet created at `until` are absent.
    pub fn runs(&self, service: &str, until: DateTime<Utc>) -> Vec<ScheduledRun> {
        let Some(svc) = self.service(service) else {
            return vec![];
        };
        let si = self.service_index(service);
        let start = epoch() - HISTORY;
        let mut runs = Vec::new();
        let offset = Duration::seconds((hash(self.config.seed, &[si, 11]) % 600) as i64);
        let every = CI_EVERY.num_seconds();
        let first = 0i64;
        let last = ((until - start - offset).num_seconds()).div_euclid(every);
        for n in first..=last {
            let created = start + offset + Duration::seconds(n * every);
            if created > until {
                break;
            }
            let key = hash(self.config.seed, &[si, n as u64, 21]);
            let outcome = match svc.trouble {
                Trouble::FlakyCi if key.is_multiple_of(4) => RunOutcome::Failure,
                _ if key.is_multiple_of(31) => RunOutcome::Cancelled,
                _ if key.is_multiple_of(17) => RunOutcome::Failure,
                _ => RunOutcome::Success,
            };
            let duration = Duration::seconds(150 + (key % 240) as i64);
            let queued = Duration::seconds(5 + (key % 20) as i64);
            let author = self.pick_member(&svc.owner, key >> 8);
            let commit = Commit {
                sha: self.sha(service, n),
                message: COMMIT_MESSAGES[(key >> 16) as usize % COMMIT_MESSAGES.len()].into(),
                author: author.clone(),
                at: created - Duration::seconds(30),
            };
            runs.push(ScheduledRun {
                id: run_id(si, RunKind::Ci, n),
                service: service.into(),
                kind: RunKind::Ci,
                number: (n + 1) as u64,
                commit,
                actor: author,
                created,
                started: created + queued,
                finished: created + queued + duration,
                outcome,
                environments: vec![],
                failing_job: (outcome == RunOutcome::Failure).then_some((key % 3) as usize),
                pull: None,
            });
        }
        runs.extend(self.deploy_runs(service, until));
        runs.sort_by_key(|r| (r.created, r.id));
        runs
    }

    /// Deploy runs: one per service each cycle, and for the incident service the bad deploy
    /// and its fix.
    pub fn deploy_runs(&self, service: &str, until: DateTime<Utc>) -> Vec<ScheduledRun> {
        let Some(svc) = self.service(service) else {
            return vec![];
        };
        let si = self.service_index(service);
        // The ninety days before the recent hours, then the story's cycles.
        let mut out: Vec<ScheduledRun> = self.history(service).deploys.clone();
        out.retain(|r| r.created <= until);
        for (i, r) in out.iter_mut().enumerate() {
            r.number = i as u64 + 1;
        }
        let first_cycle = -(HISTORY.num_seconds() / CYCLE.num_seconds());
        let last_cycle = (until - epoch())
            .num_seconds()
            .div_euclid(CYCLE.num_seconds());
        let mut number = out.len() as u64;
        for cycle in first_cycle..=last_cycle {
            let base = epoch() + Duration::seconds(cycle * CYCLE.num_seconds());
            let mut starts = Vec::new();
            if svc.incident {
                starts.push((
                    BAD_DEPLOY_STARTS,
                    BAD_DEPLOY_LANDS,
                    0u64,
                    "Raise the connection pool timeout to 30s",
                ));
                starts.push((
                    FIX_DEPLOY_STARTS,
                    FIX_DEPLOY_LANDS,
                    1u64,
                    "Revert \"Raise the connection pool timeout to 30s\"",
                ));
            } else {
                let at = Duration::seconds(60 + (hash(self.config.seed, &[si, 31]) % 1500) as i64);
                starts.push((at, at + Duration::minutes(3), 0u64, ""));
            }
            for (from, to, k, message) in starts {
                number += 1;
                let created = base + from;
                if created > until {
                    continue;
                }
                let key = hash(self.config.seed, &[si, cycle as u64, k, 41]);
                let author = self.pick_member(&svc.owner, key);
                let message = if message.is_empty() {
                    COMMIT_MESSAGES[(key >> 16) as usize % COMMIT_MESSAGES.len()].to_string()
                } else {
                    message.to_string()
                };
                let commit_n = 1_000_000 + cycle * 4 + k as i64;
                out.push(ScheduledRun {
                    id: run_id(si, RunKind::Deploy, cycle * 4 + k as i64),
                    service: service.into(),
                    kind: RunKind::Deploy,
                    number,
                    commit: Commit {
                        sha: self.sha(service, commit_n),
                        message,
                        author: author.clone(),
                        at: created - Duration::minutes(1),
                    },
                    actor: author,
                    created,
                    started: created + Duration::seconds(4),
                    finished: base + to,
                    outcome: RunOutcome::Success,
                    environments: vec!["staging", "production"],
                    failing_job: None,
                    pull: None,
                });
            }
        }
        out
    }

    /// Commits on the default branch up to `until`, newest first.
    pub fn commits(&self, service: &str, until: DateTime<Utc>) -> Vec<Commit> {
        let mut commits: Vec<Commit> = self
            .runs(service, until)
            .into_iter()
            .map(|r| r.commit)
            .chain(self.history(service).commits.iter().map(|(c, _)| c.clone()))
            .filter(|c| c.at <= until)
            .collect();
        commits.sort_by_key(|c| std::cmp::Reverse(c.at));
        commits.dedup_by(|a, b| a.sha == b.sha);
        commits
    }

    /// What runs in production for `service` at `at`.
    pub fn rollout(&self, service: &str, at: DateTime<Utc>) -> Rollout {
        let deploys: Vec<ScheduledRun> = self
            .deploy_runs(service, at)
            .into_iter()
            .filter(|r| r.finished <= at && r.outcome == RunOutcome::Success)
            .collect();
        let incident = self.service(service).is_some_and(|s| s.incident);
        match deploys.last() {
            Some(last) => {
                let crashing = incident && {
                    let into = (at - epoch()).num_seconds().rem_euclid(CYCLE.num_seconds());
                    (BAD_DEPLOY_LANDS.num_seconds()..FIX_DEPLOY_LANDS.num_seconds()).contains(&into)
                };
                Rollout {
                    tag: last.commit.sha[..7].to_string(),
                    revision: deploys.len() as u64,
                    since: last.finished,
                    crashing,
                    previous_tag: deploys
                        .len()
                        .checked_sub(2)
                        .map(|i| deploys[i].commit.sha[..7].to_string()),
                }
            }
            None => Rollout {
                tag: self.sha(service, -1)[..7].to_string(),
                revision: 1,
                since: epoch() - HISTORY,
                crashing: false,
                previous_tag: None,
            },
        }
    }

    /// Alerts that have fired up to `at` within the last `lookback`, with `ends_at` set for
    /// those resolved by `at`.
    pub fn alerts(&self, at: DateTime<Utc>, lookback: Duration) -> Vec<StoryAlert> {
        let mut out = Vec::new();
        let cycle_now = (at - epoch()).num_seconds().div_euclid(CYCLE.num_seconds());
        let cycles_back = lookback.num_seconds() / CYCLE.num_seconds() + 1;
        for svc in &self.services {
            if svc.incident {
                for cycle in (cycle_now - cycles_back)..=cycle_now {
                    let base = epoch() + Duration::seconds(cycle * CYCLE.num_seconds());
                    let starts = base + ALERT_FIRES;
                    let ends = base + ALERT_RESOLVES;
                    if starts > at || ends < at - lookback {
                        continue;
                    }
                    let ends_at = (ends <= at).then_some(ends);
                    out.push(StoryAlert {
                        name: "KubePodCrashLooping".into(),
                        service: svc.name.clone(),
                        namespace: svc.namespace.clone(),
                        severity: "critical",
                        summary: format!("Pods of {} are crash looping", svc.name),
                        description: format!(
                            "Every pod of deployment {} restarted more than 3 times in 5 minutes.",
                            svc.name
                        ),
                        runbook: "runbooks/crash-looping.md#first-five-minutes".into(),
                        starts_at: starts,
                        ends_at,
                    });
                    out.push(StoryAlert {
                        name: "HighErrorRate".into(),
                        service: svc.name.clone(),
                        namespace: svc.namespace.clone(),
                        severity: "critical",
                        summary: format!("{} answers more than 5% of requests with 5xx", svc.name),
                        description: "The error ratio over 5 minutes is above 5%. Checkout is failing for customers.".into(),
                        runbook: "runbooks/high-error-rate.md".into(),
                        starts_at: starts + Duration::seconds(40),
                        ends_at,
                    });
                }
            }
            if svc.trouble == Trouble::OomKills {
                out.push(StoryAlert {
                    name: "ContainerOOMKilled".into(),
                    service: svc.name.clone(),
                    namespace: svc.namespace.clone(),
                    severity: "warning",
                    summary: format!("A container of {} was OOM killed", svc.name),
                    description: "The model cache grows past the memory limit of 512Mi.".into(),
                    runbook: "runbooks/out-of-memory.md".into(),
                    starts_at: epoch() - Duration::hours(2),
                    ends_at: None,
                });
            }
            if svc.trouble == Trouble::ImagePull {
                out.push(StoryAlert {
                    name: "KubeDeploymentReplicasMismatch".into(),
                    service: svc.name.clone(),
                    namespace: svc.namespace.clone(),
                    severity: "warning",
                    summary: format!(
                        "Deployment {} has not matched its replicas for 15 minutes",
                        svc.name
                    ),
                    description: "A new pod cannot pull its image.".into(),
                    runbook: "runbooks/image-pull.md".into(),
                    starts_at: epoch() - Duration::minutes(45),
                    ends_at: None,
                });
            }
        }
        out.push(StoryAlert {
            name: "Watchdog".into(),
            service: String::new(),
            namespace: "monitoring".into(),
            severity: "none",
            summary: "An alert that should always be firing, to show the pipeline works.".into(),
            description: String::new(),
            runbook: String::new(),
            starts_at: epoch() - HISTORY,
            ends_at: None,
        });
        out
    }
}

fn run_id(service_index: u64, kind: RunKind, n: i64) -> u64 {
    let k = match kind {
        RunKind::Ci => 0,
        RunKind::Deploy => 1,
    };
    // Positive, unique, and ordered by service then kind then sequence.
    10_000_000_000 + service_index * 100_000_000 + k * 50_000_000 + (n + 1_000_000) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_world() {
        let a = World::new(SimConfig::default());
        let b = World::new(SimConfig::default());
        let at = epoch() + Duration::minutes(7);
        assert_eq!(a.runs("payments-api", at), b.runs("payments-api", at));
        assert_eq!(a.services, b.services);
        let c = World::new(SimConfig {
            seed: 8,
            ..SimConfig::default()
        });
        assert_ne!(a.runs("cart-service", at), c.runs("cart-service", at));
    }

    #[test]
    fn the_story_crashes_then_recovers() {
        let w = World::new(SimConfig::default());
        let before = w.rollout("payments-api", epoch() + Duration::minutes(1));
        let during = w.rollout("payments-api", epoch() + Duration::minutes(8));
        let after = w.rollout("payments-api", epoch() + Duration::minutes(25));
        assert!(!before.crashing);
        assert!(during.crashing);
        assert_ne!(before.tag, during.tag, "the bad deploy changes the image");
        assert!(!after.crashing);
        assert_ne!(during.tag, after.tag, "the fix is another deploy");
        let firing = |m| {
            w.alerts(epoch() + Duration::minutes(m), Duration::hours(1))
                .into_iter()
                .filter(|a| a.service == "payments-api" && a.ends_at.is_none())
                .count()
        };
        assert_eq!(firing(3), 0);
        assert_eq!(firing(10), 2);
        assert_eq!(firing(22), 0);
    }

    #[test]
    fn scale_knob_makes_unique_names() {
        let w = World::new(SimConfig {
            services: 200,
            ..SimConfig::default()
        });
        let mut names: Vec<_> = w.services.iter().map(|s| s.name.clone()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 200);
        let mut apis: Vec<_> = w.apis.iter().map(|a| a.name.clone()).collect();
        let all = apis.len();
        apis.sort();
        apis.dedup();
        assert_eq!(apis.len(), all, "one API entity per name");
        assert!(all >= 3, "the first round still provides its APIs");
    }

    #[test]
    fn runs_are_ordered_and_unique() {
        let w = World::new(SimConfig::default());
        let runs = w.runs("cart-service", epoch() + Duration::hours(1));
        assert!(runs.len() > 30);
        let mut ids: Vec<_> = runs.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), runs.len());
        assert!(runs.windows(2).all(|w| w[0].created <= w[1].created));
    }
}
