//! Reading expired items through the sparse `by_expiry` index and deleting
//! them, for the scheduled cleanup. Every delete is conditional on the item
//! still being expired, so a session refreshed meanwhile survives, and two
//! cleanups running at once (or one racing a revocation) cannot do harm.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};

use super::items::{Item, attr, n, pointer_key, s};
use super::table::{BY_EXPIRY, EXPIRY_SHARDS, PK, SK};
use super::{DynamoStore, StoreError, written};

/// An expired item as the index shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpiredItem {
    key: Item,
    kind: String,
    id: Option<String>,
}

/// One page of one shard's expired items, and where to continue.
#[derive(Debug, Clone)]
pub struct ExpiredPage {
    pub items: Vec<ExpiredItem>,
    pub next: Option<HashMap<String, AttributeValue>>,
}

/// The `exp_shard` values to sweep.
pub fn shards() -> impl Iterator<Item = String> {
    (0..EXPIRY_SHARDS).map(|i| format!("EXP#{i}"))
}

impl DynamoStore {
    /// Items of `shard` with `expires_at <= now`, up to `limit` per page.
    pub async fn expired_page(
        &self,
        shard: &str,
        now: i64,
        limit: i32,
        start: Option<HashMap<String, AttributeValue>>,
    ) -> Result<ExpiredPage, StoreError> {
        let out = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(BY_EXPIRY.name)
            .key_condition_expression("exp_shard = :shard AND expires_at <= :now")
            .expression_attribute_values(":shard", s(shard))
            .expression_attribute_values(":now", n(now))
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let items = out
            .items()
            .iter()
            .filter_map(|item| {
                let key: Item = [PK, SK]
                    .iter()
                    .filter_map(|k| item.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                    .collect();
                let kind = item.get(attr::KIND)?.as_s().ok()?.clone();
                let id = item.get(attr::ID).and_then(|v| v.as_s().ok()).cloned();
                (key.len() == 2).then_some(ExpiredItem { key, kind, id })
            })
            .collect();
        Ok(ExpiredPage {
            items,
            next: out.last_evaluated_key().cloned(),
        })
    }

    /// Deletes an expired item, and for a credential its id pointer with it.
    /// `false`: no longer there or no longer expired (left alone).
    pub async fn delete_expired(&self, item: &ExpiredItem, now: i64) -> Result<bool, StoreError> {
        let expired = |key: Item| {
            Delete::builder()
                .table_name(self.table())
                .set_key(Some(key))
                .condition_expression("attribute_exists(pk) AND expires_at <= :now")
                .expression_attribute_values(":now", n(now))
                .build()
                .map(|d| TransactWriteItem::builder().delete(d).build())
                .map_err(StoreError::request)
        };
        let mut request = self
            .client()
            .transact_write_items()
            .transact_items(expired(item.key.clone())?);
        if matches!(item.kind.as_str(), "api_token" | "session") {
            let id = item
                .id
                .as_deref()
                .ok_or(StoreError::Corrupt("credential without id"))?;
            let pointer = Delete::builder()
                .table_name(self.table())
                .set_key(Some(pointer_key(id)))
                .build()
                .map_err(StoreError::request)?;
            request = request.transact_items(TransactWriteItem::builder().delete(pointer).build());
        }
        written(request.send().await)
    }
}
