use super::{list::*, ApiError, ApiJson, ApiPath, ApiQuery, Auth, Staff};
use crate::app::AppState;
use crate::domain::{NewSite, Site};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_site, list_sites))
        .routes(routes!(get_site))
}

/// Create a site (planner).
#[utoipa::path(post, path = "/v1/sites", tag = "sites", request_body = NewSite,
    responses((status = 201, body = Site), (status = 409, description = "The name is taken (`/problems/duplicate`, naming `/name`).", body = super::error::Problem)))]
async fn create_site(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiJson(input): ApiJson<NewSite>,
) -> Result<(StatusCode, Json<Site>), ApiError> {
    let actor = &actor;
    let input = input.validate()?;
    let site = state
        .write(|store| store.create_site(actor, &input))
        .await?;
    Ok((StatusCode::CREATED, Json(site)))
}

#[utoipa::path(get, path = "/v1/sites", tag = "sites", params(ListQuery),
    responses((status = 200, body = ListOf<Site>)))]
async fn list_sites(
    State(state): State<AppState>,
    _auth: Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<Site>>, ApiError> {
    Ok(Json(state.store.list_sites(q.page()?).await?.into()))
}

#[utoipa::path(get, path = "/v1/sites/{id}", tag = "sites", params(("id" = Uuid, Path)),
    responses((status = 200, body = Site), (status = 404, body = super::error::Problem)))]
async fn get_site(
    State(state): State<AppState>,
    _auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Site>, ApiError> {
    Ok(Json(state.store.get_site(id).await?))
}
