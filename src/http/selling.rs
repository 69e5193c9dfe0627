//! Selling capacity: rate cards, earliest-date quotes (and holding them in one step), whole-suite
//! rentals, and the queue of every program's next free date.

use super::bookings::{for_program, rules, scrub};
use super::{list::*, ApiError, ApiJson, ApiPath, ApiQuery, Auth, Staff};
use crate::app::AppState;
use crate::domain::calendar::AvailabilityQuery;
use crate::domain::{
    earliest_slots, Actor, Booking, BookingKind, BookingStatus, NewBooking, NewQuote, Price,
    Program, Quote, QuoteSlot, QuoteStatus, RateCard, RateCardUsed, Role, SiteRateCard, Suite,
    QUOTE_HORIZON_DAYS,
};
use crate::store::StoreError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_rate_card, put_rate_card))
        .routes(routes!(create_quote, list_quotes))
        .routes(routes!(get_quote))
        .routes(routes!(accept_quote))
        .routes(routes!(create_rental))
        .routes(routes!(list_next_dates))
}

/// A site's rate card (staff). 404 when the site has none yet.
#[utoipa::path(get, path = "/v1/sites/{id}/rate-card", tag = "selling", params(("id" = Uuid, Path)),
    responses((status = 200, body = SiteRateCard), (status = 404, body = super::error::Problem)))]
async fn get_rate_card(
    State(state): State<AppState>,
    Staff(_actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<SiteRateCard>, ApiError> {
    Ok(Json(
        state
            .store
            .get_rate_card(id)
            .await?
            .ok_or(ApiError::NotFound)?,
    ))
}

/// Set a site's rate card (staff): line-day rates by suite, capability class and grade, and
/// kind; consumables per batch by program; one currency. Amounts are decimal strings. Quotes
/// made before keep their prices; new quotes use the new card.
#[utoipa::path(put, path = "/v1/sites/{id}/rate-card", tag = "selling", params(("id" = Uuid, Path)),
    request_body = RateCard,
    responses((status = 200, body = SiteRateCard), (status = 404, body = super::error::Problem),
        (status = 422, body = super::error::Problem)))]
async fn put_rate_card(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(card): ApiJson<RateCard>,
) -> Result<Json<SiteRateCard>, ApiError> {
    Ok(Json(set_rate_card(&state, &actor, id, card).await?))
}

/// A site's new rate card with the rules of `PUT /v1/sites/{id}/rate-card`.
pub(crate) async fn set_rate_card(
    state: &AppState,
    actor: &Actor,
    site: Uuid,
    card: RateCard,
) -> Result<SiteRateCard, ApiError> {
    let card = card.validate()?;
    let actor = &actor;
    Ok(state
        .write(|store| store.put_rate_card(actor, site, &card))
        .await?)
}

/// Ask when N batches can be made and at what price. A client asks for its own programs; staff
/// for any, or for a prospective program described inline (`program`). The slots are the
/// earliest the calendar allows now — bookings and holds, closures, lines dedicated to other
/// clients, segregated suites, the site's pools — and the price is the sites' rate cards'.
/// The quote can be held, all of it, with `POST /v1/quotes/{id}/accept` until `expires_at`.
#[utoipa::path(post, path = "/v1/quotes", tag = "selling", request_body = NewQuote,
    responses((status = 201, body = Quote),
        (status = 422, description = "Invalid input, an unknown program, or fewer free slots \
            than batches within three years of `from` (`/batches`).",
            body = super::error::Problem)))]
async fn create_quote(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(input): ApiJson<NewQuote>,
) -> Result<(StatusCode, Json<Quote>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(quote(&state, &actor, input).await?),
    ))
}

/// A quote made and kept with the rules of `POST /v1/quotes`.
pub(crate) async fn quote(
    state: &AppState,
    actor: &Actor,
    input: NewQuote,
) -> Result<Quote, ApiError> {
    let input = input.validate(actor.is_staff())?;
    let quote = make_quote(state, actor, &input).await?;
    state
        .write(|store| store.create_quote(actor, &quote))
        .await?;
    Ok(quote)
}

/// Who a quote is for: a stored program, or a prospective one.
struct Asker {
    program: Option<Program>,
    name: String,
    len: i64,
}

/// The last day (exclusive) a quote from `from` looks at.
fn quote_horizon(from: NaiveDate) -> Result<NaiveDate, ApiError> {
    from.checked_add_days(Days::new(QUOTE_HORIZON_DAYS))
        .ok_or_else(|| ApiError::invalid("/from", "too far in the future"))
}

/// The quote for `input` as the calendar stands (not stored).
async fn make_quote(state: &AppState, actor: &Actor, input: &NewQuote) -> Result<Quote, ApiError> {
    let horizon = quote_horizon(input.from)?;
    let occupancy = state.store.occupancy(input.from, horizon).await?;
    quote_on(state, actor, input, &occupancy).await
}

/// The quote for `input` on the calendar `occupancy` (read from `input.from` over
/// [`QUOTE_HORIZON_DAYS`]).
async fn quote_on(
    state: &AppState,
    actor: &Actor,
    input: &NewQuote,
    occupancy: &crate::store::Occupancy,
) -> Result<Quote, ApiError> {
    let horizon = quote_horizon(input.from)?;
    let kind = input.kind.unwrap_or_default();
    let mut query = AvailabilityQuery {
        from: input.from,
        to: horizon,
        min_days: 1,
        capabilities: Vec::new(),
        min_grade: None,
        allowed_suites: None,
        pool_blocked: Default::default(),
        // A prospective client: every dedicated line is another client's, and it shares a
        // segregated suite with nobody.
        client: Some(Uuid::nil()),
        program: Some(Uuid::nil()),
    };
    let (asker, pools) = match (&input.program_id, &input.program) {
        (Some(id), _) => {
            let program = match state.store.get_program(*id, actor.scope()).await {
                Err(StoreError::NotFound) => {
                    return Err(ApiError::invalid("/program_id", "unknown program"))
                }
                other => other?,
            };
            let pools = for_program(state, &mut query, &program, &occupancy.suites).await?;
            let len = i64::from(program.batch_days) + i64::from(program.changeover_days);
            let name = program.name.clone();
            (
                Asker {
                    program: Some(program),
                    name,
                    len,
                },
                Some(pools),
            )
        }
        (None, Some(p)) => {
            query.capabilities = p.required_capabilities.clone();
            query.min_grade = Some(p.min_grade);
            query.allowed_suites = p.allowed_suite_ids.clone();
            (
                Asker {
                    program: None,
                    name: p.name.clone(),
                    len: p.batch_days + p.changeover_days,
                },
                None,
            )
        }
        (None, None) => return Err(ApiError::invalid("/program_id", "name a program")),
    };
    let n = usize::try_from(input.batches).unwrap_or(0);
    let site_of: BTreeMap<Uuid, Uuid> =
        occupancy.suites.iter().map(|s| (s.id, s.site_id)).collect();
    let found = earliest_slots(
        &query,
        asker.len,
        n,
        &occupancy.view(),
        |found| match &pools {
            Some(pools) => pools.blocked(
                &found
                    .iter()
                    .filter_map(|f| site_of.get(&f.suite_id).map(|site| (*site, f.start)))
                    .collect::<Vec<_>>(),
            ),
            None => Default::default(),
        },
    );
    if found.len() < n {
        return Err(ApiError::invalid(
            "/batches",
            format!(
                "only {} of {n} batches of {} days fit in the suites {} may use before {horizon}",
                found.len(),
                asker.len,
                asker.name
            ),
        ));
    }
    let suites: BTreeMap<Uuid, &Suite> = occupancy.suites.iter().map(|s| (s.id, s)).collect();
    let mut cards: BTreeMap<Uuid, Option<SiteRateCard>> = BTreeMap::new();
    let mut slots = Vec::with_capacity(found.len());
    let mut unpriced: Option<String> = None;
    for f in &found {
        let suite = suites
            .get(&f.suite_id)
            .ok_or_else(|| ApiError::Internal("a quoted suite vanished".into()))?;
        if let std::collections::btree_map::Entry::Vacant(e) = cards.entry(suite.site_id) {
            e.insert(state.store.get_rate_card(suite.site_id).await?);
        }
        let price = match cards.get(&suite.site_id).and_then(Option::as_ref) {
            None => {
                unpriced.get_or_insert_with(|| {
                    format!("the site of suite {} has no rate card", suite.name)
                });
                None
            }
            Some(card) => match card.card.price(
                suite,
                asker.program.as_ref().map(|p| p.id),
                kind,
                (f.end - f.start).num_days(),
            ) {
                Ok(p) => Some(p),
                Err(why) => {
                    unpriced.get_or_insert(why);
                    None
                }
            },
        };
        slots.push(QuoteSlot {
            suite_id: f.suite_id,
            suite_name: suite.name.clone(),
            line: f.line,
            start: f.start,
            end: f.end,
            price,
        });
    }
    let price = if unpriced.is_none() {
        let total = Price::sum(slots.iter().filter_map(|s| s.price.as_ref()));
        if total.is_none() && !slots.is_empty() {
            unpriced = Some("the slots are priced in more than one currency".into());
        }
        total
    } else {
        None
    };
    slots.sort_by_key(|s| (s.start, s.suite_name.clone(), s.line));
    let finishes_on = slots.iter().map(|s| s.end).max().unwrap_or(input.from);
    let now = Utc::now();
    let hours = state.settings.quotes.valid_hours;
    Ok(Quote {
        id: Uuid::now_v7(),
        program_id: asker.program.as_ref().map(|p| p.id),
        program_name: asker.name,
        client_id: asker.program.as_ref().map(|p| p.client_id),
        kind,
        batches: input.batches,
        from: input.from,
        by: input.by,
        slots,
        finishes_on,
        meets_by: input.by.map(|by| finishes_on <= by),
        price,
        unpriced,
        rate_cards: cards
            .iter()
            .filter_map(|(site, c)| {
                c.as_ref().map(|c| RateCardUsed {
                    site_id: *site,
                    version: c.version,
                })
            })
            .collect(),
        status: QuoteStatus::Open,
        created_at: now,
        expires_at: now + chrono::Duration::hours(hours),
        accepted_at: None,
        booking_ids: Vec::new(),
    })
}

/// Quotes, newest first: a client's own, or (staff) all.
#[utoipa::path(get, path = "/v1/quotes", tag = "selling", params(ListQuery),
    responses((status = 200, body = ListOf<Quote>)))]
async fn list_quotes(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<Quote>>, ApiError> {
    Ok(Json(
        state
            .store
            .list_quotes(actor.scope(), q.page()?)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/v1/quotes/{id}", tag = "selling", params(("id" = Uuid, Path)),
    responses((status = 200, body = Quote), (status = 404, body = super::error::Problem)))]
async fn get_quote(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Quote>, ApiError> {
    Ok(Json(state.store.get_quote(id, actor.scope()).await?))
}

/// A quote held: its bookings.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct AcceptedQuote {
    pub(crate) quote: Quote,
    pub(crate) bookings: Vec<Booking>,
}

/// Hold every slot of an open quote, in one step: all the slots become holds, or none does
/// (409 saying which slot is no longer free and what took it). A quote is accepted once.
#[utoipa::path(post, path = "/v1/quotes/{id}/accept", tag = "selling", params(("id" = Uuid, Path)),
    responses((status = 201, body = AcceptedQuote),
        (status = 404, body = super::error::Problem),
        (status = 409, description = "A slot was taken since the quote was made \
            (`/problems/overlap`, with `conflicts`; nothing was held), a pool is short \
            (`/problems/pool-capacity`), or the quote is accepted, expired or for a \
            prospective program (`/problems/state`).", body = super::error::Problem),
        (status = 422, description = "The holds would pass the client's hold limits.",
            body = super::error::Problem)))]
async fn accept_quote(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<(StatusCode, Json<AcceptedQuote>), ApiError> {
    Ok((StatusCode::CREATED, Json(accept(&state, &actor, id).await?)))
}

/// A quote accepted with the rules of `POST /v1/quotes/{id}/accept`.
pub(crate) async fn accept(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
) -> Result<AcceptedQuote, ApiError> {
    let quote = state.store.get_quote(id, actor.scope()).await?;
    match quote.status {
        QuoteStatus::Open => {}
        QuoteStatus::Accepted => {
            return Err(ApiError::State("the quote was accepted already".into()))
        }
        QuoteStatus::Expired => {
            return Err(ApiError::State(format!(
                "the quote expired at {}; ask for a new one",
                quote.expires_at.format("%Y-%m-%d %H:%M UTC")
            )))
        }
    }
    let Some(program_id) = quote.program_id else {
        return Err(ApiError::State(
            "a quote for a prospective program cannot be held: create the program, then ask \
             again"
                .into(),
        ));
    };
    let rules = rules(state);
    let client = actor.role == Role::Client;
    let mut rows = Vec::with_capacity(quote.slots.len());
    let prices: Vec<Option<Price>> = quote.slots.iter().map(|s| s.price.clone()).collect();
    for s in &quote.slots {
        let row = NewBooking {
            program_id,
            suite_id: s.suite_id,
            line: Some(i64::from(s.line)),
            start: s.start,
            end: s.end,
            status: BookingStatus::Held,
            kind: quote.kind,
            hold_expires_at: None,
            note: Some(format!("quote {}", quote.id)),
        };
        rows.push(row.validate(&rules, client)?);
    }
    let outcome = state
        .write(|store| store.accept_quote(actor, id, &rows, &prices, &rules))
        .await?;
    match outcome {
        Ok(bookings) => Ok(AcceptedQuote {
            quote: state.store.get_quote(id, actor.scope()).await?,
            bookings,
        }),
        Err(refused) => {
            let slot = quote.slots.get(refused.index);
            Err(slot_refused(
                scrub(ApiError::from(refused.error), actor),
                &format!(
                    "nothing was held: slot {} ({} line {} from {})",
                    refused.index + 1,
                    slot.map_or("", |s| s.suite_name.as_str()),
                    slot.map_or(0, |s| s.line),
                    slot.map_or(String::new(), |s| s.start.to_string()),
                ),
            ))
        }
    }
}

/// The store's refusal of one of several bookings, its detail prefixed with which one.
fn slot_refused(error: ApiError, which: &str) -> ApiError {
    match error {
        ApiError::Conflict {
            problem,
            detail,
            conflicts,
        } => ApiError::Conflict {
            problem,
            detail: format!("{which}: {detail}"),
            conflicts,
        },
        ApiError::Validation(mut errors) => {
            for e in &mut errors.0 {
                e.message = format!("{which}: {}", e.message);
            }
            ApiError::Validation(errors)
        }
        other => other,
    }
}

/// The body of `POST /v1/rentals`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewRental {
    pub(crate) suite_id: Uuid,
    /// The renting client's program the rental is booked under (its calendar, its invoices).
    pub(crate) program_id: Uuid,
    #[serde(deserialize_with = "crate::domain::dates::date")]
    #[schema(value_type = crate::domain::schema::Day)]
    pub(crate) start: NaiveDate,
    #[serde(deserialize_with = "crate::domain::dates::date")]
    #[schema(value_type = crate::domain::schema::Day)]
    pub(crate) end: NaiveDate,
    /// `confirmed` (default) or `held`.
    #[serde(default = "confirmed")]
    #[schema(value_type = crate::domain::schema::RequestedStatus)]
    pub(crate) status: BookingStatus,
    #[serde(default, deserialize_with = "crate::domain::dates::opt_instant")]
    #[schema(value_type = Option<crate::domain::schema::Instant>)]
    pub(crate) hold_expires_at: Option<chrono::DateTime<Utc>>,
    #[serde(default)]
    #[schema(value_type = Option<crate::domain::schema::Note>)]
    pub(crate) note: Option<String>,
    /// `false` (default): the lines are booked as kind `rental` and serve no demand. `true`:
    /// the client has chosen `program_id` to serve — each line is booked as one of its GMP
    /// batches (serving one batch of the month it starts in, as any booking does).
    #[serde(default)]
    pub(crate) serve_demand: bool,
}

fn confirmed() -> BookingStatus {
    BookingStatus::Confirmed
}

/// A suite rented whole.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Rental {
    /// One booking (kind `rental`) per line, in line order.
    pub(crate) bookings: Vec<Booking>,
    /// What the rental costs under the site's rate card (null without one).
    pub(crate) price: Option<Price>,
}

/// Rent a whole suite to a client (staff): every line over `[start, end)` in one step, as
/// bookings of kind `rental` (they occupy the lines and serve no demand) — or, with
/// `serve_demand`, as GMP batches of the chosen program (each serving one batch of its start
/// month). Refused if any line is taken or closed: 409 listing every conflict on every line;
/// nothing is booked.
#[utoipa::path(post, path = "/v1/rentals", tag = "selling", request_body = NewRental,
    responses((status = 201, body = Rental),
        (status = 409, description = "Some line is taken, closed or dedicated to another \
            client over the period (`/problems/overlap`, with every conflict).",
            body = super::error::Problem),
        (status = 422, body = super::error::Problem)))]
async fn create_rental(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiJson(input): ApiJson<NewRental>,
) -> Result<(StatusCode, Json<Rental>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(rent(&state, &actor, input).await?),
    ))
}

/// A rental with the rules of `POST /v1/rentals` (staff; the caller checks the role).
pub(crate) async fn rent(
    state: &AppState,
    actor: &Actor,
    input: NewRental,
) -> Result<Rental, ApiError> {
    let suite = match state.store.get_suite(input.suite_id).await {
        Err(StoreError::NotFound) => return Err(ApiError::invalid("/suite_id", "unknown suite")),
        other => other?,
    };
    let rules = rules(state);
    let kind = if input.serve_demand {
        BookingKind::GmpBatch
    } else {
        BookingKind::Rental
    };
    let mut rows = Vec::new();
    for line in 1..=i64::from(suite.lines) {
        let row = NewBooking {
            program_id: input.program_id,
            suite_id: suite.id,
            line: Some(line),
            start: input.start,
            end: input.end,
            status: input.status,
            kind,
            hold_expires_at: input.hold_expires_at,
            note: input.note.clone(),
        };
        rows.push(row.validate(&rules, false)?);
    }
    let outcome = state
        .write(|store| store.book_all(actor, &rows, &rules))
        .await?;
    let bookings = match outcome {
        Ok(bookings) => bookings,
        Err(refused) => {
            // Every line's conflicts, not only the first refused line's: each line is decided
            // alone (nothing is written) and what stands on it listed.
            let mut conflicts = Vec::new();
            if matches!(refused.error, StoreError::Conflict(_)) {
                for row in &rows {
                    if let Err(r) = state
                        .store
                        .import_bookings(actor, std::slice::from_ref(row), &rules, true)
                        .await?
                    {
                        if let StoreError::Conflict(items) = r.error {
                            conflicts.extend(items);
                        }
                    }
                }
            }
            if conflicts.is_empty() {
                return Err(ApiError::from(refused.error));
            }
            conflicts.sort_by_key(|c| (c.line, c.start));
            conflicts.dedup();
            return Err(ApiError::Conflict {
                problem: "overlap",
                detail: format!(
                    "suite {} cannot be rented whole from {} to {}: {} conflicts on its lines; \
                     nothing was booked",
                    suite.name,
                    input.start,
                    input.end,
                    conflicts.len()
                ),
                conflicts,
            });
        }
    };
    // Each booking is priced as it was made (its kind's rate at the site).
    let price = if bookings.iter().all(|b| b.price.is_some()) {
        Price::sum(bookings.iter().filter_map(|b| b.price.as_ref()))
    } else {
        None
    };
    Ok(Rental { bookings, price })
}

/// One program's next free date.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct NextDate {
    pub(crate) program_id: Uuid,
    pub(crate) program_name: String,
    pub(crate) client_id: Uuid,
    /// Where and when its next batch could start (null: nothing free within three years).
    pub(crate) slot: Option<QuoteSlot>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct NextDatesQuery {
    /// From this day (default today).
    #[serde(default, deserialize_with = "crate::domain::dates::opt_date")]
    #[param(value_type = Option<crate::domain::schema::Day>)]
    from: Option<NaiveDate>,
}

/// The queue at a glance (staff): every program's earliest free slot for one batch, as a
/// one-batch quote would find it (not stored).
#[utoipa::path(get, path = "/v1/next-dates", tag = "selling", params(NextDatesQuery),
    responses((status = 200, body = ListOf<NextDate>),
        (status = 422, description = "`from` too far in the future.", body = super::error::Problem)))]
async fn list_next_dates(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiQuery(q): ApiQuery<NextDatesQuery>,
) -> Result<Json<ListOf<NextDate>>, ApiError> {
    let from = q.from.unwrap_or_else(|| Utc::now().date_naive());
    Ok(Json(ListOf {
        items: queue(&state, &actor, from).await?,
        next_cursor: None,
    }))
}

/// Every program's next free date (the queue page and `GET /v1/next-dates`).
pub(crate) async fn queue(
    state: &AppState,
    actor: &Actor,
    from: NaiveDate,
) -> Result<Vec<NextDate>, ApiError> {
    let programs =
        crate::store::all_pages(|page| state.store.list_programs(actor.scope(), page)).await?;
    // One read of the calendar for every program's one-batch quote.
    let occupancy = state.store.occupancy(from, quote_horizon(from)?).await?;
    let mut out = Vec::with_capacity(programs.len());
    for p in programs {
        let input = NewQuote {
            program_id: Some(p.id),
            program: None,
            batches: 1,
            from,
            by: None,
            kind: None,
        };
        let slot = match quote_on(state, actor, &input, &occupancy).await {
            Ok(q) => q.slots.into_iter().next(),
            Err(ApiError::Validation(_)) => None,
            Err(e) => return Err(e),
        };
        out.push(NextDate {
            program_id: p.id,
            program_name: p.name,
            client_id: p.client_id,
            slot,
        });
    }
    out.sort_by_key(|d| (d.slot.as_ref().map(|s| s.start), d.program_name.clone()));
    Ok(out)
}
