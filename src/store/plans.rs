//! Plan jobs and their results: the [`PlanStore`] use cases, written once in SQL
//! (`impl_plan_store!`, instantiated per backend like `impl_store!`).
//!
//! A plan is a row in `plans` that moves `queued → running → done | failed`. A worker claims it
//! with a lease (`lease_owner`, `lease_expires_at`) that it renews while solving; a plan whose
//! lease expired (a killed worker) is claimed again, at most [`MAX_ATTEMPTS`] times. Results are
//! written in chunks of a few hundred rows per transaction while the plan is still `running`
//! (so a large plan never holds SQLite's single writer for long), and the final transaction
//! raises the alerts and flips the status, so readers never see a half-written plan.

use crate::planning::NewPlan;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Listed, Page, StoreError};
use crate::domain::{Actor, Closure, ForecastEntry, Program, Suite};

/// A plan interrupted this many times (its worker died each time) is marked failed instead of
/// being claimed once more: something in it kills workers.
pub const MAX_ATTEMPTS: i32 = 3;

/// The plan row: request, state and (once done) its summary.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRecord {
    pub id: Uuid,
    pub status: String,
    pub scenario: String,
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
    /// `capacity`, `no_usable_suite` or `earliest_start`.
    pub reason: String,
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
}

/// An event for the outbox: type, client scope (None = staff only), `data`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    pub event_type: String,
    pub client_id: Option<Uuid>,
    pub data: serde_json::Value,
}

/// Plan jobs: queueing, claiming with a lease, recording results and reading them back.
#[async_trait]
pub trait PlanStore: Send + Sync + 'static {
    /// Queues a plan. Unknown `program_ids` → `Validation` naming `/program_ids/i`.
    async fn create_plan(&self, actor: &Actor, input: &NewPlan) -> Result<PlanRecord, StoreError>;
    /// Newest first.
    async fn list_plans(&self, page: Page) -> Result<Listed<PlanRecord>, StoreError>;
    /// The plan and, when done, its rows; `scope` (a client) keeps only its own programs' rows
    /// and no suite-level rows.
    async fn get_plan(&self, id: Uuid, scope: Option<Uuid>) -> Result<PlanDetail, StoreError>;
    /// Claims the oldest queued plan, or a running one whose lease expired, for `owner` until
    /// `lease_until`; deletes result rows a previous attempt left behind.
    async fn claim_plan(
        &self,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<PlanRecord>, StoreError>;
    /// Extends the lease (and records progress). `false` when `owner` no longer holds it.
    async fn renew_plan_lease(
        &self,
        id: Uuid,
        owner: &str,
        lease_until: DateTime<Utc>,
        progress: Option<&str>,
    ) -> Result<bool, StoreError>;
    /// Everything the plan needs from the store, read consistently.
    async fn plan_snapshot(&self, from: NaiveDate) -> Result<PlanSnapshot, StoreError>;
    /// One transaction of result rows (renewing the lease); `State` if the lease was lost.
    async fn write_plan_rows(
        &self,
        id: Uuid,
        owner: &str,
        lease_until: DateTime<Utc>,
        chunk: &PlanRowsChunk,
    ) -> Result<(), StoreError>;
    /// The final transaction: compares with the previous done plan of the same scenario, writes
    /// the alerts to the outbox, stores the summary and flips the plan to `done`.
    async fn finish_plan(
        &self,
        id: Uuid,
        owner: &str,
        summary: &PlanSummary,
        utilization_threshold: f64,
    ) -> Result<(), StoreError>;
    /// Marks the plan failed with `error` (if `owner` still holds it) and drops partial rows.
    async fn fail_plan(&self, id: Uuid, owner: &str, error: &str) -> Result<(), StoreError>;
    /// One suggestion of a done plan; `scope` (a client) finds only its own programs' ones.
    async fn get_plan_suggestion(
        &self,
        plan_id: Uuid,
        suggestion_id: Uuid,
        scope: Option<Uuid>,
    ) -> Result<PlanSuggestion, StoreError>;
}

macro_rules! impl_plan_store {
    ($store:ty, $db:ty, $skip_locked:literal, $classify:path) => {
        mod plan_store {
            use super::*;
            // Also reachable through `super` (impl_store!'s imports); named here so the macro
            // does not depend on them.
            #[allow(unused_imports)]
            use $crate::domain::*;
            use $crate::planning::NewPlan;
            #[allow(unused_imports)]
            use $crate::store::plans::*;
            #[allow(unused_imports)]
            use $crate::store::rows::*;
            use $crate::store::{now, Listed, Page, StoreError};
            use chrono::{DateTime, NaiveDate, Utc};
            use sqlx::types::Json;
            use sqlx::Transaction;
            use uuid::Uuid;

            type Tx = Transaction<'static, $db>;

            fn db(e: sqlx::Error) -> StoreError {
                $classify(e)
            }

            const PLAN_COLS: &str = "id, status, scenario, horizon_from, horizon_to, program_ids, \
                time_limit_s, created_at, started_at, finished_at, progress, error, summary";

            #[derive(sqlx::FromRow)]
            struct PlanRow {
                id: Uuid,
                status: String,
                scenario: String,
                horizon_from: NaiveDate,
                horizon_to: NaiveDate,
                program_ids: Option<Json<Vec<Uuid>>>,
                time_limit_s: Option<f64>,
                created_at: DateTime<Utc>,
                started_at: Option<DateTime<Utc>>,
                finished_at: Option<DateTime<Utc>>,
                progress: Option<String>,
                error: Option<String>,
                summary: Option<Json<PlanSummary>>,
            }

            impl From<PlanRow> for PlanRecord {
                fn from(r: PlanRow) -> PlanRecord {
                    PlanRecord {
                        id: r.id,
                        status: r.status,
                        scenario: r.scenario,
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
                    }
                }
            }

            #[derive(sqlx::FromRow)]
            struct SuggestionRow {
                id: Uuid,
                program_id: Uuid,
                client_id: Uuid,
                suite_id: Uuid,
                line: i32,
                starts_on: NaiveDate,
                ends_on: NaiveDate,
                month: String,
            }

            #[derive(sqlx::FromRow)]
            struct ShortfallRow {
                program_id: Uuid,
                client_id: Uuid,
                month: String,
                phase: String,
                demand: i32,
                booked: i32,
                planned: i32,
                shortfall: i32,
                reason: String,
            }

            impl From<ShortfallRow> for PlanShortfall {
                fn from(r: ShortfallRow) -> PlanShortfall {
                    PlanShortfall {
                        program_id: r.program_id,
                        client_id: r.client_id,
                        month: r.month,
                        phase: r.phase,
                        demand: r.demand,
                        booked: r.booked,
                        planned: r.planned,
                        shortfall: r.shortfall,
                        reason: r.reason,
                    }
                }
            }

            #[derive(sqlx::FromRow)]
            struct UtilizationRow {
                suite_id: Uuid,
                month: String,
                open_line_days: i32,
                booked_line_days: i32,
                planned_line_days: i32,
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
            struct TotalsRow {
                program_id: Uuid,
                client_id: Uuid,
                demand_batches: i32,
                served_batches: i32,
                demand_weighted: f64,
                served_weighted: f64,
            }

            #[derive(sqlx::FromRow)]
            struct BookingSnapRow {
                program_id: Uuid,
                suite_id: Uuid,
                line: i32,
                starts_on: NaiveDate,
                ends_on: NaiveDate,
                status: String,
            }

            async fn delete_rows(tx: &mut Tx, id: Uuid) -> Result<(), StoreError> {
                for table in ["plan_suggestions", "plan_shortfalls", "plan_utilization", "plan_programs"] {
                    sqlx::query(&format!("DELETE FROM {table} WHERE plan_id = $1"))
                        .bind(id)
                        .execute(&mut **tx)
                        .await
                        .map_err(db)?;
                }
                Ok(())
            }

            /// Extends the lease inside `tx`; false when `owner` lost it.
            async fn hold_lease(
                tx: &mut Tx,
                id: Uuid,
                owner: &str,
                lease_until: DateTime<Utc>,
            ) -> Result<bool, StoreError> {
                let n = sqlx::query(
                    "UPDATE plans SET lease_expires_at = $3 WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
                )
                .bind(id)
                .bind(owner)
                .bind(lease_until)
                .execute(&mut **tx)
                .await
                .map_err(db)?
                .rows_affected();
                Ok(n == 1)
            }

            async fn shortfalls_of(
                tx: &mut Tx,
                plan_id: Uuid,
                scope: Option<Uuid>,
            ) -> Result<Vec<PlanShortfall>, StoreError> {
                let rows = sqlx::query_as::<_, ShortfallRow>(
                    "SELECT program_id, client_id, month, phase, demand, booked, planned, shortfall, reason \
                     FROM plan_shortfalls WHERE plan_id = $1 AND ($2 IS NULL OR client_id = $2) ORDER BY seq",
                )
                .bind(plan_id)
                .bind(scope)
                .fetch_all(&mut **tx)
                .await
                .map_err(db)?;
                Ok(rows.into_iter().map(PlanShortfall::from).collect())
            }

            async fn utilization_of(tx: &mut Tx, plan_id: Uuid) -> Result<Vec<PlanUtilization>, StoreError> {
                let rows = sqlx::query_as::<_, UtilizationRow>(
                    "SELECT suite_id, month, open_line_days, booked_line_days, planned_line_days \
                     FROM plan_utilization WHERE plan_id = $1 ORDER BY seq",
                )
                .bind(plan_id)
                .fetch_all(&mut **tx)
                .await
                .map_err(db)?;
                Ok(rows.into_iter().map(PlanUtilization::from).collect())
            }

            #[async_trait::async_trait]
            impl PlanStore for $store {
                async fn create_plan(&self, actor: &Actor, input: &NewPlan) -> Result<PlanRecord, StoreError> {
                    let mut tx = self.write_tx().await?;
                    if let Some(ids) = &input.program_ids {
                        for (i, id) in ids.iter().enumerate() {
                            let found = sqlx::query_scalar::<_, Uuid>(
                                "SELECT id FROM programs WHERE id = $1 AND ($2 IS NULL OR client_id = $2)",
                            )
                            .bind(id)
                            .bind(actor.scope())
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(db)?;
                            if found.is_none() {
                                return Err(StoreError::invalid(&format!("/program_ids/{i}"), "unknown program"));
                            }
                        }
                    }
                    let sql = format!(
                        "INSERT INTO plans (id, status, scenario, horizon_from, horizon_to, program_ids, time_limit_s, \
                         created_by, created_at) VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8) RETURNING {PLAN_COLS}"
                    );
                    let record: PlanRecord = sqlx::query_as::<_, PlanRow>(&sql)
                        .bind(Uuid::now_v7())
                        .bind(input.scenario.as_str())
                        .bind(input.from)
                        .bind(input.to)
                        .bind(input.program_ids.as_ref().map(Json))
                        .bind(input.time_limit_s)
                        .bind(actor.api_key_id)
                        .bind(now())
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db)?
                        .into();
                    super::audit(&mut tx, actor, "create", "plan", Some(record.id), serde_json::json!({
                        "scenario": record.scenario, "from": record.from, "to": record.to,
                        "program_ids": record.program_ids, "time_limit_s": record.time_limit_s,
                    }))
                    .await?;
                    tx.commit().await.map_err(db)?;
                    Ok(record)
                }

                async fn list_plans(&self, page: Page) -> Result<Listed<PlanRecord>, StoreError> {
                    // Ids are UUIDv7: descending id is newest first, and a stable cursor.
                    let sql = format!(
                        "SELECT {PLAN_COLS} FROM plans WHERE ($1 IS NULL OR id < $1) ORDER BY id DESC LIMIT $2"
                    );
                    let rows = sqlx::query_as::<_, PlanRow>(&sql)
                        .bind(page.after)
                        .bind(i64::from(page.limit) + 1)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                    Ok(Listed::from_rows(rows.into_iter().map(PlanRecord::from).collect(), page.limit, |p| p.id))
                }

                async fn get_plan(&self, id: Uuid, scope: Option<Uuid>) -> Result<PlanDetail, StoreError> {
                    // One read transaction: the rows match the status read with them.
                    let mut tx: Tx = self.pool.begin().await.map_err(db)?;
                    let sql = format!("SELECT {PLAN_COLS} FROM plans WHERE id = $1");
                    let record: PlanRecord = sqlx::query_as::<_, PlanRow>(&sql)
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?
                        .map(PlanRecord::from)
                        .ok_or(StoreError::NotFound)?;
                    let mut detail = PlanDetail {
                        record,
                        suggestions: vec![],
                        shortfalls: vec![],
                        utilization: vec![],
                        programs: vec![],
                    };
                    if detail.record.status != "done" {
                        return Ok(detail);
                    }
                    detail.suggestions = sqlx::query_as::<_, SuggestionRow>(
                        "SELECT id, program_id, client_id, suite_id, line, starts_on, ends_on, month \
                         FROM plan_suggestions WHERE plan_id = $1 AND ($2 IS NULL OR client_id = $2) ORDER BY seq",
                    )
                    .bind(id)
                    .bind(scope)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db)?
                    .into_iter()
                    .map(|r| PlanSuggestion {
                        id: r.id,
                        program_id: r.program_id,
                        client_id: r.client_id,
                        suite_id: r.suite_id,
                        line: r.line,
                        start: r.starts_on,
                        end: r.ends_on,
                        month: r.month,
                    })
                    .collect();
                    detail.shortfalls = shortfalls_of(&mut tx, id, scope).await?;
                    if scope.is_none() {
                        detail.utilization = utilization_of(&mut tx, id).await?;
                    }
                    detail.programs = sqlx::query_as::<_, TotalsRow>(
                        "SELECT program_id, client_id, demand_batches, served_batches, demand_weighted, served_weighted \
                         FROM plan_programs WHERE plan_id = $1 AND ($2 IS NULL OR client_id = $2) ORDER BY program_id",
                    )
                    .bind(id)
                    .bind(scope)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db)?
                    .into_iter()
                    .map(|r| PlanProgramTotals {
                        program_id: r.program_id,
                        client_id: r.client_id,
                        demand_batches: r.demand_batches,
                        served_batches: r.served_batches,
                        demand_weighted: r.demand_weighted,
                        served_weighted: r.served_weighted,
                    })
                    .collect();
                    tx.commit().await.map_err(db)?;
                    Ok(detail)
                }

                async fn claim_plan(
                    &self,
                    owner: &str,
                    lease_until: DateTime<Utc>,
                ) -> Result<Option<PlanRecord>, StoreError> {
                    let mut tx = self.write_tx().await?;
                    let t = now();
                    // A plan that keeps killing its workers is given up on, with a reason.
                    sqlx::query(
                        "UPDATE plans SET status = 'failed', finished_at = $1, lease_owner = NULL, progress = NULL, \
                         error = 'the plan was interrupted too many times (its worker stopped while solving)' \
                         WHERE status = 'running' AND lease_expires_at < $1 AND attempts >= $2",
                    )
                    .bind(t)
                    .bind(MAX_ATTEMPTS)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                    let sql = format!(
                        "SELECT id FROM plans WHERE status = 'queued' OR (status = 'running' AND lease_expires_at < $1) \
                         ORDER BY created_at, id LIMIT 1{}",
                        $skip_locked
                    );
                    let Some(id) = sqlx::query_scalar::<_, Uuid>(&sql)
                        .bind(t)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?
                    else {
                        tx.commit().await.map_err(db)?;
                        return Ok(None);
                    };
                    let sql = format!(
                        "UPDATE plans SET status = 'running', lease_owner = $2, lease_expires_at = $3, \
                         started_at = COALESCE(started_at, $4), attempts = attempts + 1, progress = 'starting', error = NULL \
                         WHERE id = $1 RETURNING {PLAN_COLS}"
                    );
                    let record: PlanRecord = sqlx::query_as::<_, PlanRow>(&sql)
                        .bind(id)
                        .bind(owner)
                        .bind(lease_until)
                        .bind(t)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db)?
                        .into();
                    delete_rows(&mut tx, id).await?;
                    tx.commit().await.map_err(db)?;
                    Ok(Some(record))
                }

                async fn renew_plan_lease(
                    &self,
                    id: Uuid,
                    owner: &str,
                    lease_until: DateTime<Utc>,
                    progress: Option<&str>,
                ) -> Result<bool, StoreError> {
                    let n = sqlx::query(
                        "UPDATE plans SET lease_expires_at = $3, progress = COALESCE($4, progress) \
                         WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
                    )
                    .bind(id)
                    .bind(owner)
                    .bind(lease_until)
                    .bind(progress)
                    .execute(&self.pool)
                    .await
                    .map_err(db)?
                    .rows_affected();
                    Ok(n == 1)
                }

                async fn plan_snapshot(&self, from: NaiveDate) -> Result<PlanSnapshot, StoreError> {
                    let mut tx: Tx = self.pool.begin().await.map_err(db)?;
                    let sql = format!("SELECT {SUITE_COLS} FROM suites ORDER BY name, id");
                    let suites = sqlx::query_as::<_, SuiteRow>(&sql)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db)?
                        .into_iter()
                        .map(Suite::from)
                        .collect();
                    let sql = format!("SELECT {CLOSURE_COLS} FROM closures WHERE ends_on > $1 ORDER BY suite_id, starts_on");
                    let closures = sqlx::query_as::<_, ClosureRow>(&sql)
                        .bind(from)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db)?
                        .into_iter()
                        .map(Closure::from)
                        .collect();
                    let sql = format!("SELECT {PROGRAM_COLS} FROM programs ORDER BY id");
                    let programs = sqlx::query_as::<_, ProgramRow>(&sql)
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db)?
                        .into_iter()
                        .map(Program::from)
                        .collect();
                    let forecasts = sqlx::query_as::<_, ForecastRow>(
                        "SELECT f.program_id, f.version, f.entries, f.created_at FROM forecasts f \
                         WHERE f.version = (SELECT MAX(g.version) FROM forecasts g WHERE g.program_id = f.program_id) \
                         ORDER BY f.program_id",
                    )
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db)?
                    .into_iter()
                    .map(|r| (r.program_id, r.entries.0))
                    .collect();
                    // Live = confirmed, or held and not yet expired (swept or not).
                    let bookings = sqlx::query_as::<_, BookingSnapRow>(
                        "SELECT program_id, suite_id, line, starts_on, ends_on, status FROM bookings \
                         WHERE ends_on > $1 AND (status = 'confirmed' OR (status = 'held' AND hold_expires_at > $2)) \
                         ORDER BY suite_id, line, starts_on",
                    )
                    .bind(from)
                    .bind(now())
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db)?
                    .into_iter()
                    .map(|r| SnapshotBooking {
                        program_id: r.program_id,
                        suite_id: r.suite_id,
                        line: r.line,
                        start: r.starts_on,
                        end: r.ends_on,
                        confirmed: r.status == "confirmed",
                    })
                    .collect();
                    tx.commit().await.map_err(db)?;
                    Ok(PlanSnapshot { suites, closures, programs, forecasts, bookings })
                }

                async fn write_plan_rows(
                    &self,
                    id: Uuid,
                    owner: &str,
                    lease_until: DateTime<Utc>,
                    chunk: &PlanRowsChunk,
                ) -> Result<(), StoreError> {
                    let mut tx = self.write_tx().await?;
                    if !hold_lease(&mut tx, id, owner, lease_until).await? {
                        return Err(StoreError::State("the plan's lease was lost".into()));
                    }
                    if !chunk.suggestions.is_empty() {
                        let mut q = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO plan_suggestions (id, plan_id, seq, program_id, client_id, suite_id, line, \
                             starts_on, ends_on, month) ",
                        );
                        q.push_values(&chunk.suggestions, |mut b, (seq, s)| {
                            b.push_bind(s.id)
                                .push_bind(id)
                                .push_bind(*seq)
                                .push_bind(s.program_id)
                                .push_bind(s.client_id)
                                .push_bind(s.suite_id)
                                .push_bind(s.line)
                                .push_bind(s.start)
                                .push_bind(s.end)
                                .push_bind(s.month.clone());
                        });
                        q.build().execute(&mut *tx).await.map_err(db)?;
                    }
                    if !chunk.shortfalls.is_empty() {
                        let mut q = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO plan_shortfalls (plan_id, seq, program_id, client_id, month, phase, demand, \
                             booked, planned, shortfall, reason) ",
                        );
                        q.push_values(&chunk.shortfalls, |mut b, (seq, s)| {
                            b.push_bind(id)
                                .push_bind(*seq)
                                .push_bind(s.program_id)
                                .push_bind(s.client_id)
                                .push_bind(s.month.clone())
                                .push_bind(s.phase.clone())
                                .push_bind(s.demand)
                                .push_bind(s.booked)
                                .push_bind(s.planned)
                                .push_bind(s.shortfall)
                                .push_bind(s.reason.clone());
                        });
                        q.build().execute(&mut *tx).await.map_err(db)?;
                    }
                    if !chunk.utilization.is_empty() {
                        let mut q = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO plan_utilization (plan_id, seq, suite_id, month, open_line_days, \
                             booked_line_days, planned_line_days) ",
                        );
                        q.push_values(&chunk.utilization, |mut b, (seq, u)| {
                            b.push_bind(id)
                                .push_bind(*seq)
                                .push_bind(u.suite_id)
                                .push_bind(u.month.clone())
                                .push_bind(u.open_line_days)
                                .push_bind(u.booked_line_days)
                                .push_bind(u.planned_line_days);
                        });
                        q.build().execute(&mut *tx).await.map_err(db)?;
                    }
                    if !chunk.programs.is_empty() {
                        let mut q = sqlx::QueryBuilder::<$db>::new(
                            "INSERT INTO plan_programs (plan_id, program_id, client_id, demand_batches, served_batches, \
                             demand_weighted, served_weighted) ",
                        );
                        q.push_values(&chunk.programs, |mut b, t| {
                            b.push_bind(id)
                                .push_bind(t.program_id)
                                .push_bind(t.client_id)
                                .push_bind(t.demand_batches)
                                .push_bind(t.served_batches)
                                .push_bind(t.demand_weighted)
                                .push_bind(t.served_weighted);
                        });
                        q.build().execute(&mut *tx).await.map_err(db)?;
                    }
                    tx.commit().await.map_err(db)?;
                    Ok(())
                }

                async fn finish_plan(
                    &self,
                    id: Uuid,
                    owner: &str,
                    summary: &PlanSummary,
                    utilization_threshold: f64,
                ) -> Result<(), StoreError> {
                    let mut tx = self.write_tx().await?;
                    let sql = format!("SELECT {PLAN_COLS} FROM plans WHERE id = $1 AND lease_owner = $2 AND status = 'running'{}",
                        if $skip_locked.is_empty() { "" } else { " FOR UPDATE" });
                    let record: PlanRecord = sqlx::query_as::<_, PlanRow>(&sql)
                        .bind(id)
                        .bind(owner)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?
                        .map(PlanRecord::from)
                        .ok_or_else(|| StoreError::State("the plan's lease was lost".into()))?;
                    let previous = sqlx::query_scalar::<_, Uuid>(
                        "SELECT id FROM plans WHERE scenario = $1 AND status = 'done' AND id <> $2 \
                         ORDER BY finished_at DESC, id DESC LIMIT 1",
                    )
                    .bind(&record.scenario)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?;
                    let (prev_short, prev_util) = match previous {
                        Some(p) => (shortfalls_of(&mut tx, p, None).await?, utilization_of(&mut tx, p).await?),
                        None => (vec![], vec![]),
                    };
                    let shortfalls = shortfalls_of(&mut tx, id, None).await?;
                    let utilization = utilization_of(&mut tx, id).await?;
                    let events = $crate::planning::alerts::plan_events(
                        &record,
                        summary,
                        &$crate::planning::alerts::Compared {
                            shortfalls: &shortfalls,
                            previous_shortfalls: &prev_short,
                            utilization: &utilization,
                            previous_utilization: &prev_util,
                        },
                        utilization_threshold,
                    );
                    for event in &events {
                        super::emit(&mut tx, &event.event_type, event.client_id, event.data.clone()).await?;
                    }
                    sqlx::query(
                        "UPDATE plans SET status = 'done', finished_at = $2, summary = $3, progress = NULL, \
                         lease_owner = NULL, lease_expires_at = NULL WHERE id = $1",
                    )
                    .bind(id)
                    .bind(now())
                    .bind(Json(summary))
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                    tx.commit().await.map_err(db)?;
                    Ok(())
                }

                async fn get_plan_suggestion(
                    &self,
                    plan_id: Uuid,
                    suggestion_id: Uuid,
                    scope: Option<Uuid>,
                ) -> Result<PlanSuggestion, StoreError> {
                    sqlx::query_as::<_, SuggestionRow>(
                        "SELECT s.id, s.program_id, s.client_id, s.suite_id, s.line, s.starts_on, s.ends_on, s.month \
                         FROM plan_suggestions s JOIN plans p ON p.id = s.plan_id \
                         WHERE s.plan_id = $1 AND s.id = $2 AND p.status = 'done' AND ($3 IS NULL OR s.client_id = $3)",
                    )
                    .bind(plan_id)
                    .bind(suggestion_id)
                    .bind(scope)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?
                    .map(|r| PlanSuggestion {
                        id: r.id,
                        program_id: r.program_id,
                        client_id: r.client_id,
                        suite_id: r.suite_id,
                        line: r.line,
                        start: r.starts_on,
                        end: r.ends_on,
                        month: r.month,
                    })
                    .ok_or(StoreError::NotFound)
                }

                async fn fail_plan(&self, id: Uuid, owner: &str, error: &str) -> Result<(), StoreError> {
                    let mut tx = self.write_tx().await?;
                    let n = sqlx::query(
                        "UPDATE plans SET status = 'failed', finished_at = $3, error = $4, progress = NULL, \
                         lease_owner = NULL, lease_expires_at = NULL \
                         WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
                    )
                    .bind(id)
                    .bind(owner)
                    .bind(now())
                    .bind(error)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?
                    .rows_affected();
                    if n == 1 {
                        delete_rows(&mut tx, id).await?;
                    }
                    tx.commit().await.map_err(db)?;
                    Ok(())
                }
            }
        }
    };
}

pub(crate) use impl_plan_store;
