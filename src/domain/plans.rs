//! Plans as the domain knows them: the job record, its result rows and summary, and the
//! snapshot a plan reads. Stored by `store::PlanStore`, shown by `http::plans` and the pages.

use super::{Closure, ForecastEntry, Program, Scenario, Suite};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
pub use solver_models::plan::{ShortfallReason, SolverStatus};
use uuid::Uuid;

/// Where a plan job is: `queued → running → done | failed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlanStatus {
    Queued,
    Running,
    Done,
    Failed,
}

impl PlanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanStatus::Queued => "queued",
            PlanStatus::Running => "running",
            PlanStatus::Done => "done",
            PlanStatus::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<PlanStatus> {
        [
            PlanStatus::Queued,
            PlanStatus::Running,
            PlanStatus::Done,
            PlanStatus::Failed,
        ]
        .into_iter()
        .find(|p| p.as_str() == s)
    }
}

/// A plan interrupted this many times (its worker died each time) is marked failed instead of
/// being claimed once more: something in it kills workers.
pub const MAX_ATTEMPTS: i32 = 3;

/// The plan row: request, state and (once done) its summary.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRecord {
    pub id: Uuid,
    pub status: PlanStatus,
    pub scenario: Scenario,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub program_ids: Option<Vec<Uuid>>,
    pub time_limit_s: Option<f64>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub progress: Option<String>,
    pub error: Option<String>,
    pub summary: Option<PlanSummary>,
    /// A what-if plan: the sandbox, and its changes as they were when the plan was queued.
    pub sandbox_id: Option<Uuid>,
    pub sandbox_changes: Option<Vec<super::SandboxChange>>,
}

/// How a plan is getting on: the solver's last report, and the incumbent, the proven bound and
/// their gap over time (weighted batches), so that a planner can stop waiting early. Stored as
/// one JSON document in the plan row while it runs (and kept once done).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanProgress {
    /// `greedy`, `bound`, `mip`, `lns` or `done`.
    pub stage: String,
    pub message: String,
    /// Seconds since the solve started.
    pub seconds: f64,
    pub incumbent: Option<f64>,
    pub bound: Option<f64>,
    /// `(bound − incumbent) / bound`.
    pub gap: Option<f64>,
    /// Each change of the incumbent or the bound, oldest first (at most [`PlanProgress::MAX_TRACE`]
    /// points: the first, then evenly thinned).
    pub trace: Vec<ProgressPoint>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProgressPoint {
    pub seconds: f64,
    pub incumbent: Option<f64>,
    pub bound: Option<f64>,
    pub gap: Option<f64>,
}

impl PlanProgress {
    pub const MAX_TRACE: usize = 200;

    /// Takes a solver report `seconds` into the solve: the figures it gives replace the last
    /// known ones, and a change of either is a new trace point.
    pub fn report(
        &mut self,
        seconds: f64,
        stage: &str,
        message: &str,
        incumbent: Option<f64>,
        bound: Option<f64>,
    ) {
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        self.stage = stage.to_string();
        self.message = message.to_string();
        self.seconds = round(seconds);
        let (old_i, old_b) = (self.incumbent, self.bound);
        self.incumbent = incumbent.or(self.incumbent);
        // A bound only ever tightens.
        self.bound = match (bound, self.bound) {
            (Some(b), Some(old)) => Some(b.min(old)),
            (b, old) => b.or(old),
        };
        // The gap to six decimals (a ten-thousandth of a percent).
        self.gap = match (self.incumbent, self.bound) {
            (Some(i), Some(b)) => Some((((b - i) / b.max(1.0)).max(0.0) * 1e6).round() / 1e6),
            _ => None,
        };
        if (self.incumbent, self.bound) != (old_i, old_b) {
            if self.trace.len() >= Self::MAX_TRACE {
                // Keep the first point and every other one after it.
                let first = self.trace[0].clone();
                let rest: Vec<ProgressPoint> = self.trace.drain(1..).step_by(2).collect();
                self.trace = std::iter::once(first).chain(rest).collect();
            }
            self.trace.push(ProgressPoint {
                seconds: self.seconds,
                incumbent: self.incumbent,
                bound: self.bound,
                gap: self.gap,
            });
        }
    }

    /// The stored document; a plain message (rows written before progress had figures).
    pub fn parse(stored: &str) -> PlanProgress {
        serde_json::from_str(stored).unwrap_or_else(|_| PlanProgress {
            message: stored.to_string(),
            ..PlanProgress::default()
        })
    }

    /// What a client may see: the stage and the time, not the network's figures.
    pub fn for_client(self) -> PlanProgress {
        PlanProgress {
            stage: self.stage,
            seconds: self.seconds,
            ..PlanProgress::default()
        }
    }
}

/// Network-wide figures of a done plan (stored as one JSON document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub served_weighted: f64,
    pub demand_weighted: f64,
    pub bound_weighted: f64,
    pub served_batches: u32,
    pub demand_batches: u32,
    pub solver_name: String,
    pub solver_status: String,
    pub seconds: f64,
    pub gap: f64,
    pub expansion: Vec<ExpansionRow>,
    pub binding: Vec<BindingRow>,
    /// Per pool and month (plans made before pools existed have none).
    #[serde(default)]
    pub pools: Vec<PoolMonthRow>,
    #[serde(default)]
    pub pool_expansion: Vec<PoolExpansionRow>,
    /// Demand and served per month over every planned program (plans made before it have none).
    #[serde(default)]
    pub months: Vec<PlanMonthRow>,
    /// The plan in money under the rate cards when it was made (plans made before have none).
    #[serde(default)]
    pub money: Option<PlanMoney>,
}

/// A plan's revenue: of the demand it serves (live bookings that serve demand and the
/// suggestions, each priced in its suite) and at risk in its shortfalls (each batch at its
/// program's reference price), by month and currency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanMoney {
    pub months: Vec<MoneyMonth>,
    /// Per currency over the horizon (`month` is `total`).
    pub totals: Vec<MoneyMonth>,
    /// Batches (booked, suggested or short) that no rate card prices: left out of the sums.
    pub unpriced_batches: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MoneyMonth {
    pub month: String,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = super::Money)]
    pub served: rust_decimal::Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    #[schema(value_type = super::Money)]
    pub at_risk: rust_decimal::Decimal,
}

/// A month of a plan: demand and served batches (and weighted) over every planned program.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanMonthRow {
    pub month: String,
    pub demand_batches: i32,
    pub served_batches: i32,
    pub demand_weighted: f64,
    pub served_weighted: f64,
}

/// A pool's month in a plan: capacity, what bookings take and what the plan adds (sums of
/// people-, analyst- or unit-days over the month), and the shadow price of one more unit of
/// capacity on each working day of the month when the pool binds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PoolMonthRow {
    pub pool_id: Uuid,
    pub month: String,
    pub capacity: u32,
    pub booked: u32,
    pub planned: u32,
    /// Weighted batches one more unit per working day of this month is worth; null where the
    /// pool does not bind.
    pub shadow_price: Option<f64>,
}

/// Advice to add capacity to a pool: `extra` people (analysts, units) per working day from
/// `from_month`, serving `serves_batches` batches of shortfall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PoolExpansionRow {
    pub pool_id: Uuid,
    pub tag: String,
    pub from_month: String,
    pub extra: u32,
    pub serves_batches: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ExpansionRow {
    pub capabilities: Vec<String>,
    pub min_grade: String,
    /// The site the extra lines belong to.
    pub site_id: Option<Uuid>,
    pub from_month: String,
    pub extra_lines: u32,
    pub serves_batches: u32,
    /// The currency of `cost` and `revenue` (`expansion.currency`); null without an
    /// `expansion.classes` entry for its capabilities.
    #[serde(default)]
    pub currency: Option<String>,
    /// `extra_lines` × (setup cost + cost per line-month × months from `from_month` to the
    /// horizon's end), by capability class (`expansion.classes`).
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<super::Money>)]
    pub cost: Option<rust_decimal::Decimal>,
    /// What the batches it serves bring, each at the lowest reference price (batch and
    /// changeover line-days in the cheapest suite the program may use, plus its consumables)
    /// among the programs short in its class; null when none is priced.
    #[serde(default, with = "rust_decimal::serde::str_option")]
    #[schema(value_type = Option<super::Money>)]
    pub revenue: Option<rust_decimal::Decimal>,
    /// Whether `revenue` covers `cost`: advice that does not pay is kept, flagged false.
    #[serde(default)]
    pub pays: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct BindingRow {
    pub suite_id: Uuid,
    pub month: String,
    pub shadow_price: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlanSuggestion {
    pub id: Uuid,
    pub program_id: Uuid,
    #[serde(skip)]
    pub client_id: Uuid,
    pub suite_id: Uuid,
    pub line: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The demand month it serves (`YYYY-MM`).
    pub month: String,
    /// The booking it becomes when accepted.
    #[schema(value_type = super::BookingKindName)]
    pub kind: super::BookingKind,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlanShortfall {
    pub program_id: Uuid,
    #[serde(skip)]
    pub client_id: Uuid,
    pub month: String,
    pub phase: String,
    pub demand: i32,
    pub booked: i32,
    pub planned: i32,
    pub shortfall: i32,
    /// `capacity`, `no_usable_suite`, `earliest_start`; `staff`, `qc` or `equipment` (a suite
    /// had room, a pool did not); `tech_transfer` (a suite had room, but the program's road to
    /// first batch at its site was not done).
    #[schema(value_type = String)]
    pub reason: ShortfallReason,
    /// For a `capacity` shortfall: each suite the program could use, over the days a batch of
    /// that month could have covered, and what occupies it. A client sees its own programs and
    /// the rest as "other programs".
    pub competition: Vec<Competition>,
}

/// A suite a short program competed for, over `[from, to)`: the days a batch of the short
/// month could have covered there.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Competition {
    pub suite_id: Uuid,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Line-days open in the window.
    pub open_line_days: u32,
    /// Open line-days nothing occupies.
    pub free_line_days: u32,
    /// What occupies the rest, largest first.
    pub occupants: Vec<Occupant>,
}

/// One program's bookings or planned batches (of one phase and kind) in a competed-for window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Occupant {
    /// `null`: "other programs" (programs outside the plan; for a client, every other client's).
    pub program_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    #[schema(required = false)]
    pub client_id: Option<Uuid>,
    /// The phase of the demand it serves (`null` for other programs).
    #[schema(value_type = Option<super::schema::PhaseName>)]
    pub phase: Option<super::Phase>,
    /// Objective weight of one batch it serves; 0 for kinds that serve no demand, `null` for
    /// other programs.
    pub weight: Option<f64>,
    /// `booked` (a held or confirmed booking) or `planned` (this plan's suggestion).
    #[schema(value_type = String)]
    pub status: solver_models::explain::Occupancy,
    /// `null` for other programs.
    #[schema(value_type = Option<super::BookingKindName>)]
    pub kind: Option<super::BookingKind>,
    pub batches: u32,
    pub line_days: u32,
}

impl PlanShortfall {
    /// The row as client `client` may read it: other clients' occupants merged into one "other
    /// programs" occupant per window and status, without phase, weight or kind.
    pub fn scrubbed_for(mut self, client: Uuid) -> PlanShortfall {
        for c in &mut self.competition {
            let mut kept: Vec<Occupant> = Vec::new();
            for o in std::mem::take(&mut c.occupants) {
                if o.client_id == Some(client) {
                    kept.push(o);
                    continue;
                }
                match kept
                    .iter_mut()
                    .find(|k| k.program_id.is_none() && k.status == o.status)
                {
                    Some(other) => {
                        other.batches += o.batches;
                        other.line_days += o.line_days;
                    }
                    None => kept.push(Occupant {
                        program_id: None,
                        client_id: None,
                        phase: None,
                        weight: None,
                        status: o.status,
                        kind: None,
                        batches: o.batches,
                        line_days: o.line_days,
                    }),
                }
            }
            kept.sort_by_key(|o| std::cmp::Reverse(o.line_days));
            c.occupants = kept;
        }
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PlanUtilization {
    pub suite_id: Uuid,
    pub month: String,
    pub open_line_days: i32,
    pub booked_line_days: i32,
    pub planned_line_days: i32,
}

/// Totals of one program in a plan, so that a client's objective covers only its programs.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanProgramTotals {
    pub program_id: Uuid,
    pub client_id: Uuid,
    pub demand_batches: i32,
    pub served_batches: i32,
    pub demand_weighted: f64,
    pub served_weighted: f64,
}

/// One chunk of result rows; `seq` numbers continue across chunks.
#[derive(Debug, Clone, Default)]
pub struct PlanRowsChunk {
    pub suggestions: Vec<(i32, PlanSuggestion)>,
    pub shortfalls: Vec<(i32, PlanShortfall)>,
    pub utilization: Vec<(i32, PlanUtilization)>,
    pub programs: Vec<PlanProgramTotals>,
}

/// A plan with the rows its reader may see.
#[derive(Debug, Clone)]
pub struct PlanDetail {
    pub record: PlanRecord,
    pub suggestions: Vec<PlanSuggestion>,
    pub shortfalls: Vec<PlanShortfall>,
    pub utilization: Vec<PlanUtilization>,
    pub programs: Vec<PlanProgramTotals>,
}

/// A held or confirmed (unexpired) booking, as the planner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct SnapshotBooking {
    pub program_id: Uuid,
    pub suite_id: Uuid,
    pub line: i32,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub confirmed: bool,
    pub kind: super::BookingKind,
}

/// Everything a plan reads, taken in one read transaction so that it is consistent.
#[derive(Debug, Clone, Default)]
pub struct PlanSnapshot {
    pub suites: Vec<Suite>,
    pub closures: Vec<Closure>,
    /// Every program (the plan selects from them); bookings of the others only block lines.
    pub programs: Vec<Program>,
    /// The latest forecast of each program that has one.
    pub forecasts: Vec<(Uuid, Vec<ForecastEntry>)>,
    pub bookings: Vec<SnapshotBooking>,
    pub pools: Vec<super::Pool>,
    /// Lines dedicated to a client (the planner keeps other clients off them).
    pub dedications: Vec<super::Dedication>,
}

/// An event for the outbox: type, client scope (None = staff only), `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    pub event_type: String,
    pub client_id: Option<Uuid>,
    pub data: serde_json::Value,
}
