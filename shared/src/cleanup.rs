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

use crate::store::{DynamoStore, StoreError, expiry};

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
    for shard in expiry::shards() {
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
