//! What every aggregate's SQL shares: the transaction type, the audit row and outbox event
//! written in the caller's transaction, and the suite calendar lock.
//!
//! Compiled once per backend (`sqlite.rs`, `postgres.rs` include this file as a module of their
//! own): `Backend`, `Db` and `DIALECT` are that backend's.

pub(super) use super::{Backend, Db, DIALECT};
pub(super) use crate::domain::*;
pub(super) use crate::store::rows::*;
pub(super) use crate::store::*;
pub(super) use async_trait::async_trait;
pub(super) use chrono::{DateTime, Utc};
pub(super) use sqlx::types::Json;
pub(super) use uuid::Uuid;

pub(super) type Tx = sqlx::Transaction<'static, Db>;

pub(super) async fn audit(
    tx: &mut Tx,
    actor: &Actor,
    action: &str,
    entity: &str,
    entity_id: Option<Uuid>,
    detail: serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, api_key_id, role, action, entity, entity_id, \
         request_id, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(Uuid::now_v7())
    .bind(now())
    .bind(actor.api_key_id)
    .bind(actor.role.as_str())
    .bind(action)
    .bind(entity)
    .bind(entity_id)
    .bind(actor.request_id.as_deref())
    .bind(Json(detail))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Writes an event to the outbox, in the caller's transaction.
#[allow(dead_code)]
pub(super) async fn emit(
    tx: &mut Tx,
    event_type: &str,
    client_id: Option<Uuid>,
    payload: serde_json::Value,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO events (id, type, client_id, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(Uuid::now_v7())
    .bind(event_type)
    .bind(client_id)
    .bind(Json(payload))
    .bind(now())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Locks the suite's calendar for the rest of the transaction and returns the suite with
/// the length of its longest booking (the scan bound of `live_bookings`).
pub(super) async fn lock_suite(tx: &mut Tx, id: Uuid) -> Result<LockedSuite, StoreError> {
    let sql = format!(
        "SELECT {SUITE_COLS}, max_booking_days FROM suites WHERE id = $1{}",
        DIALECT.for_update
    );
    sqlx::query_as::<_, LockedSuiteRow>(&sql)
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| {
            Ok(LockedSuite {
                suite: r.suite.try_into()?,
                longest: r.max_booking_days,
            })
        })
        .unwrap_or(Err(StoreError::NotFound))
}

/// Marks the suite's calendar changed (see migration 0007): a booking decided on the calendar
/// as it was before will not be written. The caller holds the suite lock.
pub(super) async fn calendar_changed(tx: &mut Tx, suite_id: Uuid) -> Result<(), StoreError> {
    sqlx::query("UPDATE suites SET calendar_version = calendar_version + 1 WHERE id = $1")
        .bind(suite_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Held (not yet expired) and confirmed bookings of a locked suite overlapping
/// `[from, to)`. Live bookings never last longer than `suite.longest` days, so the scan
/// starts that far before `from` instead of at the suite's first booking. The liveness
/// test is written as a CASE so that no planner answers it from the status index (SQLite
/// without statistics did, reading every confirmed booking).
pub(super) async fn live_bookings(
    tx: &mut Tx,
    suite: &LockedSuite,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<Taken>, StoreError> {
    let sql = format!(
        "SELECT id, program_id, line, starts_on, ends_on, seg_key FROM bookings \
         WHERE suite_id = $1 AND starts_on >= $5 AND starts_on < $3 AND ends_on > $2 AND {} \
         ORDER BY starts_on, id",
        live_at("$4")
    );
    let rows = sqlx::query_as::<_, LiveBookingRow>(&sql)
        .bind(suite.suite.id)
        .bind(from)
        .bind(to)
        .bind(now())
        .bind(scan_from(from, suite.longest))
        .fetch_all(&mut **tx)
        .await?;
    Ok(rows.into_iter().map(Taken::from).collect())
}

/// Live bookings never last longer than the suite's longest booking, so an overlap scan of
/// `[from, …)` may start that many days before `from` instead of at the suite's first booking.
pub(super) fn scan_from(from: chrono::NaiveDate, longest: i32) -> chrono::NaiveDate {
    from.checked_sub_days(chrono::Days::new(u64::try_from(longest).unwrap_or(0)))
        .unwrap_or(chrono::NaiveDate::MIN)
        .max(chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default())
}

pub(super) async fn program_client(
    tx: &mut Tx,
    program_id: Uuid,
) -> Result<Option<Uuid>, StoreError> {
    sqlx::query_scalar::<_, Uuid>("SELECT client_id FROM programs WHERE id = $1")
        .bind(program_id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(StoreError::from)
}

pub(super) fn fetch_limit(page: Page) -> i64 {
    i64::from(page.limit) + 1
}
