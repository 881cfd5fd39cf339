//! Who an allowed request is, and how that travels from the authorizer to
//! the handlers behind it.
//!
//! API Gateway hands the authorizer's `context` map to the backend as
//! `requestContext.authorizer`. Both ends use [`Principal::to_context`] and
//! [`Principal::from_context`], so the key names are defined once and the two
//! sides cannot drift.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::ids::{InvalidId, Role, UserId, WorkspaceId};

/// The context keys the authorizer writes (all values are strings).
pub mod keys {
    pub const PRINCIPAL_ID: &str = "principal_id";
    pub const CREDENTIAL: &str = "credential";
    pub const TOKEN_ID: &str = "token_id";
    pub const USER_ID: &str = "user_id";
    pub const WORKSPACE_ID: &str = "workspace_id";
    pub const ROLE: &str = "role";
    pub const EXPIRES_AT: &str = "expires_at";
}

/// Which of the three credential kinds authenticated the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    Session,
    ApiToken,
    Jwt,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Session => "session",
            CredentialKind::ApiToken => "api_token",
            CredentialKind::Jwt => "jwt",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        match s {
            "session" => Ok(CredentialKind::Session),
            "api_token" => Ok(CredentialKind::ApiToken),
            "jwt" => Ok(CredentialKind::Jwt),
            _ => Err(InvalidId("credential kind")),
        }
    }
}

/// The caller of an allowed request (DESIGN §5: principal, credential kind,
/// token id, user id, workspace id, role).
///
/// `workspace_id` and `role` are set together: a workspace API token's own
/// workspace, or the `Akua-Context` workspace a session or JWT user is a
/// member of. A broad credential without the header has neither; endpoints
/// that need a workspace answer 403 through [`Principal::workspace`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub credential: CredentialKind,
    /// `tok_…` for an API token, `ses_…` for a session, none for a JWT.
    pub token_id: Option<String>,
    /// The user: a session's owner or a JWT's `sub`. None for an API token,
    /// which belongs to a workspace, not a person.
    pub user_id: Option<UserId>,
    pub workspace_id: Option<WorkspaceId>,
    pub role: Option<Role>,
    /// When the credential stops working, if it ever does.
    pub expires_at: Option<i64>,
}

/// The request needs a workspace and the principal has none (DESIGN §1:
/// broad credential without `Akua-Context` → 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("this request needs a workspace: send the Akua-Context header")]
pub struct NoWorkspace;

impl Principal {
    /// The id API Gateway records as `principalId`: the user, or for a
    /// workspace token, the token.
    pub fn principal_id(&self) -> &str {
        match (&self.user_id, &self.token_id) {
            (Some(user), _) => user.as_str(),
            (None, Some(token)) => token,
            (None, None) => "anonymous",
        }
    }

    /// The workspace this request acts on, with the caller's role in it.
    pub fn workspace(&self) -> Result<(&WorkspaceId, Role), NoWorkspace> {
        match (&self.workspace_id, self.role) {
            (Some(ws), Some(role)) => Ok((ws, role)),
            _ => Err(NoWorkspace),
        }
    }

    /// The authorizer `context`: string values only, absent values omitted.
    pub fn to_context(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            (keys::PRINCIPAL_ID, self.principal_id().to_owned()),
            (keys::CREDENTIAL, self.credential.as_str().to_owned()),
        ];
        if let Some(v) = &self.token_id {
            out.push((keys::TOKEN_ID, v.clone()));
        }
        if let Some(v) = &self.user_id {
            out.push((keys::USER_ID, v.to_string()));
        }
        if let Some(v) = &self.workspace_id {
            out.push((keys::WORKSPACE_ID, v.to_string()));
        }
        if let Some(v) = self.role {
            out.push((keys::ROLE, v.as_str().to_owned()));
        }
        if let Some(v) = self.expires_at {
            out.push((keys::EXPIRES_AT, v.to_string()));
        }
        out
    }

    /// Reads back what [`Principal::to_context`] wrote. API Gateway may pass
    /// numbers and booleans through as JSON scalars, so any scalar is read as
    /// its string form; a missing or malformed value is an error (the
    /// handler answers 500: its gateway is misconfigured).
    pub fn from_context(ctx: &HashMap<String, serde_json::Value>) -> Result<Self, InvalidId> {
        let get = |key: &str| -> Option<String> {
            match ctx.get(key)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        let credential =
            CredentialKind::parse(&get(keys::CREDENTIAL).ok_or(InvalidId("credential kind"))?)?;
        let user_id = get(keys::USER_ID).map(|s| UserId::parse(&s)).transpose()?;
        let workspace_id = get(keys::WORKSPACE_ID)
            .map(|s| WorkspaceId::parse(&s))
            .transpose()?;
        let role = get(keys::ROLE).map(|s| Role::parse(&s)).transpose()?;
        let expires_at = get(keys::EXPIRES_AT)
            .map(|s| s.parse::<i64>().map_err(|_| InvalidId("expires_at")))
            .transpose()?;
        Ok(Principal {
            credential,
            token_id: get(keys::TOKEN_ID),
            user_id,
            workspace_id,
            role,
            expires_at,
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

    #[test]
    fn context_round_trips_for_every_kind() {
        let api = Principal {
            credential: CredentialKind::ApiToken,
            token_id: Some("tok_abc".into()),
            user_id: None,
            workspace_id: Some(WorkspaceId::parse("ws_abc").unwrap()),
            role: Some(Role::Admin),
            expires_at: None,
        };
        assert_eq!(round_trip(&api), api);
        assert_eq!(api.principal_id(), "tok_abc");
        let jwt = Principal {
            credential: CredentialKind::Jwt,
            token_id: None,
            user_id: Some(UserId::parse("auth0|42").unwrap()),
            workspace_id: None,
            role: None,
            expires_at: Some(1_900_000_000),
        };
        assert_eq!(round_trip(&jwt), jwt);
        assert_eq!(jwt.principal_id(), "auth0|42");
        assert_eq!(jwt.workspace(), Err(NoWorkspace));
    }

    #[test]
    fn absent_values_are_omitted_from_the_context() {
        let p = Principal {
            credential: CredentialKind::Jwt,
            token_id: None,
            user_id: Some(UserId::parse("u").unwrap()),
            workspace_id: None,
            role: None,
            expires_at: None,
        };
        let keys: Vec<_> = p.to_context().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, [keys::PRINCIPAL_ID, keys::CREDENTIAL, keys::USER_ID]);
    }

    #[test]
    fn a_malformed_context_is_an_error() {
        let mut ctx = HashMap::new();
        assert!(Principal::from_context(&ctx).is_err());
        ctx.insert(keys::CREDENTIAL.into(), "root".into());
        assert!(Principal::from_context(&ctx).is_err());
        ctx.insert(keys::CREDENTIAL.into(), "jwt".into());
        ctx.insert(keys::ROLE.into(), "superuser".into());
        assert!(Principal::from_context(&ctx).is_err());
    }
}
