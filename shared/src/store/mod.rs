//! The store: one DynamoDB table (DESIGN §4) behind a small interface over
//! the real `aws-sdk-dynamodb` client.
//!
//! [`DecisionStore`] is the part the authorizer's decision needs (three
//! calls); [`DynamoStore`] implements it and adds the writes the HTTP
//! functions use.

mod calls;
mod device;
mod error;
pub mod expiry;
pub mod items;
pub mod table;
mod workspaces;

use std::future::Future;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};

pub use calls::CallCounter;
pub use device::{DeviceGrant, DeviceStatus};
pub use error::StoreError;
pub use items::{
    ApiTokenRecord, CredentialPointer, Membership, SessionRecord, StoredCredential, WorkspaceRecord,
};

use crate::credential::CredentialHash;
use crate::ids::{UserId, WorkspaceId};
use items::{credential_key, membership_key, n, pointer_key};

/// A throttled write decided by the caller from the item it already read
/// (DESIGN §5): record the use, and for a session, push its expiry out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    pub last_used_at: i64,
    /// New `expires_at` (and `ttl`) for a session's sliding expiry.
    pub extend_to: Option<i64>,
}

/// What a guarded update found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TouchOutcome {
    Applied,
    /// The item was deleted (revoked) or expired between the read and the
    /// write: the guard refused to resurrect it.
    Gone,
}

/// The reads and the one write a decision makes.
pub trait DecisionStore: Send + Sync {
    /// A strongly consistent read of `CRED#<hash>`.
    fn credential(
        &self,
        hash: &CredentialHash,
    ) -> impl Future<Output = Result<Option<StoredCredential>, StoreError>> + Send;

    /// A strongly consistent read of a membership, so a removed member is
    /// refused on the very next request.
    fn membership(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<Membership>, StoreError>> + Send;

    /// The guarded throttled update: applies only while the item exists and
    /// is unexpired (`attribute_exists(pk) AND expires_at > :now`).
    fn touch(
        &self,
        hash: &CredentialHash,
        touch: Touch,
        now: i64,
    ) -> impl Future<Output = Result<TouchOutcome, StoreError>> + Send;
}

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

/// The table, through the real SDK client.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

/// The guard on every update of a credential (DESIGN §4): the item still
/// exists and has not expired, so an update can never resurrect it.
const LIVE_CREDENTIAL: &str =
    "attribute_exists(pk) AND (attribute_not_exists(expires_at) OR expires_at > :now)";

/// `true` when a write failed only because its condition did not hold (a
/// single-item `ConditionalCheckFailed`, or a cancelled transaction).
pub(crate) fn condition_failed<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    e.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|c| {
            c == "TransactionCanceledException" || c == "ConditionalCheckFailedException"
        })
}

/// Maps a conditional write's outcome: `Ok(true)` written, `Ok(false)` the
/// condition did not hold, `Err` anything else.
pub(crate) fn written<T, E: ProvideErrorMetadata>(
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Result<bool, StoreError> {
    match result {
        Ok(_) => Ok(true),
        Err(e) if condition_failed(&e) => Ok(false),
        Err(e) => Err(StoreError::from_sdk(e)),
    }
}

impl DynamoStore {
    /// A strongly consistent `GetItem`.
    pub(crate) async fn get(&self, key: items::Item) -> Result<Option<items::Item>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(out.item)
    }

    /// A transaction step that creates `item` only if its key is free.
    pub(crate) fn put_new(&self, item: items::Item) -> Result<TransactWriteItem, StoreError> {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map(|p| TransactWriteItem::builder().put(p).build())
            .map_err(StoreError::request)
    }

    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
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
        let store = Self::new(Client::from_conf(config), table);
        store.warm_up().await;
        Ok(store)
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Opens the connection (TLS handshake, credentials) at init rather than
    /// on the first request. A miss on a key no item uses; failures are
    /// ignored here and surface on the first real call.
    pub async fn warm_up(&self) {
        let _ = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(pointer_key("warmup")))
            .send()
            .await;
    }

    /// Writes a new credential and its id pointer in one transaction; both
    /// must not exist yet (DESIGN §4), so neither can exist without the other.
    pub async fn create_credential(
        &self,
        hash: &CredentialHash,
        credential: &StoredCredential,
    ) -> Result<(), StoreError> {
        let pointer = CredentialPointer {
            hash: hash.clone(),
            workspace_id: match credential {
                StoredCredential::ApiToken(t) => Some(t.workspace_id.clone()),
                StoredCredential::Session(_) => None,
            },
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(self.put_new(credential.to_item(hash))?)
            .transact_items(
                self.put_new(pointer.to_item(credential.id(), items::kind_of(credential)))?,
            )
            .send()
            .await;
        if written(result)? {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    /// A strongly consistent read of an id pointer.
    pub async fn pointer(&self, id: &str) -> Result<Option<CredentialPointer>, StoreError> {
        self.get(pointer_key(id))
            .await?
            .as_ref()
            .map(CredentialPointer::from_item)
            .transpose()
    }

    /// Deletes a credential and its pointer in one transaction. Returns
    /// `false` when the pointer was already gone (revoked twice): nothing is
    /// deleted then. Deleted items cannot be recovered (DESIGN §1).
    pub async fn delete_credential(
        &self,
        hash: &CredentialHash,
        id: &str,
    ) -> Result<bool, StoreError> {
        let delete = |key, condition: Option<&str>| {
            Delete::builder()
                .table_name(&self.table)
                .set_key(Some(key))
                .set_condition_expression(condition.map(str::to_owned))
                .build()
                .map(|d| TransactWriteItem::builder().delete(d).build())
                .map_err(StoreError::request)
        };
        let result = self
            .client
            .transact_write_items()
            .transact_items(delete(pointer_key(id), Some("attribute_exists(pk)"))?)
            .transact_items(delete(credential_key(hash), None)?)
            .send()
            .await;
        written(result)
    }

    /// A workspace's API tokens, newest first: at most `limit` records after
    /// the sort key `after`, and whether more follow. Reads `limit + 1`
    /// items so `has_more` is exact (no empty last page).
    pub async fn list_workspace_tokens(
        &self,
        workspace: &WorkspaceId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<(Vec<(ApiTokenRecord, String)>, bool), StoreError> {
        let mut condition = "gsi1pk = :p".to_owned();
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(table::GSI1.name)
            .scan_index_forward(false)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .expression_attribute_values(
                ":p",
                items::s(items::workspace_tokens_partition(workspace)),
            );
        if let Some(after) = after {
            condition.push_str(" AND gsi1sk < :after");
            request = request.expression_attribute_values(":after", items::s(after));
        }
        let out = request
            .key_condition_expression(condition)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        let mut page = Vec::with_capacity(limit);
        for item in out.items() {
            let StoredCredential::ApiToken(record) = StoredCredential::from_item(item)? else {
                return Err(StoreError::Corrupt("non-token item in a token list"));
            };
            let sort_key = items::token_sort_key(&record);
            page.push((record, sort_key));
        }
        let has_more = page.len() > limit;
        page.truncate(limit);
        Ok((page, has_more))
    }

    /// Creates or replaces a membership.
    pub async fn put_membership(&self, membership: &Membership) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(membership.to_item()))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }

    /// Deletes a membership (the member loses access on the next request).
    pub async fn delete_membership(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
    ) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(membership_key(workspace, user)))
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }
}

impl DecisionStore for DynamoStore {
    async fn credential(
        &self,
        hash: &CredentialHash,
    ) -> Result<Option<StoredCredential>, StoreError> {
        self.get(credential_key(hash))
            .await?
            .as_ref()
            .map(StoredCredential::from_item)
            .transpose()
    }

    async fn membership(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
    ) -> Result<Option<Membership>, StoreError> {
        self.get(membership_key(workspace, user))
            .await?
            .as_ref()
            .map(Membership::from_item)
            .transpose()
    }

    async fn touch(
        &self,
        hash: &CredentialHash,
        touch: Touch,
        now: i64,
    ) -> Result<TouchOutcome, StoreError> {
        let mut update = "SET last_used_at = :used".to_owned();
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(credential_key(hash)))
            .condition_expression(LIVE_CREDENTIAL)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":used", n(touch.last_used_at));
        if let Some(until) = touch.extend_to {
            update.push_str(", expires_at = :until, #ttl = :until");
            request = request
                .expression_attribute_names("#ttl", table::TTL)
                .expression_attribute_values(":until", n(until));
        }
        let result = request.update_expression(update).send().await;
        Ok(if written(result)? {
            TouchOutcome::Applied
        } else {
            TouchOutcome::Gone
        })
    }
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
