//! Workspaces and their members: the role model behind token management.
//!
//! Who may do what (the caller's role in the workspace):
//!
//! | action | owner | admin | member |
//! |---|---|---|---|
//! | list members | ✓ | ✓ | ✓ |
//! | add a member (`admin`/`member`) | ✓ | ✓ | — |
//! | change a role | ✓ | — | — |
//! | remove a member | ✓ | ✓ (not an owner) | themself |
//!
//! `owner` is given only to a workspace's creator; the last owner can be
//! neither removed nor demoted (409). A workspace the caller cannot see is a
//! 404, whether or not it exists.

use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::audit::{AuditAction, AuditLog, AuditTarget, Author, Origin, TargetKind};
use crate::ids::{Role, TokenRole, UserId, WorkspaceId, WorkspaceName};
use crate::paging::{Page, PageRequest};
use crate::policy::{self, Action};
use crate::ports::{Removal, RoleChange, WorkspaceStore};
use crate::principal::Principal;
use crate::records::{Membership, WorkspaceRecord};
use crate::sudo::{self, Requires, SudoWindow};
use crate::token_policy::{TokenPolicy, TokenPolicyBody};

/// A workspace as the caller sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkspaceView {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub role: Role,
}

/// A member as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MemberView {
    pub user_id: String,
    pub role: Role,
    pub joined_at: i64,
}

impl From<Membership> for MemberView {
    fn from(m: Membership) -> Self {
        Self {
            user_id: m.user_id.into(),
            role: m.role,
            joined_at: m.joined_at,
        }
    }
}

/// `POST /v1/workspaces`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWorkspaceRequest {
    /// 1–100 characters, not only whitespace, no control characters.
    #[schema(value_type = String, min_length = 1, max_length = 100, pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$")]
    pub name: WorkspaceName,
}

/// `POST /v1/workspaces/{id}/members`. `owner` is never granted.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    /// The identity provider's user id: 1–255 bytes of UTF-8, no control
    /// characters.
    #[schema(value_type = String, min_length = 1, max_length = 255, pattern = r"^[^\x00-\x1f\x7f-\x9f]+$")]
    pub user_id: UserId,
    pub role: TokenRole,
}

/// `PATCH /v1/workspaces/{id}/members/{user_id}`. `owner` is never granted.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRoleRequest {
    pub role: TokenRole,
}

/// `GET /v1/workspaces/{id}`: the workspace, the caller's role in it and
/// its token policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WorkspaceDetail {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub role: Role,
    pub token_policy: TokenPolicyBody,
}

/// `PATCH /v1/workspaces/{id}`: the new token policy, whole.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWorkspaceRequest {
    pub token_policy: TokenPolicyBody,
}

fn detail(ws: WorkspaceRecord, role: Role) -> WorkspaceDetail {
    WorkspaceDetail {
        token_policy: TokenPolicyBody::from(&ws.token_policy),
        id: ws.id.into(),
        name: ws.name.into(),
        created_at: ws.created_at,
        role,
    }
}

/// A workspace the caller belongs to, with its token policy.
pub async fn get(
    store: &impl WorkspaceStore,
    caller: &Principal,
    id: &str,
) -> Result<WorkspaceDetail, ApiError> {
    let scope = policy::require_in(store, caller, Action::ReadWorkspace, id).await?;
    let ws = store
        .workspace(&scope.workspace_id)
        .await?
        .ok_or_else(not_found)?;
    Ok(detail(ws, scope.role))
}

/// Sets a workspace's token policy (owners, in sudo mode through its
/// route). Tokens made before keep working; lists mark those that exceed
/// it. Audited with the new policy.
pub async fn update(
    store: &impl WorkspaceStore,
    caller: &Principal,
    origin: &Origin,
    id: &str,
    request: UpdateWorkspaceRequest,
    now: i64,
) -> Result<WorkspaceDetail, ApiError> {
    let scope = policy::require_in(store, caller, Action::SetTokenPolicy, id).await?;
    let token_policy: TokenPolicy = request.token_policy.parse()?;
    let ws = scope.workspace_id;
    let audit = [Author::of(caller, origin)
        .event(
            AuditLog::Workspace(ws.clone()),
            AuditAction::TokenPolicyChanged,
            AuditTarget::new(TargetKind::Workspace, &ws),
            now,
        )
        .with_detail(token_policy.describe())];
    if !store.set_token_policy(&ws, &token_policy, &audit).await? {
        return Err(not_found());
    }
    let record = store.workspace(&ws).await?.ok_or_else(not_found)?;
    Ok(detail(record, scope.role))
}

fn view(ws: WorkspaceRecord, role: Role) -> WorkspaceView {
    WorkspaceView {
        id: ws.id.into(),
        name: ws.name.into(),
        created_at: ws.created_at,
        role,
    }
}

fn not_found() -> ApiError {
    ApiError::NotFound("workspace")
}

/// Creates a workspace with the caller as its owner.
pub async fn create(
    store: &impl WorkspaceStore,
    caller: &Principal,
    origin: &Origin,
    request: CreateWorkspaceRequest,
    now: i64,
) -> Result<WorkspaceView, ApiError> {
    let user = policy::require_person(caller, Action::CreateWorkspace)?.clone();
    let workspace = WorkspaceRecord {
        id: WorkspaceId::generate(),
        name: request.name,
        created_at: now,
        created_by: user.clone(),
        token_policy: TokenPolicy::default(),
    };
    let owner = Membership {
        workspace_id: workspace.id.clone(),
        user_id: user,
        role: Role::Owner,
        joined_at: now,
    };
    let audit = [Author::of(caller, origin)
        .event(
            AuditLog::Workspace(workspace.id.clone()),
            AuditAction::WorkspaceCreated,
            AuditTarget::new(TargetKind::Workspace, &workspace.id),
            now,
        )
        .with_detail(format!("name={}", workspace.name.as_str()))];
    store.create_workspace(&workspace, &owner, &audit).await?;
    Ok(view(workspace, Role::Owner))
}

/// The caller's workspaces: only the request's workspace when it has one
/// (a workspace token, or `Akua-Context`), else every membership.
pub async fn list(
    store: &impl WorkspaceStore,
    caller: &Principal,
    page: &PageRequest,
) -> Result<Page<WorkspaceView>, ApiError> {
    if let Some(scope) = policy::require(caller, Action::ListWorkspaces)? {
        let ws = &scope.workspace_id;
        if page.after(ws.as_str())?.is_some() {
            return Ok(Page::whole(Vec::new()));
        }
        let record = store.workspace(ws).await?.ok_or_else(not_found)?;
        return Ok(Page::whole(vec![view(record, scope.role)]));
    }
    let user = policy::require_person(caller, Action::ListWorkspaces)?;
    let after = page.after(user.as_str())?;
    let memberships = store
        .list_user_memberships(user, page.limit, after.as_deref())
        .await?;
    let ids: Vec<WorkspaceId> = memberships
        .rows
        .iter()
        .map(|(m, _)| m.workspace_id.clone())
        .collect();
    let records = store.workspaces(&ids).await?;
    let mut found = memberships.into_page(user.as_str(), |m| {
        let record = records.iter().find(|r| r.id == m.workspace_id).cloned();
        record.map(|r| view(r, m.role))
    });
    Ok(Page {
        data: found.data.drain(..).flatten().collect(),
        has_more: found.has_more,
        next_cursor: found.next_cursor,
    })
}

pub async fn list_members(
    store: &impl WorkspaceStore,
    caller: &Principal,
    workspace: &str,
    page: &PageRequest,
) -> Result<Page<MemberView>, ApiError> {
    let ws = policy::require_in(store, caller, Action::ListMembers, workspace)
        .await?
        .workspace_id;
    let after = page.after(ws.as_str())?;
    let members = store
        .list_members(&ws, page.limit, after.as_deref())
        .await?;
    Ok(members.into_page(ws.as_str(), MemberView::from))
}

pub async fn add_member(
    store: &impl WorkspaceStore,
    caller: &Principal,
    origin: &Origin,
    workspace: &str,
    request: AddMemberRequest,
    now: i64,
) -> Result<MemberView, ApiError> {
    let scope = policy::require_in(store, caller, Action::AddMember, workspace).await?;
    let membership = Membership {
        workspace_id: scope.workspace_id,
        user_id: request.user_id,
        role: request.role.into(),
        joined_at: now,
    };
    let audit = [member_event(
        caller,
        origin,
        &membership.workspace_id,
        AuditAction::MemberAdded,
        &membership.user_id,
        now,
    )
    .with_detail(format!("role={}", membership.role.as_str()))];
    if !store.add_member(&membership, &audit).await? {
        return Err(ApiError::Conflict("the user is already a member".into()));
    }
    Ok(membership.into())
}

/// Sets the role of the member `(workspace, user_id)` (the path's ids).
pub async fn change_role(
    store: &impl WorkspaceStore,
    caller: &Principal,
    origin: &Origin,
    (workspace, user_id): (&str, &str),
    request: ChangeRoleRequest,
    sudo: SudoWindow,
    now: i64,
) -> Result<MemberView, ApiError> {
    let ws = policy::require_in(store, caller, Action::ChangeRole, workspace)
        .await?
        .workspace_id;
    let user = UserId::parse(user_id).map_err(|_| ApiError::NotFound("member"))?;
    let role: Role = request.role.into();
    // Sudo mode: raising someone to admin or owner hands out the power to
    // mint tokens; lowering a role takes power away and needs nothing more.
    if matches!(role, Role::Owner | Role::Admin) {
        sudo::require(caller, Requires::RecentSignIn, sudo, now)?;
    }
    let audit = [member_event(
        caller,
        origin,
        &ws,
        AuditAction::MemberRoleChanged,
        &user,
        now,
    )
    .with_detail(format!("role={}", role.as_str()))];
    match store.set_member_role(&ws, &user, role, &audit).await? {
        RoleChange::Changed(updated) => Ok(updated.into()),
        RoleChange::NotMember => Err(ApiError::NotFound("member")),
        RoleChange::LastOwner => Err(ApiError::Conflict(
            "the last owner cannot be demoted".into(),
        )),
    }
}

pub async fn remove_member(
    store: &impl WorkspaceStore,
    caller: &Principal,
    origin: &Origin,
    workspace: &str,
    user_id: &str,
    now: i64,
) -> Result<(), ApiError> {
    let scope = policy::workspace_in(store, caller, workspace).await?;
    let ws = &scope.workspace_id;
    let user = UserId::parse(user_id).map_err(|_| ApiError::NotFound("member"))?;
    let target = store
        .membership(ws, &user)
        .await?
        .ok_or(ApiError::NotFound("member"))?;
    let action = if caller.user_id() == Some(&user) {
        Action::LeaveWorkspace
    } else if target.role == Role::Owner {
        Action::RemoveOwner
    } else {
        Action::RemoveMember
    };
    policy::check(caller, action, &scope)?;
    let audit = [member_event(
        caller,
        origin,
        ws,
        AuditAction::MemberRemoved,
        &user,
        now,
    )];
    match store.remove_member(ws, &user, &audit).await? {
        Removal::Removed => Ok(()),
        Removal::NotMember => Err(ApiError::NotFound("member")),
        Removal::LastOwner => Err(ApiError::Conflict(
            "the last owner cannot be removed".into(),
        )),
    }
}

/// An event about `user`'s membership of `workspace`, in its log.
fn member_event(
    caller: &Principal,
    origin: &Origin,
    workspace: &WorkspaceId,
    action: AuditAction,
    user: &UserId,
    now: i64,
) -> crate::audit::AuditEvent {
    Author::of(caller, origin).event(
        AuditLog::Workspace(workspace.clone()),
        action,
        AuditTarget::new(TargetKind::Member, user),
        now,
    )
}

crate::named_list!(
    /// A page of the caller's workspaces.
    WorkspaceList of WorkspaceView
);

crate::named_list!(
    /// A page of a workspace's members, in user-id order.
    MemberList of MemberView
);
