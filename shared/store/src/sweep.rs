//! The scheduled sweep of expired items (credentials with their id
//! pointers, device grants, user codes).
//!
//! DynamoDB TTL deletes expired items too, but up to ~48 h late; the
//! authorizer never trusts it (expiry is checked on every read). The sweep
//! keeps the table and the token lists tidy. It reads only the sparse
//! `by_expiry` index with `expires_at <= now`, so its cost follows the number
//! of expired items, not the size of the table: no `Scan`.

use std::time::Instant;

use serde::Serialize;

use std::collections::HashMap;

use akua_core::ports::StoreError;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem};

use crate::DynamoStore;
use crate::error::{request_error, sdk_error};
use crate::items::{attr, n, s};
use crate::keys::{self, Item};
use crate::table::{BY_EXPIRY, PK, SK};

/// Items read per query page.
pub const PAGE_SIZE: i32 = 100;

/// What one run did; logged as one structured line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub deleted: u64,
    /// Expired items left alone: refreshed or already deleted meanwhile.
    pub skipped: u64,
    pub pages: u64,
    pub duration_ms: u64,
}

/// Deletes everything that expired at or before `now`.
pub async fn run(store: &DynamoStore, now: i64) -> Result<Summary, StoreError> {
    let started = Instant::now();
    let mut summary = Summary::default();
    for shard in keys::expiry_shards() {
        let mut start = None;
        loop {
            let page = store.expired_page(&shard, now, PAGE_SIZE, start).await?;
            summary.pages += 1;
            for item in &page.items {
                if store.delete_expired(item, now).await? {
                    summary.deleted += 1;
                } else {
                    summary.skipped += 1;
                }
            }
            match page.next {
                Some(next) => start = Some(next),
                None => break,
            }
        }
    }
    summary.duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    Ok(summary)
}

/// An expired item as the index shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpiredItem {
    key: Item,
    id: Option<String>,
}

/// One page of one shard's expired items, and where to continue.
#[derive(Debug, Clone)]
pub struct ExpiredPage {
    pub items: Vec<ExpiredItem>,
    pub next: Option<HashMap<String, AttributeValue>>,
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
            .map_err(sdk_error)?;
        let items = out
            .items()
            .iter()
            .filter_map(|item| {
                let key: Item = [PK, SK]
                    .iter()
                    .filter_map(|k| item.get(*k).map(|v| ((*k).to_owned(), v.clone())))
                    .collect();
                let id = item.get(attr::ID).and_then(|v| v.as_s().ok()).cloned();
                (key.len() == 2).then_some(ExpiredItem { key, id })
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
                .map_err(request_error)
        };
        if !keys::is_credential(&item.key) {
            return self.transact(vec![expired(item.key.clone())?]).await;
        }
        let id = item
            .id
            .as_deref()
            .ok_or(StoreError::Corrupt("credential without id"))?;
        let hash = item
            .key
            .get(PK)
            .and_then(|pk| pk.as_s().ok())
            .and_then(|pk| pk.strip_prefix("CRED#"))
            .ok_or(StoreError::Corrupt("credential key"))?;
        // The pointer goes with its credential, unless it points at another
        // secret now (a rolled token's old secret expiring after its grace).
        let pointer = Delete::builder()
            .table_name(self.table())
            .set_key(Some(keys::pointer(id)))
            .condition_expression("attribute_not_exists(pk) OR #hash = :hash")
            .expression_attribute_names("#hash", attr::HASH)
            .expression_attribute_values(":hash", s(hash))
            .build()
            .map_err(request_error)?;
        let both = vec![
            expired(item.key.clone())?,
            TransactWriteItem::builder().delete(pointer).build(),
        ];
        if self.transact(both).await? {
            return Ok(true);
        }
        // Refused: the item is no longer expired, or its id now names a
        // newer secret. Only the expired item itself may go.
        self.transact(vec![expired(item.key.clone())?]).await
    }
}
