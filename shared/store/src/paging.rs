//! The one paging primitive: every list reads `limit + 1` items, so
//! `has_more` is exact (no empty last page), and returns each row with the
//! sort key a cursor continues after.

use akua_core::ports::{Listed, StoreError};

use crate::error::sdk_error;
use crate::items::{get_s, s};
use crate::keys::{self, Item, List};
use crate::{DynamoStore, table};

/// The order of a `gsi1` list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Ascending,
    Descending,
}

impl DynamoStore {
    /// One page of the list `list` (the `gsi1` partition `partition`),
    /// after the sort key `after` in the given order, each item read by
    /// `parse`. A cursor key not of this list's shape is
    /// [`StoreError::InvalidCursor`] before any query.
    pub(crate) async fn gsi1_list<T>(
        &self,
        list: List,
        partition: String,
        order: Order,
        limit: usize,
        after: Option<&str>,
        parse: impl Fn(&Item) -> Result<T, StoreError>,
    ) -> Result<Listed<T>, StoreError> {
        keys::check_after(list, after)?;
        let items = self.gsi1_page(partition, order, limit, after).await?;
        listed(&items, limit, table::GSI1.range.0, parse)
    }

    /// Up to `limit + 1` items of the `gsi1` partition after `after`.
    async fn gsi1_page(
        &self,
        partition: String,
        order: Order,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let (hash, range) = (table::GSI1.hash.0, table::GSI1.range.0);
        let mut condition = format!("{hash} = :p");
        let mut request = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(table::GSI1.name)
            .scan_index_forward(order == Order::Ascending)
            .limit(read_limit(limit))
            .expression_attribute_values(":p", s(partition));
        if let Some(after) = after {
            let op = match order {
                Order::Ascending => '>',
                Order::Descending => '<',
            };
            condition.push_str(&format!(" AND {range} {op} :after"));
            request = request.expression_attribute_values(":after", s(after));
        }
        let out = request
            .key_condition_expression(condition)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.items.unwrap_or_default())
    }
}

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
