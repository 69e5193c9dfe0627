//! Row shapes of webhook subscriptions, events and deliveries.

use crate::domain::*;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use uuid::Uuid;

pub const WEBHOOK_COLS: &str =
    "id, url, events, client_id, disabled_at, disabled_reason, created_at";
pub const DELIVERY_COLS: &str =
    "id, event_id, event_type, attempt, status, response_status, next_attempt_at, created_at";

#[derive(sqlx::FromRow)]
pub struct WebhookRow {
    pub id: Uuid,
    pub url: String,
    pub events: Json<Vec<String>>,
    pub client_id: Option<Uuid>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub disabled_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Webhook {
        Webhook {
            id: r.id,
            url: r.url,
            events: r.events.0,
            client_id: r.client_id,
            disabled_at: r.disabled_at,
            disabled_reason: r.disabled_reason,
            created_at: r.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub attempt: i32,
    pub status: String,
    pub response_status: Option<i32>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
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
pub struct EventRow {
    pub id: Uuid,
    #[sqlx(rename = "type")]
    pub event_type: String,
    pub client_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
pub struct DueRow {
    pub id: Uuid,
    pub event_id: Uuid,
    pub webhook_id: Uuid,
    pub url: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub event_type: String,
    pub payload: Json<serde_json::Value>,
    pub event_created_at: DateTime<Utc>,
}
