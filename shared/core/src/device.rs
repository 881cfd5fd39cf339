//! The OAuth 2.0 Device Authorization Grant (RFC 8628) that logs the `cnap`
//! CLI in: the CLI asks for a code, a signed-in user approves it in a
//! browser, the CLI's polling then yields a session token.
//!
//! - Device codes are 32 random base62 characters, stored only as SHA-256.
//! - User codes are 8 characters from 20 consonants (RFC 8628 §6.1: no
//!   vowels, no look-alikes), shown `XXXX-XXXX`, accepted in any case with
//!   or without the dash; about 34.6 bits, alive 10 minutes, single-use.
//! - Guessing is throttled: an approving user gets [`MAX_APPROVAL_MISSES`]
//!   unknown codes per [`MISS_WINDOW_SECS`], then 429 until the window ends.
//! - Polling faster than the interval answers `slow_down` and the interval
//!   grows by 5 s (RFC 8628 §3.5); a device code yields at most one session.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::audit::{AuditAction, AuditLog, AuditTarget, Author, Origin, TargetKind};
use crate::base62;
use crate::credential::{CredentialHash, Revealed, SessionToken};
use crate::ids::SessionId;
use crate::policy::{self, Action};
use crate::ports::{DeviceStore, StoreError};
use crate::principal::Principal;
use crate::records::{
    DeviceGrant, DeviceStatus, SESSION_LIFETIME_SECS, SessionClient, SessionRecord,
};

/// How long a device code and its user code live (RFC 8628 §3.2 `expires_in`).
pub const CODE_LIFETIME_SECS: i64 = 600;
/// The initial polling interval.
pub const POLL_INTERVAL_SECS: i64 = 5;
/// Added to the interval on each `slow_down`.
pub const SLOW_DOWN_STEP_SECS: i64 = 5;
/// Unknown user codes one approving user may submit per window.
pub const MAX_APPROVAL_MISSES: i64 = 5;
pub const MISS_WINDOW_SECS: i64 = 300;
/// `grant_type` of a device access token request (RFC 8628 §3.4).
pub const DEVICE_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:device_code";

const DEVICE_CODE_LEN: usize = 32;

pub use crate::ids::UserCode;

/// Settings of the device flow.
#[derive(Debug, Clone)]
pub struct DeviceConfig {
    /// Where people approve a code (`verification_uri`).
    pub verification_uri: String,
    /// `client_id`s that may start a login.
    pub client_ids: Vec<String>,
}

impl DeviceConfig {
    /// Whether the verification URI points at this machine: right for
    /// akua-local, a misconfiguration anywhere else (people would be told to
    /// approve their login at a page that is not there).
    pub fn is_loopback(&self) -> bool {
        url::Url::parse(&self.verification_uri).is_ok_and(|u| match u.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(d)) => d == "localhost",
            None => false,
        })
    }

    /// From the settings `AKUA_VERIFICATION_URI` (absent: the deployed
    /// stack's own dashboard, derived per request) and
    /// `AKUA_DEVICE_CLIENT_IDS` (comma-separated, absent: `cnap`), which the
    /// edge reads.
    pub fn from_settings(verification_uri: Option<String>, client_ids: Option<String>) -> Self {
        Self {
            verification_uri: verification_uri.unwrap_or_default(),
            client_ids: client_ids
                .unwrap_or_else(|| "cnap".to_owned())
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }
}

/// An RFC 6749 §5.2 / RFC 8628 §3.5 error: `{error, error_description}`,
/// answered with the status its [`OAuthCause`] maps to in `akua-http`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OAuthError {
    pub error: &'static str,
    #[schema(value_type = String)]
    pub error_description: Cow<'static, str>,
    #[serde(skip)]
    pub cause: OAuthCause,
}

/// Whose fault an OAuth error is, which picks its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OAuthCause {
    /// The client's request (RFC 6749 §5.2: 400).
    Request,
    /// A body over the limit every route shares.
    BodyTooLarge,
    /// The store is unavailable; retrying helps.
    Unavailable,
    /// A fault on our side.
    Internal,
}

impl OAuthError {
    const fn new(error: &'static str, error_description: &'static str) -> Self {
        Self {
            error,
            error_description: Cow::Borrowed(error_description),
            cause: OAuthCause::Request,
        }
    }

    /// `invalid_request` for a body over `limit` bytes.
    pub fn body_too_large(limit: usize) -> Self {
        Self {
            error: "invalid_request",
            error_description: Cow::Owned(format!("the body must be at most {limit} bytes")),
            cause: OAuthCause::BodyTooLarge,
        }
    }
    pub const INVALID_REQUEST: Self = Self::new(
        "invalid_request",
        "a required parameter is missing or malformed",
    );
    pub const INVALID_CLIENT: Self = Self::new("invalid_client", "unknown client_id");
    pub const INVALID_GRANT: Self = Self::new(
        "invalid_grant",
        "the device code is unknown or already used",
    );
    pub const UNSUPPORTED_GRANT_TYPE: Self = Self::new(
        "unsupported_grant_type",
        "grant_type must be urn:ietf:params:oauth:grant-type:device_code",
    );
    pub const AUTHORIZATION_PENDING: Self = Self::new(
        "authorization_pending",
        "the user has not approved the code yet",
    );
    pub const SLOW_DOWN: Self = Self::new(
        "slow_down",
        "polling too fast: wait the interval, now 5 s longer",
    );
    pub const ACCESS_DENIED: Self = Self::new("access_denied", "the user denied the request");
    pub const EXPIRED_TOKEN: Self =
        Self::new("expired_token", "the device code expired: start again");
    pub const TEMPORARILY_UNAVAILABLE: Self = Self {
        error: "temporarily_unavailable",
        error_description: Cow::Borrowed("the service is temporarily unavailable; retry shortly"),
        cause: OAuthCause::Unavailable,
    };
    pub const SERVER_ERROR: Self = Self {
        error: "server_error",
        error_description: Cow::Borrowed("internal error"),
        cause: OAuthCause::Internal,
    };
}

impl From<StoreError> for OAuthError {
    fn from(e: StoreError) -> Self {
        // The same judgement (and log line) as for the API's errors.
        if ApiError::from(e) == ApiError::Unavailable {
            Self::TEMPORARILY_UNAVAILABLE
        } else {
            Self::SERVER_ERROR
        }
    }
}

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceAuthorization {
    #[schema(value_type = String)]
    pub device_code: Revealed,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

/// The token response (RFC 8628 §3.5, RFC 6749 §5.1).
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AccessToken {
    /// The new 32-character session token.
    #[schema(value_type = String)]
    pub access_token: Revealed,
    pub token_type: String,
    pub expires_in: i64,
}

/// Parameters of a device request, from JSON or a form.
pub type Params = std::collections::HashMap<String, String>;

/// The body of `POST /v1/auth/device/code` (RFC 8628 §3.1), as a form or a
/// JSON object whose parameters are strings; other parameters are ignored.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceCodeRequest {
    /// A registered client (`cnap` unless the deployment says otherwise).
    #[schema(example = "cnap")]
    pub client_id: String,
    /// Ignored: a session carries the person's own rights.
    #[schema(nullable = false)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// The body of `POST /v1/auth/device/approve` and `…/deny`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = AnswerBody)]
#[serde(deny_unknown_fields)]
pub struct DeviceAnswerRequest {
    /// As shown to the user, `XXXX-XXXX`; any case, dash optional.
    pub user_code: String,
}

/// The body of `POST /v1/auth/device/token` (RFC 8628 §3.4), as a form or
/// a JSON object whose parameters are strings; other parameters are ignored.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceTokenRequest {
    /// Always `urn:ietf:params:oauth:grant-type:device_code`.
    #[schema(example = "urn:ietf:params:oauth:grant-type:device_code")]
    pub grant_type: String,
    /// The `device_code` of the device authorization.
    pub device_code: String,
    /// The client that started the login.
    #[schema(example = "cnap")]
    pub client_id: String,
}

fn param<'a>(params: &'a Params, name: &str) -> Option<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
}

/// `POST /v1/auth/device/code`.
pub async fn authorize(
    store: &impl DeviceStore,
    config: &DeviceConfig,
    params: &Params,
    origin: &Origin,
    now: i64,
) -> Result<DeviceAuthorization, OAuthError> {
    let client_id = param(params, "client_id").ok_or(OAuthError::INVALID_REQUEST)?;
    if !config.client_ids.iter().any(|c| c == client_id) {
        return Err(OAuthError::INVALID_CLIENT);
    }
    let scope = param(params, "scope").map(str::to_owned);
    if scope.as_ref().is_some_and(|s| s.len() > 1000) {
        return Err(OAuthError::INVALID_REQUEST);
    }
    // A user code collision is possible (34.6 bits); try a few fresh ones.
    for _ in 0..5 {
        let device_code = base62::random(DEVICE_CODE_LEN);
        let user_code = UserCode::generate();
        let grant = DeviceGrant {
            user_code: user_code.clone(),
            client_id: client_id.to_owned(),
            scope: scope.clone(),
            status: DeviceStatus::Pending,
            user_id: None,
            created_at: now,
            ip_address: origin.source_ip.clone(),
            user_agent: origin.user_agent.clone(),
            expires_at: now + CODE_LIFETIME_SECS,
            interval: POLL_INTERVAL_SECS,
            last_poll_at: None,
        };
        if store
            .create_device_grant(&CredentialHash::of(&device_code), &grant)
            .await?
        {
            let complete = format!(
                "{}{}user_code={}",
                config.verification_uri,
                if config.verification_uri.contains('?') {
                    '&'
                } else {
                    '?'
                },
                user_code.display()
            );
            return Ok(DeviceAuthorization {
                device_code: Revealed::new(&device_code),
                user_code: user_code.display(),
                verification_uri: config.verification_uri.clone(),
                verification_uri_complete: complete,
                expires_in: CODE_LIFETIME_SECS,
                interval: POLL_INTERVAL_SECS,
            });
        }
    }
    Err(OAuthError::SERVER_ERROR)
}

/// `POST /v1/auth/device/token`.
pub async fn token(
    store: &impl DeviceStore,
    params: &Params,
    now: i64,
) -> Result<AccessToken, OAuthError> {
    match param(params, "grant_type") {
        None => return Err(OAuthError::INVALID_REQUEST),
        Some(DEVICE_GRANT_TYPE) => {}
        Some(_) => return Err(OAuthError::UNSUPPORTED_GRANT_TYPE),
    }
    let device_code = param(params, "device_code").ok_or(OAuthError::INVALID_REQUEST)?;
    let client_id = param(params, "client_id").ok_or(OAuthError::INVALID_REQUEST)?;
    if device_code.len() != DEVICE_CODE_LEN || !base62::is_base62(device_code) {
        return Err(OAuthError::INVALID_GRANT);
    }
    let hash = CredentialHash::of(device_code);
    let grant = store
        .device_grant(&hash)
        .await?
        .ok_or(OAuthError::INVALID_GRANT)?;
    if grant.client_id != client_id {
        return Err(OAuthError::INVALID_GRANT);
    }
    if grant.expires_at <= now {
        return Err(OAuthError::EXPIRED_TOKEN);
    }
    match grant.status {
        DeviceStatus::Denied => Err(OAuthError::ACCESS_DENIED),
        DeviceStatus::Pending => {
            let too_fast = grant
                .last_poll_at
                .is_some_and(|at| now - at < grant.interval);
            let interval = if too_fast {
                grant.interval + SLOW_DOWN_STEP_SECS
            } else {
                grant.interval
            };
            store.record_poll(&hash, now, interval).await?;
            Err(if too_fast {
                OAuthError::SLOW_DOWN
            } else {
                OAuthError::AUTHORIZATION_PENDING
            })
        }
        DeviceStatus::Approved => {
            let user_id = grant.user_id.ok_or(OAuthError::SERVER_ERROR)?;
            let token = SessionToken::generate();
            let session = SessionRecord {
                id: SessionId::generate(),
                user_id,
                client: SessionClient::Cli,
                created_at: now,
                expires_at: now + SESSION_LIFETIME_SECS,
                last_used_at: None,
                absolute_expires_at: None,
                signed_in_at: None,
            };
            if !store
                .redeem_device_grant(&hash, &token.hash(), &session)
                .await?
            {
                // Redeemed by a concurrent poll: at most one session per code.
                return Err(OAuthError::INVALID_GRANT);
            }
            Ok(AccessToken {
                access_token: Revealed::new(token.expose()),
                token_type: "Bearer".into(),
                expires_in: SESSION_LIFETIME_SECS,
            })
        }
    }
}

fn too_many_guesses() -> ApiError {
    ApiError::TooManyRequests("too many unknown codes: wait a few minutes".into())
}

/// A pending login as the person approving it sees it before answering.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PendingLogin {
    pub user_code: String,
    /// The client that asked (`cnap`): what the request says, so anyone's.
    pub client_id: String,
    #[schema(required = true)]
    pub scope: Option<String>,
    /// When the login was asked for (Unix seconds).
    pub requested_at: i64,
    /// The address it was asked from, as API Gateway saw it.
    #[schema(required = true)]
    pub ip_address: Option<String>,
    /// The asking program's `User-Agent` (`cnap/0.1.0 (linux; x86_64)`).
    #[schema(required = true)]
    pub user_agent: Option<String>,
    pub expires_at: i64,
}

/// The live grant a user code names. Unknown codes count against the
/// person's guess budget, whether they look a code up or answer it, so
/// neither can be used to search the code space.
async fn find_pending(
    store: &impl DeviceStore,
    user: &crate::ids::UserId,
    user_code: &str,
    now: i64,
) -> Result<(UserCode, CredentialHash, DeviceGrant), ApiError> {
    let window = now - now.rem_euclid(MISS_WINDOW_SECS);
    if store.approval_misses(user, window).await? >= MAX_APPROVAL_MISSES {
        return Err(too_many_guesses());
    }
    let code = UserCode::parse(user_code);
    let grant_hash = match &code {
        Some(code) => store.device_by_user_code(code, now).await?,
        None => None,
    };
    let grant = match &grant_hash {
        Some(hash) => store.device_grant(hash).await?,
        None => None,
    };
    match (code, grant_hash, grant) {
        (Some(code), Some(hash), Some(grant)) => Ok((code, hash, grant)),
        _ => {
            let counted = store
                .count_approval_miss(user, window, window + MISS_WINDOW_SECS, MAX_APPROVAL_MISSES)
                .await?;
            Err(if counted {
                ApiError::NotFound("user code")
            } else {
                too_many_guesses()
            })
        }
    }
}

/// `GET /v1/auth/device/pending?user_code=`: which client asks, so the
/// person can check it before approving.
pub async fn pending(
    store: &impl DeviceStore,
    caller: &Principal,
    user_code: &str,
    now: i64,
) -> Result<PendingLogin, ApiError> {
    let user = policy::require_person(caller, Action::AnswerDeviceLogin)?;
    let (code, _, grant) = find_pending(store, user, user_code, now).await?;
    Ok(PendingLogin {
        user_code: code.display(),
        client_id: grant.client_id,
        scope: grant.scope,
        requested_at: grant.created_at,
        ip_address: grant.ip_address,
        user_agent: grant.user_agent,
        expires_at: grant.expires_at,
    })
}

/// `POST /v1/auth/device/approve` and `/deny`: the signed-in user's answer.
pub async fn answer(
    store: &impl DeviceStore,
    caller: &Principal,
    origin: &Origin,
    user_code: &str,
    approve: bool,
    now: i64,
) -> Result<(), ApiError> {
    let user = policy::require_person(caller, Action::AnswerDeviceLogin)?;
    let (code, hash, grant) = find_pending(store, user, user_code, now).await?;
    let action = if approve {
        AuditAction::DeviceApproved
    } else {
        AuditAction::DeviceDenied
    };
    // The requesting client names the event (the code itself is a
    // short-lived secret and is not recorded).
    let audit = [Author::of(caller, origin).event(
        AuditLog::User(user.clone()),
        action,
        AuditTarget::new(TargetKind::DeviceLogin, grant.client_id),
        now,
    )];
    if !store
        .answer_device_grant(&hash, &code, approve, user, now, &audit)
        .await?
    {
        return Err(ApiError::Conflict("this code was already used".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_verification_uri_is_recognised() {
        let config = |uri: &str| DeviceConfig {
            verification_uri: uri.into(),
            client_ids: vec!["cnap".into()],
        };
        for uri in [
            "http://127.0.0.1:8787/device",
            "http://localhost/x",
            "http://[::1]:1/d",
        ] {
            assert!(config(uri).is_loopback(), "{uri}");
        }
        for uri in ["https://auth.example.com/dashboard/device", ""] {
            assert!(!config(uri).is_loopback(), "{uri}");
        }
    }
}
