use super::{list::*, merge_patch, ApiError, ApiJson, ApiPath, ApiQuery, Auth};
use crate::app::AppState;
use crate::domain::{
    program_demand, schema, DemandItem, Forecast, ForecastInput, NewProgram, Program, Scenario,
};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// Fields only planners may change on an existing program.
const PLANNER_FIELDS: [&str; 7] = [
    "phase",
    "priority",
    "phase_success",
    "allowed_suite_ids",
    "resource_profile",
    "phase_processes",
    "tech_transfers",
];

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_program, list_programs))
        .routes(routes!(get_program, patch_program))
        .routes(routes!(put_forecast, get_forecast))
        .routes(routes!(get_demand))
}

#[utoipa::path(post, path = "/v1/programs", tag = "programs", request_body = NewProgram,
    responses((status = 201, body = Program),
        (status = 403, description = "A client key set `priority`, `phase_success`, \
            `allowed_suite_ids`, `resource_profile`, `phase_processes` or `tech_transfers`.", body = super::error::Problem),
        (status = 409, description = "The client has a program of this name \
            (`/problems/duplicate`, naming `/name`).", body = super::error::Problem)))]
async fn create_program(
    State(state): State<AppState>,
    auth: Auth,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<(StatusCode, Json<Program>), ApiError> {
    if !auth.0.is_staff() {
        // A client proposes its program (its `phase` included, which planners confirm later);
        // its priority, phase-success figures and filed suites are the CDMO's to set.
        for (field, unset) in [
            ("priority", serde_json::json!(0)),
            ("phase_success", serde_json::Value::Null),
            ("allowed_suite_ids", serde_json::Value::Null),
            ("resource_profile", serde_json::json!([])),
            ("phase_processes", serde_json::json!([])),
            ("tech_transfers", serde_json::json!([])),
        ] {
            if body.get(field).is_some_and(|v| *v != unset) {
                return Err(ApiError::Forbidden(format!(
                    "`{field}` is set by the CDMO's planners"
                )));
            }
        }
    }
    let input: NewProgram = super::from_json_value(body)?;
    let mut input = input.validate()?;
    if let Some(own) = auth.0.scope() {
        match input.client_id {
            None => input.client_id = Some(own),
            // Another client's id is "unknown" to this key: nothing about it is revealed.
            Some(other) if other != own => {
                return Err(ApiError::invalid("/client_id", "unknown client"))
            }
            Some(_) => {}
        }
    } else if input.client_id.is_none() {
        return Err(ApiError::invalid(
            "/client_id",
            "required for planner and admin keys",
        ));
    }
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .write(|store| store.create_program(&auth.0, &input))
                .await?,
        ),
    ))
}

/// Programs; a client key sees only its own.
#[utoipa::path(get, path = "/v1/programs", tag = "programs", params(ListQuery),
    responses((status = 200, body = ListOf<Program>)))]
async fn list_programs(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<Program>>, ApiError> {
    Ok(Json(
        state
            .store
            .list_programs(auth.0.scope(), q.page()?)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/v1/programs/{id}", tag = "programs", params(("id" = Uuid, Path)),
    responses((status = 200, body = Program), (status = 404, body = super::error::Problem)))]
async fn get_program(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Program>, ApiError> {
    Ok(Json(state.store.get_program(id, auth.0.scope()).await?))
}

/// The body of `PATCH /v1/programs/{id}`: the fields to change, each as in a new program.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ProgramPatch {
    /// Only the program's own: a program cannot move to another client.
    client_id: Option<Uuid>,
    #[schema(value_type = schema::Name, required = false)]
    name: String,
    #[schema(value_type = schema::Modality, required = false)]
    modality: String,
    #[schema(value_type = schema::Storage, required = false)]
    storage: String,
    #[schema(required = false)]
    atmp: bool,
    /// Planners only.
    #[schema(value_type = schema::PhaseName, required = false)]
    phase: String,
    #[schema(value_type = Vec<schema::Tag>, required = false)]
    required_capabilities: Vec<String>,
    #[schema(value_type = schema::GradeName, required = false)]
    min_grade: String,
    #[schema(minimum = 1, maximum = 365, required = false)]
    batch_days: i64,
    #[schema(minimum = 0, maximum = 365, required = false)]
    changeover_days: i64,
    #[schema(value_type = Option<schema::Day>)]
    earliest_start: Option<String>,
    /// Planners only.
    #[schema(value_type = Option<schema::PhaseSuccessInput>)]
    phase_success: Option<String>,
    /// Planners only.
    #[schema(minimum = -1000, maximum = 1000, required = false)]
    priority: i64,
    /// Planners only.
    allowed_suite_ids: Option<Vec<Uuid>>,
    /// Planners only; null: none.
    #[schema(required = false)]
    resource_profile: Option<Vec<crate::domain::ResourceNeed>>,
    /// Planners only; null: none.
    #[schema(required = false)]
    phase_processes: Option<Vec<crate::domain::PhaseProcess>>,
    /// Planners only; null: none.
    #[schema(required = false)]
    tech_transfers: Option<Vec<crate::domain::TechTransfer>>,
}

/// Change fields of a program. `phase`, `priority`, `phase_success`, `allowed_suite_ids`,
/// `resource_profile`, `phase_processes` and `tech_transfers` are the planner's: a client key
/// changing them → 403.
#[utoipa::path(patch, path = "/v1/programs/{id}", tag = "programs", params(("id" = Uuid, Path)),
    request_body = ProgramPatch,
    responses((status = 200, body = Program),
        (status = 403, description = "A client key changed `phase`, `priority`, \
            `phase_success`, `allowed_suite_ids`, `resource_profile`, `phase_processes` or `tech_transfers`.",
            body = super::error::Problem),
        (status = 409, description = "The client has a program of this name \
            (`/problems/duplicate`, naming `/name`).", body = super::error::Problem)))]
async fn patch_program(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch_body): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Program>, ApiError> {
    Ok(Json(patch(&state, &auth.0, id, patch_body).await?))
}

/// Changes fields of a program with the rules of `PATCH /v1/programs/{id}` (a JSON merge patch;
/// the planner's fields refused to a client): the API and the pages change programs here.
pub(crate) async fn patch(
    state: &AppState,
    actor: &crate::domain::Actor,
    id: Uuid,
    patch: serde_json::Map<String, serde_json::Value>,
) -> Result<Program, ApiError> {
    let current = state.store.get_program(id, actor.scope()).await?;
    let mut base = serde_json::to_value(&current).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(obj) = base.as_object_mut() {
        for generated in ["id", "created_at", "updated_at"] {
            obj.remove(generated);
        }
        if !actor.is_staff() {
            for field in PLANNER_FIELDS {
                if patch.get(field).is_some_and(|v| Some(v) != obj.get(field)) {
                    return Err(ApiError::Forbidden(format!(
                        "`{field}` is set by the CDMO's planners"
                    )));
                }
            }
        }
    }
    let input: NewProgram = merge_patch(base, patch)?;
    let input = input.validate()?;
    Ok(state
        .write(|store| store.update_program(actor, id, &input))
        .await?)
}

/// Replace the forecast; the previous version is kept.
#[utoipa::path(put, path = "/v1/programs/{id}/forecast", tag = "programs", params(("id" = Uuid, Path)),
    request_body = ForecastInput,
    responses((status = 200, body = Forecast), (status = 422, body = super::error::Problem)))]
async fn put_forecast(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<ForecastInput>,
) -> Result<Json<Forecast>, ApiError> {
    Ok(Json(forecast(&state, &auth.0, id, input).await?))
}

/// A new forecast version with the rules of `PUT /v1/programs/{id}/forecast`.
pub(crate) async fn forecast(
    state: &AppState,
    actor: &crate::domain::Actor,
    id: Uuid,
    input: ForecastInput,
) -> Result<Forecast, ApiError> {
    let input = input.validate()?;
    Ok(state
        .write(|store| store.put_forecast(actor, id, &input.entries))
        .await?)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct VersionQuery {
    /// A version number; the latest when omitted.
    version: Option<i32>,
}

#[utoipa::path(get, path = "/v1/programs/{id}/forecast", tag = "programs",
    params(("id" = Uuid, Path), VersionQuery),
    responses((status = 200, body = Forecast),
        (status = 404, description = "No such program (or not the caller's), or no such \
            version.", body = super::error::Problem)))]
async fn get_forecast(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<VersionQuery>,
) -> Result<Json<Forecast>, ApiError> {
    state.store.get_program(id, auth.0.scope()).await?;
    let forecast = state.store.get_forecast(id, q.version).await?;
    match forecast {
        Some(f) => Ok(Json(f)),
        // A program without a forecast has an empty one (version 0); an unknown version is 404.
        None if q.version.is_none() => Ok(Json(Forecast {
            program_id: id,
            version: 0,
            entries: vec![],
            created_at: chrono::Utc::now(),
        })),
        None => Err(ApiError::NotFound),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DemandQuery {
    /// `expected` when absent.
    #[param(value_type = Option<crate::domain::schema::ScenarioName>)]
    scenario: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
struct DemandList {
    program_id: Uuid,
    scenario: String,
    items: Vec<DemandItem>,
    next_cursor: Option<String>,
}

/// Integer demand per month under a scenario (docs/planning-model.md).
#[utoipa::path(get, path = "/v1/programs/{id}/demand", tag = "programs",
    params(("id" = Uuid, Path), DemandQuery),
    responses((status = 200, body = DemandList), (status = 422, body = super::error::Problem)))]
async fn get_demand(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<DemandQuery>,
) -> Result<Json<DemandList>, ApiError> {
    let scenario = match q.scenario.as_deref() {
        None => Scenario::Expected,
        Some(s) => Scenario::parse(s).ok_or_else(|| {
            ApiError::invalid("scenario", "must be committed, expected or maximum")
        })?,
    };
    let program = state.store.get_program(id, auth.0.scope()).await?;
    let entries = state
        .store
        .get_forecast(id, None)
        .await?
        .map(|f| f.entries)
        .unwrap_or_default();
    let items = program_demand(&program, &entries, scenario, &state.settings.phase_success);
    Ok(Json(DemandList {
        program_id: id,
        scenario: scenario.as_str().to_string(),
        items,
        next_cursor: None,
    }))
}
