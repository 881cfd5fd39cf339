//! Issuing credentials: generate, record, store. The plaintext leaves this
//! module once, in the returned token, and is never stored (DESIGN §1).

use crate::credential::{ApiToken, SessionToken};
use crate::decision::SESSION_LIFETIME_SECS;
use crate::ids::{SessionId, TokenId, TokenName, TokenRole, UserId, WorkspaceId};
use crate::ports::{CredentialStore, StoreError};
use crate::records::{
    ApiTokenRecord, Creator, MultiTokenRecord, SessionClient, SessionRecord, StoredCredential,
};

/// What a new workspace API token is for.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub workspace_id: WorkspaceId,
    pub name: TokenName,
    pub role: TokenRole,
    pub created_by: Option<Creator>,
    pub expires_at: Option<i64>,
}

/// Creates a workspace API token. Returns the plaintext (to show once) and
/// the stored record.
pub async fn api_token(
    store: &impl CredentialStore,
    new: NewApiToken,
    now: i64,
) -> Result<(ApiToken, ApiTokenRecord), StoreError> {
    let token = ApiToken::generate();
    let record = ApiTokenRecord {
        id: TokenId::generate(),
        workspace_id: new.workspace_id,
        name: new.name,
        prefix: token.display_prefix(),
        role: new.role,
        created_by: new.created_by,
        created_at: now,
        expires_at: new.expires_at,
        last_used_at: None,
    };
    store
        .create_credential(&token.hash(), &StoredCredential::ApiToken(record.clone()))
        .await?;
    Ok((token, record))
}

/// What a new multi-workspace token is for.
#[derive(Debug, Clone)]
pub struct NewMultiToken {
    pub user_id: UserId,
    pub name: TokenName,
    pub role: TokenRole,
    pub workspace_ids: Vec<WorkspaceId>,
    pub expires_at: Option<i64>,
}

/// Creates a multi-workspace token with its entry in each covered
/// workspace's token list. Returns the plaintext (to show once) and the
/// stored record.
pub async fn multi_token(
    store: &impl CredentialStore,
    new: NewMultiToken,
    now: i64,
) -> Result<(ApiToken, MultiTokenRecord), StoreError> {
    let token = ApiToken::generate();
    let record = MultiTokenRecord {
        id: TokenId::generate(),
        user_id: new.user_id,
        name: new.name,
        prefix: token.display_prefix(),
        role: new.role,
        workspace_ids: new.workspace_ids,
        created_at: now,
        expires_at: new.expires_at,
        last_used_at: None,
    };
    store
        .create_credential(
            &token.hash(),
            &StoredCredential::MultiWorkspaceToken(record.clone()),
        )
        .await?;
    Ok((token, record))
}

/// Starts a session for `user`, valid for a year (sliding, DESIGN §1).
pub async fn session(
    store: &impl CredentialStore,
    user: UserId,
    now: i64,
) -> Result<(SessionToken, SessionRecord), StoreError> {
    let token = SessionToken::generate();
    let record = SessionRecord {
        id: SessionId::generate(),
        user_id: user,
        client: SessionClient::Cli,
        created_at: now,
        expires_at: now + SESSION_LIFETIME_SECS,
        last_used_at: None,
    };
    store
        .create_credential(&token.hash(), &StoredCredential::Session(record.clone()))
        .await?;
    Ok((token, record))
}
