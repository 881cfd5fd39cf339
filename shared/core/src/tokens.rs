//! Workspace API tokens: create, list, revoke (DESIGN §1, §6). The HTTP
//! function translates requests to these calls and their results back.

use serde::{Deserialize, Serialize};

use crate::allow_list::AllowList;
use crate::api_error::ApiError;
use crate::audit::{AuditAction, AuditLog, AuditTarget, Author, Origin, TargetKind};
use crate::clock::UnixTime;
use crate::credential::{ApiToken, Revealed};
use crate::ids::{TokenId, TokenName, TokenRole};
use crate::issue::{self, NewApiToken};
use crate::paging::{Page, PageRequest};
use crate::permission::Permissions;
use crate::policy::{self, Action};
use crate::ports::CredentialStore;
use crate::principal::Principal;
use crate::records::{
    ApiTokenRecord, Creator, CredentialPointer, StoredCredential, TokenKind, WorkspaceTokenRow,
};
use crate::restrictions::Restrictions;
use crate::revocation::{self, Kind};
use crate::token_policy::TokenPolicy;

/// `expires_at` may be at most this many years in the future. Further out
/// is almost certainly a unit mistake (milliseconds for seconds); a token
/// that should never expire says so with `null`.
pub const MAX_TOKEN_LIFETIME_YEARS: i64 = 5;

/// [`MAX_TOKEN_LIFETIME_YEARS`] in seconds (years of 365 days).
pub const MAX_TOKEN_LIFETIME_SECS: i64 = MAX_TOKEN_LIFETIME_YEARS * 365 * 24 * 3600;

/// `POST /v1/api_tokens`: parsed into its types at the edge, so a bad field
/// is a 422 naming it before any rule runs. Unknown fields are refused.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiTokenRequest {
    /// 1–100 characters, not only whitespace, no control characters.
    #[schema(value_type = String, min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")]
    pub name: TokenName,
    /// Unix seconds, in the future, at most [`MAX_TOKEN_LIFETIME_YEARS`]
    /// ahead; `null` or absent for a token that never expires.
    #[serde(default)]
    #[schema(schema_with = expires_at_schema)]
    pub expires_at: Option<UnixTime>,
    /// `admin` (default) or `member`; never more than the creator's role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "member")]
    pub role: Option<TokenRole>,
    /// What the token may do, from the catalog (`GET /v1/permissions`):
    /// 1–50 names. Absent or null: everything its role allows (a token
    /// made by a restricted token: its maker's). Never more than the maker
    /// holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 50, example = json!(["api_tokens:read"]))]
    pub permissions: Option<Vec<String>>,
    /// Networks it may be used from (IPv4 or IPv6 CIDRs, at most 20).
    /// Absent or empty: the maker's allow list, then the workspace
    /// policy's; otherwise it must stay within both.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_items = 20, example = json!(["10.0.0.0/8"]))]
    pub allowed_cidrs: Option<Vec<String>>,
}

/// A token's restrictions as the API shows them: its permissions (`None`:
/// everything its role allows) and its allow list (empty: anywhere).
pub(crate) fn shown(r: &Restrictions) -> (Option<Vec<String>>, Vec<String>) {
    (
        r.permissions.as_ref().map(Permissions::to_strings),
        r.allowed_cidrs.to_strings(),
    )
}

/// A request's `permissions` and `allowed_cidrs`, parsed (`422` naming a
/// bad value).
pub(crate) fn requested_restrictions(
    permissions: Option<&[String]>,
    allowed_cidrs: Option<&[String]>,
) -> Result<(Option<Permissions>, AllowList), ApiError> {
    Ok((
        permissions.map(Permissions::requested).transpose()?,
        allowed_cidrs
            .map(AllowList::requested)
            .transpose()?
            .unwrap_or_default(),
    ))
}

/// The one response that carries a token's plaintext.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedApiToken {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    #[schema(value_type = String, example = "sk_akua_…")]
    pub token: Revealed,
    pub prefix: String,
    pub role: TokenRole,
    pub created_at: i64,
    #[schema(required = true)]
    pub expires_at: Option<i64>,
    /// What it may do; `null`: everything its role allows.
    #[schema(required = true)]
    pub permissions: Option<Vec<String>>,
    /// Networks it may be used from; empty: anywhere.
    pub allowed_cidrs: Vec<String>,
}

impl CreatedApiToken {
    /// The answer for `record`, whose secret is `token`: the one place
    /// the plaintext is put into a response.
    pub(crate) fn of(token: &ApiToken, record: ApiTokenRecord) -> Self {
        let (permissions, allowed_cidrs) = shown(&record.restrictions);
        Self {
            id: record.id.to_string(),
            workspace_id: record.workspace_id.to_string(),
            name: record.name.into(),
            token: Revealed::new(token.expose()),
            prefix: record.prefix,
            role: record.role,
            created_at: record.created_at,
            expires_at: record.expires_at,
            permissions,
            allowed_cidrs,
        }
    }
}

/// A token as listed: never the secret. `ApiToken` in the API document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = ApiToken)]
pub struct TokenSummary {
    pub id: String,
    /// `workspace`, or `multi_workspace` for a person's token covering this
    /// workspace among others (its `created_by` is that person, its `role`
    /// its cap; its `last_used_at` reads null here).
    pub kind: TokenKind,
    pub workspace_id: String,
    pub name: String,
    pub prefix: String,
    pub role: TokenRole,
    /// Who made it: `{"type": "user", "id": "usr_…"}` or
    /// `{"type": "api_token", "id": "tok_…"}`; null for tokens made before
    /// this was recorded.
    #[schema(required = true)]
    pub created_by: Option<Creator>,
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
    /// It would not be admitted under the workspace's token policy today
    /// (made before the policy was tightened): shown, never revoked.
    pub exceeds_policy: bool,
}

impl TokenSummary {
    /// A row, judged against the workspace's policy at `now`.
    fn of(row: WorkspaceTokenRow, policy: &TokenPolicy, now: i64) -> Self {
        let t = row.token;
        Self {
            exceeds_policy: policy.exceeded_by(t.expires_at, &t.restrictions.allowed_cidrs, now),
            permissions: shown(&t.restrictions).0,
            allowed_cidrs: shown(&t.restrictions).1,
            id: t.id.to_string(),
            kind: row.kind,
            workspace_id: t.workspace_id.to_string(),
            name: t.name.into(),
            prefix: t.prefix,
            role: t.role,
            created_by: t.created_by,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            expires_at: t.expires_at,
        }
    }
}

/// A requested `expires_at` in the API document: its text states the limit
/// from [`MAX_TOKEN_LIFETIME_YEARS`].
pub(crate) fn expires_at_schema() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
        .description(Some(format!(
            "Unix seconds, in the future, at most {MAX_TOKEN_LIFETIME_YEARS} years ahead; `null` or absent\nfor a token that never expires."
        )))
        .build()
}

/// A requested expiry that passed the rule: in the future and at most
/// [`MAX_TOKEN_LIFETIME_YEARS`] ahead. [`ExpiresAt::requested`] is the only
/// way to get one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ExpiresAt(UnixTime);

impl ExpiresAt {
    /// The requested `expires_at`, checked at `now`; `None` for a token
    /// that never expires.
    pub fn requested(at: Option<UnixTime>, now: i64) -> Result<Option<Self>, ApiError> {
        let Some(at) = at else {
            return Ok(None);
        };
        if at.secs() <= now {
            return Err(ApiError::validation(
                "expires_at",
                "must be in the future (Unix seconds)",
            ));
        }
        if at.secs() > now + MAX_TOKEN_LIFETIME_SECS {
            return Err(ApiError::validation(
                "expires_at",
                format!(
                    "must be at most {MAX_TOKEN_LIFETIME_YEARS} years ahead (Unix seconds; null for no expiry)"
                ),
            ));
        }
        Ok(Some(Self(at)))
    }

    pub fn secs(self) -> i64 {
        self.0.secs()
    }
}

pub async fn create(
    store: &impl CredentialStore,
    caller: &Principal,
    origin: &Origin,
    request: CreateApiTokenRequest,
    now: i64,
) -> Result<CreatedApiToken, ApiError> {
    let scope = policy::require_scope(caller, Action::CreateToken)?;
    let role = request.role.unwrap_or(TokenRole::Admin);
    let requested = request.expires_at.map(UnixTime::secs);
    let expires_at = policy::Ceiling::of(caller, &scope).admit(role.into(), requested)?;
    ExpiresAt::requested(request.expires_at, now)?;
    let (permissions, allowed_cidrs) = requested_restrictions(
        request.permissions.as_deref(),
        request.allowed_cidrs.as_deref(),
    )?;
    let maker = caller.restrictions().cloned().unwrap_or_default();
    let mut restrictions = maker.grant(permissions, allowed_cidrs)?;
    let token_policy = store.token_policy(&scope.workspace_id).await?;
    restrictions.allowed_cidrs = token_policy.admit(expires_at, restrictions.allowed_cidrs, now)?;
    let new = NewApiToken {
        workspace_id: scope.workspace_id,
        name: request.name,
        role,
        created_by: caller.creator(),
        expires_at,
        restrictions,
    };
    let author = Author::of(caller, origin);
    let (token, record) = issue::api_token(store, new, Some(&author), now).await?;
    Ok(CreatedApiToken::of(&token, record))
}

/// A workspace's live tokens, newest first (see [`Page::live`]).
pub async fn list(
    store: &impl CredentialStore,
    caller: &Principal,
    page: &PageRequest,
    now: i64,
) -> Result<Page<TokenSummary>, ApiError> {
    let ws = policy::require_scope(caller, Action::ListTokens)?.workspace_id;
    let after = page.after(ws.as_str())?;
    let listed = store
        .list_workspace_tokens(&ws, page.limit, after.as_deref())
        .await?;
    let token_policy = store.token_policy(&ws).await?;
    Ok(listed
        .into_page(ws.as_str(), |row| TokenSummary::of(row, &token_policy, now))
        .live(|t| t.expires_at, now))
}

/// Revokes a token of the caller's workspace. An unknown id, a malformed
/// id, and a token of another workspace are all the same 404.
pub async fn revoke(
    store: &impl CredentialStore,
    caller: &Principal,
    origin: &Origin,
    id: &str,
    now: i64,
) -> Result<(), ApiError> {
    let ws = policy::require_scope(caller, Action::RevokeToken)?.workspace_id;
    let not_found = ApiError::NotFound("API token");
    let id = TokenId::parse(id).map_err(|_| not_found.clone())?;
    let pointer = store.pointer(id.as_str()).await?.ok_or(not_found.clone())?;
    let author = Author::of(caller, origin);
    let target = AuditTarget::new(TargetKind::ApiToken, &id);
    let deleted = match &pointer.workspace_id {
        Some(owner) if *owner == ws => {
            let audit = [author.event(
                AuditLog::Workspace(ws.clone()),
                AuditAction::TokenRevoked,
                target,
                now,
            )];
            revocation::revoke(store, id.as_str(), Kind::Secret, pointer, |_| true, &audit).await?
        }
        Some(_) => false,
        // Not a workspace's own token: a multi-workspace token covering
        // this workspace may be revoked by its managers too (one more read).
        None => match store.credential(&pointer.hash).await? {
            Some(StoredCredential::MultiWorkspaceToken(t)) if t.workspace_ids.contains(&ws) => {
                let audit = multi_token_revoked(&author, &t, now);
                let kind = Kind::MultiToken(&t);
                revocation::revoke(store, id.as_str(), kind, pointer, |_| true, &audit).await?
            }
            Some(
                StoredCredential::MultiWorkspaceToken(_)
                | StoredCredential::ApiToken(_)
                | StoredCredential::Session(_),
            )
            | None => false,
        },
    };
    if deleted { Ok(()) } else { Err(not_found) }
}

/// A `multi_token.revoked` event in each workspace the token covered.
pub(crate) fn multi_token_revoked(
    author: &Author,
    token: &crate::records::MultiTokenRecord,
    now: i64,
) -> Vec<crate::audit::AuditEvent> {
    token
        .workspace_ids
        .iter()
        .map(|ws| {
            author.event(
                AuditLog::Workspace(ws.clone()),
                AuditAction::MultiTokenRevoked,
                AuditTarget::new(TargetKind::ApiToken, &token.id),
                now,
            )
        })
        .collect()
}

/// The longest grace period a rolled secret keeps working (7 days).
pub const MAX_ROLL_GRACE_SECS: i64 = 7 * 24 * 3600;

/// `POST /v1/api_tokens/{id}/roll`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RollApiTokenRequest {
    /// How long the old secret keeps working, 0–604800 seconds (0: it stops
    /// at once). Never past the token's own expiry.
    #[schema(minimum = 0, maximum = 604800)]
    pub grace_period_secs: i64,
    /// A new expiry for the rolled token (Unix seconds, in the future);
    /// absent or null: it keeps its own. Lets a token made before a
    /// stricter workspace policy be rotated into compliance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<i64>, format = Int64)]
    pub expires_at: Option<UnixTime>,
}

/// Rolls a workspace token: a new secret with the same id, name, role and
/// expiry, shown once; the old secret keeps working for the grace period,
/// then fails like a revoked one. One roll at a time: while a rolled secret
/// still works, another roll is a 409.
pub async fn roll(
    store: &impl CredentialStore,
    caller: &Principal,
    origin: &Origin,
    id: &str,
    request: RollApiTokenRequest,
    now: i64,
) -> Result<CreatedApiToken, ApiError> {
    let scope = policy::require_scope(caller, Action::RollToken)?;
    let ws = scope.workspace_id.clone();
    let not_found = || ApiError::NotFound("API token");
    let id = TokenId::parse(id).map_err(|_| not_found())?;
    if !(0..=MAX_ROLL_GRACE_SECS).contains(&request.grace_period_secs) {
        return Err(ApiError::validation(
            "grace_period_secs",
            "must be between 0 and 604800 seconds (7 days)",
        ));
    }
    let pointer = store.pointer(id.as_str()).await?.ok_or_else(not_found)?;
    if pointer.workspace_id.as_ref() != Some(&ws) {
        return Err(not_found());
    }
    if let Some(previous) = &pointer.previous
        && let Some(live) = store.credential(previous).await?
        && !live.is_expired(now)
    {
        return Err(ApiError::Conflict(
            "the previous roll's old secret still works; revoke the token or wait for its grace period to end"
                .into(),
        ));
    }
    let Some(StoredCredential::ApiToken(record)) = store.credential(&pointer.hash).await? else {
        return Err(lost_race(store, &id, &pointer).await);
    };
    if record.expires_at.is_some_and(|at| at <= now) {
        return Err(not_found());
    }
    let expires_at = match ExpiresAt::requested(request.expires_at, now)? {
        Some(at) => Some(at.secs()),
        None => record.expires_at,
    };
    // Rolling is creating (DESIGN.md R9): the caller must be able to make
    // this token now, with its role, its expiry and its restrictions, and
    // the workspace's policy must admit it.
    policy::Ceiling::of(caller, &scope).admit_roll(record.role.into(), expires_at)?;
    if let Some(mine) = caller.restrictions() {
        mine.covers(&record.restrictions)?;
    }
    let token_policy = store.token_policy(&ws).await?;
    let allowed_cidrs =
        token_policy.admit(expires_at, record.restrictions.allowed_cidrs.clone(), now)?;
    let grace_until = (request.grace_period_secs > 0).then(|| {
        let end = now + request.grace_period_secs;
        record.expires_at.map_or(end, |at| at.min(end))
    });
    let token = ApiToken::generate();
    let rolled = ApiTokenRecord {
        prefix: token.display_prefix(),
        expires_at,
        restrictions: Restrictions {
            allowed_cidrs,
            ..record.restrictions.clone()
        },
        ..record
    };
    let audit = [Author::of(caller, origin)
        .event(
            AuditLog::Workspace(ws),
            AuditAction::TokenRolled,
            AuditTarget::new(TargetKind::ApiToken, &rolled.id),
            now,
        )
        .with_detail(format!(
            "grace_period_secs={}",
            grace_until.map_or(0, |until| until - now)
        ))];
    if !store
        .roll_credential(&pointer.hash, &token.hash(), &rolled, grace_until, &audit)
        .await?
    {
        return Err(lost_race(store, &id, &pointer).await);
    }
    Ok(CreatedApiToken::of(&token, rolled))
}

/// Why a roll found the token changed under it since it read `read`: a
/// revoke that won leaves nothing to roll (404, as if it had come first);
/// another roll that won is a 409 (the caller may read and roll again).
async fn lost_race(
    store: &impl CredentialStore,
    id: &TokenId,
    read: &CredentialPointer,
) -> ApiError {
    match store.pointer(id.as_str()).await {
        Ok(Some(now)) if now != *read => {
            ApiError::Conflict("the token was rolled meanwhile".into())
        }
        Ok(_) => ApiError::NotFound("API token"),
        Err(e) => e.into(),
    }
}

crate::named_list!(
    /// A page of a workspace's API tokens, newest first.
    ApiTokenList of TokenSummary
);
