//! The production store: PostgreSQL, where the database itself forbids overlapping bookings.

use crate::config::DatabaseSettings;
use crate::store::{Dialect, Store, StoreError};
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
#[path = "sql/bookings.rs"]
#[allow(clippy::duplicate_mod)] // compiled once per backend, on purpose
mod bookings;
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
