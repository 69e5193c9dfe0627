use super::{list::*, merge_patch, ApiError, ApiJson, ApiPath, ApiQuery, Auth, Staff};
use crate::app::AppState;
use crate::domain::{schema, Closure, Dedication, NewClosure, NewDedication, NewSuite, Suite};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_suite, list_suites))
        .routes(routes!(get_suite, patch_suite))
        .routes(routes!(create_closure, list_closures))
        .routes(routes!(delete_closure))
        .routes(routes!(create_dedication, list_dedications))
        .routes(routes!(delete_dedication))
}

#[utoipa::path(post, path = "/v1/suites", tag = "suites", request_body = NewSuite,
    responses((status = 201, body = Suite), (status = 409, description = "The name is taken (`/problems/duplicate`, naming `/name`).", body = super::error::Problem)))]
async fn create_suite(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiJson(input): ApiJson<NewSuite>,
) -> Result<(StatusCode, Json<Suite>), ApiError> {
    let actor = &actor;
    let input = input.validate()?;
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .write(|store| store.create_suite(actor, &input))
                .await?,
        ),
    ))
}

#[utoipa::path(get, path = "/v1/suites", tag = "suites", params(ListQuery),
    responses((status = 200, body = ListOf<Suite>)))]
async fn list_suites(
    State(state): State<AppState>,
    _auth: Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<Suite>>, ApiError> {
    Ok(Json(state.store.list_suites(q.page()?).await?.into()))
}

#[utoipa::path(get, path = "/v1/suites/{id}", tag = "suites", params(("id" = Uuid, Path)),
    responses((status = 200, body = Suite), (status = 404, body = super::error::Problem)))]
async fn get_suite(
    State(state): State<AppState>,
    _auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Suite>, ApiError> {
    Ok(Json(state.store.get_suite(id).await?))
}

/// The body of `PATCH /v1/suites/{id}`: the fields to change, each as in a new suite.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct SuitePatch {
    /// Only the suite's own: a suite cannot move to another site.
    #[schema(required = false)]
    site_id: Uuid,
    #[schema(value_type = schema::Name, required = false)]
    name: String,
    #[schema(value_type = schema::GradeName, required = false)]
    grade: String,
    #[schema(value_type = Vec<schema::Tag>, required = false)]
    capabilities: Vec<String>,
    /// Fewer lines under held or confirmed bookings → 409 unless `force`.
    #[schema(minimum = 1, maximum = 1000, required = false)]
    lines: i64,
    #[schema(value_type = schema::Day, required = false)]
    available_from: String,
    /// After `available_from`; null: no end.
    #[schema(value_type = Option<schema::Day>)]
    available_to: Option<String>,
    /// Changing it is refused (409, `conflicts` of kind `segregation`) while live bookings of
    /// two parties under the new rule share a day; `force` does not override it.
    #[schema(value_type = crate::domain::SegregationName, required = false)]
    segregation: String,
    /// Keep the change even when held or confirmed bookings fall outside the suite's new
    /// lines or dates (they are flagged `at_risk`).
    #[schema(required = false)]
    force: bool,
}

/// Change any field but `site_id`. `"force": true` accepts leaving live bookings on removed
/// lines or outside the new qualification dates (they are flagged `at_risk`).
#[utoipa::path(patch, path = "/v1/suites/{id}", tag = "suites", params(("id" = Uuid, Path)),
    request_body = SuitePatch,
    responses((status = 200, body = Suite),
        (status = 409, description = "Held or confirmed bookings stand on removed lines or \
            outside the new dates (`/problems/overlap`, with `conflicts`), or the name is taken \
            (`/problems/duplicate`).", body = super::error::Problem)))]
async fn patch_suite(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Suite>, ApiError> {
    Ok(Json(patch_suite_with(&state, &actor, id, patch).await?))
}

/// A suite changed with the rules of `PATCH /v1/suites/{id}` (staff; the caller checks).
pub(crate) async fn patch_suite_with(
    state: &AppState,
    actor: &crate::domain::Actor,
    id: Uuid,
    mut patch: serde_json::Map<String, serde_json::Value>,
) -> Result<Suite, ApiError> {
    let current = state.store.get_suite(id).await?;
    let force = match patch.remove("force") {
        None => false,
        Some(serde_json::Value::Bool(b)) => b,
        Some(_) => return Err(ApiError::invalid("/force", "must be a boolean")),
    };
    if let Some(site) = patch.get("site_id") {
        if site.as_str() != Some(current.site_id.to_string().as_str()) {
            return Err(ApiError::invalid(
                "/site_id",
                "a suite cannot move to another site",
            ));
        }
    }
    let mut base = serde_json::to_value(&current).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(obj) = base.as_object_mut() {
        obj.remove("id");
    }
    let input: NewSuite = merge_patch(base, patch)?;
    let input = input.validate()?;
    Ok(state
        .write(|store| store.update_suite(actor, id, &input, force))
        .await?)
}

/// Close some or all lines of a suite. 409 with the conflicting bookings unless `force`.
#[utoipa::path(post, path = "/v1/suites/{id}/closures", tag = "suites", params(("id" = Uuid, Path)),
    request_body = NewClosure,
    responses((status = 201, body = Closure),
        (status = 409, description = "Held or confirmed bookings fall under the closure \
            (`/problems/overlap`, with `conflicts`).", body = super::error::Problem)))]
async fn create_closure(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NewClosure>,
) -> Result<(StatusCode, Json<Closure>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(close(&state, &actor, id, input).await?),
    ))
}

/// A closure of suite `id` with the rules of `POST /v1/suites/{id}/closures` (staff; the caller
/// checks the role).
pub(crate) async fn close(
    state: &AppState,
    actor: &crate::domain::Actor,
    id: Uuid,
    input: NewClosure,
) -> Result<Closure, ApiError> {
    let suite = state.store.get_suite(id).await?;
    let input = input.validate(suite.lines)?;
    Ok(state
        .write(|store| store.create_closure(actor, id, &input))
        .await?)
}

/// Closures of a suite. Clients see the intervals and lines, not the reasons.
#[utoipa::path(get, path = "/v1/suites/{id}/closures", tag = "suites", params(("id" = Uuid, Path), ListQuery),
    responses((status = 200, body = ListOf<Closure>)))]
async fn list_closures(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<Closure>>, ApiError> {
    state.store.get_suite(id).await?;
    let mut listed = state.store.list_closures(id, q.page()?).await?;
    if !auth.0.is_staff() {
        for c in &mut listed.items {
            c.reason = None;
        }
    }
    Ok(Json(listed.into()))
}

#[utoipa::path(delete, path = "/v1/closures/{id}", tag = "suites", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
async fn delete_closure(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let actor = &actor;
    state.write(|store| store.delete_closure(actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Dedicate a line to one client from a date (client-owned equipment hosted at the site, or a
/// line sold outright): only that client's programs may use it in bookings, availability,
/// quotes and plans; other clients see it as unavailable. 409 while other clients' live
/// bookings stand on the line over the period, or another dedication covers any of its days.
#[utoipa::path(post, path = "/v1/suites/{id}/dedications", tag = "suites",
    params(("id" = Uuid, Path)), request_body = NewDedication,
    responses((status = 201, body = Dedication),
        (status = 409, description = "Other clients' live bookings on the line, or another \
            dedication of it, over the period (`/problems/overlap`, with `conflicts`).",
            body = super::error::Problem)))]
async fn create_dedication(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<NewDedication>,
) -> Result<(StatusCode, Json<Dedication>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(dedicate(&state, &actor, id, input).await?),
    ))
}

/// A dedication of a line of suite `id` with the rules of `POST /v1/suites/{id}/dedications`
/// (staff; the caller checks the role).
pub(crate) async fn dedicate(
    state: &AppState,
    actor: &crate::domain::Actor,
    id: Uuid,
    input: NewDedication,
) -> Result<Dedication, ApiError> {
    let suite = state.store.get_suite(id).await?;
    let input = input.validate(suite.lines)?;
    Ok(state
        .write(|store| store.create_dedication(actor, id, &input))
        .await?)
}

/// A suite's dedicated lines. A client sees only its own (and no notes).
#[utoipa::path(get, path = "/v1/suites/{id}/dedications", tag = "suites",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ListOf<Dedication>), (status = 404, body = super::error::Problem)))]
async fn list_dedications(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ListOf<Dedication>>, ApiError> {
    state.store.get_suite(id).await?;
    let mut items = state.store.list_dedications(Some(id)).await?;
    if let Some(client) = actor.scope() {
        items.retain(|d| d.client_id == client);
        for d in &mut items {
            d.note = None;
        }
    }
    Ok(Json(ListOf {
        items,
        next_cursor: None,
    }))
}

#[utoipa::path(delete, path = "/v1/dedications/{id}", tag = "suites", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
async fn delete_dedication(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let actor = &actor;
    state
        .write(|store| store.delete_dedication(actor, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
