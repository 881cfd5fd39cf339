//! The scheduled sweep of expired items (credentials with their id
//! pointers, device grants, user codes), and of tokens about to expire,
//! whose logs get a `token.expiring` notice (`akua_core::expiry_notice`).
//!
//! DynamoDB TTL deletes expired items too, but up to ~48 h late; the
//! authorizer never trusts it (expiry is checked on every read). The sweep
//! keeps the table and the token lists tidy. It reads only the sparse
//! `by_expiry` index with `expires_at <= now`, so its cost follows the number
//! of expired items, not the size of the table: no `Scan`.

use std::time::Instant;

use serde::Serialize;

use std::collections::HashMap;

use akua_core::expiry_notice;
use akua_core::ports::StoreError;
use akua_core::records::{CredentialPointer, StoredCredential};
use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, TransactWriteItem};

use crate::DynamoStore;
use crate::error::{request_error, sdk_error};
use crate::items::{attr, n, s};
use crate::keys::{self, Item};
use crate::table::{BY_EXPIRY, PK, SK, TTL};

/// How often one notice is tried when the token changes under it (a
/// roll racing the sweep); a later run tries again.
const NOTICE_ATTEMPTS: usize = 3;

/// Items read per query page.
pub const PAGE_SIZE: i32 = 100;

/// Which items of the expiry index the sweep reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Expired: deleted.
    Expired,
    /// Tokens expiring within the notice window: sent their notice.
    Expiring,
}

/// What one run did; logged as one structured line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub deleted: u64,
    /// Expired items left alone: refreshed or already deleted meanwhile.
    pub skipped: u64,
    /// Tokens whose `token.expiring` notice this run wrote.
    pub notices: u64,
    pub pages: u64,
    pub duration_ms: u64,
}

/// Deletes everything that expired at or before `now`, and writes the
/// notices owed for tokens expiring within the store's notice window.
pub async fn run(store: &DynamoStore, now: i64) -> Result<Summary, StoreError> {
    let started = Instant::now();
    let mut summary = Summary::default();
    for shard in keys::expiry_shards() {
        for due in [Due::Expired, Due::Expiring] {
            if due == Due::Expiring && store.expiring_notice_secs() == 0 {
                continue;
            }
            let mut start = None;
            loop {
                let page = store.due_page(due, &shard, now, PAGE_SIZE, start).await?;
                summary.pages += 1;
                for item in &page.items {
                    match due {
                        Due::Expired if store.delete_expired(item, now).await? => {
                            summary.deleted += 1;
                        }
                        Due::Expired => summary.skipped += 1,
                        Due::Expiring => {
                            if store.write_expiring_notice(item, now).await? {
                                summary.notices += 1;
                            }
                        }
                    }
                }
                match page.next {
                    Some(next) => start = Some(next),
                    None => break,
                }
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

/// An index item's key and id; `None` for an item without a full key.
fn expired_item(item: &HashMap<String, AttributeValue>) -> Option<ExpiredItem> {
    let key: Item = [PK, SK]
        .iter()
        .filter_map(|k| item.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();
    let id = item.get(attr::ID).and_then(|v| v.as_s().ok()).cloned();
    (key.len() == 2).then_some(ExpiredItem { key, id })
}

/// One page of one shard's items, and where to continue.
#[derive(Debug, Clone)]
pub struct ExpiredPage {
    pub items: Vec<ExpiredItem>,
    pub next: Option<HashMap<String, AttributeValue>>,
}

impl DynamoStore {
    /// One page of `shard`'s items that are `due` at `now`, up to `limit`:
    /// expired at or before `now`; or tokens (API tokens and multi-workspace
    /// tokens, by the kind the index carries) expiring after `now` and
    /// within the notice window, their list entries and every other kind
    /// filtered out here, before a credential is read.
    pub async fn due_page(
        &self,
        due: Due,
        shard: &str,
        now: i64,
        limit: i32,
        start: Option<HashMap<String, AttributeValue>>,
    ) -> Result<ExpiredPage, StoreError> {
        let query = self
            .client()
            .query()
            .table_name(self.table())
            .index_name(BY_EXPIRY.name)
            .expression_attribute_values(":shard", s(shard));
        let query = match due {
            Due::Expired => query
                .key_condition_expression("exp_shard = :shard AND expires_at <= :now")
                .expression_attribute_values(":now", n(now)),
            Due::Expiring => query
                .key_condition_expression("exp_shard = :shard AND expires_at BETWEEN :from AND :to")
                .filter_expression("#kind IN (:api, :multi) AND #sk = :cred")
                .expression_attribute_names("#kind", attr::KIND)
                .expression_attribute_names("#sk", SK)
                .expression_attribute_values(":from", n(now.saturating_add(1)))
                .expression_attribute_values(
                    ":to",
                    n(now.saturating_add(self.expiring_notice_secs())),
                )
                .expression_attribute_values(":api", s(keys::kind::API_TOKEN))
                .expression_attribute_values(":multi", s(keys::kind::MULTI_TOKEN))
                .expression_attribute_values(":cred", s("CRED")),
        };
        let out = query
            .limit(limit)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(ExpiredPage {
            items: out.items().iter().filter_map(expired_item).collect(),
            next: out.last_evaluated_key().cloned(),
        })
    }

    /// Writes the `token.expiring` notice of the token whose secret `item`
    /// names, unless it was written for this token and expiry before.
    /// `false`: nothing owed, or already written.
    ///
    /// The token is read through its pointer, in full (the index holds
    /// keys, id and kind only): its current secret carries its expiry. A
    /// secret a roll replaced also expires within the window (at the end of
    /// its grace period), but leads to the same token and the same notice,
    /// written once. The notice's record, its events and a check that the
    /// pointer still names the secret read are one transaction, so a token
    /// revoked meanwhile gets no notice it does not owe, and one rolled
    /// meanwhile is read again, so the roll does not cost it the notice.
    pub async fn write_expiring_notice(
        &self,
        item: &ExpiredItem,
        now: i64,
    ) -> Result<bool, StoreError> {
        let Some(id) = item.id.as_deref() else {
            return Ok(false);
        };
        for _ in 0..NOTICE_ATTEMPTS {
            let Some(pointer) = self.get_as::<CredentialPointer>(keys::pointer(id)).await? else {
                return Ok(false);
            };
            let hash = pointer.hash.to_hex();
            let Some(credential) = self
                .get_as::<StoredCredential>(keys::credential(&pointer.hash))
                .await?
            else {
                return Ok(false);
            };
            let Some(expires_at) = credential.expires_at() else {
                return Ok(false);
            };
            let events = expiry_notice::events(&credential, now);
            if !expiry_notice::due(expires_at, now, self.expiring_notice_secs())
                || events.is_empty()
            {
                return Ok(false);
            }
            let mut record = keys::expiring_notice(id, expires_at);
            if self.get(record.clone()).await?.is_some() {
                return Ok(false);
            }
            // Kept a day past the expiry it is about, then TTL's to delete:
            // a late deletion changes nothing, since the key names a past
            // expiry.
            record.insert(TTL.to_owned(), n(expires_at.saturating_add(86_400)));
            let unchanged = ConditionCheck::builder()
                .table_name(self.table())
                .set_key(Some(keys::pointer(id)))
                .condition_expression("#hash = :hash")
                .expression_attribute_names("#hash", attr::HASH)
                .expression_attribute_values(":hash", s(&hash))
                .build()
                .map_err(request_error)?;
            let steps = vec![
                TransactWriteItem::builder()
                    .condition_check(unchanged)
                    .build(),
                self.put_new(record)?,
            ];
            if self.transact(self.with_audit(steps, &events)?).await? {
                return Ok(true);
            }
            // Refused: the token changed since it was read. Again, from
            // its pointer.
        }
        Ok(false)
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
