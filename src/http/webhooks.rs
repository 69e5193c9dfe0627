//! Webhook subscriptions and their deliveries.
//!
//! Admins and planners manage every subscription; a client key manages only its own, which are
//! always scoped to its client (another client's subscription is simply not found).

use super::{list::*, ApiError, ApiJson, ApiPath, ApiQuery, Auth};
use crate::app::AppState;
use crate::domain::{Actor, ValidationErrors};
use crate::domain::{Delivery, NewWebhook, Webhook};
use crate::webhooks::{check_target, known_event_type, signer, EVENT_TYPES};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// How long the old secret keeps signing after a rotation.
const ROTATION_OVERLAP: chrono::Duration = chrono::Duration::hours(24);
const MAX_URL_LEN: usize = 2048;
const MAX_EVENTS: usize = 32;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_webhook, list_webhooks))
        .routes(routes!(delete_webhook))
        .routes(routes!(rotate_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(redeliver))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// An absolute http(s) URL of at most 2048 characters; loopback and private targets are
    /// refused unless `webhooks.allow_private_targets`.
    #[schema(
        pattern = r"^[\t\n\u000B\u000C\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[hH][tT][tT][pP][sS]?://"
    )]
    pub url: String,
    /// Event types (see docs/api-guide.md), or `*` for all.
    #[schema(value_type = Vec<EventType>, min_items = 1, max_items = 32)]
    pub events: Vec<String>,
    /// Only this client's events. A client key's subscriptions are always its own.
    #[serde(default)]
    pub client_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookCreated {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub client_id: Option<Uuid>,
    /// `whsec_` + base64 of 32 random bytes; shown once.
    pub secret: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedSecret {
    /// The new secret; the previous one keeps signing (alongside) for 24 hours.
    pub secret: String,
}

/// A webhook event type (docs/api-guide.md, "Events"), or `*` for all of them.
pub struct EventType;

impl utoipa::PartialSchema for EventType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("A webhook event type, or `*` for all of them."))
            .enum_values(Some(std::iter::once("*").chain(EVENT_TYPES)))
            .into()
    }
}

impl ToSchema for EventType {}

/// The client a caller's subscriptions are limited to (`None`: staff, all of them).
fn scope(actor: &Actor) -> Option<Uuid> {
    if actor.is_staff() {
        None
    } else {
        // A client key bound to no client sees nothing of anyone's.
        Some(actor.client_id.unwrap_or(Uuid::nil()))
    }
}

fn validate(
    input: WebhookInput,
    actor: &Actor,
    allow_private: bool,
) -> Result<NewWebhook, ApiError> {
    let mut errors = ValidationErrors::default();
    let url = input.url.trim().to_string();
    if url.len() > MAX_URL_LEN {
        errors.push("/url", "must be at most 2048 characters");
    } else if let Err(reason) = check_target(&url, allow_private) {
        errors.push("/url", reason);
    }
    if input.events.is_empty() {
        errors.push("/events", "name at least one event type, or \"*\"");
    } else if input.events.len() > MAX_EVENTS {
        errors.push("/events", "at most 32 event types");
    }
    for (i, e) in input.events.iter().enumerate() {
        if !known_event_type(e) {
            errors.push(format!("/events/{i}"), "unknown event type");
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let mut events = input.events;
    events.sort();
    events.dedup();
    let client_id = if actor.is_staff() {
        input.client_id
    } else {
        match actor.client_id {
            Some(c) => Some(c),
            None => return Err(ApiError::Forbidden("this key belongs to no client".into())),
        }
    };
    Ok(NewWebhook {
        url,
        events,
        client_id,
    })
}

/// Subscribe a URL to events. The secret is shown only in this answer.
#[utoipa::path(post, path = "/v1/webhooks", tag = "webhooks", request_body = WebhookInput,
    responses((status = 201, body = WebhookCreated), (status = 422, body = super::error::Problem)))]
async fn create_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<WebhookInput>,
) -> Result<(StatusCode, Json<WebhookCreated>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(subscribe(&state, &actor, input).await?),
    ))
}

/// A new subscription (its secret shown once) with the rules of `POST /v1/webhooks`.
pub(crate) async fn subscribe(
    state: &AppState,
    actor: &Actor,
    input: WebhookInput,
) -> Result<WebhookCreated, ApiError> {
    let input = validate(input, actor, state.settings.webhooks.allow_private_targets)?;
    // A client's live subscriptions are capped, so that one tenant cannot fill the dispatcher.
    let max = state.settings.webhooks.max_subscriptions_per_client;
    let secret = signer::generate_secret();
    let hook = state
        .write(|store| store.create_webhook(actor, &input, &secret, max))
        .await?;
    Ok(WebhookCreated {
        id: hook.id,
        url: hook.url,
        events: hook.events,
        client_id: hook.client_id,
        secret,
    })
}

/// Subscriptions (never their secrets); a client key lists its own.
#[utoipa::path(get, path = "/v1/webhooks", tag = "webhooks", params(ListQuery),
    responses((status = 200, body = ListOf<Webhook>)))]
async fn list_webhooks(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<Webhook>>, ApiError> {
    let listed = state.store.list_webhooks(scope(&actor), q.page()?).await?;
    Ok(Json(listed.into()))
}

/// Unsubscribe; pending deliveries are dropped.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
async fn delete_webhook(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    state
        .write(|store| store.delete_webhook(&actor, id, scope(&actor)))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new secret; the old one keeps signing alongside it for 24 hours.
#[utoipa::path(post, path = "/v1/webhooks/{id}/rotate-secret", tag = "webhooks",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = RotatedSecret), (status = 404, body = super::error::Problem)))]
async fn rotate_secret(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<RotatedSecret>, ApiError> {
    let secret = signer::generate_secret();
    let until = crate::store::now() + ROTATION_OVERLAP;
    state
        .write(|store| store.rotate_webhook_secret(&actor, id, scope(&actor), &secret, until))
        .await?;
    Ok(Json(RotatedSecret { secret }))
}

/// A subscription's deliveries, oldest first.
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = Uuid, Path), ListQuery),
    responses((status = 200, body = ListOf<Delivery>), (status = 404, body = super::error::Problem)))]
async fn list_deliveries(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<Delivery>>, ApiError> {
    let listed = state
        .store
        .list_deliveries(id, scope(&actor), q.page()?)
        .await?;
    Ok(Json(listed.into()))
}

/// Send a delivery again now (typically a `dead` or `failed` one).
#[utoipa::path(post, path = "/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
    tag = "webhooks", params(("id" = Uuid, Path), ("delivery_id" = Uuid, Path)),
    responses((status = 202, description = "Scheduled: the delivery is sent again now."),
        (status = 409, description = "The delivery is neither failed nor dead, or was \
            redelivered less than a minute ago (`/problems/state`).", body = super::error::Problem)))]
async fn redeliver(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath((id, delivery_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    state
        .write(|store| store.redeliver(&actor, id, delivery_id, scope(&actor)))
        .await?;
    Ok(StatusCode::ACCEPTED)
}
