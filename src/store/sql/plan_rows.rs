//! Plan rows: the snapshot a plan reads, the result rows it writes in chunks, and the reads and
//! deletes of those rows ([`PlanStore`]'s helpers).
//!
//! Compiled once per backend: `Backend`, `Db` and `DIALECT` are that backend's.

use super::common::*;
use chrono::NaiveDate;

pub(super) async fn delete_rows(tx: &mut Tx, id: Uuid) -> Result<(), StoreError> {
    for table in [
        "plan_suggestions",
        "plan_shortfalls",
        "plan_utilization",
        "plan_programs",
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE plan_id = $1"))
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Extends the lease inside `tx`; false when `owner` lost it.
pub(super) async fn hold_lease(
    tx: &mut Tx,
    id: Uuid,
    owner: &str,
    lease_until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let n = sqlx::query(
        "UPDATE plans SET lease_expires_at = $3 WHERE id = $1 AND lease_owner = $2 AND status = \
         'running'",
    )
    .bind(id)
    .bind(owner)
    .bind(lease_until)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub(super) async fn shortfalls_of(
    tx: &mut Tx,
    plan_id: Uuid,
    scope: Option<Uuid>,
) -> Result<Vec<PlanShortfall>, StoreError> {
    let rows = sqlx::query_as::<_, ShortfallRow>(
        "SELECT program_id, client_id, month, phase, demand, booked, planned, shortfall, reason, \
         competition FROM plan_shortfalls WHERE plan_id = $1 AND ($2 IS NULL OR client_id = $2) \
         ORDER BY seq",
    )
    .bind(plan_id)
    .bind(scope)
    .fetch_all(&mut **tx)
    .await?;
    let rows: Vec<PlanShortfall> = decode_all(rows)?;
    Ok(match scope {
        Some(client) => rows.into_iter().map(|r| r.scrubbed_for(client)).collect(),
        None => rows,
    })
}

pub(super) async fn utilization_of(
    tx: &mut Tx,
    plan_id: Uuid,
) -> Result<Vec<PlanUtilization>, StoreError> {
    let rows = sqlx::query_as::<_, UtilizationRow>(
        "SELECT suite_id, month, open_line_days, booked_line_days, planned_line_days \
         FROM plan_utilization WHERE plan_id = $1 ORDER BY seq",
    )
    .bind(plan_id)
    .fetch_all(&mut **tx)
    .await?;
    Ok(rows.into_iter().map(PlanUtilization::from).collect())
}

/// Everything a plan reads, in one read transaction so that it is consistent.
pub(super) async fn snapshot(
    pool: &sqlx::Pool<Db>,
    from: NaiveDate,
) -> Result<PlanSnapshot, StoreError> {
    let mut tx: Tx = pool.begin().await?;
    let sql = format!("SELECT {SUITE_COLS} FROM suites ORDER BY name, id");
    let suites = sqlx::query_as::<_, SuiteRow>(&sql)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(Suite::try_from)
        .collect::<Result<_, StoreError>>()?;
    let sql = format!(
        "SELECT {CLOSURE_COLS} FROM closures WHERE ends_on > $1 ORDER BY suite_id, starts_on"
    );
    let closures = sqlx::query_as::<_, ClosureRow>(&sql)
        .bind(from)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(Closure::from)
        .collect();
    let sql = format!("SELECT {PROGRAM_COLS} FROM programs ORDER BY id");
    let programs = sqlx::query_as::<_, ProgramRow>(&sql)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(Program::try_from)
        .collect::<Result<_, StoreError>>()?;
    let forecasts = sqlx::query_as::<_, ForecastRow>(
        "SELECT f.program_id, f.version, f.entries, f.created_at FROM forecasts f \
         WHERE f.version = (SELECT MAX(g.version) FROM forecasts g WHERE g.program_id = \
         f.program_id) \
         ORDER BY f.program_id",
    )
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .map(|r| (r.program_id, r.entries.0))
    .collect();
    let sql = format!("SELECT {POOL_COLS} FROM pools ORDER BY id");
    let pools = decode_all(
        sqlx::query_as::<_, PoolRow>(&sql)
            .fetch_all(&mut *tx)
            .await?,
    )?;
    // Live = confirmed, or held and not yet expired (swept or not). A booking that ended before
    // `from` may still take QC in the horizon: those within a profile's reach are read too; and
    // tech transfers and engineering runs of any date, steps of a road to first batch done.
    let reach = chrono::Days::new(u64::from(MAX_OFFSET) + 1);
    let sql = format!(
        "SELECT program_id, suite_id, line, starts_on, ends_on, status, kind FROM bookings \
         WHERE (ends_on > $1 OR kind IN ('tech_transfer', 'engineering_run')) AND {} \
         ORDER BY suite_id, line, starts_on",
        live_at("$2")
    );
    let bookings = sqlx::query_as::<_, BookingSnapRow>(&sql)
        .bind(from.checked_sub_days(reach).unwrap_or(from))
        .bind(now())
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| {
            Ok(SnapshotBooking {
                program_id: r.program_id,
                suite_id: r.suite_id,
                line: r.line,
                start: r.starts_on,
                end: r.ends_on,
                confirmed: r.status == "confirmed",
                kind: kind_of("bookings.kind", &r.kind)?,
            })
        })
        .collect::<Result<_, StoreError>>()?;
    let sql = format!(
        "SELECT {DEDICATION_COLS} FROM dedications WHERE ends_on IS NULL OR ends_on > $1 \
         ORDER BY id"
    );
    let dedications = sqlx::query_as::<_, DedicationRow>(&sql)
        .bind(from)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(Dedication::from)
        .collect();
    tx.commit().await?;
    Ok(PlanSnapshot {
        suites,
        closures,
        programs,
        forecasts,
        bookings,
        pools,
        dedications,
    })
}

/// One chunk of result rows, in the caller's transaction.
pub(super) async fn insert(tx: &mut Tx, id: Uuid, chunk: &PlanRowsChunk) -> Result<(), StoreError> {
    if !chunk.suggestions.is_empty() {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO plan_suggestions (id, plan_id, seq, program_id, client_id, \
             suite_id, line, \
             starts_on, ends_on, month, kind) ",
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
                .push_bind(s.month.clone())
                .push_bind(s.kind.as_str());
        });
        q.build().execute(&mut **tx).await?;
    }
    if !chunk.shortfalls.is_empty() {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO plan_shortfalls (plan_id, seq, program_id, client_id, month, \
             phase, demand, \
             booked, planned, shortfall, reason, competition) ",
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
                .push_bind(s.reason.as_str())
                .push_bind(Json(&s.competition));
        });
        q.build().execute(&mut **tx).await?;
    }
    if !chunk.utilization.is_empty() {
        let mut q = sqlx::QueryBuilder::<Db>::new(
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
        q.build().execute(&mut **tx).await?;
    }
    if !chunk.programs.is_empty() {
        let mut q = sqlx::QueryBuilder::<Db>::new(
            "INSERT INTO plan_programs (plan_id, program_id, client_id, demand_batches, \
             served_batches, \
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
        q.build().execute(&mut **tx).await?;
    }
    Ok(())
}
