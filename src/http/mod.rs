//! The HTTP API: one router per resource, merged in [`app`]; problem+json for every error.

mod audit;
mod auth;
mod bookings;
mod clients;
pub mod error;
mod extract;
mod list;
mod ops;
mod plans;
mod programs;
mod sites;
mod suites;
mod webhooks;

pub use auth::{Admin, Auth, Staff, SESSION_COOKIE};
pub use error::ApiError;
pub use extract::{from_json_value, ApiJson, ApiPath, ApiQuery};
pub use ops::Metrics;

use crate::config::Settings;
use crate::store::DynStore;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

#[derive(Clone)]
pub struct AppState {
    pub store: DynStore,
    pub settings: Arc<Settings>,
    pub metrics: Metrics,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "suiteplan", description = "Capacity and slot-booking scheduler for CGT CDMOs. The contract is API.md."),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    components(schemas(error::Problem, crate::domain::FieldError, crate::store::ConflictItem))
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
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(sites::router())
        .merge(suites::router())
        .merge(clients::router())
        .merge(programs::router())
        .merge(audit::router())
        .merge(plans::router())
        .merge(bookings::router())
        .merge(webhooks::router())
        .split_for_parts()
}

/// The whole application: API, operations endpoints and middleware.
pub fn app(state: AppState) -> Router {
    let (api, openapi) = api();
    let openapi = Arc::new(openapi);
    let timeout = Duration::from_secs(state.settings.server.request_timeout_s.max(1));
    let max_body = state.settings.server.max_body_bytes;
    let request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(api)
        .merge(bookings::feed_router())
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(move || async move { Json(openapi.as_ref().clone()) }))
        .fallback(|| async { ApiError::NotFound })
        .layer(middleware::map_response(problem_for_bare_errors))
        .merge(crate::ui::router()) // pages: HTML errors, so after the problem+json layer
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map(|m| m.as_str().to_owned())
                    .unwrap_or_default();
                let request_id = req
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("")
                    .to_owned();
                tracing::info_span!("request", method = %req.method(), uri = %req.uri().path(), route, request_id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// Records metrics by matched route and logs the hidden cause of any 5xx.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_owned();
    let response = next.run(req).await;
    let status = response.status();
    state
        .metrics
        .requests
        .with_label_values(&[&route, &method, status.as_str()])
        .inc();
    state
        .metrics
        .latency
        .with_label_values(&[&route, &method])
        .observe(started.elapsed().as_secs_f64());
    if let Some(cause) = response.extensions().get::<error::InternalCause>() {
        tracing::error!(route, cause = %cause.0, "internal error");
    }
    response
}

/// Errors produced outside handlers (405, timeouts, layers) get a problem+json body too.
async fn problem_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(error::PROBLEM_JSON));
    if status.as_u16() < 400 || is_problem {
        return response;
    }
    let error = match status {
        StatusCode::REQUEST_TIMEOUT => ApiError::Unavailable("the request took too long".into()),
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::NOT_FOUND => ApiError::NotFound,
        StatusCode::UNAUTHORIZED => ApiError::Unauthorized,
        s if s.is_server_error() => ApiError::Internal(format!("bare {s}")),
        s => {
            let mut problem = ApiError::BadRequest(String::new()).problem();
            problem.status = s.as_u16();
            problem.title = s.canonical_reason().unwrap_or("Error").to_string();
            problem.type_ = format!("/problems/http-{}", s.as_u16());
            problem.detail = match s {
                StatusCode::METHOD_NOT_ALLOWED => "this method is not allowed on this path".into(),
                StatusCode::UNSUPPORTED_MEDIA_TYPE => "send application/json".into(),
                _ => s.canonical_reason().unwrap_or("error").to_string(),
            };
            let mut r = error::problem_response(&problem);
            if let Some(allow) = response.headers().get(header::ALLOW) {
                r.headers_mut().insert(header::ALLOW, allow.clone());
            }
            return r;
        }
    };
    error.into_response()
}

/// Applies a JSON merge patch (RFC 7396, top level) to `base` and deserialises the result, so
/// that a PATCH is validated exactly like a create.
pub fn merge_patch<T: DeserializeOwned>(
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
