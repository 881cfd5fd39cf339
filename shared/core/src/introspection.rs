//! Token introspection (RFC 7662): a service that is not behind API
//! Gateway (a WebSocket server, a worker, a gRPC service) asks whether a
//! credential it was handed is good, and for what, in the workspace it
//! serves.
//!
//! The caller authenticates with its own credential and acts in one
//! workspace, as a manager there (an owner or admin person, or a token
//! holding `api_tokens:introspect`). It learns about a credential only as
//! far as that workspace goes: the workspace's own API tokens, the
//! multi-workspace tokens covering it whose owner still belongs there, and
//! the sessions of its members. Anything else — unknown, revoked, expired,
//! another workspace's, a JWT (its issuer's keys say whether it is good) —
//! is exactly `{"active": false}`, so the endpoint is no oracle. Looking a
//! credential up is not a use of it: nothing is written.

use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::credential::{ApiToken, SessionToken};
use crate::ids::{Role, UserId, WorkspaceId};
use crate::policy::{self, Action, Resolved};
use crate::ports::DecisionStore;
use crate::principal::Principal;
use crate::records::{ApiTokenRecord, MultiTokenRecord, SessionRecord, StoredCredential};
use crate::restrictions::Restrictions;

/// The answer (RFC 7662 §2.2): `active`, and for an active credential the
/// RFC's members that apply plus the workspace, the role and the kind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Introspection {
    pub active: bool,
    /// `Bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// The person it acts for (`usr_…`), or for a workspace API token the
    /// token itself (`tok_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub: Option<String>,
    /// The credential's id (`tok_…`, `ses_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// When it stops working (Unix seconds); absent if it never does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exp: Option<i64>,
    /// When it was issued (Unix seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// A restricted token's permissions, space-separated; absent: everything
    /// its role allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// A token's IP allow list, space-separated CIDRs; absent: anywhere.
    /// The caller checks it against the address the credential came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_cidrs: Option<String>,
    /// The workspace asked about (the caller's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// The role it acts with there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// `api_token`, `multi_workspace_token` or `session`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl Introspection {
    /// `{"active": false}`, and nothing else.
    pub fn inactive() -> Self {
        Self::default()
    }
}

/// What an active answer is made of.
struct Active<'a> {
    kind: &'static str,
    sub: String,
    jti: &'a str,
    exp: Option<i64>,
    iat: i64,
    role: Role,
    restrictions: Option<&'a Restrictions>,
}

impl<'a> Active<'a> {
    fn api_token(t: &'a ApiTokenRecord) -> Self {
        Self {
            kind: "api_token",
            sub: t.id.to_string(),
            jti: t.id.as_str(),
            exp: t.expires_at,
            iat: t.created_at,
            role: t.role.into(),
            restrictions: Some(&t.restrictions),
        }
    }

    fn multi_token(t: &'a MultiTokenRecord, role: Role) -> Self {
        Self {
            kind: "multi_workspace_token",
            sub: t.user_id.to_string(),
            jti: t.id.as_str(),
            exp: t.expires_at,
            iat: t.created_at,
            role,
            restrictions: Some(&t.restrictions),
        }
    }

    fn session(s: &'a SessionRecord, role: Role) -> Self {
        Self {
            kind: "session",
            sub: s.user_id.to_string(),
            jti: s.id.as_str(),
            exp: Some(s.ends_at()),
            iat: s.created_at,
            role,
            restrictions: None,
        }
    }

    fn answer(self, workspace: Option<&WorkspaceId>) -> Introspection {
        let restrictions = self.restrictions;
        Introspection {
            active: true,
            token_type: Some("Bearer".to_owned()),
            sub: Some(self.sub),
            jti: Some(self.jti.to_owned()),
            exp: self.exp,
            iat: Some(self.iat),
            scope: restrictions
                .and_then(|r| r.permissions.as_ref())
                .map(ToString::to_string),
            allowed_cidrs: restrictions
                .filter(|r| !r.allowed_cidrs.is_anywhere())
                .map(|r| r.allowed_cidrs.to_string()),
            workspace_id: workspace.map(ToString::to_string),
            role: workspace.map(|_| self.role),
            kind: Some(self.kind.to_owned()),
        }
    }
}

/// Introspects `token` for `caller` at `now`: `403` if the caller may not
/// introspect (not a manager of its workspace, or no workspace), otherwise
/// an answer, inactive for anything outside the caller's workspace.
pub async fn introspect(
    store: &impl DecisionStore,
    caller: &Principal,
    token: &str,
    now: i64,
) -> Result<Introspection, ApiError> {
    let workspace = policy::require_scope(caller, Action::Introspect)?.workspace_id;
    match live(store, token, now).await? {
        Some(stored) => in_workspace(store, &stored, &workspace).await,
        None => Ok(Introspection::inactive()),
    }
}

/// Introspects `token` for a platform backend (an AWS principal the
/// deployment lets call `POST /v1/platform/introspect`): about any
/// workspace. With `workspace`, the answer is the one a manager of that
/// workspace gets; without, a workspace API token is answered in its own
/// workspace, and a session or a multi-workspace token (no single
/// workspace) with who it acts for, without a workspace or a role.
pub async fn introspect_platform(
    store: &impl DecisionStore,
    token: &str,
    workspace: Option<&WorkspaceId>,
    now: i64,
) -> Result<Introspection, ApiError> {
    let Some(stored) = live(store, token, now).await? else {
        return Ok(Introspection::inactive());
    };
    if let Some(workspace) = workspace {
        return in_workspace(store, &stored, workspace).await;
    }
    Ok(match &stored {
        StoredCredential::ApiToken(t) => Active::api_token(t).answer(Some(&t.workspace_id)),
        // No single workspace, so no role: the answer leaves both out.
        StoredCredential::MultiWorkspaceToken(t) => {
            Active::multi_token(t, t.role.into()).answer(None)
        }
        StoredCredential::Session(s) => Active::session(s, Role::Member).answer(None),
    })
}

/// The credential `token` is the secret of, if it is live at `now`; a JWT
/// or anything else is not looked up.
async fn live(
    store: &impl DecisionStore,
    token: &str,
    now: i64,
) -> Result<Option<StoredCredential>, ApiError> {
    let token = token.trim();
    let hash = match (ApiToken::parse(token), SessionToken::parse(token)) {
        (Ok(t), _) => t.hash(),
        (_, Ok(s)) => s.hash(),
        (Err(_), Err(_)) => return Ok(None),
    };
    Ok(store
        .credential(&hash)
        .await?
        .filter(|c| !c.is_expired(now)))
}

/// The answer about `stored` as far as `workspace` goes.
async fn in_workspace(
    store: &impl DecisionStore,
    stored: &StoredCredential,
    workspace: &WorkspaceId,
) -> Result<Introspection, ApiError> {
    let workspace = workspace.clone();
    let active = match stored {
        StoredCredential::ApiToken(t) if t.workspace_id == workspace => Some(Active::api_token(t)),
        StoredCredential::MultiWorkspaceToken(t) if t.workspace_ids.contains(&workspace) => {
            member_role(store, &t.user_id, &workspace)
                .await?
                // Never above its cap.
                .map(|role| {
                    Active::multi_token(
                        t,
                        std::cmp::min_by_key(role, Role::from(t.role), |r| r.rank()),
                    )
                })
        }
        StoredCredential::Session(s) => member_role(store, &s.user_id, &workspace)
            .await?
            .map(|role| Active::session(s, role)),
        StoredCredential::ApiToken(_) | StoredCredential::MultiWorkspaceToken(_) => None,
    };
    Ok(active.map_or_else(Introspection::inactive, |a| a.answer(Some(&workspace))))
}

/// `user`'s role in `workspace`, if they belong there (one consistent
/// read).
async fn member_role(
    store: &impl DecisionStore,
    user: &UserId,
    workspace: &WorkspaceId,
) -> Result<Option<Role>, ApiError> {
    Ok(
        match policy::resolve(store, None, Some(user), workspace).await? {
            Resolved::Granted(scope) => Some(scope.role),
            Resolved::NotMember | Resolved::OtherWorkspace => None,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inactive_answer_is_exactly_active_false() {
        assert_eq!(
            serde_json::to_value(Introspection::inactive()).unwrap(),
            serde_json::json!({"active": false})
        );
    }
}
