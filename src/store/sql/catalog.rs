//! The catalog: sites, suites and closures ([`CatalogStore`]) in SQL.
//!
//! Compiled once per backend (`sqlite.rs`, `postgres.rs` include this file as a module of their
//! own): `Backend`, `Db` and `DIALECT` are that backend's.

use super::common::*;
use crate::domain::calendar::{self as cal, SuiteRules};

async fn flag_at_risk(tx: &mut Tx, ids: &[Uuid]) -> Result<(), StoreError> {
    for id in ids {
        sqlx::query("UPDATE bookings SET at_risk = $2, updated_at = $3 WHERE id = $1")
            .bind(id)
            .bind(true)
            .bind(now())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

#[async_trait]
impl CatalogStore for Backend {
    #[tracing::instrument(skip_all)]
    async fn create_site(&self, actor: &Actor, input: &NewSite) -> Result<Site, StoreError> {
        let mut tx = self.write_tx().await?;
        let site: Site = sqlx::query_as::<_, SiteRow>(
            "INSERT INTO sites (id, name, timezone, created_at) VALUES ($1, $2, $3, $4) \
             RETURNING id, name, timezone",
        )
        .bind(Uuid::now_v7())
        .bind(&input.name)
        .bind(&input.timezone)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?
        .into();
        audit(
            &mut tx,
            actor,
            "create",
            "site",
            Some(site.id),
            serde_json::to_value(input).unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(site)
    }

    #[tracing::instrument(skip_all)]
    async fn list_sites(&self, page: Page) -> Result<Listed<Site>, StoreError> {
        let rows = sqlx::query_as::<_, SiteRow>(
            "SELECT id, name, timezone FROM sites WHERE ($1 IS NULL OR id > $1) ORDER BY id \
             LIMIT $2",
        )
        .bind(page.after)
        .bind(fetch_limit(page))
        .fetch_all(&self.pool)
        .await?;
        Ok(Listed::from_rows(
            rows.into_iter().map(Site::from).collect(),
            page.limit,
            |s| s.id,
        ))
    }

    #[tracing::instrument(skip_all)]
    async fn get_site(&self, id: Uuid) -> Result<Site, StoreError> {
        sqlx::query_as::<_, SiteRow>("SELECT id, name, timezone FROM sites WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(Site::from)
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    async fn create_suite(&self, actor: &Actor, input: &NewSuite) -> Result<Suite, StoreError> {
        let mut tx = self.write_tx().await?;
        let site = sqlx::query_scalar::<_, Uuid>("SELECT id FROM sites WHERE id = $1")
            .bind(input.site_id)
            .fetch_optional(&mut *tx)
            .await?;
        if site.is_none() {
            return Err(StoreError::invalid("/site_id", "unknown site"));
        }
        let t = now();
        let sql = format!(
            "INSERT INTO suites (id, site_id, name, grade, capabilities, lines, available_from, \
             available_to, created_at, updated_at, segregation) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10) RETURNING {SUITE_COLS}"
        );
        let suite: Suite = sqlx::query_as::<_, SuiteRow>(&sql)
            .bind(Uuid::now_v7())
            .bind(input.site_id)
            .bind(&input.name)
            .bind(input.grade.as_str())
            .bind(Json(&input.capabilities))
            .bind(input.lines as i32)
            .bind(input.available_from)
            .bind(input.available_to)
            .bind(t)
            .bind(input.segregation.as_str())
            .fetch_one(&mut *tx)
            .await?
            .try_into()?;
        audit(
            &mut tx,
            actor,
            "create",
            "suite",
            Some(suite.id),
            serde_json::to_value(input).unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(suite)
    }

    #[tracing::instrument(skip_all)]
    async fn list_suites(&self, page: Page) -> Result<Listed<Suite>, StoreError> {
        let sql = format!(
            "SELECT {SUITE_COLS} FROM suites WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2"
        );
        let rows = sqlx::query_as::<_, SuiteRow>(&sql)
            .bind(page.after)
            .bind(fetch_limit(page))
            .fetch_all(&self.pool)
            .await?;
        Ok(Listed::from_rows(decode_all(rows)?, page.limit, |s| s.id))
    }

    #[tracing::instrument(skip_all)]
    async fn get_suite(&self, id: Uuid) -> Result<Suite, StoreError> {
        let sql = format!("SELECT {SUITE_COLS} FROM suites WHERE id = $1");
        sqlx::query_as::<_, SuiteRow>(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(Suite::try_from)
            .transpose()?
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    async fn update_suite(
        &self,
        actor: &Actor,
        id: Uuid,
        input: &NewSuite,
        force: bool,
    ) -> Result<Suite, StoreError> {
        let mut tx = self.write_tx().await?;
        let locked = lock_suite(&mut tx, id).await?;
        // Bookings that the change would leave on a line that no longer exists or on days
        // outside the new qualification dates.
        // Every booking of the suite (PostgreSQL dates stop at year 294276; 1..9999 is all).
        let first = chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default();
        let last = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
        let edited = SuiteRules {
            capabilities: &input.capabilities,
            grade: input.grade,
            lines: u32::try_from(input.lines).unwrap_or(0),
            available_from: input.available_from,
            available_to: input.available_to,
        };
        let affected =
            cal::stranded_by(&edited, live_bookings(&mut tx, &locked, first, last).await?);
        if !affected.is_empty() {
            if !force {
                return Err(StoreError::Conflict(
                    affected.iter().map(Taken::conflict).collect(),
                ));
            }
            flag_at_risk(
                &mut tx,
                &affected.iter().map(|b| b.booking_id).collect::<Vec<_>>(),
            )
            .await?;
        }
        let resegregated = input.segregation != locked.suite.segregation;
        if resegregated {
            segregate(&mut tx, &locked, input.segregation).await?;
        }
        let sql = format!(
            "UPDATE suites SET name = $2, grade = $3, capabilities = $4, lines = $5, \
             available_from = $6, \
             calendar_version = calendar_version + 1, \
             available_to = $7, updated_at = $8, segregation = $9 WHERE id = $1 \
             RETURNING {SUITE_COLS}"
        );
        let suite: Suite = sqlx::query_as::<_, SuiteRow>(&sql)
            .bind(id)
            .bind(&input.name)
            .bind(input.grade.as_str())
            .bind(Json(&input.capabilities))
            .bind(input.lines as i32)
            .bind(input.available_from)
            .bind(input.available_to)
            .bind(now())
            .bind(input.segregation.as_str())
            .fetch_one(&mut *tx)
            .await?
            .try_into()?;
        audit(
            &mut tx,
            actor,
            "update",
            "suite",
            Some(id),
            serde_json::json!({
                "before": locked.suite, "after": suite, "force": force,
                "at_risk_bookings": affected.iter().map(|b| b.booking_id).collect::<Vec<_>>(),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(suite)
    }

    #[tracing::instrument(skip_all)]
    async fn create_closure(
        &self,
        actor: &Actor,
        suite_id: Uuid,
        input: &NewClosure,
    ) -> Result<Closure, StoreError> {
        let mut tx = self.write_tx().await?;
        let locked = lock_suite(&mut tx, suite_id).await?;
        calendar_changed(&mut tx, suite_id).await?;
        let lines: Option<Vec<i32>> = input.lines.as_ref().map(|ls| {
            ls.iter()
                .map(|l| i32::try_from(*l).unwrap_or(i32::MAX))
                .collect()
        });
        let hits = cal::closed_by(
            input.start,
            input.end,
            lines.as_deref(),
            live_bookings(&mut tx, &locked, input.start, input.end).await?,
        );
        if !hits.is_empty() && !input.force {
            return Err(StoreError::Conflict(
                hits.iter().map(Taken::conflict).collect(),
            ));
        }
        let sql = format!(
            "INSERT INTO closures (id, suite_id, starts_on, ends_on, reason, lines, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {CLOSURE_COLS}"
        );
        let closure: Closure = sqlx::query_as::<_, ClosureRow>(&sql)
            .bind(Uuid::now_v7())
            .bind(suite_id)
            .bind(input.start)
            .bind(input.end)
            .bind(&input.reason)
            .bind(lines.as_ref().map(Json))
            .bind(now())
            .fetch_one(&mut *tx)
            .await?
            .into();
        if !hits.is_empty() {
            flag_at_risk(
                &mut tx,
                &hits.iter().map(|b| b.booking_id).collect::<Vec<_>>(),
            )
            .await?;
            // One event per affected client, so that a client-scoped subscription sees only
            // its own bookings.
            let mut by_client: std::collections::BTreeMap<Uuid, Vec<serde_json::Value>> =
                Default::default();
            for b in &hits {
                if let Some(client) = program_client(&mut tx, b.program_id).await? {
                    by_client
                        .entry(client)
                        .or_default()
                        .push(serde_json::json!({
                            "booking_id": b.booking_id, "program_id": b.program_id, "line": b.line,
                            "start": b.start, "end": b.end,
                        }));
                }
            }
            for (client, bookings) in by_client {
                emit(
                    &mut tx,
                    "closure.conflict",
                    Some(client),
                    serde_json::json!({
                        "closure_id": closure.id, "suite_id": suite_id,
                        "start": closure.start, "end": closure.end, "lines": closure.lines,
                        "bookings": bookings,
                    }),
                )
                .await?;
            }
        }
        audit(
            &mut tx,
            actor,
            "create",
            "closure",
            Some(closure.id),
            serde_json::to_value(input).unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(closure)
    }

    #[tracing::instrument(skip_all)]
    async fn list_closures(
        &self,
        suite_id: Uuid,
        page: Page,
    ) -> Result<Listed<Closure>, StoreError> {
        let sql = format!(
            "SELECT {CLOSURE_COLS} FROM closures WHERE suite_id = $1 AND ($2 IS NULL OR id > \
             $2) ORDER BY id LIMIT $3"
        );
        let rows = sqlx::query_as::<_, ClosureRow>(&sql)
            .bind(suite_id)
            .bind(page.after)
            .bind(fetch_limit(page))
            .fetch_all(&self.pool)
            .await?;
        Ok(Listed::from_rows(
            rows.into_iter().map(Closure::from).collect(),
            page.limit,
            |c| c.id,
        ))
    }

    #[tracing::instrument(skip_all)]
    async fn delete_closure(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError> {
        self.remove_from_calendar(actor, "closures", "closure", id)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn create_dedication(
        &self,
        actor: &Actor,
        suite_id: Uuid,
        input: &NewDedication,
    ) -> Result<Dedication, StoreError> {
        let mut tx = self.write_tx().await?;
        let locked = lock_suite(&mut tx, suite_id).await?;
        let client = sqlx::query_scalar::<_, Uuid>("SELECT id FROM clients WHERE id = $1")
            .bind(input.client_id)
            .fetch_optional(&mut *tx)
            .await?;
        if client.is_none() {
            return Err(StoreError::invalid("/client_id", "unknown client"));
        }
        calendar_changed(&mut tx, suite_id).await?;
        let line = i32::try_from(input.line).unwrap_or(i32::MAX);
        let new = Dedication {
            id: Uuid::now_v7(),
            suite_id,
            line,
            client_id: input.client_id,
            start: input.start,
            end: input.end,
            note: input.note.clone(),
            created_at: now(),
        };
        let until = input
            .end
            .unwrap_or_else(|| chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default());
        // One owner per line and day.
        let mut conflicts: Vec<ConflictItem> = list_dedications_in(&mut *tx, Some(suite_id))
            .await?
            .into_iter()
            .filter(|d| d.line == line && d.overlaps(input.start, until))
            .map(|d| ConflictItem {
                kind: "dedication".into(),
                line,
                start: d.start,
                end: d.end.unwrap_or(until),
                booking_id: None,
                program_id: None,
            })
            .collect();
        // Other clients' live bookings on the line over its days stay where they are: the
        // planner moves them first.
        for t in live_bookings(&mut tx, &locked, input.start, until).await? {
            if t.line == line
                && program_client(&mut tx, t.program_id).await? != Some(input.client_id)
            {
                conflicts.push(t.conflict());
            }
        }
        if !conflicts.is_empty() {
            return Err(StoreError::Conflict(conflicts));
        }
        let sql = format!(
            "INSERT INTO dedications ({DEDICATION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             RETURNING {DEDICATION_COLS}"
        );
        let dedication: Dedication = sqlx::query_as::<_, DedicationRow>(&sql)
            .bind(new.id)
            .bind(suite_id)
            .bind(line)
            .bind(new.client_id)
            .bind(new.start)
            .bind(new.end)
            .bind(&new.note)
            .bind(new.created_at)
            .fetch_one(&mut *tx)
            .await?
            .into();
        audit(
            &mut tx,
            actor,
            "create",
            "dedication",
            Some(dedication.id),
            serde_json::to_value(&dedication).unwrap_or_default(),
        )
        .await?;
        tx.commit().await?;
        Ok(dedication)
    }

    #[tracing::instrument(skip_all)]
    async fn list_dedications(
        &self,
        suite_id: Option<Uuid>,
    ) -> Result<Vec<Dedication>, StoreError> {
        list_dedications_in(&self.pool, suite_id).await
    }

    #[tracing::instrument(skip_all)]
    async fn delete_dedication(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError> {
        self.remove_from_calendar(actor, "dedications", "dedication", id)
            .await
    }
}

/// Dedications of one suite or of all, read through `db` (the pool, or a transaction).
async fn list_dedications_in<'e, E: sqlx::Executor<'e, Database = Db>>(
    db: E,
    suite_id: Option<Uuid>,
) -> Result<Vec<Dedication>, StoreError> {
    let sql = format!(
        "SELECT {DEDICATION_COLS} FROM dedications WHERE ($1 IS NULL OR suite_id = $1) ORDER BY id"
    );
    Ok(sqlx::query_as::<_, DedicationRow>(&sql)
        .bind(suite_id)
        .fetch_all(db)
        .await?
        .into_iter()
        .map(Dedication::from)
        .collect())
}

impl Backend {
    /// Removes a row of a suite's calendar (`closures`, `dedications`: a fixed table name, never
    /// input) under the suite's lock, moving its calendar version on, with its audit row.
    async fn remove_from_calendar(
        &self,
        actor: &Actor,
        table: &'static str,
        entity: &'static str,
        id: Uuid,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let suite_id =
            sqlx::query_scalar::<_, Uuid>(&format!("SELECT suite_id FROM {table} WHERE id = $1"))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        lock_suite(&mut tx, suite_id).await?;
        calendar_changed(&mut tx, suite_id).await?;
        sqlx::query(&format!("DELETE FROM {table} WHERE id = $1"))
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            "delete",
            entity,
            Some(id),
            serde_json::json!({"suite_id": suite_id}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Gives the live bookings of a suite their parties under `segregation` (`bookings.seg_key`),
/// in the caller's transaction, which holds the suite's lock. Refused (409 naming them) while
/// live bookings of two parties share a day: the change would break the rule at once. Keys are
/// cleared first and then set, so that the database's check (PostgreSQL's exclusion constraint,
/// SQLite's trigger) compares new keys with new keys only.
async fn segregate(
    tx: &mut Tx,
    locked: &LockedSuite,
    segregation: Segregation,
) -> Result<(), StoreError> {
    let first = chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default();
    let last = chrono::NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or_default();
    super::booking_path::expire_due(tx, Some(locked.suite.id)).await?;
    let live = live_bookings(tx, locked, first, last).await?;
    let mut parties = Vec::with_capacity(live.len());
    let mut clients = Vec::with_capacity(live.len());
    for t in live {
        let client = program_client(tx, t.program_id)
            .await?
            .unwrap_or(t.program_id);
        let party = party_key(segregation, t.program_id, client);
        parties.push(Taken { party, ..t });
        clients.push(client);
    }
    // Each booking that another, under the new rule, keeps out of the suite.
    let mut clashes: Vec<Taken> = parties
        .iter()
        .zip(&clients)
        .filter(|(t, client)| {
            !segregated_from(
                segregation,
                t.program_id,
                **client,
                t.start,
                t.end,
                &parties,
            )
            .is_empty()
        })
        .map(|(t, _)| *t)
        .collect();
    if !clashes.is_empty() {
        clashes.sort_by_key(|t| (t.start, t.booking_id));
        return Err(StoreError::Conflict(
            clashes
                .iter()
                .map(|t| {
                    let mut c = t.conflict();
                    c.kind = "segregation".into();
                    c
                })
                .collect(),
        ));
    }
    sqlx::query("UPDATE bookings SET seg_key = NULL WHERE suite_id = $1")
        .bind(locked.suite.id)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE bookings SET seg_key = (SELECT CASE $2 WHEN 'same_client' THEN p.client_id \
         WHEN 'same_program' THEN p.id END FROM programs p WHERE p.id = bookings.program_id) \
         WHERE suite_id = $1",
    )
    .bind(locked.suite.id)
    .bind(segregation.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
