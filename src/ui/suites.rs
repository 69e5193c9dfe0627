//! Suites and their closures (`/ui/suites`, staff): each suite's facts and closures, a form to
//! add a closure (a shutdown, a requalification) and a button to remove one. Closures go through
//! the API's own rules ([`crate::http::close`]): a closure over held or confirmed bookings is
//! refused with those bookings named, unless the planner forces it (the bookings then stay, and
//! a `closure.conflict` event lists them).

use super::error::PageError;
use super::forms::{all, check_post, one, text, Fields, Flash, Refusal};
use super::{csrf_field, user_page, PageUser};
use crate::app::AppState;
use crate::domain::{Closure, NewClosure, Suite};
use crate::store::all_pages;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use std::collections::HashMap;
use uuid::Uuid;

/// `GET /ui/suites`.
pub async fn page(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.staff_only()?;
    let flash = Flash::take(&state, &user).await?;
    render(&state, &user, flash.as_ref(), None).await
}

/// A refused closure form: the suite it was for, what was typed, and why.
struct Refused<'a> {
    suite_id: Uuid,
    fields: &'a Fields,
    refusal: Refusal,
}

async fn render(
    state: &AppState,
    user: &PageUser,
    flash: Option<&Flash>,
    refused: Option<Refused<'_>>,
) -> Result<Response, PageError> {
    let mut suites = all_pages(|page| state.store.list_suites(page)).await?;
    suites.sort_by(|a, b| a.name.cmp(&b.name));
    let sites: HashMap<Uuid, String> = all_pages(|page| state.store.list_sites(page))
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let programs: HashMap<Uuid, String> = all_pages(|page| state.store.list_programs(None, page))
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let names: HashMap<Uuid, &str> = programs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut closures: HashMap<Uuid, Vec<Closure>> = HashMap::new();
    for s in &suites {
        let mut list = all_pages(|page| state.store.list_closures(s.id, page)).await?;
        list.sort_by_key(|c| c.start);
        closures.insert(s.id, list);
    }
    let status = refused
        .as_ref()
        .map_or(StatusCode::OK, |r| r.refusal.status_code());
    let body = html! {
        (Flash::show(flash))
        p.note { "Closures take lines out of service (all lines when none are named); the end day is exclusive. A closure over held or confirmed bookings is refused with those bookings named, unless you force it: the bookings then stay and the client hears of the conflict." }
        @for s in &suites {
            @let here = refused.as_ref().filter(|r| r.suite_id == s.id);
            (suite_section(user, s, sites.get(&s.site_id).map_or("?", String::as_str), closures.get(&s.id).map_or(&[][..], Vec::as_slice), here, &names))
        }
    };
    Ok((status, user_page(user, "Suites and closures", None, body)).into_response())
}

fn suite_section(
    user: &PageUser,
    s: &Suite,
    site: &str,
    closures: &[Closure],
    refused: Option<&Refused>,
    names: &HashMap<Uuid, &str>,
) -> Markup {
    let value = |name: &str| {
        refused
            .and_then(|r| one(r.fields, name))
            .unwrap_or("")
            .to_string()
    };
    let err = |pointer: &str| refused.and_then(|r| r.refusal.field(pointer));
    let id = |name: &str| format!("{name}-{}", s.id);
    html! {
        h2 id=(format!("suite-{}", s.id)) { (s.name) }
        p.note {
            (site) " · grade " (s.grade.as_str()) " · " (s.lines) " line" @if s.lines != 1 { "s" }
            " · " (s.capabilities.join(", "))
            " · qualified from " (s.available_from)
            @if let Some(t) = s.available_to { " to " (t) }
        }
        @if closures.is_empty() {
            p.note { "No closures." }
        } @else {
            table {
                thead { tr { th { "from" } th { "to (exclusive)" } th { "lines" } th { "reason" } th { "action" } } }
                tbody {
                    @for c in closures {
                        tr {
                            td { (c.start) } td { (c.end) }
                            td { (c.lines.as_ref().map_or("all".to_string(), |ls| ls.iter().map(i32::to_string).collect::<Vec<_>>().join(", "))) }
                            td { (c.reason.as_deref().unwrap_or("")) }
                            td {
                                form.inline method="post" action=(format!("/ui/closures/{}/delete", c.id)) {
                                    (csrf_field(&user.csrf))
                                    button type="submit" aria-label=(format!("Remove the closure of {} from {} to {}", s.name, c.start, c.end)) { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(r) = refused {
            (r.refusal.alert(&["/start", "/end", "/reason", "/lines"], names))
        }
        form.card method="post" action=(format!("/ui/suites/{}/closures", s.id)) aria-label=(format!("Add a closure to {}", s.name)) {
            (csrf_field(&user.csrf))
            (super::forms::field("From", &id("start"), html! {
                input id=(id("start")) name="start" type="date" required value=(value("start"));
            }, err("/start")))
            (super::forms::field("To (exclusive)", &id("end"), html! {
                input id=(id("end")) name="end" type="date" required value=(value("end"));
            }, err("/end")))
            (super::forms::field("Lines (e.g. 1, 2; empty: all)", &id("lines"), html! {
                input id=(id("lines")) name="lines" type="text" inputmode="numeric" value=(value("lines"));
            }, err("/lines")))
            (super::forms::field("Reason", &id("reason"), html! {
                input id=(id("reason")) name="reason" type="text" required maxlength="500" value=(value("reason"));
            }, err("/reason")))
            div.field {
                label for=(id("force")) { "Keep bookings under it" }
                input id=(id("force")) name="force" type="checkbox" value="true" checked[value("force") == "true"];
            }
            button type="submit" { "Add closure" }
        }
    }
}

/// `POST /ui/suites/{id}/closures`.
pub async fn add_closure(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    user.staff_only()?;
    // "1, 2" → [1, 2]; a part that is not a whole number goes to the API as typed, which names it.
    let lines: Vec<serde_json::Value> = all(&fields, "lines")
        .iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.parse::<i64>().map_or_else(|_| v.into(), Into::into))
        .collect();
    let body = serde_json::json!({
        "start": text(&fields, "start"),
        "end": text(&fields, "end"),
        "reason": text(&fields, "reason"),
        "lines": if lines.is_empty() { serde_json::Value::Null } else { lines.into() },
        "force": one(&fields, "force") == Some("true"),
    });
    let actor = user.identity.actor(None);
    let outcome = match crate::http::from_json_value::<NewClosure>(body) {
        Ok(input) => crate::http::close(&state, &actor, id, input).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(c) => {
            let suite = state.store.get_suite(id).await?;
            Flash::notice(format!(
                "{} is closed from {} to {} (exclusive).",
                suite.name, c.start, c.end
            ))
            .leave(&state, &user)
            .await?;
            Ok(Redirect::to(&format!("/ui/suites#suite-{id}")).into_response())
        }
        Err(crate::http::ApiError::NotFound) => Err(PageError::not_found()),
        Err(e) => {
            let refused = Refused {
                suite_id: id,
                fields: &fields,
                refusal: Refusal::of(e)?,
            };
            render(&state, &user, None, Some(refused)).await
        }
    }
}

/// `POST /ui/closures/{id}/delete`.
pub async fn remove_closure(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    user.staff_only()?;
    let actor = user.identity.actor(None);
    state
        .write(|store| store.delete_closure(&actor, id))
        .await?;
    Flash::notice("The closure is removed.")
        .leave(&state, &user)
        .await?;
    Ok(Redirect::to("/ui/suites").into_response())
}
