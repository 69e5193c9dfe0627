//! Who is calling: an API key (`Authorization: Bearer …`) or a page session cookie
//! ([`crate::session`]).

use super::error::ApiError;
use crate::app::AppState;
use crate::domain::{hash_key, Actor, Role};
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};

/// The authenticated caller. Unknown, revoked or missing key → 401.
pub struct Auth(pub Actor);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let request_id = parts
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let identity = if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            let value = value.to_str().map_err(|_| ApiError::Unauthorized)?;
            let key = value
                .strip_prefix("Bearer ")
                .or_else(|| value.strip_prefix("bearer "))
                .ok_or(ApiError::Unauthorized)?
                .trim();
            state.store.authenticate(&hash_key(key)).await?
        } else {
            let identity = crate::session::identity(&state.store, &parts.headers).await?;
            if identity.is_some() && !parts.method.is_safe() {
                let presented = parts
                    .headers
                    .get(crate::session::CSRF_HEADER)
                    .and_then(|v| v.to_str().ok());
                crate::session::check_write(
                    &parts.headers,
                    &state.settings.server.public_url,
                    presented,
                )
                .map_err(|e| {
                    ApiError::Forbidden(format!(
                        "{e}; use a bearer key outside suiteplan's own pages"
                    ))
                })?;
            }
            identity
        };
        let Some(identity) = identity else {
            // A failed authentication counts against the caller's address.
            return Err(match state.limits.failed_auth(client_addr(parts)) {
                Ok(()) => ApiError::Unauthorized,
                Err(wait) => ApiError::RateLimited(wait),
            });
        };
        state
            .limits
            .key(identity.id)
            .map_err(ApiError::RateLimited)?;
        Ok(Auth(identity.actor(request_id)))
    }
}

/// The caller's address (the peer of the connection; `0.0.0.0` when unknown).
pub fn client_addr(parts: &Parts) -> std::net::IpAddr {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

impl Auth {
    /// Planner or admin.
    pub fn staff(&self) -> Result<&Actor, ApiError> {
        if self.0.is_staff() {
            Ok(&self.0)
        } else {
            Err(ApiError::Forbidden(
                "this needs a planner or admin key".into(),
            ))
        }
    }
    pub fn admin(&self) -> Result<&Actor, ApiError> {
        if self.0.role == Role::Admin {
            Ok(&self.0)
        } else {
            Err(ApiError::Forbidden("this needs an admin key".into()))
        }
    }
}

/// A planner or admin caller; anyone else → 403 before the body is even read.
pub struct Staff(pub Actor);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_request_parts(parts, state).await?;
        auth.staff()?;
        Ok(Staff(auth.0))
    }
}

/// An admin caller; anyone else → 403.
pub struct Admin(pub Actor);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth = Auth::from_request_parts(parts, state).await?;
        auth.admin()?;
        Ok(Admin(auth.0))
    }
}
