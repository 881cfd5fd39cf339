//! Workspace API token management (DESIGN §6), behind the authorizer:
//!
//! | route | success | refusals |
//! |---|---|---|
//! | `POST /v1/api_tokens` | 201 with the token (its only appearance) | 400 unreadable body, 403 no workspace or role, 422 invalid field |
//! | `GET /v1/api_tokens?limit=&cursor=` | 200 page, newest first | 400 bad cursor, 403 no workspace, 422 bad limit |
//! | `DELETE /v1/api_tokens/{id}` | 204 | 403 role, 404 unknown/foreign/malformed id |
//!
//! The rules live in `akua_shared::tokens`; this crate only translates.

use akua_http::{Caller, JsonBody, ListQuery, Result};
use akua_shared::clock;
use akua_shared::store::DynamoStore;
use akua_shared::tokens::{self, CreateRequest, CreatedToken, Page, TokenSummary};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Json, Router};
use serde::Deserialize;

/// `POST /v1/api_tokens` body. Unknown fields are refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
    #[serde(default)]
    expires_at: Option<i64>,
    #[serde(default)]
    role: Option<String>,
}

async fn create(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<CreateBody>,
) -> Result<(StatusCode, Json<CreatedToken>)> {
    let request = CreateRequest {
        name: body.name,
        expires_at: body.expires_at,
        role: body.role,
    };
    let created = tokens::create(&store, &caller, request, clock::now()).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn list(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    query: ListQuery,
) -> Result<Json<Page<TokenSummary>>> {
    let limit = tokens::page_limit(query.limit)?;
    Ok(Json(
        tokens::list(&store, &caller, limit, query.cursor.as_deref()).await?,
    ))
}

async fn revoke(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<StatusCode> {
    tokens::revoke(&store, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The routes, ready for [`akua_http::dispatch`] or a local server.
pub fn router(store: DynamoStore) -> Router {
    akua_http::finish(
        Router::new()
            .route("/v1/api_tokens", post(create).get(list))
            .route("/v1/api_tokens/{id}", delete(revoke)),
    )
    .with_state(store)
}
