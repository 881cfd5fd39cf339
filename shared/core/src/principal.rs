//! Who an allowed request is, and how that travels from the authorizer to
//! the handlers behind it.
//!
//! A [`Principal`] is one of three things, and its type says which: a
//! workspace API token, which always has its workspace and role; a person
//! (a session or a JWT user), who has a workspace and role only when
//! `Akua-Context` named one they are a member of; or a multi-workspace API
//! token, which acts for its owner in the `Akua-Context` workspace it lists,
//! never above its cap. No value can hold a workspace token without a
//! workspace, or anyone with a role but no workspace.
//!
//! API Gateway hands the authorizer's `context` map to the backend as
//! `requestContext.authorizer`. Both ends use [`Principal::to_context`] and
//! [`Principal::from_context`], so the key names are defined once and the two
//! sides cannot drift.

use std::collections::HashMap;

use crate::allow_list::AllowList;
use crate::ids::{InvalidId, Role, SessionId, TokenId, TokenRole, UserId, WorkspaceId};
use crate::permission::Permissions;
use crate::records::Creator;
use crate::restrictions::Restrictions;
use crate::sign_in::SignIn;

/// The context keys the authorizer writes (all values are strings).
pub mod keys {
    pub const PRINCIPAL_ID: &str = "principal_id";
    pub const CREDENTIAL: &str = "credential";
    pub const TOKEN_ID: &str = "token_id";
    pub const USER_ID: &str = "user_id";
    pub const WORKSPACE_ID: &str = "workspace_id";
    pub const ROLE: &str = "role";
    pub const EXPIRES_AT: &str = "expires_at";
    /// A person's [`SignIn`]: a Unix time, `unknown` or `machine`.
    pub const SIGN_IN: &str = "sign_in";
    /// A restricted token's permissions, space-separated like an OAuth
    /// `scope` (`api_tokens:read members:read`); absent for a token that
    /// may do everything its role allows, and for people.
    pub const PERMISSIONS: &str = "permissions";
    /// A token's IP allow list, space-separated CIDRs; absent: anywhere.
    pub const ALLOWED_CIDRS: &str = "allowed_cidrs";
    /// On a refusal (403): the error code, message and reason the
    /// gateway's `ACCESS_DENIED` response shows.
    pub const CODE: &str = "code";
    pub const MESSAGE: &str = "message";
    pub const REASON: &str = "reason";
}

pub use crate::credential::CredentialKind;

/// A workspace a request acts on, with the caller's role in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub workspace_id: WorkspaceId,
    pub role: Role,
}

/// A workspace API token: it acts on its own workspace, implicitly
/// (DESIGN §1), with its own role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceToken {
    pub token_id: TokenId,
    pub workspace_id: WorkspaceId,
    pub role: TokenRole,
    pub expires_at: Option<i64>,
    pub restrictions: Restrictions,
}

/// How a person proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonCredential {
    Session(SessionId),
    Jwt,
}

/// A person: a session's owner or a JWT's `sub`. A broad credential: it
/// has a workspace only when `Akua-Context` named one they belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub user_id: UserId,
    pub credential: PersonCredential,
    pub scope: Option<Scope>,
    pub expires_at: Option<i64>,
    /// How and when they signed in (sudo mode).
    pub sign_in: SignIn,
}

/// A multi-workspace API token: a machine credential acting for its owner.
/// A broad credential: it has a workspace only when `Akua-Context` named
/// one it lists and its owner still belongs to, with the lower of its cap
/// and the owner's role there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiToken {
    pub token_id: TokenId,
    pub owner: UserId,
    pub scope: Option<Scope>,
    pub expires_at: Option<i64>,
    pub restrictions: Restrictions,
}

/// The caller of an allowed request (DESIGN §5: principal, credential kind,
/// token id, user id, workspace id, role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    WorkspaceToken(WorkspaceToken),
    Person(Person),
    MultiToken(MultiToken),
}

/// The request needs a workspace and the principal has none (DESIGN §1:
/// broad credential without `Akua-Context` → 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this request needs a workspace: send the Akua-Context header")]
pub struct NoWorkspace;

impl From<NoWorkspace> for crate::api_error::ApiError {
    fn from(e: NoWorkspace) -> Self {
        Self::Forbidden(crate::Refusal::WorkspaceRequired, e.to_string())
    }
}

impl Principal {
    pub fn kind(&self) -> CredentialKind {
        match self {
            Self::WorkspaceToken(_) => CredentialKind::ApiToken,
            Self::Person(p) => match p.credential {
                PersonCredential::Session(_) => CredentialKind::Session,
                PersonCredential::Jwt => CredentialKind::Jwt,
            },
            Self::MultiToken(_) => CredentialKind::MultiWorkspaceToken,
        }
    }

    /// The id API Gateway records as `principalId`: the person, or for an
    /// API token, the token.
    pub fn principal_id(&self) -> &str {
        match self {
            Self::WorkspaceToken(t) => t.token_id.as_str(),
            Self::Person(p) => p.user_id.as_str(),
            Self::MultiToken(t) => t.token_id.as_str(),
        }
    }

    /// The person making the request; none for an API token of either
    /// kind, which is a machine acting for a workspace or a person.
    pub fn person(&self) -> Option<&Person> {
        match self {
            Self::Person(p) => Some(p),
            Self::WorkspaceToken(_) | Self::MultiToken(_) => None,
        }
    }

    /// The person this request acts for: the caller, or a multi-workspace
    /// token's owner. Rules that need a person present ask
    /// [`Principal::person`] instead.
    pub fn user_id(&self) -> Option<&UserId> {
        match self {
            Self::Person(p) => Some(&p.user_id),
            Self::MultiToken(t) => Some(&t.owner),
            Self::WorkspaceToken(_) => None,
        }
    }

    /// Who this is as the creator of a new API token.
    pub fn creator(&self) -> Option<Creator> {
        Some(match self {
            Self::WorkspaceToken(t) => Creator::ApiToken(t.token_id.clone()),
            Self::MultiToken(t) => Creator::ApiToken(t.token_id.clone()),
            Self::Person(p) => Creator::User(p.user_id.clone()),
        })
    }

    /// `tok_…` for an API token, `ses_…` for a session, none for a JWT.
    pub fn credential_id(&self) -> Option<&str> {
        match self {
            Self::WorkspaceToken(t) => Some(t.token_id.as_str()),
            Self::Person(Person {
                credential: PersonCredential::Session(id),
                ..
            }) => Some(id.as_str()),
            Self::Person(_) => None,
            Self::MultiToken(t) => Some(t.token_id.as_str()),
        }
    }

    /// The workspace this request acts on and the caller's role in it, if
    /// it has one.
    pub fn scope(&self) -> Option<Scope> {
        match self {
            Self::WorkspaceToken(t) => Some(Scope {
                workspace_id: t.workspace_id.clone(),
                role: t.role.into(),
            }),
            Self::Person(p) => p.scope.clone(),
            Self::MultiToken(t) => t.scope.clone(),
        }
    }

    /// The workspace this request acts on, or 403 for a broad credential
    /// without `Akua-Context`.
    pub fn workspace(&self) -> Result<Scope, NoWorkspace> {
        self.scope().ok_or(NoWorkspace)
    }

    /// When the credential stops working, if it ever does.
    pub fn expires_at(&self) -> Option<i64> {
        match self {
            Self::WorkspaceToken(t) => t.expires_at,
            Self::Person(p) => p.expires_at,
            Self::MultiToken(t) => t.expires_at,
        }
    }

    /// What narrows the caller beyond its role: a token's permissions and
    /// allow list; people have none.
    pub fn restrictions(&self) -> Option<&Restrictions> {
        match self {
            Self::WorkspaceToken(t) => Some(&t.restrictions),
            Self::MultiToken(t) => Some(&t.restrictions),
            Self::Person(_) => None,
        }
    }

    /// How the caller signed in: API tokens are machines.
    pub fn sign_in(&self) -> SignIn {
        match self {
            Self::Person(p) => p.sign_in,
            Self::WorkspaceToken(_) | Self::MultiToken(_) => SignIn::Machine,
        }
    }

    /// The authorizer `context`: string values only, absent values omitted.
    pub fn to_context(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            (keys::PRINCIPAL_ID, self.principal_id().to_owned()),
            (keys::CREDENTIAL, self.kind().as_str().to_owned()),
        ];
        if let Some(v) = self.credential_id() {
            out.push((keys::TOKEN_ID, v.to_owned()));
        }
        if let Some(v) = self.user_id() {
            out.push((keys::USER_ID, v.to_string()));
        }
        if let Some(scope) = self.scope() {
            out.push((keys::WORKSPACE_ID, scope.workspace_id.to_string()));
            out.push((keys::ROLE, scope.role.as_str().to_owned()));
        }
        if let Some(v) = self.expires_at() {
            out.push((keys::EXPIRES_AT, v.to_string()));
        }
        if let Self::Person(p) = self {
            out.push((keys::SIGN_IN, p.sign_in.to_context()));
        }
        if let Some(r) = self.restrictions() {
            if let Some(p) = &r.permissions {
                out.push((keys::PERMISSIONS, p.to_string()));
            }
            if !r.allowed_cidrs.is_anywhere() {
                out.push((keys::ALLOWED_CIDRS, r.allowed_cidrs.to_string()));
            }
        }
        out
    }

    /// Reads back what [`Principal::to_context`] wrote. API Gateway may pass
    /// numbers and booleans through as JSON scalars, so any scalar is read as
    /// its string form. A missing, malformed or inconsistent value is an
    /// error (the handler answers 500: its gateway is misconfigured).
    pub fn from_context(ctx: &HashMap<String, serde_json::Value>) -> Result<Self, InvalidId> {
        let get = |key: &str| -> Option<String> {
            let value = ctx.get(key)?;
            value
                .as_str()
                .map(str::to_owned)
                .or_else(|| value.as_number().map(ToString::to_string))
        };
        let required = |key: &'static str| get(key).ok_or(InvalidId(key));
        let kind = CredentialKind::parse(&required(keys::CREDENTIAL)?)?;
        let restrictions = || -> Result<Restrictions, InvalidId> {
            Ok(Restrictions {
                permissions: get(keys::PERMISSIONS)
                    .map(|p| Permissions::parse(p.split(' ')))
                    .transpose()
                    .map_err(|_| InvalidId(keys::PERMISSIONS))?,
                allowed_cidrs: get(keys::ALLOWED_CIDRS)
                    .map(|c| AllowList::parse(c.split(' ')))
                    .transpose()
                    .map_err(|_| InvalidId(keys::ALLOWED_CIDRS))?
                    .unwrap_or_default(),
            })
        };
        let expires_at = get(keys::EXPIRES_AT)
            .map(|s| s.parse::<i64>().map_err(|_| InvalidId("expires_at")))
            .transpose()?;
        let scope = match (get(keys::WORKSPACE_ID), get(keys::ROLE)) {
            (Some(ws), Some(role)) => Some(Scope {
                workspace_id: WorkspaceId::parse(&ws)?,
                role: Role::parse(&role)?,
            }),
            (None, None) => None,
            _ => return Err(InvalidId("workspace and role go together")),
        };
        Ok(match kind {
            CredentialKind::ApiToken => {
                let scope = scope.ok_or(InvalidId("a workspace token's workspace"))?;
                Self::WorkspaceToken(WorkspaceToken {
                    token_id: TokenId::parse(&required(keys::TOKEN_ID)?)?,
                    workspace_id: scope.workspace_id,
                    role: TokenRole::try_from(scope.role)?,
                    expires_at,
                    restrictions: restrictions()?,
                })
            }
            CredentialKind::MultiWorkspaceToken => Self::MultiToken(MultiToken {
                token_id: TokenId::parse(&required(keys::TOKEN_ID)?)?,
                owner: UserId::parse(&required(keys::USER_ID)?)?,
                scope,
                expires_at,
                restrictions: restrictions()?,
            }),
            CredentialKind::Session => Self::Person(Person {
                user_id: UserId::parse(&required(keys::USER_ID)?)?,
                credential: PersonCredential::Session(SessionId::parse(&required(
                    keys::TOKEN_ID,
                )?)?),
                scope,
                expires_at,
                sign_in: SignIn::from_context(get(keys::SIGN_IN).as_deref()),
            }),
            CredentialKind::Jwt => Self::Person(Person {
                user_id: UserId::parse(&required(keys::USER_ID)?)?,
                credential: PersonCredential::Jwt,
                scope,
                expires_at,
                sign_in: SignIn::from_context(get(keys::SIGN_IN).as_deref()),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(p: &Principal) -> Principal {
        let ctx: HashMap<String, serde_json::Value> = p
            .to_context()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
            .collect();
        Principal::from_context(&ctx).unwrap()
    }

    fn token() -> Principal {
        Principal::WorkspaceToken(WorkspaceToken {
            token_id: TokenId::parse("tok_abc").unwrap(),
            workspace_id: WorkspaceId::parse("ws_abc").unwrap(),
            role: TokenRole::Admin,
            expires_at: None,
            restrictions: Restrictions {
                permissions: Some(Permissions::parse(["api_tokens:read", "members:read"]).unwrap()),
                allowed_cidrs: AllowList::parse(["10.0.0.0/8", "::1/128"]).unwrap(),
            },
        })
    }

    fn jwt_user(scope: Option<Scope>) -> Principal {
        Principal::Person(Person {
            user_id: UserId::parse("auth0|42").unwrap(),
            credential: PersonCredential::Jwt,
            scope,
            expires_at: Some(1_900_000_000),
            sign_in: SignIn::At(1_800_000_000),
        })
    }

    #[test]
    fn context_round_trips_for_every_kind() {
        let api = token();
        assert_eq!(round_trip(&api), api);
        assert_eq!(api.principal_id(), "tok_abc");
        let ctx: HashMap<_, _> = api.to_context().into_iter().collect();
        assert_eq!(ctx[keys::PERMISSIONS], "api_tokens:read members:read");
        assert_eq!(ctx[keys::ALLOWED_CIDRS], "10.0.0.0/8 ::1/128");
        let jwt = jwt_user(None);
        assert_eq!(round_trip(&jwt), jwt);
        assert_eq!(jwt.principal_id(), "auth0|42");
        assert_eq!(jwt.workspace(), Err(NoWorkspace));
        let session = Principal::Person(Person {
            user_id: UserId::parse("usr_a").unwrap(),
            credential: PersonCredential::Session(SessionId::parse("ses_x").unwrap()),
            scope: Some(Scope {
                workspace_id: WorkspaceId::parse("ws_a").unwrap(),
                role: Role::Owner,
            }),
            expires_at: Some(5),
            sign_in: SignIn::Unknown,
        });
        assert_eq!(round_trip(&session), session);
        assert_eq!(session.kind(), CredentialKind::Session);
    }

    #[test]
    fn absent_values_are_omitted_from_the_context() {
        let keys: Vec<_> = jwt_user(None)
            .to_context()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            [
                keys::PRINCIPAL_ID,
                keys::CREDENTIAL,
                keys::USER_ID,
                keys::EXPIRES_AT,
                keys::SIGN_IN
            ]
        );
    }

    #[test]
    fn a_malformed_or_inconsistent_context_is_an_error() {
        let good: HashMap<String, serde_json::Value> = token()
            .to_context()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.into()))
            .collect();
        assert!(Principal::from_context(&good).is_ok());
        let without = |key: &str| {
            let mut ctx = good.clone();
            ctx.remove(key);
            Principal::from_context(&ctx)
        };
        assert!(without(keys::CREDENTIAL).is_err());
        assert!(
            without(keys::WORKSPACE_ID).is_err(),
            "a token has a workspace"
        );
        assert!(without(keys::ROLE).is_err());
        assert!(without(keys::TOKEN_ID).is_err());
        let with = |key: &str, value: &str| {
            let mut ctx = good.clone();
            ctx.insert(key.into(), value.into());
            Principal::from_context(&ctx)
        };
        assert!(with(keys::CREDENTIAL, "root").is_err());
        assert!(with(keys::ROLE, "superuser").is_err());
        assert!(with(keys::ROLE, "owner").is_err(), "a token is never owner");
        assert!(
            with(keys::CREDENTIAL, "jwt").is_err(),
            "a person needs a user"
        );
    }
}
