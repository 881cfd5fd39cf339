//! A person's multi-workspace API tokens (DESIGN §1: "a broad credential …
//! or a multi-workspace token"): one machine secret for several of the
//! person's workspaces, chosen per request with `Akua-Context`. It acts as
//! its owner, never above its role cap, and only where the owner is still a
//! member: the authorizer reads the membership on every request.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::audit::{Author, Origin};
use crate::clock::UnixTime;
use crate::credential::Revealed;
use crate::ids::{TokenId, TokenName, TokenRole, WorkspaceId};
use crate::issue::{self, NewMultiToken};
use crate::paging::{Page, PageRequest};
use crate::policy::{self, Action};
use crate::ports::CredentialStore;
use crate::principal::Principal;
use crate::records::{MultiTokenRecord, StoredCredential};
use crate::restrictions::Restrictions;
use crate::revocation::{self, Kind};
use crate::tokens::{
    ExpiresAt, expires_at_schema, multi_token_revoked, requested_restrictions, shown,
};

/// At most this many workspaces per token: every one is checked at
/// creation and written as an entry in that workspace's token list, in one
/// transaction.
pub const MAX_WORKSPACES: usize = 20;

/// `POST /v1/me/api_tokens`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateMultiTokenRequest {
    /// 1–100 characters, not only whitespace, no control characters.
    #[schema(value_type = String, min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")]
    pub name: TokenName,
    /// 1–20 distinct workspaces, each one the caller belongs to.
    #[schema(value_type = Vec<WorkspaceId>, min_items = 1, max_items = 20)]
    pub workspace_ids: Vec<WorkspaceId>,
    /// The highest role the token acts with (`admin`, the default, or
    /// `member`); in each workspace it never exceeds the owner's own role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<TokenRole>,
    /// Unix seconds, in the future, at most [`crate::tokens::MAX_TOKEN_LIFETIME_YEARS`]
    /// ahead; `null` or absent for a token that never expires.
    #[serde(default)]
    #[schema(schema_with = expires_at_schema)]
    pub expires_at: Option<UnixTime>,
    /// What the token may do, from the catalog (`GET /v1/permissions`):
    /// 1–50 names; absent or null: everything its role allows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 50, example = json!(["api_tokens:read"]))]
    pub permissions: Option<Vec<String>>,
    /// Networks it may be used from (IPv4 or IPv6 CIDRs, at most 20);
    /// within every covered workspace's token policy, whose list it takes
    /// when it names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20, example = json!(["10.0.0.0/8"]))]
    pub allowed_cidrs: Option<Vec<String>>,
}

/// The one response that carries the new token's plaintext.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedMultiToken {
    pub id: String,
    pub name: String,
    #[schema(value_type = String, example = "sk_akua_…")]
    pub token: Revealed,
    pub prefix: String,
    pub role: TokenRole,
    pub workspace_ids: Vec<String>,
    pub created_at: i64,
    #[schema(required = true)]
    pub expires_at: Option<i64>,
    /// What it may do; `null`: everything its role allows.
    #[schema(required = true)]
    pub permissions: Option<Vec<String>>,
    /// Networks it may be used from; empty: anywhere.
    pub allowed_cidrs: Vec<String>,
}

/// One of the caller's multi-workspace tokens: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MultiTokenSummary {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub role: TokenRole,
    pub workspace_ids: Vec<String>,
    pub created_at: i64,
    #[schema(required = true)]
    pub last_used_at: Option<i64>,
    #[schema(required = true)]
    pub expires_at: Option<i64>,
    /// What it may do; `null`: everything its role allows.
    #[schema(required = true)]
    pub permissions: Option<Vec<String>>,
    /// Networks it may be used from; empty: anywhere.
    pub allowed_cidrs: Vec<String>,
}

impl From<MultiTokenRecord> for MultiTokenSummary {
    fn from(t: MultiTokenRecord) -> Self {
        let (permissions, allowed_cidrs) = shown(&t.restrictions);
        Self {
            permissions,
            allowed_cidrs,
            id: t.id.into(),
            name: t.name.into(),
            prefix: t.prefix,
            role: t.role,
            workspace_ids: t.workspace_ids.into_iter().map(String::from).collect(),
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
        }
    }
}

/// Creates a multi-workspace token for the calling person.
pub async fn create(
    store: &impl CredentialStore,
    caller: &Principal,
    origin: &Origin,
    request: CreateMultiTokenRequest,
    now: i64,
) -> Result<CreatedMultiToken, ApiError> {
    let user = policy::require_person(caller, Action::ManageOwnTokens)?;
    let field = "workspace_ids";
    let count = request.workspace_ids.len();
    if !(1..=MAX_WORKSPACES).contains(&count) {
        return Err(ApiError::validation(
            field,
            format!("must list 1 to {MAX_WORKSPACES} workspaces"),
        ));
    }
    let distinct: HashSet<_> = request.workspace_ids.iter().collect();
    if distinct.len() != count {
        return Err(ApiError::validation(field, "must not repeat a workspace"));
    }
    let expires_at = ExpiresAt::requested(request.expires_at, now)?;
    let (permissions, mut allowed_cidrs) = requested_restrictions(
        request.permissions.as_deref(),
        request.allowed_cidrs.as_deref(),
    )?;
    for ws in &request.workspace_ids {
        if store.membership(ws, user).await?.is_none() {
            // The same answer whether or not the workspace exists.
            return Err(ApiError::validation(
                field,
                "must list only workspaces you belong to",
            ));
        }
    }
    // Every covered workspace's policy admits it; the first that has an
    // allow list gives its own when none was asked, the others bound it.
    for ws in &request.workspace_ids {
        let token_policy = store.token_policy(ws).await?;
        allowed_cidrs = token_policy.admit(expires_at.map(ExpiresAt::secs), allowed_cidrs, now)?;
    }
    let new = NewMultiToken {
        user_id: user.clone(),
        name: request.name,
        role: request.role.unwrap_or(TokenRole::Admin),
        workspace_ids: request.workspace_ids,
        expires_at: expires_at.map(ExpiresAt::secs),
        restrictions: Restrictions {
            permissions,
            allowed_cidrs,
        },
    };
    let author = Author::of(caller, origin);
    let (token, record) = issue::multi_token(store, new, Some(&author), now).await?;
    Ok(CreatedMultiToken {
        id: record.id.to_string(),
        name: record.name.into(),
        token: Revealed::new(token.expose()),
        prefix: record.prefix,
        role: record.role,
        workspace_ids: record.workspace_ids.into_iter().map(String::from).collect(),
        created_at: record.created_at,
        expires_at: record.expires_at,
        permissions: shown(&record.restrictions).0,
        allowed_cidrs: shown(&record.restrictions).1,
    })
}

/// The caller's live multi-workspace tokens, newest first (expired ones
/// the sweep has not deleted yet are left out, as in
/// [`crate::tokens::list`]).
pub async fn list(
    store: &impl CredentialStore,
    caller: &Principal,
    page: &PageRequest,
    now: i64,
) -> Result<Page<MultiTokenSummary>, ApiError> {
    let user = policy::require_person(caller, Action::ManageOwnTokens)?;
    let scope = format!("tokens:{user}");
    let after = page.after(&scope)?;
    let listed = store
        .list_user_tokens(user, page.limit, after.as_deref())
        .await?;
    Ok(listed
        .into_page(&scope, MultiTokenSummary::from)
        .live(|t| t.expires_at, now))
}

/// Revokes one of the caller's multi-workspace tokens. Another person's
/// token, a workspace token, an unknown id and a malformed one are the same
/// 404.
pub async fn revoke(
    store: &impl CredentialStore,
    caller: &Principal,
    origin: &Origin,
    id: &str,
    now: i64,
) -> Result<(), ApiError> {
    let user = policy::require_person(caller, Action::ManageOwnTokens)?;
    let not_found = || ApiError::NotFound("API token");
    let id = TokenId::parse(id).map_err(|_| not_found())?;
    match revocation::named(store, id.as_str()).await? {
        Some((read, StoredCredential::MultiWorkspaceToken(t))) if t.user_id == *user => {
            let audit = multi_token_revoked(&Author::of(caller, origin), &t, now);
            let kind = Kind::MultiToken(&t);
            revocation::revoke_named(store, id.as_str(), kind, read, &audit, not_found()).await
        }
        // Someone else's token, or not a multi-workspace token at all.
        Some((
            _,
            StoredCredential::MultiWorkspaceToken(_)
            | StoredCredential::ApiToken(_)
            | StoredCredential::Session(_),
        ))
        | None => Err(not_found()),
    }
}

crate::named_list!(
    /// A page of the caller's multi-workspace tokens, newest first.
    MultiTokenList of MultiTokenSummary
);
