//! Sessions for the `cnap` CLI:
//!
//! | route | auth | success | refusals |
//! |---|---|---|---|
//! | `POST /v1/auth/device/code` | public | 200 RFC 8628 §3.2 | 400 `invalid_request`/`invalid_client`, 413 over 16 KiB |
//! | `POST /v1/auth/device/token` | public | 200 `{access_token, token_type, expires_in}` | 400 RFC 8628 §3.5 errors, 413 over 16 KiB |
//! | `POST /v1/auth/device/approve`, `/deny` | session or JWT (approve: a person at a browser, recent sign-in) | 200 | 401 `reauthentication_required`, 403 API token, CLI session or JWT without `auth_time` (approve), 404 unknown code, 409 used, 429 guessing |
//! | `GET /v1/auth/session` | session | 200 | 400 not a session |
//! | `POST /v1/auth/session/refresh` | session | 200 | 400 not a session |
//! | `POST /v1/auth/session/reauthenticate` | JWT (a fresh sign-in) | 200 the session, its sign-in renewed | 401 `reauthentication_required`, 403 not a JWT or no `auth_time`, 404 no such dashboard session, 422 |
//! | `DELETE /v1/auth/session` | session | 204 | 400 not a session |
//! | `GET /v1/auth/sessions?limit=&cursor=` | person | 200 page, newest first | 400 bad cursor, 403 API token |
//! | `GET /v1/auth/device/pending?user_code=` | person | 200 `{user_code, client_id, scope, expires_at}` | 404 unknown code, 429 too many guesses |
//! | `POST /v1/auth/sessions` | JWT (a sign-in) | 201 `{id, token, client, created_at, expires_at}`: a dashboard session, 12 h sliding | 403 API token or session |
//! | `DELETE /v1/auth/sessions` | person, recent sign-in | 200 `{revoked}`: all but the current one ended | 401 `reauthentication_required`, 403 API token |
//! | `DELETE /v1/auth/sessions/{id}` | person, recent sign-in | 204 | 401 `reauthentication_required`, 403 API token, 404 unknown or another person's |
//! | `GET /v1/auth/whoami` | any | 200 | — |
//! | `POST /v1/oauth/revoke` | public: the secret itself (RFC 7009) | 200, whether or not it named a live credential | 400 `invalid_request` (no `token`), 413 over 16 KiB |
//! | `POST /v1/oauth/introspect` | a manager of the workspace (RFC 7662) | 200 `{"active": false}` or the credential in that workspace | 400 `invalid_request`, 403 role, 413 |
//!
//! The device endpoints and holder revocation speak OAuth (`{error,
//! error_description}`, form or JSON bodies); the others use the API's error
//! envelope.

#![cfg_attr(not(test), warn(clippy::wildcard_enum_match_arm))]

use akua_core::ApiError;
use akua_core::api_error::ErrorBody;
use akua_core::clock;
use akua_core::device::{
    self, AccessToken, DeviceAnswerRequest, DeviceAuthorization, DeviceCodeRequest, DeviceConfig,
    DeviceTokenRequest, OAuthError, PendingLogin,
};
use akua_core::holder;
use akua_core::introspection::{self, Introspection};
use akua_core::routes::SessionsOp;
use std::sync::Arc;

use akua_core::WorkspaceId;
use akua_core::jwt::JwtVerifier;
use akua_core::sessions::{
    self, CreatedSession, Ended, ReauthenticateRequest, SessionList, SessionSettings, SessionView,
    StartSessionRequest, Whoami,
};
use akua_core::sudo::SudoWindow;
use akua_http::{
    Caller, IamCaller, JsonBody, ListQuery, OAuth, OptionalJsonBody, PageParams, PublicBase,
    RequestOrigin, Result, Secret,
};
use akua_store::DynamoStore;
use axum::extract::{FromRef, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::on;
use axum::{Json, Router};
use serde::Deserialize;

mod oauth_params;
use oauth_params::{OAuthParams, TokenParam};

#[derive(Clone)]
pub struct AppState {
    pub store: DynamoStore,
    pub device: DeviceConfig,
    pub sessions: SessionSettings,
    /// How recent a sign-in the sensitive actions need (sudo mode).
    pub sudo: SudoWindow,
    /// Verifies the dashboard's ID tokens (issuer's keys, `OidcClientId`
    /// as audience), for a sign-in time the access token leaves out. `None`
    /// when the deployment names no dashboard client.
    pub id_tokens: Option<Arc<JwtVerifier>>,
    /// Whether `POST /v1/platform/introspect` answers (the template's
    /// `PlatformIntrospection`); otherwise it is a 404.
    pub platform_introspection: bool,
}

impl FromRef<AppState> for DynamoStore {
    fn from_ref(state: &AppState) -> DynamoStore {
        state.store.clone()
    }
}

/// Start a device login (RFC 8628 §3.1). Form or JSON body: `client_id`, optional `scope`.
#[utoipa::path(post, path = "/v1/auth/device/code", operation_id = "auth.device.code", tag = "Sessions",
    request_body(content((DeviceCodeRequest = "application/x-www-form-urlencoded"), (DeviceCodeRequest = "application/json"))),
    responses((status = 200, description = "Device authorization", body = DeviceAuthorization), (status = 400, description = "invalid_request or invalid_client", body = OAuthError), (status = 413, description = "invalid_request: a body over 16 KiB", body = OAuthError)))]
async fn device_code(
    State(state): State<AppState>,
    PublicBase(base): PublicBase,
    RequestOrigin(origin): RequestOrigin,
    OAuthParams(params): OAuthParams,
) -> Response {
    // Unset: the stack's own dashboard, on the domain this request used.
    let mut config = state.device.clone();
    if config.verification_uri.is_empty()
        && let Some(base) = base
    {
        config.verification_uri = format!("{base}/dashboard/device");
    }
    match device::authorize(&state.store, &config, &params, &origin, clock::now()).await {
        Ok(authorization) => Secret::ok(authorization).into_response(),
        Err(e) => OAuth(e).into_response(),
    }
}

/// Poll for the session token (RFC 8628 §3.4). Form or JSON body: `grant_type`, `device_code`, `client_id`.
#[utoipa::path(post, path = "/v1/auth/device/token", operation_id = "auth.device.token", tag = "Sessions",
    request_body(content((DeviceTokenRequest = "application/x-www-form-urlencoded"), (DeviceTokenRequest = "application/json"))),
    responses((status = 200, description = "The new session token", body = AccessToken),
        (status = 400, description = "authorization_pending, slow_down, access_denied, expired_token, invalid_grant, invalid_request, unsupported_grant_type", body = OAuthError),
        (status = 413, description = "invalid_request: a body over 16 KiB", body = OAuthError)))]
async fn device_token(
    State(store): State<DynamoStore>,
    OAuthParams(params): OAuthParams,
) -> Response {
    match device::token(&store, &params, clock::now()).await {
        Ok(token) => Secret::ok(token).into_response(),
        Err(e) => OAuth(e).into_response(),
    }
}

/// `POST /v1/oauth/revoke`'s form (RFC 7009 §2.1), as documented; the
/// handler reads it with the device endpoints' parameter reader. Its
/// `Debug` never shows the secret.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct RevocationForm {
    /// The secret to end: an API token (`sk_akua_…`) or a session token.
    #[schema(value_type = String, min_length = 1)]
    pub token: akua_core::Revealed,
    /// Accepted and not needed: a secret's shape says what it is.
    #[serde(default)]
    #[schema(example = "access_token")]
    pub token_type_hint: String,
}

/// Revoke a credential by its secret, with no other credential (RFC 7009):
/// whoever holds a token may end it, as for a leaked token found in a log.
/// Always `200` when the request is well formed, whether or not the secret
/// named a live credential (no oracle). API tokens (either secret of a
/// roll), multi-workspace tokens and sessions; audited with the actor
/// `holder`.
#[utoipa::path(post, path = "/v1/oauth/revoke", operation_id = "oauth.revoke", tag = "Sessions",
    request_body(content((RevocationForm = "application/x-www-form-urlencoded"), (RevocationForm = "application/json"))),
    responses((status = 200, description = "Revoked, or nothing live had that secret"),
        (status = 400, description = "invalid_request: no `token`, or a body neither a form nor JSON", body = OAuthError),
        (status = 413, description = "invalid_request: a body over 16 KiB", body = OAuthError),
        (status = 503, description = "temporarily_unavailable: the store is unavailable; retry", body = OAuthError)))]
async fn holder_revoke(
    State(store): State<DynamoStore>,
    RequestOrigin(origin): RequestOrigin,
    TokenParam(request, _): TokenParam,
) -> Response {
    match holder::revoke(&store, request.token.expose(), &origin, clock::now()).await {
        Ok(_) => StatusCode::OK.into_response(),
        // A store that failed, or a credential that kept changing while it
        // was revoked: retrying helps.
        Err(ApiError::Unavailable | ApiError::Conflict(_)) => {
            OAuth(OAuthError::TEMPORARILY_UNAVAILABLE).into_response()
        }
        Err(
            ApiError::BadRequest(_)
            | ApiError::Unauthorized
            | ApiError::ReauthenticationRequired { .. }
            | ApiError::Forbidden(..)
            | ApiError::InsufficientPermission(_)
            | ApiError::UnmappedRoute
            | ApiError::IpNotAllowed
            | ApiError::NotFound(_)
            | ApiError::MethodNotAllowed
            | ApiError::PayloadTooLarge(_)
            | ApiError::Validation { .. }
            | ApiError::TooManyRequests(_)
            | ApiError::Internal,
        ) => OAuth(OAuthError::SERVER_ERROR).into_response(),
    }
}

/// `POST /v1/oauth/introspect`'s form (RFC 7662 §2.1), as documented.
/// Its `Debug` never shows the secret.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct IntrospectionForm {
    /// The credential asked about: an API token (`sk_akua_…`) or a
    /// session token.
    #[schema(value_type = String, min_length = 1)]
    pub token: akua_core::Revealed,
    /// Accepted and not needed: a secret's shape says what it is.
    #[serde(default)]
    #[schema(example = "access_token")]
    pub token_type_hint: String,
}

/// Is this credential good in my workspace (RFC 7662)? For services not
/// behind API Gateway. The caller is a manager of its workspace (a person
/// with `Akua-Context`, or a token holding `api_tokens:introspect`); the
/// answer covers that workspace only, and anything else (unknown, revoked,
/// expired, another workspace's, a JWT) is exactly `{"active": false}`.
#[utoipa::path(post, path = "/v1/oauth/introspect", operation_id = "oauth.introspect", tag = "Sessions",
    request_body(content((IntrospectionForm = "application/x-www-form-urlencoded"), (IntrospectionForm = "application/json"))),
    params(("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); needed for a session or JWT, and a workspace token may only name its own")),
    responses((status = 200, description = "The answer: `{\"active\": false}`, or the credential as it acts in the caller's workspace", body = Introspection),
        (status = 400, description = "invalid_request: no `token`, or a body neither a form nor JSON", body = OAuthError),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "No workspace, or not owner/admin", body = ErrorBody),
        (status = 413, description = "invalid_request: a body over 16 KiB", body = OAuthError)),
    security(("bearer" = [])))]
async fn introspect(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    TokenParam(request, _): TokenParam,
) -> Response {
    answered(introspection::introspect(&store, &caller, request.token.expose(), clock::now()).await)
}

/// `POST /v1/platform/introspect`'s form: RFC 7662's, and the workspace
/// to answer for. Its `Debug` never shows the secret.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct PlatformIntrospectionForm {
    /// The credential asked about: an API token (`sk_akua_…`) or a
    /// session token.
    #[schema(value_type = String, min_length = 1)]
    pub token: akua_core::Revealed,
    /// Accepted and not needed: a secret's shape says what it is.
    #[serde(default)]
    #[schema(example = "access_token")]
    pub token_type_hint: String,
    /// Answer as a manager of this workspace (`ws_…`) would be answered;
    /// absent: an API token in its own workspace, a session or a
    /// multi-workspace token without a workspace.
    #[serde(default)]
    #[schema(max_length = 53)]
    pub workspace_id: Option<String>,
}

/// Is this credential good, and for what (RFC 7662), asked by a platform
/// backend signing with its AWS role (AWS Signature V4, API Gateway's
/// `AWS_IAM`) instead of a bearer: about any workspace. Served only when
/// the stack enables it (`PlatformIntrospection`).
#[utoipa::path(post, path = "/v1/platform/introspect", operation_id = "platform.introspect", tag = "Sessions",
    request_body(content((PlatformIntrospectionForm = "application/x-www-form-urlencoded"), (PlatformIntrospectionForm = "application/json"))),
    responses((status = 200, description = "The answer: `{\"active\": false}`, or the credential", body = Introspection),
        (status = 400, description = "invalid_request: no `token`, a bad `workspace_id`, or a body neither a form nor JSON", body = OAuthError),
        (status = 403, description = "A signature API Gateway refuses, or a principal the account does not allow to invoke the route (API Gateway's answer)", body = ErrorBody),
        (status = 404, description = "The stack does not enable platform introspection", body = ErrorBody),
        (status = 413, description = "invalid_request: a body over 16 KiB", body = OAuthError)),
    security(("sigv4" = [])))]
async fn platform_introspect(
    State(state): State<AppState>,
    IamCaller(arn): IamCaller,
    asked: std::result::Result<TokenParam, Response>,
) -> Response {
    // Not enabled is not there, whatever the body.
    if !state.platform_introspection {
        return akua_http::Error(ApiError::NotFound("route")).into_response();
    }
    let TokenParam(request, params) = match asked {
        Ok(asked) => asked,
        Err(refused) => return refused,
    };
    let workspace = match params
        .get("workspace_id")
        .map(|w| WorkspaceId::parse(w.as_str()))
    {
        None => None,
        Some(Ok(ws)) => Some(ws),
        Some(Err(_)) => return OAuth(OAuthError::INVALID_REQUEST).into_response(),
    };
    // Who asked, for the function's log: a role's ARN, never a secret.
    tracing::info!(caller = %arn, "platform introspection");
    let now = clock::now();
    let token = request.token.expose();
    answered(introspection::introspect_platform(&state.store, token, workspace.as_ref(), now).await)
}

/// An introspection's answer: the credential (never cached, as a secret's
/// answer is not), or the API's error envelope.
fn answered(answer: std::result::Result<Introspection, ApiError>) -> Response {
    match answer {
        Ok(answer) => Secret::ok(answer).into_response(),
        Err(e) => akua_http::Error(e).into_response(),
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Answered {
    /// `approved` or `denied`.
    status: &'static str,
}

/// `?user_code=` of a pending-login lookup.
#[derive(Debug, serde::Deserialize)]
struct PendingQuery {
    #[serde(default)]
    user_code: String,
}

/// The pending device login a code names: which client asks, so the person
/// can check it before approving. Unknown codes count against the same
/// guess budget as approving.
#[utoipa::path(get, path = "/v1/auth/device/pending", operation_id = "auth.device.pending", tag = "Sessions",
    params(("user_code" = String, Query, max_length = 64, description = "The code the terminal shows (`XXXX-XXXX`)")),
    responses((status = 200, description = "The pending login", body = PendingLogin), (status = 401, description = "No valid credential", body = ErrorBody), (status = 403, description = "Not a user credential", body = ErrorBody),
        (status = 404, description = "Unknown or expired code", body = ErrorBody), (status = 429, description = "Too many unknown codes", body = ErrorBody)),
    security(("bearer" = [])))]
async fn pending(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    Query(query): Query<PendingQuery>,
) -> Result<Json<PendingLogin>> {
    Ok(Json(
        device::pending(&store, &caller, &query.user_code, clock::now()).await?,
    ))
}

/// Approve a device login as the signed-in user (session or JWT).
#[utoipa::path(post, path = "/v1/auth/device/approve", operation_id = "auth.device.approve", tag = "Sessions", request_body = DeviceAnswerRequest,
    responses((status = 200, description = "Approved", body = Answered), (status = 400, description = "Unreadable body: not JSON, or no `Content-Type: application/json`", body = ErrorBody), (status = 413, description = "payload_too_large: a body over 16 KiB", body = ErrorBody), (status = 401, description = "No valid credential, or `reauthentication_required`: approving needs a recent sign-in at a browser (sudo mode; `WWW-Authenticate` says `max_age`)", body = ErrorBody), (status = 403, description = "Not a person at a browser: an API token, a CLI session or a JWT without `auth_time`", body = ErrorBody),
        (status = 404, description = "Unknown or expired code", body = ErrorBody), (status = 409, description = "Already used", body = ErrorBody), (status = 422, description = "Invalid field", body = ErrorBody), (status = 429, description = "Too many unknown codes", body = ErrorBody)),
    security(("bearer" = [])))]
async fn approve(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
    JsonBody(body): JsonBody<DeviceAnswerRequest>,
) -> Result<Json<Answered>> {
    answer(&store, &caller, &origin, &body, true).await
}

/// Approving and denying are one answer to a pending device login.
async fn answer(
    store: &DynamoStore,
    caller: &akua_core::Principal,
    origin: &akua_core::audit::Origin,
    body: &DeviceAnswerRequest,
    approved: bool,
) -> Result<Json<Answered>> {
    device::answer(
        store,
        caller,
        origin,
        &body.user_code,
        approved,
        clock::now(),
    )
    .await?;
    let status = if approved { "approved" } else { "denied" };
    Ok(Json(Answered { status }))
}

/// Deny a device login as the signed-in user (session or JWT).
#[utoipa::path(post, path = "/v1/auth/device/deny", operation_id = "auth.device.deny", tag = "Sessions", request_body = DeviceAnswerRequest,
    responses((status = 200, description = "Denied", body = Answered), (status = 400, description = "Unreadable body: not JSON, or no `Content-Type: application/json`", body = ErrorBody), (status = 413, description = "payload_too_large: a body over 16 KiB", body = ErrorBody), (status = 401, description = "No valid credential", body = ErrorBody), (status = 403, description = "Not a user credential", body = ErrorBody),
        (status = 404, description = "Unknown or expired code", body = ErrorBody), (status = 409, description = "Already used", body = ErrorBody), (status = 422, description = "Invalid field", body = ErrorBody), (status = 429, description = "Too many unknown codes", body = ErrorBody)),
    security(("bearer" = [])))]
async fn deny(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
    JsonBody(body): JsonBody<DeviceAnswerRequest>,
) -> Result<Json<Answered>> {
    answer(&store, &caller, &origin, &body, false).await
}

/// The calling session.
#[utoipa::path(get, path = "/v1/auth/session", operation_id = "auth.session.get", tag = "Sessions",
    responses((status = 200, description = "The session", body = SessionView), (status = 400, description = "Not a session token", body = ErrorBody), (status = 401, description = "No valid credential", body = ErrorBody)),
    security(("bearer" = [])))]
async fn session(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
) -> Result<Json<SessionView>> {
    Ok(Json(sessions::status(&store, &caller, clock::now()).await?))
}

/// Extend the calling session to a year from now.
#[utoipa::path(post, path = "/v1/auth/session/refresh", operation_id = "auth.session.refresh", tag = "Sessions",
    responses((status = 200, description = "The extended session", body = SessionView), (status = 400, description = "Not a session token", body = ErrorBody), (status = 401, description = "No valid credential", body = ErrorBody)),
    security(("bearer" = [])))]
async fn refresh(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
) -> Result<Json<SessionView>> {
    Ok(Json(
        sessions::refresh(&store, &caller, clock::now()).await?,
    ))
}

/// Renew a dashboard session's sign-in from a fresh one (sudo mode): the
/// bearer is the identity provider's JWT from signing in again, with a
/// recent `auth_time`, for the session's person. The session keeps its id
/// and limits; no second session is started.
#[utoipa::path(post, path = "/v1/auth/session/reauthenticate", operation_id = "auth.session.reauthenticate", tag = "Sessions", request_body = ReauthenticateRequest,
    responses((status = 200, description = "The session, its sign-in renewed", body = SessionView), (status = 400, description = "Unreadable body: not JSON, or no `Content-Type: application/json`", body = ErrorBody), (status = 413, description = "payload_too_large: a body over 16 KiB", body = ErrorBody),
        (status = 401, description = "No valid credential, or `reauthentication_required`: the JWT's sign-in is not recent", body = ErrorBody), (status = 403, description = "Not a sign-in JWT, or one without `auth_time`", body = ErrorBody),
        (status = 404, description = "No such dashboard session of this person", body = ErrorBody), (status = 422, description = "Not a session token, or an ID token that is not of this sign-in", body = ErrorBody), (status = 503, description = "The identity provider's keys could not be fetched", body = ErrorBody)),
    security(("bearer" = [])))]
async fn reauthenticate(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
    JsonBody(body): JsonBody<ReauthenticateRequest>,
) -> Result<Json<SessionView>> {
    let now = clock::now();
    let sign_in =
        sessions::sign_in_of(&caller, body.oidc.as_ref(), state.id_tokens.as_deref(), now).await?;
    Ok(Json(
        sessions::reauthenticate(
            &state.store,
            &caller,
            &origin,
            sign_in,
            &body,
            state.sudo,
            now,
        )
        .await?,
    ))
}

/// Log out: the session is deleted and fails on the very next request.
#[utoipa::path(delete, path = "/v1/auth/session", operation_id = "auth.session.logout", tag = "Sessions",
    responses((status = 204, description = "Logged out"), (status = 400, description = "Not a session token", body = ErrorBody), (status = 401, description = "No valid credential", body = ErrorBody)),
    security(("bearer" = [])))]
async fn logout(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
) -> Result<StatusCode> {
    sessions::logout(&store, &caller, &origin, clock::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's sessions, newest first: where they are signed in.
#[utoipa::path(get, path = "/v1/auth/sessions", operation_id = "auth.sessions.list", tag = "Sessions",
    params(
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of sessions", body = SessionList),
        (status = 400, description = "Invalid cursor", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "Not a person (an API token)", body = ErrorBody),
        (status = 422, description = "Invalid limit", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn list_sessions(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    ListQuery(page): ListQuery,
) -> Result<Json<SessionList>> {
    let listed = sessions::list(&store, &caller, &page, clock::now()).await?;
    Ok(Json(listed.into()))
}

/// Start a dashboard session from a sign-in: the bearer is the identity
/// provider's JWT; the answer carries the session's token (only here),
/// which expires after 12 hours without use.
#[utoipa::path(post, path = "/v1/auth/sessions", operation_id = "auth.sessions.create", tag = "Sessions",
    request_body(content = Option<StartSessionRequest>, description = "Optional: the sign-in's ID token and nonce, read where the access token has no `auth_time`"),
    responses(
        (status = 201, description = "Started: the session's token, shown once", body = CreatedSession),
        (status = 400, description = "Unreadable body: not JSON, or no `Content-Type: application/json`", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "Not a sign-in JWT (an API token or a session)", body = ErrorBody),
        (status = 413, description = "payload_too_large: a body over 16 KiB", body = ErrorBody),
        (status = 422, description = "An ID token that is not of this sign-in", body = ErrorBody),
        (status = 503, description = "The identity provider's keys could not be fetched", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn start_session(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
    OptionalJsonBody(body): OptionalJsonBody<StartSessionRequest>,
) -> Result<Secret<CreatedSession>> {
    let now = clock::now();
    let sign_in =
        sessions::sign_in_of(&caller, body.oidc.as_ref(), state.id_tokens.as_deref(), now).await?;
    let created = sessions::start_dashboard(
        &state.store,
        &caller,
        sign_in,
        &origin,
        &state.sessions,
        now,
    )
    .await?;
    Ok(Secret::created(created))
}

/// End every session of the caller but the one making this request.
#[utoipa::path(delete, path = "/v1/auth/sessions", operation_id = "auth.sessions.revokeOthers", tag = "Sessions",
    responses(
        (status = 200, description = "How many sessions were ended", body = Ended),
        (status = 401, description = "No valid credential, or `reauthentication_required`: this needs a recent sign-in (sudo mode; `WWW-Authenticate` says `max_age`)", body = ErrorBody),
        (status = 403, description = "Not a person (an API token)", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn end_other_sessions(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
) -> Result<Json<Ended>> {
    Ok(Json(
        sessions::revoke_others(&store, &caller, &origin, clock::now()).await?,
    ))
}

/// End one of the caller's sessions: it fails on the very next request.
#[utoipa::path(delete, path = "/v1/auth/sessions/{id}", operation_id = "auth.sessions.revoke", tag = "Sessions",
    params(("id" = String, Path, max_length = 64, description = "`ses_…` (any other value is 404)")),
    responses(
        (status = 204, description = "Ended"),
        (status = 401, description = "No valid credential, or `reauthentication_required`: this needs a recent sign-in (sudo mode; `WWW-Authenticate` says `max_age`)", body = ErrorBody),
        (status = 403, description = "Not a person (an API token)", body = ErrorBody),
        (status = 404, description = "No such session of the caller", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn end_session(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    sessions::revoke(&store, &caller, &origin, &id, clock::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The credential as the authorizer resolved it, honouring `Akua-Context`.
#[utoipa::path(get, path = "/v1/auth/whoami", operation_id = "auth.whoami", tag = "Sessions",
    params(("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…` to resolve, 1–53 characters (empty counts as absent)")),
    responses((status = 200, description = "Who is calling", body = Whoami), (status = 401, description = "No valid credential", body = ErrorBody), (status = 403, description = "Not a member of Akua-Context", body = ErrorBody)),
    security(("bearer" = [])))]
async fn whoami(Caller(caller): Caller) -> Json<Whoami> {
    Json(sessions::whoami(&caller))
}

/// This function's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    device_code,
    device_token,
    pending,
    approve,
    deny,
    session,
    refresh,
    reauthenticate,
    logout,
    list_sessions,
    start_session,
    end_other_sessions,
    end_session,
    whoami,
    holder_revoke,
    introspect,
    platform_introspect
))]
pub struct ApiDoc;

pub fn router(state: AppState) -> Router {
    akua_http::declared(state.sudo, |op, method| match op {
        SessionsOp::DeviceCode => on(method, device_code),
        SessionsOp::DeviceToken => on(method, device_token),
        SessionsOp::DevicePending => on(method, pending),
        SessionsOp::DeviceApprove => on(method, approve),
        SessionsOp::DeviceDeny => on(method, deny),
        SessionsOp::Session => on(method, session),
        SessionsOp::Refresh => on(method, refresh),
        SessionsOp::Reauthenticate => on(method, reauthenticate),
        SessionsOp::Logout => on(method, logout),
        SessionsOp::ListSessions => on(method, list_sessions),
        SessionsOp::StartSession => on(method, start_session),
        SessionsOp::EndOtherSessions => on(method, end_other_sessions),
        SessionsOp::EndSession => on(method, end_session),
        SessionsOp::Whoami => on(method, whoami),
        SessionsOp::HolderRevoke => on(method, holder_revoke),
        SessionsOp::Introspect => on(method, introspect),
        SessionsOp::PlatformIntrospect => on(method, platform_introspect),
    })
    .with_state(state)
}
