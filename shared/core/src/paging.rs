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
    /// The page without rows that ended by `now`: the sweep deletes them
    /// later, and only live credentials are listed (R14). A page may then
    /// hold fewer rows than asked while `has_more` is true.
    pub fn live(mut self, expires_at: impl Fn(&T) -> Option<i64>, now: i64) -> Self {
        self.data
            .retain(|row| expires_at(row).is_none_or(|at| at > now));
        self
    }

    /// A list that fits in one page.
    pub fn whole(data: Vec<T>) -> Self {
        Self {
            data,
            has_more: false,
            next_cursor: None,
        }
    }
}

/// Declares a list type of the API document (`ApiTokenList`, …): the JSON
/// of a [`Page`] of `$item`, every key required, under the name generated
/// clients use. Handlers answer with it, so what is served is what is
/// documented.
#[macro_export]
macro_rules! named_list {
    ($(#[$doc:meta])* $name:ident of $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub struct $name {
            pub data: Vec<$item>,
            /// More rows follow this page.
            pub has_more: bool,
            /// Pass as `cursor` for the next page; null on the last one.
            #[schema(required = true)]
            pub next_cursor: Option<String>,
        }

        impl From<$crate::paging::Page<$item>> for $name {
            fn from(page: $crate::paging::Page<$item>) -> Self {
                Self {
                    data: page.data,
                    has_more: page.has_more,
                    next_cursor: page.next_cursor,
                }
            }
        }
    };
}

/// A page asked for: `limit` already within 1–[`MAX_PAGE`], the `cursor`
/// as sent. The cursor is checked against its list only when the list is
/// read ([`PageRequest::after`]), since only the list knows its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub cursor: Option<String>,
}

impl PageRequest {
    /// The first page of `limit` rows (at most [`MAX_PAGE`]).
    pub fn first(limit: usize) -> Self {
        Self {
            limit: limit.clamp(1, MAX_PAGE),
            cursor: None,
        }
    }

    /// `?limit=&cursor=` as sent: `limit` checked (a `422` naming it).
    pub fn asked(limit: Option<i64>, cursor: Option<String>) -> Result<Self, ApiError> {
        Ok(Self {
            limit: page_limit(limit)?,
            cursor,
        })
    }

    /// The sort key this page continues after in the list `scope`; see
    /// [`after`].
    pub fn after(&self, scope: &str) -> Result<Option<String>, ApiError> {
        after(self.cursor.as_deref(), scope)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::first(DEFAULT_PAGE)
    }
}

/// `limit` checked against 1–[`MAX_PAGE`] (default [`DEFAULT_PAGE`]).
pub fn page_limit(limit: Option<i64>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE as i64).contains(&n) => Ok(n as usize),
        Some(_) => Err(ApiError::validation(
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        )),
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
