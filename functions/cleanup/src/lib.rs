//! The cleanup Lambda, run by an EventBridge schedule: deletes what has
//! expired and writes the `token.expiring` notices owed. The sweep itself
//! is `akua_store::sweep`; this adapts the scheduled event and logs the
//! summary as one structured line.

#![cfg_attr(not(test), warn(clippy::wildcard_enum_match_arm))]

use akua_core::ports::StoreError;
use akua_store::DynamoStore;
use akua_store::sweep::{self, Summary};
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use serde_json::Value;

/// Handles one scheduled event (its content is not needed: the schedule is
/// the trigger).
pub async fn handle(
    store: &DynamoStore,
    _event: EventBridgeEvent<Value>,
    now: i64,
) -> Result<Summary, StoreError> {
    let summary = sweep::run(store, now).await?;
    tracing::info!(
        deleted = summary.deleted,
        skipped = summary.skipped,
        notices = summary.notices,
        pages = summary.pages,
        duration_ms = summary.duration_ms,
        "cleanup finished"
    );
    Ok(summary)
}
