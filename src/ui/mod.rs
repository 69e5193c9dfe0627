//! Server-rendered pages (docs/api-guide.md, "Pages and sessions"): `/login`, `/logout`, `/ui/` (the planner's capacity
//! picture) and `/ui/client` (a client's own programs and bookings). HTML from maud (escaped),
//! charts as inline SVG (`svg.rs`), numbers from plain functions (`capacity.rs`).
//!
//! Sessions are [`crate::session`]'s; pages without a valid session answer 303 to `/login`.
//! Errors answer an HTML page ([`error::PageError`]), never problem+json.

mod actions;
mod book;
mod capacity;
mod error;
mod forms;
mod pages;
mod plans;
mod programs;
mod quotes;
mod sandboxes;
mod selling;
mod suites;
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
        .route("/ui/bookings/new", get(book::form))
        .route("/ui/bookings", axum::routing::post(book::create))
        .route(
            "/ui/bookings/{id}/{action}",
            axum::routing::post(actions::booking_action),
        )
        .route("/ui/suites", get(suites::page))
        .route(
            "/ui/suites/{id}/closures",
            axum::routing::post(suites::add_closure),
        )
        .route(
            "/ui/closures/{id}/delete",
            axum::routing::post(suites::remove_closure),
        )
        .route("/ui/plans", get(plans::list).post(plans::start))
        .route("/ui/plans/{id}", get(plans::page))
        .route("/ui/plans/{id}/report", get(plans::report))
        .route("/ui/plans/{id}/accept", axum::routing::post(plans::accept))
        .route("/ui/programs", get(programs::list))
        .route(
            "/ui/imports/forecasts",
            axum::routing::post(programs::import),
        )
        .route(
            "/ui/programs/{id}",
            get(programs::page).post(programs::save),
        )
        .route(
            "/ui/programs/{id}/forecast",
            axum::routing::post(programs::save_forecast),
        )
        .route(
            "/ui/sandboxes",
            get(sandboxes::list).post(sandboxes::create),
        )
        .route("/ui/sandboxes/{id}", get(sandboxes::page))
        .route(
            "/ui/sandboxes/{id}/changes",
            axum::routing::post(sandboxes::add_change),
        )
        .route(
            "/ui/sandboxes/{id}/changes/{index}/delete",
            axum::routing::post(sandboxes::remove_change),
        )
        .route("/ui/compare", get(sandboxes::compare))
        .route("/ui/quotes", get(quotes::list).post(quotes::create))
        .route("/ui/quotes/{id}", get(quotes::page))
        .route(
            "/ui/quotes/{id}/accept",
            axum::routing::post(quotes::accept),
        )
        .route("/ui/queue", get(quotes::queue))
        .route("/ui/selling", get(selling::page))
        .route(
            "/ui/sites/{id}/rate-card",
            axum::routing::post(selling::save_rate_card),
        )
        .route(
            "/ui/suites/{id}/segregation",
            axum::routing::post(selling::set_segregation),
        )
        .route(
            "/ui/suites/{id}/dedications",
            axum::routing::post(selling::add_dedication),
        )
        .route(
            "/ui/dedications/{id}/delete",
            axum::routing::post(selling::remove_dedication),
        )
        .route(
            "/ui/suites/{id}/rentals",
            axum::routing::post(selling::rent),
        )
        .route("/ui/feeds", axum::routing::post(actions::new_feed))
        .route("/ui/webhooks", axum::routing::post(actions::new_webhook))
        .route(
            "/ui/webhooks/{id}/delete",
            axum::routing::post(actions::delete_webhook),
        )
        .route("/ui/{*rest}", get(|| async { PageError::not_found() }))
        .layer(axum::middleware::map_response(error::html_for_bare_errors))
        .layer(axum::middleware::map_response(page_headers))
}

/// Whether `path` is one of the pages (errors there answer HTML, not problem+json).
pub fn is_page_path(path: &str) -> bool {
    matches!(path, "/" | "/login" | "/logout" | "/ui") || path.starts_with("/ui/")
}

/// The page a person sees when the service could not answer in time (503, Retry-After).
pub fn unavailable_page() -> Response {
    PageError::new(StatusCode::SERVICE_UNAVAILABLE).into_response()
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

/// The page's caller, from the session cookie, with the session's CSRF token for its forms. No
/// or unknown session → 303 to `/login`.
pub struct PageUser {
    pub identity: KeyIdentity,
    pub csrf: String,
    /// The session's key, for its flash ([`forms::Flash`]).
    pub token_hash: String,
}

impl PageUser {
    pub fn is_staff(&self) -> bool {
        matches!(self.identity.role, Role::Admin | Role::Planner)
    }

    /// The CDMO's pages (plans, suites, sandboxes): a client key gets 403.
    pub fn staff_only(&self) -> Result<(), PageError> {
        if self.is_staff() {
            Ok(())
        } else {
            Err(PageError::new(StatusCode::FORBIDDEN).with_message(
                "This page is the CDMO planners'. Your programs, forecasts, holds and shortfalls are on your home page.",
            ))
        }
    }
}

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let to_login = || Redirect::to("/login").into_response();
        let Some(token) = session::token(&parts.headers) else {
            return Err(to_login());
        };
        match state.store.session_identity(&hash_key(&token)).await {
            Ok(Some(identity)) => Ok(PageUser {
                identity,
                csrf: session::csrf_token(&token),
                token_hash: hash_key(&token),
            }),
            Ok(None) => Err(to_login()),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

/// The page frame: title, a little CSS, and, when someone is logged in (`csrf` is their
/// session's token), a logout button and the token in `<meta name="csrf-token">`.
pub fn layout(title: &str, csrf: Option<&str>, body: Markup) -> Markup {
    frame(title, csrf, None, None, body)
}

/// A logged-in person's page: the frame with the navigation of their role (staff or client) and,
/// for pages that follow work in progress, a reload every `refresh_s` seconds (a meta refresh:
/// no script).
pub fn user_page(user: &PageUser, title: &str, refresh_s: Option<u32>, body: Markup) -> Markup {
    let nav: &[(&str, &str)] = if user.is_staff() {
        &[
            ("/ui/", "Capacity"),
            ("/ui/plans", "Plans"),
            ("/ui/sandboxes", "What-if"),
            ("/ui/programs", "Programs"),
            ("/ui/suites", "Suites and closures"),
            ("/ui/selling", "Prices and lines"),
            ("/ui/queue", "Queue"),
            ("/ui/quotes", "Quotes"),
            ("/ui/bookings/new", "Book a slot"),
        ]
    } else {
        &[
            ("/ui/client", "Home"),
            ("/ui/programs", "Programs and forecasts"),
            ("/ui/quotes", "Dates and prices"),
            ("/ui/bookings/new", "Request a hold"),
        ]
    };
    frame(title, Some(&user.csrf), Some(nav), refresh_s, body)
}

fn frame(
    title: &str,
    csrf: Option<&str>,
    nav: Option<&[(&str, &str)]>,
    refresh_s: Option<u32>,
    body: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · suiteplan" }
                @if let Some(token) = csrf { meta name="csrf-token" content=(token); }
                @if let Some(s) = refresh_s { meta http-equiv="refresh" content=(s); }
                style { (CSS) }
            }
            body {
                header {
                    span.brand { "suiteplan" }
                    span.title { (title) }
                    @if let Some(links) = nav {
                        nav aria-label="Pages" {
                            @for (href, label) in links { a href=(href) { (label) } }
                        }
                    }
                    @if let Some(token) = csrf {
                        form method="post" action="/logout" {
                            (csrf_field(token))
                            button type="submit" { "Log out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// The session's write check for a page form (our own origin and the session's CSRF token,
/// [`session::check_write`]): a refusal is a 403 page and changes nothing.
pub fn check_page_write(
    state: &AppState,
    headers: &HeaderMap,
    presented: Option<&str>,
) -> Result<(), PageError> {
    session::check_write(headers, &state.settings.server.public_url, presented).map_err(|e| {
        tracing::info!(reason = %e, "page form refused");
        PageError::new(StatusCode::FORBIDDEN).with_message(
            "This request came from another site or without the page's token; nothing changed.",
        )
    })
}

/// The hidden field that every page form carries ([`session::CSRF_FIELD`]).
pub fn csrf_field(token: &str) -> Markup {
    html! { input type="hidden" name=(session::CSRF_FIELD) value=(token); }
}

const CSS: &str = "
body{margin:0;font-family:system-ui,-apple-system,Segoe UI,sans-serif;color:#1b2733;background:#fff}
header{display:flex;align-items:center;gap:1rem;padding:.6rem 1.2rem;background:#12324f;color:#fff}
header .brand{font-weight:700;letter-spacing:.03em}
header .title{flex:1;opacity:.85}
header form{margin:0}
header nav{display:flex;gap:.9rem;flex-wrap:wrap}
header nav a{color:#fff;text-decoration:none;border-bottom:1px solid transparent}
header nav a:hover,header nav a:focus{border-bottom-color:#fff}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
div.field{display:flex;flex-direction:column;margin:.3rem .8rem .5rem 0}
div.field label{font-size:.85rem;color:#35424f;margin-bottom:.15rem}
div.field input,div.field select,div.field textarea{padding:.3rem;font-size:.95rem}
.field-error{color:#a3200b;font-size:.85rem;margin-top:.15rem}
form.card{border:1px solid #dde3ea;border-radius:6px;padding:.6rem .9rem;margin:.5rem 0 1rem;display:flex;flex-wrap:wrap;align-items:flex-end}
form.card button,button.primary{padding:.4rem 1rem;background:#12324f;color:#fff;border:0;border-radius:4px;cursor:pointer;margin:.3rem 0 .5rem}
table.grid input{width:3.2rem;padding:.15rem;text-align:right}
table.grid td.bad input{outline:2px solid #a3200b}
table.results tr.refused td{background:#fdecea}
td.state-booked::before{content:'✓ '}
td.state-refused::before{content:'✗ '}
.progress dt{font-weight:600;float:left;clear:left;width:9rem}
.progress dd{margin:0 0 .2rem 9.5rem}
@media print{header nav,header form,form,button{display:none}header{background:none;color:#000;border-bottom:2px solid #000}main{max-width:none;padding:0}h2{break-after:avoid}table,svg{break-inside:avoid}}
header button{background:#fff;color:#12324f;border:0;border-radius:4px;padding:.3rem .8rem;cursor:pointer}
main{padding:1rem 1.4rem;max-width:1300px}
h2{font-size:1.15rem;margin:1.6rem 0 .4rem;border-bottom:1px solid #dde3ea;padding-bottom:.2rem}
p.note{color:#55616d;margin:.2rem 0 .6rem}
.chart{max-width:100%;height:auto;display:block}
table{border-collapse:collapse;font-size:.9rem}
th,td{border-bottom:1px solid #e3e7ec;padding:.25rem .6rem;text-align:left}
th{background:#f2f5f8}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.strip th.m,table.strip td.m{padding:.2rem .3rem;font-size:.75rem;text-align:center;min-width:1.6rem}
table.strip td.m.short{background:#fbe3dc;font-weight:600}
h3.class{font-size:1rem;margin:1rem 0 .2rem}
form.inline{display:inline;margin:0 .3rem 0 0}
form.inline button{padding:.15rem .6rem;cursor:pointer}
p.notice{color:#0b5a2a;background:#e4f4e9;padding:.4rem .7rem;border-radius:4px}
.login{max-width:360px;margin:4rem auto;padding:1.5rem;border:1px solid #dde3ea;border-radius:8px}
.login input{width:100%;box-sizing:border-box;padding:.5rem;margin:.3rem 0 1rem;font-size:1rem}
.login button{padding:.5rem 1.2rem;font-size:1rem;background:#12324f;color:#fff;border:0;border-radius:4px}
.error{color:#a3200b;background:#fdecea;padding:.5rem .7rem;border-radius:4px}
";

fn login_page(form_token: &str, error: Option<&str>) -> Markup {
    layout(
        "Log in",
        None,
        html! {
            form.login method="post" action="/login" {
                (csrf_field(form_token))
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

/// The login page with a fresh login-form token (cookie and hidden field), answered with `status`.
fn login_answer(
    state: &AppState,
    jar: CookieJar,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let (jar, token) = session::login_form_token(jar, state.settings.auth.secure_cookies);
    (status, jar, login_page(&token, error)).into_response()
}

async fn login_form(State(state): State<AppState>, jar: CookieJar) -> Response {
    login_answer(&state, jar, StatusCode::OK, None)
}

#[derive(Deserialize)]
pub struct LoginForm {
    key: String,
    #[serde(default)]
    csrf_token: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: HeaderMap,
    jar: CookieJar,
    form: Result<Form<LoginForm>, FormRejection>,
) -> Result<Response, PageError> {
    let Ok(Form(form)) = form else {
        return Ok(login_answer(
            &state,
            jar,
            StatusCode::BAD_REQUEST,
            Some("Send the form with a key."),
        ));
    };
    // Login CSRF: a form posted from another site would log this browser in as someone else.
    let public_url = &state.settings.server.public_url;
    if let Err(e) = session::check_login(&headers, public_url, form.csrf_token.as_deref()) {
        tracing::info!(reason = %e, "login refused");
        return Ok(login_answer(
            &state,
            jar,
            StatusCode::FORBIDDEN,
            Some(
                "This login form came from elsewhere or has expired. Log in again from this page.",
            ),
        ));
    }
    let key = form.key.trim();
    let identity = if key.is_empty() || key.len() > 512 {
        None
    } else {
        state.store.authenticate(&hash_key(key)).await?
    };
    let Some(identity) = identity else {
        // Wrong keys count against the address they come from.
        if let Err(wait) = state.limits.failed_auth(peer.ip()) {
            let mut response = login_answer(
                &state,
                jar,
                StatusCode::TOO_MANY_REQUESTS,
                Some("Too many wrong keys from here; wait a minute and try again."),
            );
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, wait.into());
            return Ok(response);
        }
        return Ok(login_answer(
            &state,
            jar,
            StatusCode::UNAUTHORIZED,
            Some("That key is not valid."),
        ));
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
    let jar = jar
        .remove(axum_extra::extract::cookie::Cookie::build(session::LOGIN_COOKIE).path("/login"));
    Ok((jar.add(cookie), Redirect::to(target)).into_response())
}

#[derive(Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf_token: Option<String>,
}

/// Ends the session; the form must carry the session's CSRF token (a forged logout is refused).
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    jar: CookieJar,
    form: Result<Form<LogoutForm>, FormRejection>,
) -> Result<Response, PageError> {
    if let Some(token_hash) = session::token_hash(&headers) {
        let presented = form.as_ref().ok().and_then(|f| f.csrf_token.as_deref());
        check_page_write(&state, &headers, presented)?;
        state
            .write(|store| store.delete_session(&token_hash))
            .await?;
    }
    Ok((session::clear(jar), Redirect::to("/login")).into_response())
}
