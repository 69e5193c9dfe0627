//! Quotes on the pages: a client asks when its N batches can be made and at what price, sees the
//! slots and the price, and holds them all in one step (`/ui/quotes`, `/ui/quotes/{id}`); a
//! planner sees the queue, every program's next free date (`/ui/queue`). Everything goes
//! through the API's own rules ([`crate::http::quote`], [`crate::http::accept_quote`]).

use super::error::PageError;
use super::forms::{check_post, integer, one, text, Fields, Flash, Refusal};
use super::{csrf_field, user_page, PageUser};
use crate::app::AppState;
use crate::domain::{NewQuote, Price, Quote, QuoteStatus};
use crate::store::{all_pages, Page};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use std::collections::HashMap;
use uuid::Uuid;

/// "EUR 82,929.24"-style, without a locale: the currency code, then the amount as stored.
pub fn money(p: &Price) -> String {
    format!("{} {}", p.currency, p.total)
}

/// `GET /ui/quotes`.
pub async fn list(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    let flash = Flash::take(&state, &user).await?;
    render_list(&state, &user, flash.as_ref(), None).await
}

async fn render_list(
    state: &AppState,
    user: &PageUser,
    flash: Option<&Flash>,
    refused: Option<(&Fields, Refusal)>,
) -> Result<Response, PageError> {
    let scope = user.identity.client_id;
    let mut programs = all_pages(|page| state.store.list_programs(scope, page)).await?;
    programs.sort_by(|a, b| a.name.cmp(&b.name));
    let quotes = state
        .store
        .list_quotes(
            scope,
            Page {
                after: None,
                limit: 20,
            },
        )
        .await?
        .items;
    let value = |name: &str| {
        refused
            .as_ref()
            .and_then(|(f, _)| one(f, name))
            .map(str::to_string)
    };
    let err = |pointer: &str| {
        refused
            .as_ref()
            .and_then(|(_, r)| r.field(pointer).map(str::to_string))
    };
    let today = chrono::Utc::now().date_naive();
    let status = refused
        .as_ref()
        .map_or(StatusCode::OK, |(_, r)| r.status_code());
    let body = html! {
        (Flash::show(flash))
        p.note { "Ask when your batches can be made and at what price. The dates are the earliest free slots now, one batch after another, in the suites your program may use; the quote can be held, all of it, until it expires." }
        @if let Some((_, r)) = &refused {
            (r.alert(&["/program_id", "/batches", "/from", "/by"], &HashMap::new()))
        }
        form.card method="post" action="/ui/quotes" aria-label="Ask for a quote" {
            (csrf_field(&user.csrf))
            (super::forms::field("Program", "program_id", html! {
                select id="program_id" name="program_id" required {
                    @for p in &programs {
                        option value=(p.id) selected[value("program_id").as_deref() == Some(p.id.to_string().as_str())] { (p.name) }
                    }
                }
            }, err("/program_id").as_deref()))
            (super::forms::field("Batches", "batches", html! {
                input id="batches" name="batches" type="number" min="1" max="50" required value=(value("batches").unwrap_or_else(|| "1".into()));
            }, err("/batches").as_deref()))
            (super::forms::field("From", "from", html! {
                input id="from" name="from" type="date" required value=(value("from").unwrap_or_else(|| today.to_string()));
            }, err("/from").as_deref()))
            (super::forms::field("Needed by (optional)", "by", html! {
                input id="by" name="by" type="date" value=(value("by").unwrap_or_default());
            }, err("/by").as_deref()))
            button type="submit" { "Get dates and price" }
        }
        h2 { "Recent quotes" }
        @if quotes.is_empty() {
            p.note { "No quotes yet." }
        } @else {
            table {
                thead { tr { th { "program" } th { "batches" } th { "first start" } th { "last finishes" } th { "price" } th { "status" } } }
                tbody {
                    @for q in &quotes {
                        tr {
                            td { a href=(format!("/ui/quotes/{}", q.id)) { (q.program_name) } }
                            td { (q.batches) }
                            td { (q.slots.first().map(|s| s.start.to_string()).unwrap_or_default()) }
                            td { (q.finishes_on) }
                            td { (q.price.as_ref().map_or("not priced".to_string(), money)) }
                            td { (status_word(q.status)) }
                        }
                    }
                }
            }
        }
    };
    Ok((status, user_page(user, "Quotes", None, body)).into_response())
}

fn status_word(s: QuoteStatus) -> &'static str {
    match s {
        QuoteStatus::Open => "open",
        QuoteStatus::Accepted => "held",
        QuoteStatus::Expired => "expired",
    }
}

/// `POST /ui/quotes`.
pub async fn create(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    let by = text(&fields, "by");
    let body = serde_json::json!({
        "program_id": text(&fields, "program_id"),
        "batches": integer(&fields, "batches"),
        "from": text(&fields, "from"),
        "by": if by.as_str().is_some_and(|b| !b.is_empty()) { by } else { serde_json::Value::Null },
    });
    let actor = user.identity.actor(None);
    let outcome = match crate::http::from_json_value::<NewQuote>(body) {
        Ok(input) => crate::http::quote(&state, &actor, input).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(q) => Ok(Redirect::to(&format!("/ui/quotes/{}", q.id)).into_response()),
        Err(e) => render_list(&state, &user, None, Some((&fields, Refusal::of(e)?))).await,
    }
}

/// `GET /ui/quotes/{id}`.
pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let flash = Flash::take(&state, &user).await?;
    let quote = state.store.get_quote(id, user.identity.client_id).await?;
    Ok(render_quote(&user, &quote, flash.as_ref(), None).into_response())
}

fn render_quote(
    user: &PageUser,
    q: &Quote,
    flash: Option<&Flash>,
    refused: Option<Refusal>,
) -> (StatusCode, Markup) {
    let status = refused
        .as_ref()
        .map_or(StatusCode::OK, Refusal::status_code);
    let body = html! {
        (Flash::show(flash))
        @if let Some(r) = &refused { (r.alert(&[], &HashMap::new())) }
        p {
            strong { (q.batches) " " (q.kind.label()) @if q.batches != 1 { @if q.kind.label().ends_with("batch") { "es" } @else { "s" } } }
            " of " (q.program_name) " from " (q.from)
            ": the last finishes on " strong { (q.finishes_on) } "."
            @if let (Some(by), Some(met)) = (q.by, q.meets_by) {
                @if met { " That is by " (by) "." } @else { " That is " strong { "after" } " the " (by) " you asked for." }
            }
        }
        p {
            "Price: " strong { (q.price.as_ref().map_or("not priced".to_string(), money)) }
            @if let Some(p) = &q.price {
                " (suite time " (p.suite_time) ", consumables " (p.consumables)
                @if !p.other.is_zero() { ", other " (p.other) }
                ")"
            }
            @if let Some(why) = &q.unpriced { " — " (why) }
        }
        table {
            thead { tr { th { "#" } th { "suite" } th { "line" } th { "start" } th { "end (exclusive)" } th { "price" } } }
            tbody {
                @for (i, s) in q.slots.iter().enumerate() {
                    tr {
                        td { (i + 1) } td { (s.suite_name) } td { (s.line) }
                        td { (s.start) } td { (s.end) }
                        td { (s.price.as_ref().map_or("—".to_string(), money)) }
                    }
                }
            }
        }
        @match q.status {
            QuoteStatus::Open => {
                p.note { "Valid until " (q.expires_at.format("%Y-%m-%d %H:%M UTC")) ". Holding it books every slot as a hold, or none if one was taken meanwhile." }
                @if q.program_id.is_some() {
                    form method="post" action=(format!("/ui/quotes/{}/accept", q.id)) {
                        (csrf_field(&user.csrf))
                        button type="submit" { "Hold all " (q.slots.len()) " slots" }
                    }
                } @else {
                    p.note { "A quote for a prospective program cannot be held: create the program first." }
                }
            }
            QuoteStatus::Accepted => {
                p role="status" { "Held: " (q.booking_ids.len()) " holds were made from this quote." }
            }
            QuoteStatus::Expired => {
                p.note { "This quote expired; ask again for today's dates." }
            }
        }
        p { a href="/ui/quotes" { "All quotes" } }
    };
    (status, user_page(user, "Quote", None, body))
}

/// `POST /ui/quotes/{id}/accept`.
pub async fn accept(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    let actor = user.identity.actor(None);
    match crate::http::accept_quote(&state, &actor, id).await {
        Ok(done) => {
            Flash::notice(format!(
                "Held: {} slots of {} from {} to {}.",
                done.bookings.len(),
                done.quote.program_name,
                done.quote
                    .slots
                    .first()
                    .map(|s| s.start)
                    .unwrap_or(done.quote.from),
                done.quote.finishes_on
            ))
            .leave(&state, &user)
            .await?;
            Ok(Redirect::to(&format!("/ui/quotes/{id}")).into_response())
        }
        Err(crate::http::ApiError::NotFound) => Err(PageError::not_found()),
        Err(e) => {
            let refusal = Refusal::of(e)?;
            let quote = state.store.get_quote(id, user.identity.client_id).await?;
            Ok(render_quote(&user, &quote, None, Some(refusal)).into_response())
        }
    }
}

/// `GET /ui/queue` (staff): every program's next free date.
pub async fn queue(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.staff_only()?;
    let actor = user.identity.actor(None);
    let today = chrono::Utc::now().date_naive();
    let next = crate::http::next_dates(&state, &actor, today)
        .await
        .map_err(|e| PageError::from_cause(e.to_string()))?;
    let clients: HashMap<Uuid, String> = all_pages(|page| state.store.list_clients(None, page))
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let body = html! {
        p.note { "Where and when each program's next batch could start, as a one-batch quote finds it today: its suites, dedicated lines and segregation, the bookings and holds, closures and the site's pools." }
        table {
            thead { tr { th { "next free start" } th { "program" } th { "client" } th { "suite" } th { "line" } th { "wait (days)" } } }
            tbody {
                @for n in &next {
                    tr {
                        @if let Some(s) = &n.slot {
                            td { (s.start) }
                            td { a href=(format!("/ui/programs/{}", n.program_id)) { (n.program_name) } }
                            td { (clients.get(&n.client_id).map_or("?", String::as_str)) }
                            td { (s.suite_name) } td { (s.line) }
                            td { ((s.start - today).num_days()) }
                        } @else {
                            td { strong { "none within 3 years" } }
                            td { a href=(format!("/ui/programs/{}", n.program_id)) { (n.program_name) } }
                            td { (clients.get(&n.client_id).map_or("?", String::as_str)) }
                            td {} td {} td {}
                        }
                    }
                }
            }
        }
    };
    Ok(user_page(&user, "Queue: next free dates", None, body).into_response())
}
