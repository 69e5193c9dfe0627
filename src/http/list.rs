//! The list envelope `{"items": [...], "next_cursor": ...}` and its query parameters.

use crate::store::Listed;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Serialize, ToSchema)]
pub struct ListOf<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> From<Listed<T>> for ListOf<T> {
    fn from(l: Listed<T>) -> Self {
        ListOf {
            items: l.items,
            next_cursor: l.next.map(|id| id.to_string()),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Page size: 1 to 1000, default 100 (anything else is 422).
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<i64>,
    #[param(value_type = Option<Cursor>)]
    pub cursor: Option<String>,
}

/// `?cursor=` as the OpenAPI document shows it.
pub struct Cursor;

impl utoipa::PartialSchema for Cursor {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "The `next_cursor` of the previous page (opaque); empty or absent: the first page.",
            ))
            .pattern(Some(
                "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})?$",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Cursor {}

impl ListQuery {
    pub fn page(&self) -> Result<crate::store::Page, super::ApiError> {
        super::extract::Paging::parse(self.limit, self.cursor.as_deref())
    }
}
