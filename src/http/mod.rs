//! The HTTP API: one router per resource merged in [`api`], with its OpenAPI document; the
//! key-less calendar feeds ([`feeds`]); problem+json for every error ([`ApiError`]).
//! [`crate::app`] assembles these with the pages and the middleware.

mod audit;
mod auth;
mod bookings;
mod clients;
mod error;
mod exports;
mod extract;
mod idempotency;
mod imports;
mod list;
mod openapi;
mod plans;
mod pools;
mod programs;
mod sandboxes;
mod selling;
mod sites;
mod suites;
mod webhooks;

/// What the pages do through the API's own rules (one home per rule).
pub(crate) use bookings::{book, extend, new_feed, windows, AvailabilityQuery, NewFeed};
pub use error::{not_found, problem_for_bare_errors, ApiError, Problem};
pub(crate) use imports::forecast_sheet;
pub(crate) use plans::{accept, queue, AcceptInput};
pub(crate) use programs::{forecast, patch as patch_program};
pub(crate) use sandboxes::{checked as checked_sandbox, comparison, save as save_sandbox};
pub(crate) use selling::{
    accept as accept_quote, queue as next_dates, quote, rent, set_rate_card, NewRental,
};
pub(crate) use suites::{close, dedicate, patch_suite_with as patch_suite};
pub(crate) use webhooks::{subscribe, WebhookInput};

use crate::app::AppState;
use auth::{Admin, Auth, Staff};
use axum::Router;
pub(crate) use extract::from_json_value;
use extract::{ApiJson, ApiPath, ApiQuery};
use serde::de::DeserializeOwned;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

#[derive(OpenApi)]
#[openapi(
    info(title = "suiteplan", description = "Capacity and slot-booking scheduler for CGT CDMOs. The guide is docs/api-guide.md."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(
        error::Problem,
        crate::domain::FieldError,
        crate::domain::ConflictItem,
        // Named only by parameters, whose schemas utoipa does not collect.
        list::Cursor,
        idempotency::IdempotencyKeyText,
    ))
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The `/v1` API and its OpenAPI document, generated from the handlers' annotations.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(sites::router())
        .merge(suites::router())
        .merge(pools::router())
        .merge(clients::router())
        .merge(programs::router())
        .merge(audit::router())
        .merge(plans::router())
        .merge(sandboxes::router())
        .merge(selling::router())
        .merge(bookings::router())
        .merge(webhooks::router())
        .merge(imports::router())
        .merge(exports::router())
        .split_for_parts();
    openapi::complete(&mut doc);
    (router, doc)
}

/// The public, key-less calendar feeds (`/feeds/{token}`): calendar programs cannot send a
/// bearer key, so the token in the URL is the credential.
pub fn feeds() -> Router<AppState> {
    bookings::feed_router()
}

/// Applies a JSON merge patch (RFC 7396, top level) to `base` and deserialises the result, so
/// that a PATCH is validated exactly like a create.
fn merge_patch<T: DeserializeOwned>(
    mut base: serde_json::Value,
    patch: serde_json::Map<String, serde_json::Value>,
) -> Result<T, ApiError> {
    if let Some(obj) = base.as_object_mut() {
        for (k, v) in patch {
            obj.insert(k, v);
        }
    }
    from_json_value(base)
}
