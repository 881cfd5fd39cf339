//! Device-flow items ([`DeviceStore`]): a grant keyed by the device code's
//! hash, a user code pointing at it, and the per-user counter of unknown
//! codes. All expire with their window (`ttl`, and `by_expiry` for the
//! cleanup).

use akua_core::audit::AuditEvent;
use akua_core::credential::CredentialHash;
use akua_core::device::UserCode;
use akua_core::ids::UserId;
use akua_core::ports::{DeviceStore, StoreError};
use akua_core::records::{DeviceGrant, DeviceStatus, SessionRecord, StoredCredential};
use aws_sdk_dynamodb::types::{AttributeValue, Delete, ReturnValue, TransactWriteItem, Update};

use crate::error::{request_error, written};
use crate::items::{attr, device_item, get_n, get_s, n, opt_n, s, status_str, user_code_item};
use crate::table::TTL;
use crate::{DynamoStore, keys};

impl DeviceStore for DynamoStore {
    async fn create_device_grant(
        &self,
        hash: &CredentialHash,
        grant: &DeviceGrant,
    ) -> Result<bool, StoreError> {
        let result = self
            .client()
            .transact_write_items()
            .transact_items(self.put_new(device_item(hash, grant))?)
            .transact_items(self.put_new(user_code_item(hash, grant))?)
            .send()
            .await;
        written(result)
    }

    async fn device_grant(&self, hash: &CredentialHash) -> Result<Option<DeviceGrant>, StoreError> {
        self.get_as(keys::device(hash)).await
    }

    async fn device_by_user_code(
        &self,
        code: &UserCode,
        now: i64,
    ) -> Result<Option<CredentialHash>, StoreError> {
        let Some(item) = self.get(keys::user_code(code)).await? else {
            return Ok(None);
        };
        if get_n(&item, attr::EXPIRES_AT)? <= now {
            return Ok(None);
        }
        let hash = CredentialHash::from_hex(get_s(&item, attr::HASH)?)
            .ok_or(StoreError::Corrupt("hash"))?;
        Ok(Some(hash))
    }

    async fn record_poll(
        &self,
        hash: &CredentialHash,
        now: i64,
        interval: i64,
    ) -> Result<(), StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(keys::device(hash)))
            .condition_expression("attribute_exists(pk) AND #status = :pending")
            .update_expression("SET last_poll_at = :now, #interval = :interval")
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_names("#interval", attr::INTERVAL)
            .expression_attribute_values(":pending", s(status_str(DeviceStatus::Pending)))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":interval", n(interval))
            .send()
            .await;
        // Not written: answered or redeemed meanwhile; the next poll sees it.
        written(result).map(|_| ())
    }

    async fn answer_device_grant(
        &self,
        hash: &CredentialHash,
        code: &UserCode,
        approve: bool,
        user: &UserId,
        now: i64,
        audit: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        let status = if approve {
            DeviceStatus::Approved
        } else {
            DeviceStatus::Denied
        };
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(keys::device(hash)))
            .condition_expression(
                "attribute_exists(pk) AND #status = :pending AND expires_at > :now",
            )
            .update_expression("SET #status = :status, user_id = :user")
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_values(":pending", s(status_str(DeviceStatus::Pending)))
            .expression_attribute_values(":status", s(status_str(status)))
            .expression_attribute_values(":user", s(user.as_str()))
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(request_error)?;
        let delete = Delete::builder()
            .table_name(self.table())
            .set_key(Some(keys::user_code(code)))
            .build()
            .map_err(request_error)?;
        let steps = vec![
            TransactWriteItem::builder().update(update).build(),
            TransactWriteItem::builder().delete(delete).build(),
        ];
        self.transact(self.with_audit(steps, audit)?).await
    }

    async fn redeem_device_grant(
        &self,
        grant: &CredentialHash,
        session_hash: &CredentialHash,
        session: &SessionRecord,
    ) -> Result<bool, StoreError> {
        let credential = StoredCredential::Session(session.clone());
        let delete = Delete::builder()
            .table_name(self.table())
            .set_key(Some(keys::device(grant)))
            .condition_expression("#status = :approved")
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_values(":approved", s(status_str(DeviceStatus::Approved)))
            .build()
            .map_err(request_error)?;
        let mut steps = vec![TransactWriteItem::builder().delete(delete).build()];
        steps.extend(self.create_credential_steps(session_hash, &credential)?);
        self.transact(steps).await
    }

    async fn approval_misses(&self, user: &UserId, window: i64) -> Result<i64, StoreError> {
        let item = self.get(keys::approval_misses(user, window)).await?;
        Ok(item
            .as_ref()
            .map(|i| opt_n(i, attr::MISSES))
            .transpose()?
            .flatten()
            .unwrap_or(0))
    }

    async fn count_approval_miss(
        &self,
        user: &UserId,
        window: i64,
        expires_at: i64,
        budget: i64,
    ) -> Result<bool, StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(keys::approval_misses(user, window)))
            .condition_expression("attribute_not_exists(#misses) OR #misses < :budget")
            .update_expression("ADD #misses :one SET #ttl = :ttl")
            .expression_attribute_names("#misses", attr::MISSES)
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":budget", n(budget))
            .expression_attribute_values(":ttl", n(expires_at))
            .return_values(ReturnValue::None)
            .send()
            .await;
        written(result)
    }
}
