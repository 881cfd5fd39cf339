//! Workspaces and members, behind the authorizer:
//!
//! | route | success | refusals |
//! |---|---|---|
//! | `POST /v1/workspaces` | 201 (caller is owner) | 403 API token, 422 name |
//! | `GET /v1/workspaces` | 200 page | 400 cursor, 422 limit |
//! | `GET /v1/workspaces/{id}/members` | 200 page | 403 header ≠ path, 404 not a member |
//! | `POST /v1/workspaces/{id}/members` | 201 | 403 role, 404, 409 already a member, 422 |
//! | `PATCH /v1/workspaces/{id}/members/{user_id}` | 200 | 403 not owner, 404, 409 last owner, 422 |
//! | `DELETE /v1/workspaces/{id}/members/{user_id}` | 204 | 403 role, 404, 409 last owner |
//!
//! The rules live in `akua_shared::workspaces`.

use akua_http::{Caller, JsonBody, ListQuery, Result};
use akua_shared::clock;
use akua_shared::store::DynamoStore;
use akua_shared::tokens::{Page, page_limit};
use akua_shared::workspaces::{self, MemberView, WorkspaceView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AddMemberBody {
    user_id: String,
    role: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    role: String,
}

async fn create(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<CreateBody>,
) -> Result<(StatusCode, Json<WorkspaceView>)> {
    let created = workspaces::create(&store, &caller, &body.name, clock::now()).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn list(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    query: ListQuery,
) -> Result<Json<Page<WorkspaceView>>> {
    let limit = page_limit(query.limit)?;
    Ok(Json(
        workspaces::list(&store, &caller, limit, query.cursor.as_deref()).await?,
    ))
}

async fn members(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    query: ListQuery,
) -> Result<Json<Page<MemberView>>> {
    let limit = page_limit(query.limit)?;
    let page =
        workspaces::list_members(&store, &caller, &id, limit, query.cursor.as_deref()).await?;
    Ok(Json(page))
}

async fn add_member(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<AddMemberBody>,
) -> Result<(StatusCode, Json<MemberView>)> {
    let member = workspaces::add_member(
        &store,
        &caller,
        &id,
        &body.user_id,
        &body.role,
        clock::now(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(member)))
}

async fn change_role(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    Path((id, user_id)): Path<(String, String)>,
    JsonBody(body): JsonBody<RoleBody>,
) -> Result<Json<MemberView>> {
    Ok(Json(
        workspaces::change_role(&store, &caller, &id, &user_id, &body.role).await?,
    ))
}

async fn remove_member(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    workspaces::remove_member(&store, &caller, &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub fn router(store: DynamoStore) -> Router {
    akua_http::finish(
        Router::new()
            .route("/v1/workspaces", get(list).post(create))
            .route("/v1/workspaces/{id}/members", get(members).post(add_member))
            .route(
                "/v1/workspaces/{id}/members/{user_id}",
                patch(change_role).delete(remove_member),
            ),
    )
    .with_state(store)
}
