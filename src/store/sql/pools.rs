//! Capacity pools ([`PoolStore`]) in SQL, and the reads the booking path makes of them.
//!
//! Compiled once per backend (`sqlite.rs`, `postgres.rs` include this file as a module of their
//! own): `Backend`, `Db` and `DIALECT` are that backend's.

use super::common::*;
use chrono::NaiveDate;

/// The site's pools, in id order, locked until the caller's transaction ends (PostgreSQL
/// `FOR UPDATE`, taken in id order so that two bookings cannot deadlock; SQLite's write lock
/// already holds everything), read as they are once the lock is granted.
pub(super) async fn lock_site_pools<'e, E>(db: E, site_id: Uuid) -> Result<Vec<Pool>, StoreError>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    let sql = format!(
        "SELECT {POOL_COLS} FROM pools WHERE site_id = $1 ORDER BY id{}",
        DIALECT.for_update
    );
    decode_all(
        sqlx::query_as::<_, PoolRow>(&sql)
            .bind(site_id)
            .fetch_all(db)
            .await?,
    )
}

/// Live bookings of the site starting in `[from - MAX_OFFSET, to)`: every booking that can take
/// something from the site's pools on a day of `[from, to)`.
pub(super) async fn site_pool_users<'e, E>(
    db: E,
    site_id: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<PoolUser>, StoreError>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    let reach = chrono::Days::new(u64::from(MAX_OFFSET) + 1);
    let sql = format!(
        "SELECT b.id, b.starts_on, b.kind, s.site_id, p.resource_profile, p.tech_transfers \
         FROM bookings b \
         JOIN suites s ON s.id = b.suite_id JOIN programs p ON p.id = b.program_id \
         WHERE s.site_id = $1 AND b.starts_on >= $2 AND b.starts_on < $3 AND {} \
         ORDER BY b.starts_on, b.id",
        live_of("b.", "$4")
    );
    decode_all(
        sqlx::query_as::<_, PoolUserRow>(&sql)
            .bind(site_id)
            .bind(from.checked_sub_days(reach).unwrap_or(NaiveDate::MIN))
            .bind(to)
            .bind(now())
            .fetch_all(db)
            .await?,
    )
}

async fn check_site(tx: &mut Tx, site_id: Uuid) -> Result<(), StoreError> {
    sqlx::query_scalar::<_, Uuid>("SELECT id FROM sites WHERE id = $1")
        .bind(site_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(|_| ())
        .ok_or_else(|| StoreError::invalid("/site_id", "unknown site"))
}

#[async_trait]
impl PoolStore for Backend {
    #[tracing::instrument(skip_all)]
    async fn create_pool(&self, actor: &Actor, input: &NewPool) -> Result<Pool, StoreError> {
        let mut tx = self.write_tx().await?;
        check_site(&mut tx, input.site_id).await?;
        let sql = format!(
            "INSERT INTO pools (id, site_id, name, kind, tag, capacity, weekdays, exceptions, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
             RETURNING {POOL_COLS}"
        );
        let pool: Pool = sqlx::query_as::<_, PoolRow>(&sql)
            .bind(Uuid::now_v7())
            .bind(input.site_id)
            .bind(&input.name)
            .bind(input.kind.as_str())
            .bind(&input.tag)
            .bind(input.capacity as i32)
            .bind(Json(input.working_days()))
            .bind(Json(&input.exceptions))
            .bind(now())
            .fetch_one(&mut *tx)
            .await?
            .try_into()?;
        let detail = serde_json::to_value(input).unwrap_or_default();
        audit(&mut tx, actor, "create", "pool", Some(pool.id), detail).await?;
        tx.commit().await?;
        Ok(pool)
    }

    #[tracing::instrument(skip_all)]
    async fn list_pools(
        &self,
        site_id: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Pool>, StoreError> {
        let sql = format!(
            "SELECT {POOL_COLS} FROM pools WHERE ($1 IS NULL OR site_id = $1) \
             AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
        );
        let rows = sqlx::query_as::<_, PoolRow>(&sql)
            .bind(site_id)
            .bind(page.after)
            .bind(fetch_limit(page))
            .fetch_all(&self.pool)
            .await?;
        Ok(Listed::from_rows(decode_all(rows)?, page.limit, |p| p.id))
    }

    #[tracing::instrument(skip_all)]
    async fn get_pool(&self, id: Uuid) -> Result<Pool, StoreError> {
        let sql = format!("SELECT {POOL_COLS} FROM pools WHERE id = $1");
        sqlx::query_as::<_, PoolRow>(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(Pool::try_from)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    async fn update_pool(
        &self,
        actor: &Actor,
        id: Uuid,
        input: &NewPool,
    ) -> Result<Pool, StoreError> {
        let mut tx = self.write_tx().await?;
        // Bookings deciding on the pool's calendar hold its row; the edit waits for them.
        let sql = format!(
            "SELECT site_id FROM pools WHERE id = $1{}",
            DIALECT.for_update
        );
        let site = sqlx::query_scalar::<_, Uuid>(&sql)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        if site != input.site_id {
            return Err(StoreError::invalid(
                "/site_id",
                "a pool cannot move to another site",
            ));
        }
        let sql = format!(
            "UPDATE pools SET name = $2, kind = $3, tag = $4, capacity = $5, weekdays = $6, \
             exceptions = $7, updated_at = $8 WHERE id = $1 RETURNING {POOL_COLS}"
        );
        let pool: Pool = sqlx::query_as::<_, PoolRow>(&sql)
            .bind(id)
            .bind(&input.name)
            .bind(input.kind.as_str())
            .bind(&input.tag)
            .bind(input.capacity as i32)
            .bind(Json(input.working_days()))
            .bind(Json(&input.exceptions))
            .bind(now())
            .fetch_one(&mut *tx)
            .await?
            .try_into()?;
        let detail = serde_json::to_value(input).unwrap_or_default();
        audit(&mut tx, actor, "update", "pool", Some(id), detail).await?;
        tx.commit().await?;
        Ok(pool)
    }

    #[tracing::instrument(skip_all)]
    async fn delete_pool(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query("DELETE FROM pools WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        audit(
            &mut tx,
            actor,
            "delete",
            "pool",
            Some(id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn pool_users(
        &self,
        site_id: Uuid,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PoolUser>, StoreError> {
        site_pool_users(&self.pool, site_id, from, to).await
    }
}
