//! The embedded store: one SQLite file in WAL mode.

use crate::config::DatabaseSettings;
use crate::store::{Dialect, Store, StoreError};
use booking_path::BookingWrite;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

pub struct SqliteStore {
    /// Readers (and the rare autocommit write).
    pub(crate) pool: SqlitePool,
    /// One connection for write transactions. SQLite has a single writer anyway; queueing
    /// writers here (async, first come first served) instead of in SQLite's busy handler, which
    /// sleeps in growing steps, keeps write latency flat under concurrency.
    write_pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(settings: &DatabaseSettings) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(&settings.url)
            .map_err(|_| StoreError::invalid("database.url", "not a valid sqlite:// URL"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL + NORMAL is durable across process crashes (only an OS crash can lose the
            // last transactions), which is what a killed server must survive.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            // Set on every pooled connection, not just the first.
            .busy_timeout(Duration::from_millis(settings.busy_timeout_ms));
        let write_pool = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_millis(settings.busy_timeout_ms.max(1000)))
            .connect_with(options.clone())
            .await
            .map_err(StoreError::Database)?;
        MIGRATOR.run(&write_pool).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            .connect_with(options)
            .await
            .map_err(StoreError::Database)?;
        Ok(SqliteStore { pool, write_pool })
    }

    /// Every write use case starts with `BEGIN IMMEDIATE`: the write lock is taken before the
    /// first read, so the checks a use case makes cannot be invalidated before it commits, and a
    /// busy database is reported at the start (retryable) instead of at commit.
    async fn write_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.write_pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(StoreError::from)
    }
}

// The use cases, written once for both backends (see `store/mod.rs`).
type Backend = SqliteStore;
type Db = sqlx::Sqlite;
const DIALECT: Dialect = Dialect::SQLITE;
#[path = "sql/audit.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod audit_log;
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
#[path = "sql/programs.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod programs;
#[path = "sql/webhooks.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod webhooks;

#[async_trait::async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        DIALECT.name
    }

    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }
}

/// Inserts the decided booking only if, under the write lock, the suite's calendar is as it was
/// read (same version, no longer booking since) and no live booking overlaps on its line. SQLite
/// has no exclusion constraint: this check, under the database's only write lock, is what keeps
/// two bookings apart.
const INSERT_IF_FREE: &str = "INSERT INTO bookings (id, program_id, suite_id, line, starts_on, \
     ends_on, status, hold_expires_at, note, at_risk, created_at, updated_at) \
     SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11 \
     WHERE EXISTS (SELECT 1 FROM suites WHERE id = $3 AND calendar_version = $12 \
                   AND max_booking_days <= $13) \
     AND NOT EXISTS (SELECT 1 FROM bookings WHERE suite_id = $3 AND line = $4 \
         AND starts_on >= $14 AND starts_on < $6 AND ends_on > $5 \
         AND (CASE WHEN status = 'confirmed' THEN 1 \
                   WHEN status = 'held' AND hold_expires_at > $15 THEN 1 ELSE 0 END) = 1)";

impl SqliteStore {
    /// One write transaction: the checked insert, its event, its audit row, the idempotent
    /// answer and the suite's scan bound. `false`: the calendar changed since it was read.
    async fn write_booking(&self, w: &BookingWrite<'_>) -> Result<bool, StoreError> {
        let b = w.booking;
        let mut tx = self.write_tx().await?;
        let inserted = sqlx::query(INSERT_IF_FREE)
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
            .bind(w.longest)
            .bind(w.scan_from())
            .bind(crate::store::now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if inserted == 0 {
            return Ok(false);
        }
        common::emit(
            &mut tx,
            w.event_type(),
            Some(w.client_id),
            w.event_payload(),
        )
        .await?;
        common::audit(
            &mut tx,
            w.actor,
            "create",
            "booking",
            Some(b.id),
            w.audit_detail(),
        )
        .await?;
        if let Some(idem) = w.idem {
            sqlx::query(
                "UPDATE idempotency_keys SET status_code = 201, response = $3 \
                 WHERE api_key_id = $1 AND key = $2",
            )
            .bind(idem.api_key_id)
            .bind(&idem.key)
            .bind(sqlx::types::Json(w.audit_detail()))
            .execute(&mut *tx)
            .await?;
        }
        if w.days() > w.longest {
            sqlx::query(
                "UPDATE suites SET max_booking_days = $2 WHERE id = $1 AND max_booking_days < $2",
            )
            .bind(b.suite_id)
            .bind(w.days())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
