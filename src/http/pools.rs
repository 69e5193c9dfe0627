//! Capacity pools: a site's operator crews, QC lab and shared equipment (docs/api-guide.md,
//! "Pools"). Staff only: a client never sees pool names, capacities or who uses them.

use super::{list::*, merge_patch, ApiError, ApiJson, ApiPath, ApiQuery, Staff};
use crate::app::AppState;
use crate::domain::{pool_days, schema, NewPool, Pool, PoolDay};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_pool, list_pools))
        .routes(routes!(get_pool, patch_pool, delete_pool))
        .routes(routes!(pool_calendar))
}

/// Create a pool. One pool per site and tag.
#[utoipa::path(post, path = "/v1/pools", tag = "pools", request_body = NewPool,
    responses((status = 201, body = Pool),
        (status = 403, description = "A client key.", body = super::error::Problem),
        (status = 409, description = "The site has a pool of this name or tag \
            (`/problems/duplicate`, naming `/name` or `/tag`).", body = super::error::Problem),
        (status = 422, body = super::error::Problem)))]
async fn create_pool(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiJson(input): ApiJson<NewPool>,
) -> Result<(StatusCode, Json<Pool>), ApiError> {
    let actor = &actor;
    let input = input.validate()?;
    let pool = state.write(|s| s.create_pool(actor, &input)).await?;
    Ok((StatusCode::CREATED, Json(pool)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct PoolQuery {
    /// Only this site's pools.
    site_id: Option<Uuid>,
    /// Page size: 1 to 1000, default 100 (anything else is 422).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    #[param(value_type = Option<Cursor>)]
    cursor: Option<String>,
}

/// Pools, in creation order.
#[utoipa::path(get, path = "/v1/pools", tag = "pools", params(PoolQuery),
    responses((status = 200, body = ListOf<Pool>),
        (status = 403, description = "A client key.", body = super::error::Problem)))]
async fn list_pools(
    State(state): State<AppState>,
    Staff(_actor): Staff,
    ApiQuery(q): ApiQuery<PoolQuery>,
) -> Result<Json<ListOf<Pool>>, ApiError> {
    let page = ListQuery {
        limit: q.limit,
        cursor: q.cursor,
    }
    .page()?;
    Ok(Json(state.store.list_pools(q.site_id, page).await?.into()))
}

#[utoipa::path(get, path = "/v1/pools/{id}", tag = "pools", params(("id" = Uuid, Path)),
    responses((status = 200, body = Pool),
        (status = 403, description = "A client key.", body = super::error::Problem),
        (status = 404, body = super::error::Problem)))]
async fn get_pool(
    State(state): State<AppState>,
    Staff(_actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Pool>, ApiError> {
    Ok(Json(state.store.get_pool(id).await?))
}

/// The body of `PATCH /v1/pools/{id}`: the fields to change, each as in a new pool.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct PoolPatch {
    /// Only the pool's own: a pool cannot move to another site.
    #[schema(required = false)]
    site_id: Uuid,
    #[schema(value_type = schema::Name, required = false)]
    name: String,
    #[schema(value_type = crate::domain::PoolKindName, required = false)]
    kind: String,
    #[schema(value_type = schema::Tag, required = false)]
    tag: String,
    #[schema(minimum = 0, maximum = 10_000, required = false)]
    capacity: i64,
    /// null: every day.
    #[schema(value_type = Option<Vec<crate::domain::WeekDayName>>, required = false)]
    weekdays: Option<Vec<String>>,
    /// Replaces the list; null: none.
    #[schema(required = false)]
    exceptions: Option<Vec<crate::domain::PoolException>>,
}

/// Change any field but `site_id` (JSON merge patch; `exceptions` is replaced whole). A lower
/// capacity is accepted even where live bookings already use more: people leave. The pool's
/// calendar (`GET /v1/pools/{id}/calendar`) then shows the days over capacity, and no new
/// booking is let onto them.
#[utoipa::path(patch, path = "/v1/pools/{id}", tag = "pools", params(("id" = Uuid, Path)),
    request_body = PoolPatch,
    responses((status = 200, body = Pool),
        (status = 403, description = "A client key.", body = super::error::Problem),
        (status = 404, body = super::error::Problem),
        (status = 409, description = "The site has a pool of this name or tag \
            (`/problems/duplicate`).", body = super::error::Problem),
        (status = 422, body = super::error::Problem)))]
async fn patch_pool(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(patch): ApiJson<serde_json::Map<String, serde_json::Value>>,
) -> Result<Json<Pool>, ApiError> {
    let actor = &actor;
    let current = state.store.get_pool(id).await?;
    let mut base = serde_json::to_value(&current).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(obj) = base.as_object_mut() {
        for generated in ["id", "created_at", "updated_at"] {
            obj.remove(generated);
        }
    }
    let input: NewPool = merge_patch(base, patch)?;
    let input = input.validate()?;
    Ok(Json(
        state.write(|s| s.update_pool(actor, id, &input)).await?,
    ))
}

/// Delete a pool: batches no longer draw on it.
#[utoipa::path(delete, path = "/v1/pools/{id}", tag = "pools", params(("id" = Uuid, Path)),
    responses((status = 204),
        (status = 403, description = "A client key.", body = super::error::Problem),
        (status = 404, body = super::error::Problem)))]
async fn delete_pool(
    State(state): State<AppState>,
    Staff(actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    let actor = &actor;
    state.write(|s| s.delete_pool(actor, id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct CalendarQuery {
    #[serde(deserialize_with = "crate::domain::dates::date")]
    #[param(value_type = schema::Day)]
    from: NaiveDate,
    /// After `from`, at most 3 years (1098 days) later.
    #[serde(deserialize_with = "crate::domain::dates::date")]
    #[param(value_type = schema::Day)]
    to: NaiveDate,
}

/// The pool's days over `[from, to)`: capacity (working days, exceptions) and what held and
/// confirmed bookings use.
#[utoipa::path(get, path = "/v1/pools/{id}/calendar", tag = "pools",
    params(("id" = Uuid, Path), CalendarQuery),
    responses((status = 200, body = ListOf<PoolDay>),
        (status = 403, description = "A client key.", body = super::error::Problem),
        (status = 404, body = super::error::Problem),
        (status = 422, body = super::error::Problem)))]
async fn pool_calendar(
    State(state): State<AppState>,
    Staff(_actor): Staff,
    ApiPath(id): ApiPath<Uuid>,
    ApiQuery(q): ApiQuery<CalendarQuery>,
) -> Result<Json<ListOf<PoolDay>>, ApiError> {
    if q.to <= q.from {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    if (q.to - q.from).num_days() > 3 * 366 {
        return Err(ApiError::invalid("to", "a span of at most 3 years"));
    }
    let pool = state.store.get_pool(id).await?;
    let users = state.store.pool_users(pool.site_id, q.from, q.to).await?;
    Ok(Json(ListOf {
        items: pool_days(&pool, q.from, q.to, &users),
        next_cursor: None,
    }))
}
