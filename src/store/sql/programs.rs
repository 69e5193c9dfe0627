//! Clients, programs and forecasts ([`ProgramStore`]) in SQL.
//!
//! Compiled once per backend (`sqlite.rs`, `postgres.rs` include this file as a module of their
//! own): `Backend`, `Db` and `DIALECT` are that backend's.

use super::common::*;

/// The suites and sites a program names (its filed suites, its phase processes' and its tech
/// transfers' sites) exist.
async fn check_program_suites(tx: &mut Tx, input: &NewProgram) -> Result<(), StoreError> {
    if let Some(ids) = &input.allowed_suite_ids {
        check_suite_ids(tx, ids, "/allowed_suite_ids").await?;
    }
    for (i, p) in input.phase_processes.iter().enumerate() {
        if let Some(ids) = &p.allowed_suite_ids {
            let field = format!("/phase_processes/{i}/allowed_suite_ids");
            check_suite_ids(tx, ids, &field).await?;
        }
    }
    for (i, t) in input.tech_transfers.iter().enumerate() {
        let found = sqlx::query_scalar::<_, Uuid>("SELECT id FROM sites WHERE id = $1")
            .bind(t.site_id)
            .fetch_optional(&mut **tx)
            .await?;
        if found.is_none() {
            return Err(StoreError::invalid(
                &format!("/tech_transfers/{i}/site_id"),
                "unknown site",
            ));
        }
    }
    Ok(())
}

async fn check_suite_ids(tx: &mut Tx, ids: &[Uuid], field: &str) -> Result<(), StoreError> {
    for (i, id) in ids.iter().enumerate() {
        let found = sqlx::query_scalar::<_, Uuid>("SELECT id FROM suites WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
        if found.is_none() {
            return Err(StoreError::invalid(
                &format!("{field}/{i}"),
                "unknown suite",
            ));
        }
    }
    Ok(())
}

/// Writes `entries` as the program's next forecast version, with its audit row, in the caller's
/// transaction; the program is locked (and must be in the actor's scope). `keep_equal`: when
/// the entries equal the latest version's, that version stays and nothing is written.
async fn replace_forecast(
    tx: &mut Tx,
    actor: &Actor,
    program_id: Uuid,
    entries: &[ForecastEntry],
    keep_equal: bool,
) -> Result<ForecastPut, StoreError> {
    let sql = format!(
        "SELECT client_id FROM programs WHERE id = $1 AND ($2 IS NULL OR client_id = $2){}",
        DIALECT.for_update
    );
    let client = sqlx::query_scalar::<_, Uuid>(&sql)
        .bind(program_id)
        .bind(actor.scope())
        .fetch_optional(&mut **tx)
        .await?;
    if client.is_none() {
        return Err(StoreError::NotFound);
    }
    if keep_equal {
        let latest = sqlx::query_as::<_, ForecastRow>(
            "SELECT program_id, version, entries, created_at FROM forecasts \
             WHERE program_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(program_id)
        .fetch_optional(&mut **tx)
        .await?
        .map(Forecast::from);
        let mut sorted = entries.to_vec();
        sorted.sort_by_key(|e| e.month);
        match latest {
            Some(f) if f.entries == sorted => {
                return Ok(ForecastPut {
                    forecast: f,
                    changed: false,
                })
            }
            None if entries.is_empty() => {
                return Ok(ForecastPut {
                    forecast: Forecast {
                        program_id,
                        version: 0,
                        entries: vec![],
                        created_at: now(),
                    },
                    changed: false,
                })
            }
            _ => {}
        }
    }
    let version: i32 = sqlx::query_scalar::<_, i32>(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM forecasts WHERE program_id = $1",
    )
    .bind(program_id)
    .fetch_one(&mut **tx)
    .await?;
    let forecast: Forecast = sqlx::query_as::<_, ForecastRow>(
        "INSERT INTO forecasts (program_id, version, entries, created_at) VALUES ($1, $2, \
         $3, $4) \
         RETURNING program_id, version, entries, created_at",
    )
    .bind(program_id)
    .bind(version)
    .bind(Json(entries))
    .bind(now())
    .fetch_one(&mut **tx)
    .await?
    .into();
    audit(
        tx,
        actor,
        "replace",
        "forecast",
        Some(program_id),
        serde_json::json!({"version": version, "entries": entries}),
    )
    .await?;
    Ok(ForecastPut {
        forecast,
        changed: true,
    })
}

#[async_trait]
impl ProgramStore for Backend {
    #[tracing::instrument(skip_all)]
    async fn create_client(&self, actor: &Actor, input: &NewClient) -> Result<Client, StoreError> {
        let mut tx = self.write_tx().await?;
        let client: Client = sqlx::query_as::<_, ClientRow>(
            "INSERT INTO clients (id, name, created_at) VALUES ($1, $2, $3) RETURNING id, name",
        )
        .bind(Uuid::now_v7())
        .bind(&input.name)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?
        .into();
        audit(
            &mut tx,
            actor,
            "create",
            "client",
            Some(client.id),
            serde_json::to_value(input).unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(client)
    }

    #[tracing::instrument(skip_all)]
    async fn list_clients(
        &self,
        scope: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Client>, StoreError> {
        let rows = sqlx::query_as::<_, ClientRow>(
            "SELECT id, name FROM clients WHERE ($1 IS NULL OR id = $1) AND ($2 IS NULL OR id > \
             $2) \
             ORDER BY id LIMIT $3",
        )
        .bind(scope)
        .bind(page.after)
        .bind(fetch_limit(page))
        .fetch_all(&self.pool)
        .await?;
        Ok(Listed::from_rows(
            rows.into_iter().map(Client::from).collect(),
            page.limit,
            |c| c.id,
        ))
    }

    #[tracing::instrument(skip_all)]
    async fn get_client(&self, id: Uuid, scope: Option<Uuid>) -> Result<Client, StoreError> {
        if scope.is_some_and(|s| s != id) {
            return Err(StoreError::NotFound);
        }
        sqlx::query_as::<_, ClientRow>("SELECT id, name FROM clients WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(Client::from)
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    async fn create_program(
        &self,
        actor: &Actor,
        input: &NewProgram,
    ) -> Result<Program, StoreError> {
        let client_id = input
            .client_id
            .ok_or_else(|| StoreError::invalid("/client_id", "required"))?;
        let mut tx = self.write_tx().await?;
        let client = sqlx::query_scalar::<_, Uuid>("SELECT id FROM clients WHERE id = $1")
            .bind(client_id)
            .fetch_optional(&mut *tx)
            .await?;
        if client.is_none() {
            return Err(StoreError::invalid("/client_id", "unknown client"));
        }
        check_program_suites(&mut tx, input).await?;
        let t = now();
        let sql = format!(
            "INSERT INTO programs (id, client_id, name, modality, storage, atmp, phase, \
             required_capabilities, \
             min_grade, batch_days, changeover_days, earliest_start, phase_success, priority, \
             allowed_suite_ids, \
             created_at, updated_at, resource_profile, phase_processes, tech_transfers) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $16, $17, $18, $19) RETURNING {PROGRAM_COLS}"
        );
        let program: Program = sqlx::query_as::<_, ProgramRow>(&sql)
            .bind(Uuid::now_v7())
            .bind(client_id)
            .bind(&input.name)
            .bind(&input.modality)
            .bind(&input.storage)
            .bind(input.atmp)
            .bind(input.phase.as_str())
            .bind(Json(&input.required_capabilities))
            .bind(input.min_grade.as_str())
            .bind(input.batch_days as i32)
            .bind(input.changeover_days as i32)
            .bind(input.earliest_start)
            .bind(input.phase_success.as_ref().map(Json))
            .bind(input.priority as i32)
            .bind(input.allowed_suite_ids.as_ref().map(Json))
            .bind(t)
            .bind(Json(&input.resource_profile))
            .bind(Json(&input.phase_processes))
            .bind(Json(&input.tech_transfers))
            .fetch_one(&mut *tx)
            .await?
            .try_into()?;
        audit(
            &mut tx,
            actor,
            "create",
            "program",
            Some(program.id),
            serde_json::to_value(input).unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(program)
    }

    #[tracing::instrument(skip_all)]
    async fn list_programs(
        &self,
        scope: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Program>, StoreError> {
        let sql = format!(
            "SELECT {PROGRAM_COLS} FROM programs WHERE ($1 IS NULL OR client_id = $1) AND ($2 \
             IS NULL OR id > $2) \
             ORDER BY id LIMIT $3"
        );
        let rows = sqlx::query_as::<_, ProgramRow>(&sql)
            .bind(scope)
            .bind(page.after)
            .bind(fetch_limit(page))
            .fetch_all(&self.pool)
            .await?;
        Ok(Listed::from_rows(decode_all(rows)?, page.limit, |p| p.id))
    }

    #[tracing::instrument(skip_all)]
    async fn get_program(&self, id: Uuid, scope: Option<Uuid>) -> Result<Program, StoreError> {
        let sql = format!(
            "SELECT {PROGRAM_COLS} FROM programs WHERE id = $1 AND ($2 IS NULL OR client_id = $2)"
        );
        sqlx::query_as::<_, ProgramRow>(&sql)
            .bind(id)
            .bind(scope)
            .fetch_optional(&self.pool)
            .await?
            .map(Program::try_from)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    async fn update_program(
        &self,
        actor: &Actor,
        id: Uuid,
        input: &NewProgram,
    ) -> Result<Program, StoreError> {
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT {PROGRAM_COLS} FROM programs WHERE id = $1 AND ($2 IS NULL OR \
             client_id = $2){}",
            DIALECT.for_update
        );
        let before: Program = sqlx::query_as::<_, ProgramRow>(&sql)
            .bind(id)
            .bind(actor.scope())
            .fetch_optional(&mut *tx)
            .await?
            .map(Program::try_from)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        if input.client_id.is_some_and(|c| c != before.client_id) {
            return Err(StoreError::invalid(
                "/client_id",
                "a program cannot move to another client",
            ));
        }
        check_program_suites(&mut tx, input).await?;
        let sql = format!(
            "UPDATE programs SET name = $2, modality = $3, storage = $4, atmp = $5, phase = $6, \
             required_capabilities = $7, min_grade = $8, batch_days = $9, changeover_days = $10, \
             earliest_start = $11, phase_success = $12, priority = $13, allowed_suite_ids = \
             $14, updated_at = $15, resource_profile = $16, phase_processes = $17, \
             tech_transfers = $18 \
             WHERE id = $1 RETURNING {PROGRAM_COLS}"
        );
        let program: Program = sqlx::query_as::<_, ProgramRow>(&sql)
            .bind(id)
            .bind(&input.name)
            .bind(&input.modality)
            .bind(&input.storage)
            .bind(input.atmp)
            .bind(input.phase.as_str())
            .bind(Json(&input.required_capabilities))
            .bind(input.min_grade.as_str())
            .bind(input.batch_days as i32)
            .bind(input.changeover_days as i32)
            .bind(input.earliest_start)
            .bind(input.phase_success.as_ref().map(Json))
            .bind(input.priority as i32)
            .bind(input.allowed_suite_ids.as_ref().map(Json))
            .bind(now())
            .bind(Json(&input.resource_profile))
            .bind(Json(&input.phase_processes))
            .bind(Json(&input.tech_transfers))
            .fetch_one(&mut *tx)
            .await?
            .try_into()?;
        audit(
            &mut tx,
            actor,
            "update",
            "program",
            Some(id),
            serde_json::json!({"before": before, "after": program}),
        )
        .await?;
        tx.commit().await?;
        Ok(program)
    }

    #[tracing::instrument(skip_all)]
    async fn put_forecast(
        &self,
        actor: &Actor,
        program_id: Uuid,
        entries: &[ForecastEntry],
    ) -> Result<Forecast, StoreError> {
        let mut tx = self.write_tx().await?;
        let put = replace_forecast(&mut tx, actor, program_id, entries, false).await?;
        tx.commit().await?;
        Ok(put.forecast)
    }

    #[tracing::instrument(skip_all)]
    async fn put_forecasts(
        &self,
        actor: &Actor,
        forecasts: &[(Uuid, Vec<ForecastEntry>)],
    ) -> Result<Vec<ForecastPut>, StoreError> {
        // Programs are locked in id order, so that two imports never wait on each other in a
        // circle; the answer keeps the caller's order.
        let mut order: Vec<usize> = (0..forecasts.len()).collect();
        order.sort_by_key(|&i| forecasts[i].0);
        let mut tx = self.write_tx().await?;
        let mut out: Vec<Option<ForecastPut>> = vec![None; forecasts.len()];
        for i in order {
            let (program_id, entries) = &forecasts[i];
            out[i] = Some(replace_forecast(&mut tx, actor, *program_id, entries, true).await?);
        }
        tx.commit().await?;
        Ok(out.into_iter().flatten().collect())
    }

    #[tracing::instrument(skip_all)]
    async fn get_forecast(
        &self,
        program_id: Uuid,
        version: Option<i32>,
    ) -> Result<Option<Forecast>, StoreError> {
        let row = sqlx::query_as::<_, ForecastRow>(
            "SELECT program_id, version, entries, created_at FROM forecasts \
             WHERE program_id = $1 AND ($2 IS NULL OR version = $2) ORDER BY version DESC LIMIT 1",
        )
        .bind(program_id)
        .bind(version)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(Forecast::from))
    }
}
