use super::{list::*, Admin, ApiError, ApiJson, ApiPath, ApiQuery, Auth, Staff};
use crate::app::AppState;
use crate::domain::{ApiKey, Client, NewApiKey, NewClient};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_client, list_clients))
        .routes(routes!(get_client))
        .routes(routes!(create_api_key, list_api_keys))
        .routes(routes!(revoke_api_key))
}

#[utoipa::path(post, path = "/v1/clients", tag = "clients", request_body = NewClient,
    responses((status = 201, body = Client), (status = 409, description = "The name is taken (`/problems/duplicate`, naming `/name`).", body = super::error::Problem)))]
async fn create_client(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiJson(input): ApiJson<NewClient>,
) -> Result<(StatusCode, Json<Client>), ApiError> {
    let actor = &actor;
    let input = input.validate()?;
    Ok((
        StatusCode::CREATED,
        Json(
            state
                .write(|store| store.create_client(actor, &input))
                .await?,
        ),
    ))
}

/// Clients; a client key sees only its own.
#[utoipa::path(get, path = "/v1/clients", tag = "clients", params(ListQuery),
    responses((status = 200, body = ListOf<Client>)))]
async fn list_clients(
    State(state): State<AppState>,
    auth: Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<Client>>, ApiError> {
    Ok(Json(
        state
            .store
            .list_clients(auth.0.scope(), q.page()?)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/v1/clients/{id}", tag = "clients", params(("id" = Uuid, Path)),
    responses((status = 200, body = Client), (status = 404, body = super::error::Problem)))]
async fn get_client(
    State(state): State<AppState>,
    auth: Auth,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Client>, ApiError> {
    Ok(Json(state.store.get_client(id, auth.0.scope()).await?))
}

/// A new key; `key` is shown only in this response.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: ApiKey,
    pub key: String,
}

#[utoipa::path(post, path = "/v1/api-keys", tag = "api-keys", request_body = NewApiKey,
    responses((status = 201, body = CreatedApiKey),
        (status = 403, description = "Not an admin key.", body = super::error::Problem)))]
async fn create_api_key(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ApiJson(input): ApiJson<NewApiKey>,
) -> Result<(StatusCode, Json<CreatedApiKey>), ApiError> {
    let actor = &actor;
    let input = input.validate()?;
    let key = crate::domain::generate_api_key();
    let (key_hash, prefix) = (
        crate::domain::hash_key(&key),
        crate::domain::key_prefix(&key),
    );
    let api_key = state
        .write(|store| store.create_api_key(actor, &input, &key_hash, &prefix))
        .await?;
    Ok((StatusCode::CREATED, Json(CreatedApiKey { api_key, key })))
}

#[utoipa::path(get, path = "/v1/api-keys", tag = "api-keys", params(ListQuery),
    responses((status = 200, body = ListOf<ApiKey>),
        (status = 403, description = "Not an admin key.", body = super::error::Problem)))]
async fn list_api_keys(
    State(state): State<AppState>,
    _admin: Admin,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<ListOf<ApiKey>>, ApiError> {
    Ok(Json(state.store.list_api_keys(q.page()?).await?.into()))
}

/// Revoke a key: refused from the next request on.
#[utoipa::path(delete, path = "/v1/api-keys/{id}", tag = "api-keys", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = super::error::Problem)))]
async fn revoke_api_key(
    State(state): State<AppState>,
    Admin(actor): Admin,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let actor = &actor;
    state.write(|store| store.revoke_api_key(actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}
