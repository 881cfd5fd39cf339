//! Workspace API token management (DESIGN §6), behind the authorizer:
//!
//! | route | success | refusals |
//! |---|---|---|
//! | `POST /v1/api_tokens` | 201 with the token (its only appearance) | 400 unreadable body, 403 no workspace or role, 422 invalid field |
//! | `GET /v1/api_tokens?limit=&cursor=` | 200 page, newest first | 400 bad cursor, 403 no workspace, 422 bad limit |
//! | `DELETE /v1/api_tokens/{id}` | 204 | 403 role, 404 unknown/foreign/malformed id |
//! | `POST /v1/api_tokens/{id}/roll` | 200 with the new secret | 403 role, 404 unknown id, 409 roll in progress, 422 grace out of range |
//! | `POST /v1/me/api_tokens` | 201 with the multi-workspace token (its only appearance) | 400 unreadable body, 403 not a person, 422 invalid field |
//! | `GET /v1/me/api_tokens?limit=&cursor=` | 200 page, newest first | 400 bad cursor, 403 not a person, 422 bad limit |
//! | `DELETE /v1/me/api_tokens/{id}` | 204 | 403 not a person, 404 unknown/another person's/malformed id |
//! | `POST /v1/token_leaks` (public, signed by the scanner) | 200 a verdict per token; live tokens revoked | 400 not an array, 401 signature, 413, 422 too many |
//! | `GET /v1/permissions` | 200 the permission catalog | 401 |
//!
//! The rules live in `akua_core::tokens` and `akua_core::multi_tokens`;
//! this crate only translates.

#![cfg_attr(not(test), warn(clippy::wildcard_enum_match_arm))]

use akua_core::api_error::ErrorBody;
use akua_core::clock;
use akua_core::multi_tokens::{self, CreateMultiTokenRequest, CreatedMultiToken, MultiTokenList};
use akua_core::permission::PermissionCatalog;
use akua_core::tokens::{
    self, ApiTokenList, CreateApiTokenRequest, CreatedApiToken, RollApiTokenRequest,
};
use akua_http::{Caller, JsonBody, ListQuery, PageParams, RequestOrigin, Result, Secret};
use akua_store::DynamoStore;
use std::sync::Arc;

use akua_core::ApiError;
use akua_core::leaks::{self, LeakVerdict, ReportedToken, ScannerKeys};
use akua_core::routes::TokensOp;
use akua_core::sudo::SudoWindow;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRef, Path, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::routing::on;
use axum::{Json, Router};

/// Create a workspace API token. The plaintext `token` is in this response only.
#[utoipa::path(post, path = "/v1/api_tokens", operation_id = "apiTokens.create", tag = "API tokens",
    request_body = CreateApiTokenRequest,
    params(("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); needed for a session or JWT, and a workspace token may only name its own")),
    responses(
        (status = 201, description = "Created", body = CreatedApiToken),
        (status = 400, description = "Unreadable body: not JSON, or no `Content-Type: application/json`", body = ErrorBody), (status = 413, description = "payload_too_large: a body over 16 KiB", body = ErrorBody),
        (status = 401, description = "No valid credential, or `reauthentication_required`: this needs a recent sign-in (sudo mode; `WWW-Authenticate` says `max_age`)", body = ErrorBody),
        (status = 403, description = "No workspace, or not owner/admin", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn create(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
    JsonBody(request): JsonBody<CreateApiTokenRequest>,
) -> Result<Secret<CreatedApiToken>> {
    let created = tokens::create(&store, &caller, &origin, request, clock::now()).await?;
    Ok(Secret::created(created))
}

/// List the workspace's API tokens, newest first.
#[utoipa::path(get, path = "/v1/api_tokens", operation_id = "apiTokens.list", tag = "API tokens",
    params(
        PageParams,
        ("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); needed for a session or JWT, and a workspace token may only name its own"),
    ),
    responses(
        (status = 200, description = "A page of tokens", body = ApiTokenList),
        (status = 400, description = "Invalid cursor", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "No workspace", body = ErrorBody),
        (status = 422, description = "Invalid limit", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn list(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    ListQuery(page): ListQuery,
) -> Result<Json<ApiTokenList>> {
    let listed = tokens::list(&store, &caller, &page, clock::now()).await?;
    Ok(Json(listed.into()))
}

/// Revoke a token: it fails on the very next request and cannot be recovered.
#[utoipa::path(delete, path = "/v1/api_tokens/{id}", operation_id = "apiTokens.revoke", tag = "API tokens",
    params(
        ("id" = String, Path, max_length = 64, description = "`tok_…` (any other value is 404)"),
        ("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); needed for a session or JWT, and a workspace token may only name its own"),
    ),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "Not owner/admin", body = ErrorBody),
        (status = 404, description = "No such token in this workspace", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn revoke(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    tokens::revoke(&store, &caller, &origin, &id, clock::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Roll a token: a new secret with the same id, name, role and expiry (in
/// this response only); the old secret keeps working for the grace period.
#[utoipa::path(post, path = "/v1/api_tokens/{id}/roll", operation_id = "apiTokens.roll", tag = "API tokens",
    request_body = RollApiTokenRequest,
    params(
        ("id" = String, Path, description = "`tok_…`", max_length = 64),
        ("Akua-Context" = Option<String>, Header, description = "Workspace (needed for a session or JWT); empty counts as absent", max_length = 53),
    ),
    responses(
        (status = 200, description = "Rolled: the new secret", body = CreatedApiToken),
        (status = 400, description = "Unreadable body: not JSON, or no `Content-Type: application/json`", body = ErrorBody),
        (status = 401, description = "No valid credential, or `reauthentication_required`: this needs a recent sign-in (sudo mode; `WWW-Authenticate` says `max_age`)", body = ErrorBody),
        (status = 403, description = "No workspace, not owner/admin, or a token caller rolling a token it could not create (a higher role, or a later expiry or none)", body = ErrorBody),
        (status = 404, description = "No such token in this workspace (or revoked meanwhile)", body = ErrorBody),
        (status = 409, description = "A previous roll's old secret still works, or another roll won meanwhile", body = ErrorBody),
        (status = 413, description = "payload_too_large: a body over 16 KiB", body = ErrorBody),
        (status = 422, description = "grace_period_secs out of range", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn roll(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<RollApiTokenRequest>,
) -> Result<Secret<CreatedApiToken>> {
    let rolled = tokens::roll(&store, &caller, &origin, &id, request, clock::now()).await?;
    Ok(Secret::ok(rolled))
}

/// Create a multi-workspace API token for yourself (a person): one secret
/// for several of your workspaces, chosen per request with `Akua-Context`.
/// The plaintext `token` is in this response only.
#[utoipa::path(post, path = "/v1/me/api_tokens", operation_id = "me.apiTokens.create", tag = "API tokens",
    request_body = CreateMultiTokenRequest,
    responses(
        (status = 201, description = "Created", body = CreatedMultiToken),
        (status = 400, description = "Unreadable body: not JSON, or no `Content-Type: application/json`", body = ErrorBody), (status = 413, description = "payload_too_large: a body over 16 KiB", body = ErrorBody),
        (status = 401, description = "No valid credential, or `reauthentication_required`: this needs a recent sign-in (sudo mode; `WWW-Authenticate` says `max_age`)", body = ErrorBody),
        (status = 403, description = "Not a person (an API token)", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn create_mine(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
    JsonBody(request): JsonBody<CreateMultiTokenRequest>,
) -> Result<Secret<CreatedMultiToken>> {
    let created = multi_tokens::create(&store, &caller, &origin, request, clock::now()).await?;
    Ok(Secret::created(created))
}

/// List your multi-workspace API tokens, newest first.
#[utoipa::path(get, path = "/v1/me/api_tokens", operation_id = "me.apiTokens.list", tag = "API tokens",
    params(
        PageParams,
    ),
    responses(
        (status = 200, description = "A page of your tokens", body = MultiTokenList),
        (status = 400, description = "Invalid cursor", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "Not a person (an API token)", body = ErrorBody),
        (status = 422, description = "Invalid limit", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn list_mine(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    ListQuery(page): ListQuery,
) -> Result<Json<MultiTokenList>> {
    let listed = multi_tokens::list(&store, &caller, &page, clock::now()).await?;
    Ok(Json(listed.into()))
}

/// Revoke one of your multi-workspace API tokens: it fails on the very next request.
#[utoipa::path(delete, path = "/v1/me/api_tokens/{id}", operation_id = "me.apiTokens.revoke", tag = "API tokens",
    params(("id" = String, Path, max_length = 64, description = "`tok_…` (any other value is 404)")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "Not a person (an API token)", body = ErrorBody),
        (status = 404, description = "No such token of yours", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn revoke_mine(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    multi_tokens::revoke(&store, &caller, &origin, &id, clock::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The largest leak report read (a scanner may batch many matches).
pub const MAX_LEAK_REPORT_BYTES: usize = 1024 * 1024;

/// Report leaked tokens, in GitHub's secret-scanning partner format. Signed
/// by the scanner (no bearer credential): a live API token in the report is
/// revoked at once.
#[utoipa::path(post, path = "/v1/token_leaks", operation_id = "tokenLeaks.report", tag = "Leak reports",
    request_body(content = Vec<ReportedToken>, description = "The matches: `[{token, type, url, source}]`", content_type = "application/json"),
    params(
        ("Github-Public-Key-Identifier" = String, Header, description = "The id of the scanner's key that signed the body"),
        ("Github-Public-Key-Signature" = String, Header, description = "Base64 DER ECDSA P-256 SHA-256 signature of the raw body"),
    ),
    responses(
        (status = 200, description = "One verdict per reported token, in order", body = Vec<LeakVerdict>),
        (status = 400, description = "Signed, but not a JSON array of matches", body = ErrorBody),
        (status = 401, description = "Unsigned, or a signature the scanner's keys do not verify: nothing changed", body = ErrorBody),
        (status = 413, description = "payload_too_large: a body over 1 MiB", body = ErrorBody),
        (status = 422, description = "More than 100 tokens in one report", body = ErrorBody),
    ))]
async fn report_leaks(
    State(state): State<TokensState>,
    RequestOrigin(origin): RequestOrigin,
    headers: HeaderMap,
    body: std::result::Result<Bytes, BytesRejection>,
) -> Result<Json<Vec<LeakVerdict>>> {
    let body = body.map_err(|_| ApiError::PayloadTooLarge(MAX_LEAK_REPORT_BYTES))?;
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let verdicts = leaks::report(
        &state.store,
        &state.leaks,
        header("github-public-key-identifier"),
        header("github-public-key-signature"),
        &body,
        &origin,
        clock::now(),
    )
    .await?;
    Ok(Json(verdicts))
}

/// The permissions a token may be given: the service's own, then the
/// platform's (from its route map). Any credential may read it.
#[utoipa::path(get, path = "/v1/permissions", operation_id = "permissions.list", tag = "API tokens",
    responses(
        (status = 200, description = "The catalog", body = PermissionCatalog),
        (status = 401, description = "No valid credential", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn permissions(Caller(_caller): Caller) -> Json<PermissionCatalog> {
    Json(PermissionCatalog::current())
}

/// This function's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create,
    list,
    revoke,
    roll,
    create_mine,
    list_mine,
    revoke_mine,
    report_leaks,
    permissions
))]
pub struct ApiDoc;

/// What the handlers share: the store, and the secret scanner's keys.
#[derive(Debug, Clone)]
pub struct TokensState {
    pub store: DynamoStore,
    pub leaks: Arc<ScannerKeys>,
    /// How recent a sign-in creating or rolling a token needs.
    pub sudo: SudoWindow,
}

impl FromRef<TokensState> for DynamoStore {
    fn from_ref(state: &TokensState) -> Self {
        state.store.clone()
    }
}

/// The routes, ready for [`akua_http::dispatch`] or a local server.
pub fn router(state: TokensState) -> Router {
    akua_http::declared(state.sudo, |op, method| match op {
        TokensOp::Create => on(method, create),
        TokensOp::List => on(method, list),
        TokensOp::Revoke => on(method, revoke),
        TokensOp::Roll => on(method, roll),
        TokensOp::CreateMine => on(method, create_mine),
        TokensOp::ListMine => on(method, list_mine),
        TokensOp::RevokeMine => on(method, revoke_mine),
        TokensOp::ReportLeaks => {
            on(method, report_leaks).layer(DefaultBodyLimit::max(MAX_LEAK_REPORT_BYTES))
        }
        TokensOp::Permissions => on(method, permissions),
    })
    .with_state(state)
}
