//! Lists (DESIGN §6): `{data, has_more, next_cursor}` with `limit` 1–100
//! (default 50) and an opaque `cursor` bound to the list it came from.

use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::cursor;
use crate::ports::Listed;

pub const DEFAULT_PAGE: usize = 50;
pub const MAX_PAGE: usize = 100;

/// A page of a list (DESIGN §6).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A list that fits in one page.
    pub fn whole(data: Vec<T>) -> Self {
        Self {
            data,
            has_more: false,
            next_cursor: None,
        }
    }
}

/// `limit` checked against 1–100 (default 50).
pub fn page_limit(limit: Option<i64>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE as i64).contains(&n) => Ok(n as usize),
        Some(_) => Err(ApiError::validation("limit", "must be between 1 and 100")),
    }
}

/// The sort key a `cursor` of the list `scope` continues after. A cursor
/// that does not decode, or belongs to another list, is a 400.
pub fn after(cursor: Option<&str>, scope: &str) -> Result<Option<String>, ApiError> {
    cursor
        .map(|c| cursor::decode(c, scope))
        .transpose()
        .map_err(|e| ApiError::BadRequest(e.to_string()))
}

impl<T> Listed<T> {
    /// The page of the list `scope`, each row shown as `view` shows it,
    /// with a cursor after the last row when more follow.
    pub fn into_page<V>(self, scope: &str, view: impl FnMut(T) -> V) -> Page<V> {
        let next_cursor = if self.has_more {
            self.rows.last().map(|(_, key)| cursor::encode(scope, key))
        } else {
            None
        };
        Page {
            data: self
                .rows
                .into_iter()
                .map(|(row, _)| row)
                .map(view)
                .collect(),
            has_more: self.has_more,
            next_cursor,
        }
    }
}
