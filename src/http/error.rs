//! One error type for every handler, answered as RFC 9457 problem+json. 5xx bodies never carry
//! internals: the cause is logged, the client gets an opaque message and the request id.

use crate::app::InternalCause;
use crate::domain::ConflictItem;
use crate::domain::{FieldError, ValidationErrors};
use crate::store::StoreError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("missing or unknown API key")]
    Unauthorized,
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("invalid: {0}")]
    Validation(ValidationErrors),
    #[error("conflict")]
    Conflict {
        problem: &'static str,
        detail: String,
        conflicts: Vec<ConflictItem>,
    },
    /// A staff, QC or equipment pool of the site has not enough left on these days.
    #[error("pool capacity")]
    PoolShort(Vec<crate::domain::PoolConflict>),
    #[error("duplicate")]
    Duplicate { field: String, message: String },
    #[error("state: {0}")]
    State(String),
    #[error("payload too large")]
    PayloadTooLarge,
    /// A body sent with a content type other than JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Too many requests from this key or address; retry after this many seconds.
    #[error("rate limited")]
    RateLimited(u64),
    #[error("internal: {0}")]
    Internal(String),
}

/// The problem+json body (RFC 9457) with suiteplan's extension members.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicts: Option<Vec<ConflictItem>>,
    /// `/problems/pool-capacity`: the days on which a pool has not enough left (a client sees
    /// only the days).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pool_conflicts: Option<Vec<crate::domain::PoolConflict>>,
}

/// What a pool conflict says in words: the pools and days for staff, the days for a client.
fn pool_detail(days: &[crate::domain::PoolConflict]) -> String {
    let mut pools: Vec<&str> = days.iter().filter_map(|d| d.pool.as_deref()).collect();
    pools.dedup();
    let first = days.first().map(|d| d.day.to_string()).unwrap_or_default();
    if pools.is_empty() {
        format!(
            "the site's staff, QC or equipment capacity is taken on {} day(s) from {first}",
            days.len()
        )
    } else {
        format!(
            "not enough left in pool(s) {} on {} day(s) from {first}",
            pools.join(", "),
            days.len()
        )
    }
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::Validation(ValidationErrors::single(field, message))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Conflict { .. }
            | ApiError::PoolShort(_)
            | ApiError::Duplicate { .. }
            | ApiError::State(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status();
        let (kind, title, detail) = match self {
            ApiError::BadRequest(d) => ("malformed", "Malformed request", d.clone()),
            ApiError::Unauthorized => (
                "unauthorized",
                "Unauthorized",
                "send a valid API key as `Authorization: Bearer <key>`".to_string(),
            ),
            ApiError::Forbidden(d) => ("forbidden", "Forbidden", d.clone()),
            ApiError::NotFound => (
                "not-found",
                "Not found",
                "no such resource, or not yours".to_string(),
            ),
            ApiError::Validation(e) => ("validation", "Invalid request", e.to_string()),
            ApiError::Conflict {
                problem, detail, ..
            } => (*problem, "Conflict", detail.clone()),
            ApiError::PoolShort(days) => ("pool-capacity", "Conflict", pool_detail(days)),
            ApiError::Duplicate { message, .. } => ("duplicate", "Already exists", message.clone()),
            ApiError::State(d) => ("state", "Not allowed in this state", d.clone()),
            ApiError::UnsupportedMediaType => (
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as JSON, with Content-Type: application/json".to_string(),
            ),
            ApiError::PayloadTooLarge => (
                "too-large",
                "Payload too large",
                "request bodies are limited to 1 MiB".to_string(),
            ),
            ApiError::Unavailable(d) => ("unavailable", "Service unavailable", d.clone()),
            ApiError::RateLimited(s) => (
                "rate-limited",
                "Too many requests",
                format!("too many requests from this key or address; retry in {s} s"),
            ),
            ApiError::Internal(_) => (
                "internal",
                "Internal error",
                "something went wrong on our side; it has been logged".to_string(),
            ),
        };
        Problem {
            type_: format!("/problems/{kind}"),
            title: title.to_string(),
            status: status.as_u16(),
            detail,
            errors: match self {
                ApiError::Validation(e) => Some(e.0.clone()),
                ApiError::Duplicate { field, message } if !field.is_empty() => {
                    Some(vec![FieldError {
                        field: field.clone(),
                        message: message.clone(),
                    }])
                }
                _ => None,
            },
            conflicts: match self {
                ApiError::Conflict { conflicts, .. } => Some(conflicts.clone()),
                _ => None,
            },
            pool_conflicts: match self {
                ApiError::PoolShort(days) => Some(days.clone()),
                _ => None,
            },
        }
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(e: ValidationErrors) -> Self {
        ApiError::Validation(e)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::Validation(v) => ApiError::Validation(v),
            StoreError::Duplicate { field, message } => ApiError::Duplicate { field, message },
            StoreError::Conflict(conflicts) => ApiError::Conflict {
                problem: "overlap",
                detail: "the change collides with held or confirmed bookings, closures or qualification dates".into(),
                conflicts,
            },
            StoreError::PoolShort(days) => ApiError::PoolShort(days),
            StoreError::State(s) => ApiError::State(s),
            StoreError::Forbidden(s) => ApiError::Forbidden(s),
            StoreError::Busy => ApiError::Unavailable("the database is busy; retry shortly".into()),
            StoreError::Database(e) => ApiError::Internal(format!("database: {e}")),
            StoreError::Migrate(e) => ApiError::Internal(format!("migration: {e}")),
        }
    }
}

/// Renders a problem as a response (also used for rejections produced outside handlers).
pub fn problem_response(problem: &Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(problem).unwrap_or_default();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = problem_response(&self.problem());
        if let ApiError::RateLimited(s) = &self {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if let ApiError::Internal(cause) = &self {
            // Logged by the middleware that sees the request id; the body stays opaque.
            response
                .extensions_mut()
                .insert(InternalCause(cause.clone()));
        }
        response
    }
}

/// The answer to a path nothing serves.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

/// Errors produced outside handlers (405, timeouts, layers) get a problem+json body too.
pub async fn problem_for_bare_errors(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with(PROBLEM_JSON));
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
            let mut r = problem_response(&problem);
            if let Some(allow) = response.headers().get(header::ALLOW) {
                r.headers_mut().insert(header::ALLOW, allow.clone());
            }
            return r;
        }
    };
    error.into_response()
}
