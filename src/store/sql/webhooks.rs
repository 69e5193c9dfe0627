//! Webhook subscriptions and deliveries ([`WebhookStore`]) in SQL.
//!
//! Compiled once per backend (`sqlite.rs`, `postgres.rs` include this file as a module of their
//! own): `Backend`, `Db` and `DIALECT` are that backend's.

use super::common::*;

async fn visible(tx: &mut Tx, id: Uuid, scope: Option<Uuid>) -> Result<Webhook, StoreError> {
    let sql = format!(
        "SELECT {WEBHOOK_COLS} FROM webhooks WHERE id = $1 AND ($2 IS NULL OR client_id = $2)"
    );
    sqlx::query_as::<_, WebhookRow>(&sql)
        .bind(id)
        .bind(scope)
        .fetch_optional(&mut **tx)
        .await?
        .map(Webhook::from)
        .ok_or(StoreError::NotFound)
}

#[async_trait]
impl WebhookStore for Backend {
    #[tracing::instrument(skip_all)]
    async fn create_webhook(
        &self,
        actor: &Actor,
        input: &NewWebhook,
        secret: &str,
        max_per_client: usize,
    ) -> Result<Webhook, StoreError> {
        let mut tx = self.write_tx().await?;
        if let Some(client) = input.client_id {
            // The client's row lock serialises its subscriptions, so the count below is exact.
            let sql = format!(
                "SELECT id FROM clients WHERE id = $1{}",
                DIALECT.lock_parent
            );
            let found = sqlx::query_scalar::<_, Uuid>(&sql)
                .bind(client)
                .fetch_optional(&mut *tx)
                .await?;
            if found.is_none() {
                return Err(StoreError::invalid("/client_id", "no such client"));
            }
            let live: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM webhooks WHERE client_id = $1 AND disabled_at IS NULL",
            )
            .bind(client)
            .fetch_one(&mut *tx)
            .await?;
            if live >= i64::try_from(max_per_client).unwrap_or(i64::MAX) {
                return Err(StoreError::invalid(
                    "/url",
                    &format!(
                        "a client has at most {max_per_client} live webhook subscriptions \
                         (webhooks.max_subscriptions_per_client); delete one first"
                    ),
                ));
            }
        }
        let sql = format!(
            "INSERT INTO webhooks (id, url, events, client_id, secret, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {WEBHOOK_COLS}"
        );
        let hook: Webhook = sqlx::query_as::<_, WebhookRow>(&sql)
            .bind(Uuid::now_v7())
            .bind(&input.url)
            .bind(Json(&input.events))
            .bind(input.client_id)
            .bind(secret)
            .bind(now())
            .bind(actor.api_key_id)
            .fetch_one(&mut *tx)
            .await?
            .into();
        audit(
            &mut tx,
            actor,
            "create",
            "webhook",
            Some(hook.id),
            serde_json::json!({
                "url": hook.url, "events": hook.events, "client_id": hook.client_id,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(hook)
    }

    #[tracing::instrument(skip_all)]
    async fn list_webhooks(
        &self,
        scope: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Webhook>, StoreError> {
        let sql = format!(
            "SELECT {WEBHOOK_COLS} FROM webhooks WHERE ($1 IS NULL OR client_id = $1) \
             AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
        );
        let rows = sqlx::query_as::<_, WebhookRow>(&sql)
            .bind(scope)
            .bind(page.after)
            .bind(i64::from(page.limit) + 1)
            .fetch_all(&self.pool)
            .await?;
        let rows: Vec<Webhook> = rows.into_iter().map(Webhook::from).collect();
        Ok(Listed::from_rows(rows, page.limit, |w| w.id))
    }

    #[tracing::instrument(skip_all)]
    async fn get_webhook(&self, id: Uuid, scope: Option<Uuid>) -> Result<Webhook, StoreError> {
        let sql = format!(
            "SELECT {WEBHOOK_COLS} FROM webhooks WHERE id = $1 AND ($2 IS NULL OR client_id = $2)"
        );
        sqlx::query_as::<_, WebhookRow>(&sql)
            .bind(id)
            .bind(scope)
            .fetch_optional(&self.pool)
            .await?
            .map(Webhook::from)
            .ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(skip_all)]
    async fn delete_webhook(
        &self,
        actor: &Actor,
        id: Uuid,
        scope: Option<Uuid>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let hook = visible(&mut tx, id, scope).await?;
        sqlx::query("DELETE FROM webhook_deliveries WHERE webhook_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM webhooks WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        audit(
            &mut tx,
            actor,
            "delete",
            "webhook",
            Some(id),
            serde_json::json!({"url": hook.url}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn rotate_webhook_secret(
        &self,
        actor: &Actor,
        id: Uuid,
        scope: Option<Uuid>,
        secret: &str,
        overlap_until: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        visible(&mut tx, id, scope).await?;
        sqlx::query(
            "UPDATE webhooks SET previous_secret = secret, previous_secret_until = $2, secret = $3 \
             WHERE id = $1",
        )
        .bind(id)
        .bind(overlap_until)
        .bind(secret)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            "rotate_secret",
            "webhook",
            Some(id),
            serde_json::json!({
                "previous_secret_until": overlap_until,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn fan_out_events(
        &self,
        settled_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError> {
        // Reads first, so that a tick with nothing to write never takes SQLite's
        // single writer: work exists when an event after the cursor lacks a
        // delivery it should have, or the cursor can move past a settled event.
        let last = sqlx::query_scalar::<_, Option<Uuid>>(
            "SELECT last_event_id FROM webhook_cursor WHERE id = 1",
        )
        .fetch_optional(&self.pool)
        .await?
        .flatten();
        let events = sqlx::query_as::<_, EventRow>(
            "SELECT id, type, client_id, created_at FROM events \
             WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2",
        )
        .bind(last)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        let Some(first) = events.first() else {
            return Ok(0);
        };
        if first.created_at >= settled_before {
            let hooks = sqlx::query_as::<_, WebhookRow>(&format!(
                "SELECT {WEBHOOK_COLS} FROM webhooks WHERE disabled_at IS NULL"
            ))
            .fetch_all(&self.pool)
            .await?;
            let mut missing = false;
            'scan: for e in &events {
                for h in &hooks {
                    if e.created_at < h.created_at
                        || !subscription_matches(
                            &h.events.0,
                            h.client_id,
                            &e.event_type,
                            e.client_id,
                        )
                    {
                        continue;
                    }
                    let found = sqlx::query_scalar::<_, Uuid>(
                        "SELECT id FROM webhook_deliveries WHERE webhook_id = $1 AND event_id = $2",
                    )
                    .bind(h.id)
                    .bind(e.id)
                    .fetch_optional(&self.pool)
                    .await?;
                    if found.is_none() {
                        missing = true;
                        break 'scan;
                    }
                }
            }
            if !missing {
                return Ok(0);
            }
        }
        let mut tx = self.write_tx().await?;
        let cursor = format!(
            "SELECT last_event_id FROM webhook_cursor WHERE id = 1{}",
            DIALECT.claim
        );
        // Another replica is fanning out right now: nothing to do.
        let Some(last) = sqlx::query_scalar::<_, Option<Uuid>>(&cursor)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(0);
        };
        let events = sqlx::query_as::<_, EventRow>(
            "SELECT id, type, client_id, created_at FROM events \
             WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2",
        )
        .bind(last)
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?;
        if events.is_empty() {
            return Ok(0);
        }
        let hooks = sqlx::query_as::<_, WebhookRow>(&format!(
            "SELECT {WEBHOOK_COLS} FROM webhooks WHERE disabled_at IS NULL"
        ))
        .fetch_all(&mut *tx)
        .await?;
        let t = now();
        let mut created = 0;
        let mut settled = None;
        let mut all_settled = true;
        for e in &events {
            for h in &hooks {
                if e.created_at < h.created_at
                    || !subscription_matches(&h.events.0, h.client_id, &e.event_type, e.client_id)
                {
                    continue;
                }
                created += sqlx::query(
                    "INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, \
                     attempt, \
                     status, next_attempt_at, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 0, 'pending', $5, $5, $5) \
                     ON CONFLICT (webhook_id, event_id) DO NOTHING",
                )
                .bind(Uuid::now_v7())
                .bind(h.id)
                .bind(e.id)
                .bind(&e.event_type)
                .bind(t)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            all_settled = all_settled && e.created_at < settled_before;
            if all_settled {
                settled = Some(e.id);
            }
        }
        if let Some(id) = settled {
            sqlx::query(
                "UPDATE webhook_cursor SET last_event_id = $1, updated_at = $2 WHERE id = 1",
            )
            .bind(id)
            .bind(t)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(created)
    }

    #[tracing::instrument(skip_all)]
    async fn claim_deliveries(
        &self,
        lease_until: DateTime<Utc>,
        limit: u32,
        max_attempts: i32,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let t = now();
        let due = sqlx::query_scalar::<_, i32>(
            "SELECT 1 FROM webhook_deliveries WHERE status IN ('pending', 'failed') \
             AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) LIMIT 1",
        )
        .bind(t)
        .fetch_optional(&self.pool)
        .await?;
        if due.is_none() {
            return Ok(Vec::new());
        }
        let mut tx = self.write_tx().await?;
        let sql = format!(
            "SELECT d.id, d.attempt, d.lease_until FROM webhook_deliveries d \
             WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at <= $1 \
             AND (d.lease_until IS NULL OR d.lease_until <= $1) \
             AND d.webhook_id IN (SELECT w.id FROM webhooks w WHERE w.disabled_at IS NULL) \
             ORDER BY d.next_attempt_at LIMIT $2{}",
            DIALECT.claim
        );
        let candidates = sqlx::query_as::<_, (Uuid, i32, Option<DateTime<Utc>>)>(&sql)
            .bind(t)
            .bind(i64::from(limit))
            .fetch_all(&mut *tx)
            .await?;
        let mut due = Vec::with_capacity(candidates.len());
        for (id, attempt, lease) in candidates {
            // A lease that ran out unrecorded is an attempt whose dispatcher died mid-send: it
            // counted, and the last one allowed ends the delivery rather than sending more.
            if lease.is_some() && attempt >= max_attempts {
                sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL, \
                     lease_until = NULL, updated_at = $2 WHERE id = $1",
                )
                .bind(id)
                .bind(t)
                .execute(&mut *tx)
                .await?;
                tracing::warn!(delivery = %id, attempt, "webhook delivery dead: its last attempt was interrupted");
                continue;
            }
            // The attempt counts from its claim, so that one cut short by a crash counts too.
            sqlx::query(
                "UPDATE webhook_deliveries SET lease_until = $2, attempt = attempt + 1, \
                 updated_at = $3 WHERE id = $1",
            )
            .bind(id)
            .bind(lease_until)
            .bind(t)
            .execute(&mut *tx)
            .await?;
            let row = sqlx::query_as::<_, DueRow>(
                "SELECT d.id, d.event_id, d.webhook_id, w.url, w.secret, w.previous_secret, \
                 w.previous_secret_until, e.type AS event_type, e.payload, e.created_at AS \
                 event_created_at \
                 FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
                 JOIN events e ON e.id = d.event_id WHERE d.id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            let mut secrets = vec![row.secret];
            if let (Some(old), Some(until)) = (row.previous_secret, row.previous_secret_until) {
                if until > t {
                    secrets.push(old);
                }
            }
            due.push(DueDelivery {
                id: row.id,
                webhook_id: row.webhook_id,
                url: row.url,
                event_id: row.event_id,
                event_type: row.event_type,
                event_created_at: row.event_created_at,
                data: row.payload.0,
                secrets,
            });
        }
        tx.commit().await?;
        Ok(due)
    }

    #[tracing::instrument(skip_all)]
    async fn record_delivery_attempt(
        &self,
        id: Uuid,
        outcome: AttemptOutcome,
        retry_delays: &[u64],
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        let Some((webhook_id, attempt)) = sqlx::query_as::<_, (Uuid, i32)>(
            "SELECT webhook_id, attempt FROM webhook_deliveries WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        else {
            // The subscription was deleted meanwhile.
            return Ok(());
        };
        let t = now();
        // Counted when the attempt was claimed.
        let attempt = attempt.max(1);
        let (status, response, next): (&str, Option<i32>, Option<DateTime<Utc>>) = match outcome {
            AttemptOutcome::Delivered(s) => ("delivered", Some(i32::from(s)), None),
            AttemptOutcome::Gone => {
                sqlx::query(
                    "UPDATE webhooks SET disabled_at = $2, \
                     disabled_reason = 'the receiver answered 410 Gone' \
                     WHERE id = $1 AND disabled_at IS NULL",
                )
                .bind(webhook_id)
                .bind(t)
                .execute(&mut *tx)
                .await?;
                ("dead", Some(410), None)
            }
            AttemptOutcome::Failed(s) => {
                let response = s.map(i32::from);
                let delay = usize::try_from(attempt - 1)
                    .ok()
                    .and_then(|i| retry_delays.get(i))
                    .and_then(|d| i64::try_from(*d).ok());
                match delay {
                    Some(d) => ("failed", response, Some(t + chrono::Duration::seconds(d))),
                    None => ("dead", response, None),
                }
            }
        };
        sqlx::query(
            "UPDATE webhook_deliveries SET attempt = $2, status = $3, response_status = $4, \
             next_attempt_at = $5, lease_until = NULL, updated_at = $6 WHERE id = $1",
        )
        .bind(id)
        .bind(attempt)
        .bind(status)
        .bind(response)
        .bind(next)
        .bind(t)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn list_deliveries(
        &self,
        webhook_id: Uuid,
        scope: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Delivery>, StoreError> {
        self.get_webhook(webhook_id, scope).await?;
        let sql = format!(
            "SELECT {DELIVERY_COLS} FROM webhook_deliveries WHERE webhook_id = $1 \
             AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"
        );
        let rows = sqlx::query_as::<_, DeliveryRow>(&sql)
            .bind(webhook_id)
            .bind(page.after)
            .bind(i64::from(page.limit) + 1)
            .fetch_all(&self.pool)
            .await?;
        let rows: Vec<Delivery> = rows.into_iter().map(Delivery::from).collect();
        Ok(Listed::from_rows(rows, page.limit, |d| d.id))
    }

    #[tracing::instrument(skip_all)]
    async fn redeliver(
        &self,
        actor: &Actor,
        webhook_id: Uuid,
        delivery_id: Uuid,
        scope: Option<Uuid>,
    ) -> Result<(), StoreError> {
        let mut tx = self.write_tx().await?;
        visible(&mut tx, webhook_id, scope).await?;
        let t = now();
        let sql = format!(
            "SELECT status, redelivered_at FROM webhook_deliveries \
             WHERE id = $1 AND webhook_id = $2{}",
            DIALECT.for_update
        );
        let (status, last): (String, Option<DateTime<Utc>>) = sqlx::query_as(&sql)
            .bind(delivery_id)
            .bind(webhook_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        if !matches!(status.as_str(), "failed" | "dead") {
            return Err(StoreError::State(format!(
                "the delivery is {status}: only failed or dead deliveries are redelivered"
            )));
        }
        if let Some(last) = last.filter(|l| t - *l < chrono::Duration::seconds(60)) {
            return Err(StoreError::State(format!(
                "the delivery was redelivered at {last}; a delivery is redelivered at most \
                 once a minute"
            )));
        }
        sqlx::query(
            "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, \
             lease_until = NULL, updated_at = $3, redelivered_at = $3 \
             WHERE id = $1 AND webhook_id = $2",
        )
        .bind(delivery_id)
        .bind(webhook_id)
        .bind(t)
        .execute(&mut *tx)
        .await?;
        audit(
            &mut tx,
            actor,
            "redeliver",
            "webhook",
            Some(webhook_id),
            serde_json::json!({
                "delivery_id": delivery_id,
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
