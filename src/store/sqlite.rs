//! The embedded store: one SQLite file in WAL mode.

use crate::config::DatabaseSettings;
use crate::store::{Dialect, Store, StoreError};
use booking_path::BookingWrite;

mod booking_writer;
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
    /// Bookings' writes, committed in groups (see `booking_writer`).
    bookings: booking_writer::BookingWriter,
    /// Alive while the store is: the WAL checkpointer stops when it is dropped.
    _alive: std::sync::Arc<()>,
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
            // The writer never checkpoints the WAL itself (that would stall the commit that
            // crosses the threshold, and every write queued behind it); `checkpoint` does it.
            .connect_with(options.clone().pragma("wal_autocheckpoint", "0"))
            .await
            .map_err(StoreError::Database)?;
        MIGRATOR.run(&write_pool).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(settings.max_connections.max(1))
            // Readers read through a memory map instead of a read() call per page (availability
            // reads thousands of rows per request); the writer keeps plain I/O, where a growing
            // map would cost remaps.
            .connect_with(options.pragma("mmap_size", "268435456"))
            .await
            .map_err(StoreError::Database)?;
        let bookings = booking_writer::BookingWriter::start(write_pool.clone());
        let alive = std::sync::Arc::new(());
        tokio::spawn(checkpoint(pool.clone(), std::sync::Arc::downgrade(&alive)));
        Ok(SqliteStore {
            pool,
            write_pool,
            bookings,
            _alive: alive,
        })
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

/// Copies the WAL back into the database every half second from a reader connection, with a
/// PASSIVE checkpoint: it waits for no reader or writer, so commits never pay for it, and the WAL
/// stays small (the writer restarts it once it has been copied).
async fn checkpoint(pool: SqlitePool, alive: std::sync::Weak<()>) {
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while alive.strong_count() > 0 {
        tick.tick().await;
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::debug!(error = %e, "WAL checkpoint failed; the next tick tries again");
        }
    }
}

// The use cases, written once for both backends (see `store/mod.rs`).
type Backend = SqliteStore;
type Db = sqlx::Sqlite;
const DIALECT: Dialect = Dialect::SQLITE;
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

impl SqliteStore {
    /// `false`: the calendar changed since it was read.
    async fn write_booking(&self, w: &BookingWrite<'_>) -> Result<bool, StoreError> {
        self.bookings.write(booking_writer::Book::from(w)).await
    }

    /// [`SqliteStore::write_booking`] inside the caller's write transaction.
    async fn write_booking_in(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>,
        w: &BookingWrite<'_>,
    ) -> Result<bool, StoreError> {
        booking_writer::write_one(tx, &booking_writer::Book::from(w)).await
    }

    /// A transaction holding the only write lock from its start (`BEGIN IMMEDIATE`).
    async fn locking_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.write_tx().await
    }
}
