//! Calendar feed tokens ([`FeedStore`]) in SQL.
//!
//! Compiled once per backend (`sqlite.rs`, `postgres.rs` include this file as a module of their
//! own): `Backend`, `Db` and `DIALECT` are that backend's.

use super::common::*;

#[async_trait]
impl FeedStore for Backend {
    #[tracing::instrument(skip_all)]
    async fn create_feed(
        &self,
        actor: &Actor,
        suite_id: Option<Uuid>,
        program_id: Option<Uuid>,
        token_hash: &str,
    ) -> Result<Uuid, StoreError> {
        let mut tx = self.write_tx().await?;
        if let Some(s) = suite_id {
            let found = sqlx::query_scalar::<_, Uuid>("SELECT id FROM suites WHERE id = $1")
                .bind(s)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::invalid("/suite_id", "unknown suite"));
            }
        }
        if let Some(p) = program_id {
            let found = sqlx::query_scalar::<_, Uuid>(
                "SELECT id FROM programs WHERE id = $1 AND ($2 IS NULL OR client_id = $2)",
            )
            .bind(p)
            .bind(actor.scope())
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_none() {
                return Err(StoreError::invalid("/program_id", "unknown program"));
            }
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO calendar_feeds (id, token_hash, api_key_id, client_id, suite_id, \
             program_id, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id)
        .bind(token_hash)
        .bind(actor.api_key_id)
        .bind(actor.scope())
        .bind(suite_id)
        .bind(program_id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            "create",
            "calendar_feed",
            Some(id),
            serde_json::json!({"suite_id": suite_id, "program_id": program_id}),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    #[tracing::instrument(skip_all)]
    async fn feed_scope(&self, token_hash: &str) -> Result<Option<FeedScope>, StoreError> {
        let row = sqlx::query_as::<_, FeedRow>(
            "SELECT f.id, f.client_id, f.suite_id, f.program_id FROM calendar_feeds f JOIN \
             api_keys k ON k.id = f.api_key_id \
             WHERE f.token_hash = $1 AND f.revoked_at IS NULL AND k.revoked_at IS NULL",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| FeedScope {
            id: r.id,
            client_id: r.client_id,
            suite_id: r.suite_id,
            program_id: r.program_id,
        }))
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_feed(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE calendar_feeds SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL AND \
             ($3 IS NULL OR client_id = $3)",
        )
        .bind(id)
        .bind(now())
        .bind(actor.scope())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit(
            &mut tx,
            actor,
            "revoke",
            "calendar_feed",
            Some(id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
