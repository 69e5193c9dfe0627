//! Booking a slot from the pages (`/ui/bookings/new`): a planner books a line (held or
//! confirmed), a client requests a hold for its own programs. The form posts the very JSON
//! `POST /v1/bookings` takes and is booked through the API's own path ([`crate::http::book`]), so
//! a refusal names the same fields and the same conflicts, shown next to the form.

use super::error::PageError;
use super::forms::{check_post, end_of_day, integer, one, text, Fields, Flash, Refusal};
use super::{csrf_field, user_page, PageUser};
use crate::app::AppState;
use crate::domain::{BookingKind, NewBooking, Program, Suite};
use crate::store::all_pages;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use std::collections::HashMap;
use uuid::Uuid;

/// The fields the form shows, with the JSON Pointer the API names each by.
const FIELDS: [(&str, &str); 9] = [
    ("program_id", "/program_id"),
    ("suite_id", "/suite_id"),
    ("line", "/line"),
    ("start", "/start"),
    ("end", "/end"),
    ("status", "/status"),
    ("kind", "/kind"),
    ("hold_expires", "/hold_expires_at"),
    ("note", "/note"),
];

/// `GET /ui/bookings/new`: the form, filled from the query (`program_id`, `suite_id`, `line`,
/// `start`, `end`: what a free window or a Gantt row link carries).
pub async fn form(
    State(state): State<AppState>,
    user: PageUser,
    Query(prefill): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let (programs, suites) = choices(&state, &user).await?;
    // With a program chosen: its free windows in the next six months, each a link that fills
    // the form (availability for the program: its capabilities, grade, suites and pools).
    let chosen = one(&prefill, "program_id")
        .and_then(|id| id.parse::<Uuid>().ok())
        .and_then(|id| programs.iter().find(|p| p.id == id));
    let windows = match chosen {
        Some(p) => {
            let days = i64::from(p.batch_days.max(1)) + i64::from(p.changeover_days.max(0));
            let today = chrono::Utc::now().date_naive();
            let query = crate::http::AvailabilityQuery {
                from: today,
                to: today + chrono::Duration::days(183),
                capabilities: None,
                min_grade: None,
                days: Some(days),
                program_id: Some(p.id),
            };
            let actor = user.identity.actor(None);
            let mut found = crate::http::windows(&state, &actor, query).await?;
            found.sort_by_key(|w| (w.start, w.suite_id, w.line));
            found.truncate(12);
            Some((p, days, found))
        }
        None => None,
    };
    let names: HashMap<Uuid, &str> = suites.iter().map(|s| (s.id, s.name.as_str())).collect();
    let body = html! {
        (form_markup(&user, &programs, &suites, &prefill, None))
        @if let Some((p, days, found)) = &windows {
            h2 #windows { "Free windows for " (p.name) " (" (days) " days: a batch and its changeover)" }
            @if found.is_empty() { p.note { "None in the next six months." } } @else {
                table {
                    thead { tr { th { "suite" } th { "line" } th { "free from" } th { "free until (exclusive)" } th { "" } } }
                    tbody { @for w in found {
                        @let end = w.start + chrono::Duration::days(*days);
                        tr {
                            td { (names.get(&w.suite_id).copied().unwrap_or("?")) } td.num { (w.line) } td { (w.start) } td { (w.end) }
                            td { a href=(format!("/ui/bookings/new?program_id={}&suite_id={}&line={}&start={}&end={end}", p.id, w.suite_id, w.line, w.start)) { "use " (w.start) " → " (end) } }
                        }
                    } }
                }
            }
        } @else {
            p.note { "Choose a program and " a href="#program_id" { "show its free windows" } " with the button below." }
            form method="get" action="/ui/bookings/new" {
                label for="windows-program" { "Program" }
                " "
                select #windows-program name="program_id" { @for p in &programs { option value=(p.id) { (p.name) } } }
                " "
                button type="submit" { "Show its free windows" }
            }
        }
    };
    Ok(user_page(&user, title(&user), None, body).into_response())
}

/// `POST /ui/bookings`: books, then back to the holds (client) or the capacity picture (staff)
/// with the outcome; a refusal shows the form again with the API's reasons.
pub async fn create(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    let staff = user.is_staff();
    let body = serde_json::json!({
        "program_id": text(&fields, "program_id"),
        "suite_id": text(&fields, "suite_id"),
        "line": integer(&fields, "line"),
        "start": text(&fields, "start"),
        "end": text(&fields, "end"),
        "status": if staff { text(&fields, "status") } else { "held".into() },
        "kind": if staff { text(&fields, "kind") } else { serde_json::Value::Null },
        "hold_expires_at": end_of_day(&fields, "hold_expires"),
        "note": text(&fields, "note"),
    });
    // Absent is the API's default (kind: gmp_batch).
    let body = match body {
        serde_json::Value::Object(mut m) => {
            m.retain(|k, v| !(k == "kind" && v.is_null()));
            serde_json::Value::Object(m)
        }
        other => other,
    };
    let actor = user.identity.actor(None);
    let outcome = match crate::http::from_json_value::<NewBooking>(body) {
        Ok(input) => crate::http::book(&state, &actor, input, None).await,
        Err(e) => Err(e),
    };
    let (programs, suites) = choices(&state, &user).await?;
    match outcome {
        Ok(b) => {
            let program = programs.iter().find(|p| p.id == b.program_id);
            let suite = suites.iter().find(|s| s.id == b.suite_id);
            Flash::notice(format!(
                "{} {} on {} line {}, {} to {} (end exclusive).",
                if b.status == crate::domain::BookingStatus::Held {
                    "Held:"
                } else {
                    "Booked:"
                },
                program.map_or("?", |p| p.name.as_str()),
                suite.map_or("?", |s| s.name.as_str()),
                b.line,
                b.start,
                b.end
            ))
            .leave(&state, &user)
            .await?;
            let to = if staff {
                "/ui/#bookings"
            } else {
                "/ui/client#holds"
            };
            Ok(Redirect::to(to).into_response())
        }
        Err(e) => {
            let refusal = Refusal::of(e)?;
            let page = user_page(
                &user,
                title(&user),
                None,
                form_markup(&user, &programs, &suites, &fields, Some(&refusal)),
            );
            Ok((refusal.status_code(), page).into_response())
        }
    }
}

fn title(user: &PageUser) -> &'static str {
    if user.is_staff() {
        "Book a slot"
    } else {
        "Request a hold"
    }
}

/// The programs the caller may book for (its own, for a client) and the suites.
async fn choices(
    state: &AppState,
    user: &PageUser,
) -> Result<(Vec<Program>, Vec<Suite>), PageError> {
    let scope = user.identity.actor(None).scope();
    let mut programs = all_pages(|page| state.store.list_programs(scope, page)).await?;
    programs.sort_by(|a, b| a.name.cmp(&b.name));
    let mut suites = all_pages(|page| state.store.list_suites(page)).await?;
    suites.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((programs, suites))
}

fn form_markup(
    user: &PageUser,
    programs: &[Program],
    suites: &[Suite],
    values: &Fields,
    refusal: Option<&Refusal>,
) -> Markup {
    let staff = user.is_staff();
    let value = |name: &str| one(values, name).unwrap_or("").to_string();
    let err = |pointer: &str| refusal.and_then(|r| r.field(pointer));
    let names: HashMap<Uuid, &str> = programs.iter().map(|p| (p.id, p.name.as_str())).collect();
    let shown: Vec<&str> = FIELDS.iter().map(|(_, p)| *p).collect();
    let described = |id: &str, pointer: &str| err(pointer).map(|_| format!("{id}-error"));
    html! {
        @if let Some(r) = refusal { (r.alert(&shown, &names)) }
        p.note {
            @if staff { "Book a line of a suite. Leave the line empty for the lowest free one; the end day is exclusive. Conflicts with bookings, closures, qualification dates or the site's pools are named here." }
            @else { "Request a hold on a free window; the CDMO confirms it. Leave the line empty for the lowest free one; the end day is exclusive." }
        }
        form.card method="post" action="/ui/bookings" {
            (csrf_field(&user.csrf))
            (super::forms::field("Program", "program_id", html! {
                select #program_id name="program_id" required aria-describedby=[described("program_id", "/program_id")] {
                    option value="" { "— choose —" }
                    @for p in programs {
                        option value=(p.id) selected[value("program_id") == p.id.to_string()] { (p.name) }
                    }
                }
            }, err("/program_id")))
            (super::forms::field("Suite", "suite_id", html! {
                select #suite_id name="suite_id" required aria-describedby=[described("suite_id", "/suite_id")] {
                    option value="" { "— choose —" }
                    @for s in suites {
                        option value=(s.id) selected[value("suite_id") == s.id.to_string()] {
                            (s.name) " (" (s.lines) " line" @if s.lines != 1 { "s" } ", grade " (s.grade.as_str()) ")"
                        }
                    }
                }
            }, err("/suite_id")))
            (super::forms::field("Line (empty: lowest free)", "line", html! {
                input #line name="line" type="number" min="1" value=(value("line")) aria-describedby=[described("line", "/line")];
            }, err("/line")))
            (super::forms::field("First day", "start", html! {
                input #start name="start" type="date" required value=(value("start")) aria-describedby=[described("start", "/start")];
            }, err("/start")))
            (super::forms::field("End (exclusive)", "end", html! {
                input #end name="end" type="date" required value=(value("end")) aria-describedby=[described("end", "/end")];
            }, err("/end")))
            @if staff {
                (super::forms::field("Status", "status", html! {
                    select #status name="status" aria-describedby=[described("status", "/status")] {
                        option value="held" selected[value("status") != "confirmed"] { "held" }
                        option value="confirmed" selected[value("status") == "confirmed"] { "confirmed" }
                    }
                }, err("/status")))
                (super::forms::field("Kind", "kind", html! {
                    select #kind name="kind" aria-describedby=[described("kind", "/kind")] {
                        @for k in BookingKind::ALL {
                            option value=(k.as_str()) selected[value("kind") == k.as_str()] { (k.label()) }
                        }
                    }
                }, err("/kind")))
            }
            (super::forms::field("Hold expires (end of day, UTC; empty: the default)", "hold_expires", html! {
                input #hold_expires name="hold_expires" type="date" value=(value("hold_expires")) aria-describedby=[described("hold_expires", "/hold_expires_at")];
            }, err("/hold_expires_at")))
            (super::forms::field("Note", "note", html! {
                input #note name="note" type="text" maxlength="2000" value=(value("note")) aria-describedby=[described("note", "/note")];
            }, err("/note")))
            button type="submit" { @if staff { "Book" } @else { "Request the hold" } }
        }
    }
}
