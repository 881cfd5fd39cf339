//! The one paging primitive: every list reads `limit + 1` items, so
//! `has_more` is exact (no empty last page), and returns each row with the
//! sort key a cursor continues after.

use std::collections::HashMap;
use std::time::Duration;

use akua_core::paging::MAX_PAGE;
use akua_core::ports::{Listed, StoreError};
use aws_sdk_dynamodb::types::KeysAndAttributes;

use crate::error::{request_error, sdk_error};
use crate::items::{get_s, s};
use crate::keys::{self, Item, List};
use crate::{DynamoStore, table};

/// The order of a list read from [`table::LISTS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    Ascending,
    Descending,
}

impl DynamoStore {
    /// One page of the list `list` (the [`table::LISTS`] partition
    /// `partition`), after the sort key `after` in the given order, each
    /// item read by `parse`. A cursor key not of this list's shape is
    /// [`StoreError::InvalidCursor`] before any query.
    ///
    /// Two calls: the index gives the page's keys (`limit + 1`, so
    /// `has_more` is exact), a consistent `BatchGetItem` the items. An
    /// item deleted or moved out of the list in between is left out, so a
    /// revoked credential never shows once its revocation has answered.
    pub(crate) async fn index_list<T>(
        &self,
        list: List,
        partition: String,
        order: Order,
        limit: usize,
        after: Option<&str>,
        parse: impl Fn(&Item) -> Result<T, StoreError>,
    ) -> Result<Listed<T>, StoreError> {
        keys::check_after(list, after)?;
        let range = table::LISTS.range.0;
        let mut after = after.map(str::to_owned);
        loop {
            let found = self
                .index_keys(&partition, order, limit, after.as_deref())
                .await?;
            let has_more = found.len() > limit;
            let page = &found[..found.len().min(limit)];
            let items = self.items_by_key(page).await?;
            let mut rows = Vec::with_capacity(page.len());
            for key in page {
                let still_listed = items
                    .get(&primary_key(key)?)
                    .filter(|item| get_s(item, table::LISTS.hash.0).is_ok_and(|p| p == partition));
                if let Some(item) = still_listed {
                    rows.push((parse(item)?, get_s(item, range)?.to_owned()));
                }
            }
            // Every key of a full page gone since the index answered:
            // read on rather than answer an empty page that has more.
            if rows.is_empty() && has_more {
                after = page
                    .last()
                    .map(|k| get_s(k, range))
                    .transpose()?
                    .map(str::to_owned);
                continue;
            }
            return Ok(Listed { rows, has_more });
        }
    }

    /// Up to `limit + 1` keys of the partition after `after`.
    async fn index_keys(
        &self,
        partition: &str,
        order: Order,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let (hash, range) = (table::LISTS.hash.0, table::LISTS.range.0);
        let mut condition = format!("{hash} = :p");
        let mut request = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(self.list_index())
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

    /// The items at `keys` (at most [`MAX_PAGE`], one consistent
    /// `BatchGetItem` unless DynamoDB leaves keys unprocessed, which are
    /// asked for again), by primary key; missing items are left out.
    pub(crate) async fn items_by_key(
        &self,
        keys: &[Item],
    ) -> Result<HashMap<(String, String), Item>, StoreError> {
        // BatchGetItem takes at most 100 keys, the largest page.
        debug_assert!(keys.len() <= MAX_PAGE);
        let mut found = HashMap::with_capacity(keys.len());
        if keys.is_empty() {
            return Ok(found);
        }
        let mut pending = keys
            .iter()
            .map(|k| {
                let (pk, sk) = primary_key(k)?;
                Ok(HashMap::from([
                    (table::PK.to_owned(), s(pk)),
                    (table::SK.to_owned(), s(sk)),
                ]))
            })
            .collect::<Result<Vec<Item>, StoreError>>()?;
        for attempt in 0..UNPROCESSED_RETRIES {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_millis(20 << attempt)).await;
            }
            let wanted = KeysAndAttributes::builder()
                .set_keys(Some(pending))
                .consistent_read(true)
                .build()
                .map_err(request_error)?;
            let out = self
                .client()
                .batch_get_item()
                .request_items(self.table(), wanted)
                .send()
                .await
                .map_err(sdk_error)?;
            for item in out
                .responses
                .unwrap_or_default()
                .remove(self.table())
                .unwrap_or_default()
            {
                found.insert(primary_key(&item)?, item);
            }
            pending = out
                .unprocessed_keys
                .unwrap_or_default()
                .remove(self.table())
                .map(|k| k.keys)
                .unwrap_or_default();
            if pending.is_empty() {
                return Ok(found);
            }
        }
        Err(StoreError::Unavailable(
            "BatchGetItem left keys unprocessed".to_owned(),
        ))
    }
}

/// Attempts at a `BatchGetItem` that DynamoDB answers in part (it returns
/// the rest as unprocessed keys under load).
const UNPROCESSED_RETRIES: u32 = 4;

fn primary_key(item: &Item) -> Result<(String, String), StoreError> {
    Ok((
        get_s(item, table::PK)?.to_owned(),
        get_s(item, table::SK)?.to_owned(),
    ))
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
