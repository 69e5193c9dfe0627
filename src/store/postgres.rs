//! The production store: PostgreSQL, where the database itself forbids overlapping bookings.

use crate::config::DatabaseSettings;
use crate::store::{Dialect, Store, StoreError};
use booking_path::BookingWrite;
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

pub struct PgStore {
    pub(crate) pool: PgPool,
}

impl PgStore {
    pub async fn connect(settings: &DatabaseSettings) -> Result<PgStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect(&settings.url)
            .await
            .map_err(StoreError::Database)?;
        MIGRATOR.run(&pool).await?;
        Ok(PgStore { pool })
    }

    async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        Ok(self.pool.begin().await?)
    }
}

// The use cases, written once for both backends (see `store/mod.rs`).
type Backend = PgStore;
type Db = sqlx::Postgres;
const DIALECT: Dialect = Dialect::POSTGRES;
#[path = "sql/audit.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod audit_log;
#[path = "sql/booking_import.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod booking_import;
#[path = "sql/booking_path.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod booking_path;
#[path = "sql/bookings.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod bookings;
#[path = "sql/calendar_reads.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod calendar_reads;
#[path = "sql/catalog.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod catalog;
#[path = "sql/common.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod common;
#[path = "sql/feeds.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod feeds;
#[path = "sql/idempotency.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod idempotency;
#[path = "sql/keys.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod keys;
#[path = "sql/plan_rows.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod plan_rows;
#[path = "sql/plans.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod plans;
#[path = "sql/pools.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod pools;
#[path = "sql/programs.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod programs;
#[path = "sql/selling.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod selling;
#[path = "sql/webhooks.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod webhooks;

#[async_trait::async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        DIALECT.name
    }

    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// The whole booking write as one statement (one round trip, one commit). The suite row is
/// share-locked (`FOR KEY SHARE`: bookings do not wait for each other, while closure and suite
/// edits, which lock it `FOR UPDATE`, wait for them and vice versa) and must still carry the
/// calendar version the booking was decided on; the exclusion constraint `bookings_no_overlap`
/// refuses an overlap with a concurrent booking. The event, the audit row, the idempotent answer
/// and the scan bound are written by the same statement, only when the booking was.
/// A client's hold is written only while the client's live holds stay within `$25` line-days;
/// that count is exact because [`PgStore::write_booking`] first takes the client's row lock in
/// the same transaction (the statement then sees every hold committed before it).
static BOOK: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "WITH s AS ( \
         SELECT id FROM suites WHERE id = $3 AND calendar_version = $12 FOR KEY SHARE \
     ), b AS ( \
         INSERT INTO bookings (id, program_id, suite_id, line, starts_on, ends_on, status, \
             hold_expires_at, note, at_risk, created_at, updated_at, kind, price) \
         SELECT $1, $2, s.id, $4, $5, $6, $7, $8, $9, $10, $11, $11, $26, $28 FROM s \
         WHERE CAST($25 AS bigint) IS NULL OR {held} + $24 <= $25 \
         RETURNING id \
     ), e AS ( \
         INSERT INTO events (id, type, client_id, payload, created_at) \
         SELECT $13, $14, $15, $16, $11 FROM b \
     ), a AS ( \
         INSERT INTO audit_log (id, at, api_key_id, role, action, entity, entity_id, \
             request_id, detail) \
         SELECT $17, $11, $18, $19, 'create', 'booking', b.id, $20, $21 FROM b \
     ), i AS ( \
         UPDATE idempotency_keys SET status_code = 201, response = $21 \
         WHERE api_key_id = $22 AND key = $23 AND EXISTS (SELECT 1 FROM b) \
     ), m AS ( \
         UPDATE suites SET max_booking_days = $24 \
         WHERE id = $3 AND max_booking_days < $24 AND EXISTS (SELECT 1 FROM b) \
     ) \
     SELECT count(*) FROM b",
        held = booking_path::client_held_sql("$15", "$27"),
    )
});

/// exclusion_violation: a concurrent booking took the line first.
const EXCLUSION_VIOLATION: &str = "23P01";

impl PgStore {
    /// `false`: the calendar changed since it was read, or a concurrent booking took the line.
    async fn write_booking(&self, w: &BookingWrite<'_>) -> Result<bool, StoreError> {
        if w.hold_quota.is_some() {
            // A client's hold: in a transaction of its own, for the client's lock.
            let mut tx = self.locking_tx().await?;
            let written = self.write_booking_in(&mut tx, w).await?;
            if written {
                tx.commit().await?;
            }
            return Ok(written);
        }
        written(book_query(w).fetch_one(&self.pool).await)
    }

    /// [`PgStore::write_booking`] inside the caller's transaction (which holds the locks its
    /// decision depends on). A client's hold takes the client's row lock first, so that its
    /// holds are counted one at a time.
    async fn write_booking_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
        w: &BookingWrite<'_>,
    ) -> Result<bool, StoreError> {
        if w.hold_quota.is_some() {
            sqlx::query(&format!(
                "SELECT id FROM clients WHERE id = $1{}",
                DIALECT.lock_parent
            ))
            .bind(w.client_id)
            .execute(&mut **tx)
            .await?;
        }
        written(book_query(w).fetch_one(&mut **tx).await)
    }

    /// A transaction whose statements after a lock see every commit made before it: READ
    /// COMMITTED, whatever the server's default.
    async fn locking_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        Ok(self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
            .await?)
    }
}

/// The [`BOOK`] statement with the write's values bound.
fn book_query<'q>(
    w: &'q BookingWrite<'_>,
) -> sqlx::query::QueryScalar<'q, sqlx::Postgres, i64, sqlx::postgres::PgArguments> {
    let b = w.booking;
    sqlx::query_scalar::<_, i64>(&BOOK)
        .bind(b.id)
        .bind(b.program_id)
        .bind(b.suite_id)
        .bind(b.line)
        .bind(b.start)
        .bind(b.end)
        .bind(b.status.as_str())
        .bind(b.hold_expires_at)
        .bind(b.note.as_deref())
        .bind(b.at_risk)
        .bind(b.created_at)
        .bind(w.calendar_version)
        .bind(uuid::Uuid::now_v7())
        .bind(w.event_type())
        .bind(w.client_id)
        .bind(sqlx::types::Json(w.event_payload()))
        .bind(uuid::Uuid::now_v7())
        .bind(w.actor.api_key_id)
        .bind(w.actor.role.as_str())
        .bind(w.actor.request_id.as_deref())
        .bind(sqlx::types::Json(w.audit_detail()))
        .bind(w.idem.map(|k| k.api_key_id))
        .bind(w.idem.map(|k| k.key.as_str()))
        .bind(w.days())
        .bind(w.hold_quota)
        .bind(b.kind.as_str())
        // The quota counts holds live now, as the check before the write did.
        .bind(crate::store::now())
        .bind(b.price.as_ref().map(sqlx::types::Json))
}

/// Whether the statement wrote the booking; an exclusion violation (a concurrent booking took
/// the line) is a "no", not an error.
fn written(result: Result<i64, sqlx::Error>) -> Result<bool, StoreError> {
    match result {
        Ok(n) => Ok(n == 1),
        Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some(EXCLUSION_VIOLATION) => {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}
