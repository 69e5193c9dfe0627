//! Validated domain types and rules. No axum, no sqlx, no solver: handlers and stores receive
//! only values that passed these checks.

pub mod alerts;
mod bookings;
pub mod calendar;
mod compare;
pub mod dates;
mod errors;
mod inputs;
mod keys;
mod objects;
mod plan_input;
mod plans;
mod pools;
mod pricing;
mod process;
mod quote;
mod sandbox;
pub mod schema;
mod selling;
mod webhooks;

pub use bookings::*;
pub use calendar::{ConflictItem, Taken};
pub use compare::*;
pub use errors::{FieldError, ValidationErrors};
pub use inputs::*;
pub use keys::{generate_api_key, generate_token, hash_key, key_prefix, Role};
pub use plan_input::*;
pub use plans::*;
pub use pools::*;
pub use pricing::*;
pub use process::*;
pub use quote::*;
pub use sandbox::*;
pub use selling::*;
pub use solver_models::{Grade, Month, Phase, PhaseSuccess, Scenario};
pub use webhooks::*;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Site {
    pub id: Uuid,
    pub name: String,
    pub timezone: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Suite {
    pub id: Uuid,
    pub site_id: Uuid,
    pub name: String,
    #[schema(value_type = schema::GradeName)]
    pub grade: Grade,
    pub capabilities: Vec<String>,
    pub lines: i32,
    pub available_from: NaiveDate,
    pub available_to: Option<NaiveDate>,
    /// Who may occupy its lines on the same day.
    #[schema(value_type = SegregationName)]
    pub segregation: Segregation,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Closure {
    pub id: Uuid,
    pub suite_id: Uuid,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// Omitted (null) in clients' views: reasons are the CDMO's business.
    pub reason: Option<String>,
    pub lines: Option<Vec<i32>>,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Client {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub role: Role,
    pub client_id: Option<Uuid>,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
}

/// The authenticated caller: who did it, for authorisation and the audit log.
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub api_key_id: Option<Uuid>,
    pub role: Role,
    pub client_id: Option<Uuid>,
    pub request_id: Option<String>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            api_key_id: None,
            role: Role::Admin,
            client_id: None,
            request_id: None,
        }
    }
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Planner)
    }
    /// The client a client key is bound to; `None` for staff (who see everything).
    pub fn scope(&self) -> Option<Uuid> {
        if self.is_staff() {
            None
        } else {
            self.client_id
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Program {
    pub id: Uuid,
    pub client_id: Uuid,
    pub name: String,
    pub modality: String,
    pub storage: String,
    pub atmp: bool,
    #[schema(value_type = schema::PhaseName)]
    pub phase: Phase,
    pub required_capabilities: Vec<String>,
    #[schema(value_type = schema::GradeName)]
    pub min_grade: Grade,
    pub batch_days: i32,
    pub changeover_days: i32,
    pub earliest_start: Option<NaiveDate>,
    #[schema(value_type = Option<schema::PhaseSuccessInput>)]
    pub phase_success: Option<PhaseSuccess>,
    pub priority: i32,
    pub allowed_suite_ids: Option<Vec<Uuid>>,
    /// What one batch takes from the pools of its suite's site (operators, QC, equipment).
    pub resource_profile: Vec<ResourceNeed>,
    /// Process facts that change from a phase on.
    pub phase_processes: Vec<PhaseProcess>,
    /// The road to the first GMP batch at each site it names (tech transfer, engineering runs).
    pub tech_transfers: Vec<TechTransfer>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ForecastEntry {
    #[schema(value_type = schema::MonthName)]
    pub month: Month,
    #[schema(value_type = schema::PhaseName)]
    pub phase: Phase,
    #[schema(minimum = 0, maximum = 100_000)]
    pub batches: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Forecast {
    pub program_id: Uuid,
    pub version: i32,
    pub entries: Vec<ForecastEntry>,
    pub created_at: DateTime<Utc>,
}

/// One month of a program's integer demand under a scenario.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct DemandItem {
    #[schema(value_type = schema::MonthName)]
    pub month: Month,
    #[schema(value_type = schema::PhaseName)]
    pub phase: Phase,
    pub batches: u32,
}

/// Integer demand of a program's forecast under `scenario` (docs/planning-model.md).
pub fn program_demand(
    program: &Program,
    forecast: &[ForecastEntry],
    scenario: Scenario,
    defaults: &PhaseSuccess,
) -> Vec<DemandItem> {
    let entries: Vec<solver_models::ForecastEntry> = forecast
        .iter()
        .map(|e| solver_models::ForecastEntry {
            month: e.month,
            phase: e.phase,
            batches: u32::try_from(e.batches).unwrap_or(0),
        })
        .collect();
    let success = program.phase_success.unwrap_or_default().or(defaults);
    solver_models::demand::integer_demand(&entries, program.phase, scenario, &success)
        .into_iter()
        .map(|d| DemandItem {
            month: d.month,
            phase: d.phase,
            batches: d.batches,
        })
        .collect()
}

/// Is `[start, end)` a valid half-open interval of days?
pub fn check_interval(
    start: NaiveDate,
    end: NaiveDate,
    end_field: &str,
    errors: &mut ValidationErrors,
) {
    if end <= start {
        errors.push(end_field, "must be after start");
    }
}
