//! The use cases in SQL, written once and instantiated per backend by `impl_store!`.
//!
//! Both SQLite and PostgreSQL accept `$n` placeholders, `RETURNING`, `ON CONFLICT` and the column
//! types in `rows.rs`. The backend supplies: `Self::write_tx()` (SQLite: `BEGIN IMMEDIATE`, so
//! the write lock is taken up front and checks cannot race), `$for_update` (PostgreSQL:
//! `FOR UPDATE`, so calendar writes to one suite serialise on its row), and `$classify` (its
//! error codes → `StoreError`).

macro_rules! impl_store {
    ($store:ty, $db:ty, $backend:literal, $for_update:literal, $classify:path) => {
        use $crate::domain::*;
        use $crate::store::rows::*;
        use $crate::store::*;
        use chrono::{DateTime, Utc};
        use sqlx::types::Json;
        use sqlx::Transaction;
        use uuid::Uuid;

        type Tx = Transaction<'static, $db>;

        fn db(e: sqlx::Error) -> StoreError {
            $classify(e)
        }

        async fn audit(
            tx: &mut Tx,
            actor: &Actor,
            action: &str,
            entity: &str,
            entity_id: Option<Uuid>,
            detail: serde_json::Value,
        ) -> Result<(), StoreError> {
            sqlx::query(
                "INSERT INTO audit_log (id, at, api_key_id, role, action, entity, entity_id, request_id, detail) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(Uuid::now_v7())
            .bind(now())
            .bind(actor.api_key_id)
            .bind(actor.role.as_str())
            .bind(action)
            .bind(entity)
            .bind(entity_id)
            .bind(actor.request_id.as_deref())
            .bind(Json(detail))
            .execute(&mut **tx)
            .await
            .map_err(db)?;
            Ok(())
        }

        /// Writes an event to the outbox, in the caller's transaction.
        #[allow(dead_code)]
        async fn emit(
            tx: &mut Tx,
            event_type: &str,
            client_id: Option<Uuid>,
            payload: serde_json::Value,
        ) -> Result<(), StoreError> {
            sqlx::query("INSERT INTO events (id, type, client_id, payload, created_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(Uuid::now_v7())
                .bind(event_type)
                .bind(client_id)
                .bind(Json(payload))
                .bind(now())
                .execute(&mut **tx)
                .await
                .map_err(db)?;
            Ok(())
        }

        /// Locks the suite's calendar for the rest of the transaction and returns the suite with
        /// the length of its longest booking (the scan bound of `live_bookings`).
        async fn lock_suite(tx: &mut Tx, id: Uuid) -> Result<LockedSuite, StoreError> {
            let sql = format!("SELECT {SUITE_COLS}, max_booking_days FROM suites WHERE id = $1{}", $for_update);
            sqlx::query_as::<_, LockedSuiteRow>(&sql)
                .bind(id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db)?
                .map(|r| LockedSuite { suite: r.suite.into(), longest: r.max_booking_days })
                .ok_or(StoreError::NotFound)
        }

        /// Held (not yet expired) and confirmed bookings of a locked suite overlapping
        /// `[from, to)`. Live bookings never last longer than `suite.longest` days, so the scan
        /// starts that far before `from` instead of at the suite's first booking. The liveness
        /// test is written as a CASE so that no planner answers it from the status index (SQLite
        /// without statistics did, reading every confirmed booking).
        async fn live_bookings(
            tx: &mut Tx,
            suite: &LockedSuite,
            from: chrono::NaiveDate,
            to: chrono::NaiveDate,
        ) -> Result<Vec<LiveBookingRow>, StoreError> {
            let earliest = from
                .checked_sub_days(chrono::Days::new(u64::try_from(suite.longest).unwrap_or(0)))
                .unwrap_or(chrono::NaiveDate::MIN)
                .max(chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default());
            sqlx::query_as::<_, LiveBookingRow>(
                "SELECT id, program_id, line, starts_on, ends_on FROM bookings \
                 WHERE suite_id = $1 AND starts_on >= $5 AND starts_on < $3 AND ends_on > $2 \
                 AND (CASE WHEN status = 'confirmed' THEN 1 WHEN status = 'held' AND hold_expires_at > $4 THEN 1 ELSE 0 END) = 1 \
                 ORDER BY starts_on, id",
            )
            .bind(suite.suite.id)
            .bind(from)
            .bind(to)
            .bind(now())
            .bind(earliest)
            .fetch_all(&mut **tx)
            .await
            .map_err(db)
        }

        async fn flag_at_risk(tx: &mut Tx, ids: &[Uuid]) -> Result<(), StoreError> {
            for id in ids {
                sqlx::query("UPDATE bookings SET at_risk = $2, updated_at = $3 WHERE id = $1")
                    .bind(id)
                    .bind(true)
                    .bind(now())
                    .execute(&mut **tx)
                    .await
                    .map_err(db)?;
            }
            Ok(())
        }

        async fn program_client(tx: &mut Tx, program_id: Uuid) -> Result<Option<Uuid>, StoreError> {
            sqlx::query_scalar::<_, Uuid>("SELECT client_id FROM programs WHERE id = $1")
                .bind(program_id)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db)
        }

        async fn check_suite_ids(tx: &mut Tx, ids: &[Uuid]) -> Result<(), StoreError> {
            for (i, id) in ids.iter().enumerate() {
                let found = sqlx::query_scalar::<_, Uuid>("SELECT id FROM suites WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db)?;
                if found.is_none() {
                    return Err(StoreError::invalid(&format!("/allowed_suite_ids/{i}"), "unknown suite"));
                }
            }
            Ok(())
        }

        fn fetch_limit(page: Page) -> i64 {
            i64::from(page.limit) + 1
        }

        fn booking_event(status: BookingStatus) -> &'static str {
            match status {
                BookingStatus::Held => "booking.held",
                BookingStatus::Confirmed => "booking.confirmed",
                BookingStatus::Cancelled => "booking.cancelled",
                BookingStatus::Expired => "booking.expired",
            }
        }

        /// Loads a booking (scoped to a client's programs when `scope` is set), locked on PostgreSQL.
        async fn booking_for_update(tx: &mut Tx, id: Uuid, scope: Option<Uuid>) -> Result<(Booking, Uuid), StoreError> {
            let sql = format!(
                "SELECT b.id, b.program_id, b.suite_id, b.line, b.starts_on, b.ends_on, b.status, b.hold_expires_at, \
                 b.note, b.at_risk, b.created_at FROM bookings b JOIN programs p ON p.id = b.program_id \
                 WHERE b.id = $1 AND ($2 IS NULL OR p.client_id = $2){}",
                if $for_update.is_empty() { "" } else { " FOR UPDATE OF b" }
            );
            let booking: Booking = sqlx::query_as::<_, BookingRow>(&sql)
                .bind(id)
                .bind(scope)
                .fetch_optional(&mut **tx)
                .await
                .map_err(db)?
                .map(Booking::from)
                .ok_or(StoreError::NotFound)?;
            let client = program_client(tx, booking.program_id).await?.ok_or(StoreError::NotFound)?;
            Ok((booking, client))
        }

        /// Marks due holds of `suite_id` (or of every suite) expired, with their events.
        async fn expire_due(tx: &mut Tx, suite_id: Option<Uuid>) -> Result<u64, StoreError> {
            let t = now();
            let sql = format!(
                "SELECT {BOOKING_COLS} FROM bookings WHERE status = 'held' AND hold_expires_at <= $1 \
                 AND ($2 IS NULL OR suite_id = $2) ORDER BY id"
            );
            let due: Vec<Booking> = sqlx::query_as::<_, BookingRow>(&sql)
                .bind(t)
                .bind(suite_id)
                .fetch_all(&mut **tx)
                .await
                .map_err(db)?
                .into_iter()
                .map(Booking::from)
                .collect();
            for b in &due {
                sqlx::query("UPDATE bookings SET status = 'expired', updated_at = $2 WHERE id = $1")
                    .bind(b.id)
                    .bind(t)
                    .execute(&mut **tx)
                    .await
                    .map_err(db)?;
                let client = program_client(tx, b.program_id).await?;
                let mut expired = b.clone();
                expired.status = BookingStatus::Expired;
                emit(tx, "booking.expired", client, serde_json::json!({"booking": expired})).await?;
                audit(tx, &Actor::system(), "expire", "booking", Some(b.id), serde_json::json!({})).await?;
            }
            Ok(due.len() as u64)
        }

        async fn insert_booking(
            tx: &mut Tx,
            actor: &Actor,
            input: &NewBooking,
            rules: &BookingRules,
        ) -> Result<Booking, StoreError> {
            let locked = match lock_suite(tx, input.suite_id).await {
                Err(StoreError::NotFound) => return Err(StoreError::invalid("/suite_id", "unknown suite")),
                other => other?,
            };
            let suite = &locked.suite;
            let sql = format!("SELECT {PROGRAM_COLS} FROM programs WHERE id = $1 AND ($2 IS NULL OR client_id = $2)");
            let program: Program = sqlx::query_as::<_, ProgramRow>(&sql)
                .bind(input.program_id)
                .bind(actor.scope())
                .fetch_optional(&mut **tx)
                .await
                .map_err(db)?
                .map(Program::from)
                .ok_or_else(|| StoreError::invalid("/program_id", "unknown program"))?;
            let missing: Vec<&String> =
                program.required_capabilities.iter().filter(|c| !suite.capabilities.contains(c)).collect();
            if !missing.is_empty() {
                return Err(StoreError::invalid("/suite_id", &format!(
                    "the suite lacks capabilities the program requires: {}",
                    missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                )));
            }
            if !suite.grade.satisfies(program.min_grade) {
                return Err(StoreError::invalid("/suite_id", &format!(
                    "the program needs grade {} or cleaner; the suite is grade {}",
                    program.min_grade.as_str(), suite.grade.as_str()
                )));
            }
            if program.allowed_suite_ids.as_ref().is_some_and(|ids| !ids.contains(&suite.id)) {
                return Err(StoreError::invalid("/suite_id", "the program's process is not filed for this suite"));
            }
            if let Some(line) = input.line {
                if line > i64::from(suite.lines) {
                    return Err(StoreError::invalid("/line", &format!("the suite has lines 1..={}", suite.lines)));
                }
            }
            let candidates: Vec<i32> = match input.line {
                Some(l) => vec![l as i32],
                None => (1..=suite.lines).collect(),
            };
            let mut conflicts = Vec::new();
            let unqualified = input.start < suite.available_from
                || suite.available_to.is_some_and(|to| input.end > to);
            if unqualified {
                for line in &candidates {
                    conflicts.push(ConflictItem {
                        kind: "qualification".into(),
                        line: *line,
                        start: suite.available_from,
                        end: suite.available_to.unwrap_or(chrono::NaiveDate::MAX),
                        booking_id: None,
                        program_id: None,
                    });
                }
                return Err(StoreError::Conflict(conflicts));
            }
            let sql = format!("SELECT {CLOSURE_COLS} FROM closures WHERE suite_id = $1 AND starts_on < $3 AND ends_on > $2 ORDER BY starts_on");
            let closures: Vec<Closure> = sqlx::query_as::<_, ClosureRow>(&sql)
                .bind(suite.id)
                .bind(input.start)
                .bind(input.end)
                .fetch_all(&mut **tx)
                .await
                .map_err(db)?
                .into_iter()
                .map(Closure::from)
                .collect();
            let bookings = live_bookings(tx, &locked, input.start, input.end).await?;
            let mut chosen = None;
            for line in candidates {
                let mut here: Vec<ConflictItem> = closures
                    .iter()
                    .filter(|c| c.lines.as_ref().is_none_or(|ls| ls.contains(&line)))
                    .map(|c| ConflictItem { kind: "closure".into(), line, start: c.start, end: c.end, booking_id: None, program_id: None })
                    .collect();
                here.extend(bookings.iter().filter(|b| b.line == line).map(LiveBookingRow::conflict));
                if here.is_empty() {
                    chosen = Some(line);
                    break;
                }
                conflicts.extend(here);
            }
            let line = chosen.ok_or(StoreError::Conflict(conflicts))?;
            let t = rules.now;
            let hold = if input.status == BookingStatus::Held { input.hold_expires_at } else { None };
            let sql = format!(
                "INSERT INTO bookings (id, program_id, suite_id, line, starts_on, ends_on, status, hold_expires_at, note, at_risk, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING {BOOKING_COLS}"
            );
            let booking: Booking = sqlx::query_as::<_, BookingRow>(&sql)
                .bind(Uuid::now_v7())
                .bind(program.id)
                .bind(suite.id)
                .bind(line)
                .bind(input.start)
                .bind(input.end)
                .bind(input.status.as_str())
                .bind(hold)
                .bind(input.note.as_deref())
                .bind(false)
                .bind(t)
                .fetch_one(&mut **tx)
                .await
                .map_err(db)?
                .into();
            // Keeps the overlap queries' scan bound (see live_bookings) true.
            sqlx::query(
                "UPDATE suites SET max_booking_days = CASE WHEN max_booking_days < $2 THEN $2 ELSE max_booking_days END WHERE id = $1",
            )
            .bind(suite.id)
            .bind((input.end - input.start).num_days() as i32)
            .execute(&mut **tx)
            .await
            .map_err(db)?;
            emit(tx, booking_event(booking.status), Some(program.client_id), serde_json::json!({"booking": booking})).await?;
            audit(tx, actor, "create", "booking", Some(booking.id), serde_json::to_value(&booking).unwrap_or_default()).await?;
            Ok(booking)
        }

        impl $store {
            /// Stale holds on the suite go first, in their own transaction with their events,
            /// so that an expired hold never blocks a new booking (nor the exclusion
            /// constraint). The write transaction is opened only when there is one.
            async fn expire_due_holds(&self, suite_id: Uuid) -> Result<(), StoreError> {
                let due = sqlx::query_scalar::<_, Uuid>(
                    "SELECT id FROM bookings WHERE status = 'held' AND hold_expires_at <= $1 AND suite_id = $2 LIMIT 1",
                )
                .bind(now())
                .bind(suite_id)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
                if due.is_some() {
                    let mut tx = self.write_tx().await?;
                    expire_due(&mut tx, Some(suite_id)).await?;
                    tx.commit().await.map_err(db)?;
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl Store for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn ping(&self) -> Result<(), StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await.map_err(db)?;
                Ok(())
            }

            async fn authenticate(&self, key_hash: &str) -> Result<Option<KeyIdentity>, StoreError> {
                let row = sqlx::query_as::<_, IdentityRow>(
                    "SELECT id, role, client_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
                )
                .bind(key_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
                Ok(row.map(KeyIdentity::from))
            }

            async fn ensure_admin_key(&self, key_hash: &str, prefix: &str) -> Result<(), StoreError> {
                let mut tx = self.write_tx().await?;
                let result = sqlx::query(
                    "INSERT INTO api_keys (id, name, role, client_id, prefix, key_hash, created_at, revoked_at) \
                     VALUES ($1, $2, 'admin', NULL, $3, $4, $5, NULL) ON CONFLICT (key_hash) DO NOTHING",
                )
                .bind(Uuid::now_v7())
                .bind("bootstrap admin")
                .bind(prefix)
                .bind(key_hash)
                .bind(now())
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                if result.rows_affected() == 1 {
                    audit(&mut tx, &Actor::system(), "create", "api_key", None, serde_json::json!({"name": "bootstrap admin"})).await?;
                }
                // A revoked bootstrap key comes back: the operator asked for it by setting the variable.
                sqlx::query("UPDATE api_keys SET revoked_at = NULL WHERE key_hash = $1")
                    .bind(key_hash)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                tx.commit().await.map_err(db)?;
                Ok(())
            }

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
                        .await
                        .map_err(db)?;
                    if found.is_none() {
                        return Err(StoreError::invalid("/client_id", "unknown client"));
                    }
                }
                let row = sqlx::query_as::<_, ApiKeyRow>(
                    "INSERT INTO api_keys (id, name, role, client_id, prefix, key_hash, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, name, role, client_id, prefix, created_at",
                )
                .bind(Uuid::now_v7())
                .bind(&input.name)
                .bind(input.role.as_str())
                .bind(input.client_id)
                .bind(prefix)
                .bind(key_hash)
                .bind(now())
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
                let key = ApiKey::from(row);
                audit(&mut tx, actor, "create", "api_key", Some(key.id),
                    serde_json::json!({"name": key.name, "role": key.role, "client_id": key.client_id, "prefix": key.prefix})).await?;
                tx.commit().await.map_err(db)?;
                Ok(key)
            }

            async fn list_api_keys(&self, page: Page) -> Result<Listed<ApiKey>, StoreError> {
                let rows = sqlx::query_as::<_, ApiKeyRow>(
                    "SELECT id, name, role, client_id, prefix, created_at FROM api_keys \
                     WHERE revoked_at IS NULL AND ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2",
                )
                .bind(page.after)
                .bind(fetch_limit(page))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
                Ok(Listed::from_rows(rows.into_iter().map(ApiKey::from).collect(), page.limit, |k| k.id))
            }

            async fn revoke_api_key(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                    .bind(id)
                    .bind(now())
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?
                    .rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                sqlx::query("DELETE FROM sessions WHERE api_key_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                audit(&mut tx, actor, "revoke", "api_key", Some(id), serde_json::json!({})).await?;
                tx.commit().await.map_err(db)?;
                Ok(())
            }

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
                    .await
                    .map_err(db)?;
                sqlx::query("INSERT INTO sessions (token_hash, api_key_id, expires_at) VALUES ($1, $2, $3)")
                    .bind(token_hash)
                    .bind(api_key_id)
                    .bind(expires_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                tx.commit().await.map_err(db)?;
                Ok(())
            }

            async fn session_identity(&self, token_hash: &str) -> Result<Option<KeyIdentity>, StoreError> {
                let row = sqlx::query_as::<_, IdentityRow>(
                    "SELECT k.id, k.role, k.client_id FROM sessions s JOIN api_keys k ON k.id = s.api_key_id \
                     WHERE s.token_hash = $1 AND s.expires_at > $2 AND k.revoked_at IS NULL",
                )
                .bind(token_hash)
                .bind(now())
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
                Ok(row.map(KeyIdentity::from))
            }

            async fn delete_session(&self, token_hash: &str) -> Result<(), StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                tx.commit().await.map_err(db)?;
                Ok(())
            }

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
                .await
                .map_err(db)?
                .into();
                audit(&mut tx, actor, "create", "site", Some(site.id), serde_json::to_value(input).unwrap_or_default()).await?;
                tx.commit().await.map_err(db)?;
                Ok(site)
            }

            async fn list_sites(&self, page: Page) -> Result<Listed<Site>, StoreError> {
                let rows = sqlx::query_as::<_, SiteRow>(
                    "SELECT id, name, timezone FROM sites WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2",
                )
                .bind(page.after)
                .bind(fetch_limit(page))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
                Ok(Listed::from_rows(rows.into_iter().map(Site::from).collect(), page.limit, |s| s.id))
            }

            async fn get_site(&self, id: Uuid) -> Result<Site, StoreError> {
                sqlx::query_as::<_, SiteRow>("SELECT id, name, timezone FROM sites WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?
                    .map(Site::from)
                    .ok_or(StoreError::NotFound)
            }

            async fn create_suite(&self, actor: &Actor, input: &NewSuite) -> Result<Suite, StoreError> {
                let mut tx = self.write_tx().await?;
                let site = sqlx::query_scalar::<_, Uuid>("SELECT id FROM sites WHERE id = $1")
                    .bind(input.site_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?;
                if site.is_none() {
                    return Err(StoreError::invalid("/site_id", "unknown site"));
                }
                let t = now();
                let sql = format!(
                    "INSERT INTO suites (id, site_id, name, grade, capabilities, lines, available_from, available_to, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING {SUITE_COLS}"
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
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)?
                    .into();
                audit(&mut tx, actor, "create", "suite", Some(suite.id), serde_json::to_value(input).unwrap_or_default()).await?;
                tx.commit().await.map_err(db)?;
                Ok(suite)
            }

            async fn list_suites(&self, page: Page) -> Result<Listed<Suite>, StoreError> {
                let sql = format!("SELECT {SUITE_COLS} FROM suites WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2");
                let rows = sqlx::query_as::<_, SuiteRow>(&sql)
                    .bind(page.after)
                    .bind(fetch_limit(page))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                Ok(Listed::from_rows(rows.into_iter().map(Suite::from).collect(), page.limit, |s| s.id))
            }

            async fn get_suite(&self, id: Uuid) -> Result<Suite, StoreError> {
                let sql = format!("SELECT {SUITE_COLS} FROM suites WHERE id = $1");
                sqlx::query_as::<_, SuiteRow>(&sql)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?
                    .map(Suite::from)
                    .ok_or(StoreError::NotFound)
            }

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
                let affected: Vec<LiveBookingRow> = live_bookings(&mut tx, &locked, first, last)
                    .await?
                    .into_iter()
                    .filter(|b| {
                        b.line > input.lines as i32
                            || b.starts_on < input.available_from
                            || input.available_to.is_some_and(|to| b.ends_on > to)
                    })
                    .collect();
                if !affected.is_empty() {
                    if !force {
                        return Err(StoreError::Conflict(affected.iter().map(LiveBookingRow::conflict).collect()));
                    }
                    flag_at_risk(&mut tx, &affected.iter().map(|b| b.id).collect::<Vec<_>>()).await?;
                }
                let sql = format!(
                    "UPDATE suites SET name = $2, grade = $3, capabilities = $4, lines = $5, available_from = $6, \
                     available_to = $7, updated_at = $8 WHERE id = $1 RETURNING {SUITE_COLS}"
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
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)?
                    .into();
                audit(&mut tx, actor, "update", "suite", Some(id), serde_json::json!({
                    "before": locked.suite, "after": suite, "force": force,
                    "at_risk_bookings": affected.iter().map(|b| b.id).collect::<Vec<_>>(),
                })).await?;
                tx.commit().await.map_err(db)?;
                Ok(suite)
            }

            async fn create_closure(
                &self,
                actor: &Actor,
                suite_id: Uuid,
                input: &NewClosure,
            ) -> Result<Closure, StoreError> {
                let mut tx = self.write_tx().await?;
                let locked = lock_suite(&mut tx, suite_id).await?;
                let hits: Vec<LiveBookingRow> = live_bookings(&mut tx, &locked, input.start, input.end)
                    .await?
                    .into_iter()
                    .filter(|b| input.lines.as_ref().is_none_or(|ls| ls.contains(&i64::from(b.line))))
                    .collect();
                if !hits.is_empty() && !input.force {
                    return Err(StoreError::Conflict(hits.iter().map(LiveBookingRow::conflict).collect()));
                }
                let lines: Option<Vec<i32>> = input.lines.as_ref().map(|ls| ls.iter().map(|l| *l as i32).collect());
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
                    .await
                    .map_err(db)?
                    .into();
                if !hits.is_empty() {
                    flag_at_risk(&mut tx, &hits.iter().map(|b| b.id).collect::<Vec<_>>()).await?;
                    // One event per affected client, so that a client-scoped subscription sees only
                    // its own bookings.
                    let mut by_client: std::collections::BTreeMap<Uuid, Vec<serde_json::Value>> = Default::default();
                    for b in &hits {
                        if let Some(client) = program_client(&mut tx, b.program_id).await? {
                            by_client.entry(client).or_default().push(serde_json::json!({
                                "booking_id": b.id, "program_id": b.program_id, "line": b.line,
                                "start": b.starts_on, "end": b.ends_on,
                            }));
                        }
                    }
                    for (client, bookings) in by_client {
                        emit(&mut tx, "closure.conflict", Some(client), serde_json::json!({
                            "closure_id": closure.id, "suite_id": suite_id,
                            "start": closure.start, "end": closure.end, "lines": closure.lines,
                            "bookings": bookings,
                        })).await?;
                    }
                }
                audit(&mut tx, actor, "create", "closure", Some(closure.id), serde_json::to_value(input).unwrap_or_default()).await?;
                tx.commit().await.map_err(db)?;
                Ok(closure)
            }

            async fn list_closures(&self, suite_id: Uuid, page: Page) -> Result<Listed<Closure>, StoreError> {
                let sql = format!(
                    "SELECT {CLOSURE_COLS} FROM closures WHERE suite_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
                );
                let rows = sqlx::query_as::<_, ClosureRow>(&sql)
                    .bind(suite_id)
                    .bind(page.after)
                    .bind(fetch_limit(page))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                Ok(Listed::from_rows(rows.into_iter().map(Closure::from).collect(), page.limit, |c| c.id))
            }

            async fn delete_closure(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError> {
                let mut tx = self.write_tx().await?;
                let suite_id = sqlx::query_scalar::<_, Uuid>("SELECT suite_id FROM closures WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?
                    .ok_or(StoreError::NotFound)?;
                lock_suite(&mut tx, suite_id).await?;
                sqlx::query("DELETE FROM closures WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                audit(&mut tx, actor, "delete", "closure", Some(id), serde_json::json!({"suite_id": suite_id})).await?;
                tx.commit().await.map_err(db)?;
                Ok(())
            }

            async fn create_client(&self, actor: &Actor, input: &NewClient) -> Result<Client, StoreError> {
                let mut tx = self.write_tx().await?;
                let client: Client = sqlx::query_as::<_, ClientRow>(
                    "INSERT INTO clients (id, name, created_at) VALUES ($1, $2, $3) RETURNING id, name",
                )
                .bind(Uuid::now_v7())
                .bind(&input.name)
                .bind(now())
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?
                .into();
                audit(&mut tx, actor, "create", "client", Some(client.id), serde_json::to_value(input).unwrap_or_default()).await?;
                tx.commit().await.map_err(db)?;
                Ok(client)
            }

            async fn list_clients(&self, scope: Option<Uuid>, page: Page) -> Result<Listed<Client>, StoreError> {
                let rows = sqlx::query_as::<_, ClientRow>(
                    "SELECT id, name FROM clients WHERE ($1 IS NULL OR id = $1) AND ($2 IS NULL OR id > $2) \
                     ORDER BY id LIMIT $3",
                )
                .bind(scope)
                .bind(page.after)
                .bind(fetch_limit(page))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
                Ok(Listed::from_rows(rows.into_iter().map(Client::from).collect(), page.limit, |c| c.id))
            }

            async fn get_client(&self, id: Uuid, scope: Option<Uuid>) -> Result<Client, StoreError> {
                if scope.is_some_and(|s| s != id) {
                    return Err(StoreError::NotFound);
                }
                sqlx::query_as::<_, ClientRow>("SELECT id, name FROM clients WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?
                    .map(Client::from)
                    .ok_or(StoreError::NotFound)
            }

            async fn create_program(&self, actor: &Actor, input: &NewProgram) -> Result<Program, StoreError> {
                let client_id = input.client_id.ok_or_else(|| StoreError::invalid("/client_id", "required"))?;
                let mut tx = self.write_tx().await?;
                let client = sqlx::query_scalar::<_, Uuid>("SELECT id FROM clients WHERE id = $1")
                    .bind(client_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?;
                if client.is_none() {
                    return Err(StoreError::invalid("/client_id", "unknown client"));
                }
                if let Some(ids) = &input.allowed_suite_ids {
                    check_suite_ids(&mut tx, ids).await?;
                }
                let t = now();
                let sql = format!(
                    "INSERT INTO programs (id, client_id, name, modality, storage, atmp, phase, required_capabilities, \
                     min_grade, batch_days, changeover_days, earliest_start, phase_success, priority, allowed_suite_ids, \
                     created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) RETURNING {PROGRAM_COLS}"
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
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)?
                    .into();
                audit(&mut tx, actor, "create", "program", Some(program.id), serde_json::to_value(input).unwrap_or_default()).await?;
                tx.commit().await.map_err(db)?;
                Ok(program)
            }

            async fn list_programs(&self, scope: Option<Uuid>, page: Page) -> Result<Listed<Program>, StoreError> {
                let sql = format!(
                    "SELECT {PROGRAM_COLS} FROM programs WHERE ($1 IS NULL OR client_id = $1) AND ($2 IS NULL OR id > $2) \
                     ORDER BY id LIMIT $3"
                );
                let rows = sqlx::query_as::<_, ProgramRow>(&sql)
                    .bind(scope)
                    .bind(page.after)
                    .bind(fetch_limit(page))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                Ok(Listed::from_rows(rows.into_iter().map(Program::from).collect(), page.limit, |p| p.id))
            }

            async fn get_program(&self, id: Uuid, scope: Option<Uuid>) -> Result<Program, StoreError> {
                let sql = format!("SELECT {PROGRAM_COLS} FROM programs WHERE id = $1 AND ($2 IS NULL OR client_id = $2)");
                sqlx::query_as::<_, ProgramRow>(&sql)
                    .bind(id)
                    .bind(scope)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?
                    .map(Program::from)
                    .ok_or(StoreError::NotFound)
            }

            async fn update_program(
                &self,
                actor: &Actor,
                id: Uuid,
                input: &NewProgram,
            ) -> Result<Program, StoreError> {
                let mut tx = self.write_tx().await?;
                let sql = format!("SELECT {PROGRAM_COLS} FROM programs WHERE id = $1 AND ($2 IS NULL OR client_id = $2){}", $for_update);
                let before: Program = sqlx::query_as::<_, ProgramRow>(&sql)
                    .bind(id)
                    .bind(actor.scope())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?
                    .map(Program::from)
                    .ok_or(StoreError::NotFound)?;
                if input.client_id.is_some_and(|c| c != before.client_id) {
                    return Err(StoreError::invalid("/client_id", "a program cannot move to another client"));
                }
                if let Some(ids) = &input.allowed_suite_ids {
                    check_suite_ids(&mut tx, ids).await?;
                }
                let sql = format!(
                    "UPDATE programs SET name = $2, modality = $3, storage = $4, atmp = $5, phase = $6, \
                     required_capabilities = $7, min_grade = $8, batch_days = $9, changeover_days = $10, \
                     earliest_start = $11, phase_success = $12, priority = $13, allowed_suite_ids = $14, updated_at = $15 \
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
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)?
                    .into();
                audit(&mut tx, actor, "update", "program", Some(id), serde_json::json!({"before": before, "after": program})).await?;
                tx.commit().await.map_err(db)?;
                Ok(program)
            }

            async fn put_forecast(
                &self,
                actor: &Actor,
                program_id: Uuid,
                entries: &[ForecastEntry],
            ) -> Result<Forecast, StoreError> {
                let mut tx = self.write_tx().await?;
                let sql = format!("SELECT client_id FROM programs WHERE id = $1 AND ($2 IS NULL OR client_id = $2){}", $for_update);
                let client = sqlx::query_scalar::<_, Uuid>(&sql)
                    .bind(program_id)
                    .bind(actor.scope())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db)?;
                if client.is_none() {
                    return Err(StoreError::NotFound);
                }
                let version: i32 = sqlx::query_scalar::<_, i32>(
                    "SELECT COALESCE(MAX(version), 0) + 1 FROM forecasts WHERE program_id = $1",
                )
                .bind(program_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?;
                let forecast: Forecast = sqlx::query_as::<_, ForecastRow>(
                    "INSERT INTO forecasts (program_id, version, entries, created_at) VALUES ($1, $2, $3, $4) \
                     RETURNING program_id, version, entries, created_at",
                )
                .bind(program_id)
                .bind(version)
                .bind(Json(entries))
                .bind(now())
                .fetch_one(&mut *tx)
                .await
                .map_err(db)?
                .into();
                audit(&mut tx, actor, "replace", "forecast", Some(program_id),
                    serde_json::json!({"version": version, "entries": entries})).await?;
                tx.commit().await.map_err(db)?;
                Ok(forecast)
            }

            async fn get_forecast(&self, program_id: Uuid, version: Option<i32>) -> Result<Option<Forecast>, StoreError> {
                let row = sqlx::query_as::<_, ForecastRow>(
                    "SELECT program_id, version, entries, created_at FROM forecasts \
                     WHERE program_id = $1 AND ($2 IS NULL OR version = $2) ORDER BY version DESC LIMIT 1",
                )
                .bind(program_id)
                .bind(version)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
                Ok(row.map(Forecast::from))
            }

            async fn create_booking(
                &self,
                actor: &Actor,
                input: &NewBooking,
                rules: &BookingRules,
                idem: Option<&IdemKey>,
            ) -> Result<Booking, StoreError> {
                self.expire_due_holds(input.suite_id).await?;
                let mut tx = self.write_tx().await?;
                let booking = insert_booking(&mut tx, actor, input, rules).await?;
                if let Some(idem) = idem {
                    sqlx::query("UPDATE idempotency_keys SET status_code = 201, response = $3 WHERE api_key_id = $1 AND key = $2")
                        .bind(idem.api_key_id)
                        .bind(&idem.key)
                        .bind(Json(serde_json::to_value(&booking).unwrap_or_default()))
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                }
                tx.commit().await.map_err(db)?;
                Ok(booking)
            }

            async fn confirm_booking(&self, actor: &Actor, id: Uuid) -> Result<Booking, StoreError> {
                let mut tx = self.write_tx().await?;
                let (booking, client) = booking_for_update(&mut tx, id, actor.scope()).await?;
                let booking = booking.effective(now());
                match booking.status {
                    BookingStatus::Confirmed => return Ok(booking),
                    BookingStatus::Cancelled | BookingStatus::Expired => {
                        return Err(StoreError::State(format!("the booking is {}; it cannot be confirmed", booking.status.as_str())))
                    }
                    BookingStatus::Held => {}
                }
                let sql = format!(
                    "UPDATE bookings SET status = 'confirmed', hold_expires_at = NULL, updated_at = $2 WHERE id = $1 RETURNING {BOOKING_COLS}"
                );
                let booking: Booking = sqlx::query_as::<_, BookingRow>(&sql)
                    .bind(id)
                    .bind(now())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)?
                    .into();
                emit(&mut tx, "booking.confirmed", Some(client), serde_json::json!({"booking": booking})).await?;
                audit(&mut tx, actor, "confirm", "booking", Some(id), serde_json::json!({})).await?;
                tx.commit().await.map_err(db)?;
                Ok(booking)
            }

            async fn cancel_booking(&self, actor: &Actor, id: Uuid) -> Result<Booking, StoreError> {
                let mut tx = self.write_tx().await?;
                let (booking, client) = booking_for_update(&mut tx, id, actor.scope()).await?;
                let booking = booking.effective(now());
                match booking.status {
                    BookingStatus::Cancelled => return Ok(booking),
                    BookingStatus::Expired => {
                        return Err(StoreError::State("the hold has expired; there is nothing to cancel".into()))
                    }
                    BookingStatus::Confirmed if !actor.is_staff() => {
                        return Err(StoreError::Forbidden("confirmed bookings are cancelled by the CDMO's planners".into()))
                    }
                    _ => {}
                }
                let sql = format!(
                    "UPDATE bookings SET status = 'cancelled', updated_at = $2 WHERE id = $1 RETURNING {BOOKING_COLS}"
                );
                let booking: Booking = sqlx::query_as::<_, BookingRow>(&sql)
                    .bind(id)
                    .bind(now())
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)?
                    .into();
                emit(&mut tx, "booking.cancelled", Some(client), serde_json::json!({"booking": booking})).await?;
                audit(&mut tx, actor, "cancel", "booking", Some(id), serde_json::json!({})).await?;
                tx.commit().await.map_err(db)?;
                Ok(booking)
            }

            async fn get_booking(&self, id: Uuid, scope: Option<Uuid>) -> Result<Booking, StoreError> {
                let sql = format!(
                    "SELECT b.id, b.program_id, b.suite_id, b.line, b.starts_on, b.ends_on, b.status, b.hold_expires_at, \
                     b.note, b.at_risk, b.created_at FROM bookings b JOIN programs p ON p.id = b.program_id \
                     WHERE b.id = $1 AND ($2 IS NULL OR p.client_id = $2)"
                );
                sqlx::query_as::<_, BookingRow>(&sql)
                    .bind(id)
                    .bind(scope)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?
                    .map(|r| Booking::from(r).effective(now()))
                    .ok_or(StoreError::NotFound)
            }

            async fn list_bookings(
                &self,
                filter: &BookingFilter,
                scope: Option<Uuid>,
                page: Page,
            ) -> Result<Listed<Booking>, StoreError> {
                // Statuses as every reader sees them: a hold past its expiry is expired.
                let status_sql = match filter.status {
                    None => "",
                    Some(BookingStatus::Held) => " AND b.status = 'held' AND b.hold_expires_at > $9",
                    Some(BookingStatus::Expired) => " AND (b.status = 'expired' OR (b.status = 'held' AND b.hold_expires_at <= $9))",
                    Some(BookingStatus::Confirmed) => " AND b.status = 'confirmed' AND $9 IS NOT NULL",
                    Some(BookingStatus::Cancelled) => " AND b.status = 'cancelled' AND $9 IS NOT NULL",
                };
                let sql = format!(
                    "SELECT b.id, b.program_id, b.suite_id, b.line, b.starts_on, b.ends_on, b.status, b.hold_expires_at, \
                     b.note, b.at_risk, b.created_at FROM bookings b JOIN programs p ON p.id = b.program_id \
                     WHERE ($1 IS NULL OR p.client_id = $1) AND ($2 IS NULL OR b.suite_id = $2) \
                     AND ($3 IS NULL OR b.program_id = $3) AND ($4 IS NULL OR p.client_id = $4) \
                     AND ($5 IS NULL OR b.ends_on > $5) AND ($6 IS NULL OR b.starts_on < $6) \
                     AND ($7 IS NULL OR b.starts_on > (SELECT starts_on FROM bookings WHERE id = $7) \
                          OR (b.starts_on = (SELECT starts_on FROM bookings WHERE id = $7) AND b.id > $7)){status_sql} \
                     ORDER BY b.starts_on, b.id LIMIT $8"
                );
                let mut q = sqlx::query_as::<_, BookingRow>(&sql)
                    .bind(scope)
                    .bind(filter.suite_id)
                    .bind(filter.program_id)
                    .bind(filter.client_id)
                    .bind(filter.from)
                    .bind(filter.to)
                    .bind(page.after)
                    .bind(fetch_limit(page));
                if !status_sql.is_empty() {
                    q = q.bind(now());
                }
                let rows = q.fetch_all(&self.pool).await.map_err(db)?;
                let t = now();
                Ok(Listed::from_rows(rows.into_iter().map(|r| Booking::from(r).effective(t)).collect(), page.limit, |b| b.id))
            }

            async fn sweep_holds(&self, warning_days: i64) -> Result<(u64, u64), StoreError> {
                let mut tx = self.write_tx().await?;
                let expired = expire_due(&mut tx, None).await?;
                let t = now();
                let sql = format!(
                    "SELECT {BOOKING_COLS} FROM bookings WHERE status = 'held' AND hold_warned_at IS NULL \
                     AND hold_expires_at > $1 AND hold_expires_at <= $2 ORDER BY id"
                );
                let soon: Vec<Booking> = sqlx::query_as::<_, BookingRow>(&sql)
                    .bind(t)
                    .bind(t + chrono::Duration::days(warning_days))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db)?
                    .into_iter()
                    .map(Booking::from)
                    .collect();
                for b in &soon {
                    sqlx::query("UPDATE bookings SET hold_warned_at = $2 WHERE id = $1")
                        .bind(b.id)
                        .bind(t)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    let client = program_client(&mut tx, b.program_id).await?;
                    emit(&mut tx, "hold.expiring", client, serde_json::json!({"booking": b})).await?;
                }
                tx.commit().await.map_err(db)?;
                Ok((expired, soon.len() as u64))
            }

            async fn calendar(&self, from: chrono::NaiveDate, to: chrono::NaiveDate) -> Result<Calendar, StoreError> {
                let sql = format!("SELECT {SUITE_COLS} FROM suites ORDER BY name, id");
                let suites = sqlx::query_as::<_, SuiteRow>(&sql)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?
                    .into_iter()
                    .map(Suite::from)
                    .collect();
                let sql = format!("SELECT {CLOSURE_COLS} FROM closures WHERE starts_on < $2 AND ends_on > $1");
                let closures = sqlx::query_as::<_, ClosureRow>(&sql)
                    .bind(from)
                    .bind(to)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?
                    .into_iter()
                    .map(Closure::from)
                    .collect();
                let longest = sqlx::query_scalar::<_, i32>("SELECT COALESCE(MAX(max_booking_days), 0) FROM suites")
                    .fetch_one(&self.pool)
                    .await
                    .map_err(db)?;
                let earliest = from
                    .checked_sub_days(chrono::Days::new(u64::try_from(longest).unwrap_or(0)))
                    .unwrap_or(chrono::NaiveDate::MIN)
                    .max(chrono::NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or_default());
                let sql = format!(
                    "SELECT {BOOKING_COLS} FROM bookings WHERE starts_on >= $4 AND starts_on < $2 AND ends_on > $1 \
                     AND (CASE WHEN status = 'confirmed' THEN 1 WHEN status = 'held' AND hold_expires_at > $3 THEN 1 ELSE 0 END) = 1"
                );
                let bookings = sqlx::query_as::<_, BookingRow>(&sql)
                    .bind(from)
                    .bind(to)
                    .bind(now())
                    .bind(earliest)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?
                    .into_iter()
                    .map(|r| LiveBooking { id: r.id, program_id: r.program_id, suite_id: r.suite_id, line: r.line, start: r.starts_on, end: r.ends_on })
                    .collect();
                Ok(Calendar { suites, closures, bookings })
            }

            async fn idempotency_begin(&self, key: &IdemKey, request_hash: &str) -> Result<IdemBegin, StoreError> {
                let mut tx = self.write_tx().await?;
                let t = now();
                // Keys are kept at least 24 hours (API.md); older ones are dropped lazily.
                sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                    .bind(t - chrono::Duration::hours(48))
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                let existing = sqlx::query_as::<_, IdemRow>(
                    "SELECT request_hash, status_code, response, created_at FROM idempotency_keys WHERE api_key_id = $1 AND key = $2",
                )
                .bind(key.api_key_id)
                .bind(&key.key)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db)?;
                let outcome = match existing {
                    Some(row) if row.request_hash != request_hash => IdemBegin::Mismatch,
                    Some(IdemRow { status_code: Some(status), response: Some(body), .. }) => IdemBegin::Replay {
                        status: u16::try_from(status).unwrap_or(500),
                        body: body.0,
                    },
                    // In flight — unless its process died long ago (the request timeout has passed):
                    // then this request takes the key over.
                    Some(row) if t - row.created_at < chrono::Duration::seconds(60) => IdemBegin::InFlight,
                    Some(_) => {
                        sqlx::query("UPDATE idempotency_keys SET created_at = $3 WHERE api_key_id = $1 AND key = $2")
                            .bind(key.api_key_id)
                            .bind(&key.key)
                            .bind(t)
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                        IdemBegin::Fresh
                    }
                    None => {
                        sqlx::query(
                            "INSERT INTO idempotency_keys (api_key_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4)",
                        )
                        .bind(key.api_key_id)
                        .bind(&key.key)
                        .bind(request_hash)
                        .bind(t)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                        IdemBegin::Fresh
                    }
                };
                tx.commit().await.map_err(db)?;
                Ok(outcome)
            }

            async fn idempotency_finish(&self, key: &IdemKey, status: u16, body: &serde_json::Value) -> Result<(), StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query(
                    "UPDATE idempotency_keys SET status_code = $3, response = $4 WHERE api_key_id = $1 AND key = $2 AND status_code IS NULL",
                )
                .bind(key.api_key_id)
                .bind(&key.key)
                .bind(i32::from(status))
                .bind(Json(body))
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                tx.commit().await.map_err(db)?;
                Ok(())
            }

            async fn idempotency_forget(&self, key: &IdemKey) -> Result<(), StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("DELETE FROM idempotency_keys WHERE api_key_id = $1 AND key = $2 AND status_code IS NULL")
                    .bind(key.api_key_id)
                    .bind(&key.key)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?;
                tx.commit().await.map_err(db)?;
                Ok(())
            }

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
                        .await
                        .map_err(db)?;
                    if found.is_none() {
                        return Err(StoreError::invalid("/suite_id", "unknown suite"));
                    }
                }
                if let Some(p) = program_id {
                    let found = sqlx::query_scalar::<_, Uuid>("SELECT id FROM programs WHERE id = $1 AND ($2 IS NULL OR client_id = $2)")
                        .bind(p)
                        .bind(actor.scope())
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?;
                    if found.is_none() {
                        return Err(StoreError::invalid("/program_id", "unknown program"));
                    }
                }
                let id = Uuid::now_v7();
                sqlx::query(
                    "INSERT INTO calendar_feeds (id, token_hash, api_key_id, client_id, suite_id, program_id, created_at) \
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
                .await
                .map_err(db)?;
                audit(&mut tx, actor, "create", "calendar_feed", Some(id), serde_json::json!({"suite_id": suite_id, "program_id": program_id})).await?;
                tx.commit().await.map_err(db)?;
                Ok(id)
            }

            async fn feed_scope(&self, token_hash: &str) -> Result<Option<FeedScope>, StoreError> {
                let row = sqlx::query_as::<_, FeedRow>(
                    "SELECT f.id, f.client_id, f.suite_id, f.program_id FROM calendar_feeds f JOIN api_keys k ON k.id = f.api_key_id \
                     WHERE f.token_hash = $1 AND f.revoked_at IS NULL AND k.revoked_at IS NULL",
                )
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await
                .map_err(db)?;
                Ok(row.map(|r| FeedScope { id: r.id, client_id: r.client_id, suite_id: r.suite_id, program_id: r.program_id }))
            }

            async fn revoke_feed(&self, actor: &Actor, id: Uuid) -> Result<(), StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query(
                    "UPDATE calendar_feeds SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL AND ($3 IS NULL OR client_id = $3)",
                )
                .bind(id)
                .bind(now())
                .bind(actor.scope())
                .execute(&mut *tx)
                .await
                .map_err(db)?
                .rows_affected();
                if n == 0 {
                    return Err(StoreError::NotFound);
                }
                audit(&mut tx, actor, "revoke", "calendar_feed", Some(id), serde_json::json!({})).await?;
                tx.commit().await.map_err(db)?;
                Ok(())
            }

            async fn last_change_at(&self, entities: &[&str]) -> Result<Option<DateTime<Utc>>, StoreError> {
                if entities.is_empty() {
                    return Ok(None);
                }
                // One statement; the IN list is made of placeholders, never of the names.
                let placeholders: Vec<String> = (1..=entities.len()).map(|i| format!("${i}")).collect();
                let sql = format!("SELECT MAX(at) FROM audit_log WHERE entity IN ({})", placeholders.join(", "));
                let mut q = sqlx::query_scalar::<_, Option<DateTime<Utc>>>(&sql);
                for entity in entities {
                    q = q.bind(*entity);
                }
                q.fetch_one(&self.pool).await.map_err(db)
            }

            async fn list_audit(&self, filter: &AuditFilter, page: Page) -> Result<Listed<AuditEntry>, StoreError> {
                let rows = sqlx::query_as::<_, AuditRow>(
                    "SELECT id, at, api_key_id, role, action, entity, entity_id, request_id, detail FROM audit_log \
                     WHERE ($1 IS NULL OR entity_id = $1) AND ($2 IS NULL OR at >= $2) AND ($3 IS NULL OR at < $3) \
                     AND ($4 IS NULL OR id > $4) ORDER BY id LIMIT $5",
                )
                .bind(filter.entity_id)
                .bind(filter.from)
                .bind(filter.to)
                .bind(page.after)
                .bind(fetch_limit(page))
                .fetch_all(&self.pool)
                .await
                .map_err(db)?;
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
    };
}

pub(crate) use impl_store;
