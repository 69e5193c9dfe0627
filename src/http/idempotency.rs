//! `Idempotency-Key` (docs/api-guide.md, "Idempotency"): a write sent again under the same key answers what
//! the first one answered instead of running again.

use super::error::{problem_response, ApiError, PROBLEM_JSON};
use crate::app::AppState;
use crate::domain::Actor;
use crate::store::{IdemBegin, IdemKey};
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use sha2::{Digest, Sha256};
use std::future::Future;

const HEADER: &str = "idempotency-key";
const MAX_LEN: usize = 255;

/// The `Idempotency-Key` header, if any: 1 to 255 visible ASCII characters, else 400.
pub struct IdempotencyKey(Option<String>);

/// The header as the OpenAPI document shows it. Spaces and tabs may stand inside a key, not at
/// its ends (HTTP strips them there).
pub struct IdempotencyKeyText;

impl utoipa::PartialSchema for IdempotencyKeyText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("1 to 255 visible ASCII characters (a UUID is ideal)."))
            .pattern(Some(r"^[!-~]([ -~\t]{0,253}[!-~])?$"))
            .into()
    }
}

impl utoipa::ToSchema for IdempotencyKeyText {}

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(HEADER) else {
            return Ok(IdempotencyKey(None));
        };
        let key = value
            .to_str()
            .map_err(|_| ApiError::BadRequest("Idempotency-Key must be visible ASCII".into()))?;
        if key.is_empty() || key.len() > MAX_LEN {
            return Err(ApiError::BadRequest(
                "Idempotency-Key must be 1 to 255 characters".into(),
            ));
        }
        Ok(IdempotencyKey(Some(key.to_string())))
    }
}

impl IdempotencyKey {
    /// Keys are per API key: the same key from two callers names two requests.
    pub fn of(self, actor: &Actor) -> Option<IdemKey> {
        let key = self.0?;
        actor
            .api_key_id
            .map(|api_key_id| IdemKey { api_key_id, key })
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut r = (status, Json(body)).into_response();
    if status.as_u16() >= 400 {
        r.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    }
    r
}

/// Runs `work` at most once per idempotency key: a repeat with the same request (the same
/// `fingerprint`) replays the first answer (4xx included), another request under the same key
/// → 422, a repeat while the first is running → 409. Server errors are not recorded, so that a
/// retry runs again.
pub async fn idempotent<F, Fut>(
    state: &AppState,
    key: Option<IdemKey>,
    fingerprint: String,
    work: F,
) -> Response
where
    F: FnOnce(Option<IdemKey>) -> Fut,
    Fut: Future<Output = Result<(StatusCode, serde_json::Value), ApiError>>,
{
    let Some(key) = key else {
        return match work(None).await {
            Ok((status, body)) => json_response(status, &body),
            Err(e) => e.into_response(),
        };
    };
    let hash = hex::encode(Sha256::digest(fingerprint.as_bytes()));
    match state
        .write(|store| store.idempotency_begin(&key, &hash))
        .await
    {
        Err(e) => return ApiError::from(e).into_response(),
        Ok(IdemBegin::Replay { status, body }) => {
            return json_response(
                StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
                &body,
            )
        }
        Ok(IdemBegin::InFlight) => {
            return ApiError::Conflict {
                problem: "idempotency-in-flight",
                detail:
                    "a request with this Idempotency-Key is still being processed; retry shortly"
                        .into(),
                conflicts: vec![],
            }
            .into_response()
        }
        Ok(IdemBegin::Mismatch) => {
            let mut problem = ApiError::invalid(
                "Idempotency-Key",
                "this key was used with a different request",
            )
            .problem();
            problem.type_ = "/problems/idempotency-mismatch".into();
            return problem_response(&problem);
        }
        Ok(IdemBegin::Fresh) => {}
    }
    let (status, body) = match work(Some(key.clone())).await {
        Ok(ok) => ok,
        Err(e) => {
            let p = e.problem();
            (e.status(), serde_json::to_value(&p).unwrap_or_default())
        }
    };
    let recorded = if status.is_server_error() {
        state.write(|store| store.idempotency_forget(&key)).await
    } else {
        state
            .write(|store| store.idempotency_finish(&key, status.as_u16(), &body))
            .await
    };
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "could not record the idempotent response");
    }
    json_response(status, &body)
}
