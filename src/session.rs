//! The page session: a random token in an HttpOnly, SameSite=Strict cookie, of which only the
//! hash is stored (`sessions`), bound to the API key that logged in so that revoking the key
//! ends it. The one place that reads, sets and clears the `suiteplan_session` cookie, for the
//! pages (`ui`) and for the API's auth extractor alike (pages' forms call the API with it).

use crate::domain::{generate_token, hash_key};
use crate::store::{DynStore, KeyIdentity, StoreError};
use axum::http::HeaderMap;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Utc};

pub const SESSION_COOKIE: &str = "suiteplan_session";

/// The session token the request carries, if any.
pub fn token(headers: &HeaderMap) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(SESSION_COOKIE)
        .map(|c| c.value().to_string())
}

/// Whose session the request carries: `None` without a cookie, or for an unknown, expired or
/// revoked session.
pub async fn identity(
    store: &DynStore,
    headers: &HeaderMap,
) -> Result<Option<KeyIdentity>, StoreError> {
    match token(headers) {
        Some(token) => store.session_identity(&hash_key(&token)).await,
        None => Ok(None),
    }
}

/// A new session token valid until `expires_at`, and the hash the store keeps of it.
pub struct NewSession {
    pub token: String,
    pub token_hash: String,
    pub expires_at: DateTime<Utc>,
}

impl NewSession {
    pub fn new(expires_at: DateTime<Utc>) -> NewSession {
        let token = generate_token();
        let token_hash = hash_key(&token);
        NewSession {
            token,
            token_hash,
            expires_at,
        }
    }

    /// The cookie that carries the token (`Secure` behind TLS: `auth.secure_cookies`).
    pub fn cookie(self, secure: bool) -> Cookie<'static> {
        Cookie::build((SESSION_COOKIE, self.token))
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(secure)
            .path("/")
            .build()
    }
}

/// The hash of the request's session token, to delete on logout.
pub fn token_hash(headers: &HeaderMap) -> Option<String> {
    token(headers).map(|t| hash_key(&t))
}

/// Adds to `jar` the cookie that clears the session in the browser.
pub fn clear(jar: CookieJar) -> CookieJar {
    jar.remove(Cookie::build(SESSION_COOKIE).path("/"))
}
