//! Programs and their forecasts from the pages (`/ui/programs`, `/ui/programs/{id}`): a program's
//! facts (planners edit phase and priority too; a client sees them read-only) and its forecast as
//! a grid — one row per month, one column per phase, batches in the cells — with each scenario's
//! demand beside it. Saving changes goes through the API's own rules
//! ([`crate::http::patch_program`], [`crate::http::forecast`]): a new forecast version, refusals
//! shown at the cell or field they name.

use super::error::PageError;
use super::forms::{check_post, integer, one, text, Fields, Flash, Refusal};
use super::{csrf_field, user_page, PageUser};
use crate::app::AppState;
use crate::domain::{program_demand, ForecastEntry, ForecastInput, Month, Phase, Scenario};
use crate::store::all_pages;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use chrono::Utc;
use maud::html;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// Months the grid shows beyond this month, at least.
const GRID_MONTHS: usize = 24;
/// At most this many months in the grid; entries outside it are kept as they are.
const GRID_MAX_MONTHS: usize = 120;
const SCENARIOS: [Scenario; 3] = [Scenario::Committed, Scenario::Expected, Scenario::Maximum];

/// `GET /ui/programs`: the caller's programs (every program, for staff).
pub async fn list(State(state): State<AppState>, user: PageUser) -> Result<Response, PageError> {
    let scope = user.identity.actor(None).scope();
    let mut programs = all_pages(|page| state.store.list_programs(scope, page)).await?;
    programs.sort_by(|a, b| a.name.cmp(&b.name));
    let flash = Flash::take(&state, &user).await?;
    let body = html! {
        (Flash::show(flash.as_ref()))
        @if programs.is_empty() { p.note { "No programs yet." } } @else {
            table {
                thead { tr { th { "program" } th { "phase" } th { "modality" } th { "batch + changeover days" } th { "priority" } } }
                tbody { @for p in &programs {
                    tr {
                        td { a href=(format!("/ui/programs/{}", p.id)) { (p.name) } }
                        td { (p.phase.as_str()) } td { (p.modality) }
                        td.num { (p.batch_days) " + " (p.changeover_days) }
                        td.num { (p.priority) }
                    }
                } }
            }
        }
        h2 #sheets { "Spreadsheets" }
        p.note {
            "Forecasts out: "
            a href="/v1/exports/forecasts?format=xlsx&layout=wide" { "Excel, a column per month" } " · "
            a href="/v1/exports/forecasts?format=csv&layout=wide" { "CSV, a column per month" } " · "
            a href="/v1/exports/forecasts?format=xlsx&layout=long" { "Excel, a row per month" } " · "
            a href="/v1/exports/forecasts?format=csv&layout=long" { "CSV, a row per month" }
            ". Bookings out: "
            a href="/v1/exports/bookings?format=xlsx" { "Excel" } " · " a href="/v1/exports/bookings?format=csv" { "CSV" } "."
        }
        p.note { "Forecasts in: the same layouts (program, phase and a column per month; or program, month, phase, batches), CSV or Excel. Every row is checked first and every bad cell is named by row and column; the file is applied all or nothing, and a program whose forecast is unchanged keeps its version." }
        form.card method="post" action="/ui/imports/forecasts" enctype="multipart/form-data" aria-label="Import forecasts" {
            (csrf_field(&user.csrf))
            (super::forms::field("Forecast file (CSV or XLSX)", "file", html! { input #file name="file" type="file" required accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"; }, None))
            (super::forms::field("Layout", "layout", html! {
                select #layout name="layout" { option value="" { "as the header says" } option value="wide" { "a column per month" } option value="long" { "a row per month" } }
            }, None))
            button type="submit" { "Import" }
        }
    };
    Ok(user_page(&user, "Programs", None, body).into_response())
}

/// The grid's months: from this month (or the forecast's first, if earlier) to at least
/// [`GRID_MONTHS`] ahead (or the forecast's last), at most [`GRID_MAX_MONTHS`].
fn grid_months(entries: &[ForecastEntry]) -> Vec<Month> {
    let this = Month::of(Utc::now().date_naive());
    let first = entries
        .iter()
        .map(|e| e.month)
        .min()
        .map_or(this, |m| m.min(this));
    let ahead = (1..GRID_MONTHS).fold(this, |m, _| m.next());
    let last = entries
        .iter()
        .map(|e| e.month)
        .max()
        .map_or(ahead, |m| m.max(ahead));
    let mut out: Vec<Month> = first.until(last.next()).collect();
    if out.len() > GRID_MAX_MONTHS {
        out.retain(|m| *m >= this);
        out.truncate(GRID_MAX_MONTHS);
    }
    out
}

fn cell_name(month: Month, phase: Phase) -> String {
    format!("c.{month}.{}", phase.as_str())
}

/// What a refused save shows: the typed values and the reasons (for the program form or the
/// grid, by cell name).
#[derive(Default)]
struct Shown<'a> {
    program: Option<(&'a Fields, Refusal)>,
    grid: Option<(&'a Fields, Refusal, HashMap<String, String>)>,
}

/// `GET /ui/programs/{id}`.
pub async fn page(
    State(state): State<AppState>,
    user: PageUser,
    Path(id): Path<Uuid>,
) -> Result<Response, PageError> {
    let flash = Flash::take(&state, &user).await?;
    render(&state, &user, id, flash.as_ref(), Shown::default()).await
}

async fn render(
    state: &AppState,
    user: &PageUser,
    id: Uuid,
    flash: Option<&Flash>,
    shown: Shown<'_>,
) -> Result<Response, PageError> {
    let actor = user.identity.actor(None);
    let program = state.store.get_program(id, actor.scope()).await?;
    let forecast = state.store.get_forecast(id, None).await?;
    let entries: Vec<ForecastEntry> = forecast
        .as_ref()
        .map(|f| f.entries.clone())
        .unwrap_or_default();
    let months = grid_months(&entries);
    let by_month: HashMap<Month, &ForecastEntry> = entries.iter().map(|e| (e.month, e)).collect();
    let mut demand: BTreeMap<(Month, usize), u32> = BTreeMap::new();
    for (i, sc) in SCENARIOS.iter().enumerate() {
        for d in program_demand(&program, &entries, *sc, &state.settings.phase_success) {
            *demand.entry((d.month, i)).or_default() += d.batches;
        }
    }
    let staff = user.is_staff();
    let status = shown
        .program
        .as_ref()
        .map(|(_, r)| r.status_code())
        .or(shown.grid.as_ref().map(|(_, r, _)| r.status_code()))
        .unwrap_or(StatusCode::OK);
    let pv = |name: &str, current: String| {
        shown
            .program
            .as_ref()
            .map(|(f, _)| one(f, name).unwrap_or("").to_string())
            .unwrap_or(current)
    };
    let perr = |p: &str| shown.program.as_ref().and_then(|(_, r)| r.field(p));
    let cell = |m: Month, ph: Phase| -> (String, Option<&str>) {
        let name = cell_name(m, ph);
        let value = match &shown.grid {
            Some((f, _, _)) => one(f, &name).unwrap_or("").to_string(),
            None => by_month
                .get(&m)
                .filter(|e| e.phase == ph)
                .map(|e| e.batches.to_string())
                .unwrap_or_default(),
        };
        let error = shown
            .grid
            .as_ref()
            .and_then(|(_, _, cells)| cells.get(&name).map(String::as_str));
        (value, error)
    };
    let no_names = HashMap::new();
    let body = html! {
        (Flash::show(flash))
        h2 { "Program" }
        @if let Some((_, r)) = &shown.program { (r.alert(&["/name", "/batch_days", "/changeover_days", "/earliest_start", "/phase", "/priority"], &no_names)) }
        form.card method="post" action=(format!("/ui/programs/{id}")) aria-label="The program" {
            (csrf_field(&user.csrf))
            (super::forms::field("Name", "name", html! {
                input #name name="name" type="text" required value=(pv("name", program.name.clone()));
            }, perr("/name")))
            (super::forms::field("Batch days", "batch_days", html! {
                input #batch_days name="batch_days" type="number" min="1" required value=(pv("batch_days", program.batch_days.to_string()));
            }, perr("/batch_days")))
            (super::forms::field("Changeover days", "changeover_days", html! {
                input #changeover_days name="changeover_days" type="number" min="0" required value=(pv("changeover_days", program.changeover_days.to_string()));
            }, perr("/changeover_days")))
            (super::forms::field("Earliest start (empty: none)", "earliest_start", html! {
                input #earliest_start name="earliest_start" type="date" value=(pv("earliest_start", program.earliest_start.map(|d| d.to_string()).unwrap_or_default()));
            }, perr("/earliest_start")))
            @if staff {
                (super::forms::field("Phase", "phase", html! {
                    select #phase name="phase" {
                        @for ph in Phase::ALL { option value=(ph.as_str()) selected[pv("phase", program.phase.as_str().into()) == ph.as_str()] { (ph.as_str()) } }
                    }
                }, perr("/phase")))
                (super::forms::field("Priority (higher first)", "priority", html! {
                    input #priority name="priority" type="number" value=(pv("priority", program.priority.to_string()));
                }, perr("/priority")))
            } @else {
                div.field { span { "Phase" } strong { (program.phase.as_str()) } }
                div.field { span { "Priority (set by the CDMO)" } strong { (program.priority) } }
            }
            button type="submit" { "Save the program" }
        }
        p.note {
            "Needs " (program.required_capabilities.join(", ")) ", grade " (program.min_grade.as_str()) " or better"
            @if !staff { "; suites, success probabilities and staff needs are set by the CDMO" } "."
        }

        h2 #forecast { "Forecast" }
        p.note {
            @match &forecast { Some(f) => { "Version " (f.version) " of " (f.created_at.format("%Y-%m-%d")) ". " }, None => "No forecast yet. " }
            "Batches per month in the phase you plan for it (one phase per month; empty: no entry). Saving makes a new version; the earlier ones are kept. "
            "Beside each month, the demand the planner sees in each scenario (committed, expected with the phase-success probabilities, maximum)."
        }
        @if let Some((_, r, _)) = &shown.grid { (r.alert(&[], &no_names)) }
        form method="post" action=(format!("/ui/programs/{id}/forecast")) aria-label="The forecast" {
            (csrf_field(&user.csrf))
            div style="overflow-x:auto" {
                table.grid {
                    thead { tr {
                        th scope="col" { "month" }
                        @for ph in Phase::ALL { th scope="col" { (ph.as_str()) } }
                        @for sc in SCENARIOS { th scope="col" { (sc.as_str()) } }
                    } }
                    tbody { @for m in &months {
                        tr {
                            th scope="row" { (m) }
                            @for ph in Phase::ALL {
                                @let (value, error) = cell(*m, ph);
                                @let name = cell_name(*m, ph);
                                td class=[error.map(|_| "bad")] {
                                    input type="number" min="0" max="100000" name=(name) id=(name) value=(value)
                                        aria-label=(format!("{} batches in {m}", ph.as_str()))
                                        aria-invalid=[error.map(|_| "true")]
                                        aria-describedby=[error.map(|_| format!("{name}-error"))];
                                    @if let Some(e) = error { span.field-error id=(format!("{name}-error")) { (e) } }
                                }
                            }
                            @for i in 0..SCENARIOS.len() { td.num { (demand.get(&(*m, i)).copied().unwrap_or(0)) } }
                        }
                    } }
                }
            }
            button.primary type="submit" { "Save the forecast" }
        }
    };
    Ok((status, user_page(user, &program.name, None, body)).into_response())
}

/// `POST /ui/programs/{id}`: the program's fields as a merge patch (a client's form carries no
/// planner field).
pub async fn save(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    let mut patch = serde_json::Map::new();
    patch.insert("name".into(), text(&fields, "name"));
    patch.insert("batch_days".into(), integer(&fields, "batch_days"));
    patch.insert(
        "changeover_days".into(),
        integer(&fields, "changeover_days"),
    );
    patch.insert("earliest_start".into(), text(&fields, "earliest_start"));
    if user.is_staff() {
        patch.insert("phase".into(), text(&fields, "phase"));
        patch.insert("priority".into(), integer(&fields, "priority"));
    }
    let actor = user.identity.actor(None);
    match crate::http::patch_program(&state, &actor, id, patch).await {
        Ok(p) => {
            Flash::notice(format!("{} is saved.", p.name))
                .leave(&state, &user)
                .await?;
            Ok(Redirect::to(&format!("/ui/programs/{id}")).into_response())
        }
        Err(crate::http::ApiError::NotFound) => Err(PageError::not_found()),
        Err(e) => {
            let shown = Shown {
                program: Some((&fields, Refusal::of(e)?)),
                grid: None,
            };
            render(&state, &user, id, None, shown).await
        }
    }
}

/// `POST /ui/programs/{id}/forecast`: the grid's filled cells as the forecast's entries (months
/// outside the grid kept as they are), a new version.
pub async fn save_forecast(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    Path(id): Path<Uuid>,
    Form(fields): Form<Fields>,
) -> Result<Response, PageError> {
    check_post(&state, &user, &headers, &fields)?;
    let actor = user.identity.actor(None);
    // The program must be the caller's before anything is read of it.
    state.store.get_program(id, actor.scope()).await?;
    let current = state.store.get_forecast(id, None).await?;
    let kept: Vec<ForecastEntry> = current.map(|f| f.entries).unwrap_or_default();
    let months = grid_months(&kept);
    let mut entries = Vec::new();
    // Which cell each entry came from, so that the API's `/entries/{i}/…` lands on it.
    let mut cells: Vec<String> = Vec::new();
    for m in &months {
        for ph in Phase::ALL {
            let name = cell_name(*m, ph);
            if one(&fields, &name).is_some() {
                entries.push(serde_json::json!({
                    "month": m.to_string(),
                    "phase": ph.as_str(),
                    "batches": integer(&fields, &name),
                }));
                cells.push(name);
            }
        }
    }
    for e in kept.iter().filter(|e| !months.contains(&e.month)) {
        entries.push(serde_json::json!({"month": e.month.to_string(), "phase": e.phase.as_str(), "batches": e.batches}));
    }
    let outcome = match crate::http::from_json_value::<ForecastInput>(
        serde_json::json!({ "entries": entries }),
    ) {
        Ok(input) => crate::http::forecast(&state, &actor, id, input).await,
        Err(e) => Err(e),
    };
    match outcome {
        Ok(f) => {
            Flash::notice(format!("The forecast is saved as version {}.", f.version))
                .leave(&state, &user)
                .await?;
            Ok(Redirect::to(&format!("/ui/programs/{id}#forecast")).into_response())
        }
        Err(crate::http::ApiError::NotFound) => Err(PageError::not_found()),
        Err(e) => {
            let mut refusal = Refusal::of(e)?;
            let mut by_cell = HashMap::new();
            refusal.fields.retain(|pointer, message| {
                let index = pointer
                    .strip_prefix("/entries/")
                    .and_then(|rest| rest.split('/').next())
                    .and_then(|i| i.parse::<usize>().ok());
                match index.and_then(|i| cells.get(i)) {
                    Some(cell) => {
                        by_cell.insert(cell.clone(), message.clone());
                        false
                    }
                    None => true,
                }
            });
            let shown = Shown {
                program: None,
                grid: Some((&fields, refusal, by_cell)),
            };
            render(&state, &user, id, None, shown).await
        }
    }
}

/// `POST /ui/imports/forecasts` (multipart: `file`, `layout`, `csrf_token`): a forecast
/// spreadsheet imported as `POST /v1/imports/forecasts` imports it, then back to the programs
/// with one result row per program, or per bad cell (row and column) when nothing was imported.
pub async fn import(
    State(state): State<AppState>,
    user: PageUser,
    headers: HeaderMap,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let unreadable = || {
        PageError::new(StatusCode::BAD_REQUEST)
            .with_message("The upload could not be read; choose the file again.")
    };
    let mut fields: Fields = Vec::new();
    let mut file: Vec<u8> = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| unreadable())? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            file = field.bytes().await.map_err(|_| unreadable())?.to_vec();
        } else {
            fields.push((name, field.text().await.map_err(|_| unreadable())?));
        }
    }
    check_post(&state, &user, &headers, &fields)?;
    let actor = user.identity.actor(None);
    let layout = one(&fields, "layout").and_then(crate::sheets::forecasts::Layout::parse);
    let outcome = match crate::sheets::read(&file, crate::sheets::Format::sniff(&file)) {
        Ok(sheet) => crate::http::forecast_sheet(&state, &actor, sheet, layout, false).await,
        Err(e) => Err(crate::http::ApiError::BadRequest(e.to_string())),
    };
    let flash = match outcome {
        Ok(r) => Flash {
            notice: Some(format!(
                "Imported {} row(s) for {} program(s).",
                r.rows,
                r.programs.len()
            )),
            results: r
                .programs
                .iter()
                .map(|p| super::forms::FlashRow {
                    item: p.name.clone(),
                    ok: true,
                    outcome: if p.changed {
                        format!("forecast version {}", p.version)
                    } else {
                        format!("unchanged (version {} kept)", p.version)
                    },
                })
                .collect(),
        },
        Err(e) => {
            let r = Refusal::of(e)?;
            Flash {
                notice: Some(format!("Nothing was imported: {}", r.detail)),
                results: r
                    .fields
                    .iter()
                    .map(|(pointer, message)| super::forms::FlashRow {
                        item: pointer.clone(),
                        ok: false,
                        outcome: message.clone(),
                    })
                    .collect(),
            }
        }
    };
    flash.leave(&state, &user).await?;
    Ok(Redirect::to("/ui/programs#sheets").into_response())
}
