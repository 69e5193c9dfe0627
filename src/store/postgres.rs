//! The production store: PostgreSQL, where the database itself forbids overlapping bookings.

use crate::config::DatabaseSettings;
use crate::store::{sql::impl_store, StoreError};
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
        self.pool.begin().await.map_err(classify)
    }
}

pub(crate) fn classify(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(d) = &e {
        let code = d.code().unwrap_or_default();
        // serialization_failure, deadlock_detected, lock_not_available: retry.
        if matches!(code.as_ref(), "40001" | "40P01" | "55P03") {
            return StoreError::Busy;
        }
        if d.is_unique_violation() {
            return super::duplicate(d.constraint().unwrap_or(d.message()));
        }
        // exclusion_violation on bookings_no_overlap: the database refused an overlap that the
        // application's own check did not see (it cannot, under the suite lock — but if it ever
        // does, the answer is still a clean 409).
        if code.as_ref() == "23P01" {
            return StoreError::Conflict(Vec::new());
        }
    }
    if matches!(e, sqlx::Error::PoolTimedOut) {
        return StoreError::Busy;
    }
    StoreError::Database(e)
}

impl_store!(PgStore, sqlx::Postgres, "postgres", " FOR UPDATE", classify);
crate::store::plans::impl_plan_store!(PgStore, sqlx::Postgres, " FOR UPDATE SKIP LOCKED", classify);
crate::store::webhooks::impl_webhook_store!(
    PgStore,
    sqlx::Postgres,
    " FOR UPDATE SKIP LOCKED",
    classify
);
