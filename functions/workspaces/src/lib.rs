//! Workspaces and members, behind the authorizer:
//!
//! | route | success | refusals |
//! |---|---|---|
//! | `POST /v1/workspaces` | 201 (caller is owner) | 403 API token, 422 name |
//! | `GET /v1/workspaces` | 200 page | 400 cursor, 422 limit |
//! | `GET /v1/workspaces/{id}` | 200 with the token policy | 403 header ≠ path, 404 not a member |
//! | `PATCH /v1/workspaces/{id}` | 200 (owner, sudo mode) | 401 sudo, 403 not owner, 404, 422 policy |
//! | `GET /v1/workspaces/{id}/members` | 200 page | 403 header ≠ path, 404 not a member |
//! | `POST /v1/workspaces/{id}/members` | 201 | 403 role, 404, 409 already a member, 422 |
//! | `PATCH /v1/workspaces/{id}/members/{user_id}` | 200 | 403 not owner, 404, 409 last owner, 422 |
//! | `DELETE /v1/workspaces/{id}/members/{user_id}` | 204 | 403 role, 404, 409 last owner |
//! | `GET /v1/workspaces/{id}/audit_log` | 200 page, newest first | 400 cursor, 403 role, 404, 422 limit or filter |
//! | `GET /v1/me/audit_log` | 200 page, newest first | 400 cursor, 403 not a person, 422 limit or filter |
//!
//! The rules live in `akua_core::workspaces` and `akua_core::audit`.

#![cfg_attr(not(test), warn(clippy::wildcard_enum_match_arm))]

use akua_core::ApiError;
use akua_core::api_error::ErrorBody;
use akua_core::audit::{AuditAction, AuditFilter};
use akua_core::audit_log::{self, AuditEventList};
use akua_core::clock;
use akua_core::paging::PageRequest;
use akua_core::routes::WorkspacesOp;
use akua_core::sudo::SudoWindow;
use akua_core::workspaces::{
    self, AddMemberRequest, ChangeRoleRequest, CreateWorkspaceRequest, MemberList, MemberView,
    UpdateWorkspaceRequest, WorkspaceDetail, WorkspaceList, WorkspaceView,
};
use akua_http::{Caller, JsonBody, ListQuery, PageParams, RequestOrigin, Result};
use akua_store::DynamoStore;
use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::on;
use axum::{Json, Router};

/// Create a workspace; the caller becomes its owner.
#[utoipa::path(post, path = "/v1/workspaces", operation_id = "workspaces.create", tag = "Workspaces", request_body = CreateWorkspaceRequest,
    responses((status = 201, description = "Created", body = WorkspaceView), (status = 400, description = "Unreadable body: not JSON, or no `Content-Type: application/json`", body = ErrorBody), (status = 413, description = "payload_too_large: a body over 16 KiB", body = ErrorBody), (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "An API token cannot create workspaces", body = ErrorBody), (status = 422, description = "Invalid name", body = ErrorBody)),
    security(("bearer" = [])))]
async fn create(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
    JsonBody(request): JsonBody<CreateWorkspaceRequest>,
) -> Result<(StatusCode, Json<WorkspaceView>)> {
    let created = workspaces::create(&store, &caller, &origin, request, clock::now()).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

/// The caller's workspaces (only the request's workspace when it has one).
#[utoipa::path(get, path = "/v1/workspaces", operation_id = "workspaces.list", tag = "Workspaces",
    params(PageParams, ("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); list only that one")),
    responses((status = 200, description = "A page of workspaces", body = WorkspaceList), (status = 400, description = "Invalid cursor", body = ErrorBody), (status = 401, description = "No valid credential", body = ErrorBody), (status = 403, description = "Not a member of Akua-Context", body = ErrorBody), (status = 422, description = "Invalid limit", body = ErrorBody)),
    security(("bearer" = [])))]
async fn list(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    ListQuery(page): ListQuery,
) -> Result<Json<WorkspaceList>> {
    let listed = workspaces::list(&store, &caller, &page).await?;
    Ok(Json(listed.into()))
}

/// A workspace you belong to, your role in it, and its token policy.
#[utoipa::path(get, path = "/v1/workspaces/{id}", operation_id = "workspaces.get", tag = "Workspaces",
    params(("id" = String, Path, max_length = 53, description = "`ws_…`"), ("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); when given, it must be the path's")),
    responses((status = 200, description = "The workspace", body = WorkspaceDetail), (status = 401, description = "No valid credential", body = ErrorBody), (status = 403, description = "Akua-Context differs from the path, or is not a workspace of the caller", body = ErrorBody), (status = 404, description = "Not a workspace of the caller", body = ErrorBody)),
    security(("bearer" = [])))]
async fn get(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    Path(id): Path<String>,
) -> Result<Json<WorkspaceDetail>> {
    Ok(Json(workspaces::get(&store, &caller, &id).await?))
}

/// Set the workspace's token policy (owner only, in sudo mode): every token
/// made or rolled from now on must follow it; tokens made before keep
/// working and are listed with `exceeds_policy`.
#[utoipa::path(patch, path = "/v1/workspaces/{id}", operation_id = "workspaces.update", tag = "Workspaces", request_body = UpdateWorkspaceRequest,
    params(("id" = String, Path, max_length = 53, description = "`ws_…`"), ("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); when given, it must be the path's")),
    responses((status = 200, description = "Changed", body = WorkspaceDetail), (status = 400, description = "Unreadable body: not JSON, or no `Content-Type: application/json`", body = ErrorBody), (status = 413, description = "payload_too_large: a body over 16 KiB", body = ErrorBody), (status = 401, description = "No valid credential, or `reauthentication_required`: this needs a recent sign-in (sudo mode; `WWW-Authenticate` says `max_age`)", body = ErrorBody), (status = 403, description = "Needs owner", body = ErrorBody), (status = 404, description = "Not a workspace of the caller", body = ErrorBody), (status = 422, description = "Invalid field", body = ErrorBody)),
    security(("bearer" = [])))]
async fn update(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<UpdateWorkspaceRequest>,
) -> Result<Json<WorkspaceDetail>> {
    let updated = workspaces::update(&store, &caller, &origin, &id, request, clock::now()).await?;
    Ok(Json(updated))
}

/// A workspace's members (any member may list).
#[utoipa::path(get, path = "/v1/workspaces/{id}/members", operation_id = "workspaces.members.list", tag = "Workspaces",
    params(("id" = String, Path, max_length = 53, description = "`ws_…`"), PageParams, ("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); when given, it must be the path's")),
    responses((status = 200, description = "A page of members", body = MemberList), (status = 400, description = "Invalid cursor", body = ErrorBody), (status = 401, description = "No valid credential", body = ErrorBody), (status = 422, description = "Invalid limit", body = ErrorBody), (status = 403, description = "Akua-Context differs from the path, or is not a workspace of the caller", body = ErrorBody), (status = 404, description = "Not a workspace of the caller", body = ErrorBody)),
    security(("bearer" = [])))]
async fn members(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    ListQuery(page): ListQuery,
) -> Result<Json<MemberList>> {
    let listed = workspaces::list_members(&store, &caller, &id, &page).await?;
    Ok(Json(listed.into()))
}

/// Add a member as `admin` or `member` (owner or admin).
#[utoipa::path(post, path = "/v1/workspaces/{id}/members", operation_id = "workspaces.members.add", tag = "Workspaces", request_body = AddMemberRequest,
    params(("id" = String, Path, max_length = 53, description = "`ws_…`"), ("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); when given, it must be the path's")),
    responses((status = 201, description = "Added", body = MemberView), (status = 400, description = "Unreadable body: not JSON, or no `Content-Type: application/json`", body = ErrorBody), (status = 413, description = "payload_too_large: a body over 16 KiB", body = ErrorBody), (status = 401, description = "No valid credential, or `reauthentication_required`: this needs a recent sign-in (sudo mode; `WWW-Authenticate` says `max_age`)", body = ErrorBody), (status = 403, description = "Needs owner or admin", body = ErrorBody), (status = 404, description = "Not a workspace of the caller", body = ErrorBody), (status = 409, description = "Already a member", body = ErrorBody), (status = 422, description = "Invalid field", body = ErrorBody)),
    security(("bearer" = [])))]
async fn add_member(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<AddMemberRequest>,
) -> Result<(StatusCode, Json<MemberView>)> {
    let member =
        workspaces::add_member(&store, &caller, &origin, &id, request, clock::now()).await?;
    Ok((StatusCode::CREATED, Json(member)))
}

/// Change a member's role (owner only; the last owner cannot be demoted).
#[utoipa::path(patch, path = "/v1/workspaces/{id}/members/{user_id}", operation_id = "workspaces.members.update", tag = "Workspaces", request_body = ChangeRoleRequest,
    params(("id" = String, Path, max_length = 53, description = "`ws_…`"), ("user_id" = String, Path, max_length = 255, description = "The member"), ("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); when given, it must be the path's")),
    responses((status = 200, description = "Changed", body = MemberView), (status = 400, description = "Unreadable body: not JSON, or no `Content-Type: application/json`", body = ErrorBody), (status = 413, description = "payload_too_large: a body over 16 KiB", body = ErrorBody), (status = 401, description = "No valid credential, or `reauthentication_required`: raising a member to admin or owner needs a recent sign-in (sudo mode; `WWW-Authenticate` says `max_age`)", body = ErrorBody), (status = 403, description = "Needs owner", body = ErrorBody), (status = 404, description = "No such member", body = ErrorBody), (status = 409, description = "Last owner", body = ErrorBody), (status = 422, description = "Invalid role", body = ErrorBody)),
    security(("bearer" = [])))]
async fn change_role(
    State(state): State<WorkspacesState>,
    Caller(caller): Caller,
    RequestOrigin(origin): RequestOrigin,
    Path((id, user_id)): Path<(String, String)>,
    JsonBody(request): JsonBody<ChangeRoleRequest>,
) -> Result<Json<MemberView>> {
    Ok(Json(
        workspaces::change_role(
            &state.store,
            &caller,
            &origin,
            (&id, &user_id),
            request,
            state.sudo,
            clock::now(),
        )
        .await?,
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
    RequestOrigin(origin): RequestOrigin,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    workspaces::remove_member(&store, &caller, &origin, &id, &user_id, clock::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The audit log filters of `?action=&actor=&since=&until=`, beside
/// `limit` and `cursor`. A value of the wrong type is a 422 naming it.
struct AuditQuery {
    page: PageRequest,
    filter: AuditFilter,
}

impl<S: Send + Sync> FromRequestParts<S> for AuditQuery {
    type Rejection = akua_http::Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self> {
        let ListQuery(page) = ListQuery::from_request_parts(parts, state).await?;
        let (mut action, mut actor, mut since, mut until) = (None, None, None, None);
        let query = parts.uri.query().unwrap_or("").as_bytes();
        for (key, value) in url::form_urlencoded::parse(query) {
            let seconds = |field: &str| {
                value.trim().parse::<i64>().map(Some).map_err(|_| {
                    akua_http::Error(ApiError::validation(field, "must be Unix seconds"))
                })
            };
            match &*key {
                "action" => action = Some(value.to_string()),
                "actor" => actor = Some(value.to_string()),
                "since" => since = seconds("since")?,
                "until" => until = seconds("until")?,
                _ => {}
            }
        }
        let filter = AuditFilter::parse(action.as_deref(), actor.as_deref(), since, until)?;
        Ok(Self { page, filter })
    }
}

/// The audit log's filters as the API document lists them (read by
/// [`AuditQuery`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditFilterParams {
    /// Only events of this action
    pub action: Option<AuditAction>,
    /// Only events by this actor (`usr_…`, `tok_…`); empty counts as absent
    #[param(max_length = 255)]
    pub actor: Option<String>,
    /// Only events at or after this time (Unix seconds)
    #[param(minimum = 0, maximum = 99_999_999_999_i64)]
    pub since: Option<i64>,
    /// Only events at or before this time (Unix seconds)
    #[param(minimum = 0, maximum = 99_999_999_999_i64)]
    pub until: Option<i64>,
}

/// A workspace's audit log, newest first (owner or admin).
#[utoipa::path(get, path = "/v1/workspaces/{id}/audit_log", operation_id = "workspaces.auditLog.list", tag = "Audit log",
    params(
        ("id" = String, Path, max_length = 53, description = "`ws_…`"),
        PageParams,
        AuditFilterParams,
        ("Akua-Context" = Option<String>, Header, max_length = 53, description = "Workspace `ws_…`, 1–53 characters (empty counts as absent); when given, it must be the path's"),
    ),
    responses(
        (status = 200, description = "A page of events, newest first", body = AuditEventList),
        (status = 400, description = "Invalid cursor", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "Not owner/admin, or Akua-Context differs from the path", body = ErrorBody),
        (status = 404, description = "Not a workspace of the caller", body = ErrorBody),
        (status = 422, description = "Invalid limit or filter", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn audit_log(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    Path(id): Path<String>,
    query: AuditQuery,
) -> Result<Json<AuditEventList>> {
    let listed = audit_log::list_workspace(
        &store,
        &caller,
        &id,
        &query.filter,
        &query.page,
        clock::now(),
    )
    .await?;
    Ok(Json(listed.into()))
}

/// Your own audit log: the device logins you answered and the sessions
/// that were ended, newest first (a person only).
#[utoipa::path(get, path = "/v1/me/audit_log", operation_id = "me.auditLog.list", tag = "Audit log",
    params(
        PageParams,
        AuditFilterParams,
    ),
    responses(
        (status = 200, description = "A page of events, newest first", body = AuditEventList),
        (status = 400, description = "Invalid cursor", body = ErrorBody),
        (status = 401, description = "No valid credential", body = ErrorBody),
        (status = 403, description = "Not a person (an API token)", body = ErrorBody),
        (status = 422, description = "Invalid limit or filter", body = ErrorBody),
    ),
    security(("bearer" = [])))]
async fn my_audit_log(
    State(store): State<DynamoStore>,
    Caller(caller): Caller,
    query: AuditQuery,
) -> Result<Json<AuditEventList>> {
    let listed =
        audit_log::list_mine(&store, &caller, &query.filter, &query.page, clock::now()).await?;
    Ok(Json(listed.into()))
}

/// This function's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    create,
    list,
    get,
    update,
    members,
    add_member,
    change_role,
    remove_member,
    audit_log,
    my_audit_log
))]
pub struct ApiDoc;

/// What the handlers share: the store, and how recent a sign-in adding a
/// member or raising one to admin or owner needs.
#[derive(Debug, Clone)]
pub struct WorkspacesState {
    pub store: DynamoStore,
    pub sudo: SudoWindow,
}

impl FromRef<WorkspacesState> for DynamoStore {
    fn from_ref(state: &WorkspacesState) -> Self {
        state.store.clone()
    }
}

pub fn router(state: WorkspacesState) -> Router {
    akua_http::declared(state.sudo, |op, method| match op {
        WorkspacesOp::Create => on(method, create),
        WorkspacesOp::List => on(method, list),
        WorkspacesOp::Get => on(method, get),
        WorkspacesOp::Update => on(method, update),
        WorkspacesOp::ListMembers => on(method, members),
        WorkspacesOp::AddMember => on(method, add_member),
        WorkspacesOp::ChangeRole => on(method, change_role),
        WorkspacesOp::RemoveMember => on(method, remove_member),
        WorkspacesOp::AuditLog => on(method, audit_log),
        WorkspacesOp::MyAuditLog => on(method, my_audit_log),
    })
    .with_state(state)
}
