//! `Idempotency-Key` records ([`IdempotencyStore`]) in SQL.
//!
//! Compiled once per backend (`sqlite.rs`, `postgres.rs` include this file as a module of their
//! own): `Backend`, `Db` and `DIALECT` are that backend's.

use super::common::*;

#[async_trait]
impl IdempotencyStore for Backend {
    #[tracing::instrument(skip_all)]
    async fn idempotency_begin(
        &self,
        key: &IdemKey,
        request_hash: &str,
    ) -> Result<IdemBegin, StoreError> {
        let mut tx = self.write_tx().await?;
        let t = now();
        // Keys are kept at least 24 hours (docs/api-guide.md); older ones are dropped lazily.
        sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
            .bind(t - chrono::Duration::hours(48))
            .execute(&mut *tx)
            .await?;
        let existing = sqlx::query_as::<_, IdemRow>(
            "SELECT request_hash, status_code, response, created_at FROM idempotency_keys WHERE \
             api_key_id = $1 AND key = $2",
        )
        .bind(key.api_key_id)
        .bind(&key.key)
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match existing {
            Some(row) if row.request_hash != request_hash => IdemBegin::Mismatch,
            Some(IdemRow {
                status_code: Some(status),
                response: Some(body),
                ..
            }) => IdemBegin::Replay {
                status: u16::try_from(status).unwrap_or(500),
                body: body.0,
            },
            // In flight — unless its process died long ago (the request timeout has passed):
            // then this request takes the key over.
            Some(row) if t - row.created_at < chrono::Duration::seconds(60) => IdemBegin::InFlight,
            Some(_) => {
                sqlx::query(
                    "UPDATE idempotency_keys SET created_at = $3 WHERE api_key_id = $1 \
                     AND key = $2",
                )
                .bind(key.api_key_id)
                .bind(&key.key)
                .bind(t)
                .execute(&mut *tx)
                .await?;
                IdemBegin::Fresh
            }
            None => {
                sqlx::query(
                    "INSERT INTO idempotency_keys (api_key_id, key, request_hash, created_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(key.api_key_id)
                .bind(&key.key)
                .bind(request_hash)
                .bind(t)
                .execute(&mut *tx)
                .await?;
                IdemBegin::Fresh
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    #[tracing::instrument(skip_all)]
    async fn idempotency_finish(
        &self,
        key: &IdemKey,
        status: u16,
        body: &serde_json::Value,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE api_key_id = $1 \
             AND key = $2 AND status_code IS NULL",
        )
        .bind(key.api_key_id)
        .bind(&key.key)
        .bind(i32::from(status))
        .bind(Json(body))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn idempotency_forget(&self, key: &IdemKey) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "DELETE FROM idempotency_keys WHERE api_key_id = $1 AND key = $2 AND \
             status_code IS NULL",
        )
        .bind(key.api_key_id)
        .bind(&key.key)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
