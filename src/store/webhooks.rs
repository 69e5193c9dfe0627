//! Webhook subscriptions and their deliveries: the [`WebhookStore`] use cases, written once in
//! SQL (`impl_webhook_store!`, instantiated per backend like `impl_plan_store!`).
//!
//! The dispatcher fans the `events` outbox out into one `webhook_deliveries` row per matching
//! subscription (the unique `(webhook_id, event_id)` makes that idempotent), then claims due rows
//! with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so replicas share the work) and records
//! each attempt's outcome. The fan-out cursor only moves past events older than a settle time,
//! so an event whose transaction committed after a later-numbered one is still seen.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Listed, Page, StoreError};
use crate::domain::Actor;

/// A subscription as its owner sees it (never the secret).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    /// Event types, or `*` for all.
    pub events: Vec<String>,
    /// Set: the subscription receives only this client's events.
    pub client_id: Option<Uuid>,
    /// Set when the receiver answered 410 Gone.
    pub disabled_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A validated subscription request (`client_id` already forced for a client key).
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    pub client_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    /// Attempts made so far.
    pub attempt: i32,
    /// `pending`, `delivered`, `failed` (will be retried) or `dead`.
    pub status: String,
    pub response_status: Option<i32>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A claimed delivery with everything needed to send it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub id: Uuid,
    pub webhook_id: Uuid,
    pub url: String,
    pub event_id: Uuid,
    pub event_type: String,
    pub event_created_at: DateTime<Utc>,
    pub data: serde_json::Value,
    /// The current secret, then the previous one while its overlap lasts.
    pub secrets: Vec<String>,
}

/// What one attempt came to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AttemptOutcome {
    /// A 2xx answer.
    Delivered(u16),
    /// 410 Gone: the receiver wants no more; the subscription is disabled.
    Gone,
    /// Any other answer (its status), or none (timeout, refused, bad URL).
    Failed(Option<u16>),
}

/// Whether a subscription (`events`, `client_id`) receives an event (`event_type`, `client_id`).
/// A client-scoped subscription gets only events about that client; a staff one gets every
/// event except the per-client copies of `capacity.shortfall` (it gets the unscoped one, which
/// holds all rows).
pub fn subscription_matches(
    events: &[String],
    subscriber: Option<Uuid>,
    event_type: &str,
    event_client: Option<Uuid>,
) -> bool {
    if !events.iter().any(|e| e == "*" || e == event_type) {
        return false;
    }
    match subscriber {
        Some(client) => event_client == Some(client),
        None => !(event_type == "capacity.shortfall" && event_client.is_some()),
    }
}

#[async_trait]
pub trait WebhookStore: Send + Sync + 'static {
    /// Unknown `client_id` → `Validation` naming `/client_id`.
    async fn create_webhook(
        &self,
        actor: &Actor,
        input: &NewWebhook,
        secret: &str,
    ) -> Result<Webhook, StoreError>;
    /// `scope` (a client) lists only its own subscriptions.
    async fn list_webhooks(
        &self,
        scope: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Webhook>, StoreError>;
    async fn get_webhook(&self, id: Uuid, scope: Option<Uuid>) -> Result<Webhook, StoreError>;
    async fn delete_webhook(
        &self,
        actor: &Actor,
        id: Uuid,
        scope: Option<Uuid>,
    ) -> Result<(), StoreError>;
    /// Makes `secret` current; the old one keeps signing until `overlap_until`.
    async fn rotate_webhook_secret(
        &self,
        actor: &Actor,
        id: Uuid,
        scope: Option<Uuid>,
        secret: &str,
        overlap_until: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Creates pending deliveries for up to `limit` events after the cursor; the cursor moves
    /// only past events created before `settled_before`. Returns the deliveries created.
    async fn fan_out_events(
        &self,
        settled_before: DateTime<Utc>,
        limit: u32,
    ) -> Result<u64, StoreError>;
    /// Leases up to `limit` due deliveries (pending or failed, due, lease free, subscription
    /// enabled) until `lease_until`.
    async fn claim_deliveries(
        &self,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<DueDelivery>, StoreError>;
    /// Records an attempt: delivered, dead (410, disabling the subscription, or after the last
    /// of `retry_delays`), or failed with the next attempt `retry_delays[attempt - 1]` seconds on.
    async fn record_delivery_attempt(
        &self,
        id: Uuid,
        outcome: AttemptOutcome,
        retry_delays: &[u64],
    ) -> Result<(), StoreError>;
    async fn list_deliveries(
        &self,
        webhook_id: Uuid,
        scope: Option<Uuid>,
        page: Page,
    ) -> Result<Listed<Delivery>, StoreError>;
    /// Makes a delivery pending again, due now.
    async fn redeliver(
        &self,
        actor: &Actor,
        webhook_id: Uuid,
        delivery_id: Uuid,
        scope: Option<Uuid>,
    ) -> Result<(), StoreError>;
}

macro_rules! impl_webhook_store {
    ($store:ty, $db:ty, $skip_locked:literal, $classify:path) => {
        mod webhook_store {
            use super::*;
            use $crate::domain::Actor;
            #[allow(unused_imports)]
            use $crate::store::webhooks::*;
            use $crate::store::{now, Listed, Page, StoreError};
            use chrono::{DateTime, Utc};
            use sqlx::types::Json;
            use sqlx::Transaction;
            use uuid::Uuid;

            type Tx = Transaction<'static, $db>;

            fn db(e: sqlx::Error) -> StoreError {
                $classify(e)
            }

            const WEBHOOK_COLS: &str = "id, url, events, client_id, disabled_at, created_at";
            const DELIVERY_COLS: &str =
                "id, event_id, event_type, attempt, status, response_status, next_attempt_at, created_at";

            #[derive(sqlx::FromRow)]
            struct WebhookRow {
                id: Uuid,
                url: String,
                events: Json<Vec<String>>,
                client_id: Option<Uuid>,
                disabled_at: Option<DateTime<Utc>>,
                created_at: DateTime<Utc>,
            }

            impl From<WebhookRow> for Webhook {
                fn from(r: WebhookRow) -> Webhook {
                    Webhook {
                        id: r.id,
                        url: r.url,
                        events: r.events.0,
                        client_id: r.client_id,
                        disabled_at: r.disabled_at,
                        created_at: r.created_at,
                    }
                }
            }

            #[derive(sqlx::FromRow)]
            struct DeliveryRow {
                id: Uuid,
                event_id: Uuid,
                event_type: String,
                attempt: i32,
                status: String,
                response_status: Option<i32>,
                next_attempt_at: Option<DateTime<Utc>>,
                created_at: DateTime<Utc>,
            }

            impl From<DeliveryRow> for Delivery {
                fn from(r: DeliveryRow) -> Delivery {
                    Delivery {
                        id: r.id,
                        event_id: r.event_id,
                        event_type: r.event_type,
                        attempt: r.attempt,
                        status: r.status,
                        response_status: r.response_status,
                        next_attempt_at: r.next_attempt_at,
                        created_at: r.created_at,
                    }
                }
            }

            #[derive(sqlx::FromRow)]
            struct EventRow {
                id: Uuid,
                #[sqlx(rename = "type")]
                event_type: String,
                client_id: Option<Uuid>,
                created_at: DateTime<Utc>,
            }

            #[derive(sqlx::FromRow)]
            struct DueRow {
                id: Uuid,
                event_id: Uuid,
                webhook_id: Uuid,
                url: String,
                secret: String,
                previous_secret: Option<String>,
                previous_secret_until: Option<DateTime<Utc>>,
                event_type: String,
                payload: Json<serde_json::Value>,
                event_created_at: DateTime<Utc>,
            }

            async fn visible(tx: &mut Tx, id: Uuid, scope: Option<Uuid>) -> Result<Webhook, StoreError> {
                let sql = format!(
                    "SELECT {WEBHOOK_COLS} FROM webhooks WHERE id = $1 AND ($2 IS NULL OR client_id = $2)"
                );
                sqlx::query_as::<_, WebhookRow>(&sql)
                    .bind(id)
                    .bind(scope)
                    .fetch_optional(&mut **tx)
                    .await
                    .map_err(db)?
                    .map(Webhook::from)
                    .ok_or(StoreError::NotFound)
            }

            #[async_trait::async_trait]
            impl WebhookStore for $store {
                async fn create_webhook(
                    &self,
                    actor: &Actor,
                    input: &NewWebhook,
                    secret: &str,
                ) -> Result<Webhook, StoreError> {
                    let mut tx = self.write_tx().await?;
                    if let Some(client) = input.client_id {
                        let found = sqlx::query_scalar::<_, Uuid>("SELECT id FROM clients WHERE id = $1")
                            .bind(client)
                            .fetch_optional(&mut *tx)
                            .await
                            .map_err(db)?;
                        if found.is_none() {
                            return Err(StoreError::invalid("/client_id", "no such client"));
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
                        .await
                        .map_err(db)?
                        .into();
                    super::audit(&mut tx, actor, "create", "webhook", Some(hook.id), serde_json::json!({
                        "url": hook.url, "events": hook.events, "client_id": hook.client_id,
                    }))
                    .await?;
                    tx.commit().await.map_err(db)?;
                    Ok(hook)
                }

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
                        .await
                        .map_err(db)?;
                    let rows: Vec<Webhook> = rows.into_iter().map(Webhook::from).collect();
                    Ok(Listed::from_rows(rows, page.limit, |w| w.id))
                }

                async fn get_webhook(&self, id: Uuid, scope: Option<Uuid>) -> Result<Webhook, StoreError> {
                    let sql = format!(
                        "SELECT {WEBHOOK_COLS} FROM webhooks WHERE id = $1 AND ($2 IS NULL OR client_id = $2)"
                    );
                    sqlx::query_as::<_, WebhookRow>(&sql)
                        .bind(id)
                        .bind(scope)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(db)?
                        .map(Webhook::from)
                        .ok_or(StoreError::NotFound)
                }

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
                        .await
                        .map_err(db)?;
                    sqlx::query("DELETE FROM webhooks WHERE id = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .map_err(db)?;
                    super::audit(&mut tx, actor, "delete", "webhook", Some(id), serde_json::json!({"url": hook.url})).await?;
                    tx.commit().await.map_err(db)?;
                    Ok(())
                }

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
                    .await
                    .map_err(db)?;
                    super::audit(&mut tx, actor, "rotate_secret", "webhook", Some(id), serde_json::json!({
                        "previous_secret_until": overlap_until,
                    }))
                    .await?;
                    tx.commit().await.map_err(db)?;
                    Ok(())
                }

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
                    .await
                    .map_err(db)?
                    .flatten();
                    let events = sqlx::query_as::<_, EventRow>(
                        "SELECT id, type, client_id, created_at FROM events \
                         WHERE ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2",
                    )
                    .bind(last)
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await
                    .map_err(db)?;
                    let Some(first) = events.first() else {
                        return Ok(0);
                    };
                    if first.created_at >= settled_before {
                        let hooks = sqlx::query_as::<_, WebhookRow>(&format!(
                            "SELECT {WEBHOOK_COLS} FROM webhooks WHERE disabled_at IS NULL"
                        ))
                        .fetch_all(&self.pool)
                        .await
                        .map_err(db)?;
                        let mut missing = false;
                        'scan: for e in &events {
                            for h in &hooks {
                                if e.created_at < h.created_at
                                    || !subscription_matches(&h.events.0, h.client_id, &e.event_type, e.client_id)
                                {
                                    continue;
                                }
                                let found = sqlx::query_scalar::<_, Uuid>(
                                    "SELECT id FROM webhook_deliveries WHERE webhook_id = $1 AND event_id = $2",
                                )
                                .bind(h.id)
                                .bind(e.id)
                                .fetch_optional(&self.pool)
                                .await
                                .map_err(db)?;
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
                    let cursor = format!("SELECT last_event_id FROM webhook_cursor WHERE id = 1{}", $skip_locked);
                    // Another replica is fanning out right now: nothing to do.
                    let Some(last) = sqlx::query_scalar::<_, Option<Uuid>>(&cursor)
                        .fetch_optional(&mut *tx)
                        .await
                        .map_err(db)?
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
                    .await
                    .map_err(db)?;
                    if events.is_empty() {
                        return Ok(0);
                    }
                    let hooks = sqlx::query_as::<_, WebhookRow>(&format!(
                        "SELECT {WEBHOOK_COLS} FROM webhooks WHERE disabled_at IS NULL"
                    ))
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(db)?;
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
                                "INSERT INTO webhook_deliveries (id, webhook_id, event_id, event_type, attempt, \
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
                            .await
                            .map_err(db)?
                            .rows_affected();
                        }
                        all_settled = all_settled && e.created_at < settled_before;
                        if all_settled {
                            settled = Some(e.id);
                        }
                    }
                    if let Some(id) = settled {
                        sqlx::query("UPDATE webhook_cursor SET last_event_id = $1, updated_at = $2 WHERE id = 1")
                            .bind(id)
                            .bind(t)
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                    }
                    tx.commit().await.map_err(db)?;
                    Ok(created)
                }

                async fn claim_deliveries(
                    &self,
                    lease_until: DateTime<Utc>,
                    limit: u32,
                ) -> Result<Vec<DueDelivery>, StoreError> {
                    let t = now();
                    let due = sqlx::query_scalar::<_, i32>(
                        "SELECT 1 FROM webhook_deliveries WHERE status IN ('pending', 'failed') \
                         AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) LIMIT 1",
                    )
                    .bind(t)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(db)?;
                    if due.is_none() {
                        return Ok(Vec::new());
                    }
                    let mut tx = self.write_tx().await?;
                    let sql = format!(
                        "SELECT d.id FROM webhook_deliveries d \
                         WHERE d.status IN ('pending', 'failed') AND d.next_attempt_at <= $1 \
                         AND (d.lease_until IS NULL OR d.lease_until <= $1) \
                         AND d.webhook_id IN (SELECT w.id FROM webhooks w WHERE w.disabled_at IS NULL) \
                         ORDER BY d.next_attempt_at LIMIT $2{}",
                        $skip_locked
                    );
                    let ids = sqlx::query_scalar::<_, Uuid>(&sql)
                        .bind(t)
                        .bind(i64::from(limit))
                        .fetch_all(&mut *tx)
                        .await
                        .map_err(db)?;
                    let mut due = Vec::with_capacity(ids.len());
                    for id in ids {
                        sqlx::query("UPDATE webhook_deliveries SET lease_until = $2, updated_at = $3 WHERE id = $1")
                            .bind(id)
                            .bind(lease_until)
                            .bind(t)
                            .execute(&mut *tx)
                            .await
                            .map_err(db)?;
                        let row = sqlx::query_as::<_, DueRow>(
                            "SELECT d.id, d.event_id, d.webhook_id, w.url, w.secret, w.previous_secret, \
                             w.previous_secret_until, e.type AS event_type, e.payload, e.created_at AS event_created_at \
                             FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id \
                             JOIN events e ON e.id = d.event_id WHERE d.id = $1",
                        )
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await
                        .map_err(db)?;
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
                    tx.commit().await.map_err(db)?;
                    Ok(due)
                }

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
                    .await
                    .map_err(db)?
                    else {
                        // The subscription was deleted meanwhile.
                        return Ok(());
                    };
                    let t = now();
                    let attempt = attempt + 1;
                    let (status, response, next): (&str, Option<i32>, Option<DateTime<Utc>>) = match outcome {
                        AttemptOutcome::Delivered(s) => ("delivered", Some(i32::from(s)), None),
                        AttemptOutcome::Gone => {
                            sqlx::query("UPDATE webhooks SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL")
                                .bind(webhook_id)
                                .bind(t)
                                .execute(&mut *tx)
                                .await
                                .map_err(db)?;
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
                    .await
                    .map_err(db)?;
                    tx.commit().await.map_err(db)?;
                    Ok(())
                }

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
                        .await
                        .map_err(db)?;
                    let rows: Vec<Delivery> = rows.into_iter().map(Delivery::from).collect();
                    Ok(Listed::from_rows(rows, page.limit, |d| d.id))
                }

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
                    let n = sqlx::query(
                        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, \
                         lease_until = NULL, updated_at = $3 WHERE id = $1 AND webhook_id = $2",
                    )
                    .bind(delivery_id)
                    .bind(webhook_id)
                    .bind(t)
                    .execute(&mut *tx)
                    .await
                    .map_err(db)?
                    .rows_affected();
                    if n == 0 {
                        return Err(StoreError::NotFound);
                    }
                    super::audit(&mut tx, actor, "redeliver", "webhook", Some(webhook_id), serde_json::json!({
                        "delivery_id": delivery_id,
                    }))
                    .await?;
                    tx.commit().await.map_err(db)?;
                    Ok(())
                }
            }
        }
    };
}

pub(crate) use impl_webhook_store;
