//! Spreadsheets in: forecasts (long or wide layout) and bookings, from CSV or XLSX
//! (docs/api-guide.md, "Spreadsheets in and out").
//!
//! Every row is read and checked first, and every bad cell reported in one 422 (`field`
//! `/rows/{row}/{column}`); then the whole file is written in one transaction, or nothing is.
//! Importing the same file again changes nothing: a program whose entries equal its latest
//! forecast keeps that version, and a booking row equal to a live booking is that booking.

use super::bookings;
use super::error::{problem_response, Problem};
use super::{ApiError, ApiQuery, Auth};
use crate::app::AppState;
use crate::domain::{Booking, FieldError, Role};
use crate::sheets::{self, forecasts::Layout, Format, Names};
use crate::store::{all_pages, StoreError};
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(import_forecasts))
        .routes(routes!(import_bookings))
}

/// A CSV file, as the OpenAPI document shows a body or an answer of `text/csv`.
pub struct CsvFile;

impl utoipa::PartialSchema for CsvFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("A CSV file (UTF-8), header in the first row."))
            .into()
    }
}

impl utoipa::ToSchema for CsvFile {}

/// An XLSX workbook (binary), as the OpenAPI document shows it.
pub struct XlsxFile;

impl utoipa::PartialSchema for XlsxFile {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        use utoipa::openapi::schema::{KnownFormat, SchemaFormat};
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .description(Some(
                "An XLSX workbook; its first sheet is read, header in the first row.",
            ))
            .into()
    }
}

impl utoipa::ToSchema for XlsxFile {}

/// A spreadsheet body: `text/csv`, XLSX, or `application/octet-stream`; an XLSX is known by its
/// zip signature whatever the type says. Over the body limit → 413; another type → 415; an
/// XLSX that does not open, or CSV that is not UTF-8 → 400.
pub struct SheetFile(pub Option<sheets::Sheet>);

fn media_type(req: &Request) -> Option<String> {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

impl<S: Send + Sync> FromRequest<S> for SheetFile {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let declared = media_type(&req);
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge.into_response()
            } else {
                ApiError::BadRequest(rejection.body_text()).into_response()
            }
        })?;
        let format = match declared.as_deref() {
            Some(sheets::XLSX) => Format::Xlsx,
            Some(sheets::CSV) | Some("application/octet-stream") => Format::sniff(&bytes),
            _ if bytes.is_empty() => Format::Csv,
            _ => {
                let mut problem = ApiError::UnsupportedMediaType.problem();
                problem.detail = format!(
                    "send the file as {} or {} (the XLSX media type)",
                    sheets::CSV,
                    sheets::XLSX
                );
                return Err(problem_response(&problem));
            }
        };
        sheets::read(&bytes, format)
            .map(SheetFile)
            .map_err(|e| ApiError::BadRequest(e.to_string()).into_response())
    }
}

fn no_rows() -> ApiError {
    ApiError::invalid("/rows/1", "row 1: the file is empty; it needs a header row")
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ForecastImportQuery {
    /// `long` (`program, month, phase, batches`) or `wide` (`program, phase` and a column per
    /// month). Absent: long when the header has a `month` column, else wide.
    #[param(inline, value_type = Option<LayoutName>)]
    layout: Option<String>,
    /// Check and report, write nothing.
    dry_run: Option<bool>,
}

/// `long` or `wide`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(super) enum LayoutName {
    #[schema(rename = "long")]
    Long,
    #[schema(rename = "wide")]
    Wide,
}

/// One program's outcome of a forecast import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedForecast {
    pub program_id: Uuid,
    pub name: String,
    /// The forecast version the program has after the import (with `dry_run`: would have); 0
    /// for no forecast.
    pub version: i32,
    /// `false`: the file's entries equal the latest version, which stays (no new version).
    pub changed: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ForecastImport {
    /// `long` or `wide`, as read.
    pub layout: String,
    pub dry_run: bool,
    /// Data rows read (the header and blank rows not counted).
    pub rows: usize,
    /// Each program the file names, in the order it first appears.
    pub programs: Vec<ImportedForecast>,
}

/// The names a caller may use: a client key's own programs, or every program.
async fn program_names(state: &AppState, scope: Option<Uuid>) -> Result<Names, ApiError> {
    let programs = all_pages(|page| state.store.list_programs(scope, page)).await?;
    Ok(Names::new(
        "program",
        programs.into_iter().map(|p| (p.id, p.name)).collect(),
    ))
}

/// Import forecasts from a spreadsheet: each program the file names gets the file's entries as
/// its forecast (replacing it whole; programs not in the file are untouched), all in one
/// transaction. A program whose entries equal its latest version keeps it (`changed: false`).
/// Every bad cell → 422 naming `/rows/{row}/{column}`, and nothing is written.
#[utoipa::path(post, path = "/v1/imports/forecasts", tag = "spreadsheets",
    params(ForecastImportQuery),
    request_body(description = "The file: CSV (UTF-8; comma, semicolon or tab separated) or \
        XLSX (its first sheet), header in the first row.",
        content((CsvFile = "text/csv"), (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, body = ForecastImport),
        (status = 400, description = "The body is not a readable XLSX workbook, or CSV that is \
            not UTF-8 (`/problems/malformed`).", body = Problem),
        (status = 415, description = "A body that is neither CSV nor XLSX.", body = Problem),
        (status = 422, description = "Bad cells: `errors` names each as \
            `/rows/{row}/{column}` (the row as the spreadsheet numbers it, the header being row 1; \
            the column by its header text), with a message `row 14, column \"2028-03\": not an \
            integer`; or a bad query parameter.", body = Problem)))]
async fn import_forecasts(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<ForecastImportQuery>,
    SheetFile(sheet): SheetFile,
) -> Result<Json<ForecastImport>, ApiError> {
    let layout = match q.layout.as_deref() {
        None => None,
        Some(l) => Some(
            Layout::parse(l).ok_or_else(|| ApiError::invalid("layout", "must be long or wide"))?,
        ),
    };
    let dry_run = q.dry_run.unwrap_or(false);
    Ok(Json(
        forecast_sheet(&state, &actor, sheet, layout, dry_run).await?,
    ))
}

/// A forecast spreadsheet imported with every rule of `POST /v1/imports/forecasts` (the API and
/// the pages' upload form).
pub(crate) async fn forecast_sheet(
    state: &AppState,
    actor: &crate::domain::Actor,
    sheet: Option<sheets::Sheet>,
    layout: Option<Layout>,
    dry_run: bool,
) -> Result<ForecastImport, ApiError> {
    let sheet = sheet.ok_or_else(no_rows)?;
    let names = program_names(state, actor.scope()).await?;
    let parsed = sheets::forecasts::parse(&sheet, layout, &names)?;
    let mut programs = Vec::with_capacity(parsed.programs.len());
    if dry_run {
        for (id, entries) in &parsed.programs {
            let latest = state.store.get_forecast(*id, None).await?;
            let (version, changed) = match latest {
                Some(f) if f.entries == *entries => (f.version, false),
                Some(f) => (f.version + 1, true),
                None if entries.is_empty() => (0, false),
                None => (1, true),
            };
            programs.push((*id, version, changed));
        }
    } else {
        let puts = state
            .write(|store| store.put_forecasts(actor, &parsed.programs))
            .await
            // A program deleted or moved since it was named: as an unknown one.
            .map_err(|e| match e {
                StoreError::NotFound => ApiError::invalid("/rows", "a program is unknown"),
                other => other.into(),
            })?;
        for put in puts {
            programs.push((put.forecast.program_id, put.forecast.version, put.changed));
        }
    }
    let all = all_pages(|page| state.store.list_programs(actor.scope(), page)).await?;
    let name_of = |id: Uuid| {
        all.iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_default()
    };
    Ok(ForecastImport {
        layout: parsed.layout.as_str().to_string(),
        dry_run,
        rows: parsed.rows,
        programs: programs
            .into_iter()
            .map(|(program_id, version, changed)| ImportedForecast {
                program_id,
                name: name_of(program_id),
                version,
                changed,
            })
            .collect(),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct BookingImportQuery {
    /// Check and decide every row, write nothing.
    dry_run: Option<bool>,
}

/// One row's outcome of a bookings import.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedBooking {
    /// The row as the spreadsheet numbers it.
    pub row: u32,
    /// `false`: a live booking of the same program, suite, line, days, status and kind was
    /// there already; it is the one shown, and nothing was booked.
    pub created: bool,
    pub booking: Booking,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingImport {
    pub dry_run: bool,
    pub rows: usize,
    pub bookings: Vec<ImportedBooking>,
}

/// Import bookings from a spreadsheet: every row booked as `POST /v1/bookings` would book it
/// (the same rules, conflicts, pools and quotas, a client's rows as holds of its own programs),
/// in one transaction, each row against the calendar the rows before it left. A row that
/// collides with a booking, a closure, qualification dates or an earlier row refuses the whole
/// file (409 naming the row); a row equal to a live booking is that booking (`created: false`).
#[utoipa::path(post, path = "/v1/imports/bookings", tag = "spreadsheets",
    params(BookingImportQuery),
    request_body(description = "The file: CSV or XLSX, header `program, suite, line, start, \
        end, status, note` (and optionally `kind`).",
        content((CsvFile = "text/csv"), (XlsxFile = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
    responses((status = 200, body = BookingImport),
        (status = 400, description = "The body is not a readable XLSX workbook, or CSV that is \
            not UTF-8 (`/problems/malformed`).", body = Problem),
        (status = 409, description = "A row collides with held or confirmed bookings, closures, \
            qualification dates or an earlier row of the file (`/problems/overlap`, with \
            `conflicts`), or a pool has not enough left (`/problems/pool-capacity`); `errors` \
            names the row (`/rows/{row}`). Nothing was booked.", body = Problem),
        (status = 415, description = "A body that is neither CSV nor XLSX.", body = Problem),
        (status = 422, description = "Bad cells, each named `/rows/{row}/{column}`; or a bad \
            query parameter. Nothing was booked.", body = Problem)))]
async fn import_bookings(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(q): ApiQuery<BookingImportQuery>,
    SheetFile(sheet): SheetFile,
) -> Result<Json<BookingImport>, Response> {
    let dry_run = q.dry_run.unwrap_or(false);
    let sheet = sheet.ok_or_else(|| no_rows().into_response())?;
    let client = actor.role == Role::Client;
    let programs = program_names(&state, actor.scope())
        .await
        .map_err(IntoResponse::into_response)?;
    let suites = all_pages(|page| state.store.list_suites(page))
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    let suites = Names::new(
        "suite",
        suites.into_iter().map(|s| (s.id, s.name)).collect(),
    );
    let rules = bookings::rules(&state);
    let rows = sheets::bookings::parse(&sheet, &programs, &suites, &rules, client)
        .map_err(|e| ApiError::from(e).into_response())?;
    let inputs: Vec<_> = rows.iter().map(|r| r.input.clone()).collect();
    let outcome = state
        .write(|store| store.import_bookings(&actor, &inputs, &rules, dry_run))
        .await
        .map_err(|e| ApiError::from(e).into_response())?;
    match outcome {
        Ok(done) => Ok(Json(BookingImport {
            dry_run,
            rows: sheet.rows.len(),
            bookings: rows
                .iter()
                .zip(done)
                .map(|(r, b)| ImportedBooking {
                    row: r.row,
                    created: b.created,
                    booking: b.booking,
                })
                .collect(),
        })),
        Err(refused) => Err(refusal(&actor, &rows, refused)),
    }
}

/// The answer to a refused row: the store's error for it, with the row named.
fn refusal(
    actor: &crate::domain::Actor,
    rows: &[sheets::bookings::BookingRow],
    refused: crate::store::RowRefused,
) -> Response {
    let row = rows.get(refused.index).map(|r| r.row).unwrap_or(0);
    // Which earlier rows of the file a conflict is with (their bookings were not written, so
    // the file's own row numbers say it), read before a client's view drops the ids.
    let mut with_rows: Vec<u32> = match &refused.error {
        StoreError::Conflict(items) => items
            .iter()
            .filter_map(|c| c.booking_id)
            .filter_map(|id| refused.earlier.iter().position(|e| *e == id))
            .filter_map(|i| rows.get(i).map(|r| r.row))
            .collect(),
        _ => Vec::new(),
    };
    with_rows.sort_unstable();
    with_rows.dedup();
    let error = bookings::scrub(ApiError::from(refused.error), actor);
    if let ApiError::Validation(found) = error {
        let mut named = crate::domain::ValidationErrors::new();
        for fe in found.0 {
            let cell = sheets::CellRef::new(row, sheets::bookings::column_of(&fe.field));
            named.push(cell.field(), cell.message(&fe.message));
        }
        return ApiError::Validation(named).into_response();
    }
    if matches!(error, ApiError::NotFound) {
        return ApiError::invalid(
            format!("/rows/{row}"),
            format!("row {row}: unknown program"),
        )
        .into_response();
    }
    let mut problem = error.problem();
    let message = if with_rows.is_empty() {
        format!("row {row}: {}", problem.detail)
    } else {
        let list: Vec<String> = with_rows.iter().map(u32::to_string).collect();
        format!(
            "row {row}: collides with row {} of this file ({})",
            list.join(", "),
            problem.detail
        )
    };
    problem.detail = message.clone();
    problem.errors = Some(vec![FieldError {
        field: format!("/rows/{row}"),
        message,
    }]);
    problem_response(&problem)
}
