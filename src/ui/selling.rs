//! Selling capacity on the pages (`/ui/selling`, staff): each site's rate card, and per suite its
//! segregation, its dedicated lines and a form to rent it whole. Every form goes through the
//! API's own rules ([`crate::http::set_rate_card`], [`crate::http::dedicate`],
//! [`crate::http::rent`], the suite patch): a refusal is the API's problem shown at the form.

use super::error::PageError;
use super::forms::{all, check_post, one, text, Fields, Flash, Refusal};
use super::{csrf_field, user_page, PageUser};
use crate::app::AppState;
use crate::domain::{BookingKind, Dedication, NewDedication, RateCard, Segregation, Site, Suite};
use crate::store::all_pages;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use std::collections::HashMap;
use uuid::Uuid;

/// Who may share a suite segregated `seg` on a day, in words.
fn sharers(seg: Segregation) -> &'static str {
    match seg {
        Segregation::Any => "anyone",
        Segregation::SameClient => "one client's programs at a time",
        Segregation::SameProgram => "one program at a time",
    }
}

/// Empty rows offered under a rate card's rates and consumables, to add new ones.
const BLANK_ROWS: usize = 3;

/// `GET /ui/selling`.
pub async fn page(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.staff_only()?;
    let flash = Flash::take(&state, &user).await?;
    render(&state, &user, flash.as_ref(), None).await
}

/// Which form a refusal belongs to, what was typed, and why.
struct Refused<'a> {
    form: String,
    fields: &'a Fields,
    refusal: Refusal,
}

async fn render(
    state: &AppState,
    user: &PageUser,
    flash: Option<&Flash>,
    refused: Option<Refused<'_>>,
) -> Result<Response, PageError> {
    let mut sites = all_pages(|page| state.store.list_sites(page)).await?;
    sites.sort_by(|a, b| a.name.cmp(&b.name));
    let mut suites = all_pages(|page| state.store.list_suites(page)).await?;
    suites.sort_by(|a, b| a.name.cmp(&b.name));
    let mut programs = all_pages(|page| state.store.list_programs(None, page)).await?;
    programs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut clients = all_pages(|page| state.store.list_clients(None, page)).await?;
    clients.sort_by(|a, b| a.name.cmp(&b.name));
    let client_names: HashMap<Uuid, &str> =
        clients.iter().map(|c| (c.id, c.name.as_str())).collect();
    let program_names: HashMap<Uuid, &str> =
        programs.iter().map(|p| (p.id, p.name.as_str())).collect();
    let dedications = state.store.list_dedications(None).await?;
    let mut cards = HashMap::new();
    for s in &sites {
        cards.insert(s.id, state.store.get_rate_card(s.id).await?);
    }
    let status = refused
        .as_ref()
        .map_or(StatusCode::OK, |r| r.refusal.status_code());
    let here = |form: &str| refused.as_ref().filter(|r| r.form == form);
    let body = html! {
        (Flash::show(flash))
        p.note { "Prices per line-day by suite, capability class and grade, and kind (the most specific rate applies), consumables per batch by program; who may share each suite; lines dedicated to one client; whole-suite rentals. Quotes made before a rate card changes keep their prices." }
        @for site in &sites {
            @let card = cards.get(&site.id).and_then(Option::as_ref).map(|c| &c.card);
            (rate_card_form(user, site, card, &suites, &programs, here(&format!("rates-{}", site.id))))
        }
        @for suite in suites.iter() {
            @let own: Vec<&Dedication> = dedications.iter().filter(|d| d.suite_id == suite.id).collect();
            (suite_section(user, suite, &own, &clients, &programs, &client_names, &program_names, &here))
        }
    };
    Ok((status, user_page(user, "Selling capacity", None, body)).into_response())
}

fn rate_card_form(
    user: &PageUser,
    site: &Site,
    card: Option<&RateCard>,
    suites: &[Suite],
    programs: &[crate::domain::Program],
    refused: Option<&Refused<'_>>,
) -> Markup {
    let typed = |name: &str| {
        refused
            .and_then(|r| one(r.fields, name))
            .map(str::to_string)
    };
    let err = |pointer: String| refused.and_then(|r| r.refusal.field(&pointer).map(str::to_string));
    let rates = card.map_or(0, |c| c.line_day.len());
    let consumables = card.map_or(0, |c| c.consumables.len());
    let suite_ids: Vec<&Suite> = suites.iter().filter(|s| s.site_id == site.id).collect();
    html! {
        h2 id=(format!("rates-{}", site.id)) { "Rate card: " (site.name) }
        @if let Some(r) = refused { (r.refusal.alert(&[], &HashMap::new())) }
        form.card method="post" action=(format!("/ui/sites/{}/rate-card", site.id)) aria-label=(format!("Rate card of {}", site.name)) {
            (csrf_field(&user.csrf))
            (super::forms::field("Currency", &format!("currency-{}", site.id), html! {
                input id=(format!("currency-{}", site.id)) name="currency" type="text" pattern="[A-Z]{3}" required
                    value=(typed("currency").unwrap_or_else(|| card.map_or("EUR".into(), |c| c.currency.clone())));
            }, err("/currency".into()).as_deref()))
            table {
                caption { "Line-day rates" }
                thead { tr { th { "suite" } th { "capabilities (class)" } th { "grade" } th { "kind" } th { "price per line-day" } } }
                tbody {
                    @for i in 0..rates + BLANK_ROWS {
                        @let r = card.and_then(|c| c.line_day.get(i));
                        @let v = |name: &str, stored: String| typed(&format!("{name}{i}")).unwrap_or(stored);
                        tr {
                            td {
                                select name=(format!("rate_suite{i}")) aria-label=(format!("Rate {} suite", i + 1)) {
                                    option value="" { "any" }
                                    @for s in &suite_ids {
                                        option value=(s.id) selected[v("rate_suite", r.and_then(|r| r.suite_id).map(|x| x.to_string()).unwrap_or_default()) == s.id.to_string()] { (s.name) }
                                    }
                                }
                            }
                            td { input name=(format!("rate_caps{i}")) type="text" aria-label=(format!("Rate {} capabilities", i + 1))
                                value=(v("rate_caps", r.and_then(|r| r.capabilities.as_ref()).map(|c| c.join(", ")).unwrap_or_default())); }
                            td {
                                select name=(format!("rate_grade{i}")) aria-label=(format!("Rate {} grade", i + 1)) {
                                    option value="" { "any" }
                                    @for g in ["A", "B", "C", "D"] {
                                        option value=(g) selected[v("rate_grade", r.and_then(|r| r.grade).map(|g| g.as_str().to_string()).unwrap_or_default()) == g] { (g) }
                                    }
                                }
                            }
                            td {
                                select name=(format!("rate_kind{i}")) aria-label=(format!("Rate {} kind", i + 1)) {
                                    option value="" { "every kind" }
                                    @for k in BookingKind::ALL {
                                        option value=(k.as_str()) selected[v("rate_kind", r.and_then(|r| r.kind).map(|k| k.as_str().to_string()).unwrap_or_default()) == k.as_str()] { (k.label()) }
                                    }
                                }
                            }
                            td {
                                input name=(format!("rate_price{i}")) type="text" inputmode="decimal" aria-label=(format!("Rate {} price", i + 1))
                                    value=(v("rate_price", r.map(|r| r.price.to_string()).unwrap_or_default()));
                                @if let Some(e) = err(format!("/line_day/{i}/price")) { span.field-error role="alert" { (e) } }
                            }
                        }
                    }
                }
            }
            table {
                caption { "Consumables per batch (passed through)" }
                thead { tr { th { "program" } th { "per batch" } } }
                tbody {
                    @for i in 0..consumables + BLANK_ROWS {
                        @let c = card.and_then(|c| c.consumables.get(i));
                        @let chosen = typed(&format!("cons_program{i}")).unwrap_or_else(|| c.map(|c| c.program_id.to_string()).unwrap_or_default());
                        tr {
                            td {
                                select name=(format!("cons_program{i}")) aria-label=(format!("Consumables {} program", i + 1)) {
                                    option value="" { "—" }
                                    @for p in programs {
                                        option value=(p.id) selected[chosen == p.id.to_string()] { (p.name) }
                                    }
                                }
                            }
                            td {
                                input name=(format!("cons_price{i}")) type="text" inputmode="decimal" aria-label=(format!("Consumables {} per batch", i + 1))
                                    value=(typed(&format!("cons_price{i}")).unwrap_or_else(|| c.map(|c| c.per_batch.to_string()).unwrap_or_default()));
                                @if let Some(e) = err(format!("/consumables/{i}/per_batch")).or_else(|| err(format!("/consumables/{i}/program_id"))) { span.field-error role="alert" { (e) } }
                            }
                        }
                    }
                }
            }
            button type="submit" { "Save rate card" }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn suite_section<'a>(
    user: &PageUser,
    s: &Suite,
    dedications: &[&Dedication],
    clients: &[crate::domain::Client],
    programs: &[crate::domain::Program],
    client_names: &HashMap<Uuid, &str>,
    program_names: &HashMap<Uuid, &str>,
    here: &dyn Fn(&str) -> Option<&'a Refused<'a>>,
) -> Markup {
    let seg_form = format!("seg-{}", s.id);
    let ded_form = format!("ded-{}", s.id);
    let rent_form = format!("rent-{}", s.id);
    let typed = |form: &str, name: &str| {
        here(form)
            .and_then(|r| one(r.fields, name))
            .unwrap_or("")
            .to_string()
    };
    let err = |form: &str, pointer: &str| here(form).and_then(|r| r.refusal.field(pointer));
    let id = |name: &str| format!("{name}-{}", s.id);
    html! {
        h2 id=(format!("suite-{}", s.id)) { (s.name) }
        form.inline method="post" action=(format!("/ui/suites/{}/segregation", s.id)) aria-label=(format!("Segregation of {}", s.name)) {
            (csrf_field(&user.csrf))
            label for=(id("segregation")) { "Who may share it on a day " }
            select id=(id("segregation")) name="segregation" {
                @for v in Segregation::ALL {
                    option value=(v.as_str()) selected[s.segregation == v] { (sharers(v)) }
                }
            }
            button type="submit" { "Set" }
        }
        @if let Some(r) = here(&seg_form) { (r.refusal.alert(&[], program_names)) }
        @if dedications.is_empty() {
            p.note { "No line is dedicated to a client." }
        } @else {
            table {
                thead { tr { th { "line" } th { "client" } th { "from" } th { "to (exclusive)" } th { "note" } th { "action" } } }
                tbody {
                    @for d in dedications {
                        tr {
                            td { (d.line) } td { (client_names.get(&d.client_id).copied().unwrap_or("?")) }
                            td { (d.start) } td { (d.end.map_or("open-ended".to_string(), |e| e.to_string())) }
                            td { (d.note.as_deref().unwrap_or("")) }
                            td {
                                form.inline method="post" action=(format!("/ui/dedications/{}/delete", d.id)) {
                                    (csrf_field(&user.csrf))
                                    button type="submit" aria-label=(format!("End the dedication of line {} of {}", d.line, s.name)) { "Remove" }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if let Some(r) = here(&ded_form) { (r.refusal.alert(&["/line", "/client_id", "/start", "/end", "/note"], program_names)) }
        form.card method="post" action=(format!("/ui/suites/{}/dedications", s.id)) aria-label=(format!("Dedicate a line of {}", s.name)) {
            (csrf_field(&user.csrf))
            (super::forms::field("Line", &id("ded-line"), html! {
                input id=(id("ded-line")) name="line" type="number" min="1" max=(s.lines) required value=(typed(&ded_form, "line"));
            }, err(&ded_form, "/line")))
            (super::forms::field("Client", &id("ded-client"), html! {
                select id=(id("ded-client")) name="client_id" {
                    @for c in clients { option value=(c.id) selected[typed(&ded_form, "client_id") == c.id.to_string()] { (c.name) } }
                }
            }, err(&ded_form, "/client_id")))
            (super::forms::field("From", &id("ded-start"), html! {
                input id=(id("ded-start")) name="start" type="date" required value=(typed(&ded_form, "start"));
            }, err(&ded_form, "/start")))
            (super::forms::field("To (exclusive, optional)", &id("ded-end"), html! {
                input id=(id("ded-end")) name="end" type="date" value=(typed(&ded_form, "end"));
            }, err(&ded_form, "/end")))
            (super::forms::field("Note", &id("ded-note"), html! {
                input id=(id("ded-note")) name="note" type="text" maxlength="500" value=(typed(&ded_form, "note"));
            }, err(&ded_form, "/note")))
            button type="submit" { "Dedicate line" }
        }
        @if let Some(r) = here(&rent_form) { (r.refusal.alert(&["/program_id", "/start", "/end"], program_names)) }
        form.card method="post" action=(format!("/ui/suites/{}/rentals", s.id)) aria-label=(format!("Rent {} whole", s.name)) {
            (csrf_field(&user.csrf))
            (super::forms::field("Rented for program", &id("rent-program"), html! {
                select id=(id("rent-program")) name="program_id" {
                    @for p in programs { option value=(p.id) selected[typed(&rent_form, "program_id") == p.id.to_string()] { (p.name) } }
                }
            }, err(&rent_form, "/program_id")))
            (super::forms::field("From", &id("rent-start"), html! {
                input id=(id("rent-start")) name="start" type="date" required value=(typed(&rent_form, "start"));
            }, err(&rent_form, "/start")))
            (super::forms::field("To (exclusive)", &id("rent-end"), html! {
                input id=(id("rent-end")) name="end" type="date" required value=(typed(&rent_form, "end"));
            }, err(&rent_form, "/end")))
            div.field {
                label for=(id("rent-serve")) { "Serves the program's demand (one batch per line)" }
                input id=(id("rent-serve")) name="serve_demand" type="checkbox" value="true" checked[typed(&rent_form, "serve_demand") == "true"];
            }
            button type="submit" { "Rent all " (s.lines) " lines" }
        }
    }
}

/// Blank form values are left out (the API's default), others go as typed: the API names what
/// is wrong.
fn present(fields: &Fields, name: &str) -> Option<serde_json::Value> {
    one(fields, name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| serde_json::Value::String(v.to_string()))
}

/// A form's outcome: done, the notice left for the page it redirects to (its `anchor`); refused,
/// the page again with the API's problem at the form `form` and what was typed.
async fn answer(
    state: &AppState,
    user: &PageUser,
    fields: &Fields,
    form: String,
    anchor: String,
    outcome: Result<String, crate::http::ApiError>,
) -> Result<Response, PageError> {
    match outcome {
        Ok(notice) => {
            Flash::notice(notice).leave(state, user).await?;
            Ok(Redirect::to(&format!("/ui/selling#{anchor}")).into_response())
        }
        Err(crate::http::ApiError::NotFound) => Err(PageError::not_found()),
        Err(e) => {
            let refused = Refused {
                form,
                fields,
                refusal: Refusal::of(e)?,
            };
            render(state, user, None, Some(refused)).await
        }
    }
}

/// `POST /ui/sites/{id}/rate-card`.
pub async fn save_rate_card(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path(site): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    user.staff_only()?;
    let mut line_day = Vec::new();
    let mut consumables = Vec::new();
    for i in 0..200 {
        let Some(price) = present(&fields, &format!("rate_price{i}")) else {
            if one(&fields, &format!("rate_price{i}")).is_none() {
                break;
            }
            continue;
        };
        let mut rate = serde_json::Map::new();
        rate.insert("price".into(), price);
        if let Some(v) = present(&fields, &format!("rate_suite{i}")) {
            rate.insert("suite_id".into(), v);
        }
        let caps: Vec<serde_json::Value> = all(&fields, &format!("rate_caps{i}"))
            .iter()
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| c.into())
            .collect();
        if !caps.is_empty() {
            rate.insert("capabilities".into(), caps.into());
        }
        for (field, key) in [("rate_grade", "grade"), ("rate_kind", "kind")] {
            if let Some(v) = present(&fields, &format!("{field}{i}")) {
                rate.insert(key.into(), v);
            }
        }
        line_day.push(serde_json::Value::Object(rate));
    }
    for i in 0..500 {
        if one(&fields, &format!("cons_program{i}")).is_none() {
            break;
        }
        if let (Some(program), Some(price)) = (
            present(&fields, &format!("cons_program{i}")),
            present(&fields, &format!("cons_price{i}")),
        ) {
            consumables.push(serde_json::json!({"program_id": program, "per_batch": price}));
        }
    }
    let body = serde_json::json!({
        "currency": text(&fields, "currency"),
        "line_day": line_day,
        "consumables": consumables,
    });
    let actor = user.identity.actor(None);
    let outcome = match crate::http::from_json_value::<RateCard>(body) {
        Ok(card) => crate::http::set_rate_card(&state, &actor, site, card).await,
        Err(e) => Err(e),
    };
    let outcome = outcome.map(|card| {
        format!(
            "The rate card is saved (version {}); new quotes use it.",
            card.version
        )
    });
    let form = format!("rates-{site}");
    answer(&state, &user, &fields, form.clone(), form, outcome).await
}

/// `POST /ui/suites/{id}/segregation`.
pub async fn set_segregation(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    user.staff_only()?;
    let actor = user.identity.actor(None);
    let mut patch = serde_json::Map::new();
    patch.insert("segregation".into(), text(&fields, "segregation"));
    let outcome = crate::http::patch_suite(&state, &actor, id, patch)
        .await
        .map(|suite| {
            format!(
                "{} is shared by {} from now on.",
                suite.name,
                sharers(suite.segregation)
            )
        });
    let (form, anchor) = (format!("seg-{id}"), format!("suite-{id}"));
    answer(&state, &user, &fields, form, anchor, outcome).await
}

/// `POST /ui/suites/{id}/dedications`.
pub async fn add_dedication(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    user.staff_only()?;
    let body = serde_json::json!({
        "line": super::forms::integer(&fields, "line"),
        "client_id": text(&fields, "client_id"),
        "start": text(&fields, "start"),
        "end": present(&fields, "end"),
        "note": present(&fields, "note"),
    });
    let actor = user.identity.actor(None);
    let outcome = match crate::http::from_json_value::<NewDedication>(body) {
        Ok(input) => crate::http::dedicate(&state, &actor, id, input).await,
        Err(e) => Err(e),
    };
    let outcome = outcome.map(|d| {
        format!(
            "Line {} is dedicated from {}{}.",
            d.line,
            d.start,
            d.end
                .map_or(String::new(), |e| format!(" to {e} (exclusive)"))
        )
    });
    let (form, anchor) = (format!("ded-{id}"), format!("suite-{id}"));
    answer(&state, &user, &fields, form, anchor, outcome).await
}

/// `POST /ui/dedications/{id}/delete`.
pub async fn remove_dedication(
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
        .write(|store| store.delete_dedication(&actor, id))
        .await?;
    Flash::notice("The line is no longer dedicated.")
        .leave(&state, &user)
        .await?;
    Ok(Redirect::to("/ui/selling").into_response())
}

/// `POST /ui/suites/{id}/rentals`.
pub async fn rent(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    user.staff_only()?;
    let body = serde_json::json!({
        "suite_id": id,
        "program_id": text(&fields, "program_id"),
        "start": text(&fields, "start"),
        "end": text(&fields, "end"),
        "serve_demand": one(&fields, "serve_demand") == Some("true"),
    });
    let actor = user.identity.actor(None);
    let outcome = match crate::http::from_json_value::<crate::http::NewRental>(body) {
        Ok(input) => crate::http::rent(&state, &actor, input).await,
        Err(e) => Err(e),
    };
    let outcome = outcome.map(|r| {
        format!(
            "Rented whole: {} lines booked{}.",
            r.bookings.len(),
            r.price
                .as_ref()
                .map_or(String::new(), |p| format!(", {}", super::quotes::money(p)))
        )
    });
    let (form, anchor) = (format!("rent-{id}"), format!("suite-{id}"));
    answer(&state, &user, &fields, form, anchor, outcome).await
}
