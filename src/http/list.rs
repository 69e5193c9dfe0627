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
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// 1..=1000, default 100.
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl ListQuery {
    pub fn page(&self) -> Result<crate::store::Page, super::ApiError> {
        super::extract::Paging::parse(self.limit, self.cursor.as_deref())
    }
}
