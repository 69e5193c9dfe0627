//! Server-rendered pages (docs/api-guide.md, "Pages and sessions"): `/login`, `/logout`, `/ui/` (the planner's capacity
//! picture) and `/ui/client` (a client's own programs and bookings). HTML from maud (escaped),
//! charts as inline SVG (`svg.rs`), numbers from plain functions (`capacity.rs`).
//!
//! Sessions are [`crate::session`]'s; pages without a valid session answer 303 to `/login`.
//! Errors answer an HTML page ([`error::PageError`]), never problem+json.

mod capacity;
mod error;
mod pages;
mod svg;

use crate::app::AppState;
use crate::domain::{hash_key, Role};
use crate::session::{self, NewSession};
use crate::store::KeyIdentity;
use axum::extract::rejection::FormRejection;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use axum_extra::extract::cookie::CookieJar;
use error::PageError;
use maud::{html, Markup, DOCTYPE};
use serde::Deserialize;

/// The pages: `/`, `/login`, `/logout` and everything under `/ui/`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/") }))
        .route("/login", get(login_form).post(login))
        .route("/logout", axum::routing::post(logout))
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/", get(pages::planner_home))
        .route("/ui/client", get(pages::client_home))
        .route("/ui/{*rest}", get(|| async { PageError::not_found() }))
        .layer(axum::middleware::map_response(error::html_for_bare_errors))
        .layer(axum::middleware::map_response(page_headers))
}

/// Pages hold private data and run no script: not cached, not framed, nothing loaded from
/// elsewhere.
async fn page_headers(mut response: Response) -> Response {
    use axum::http::{header, HeaderValue};
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    response
}

/// The page's caller, from the session cookie. No or unknown session → 303 to `/login`.
pub struct PageUser(pub KeyIdentity);

impl PageUser {
    pub fn is_staff(&self) -> bool {
        matches!(self.0.role, Role::Admin | Role::Planner)
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match session::identity(&state.store, &parts.headers).await {
            Ok(Some(identity)) => Ok(PageUser(identity)),
            Ok(None) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

/// The page frame: title, a little CSS, and a logout button when someone is logged in.
pub fn layout(title: &str, logged_in: bool, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · suiteplan" }
                style { (CSS) }
            }
            body {
                header {
                    span.brand { "suiteplan" }
                    span.title { (title) }
                    @if logged_in {
                        form method="post" action="/logout" { button type="submit" { "Log out" } }
                    }
                }
                main { (body) }
            }
        }
    }
}

const CSS: &str = "
body{margin:0;font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#1b2733;background:#fff}
header{display:flex;align-items:center;gap:1rem;padding:.6rem 1.2rem;background:#12324f;color:#fff}
header .brand{font-weight:700;letter-spacing:.03em}
header .title{flex:1;opacity:.85}
header form{margin:0}
header button{background:#fff;color:#12324f;border:0;border-radius:4px;padding:.3rem .8rem;cursor:pointer}
main{padding:1rem 1.4rem;max-width:1300px}
h2{font-size:1.15rem;margin:1.6rem 0 .4rem;border-bottom:1px solid #dde3ea;padding-bottom:.2rem}
p.note{color:#55616d;margin:.2rem 0 .6rem}
.chart{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;font-size:.9rem}
th,td{border-bottom:1px solid #e3e7ec;padding:.25rem .6rem;text-align:left}
th{background:#f2f5f8}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.login{max-width:360px;margin:4rem auto;padding:1.5rem;border:1px solid #dde3ea;border-radius:8px}
.login input{width:100%;box-sizing:border-box;padding:.5rem;margin:.3rem 0 1rem;font-size:1rem}
.login button{padding:.5rem 1.2rem;font-size:1rem;background:#12324f;color:#fff;border:0;border-radius:4px}
.error{color:#a3200b;background:#fdecea;padding:.5rem .7rem;border-radius:4px}
";

fn login_page(error: Option<&str>) -> Markup {
    layout(
        "Log in",
        false,
        html! {
            form.login method="post" action="/login" {
                h2 { "Log in" }
                p.note { "Use your suiteplan API key. The session lasts until you log out or it expires." }
                @if let Some(e) = error { p.error role="alert" { (e) } }
                label for="key" { "API key" }
                input #key type="password" name="key" autocomplete="current-password" required autofocus;
                button type="submit" { "Log in" }
            }
        },
    )
}

async fn login_form() -> Markup {
    login_page(None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    key: String,
}

async fn login(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    jar: CookieJar,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Ok(Form(form)) = form else {
        return Ok((
            StatusCode::BAD_REQUEST,
            login_page(Some("Send the form with a key.")),
        )
            .into_response());
    };
    let key = form.key.trim();
    let identity = if key.is_empty() || key.len() > 512 {
        None
    } else {
        state.store.authenticate(&hash_key(key)).await?
    };
    let Some(identity) = identity else {
        // Wrong keys count against the address they come from.
        if let Err(wait) = state.limits.failed_auth(peer.ip()) {
            return Ok((
                StatusCode::TOO_MANY_REQUESTS,
                [(axum::http::header::RETRY_AFTER, wait.to_string())],
                login_page(Some(
                    "Too many wrong keys from here; wait a minute and try again.",
                )),
            )
                .into_response());
        }
        return Ok((
            StatusCode::UNAUTHORIZED,
            login_page(Some("That key is not valid.")),
        )
            .into_response());
    };
    let ttl = chrono::Duration::hours(state.settings.auth.session_ttl_hours.clamp(1, 24 * 365));
    let new = NewSession::new(crate::store::now() + ttl);
    state
        .write(|store| store.create_session(identity.id, &new.token_hash, new.expires_at))
        .await?;
    let cookie = new.cookie(state.settings.auth.secure_cookies);
    let target = if identity.role == Role::Client {
        "/ui/client"
    } else {
        "/ui/"
    };
    Ok((jar.add(cookie), Redirect::to(target)).into_response())
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
) -> Result<Response, PageError> {
    if let Some(token_hash) = session::token_hash(&headers) {
        state
            .write(|store| store.delete_session(&token_hash))
            .await?;
    }
    Ok((session::clear(jar), Redirect::to("/login")).into_response())
}
