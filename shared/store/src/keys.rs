//! Every key format and kind string of the table (DESIGN §4), in one place.
//!
//! | item | `pk` | `sk` | indexed by |
//! |---|---|---|---|
//! | credential | `CRED#<sha256 hex>` | `CRED` | `lists` (API tokens by workspace; sessions and multi-workspace tokens by user; newest first), `by_expiry` |
//! | id pointer | `TOKEN#<tok_… or ses_…>` | `TOKEN` | — |
//! | multi-workspace token's entry in a workspace's list | `TOKEN#<tok_…>` | `WS#<ws_…>` | `lists` (with the workspace's tokens), `by_expiry` |
//! | workspace | `WS#<ws_…>` | `META` | — |
//! | membership | `WS#<ws_…>` | `USER#<user>` | `lists` (by user) |
//! | device grant | `DEVICE#<sha256(device_code)>` | `DEVICE` | `by_expiry` |
//! | user code | `USERCODE#<code>` | `USERCODE` | `by_expiry` |
//! | approval misses | `APPROVAL_MISSES#<user>` | `W#<window start>` | — (TTL only) |
//! | a token's expiry notice, written | `NOTICE#<tok_…>` | `EXPIRING#<expires_at>` | — (TTL only) |
//! | audit event | `AUDIT#WS#<ws_…>` or `AUDIT#USER#<user>` | `<time, 12 digits>#<evt_…>` | — (TTL only; read newest first from its log's partition) |

use std::collections::HashMap;

use akua_core::audit::AuditLog;
use akua_core::credential::CredentialHash;
use akua_core::device::UserCode;
use akua_core::ids::{EventId, SessionId, TokenId, UserId, WorkspaceId};
use akua_core::ports::StoreError;
use akua_core::records::{SessionRecord, StoredCredential};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::table::{EXPIRY_SHARDS, PK, SK};

/// A DynamoDB item (or key).
pub type Item = HashMap<String, AttributeValue>;

/// The `kind` attribute of every item that expires, so the cleanup knows
/// what it deletes, and of audit events, which the event pipe's filter
/// names (template.yaml; a test keeps them equal).
pub mod kind {
    pub const AUDIT_EVENT: &str = "audit_event";
    pub const API_TOKEN: &str = "api_token";
    pub const SESSION: &str = "session";
    pub const MULTI_TOKEN: &str = "multi_workspace_token";
    pub const TOKEN_GRANT: &str = "token_grant";
    pub const DEVICE: &str = "device";
    pub const USER_CODE: &str = "user_code";
}

/// The `kind` of a stored credential.
pub fn kind_of(credential: &StoredCredential) -> &'static str {
    match credential {
        StoredCredential::ApiToken(_) => kind::API_TOKEN,
        StoredCredential::Session(_) => kind::SESSION,
        StoredCredential::MultiWorkspaceToken(_) => kind::MULTI_TOKEN,
    }
}

const CREDENTIAL_PREFIX: &str = "CRED#";

/// Every base-table partition key starts with one of these. IAM confines
/// each function to the ones it uses (`dynamodb:LeadingKeys` in
/// template.yaml; a test checks the template names only these).
pub const PARTITION_PREFIXES: [&str; 9] = [
    CREDENTIAL_PREFIX,
    "TOKEN#",
    "WS#",
    "DEVICE#",
    "USERCODE#",
    "APPROVAL_MISSES#",
    NOTICE_PREFIX,
    AUDIT_WORKSPACE_PREFIX,
    AUDIT_USER_PREFIX,
];

const NOTICE_PREFIX: &str = "NOTICE#";

/// The record that token `id`'s `token.expiring` notice for the expiry
/// `expires_at` was written: the key is what makes it once only, also
/// across a roll (same id and expiry, new secret).
pub fn expiring_notice(id: &str, expires_at: i64) -> Item {
    key(
        format!("{NOTICE_PREFIX}{id}"),
        format!("EXPIRING#{expires_at}"),
    )
}

/// A workspace's audit log, and a person's: apart, so IAM can let each
/// function write only the logs it writes.
/// What every audit log's partition key starts with (the event pipe's
/// filter names it too).
pub const AUDIT_PREFIX: &str = "AUDIT#";
const AUDIT_WORKSPACE_PREFIX: &str = "AUDIT#WS#";
const AUDIT_USER_PREFIX: &str = "AUDIT#USER#";

/// The partition of an audit log. A workspace's and a person's logs have
/// distinct prefixes, since a user id may be any string, `ws_…` included.
pub fn audit_log(log: &AuditLog) -> String {
    match log {
        AuditLog::Workspace(ws) => format!("{AUDIT_WORKSPACE_PREFIX}{ws}"),
        AuditLog::User(user) => format!("{AUDIT_USER_PREFIX}{user}"),
    }
}

/// An event's sort key: its time (zero-padded, so strings sort as numbers)
/// then its id.
pub fn audit_sort_key(at: i64, id: &EventId) -> String {
    format!("{at:012}#{id}")
}

/// The lowest sort key of events at or after `at`.
pub fn audit_from(at: i64) -> String {
    format!("{at:012}")
}

/// Above every sort key of events at or before `at` (`~` sorts after `#`).
pub fn audit_until(at: i64) -> String {
    format!("{at:012}~")
}

/// `true` for a credential's key. Every credential, whatever its kind, is
/// written with an id pointer, which the cleanup deletes with it.
pub fn is_credential(key: &Item) -> bool {
    key.get(PK)
        .and_then(|pk| pk.as_s().ok())
        .is_some_and(|pk| pk.starts_with(CREDENTIAL_PREFIX))
}

fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(pk)),
        (SK.to_owned(), AttributeValue::S(sk.into())),
    ])
}

/// A credential: `CRED#<sha256 hex>` / `CRED`.
pub fn credential(hash: &CredentialHash) -> Item {
    key(format!("{CREDENTIAL_PREFIX}{}", hash.to_hex()), "CRED")
}

/// An id pointer: `TOKEN#<id>` / `TOKEN`.
pub fn pointer(id: &str) -> Item {
    key(format!("TOKEN#{id}"), "TOKEN")
}

/// A multi-workspace token's entry in one covered workspace's token list:
/// in its pointer's partition, so the token's items sit together.
pub fn token_grant(token: &TokenId, workspace: &WorkspaceId) -> Item {
    key(format!("TOKEN#{token}"), format!("WS#{workspace}"))
}

/// The partition of a workspace: its own item and its members.
pub fn workspace_partition(workspace: &WorkspaceId) -> String {
    format!("WS#{workspace}")
}

/// A workspace: `WS#<ws>` / `META`.
pub fn workspace(workspace: &WorkspaceId) -> Item {
    key(workspace_partition(workspace), "META")
}

/// `sk` prefix of membership items inside a workspace's partition.
pub const MEMBER_SK_PREFIX: &str = "USER#";

/// A membership: `WS#<ws>` / `USER#<user>`.
pub fn membership(workspace: &WorkspaceId, user: &UserId) -> Item {
    key(
        workspace_partition(workspace),
        format!("{MEMBER_SK_PREFIX}{user}"),
    )
}

/// The `lists` index partition listing a workspace's API tokens.
pub fn workspace_tokens_partition(workspace: &WorkspaceId) -> String {
    format!("WS#{workspace}#TOKENS")
}

/// A token's `gsi1sk`: creation time (zero-padded, so strings sort as
/// numbers) then id, unique and ordered for newest-first lists.
pub fn token_sort_key(created_at: i64, id: &TokenId) -> String {
    format!("{:012}#{id}", created_at.max(0))
}

/// The `lists` index partition listing a person's multi-workspace tokens.
pub fn user_tokens_partition(user: &UserId) -> String {
    format!("USER#{user}#TOKENS")
}

/// The `lists` index partition listing a user's sessions.
pub fn user_sessions_partition(user: &UserId) -> String {
    format!("USER#{user}#SESSIONS")
}

/// A session's `gsi1sk` in its user's list: creation time then id, like a
/// token's, so the same cursor shape is checked for both.
pub fn session_sort_key(session: &SessionRecord) -> String {
    format!("{:012}#{}", session.created_at.max(0), session.id)
}

/// The position of one row in each list, as a cursor brings it back: a key
/// of that list's shape, or [`StoreError::InvalidCursor`]. Checked before a
/// query, so a hand-made cursor is the client's 400, never a query the
/// table refuses.
pub fn check_after(list: List, after: Option<&str>) -> Result<(), StoreError> {
    let Some(key) = after else {
        return Ok(());
    };
    let valid = match list {
        List::WorkspaceTokens | List::UserTokens => key.split_once('#').is_some_and(|(at, id)| {
            at.len() == 12 && at.bytes().all(|b| b.is_ascii_digit()) && TokenId::parse(id).is_ok()
        }),
        List::UserSessions => key.split_once('#').is_some_and(|(at, id)| {
            at.len() == 12 && at.bytes().all(|b| b.is_ascii_digit()) && SessionId::parse(id).is_ok()
        }),
        List::Members => key
            .strip_prefix(MEMBER_SK_PREFIX)
            .is_some_and(|user| UserId::parse(user).is_ok()),
        List::UserMemberships => key
            .strip_prefix("WS#")
            .is_some_and(|ws| WorkspaceId::parse(ws).is_ok()),
        List::AuditEvents => key.split_once('#').is_some_and(|(at, id)| {
            at.len() == 12 && at.bytes().all(|b| b.is_ascii_digit()) && EventId::parse(id).is_ok()
        }),
    };
    if valid {
        Ok(())
    } else {
        Err(StoreError::InvalidCursor)
    }
}

/// The lists the store pages through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    WorkspaceTokens,
    UserTokens,
    UserSessions,
    Members,
    UserMemberships,
    AuditEvents,
}

/// The `lists` index partition listing a user's memberships.
pub fn user_memberships_partition(user: &UserId) -> String {
    format!("USER#{user}#WORKSPACES")
}

/// A membership's `gsi1sk` in its user's list.
pub fn user_membership_sort_key(workspace: &WorkspaceId) -> String {
    format!("WS#{workspace}")
}

/// A device grant: `DEVICE#<sha256(device_code)>` / `DEVICE`.
pub fn device(hash: &CredentialHash) -> Item {
    key(format!("DEVICE#{}", hash.to_hex()), "DEVICE")
}

/// A user code pointing at its grant: `USERCODE#<code>` / `USERCODE`.
pub fn user_code(code: &UserCode) -> Item {
    key(format!("USERCODE#{}", code.as_str()), "USERCODE")
}

/// A user's unknown-code counter for one window.
pub fn approval_misses(user: &UserId, window: i64) -> Item {
    key(format!("APPROVAL_MISSES#{user}"), format!("W#{window}"))
}

/// The `by_expiry` shard of a hash: spreads expiring items evenly.
pub fn expiry_shard(hash: &CredentialHash) -> String {
    let first = hash.to_hex().as_bytes()[0];
    let nibble = char::from(first).to_digit(16).unwrap_or(0) as u8;
    format!("EXP#{}", nibble % EXPIRY_SHARDS)
}

/// Every `exp_shard` value, for the sweep.
pub fn expiry_shards() -> impl Iterator<Item = String> {
    (0..EXPIRY_SHARDS).map(|i| format!("EXP#{i}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use akua_core::credential::ApiToken;

    #[test]
    fn every_partition_key_starts_with_a_listed_prefix() {
        let hash = ApiToken::generate().hash();
        let ws = WorkspaceId::parse("ws_a").unwrap();
        let user = UserId::parse("usr_a").unwrap();
        let token = TokenId::parse("tok_a").unwrap();
        let items = [
            credential(&hash),
            pointer("tok_a"),
            token_grant(&token, &ws),
            workspace(&ws),
            membership(&ws, &user),
            device(&hash),
            user_code(&UserCode::generate()),
            approval_misses(&user, 0),
            expiring_notice("tok_a", 0),
        ];
        for item in items {
            let pk = item[PK].as_s().unwrap();
            assert!(PARTITION_PREFIXES.iter().any(|p| pk.starts_with(p)), "{pk}");
        }
    }
}
