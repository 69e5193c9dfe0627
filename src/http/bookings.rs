//! Bookings, availability and calendar feeds (API.md "Bookings and availability").

use super::{
    extract::parse_json_body, list::*, ApiError, ApiPath, ApiQuery, AppState, Auth, Staff,
};
use crate::domain::{
    free_windows, hash_key, Actor, Booking, BookingRules, BookingStatus, NewBooking, Role, Window,
};
use crate::store::{all_pages, BookingFilter, FeedScope, IdemBegin, IdemKey, StoreError};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_booking, list_bookings))
        .routes(routes!(get_booking))
        .routes(routes!(confirm_booking))
        .routes(routes!(cancel_booking))
        .routes(routes!(bookings_ics))
        .routes(routes!(availability))
        .routes(routes!(create_feed))
        .routes(routes!(revoke_feed))
}

/// The public, key-less feed route (calendar programs cannot send a bearer key).
pub fn feed_router() -> axum::Router<AppState> {
    axum::Router::new().route("/feeds/{token}", axum::routing::get(feed))
}

/// Runs a store call again while the database reports contention, then gives up with 503.
pub async fn retry_busy<T, F, Fut>(state: &AppState, mut call: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let attempts = state.settings.database.write_retries.max(1);
    let mut delay = Duration::from_millis(5);
    for attempt in 1..=attempts {
        match call().await {
            Err(StoreError::Busy) if attempt < attempts => {
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_millis(200));
            }
            other => return other,
        }
    }
    Err(StoreError::Busy)
}

pub(super) fn rules(state: &AppState) -> BookingRules {
    let now = crate::store::now();
    BookingRules {
        hold_ttl_days: state.settings.bookings.hold_ttl_days,
        today: now.date_naive(),
        now,
    }
}

/// A client sees only the intervals it collides with, never whose they are.
pub(super) fn scrub(error: ApiError, actor: &Actor) -> ApiError {
    match error {
        ApiError::Conflict {
            problem,
            detail,
            mut conflicts,
        } if !actor.is_staff() => {
            for c in &mut conflicts {
                c.booking_id = None;
                c.program_id = None;
            }
            ApiError::Conflict {
                problem,
                detail,
                conflicts,
            }
        }
        other => other,
    }
}

fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut r = (status, Json(body)).into_response();
    if status.as_u16() >= 400 {
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(super::error::PROBLEM_JSON),
        );
    }
    r
}

/// The `Idempotency-Key` header, if any (≤ 255 characters).
pub(super) fn idempotency_key(
    headers: &HeaderMap,
    actor: &Actor,
) -> Result<Option<IdemKey>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| ApiError::BadRequest("Idempotency-Key must be visible ASCII".into()))?;
    if key.is_empty() || key.len() > 255 {
        return Err(ApiError::BadRequest(
            "Idempotency-Key must be 1 to 255 characters".into(),
        ));
    }
    Ok(actor.api_key_id.map(|api_key_id| IdemKey {
        api_key_id,
        key: key.to_string(),
    }))
}

/// Runs `work` at most once per idempotency key: a repeat with the same request replays the
/// first answer (4xx included), another request under the same key → 422, a repeat while the
/// first is running → 409. Server errors are not recorded, so that a retry runs again.
pub(super) async fn idempotent<F, Fut>(
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
    match retry_busy(state, || state.store.idempotency_begin(&key, &hash)).await {
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
            return super::error::problem_response(&problem);
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
        state.store.idempotency_forget(&key).await
    } else {
        state
            .store
            .idempotency_finish(&key, status.as_u16(), &body)
            .await
    };
    if let Err(e) = recorded {
        tracing::warn!(error = %e, "could not record the idempotent response");
    }
    json_response(status, &body)
}

pub(super) fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Book a line. `line: null` picks the lowest free line. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/bookings", tag = "bookings", request_body = NewBooking,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = Booking), (status = 409, body = super::error::Problem),
        (status = 422, body = super::error::Problem)))]
async fn create_booking(
    State(state): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let key = match idempotency_key(&headers, &actor) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return ApiError::BadRequest(format!("the body is not valid JSON: {e}")).into_response()
        }
    };
    let fingerprint = format!("POST /v1/bookings {value}");
    let st = state.clone();
    idempotent(&state, key, fingerprint, |key| async move {
        let input: NewBooking = super::from_json_value(value)?;
        let client = actor.role == Role::Client;
        if client && input.status != BookingStatus::Held {
            return Err(ApiError::Forbidden(
                "clients reserve slots as holds; the CDMO confirms them".into(),
            ));
        }
        let rules = rules(&st);
        let input = input.validate(&rules, client)?;
        let booking = retry_busy(&st, || {
            st.store
                .create_booking(&actor, &input, &rules, key.as_ref())
        })
        .await
        .map_err(|e| scrub(e.into(), &actor))?;
        Ok((StatusCode::CREATED, to_value(&booking)?))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct BookingQuery {
    suite_id: Option<Uuid>,
    program_id: Option<Uuid>,
    client_id: Option<Uuid>,
    /// held, confirmed, cancelled or expired.
    status: Option<String>,
    /// Bookings overlapping `[from, to)`.
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    limit: Option<i64>,
    cursor: Option<String>,
}

impl BookingQuery {
    fn filter(&self) -> Result<BookingFilter, ApiError> {
        let status = match self.status.as_deref() {
            None => None,
            Some(s) => Some(BookingStatus::parse(s).ok_or_else(|| {
                ApiError::invalid("status", "must be held, confirmed, cancelled or expired")
            })?),
        };
        if let (Some(f), Some(t)) = (self.from, self.to) {
            if t <= f {
                return Err(ApiError::invalid("to", "must be after from"));
            }
        }
        Ok(BookingFilter {
            suite_id: self.suite_id,
            program_id: self.program_id,
            client_id: self.client_id,
            status,
            from: self.from,
            to: self.to,
        })
    }
}

/// Bookings ordered by start then id; a client sees only its own.
#[utoipa::path(get, path = "/v1/bookings", tag = "bookings", params(BookingQuery),
    responses((status = 200, body = ListOf<Booking>)))]
async fn list_bookings(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<BookingQuery>,
) -> Result<Json<ListOf<Booking>>, ApiError> {
    let page = super::extract::Paging::parse(q.limit, q.cursor.as_deref())?;
    let filter = q.filter()?;
    Ok(Json(
        state
            .store
            .list_bookings(&filter, actor.scope(), page)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/v1/bookings/{id}", tag = "bookings", params(("id" = Uuid, Path)),
    responses((status = 200, body = Booking), (status = 404, body = super::error::Problem)))]
async fn get_booking(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Booking>, ApiError> {
    Ok(Json(state.store.get_booking(id, actor.scope()).await?))
}

/// Confirm a hold (planner). Confirming a confirmed booking → 200 unchanged; a cancelled or
/// expired one → 409.
#[utoipa::path(post, path = "/v1/bookings/{id}/confirm", tag = "bookings", params(("id" = Uuid, Path)),
    responses((status = 200, body = Booking), (status = 409, body = super::error::Problem)))]
async fn confirm_booking(
    State(state): State<AppState>,
    Staff(actor): Staff,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> Response {
    let key = match idempotency_key(&headers, &actor) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let st = state.clone();
    idempotent(
        &state,
        key,
        format!("POST /v1/bookings/{id}/confirm"),
        |_| async move {
            let b = retry_busy(&st, || st.store.confirm_booking(&actor, id)).await?;
            Ok((StatusCode::OK, to_value(&b)?))
        },
    )
    .await
}

/// Cancel a booking. Clients cancel their own holds, not confirmed bookings.
#[utoipa::path(post, path = "/v1/bookings/{id}/cancel", tag = "bookings", params(("id" = Uuid, Path)),
    responses((status = 200, body = Booking), (status = 403, body = super::error::Problem)))]
async fn cancel_booking(
    State(state): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> Response {
    let key = match idempotency_key(&headers, &actor) {
        Ok(k) => k,
        Err(e) => return e.into_response(),
    };
    let st = state.clone();
    idempotent(
        &state,
        key,
        format!("POST /v1/bookings/{id}/cancel"),
        |_| async move {
            let b = retry_busy(&st, || st.store.cancel_booking(&actor, id)).await?;
            Ok((StatusCode::OK, to_value(&b)?))
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct IcsQuery {
    suite_id: Option<Uuid>,
    program_id: Option<Uuid>,
}

/// Held and confirmed bookings as an iCalendar feed (all-day events).
#[utoipa::path(get, path = "/v1/bookings.ics", tag = "bookings", params(IcsQuery),
    responses((status = 200, content_type = "text/calendar", body = String)))]
async fn bookings_ics(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<IcsQuery>,
) -> Result<Response, ApiError> {
    let scope = FeedScope {
        id: Uuid::nil(),
        client_id: actor.scope(),
        suite_id: q.suite_id,
        program_id: q.program_id,
    };
    ics_response(&state, &scope).await
}

async fn ics_response(state: &AppState, scope: &FeedScope) -> Result<Response, ApiError> {
    let text = render_ics(state, scope).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/calendar; charset=utf-8")],
        text,
    )
        .into_response())
}

async fn render_ics(state: &AppState, scope: &FeedScope) -> Result<String, ApiError> {
    use icalendar::{Component, EventLike, EventStatus};
    let programs: HashMap<Uuid, String> =
        all_pages(|page| state.store.list_programs(scope.client_id, page))
            .await?
            .into_iter()
            .map(|p| (p.id, p.name))
            .collect();
    let suites: HashMap<Uuid, String> = all_pages(|page| state.store.list_suites(page))
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let mut calendar = icalendar::Calendar::new();
    calendar.name("suiteplan bookings");
    for status in [BookingStatus::Held, BookingStatus::Confirmed] {
        let filter = BookingFilter {
            suite_id: scope.suite_id,
            program_id: scope.program_id,
            status: Some(status),
            ..Default::default()
        };
        let bookings =
            all_pages(|page| state.store.list_bookings(&filter, scope.client_id, page)).await?;
        for b in &bookings {
            let program = programs
                .get(&b.program_id)
                .map(String::as_str)
                .unwrap_or("program");
            let suite = suites
                .get(&b.suite_id)
                .map(String::as_str)
                .unwrap_or("suite");
            let mut event = icalendar::Event::new();
            event
                .uid(&format!("{}@suiteplan", b.id))
                .summary(&format!("{program} — {suite} line {}", b.line))
                .starts(b.start)
                .ends(b.end)
                .timestamp(b.created_at)
                .status(if status == BookingStatus::Held {
                    EventStatus::Tentative
                } else {
                    EventStatus::Confirmed
                });
            if let Some(note) = &b.note {
                event.description(note);
            }
            calendar.push(event.done());
        }
    }
    Ok(calendar.done().to_string())
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
struct AvailabilityQuery {
    from: NaiveDate,
    to: NaiveDate,
    /// Comma-separated capabilities the suite must have.
    capabilities: Option<String>,
    /// A, B, C or D: the suite must be at least this clean.
    min_grade: Option<String>,
    /// Shortest window to report, in days (default 1).
    days: Option<i64>,
}

/// Maximal free windows per line, clipped to `[from, to)`. Reveals nothing about who holds what.
#[utoipa::path(get, path = "/v1/availability", tag = "bookings", params(AvailabilityQuery),
    responses((status = 200, body = ListOf<Window>), (status = 422, body = super::error::Problem)))]
async fn availability(
    State(state): State<AppState>,
    _auth: Auth,
    ApiQuery(q): ApiQuery<AvailabilityQuery>,
) -> Result<Json<ListOf<Window>>, ApiError> {
    if q.to <= q.from {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    if (q.to - q.from).num_days() > 3 * 366 {
        return Err(ApiError::invalid("to", "a span of at most 3 years"));
    }
    let days = q.days.unwrap_or(1);
    if !(1..=3 * 366).contains(&days) {
        return Err(ApiError::invalid("days", "must be between 1 and 1098"));
    }
    let min_grade = match q.min_grade.as_deref() {
        None => None,
        Some(g) => Some(
            crate::domain::Grade::parse(g)
                .ok_or_else(|| ApiError::invalid("min_grade", "must be A, B, C or D"))?,
        ),
    };
    let wanted: Vec<&str> = q
        .capabilities
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let cal = state.store.calendar(q.from, q.to).await?;
    let mut items = Vec::new();
    for suite in &cal.suites {
        if !wanted
            .iter()
            .all(|w| suite.capabilities.iter().any(|c| c == w))
        {
            continue;
        }
        if min_grade.is_some_and(|g| !suite.grade.satisfies(g)) {
            continue;
        }
        for line in 1..=suite.lines {
            let mut busy: Vec<(NaiveDate, NaiveDate)> =
                vec![(NaiveDate::MIN, suite.available_from)];
            if let Some(to) = suite.available_to {
                busy.push((to, NaiveDate::MAX));
            }
            busy.extend(
                cal.closures
                    .iter()
                    .filter(|c| {
                        c.suite_id == suite.id
                            && c.lines.as_ref().is_none_or(|ls| ls.contains(&line))
                    })
                    .map(|c| (c.start, c.end)),
            );
            busy.extend(
                cal.bookings
                    .iter()
                    .filter(|b| b.suite_id == suite.id && b.line == line)
                    .map(|b| (b.start, b.end)),
            );
            items.extend(
                free_windows(q.from, q.to, busy, days)
                    .into_iter()
                    .map(|(start, end)| Window {
                        suite_id: suite.id,
                        line,
                        start,
                        end,
                    }),
            );
        }
    }
    Ok(Json(ListOf {
        items,
        next_cursor: None,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct NewFeed {
    #[serde(default)]
    suite_id: Option<Uuid>,
    #[serde(default)]
    program_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
struct CreatedFeed {
    id: Uuid,
    /// Read-only, revocable; anyone with it sees what its creator would see.
    url: String,
}

/// A read-only calendar URL for calendar programs, scoped like its creator.
#[utoipa::path(post, path = "/v1/calendar-feeds", tag = "bookings", request_body = NewFeed,
    responses((status = 201, body = CreatedFeed)))]
async fn create_feed(
    State(state): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<CreatedFeed>), ApiError> {
    let input: NewFeed = parse_json_body(&body)?;
    let token = crate::domain::generate_token();
    let token_hash = hash_key(&token);
    let id = retry_busy(&state, || {
        state
            .store
            .create_feed(&actor, input.suite_id, input.program_id, &token_hash)
    })
    .await?;
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    Ok((
        StatusCode::CREATED,
        Json(CreatedFeed {
            id,
            url: format!("http://{host}/feeds/{token}.ics"),
        }),
    ))
}

#[utoipa::path(delete, path = "/v1/calendar-feeds/{id}", tag = "bookings", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
async fn revoke_feed(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    retry_busy(&state, || state.store.revoke_feed(&actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn feed(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Result<Response, ApiError> {
    let token = token.strip_suffix(".ics").unwrap_or(&token);
    let scope = state
        .store
        .feed_scope(&hash_key(token))
        .await?
        .ok_or(ApiError::NotFound)?;
    ics_response(&state, &scope).await
}
