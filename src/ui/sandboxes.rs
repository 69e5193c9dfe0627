//! What-if sandboxes from the pages (staff): `/ui/sandboxes` (list, new), `/ui/sandboxes/{id}`
//! (its changes, a form per kind of change, plan it, its plans) and `/ui/compare` (two plans
//! side by side). Saved through the API's own rules ([`crate::http::save_sandbox`]); nothing
//! here books, raises events or touches live data.

use super::error::PageError;
use super::forms::{check_post, integer, one, text, Fields, Flash, Refusal};
use super::svg::diverging_heatmap;
use super::{csrf_field, user_page, PageUser};
use crate::app::AppState;
use crate::domain::{
    Grade, Month, Phase, PlanStatus, Program, Sandbox, SandboxChange, SandboxInput, Site, Suite,
    MODALITIES, STORAGES,
};
use crate::store::{all_pages, Page};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use maud::{html, Markup};
use std::collections::HashMap;
use uuid::Uuid;

/// Names of everything a change may name.
struct World {
    suites: Vec<Suite>,
    programs: Vec<Program>,
    sites: Vec<Site>,
    clients: Vec<crate::domain::Client>,
}

impl World {
    async fn load(state: &AppState) -> Result<World, PageError> {
        let store = &state.store;
        let mut suites = all_pages(|p| store.list_suites(p)).await?;
        suites.sort_by(|a, b| a.name.cmp(&b.name));
        let mut programs = all_pages(|p| store.list_programs(None, p)).await?;
        programs.sort_by(|a, b| a.name.cmp(&b.name));
        let mut sites = all_pages(|p| store.list_sites(p)).await?;
        sites.sort_by(|a, b| a.name.cmp(&b.name));
        let mut clients = all_pages(|p| store.list_clients(None, p)).await?;
        clients.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(World {
            suites,
            programs,
            sites,
            clients,
        })
    }

    fn suite(&self, id: Uuid) -> &str {
        self.suites
            .iter()
            .find(|s| s.id == id)
            .map_or("?", |s| s.name.as_str())
    }

    fn program(&self, id: Uuid) -> &str {
        self.programs
            .iter()
            .find(|p| p.id == id)
            .map_or("?", |p| p.name.as_str())
    }

    fn site(&self, id: Uuid) -> &str {
        self.sites
            .iter()
            .find(|s| s.id == id)
            .map_or("?", |s| s.name.as_str())
    }
}

/// A change in words.
fn describe(c: &SandboxChange, w: &World) -> String {
    let month = |d: chrono::NaiveDate| Month::of(d).to_string();
    match c {
        SandboxChange::AddSuite { suite, .. } => format!(
            "Add suite {} at {}: grade {}, {} line(s), {} — from {}",
            suite.name,
            w.site(suite.site_id),
            suite.grade.as_str(),
            suite.lines,
            suite.capabilities.join(", "),
            month(suite.available_from)
        ),
        SandboxChange::CloseSuite { suite_id, from, to } => match to {
            Some(t) => format!(
                "Close {} from {} to {} (exclusive)",
                w.suite(*suite_id),
                month(*from),
                month(*t)
            ),
            None => format!("Retire {} from {}", w.suite(*suite_id), month(*from)),
        },
        SandboxChange::ShiftForecast { program_id, months } => format!(
            "Shift {}'s forecast {} month(s) {}",
            w.program(*program_id),
            months.abs(),
            if *months > 0 { "later" } else { "earlier" }
        ),
        SandboxChange::ScaleForecast { program_id, factor } => {
            format!("Scale {}'s forecast × {factor}", w.program(*program_id))
        }
        SandboxChange::PhaseSuccess {
            program_id,
            phase_success: p,
        } => format!(
            "Phase success for {}: {}",
            program_id.map_or("every program", |id| w.program(id)),
            [
                ("preclinical", p.preclinical),
                ("phase 1", p.phase1),
                ("phase 2", p.phase2),
                ("phase 3", p.phase3)
            ]
            .iter()
            .filter_map(|(n, v)| v.map(|v| format!("{n} {v}")))
            .collect::<Vec<_>>()
            .join(", ")
        ),
        SandboxChange::AddProgram {
            program, forecast, ..
        } => format!(
            "Add program {} ({}, {}, {} + {} days, needs {}): {} batches over {} month(s)",
            program.name,
            program.phase.as_str(),
            program.modality,
            program.batch_days,
            program.changeover_days,
            program.required_capabilities.join(", "),
            forecast.iter().map(|e| e.batches).sum::<i64>(),
            forecast.len()
        ),
    }
}

/// `GET /ui/sandboxes`.
pub async fn list(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    user.staff_only()?;
    render_list(&state, &user, None, None).await
}

async fn render_list(
    state: &AppState,
    user: &PageUser,
    values: Option<&Fields>,
    refusal: Option<&Refusal>,
) -> Result<Response, PageError> {
    let sandboxes = all_pages(|p| state.store.list_sandboxes(p)).await?;
    let value = |n: &str| values.and_then(|f| one(f, n)).unwrap_or("").to_string();
    let err = |p: &str| refusal.and_then(|r| r.field(p));
    let body = html! {
        p.note { "A sandbox is a named set of changes over the live data — a suite added or closed, a forecast shifted or scaled, other success probabilities, a hypothetical program. Planning it never books, raises alerts or changes anything live; compare its plan with the live one. Sandboxes are shared by every planner." }
        @if let Some(r) = refusal { (r.alert(&["/name", "/description"], &HashMap::new())) }
        form.card method="post" action="/ui/sandboxes" aria-label="New sandbox" {
            (csrf_field(&user.csrf))
            (super::forms::field("Name", "name", html! { input #name name="name" type="text" required maxlength="200" value=(value("name")); }, err("/name")))
            (super::forms::field("Description", "description", html! { input #description name="description" type="text" maxlength="2000" value=(value("description")); }, err("/description")))
            button type="submit" { "Create the sandbox" }
        }
        @if sandboxes.is_empty() { p.note { "No sandboxes yet." } } @else {
            table {
                thead { tr { th { "sandbox" } th { "changes" } th { "updated" } } }
                tbody { @for s in &sandboxes {
                    tr {
                        td { a href=(format!("/ui/sandboxes/{}", s.id)) { (s.name) } @if let Some(d) = &s.description { br; span.note { (d) } } }
                        td.num { (s.changes.len()) }
                        td { (s.updated_at.format("%Y-%m-%d %H:%M UTC")) }
                    }
                } }
            }
        }
    };
    let status = refusal.map_or(StatusCode::OK, Refusal::status_code);
    Ok((status, user_page(user, "What-if sandboxes", None, body)).into_response())
}

/// `POST /ui/sandboxes`: a new, empty sandbox, then its page.
pub async fn create(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    user.staff_only()?;
    let body = serde_json::json!({
        "name": one(&fields, "name").unwrap_or(""),
        "description": text(&fields, "description"),
        "changes": [],
    });
    let actor = user.identity.actor(None);
    let outcome = match crate::http::from_json_value::<SandboxInput>(body) {
        Ok(input) => match crate::http::checked_sandbox(&state, input).await {
            Ok(input) => state
                .write(|store| store.create_sandbox(&actor, &input))
                .await
                .map_err(Into::into),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match outcome {
        Ok(s) => Ok(Redirect::to(&format!("/ui/sandboxes/{}", s.id)).into_response()),
        Err(e) => render_list(&state, &user, Some(&fields), Some(&Refusal::of(e)?)).await,
    }
}

/// `GET /ui/sandboxes/{id}`.
pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    user.staff_only()?;
    let flash = Flash::take(&state, &user).await?;
    render(&state, &user, id, flash.as_ref(), None).await
}

/// A refused change form: which kind, what was typed, why.
struct Refused<'a> {
    kind: String,
    fields: &'a Fields,
    refusal: Refusal,
}

const KINDS: [(&str, &str); 6] = [
    ("add_suite", "Add a suite"),
    ("close_suite", "Close or retire a suite"),
    ("shift_forecast", "Shift a forecast"),
    ("scale_forecast", "Scale a forecast"),
    ("phase_success", "Change phase-success probabilities"),
    ("add_program", "Add a hypothetical program"),
];

async fn render(
    state: &AppState,
    user: &PageUser,
    id: Uuid,
    flash: Option<&Flash>,
    refused: Option<Refused<'_>>,
) -> Result<Response, PageError> {
    let sandbox = state.store.get_sandbox(id).await?;
    let w = World::load(state).await?;
    let plans = state
        .store
        .list_plans(Page {
            limit: 100,
            after: None,
        })
        .await?;
    let live = plans
        .items
        .iter()
        .filter(|p| p.sandbox_id.is_none() && p.status == PlanStatus::Done)
        .collect::<Vec<_>>();
    let mine: Vec<_> = plans
        .items
        .iter()
        .filter(|p| p.sandbox_id == Some(id))
        .collect();
    let this = Month::of(Utc::now().date_naive());
    let status = refused
        .as_ref()
        .map_or(StatusCode::OK, |r| r.refusal.status_code());
    let body = html! {
        (Flash::show(flash))
        @if let Some(d) = &sandbox.description { p.note { (d) } }
        h2 { "Changes" }
        @if sandbox.changes.is_empty() { p.note { "No changes yet: add them below." } } @else {
            ol.changes {
                @for (i, c) in sandbox.changes.iter().enumerate() {
                    li {
                        (describe(c, &w)) " "
                        form.inline method="post" action=(format!("/ui/sandboxes/{id}/changes/{i}/delete")) {
                            (csrf_field(&user.csrf))
                            button type="submit" aria-label=(format!("Remove change {}", i + 1)) { "Remove" }
                        }
                    }
                }
            }
        }
        h2 { "Plan this sandbox" }
        form.card method="post" action="/ui/plans" aria-label="Plan this sandbox" {
            (csrf_field(&user.csrf))
            input type="hidden" name="sandbox_id" value=(id);
            (super::forms::field("Scenario", "scenario", html! {
                select #scenario name="scenario" { @for s in ["expected", "committed", "maximum"] { option value=(s) { (s) } } }
            }, None))
            (super::forms::field("First month", "from", html! { input #from name="from" type="month" required value=(this.to_string()); }, None))
            (super::forms::field("Last month", "last", html! { input #last name="last" type="month" required value=((1..24).fold(this, |m, _| m.next()).to_string()); }, None))
            (super::forms::field("Time limit, s", "time_limit_s", html! { input #time_limit_s name="time_limit_s" type="number" min="1" max="3600" step="any"; }, None))
            button type="submit" { "Plan it" }
        }
        @if !mine.is_empty() {
            h2 { "Its plans" }
            table {
                thead { tr { th { "created" } th { "status" } th { "scenario" } th { "months" } th { "served / demand" } th { "" } } }
                tbody { @for p in &mine {
                    @let base = live.iter().find(|l| l.scenario == p.scenario && l.from == p.from && l.to == p.to).or_else(|| live.iter().find(|l| l.scenario == p.scenario));
                    tr {
                        td { a href=(format!("/ui/plans/{}", p.id)) { (p.created_at.format("%Y-%m-%d %H:%M UTC")) } }
                        td { (p.status.as_str()) } td { (p.scenario.as_str()) }
                        td { (Month::of(p.from)) " → " (Month::of(p.to).prev()) }
                        td.num { @if let Some(s) = &p.summary { (s.served_batches) " / " (s.demand_batches) } }
                        td { @if let (Some(b), PlanStatus::Done) = (base, p.status) {
                            a href=(format!("/ui/compare?base={}&other={}", b.id, p.id)) { "compare with the live plan of " (b.created_at.format("%Y-%m-%d %H:%M")) }
                        } @else if p.status == PlanStatus::Done { "no live plan of this scenario to compare with" } }
                    }
                } }
            }
        }
        h2 { "Add a change" }
        @for (kind, title) in KINDS {
            @let here = refused.as_ref().filter(|r| r.kind == kind);
            h3 { (title) }
            @if let Some(r) = here { (r.refusal.alert(&[], &HashMap::new())) }
            form.card method="post" action=(format!("/ui/sandboxes/{id}/changes")) aria-label=(title) {
                (csrf_field(&user.csrf))
                input type="hidden" name="type" value=(kind);
                (change_fields(kind, &w, here.map(|r| r.fields), this))
                button type="submit" { "Add" }
            }
        }
    };
    Ok((
        status,
        user_page(user, &format!("Sandbox · {}", sandbox.name), None, body),
    )
        .into_response())
}

/// The fields of one kind of change (ids prefixed by the kind, so that every label is unique).
fn change_fields(kind: &str, w: &World, values: Option<&Fields>, this: Month) -> Markup {
    let v = |n: &str| values.and_then(|f| one(f, n)).unwrap_or("").to_string();
    let id = |n: &str| format!("{kind}-{n}");
    let month_input = |n: &str, default: String, required: bool| {
        let value = values
            .and_then(|f| one(f, n))
            .map(str::to_string)
            .unwrap_or(default);
        html! { input id=(id(n)) name=(n) type="month" required[required] value=(value); }
    };
    let program_select = |all: bool| {
        html! {
            select id=(id("program_id")) name="program_id" required[!all] {
                @if all { option value="" { "— every program —" } }
                @for p in &w.programs { option value=(p.id) selected[v("program_id") == p.id.to_string()] { (p.name) } }
            }
        }
    };
    let f = super::forms::field;
    match kind {
        "add_suite" => html! {
            (f("Site", &id("site_id"), html! { select id=(id("site_id")) name="site_id" required { @for s in &w.sites { option value=(s.id) selected[v("site_id") == s.id.to_string()] { (s.name) } } } }, None))
            (f("Name", &id("name"), html! { input id=(id("name")) name="name" type="text" required value=(v("name")); }, None))
            (f("Grade", &id("grade"), html! { select id=(id("grade")) name="grade" { @for g in ["A", "B", "C", "D"] { option value=(g) selected[v("grade") == g || (v("grade").is_empty() && g == "B")] { (g) } } } }, None))
            (f("Capabilities (comma-separated)", &id("capabilities"), html! { input id=(id("capabilities")) name="capabilities" type="text" required value=(v("capabilities")); }, None))
            (f("Lines", &id("lines"), html! { input id=(id("lines")) name="lines" type="number" min="1" required value=(v("lines")); }, None))
            (f("Qualified from (month)", &id("from"), month_input("from", this.to_string(), true), None))
        },
        "close_suite" => html! {
            (f("Suite", &id("suite_id"), html! { select id=(id("suite_id")) name="suite_id" required { @for s in &w.suites { option value=(s.id) selected[v("suite_id") == s.id.to_string()] { (s.name) } } } }, None))
            (f("From (month)", &id("from"), month_input("from", this.to_string(), true), None))
            (f("Until (month, exclusive; empty: retired)", &id("to"), month_input("to", String::new(), false), None))
        },
        "shift_forecast" => html! {
            (f("Program", &id("program_id"), program_select(false), None))
            (f("Months (negative: earlier)", &id("months"), html! { input id=(id("months")) name="months" type="number" min="-120" max="120" required value=(v("months")); }, None))
        },
        "scale_forecast" => html! {
            (f("Program", &id("program_id"), program_select(false), None))
            (f("Factor", &id("factor"), html! { input id=(id("factor")) name="factor" type="number" min="0" max="10" step="0.05" required value=(v("factor")); }, None))
        },
        "phase_success" => html! {
            (f("Program", &id("program_id"), program_select(true), None))
            @for (n, label) in [("preclinical", "Preclinical → phase 1"), ("phase1", "Phase 1 → 2"), ("phase2", "Phase 2 → 3"), ("phase3", "Phase 3 → commercial")] {
                (f(label, &id(n), html! { input id=(id(n)) name=(n) type="number" min="0" max="1" step="0.01" value=(v(n)); }, None))
            }
        },
        _ => html! {
            (f("Client (empty: a prospect)", &id("client_id"), html! { select id=(id("client_id")) name="client_id" { option value="" { "— none —" } @for c in &w.clients { option value=(c.id) selected[v("client_id") == c.id.to_string()] { (c.name) } } } }, None))
            (f("Name", &id("name"), html! { input id=(id("name")) name="name" type="text" required value=(v("name")); }, None))
            (f("Modality", &id("modality"), html! { select id=(id("modality")) name="modality" { @for m in MODALITIES { option value=(m) selected[v("modality") == m] { (m) } } } }, None))
            (f("Storage", &id("storage"), html! { select id=(id("storage")) name="storage" { @for s in STORAGES { option value=(s) selected[v("storage") == s] { (s) } } } }, None))
            (f("Phase", &id("phase"), html! { select id=(id("phase")) name="phase" { @for p in Phase::ALL { option value=(p.as_str()) selected[v("phase") == p.as_str()] { (p.as_str()) } } } }, None))
            (f("Needs (capabilities, comma-separated)", &id("capabilities"), html! { input id=(id("capabilities")) name="capabilities" type="text" required value=(v("capabilities")); }, None))
            (f("Grade at least", &id("min_grade"), html! { select id=(id("min_grade")) name="min_grade" { @for g in ["A", "B", "C", "D"] { option value=(g) selected[v("min_grade") == g || (v("min_grade").is_empty() && g == "B")] { (g) } } } }, None))
            (f("Batch days", &id("batch_days"), html! { input id=(id("batch_days")) name="batch_days" type="number" min="1" required value=(v("batch_days")); }, None))
            (f("Changeover days", &id("changeover_days"), html! { input id=(id("changeover_days")) name="changeover_days" type="number" min="0" required value=(v("changeover_days")); }, None))
            (f("Batches per month", &id("batches"), html! { input id=(id("batches")) name="batches" type="number" min="0" required value=(v("batches")); }, None))
            (f("From (month)", &id("from"), month_input("from", this.to_string(), true), None))
            (f("For months", &id("months"), html! { input id=(id("months")) name="months" type="number" min="1" max="120" required value=(v("months")); }, None))
        },
    }
}

/// "a, b" → ["a", "b"].
fn list_of(fields: &Fields, name: &str) -> Vec<String> {
    one(fields, name)
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// "2027-03" → "2027-03-01"; anything else as typed (the API names it).
fn first_day(fields: &Fields, name: &str) -> serde_json::Value {
    match one(fields, name) {
        None => serde_json::Value::Null,
        Some(v) => Month::parse(v).map_or_else(|| v.into(), |m| m.first_day().to_string().into()),
    }
}

fn number(fields: &Fields, name: &str) -> serde_json::Value {
    match one(fields, name) {
        None => serde_json::Value::Null,
        Some(v) => v
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| v.into(), serde_json::Value::Number),
    }
}

/// The change a form describes, as the API's JSON.
fn change_of(fields: &Fields) -> serde_json::Value {
    let kind = one(fields, "type").unwrap_or("");
    match kind {
        "add_suite" => serde_json::json!({"type": kind, "suite": {
            "site_id": text(fields, "site_id"), "name": one(fields, "name").unwrap_or(""),
            "grade": one(fields, "grade").unwrap_or("B"), "capabilities": list_of(fields, "capabilities"),
            "lines": integer(fields, "lines"), "available_from": first_day(fields, "from"),
        }}),
        "close_suite" => serde_json::json!({"type": kind, "suite_id": text(fields, "suite_id"),
            "from": first_day(fields, "from"), "to": first_day(fields, "to")}),
        "shift_forecast" => {
            serde_json::json!({"type": kind, "program_id": text(fields, "program_id"),
            "months": integer(fields, "months")})
        }
        "scale_forecast" => {
            serde_json::json!({"type": kind, "program_id": text(fields, "program_id"),
            "factor": number(fields, "factor")})
        }
        "phase_success" => {
            let mut ps = serde_json::Map::new();
            for n in ["preclinical", "phase1", "phase2", "phase3"] {
                if one(fields, n).is_some() {
                    ps.insert(n.into(), number(fields, n));
                }
            }
            serde_json::json!({"type": kind, "program_id": text(fields, "program_id"), "phase_success": ps})
        }
        "add_program" => {
            let from = one(fields, "from").and_then(Month::parse);
            let months = one(fields, "months")
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0)
                .min(120);
            let phase = one(fields, "phase").unwrap_or("phase1");
            let forecast: Vec<serde_json::Value> = from
                .map(|m| {
                    std::iter::successors(Some(m), |m| Some(m.next()))
                        .take(months)
                        .map(|m| serde_json::json!({"month": m.to_string(), "phase": phase, "batches": integer(fields, "batches")}))
                        .collect()
                })
                .unwrap_or_default();
            serde_json::json!({"type": kind, "program": {
                "client_id": text(fields, "client_id"), "name": one(fields, "name").unwrap_or(""),
                "modality": one(fields, "modality").unwrap_or(""), "storage": one(fields, "storage").unwrap_or(""),
                "atmp": true, "phase": phase, "required_capabilities": list_of(fields, "capabilities"),
                "min_grade": one(fields, "min_grade").unwrap_or("B"), "batch_days": integer(fields, "batch_days"),
                "changeover_days": integer(fields, "changeover_days"),
            }, "forecast": forecast})
        }
        _ => serde_json::json!({"type": kind}),
    }
}

fn input_of(s: &Sandbox, changes: Vec<serde_json::Value>) -> serde_json::Value {
    serde_json::json!({"name": s.name, "description": s.description, "changes": changes})
}

/// `POST /ui/sandboxes/{id}/changes`: one change appended, saved with the API's checks.
pub async fn add_change(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    user.staff_only()?;
    let sandbox = state.store.get_sandbox(id).await?;
    let mut changes: Vec<serde_json::Value> = sandbox
        .changes
        .iter()
        .map(|c| serde_json::to_value(c).unwrap_or_default())
        .collect();
    changes.push(change_of(&fields));
    let actor = user.identity.actor(None);
    let outcome = match crate::http::from_json_value::<SandboxInput>(input_of(&sandbox, changes)) {
        Ok(input) => crate::http::save_sandbox(&state, &actor, id, input).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(s) => {
            let w = World::load(&state).await?;
            let added = s
                .changes
                .last()
                .map(|c| describe(c, &w))
                .unwrap_or_default();
            Flash::notice(format!("Added: {added}."))
                .leave(&state, &user)
                .await?;
            Ok(Redirect::to(&format!("/ui/sandboxes/{id}")).into_response())
        }
        Err(e) => {
            let refused = Refused {
                kind: one(&fields, "type").unwrap_or("").to_string(),
                fields: &fields,
                refusal: Refusal::of(e)?,
            };
            render(&state, &user, id, None, Some(refused)).await
        }
    }
}

/// `POST /ui/sandboxes/{id}/changes/{i}/delete`.
pub async fn remove_change(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path((id, index)): Path<(Uuid, usize)>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    user.staff_only()?;
    let sandbox = state.store.get_sandbox(id).await?;
    if index >= sandbox.changes.len() {
        return Err(PageError::not_found());
    }
    let changes: Vec<serde_json::Value> = sandbox
        .changes
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .map(|(_, c)| serde_json::to_value(c).unwrap_or_default())
        .collect();
    let actor = user.identity.actor(None);
    let input = crate::http::from_json_value::<SandboxInput>(input_of(&sandbox, changes))?;
    crate::http::save_sandbox(&state, &actor, id, input).await?;
    Flash::notice("The change is removed.")
        .leave(&state, &user)
        .await?;
    Ok(Redirect::to(&format!("/ui/sandboxes/{id}")).into_response())
}

#[derive(Debug, serde::Deserialize)]
pub struct CompareQuery {
    base: Uuid,
    other: Uuid,
}

/// `GET /ui/compare?base=&other=`: two plans side by side.
pub async fn compare(
    State(state): State<AppState>,
    user: PageUser,
    Query(q): Query<CompareQuery>,
) -> Result<Response, PageError> {
    user.staff_only()?;
    let (c, details) = crate::http::comparison(&state, q.base, q.other).await?;
    let w = World::load(&state).await?;
    // Hypothetical suites and programs are named by the sandboxes' changes.
    let mut suite_names: HashMap<Uuid, String> =
        w.suites.iter().map(|s| (s.id, s.name.clone())).collect();
    let mut program_names: HashMap<Uuid, String> =
        w.programs.iter().map(|p| (p.id, p.name.clone())).collect();
    let mut sandbox_names: HashMap<Uuid, String> = HashMap::new();
    for detail in &details {
        if let Some(sid) = detail.record.sandbox_id {
            if let Ok(s) = state.store.get_sandbox(sid).await {
                sandbox_names.insert(sid, s.name.clone());
            }
        }
        for change in detail.record.sandbox_changes.iter().flatten() {
            match change {
                SandboxChange::AddSuite {
                    id: Some(id),
                    suite,
                } => {
                    suite_names.insert(*id, format!("{} (new)", suite.name));
                }
                SandboxChange::AddProgram {
                    id: Some(id),
                    program,
                    ..
                } => {
                    program_names.insert(*id, format!("{} (new)", program.name));
                }
                _ => {}
            }
        }
    }
    let label = |p: &crate::domain::ComparedPlan| match p.sandbox_id {
        None => "live".to_string(),
        Some(id) => format!(
            "sandbox {}",
            sandbox_names.get(&id).map_or("(deleted)", String::as_str)
        ),
    };
    let (bl, ol) = (label(&c.base), label(&c.other));
    // The diverging heatmap: suite rows, month columns.
    let mut months: Vec<String> = c.utilization.iter().map(|u| u.month.clone()).collect();
    months.sort();
    months.dedup();
    let mut suites: Vec<Uuid> = c.utilization.iter().map(|u| u.suite_id).collect();
    suites.sort_by_key(|s| suite_names.get(s).cloned().unwrap_or_default());
    suites.dedup();
    let cells: HashMap<(Uuid, &str), Option<f64>> = c
        .utilization
        .iter()
        .map(|u| {
            (
                (u.suite_id, u.month.as_str()),
                u.difference.or(u.other.map(|o| o - u.base.unwrap_or(0.0))),
            )
        })
        .collect();
    let rows: Vec<(String, Vec<Option<f64>>)> = suites
        .iter()
        .map(|s| {
            (
                suite_names.get(s).cloned().unwrap_or_else(|| "?".into()),
                months
                    .iter()
                    .map(|m| cells.get(&(*s, m.as_str())).copied().flatten())
                    .collect(),
            )
        })
        .collect();
    let grade_of = |e: &crate::domain::ExpansionRow| {
        Grade::parse(&e.min_grade).map_or(e.min_grade.clone(), |g| g.as_str().to_string())
    };
    let b = &c.changes_bought;
    let body = html! {
        p.note { "Base: " strong { (bl) } " (" (c.base.scenario.as_str()) ", " (Month::of(c.base.from)) " → " (Month::of(c.base.to).prev()) "). Other: " strong { (ol) } " (" (c.other.scenario.as_str()) ", " (Month::of(c.other.from)) " → " (Month::of(c.other.to).prev()) ")." }
        h2 { "What the changes bought" }
        table #bought {
            tbody {
                tr { th { "served batches" } td.num { (c.base.served_batches) " → " (c.other.served_batches) } td.num { strong { (format!("{:+}", b.served_batches_difference)) } } }
                tr { th { "short batches" } td.num { (c.base.short_batches) " → " (c.other.short_batches) } td.num { (format!("{:+}", c.other.short_batches - c.base.short_batches)) } }
                tr { th { "served, weighted" } td.num { (format!("{:.1} → {:.1}", c.base.served_weighted, c.other.served_weighted)) } td.num { (format!("{:+.1}", b.served_weighted_difference)) } }
                tr { th { "line-months added / taken away" } td.num { (b.added_line_months) " / " (b.removed_line_months) } td {} }
                tr { th { "weighted batches per added line-month" } td.num { @match b.weighted_per_added_line_month { Some(v) => (format!("{v:.2}")), None => "–" } } td {} }
            }
        }
        h2 { "Served and short by month" }
        table #by-month {
            thead { tr { th { "month" } th { (bl) ": demand" } th { "served" } th { (ol) ": demand" } th { "served" } th { "difference" } } }
            tbody { @for m in &c.months {
                tr {
                    td { (m.month) }
                    td.num { (m.base_demand.map(|v| v.to_string()).unwrap_or_default()) } td.num { (m.base_served.map(|v| v.to_string()).unwrap_or_default()) }
                    td.num { (m.other_demand.map(|v| v.to_string()).unwrap_or_default()) } td.num { (m.other_served.map(|v| v.to_string()).unwrap_or_default()) }
                    td.num { @if m.served_difference != 0 { strong { (format!("{:+}", m.served_difference)) } } @else { "0" } }
                }
            } }
        }
        h2 { "By program" }
        table #by-program {
            thead { tr { th { "program" } th { (bl) ": demand" } th { "served" } th { (ol) ": demand" } th { "served" } th { "difference" } } }
            tbody { @for p in &c.programs {
                tr {
                    td { (program_names.get(&p.program_id).map_or("?", String::as_str)) }
                    td.num { (p.base_demand) } td.num { (p.base_served) } td.num { (p.other_demand) } td.num { (p.other_served) }
                    td.num { (format!("{:+}", p.served_difference)) }
                }
            } }
        }
        h2 { "Utilisation difference (percentage points, " (ol) " − " (bl) ")" }
        p.note { "Red: the other plan uses the suite-month more; blue: less. A suite only in one plan shows that plan's use." }
        (diverging_heatmap(&months, &rows))
        h2 { "Expansion advice" }
        @for (name, plan) in [(&bl, &c.base), (&ol, &c.other)] {
            h3 { (name) }
            @if plan.expansion.is_empty() { p.note { "None." } } @else {
                table {
                    thead { tr { th { "capabilities" } th { "grade" } th { "site" } th { "from" } th { "extra lines" } th { "serves batches" } } }
                    tbody { @for e in &plan.expansion {
                        tr { td { (e.capabilities.join(", ")) } td { (grade_of(e)) } td { (e.site_id.map_or("any", |s| w.site(s))) } td { (e.from_month) } td.num { (e.extra_lines) } td.num { (e.serves_batches) } }
                    } }
                }
            }
        }
    };
    Ok(user_page(&user, "Plans compared", None, body).into_response())
}
