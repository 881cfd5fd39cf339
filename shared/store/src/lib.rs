//! `akua-store`: the DynamoDB adapter. It implements `akua-core`'s ports
//! over one table (DESIGN §4) through the real `aws-sdk-dynamodb` client,
//! and owns every key format ([`keys`]) and attribute name ([`items`]).
//!
//! - [`DynamoStore`]: the client and table name, built once at init;
//! - [`table`]: the table and its indexes, defined once;
//! - [`sweep`]: the scheduled cleanup of expired items;
//! - [`CallCounter`]: counts SDK calls, for the tests' call budgets.

#![cfg_attr(not(test), warn(clippy::wildcard_enum_match_arm))]

mod audit;
mod calls;
mod credentials;
mod device;
mod error;
pub mod items;
pub mod keys;
mod paging;
pub mod sweep;
pub mod table;
mod workspaces;

use std::time::Duration;

use akua_core::ports::StoreError;
use akua_core::{CredentialHash, WorkspaceId};
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem};

pub use audit::audit_event_of;
pub use calls::CallCounter;
pub use error::sdk_error;

use error::request_error;
use keys::Item;

/// Bounds every store call so a sick store fails closed fast (DESIGN §5):
/// ~1 s in all, two attempts, well inside API Gateway's 10 s authorizer limit.
pub fn with_time_bounds(
    builder: aws_sdk_dynamodb::config::Builder,
) -> aws_sdk_dynamodb::config::Builder {
    builder
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_millis(300))
                .operation_attempt_timeout(Duration::from_millis(450))
                .operation_timeout(Duration::from_millis(1000))
                .build(),
        )
        .retry_config(
            RetryConfig::standard()
                .with_max_attempts(2)
                .with_initial_backoff(Duration::from_millis(25)),
        )
}

/// Client settings for a DynamoDB-compatible endpoint given by URL (the local
/// run's embedded engine, tests): fixed dummy credentials and region, since
/// such an engine ignores them, plus the hot-path time bounds.
pub fn endpoint_config(endpoint: &str) -> aws_sdk_dynamodb::config::Builder {
    use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
    with_time_bounds(
        aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "akua-local"))
            .endpoint_url(endpoint),
    )
}

/// The table, through the real SDK client.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
    /// How long audit events are kept (their TTL, and the oldest a read
    /// returns).
    audit_retention_secs: i64,
    expiring_notice_secs: i64,
    /// The index lists read their keys from: [`table::LISTS`], or during
    /// an upgrade the legacy `gsi1` (same keys) until `lists` has filled.
    list_index: &'static str,
}

/// What a function reads, for its start-up warm-up ([`DynamoStore::warm_up`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarmUp {
    /// Credentials by hash (the authorizer, the tokens and sessions functions).
    Credentials,
    /// Workspaces and their members (the workspaces function).
    Workspaces,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            audit_retention_secs: akua_core::audit::DEFAULT_RETENTION_DAYS * 86_400,
            expiring_notice_secs: akua_core::expiry_notice::DEFAULT_NOTICE_DAYS * 86_400,
            list_index: table::LISTS.name,
        }
    }

    /// Reads lists from the legacy `gsi1` index (an upgrade's first
    /// deploy, while `lists` fills; SCALING.md).
    pub fn with_legacy_list_index(mut self) -> Self {
        self.list_index = table::LEGACY_GSI1;
        self
    }

    pub(crate) fn list_index(&self) -> &'static str {
        self.list_index
    }

    /// Keeps audit events `days` days (at least one).
    pub fn with_audit_retention_days(mut self, days: i64) -> Self {
        self.audit_retention_secs = days.max(1).saturating_mul(86_400);
        self
    }

    pub(crate) fn audit_retention_secs(&self) -> i64 {
        self.audit_retention_secs
    }

    /// Writes a token's `token.expiring` notice `days` days before it
    /// expires (0: never).
    pub fn with_expiring_notice_days(mut self, days: i64) -> Self {
        self.expiring_notice_secs = days.max(0).saturating_mul(86_400);
        self
    }

    pub(crate) fn expiring_notice_secs(&self) -> i64 {
        self.expiring_notice_secs
    }

    /// The store a Lambda function uses: table from `AKUA_TABLE_NAME`, region
    /// and the execution role's credentials from the variables Lambda sets
    /// (`AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
    /// `AWS_SESSION_TOKEN`); `AWS_ENDPOINT_URL_DYNAMODB` points it at another
    /// engine. Time bounds applied, connection warmed.
    #[cfg(feature = "env")]
    pub async fn from_env() -> Result<Self, StoreError> {
        let table = std::env::var("AKUA_TABLE_NAME")
            .map_err(|_| StoreError::Request("AKUA_TABLE_NAME is not set".into()))?;
        use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let missing = |k: &str| StoreError::Request(format!("{k} is not set"));
        let credentials = Credentials::new(
            var("AWS_ACCESS_KEY_ID").ok_or_else(|| missing("AWS_ACCESS_KEY_ID"))?,
            var("AWS_SECRET_ACCESS_KEY").ok_or_else(|| missing("AWS_SECRET_ACCESS_KEY"))?,
            var("AWS_SESSION_TOKEN"),
            None,
            "lambda-environment",
        );
        let region = var("AWS_REGION")
            .or_else(|| var("AWS_DEFAULT_REGION"))
            .ok_or_else(|| missing("AWS_REGION"))?;
        let mut builder = aws_sdk_dynamodb::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region))
            .credentials_provider(credentials);
        if let Some(url) = var("AWS_ENDPOINT_URL_DYNAMODB").or_else(|| var("AWS_ENDPOINT_URL")) {
            builder = builder.endpoint_url(url);
        }
        let config = with_time_bounds(builder).build();
        let mut store = Self::new(Client::from_conf(config), table);
        match var("AKUA_LIST_INDEX").as_deref() {
            None | Some("lists") => {}
            Some("gsi1") => store = store.with_legacy_list_index(),
            Some(_) => {
                return Err(StoreError::Request(
                    "AKUA_LIST_INDEX must be lists or gsi1".into(),
                ));
            }
        }
        if let Some(days) = var("AKUA_AUDIT_RETENTION_DAYS") {
            let days = days.parse().map_err(|_| {
                StoreError::Request("AKUA_AUDIT_RETENTION_DAYS is not a number of days".into())
            })?;
            store = store.with_audit_retention_days(days);
        }
        if let Some(days) = var("AKUA_EXPIRING_NOTICE_DAYS") {
            let days = days.parse().map_err(|_| {
                StoreError::Request("AKUA_EXPIRING_NOTICE_DAYS is not a number of days".into())
            })?;
            store = store.with_expiring_notice_days(days);
        }
        Ok(store)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Opens the connection (TLS handshake, credentials) at init rather than
    /// on the first request: a miss on a key no item uses, of a kind the
    /// function reads anyway, so its least-privilege role allows it (a
    /// refusal would open the connection too, but as an access denial on
    /// every cold start). Failures are ignored here and surface on the
    /// first real call.
    pub async fn warm_up(&self, reads: WarmUp) {
        let key = match reads {
            WarmUp::Credentials => keys::credential(&CredentialHash::of("akua warm-up")),
            WarmUp::Workspaces => keys::workspace(&WorkspaceId::parse("ws_warmup").expect("an id")),
        };
        let _ = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .send()
            .await;
    }

    /// A strongly consistent `GetItem`.
    pub(crate) async fn get(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.item)
    }

    /// A strongly consistent `GetItem` decoded as `T`.
    pub(crate) async fn get_as<T: items::FromItem>(
        &self,
        key: Item,
    ) -> Result<Option<T>, StoreError> {
        self.get(key).await?.as_ref().map(T::from_item).transpose()
    }

    /// A transaction step that creates `item` only if its key is free.
    /// Runs `steps` as one transaction. `false`: a condition failed and
    /// nothing was written.
    pub(crate) async fn transact(&self, steps: Vec<TransactWriteItem>) -> Result<bool, StoreError> {
        let result = self
            .client()
            .transact_write_items()
            .set_transact_items(Some(steps))
            .send()
            .await;
        error::written(result)
    }

    /// Runs `steps` as one transaction of items that must not exist yet: a
    /// taken key is [`StoreError::Conflict`], and nothing is written.
    pub(crate) async fn write_new(&self, steps: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        if self.transact(steps).await? {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    pub(crate) fn put_new(&self, item: Item) -> Result<TransactWriteItem, StoreError> {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map(|p| TransactWriteItem::builder().put(p).build())
            .map_err(request_error)
    }
}
