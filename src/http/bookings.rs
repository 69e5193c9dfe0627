//! Bookings, availability and calendar feeds (docs/api-guide.md).

use super::idempotency::{idempotent, IdempotencyKey};
use super::{list::*, ApiError, ApiJson, ApiPath, ApiQuery, Auth, Staff};
use crate::app::AppState;
use crate::domain::calendar as cal;
use crate::domain::schema;
use crate::domain::{
    hash_key, Actor, Booking, BookingRules, BookingStatus, HoldExtension, NewBooking, Role, Window,
};
use crate::store::{all_pages, BookingFilter, FeedScope};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_booking, list_bookings))
        .routes(routes!(get_booking))
        .routes(routes!(confirm_booking))
        .routes(routes!(cancel_booking))
        .routes(routes!(extend_hold))
        .routes(routes!(bookings_ics))
        .routes(routes!(availability))
        .routes(routes!(create_feed))
        .routes(routes!(revoke_feed))
}

/// The public, key-less feed route (calendar programs cannot send a bearer key).
pub fn feed_router() -> axum::Router<AppState> {
    axum::Router::new().route("/feeds/{token}", axum::routing::get(feed))
}

pub(super) fn rules(state: &AppState) -> BookingRules {
    state.settings.bookings.rules()
}

/// Media fills and maintenance are the CDMO's own: a client may not book them, directly or by
/// accepting a suggestion.
pub(super) fn may_book(kind: crate::domain::BookingKind, client: bool) -> Result<(), ApiError> {
    if client && kind.cdmo_only() {
        return Err(ApiError::Forbidden(format!(
            "/kind: {} is the CDMO's own activity; planners book it",
            kind.as_str()
        )));
    }
    Ok(())
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
        ApiError::PoolShort(days) if !actor.is_staff() => {
            let mut days: Vec<_> = days.iter().map(|d| d.scrubbed()).collect();
            days.dedup();
            ApiError::PoolShort(days)
        }
        other => other,
    }
}

pub(super) fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(v).map_err(|e| ApiError::Internal(e.to_string()))
}

/// Book a line. `line: null` picks the lowest free line. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/v1/bookings", tag = "bookings", request_body = NewBooking,
    params(("Idempotency-Key" = Option<super::idempotency::IdempotencyKeyText>, Header, description = "Makes a retry safe: the same key with the same request replays the first answer (docs/api-guide.md, \"Idempotency\").")),
    responses((status = 201, body = Booking),
        (status = 403, description = "A client key asked for a confirmed booking, or for a \
            kind only planners book (`media_fill`, `maintenance`).", body = super::error::Problem),
        (status = 409, description = "The interval collides with held or confirmed bookings, \
            closures or the suite's qualification dates (`/problems/overlap`, with `conflicts`); \
            a staff, QC or equipment pool of the site has not enough left on some days \
            (`/problems/pool-capacity`, with `pool_conflicts`: the pool, its figures and the \
            bookings using it for staff, the days alone for a client); \
            or the same `Idempotency-Key` is still being processed \
            (`/problems/idempotency-in-flight`).", body = super::error::Problem),
        (status = 422, description = "Invalid input (`/problems/validation`), or the \
            `Idempotency-Key` was used with another request (`/problems/idempotency-mismatch`).",
            body = super::error::Problem)))]
async fn create_booking(
    State(state): State<AppState>,
    Auth(actor): Auth,
    key: IdempotencyKey,
    ApiJson(value): ApiJson<serde_json::Value>,
) -> Response {
    let key = key.of(&actor);
    let fingerprint = format!("POST /v1/bookings {value}");
    let st = state.clone();
    idempotent(&state, key, fingerprint, |key| async move {
        let input: NewBooking = super::from_json_value(value)?;
        let booking = book(&st, &actor, input, key.as_ref()).await?;
        Ok((StatusCode::CREATED, to_value(&booking)?))
    })
    .await
}

/// Books `input` for `actor` with every rule of `POST /v1/bookings` (clients: holds only, not
/// the CDMO's own kinds; shape and range checks; the booking path's conflicts, scrubbed for a
/// client): the API and the pages both book through here.
pub(crate) async fn book(
    state: &AppState,
    actor: &Actor,
    input: NewBooking,
    key: Option<&crate::store::IdemKey>,
) -> Result<Booking, ApiError> {
    let client = actor.role == Role::Client;
    if client && input.status != BookingStatus::Held {
        return Err(ApiError::Forbidden(
            "clients reserve slots as holds; the CDMO confirms them".into(),
        ));
    }
    may_book(input.kind, client)?;
    let rules = rules(state);
    let input = input.validate(&rules, client)?;
    state
        .write(|store| store.create_booking(actor, &input, &rules, key))
        .await
        .map_err(|e| scrub(e.into(), actor))
}

/// Move a live hold's expiry (planner): later to keep a slot while the client decides, or
/// earlier. `booking.held` is sent again with the new expiry, and `hold.expiring` warns again
/// before it.
#[utoipa::path(post, path = "/v1/bookings/{id}/extend", tag = "bookings", params(("id" = Uuid, Path)),
    request_body = HoldExtension,
    responses((status = 200, body = Booking),
        (status = 403, description = "A client key.", body = super::error::Problem),
        (status = 409, description = "The booking is not a live hold (`/problems/state`).",
            body = super::error::Problem),
        (status = 422, description = "The new expiry is missing or not in the future.",
            body = super::error::Problem)))]
async fn extend_hold(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<HoldExtension>,
) -> Result<Json<Booking>, ApiError> {
    Ok(Json(extend(&state, &actor, id, input).await?))
}

/// A live hold's new expiry, with the rules of `POST /v1/bookings/{id}/extend`.
pub(crate) async fn extend(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: HoldExtension,
) -> Result<Booking, ApiError> {
    let until = input.validate(&rules(state))?;
    Ok(state
        .write(|store| store.extend_hold(actor, id, until))
        .await?)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct BookingQuery {
    suite_id: Option<Uuid>,
    program_id: Option<Uuid>,
    client_id: Option<Uuid>,
    #[param(value_type = Option<BookingStatus>)]
    status: Option<String>,
    /// Only bookings of this kind.
    #[param(value_type = Option<crate::domain::BookingKindName>)]
    kind: Option<String>,
    /// Bookings overlapping `[from, to)`.
    #[serde(default, deserialize_with = "crate::domain::dates::opt_date")]
    #[param(value_type = Option<schema::Day>)]
    from: Option<NaiveDate>,
    /// After `from`.
    #[serde(default, deserialize_with = "crate::domain::dates::opt_date")]
    #[param(value_type = Option<schema::Day>)]
    to: Option<NaiveDate>,
    /// Page size: 1 to 1000, default 100 (anything else is 422).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    #[param(value_type = Option<Cursor>)]
    cursor: Option<String>,
}

impl BookingQuery {
    fn filter(&self) -> Result<BookingFilter, ApiError> {
        filter_of(
            BookingFilter {
                suite_id: self.suite_id,
                program_id: self.program_id,
                client_id: self.client_id,
                from: self.from,
                to: self.to,
                ..BookingFilter::default()
            },
            self.status.as_deref(),
            self.kind.as_deref(),
        )
    }
}

/// The bookings filter of `GET /v1/bookings` (and its export): `status` and `kind` parsed,
/// `to` after `from`, else 422 naming the parameter.
pub(crate) fn filter_of(
    ids_and_dates: BookingFilter,
    status: Option<&str>,
    kind: Option<&str>,
) -> Result<BookingFilter, ApiError> {
    let status = match status {
        None => None,
        Some(s) => Some(BookingStatus::parse(s).ok_or_else(|| {
            ApiError::invalid("status", "must be held, confirmed, cancelled or expired")
        })?),
    };
    let kind = match kind {
        None => None,
        Some(k) => Some(crate::domain::BookingKind::parse(k).ok_or_else(|| {
            ApiError::invalid(
                "kind",
                "must be gmp_batch, ppq, engineering_run, tech_transfer, media_fill, \
                 maintenance or rental",
            )
        })?),
    };
    if let (Some(f), Some(t)) = (ids_and_dates.from, ids_and_dates.to) {
        if t <= f {
            return Err(ApiError::invalid("to", "must be after from"));
        }
    }
    Ok(BookingFilter {
        status,
        kind,
        ..ids_and_dates
    })
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
#[utoipa::path(post, path = "/v1/bookings/{id}/confirm", tag = "bookings",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<super::idempotency::IdempotencyKeyText>, Header, description = "Makes a retry safe: the same key with the same request replays the first answer (docs/api-guide.md, \"Idempotency\").")),
    responses((status = 200, body = Booking),
        (status = 403, description = "A client key.", body = super::error::Problem),
        (status = 409, description = "The booking is cancelled or expired (`/problems/state`), \
            or the same `Idempotency-Key` is still being processed.", body = super::error::Problem)))]
async fn confirm_booking(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
    key: IdempotencyKey,
) -> Response {
    let key = key.of(&actor);
    let st = state.clone();
    idempotent(
        &state,
        key,
        format!("POST /v1/bookings/{id}/confirm"),
        |_| async move {
            let b = st.write(|store| store.confirm_booking(&actor, id)).await?;
            Ok((StatusCode::OK, to_value(&b)?))
        },
    )
    .await
}

/// Cancel a booking. Clients cancel their own holds, not confirmed bookings.
#[utoipa::path(post, path = "/v1/bookings/{id}/cancel", tag = "bookings",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<super::idempotency::IdempotencyKeyText>, Header, description = "Makes a retry safe: the same key with the same request replays the first answer (docs/api-guide.md, \"Idempotency\").")),
    responses((status = 200, body = Booking),
        (status = 403, description = "A client key cancelling a confirmed booking.",
            body = super::error::Problem),
        (status = 409, description = "The hold has expired (`/problems/state`), or the same \
            `Idempotency-Key` is still being processed.", body = super::error::Problem)))]
async fn cancel_booking(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<Uuid>,
    key: IdempotencyKey,
) -> Response {
    let key = key.of(&actor);
    let st = state.clone();
    idempotent(
        &state,
        key,
        format!("POST /v1/bookings/{id}/cancel"),
        |_| async move {
            let b = st.write(|store| store.cancel_booking(&actor, id)).await?;
            Ok((StatusCode::OK, to_value(&b)?))
        },
    )
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
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
                .summary(
                    &format!("{} — {suite} line {}", b.title(program), b.line).replace('\r', ""),
                )
                .starts(b.start)
                .ends(b.end)
                .timestamp(b.created_at)
                .status(if status == BookingStatus::Held {
                    EventStatus::Tentative
                } else {
                    EventStatus::Confirmed
                });
            if let Some(note) = &b.note {
                // Notes are refused with a carriage return at the API; one written before that
                // rule (or by hand) still never reaches the file as a bare CR.
                event.description(&note.replace('\r', ""));
            }
            calendar.push(event.done());
        }
    }
    Ok(calendar.done().to_string())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct AvailabilityQuery {
    #[serde(deserialize_with = "crate::domain::dates::date")]
    #[param(value_type = schema::Day)]
    pub(crate) from: NaiveDate,
    /// After `from`, at most 3 years (1098 days) later.
    #[serde(deserialize_with = "crate::domain::dates::date")]
    #[param(value_type = schema::Day)]
    pub(crate) to: NaiveDate,
    /// Comma-separated capabilities the suite must have.
    pub(crate) capabilities: Option<String>,
    /// The suite must be at least this clean.
    #[param(value_type = Option<schema::GradeName>)]
    pub(crate) min_grade: Option<String>,
    /// Shortest window to report, in days (default 1).
    #[param(minimum = 1, maximum = 1098)]
    pub(crate) days: Option<i64>,
    /// Windows for this program (a client's own): only suites it may use (its capabilities,
    /// grade and filed suites, on top of the filters above), and no day on which its site's
    /// staff, QC or equipment pools have too little left for its process.
    pub(crate) program_id: Option<Uuid>,
}

/// Maximal free windows per line, clipped to `[from, to)`. Reveals nothing about who holds what.
#[utoipa::path(get, path = "/v1/availability", tag = "bookings", params(AvailabilityQuery),
    responses((status = 200, body = ListOf<Window>), (status = 422, body = super::error::Problem)))]
async fn availability(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<AvailabilityQuery>,
) -> Result<Json<ListOf<Window>>, ApiError> {
    Ok(Json(ListOf {
        items: windows(&state, &actor, q).await?,
        next_cursor: None,
    }))
}

/// Free windows with the rules of `GET /v1/availability` (the API and the pages).
pub(crate) async fn windows(
    state: &AppState,
    actor: &Actor,
    q: AvailabilityQuery,
) -> Result<Vec<Window>, ApiError> {
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
    let mut query = cal::AvailabilityQuery {
        from: q.from,
        to: q.to,
        min_days: days,
        capabilities: q
            .capabilities
            .as_deref()
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(String::from)
            .collect(),
        min_grade,
        allowed_suites: None,
        pool_blocked: Default::default(),
        client: actor.scope(),
        program: None,
    };
    let occupancy = state.store.occupancy(q.from, q.to).await?;
    if let Some(id) = q.program_id {
        let program = match state.store.get_program(id, actor.scope()).await {
            Err(crate::store::StoreError::NotFound) => {
                return Err(ApiError::invalid("program_id", "unknown program"))
            }
            other => other?,
        };
        for_program(state, &mut query, &program, &occupancy.suites).await?;
    }
    let items = cal::availability(&query, &occupancy.view());
    Ok(items)
}

/// Narrows availability to what `program` may use: its capabilities and grade, its filed suites,
/// and the days its sites' pools leave room for its process.
pub(crate) async fn for_program(
    state: &AppState,
    query: &mut cal::AvailabilityQuery,
    program: &crate::domain::Program,
    suites: &[crate::domain::Suite],
) -> Result<SitePools, ApiError> {
    query
        .capabilities
        .extend(program.required_capabilities.iter().cloned());
    query.capabilities.sort();
    query.capabilities.dedup();
    query.min_grade = Some(match query.min_grade {
        Some(g) => g.min(program.min_grade),
        None => program.min_grade,
    });
    query.allowed_suites = program.allowed_suite_ids.clone();
    query.client = Some(program.client_id);
    query.program = Some(program.id);
    let pools = SitePools::read(
        state,
        &program.resource_profile,
        suites,
        query.from,
        query.to,
    )
    .await?;
    query.pool_blocked = pools.blocked(&[]);
    Ok(pools)
}

/// The pools of the sites of `suites` that serve a profile, with their users over a window:
/// what availability and quotes read once and then ask "which days are blocked?" of, with
/// batches of their own added.
pub(crate) struct SitePools {
    profile: Vec<crate::domain::ResourceNeed>,
    from: NaiveDate,
    to: NaiveDate,
    by_site:
        std::collections::BTreeMap<Uuid, (Vec<crate::domain::Pool>, Vec<crate::domain::PoolUser>)>,
}

impl SitePools {
    pub(crate) async fn read(
        state: &AppState,
        profile: &[crate::domain::ResourceNeed],
        suites: &[crate::domain::Suite],
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<SitePools, ApiError> {
        let mut out = SitePools {
            profile: profile.to_vec(),
            from,
            to,
            by_site: Default::default(),
        };
        if profile.is_empty() {
            return Ok(out);
        }
        // Every pool serving the profile, by site: one read, then the users of those sites only.
        let pools = crate::store::all_pages(|page| state.store.list_pools(None, page)).await?;
        let mut by_site: std::collections::BTreeMap<Uuid, Vec<crate::domain::Pool>> =
            Default::default();
        for pool in pools.into_iter().filter(|p| p.serves(profile)) {
            by_site.entry(pool.site_id).or_default().push(pool);
        }
        for (site, pools) in by_site {
            if !suites.iter().any(|s| s.site_id == site) {
                continue;
            }
            let users = state.store.pool_users(site, from, to).await?;
            out.by_site.insert(site, (pools, users));
        }
        Ok(out)
    }

    /// Per site, the days on which the pools have too little left for one more batch, with
    /// `extra` batches (site, start) counted as users too.
    pub(crate) fn blocked(
        &self,
        extra: &[(Uuid, NaiveDate)],
    ) -> std::collections::HashMap<Uuid, Vec<(NaiveDate, NaiveDate)>> {
        self.by_site
            .iter()
            .map(|(site, (pools, users))| {
                let mut users = users.clone();
                users.extend(extra.iter().filter(|(s, _)| s == site).map(|(_, start)| {
                    crate::domain::PoolUser {
                        booking_id: Uuid::nil(),
                        start: *start,
                        profile: self.profile.clone(),
                    }
                }));
                let blocked = crate::domain::pool_blocked_days(
                    pools,
                    &self.profile,
                    self.from,
                    self.to,
                    &users,
                );
                (*site, blocked)
            })
            .collect()
    }
}

/// What the feed shows: the creator's bookings, narrowed to a suite and/or a program.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewFeed {
    #[serde(default)]
    pub(crate) suite_id: Option<Uuid>,
    #[serde(default)]
    pub(crate) program_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedFeed {
    pub(crate) id: Uuid,
    /// Read-only, revocable; anyone with it sees what its creator would see.
    pub(crate) url: String,
}

/// A read-only calendar URL for calendar programs, scoped like its creator.
#[utoipa::path(post, path = "/v1/calendar-feeds", tag = "bookings", request_body = NewFeed,
    responses((status = 201, body = CreatedFeed)))]
async fn create_feed(
    State(state): State<AppState>,
    Auth(actor): Auth,
    headers: HeaderMap,
    ApiJson(input): ApiJson<NewFeed>,
) -> Result<(StatusCode, Json<CreatedFeed>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(new_feed(&state, &actor, &headers, input).await?),
    ))
}

/// A new feed URL (the token is in it, shown once) with the rules of `POST /v1/calendar-feeds`.
pub(crate) async fn new_feed(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    input: NewFeed,
) -> Result<CreatedFeed, ApiError> {
    let token = crate::domain::generate_token();
    let token_hash = hash_key(&token);
    let id = state
        .write(|store| store.create_feed(actor, input.suite_id, input.program_id, &token_hash))
        .await?;
    let public = state.settings.server.public_url.trim_end_matches('/');
    let base = if public.is_empty() {
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    } else {
        public.to_string()
    };
    Ok(CreatedFeed {
        id,
        url: format!("{base}/feeds/{token}.ics"),
    })
}

#[utoipa::path(delete, path = "/v1/calendar-feeds/{id}", tag = "bookings", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
async fn revoke_feed(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    state.write(|store| store.revoke_feed(&actor, id)).await?;
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
