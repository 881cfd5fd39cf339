//! The calling session: status, refresh, logout; a person's sessions, listed
//! and ended one by one or all but the current one (a stolen session can
//! approve another device login, so its owner must be able to see and end
//! it); and `whoami` for any credential (DESIGN §1: sessions last a year
//! from last use).

use serde::{Deserialize, Serialize};

use crate::api_error::{ApiError, Refusal};
use crate::audit::{AuditAction, AuditEvent, AuditLog, AuditTarget, Author, Origin, TargetKind};
use crate::credential::{Jwt, Revealed};
use crate::ids::{Role, SessionId, UserId};
use crate::jwt::{JwtError, JwtVerifier};
use crate::paging::{MAX_PAGE, Page, PageRequest};
use crate::policy::{self, Action};
use crate::ports::{CredentialStore, Touch, TouchOutcome};
use crate::principal::{CredentialKind, Person, PersonCredential, Principal};
use crate::records::{CredentialPointer, SessionClient, SessionRecord, StoredCredential};
use crate::revocation::{self, Kind};
use crate::sign_in::SignIn;
use crate::sudo::SudoWindow;
use aws_lc_rs::constant_time::verify_slices_are_equal;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    #[schema(required = true)]
    pub last_used_at: Option<i64>,
    /// When its person last signed in at the browser (a dashboard
    /// session; sudo mode); null for a CLI session or when unknown.
    #[schema(required = true)]
    #[serde(default)]
    pub signed_in_at: Option<i64>,
}

impl From<SessionRecord> for SessionView {
    fn from(s: SessionRecord) -> Self {
        Self {
            expires_at: s.ends_at(),
            id: s.id.into(),
            user_id: s.user_id.into(),
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            signed_in_at: s.signed_in_at,
        }
    }
}

/// What a browser may send with a sign-in: the OpenID Connect ID token of
/// the same sign-in and the nonce its request carried. Read only where the
/// identity provider leaves `auth_time` out of access tokens; an ID token
/// has it whenever `max_age` was asked (OIDC Core §3.1.2.1).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInEvidence {
    /// The ID token, issued to this deployment's dashboard (`OidcClientId`).
    #[schema(value_type = String, max_length = 4096)]
    pub id_token: Revealed,
    /// The secret behind the sign-in request's nonce: the request carried
    /// its SHA-256 (base64url), and so must the ID token.
    #[schema(value_type = String, max_length = 256)]
    pub nonce: Revealed,
}

/// The `nonce` a sign-in request carries for `secret`: its SHA-256,
/// base64url without padding. The secret never leaves the browser until it
/// is sent here with the ID token, so a copied ID token (which shows the
/// hash) proves nothing without it.
pub fn nonce_of(secret: &str) -> String {
    use base64::Engine as _;
    use sha2::{Digest, Sha256};
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}

/// When the caller (a sign-in JWT) signed in, for sudo mode: the access
/// token's `auth_time`, else that of the ID token sent with it, verified
/// against the issuer's keys for the dashboard's client id, for the same
/// subject, carrying the nonce of the secret sent beside it ([`nonce_of`]:
/// a copied ID token is useless without the secret only its browser
/// holds). Never `iat`.
pub async fn sign_in_of(
    caller: &Principal,
    evidence: Option<&SignInEvidence>,
    id_tokens: Option<&JwtVerifier>,
    now: i64,
) -> Result<SignIn, ApiError> {
    let from_access_token = caller.sign_in();
    let invalid = || {
        ApiError::validation(
            "oidc.id_token",
            "not an ID token of this sign-in: its issuer, audience, subject and nonce must match",
        )
    };
    let (SignIn::Unknown | SignIn::Machine, Some(evidence), Some(verifier)) =
        (from_access_token, evidence, id_tokens)
    else {
        return Ok(from_access_token);
    };
    let (id_token, nonce) = (evidence.id_token.expose(), evidence.nonce.expose());
    let jwt = Jwt::parse(id_token).map_err(|_| invalid())?;
    let verified = match verifier.verify(&jwt, now).await {
        Ok(verified) => verified,
        Err(JwtError::KeysUnavailable(_)) => return Err(ApiError::Unavailable),
        Err(JwtError::Invalid(_)) => return Err(invalid()),
    };
    let expected = nonce_of(nonce);
    let same_nonce = verified
        .nonce
        .as_deref()
        .is_some_and(|n| verify_slices_are_equal(n.as_bytes(), expected.as_bytes()).is_ok());
    if Some(&verified.user_id) != caller.user_id() || !same_nonce {
        return Err(invalid());
    }
    Ok(verified.auth_time.map_or(from_access_token, SignIn::At))
}

/// `POST /v1/auth/sessions`' body: all of it optional.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartSessionRequest {
    /// The sign-in's ID token and nonce, where its access token has no `auth_time`.
    #[serde(default)]
    pub oidc: Option<SignInEvidence>,
}

/// `POST /v1/auth/session/reauthenticate`'s body.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReauthenticateRequest {
    /// The dashboard session to renew: its token, as `POST /v1/auth/sessions` gave it.
    #[schema(value_type = String, min_length = 32, max_length = 32)]
    pub session_token: Revealed,
    /// The fresh sign-in's ID token and nonce, where its access token has no `auth_time`.
    #[serde(default)]
    pub oidc: Option<SignInEvidence>,
}

/// Renews a dashboard session's sign-in time from a fresh sign-in (sudo
/// mode): the caller is the identity provider's JWT from signing in again
/// (`max_age`), for the same person as the session. The session keeps its
/// id, its limits and its place in every list: no second session is
/// minted. The JWT must carry a recent `auth_time`, or renewing would
/// prove nothing.
pub async fn reauthenticate(
    store: &impl CredentialStore,
    caller: &Principal,
    origin: &Origin,
    sign_in: SignIn,
    request: &ReauthenticateRequest,
    window: SudoWindow,
    now: i64,
) -> Result<SessionView, ApiError> {
    let user = policy::require_person(caller, Action::StartDashboardSession)?;
    match (caller.kind(), sign_in) {
        (CredentialKind::Jwt, SignIn::At(at)) if window.is_recent(at, now) => {
            let token = crate::credential::SessionToken::parse(request.session_token.expose())
                .map_err(|_| ApiError::validation("session_token", "not a session token"))?;
            let hash = token.hash();
            let not_found = || ApiError::NotFound("session");
            let Some(StoredCredential::Session(mut record)) = store.credential(&hash).await? else {
                return Err(not_found());
            };
            // Another person's session, a CLI session (it never signs in
            // at a browser) or an ended one: as if it did not exist.
            if &record.user_id != user
                || record.client != SessionClient::Dashboard
                || record.ends_at() <= now
            {
                return Err(not_found());
            }
            let audit = [Author::of(caller, origin)
                .event(
                    AuditLog::User(user.clone()),
                    AuditAction::SessionReauthenticated,
                    AuditTarget::new(TargetKind::Session, &record.id),
                    now,
                )
                .with_detail("client=dashboard")];
            // Recent, so at most the leeway ahead: never past now.
            let at = at.min(now);
            match store.renew_sign_in(&hash, at, &audit, now).await? {
                TouchOutcome::Gone => Err(not_found()),
                TouchOutcome::Applied => {
                    record.signed_in_at = Some(at);
                    Ok(record.into())
                }
            }
        }
        (CredentialKind::Jwt, SignIn::At(_) | SignIn::Unknown) => {
            Err(ApiError::ReauthenticationRequired {
                max_age: window.secs(),
            })
        }
        (CredentialKind::Jwt, SignIn::Machine) => Err(ApiError::Forbidden(
            Refusal::WrongCredential,
            "the sign-in's token carries no auth_time: the identity provider must include it for sudo mode".into(),
        )),
        (
            CredentialKind::Session | CredentialKind::ApiToken | CredentialKind::MultiWorkspaceToken,
            _,
        ) => Err(ApiError::Forbidden(
            Refusal::WrongCredential,
            "a session's sign-in is renewed by signing in again: send the identity provider's fresh JWT".into(),
        )),
    }
}

/// The credential as the authorizer resolved it (null where not applicable).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Whoami {
    pub credential: CredentialKind,
    #[schema(required = true)]
    pub user_id: Option<String>,
    #[schema(required = true)]
    pub workspace_id: Option<String>,
    #[schema(required = true)]
    pub role: Option<Role>,
    #[schema(required = true)]
    pub token_id: Option<String>,
    #[schema(required = true)]
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

/// The caller's session: its pointer and its item. Not a session → 400;
/// gone since the authorizer's read (logged out concurrently) → 401.
async fn current(
    store: &impl CredentialStore,
    caller: &Principal,
) -> Result<(CredentialPointer, SessionRecord), ApiError> {
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
        Some(StoredCredential::Session(record)) => Ok((pointer, record)),
        Some(StoredCredential::ApiToken(_) | StoredCredential::MultiWorkspaceToken(_)) | None => {
            Err(ApiError::Unauthorized)
        }
    }
}

pub async fn status(
    store: &impl CredentialStore,
    caller: &Principal,
    now: i64,
) -> Result<SessionView, ApiError> {
    let (_, record) = current(store, caller).await?;
    if record.ends_at() <= now {
        return Err(ApiError::Unauthorized);
    }
    Ok(record.into())
}

/// Extends the session to its lifetime from now (a year; 12 hours for
/// the dashboard, never past its absolute limit).
pub async fn refresh(
    store: &impl CredentialStore,
    caller: &Principal,
    now: i64,
) -> Result<SessionView, ApiError> {
    let (pointer, mut record) = current(store, caller).await?;
    let lifetime = record.client.lifetime_secs();
    let to = record
        .absolute_expires_at
        .map_or(now + lifetime, |end| end.min(now + lifetime));
    let touch = Touch {
        last_used_at: now,
        extend_to: Some(to),
    };
    match store.touch(&pointer.hash, touch, now).await? {
        TouchOutcome::Gone => Err(ApiError::Unauthorized),
        TouchOutcome::Applied => {
            record.expires_at = to;
            record.last_used_at = Some(now);
            Ok(record.into())
        }
    }
}

/// Deletes the session: it fails on the very next request.
pub async fn logout(
    store: &impl CredentialStore,
    caller: &Principal,
    origin: &Origin,
    now: i64,
) -> Result<(), ApiError> {
    let (pointer, record) = current(store, caller).await?;
    let audit = [session_revoked(caller, origin, &record, now).with_detail("logout")];
    let id = record.id.as_str();
    // Ended meanwhile (another logout, or from the sessions list): as if
    // that had come first, this credential no longer authenticates.
    if revocation::revoke(store, id, Kind::Secret, pointer, |_| true, &audit).await? {
        Ok(())
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// The `session.revoked` event of ending `session`, in its person's log.
fn session_revoked(
    caller: &Principal,
    origin: &Origin,
    session: &SessionRecord,
    now: i64,
) -> AuditEvent {
    Author::of(caller, origin).event(
        AuditLog::User(session.user_id.clone()),
        AuditAction::SessionRevoked,
        AuditTarget::new(TargetKind::Session, &session.id),
        now,
    )
}

/// `POST /v1/auth/sessions`: the one answer that carries a dashboard
/// session's token.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreatedSession {
    /// `ses_…`
    pub id: String,
    #[schema(value_type = String)]
    pub token: crate::credential::Revealed,
    pub client: SessionClient,
    pub created_at: i64,
    /// 12 hours after the last use (sliding).
    pub expires_at: i64,
}

/// How long dashboard sessions may last (`AKUA_DASHBOARD_ABSOLUTE_SECS`,
/// read by the edge): a session keeps the limit it started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSettings {
    /// A dashboard session ends this long after its sign-in.
    pub dashboard_absolute_secs: i64,
}

impl SessionSettings {
    /// The bounds of the setting: at least an hour (a shorter one would end
    /// a session within its own idle time), at most 30 days.
    pub const ABSOLUTE_BOUNDS: (i64, i64) = (3600, 30 * 24 * 3600);

    /// From the setting's text; absent: 7 days.
    pub fn from_setting(absolute_secs: Option<&str>) -> Result<Self, String> {
        crate::clock::seconds_setting(
            "AKUA_DASHBOARD_ABSOLUTE_SECS",
            absolute_secs,
            Self::ABSOLUTE_BOUNDS,
            crate::records::DASHBOARD_SESSION_ABSOLUTE_SECS,
        )
        .map(|dashboard_absolute_secs| Self {
            dashboard_absolute_secs,
        })
    }
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            dashboard_absolute_secs: crate::records::DASHBOARD_SESSION_ABSOLUTE_SECS,
        }
    }
}

/// `POST /v1/auth/sessions`: exchanges an identity provider's JWT (a
/// browser's sign-in) for a dashboard session, a broad credential that
/// expires after 12 hours without use. Only from a JWT: a session cannot
/// mint another, so a stolen one cannot outlive its revocation.
pub async fn start_dashboard(
    store: &impl CredentialStore,
    caller: &Principal,
    sign_in: SignIn,
    origin: &Origin,
    settings: &SessionSettings,
    now: i64,
) -> Result<CreatedSession, ApiError> {
    let user = policy::require_person(caller, Action::StartDashboardSession)?;
    if caller.kind() != CredentialKind::Jwt {
        return Err(ApiError::Forbidden(
            Refusal::WrongCredential,
            "a dashboard session is started from a sign-in (an identity provider's JWT), not from a session"
                .into(),
        ));
    }
    let id = crate::ids::SessionId::generate();
    let audit = [Author::of(caller, origin)
        .event(
            AuditLog::User(user.clone()),
            AuditAction::SessionCreated,
            AuditTarget::new(TargetKind::Session, &id),
            now,
        )
        .with_detail("client=dashboard")];
    let (token, record) = crate::issue::session_with_id(
        store,
        id,
        user.clone(),
        SessionClient::Dashboard,
        crate::issue::SessionStart {
            absolute_secs: Some(settings.dashboard_absolute_secs),
            // The JWT's `auth_time`: the sign-in this session stands for.
            // Without one the session is never recent (sudo mode).
            // A time ahead of our clock (within the leeway) is taken as
            // now, so skew never stretches the window; further ahead, as
            // no time at all.
            signed_in_at: match sign_in {
                SignIn::At(at) if at <= now.saturating_add(SudoWindow::LEEWAY_SECS) => {
                    Some(at.min(now))
                }
                SignIn::At(_) => None,
                SignIn::Unknown | SignIn::Machine => None,
            },
        },
        &audit,
        now,
    )
    .await?;
    Ok(CreatedSession {
        id: record.id.into(),
        token: crate::credential::Revealed::new(token.expose()),
        client: record.client,
        created_at: record.created_at,
        expires_at: record.expires_at,
    })
}

/// One of a person's sessions as listed: never the secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionSummary {
    pub id: String,
    pub client: SessionClient,
    pub created_at: i64,
    #[schema(required = true)]
    pub last_used_at: Option<i64>,
    /// When it ends unless used again (never past `absolute_expires_at`).
    pub expires_at: i64,
    /// When it ends whatever its use: a dashboard session 7 days after it
    /// was created; null for a CLI session (a year from its last use).
    #[schema(required = true)]
    pub absolute_expires_at: Option<i64>,
    /// The session making this request.
    pub current: bool,
}

/// `DELETE /v1/auth/sessions`: how many sessions were ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Ended {
    pub revoked: usize,
}

/// The session id of the caller, if the caller is a session.
fn current_id(caller: &Principal) -> Option<&SessionId> {
    match caller.person()?.credential {
        PersonCredential::Session(ref id) => Some(id),
        PersonCredential::Jwt => None,
    }
}

/// A cursor of one person's session list is bound to that person.
fn list_scope(user: &UserId) -> String {
    format!("sessions:{user}")
}

/// `GET /v1/auth/sessions`: the caller's sessions, newest first. Expired
/// sessions TTL has not deleted yet are not shown (DESIGN §1).
pub async fn list(
    store: &impl CredentialStore,
    caller: &Principal,
    page: &PageRequest,
    now: i64,
) -> Result<Page<SessionSummary>, ApiError> {
    let user = policy::require_person(caller, Action::ListSessions)?;
    let scope = list_scope(user);
    let after = page.after(&scope)?;
    let listed = store
        .list_user_sessions(user, page.limit, after.as_deref())
        .await?;
    let current = current_id(caller);
    let shown = listed.into_page(&scope, |s| SessionSummary {
        current: Some(&s.id) == current,
        expires_at: s.ends_at(),
        absolute_expires_at: s.absolute_expires_at,
        id: s.id.into(),
        client: s.client,
        created_at: s.created_at,
        last_used_at: s.last_used_at,
    });
    Ok(shown.live(|s| Some(s.expires_at), now))
}

/// `DELETE /v1/auth/sessions/{id}`: ends one of the caller's sessions (the
/// current one too). Another person's session, an unknown id and a
/// malformed one are the same 404.
pub async fn revoke(
    store: &impl CredentialStore,
    caller: &Principal,
    origin: &Origin,
    id: &str,
    now: i64,
) -> Result<(), ApiError> {
    let user = policy::require_person(caller, Action::EndSession)?;
    let not_found = || ApiError::NotFound("session");
    let id = SessionId::parse(id).map_err(|_| not_found())?;
    let (read, session) = match revocation::named(store, id.as_str()).await? {
        Some((read, StoredCredential::Session(s))) if s.user_id == *user => (read, s),
        // Someone else's session is as unknown as no session.
        Some((
            _,
            StoredCredential::Session(_)
            | StoredCredential::ApiToken(_)
            | StoredCredential::MultiWorkspaceToken(_),
        ))
        | None => return Err(not_found()),
    };
    let audit = [session_revoked(caller, origin, &session, now)];
    revocation::revoke_named(store, id.as_str(), Kind::Secret, read, &audit, not_found()).await
}

/// `DELETE /v1/auth/sessions`: ends every session of the caller but the
/// current one (all of them for a JWT caller, which has none).
pub async fn revoke_others(
    store: &impl CredentialStore,
    caller: &Principal,
    origin: &Origin,
    now: i64,
) -> Result<Ended, ApiError> {
    let user = policy::require_person(caller, Action::EndSession)?;
    let current = current_id(caller);
    let mut revoked = 0;
    let mut after: Option<String> = None;
    loop {
        let listed = store
            .list_user_sessions(user, MAX_PAGE, after.as_deref())
            .await?;
        for (session, _) in &listed.rows {
            if Some(&session.id) == current {
                continue;
            }
            let id = session.id.as_str();
            // Gone meanwhile (logged out, swept): nothing to end.
            let audit = [session_revoked(caller, origin, session, now)];
            if let Some(pointer) = store.pointer(id).await?
                && revocation::revoke(store, id, Kind::Secret, pointer, |_| true, &audit).await?
            {
                revoked += 1;
            }
        }
        match (listed.has_more, listed.rows.last()) {
            (true, Some((_, key))) => after = Some(key.clone()),
            _ => break,
        }
    }
    Ok(Ended { revoked })
}

crate::named_list!(
    /// A page of the caller's sessions, newest first.
    SessionList of SessionSummary
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_absolute_limit_setting_is_bounded() {
        assert_eq!(
            SessionSettings::from_setting(None),
            Ok(SessionSettings::default())
        );
        assert_eq!(
            SessionSettings::from_setting(Some("86400")).map(|s| s.dashboard_absolute_secs),
            Ok(86_400)
        );
        for bad in ["3599", "2592001", "a week", "-1"] {
            assert!(SessionSettings::from_setting(Some(bad)).is_err(), "{bad}");
        }
    }

    /// R13: the secrets a renewal carries never print.
    #[test]
    fn a_renewal_s_secrets_never_reach_debug_output() {
        let request: ReauthenticateRequest = serde_json::from_value(serde_json::json!({
            "session_token": "SessionSecretSessionSecret123456",
            "oidc": {"id_token": "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln", "nonce": "NonceSecret"},
        }))
        .unwrap();
        let printed = format!("{request:?}");
        for secret in ["SessionSecret", "eyJ", "NonceSecret"] {
            assert!(!printed.contains(secret), "{printed}");
        }
    }
}
