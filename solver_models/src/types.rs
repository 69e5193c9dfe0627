//! The planning instance and plan formats (serde JSON).
//!
//! An instance file is what `suiteplan plan --instance FILE` reads and what the service builds
//! from its store. The format accepts the worked examples in `shared/examples/planning/` as they
//! are: suites and programs are referred to by `name` (unique within the instance); `id` is an
//! optional opaque key the service fills with UUIDs so that results map back to its rows.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// EU GMP background grade of a room. `A` is the cleanest; ordering follows cleanliness so that
/// `suite.grade <= program.min_grade` means "at least as clean".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Grade {
    A,
    B,
    C,
    D,
}

impl Grade {
    /// True when a room of this grade is at least as clean as `min`.
    pub fn satisfies(self, min: Grade) -> bool {
        self <= min
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
        }
    }
    pub fn parse(s: &str) -> Option<Grade> {
        match s {
            "A" => Some(Grade::A),
            "B" => Some(Grade::B),
            "C" => Some(Grade::C),
            "D" => Some(Grade::D),
            _ => None,
        }
    }
}

/// Clinical phase of a program or of a forecast month, in development order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Preclinical,
    Phase1,
    Phase2,
    Phase3,
    Commercial,
}

impl Phase {
    pub const ALL: [Phase; 5] = [
        Phase::Preclinical,
        Phase::Phase1,
        Phase::Phase2,
        Phase::Phase3,
        Phase::Commercial,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Preclinical => "preclinical",
            Phase::Phase1 => "phase1",
            Phase::Phase2 => "phase2",
            Phase::Phase3 => "phase3",
            Phase::Commercial => "commercial",
        }
    }
    pub fn parse(s: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    Committed,
    Expected,
    #[default]
    Maximum,
}

impl Scenario {
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::Committed => "committed",
            Scenario::Expected => "expected",
            Scenario::Maximum => "maximum",
        }
    }
    pub fn parse(s: &str) -> Option<Scenario> {
        match s {
            "committed" => Some(Scenario::Committed),
            "expected" => Some(Scenario::Expected),
            "maximum" => Some(Scenario::Maximum),
            _ => None,
        }
    }
}

/// Objective weight of one served batch, by the phase of its demand month.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseWeights {
    pub preclinical: f64,
    pub phase1: f64,
    pub phase2: f64,
    pub phase3: f64,
    pub commercial: f64,
}

impl Default for PhaseWeights {
    fn default() -> Self {
        // Patients waiting on commercial supply come first (DESIGN.md).
        PhaseWeights {
            preclinical: 1.0,
            phase1: 2.0,
            phase2: 4.0,
            phase3: 8.0,
            commercial: 16.0,
        }
    }
}

impl PhaseWeights {
    pub fn of(&self, phase: Phase) -> f64 {
        match phase {
            Phase::Preclinical => self.preclinical,
            Phase::Phase1 => self.phase1,
            Phase::Phase2 => self.phase2,
            Phase::Phase3 => self.phase3,
            Phase::Commercial => self.commercial,
        }
    }
}

/// Probability of passing from each phase to the next, as decimal strings or numbers with at
/// most 4 decimals. `None` means "take the default".
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseSuccess {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preclinical: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase1: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase2: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase3: Option<f64>,
}

impl PhaseSuccess {
    /// The transition probability out of `phase` (commercial has none).
    pub fn get(&self, phase: Phase) -> Option<f64> {
        match phase {
            Phase::Preclinical => self.preclinical,
            Phase::Phase1 => self.phase1,
            Phase::Phase2 => self.phase2,
            Phase::Phase3 => self.phase3,
            Phase::Commercial => None,
        }
    }
    /// `self` with missing values taken from `defaults`.
    pub fn or(&self, defaults: &PhaseSuccess) -> PhaseSuccess {
        PhaseSuccess {
            preclinical: self.preclinical.or(defaults.preclinical),
            phase1: self.phase1.or(defaults.phase1),
            phase2: self.phase2.or(defaults.phase2),
            phase3: self.phase3.or(defaults.phase3),
        }
    }
    /// The published defaults (see config/default.toml for the sources).
    pub fn published_defaults() -> PhaseSuccess {
        PhaseSuccess {
            preclinical: Some(0.62),
            phase1: Some(0.52),
            phase2: Some(0.289),
            phase3: Some(0.524),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Closure {
    pub start: NaiveDate,
    /// Exclusive.
    pub end: NaiveDate,
    /// Lines (1-based) closed; `None` closes every line.
    #[serde(default)]
    pub lines: Option<Vec<u32>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suite {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    /// Site name or id; expansion advice is per (capabilities, grade, site).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    pub grade: Grade,
    #[serde(default)]
    pub capabilities: Vec<String>,
    pub lines: u32,
    pub available_from: NaiveDate,
    /// Exclusive; `None` = qualified indefinitely.
    #[serde(default)]
    pub available_to: Option<NaiveDate>,
    #[serde(default)]
    pub closures: Vec<Closure>,
    /// Who may share the suite on a day ([`Segregation`]); `any` when not given.
    #[serde(default, skip_serializing_if = "Segregation::is_any")]
    pub segregation: Segregation,
    /// Lines hosting a client's own equipment: over each dedication's dates only that client's
    /// programs may occupy the line ([`crate::calendar::dedication_conflicts`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dedications: Vec<Dedication>,
}

/// A line of a suite given over to one client (client-owned equipment hosted at the CDMO): over
/// `[start, end)` only batches and road steps of programs whose `client` is `client` may occupy
/// it; to every other program, one without a client included, the line is closed on those
/// days. Where dedications to different clients cover the same day, nobody may use the line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dedication {
    /// The line (1-based).
    pub line: u32,
    /// The client, as programs give theirs ([`Program::client`]).
    pub client: String,
    pub start: NaiveDate,
    /// Exclusive; `None` = open-ended.
    #[serde(default)]
    pub end: Option<NaiveDate>,
}

/// Who may share a suite on a day (cross-contamination and client confidentiality: some clients
/// pay for a suite that holds nobody else's material while their batch runs). On every day, the
/// suite's occupied lines (bookings, road steps, planned batches, each over the line-days it
/// takes: batch + changeover) belong to one party: under `same_client` programs of one client
/// (a program without a client is a client of its own), under `same_program` one program. A
/// booking without a program occupies its line for nobody in particular and so keeps every
/// program out of the suite on its days ([`crate::calendar::Party`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Segregation {
    /// Anyone may share the suite (the default).
    #[default]
    Any,
    /// Only programs of one client on a day.
    SameClient,
    /// Only one program on a day.
    SameProgram,
}

impl Segregation {
    pub const ALL: [Segregation; 3] = [
        Segregation::Any,
        Segregation::SameClient,
        Segregation::SameProgram,
    ];
    /// The instance format's (and the API's) name: `any`, `same_client`, `same_program`.
    pub fn as_str(self) -> &'static str {
        match self {
            Segregation::Any => "any",
            Segregation::SameClient => "same_client",
            Segregation::SameProgram => "same_program",
        }
    }
    pub fn parse(s: &str) -> Option<Segregation> {
        Segregation::ALL.into_iter().find(|g| g.as_str() == s)
    }
    /// No rule (so that an instance without segregation serialises as before).
    pub fn is_any(&self) -> bool {
        *self == Segregation::Any
    }
}

/// What a capacity pool is made of; a shortfall a pool causes is reported by this kind
/// (`staff` or `qc`; equipment as `equipment`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PoolKind {
    /// Qualified operators (a crew), counted in people per day.
    Staff,
    /// The quality-control lab (release testing), counted in analyst-days.
    Qc,
    /// Shared equipment (an isolator, a cell processor), counted in units per day.
    Equipment,
}

impl PoolKind {
    pub const ALL: [PoolKind; 3] = [PoolKind::Staff, PoolKind::Qc, PoolKind::Equipment];
    pub fn as_str(self) -> &'static str {
        match self {
            PoolKind::Staff => "staff",
            PoolKind::Qc => "qc",
            PoolKind::Equipment => "equipment",
        }
    }
    pub fn parse(s: &str) -> Option<PoolKind> {
        PoolKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A day of the week, as pools' working-day patterns name them (`mon` … `sun`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WeekDay {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl WeekDay {
    pub const ALL: [WeekDay; 7] = [
        WeekDay::Mon,
        WeekDay::Tue,
        WeekDay::Wed,
        WeekDay::Thu,
        WeekDay::Fri,
        WeekDay::Sat,
        WeekDay::Sun,
    ];
    pub fn of(day: NaiveDate) -> WeekDay {
        use chrono::Datelike;
        WeekDay::ALL[day.weekday().num_days_from_monday() as usize]
    }
    pub fn as_str(self) -> &'static str {
        match self {
            WeekDay::Mon => "mon",
            WeekDay::Tue => "tue",
            WeekDay::Wed => "wed",
            WeekDay::Thu => "thu",
            WeekDay::Fri => "fri",
            WeekDay::Sat => "sat",
            WeekDay::Sun => "sun",
        }
    }
}

fn every_day() -> Vec<WeekDay> {
    WeekDay::ALL.to_vec()
}

/// A dated change of a pool's capacity on its working days over `[start, end)` (`end: None`:
/// from `start` on): a holiday (0), a training week, a new hire from a month on. Where several
/// cover a day, the last one listed counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolException {
    pub start: NaiveDate,
    #[serde(default)]
    pub end: Option<NaiveDate>,
    pub capacity: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A site's pool of people or equipment that batches draw on by day: an operator crew, the QC
/// lab, a shared isolator. It serves the suites of its site (every suite when `site` is `None`)
/// and the resource needs that name its `tag`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    /// Site name or id, as suites give theirs; `None` = every suite.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    pub kind: PoolKind,
    /// The qualification or skill the pool provides (`autologous-operator`, `qc-release`).
    pub tag: String,
    /// Capacity on a working day (people, analyst-days, units).
    pub capacity: u32,
    /// Working days; capacity is 0 on the others. All seven when not given.
    #[serde(default = "every_day")]
    pub weekdays: Vec<WeekDay>,
    #[serde(default)]
    pub exceptions: Vec<PoolException>,
}

/// What one batch of a process takes from the pool with `tag`: `amount` on each of `days`
/// (offsets from the batch start; they may run past the suite occupancy, as QC release does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceNeed {
    pub tag: String,
    pub amount: u32,
    pub days: Vec<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ForecastEntry {
    /// `YYYY-MM`.
    pub month: Month,
    pub phase: Phase,
    pub batches: u32,
}

/// Process facts that hold from a phase on (a closed automated process from phase 3, a longer
/// commercial batch): each field given replaces the program's own for demand months of
/// `from_phase` or later, until a later override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseProcess {
    pub from_phase: Phase,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changeover_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_capabilities: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_grade: Option<Grade>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_suites: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_profile: Option<Vec<ResourceNeed>>,
}

/// The road to a program's first GMP batch at a site: a tech transfer of `days` on a line of a
/// suite there, then `engineering_runs` runs of the process, one after the other, all finished
/// before the first batch that serves demand at the site starts. Bookings of those kinds (the
/// program's, in the site's suites) count as steps done or scheduled; the planner schedules the
/// rest ([`crate::road`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TechTransfer {
    /// Site name or id, as suites give theirs.
    pub site: String,
    /// Days the tech transfer occupies a line (0: it needs no suite time).
    pub days: u32,
    /// Engineering runs after it, each a batch of the process that makes no product.
    #[serde(default)]
    pub engineering_runs: u32,
    /// Capabilities the tech transfer's suite needs; the process's when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_capabilities: Option<Vec<String>>,
    /// What the tech transfer takes from the site's pools (day offsets from its start).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_profile: Vec<ResourceNeed>,
    /// Done already: nothing to schedule and nothing to wait for.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub completed: bool,
}

/// The process a batch of a program is made with in one phase: the program's facts with the
/// phase's override applied ([`Program::process`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Process<'a> {
    pub batch_days: u32,
    pub changeover_days: u32,
    pub required_capabilities: &'a [String],
    pub min_grade: Grade,
    pub allowed_suites: Option<&'a [String]>,
    pub resource_profile: &'a [ResourceNeed],
}

impl Process<'_> {
    /// Line-days a batch occupies.
    pub fn line_days(&self) -> u32 {
        self.batch_days + self.changeover_days
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Program {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Current clinical phase.
    pub phase: Phase,
    #[serde(default)]
    pub required_capabilities: Vec<String>,
    pub min_grade: Grade,
    pub batch_days: u32,
    #[serde(default)]
    pub changeover_days: u32,
    #[serde(default)]
    pub earliest_start: Option<NaiveDate>,
    #[serde(default)]
    pub priority: i32,
    /// Suite names (or ids) the process is validated for; `None` = any usable suite.
    #[serde(default)]
    pub allowed_suites: Option<Vec<String>>,
    /// Overrides of the instance's phase-success probabilities.
    #[serde(default)]
    pub phase_success: Option<PhaseSuccess>,
    /// What one batch takes from the site's pools (staff, QC, equipment); empty = nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resource_profile: Vec<ResourceNeed>,
    /// Process facts that change from a phase on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub phase_processes: Vec<PhaseProcess>,
    /// The road to the first GMP batch at each site it names (tech transfer, engineering runs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tech_transfers: Vec<TechTransfer>,
    #[serde(default)]
    pub forecast: Vec<ForecastEntry>,
}

/// Which of a program's phase overrides applies to `phase`: the one with the latest
/// `from_phase` at or before it (the last listed among equals); none before the first. The one
/// home of this rule, for the planner, the checker and the service's own records.
pub fn phase_override<T>(
    overrides: &[T],
    phase: Phase,
    from_phase: impl Fn(&T) -> Phase,
) -> Option<&T> {
    phase_override_index(overrides, phase, from_phase).map(|i| &overrides[i])
}

/// [`phase_override`]'s position in the list.
pub fn phase_override_index<T>(
    overrides: &[T],
    phase: Phase,
    from_phase: impl Fn(&T) -> Phase,
) -> Option<usize> {
    // max_by_key returns the last of equal maxima.
    overrides
        .iter()
        .enumerate()
        .filter(|(_, o)| from_phase(o) <= phase)
        .max_by_key(|(_, o)| from_phase(o))
        .map(|(i, _)| i)
}

impl Program {
    /// The phase of `month`: the latest phase its forecast entries name, else the program's
    /// current phase. A booking is made with the process of its start month's phase.
    pub fn phase_in(&self, month: Month) -> Phase {
        self.forecast
            .iter()
            .filter(|e| e.month == month)
            .map(|e| e.phase)
            .max()
            .unwrap_or(self.phase)
    }

    /// What a booking of `kind` starting in `month` at a suite of `site` takes from the pools
    /// when the booking states nothing itself: a tech transfer its road's profile at the site, a
    /// kind that runs the process ([`BookingKind::runs_process`]) the process of the month's
    /// phase, the others nothing.
    pub fn booking_profile(
        &self,
        kind: BookingKind,
        month: Month,
        site: Option<&str>,
    ) -> &[ResourceNeed] {
        match kind {
            BookingKind::TechTransfer => self
                .tech_transfers
                .iter()
                .find(|t| site == Some(t.site.as_str()))
                .map_or(&[], |t| t.resource_profile.as_slice()),
            kind if kind.runs_process() => self.process(self.phase_in(month)).resource_profile,
            _ => &[],
        }
    }

    /// The process of a batch serving demand of `phase`: the program's facts with the fields of
    /// the applying override ([`phase_override`]) in their place.
    pub fn process(&self, phase: Phase) -> Process<'_> {
        let o = phase_override(&self.phase_processes, phase, |o| o.from_phase);
        Process {
            batch_days: o.and_then(|o| o.batch_days).unwrap_or(self.batch_days),
            changeover_days: o
                .and_then(|o| o.changeover_days)
                .unwrap_or(self.changeover_days),
            required_capabilities: o
                .and_then(|o| o.required_capabilities.as_deref())
                .unwrap_or(&self.required_capabilities),
            min_grade: o.and_then(|o| o.min_grade).unwrap_or(self.min_grade),
            allowed_suites: match o.and_then(|o| o.allowed_suites.as_deref()) {
                Some(list) => Some(list),
                None => self.allowed_suites.as_deref(),
            },
            resource_profile: o
                .and_then(|o| o.resource_profile.as_deref())
                .unwrap_or(&self.resource_profile),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BookingStatus {
    Held,
    Confirmed,
}

/// What a booking does in its suite. Only GMP batches and PPQ batches (process performance
/// qualification runs, released as product) serve a program's demand; the others occupy the
/// line without making a batch of product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingKind {
    #[default]
    GmpBatch,
    EngineeringRun,
    TechTransfer,
    Ppq,
    MediaFill,
    Maintenance,
    /// A line of a suite rented whole by a client: occupied, no demand served.
    Rental,
}

impl BookingKind {
    pub const ALL: [BookingKind; 7] = [
        BookingKind::GmpBatch,
        BookingKind::EngineeringRun,
        BookingKind::TechTransfer,
        BookingKind::Ppq,
        BookingKind::MediaFill,
        BookingKind::Maintenance,
        BookingKind::Rental,
    ];

    /// Does a booking of this kind serve one batch of its program's demand?
    pub fn serves_demand(self) -> bool {
        matches!(self, BookingKind::GmpBatch | BookingKind::Ppq)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            BookingKind::GmpBatch => "gmp_batch",
            BookingKind::EngineeringRun => "engineering_run",
            BookingKind::TechTransfer => "tech_transfer",
            BookingKind::Ppq => "ppq",
            BookingKind::MediaFill => "media_fill",
            BookingKind::Maintenance => "maintenance",
            BookingKind::Rental => "rental",
        }
    }

    /// Does a booking of this kind run its program's process, and so take the program's
    /// resource profile from the pools? GMP, PPQ and engineering runs do; a tech transfer,
    /// a media fill and maintenance do not.
    pub fn runs_process(self) -> bool {
        matches!(
            self,
            BookingKind::GmpBatch | BookingKind::Ppq | BookingKind::EngineeringRun
        )
    }

    /// Booked by planners, not clients: the CDMO's own activities (media fills, maintenance)
    /// and rentals (a whole suite, `POST /v1/rentals`).
    pub fn cdmo_only(self) -> bool {
        matches!(
            self,
            BookingKind::MediaFill | BookingKind::Maintenance | BookingKind::Rental
        )
    }

    pub fn parse(s: &str) -> Option<BookingKind> {
        BookingKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How people read it: "GMP batch", "engineering run", …
    pub fn label(self) -> &'static str {
        match self {
            BookingKind::GmpBatch => "GMP batch",
            BookingKind::EngineeringRun => "engineering run",
            BookingKind::TechTransfer => "tech transfer",
            BookingKind::Ppq => "PPQ batch",
            BookingKind::MediaFill => "media fill",
            BookingKind::Maintenance => "maintenance",
            BookingKind::Rental => "rental",
        }
    }
}

/// An existing held or confirmed booking: blocks its line for `[start, end)` and, when it
/// belongs to a program and its kind serves demand, serves one batch of the month it starts in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Booking {
    /// Suite name (or id).
    pub suite: String,
    pub line: u32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    #[serde(default = "default_status")]
    pub status: BookingStatus,
    /// Program name (or id); `None` for bookings of programs outside the instance.
    #[serde(default)]
    pub program: Option<String>,
    /// `gmp_batch` when not given.
    #[serde(default)]
    pub kind: BookingKind,
    /// What the booking takes from the pools. When not given: its program's resource profile
    /// if its kind runs the process ([`BookingKind::runs_process`]), else nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_profile: Option<Vec<ResourceNeed>>,
}

impl Booking {
    /// The program whose demand this booking serves, if any.
    pub fn serves(&self) -> Option<&str> {
        self.program
            .as_deref()
            .filter(|_| self.kind.serves_demand())
    }
}

fn default_status() -> BookingStatus {
    BookingStatus::Confirmed
}

/// A planning instance. `from` and `to` are first days of months; `[from, to)` is the horizon.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    #[serde(default)]
    pub name: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(default)]
    pub scenario: Scenario,
    #[serde(default)]
    pub weights: PhaseWeights,
    /// Instance-wide phase-success defaults; missing keys take the published defaults.
    #[serde(default)]
    pub phase_success: PhaseSuccess,
    pub suites: Vec<Suite>,
    /// Staff, QC and equipment pools; none = suites are the only constraint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<Pool>,
    pub programs: Vec<Program>,
    #[serde(default)]
    pub bookings: Vec<Booking>,
    /// Free-form (the worked examples keep their known optimum here); ignored by the solver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<serde_json::Value>,
}

pub use crate::month::Month;
