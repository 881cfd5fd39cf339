//! Credentials and their id pointers: the authorizer's reads and guarded
//! write ([`DecisionStore`]), and issuing, finding, listing and revoking
//! ([`CredentialStore`]).

use akua_core::audit::AuditEvent;
use akua_core::credential::CredentialHash;
use akua_core::ids::{UserId, WorkspaceId};
use akua_core::ports::{CredentialStore, DecisionStore, Listed, StoreError, Touch, TouchOutcome};
use akua_core::records::{
    ApiTokenRecord, CredentialPointer, Membership, MultiTokenRecord, SessionRecord,
    StoredCredential, WorkspaceTokenRow,
};
use akua_core::token_policy::TokenPolicy;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, Update};

use crate::error::{request_error, written};
use crate::items::{FromItem, attr, credential_item, n, pointer_item, s, token_grant_item};
use crate::keys::{Item, List};
use crate::paging::Order;
use crate::{DynamoStore, keys, table};

/// The guard on every update of a credential (DESIGN §4): the item still
/// exists and has not expired, so an update can never resurrect it.
const LIVE_CREDENTIAL: &str =
    "attribute_exists(pk) AND (attribute_not_exists(expires_at) OR expires_at > :now)";

impl DecisionStore for DynamoStore {
    async fn credential(
        &self,
        hash: &CredentialHash,
    ) -> Result<Option<StoredCredential>, StoreError> {
        self.get_as(keys::credential(hash)).await
    }

    async fn membership(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
    ) -> Result<Option<Membership>, StoreError> {
        self.get_as(keys::membership(workspace, user)).await
    }

    async fn touch(
        &self,
        hash: &CredentialHash,
        touch: Touch,
        now: i64,
    ) -> Result<TouchOutcome, StoreError> {
        let mut update = "SET last_used_at = :used".to_owned();
        let mut request = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(keys::credential(hash)))
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

impl DynamoStore {
    /// The transaction steps that create a credential and its pointer (and
    /// a multi-workspace token's entry in each covered workspace's list);
    /// every key must be free. Also a part of bigger transactions (a device
    /// login's redemption).
    pub(crate) fn create_credential_steps(
        &self,
        hash: &CredentialHash,
        credential: &StoredCredential,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut steps = vec![
            self.put_new(credential_item(hash, credential))?,
            self.put_new(pointer_item(hash, credential))?,
        ];
        if let StoredCredential::MultiWorkspaceToken(token) = credential {
            for ws in &token.workspace_ids {
                steps.push(self.put_new(token_grant_item(hash, token, ws))?);
            }
        }
        Ok(steps)
    }

    fn delete_step(
        &self,
        key: Item,
        condition: Option<&str>,
    ) -> Result<TransactWriteItem, StoreError> {
        Delete::builder()
            .table_name(self.table())
            .set_key(Some(key))
            .set_condition_expression(condition.map(str::to_owned))
            .build()
            .map(|d| TransactWriteItem::builder().delete(d).build())
            .map_err(request_error)
    }

    /// Deletes an id pointer only while it says exactly what `read` found:
    /// the same secret, and the same secret a roll replaced (or none). A
    /// roll between the read and this delete makes it fail, so a revoke can
    /// never delete the pointer and leave the newer secret behind (DESIGN.md
    /// R7, revocation always wins).
    fn delete_pointer_as_read(
        &self,
        id: &str,
        read: &CredentialPointer,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut delete = Delete::builder()
            .table_name(self.table())
            .set_key(Some(keys::pointer(id)))
            .expression_attribute_names("#hash", attr::HASH)
            .expression_attribute_names("#previous", attr::PREVIOUS_HASH)
            .expression_attribute_values(":hash", s(read.hash.to_hex()));
        delete = match &read.previous {
            Some(previous) => delete
                .condition_expression("#hash = :hash AND #previous = :previous")
                .expression_attribute_values(":previous", s(previous.to_hex())),
            None => {
                delete.condition_expression("#hash = :hash AND attribute_not_exists(#previous)")
            }
        };
        delete
            .build()
            .map(|d| TransactWriteItem::builder().delete(d).build())
            .map_err(request_error)
    }
}

impl CredentialStore for DynamoStore {
    async fn create_credential(
        &self,
        hash: &CredentialHash,
        credential: &StoredCredential,
        audit: &[AuditEvent],
    ) -> Result<(), StoreError> {
        let steps = self.create_credential_steps(hash, credential)?;
        self.write_new(self.with_audit(steps, audit)?).await
    }

    async fn renew_sign_in(
        &self,
        hash: &CredentialHash,
        signed_in_at: i64,
        audit: &[AuditEvent],
        now: i64,
    ) -> Result<TouchOutcome, StoreError> {
        let renew = Update::builder()
            .table_name(self.table())
            .set_key(Some(keys::credential(hash)))
            .condition_expression(LIVE_CREDENTIAL)
            .update_expression("SET #signed_in_at = :at")
            .expression_attribute_names("#signed_in_at", attr::SIGNED_IN_AT)
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":at", n(signed_in_at))
            .build()
            .map_err(request_error)?;
        let steps = vec![TransactWriteItem::builder().update(renew).build()];
        Ok(if self.transact(self.with_audit(steps, audit)?).await? {
            TouchOutcome::Applied
        } else {
            TouchOutcome::Gone
        })
    }

    async fn pointer(&self, id: &str) -> Result<Option<CredentialPointer>, StoreError> {
        self.get_as(keys::pointer(id)).await
    }

    async fn delete_credential(
        &self,
        id: &str,
        read: &CredentialPointer,
        audit: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let mut steps = vec![
            self.delete_pointer_as_read(id, read)?,
            self.delete_step(keys::credential(&read.hash), None)?,
        ];
        if let Some(previous) = &read.previous {
            steps.push(self.delete_step(keys::credential(previous), None)?);
        }
        self.transact(self.with_audit(steps, audit)?).await
    }

    async fn roll_credential(
        &self,
        old: &CredentialHash,
        new: &CredentialHash,
        token: &ApiTokenRecord,
        grace_until: Option<i64>,
        audit: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let credential = StoredCredential::ApiToken(token.clone());
        // The pointer names the old secret as `previous` only while it still
        // works: a revoke or a leak report then ends it too, and one racing
        // a roll without grace finds no trace of a secret already gone.
        let update = match grace_until {
            Some(_) => "SET #hash = :new, #previous = :old",
            None => "SET #hash = :new REMOVE #previous",
        };
        let pointer = Update::builder()
            .table_name(self.table())
            .set_key(Some(keys::pointer(token.id.as_str())))
            .update_expression(update)
            .condition_expression("#hash = :old")
            .expression_attribute_names("#hash", attr::HASH)
            .expression_attribute_names("#previous", attr::PREVIOUS_HASH)
            .expression_attribute_values(":new", s(new.to_hex()))
            .expression_attribute_values(":old", s(old.to_hex()))
            .build()
            .map_err(request_error)?;
        // The old secret: gone at once, or out of every list and expiring
        // at the end of its grace (so the sweep and TTL remove it).
        let old_step = match grace_until {
            None => self.delete_step(keys::credential(old), Some("attribute_exists(pk)"))?,
            Some(until) => TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(self.table())
                        .set_key(Some(keys::credential(old)))
                        .update_expression(
                            "SET expires_at = :until, #ttl = :until, #shard = :shard REMOVE #gpk, #gsk",
                        )
                        .condition_expression("attribute_exists(pk)")
                        .expression_attribute_names("#ttl", table::TTL)
                        .expression_attribute_names("#shard", table::BY_EXPIRY.hash.0)
                        .expression_attribute_names("#gpk", table::LISTS.hash.0)
                        .expression_attribute_names("#gsk", table::LISTS.range.0)
                        .expression_attribute_values(":until", n(until))
                        .expression_attribute_values(":shard", s(keys::expiry_shard(old)))
                        .build()
                        .map_err(request_error)?,
                )
                .build(),
        };
        let steps = vec![
            self.put_new(credential_item(new, &credential))?,
            TransactWriteItem::builder().update(pointer).build(),
            old_step,
        ];
        self.transact(self.with_audit(steps, audit)?).await
    }

    async fn delete_multi_token(
        &self,
        read: &CredentialPointer,
        token: &MultiTokenRecord,
        audit: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let mut steps = vec![
            self.delete_pointer_as_read(token.id.as_str(), read)?,
            self.delete_step(keys::credential(&read.hash), None)?,
        ];
        for ws in &token.workspace_ids {
            steps.push(self.delete_step(keys::token_grant(&token.id, ws), None)?);
        }
        self.transact(self.with_audit(steps, audit)?).await
    }

    async fn list_workspace_tokens(
        &self,
        workspace: &WorkspaceId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Listed<WorkspaceTokenRow>, StoreError> {
        let partition = keys::workspace_tokens_partition(workspace);
        self.index_list(
            List::WorkspaceTokens,
            partition,
            Order::Descending,
            limit,
            after,
            WorkspaceTokenRow::from_item,
        )
        .await
    }

    async fn list_user_tokens(
        &self,
        user: &UserId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Listed<MultiTokenRecord>, StoreError> {
        let partition = keys::user_tokens_partition(user);
        self.index_list(
            List::UserTokens,
            partition,
            Order::Descending,
            limit,
            after,
            |item| match StoredCredential::from_item(item)? {
                StoredCredential::MultiWorkspaceToken(record) => Ok(record),
                StoredCredential::ApiToken(_) | StoredCredential::Session(_) => {
                    Err(StoreError::Corrupt("non-token item in a token list"))
                }
            },
        )
        .await
    }

    async fn token_policy(&self, workspace: &WorkspaceId) -> Result<TokenPolicy, StoreError> {
        Ok(self
            .get_as::<TokenPolicy>(keys::workspace(workspace))
            .await?
            .unwrap_or_default())
    }

    async fn list_user_sessions(
        &self,
        user: &UserId,
        limit: usize,
        after: Option<&str>,
    ) -> Result<Listed<SessionRecord>, StoreError> {
        let partition = keys::user_sessions_partition(user);
        self.index_list(
            List::UserSessions,
            partition,
            Order::Descending,
            limit,
            after,
            |item| match StoredCredential::from_item(item)? {
                StoredCredential::Session(record) => Ok(record),
                StoredCredential::ApiToken(_) | StoredCredential::MultiWorkspaceToken(_) => {
                    Err(StoreError::Corrupt("non-session item in a session list"))
                }
            },
        )
        .await
    }
}
