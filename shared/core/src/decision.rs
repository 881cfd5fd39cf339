//! The decision: `(Authorization, Akua-Context, now)` → allow, 401 or 403,
//! implementing every rule of DESIGN §1 within the budget of DESIGN §5.
//!
//! | credential | store calls |
//! |---|---|
//! | malformed, wrong scheme, bad checksum | none |
//! | API token or session | one consistent `GetItem` (+ at most one guarded `UpdateItem` per 60 s) |
//! | JWT with cached keys | none |
//! | session, JWT or multi-workspace token with `Akua-Context` | + one consistent membership `GetItem` |
//!
//! Authentication comes first: a request with a bad credential is a 401
//! whatever its `Akua-Context` says. A restricted token's allow list and
//! permissions are on the item already read: checking them costs no read
//! (docs/DESIGN.md, "Restricted tokens"). Any store failure is an error,
//! never an allow (fail closed).

use std::net::IpAddr;

use crate::api_error::{ApiError, Refusal};
use crate::clock;
use crate::credential::{Credential, CredentialError, CredentialHash};
use crate::ids::{Role, UserId, WorkspaceId};
use crate::jwt::{JwtError, JwtVerifier};
use crate::policy::{self, Resolved};
use crate::ports::{DecisionStore, StoreError, Touch, TouchOutcome};
use crate::principal::{
    CredentialKind, MultiToken, Person, PersonCredential, Principal, Scope, WorkspaceToken,
};
use crate::records::{ApiTokenRecord, MultiTokenRecord, StoredCredential};
use crate::restrictions::Restrictions;
use crate::route_map::{Needed, Target, route_map};
use crate::sign_in::SignIn;

/// `last_used_at` is written at most this often per credential (DESIGN §5).
pub const LAST_USED_INTERVAL_SECS: i64 = 60;
/// A session's sliding expiry is pushed out at most this often (DESIGN §5).
pub const SESSION_EXTENSION_INTERVAL_SECS: i64 = 3600;
pub use crate::records::{DASHBOARD_SESSION_LIFETIME_SECS, SESSION_LIFETIME_SECS};

/// The outcome for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow(Principal),
    /// 401: no valid credential.
    Unauthorized(DenyReason),
    /// 403: a valid credential that may not act here.
    Forbidden(DenyReason),
}

/// Why a request was refused: for logs and tests, safe to print (no secret).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DenyReason {
    Credential(CredentialError),
    /// No stored credential has this hash: never issued, revoked, or deleted.
    UnknownCredential,
    Expired,
    /// The item vanished or expired between the read and the guarded write.
    RevokedDuringRequest,
    /// A JWT arrived but no issuer is configured.
    JwtNotAccepted,
    Jwt(&'static str),
    /// `Akua-Context` is not a workspace id.
    ContextMalformed,
    /// A workspace API token with `Akua-Context` naming another workspace.
    ContextMismatch,
    /// A session or JWT user who is not a member of the `Akua-Context`
    /// workspace, or a multi-workspace token whose owner no longer is.
    NotMember,
    /// A multi-workspace token with `Akua-Context` naming a workspace it
    /// does not list.
    NotCovered,
    /// A restricted token on a route that needs this permission.
    InsufficientPermission(&'static str),
    /// A restricted token on a route no declaration or route map names.
    UnmappedRoute,
    /// A token with an allow list, from an address outside it (or from an
    /// address the gateway did not give).
    IpNotAllowed,
}

impl DenyReason {
    /// How a refusal reads to the caller, in the API's error envelope (the
    /// authorizer puts its code and message in a Deny's context).
    pub fn api_error(self) -> ApiError {
        match self {
            Self::InsufficientPermission(p) => ApiError::InsufficientPermission(p.to_owned()),
            Self::UnmappedRoute => ApiError::UnmappedRoute,
            Self::IpNotAllowed => ApiError::IpNotAllowed,
            Self::ContextMalformed => ApiError::Forbidden(
                Refusal::WrongWorkspace,
                "Akua-Context is not a workspace id".into(),
            ),
            Self::ContextMismatch => ApiError::Forbidden(
                Refusal::WrongWorkspace,
                "an API token acts only on its own workspace; Akua-Context names another".into(),
            ),
            Self::NotMember => ApiError::Forbidden(
                Refusal::NotMember,
                "you are not a member of the Akua-Context workspace".into(),
            ),
            Self::NotCovered => ApiError::Forbidden(
                Refusal::WrongWorkspace,
                "this multi-workspace token does not cover the Akua-Context workspace".into(),
            ),
            Self::Credential(_)
            | Self::UnknownCredential
            | Self::Expired
            | Self::RevokedDuringRequest
            | Self::JwtNotAccepted
            | Self::Jwt(_) => ApiError::Unauthorized,
        }
    }
}

/// One request, as the authorizer hands it to the decision.
#[derive(Debug, Clone, Copy, Default)]
pub struct Request<'a> {
    /// The raw `Authorization` header; absent: `None`.
    pub authorization: Option<&'a str>,
    /// The raw `Akua-Context` header; empty counts as absent.
    pub akua_context: Option<&'a str>,
    /// The route called, for a restricted token's permissions; `None`
    /// refuses restricted tokens (nobody can tell what they call).
    pub target: Option<Target<'a>>,
    /// The caller's address as the gateway saw it, for allow lists; `None`
    /// refuses tokens that have one.
    pub source_ip: Option<IpAddr>,
}

/// The decision could not be made: the caller must not allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecisionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("JWT keys unavailable: {0}")]
    Keys(String),
}

/// The write a use of `credential` at `now` calls for, if any (DESIGN §5):
/// `last_used_at` when the recorded one is 60 s old or more; for a session,
/// also a new expiry a lifetime out (a year, 12 hours for the dashboard,
/// never past a dashboard session's absolute limit) when the current one
/// was set an hour ago or more. Decided from the item already read, so the hot path stays one read.
pub fn plan_touch(credential: &StoredCredential, now: i64) -> Option<Touch> {
    let extend_to = match credential {
        StoredCredential::Session(s) => {
            let lifetime = s.client.lifetime_secs();
            let extended_at = s.expires_at - lifetime;
            let due = now - extended_at >= SESSION_EXTENSION_INTERVAL_SECS;
            // Never past the absolute limit; once there, nothing to write.
            let to = s
                .absolute_expires_at
                .map_or(now + lifetime, |end| end.min(now + lifetime));
            (due && to > s.expires_at).then_some(to)
        }
        StoredCredential::ApiToken(_) | StoredCredential::MultiWorkspaceToken(_) => None,
    };
    let use_is_stale = credential
        .last_used_at()
        .is_none_or(|at| now - at >= LAST_USED_INTERVAL_SECS);
    (use_is_stale || extend_to.is_some()).then_some(Touch {
        last_used_at: now,
        extend_to,
    })
}

/// Makes decisions against a store and, when configured, a JWT issuer.
pub struct Authorizer<S> {
    store: S,
    jwt: Option<JwtVerifier>,
}

impl<S: DecisionStore> Authorizer<S> {
    pub fn new(store: S, jwt: Option<JwtVerifier>) -> Self {
        Self { store, jwt }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    /// Decides with the system clock.
    pub async fn decide_now(
        &self,
        authorization: Option<&str>,
        akua_context: Option<&str>,
    ) -> Result<Decision, DecisionError> {
        self.decide(authorization, akua_context, clock::now()).await
    }

    /// Decides from the two headers alone: no route, no address (a
    /// restricted token is refused).
    pub async fn decide(
        &self,
        authorization: Option<&str>,
        akua_context: Option<&str>,
        now: i64,
    ) -> Result<Decision, DecisionError> {
        let request = Request {
            authorization,
            akua_context,
            ..Request::default()
        };
        self.decide_request(&request, now).await
    }

    /// Decides one request.
    pub async fn decide_request(
        &self,
        request: &Request<'_>,
        now: i64,
    ) -> Result<Decision, DecisionError> {
        let akua_context = request.akua_context;
        let credential = match request
            .authorization
            .map(Credential::from_authorization_header)
        {
            None => {
                return Ok(unauthorized(DenyReason::Credential(
                    CredentialError::Missing,
                )));
            }
            Some(Err(e)) => return Ok(unauthorized(DenyReason::Credential(e))),
            Some(Ok(c)) => c,
        };
        let context = akua_context.map(str::trim).filter(|v| !v.is_empty());
        match credential {
            Credential::ApiToken(token) => {
                self.opaque(
                    CredentialKind::ApiToken,
                    token.hash(),
                    context,
                    request,
                    now,
                )
                .await
            }
            Credential::Session(token) => {
                self.opaque(CredentialKind::Session, token.hash(), context, request, now)
                    .await
            }
            Credential::Jwt(jwt) => {
                let Some(verifier) = &self.jwt else {
                    return Ok(unauthorized(DenyReason::JwtNotAccepted));
                };
                let verified = match verifier.verify(&jwt, now).await {
                    Ok(v) => v,
                    Err(JwtError::Invalid(why)) => return Ok(unauthorized(DenyReason::Jwt(why))),
                    Err(JwtError::KeysUnavailable(why)) => return Err(DecisionError::Keys(why)),
                };
                let scope = match self.user_scope(&verified.user_id, context).await? {
                    Ok(scope) => scope,
                    Err(reason) => return Ok(Decision::Forbidden(reason)),
                };
                Ok(Decision::Allow(Principal::Person(Person {
                    user_id: verified.user_id,
                    credential: PersonCredential::Jwt,
                    scope,
                    expires_at: Some(verified.expires_at),
                    sign_in: verified.auth_time.map_or(SignIn::Machine, SignIn::At),
                })))
            }
        }
    }

    /// An opaque credential (API token or session): one consistent read,
    /// its scope, the throttled write.
    async fn opaque(
        &self,
        wire: CredentialKind,
        hash: CredentialHash,
        context: Option<&str>,
        request: &Request<'_>,
        now: i64,
    ) -> Result<Decision, DecisionError> {
        let stored = match self.live_credential(&hash, now).await? {
            Ok(stored) => stored,
            Err(reason) => return Ok(unauthorized(reason)),
        };
        if let Some(restrictions) = stored.restrictions()
            && let Err(reason) = restricted(restrictions, request)
        {
            return Ok(Decision::Forbidden(reason));
        }
        // A wire shape can only hash to an item of its own kind; anything
        // else means the table is not what we wrote.
        let scope = match (&stored, wire) {
            (StoredCredential::ApiToken(token), CredentialKind::ApiToken) => {
                self.token_scope(token, context).await?
            }
            (StoredCredential::Session(session), CredentialKind::Session) => {
                self.user_scope(&session.user_id, context).await?
            }
            (StoredCredential::MultiWorkspaceToken(token), CredentialKind::ApiToken) => {
                self.multi_token_scope(token, context).await?
            }
            (
                StoredCredential::ApiToken(_),
                CredentialKind::Session | CredentialKind::Jwt | CredentialKind::MultiWorkspaceToken,
            )
            | (
                StoredCredential::Session(_),
                CredentialKind::ApiToken
                | CredentialKind::Jwt
                | CredentialKind::MultiWorkspaceToken,
            )
            | (
                StoredCredential::MultiWorkspaceToken(_),
                CredentialKind::Session | CredentialKind::Jwt | CredentialKind::MultiWorkspaceToken,
            ) => return Ok(unauthorized(DenyReason::UnknownCredential)),
        };
        let scope = match scope {
            Ok(scope) => scope,
            Err(reason) => return Ok(Decision::Forbidden(reason)),
        };
        let extended = match self.record_use(&hash, &stored, now).await? {
            Ok(extended) => extended,
            Err(reason) => return Ok(unauthorized(reason)),
        };
        Ok(Decision::Allow(match stored {
            StoredCredential::ApiToken(token) => Principal::WorkspaceToken(WorkspaceToken {
                token_id: token.id,
                workspace_id: token.workspace_id,
                role: token.role,
                expires_at: token.expires_at,
                restrictions: token.restrictions,
            }),
            StoredCredential::Session(session) => Principal::Person(Person {
                expires_at: Some(extended.unwrap_or(session.ends_at())),
                sign_in: session.sign_in(),
                user_id: session.user_id,
                credential: PersonCredential::Session(session.id),
                scope,
            }),
            StoredCredential::MultiWorkspaceToken(token) => Principal::MultiToken(MultiToken {
                token_id: token.id,
                owner: token.user_id,
                scope,
                expires_at: token.expires_at,
                restrictions: token.restrictions,
            }),
        }))
    }

    /// A multi-workspace token acts for its owner in an `Akua-Context`
    /// workspace it lists, with the lower of its cap and the owner's role
    /// there: the membership is read on every request (one consistent
    /// read), so removing the owner cuts the token off at once.
    async fn multi_token_scope(
        &self,
        token: &MultiTokenRecord,
        context: Option<&str>,
    ) -> Result<Result<Option<Scope>, DenyReason>, DecisionError> {
        let ws = match context_workspace(context) {
            Ok(Some(ws)) => ws,
            Ok(None) => return Ok(Ok(None)),
            Err(deny) => return Ok(Err(deny)),
        };
        if !token.workspace_ids.contains(&ws) {
            return Ok(Err(DenyReason::NotCovered));
        }
        let cap = Role::from(token.role);
        Ok(self.member_scope(&token.user_id, ws).await?.map(|scope| {
            Some(Scope {
                role: if cap.rank() < scope.role.rank() {
                    cap
                } else {
                    scope.role
                },
                workspace_id: scope.workspace_id,
            })
        }))
    }

    /// A workspace token acts on its own workspace; `Akua-Context` may only
    /// repeat it (DESIGN §1).
    async fn token_scope(
        &self,
        token: &ApiTokenRecord,
        context: Option<&str>,
    ) -> Result<Result<Option<Scope>, DenyReason>, DecisionError> {
        let own = Scope {
            workspace_id: token.workspace_id.clone(),
            role: token.role.into(),
        };
        let ws = match context_workspace(context) {
            Ok(Some(ws)) => ws,
            Ok(None) => return Ok(Ok(Some(own))),
            Err(deny) => return Ok(Err(deny)),
        };
        Ok(
            match policy::resolve(&self.store, Some(&own), None, &ws).await? {
                Resolved::Granted(scope) => Ok(Some(scope)),
                Resolved::OtherWorkspace | Resolved::NotMember => Err(DenyReason::ContextMismatch),
            },
        )
    }

    /// One consistent read; unknown and expired credentials are refused
    /// here, whatever DynamoDB TTL has or has not deleted yet.
    async fn live_credential(
        &self,
        hash: &CredentialHash,
        now: i64,
    ) -> Result<Result<StoredCredential, DenyReason>, DecisionError> {
        Ok(match self.store.credential(hash).await? {
            None => Err(DenyReason::UnknownCredential),
            Some(c) if c.is_expired(now) => Err(DenyReason::Expired),
            Some(c) => Ok(c),
        })
    }

    /// The throttled, guarded write. `Ok(Some(t))`: the session now expires
    /// at `t`. A guard failure means the credential was revoked or expired
    /// since the read: the request is refused.
    async fn record_use(
        &self,
        hash: &CredentialHash,
        stored: &StoredCredential,
        now: i64,
    ) -> Result<Result<Option<i64>, DenyReason>, DecisionError> {
        let Some(touch) = plan_touch(stored, now) else {
            return Ok(Ok(None));
        };
        Ok(match self.store.touch(hash, touch, now).await? {
            TouchOutcome::Applied => Ok(touch.extend_to),
            TouchOutcome::Gone => Err(DenyReason::RevokedDuringRequest),
        })
    }

    /// A user credential's workspace: none without `Akua-Context`; with it,
    /// the user's membership there (one consistent read) or a refusal.
    async fn user_scope(
        &self,
        user: &UserId,
        context: Option<&str>,
    ) -> Result<Result<Option<Scope>, DenyReason>, DecisionError> {
        match context_workspace(context) {
            Ok(Some(ws)) => Ok(self.member_scope(user, ws).await?.map(Some)),
            Ok(None) => Ok(Ok(None)),
            Err(deny) => Ok(Err(deny)),
        }
    }

    /// `user`'s membership of `ws` (one consistent read), or a refusal.
    async fn member_scope(
        &self,
        user: &UserId,
        ws: WorkspaceId,
    ) -> Result<Result<Scope, DenyReason>, DecisionError> {
        Ok(
            match policy::resolve(&self.store, None, Some(user), &ws).await? {
                Resolved::Granted(scope) => Ok(scope),
                Resolved::NotMember | Resolved::OtherWorkspace => Err(DenyReason::NotMember),
            },
        )
    }
}

/// The workspace `Akua-Context` names, if any (no read).
fn context_workspace(context: Option<&str>) -> Result<Option<WorkspaceId>, DenyReason> {
    context
        .map(|header| WorkspaceId::parse(header).map_err(|_| DenyReason::ContextMalformed))
        .transpose()
}

/// A token's allow list, then its permissions, against the request: no
/// read, and for a token restricted in neither way, two branches.
fn restricted(restrictions: &Restrictions, request: &Request<'_>) -> Result<(), DenyReason> {
    if !restrictions.allowed_cidrs.is_anywhere()
        && !request
            .source_ip
            .is_some_and(|ip| restrictions.allows_ip(ip))
    {
        return Err(DenyReason::IpNotAllowed);
    }
    let Some(held) = &restrictions.permissions else {
        return Ok(());
    };
    match request.target.and_then(|t| route_map().lookup(&t)) {
        None => Err(DenyReason::UnmappedRoute),
        Some(Needed::Nothing) => Ok(()),
        Some(Needed::Permission(p)) if held.holds(p) => Ok(()),
        Some(Needed::Permission(p)) => Err(DenyReason::InsufficientPermission(p)),
    }
}

fn unauthorized(reason: DenyReason) -> Decision {
    Decision::Unauthorized(reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{SessionId, TokenId, TokenName, TokenRole};

    /// A refusal's code and message go into the gateway's `ACCESS_DENIED`
    /// template as they are: nothing in them may need JSON escaping.
    #[test]
    fn refusals_read_as_the_api_s_errors_without_escaping() {
        let forbidden = [
            DenyReason::InsufficientPermission("api_tokens:write"),
            DenyReason::UnmappedRoute,
            DenyReason::IpNotAllowed,
            DenyReason::ContextMalformed,
            DenyReason::ContextMismatch,
            DenyReason::NotMember,
            DenyReason::NotCovered,
        ];
        for reason in forbidden {
            let e = reason.api_error();
            let text = format!("{}{}", e.code(), e);
            assert!(
                !text.contains(['"', '\\']) && !text.chars().any(char::is_control),
                "{text}"
            );
        }
        assert_eq!(
            DenyReason::InsufficientPermission("api_tokens:write")
                .api_error()
                .code(),
            "insufficient_permission"
        );
        assert!(
            DenyReason::InsufficientPermission("api_tokens:write")
                .api_error()
                .to_string()
                .contains("api_tokens:write")
        );
        assert_eq!(
            DenyReason::IpNotAllowed.api_error().code(),
            "ip_not_allowed"
        );
    }
    use crate::records::{ApiTokenRecord, SessionRecord};

    fn token(last_used_at: Option<i64>) -> StoredCredential {
        StoredCredential::ApiToken(ApiTokenRecord {
            id: TokenId::generate(),
            workspace_id: WorkspaceId::parse("ws_a").unwrap(),
            name: TokenName::parse("n").unwrap(),
            prefix: "sk_akua_abcd".into(),
            role: TokenRole::Admin,
            created_by: None,
            created_at: 0,
            expires_at: None,
            last_used_at,
            restrictions: Restrictions::default(),
        })
    }

    fn session(expires_at: i64, last_used_at: Option<i64>) -> StoredCredential {
        StoredCredential::Session(SessionRecord {
            id: SessionId::generate(),
            user_id: UserId::parse("u").unwrap(),
            client: crate::records::SessionClient::Cli,
            created_at: 0,
            expires_at,
            last_used_at,
            absolute_expires_at: None,
            signed_in_at: None,
        })
    }

    #[test]
    fn last_used_is_written_at_most_once_a_minute() {
        let now = 1_000_000;
        assert!(plan_touch(&token(None), now).is_some());
        assert_eq!(plan_touch(&token(Some(now - 59)), now), None);
        assert_eq!(
            plan_touch(&token(Some(now - 60)), now),
            Some(Touch {
                last_used_at: now,
                extend_to: None
            })
        );
        // A clock that stepped back never causes a write.
        assert_eq!(plan_touch(&token(Some(now + 5)), now), None);
    }

    #[test]
    fn a_session_is_extended_at_most_once_an_hour() {
        let now = 1_000_000_000;
        let set_at = |ago: i64| now - ago + SESSION_LIFETIME_SECS;
        // Used 30 s ago, expiry set 59 min ago: nothing to write.
        assert_eq!(
            plan_touch(&session(set_at(3599), Some(now - 30)), now),
            None
        );
        // Used 2 min ago, expiry set 59 min ago: last_used only.
        assert_eq!(
            plan_touch(&session(set_at(3599), Some(now - 120)), now),
            Some(Touch {
                last_used_at: now,
                extend_to: None
            })
        );
        // Expiry set an hour ago: extended a year from now.
        assert_eq!(
            plan_touch(&session(set_at(3600), Some(now - 10)), now),
            Some(Touch {
                last_used_at: now,
                extend_to: Some(now + SESSION_LIFETIME_SECS)
            })
        );
    }
}
