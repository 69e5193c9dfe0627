//! Keys and sessions: the [`KeyStore`] use cases in SQL.
//!
//! Compiled once per backend (`sqlite.rs`, `postgres.rs` include this file as a module of their
//! own): `Backend`, `Db` and `DIALECT` are that backend's.

use super::common::*;

#[async_trait]
impl KeyStore for Backend {
    #[tracing::instrument(skip_all)]
    async fn authenticate(&self, key_hash: &str) -> Result<Option<KeyIdentity>, StoreError> {
        let row = sqlx::query_as::<_, IdentityRow>(
            "SELECT id, role, client_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(KeyIdentity::try_from).transpose()?)
    }

    #[tracing::instrument(skip_all)]
    async fn ensure_admin_key(&self, key_hash: &str, prefix: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let result = sqlx::query(
            "INSERT INTO api_keys (id, name, role, client_id, prefix, key_hash, created_at, \
             revoked_at) \
             VALUES ($1, $2, 'admin', NULL, $3, $4, $5, NULL) ON CONFLICT (key_hash) DO NOTHING",
        )
        .bind(Uuid::now_v7())
        .bind("bootstrap admin")
        .bind(prefix)
        .bind(key_hash)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        if result.rows_affected() == 1 {
            audit(
                &mut tx,
                &Actor::system(),
                "create",
                "api_key",
                None,
                serde_json::json!({"name": "bootstrap admin"}),
            )
            .await?;
        }
        // A revoked bootstrap key stays revoked: revocation must outlive a restart. An operator
        // who wants an admin key back sets a new value.
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn create_api_key(
        &self,
        actor: &Actor,
        input: &NewApiKey,
        key_hash: &str,
        prefix: &str,
    ) -> Result<ApiKey, StoreError> {
        let mut tx = self.write_tx().await?;
        if let Some(client_id) = input.client_id {
            let found = sqlx::query_scalar::<_, Uuid>("SELECT id FROM clients WHERE id = $1")
                .bind(client_id)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::invalid("/client_id", "unknown client"));
            }
        }
        let row = sqlx::query_as::<_, ApiKeyRow>(
            "INSERT INTO api_keys (id, name, role, client_id, prefix, key_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, name, role, client_id, prefix, \
             created_at",
        )
        .bind(Uuid::now_v7())
        .bind(&input.name)
        .bind(input.role.as_str())
        .bind(input.client_id)
        .bind(prefix)
        .bind(key_hash)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        let key = ApiKey::try_from(row)?;
        let detail = serde_json::json!({
            "name": key.name, "role": key.role, "client_id": key.client_id, "prefix": key.prefix,
        });
        audit(&mut tx, actor, "create", "api_key", Some(key.id), detail).await?;
        tx.commit().await?;
        Ok(key)
    }

    #[tracing::instrument(skip_all)]
    async fn list_api_keys(&self, page: Page) -> Result<Listed<ApiKey>, StoreError> {
        let rows = sqlx::query_as::<_, ApiKeyRow>(
            "SELECT id, name, role, client_id, prefix, created_at FROM api_keys \
             WHERE revoked_at IS NULL AND ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2",
        )
        .bind(page.after)
        .bind(fetch_limit(page))
        .fetch_all(&self.pool)
        .await?;
        Ok(Listed::from_rows(decode_all(rows)?, page.limit, |k| k.id))
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_api_key(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let n =
            sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id)
                .bind(now())
                .execute(&mut *tx)
                .await?
                .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        // What the key made stops acting for it: its page sessions end, and its webhook
        // subscriptions stop receiving (calendar feeds check their key on every read).
        sqlx::query(
            "UPDATE webhooks SET disabled_at = $2, \
             disabled_reason = 'the API key that created it was revoked' \
             WHERE created_by = $1 AND disabled_at IS NULL",
        )
        .bind(id)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM sessions WHERE api_key_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            "revoke",
            "api_key",
            Some(id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn create_session(
        &self,
        api_key_id: Uuid,
        token_hash: &str,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, api_key_id, expires_at) VALUES ($1, $2, $3)",
        )
        .bind(token_hash)
        .bind(api_key_id)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn session_identity(&self, token_hash: &str) -> Result<Option<KeyIdentity>, StoreError> {
        let row = sqlx::query_as::<_, IdentityRow>(
            "SELECT k.id, k.role, k.client_id FROM sessions s JOIN api_keys k ON k.id = \
             s.api_key_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND k.revoked_at IS NULL",
        )
        .bind(token_hash)
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(KeyIdentity::try_from).transpose()?)
    }

    #[tracing::instrument(skip_all)]
    async fn set_session_flash(&self, token_hash: &str, flash: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("UPDATE sessions SET flash = $2 WHERE token_hash = $1")
            .bind(token_hash)
            .bind(flash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn take_session_flash(&self, token_hash: &str) -> Result<Option<String>, StoreError> {
        // Most page views have no flash: a read, and a write only when there is one to clear.
        let waiting: Option<Option<String>> =
            sqlx::query_scalar("SELECT flash FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
        if waiting.flatten().is_none() {
            return Ok(None);
        }
        let mut tx = self.write_tx().await?;
        let flash: Option<Option<String>> =
            sqlx::query_scalar("SELECT flash FROM sessions WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(&mut *tx)
                .await?;
        sqlx::query("UPDATE sessions SET flash = NULL WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(flash.flatten())
    }

    #[tracing::instrument(skip_all)]
    async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
