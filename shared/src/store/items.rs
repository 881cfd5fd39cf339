//! The items the service keeps, as typed records, and their mapping to and
//! from DynamoDB attribute maps. Reading an item back validates it: an item
//! this service did not write is [`StoreError::Corrupt`], never a guess.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;

use super::StoreError;
use super::table::{BY_EXPIRY, EXPIRY_SHARDS, GSI1, PK, SK, TTL};
use crate::credential::CredentialHash;
use crate::ids::{
    Role, SessionId, TokenId, TokenName, TokenRole, UserId, WorkspaceId, WorkspaceName,
};

pub type Item = HashMap<String, AttributeValue>;

/// Attribute names shared by the item kinds.
pub(crate) mod attr {
    pub const KIND: &str = "kind";
    pub const ID: &str = "id";
    pub const WORKSPACE_ID: &str = "workspace_id";
    pub const USER_ID: &str = "user_id";
    pub const NAME: &str = "name";
    pub const PREFIX: &str = "prefix";
    pub const ROLE: &str = "role";
    pub const CREATED_AT: &str = "created_at";
    pub const EXPIRES_AT: &str = "expires_at";
    pub const LAST_USED_AT: &str = "last_used_at";
    pub const CREATED_BY: &str = "created_by";
    pub const HASH: &str = "hash";
    pub const JOINED_AT: &str = "joined_at";
}

const CRED_SK: &str = "CRED";
const TOKEN_SK: &str = "TOKEN";
const KIND_API_TOKEN: &str = "api_token";
const KIND_SESSION: &str = "session";

/// The primary key of a credential item: `CRED#<sha256 hex>` / `CRED`.
pub fn credential_key(hash: &CredentialHash) -> Item {
    HashMap::from([
        (PK.to_owned(), s(format!("CRED#{}", hash.to_hex()))),
        (SK.to_owned(), s(CRED_SK)),
    ])
}

/// The primary key of an id pointer: `TOKEN#<id>` / `TOKEN`.
pub fn pointer_key(id: &str) -> Item {
    HashMap::from([
        (PK.to_owned(), s(format!("TOKEN#{id}"))),
        (SK.to_owned(), s(TOKEN_SK)),
    ])
}

/// The primary key of a membership: `WS#<ws>` / `USER#<user>`.
pub fn membership_key(workspace: &WorkspaceId, user: &UserId) -> Item {
    HashMap::from([
        (PK.to_owned(), s(format!("WS#{workspace}"))),
        (SK.to_owned(), s(format!("USER#{user}"))),
    ])
}

/// The `gsi1` partition listing a workspace's API tokens.
pub fn workspace_tokens_partition(workspace: &WorkspaceId) -> String {
    format!("WS#{workspace}#TOKENS")
}

/// A token's `gsi1sk`: creation time (zero-padded, so strings sort as
/// numbers) then id, unique and ordered for newest-first lists.
pub fn token_sort_key(token: &ApiTokenRecord) -> String {
    format!("{:012}#{}", token.created_at.max(0), token.id)
}

/// The `by_expiry` shard of a hash: spreads expiring items evenly.
pub(crate) fn expiry_shard(hash: &CredentialHash) -> String {
    let first = hash.to_hex().as_bytes()[0];
    let nibble = char::from(first).to_digit(16).unwrap_or(0) as u8;
    format!("EXP#{}", nibble % EXPIRY_SHARDS)
}

/// A workspace API token as stored (DESIGN §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    pub id: TokenId,
    pub workspace_id: WorkspaceId,
    pub name: TokenName,
    /// Non-secret display prefix, e.g. `sk_akua_a3b2`.
    pub prefix: String,
    pub role: TokenRole,
    /// The user who created it, for audit; none when created by a token.
    pub created_by: Option<UserId>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

/// A CLI session as stored. Sessions always expire (sliding, DESIGN §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: SessionId,
    pub user_id: UserId,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
}

/// A stored opaque credential: what a `GetItem` on `CRED#<hash>` yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredCredential {
    ApiToken(ApiTokenRecord),
    Session(SessionRecord),
}

impl StoredCredential {
    pub fn id(&self) -> &str {
        match self {
            Self::ApiToken(t) => t.id.as_str(),
            Self::Session(s) => s.id.as_str(),
        }
    }

    pub fn expires_at(&self) -> Option<i64> {
        match self {
            Self::ApiToken(t) => t.expires_at,
            Self::Session(s) => Some(s.expires_at),
        }
    }

    pub fn last_used_at(&self) -> Option<i64> {
        match self {
            Self::ApiToken(t) => t.last_used_at,
            Self::Session(s) => s.last_used_at,
        }
    }

    /// Expired at `now`, whatever TTL has or has not deleted (DESIGN §1).
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at().is_some_and(|at| at <= now)
    }

    pub(crate) fn to_item(&self, hash: &CredentialHash) -> Item {
        let mut item = credential_key(hash);
        let mut put = |k: &str, v: AttributeValue| {
            item.insert(k.to_owned(), v);
        };
        match self {
            Self::ApiToken(t) => {
                put(attr::KIND, s(KIND_API_TOKEN));
                put(attr::ID, s(t.id.as_str()));
                put(attr::WORKSPACE_ID, s(t.workspace_id.as_str()));
                put(attr::NAME, s(t.name.as_str()));
                put(attr::PREFIX, s(&t.prefix));
                put(attr::ROLE, s(Role::from(t.role).as_str()));
                put(attr::CREATED_AT, n(t.created_at));
                if let Some(by) = &t.created_by {
                    put(attr::CREATED_BY, s(by.as_str()));
                }
                if let Some(at) = t.last_used_at {
                    put(attr::LAST_USED_AT, n(at));
                }
                put(GSI1.hash.0, s(workspace_tokens_partition(&t.workspace_id)));
                put(
                    GSI1.range.0,
                    s(format!("{:012}#{}", t.created_at.max(0), t.id)),
                );
            }
            Self::Session(x) => {
                put(attr::KIND, s(KIND_SESSION));
                put(attr::ID, s(x.id.as_str()));
                put(attr::USER_ID, s(x.user_id.as_str()));
                put(attr::CREATED_AT, n(x.created_at));
                if let Some(at) = x.last_used_at {
                    put(attr::LAST_USED_AT, n(at));
                }
            }
        }
        if let Some(at) = self.expires_at() {
            put(attr::EXPIRES_AT, n(at));
            put(TTL, n(at));
            put(BY_EXPIRY.hash.0, s(expiry_shard(hash)));
        }
        item
    }

    pub(crate) fn from_item(item: &Item) -> Result<Self, StoreError> {
        let kind = get_s(item, attr::KIND)?;
        let created_at = get_n(item, attr::CREATED_AT)?;
        let expires_at = opt_n(item, attr::EXPIRES_AT)?;
        let last_used_at = opt_n(item, attr::LAST_USED_AT)?;
        match kind {
            KIND_API_TOKEN => Ok(Self::ApiToken(ApiTokenRecord {
                id: TokenId::parse(get_s(item, attr::ID)?).map_err(corrupt)?,
                workspace_id: WorkspaceId::parse(get_s(item, attr::WORKSPACE_ID)?)
                    .map_err(corrupt)?,
                name: TokenName::parse(get_s(item, attr::NAME)?).map_err(corrupt)?,
                prefix: get_s(item, attr::PREFIX)?.to_owned(),
                role: TokenRole::parse(get_s(item, attr::ROLE)?).map_err(corrupt)?,
                created_by: opt_s(item, attr::CREATED_BY)?
                    .map(UserId::parse)
                    .transpose()
                    .map_err(corrupt)?,
                created_at,
                expires_at,
                last_used_at,
            })),
            KIND_SESSION => Ok(Self::Session(SessionRecord {
                id: SessionId::parse(get_s(item, attr::ID)?).map_err(corrupt)?,
                user_id: UserId::parse(get_s(item, attr::USER_ID)?).map_err(corrupt)?,
                created_at,
                expires_at: expires_at.ok_or(StoreError::Corrupt("session without expires_at"))?,
                last_used_at,
            })),
            _ => Err(StoreError::Corrupt("unknown credential kind")),
        }
    }
}

/// The id pointer: lets revoke-by-id find the hash with one consistent read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialPointer {
    pub hash: CredentialHash,
    /// The owning workspace (API tokens), so a foreign id is a 404 without
    /// reading the credential.
    pub workspace_id: Option<WorkspaceId>,
}

impl CredentialPointer {
    pub(crate) fn to_item(&self, id: &str, kind: &str) -> Item {
        let mut item = pointer_key(id);
        item.insert(attr::HASH.to_owned(), s(self.hash.to_hex()));
        item.insert(attr::KIND.to_owned(), s(kind));
        if let Some(ws) = &self.workspace_id {
            item.insert(attr::WORKSPACE_ID.to_owned(), s(ws.as_str()));
        }
        item
    }

    pub(crate) fn from_item(item: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            hash: CredentialHash::from_hex(get_s(item, attr::HASH)?)
                .ok_or(StoreError::Corrupt("pointer hash"))?,
            workspace_id: opt_s(item, attr::WORKSPACE_ID)?
                .map(WorkspaceId::parse)
                .transpose()
                .map_err(corrupt)?,
        })
    }
}

pub(crate) fn kind_of(credential: &StoredCredential) -> &'static str {
    match credential {
        StoredCredential::ApiToken(_) => KIND_API_TOKEN,
        StoredCredential::Session(_) => KIND_SESSION,
    }
}

/// A user's membership of a workspace (DESIGN §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub role: Role,
    pub joined_at: i64,
}

impl Membership {
    pub(crate) fn to_item(&self) -> Item {
        let mut item = membership_key(&self.workspace_id, &self.user_id);
        item.insert(attr::WORKSPACE_ID.to_owned(), s(self.workspace_id.as_str()));
        item.insert(attr::USER_ID.to_owned(), s(self.user_id.as_str()));
        item.insert(attr::ROLE.to_owned(), s(self.role.as_str()));
        item.insert(attr::JOINED_AT.to_owned(), n(self.joined_at));
        item.insert(
            GSI1.hash.0.to_owned(),
            s(user_memberships_partition(&self.user_id)),
        );
        item.insert(
            GSI1.range.0.to_owned(),
            s(format!("WS#{}", self.workspace_id)),
        );
        item
    }

    pub(crate) fn from_item(item: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            workspace_id: WorkspaceId::parse(get_s(item, attr::WORKSPACE_ID)?).map_err(corrupt)?,
            user_id: UserId::parse(get_s(item, attr::USER_ID)?).map_err(corrupt)?,
            role: Role::parse(get_s(item, attr::ROLE)?).map_err(corrupt)?,
            joined_at: get_n(item, attr::JOINED_AT)?,
        })
    }
}

/// A workspace's own item: `WS#<ws>` / `META`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceRecord {
    pub id: WorkspaceId,
    pub name: WorkspaceName,
    pub created_at: i64,
    pub created_by: UserId,
}

const META_SK: &str = "META";

/// The primary key of a workspace item.
pub fn workspace_key(workspace: &WorkspaceId) -> Item {
    HashMap::from([
        (PK.to_owned(), s(format!("WS#{workspace}"))),
        (SK.to_owned(), s(META_SK)),
    ])
}

/// The `gsi1` partition listing a user's memberships.
pub fn user_memberships_partition(user: &UserId) -> String {
    format!("USER#{user}#WORKSPACES")
}

impl WorkspaceRecord {
    pub(crate) fn to_item(&self) -> Item {
        let mut item = workspace_key(&self.id);
        item.insert(attr::ID.to_owned(), s(self.id.as_str()));
        item.insert(attr::NAME.to_owned(), s(self.name.as_str()));
        item.insert(attr::CREATED_AT.to_owned(), n(self.created_at));
        item.insert(attr::CREATED_BY.to_owned(), s(self.created_by.as_str()));
        item
    }

    pub(crate) fn from_item(item: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            id: WorkspaceId::parse(get_s(item, attr::ID)?).map_err(corrupt)?,
            name: WorkspaceName::parse(get_s(item, attr::NAME)?).map_err(corrupt)?,
            created_at: get_n(item, attr::CREATED_AT)?,
            created_by: UserId::parse(get_s(item, attr::CREATED_BY)?).map_err(corrupt)?,
        })
    }
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn corrupt(e: crate::ids::InvalidId) -> StoreError {
    StoreError::Corrupt(e.0)
}

pub(crate) fn opt_s<'a>(item: &'a Item, key: &'static str) -> Result<Option<&'a str>, StoreError> {
    match item.get(key) {
        None => Ok(None),
        Some(AttributeValue::S(v)) => Ok(Some(v)),
        Some(_) => Err(StoreError::Corrupt(key)),
    }
}

pub(crate) fn get_s<'a>(item: &'a Item, key: &'static str) -> Result<&'a str, StoreError> {
    opt_s(item, key)?.ok_or(StoreError::Corrupt(key))
}

pub(crate) fn opt_n(item: &Item, key: &'static str) -> Result<Option<i64>, StoreError> {
    match item.get(key) {
        None => Ok(None),
        Some(AttributeValue::N(v)) => v.parse().map(Some).map_err(|_| StoreError::Corrupt(key)),
        Some(_) => Err(StoreError::Corrupt(key)),
    }
}

pub(crate) fn get_n(item: &Item, key: &'static str) -> Result<i64, StoreError> {
    opt_n(item, key)?.ok_or(StoreError::Corrupt(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api_token() -> StoredCredential {
        StoredCredential::ApiToken(ApiTokenRecord {
            id: TokenId::generate(),
            workspace_id: WorkspaceId::parse("ws_abc").unwrap(),
            name: TokenName::parse("ci").unwrap(),
            prefix: "sk_akua_abcd".into(),
            role: TokenRole::Member,
            created_by: Some(UserId::parse("usr_1").unwrap()),
            created_at: 100,
            expires_at: Some(200),
            last_used_at: None,
        })
    }

    #[test]
    fn credentials_round_trip_through_items() {
        let hash = CredentialHash::of("x");
        let session = StoredCredential::Session(SessionRecord {
            id: SessionId::generate(),
            user_id: UserId::parse("usr_1").unwrap(),
            created_at: 1,
            expires_at: 2,
            last_used_at: Some(1),
        });
        for c in [api_token(), session] {
            assert_eq!(StoredCredential::from_item(&c.to_item(&hash)).unwrap(), c);
        }
    }

    #[test]
    fn items_never_hold_the_plaintext_only_the_hash() {
        let hash = CredentialHash::of("sk_akua_plaintext");
        let item = api_token().to_item(&hash);
        let dump = format!("{item:?}");
        assert!(!dump.contains("plaintext"));
        assert!(dump.contains(&hash.to_hex()));
        assert_eq!(item[TTL], item[attr::EXPIRES_AT], "TTL follows expiry");
    }

    #[test]
    fn malformed_items_are_corrupt_not_guessed() {
        let hash = CredentialHash::of("x");
        let mut item = api_token().to_item(&hash);
        item.insert(attr::ROLE.into(), s("owner"));
        assert!(
            StoredCredential::from_item(&item).is_err(),
            "a token can never be owner"
        );
        let mut item = api_token().to_item(&hash);
        item.insert(attr::EXPIRES_AT.into(), s("soon"));
        assert!(StoredCredential::from_item(&item).is_err());
        let mut item = api_token().to_item(&hash);
        item.insert(attr::KIND.into(), s("root"));
        assert!(StoredCredential::from_item(&item).is_err());
        assert!(StoredCredential::from_item(&HashMap::new()).is_err());
    }
}
