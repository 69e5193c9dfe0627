//! The composition root: the state every handler shares and the whole router — the `/v1` API
//! and its OpenAPI document ([`crate::http`]), the public calendar feeds, the pages
//! ([`crate::ui`]), the operations endpoints ([`ops`]) and the middleware around them all.
//!
//! Errors keep the format of the part that answers: problem+json for the API, the feeds,
//! operations and unknown paths; an HTML page for the pages.

mod ops;
pub mod ratelimit;
mod retry;

pub use ops::Metrics;
pub use retry::retry_busy;

use crate::config::Settings;
use crate::store::{DynStore, StoreError};
use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::Router;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

#[derive(Clone)]
pub struct AppState {
    pub store: DynStore,
    pub settings: Arc<Settings>,
    pub metrics: Metrics,
    pub limits: ratelimit::RateLimits,
}

impl AppState {
    pub fn new(store: DynStore, settings: Arc<Settings>) -> AppState {
        AppState {
            limits: ratelimit::RateLimits::new(&settings.ratelimit),
            store,
            settings,
            metrics: Metrics::new(),
        }
    }

    /// Runs a write use case, again while the database reports contention
    /// (`database.write_retries` calls at most); then `StoreError::Busy`, answered 503. Every
    /// write a handler makes goes through here; reads do not (a busy read is not retried).
    pub async fn write<'s, T, F, Fut>(&'s self, mut call: F) -> Result<T, StoreError>
    where
        F: FnMut(&'s DynStore) -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let store = &self.store;
        retry_busy(self.settings.database.write_retries, || call(store)).await
    }
}

/// The hidden cause of a 5xx, put in the response's extensions for [`observe`] to log with the
/// request's span; the body stays opaque.
#[derive(Clone, Debug)]
pub struct InternalCause(pub String);

/// The whole application: API, feeds, operations endpoints, pages and middleware.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = crate::http::api();
    let timeout = Duration::from_secs(state.settings.server.request_timeout_s.max(1));
    let max_body = state.settings.server.max_body_bytes;
    let request_id = HeaderName::from_static("x-request-id");
    // Answers that carry a tenant's data are never to be kept by a browser or a proxy.
    let no_store = || {
        SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        )
    };
    Router::new()
        .merge(api.layer(no_store()))
        .merge(crate::http::feeds().layer(no_store()))
        .merge(ops::router(openapi))
        .fallback(crate::http::not_found)
        .layer(middleware::map_response(
            crate::http::problem_for_bare_errors,
        ))
        .merge(crate::ui::router()) // pages: HTML errors, so after the problem+json layer
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(middleware::from_fn(explain_timeouts))
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
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
            let uri = log_path(req.uri().path());
            tracing::info_span!("request", method = %req.method(), uri, route, request_id)
        }))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .with_state(state)
}

/// The timeout layer answers a bare 503; this gives it the body of the part that was asked: an
/// HTML page for the pages, problem+json (`/problems/unavailable`, Retry-After) for the rest.
async fn explain_timeouts(request: Request, next: Next) -> Response {
    use axum::response::IntoResponse;
    let page = crate::ui::is_page_path(request.uri().path());
    let response = next.run(request).await;
    let bare = !response.headers().contains_key(header::CONTENT_TYPE);
    if response.status() != StatusCode::SERVICE_UNAVAILABLE || !bare {
        return response;
    }
    if page {
        crate::ui::unavailable_page()
    } else {
        crate::http::ApiError::Unavailable(
            "the request took longer than the server allows (server.request_timeout_s)".into(),
        )
        .into_response()
    }
}

/// A request path as logs may show it: a calendar feed's path is its secret token, so it is
/// never written out.
fn log_path(path: &str) -> &str {
    if path.starts_with("/feeds/") {
        "/feeds/[token]"
    } else {
        path
    }
}

/// The metrics label of a request method: the methods HTTP defines, and `other` for the rest, so
/// that made-up methods cannot make new series.
fn method_label(method: &axum::http::Method) -> &'static str {
    const KNOWN: [&str; 9] = [
        "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT",
    ];
    KNOWN
        .into_iter()
        .find(|m| *m == method.as_str())
        .unwrap_or("other")
}

/// Records metrics by matched route and logs the hidden cause of any 5xx.
async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = method_label(req.method());
    let response = next.run(req).await;
    let status = response.status();
    state
        .metrics
        .requests
        .with_label_values(&[&route, method, status.as_str()])
        .inc();
    state
        .metrics
        .latency
        .with_label_values(&[&route, method])
        .observe(started.elapsed().as_secs_f64());
    if let Some(cause) = response.extensions().get::<InternalCause>() {
        tracing::error!(route, cause = %cause.0, "internal error");
    }
    response
}
