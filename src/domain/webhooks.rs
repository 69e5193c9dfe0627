//! Webhook subscriptions and deliveries as the domain knows them, and the rule of who receives
//! which event. Stored by `store::WebhookStore`, sent by `webhooks::dispatcher`.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A subscription as its owner sees it (never the secret).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    /// Event types, or `*` for all.
    pub events: Vec<String>,
    /// Set: the subscription receives only this client's events.
    pub client_id: Option<Uuid>,
    /// Set when the subscription stopped receiving: its receiver answered 410 Gone, or the API
    /// key that created it was revoked.
    pub disabled_at: Option<DateTime<Utc>>,
    /// Why, in words, when `disabled_at` is set.
    pub disabled_reason: Option<String>,
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

impl AttemptOutcome {
    /// Its name in metrics.
    pub fn label(&self) -> &'static str {
        match self {
            AttemptOutcome::Delivered(_) => "delivered",
            AttemptOutcome::Gone => "gone",
            AttemptOutcome::Failed(_) => "failed",
        }
    }
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
