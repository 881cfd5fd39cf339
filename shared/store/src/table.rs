//! The one DynamoDB table (DESIGN §4), defined once.
//!
//! The tests, the local run and `template.yaml` all create the table from
//! (or are checked against) these constants, so they cannot drift.
//! The items and their keys are listed in [`crate::keys`].
//!
//! `by_expiry` is sparse: only items that expire carry `exp_shard`, so the
//! cleanup reads expired items without scanning the table, and its cost
//! follows the number of expired items, not the table size.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, CreateGlobalSecondaryIndexAction,
    DeleteGlobalSecondaryIndexAction, GlobalSecondaryIndex, GlobalSecondaryIndexUpdate,
    KeySchemaElement, KeyType, Projection, ProjectionType, ScalarAttributeType,
    StreamSpecification, StreamViewType, TimeToLiveSpecification,
};

use akua_core::ports::StoreError;

use crate::error::{request_error, sdk_error};

/// Partition key (String).
pub const PK: &str = "pk";
/// Sort key (String).
pub const SK: &str = "sk";
/// DynamoDB TTL attribute: epoch seconds (Number). A hint for deletion only;
/// every read path still checks `expires_at` (DESIGN §1).
pub const TTL: &str = "ttl";

/// A key attribute's DynamoDB scalar type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    String,
    Number,
}

/// How much of an item a secondary index copies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexProjection {
    /// The index and table keys only.
    KeysOnly,
    /// The keys plus these attributes.
    Include(&'static [&'static str]),
}

/// A global secondary index of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexDefinition {
    pub name: &'static str,
    pub hash: (&'static str, KeyKind),
    pub range: (&'static str, KeyKind),
    pub projection: IndexProjection,
}

/// Overloaded index of every list: API tokens by workspace
/// (`WS#<ws>#TOKENS`, sorted by `<created_at>#<tok_id>`), memberships,
/// sessions and multi-workspace tokens by user (see [`crate::keys`]).
///
/// It projects keys only (SCALING.md, question 2): the hot path's writes
/// (`last_used_at`, a session's sliding expiry) change no attribute it
/// stores, so they cost no index write; a list reads the page's keys here
/// and the items with one consistent `BatchGetItem`. Its key attributes
/// keep the `gsi1pk`/`gsi1sk` names of the `gsi1` index it replaces, so
/// existing items fill it without a rewrite.
pub const LISTS: IndexDefinition = IndexDefinition {
    name: "lists",
    hash: ("gsi1pk", KeyKind::String),
    range: ("gsi1sk", KeyKind::String),
    projection: IndexProjection::KeysOnly,
};

/// The index [`LISTS`] replaces (it projected every attribute, so every
/// `last_used_at` write was also an index write). [`ensure_table`] drops it
/// from a local table; `template.yaml` keeps it only while a stack upgrades
/// (`KeepLegacyListIndex`).
pub const LEGACY_GSI1: &str = "gsi1";

/// Sparse index of everything that expires: `exp_shard` spreads the writes
/// over a few partitions, `expires_at` lets one query return exactly the
/// expired items of a shard.
pub const BY_EXPIRY: IndexDefinition = IndexDefinition {
    name: "by_expiry",
    hash: ("exp_shard", KeyKind::String),
    range: ("expires_at", KeyKind::Number),
    projection: IndexProjection::Include(&["id", "kind"]),
};

pub const INDEXES: [IndexDefinition; 2] = [LISTS, BY_EXPIRY];

/// Number of `exp_shard` partitions in [`BY_EXPIRY`]. Sized by SCALING.md:
/// every session extension moves an item's `expires_at` (two index writes),
/// and at 10 million active sessions that is about 5,600 index writes a
/// second, always at the newest end of each shard's range; 16 shards keep
/// each under half of a partition's 1,000 writes a second. Items written
/// with fewer shards stay in shards the sweep still reads.
pub const EXPIRY_SHARDS: u8 = 16;

fn scalar(kind: KeyKind) -> ScalarAttributeType {
    match kind {
        KeyKind::String => ScalarAttributeType::S,
        KeyKind::Number => ScalarAttributeType::N,
    }
}

fn key(name: &str, key_type: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .map_err(request_error)
}

fn attribute(name: &str, kind: KeyKind) -> Result<AttributeDefinition, StoreError> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(scalar(kind))
        .build()
        .map_err(request_error)
}

fn projection(def: &IndexDefinition) -> Projection {
    match def.projection {
        IndexProjection::KeysOnly => {
            Projection::builder().projection_type(ProjectionType::KeysOnly)
        }
        IndexProjection::Include(attrs) => attrs.iter().fold(
            Projection::builder().projection_type(ProjectionType::Include),
            |b, a| b.non_key_attributes(*a),
        ),
    }
    .build()
}

fn index(def: &IndexDefinition) -> Result<GlobalSecondaryIndex, StoreError> {
    GlobalSecondaryIndex::builder()
        .index_name(def.name)
        .key_schema(key(def.hash.0, KeyType::Hash)?)
        .key_schema(key(def.range.0, KeyType::Range)?)
        .projection(projection(def))
        .build()
        .map_err(request_error)
}

/// The table's global secondary indexes as DynamoDB describes them now.
async fn indexes_of(
    client: &Client,
    table: &str,
) -> Result<Vec<aws_sdk_dynamodb::types::GlobalSecondaryIndexDescription>, StoreError> {
    let described = client
        .describe_table()
        .table_name(table)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(described
        .table
        .and_then(|t| t.global_secondary_indexes)
        .unwrap_or_default())
}

/// Brings an existing table's indexes to [`INDEXES`]: creates a missing
/// one (the engine fills it from the items) and then drops any other, one
/// change per call as DynamoDB requires. A local data directory written by
/// an earlier release (with `gsi1`) keeps working.
async fn upgrade_indexes(client: &Client, table: &str) -> Result<(), StoreError> {
    let present: Vec<String> = indexes_of(client, table)
        .await?
        .iter()
        .filter_map(|i| i.index_name().map(str::to_owned))
        .collect();
    for def in INDEXES
        .iter()
        .filter(|d| !present.iter().any(|p| p == d.name))
    {
        let create = CreateGlobalSecondaryIndexAction::builder()
            .index_name(def.name)
            .key_schema(key(def.hash.0, KeyType::Hash)?)
            .key_schema(key(def.range.0, KeyType::Range)?)
            .projection(projection(def))
            .build()
            .map_err(request_error)?;
        client
            .update_table()
            .table_name(table)
            .attribute_definitions(attribute(def.hash.0, def.hash.1)?)
            .attribute_definitions(attribute(def.range.0, def.range.1)?)
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder().create(create).build(),
            )
            .send()
            .await
            .map_err(sdk_error)?;
        wait_until_active(client, table, def.name).await?;
    }
    for name in present
        .iter()
        .filter(|p| !INDEXES.iter().any(|d| d.name == *p))
    {
        let delete = DeleteGlobalSecondaryIndexAction::builder()
            .index_name(name)
            .build()
            .map_err(request_error)?;
        client
            .update_table()
            .table_name(table)
            .global_secondary_index_updates(
                GlobalSecondaryIndexUpdate::builder().delete(delete).build(),
            )
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}

/// Waits (up to 10 minutes) until a new index has filled and can be read:
/// DynamoDB refuses queries of a `CREATING` index, and another index
/// change while one is in progress.
async fn wait_until_active(client: &Client, table: &str, index: &str) -> Result<(), StoreError> {
    use aws_sdk_dynamodb::types::IndexStatus;
    for _ in 0..600 {
        let status = indexes_of(client, table)
            .await?
            .iter()
            .find(|i| i.index_name() == Some(index))
            .and_then(|i| i.index_status().cloned());
        if matches!(status, Some(IndexStatus::Active) | None) {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    Err(StoreError::Unavailable(format!(
        "index {index} is still being created"
    )))
}

/// What the table's stream carries: each item as written, which is all the
/// security-event pipe needs (template.yaml; a test keeps them equal).
pub const STREAM_VIEW: StreamViewType = StreamViewType::NewImage;

/// Turns the table's stream on ([`STREAM_VIEW`]) unless it is, and returns
/// its ARN. The deployed table always has it (template.yaml); locally only
/// `akua-local --events` follows it, so only it turns it on.
pub async fn enable_stream(client: &Client, table: &str) -> Result<String, StoreError> {
    let latest = |described: aws_sdk_dynamodb::operation::describe_table::DescribeTableOutput| {
        described
            .table
            .filter(|t| {
                t.stream_specification().is_some_and(|s| {
                    s.stream_enabled() && s.stream_view_type() == Some(&STREAM_VIEW)
                })
            })
            .and_then(|t| t.latest_stream_arn)
    };
    let describe = || client.describe_table().table_name(table).send();
    if let Some(arn) = latest(describe().await.map_err(sdk_error)?) {
        return Ok(arn);
    }
    let spec = StreamSpecification::builder()
        .stream_enabled(true)
        .stream_view_type(STREAM_VIEW)
        .build()
        .map_err(request_error)?;
    client
        .update_table()
        .table_name(table)
        .stream_specification(spec)
        .send()
        .await
        .map_err(sdk_error)?;
    latest(describe().await.map_err(sdk_error)?)
        .ok_or_else(|| StoreError::Unavailable("the table's stream did not start".into()))
}

/// Creates the table (on-demand, TTL on `ttl`) unless it already exists.
/// Used by the local run and the tests; production creates it from
/// `template.yaml`, which a test checks against these definitions.
pub async fn ensure_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(PK, KeyType::Hash)?)
        .key_schema(key(SK, KeyType::Range)?)
        .attribute_definitions(attribute(PK, KeyKind::String)?)
        .attribute_definitions(attribute(SK, KeyKind::String)?);
    for def in &INDEXES {
        request = request
            .attribute_definitions(attribute(def.hash.0, def.hash.1)?)
            .attribute_definitions(attribute(def.range.0, def.range.1)?)
            .global_secondary_indexes(index(def)?);
    }
    match request.send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) =>
        {
            return upgrade_indexes(client, table).await;
        }
        Err(e) => return Err(sdk_error(e)),
    }
    let ttl = TimeToLiveSpecification::builder()
        .attribute_name(TTL)
        .enabled(true)
        .build()
        .map_err(request_error)?;
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(ttl)
        .send()
        .await
        .map_err(sdk_error)?;
    Ok(())
}
