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
                same_origin(parts, &state.settings.server.public_url)?;
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
        Ok(Auth(Actor {
            api_key_id: Some(identity.id),
            role: identity.role,
            client_id: identity.client_id,
            request_id,
        }))
    }
}

/// A write made with the page session cookie must come from our own pages: the browser says so
/// with `Sec-Fetch-Site: same-origin`, or (older browsers) with an `Origin` naming this service.
/// Without either it is refused: programs other than browsers use bearer keys. A page on another
/// origin — another port of the same host, a sibling subdomain — is refused even though
/// `SameSite=Strict` let its request carry the cookie.
fn same_origin(parts: &Parts, public_url: &str) -> Result<(), ApiError> {
    let refuse = |why: &str| {
        Err(ApiError::Forbidden(format!(
            "cross-site request refused: {why}; use a bearer key outside suiteplan's own pages"
        )))
    };
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return if site == "same-origin" {
            Ok(())
        } else {
            refuse(&format!("Sec-Fetch-Site is {site}"))
        };
    }
    let Some(origin) = header("origin") else {
        return refuse("the request names no Origin");
    };
    // `host[:port]` of a URL, as a Host header writes it.
    let authority = |url: &str| {
        url::Url::parse(url).ok().and_then(|u| {
            u.host_str()
                .map(|h| u.port().map_or(h.to_string(), |p| format!("{h}:{p}")))
        })
    };
    let ours = if public_url.is_empty() {
        header("host").map(str::to_string)
    } else {
        authority(public_url)
    };
    let theirs = authority(origin);
    match (theirs, ours) {
        (Some(t), Some(o)) if t.eq_ignore_ascii_case(&o) => Ok(()),
        _ => refuse(&format!("Origin {origin} is not this service")),
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
