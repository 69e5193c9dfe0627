//! Spreadsheets out: forecasts, bookings and a plan's tables as CSV or XLSX, with names next to
//! ids and units in the header (docs/api-guide.md, "Spreadsheets in and out"). A client key
//! gets its own rows only, read with the same scope as the JSON reads.

use super::imports::{CsvFile, XlsxFile};
use super::{ApiError, ApiQuery, Auth};
use crate::app::AppState;
use crate::domain::{schema, BookingStatus, Phase, PlanStatus};
use crate::sheets::{self, forecasts::Layout, Table, Value};
use crate::store::{all_pages, BookingFilter};
use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use solver_models::Month;
use std::collections::{BTreeSet, HashMap};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(export_forecasts))
        .routes(routes!(export_bookings))
        .routes(routes!(export_plan))
}

/// `csv` or `xlsx`.
#[derive(ToSchema)]
#[allow(dead_code)]
enum FormatName {
    #[schema(rename = "csv")]
    Csv,
    #[schema(rename = "xlsx")]
    Xlsx,
}

fn format_of(q: Option<&str>) -> Result<sheets::Format, ApiError> {
    match q {
        None | Some("csv") => Ok(sheets::Format::Csv),
        Some("xlsx") => Ok(sheets::Format::Xlsx),
        Some(_) => Err(ApiError::invalid("format", "must be csv or xlsx")),
    }
}

/// The file as an attachment named `{stem}.{csv|xlsx}`.
fn attachment(table: &Table, format: sheets::Format, stem: &str) -> Result<Response, ApiError> {
    let (bytes, media, ext) = match format {
        sheets::Format::Csv => (table.to_csv(), "text/csv; charset=utf-8", "csv"),
        sheets::Format::Xlsx => (table.to_xlsx(), sheets::XLSX, "xlsx"),
    };
    let bytes = bytes.map_err(ApiError::Internal)?;
    let disposition = format!("attachment; filename=\"{stem}.{ext}\"");
    let mut response = (StatusCode::OK, bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).map_err(|e| ApiError::Internal(e.to_string()))?,
    );
    Ok(response)
}

fn today() -> String {
    chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string()
}

/// Names by id, for the columns next to the ids.
struct Names {
    programs: HashMap<Uuid, (String, Uuid)>,
    clients: HashMap<Uuid, String>,
    suites: HashMap<Uuid, (String, Uuid)>,
    sites: HashMap<Uuid, String>,
}

impl Names {
    async fn read(state: &AppState, scope: Option<Uuid>) -> Result<Names, ApiError> {
        let store = &state.store;
        let programs = all_pages(|p| store.list_programs(scope, p)).await?;
        let clients = all_pages(|p| store.list_clients(scope, p)).await?;
        let suites = all_pages(|p| store.list_suites(p)).await?;
        let sites = all_pages(|p| store.list_sites(p)).await?;
        Ok(Names {
            programs: programs
                .into_iter()
                .map(|p| (p.id, (p.name, p.client_id)))
                .collect(),
            clients: clients.into_iter().map(|c| (c.id, c.name)).collect(),
            suites: suites
                .into_iter()
                .map(|s| (s.id, (s.name, s.site_id)))
                .collect(),
            sites: sites.into_iter().map(|s| (s.id, s.name)).collect(),
        })
    }
    fn program(&self, id: Uuid) -> Value {
        self.programs.get(&id).map(|p| p.0.clone()).into()
    }
    fn client_of(&self, program: Uuid) -> Value {
        self.programs
            .get(&program)
            .and_then(|p| self.clients.get(&p.1))
            .cloned()
            .into()
    }
    fn suite(&self, id: Uuid) -> Value {
        self.suites.get(&id).map(|s| s.0.clone()).into()
    }
    fn site_of(&self, suite: Uuid) -> Value {
        self.suites
            .get(&suite)
            .and_then(|s| self.sites.get(&s.1))
            .cloned()
            .into()
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ForecastExportQuery {
    /// `csv` (default) or `xlsx`.
    #[param(inline, value_type = Option<FormatName>)]
    format: Option<String>,
    /// `long` (default: a row per program-month) or `wide` (a row per program and phase, a
    /// column per month).
    #[param(inline, value_type = Option<super::imports::LayoutName>)]
    layout: Option<String>,
    /// Only this client's programs.
    client_id: Option<Uuid>,
}

/// Every visible program's latest forecast, as a sheet `POST /v1/imports/forecasts` reads back
/// unchanged. Long: `program_id, program, client, month, phase, batches`; wide: `program_id,
/// program, client, phase` and a column per month from the first to the last (batches).
#[utoipa::path(get, path = "/v1/exports/forecasts", tag = "spreadsheets",
    params(ForecastExportQuery),
    responses((status = 200, description = "The file, as an attachment.",
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"forecasts-long-YYYY-MM-DD.csv\"`")),
        content((CsvFile = "text/csv"), (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn export_forecasts(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<ForecastExportQuery>,
) -> Result<Response, ApiError> {
    let format = format_of(q.format.as_deref())?;
    let layout = match q.layout.as_deref() {
        None => Layout::Long,
        Some(l) => {
            Layout::parse(l).ok_or_else(|| ApiError::invalid("layout", "must be long or wide"))?
        }
    };
    let names = Names::read(&state, actor.scope()).await?;
    let mut programs: Vec<(&Uuid, &(String, Uuid))> = names
        .programs
        .iter()
        .filter(|(_, (_, client))| q.client_id.is_none_or(|c| c == *client))
        .collect();
    programs.sort_by_key(|(id, (name, client))| {
        (names.clients.get(client).cloned(), name.clone(), **id)
    });
    let mut forecasts = Vec::new();
    for (id, _) in &programs {
        if let Some(f) = state.store.get_forecast(**id, None).await? {
            forecasts.push((**id, f.entries));
        }
    }
    let id_cols =
        |id: Uuid| -> Vec<Value> { vec![id.into(), names.program(id), names.client_of(id)] };
    let table = match layout {
        Layout::Long => {
            let mut t = Table::new(
                "forecasts",
                &[
                    "program_id",
                    "program",
                    "client",
                    "month",
                    "phase",
                    "batches",
                ],
            );
            for (id, entries) in &forecasts {
                for e in entries {
                    let mut row = id_cols(*id);
                    row.extend([
                        e.month.to_string().into(),
                        e.phase.as_str().into(),
                        e.batches.into(),
                    ]);
                    t.push(row);
                }
            }
            t
        }
        Layout::Wide => {
            let months: BTreeSet<Month> = forecasts
                .iter()
                .flat_map(|(_, es)| es.iter().map(|e| e.month))
                .collect();
            let months: Vec<Month> = match (months.first(), months.last()) {
                (Some(a), Some(b)) => a.until(b.next()).collect(),
                _ => Vec::new(),
            };
            let mut header = vec!["program_id", "program", "client", "phase"];
            let month_names: Vec<String> = months.iter().map(|m| m.to_string()).collect();
            header.extend(month_names.iter().map(String::as_str));
            let mut t = Table::new("forecasts", &header);
            for (id, entries) in &forecasts {
                for phase in Phase::ALL {
                    let of_phase: HashMap<Month, i64> = entries
                        .iter()
                        .filter(|e| e.phase == phase)
                        .map(|e| (e.month, e.batches))
                        .collect();
                    if of_phase.is_empty() {
                        continue;
                    }
                    let mut row = id_cols(*id);
                    row.push(phase.as_str().into());
                    row.extend(months.iter().map(|m| of_phase.get(m).copied().into()));
                    t.push(row);
                }
            }
            t
        }
    };
    attachment(
        &table,
        format,
        &format!("forecasts-{}-{}", layout.as_str(), today()),
    )
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct BookingExportQuery {
    /// `csv` (default) or `xlsx`.
    #[param(inline, value_type = Option<FormatName>)]
    format: Option<String>,
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
}

/// The bookings `GET /v1/bookings` lists with the same filters (all of them, not a page), one
/// a row: `id, program_id, program, client, suite_id, suite, site, line, start, end` (end
/// exclusive), `line-days`, `status, kind, hold_expires_at, note, at_risk`.
#[utoipa::path(get, path = "/v1/exports/bookings", tag = "spreadsheets",
    params(BookingExportQuery),
    responses((status = 200, description = "The file, as an attachment.",
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"bookings-YYYY-MM-DD.csv\"`")),
        content((CsvFile = "text/csv"), (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")))))]
async fn export_bookings(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<BookingExportQuery>,
) -> Result<Response, ApiError> {
    let format = format_of(q.format.as_deref())?;
    let filter = super::bookings::filter_of(
        BookingFilter {
            suite_id: q.suite_id,
            program_id: q.program_id,
            client_id: q.client_id,
            from: q.from,
            to: q.to,
            ..BookingFilter::default()
        },
        q.status.as_deref(),
        q.kind.as_deref(),
    )?;
    let bookings = all_pages(|p| state.store.list_bookings(&filter, actor.scope(), p)).await?;
    let names = Names::read(&state, actor.scope()).await?;
    let mut t = Table::new(
        "bookings",
        &[
            "id",
            "program_id",
            "program",
            "client",
            "suite_id",
            "suite",
            "site",
            "line",
            "start",
            "end",
            "line-days",
            "status",
            "kind",
            "hold_expires_at",
            "note",
            "at_risk",
        ],
    );
    for b in bookings {
        t.push(vec![
            b.id.into(),
            b.program_id.into(),
            names.program(b.program_id),
            names.client_of(b.program_id),
            b.suite_id.into(),
            names.suite(b.suite_id),
            names.site_of(b.suite_id),
            b.line.into(),
            b.start.into(),
            b.end.into(),
            (b.end - b.start).num_days().into(),
            b.status.as_str().into(),
            b.kind.as_str().into(),
            b.hold_expires_at.map(|t| t.to_rfc3339()).into(),
            b.note.clone().into(),
            b.at_risk.to_string().into(),
        ]);
    }
    attachment(&t, format, &format!("bookings-{}", today()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct PlanExportQuery {
    /// `csv` (default) or `xlsx`.
    #[param(inline, value_type = Option<FormatName>)]
    format: Option<String>,
}

/// `suggestions`, `shortfalls`, `utilization` or `expansion`.
#[derive(ToSchema)]
#[allow(dead_code)]
enum PlanTableName {
    #[schema(rename = "suggestions")]
    Suggestions,
    #[schema(rename = "shortfalls")]
    Shortfalls,
    #[schema(rename = "utilization")]
    Utilization,
    #[schema(rename = "expansion")]
    Expansion,
}

/// One table of a done plan, with the numbers `GET /v1/plans/{id}` gives:
/// - `suggestions`: `id, program_id, program, client, suite_id, suite, site, line, start, end,
///   line-days, month, kind`;
/// - `shortfalls`: `program_id, program, client, month, phase, demand (batches), booked
///   (batches), planned (batches), shortfall (batches), reason`;
/// - `utilization`: `suite_id, suite, site, month, open (line-days), booked (line-days),
///   planned (line-days), utilisation (share)` (booked + planned over open);
/// - `expansion`: `capabilities, min_grade, site_id, site, from_month, extra (lines), serves
///   (batches)`.
///
/// A client key gets its own programs' suggestions and shortfalls; utilisation and expansion
/// are the CDMO's (403).
#[utoipa::path(get, path = "/v1/plans/{id}/exports/{table}", tag = "spreadsheets",
    params(("id" = Uuid, Path), ("table" = inline(PlanTableName), Path), PlanExportQuery),
    responses((status = 200, description = "The file, as an attachment.",
        headers(("Content-Disposition" = String, description = "`attachment; filename=\"plan-{id}-{table}.csv\"`")),
        content((CsvFile = "text/csv"), (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 403, description = "A client key asked for `utilization` or `expansion`.", body = super::error::Problem),
        (status = 404, description = "No such plan, or no such table.", body = super::error::Problem),
        (status = 409, description = "The plan is not done (`/problems/state`).", body = super::error::Problem)))]
async fn export_plan(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, table)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<PlanExportQuery>,
) -> Result<Response, ApiError> {
    let id = sheets::uuid(&id).ok_or(ApiError::NotFound)?;
    let format = format_of(q.format.as_deref())?;
    let client = !actor.is_staff();
    match (table.as_str(), client) {
        ("suggestions" | "shortfalls", _) => {}
        ("utilization" | "expansion", false) => {}
        ("utilization" | "expansion", true) => {
            return Err(ApiError::Forbidden(
                "suite utilisation and expansion advice are the CDMO's".into(),
            ))
        }
        _ => return Err(ApiError::NotFound),
    }
    // As `GET /v1/plans/{id}`: a client key bound to no client sees nothing of anyone's.
    let scope = client.then(|| actor.client_id.unwrap_or(Uuid::nil()));
    let detail = state.store.get_plan(id, scope).await?;
    if detail.record.status != PlanStatus::Done {
        return Err(ApiError::State(
            "the plan is not done yet; export it once its status is done".into(),
        ));
    }
    let names = Names::read(&state, actor.scope()).await?;
    let t = match table.as_str() {
        "suggestions" => {
            let mut t = Table::new(
                "suggestions",
                &[
                    "id",
                    "program_id",
                    "program",
                    "client",
                    "suite_id",
                    "suite",
                    "site",
                    "line",
                    "start",
                    "end",
                    "line-days",
                    "month",
                    "kind",
                ],
            );
            for s in &detail.suggestions {
                t.push(vec![
                    s.id.into(),
                    s.program_id.into(),
                    names.program(s.program_id),
                    names.client_of(s.program_id),
                    s.suite_id.into(),
                    names.suite(s.suite_id),
                    names.site_of(s.suite_id),
                    s.line.into(),
                    s.start.into(),
                    s.end.into(),
                    (s.end - s.start).num_days().into(),
                    s.month.clone().into(),
                    s.kind.as_str().into(),
                ]);
            }
            t
        }
        "shortfalls" => {
            let mut t = Table::new(
                "shortfalls",
                &[
                    "program_id",
                    "program",
                    "client",
                    "month",
                    "phase",
                    "demand (batches)",
                    "booked (batches)",
                    "planned (batches)",
                    "shortfall (batches)",
                    "reason",
                ],
            );
            for s in &detail.shortfalls {
                let reason = serde_json::to_value(s.reason)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string));
                t.push(vec![
                    s.program_id.into(),
                    names.program(s.program_id),
                    names.client_of(s.program_id),
                    s.month.clone().into(),
                    s.phase.clone().into(),
                    s.demand.into(),
                    s.booked.into(),
                    s.planned.into(),
                    s.shortfall.into(),
                    reason.into(),
                ]);
            }
            t
        }
        "utilization" => {
            let mut t = Table::new(
                "utilization",
                &[
                    "suite_id",
                    "suite",
                    "site",
                    "month",
                    "open (line-days)",
                    "booked (line-days)",
                    "planned (line-days)",
                    "utilisation (share)",
                ],
            );
            for u in &detail.utilization {
                let share = (u.open_line_days > 0).then(|| {
                    let r = f64::from(u.booked_line_days + u.planned_line_days)
                        / f64::from(u.open_line_days);
                    (r * 10_000.0).round() / 10_000.0
                });
                t.push(vec![
                    u.suite_id.into(),
                    names.suite(u.suite_id),
                    names.site_of(u.suite_id),
                    u.month.clone().into(),
                    u.open_line_days.into(),
                    u.booked_line_days.into(),
                    u.planned_line_days.into(),
                    share.into(),
                ]);
            }
            t
        }
        _ => {
            let mut t = Table::new(
                "expansion",
                &[
                    "capabilities",
                    "min_grade",
                    "site_id",
                    "site",
                    "from_month",
                    "extra (lines)",
                    "serves (batches)",
                ],
            );
            let expansion = detail
                .record
                .summary
                .as_ref()
                .map(|s| s.expansion.clone())
                .unwrap_or_default();
            for e in expansion {
                t.push(vec![
                    e.capabilities.join(", ").into(),
                    e.min_grade.into(),
                    e.site_id.into(),
                    e.site_id.and_then(|s| names.sites.get(&s).cloned()).into(),
                    e.from_month.into(),
                    e.extra_lines.into(),
                    e.serves_batches.into(),
                ]);
            }
            t
        }
    };
    attachment(&t, format, &format!("plan-{id}-{table}"))
}
