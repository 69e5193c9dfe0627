//! The audit log and its change feed ([`AuditStore`]) in SQL.
//!
//! Compiled once per backend (`sqlite.rs`, `postgres.rs` include this file as a module of their
//! own): `Backend`, `Db` and `DIALECT` are that backend's.

use super::common::*;

#[async_trait]
impl AuditStore for Backend {
    #[tracing::instrument(skip_all)]
    async fn last_change_at(&self, entities: &[&str]) -> Result<Option<DateTime<Utc>>, StoreError> {
        if entities.is_empty() {
            return Ok(None);
        }
        // One statement; the IN list is made of placeholders, never of the names.
        let placeholders: Vec<String> = (1..=entities.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT MAX(at) FROM audit_log WHERE entity IN ({})",
            placeholders.join(", ")
        );
        let mut q = sqlx::query_scalar::<_, Option<DateTime<Utc>>>(&sql);
        for entity in entities {
            q = q.bind(*entity);
        }
        q.fetch_one(&self.pool).await.map_err(StoreError::from)
    }

    #[tracing::instrument(skip_all)]
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        page: Page,
    ) -> Result<Listed<AuditEntry>, StoreError> {
        let rows = sqlx::query_as::<_, AuditRow>(
            "SELECT id, at, api_key_id, role, action, entity, entity_id, request_id, detail \
             FROM audit_log \
             WHERE ($1 IS NULL OR entity_id = $1) AND ($2 IS NULL OR at >= $2) AND ($3 IS NULL \
             OR at < $3) \
             AND ($4 IS NULL OR id > $4) ORDER BY id LIMIT $5",
        )
        .bind(filter.entity_id)
        .bind(filter.from)
        .bind(filter.to)
        .bind(page.after)
        .bind(fetch_limit(page))
        .fetch_all(&self.pool)
        .await?;
        let listed = Listed::from_rows(rows, page.limit, |r| r.id);
        Ok(Listed {
            next: listed.next,
            items: listed
                .items
                .into_iter()
                .map(|r| AuditEntry {
                    at: r.at,
                    api_key_id: r.api_key_id,
                    role: r.role,
                    action: r.action,
                    entity: r.entity,
                    entity_id: r.entity_id,
                    request_id: r.request_id,
                    detail: r.detail.0,
                })
                .collect(),
        })
    }
}
