//! The calling session: status, refresh, logout; and `whoami` for any
//! credential (DESIGN §1: sessions last a year from last use).

use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::credential::CredentialHash;
use crate::decision::SESSION_LIFETIME_SECS;
use crate::ids::Role;
use crate::ports::{CredentialStore, Touch, TouchOutcome};
use crate::principal::{CredentialKind, Person, PersonCredential, Principal};
use crate::records::{SessionRecord, StoredCredential};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
}

impl From<SessionRecord> for SessionView {
    fn from(s: SessionRecord) -> Self {
        Self {
            id: s.id.into(),
            user_id: s.user_id.into(),
            created_at: s.created_at,
            expires_at: s.expires_at,
            last_used_at: s.last_used_at,
        }
    }
}

/// The credential as the authorizer resolved it (null where not applicable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Whoami {
    pub credential: CredentialKind,
    pub user_id: Option<String>,
    pub workspace_id: Option<String>,
    pub role: Option<Role>,
    pub token_id: Option<String>,
    pub expires_at: Option<i64>,
}

pub fn whoami(caller: &Principal) -> Whoami {
    let scope = caller.scope();
    Whoami {
        credential: caller.kind(),
        user_id: caller.user_id().map(ToString::to_string),
        workspace_id: scope.as_ref().map(|s| s.workspace_id.to_string()),
        role: scope.map(|s| s.role),
        token_id: caller.credential_id().map(str::to_owned),
        expires_at: caller.expires_at(),
    }
}

/// The caller's session item. Not a session → 400; gone since the
/// authorizer's read (logged out concurrently) → 401.
async fn current(
    store: &impl CredentialStore,
    caller: &Principal,
) -> Result<(CredentialHash, SessionRecord), ApiError> {
    let not_session = || {
        ApiError::BadRequest("this endpoint needs a session token (from `cnap auth login`)".into())
    };
    let Some(Person {
        credential: PersonCredential::Session(id),
        ..
    }) = caller.person()
    else {
        return Err(not_session());
    };
    let pointer = store
        .pointer(id.as_str())
        .await?
        .ok_or(ApiError::Unauthorized)?;
    match store.credential(&pointer.hash).await? {
        Some(StoredCredential::Session(record)) => Ok((pointer.hash, record)),
        _ => Err(ApiError::Unauthorized),
    }
}

pub async fn status(
    store: &impl CredentialStore,
    caller: &Principal,
    now: i64,
) -> Result<SessionView, ApiError> {
    let (_, record) = current(store, caller).await?;
    if record.expires_at <= now {
        return Err(ApiError::Unauthorized);
    }
    Ok(record.into())
}

/// Extends the session to a year from now.
pub async fn refresh(
    store: &impl CredentialStore,
    caller: &Principal,
    now: i64,
) -> Result<SessionView, ApiError> {
    let (hash, mut record) = current(store, caller).await?;
    let touch = Touch {
        last_used_at: now,
        extend_to: Some(now + SESSION_LIFETIME_SECS),
    };
    match store.touch(&hash, touch, now).await? {
        TouchOutcome::Gone => Err(ApiError::Unauthorized),
        TouchOutcome::Applied => {
            record.expires_at = now + SESSION_LIFETIME_SECS;
            record.last_used_at = Some(now);
            Ok(record.into())
        }
    }
}

/// Deletes the session: it fails on the very next request.
pub async fn logout(store: &impl CredentialStore, caller: &Principal) -> Result<(), ApiError> {
    let (hash, record) = current(store, caller).await?;
    store.delete_credential(&hash, record.id.as_str()).await?;
    Ok(())
}
