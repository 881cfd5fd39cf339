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
//! The rules live in `akua_core::workspaces`.

use akua_core::api_error::ErrorBody;
use akua_core::clock;
use akua_core::paging::page_limit;
use akua_core::workspaces::{
    self, AddMemberRequest, ChangeRoleRequest, CreateWorkspaceRequest, MemberList, MemberView,
    WorkspaceList, WorkspaceView,
};
use akua_http::{Caller, JsonBody, ListQuery, Result};
use akua_store::DynamoStore;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, patch};
use axum::{Json, Router};

/// Create a workspace; the caller becomes its owner.
#[utoipa::path(post, path = "/v1/workspaces", operation_id = "workspaces.create", tag = "Workspaces", request_body = CreateWorkspaceRequest,
    responses((status = 201, description = "Created", body = WorkspaceView), (status = 400, description = "Unreadable body: not JSON, or no `Content-Type: application/json`", body = ErrorBody), (status = 413, description = "payload_too_large: a body over 16 KiB", body = ErrorBody), (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "An API token cannot create workspaces", body = ErrorBody), (status = 422, description = "Invalid name", body = ErrorBody)),
    security(("bearer" = [])))]
async fn create(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    JsonBody(request): JsonBody<CreateWorkspaceRequest>,
) -> Result<(StatusCode, Json<WorkspaceView>)> {
    let created = workspaces::create(&store, &caller, request, clock::now()).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The caller's workspaces (only the request's workspace when it has one).
#[utoipa::path(get, path = "/v1/workspaces", operation_id = "workspaces.list", tag = "Workspaces",
    params(("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "Page size, 1–100, default 50"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"), ("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); list only that one")),
    responses((status = 200, description = "A page of workspaces", body = WorkspaceList), (status = 400, description = "Invalid cursor", body = ErrorBody), (status = 401, description = "No valid credential", body = ErrorBody), (status = 403, description = "Not a member of Akua-Context", body = ErrorBody), (status = 422, description = "Invalid limit", body = ErrorBody)),
    security(("bearer" = [])))]
async fn list(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    query: ListQuery,
) -> Result<Json<WorkspaceList>> {
    let limit = page_limit(query.limit)?;
    let page = workspaces::list(&store, &caller, limit, query.cursor.as_deref()).await?;
    Ok(Json(page.into()))
}

/// A workspace's members (any member may list).
#[utoipa::path(get, path = "/v1/workspaces/{id}/members", operation_id = "workspaces.members.list", tag = "Workspaces",
    params(("id" = String, Path, max_length = 53, description = "`ws_…`"), ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "Page size, 1–100, default 50"), ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page"), ("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); when given, it must be the path's")),
    responses((status = 200, description = "A page of members", body = MemberList), (status = 400, description = "Invalid cursor", body = ErrorBody), (status = 401, description = "No valid credential", body = ErrorBody), (status = 422, description = "Invalid limit", body = ErrorBody), (status = 403, description = "Akua-Context differs from the path, or is not a workspace of the caller", body = ErrorBody), (status = 404, description = "Not a workspace of the caller", body = ErrorBody)),
    security(("bearer" = [])))]
async fn members(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    query: ListQuery,
) -> Result<Json<MemberList>> {
    let limit = page_limit(query.limit)?;
    let page =
        workspaces::list_members(&store, &caller, &id, limit, query.cursor.as_deref()).await?;
    Ok(Json(page.into()))
}

/// Add a member as `admin` or `member` (owner or admin).
#[utoipa::path(post, path = "/v1/workspaces/{id}/members", operation_id = "workspaces.members.add", tag = "Workspaces", request_body = AddMemberRequest,
    params(("id" = String, Path, max_length = 53, description = "`ws_…`"), ("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); when given, it must be the path's")),
    responses((status = 201, description = "Added", body = MemberView), (status = 400, description = "Unreadable body: not JSON, or no `Content-Type: application/json`", body = ErrorBody), (status = 413, description = "payload_too_large: a body over 16 KiB", body = ErrorBody), (status = 401, description = "No valid credential", body = ErrorBody), (status = 403, description = "Needs owner or admin", body = ErrorBody), (status = 404, description = "Not a workspace of the caller", body = ErrorBody), (status = 409, description = "Already a member", body = ErrorBody), (status = 422, description = "Invalid field", body = ErrorBody)),
    security(("bearer" = [])))]
async fn add_member(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<AddMemberRequest>,
) -> Result<(StatusCode, Json<MemberView>)> {
    let member = workspaces::add_member(&store, &caller, &id, request, clock::now()).await?;
    Ok((StatusCode::CREATED, Json(member)))
}

/// Change a member's role (owner only; the last owner cannot be demoted).
#[utoipa::path(patch, path = "/v1/workspaces/{id}/members/{user_id}", operation_id = "workspaces.members.update", tag = "Workspaces", request_body = ChangeRoleRequest,
    params(("id" = String, Path, max_length = 53, description = "`ws_…`"), ("user_id" = String, Path, max_length = 255, description = "The member"), ("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); when given, it must be the path's")),
    responses((status = 200, description = "Changed", body = MemberView), (status = 400, description = "Unreadable body: not JSON, or no `Content-Type: application/json`", body = ErrorBody), (status = 413, description = "payload_too_large: a body over 16 KiB", body = ErrorBody), (status = 401, description = "No valid credential", body = ErrorBody), (status = 403, description = "Needs owner", body = ErrorBody), (status = 404, description = "No such member", body = ErrorBody), (status = 409, description = "Last owner", body = ErrorBody), (status = 422, description = "Invalid role", body = ErrorBody)),
    security(("bearer" = [])))]
async fn change_role(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    Path((id, user_id)): Path<(String, String)>,
    JsonBody(request): JsonBody<ChangeRoleRequest>,
) -> Result<Json<MemberView>> {
    Ok(Json(
        workspaces::change_role(&store, &caller, &id, &user_id, request).await?,
    ))
}

/// Remove a member (owner or admin, or the member themself; never the last owner).
#[utoipa::path(delete, path = "/v1/workspaces/{id}/members/{user_id}", operation_id = "workspaces.members.remove", tag = "Workspaces",
    params(("id" = String, Path, max_length = 53, description = "`ws_…`"), ("user_id" = String, Path, max_length = 255, description = "The member"), ("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); when given, it must be the path's")),
    responses((status = 204, description = "Removed"), (status = 401, description = "No valid credential", body = ErrorBody), (status = 403, description = "Needs a higher role", body = ErrorBody), (status = 404, description = "No such member", body = ErrorBody), (status = 409, description = "Last owner", body = ErrorBody)),
    security(("bearer" = [])))]
async fn remove_member(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    workspaces::remove_member(&store, &caller, &id, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This function's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(create, list, members, add_member, change_role, remove_member))]
pub struct ApiDoc;

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
