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

use serde::Serialize;

use crate::api_error::ApiError;
use crate::ids::{Role, UserId, WorkspaceId, WorkspaceName};
use crate::paging::{self, Page};
use crate::ports::{Removal, RoleChange, WorkspaceStore};
use crate::principal::{CredentialKind, Principal};
use crate::records::{Membership, WorkspaceRecord};

/// A workspace as the caller sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WorkspaceView {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub role: Role,
}

/// A member as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
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

/// The user behind a session or JWT; API tokens have none.
fn user_of(caller: &Principal) -> Result<&UserId, ApiError> {
    match (&caller.credential, &caller.user_id) {
        (CredentialKind::Session | CredentialKind::Jwt, Some(user)) => Ok(user),
        _ => Err(ApiError::Forbidden(
            "this needs a user credential (session or JWT), not an API token".into(),
        )),
    }
}

/// Creates a workspace with the caller as its owner.
pub async fn create(
    store: &impl WorkspaceStore,
    caller: &Principal,
    name: &str,
    now: i64,
) -> Result<WorkspaceView, ApiError> {
    let user = user_of(caller)?.clone();
    let name = WorkspaceName::parse(name).map_err(|_| {
        ApiError::validation(
            "name",
            "must be 1–100 characters, not only whitespace, no control characters",
        )
    })?;
    let workspace = WorkspaceRecord {
        id: WorkspaceId::generate(),
        name,
        created_at: now,
        created_by: user.clone(),
    };
    let owner = Membership {
        workspace_id: workspace.id.clone(),
        user_id: user,
        role: Role::Owner,
        joined_at: now,
    };
    store.create_workspace(&workspace, &owner).await?;
    Ok(view(workspace, Role::Owner))
}

/// The caller's workspaces: only the request's workspace when it has one
/// (a workspace token, or `Akua-Context`), else every membership.
pub async fn list(
    store: &impl WorkspaceStore,
    caller: &Principal,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<WorkspaceView>, ApiError> {
    if let Ok((ws, role)) = caller.workspace() {
        if paging::after(cursor, ws.as_str())?.is_some() {
            return Ok(Page::whole(Vec::new()));
        }
        let record = store.workspace(ws).await?.ok_or_else(not_found)?;
        return Ok(Page::whole(vec![view(record, role)]));
    }
    let user = user_of(caller)?;
    let after = paging::after(cursor, user.as_str())?;
    let memberships = store
        .list_user_memberships(user, limit, after.as_deref())
        .await?;
    let ids: Vec<WorkspaceId> = memberships
        .rows
        .iter()
        .map(|(m, _)| m.workspace_id.clone())
        .collect();
    let records = store.workspaces(&ids).await?;
    let mut page = memberships.into_page(user.as_str(), |m| {
        let record = records.iter().find(|r| r.id == m.workspace_id).cloned();
        record.map(|r| view(r, m.role))
    });
    Ok(Page {
        data: page.data.drain(..).flatten().collect(),
        has_more: page.has_more,
        next_cursor: page.next_cursor,
    })
}

/// The caller's role in the workspace the path names.
///
/// With a workspace already chosen (API token, or `Akua-Context` that the
/// authorizer checked) the path must name the same one: a header that
/// disagrees is a 403, a token's other workspace a 404. A user without the
/// header is looked up as a member (consistent read); not a member → 404.
async fn role_in(
    store: &impl WorkspaceStore,
    caller: &Principal,
    path_id: &str,
) -> Result<(WorkspaceId, Role), ApiError> {
    let ws = WorkspaceId::parse(path_id).map_err(|_| not_found())?;
    if let Ok((scoped, role)) = caller.workspace() {
        return if *scoped == ws {
            Ok((ws, role))
        } else if caller.credential == CredentialKind::ApiToken {
            Err(not_found())
        } else {
            Err(ApiError::Forbidden(
                "Akua-Context names a different workspace than the path".into(),
            ))
        };
    }
    let user = user_of(caller).map_err(|_| not_found())?;
    match store.membership(&ws, user).await? {
        Some(m) => Ok((ws, m.role)),
        None => Err(not_found()),
    }
}

pub async fn list_members(
    store: &impl WorkspaceStore,
    caller: &Principal,
    workspace: &str,
    limit: usize,
    cursor: Option<&str>,
) -> Result<Page<MemberView>, ApiError> {
    let (ws, _) = role_in(store, caller, workspace).await?;
    let after = paging::after(cursor, ws.as_str())?;
    let members = store.list_members(&ws, limit, after.as_deref()).await?;
    Ok(members.into_page(ws.as_str(), MemberView::from))
}

/// `admin` or `member`: `owner` is never assigned through the API.
pub fn assignable_role(role: &str) -> Result<Role, ApiError> {
    match Role::parse(role) {
        Ok(r @ (Role::Admin | Role::Member)) => Ok(r),
        _ => Err(ApiError::validation(
            "role",
            "must be \"admin\" or \"member\"",
        )),
    }
}

pub async fn add_member(
    store: &impl WorkspaceStore,
    caller: &Principal,
    workspace: &str,
    user_id: &str,
    role: &str,
    now: i64,
) -> Result<MemberView, ApiError> {
    let (ws, caller_role) = role_in(store, caller, workspace).await?;
    let user = UserId::parse(user_id)
        .map_err(|_| ApiError::validation("user_id", "must be 1–255 printable characters"))?;
    let role = assignable_role(role)?;
    if !matches!(caller_role, Role::Owner | Role::Admin) {
        return Err(ApiError::Forbidden(
            "adding members needs the owner or admin role".into(),
        ));
    }
    let membership = Membership {
        workspace_id: ws,
        user_id: user,
        role,
        joined_at: now,
    };
    if !store.add_member(&membership).await? {
        return Err(ApiError::Conflict("the user is already a member".into()));
    }
    Ok(membership.into())
}

pub async fn change_role(
    store: &impl WorkspaceStore,
    caller: &Principal,
    workspace: &str,
    user_id: &str,
    role: &str,
) -> Result<MemberView, ApiError> {
    let (ws, caller_role) = role_in(store, caller, workspace).await?;
    let role = assignable_role(role)?;
    if caller_role != Role::Owner {
        return Err(ApiError::Forbidden(
            "changing roles needs the owner role".into(),
        ));
    }
    let user = UserId::parse(user_id).map_err(|_| ApiError::NotFound("member"))?;
    match store.set_member_role(&ws, &user, role).await? {
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
    workspace: &str,
    user_id: &str,
) -> Result<(), ApiError> {
    let (ws, caller_role) = role_in(store, caller, workspace).await?;
    let user = UserId::parse(user_id).map_err(|_| ApiError::NotFound("member"))?;
    let is_self = caller.user_id.as_ref() == Some(&user);
    let target = store
        .membership(&ws, &user)
        .await?
        .ok_or(ApiError::NotFound("member"))?;
    let allowed = is_self
        || caller_role == Role::Owner
        || (caller_role == Role::Admin && target.role != Role::Owner);
    if !allowed {
        return Err(ApiError::Forbidden(
            "removing this member needs a higher role".into(),
        ));
    }
    match store.remove_member(&ws, &user).await? {
        Removal::Removed => Ok(()),
        Removal::NotMember => Err(ApiError::NotFound("member")),
        Removal::LastOwner => Err(ApiError::Conflict(
            "the last owner cannot be removed".into(),
        )),
    }
}
