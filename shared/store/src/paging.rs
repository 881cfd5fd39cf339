//! The one paging primitive: every list reads `limit + 1` items, so
//! `has_more` is exact (no empty last page), and returns each row with the
//! sort key a cursor continues after.

use akua_core::ports::{Listed, StoreError};

use crate::items::get_s;
use crate::keys::Item;

/// The `Limit` of a query for a page of `limit` rows.
pub(crate) fn read_limit(limit: usize) -> i32 {
    i32::try_from(limit.saturating_add(1)).unwrap_or(i32::MAX)
}

/// Up to `limit` rows of `found`, each with its `sort_key` attribute.
pub(crate) fn listed<T>(
    found: &[Item],
    limit: usize,
    sort_key: &'static str,
    parse: impl Fn(&Item) -> Result<T, StoreError>,
) -> Result<Listed<T>, StoreError> {
    let rows = found
        .iter()
        .take(limit)
        .map(|item| Ok((parse(item)?, get_s(item, sort_key)?.to_owned())))
        .collect::<Result<Vec<_>, StoreError>>()?;
    Ok(Listed {
        rows,
        has_more: found.len() > limit,
    })
}
