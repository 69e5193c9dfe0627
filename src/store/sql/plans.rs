//! Plan jobs and their results ([`PlanStore`]) in SQL.
//!
//! Compiled once per backend (`sqlite.rs`, `postgres.rs` include this file as a module of their
//! own): `Backend`, `Db` and `DIALECT` are that backend's.

use super::common::*;
use super::plan_rows::{self, delete_rows, hold_lease, shortfalls_of, utilization_of};

/// Inserts a queued plan with its audit row, inside `tx`.
async fn insert_plan(
    tx: &mut Tx,
    actor: &Actor,
    input: &NewPlan,
) -> Result<PlanRecord, StoreError> {
    if let Some(ids) = &input.program_ids {
        for (i, id) in ids.iter().enumerate() {
            let found = sqlx::query_scalar::<_, Uuid>(
                "SELECT id FROM programs WHERE id = $1 AND ($2 IS NULL OR client_id = $2)",
            )
            .bind(id)
            .bind(actor.scope())
            .fetch_optional(&mut **tx)
            .await?;
            if found.is_none() {
                return Err(StoreError::invalid(
                    &format!("/program_ids/{i}"),
                    "unknown program",
                ));
            }
        }
    }
    // A what-if plan keeps the sandbox's changes as they are now.
    let sandbox_changes = match input.sandbox_id {
        None => None,
        Some(id) => Some(
            sqlx::query_as::<_, SandboxRow>(&format!(
                "SELECT {SANDBOX_COLS} FROM sandboxes WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::invalid("/sandbox_id", "unknown sandbox"))?
            .changes,
        ),
    };
    let sql = format!(
        "INSERT INTO plans (id, status, scenario, horizon_from, horizon_to, program_ids, \
         time_limit_s, \
         created_by, created_at, sandbox_id, sandbox_changes) \
         VALUES ($1, 'queued', $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         RETURNING {PLAN_COLS}"
    );
    let record: PlanRecord = sqlx::query_as::<_, PlanRow>(&sql)
        .bind(Uuid::now_v7())
        .bind(input.scenario.as_str())
        .bind(input.from)
        .bind(input.to)
        .bind(input.program_ids.as_ref().map(Json))
        .bind(input.time_limit_s)
        .bind(actor.api_key_id)
        .bind(now())
        .bind(input.sandbox_id)
        .bind(sandbox_changes)
        .fetch_one(&mut **tx)
        .await?
        .try_into()?;
    audit(
        tx,
        actor,
        "create",
        "plan",
        Some(record.id),
        serde_json::json!({
            "scenario": record.scenario, "from": record.from, "to": record.to,
            "program_ids": record.program_ids, "time_limit_s": record.time_limit_s,
            "sandbox_id": record.sandbox_id,
        }),
    )
    .await?;
    Ok(record)
}

#[async_trait]
impl PlanStore for Backend {
    #[tracing::instrument(skip_all)]
    async fn create_plan(&self, actor: &Actor, input: &NewPlan) -> Result<PlanRecord, StoreError> {
        let mut tx = self.write_tx().await?;
        let record = insert_plan(&mut tx, actor, input).await?;
        tx.commit().await?;
        Ok(record)
    }

    #[tracing::instrument(skip_all)]
    async fn queue_replan(
        &self,
        input: &NewPlan,
        changed_at: DateTime<Utc>,
    ) -> Result<Option<PlanRecord>, StoreError> {
        let mut tx = self.write_tx().await?;
        // Replicas decide one at a time (SQLite: the write lock already does that), so the
        // second finds the first one's plan.
        if !DIALECT.replan_lock.is_empty() {
            sqlx::query(DIALECT.replan_lock).execute(&mut *tx).await?;
        }
        let covered = sqlx::query_scalar::<_, Uuid>(
            "SELECT id FROM plans WHERE created_by IS NULL AND scenario = $1 AND created_at > $2 \
             LIMIT 1",
        )
        .bind(input.scenario.as_str())
        .bind(changed_at)
        .fetch_optional(&mut *tx)
        .await?;
        if covered.is_some() {
            tx.commit().await?;
            return Ok(None);
        }
        let record = insert_plan(&mut tx, &Actor::system(), input).await?;
        tx.commit().await?;
        Ok(Some(record))
    }

    #[tracing::instrument(skip_all)]
    async fn list_plans(&self, page: Page) -> Result<Listed<PlanRecord>, StoreError> {
        // Ids are UUIDv7: descending id is newest first, and a stable cursor.
        let sql = format!(
            "SELECT {PLAN_COLS} FROM plans WHERE ($1 IS NULL OR id < $1) ORDER BY id DESC LIMIT $2"
        );
        let rows = sqlx::query_as::<_, PlanRow>(&sql)
            .bind(page.after)
            .bind(i64::from(page.limit) + 1)
            .fetch_all(&self.pool)
            .await?;
        Ok(Listed::from_rows(decode_all(rows)?, page.limit, |p| p.id))
    }

    #[tracing::instrument(skip_all)]
    async fn get_plan(&self, id: Uuid, scope: Option<Uuid>) -> Result<PlanDetail, StoreError> {
        // One read transaction: the rows match the status read with them.
        let mut tx: Tx = self.pool.begin().await?;
        let sql = format!("SELECT {PLAN_COLS} FROM plans WHERE id = $1");
        let record: PlanRecord = sqlx::query_as::<_, PlanRow>(&sql)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .map(PlanRecord::try_from)
            .transpose()?
            .filter(|r| scope.is_none() || r.sandbox_id.is_none())
            .ok_or(StoreError::NotFound)?;
        let mut detail = PlanDetail {
            record,
            suggestions: vec![],
            shortfalls: vec![],
            utilization: vec![],
            programs: vec![],
        };
        if detail.record.status != PlanStatus::Done {
            return Ok(detail);
        }
        detail.suggestions = sqlx::query_as::<_, SuggestionRow>(
            "SELECT id, program_id, client_id, suite_id, line, starts_on, ends_on, month, kind \
             FROM plan_suggestions WHERE plan_id = $1 AND ($2 IS NULL OR client_id = $2) ORDER \
             BY seq",
        )
        .bind(id)
        .bind(scope)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(PlanSuggestion::try_from)
        .collect::<Result<_, StoreError>>()?;
        detail.shortfalls = shortfalls_of(&mut tx, id, scope).await?;
        if scope.is_none() {
            detail.utilization = utilization_of(&mut tx, id).await?;
        }
        detail.programs = sqlx::query_as::<_, TotalsRow>(
            "SELECT program_id, client_id, demand_batches, served_batches, demand_weighted, \
             served_weighted \
             FROM plan_programs WHERE plan_id = $1 AND ($2 IS NULL OR client_id = $2) ORDER BY \
             program_id",
        )
        .bind(id)
        .bind(scope)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .map(|r| PlanProgramTotals {
            program_id: r.program_id,
            client_id: r.client_id,
            demand_batches: r.demand_batches,
            served_batches: r.served_batches,
            demand_weighted: r.demand_weighted,
            served_weighted: r.served_weighted,
        })
        .collect();
        tx.commit().await?;
        Ok(detail)
    }

    #[tracing::instrument(skip_all)]
    async fn claim_plan(
        &self,
        owner: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<PlanRecord>, StoreError> {
        let mut tx = self.write_tx().await?;
        let t = now();
        // A plan that keeps killing its workers is given up on, with a reason.
        sqlx::query(
            "UPDATE plans SET status = 'failed', finished_at = $1, lease_owner = NULL, progress \
             = NULL, \
             error = 'the plan was interrupted too many times (its worker stopped while solving)' \
             WHERE status = 'running' AND lease_expires_at < $1 AND attempts >= $2",
        )
        .bind(t)
        .bind(MAX_ATTEMPTS)
        .execute(&mut *tx)
        .await?;
        let sql = format!(
            "SELECT id FROM plans WHERE status = 'queued' OR (status = 'running' AND \
             lease_expires_at < $1) \
             ORDER BY created_at, id LIMIT 1{}",
            DIALECT.claim
        );
        let Some(id) = sqlx::query_scalar::<_, Uuid>(&sql)
            .bind(t)
            .fetch_optional(&mut *tx)
            .await?
        else {
            tx.commit().await?;
            return Ok(None);
        };
        let sql = format!(
            "UPDATE plans SET status = 'running', lease_owner = $2, lease_expires_at = $3, \
             started_at = COALESCE(started_at, $4), attempts = attempts + 1, progress = \
             'starting', error = NULL \
             WHERE id = $1 RETURNING {PLAN_COLS}"
        );
        let record: PlanRecord = sqlx::query_as::<_, PlanRow>(&sql)
            .bind(id)
            .bind(owner)
            .bind(lease_until)
            .bind(t)
            .fetch_one(&mut *tx)
            .await?
            .try_into()?;
        delete_rows(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Some(record))
    }

    #[tracing::instrument(skip_all)]
    async fn renew_plan_lease(
        &self,
        id: Uuid,
        owner: &str,
        lease_until: DateTime<Utc>,
        progress: Option<&str>,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "UPDATE plans SET lease_expires_at = $3, progress = COALESCE($4, progress) \
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(owner)
        .bind(lease_until)
        .bind(progress)
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    #[tracing::instrument(skip_all)]
    async fn plan_snapshot(&self, from: NaiveDate) -> Result<PlanSnapshot, StoreError> {
        plan_rows::snapshot(&self.pool, from).await
    }

    #[tracing::instrument(skip_all)]
    async fn write_plan_rows(
        &self,
        id: Uuid,
        owner: &str,
        lease_until: DateTime<Utc>,
        chunk: &PlanRowsChunk,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        if !hold_lease(&mut tx, id, owner, lease_until).await? {
            return Err(StoreError::State("the plan's lease was lost".into()));
        }
        plan_rows::insert(&mut tx, id, chunk).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn finish_plan(
        &self,
        id: Uuid,
        owner: &str,
        summary: &PlanSummary,
        utilization_threshold: f64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT {PLAN_COLS} FROM plans WHERE id = $1 AND lease_owner = $2 AND \
             status = 'running'{}",
            DIALECT.for_update
        );
        let record: PlanRecord = sqlx::query_as::<_, PlanRow>(&sql)
            .bind(id)
            .bind(owner)
            .fetch_optional(&mut *tx)
            .await?
            .map(PlanRecord::try_from)
            .transpose()?
            .ok_or_else(|| StoreError::State("the plan's lease was lost".into()))?;
        let previous = sqlx::query_scalar::<_, Uuid>(
            "SELECT id FROM plans WHERE scenario = $1 AND status = 'done' AND id <> $2 \
             AND sandbox_id IS NULL ORDER BY finished_at DESC, id DESC LIMIT 1",
        )
        .bind(record.scenario.as_str())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let (prev_short, prev_util) = match previous {
            Some(p) => (
                shortfalls_of(&mut tx, p, None).await?,
                utilization_of(&mut tx, p).await?,
            ),
            None => (vec![], vec![]),
        };
        let shortfalls = shortfalls_of(&mut tx, id, None).await?;
        let utilization = utilization_of(&mut tx, id).await?;
        // A what-if raises nothing: no plan, shortfall or utilisation events.
        let events = if record.sandbox_id.is_some() {
            Vec::new()
        } else {
            crate::domain::alerts::plan_events(
                &record,
                summary,
                &crate::domain::alerts::Compared {
                    shortfalls: &shortfalls,
                    previous_shortfalls: &prev_short,
                    utilization: &utilization,
                    previous_utilization: &prev_util,
                },
                utilization_threshold,
            )
        };
        for event in &events {
            emit(
                &mut tx,
                &event.event_type,
                event.client_id,
                event.data.clone(),
            )
            .await?;
        }
        sqlx::query(
            // The progress document stays: how the plan converged (incumbent, bound, gap).
            "UPDATE plans SET status = 'done', finished_at = $2, summary = $3, \
             lease_owner = NULL, lease_expires_at = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(now())
        .bind(Json(summary))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn get_plan_suggestion(
        &self,
        plan_id: Uuid,
        suggestion_id: Uuid,
        scope: Option<Uuid>,
    ) -> Result<PlanSuggestion, StoreError> {
        let sandbox: Option<Option<Uuid>> =
            sqlx::query_scalar("SELECT sandbox_id FROM plans WHERE id = $1")
                .bind(plan_id)
                .fetch_optional(&self.pool)
                .await?;
        if let Some(Some(_)) = sandbox {
            // Clients never see what-ifs.
            return Err(match scope {
                None => StoreError::State(
                    "this plan is a what-if (a sandbox's); its suggestions cannot be booked".into(),
                ),
                Some(_) => StoreError::NotFound,
            });
        }
        sqlx::query_as::<_, SuggestionRow>(
            "SELECT s.id, s.program_id, s.client_id, s.suite_id, s.line, s.starts_on, \
             s.ends_on, s.month, s.kind \
             FROM plan_suggestions s JOIN plans p ON p.id = s.plan_id \
             WHERE s.plan_id = $1 AND s.id = $2 AND p.status = 'done' AND ($3 IS NULL OR \
             s.client_id = $3)",
        )
        .bind(plan_id)
        .bind(suggestion_id)
        .bind(scope)
        .fetch_optional(&self.pool)
        .await?
        .map(PlanSuggestion::try_from)
        .transpose()?
        .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    async fn create_sandbox(
        &self,
        actor: &Actor,
        input: &SandboxInput,
    ) -> Result<Sandbox, StoreError> {
        let mut tx = self.write_tx().await?;
        let t = now();
        let sandbox: Sandbox = sqlx::query_as::<_, SandboxRow>(&format!(
            "INSERT INTO sandboxes (id, name, description, changes, created_by, created_at, \
             updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING {SANDBOX_COLS}"
        ))
        .bind(Uuid::now_v7())
        .bind(&input.name)
        .bind(&input.description)
        .bind(Json(&input.changes))
        .bind(actor.api_key_id)
        .bind(t)
        .fetch_one(&mut *tx)
        .await?
        .into();
        audit(
            &mut tx,
            actor,
            "create",
            "sandbox",
            Some(sandbox.id),
            serde_json::json!({"name": sandbox.name, "changes": sandbox.changes.len()}),
        )
        .await?;
        tx.commit().await?;
        Ok(sandbox)
    }

    #[tracing::instrument(skip_all)]
    async fn list_sandboxes(&self, page: Page) -> Result<Listed<Sandbox>, StoreError> {
        let rows = sqlx::query_as::<_, SandboxRow>(&format!(
            "SELECT {SANDBOX_COLS} FROM sandboxes WHERE ($1 IS NULL OR id < $1) \
             ORDER BY id DESC LIMIT $2"
        ))
        .bind(page.after)
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.pool)
        .await?;
        Ok(Listed::from_rows(
            rows.into_iter().map(Sandbox::from).collect(),
            page.limit,
            |s| s.id,
        ))
    }

    #[tracing::instrument(skip_all)]
    async fn get_sandbox(&self, id: Uuid) -> Result<Sandbox, StoreError> {
        sqlx::query_as::<_, SandboxRow>(&format!(
            "SELECT {SANDBOX_COLS} FROM sandboxes WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .map(Sandbox::from)
        .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    async fn update_sandbox(
        &self,
        actor: &Actor,
        id: Uuid,
        input: &SandboxInput,
    ) -> Result<Sandbox, StoreError> {
        let mut tx = self.write_tx().await?;
        let sandbox: Sandbox = sqlx::query_as::<_, SandboxRow>(&format!(
            "UPDATE sandboxes SET name = $2, description = $3, changes = $4, updated_at = $5 \
             WHERE id = $1 RETURNING {SANDBOX_COLS}"
        ))
        .bind(id)
        .bind(&input.name)
        .bind(&input.description)
        .bind(Json(&input.changes))
        .bind(now())
        .fetch_optional(&mut *tx)
        .await?
        .map(Sandbox::from)
        .ok_or(StoreError::NotFound)?;
        audit(
            &mut tx,
            actor,
            "update",
            "sandbox",
            Some(id),
            serde_json::json!({"name": sandbox.name, "changes": sandbox.changes.len()}),
        )
        .await?;
        tx.commit().await?;
        Ok(sandbox)
    }

    #[tracing::instrument(skip_all)]
    async fn delete_sandbox(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query("DELETE FROM sandboxes WHERE id = $1")
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
            "sandbox",
            Some(id),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn fail_plan(&self, id: Uuid, owner: &str, error: &str) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let n = sqlx::query(
            "UPDATE plans SET status = 'failed', finished_at = $3, error = $4, progress = NULL, \
             lease_owner = NULL, lease_expires_at = NULL \
             WHERE id = $1 AND lease_owner = $2 AND status = 'running'",
        )
        .bind(id)
        .bind(owner)
        .bind(now())
        .bind(error)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 1 {
            delete_rows(&mut tx, id).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
