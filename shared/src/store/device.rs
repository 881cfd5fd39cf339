//! Device-flow items (DESIGN §4): `DEVICE#<sha256(device_code)>` holds the
//! grant, `USERCODE#<code>` points a typed-in code at it. Both expire with
//! the code (`ttl`, and the `by_expiry` index for the cleanup).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Delete, ReturnValue, TransactWriteItem, Update};

use super::items::{
    self, CredentialPointer, Item, attr, expiry_shard, get_n, get_s, n, opt_n, opt_s, s,
};
use super::table::{BY_EXPIRY, PK, SK, TTL};
use super::{DynamoStore, SessionRecord, StoreError, StoredCredential, written};
use crate::credential::CredentialHash;
use crate::device::UserCode;
use crate::ids::UserId;

mod a {
    pub const USER_CODE: &str = "user_code";
    pub const CLIENT_ID: &str = "client_id";
    pub const SCOPE: &str = "scope";
    pub const STATUS: &str = "status";
    pub const INTERVAL: &str = "interval";
    pub const LAST_POLL_AT: &str = "last_poll_at";
    pub const MISSES: &str = "misses";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
}

impl DeviceStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
        }
    }

    fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "pending" => Ok(Self::Pending),
            "approved" => Ok(Self::Approved),
            "denied" => Ok(Self::Denied),
            _ => Err(StoreError::Corrupt("device status")),
        }
    }
}

/// A pending, approved or denied device login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceGrant {
    pub user_code: UserCode,
    pub client_id: String,
    pub scope: Option<String>,
    pub status: DeviceStatus,
    /// Who approved it.
    pub user_id: Option<UserId>,
    pub created_at: i64,
    pub expires_at: i64,
    /// Current polling interval (grows with each `slow_down`).
    pub interval: i64,
    pub last_poll_at: Option<i64>,
}

fn device_key(hash: &CredentialHash) -> Item {
    HashMap::from([
        (PK.to_owned(), s(format!("DEVICE#{}", hash.to_hex()))),
        (SK.to_owned(), s("DEVICE")),
    ])
}

fn user_code_key(code: &UserCode) -> Item {
    HashMap::from([
        (PK.to_owned(), s(format!("USERCODE#{}", code.as_str()))),
        (SK.to_owned(), s("USERCODE")),
    ])
}

fn miss_key(user: &UserId, window: i64) -> Item {
    HashMap::from([
        (PK.to_owned(), s(format!("APPROVAL_MISSES#{user}"))),
        (SK.to_owned(), s(format!("W#{window}"))),
    ])
}

/// Expiry attributes every expiring item carries.
fn expiring(item: &mut Item, hash: &CredentialHash, expires_at: i64) {
    item.insert(attr::EXPIRES_AT.to_owned(), n(expires_at));
    item.insert(TTL.to_owned(), n(expires_at));
    item.insert(BY_EXPIRY.hash.0.to_owned(), s(expiry_shard(hash)));
}

impl DeviceGrant {
    fn to_item(&self, hash: &CredentialHash) -> Item {
        let mut item = device_key(hash);
        item.insert(attr::KIND.to_owned(), s("device"));
        item.insert(attr::ID.to_owned(), s(self.user_code.as_str()));
        item.insert(a::USER_CODE.to_owned(), s(self.user_code.as_str()));
        item.insert(a::CLIENT_ID.to_owned(), s(&self.client_id));
        if let Some(scope) = &self.scope {
            item.insert(a::SCOPE.to_owned(), s(scope));
        }
        item.insert(a::STATUS.to_owned(), s(self.status.as_str()));
        if let Some(user) = &self.user_id {
            item.insert(attr::USER_ID.to_owned(), s(user.as_str()));
        }
        item.insert(attr::CREATED_AT.to_owned(), n(self.created_at));
        item.insert(a::INTERVAL.to_owned(), n(self.interval));
        if let Some(at) = self.last_poll_at {
            item.insert(a::LAST_POLL_AT.to_owned(), n(at));
        }
        expiring(&mut item, hash, self.expires_at);
        item
    }

    fn from_item(item: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            user_code: UserCode::parse(get_s(item, a::USER_CODE)?)
                .ok_or(StoreError::Corrupt("user code"))?,
            client_id: get_s(item, a::CLIENT_ID)?.to_owned(),
            scope: opt_s(item, a::SCOPE)?.map(str::to_owned),
            status: DeviceStatus::parse(get_s(item, a::STATUS)?)?,
            user_id: opt_s(item, attr::USER_ID)?
                .map(UserId::parse)
                .transpose()
                .map_err(items::corrupt)?,
            created_at: get_n(item, attr::CREATED_AT)?,
            expires_at: get_n(item, attr::EXPIRES_AT)?,
            interval: get_n(item, a::INTERVAL)?,
            last_poll_at: opt_n(item, a::LAST_POLL_AT)?,
        })
    }
}

impl DynamoStore {
    /// Stores a new grant and its user code; `false` if the user code is
    /// taken (the caller draws another).
    pub async fn create_device_grant(
        &self,
        hash: &CredentialHash,
        grant: &DeviceGrant,
    ) -> Result<bool, StoreError> {
        let mut pointer = user_code_key(&grant.user_code);
        pointer.insert(attr::KIND.to_owned(), s("user_code"));
        pointer.insert(attr::ID.to_owned(), s(grant.user_code.as_str()));
        pointer.insert(attr::HASH.to_owned(), s(hash.to_hex()));
        expiring(&mut pointer, hash, grant.expires_at);
        let result = self
            .client()
            .transact_write_items()
            .transact_items(self.put_new(grant.to_item(hash))?)
            .transact_items(self.put_new(pointer)?)
            .send()
            .await;
        written(result)
    }

    pub async fn device_grant(
        &self,
        hash: &CredentialHash,
    ) -> Result<Option<DeviceGrant>, StoreError> {
        self.get(device_key(hash))
            .await?
            .as_ref()
            .map(DeviceGrant::from_item)
            .transpose()
    }

    /// The grant a live user code points to.
    pub async fn device_by_user_code(
        &self,
        code: &UserCode,
        now: i64,
    ) -> Result<Option<CredentialHash>, StoreError> {
        let Some(item) = self.get(user_code_key(code)).await? else {
            return Ok(None);
        };
        if get_n(&item, attr::EXPIRES_AT)? <= now {
            return Ok(None);
        }
        let hash = CredentialHash::from_hex(get_s(&item, attr::HASH)?)
            .ok_or(StoreError::Corrupt("hash"))?;
        Ok(Some(hash))
    }

    /// Records a poll (and the interval after it) of a pending grant.
    pub async fn record_poll(
        &self,
        hash: &CredentialHash,
        now: i64,
        interval: i64,
    ) -> Result<(), StoreError> {
        let result = self
            .client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(device_key(hash)))
            .condition_expression("attribute_exists(pk) AND #status = :pending")
            .update_expression("SET last_poll_at = :now, #interval = :interval")
            .expression_attribute_names("#status", a::STATUS)
            .expression_attribute_names("#interval", a::INTERVAL)
            .expression_attribute_values(":pending", s(DeviceStatus::Pending.as_str()))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":interval", n(interval))
            .send()
            .await;
        // Not written: answered or redeemed meanwhile; the next poll sees it.
        written(result).map(|_| ())
    }

    /// Approves or denies a pending, unexpired grant and retires its user
    /// code, in one transaction. `false`: it was no longer pending.
    pub async fn answer_device_grant(
        &self,
        hash: &CredentialHash,
        code: &UserCode,
        approve: bool,
        user: &UserId,
        now: i64,
    ) -> Result<bool, StoreError> {
        let status = if approve {
            DeviceStatus::Approved
        } else {
            DeviceStatus::Denied
        };
        let update = Update::builder()
            .table_name(self.table())
            .set_key(Some(device_key(hash)))
            .condition_expression(
                "attribute_exists(pk) AND #status = :pending AND expires_at > :now",
            )
            .update_expression("SET #status = :status, user_id = :user")
            .expression_attribute_names("#status", a::STATUS)
            .expression_attribute_values(":pending", s(DeviceStatus::Pending.as_str()))
            .expression_attribute_values(":status", s(status.as_str()))
            .expression_attribute_values(":user", s(user.as_str()))
            .expression_attribute_values(":now", n(now))
            .build()
            .map_err(StoreError::request)?;
        let delete = Delete::builder()
            .table_name(self.table())
            .set_key(Some(user_code_key(code)))
            .build()
            .map_err(StoreError::request)?;
        let result = self
            .client()
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().update(update).build())
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .send()
            .await;
        written(result)
    }

    /// Turns an approved grant into a session, in one transaction: the grant
    /// is deleted (only if still approved), the session and its pointer are
    /// created. `false`: already redeemed.
    pub async fn redeem_device_grant(
        &self,
        grant: &CredentialHash,
        session_hash: &CredentialHash,
        session: &SessionRecord,
    ) -> Result<bool, StoreError> {
        let credential = StoredCredential::Session(session.clone());
        let pointer = CredentialPointer {
            hash: session_hash.clone(),
            workspace_id: None,
        };
        let delete = Delete::builder()
            .table_name(self.table())
            .set_key(Some(device_key(grant)))
            .condition_expression("#status = :approved")
            .expression_attribute_names("#status", a::STATUS)
            .expression_attribute_values(":approved", s(DeviceStatus::Approved.as_str()))
            .build()
            .map_err(StoreError::request)?;
        let result = self
            .client()
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().delete(delete).build())
            .transact_items(self.put_new(credential.to_item(session_hash))?)
            .transact_items(
                self.put_new(pointer.to_item(session.id.as_str(), items::kind_of(&credential)))?,
            )
            .send()
            .await;
        written(result)
    }

    /// Unknown user codes `user` submitted in the window starting `window`.
    pub async fn approval_misses(&self, user: &UserId, window: i64) -> Result<i64, StoreError> {
        let item = self.get(miss_key(user, window)).await?;
        Ok(item
            .as_ref()
            .map(|i| opt_n(i, a::MISSES))
            .transpose()?
            .flatten()
            .unwrap_or(0))
    }

    /// Counts one more miss (atomic `ADD`); the counter expires with its window.
    pub async fn add_approval_miss(
        &self,
        user: &UserId,
        window: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.client()
            .update_item()
            .table_name(self.table())
            .set_key(Some(miss_key(user, window)))
            .update_expression("ADD misses :one SET #ttl = :ttl")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .expression_attribute_values(":ttl", n(expires_at))
            .return_values(ReturnValue::None)
            .send()
            .await
            .map_err(StoreError::from_sdk)?;
        Ok(())
    }
}
