use super::{list::*, ApiError, ApiQuery, Staff};
use crate::app::AppState;
use crate::store::{AuditEntry, AuditFilter};
use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AuditQuery {
    entity_id: Option<Uuid>,
    /// RFC 3339 instant (inclusive).
    #[serde(default, deserialize_with = "crate::domain::dates::opt_instant")]
    #[param(value_type = Option<crate::domain::schema::Instant>)]
    from: Option<DateTime<Utc>>,
    /// RFC 3339 instant (exclusive).
    #[serde(default, deserialize_with = "crate::domain::dates::opt_instant")]
    #[param(value_type = Option<crate::domain::schema::Instant>)]
    to: Option<DateTime<Utc>>,
    /// Page size: 1 to 1000, default 100 (anything else is 422).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
    #[param(value_type = Option<Cursor>)]
    cursor: Option<String>,
}

/// Every change that succeeded, oldest first (planner, admin).
#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = ListOf<AuditEntry>),
        (status = 403, description = "A client key.", body = super::error::Problem)))]
async fn list_audit(
    State(state): State<AppState>,
    _staff: Staff,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> Result<Json<ListOf<AuditEntry>>, ApiError> {
    let page = super::extract::Paging::parse(q.limit, q.cursor.as_deref())?;
    let filter = AuditFilter {
        entity_id: q.entity_id,
        from: q.from,
        to: q.to,
    };
    Ok(Json(state.store.list_audit(&filter, page).await?.into()))
}
