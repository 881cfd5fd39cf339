//! Core's records as DynamoDB items and back. Keys come from [`crate::keys`];
//! every attribute name is here. Reading an item that does not have the
//! shape written here is [`StoreError::Corrupt`], never a guess.

use akua_core::allow_list::AllowList;
use akua_core::credential::CredentialHash;
use akua_core::device::UserCode;
use akua_core::ids::{
    InvalidId, Role, SessionId, TokenId, TokenName, TokenRole, UserId, WorkspaceId, WorkspaceName,
};
use akua_core::permission::Permissions;
use akua_core::ports::StoreError;
use akua_core::records::{
    ApiTokenRecord, Creator, CredentialPointer, DeviceGrant, DeviceStatus, Membership,
    MultiTokenRecord, SessionClient, SessionRecord, StoredCredential, TokenKind, WorkspaceRecord,
    WorkspaceTokenRow,
};
use akua_core::restrictions::Restrictions;
use akua_core::token_policy::TokenPolicy;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::keys::{self, Item, kind};
use crate::table::{BY_EXPIRY, LISTS, TTL};

/// Attribute names.
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
    pub const CREATED_BY_TYPE: &str = "created_by_type";
    pub const CLIENT: &str = "client";
    pub const ABSOLUTE_EXPIRES_AT: &str = "absolute_expires_at";
    pub const SIGNED_IN_AT: &str = "signed_in_at";
    pub const WORKSPACE_IDS: &str = "workspace_ids";
    pub const HASH: &str = "hash";
    pub const PREVIOUS_HASH: &str = "previous_hash";
    pub const JOINED_AT: &str = "joined_at";
    /// A workspace's number of owners, kept with its memberships so the
    /// last-owner rule holds in one transaction.
    pub const OWNERS: &str = "owners";
    pub const USER_CODE: &str = "user_code";
    pub const CLIENT_ID: &str = "client_id";
    pub const SCOPE: &str = "scope";
    pub const STATUS: &str = "status";
    pub const INTERVAL: &str = "interval";
    pub const LAST_POLL_AT: &str = "last_poll_at";
    pub const MISSES: &str = "misses";
    pub const AT: &str = "at";
    pub const ACTION: &str = "action";
    pub const ACTOR_ID: &str = "actor_id";
    pub const ACTOR_CREDENTIAL: &str = "actor_credential";
    pub const TARGET_TYPE: &str = "target_type";
    pub const TARGET_ID: &str = "target_id";
    pub const SOURCE_IP: &str = "source_ip";
    pub const USER_AGENT: &str = "user_agent";
    pub const DETAIL: &str = "detail";
    pub const PERMISSIONS: &str = "permissions";
    pub const ALLOWED_CIDRS: &str = "allowed_cidrs";
    pub const POLICY_MAX_LIFETIME_DAYS: &str = "policy_max_lifetime_days";
    pub const POLICY_REQUIRE_EXPIRY: &str = "policy_require_expiry";
    pub const POLICY_ALLOWED_CIDRS: &str = "policy_allowed_cidrs";
}

/// A token's restrictions as attributes: each present only when it
/// restricts (items from before restrictions read as unrestricted).
fn put_restrictions(item: &mut Item, r: &Restrictions) {
    if let Some(p) = &r.permissions {
        item.insert(
            attr::PERMISSIONS.to_owned(),
            AttributeValue::L(p.iter().map(|p| s(p.as_str())).collect()),
        );
    }
    if !r.allowed_cidrs.is_anywhere() {
        item.insert(attr::ALLOWED_CIDRS.to_owned(), cidr_list(&r.allowed_cidrs));
    }
}

pub(crate) fn cidr_list(list: &AllowList) -> AttributeValue {
    AttributeValue::L(list.to_strings().into_iter().map(s).collect())
}

/// The strings of a list attribute, if present.
fn strings<'a>(item: &'a Item, key: &'static str) -> Result<Option<Vec<&'a str>>, StoreError> {
    let Some(value) = item.get(key) else {
        return Ok(None);
    };
    let bad = || StoreError::Corrupt(key);
    value
        .as_l()
        .map_err(|_| bad())?
        .iter()
        .map(|v| v.as_s().map(String::as_str).map_err(|_| bad()))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

fn allow_list(item: &Item, key: &'static str) -> Result<AllowList, StoreError> {
    Ok(match strings(item, key)? {
        None => AllowList::ANYWHERE,
        Some(v) => AllowList::parse(v).map_err(|_| StoreError::Corrupt(key))?,
    })
}

fn restrictions(item: &Item) -> Result<Restrictions, StoreError> {
    Ok(Restrictions {
        permissions: strings(item, attr::PERMISSIONS)?
            .map(|v| Permissions::parse(v).map_err(|_| StoreError::Corrupt(attr::PERMISSIONS)))
            .transpose()?,
        allowed_cidrs: allow_list(item, attr::ALLOWED_CIDRS)?,
    })
}

/// A workspace's token policy from its item (absent attributes: the rule
/// is not set).
impl FromItem for TokenPolicy {
    fn from_item(item: &Item) -> Result<Self, StoreError> {
        Ok(TokenPolicy {
            max_lifetime_days: opt_n(item, attr::POLICY_MAX_LIFETIME_DAYS)?
                .map(|d| {
                    u32::try_from(d)
                        .map_err(|_| StoreError::Corrupt(attr::POLICY_MAX_LIFETIME_DAYS))
                })
                .transpose()?,
            require_expiry: match item.get(attr::POLICY_REQUIRE_EXPIRY) {
                None => false,
                Some(v) => *v
                    .as_bool()
                    .map_err(|_| StoreError::Corrupt(attr::POLICY_REQUIRE_EXPIRY))?,
            },
            allowed_cidrs: allow_list(item, attr::POLICY_ALLOWED_CIDRS)?,
        })
    }
}

/// Reads a record from its item.
pub(crate) trait FromItem: Sized {
    fn from_item(item: &Item) -> Result<Self, StoreError>;
}

/// Expiry attributes every expiring item carries: `expires_at`, the TTL
/// hint, and its `by_expiry` shard.
pub(crate) fn expiring(item: &mut Item, hash: &CredentialHash, expires_at: i64) {
    item.insert(attr::EXPIRES_AT.to_owned(), n(expires_at));
    item.insert(TTL.to_owned(), n(expires_at));
    item.insert(BY_EXPIRY.hash.0.to_owned(), s(keys::expiry_shard(hash)));
}

/// The item of a credential, keyed by its hash: never the plaintext.
/// Public for the benchmarks, which seed big tables with batch writes.
pub fn credential_item(hash: &CredentialHash, credential: &StoredCredential) -> Item {
    let mut item = keys::credential(hash);
    let mut put = |k: &str, v: AttributeValue| {
        item.insert(k.to_owned(), v);
    };
    put(attr::KIND, s(keys::kind_of(credential)));
    put(attr::ID, s(credential.id()));
    match credential {
        StoredCredential::ApiToken(t) => {
            put(attr::WORKSPACE_ID, s(t.workspace_id.as_str()));
            put(attr::NAME, s(t.name.as_str()));
            put(attr::PREFIX, s(&t.prefix));
            put(attr::ROLE, s(Role::from(t.role).as_str()));
            put(attr::CREATED_AT, n(t.created_at));
            match &t.created_by {
                Some(Creator::User(user)) => put(attr::CREATED_BY, s(user.as_str())),
                Some(Creator::ApiToken(token)) => {
                    put(attr::CREATED_BY, s(token.as_str()));
                    put(attr::CREATED_BY_TYPE, s(CREATOR_API_TOKEN));
                }
                None => {}
            }
            put(
                LISTS.hash.0,
                s(keys::workspace_tokens_partition(&t.workspace_id)),
            );
            put(LISTS.range.0, s(keys::token_sort_key(t.created_at, &t.id)));
        }
        StoredCredential::MultiWorkspaceToken(t) => {
            put(attr::USER_ID, s(t.user_id.as_str()));
            put(attr::NAME, s(t.name.as_str()));
            put(attr::PREFIX, s(&t.prefix));
            put(attr::ROLE, s(Role::from(t.role).as_str()));
            put(
                attr::WORKSPACE_IDS,
                AttributeValue::L(t.workspace_ids.iter().map(|w| s(w.as_str())).collect()),
            );
            put(attr::CREATED_AT, n(t.created_at));
            put(LISTS.hash.0, s(keys::user_tokens_partition(&t.user_id)));
            put(LISTS.range.0, s(keys::token_sort_key(t.created_at, &t.id)));
        }
        StoredCredential::Session(x) => {
            put(attr::USER_ID, s(x.user_id.as_str()));
            put(attr::CLIENT, s(x.client.as_str()));
            put(attr::CREATED_AT, n(x.created_at));
            if let Some(at) = x.absolute_expires_at {
                put(attr::ABSOLUTE_EXPIRES_AT, n(at));
            }
            if let Some(at) = x.signed_in_at {
                put(attr::SIGNED_IN_AT, n(at));
            }
            put(LISTS.hash.0, s(keys::user_sessions_partition(&x.user_id)));
            put(LISTS.range.0, s(keys::session_sort_key(x)));
        }
    }
    if let Some(at) = credential.last_used_at() {
        put(attr::LAST_USED_AT, n(at));
    }
    if let Some(r) = credential.restrictions() {
        put_restrictions(&mut item, r);
    }
    if let Some(at) = credential.expires_at() {
        expiring(&mut item, hash, at);
    }
    item
}

impl FromItem for StoredCredential {
    fn from_item(item: &Item) -> Result<Self, StoreError> {
        let created_at = get_n(item, attr::CREATED_AT)?;
        let expires_at = opt_n(item, attr::EXPIRES_AT)?;
        let last_used_at = opt_n(item, attr::LAST_USED_AT)?;
        match get_s(item, attr::KIND)? {
            kind::API_TOKEN => {
                let (id, name, prefix, role) = token_fields(item)?;
                Ok(Self::ApiToken(ApiTokenRecord {
                    workspace_id: WorkspaceId::parse(get_s(item, attr::WORKSPACE_ID)?)
                        .map_err(corrupt)?,
                    created_by: creator(item)?,
                    restrictions: restrictions(item)?,
                    id,
                    name,
                    prefix,
                    role,
                    created_at,
                    expires_at,
                    last_used_at,
                }))
            }
            kind::SESSION => {
                // Sessions from before this was recorded were all the CLI's.
                let client = match opt_s(item, attr::CLIENT)? {
                    None => SessionClient::Cli,
                    Some(c) => SessionClient::parse(c).ok_or(StoreError::Corrupt(attr::CLIENT))?,
                };
                // Sessions from before the absolute limit end at the
                // default one from their creation.
                let absolute_expires_at = match opt_n(item, attr::ABSOLUTE_EXPIRES_AT)? {
                    Some(at) => Some(at),
                    None => client
                        .default_absolute_secs()
                        .map(|secs| created_at.saturating_add(secs)),
                };
                Ok(Self::Session(SessionRecord {
                    id: SessionId::parse(get_s(item, attr::ID)?).map_err(corrupt)?,
                    user_id: UserId::parse(get_s(item, attr::USER_ID)?).map_err(corrupt)?,
                    client,
                    created_at,
                    expires_at: expires_at
                        .ok_or(StoreError::Corrupt("session without expires_at"))?,
                    last_used_at,
                    absolute_expires_at,
                    // Absent on sessions from before sudo mode: never recent.
                    signed_in_at: opt_n(item, attr::SIGNED_IN_AT)?,
                }))
            }
            kind::MULTI_TOKEN => {
                let (id, name, prefix, role) = token_fields(item)?;
                Ok(Self::MultiWorkspaceToken(MultiTokenRecord {
                    user_id: UserId::parse(get_s(item, attr::USER_ID)?).map_err(corrupt)?,
                    workspace_ids: workspace_ids(item)?,
                    restrictions: restrictions(item)?,
                    id,
                    name,
                    prefix,
                    role,
                    created_at,
                    expires_at,
                    last_used_at,
                }))
            }
            _ => Err(StoreError::Corrupt("unknown credential kind")),
        }
    }
}

/// What every token's item carries: its id, name, display prefix and role.
fn token_fields(item: &Item) -> Result<(TokenId, TokenName, String, TokenRole), StoreError> {
    Ok((
        TokenId::parse(get_s(item, attr::ID)?).map_err(corrupt)?,
        TokenName::parse(get_s(item, attr::NAME)?).map_err(corrupt)?,
        get_s(item, attr::PREFIX)?.to_owned(),
        TokenRole::parse(get_s(item, attr::ROLE)?).map_err(corrupt)?,
    ))
}

fn workspace_ids(item: &Item) -> Result<Vec<WorkspaceId>, StoreError> {
    let bad = || StoreError::Corrupt(attr::WORKSPACE_IDS);
    item.get(attr::WORKSPACE_IDS)
        .and_then(|v| v.as_l().ok())
        .ok_or_else(bad)?
        .iter()
        .map(|v| {
            v.as_s()
                .ok()
                .and_then(|w| WorkspaceId::parse(w).ok())
                .ok_or_else(bad)
        })
        .collect()
}

/// A multi-workspace token's entry in the token list of `workspace`: what
/// the list shows, with the token's expiry so TTL and the sweep remove it.
pub(crate) fn token_grant_item(
    hash: &CredentialHash,
    token: &MultiTokenRecord,
    workspace: &WorkspaceId,
) -> Item {
    let mut item = keys::token_grant(&token.id, workspace);
    let mut put = |k: &str, v: AttributeValue| {
        item.insert(k.to_owned(), v);
    };
    put(attr::KIND, s(kind::TOKEN_GRANT));
    put(attr::ID, s(token.id.as_str()));
    put(attr::WORKSPACE_ID, s(workspace.as_str()));
    put(attr::USER_ID, s(token.user_id.as_str()));
    put(attr::NAME, s(token.name.as_str()));
    put(attr::PREFIX, s(&token.prefix));
    put(attr::ROLE, s(Role::from(token.role).as_str()));
    put(attr::CREATED_AT, n(token.created_at));
    put(LISTS.hash.0, s(keys::workspace_tokens_partition(workspace)));
    put(
        LISTS.range.0,
        s(keys::token_sort_key(token.created_at, &token.id)),
    );
    put_restrictions(&mut item, &token.restrictions);
    if let Some(at) = token.expires_at {
        expiring(&mut item, hash, at);
    }
    item
}

impl FromItem for WorkspaceTokenRow {
    fn from_item(item: &Item) -> Result<Self, StoreError> {
        if get_s(item, attr::KIND)? != kind::TOKEN_GRANT {
            return match StoredCredential::from_item(item)? {
                StoredCredential::ApiToken(token) => Ok(Self {
                    kind: TokenKind::Workspace,
                    token,
                }),
                StoredCredential::Session(_) | StoredCredential::MultiWorkspaceToken(_) => {
                    Err(StoreError::Corrupt("non-token item in a token list"))
                }
            };
        }
        Ok(Self {
            kind: TokenKind::MultiWorkspace,
            token: ApiTokenRecord {
                id: TokenId::parse(get_s(item, attr::ID)?).map_err(corrupt)?,
                workspace_id: WorkspaceId::parse(get_s(item, attr::WORKSPACE_ID)?)
                    .map_err(corrupt)?,
                name: TokenName::parse(get_s(item, attr::NAME)?).map_err(corrupt)?,
                prefix: get_s(item, attr::PREFIX)?.to_owned(),
                role: TokenRole::parse(get_s(item, attr::ROLE)?).map_err(corrupt)?,
                created_by: Some(Creator::User(
                    UserId::parse(get_s(item, attr::USER_ID)?).map_err(corrupt)?,
                )),
                created_at: get_n(item, attr::CREATED_AT)?,
                expires_at: opt_n(item, attr::EXPIRES_AT)?,
                last_used_at: None,
                restrictions: restrictions(item)?,
            },
        })
    }
}

/// `created_by_type` of a token made by a token; absent means a person
/// (the only creator before tokens could make tokens).
const CREATOR_API_TOKEN: &str = "api_token";

fn creator(item: &Item) -> Result<Option<Creator>, StoreError> {
    let Some(id) = opt_s(item, attr::CREATED_BY)? else {
        return Ok(None);
    };
    Ok(Some(match opt_s(item, attr::CREATED_BY_TYPE)? {
        None => Creator::User(UserId::parse(id).map_err(corrupt)?),
        Some(CREATOR_API_TOKEN) => Creator::ApiToken(TokenId::parse(id).map_err(corrupt)?),
        Some(_) => return Err(StoreError::Corrupt(attr::CREATED_BY_TYPE)),
    }))
}

/// The id pointer of `credential`.
pub fn pointer_item(hash: &CredentialHash, credential: &StoredCredential) -> Item {
    let mut item = keys::pointer(credential.id());
    item.insert(attr::HASH.to_owned(), s(hash.to_hex()));
    item.insert(attr::KIND.to_owned(), s(keys::kind_of(credential)));
    if let Some(ws) = credential.workspace_id() {
        item.insert(attr::WORKSPACE_ID.to_owned(), s(ws.as_str()));
    }
    item
}

impl FromItem for CredentialPointer {
    fn from_item(item: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            hash: CredentialHash::from_hex(get_s(item, attr::HASH)?)
                .ok_or(StoreError::Corrupt("pointer hash"))?,
            workspace_id: opt_s(item, attr::WORKSPACE_ID)?
                .map(WorkspaceId::parse)
                .transpose()
                .map_err(corrupt)?,
            previous: opt_s(item, attr::PREVIOUS_HASH)?
                .map(|h| CredentialHash::from_hex(h).ok_or(StoreError::Corrupt("previous hash")))
                .transpose()?,
        })
    }
}

pub(crate) fn membership_item(m: &Membership) -> Item {
    let mut item = keys::membership(&m.workspace_id, &m.user_id);
    item.insert(attr::WORKSPACE_ID.to_owned(), s(m.workspace_id.as_str()));
    item.insert(attr::USER_ID.to_owned(), s(m.user_id.as_str()));
    item.insert(attr::ROLE.to_owned(), s(m.role.as_str()));
    item.insert(attr::JOINED_AT.to_owned(), n(m.joined_at));
    item.insert(
        LISTS.hash.0.to_owned(),
        s(keys::user_memberships_partition(&m.user_id)),
    );
    item.insert(
        LISTS.range.0.to_owned(),
        s(keys::user_membership_sort_key(&m.workspace_id)),
    );
    item
}

impl FromItem for Membership {
    fn from_item(item: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            workspace_id: WorkspaceId::parse(get_s(item, attr::WORKSPACE_ID)?).map_err(corrupt)?,
            user_id: UserId::parse(get_s(item, attr::USER_ID)?).map_err(corrupt)?,
            role: Role::parse(get_s(item, attr::ROLE)?).map_err(corrupt)?,
            joined_at: get_n(item, attr::JOINED_AT)?,
        })
    }
}

/// A new workspace's item; it starts with one owner, its creator.
pub(crate) fn workspace_item(ws: &WorkspaceRecord) -> Item {
    let mut item = keys::workspace(&ws.id);
    item.insert(attr::ID.to_owned(), s(ws.id.as_str()));
    item.insert(attr::NAME.to_owned(), s(ws.name.as_str()));
    item.insert(attr::CREATED_AT.to_owned(), n(ws.created_at));
    item.insert(attr::CREATED_BY.to_owned(), s(ws.created_by.as_str()));
    item.insert(attr::OWNERS.to_owned(), n(1));
    item
}

impl FromItem for WorkspaceRecord {
    fn from_item(item: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            id: WorkspaceId::parse(get_s(item, attr::ID)?).map_err(corrupt)?,
            name: WorkspaceName::parse(get_s(item, attr::NAME)?).map_err(corrupt)?,
            created_at: get_n(item, attr::CREATED_AT)?,
            created_by: UserId::parse(get_s(item, attr::CREATED_BY)?).map_err(corrupt)?,
            token_policy: TokenPolicy::from_item(item)?,
        })
    }
}

pub(crate) fn status_str(status: DeviceStatus) -> &'static str {
    match status {
        DeviceStatus::Pending => "pending",
        DeviceStatus::Approved => "approved",
        DeviceStatus::Denied => "denied",
    }
}

fn parse_status(s: &str) -> Result<DeviceStatus, StoreError> {
    match s {
        "pending" => Ok(DeviceStatus::Pending),
        "approved" => Ok(DeviceStatus::Approved),
        "denied" => Ok(DeviceStatus::Denied),
        _ => Err(StoreError::Corrupt("device status")),
    }
}

pub(crate) fn device_item(hash: &CredentialHash, grant: &DeviceGrant) -> Item {
    let mut item = keys::device(hash);
    item.insert(attr::KIND.to_owned(), s(kind::DEVICE));
    item.insert(attr::ID.to_owned(), s(grant.user_code.as_str()));
    item.insert(attr::USER_CODE.to_owned(), s(grant.user_code.as_str()));
    item.insert(attr::CLIENT_ID.to_owned(), s(&grant.client_id));
    if let Some(scope) = &grant.scope {
        item.insert(attr::SCOPE.to_owned(), s(scope));
    }
    item.insert(attr::STATUS.to_owned(), s(status_str(grant.status)));
    if let Some(user) = &grant.user_id {
        item.insert(attr::USER_ID.to_owned(), s(user.as_str()));
    }
    item.insert(attr::CREATED_AT.to_owned(), n(grant.created_at));
    if let Some(ip) = &grant.ip_address {
        item.insert(attr::SOURCE_IP.to_owned(), s(ip));
    }
    if let Some(agent) = &grant.user_agent {
        item.insert(attr::USER_AGENT.to_owned(), s(agent));
    }
    item.insert(attr::INTERVAL.to_owned(), n(grant.interval));
    if let Some(at) = grant.last_poll_at {
        item.insert(attr::LAST_POLL_AT.to_owned(), n(at));
    }
    expiring(&mut item, hash, grant.expires_at);
    item
}

impl FromItem for DeviceGrant {
    fn from_item(item: &Item) -> Result<Self, StoreError> {
        Ok(Self {
            user_code: UserCode::parse(get_s(item, attr::USER_CODE)?)
                .ok_or(StoreError::Corrupt("user code"))?,
            client_id: get_s(item, attr::CLIENT_ID)?.to_owned(),
            scope: opt_s(item, attr::SCOPE)?.map(str::to_owned),
            status: parse_status(get_s(item, attr::STATUS)?)?,
            user_id: opt_s(item, attr::USER_ID)?
                .map(UserId::parse)
                .transpose()
                .map_err(corrupt)?,
            created_at: get_n(item, attr::CREATED_AT)?,
            ip_address: opt_s(item, attr::SOURCE_IP)?.map(str::to_owned),
            user_agent: opt_s(item, attr::USER_AGENT)?.map(str::to_owned),
            expires_at: get_n(item, attr::EXPIRES_AT)?,
            interval: get_n(item, attr::INTERVAL)?,
            last_poll_at: opt_n(item, attr::LAST_POLL_AT)?,
        })
    }
}

/// The user-code item pointing at a grant.
pub(crate) fn user_code_item(hash: &CredentialHash, grant: &DeviceGrant) -> Item {
    let mut item = keys::user_code(&grant.user_code);
    item.insert(attr::KIND.to_owned(), s(kind::USER_CODE));
    item.insert(attr::ID.to_owned(), s(grant.user_code.as_str()));
    item.insert(attr::HASH.to_owned(), s(hash.to_hex()));
    expiring(&mut item, hash, grant.expires_at);
    item
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: i64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn corrupt(e: InvalidId) -> StoreError {
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
    use std::collections::HashMap;

    use super::*;

    fn api_token() -> StoredCredential {
        StoredCredential::ApiToken(ApiTokenRecord {
            id: TokenId::generate(),
            workspace_id: WorkspaceId::parse("ws_abc").unwrap(),
            name: TokenName::parse("ci").unwrap(),
            prefix: "sk_akua_abcd".into(),
            role: TokenRole::Member,
            created_by: Some(Creator::User(UserId::parse("usr_1").unwrap())),
            created_at: 100,
            expires_at: Some(200),
            last_used_at: None,
            restrictions: Restrictions {
                permissions: Some(
                    Permissions::parse(["api_tokens:read", "deployments:read"]).unwrap(),
                ),
                allowed_cidrs: AllowList::parse(["10.0.0.0/8", "2001:db8::/32"]).unwrap(),
            },
        })
    }

    #[test]
    fn credentials_round_trip_through_items() {
        let hash = CredentialHash::of("x");
        let session = StoredCredential::Session(SessionRecord {
            id: SessionId::generate(),
            user_id: UserId::parse("usr_1").unwrap(),
            client: SessionClient::Dashboard,
            created_at: 1,
            expires_at: 2,
            last_used_at: Some(1),
            absolute_expires_at: Some(3),
            signed_in_at: Some(1),
        });
        // A dashboard session stored before the absolute limit ends at the
        // default one from its creation.
        let mut legacy = credential_item(&hash, &session);
        legacy.remove(attr::ABSOLUTE_EXPIRES_AT);
        legacy.remove(attr::SIGNED_IN_AT);
        let StoredCredential::Session(read) = StoredCredential::from_item(&legacy).unwrap() else {
            panic!("not a session");
        };
        // One stored before sudo mode has no sign-in time: never recent.
        assert_eq!(read.sign_in(), akua_core::sudo::SignIn::Unknown);
        assert_eq!(
            read.absolute_expires_at,
            Some(1 + akua_core::records::DASHBOARD_SESSION_ABSOLUTE_SECS)
        );
        for c in [api_token(), session] {
            assert_eq!(
                StoredCredential::from_item(&credential_item(&hash, &c)).unwrap(),
                c
            );
        }
    }

    #[test]
    fn items_never_hold_the_plaintext_only_the_hash() {
        let hash = CredentialHash::of("sk_akua_plaintext");
        let item = credential_item(&hash, &api_token());
        let dump = format!("{item:?}");
        assert!(!dump.contains("plaintext"));
        assert!(dump.contains(&hash.to_hex()));
        assert_eq!(item[TTL], item[attr::EXPIRES_AT], "TTL follows expiry");
    }

    #[test]
    fn malformed_items_are_corrupt_not_guessed() {
        let hash = CredentialHash::of("x");
        let with = |k: &str, v: AttributeValue| {
            let mut item = credential_item(&hash, &api_token());
            item.insert(k.into(), v);
            item
        };
        assert!(
            StoredCredential::from_item(&with(attr::ROLE, s("owner"))).is_err(),
            "a token can never be owner"
        );
        assert!(StoredCredential::from_item(&with(attr::EXPIRES_AT, s("soon"))).is_err());
        assert!(StoredCredential::from_item(&with(attr::KIND, s("root"))).is_err());
        assert!(StoredCredential::from_item(&HashMap::new()).is_err());
    }

    #[test]
    fn only_credential_keys_carry_pointers() {
        let hash = CredentialHash::of("x");
        assert!(keys::is_credential(&credential_item(&hash, &api_token())));
        let grant = DeviceGrant {
            user_code: UserCode::parse("BCDF-GHJK").unwrap(),
            client_id: "cnap".into(),
            scope: None,
            status: DeviceStatus::Pending,
            user_id: None,
            created_at: 1,
            ip_address: None,
            user_agent: None,
            expires_at: 2,
            interval: 5,
            last_poll_at: None,
        };
        assert!(!keys::is_credential(&device_item(&hash, &grant)));
        assert!(!keys::is_credential(&user_code_item(&hash, &grant)));
        assert!(!keys::is_credential(&keys::pointer("tok_x")));
    }
}
