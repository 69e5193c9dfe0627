//! Row shapes of plan jobs and their results.

use crate::domain::*;
use crate::store::StoreError;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::types::Json;
use uuid::Uuid;

pub const PLAN_COLS: &str = "id, status, scenario, horizon_from, horizon_to, program_ids, \
    time_limit_s, created_at, started_at, finished_at, progress, error, summary, sandbox_id, \
    sandbox_changes";

#[derive(sqlx::FromRow)]
pub struct PlanRow {
    pub id: Uuid,
    pub status: String,
    pub scenario: String,
    pub horizon_from: NaiveDate,
    pub horizon_to: NaiveDate,
    pub program_ids: Option<Json<Vec<Uuid>>>,
    pub time_limit_s: Option<f64>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub progress: Option<String>,
    pub error: Option<String>,
    pub summary: Option<Json<PlanSummary>>,
    pub sandbox_id: Option<Uuid>,
    pub sandbox_changes: Option<Json<Vec<SandboxChange>>>,
}

impl TryFrom<PlanRow> for PlanRecord {
    type Error = StoreError;
    fn try_from(r: PlanRow) -> Result<PlanRecord, StoreError> {
        Ok(PlanRecord {
            id: r.id,
            status: PlanStatus::parse(&r.status)
                .ok_or_else(|| StoreError::unknown_value("plans.status", &r.status))?,
            scenario: Scenario::parse(&r.scenario)
                .ok_or_else(|| StoreError::unknown_value("plans.scenario", &r.scenario))?,
            from: r.horizon_from,
            to: r.horizon_to,
            program_ids: r.program_ids.map(|j| j.0),
            time_limit_s: r.time_limit_s,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            progress: r.progress,
            error: r.error,
            summary: r.summary.map(|j| j.0),
            sandbox_id: r.sandbox_id,
            sandbox_changes: r.sandbox_changes.map(|j| j.0),
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct SuggestionRow {
    pub id: Uuid,
    pub program_id: Uuid,
    pub client_id: Uuid,
    pub suite_id: Uuid,
    pub line: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub month: String,
    pub kind: String,
}

impl TryFrom<SuggestionRow> for PlanSuggestion {
    type Error = StoreError;
    fn try_from(r: SuggestionRow) -> Result<PlanSuggestion, StoreError> {
        Ok(PlanSuggestion {
            id: r.id,
            program_id: r.program_id,
            client_id: r.client_id,
            suite_id: r.suite_id,
            line: r.line,
            start: r.starts_on,
            end: r.ends_on,
            month: r.month,
            kind: super::kind_of("plan_suggestions.kind", &r.kind)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct ShortfallRow {
    pub program_id: Uuid,
    pub client_id: Uuid,
    pub month: String,
    pub phase: String,
    pub demand: i32,
    pub booked: i32,
    pub planned: i32,
    pub shortfall: i32,
    pub reason: String,
    pub competition: Json<Vec<Competition>>,
}

impl TryFrom<ShortfallRow> for PlanShortfall {
    type Error = StoreError;
    fn try_from(r: ShortfallRow) -> Result<PlanShortfall, StoreError> {
        Ok(PlanShortfall {
            program_id: r.program_id,
            client_id: r.client_id,
            month: r.month,
            phase: r.phase,
            demand: r.demand,
            booked: r.booked,
            planned: r.planned,
            shortfall: r.shortfall,
            reason: ShortfallReason::parse(&r.reason)
                .ok_or_else(|| StoreError::unknown_value("plan_shortfalls.reason", &r.reason))?,
            competition: r.competition.0,
        })
    }
}

#[derive(sqlx::FromRow)]
pub struct UtilizationRow {
    pub suite_id: Uuid,
    pub month: String,
    pub open_line_days: i32,
    pub booked_line_days: i32,
    pub planned_line_days: i32,
}

impl From<UtilizationRow> for PlanUtilization {
    fn from(r: UtilizationRow) -> PlanUtilization {
        PlanUtilization {
            suite_id: r.suite_id,
            month: r.month,
            open_line_days: r.open_line_days,
            booked_line_days: r.booked_line_days,
            planned_line_days: r.planned_line_days,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct TotalsRow {
    pub program_id: Uuid,
    pub client_id: Uuid,
    pub demand_batches: i32,
    pub served_batches: i32,
    pub demand_weighted: f64,
    pub served_weighted: f64,
}

#[derive(sqlx::FromRow)]
pub struct BookingSnapRow {
    pub program_id: Uuid,
    pub suite_id: Uuid,
    pub line: i32,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub status: String,
    pub kind: String,
}

pub const SANDBOX_COLS: &str = "id, name, description, changes, created_at, updated_at";

#[derive(sqlx::FromRow)]
pub struct SandboxRow {
    pub id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub changes: Json<Vec<SandboxChange>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SandboxRow> for Sandbox {
    fn from(r: SandboxRow) -> Sandbox {
        Sandbox {
            id: r.id,
            name: r.name,
            description: r.description,
            changes: r.changes.0,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}
