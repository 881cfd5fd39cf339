//! Issuing credentials: generate, record, store. The plaintext leaves this
//! module once, in the returned token, and is never stored (DESIGN §1).

use crate::audit::{AuditAction, AuditEvent, AuditLog, AuditTarget, Author, TargetKind};
use crate::credential::{ApiToken, SessionToken};
use crate::ids::{Role, SessionId, TokenId, TokenName, TokenRole, UserId, WorkspaceId};
use crate::ports::{CredentialStore, StoreError};
use crate::records::{
    ApiTokenRecord, Creator, MultiTokenRecord, SessionClient, SessionRecord, StoredCredential,
};
use crate::restrictions::Restrictions;

/// What a new workspace API token is for.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub workspace_id: WorkspaceId,
    pub name: TokenName,
    pub role: TokenRole,
    pub created_by: Option<Creator>,
    pub expires_at: Option<i64>,
    pub restrictions: Restrictions,
}

/// Creates a workspace API token. Returns the plaintext (to show once) and
/// the stored record. With an `author`, its `token.created` event is
/// written in the same transaction.
pub async fn api_token(
    store: &impl CredentialStore,
    new: NewApiToken,
    author: Option<&Author>,
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
        restrictions: new.restrictions,
    };
    let audit = creation_events(
        author,
        [AuditLog::Workspace(record.workspace_id.clone())],
        AuditAction::TokenCreated,
        (&record.id, &record.name, record.role, &record.restrictions),
        now,
    );
    let stored = StoredCredential::ApiToken(record.clone());
    store
        .create_credential(&token.hash(), &stored, &audit)
        .await?;
    Ok((token, record))
}

/// A new token's events, one in each of `logs`, by `author` (none
/// without one); their `detail` says what the token may do.
fn creation_events(
    author: Option<&Author>,
    logs: impl IntoIterator<Item = AuditLog>,
    action: AuditAction,
    (id, name, role, restrictions): (&TokenId, &TokenName, TokenRole, &Restrictions),
    now: i64,
) -> Vec<AuditEvent> {
    let Some(author) = author else {
        return Vec::new();
    };
    logs.into_iter()
        .map(|log| {
            author
                .event(log, action, AuditTarget::new(TargetKind::ApiToken, id), now)
                .with_detail(created_detail(name, role, restrictions))
        })
        .collect()
}

/// The `detail` of a token's creation event: what it may do, and from
/// where, when restricted.
fn created_detail(name: &TokenName, role: TokenRole, restrictions: &Restrictions) -> String {
    let mut detail = format!("name={}, role={}", name.as_str(), Role::from(role).as_str());
    if let Some(p) = &restrictions.permissions {
        detail.push_str(&format!(", permissions={p}"));
    }
    if !restrictions.allowed_cidrs.is_anywhere() {
        detail.push_str(&format!(", allowed_cidrs={}", restrictions.allowed_cidrs));
    }
    detail
}

/// What a new multi-workspace token is for.
#[derive(Debug, Clone)]
pub struct NewMultiToken {
    pub user_id: UserId,
    pub name: TokenName,
    pub role: TokenRole,
    pub workspace_ids: Vec<WorkspaceId>,
    pub expires_at: Option<i64>,
    pub restrictions: Restrictions,
}

/// Creates a multi-workspace token with its entry in each covered
/// workspace's token list. Returns the plaintext (to show once) and the
/// stored record. With an `author`, a `multi_token.granted` event goes to
/// each covered workspace's log in the same transaction.
pub async fn multi_token(
    store: &impl CredentialStore,
    new: NewMultiToken,
    author: Option<&Author>,
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
        restrictions: new.restrictions,
    };
    let audit = creation_events(
        author,
        record
            .workspace_ids
            .iter()
            .cloned()
            .map(AuditLog::Workspace),
        AuditAction::MultiTokenGranted,
        (&record.id, &record.name, record.role, &record.restrictions),
        now,
    );
    let stored = StoredCredential::MultiWorkspaceToken(record.clone());
    store
        .create_credential(&token.hash(), &stored, &audit)
        .await?;
    Ok((token, record))
}

/// Starts a CLI session for `user`, valid for a year (sliding, DESIGN §1).
pub async fn session(
    store: &impl CredentialStore,
    user: UserId,
    now: i64,
) -> Result<(SessionToken, SessionRecord), StoreError> {
    session_with_id(
        store,
        SessionId::generate(),
        user,
        SessionClient::Cli,
        SessionStart::default(),
        &[],
        now,
    )
    .await
}

/// How a new session's person signed in, for its limits and sudo mode.
#[derive(Debug, Clone, Copy, Default)]
pub struct SessionStart {
    /// At most this long from now, whatever its use.
    pub absolute_secs: Option<i64>,
    /// When its person signed in at the browser (a dashboard session).
    pub signed_in_at: Option<i64>,
}

/// Starts the session `id` of `client` for `user`, valid for the client's
/// lifetime (sliding) and within `start`'s absolute limit, written with
/// the events of `audit` (which may name the id, hence it is chosen by the
/// caller).
pub async fn session_with_id(
    store: &impl CredentialStore,
    id: SessionId,
    user: UserId,
    client: SessionClient,
    start: SessionStart,
    audit: &[AuditEvent],
    now: i64,
) -> Result<(SessionToken, SessionRecord), StoreError> {
    let SessionStart {
        absolute_secs,
        signed_in_at,
    } = start;
    let token = SessionToken::generate();
    let absolute_expires_at = absolute_secs.map(|secs| now.saturating_add(secs));
    let record = SessionRecord {
        id,
        user_id: user,
        client,
        created_at: now,
        expires_at: absolute_expires_at.map_or(now + client.lifetime_secs(), |end| {
            end.min(now + client.lifetime_secs())
        }),
        last_used_at: None,
        absolute_expires_at,
        signed_in_at,
    };
    store
        .create_credential(
            &token.hash(),
            &StoredCredential::Session(record.clone()),
            audit,
        )
        .await?;
    Ok((token, record))
}
