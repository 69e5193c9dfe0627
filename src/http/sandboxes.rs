//! What-if sandboxes and plan comparisons (staff): `/v1/sandboxes` and `/v1/comparisons`
//! (docs/api-guide.md, "What-if sandboxes"). A sandbox is planned with `POST /v1/plans`
//! `{"sandbox_id"}`; its plans raise no event and their suggestions cannot be booked.

use super::{list::*, ApiError, ApiJson, ApiPath, ApiQuery, Staff};
use crate::app::AppState;
use crate::domain::{
    compare, Actor, Comparison, PlanDetail, Sandbox, SandboxChange, SandboxInput, ValidationErrors,
};
use crate::store::all_pages;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_sandbox, list_sandboxes))
        .routes(routes!(get_sandbox, replace_sandbox, delete_sandbox))
        .routes(routes!(compare_plans))
}

/// `input` validated, with every live suite, program, site and client it names checked (422
/// naming the change's field otherwise): the API and the pages save sandboxes through here.
pub(crate) async fn checked(
    state: &AppState,
    input: SandboxInput,
) -> Result<SandboxInput, ApiError> {
    let input = input.validate()?;
    let store = &state.store;
    let suites: HashSet<Uuid> = all_pages(|p| store.list_suites(p))
        .await?
        .iter()
        .map(|s| s.id)
        .collect();
    let programs: HashSet<Uuid> = all_pages(|p| store.list_programs(None, p))
        .await?
        .iter()
        .map(|p| p.id)
        .collect();
    let sites: HashSet<Uuid> = all_pages(|p| store.list_sites(p))
        .await?
        .iter()
        .map(|s| s.id)
        .collect();
    let clients: HashSet<Uuid> = all_pages(|p| store.list_clients(None, p))
        .await?
        .iter()
        .map(|c| c.id)
        .collect();
    let mut e = ValidationErrors::new();
    for (i, c) in input.changes.iter().enumerate() {
        let at = format!("/changes/{i}");
        match c {
            SandboxChange::AddSuite { suite, .. } if !sites.contains(&suite.site_id) => {
                e.push(format!("{at}/suite/site_id"), "unknown site")
            }
            SandboxChange::CloseSuite { suite_id, .. } if !suites.contains(suite_id) => {
                e.push(format!("{at}/suite_id"), "unknown suite")
            }
            SandboxChange::ShiftForecast { program_id, .. }
            | SandboxChange::ScaleForecast { program_id, .. }
                if !programs.contains(program_id) =>
            {
                e.push(format!("{at}/program_id"), "unknown program")
            }
            SandboxChange::PhaseSuccess {
                program_id: Some(id),
                ..
            } if !programs.contains(id) => e.push(format!("{at}/program_id"), "unknown program"),
            SandboxChange::AddProgram { program, .. } => {
                if program.client_id.is_some_and(|c| !clients.contains(&c)) {
                    e.push(format!("{at}/program/client_id"), "unknown client");
                }
                for (j, s) in program.allowed_suite_ids.iter().flatten().enumerate() {
                    if !suites.contains(s) {
                        e.push(
                            format!("{at}/program/allowed_suite_ids/{j}"),
                            "unknown suite",
                        );
                    }
                }
            }
            _ => {}
        }
    }
    Ok(e.into_result(input)?)
}

/// Create a sandbox (planner): a name and its changes. Added suites and programs get their ids.
#[utoipa::path(post, path = "/v1/sandboxes", tag = "sandboxes", request_body = SandboxInput,
    responses((status = 201, body = Sandbox),
        (status = 403, description = "A client key.", body = super::error::Problem),
        (status = 422, description = "Invalid input, or a change names a suite, program, site \
            or client that does not exist (the field at `/changes/{i}/…`).",
            body = super::error::Problem)))]
async fn create_sandbox(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiJson(input): ApiJson<SandboxInput>,
) -> Result<(StatusCode, Json<Sandbox>), ApiError> {
    let input = checked(&state, input).await?;
    let s = state
        .write(|store| store.create_sandbox(&actor, &input))
        .await?;
    Ok((StatusCode::CREATED, Json(s)))
}

/// Sandboxes, newest first (every planner's: they are shared).
#[utoipa::path(get, path = "/v1/sandboxes", tag = "sandboxes", params(ListQuery),
    responses((status = 200, body = ListOf<Sandbox>),
        (status = 403, description = "A client key.", body = super::error::Problem)))]
async fn list_sandboxes(
    State(state): State<AppState>,
    Staff(_actor): Staff,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<Sandbox>>, ApiError> {
    Ok(Json(state.store.list_sandboxes(q.page()?).await?.into()))
}

#[utoipa::path(get, path = "/v1/sandboxes/{id}", tag = "sandboxes", params(("id" = Uuid, Path)),
    responses((status = 200, body = Sandbox), (status = 404, body = super::error::Problem)))]
async fn get_sandbox(
    State(state): State<AppState>,
    Staff(_actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Sandbox>, ApiError> {
    Ok(Json(state.store.get_sandbox(id).await?))
}

/// Replace a sandbox's name, description and changes. Plans already made keep the changes they
/// were made with.
#[utoipa::path(put, path = "/v1/sandboxes/{id}", tag = "sandboxes", params(("id" = Uuid, Path)),
    request_body = SandboxInput,
    responses((status = 200, body = Sandbox), (status = 404, body = super::error::Problem),
        (status = 422, body = super::error::Problem)))]
async fn replace_sandbox(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<SandboxInput>,
) -> Result<Json<Sandbox>, ApiError> {
    Ok(Json(save(&state, &actor, id, input).await?))
}

/// Replaces sandbox `id` with `input` (checked like a new one).
pub(crate) async fn save(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    input: SandboxInput,
) -> Result<Sandbox, ApiError> {
    state.store.get_sandbox(id).await?;
    let input = checked(state, input).await?;
    Ok(state
        .write(|store| store.update_sandbox(actor, id, &input))
        .await?)
}

/// Delete a sandbox; its plans stay (with the changes they were made with).
#[utoipa::path(delete, path = "/v1/sandboxes/{id}", tag = "sandboxes", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
async fn delete_sandbox(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    state
        .write(|store| store.delete_sandbox(&actor, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(crate) struct CompareQuery {
    /// The plan compared against (usually the live plan).
    pub(crate) base: Uuid,
    /// The plan compared (usually a sandbox's).
    pub(crate) other: Uuid,
}

/// Two done plans side by side: served and short by month and by program, each one's expansion
/// advice, the utilisation difference per suite-month, and what the other's sandbox changes
/// bought (weighted batches per line-month they add).
#[utoipa::path(get, path = "/v1/comparisons", tag = "sandboxes", params(CompareQuery),
    responses((status = 200, body = Comparison),
        (status = 403, description = "A client key.", body = super::error::Problem),
        (status = 404, description = "No such plan.", body = super::error::Problem),
        (status = 409, description = "A plan is not done yet (`/problems/state`).",
            body = super::error::Problem)))]
async fn compare_plans(
    State(state): State<AppState>,
    Staff(_actor): Staff,
    ApiQuery(q): ApiQuery<CompareQuery>,
) -> Result<Json<Comparison>, ApiError> {
    Ok(Json(comparison(&state, q.base, q.other).await?.0))
}

/// The comparison of plans `base` and `other`, with the two plans as read (the API and the
/// pages, which name hypothetical suites and programs from the plans' changes).
pub(crate) async fn comparison(
    state: &AppState,
    base: Uuid,
    other: Uuid,
) -> Result<(Comparison, [PlanDetail; 2]), ApiError> {
    let (b, o) = (
        state.store.get_plan(base, None).await?,
        state.store.get_plan(other, None).await?,
    );
    let lines: HashMap<Uuid, i64> = all_pages(|p| state.store.list_suites(p))
        .await?
        .iter()
        .map(|s| (s.id, i64::from(s.lines)))
        .collect();
    let c = compare(&b, &o, &|id| lines.get(&id).copied().unwrap_or(0)).map_err(ApiError::State)?;
    Ok((c, [b, o]))
}
