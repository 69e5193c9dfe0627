//! The page session: a random token in an HttpOnly, SameSite=Strict cookie, of which only the
//! hash is stored (`sessions`), bound to the API key that logged in so that revoking the key
//! ends it. The one place that reads, sets and clears the `suiteplan_session` cookie, for the
//! pages (`ui`) and for the API's auth extractor alike, and the one home of the rules against
//! cross-site requests that ride on it:
//!
//! - a write made with the cookie must come from this service's own origin ([`same_origin`]) and
//!   carry the session's CSRF token ([`csrf_token`]: in the `X-CSRF-Token` header for the API, in
//!   the `csrf_token` field of a page form);
//! - the login form is protected against login CSRF by a token of its own, double-submitted in
//!   the `suiteplan_login` cookie and the form, besides the same origin check.

use crate::domain::{generate_token, hash_key};
use crate::store::{DynStore, KeyIdentity, StoreError};
use axum::http::HeaderMap;
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SESSION_COOKIE: &str = "suiteplan_session";
/// The header that carries the CSRF token on a cookie-authenticated API write.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The form field that carries the CSRF token on a page form.
pub const CSRF_FIELD: &str = "csrf_token";
/// The login form's own token (there is no session yet to derive one from).
pub const LOGIN_COOKIE: &str = "suiteplan_login";

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

fn csrf_mac(session_token: &str) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(session_token.as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(b"suiteplan csrf v1");
    mac
}

/// The CSRF token of a session (a synchronizer token that needs no storage): an HMAC keyed with
/// the session token, which only this service and the browser's HttpOnly cookie know. Pages put
/// it in their forms and in `<meta name="csrf-token">`.
pub fn csrf_token(session_token: &str) -> String {
    hex::encode(csrf_mac(session_token).finalize().into_bytes())
}

/// Whether `presented` is the CSRF token of `session_token` (compared in constant time).
pub fn csrf_matches(session_token: &str, presented: &str) -> bool {
    match hex::decode(presented.trim()) {
        Ok(bytes) => csrf_mac(session_token).verify_slice(&bytes).is_ok(),
        Err(_) => false,
    }
}

/// Why a cookie-authenticated write is refused, for the 403 (API) or the page's message.
#[derive(Debug, thiserror::Error)]
#[error("cross-site request refused: {0}")]
pub struct CrossSite(pub String);

/// A write made with the page session cookie must come from our own pages: the browser says so
/// with `Sec-Fetch-Site: same-origin`, or (older browsers) with an `Origin` naming this service
/// (`server.public_url` when set, else the Host header). Without either it is refused: programs
/// other than browsers use bearer keys. A page on another origin — another port of the same host,
/// a sibling subdomain — is refused even though `SameSite=Strict` let its request carry the
/// cookie.
pub fn same_origin(headers: &HeaderMap, public_url: &str) -> Result<(), CrossSite> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = header("sec-fetch-site") {
        return if site == "same-origin" {
            Ok(())
        } else {
            Err(CrossSite(format!("Sec-Fetch-Site is {site}")))
        };
    }
    let Some(origin) = header("origin") else {
        return Err(CrossSite("the request names no Origin".into()));
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
    match (authority(origin), ours) {
        (Some(t), Some(o)) if t.eq_ignore_ascii_case(&o) => Ok(()),
        _ => Err(CrossSite(format!("Origin {origin} is not this service"))),
    }
}

/// The whole rule for an unsafe request authenticated by the session cookie: our own origin, and
/// the session's CSRF token in `presented` (the header or the form field).
pub fn check_write(
    headers: &HeaderMap,
    public_url: &str,
    presented: Option<&str>,
) -> Result<(), CrossSite> {
    same_origin(headers, public_url)?;
    let Some(session) = token(headers) else {
        return Err(CrossSite("the request has no session".into()));
    };
    match presented {
        Some(p) if csrf_matches(&session, p) => Ok(()),
        Some(_) => Err(CrossSite(
            "the CSRF token does not match the session".into(),
        )),
        None => Err(CrossSite(format!(
            "a write with the session cookie needs the session's CSRF token (header {CSRF_HEADER})"
        ))),
    }
}

/// The login-form token: the cookie to set (path `/login`, for the browser's session) and the
/// value for the form's hidden field. A browser that already holds one keeps it, so that two
/// login tabs (or a page from the back button) both work; what protects the form is that a
/// page elsewhere can neither read the cookie nor post from this origin.
pub fn login_form_token(jar: CookieJar, secure: bool) -> (CookieJar, String) {
    let value = jar
        .get(LOGIN_COOKIE)
        .map(|c| c.value().to_string())
        .filter(|v| (32..=128).contains(&v.len()))
        .unwrap_or_else(generate_token);
    let cookie = Cookie::build((LOGIN_COOKIE, value.clone()))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/login")
        .build();
    (jar.add(cookie), value)
}

/// Whether a login post is ours: same origin, and the form's token equals the login cookie's.
pub fn check_login(
    headers: &HeaderMap,
    public_url: &str,
    presented: Option<&str>,
) -> Result<(), CrossSite> {
    same_origin(headers, public_url)?;
    let cookie = CookieJar::from_headers(headers)
        .get(LOGIN_COOKIE)
        .map(|c| c.value().to_string());
    match (cookie, presented) {
        // Compared as hashes, so the comparison's timing says nothing about the token.
        (Some(c), Some(p)) if hash_key(&c) == hash_key(p) => Ok(()),
        _ => Err(CrossSite(
            "the login form expired or did not come from this service".into(),
        )),
    }
}
