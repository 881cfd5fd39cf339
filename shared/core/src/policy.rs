//! The one access policy: who may do what, as a table every use case asks
//! (`policy::require(caller, Action::RevokeToken)`), and the one place a
//! requested workspace (an `Akua-Context` header or a path) is resolved
//! against the caller — used by the authorizer and the handlers alike.
//!
//! The table is printed into README.md's security model; a test fails when
//! the two differ.

use crate::api_error::{ApiError, Refusal};
use crate::ids::{Role, UserId, WorkspaceId};
use crate::ports::{DecisionStore, StoreError};
use crate::principal::{Principal, Scope};

/// Something a caller asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ListTokens,
    CreateToken,
    RevokeToken,
    RollToken,
    Introspect,
    CreateWorkspace,
    ListWorkspaces,
    ReadWorkspace,
    SetTokenPolicy,
    ListMembers,
    AddMember,
    ChangeRole,
    RemoveMember,
    RemoveOwner,
    LeaveWorkspace,
    AnswerDeviceLogin,
    ListSessions,
    EndSession,
    ManageOwnTokens,
    ReadAuditLog,
    ReadOwnAuditLog,
    StartDashboardSession,
}

/// Who of one kind of principal may do an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum May {
    No,
    /// Yes, without a workspace.
    Yes,
    /// In a workspace, with one of these roles.
    WithRole(&'static [Role]),
}

const ANY_ROLE: &[Role] = &[Role::Owner, Role::Admin, Role::Member];
const MANAGERS: &[Role] = &[Role::Owner, Role::Admin];
const OWNERS: &[Role] = &[Role::Owner];

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub action: Action,
    /// The action in the product's words (the table's first column).
    pub what: &'static str,
    pub workspace_token: May,
    /// A multi-workspace API token: a machine credential like a workspace
    /// token, with a workspace only through `Akua-Context`.
    pub multi_token: May,
    /// A session or a JWT user.
    pub person: May,
    /// The 403 message when the role is not enough.
    pub refusal: &'static str,
}

/// The table (DESIGN §1). Roles apply in the workspace the request acts on.
///
/// Least privilege: what changes who belongs to a workspace, or creates one,
/// needs a person. A leaked machine credential must not become a person's
/// lasting access: a membership would outlive the revocation of every token.
pub const RULES: &[Rule] = &[
    Rule {
        action: Action::ListTokens,
        what: "list API tokens",
        workspace_token: May::WithRole(ANY_ROLE),
        multi_token: May::WithRole(ANY_ROLE),
        person: May::WithRole(ANY_ROLE),
        refusal: "listing API tokens needs a role in the workspace",
    },
    Rule {
        action: Action::CreateToken,
        what: "create an API token",
        workspace_token: May::WithRole(MANAGERS),
        multi_token: May::WithRole(MANAGERS),
        person: May::WithRole(MANAGERS),
        refusal: "creating and revoking API tokens needs the owner or admin role",
    },
    Rule {
        action: Action::RevokeToken,
        what: "revoke an API token",
        workspace_token: May::WithRole(MANAGERS),
        multi_token: May::WithRole(MANAGERS),
        person: May::WithRole(MANAGERS),
        refusal: "creating and revoking API tokens needs the owner or admin role",
    },
    Rule {
        action: Action::RollToken,
        what: "roll an API token (new secret, old one kept for a grace period)",
        workspace_token: May::WithRole(MANAGERS),
        multi_token: May::WithRole(MANAGERS),
        person: May::WithRole(MANAGERS),
        refusal: "creating and revoking API tokens needs the owner or admin role",
    },
    Rule {
        action: Action::Introspect,
        what: "introspect a credential in the workspace (RFC 7662)",
        workspace_token: May::WithRole(MANAGERS),
        multi_token: May::WithRole(MANAGERS),
        person: May::WithRole(MANAGERS),
        refusal: "introspecting credentials needs the owner or admin role",
    },
    Rule {
        action: Action::CreateWorkspace,
        what: "create a workspace",
        workspace_token: May::No,
        multi_token: May::No,
        person: May::Yes,
        refusal: "",
    },
    Rule {
        action: Action::ListWorkspaces,
        what: "list workspaces",
        workspace_token: May::Yes,
        multi_token: May::WithRole(ANY_ROLE),
        person: May::Yes,
        refusal: "",
    },
    Rule {
        action: Action::ReadWorkspace,
        what: "read a workspace and its token policy",
        workspace_token: May::WithRole(ANY_ROLE),
        multi_token: May::WithRole(ANY_ROLE),
        person: May::WithRole(ANY_ROLE),
        refusal: "reading a workspace needs a role in it",
    },
    Rule {
        action: Action::SetTokenPolicy,
        what: "set a workspace's token policy",
        workspace_token: May::No,
        multi_token: May::No,
        person: May::WithRole(OWNERS),
        refusal: "setting the token policy needs the owner role",
    },
    Rule {
        action: Action::ListMembers,
        what: "list members",
        workspace_token: May::WithRole(ANY_ROLE),
        multi_token: May::WithRole(ANY_ROLE),
        person: May::WithRole(ANY_ROLE),
        refusal: "listing members needs a role in the workspace",
    },
    Rule {
        action: Action::AddMember,
        what: "add a member (admin or member)",
        workspace_token: May::No,
        multi_token: May::No,
        person: May::WithRole(MANAGERS),
        refusal: "adding members needs the owner or admin role",
    },
    Rule {
        action: Action::ChangeRole,
        what: "change a member's role",
        workspace_token: May::No,
        multi_token: May::No,
        person: May::WithRole(OWNERS),
        refusal: "changing roles needs the owner role",
    },
    Rule {
        action: Action::RemoveMember,
        what: "remove an admin or member",
        workspace_token: May::No,
        multi_token: May::No,
        person: May::WithRole(MANAGERS),
        refusal: "removing this member needs a higher role",
    },
    Rule {
        action: Action::RemoveOwner,
        what: "remove an owner (never the last)",
        workspace_token: May::No,
        multi_token: May::No,
        person: May::WithRole(OWNERS),
        refusal: "removing this member needs a higher role",
    },
    Rule {
        action: Action::LeaveWorkspace,
        what: "leave a workspace (never its last owner)",
        workspace_token: May::No,
        multi_token: May::No,
        person: May::WithRole(ANY_ROLE),
        refusal: "",
    },
    Rule {
        action: Action::AnswerDeviceLogin,
        what: "approve or deny a `cnap` login",
        workspace_token: May::No,
        multi_token: May::No,
        person: May::Yes,
        refusal: "",
    },
    Rule {
        action: Action::ListSessions,
        what: "list your sessions",
        workspace_token: May::No,
        multi_token: May::No,
        person: May::Yes,
        refusal: "",
    },
    Rule {
        action: Action::EndSession,
        what: "end your sessions",
        workspace_token: May::No,
        multi_token: May::No,
        person: May::Yes,
        refusal: "",
    },
    Rule {
        action: Action::ManageOwnTokens,
        what: "create, list, revoke your multi-workspace tokens",
        workspace_token: May::No,
        multi_token: May::No,
        person: May::Yes,
        refusal: "",
    },
    Rule {
        action: Action::ReadAuditLog,
        what: "read a workspace's audit log",
        workspace_token: May::WithRole(MANAGERS),
        multi_token: May::WithRole(MANAGERS),
        person: May::WithRole(MANAGERS),
        refusal: "reading the audit log needs the owner or admin role",
    },
    Rule {
        action: Action::StartDashboardSession,
        what: "start a dashboard session (from a sign-in JWT only)",
        workspace_token: May::No,
        multi_token: May::No,
        person: May::Yes,
        refusal: "",
    },
    Rule {
        action: Action::ReadOwnAuditLog,
        what: "read your own audit log (device logins, sessions)",
        workspace_token: May::No,
        multi_token: May::No,
        person: May::Yes,
        refusal: "",
    },
];

/// The row of `action`.
pub fn rule(action: Action) -> &'static Rule {
    RULES
        .iter()
        .find(|r| r.action == action)
        .expect("every action has a row in RULES")
}

fn may(principal: &Principal, rule: &Rule) -> May {
    match principal {
        Principal::WorkspaceToken(_) => rule.workspace_token,
        Principal::MultiToken(_) => rule.multi_token,
        Principal::Person(_) => rule.person,
    }
}

fn needs_a_person() -> ApiError {
    ApiError::Forbidden(
        Refusal::PersonRequired,
        "this needs a person (a session or a JWT), not an API token".into(),
    )
}

/// Checks `action` against the table for a caller whose workspace, if the
/// action needs one, is the one the request already acts on (the token's,
/// or `Akua-Context`'s). Returns that workspace when the action needs one.
pub fn require(principal: &Principal, action: Action) -> Result<Option<Scope>, ApiError> {
    let rule = rule(action);
    match may(principal, rule) {
        May::No => Err(needs_a_person()),
        May::Yes => Ok(principal.scope()),
        May::WithRole(roles) => {
            let scope = principal.workspace()?;
            check_role(rule, roles, &scope)?;
            Ok(Some(scope))
        }
    }
}

/// Like [`require`] for an action only a person may do: the person.
pub fn require_person(principal: &Principal, action: Action) -> Result<&UserId, ApiError> {
    require(principal, action)?;
    principal
        .person()
        .map(|p| &p.user_id)
        .ok_or_else(needs_a_person)
}

/// Like [`require`] for an action that needs a workspace: the scope, or 403.
pub fn require_scope(principal: &Principal, action: Action) -> Result<Scope, ApiError> {
    require(principal, action)?.ok_or_else(|| ApiError::from(crate::principal::NoWorkspace))
}

/// Checks `action` in the workspace a path names (`/v1/workspaces/{id}/…`):
/// [`workspace_in`], then [`check`].
pub async fn require_in(
    store: &impl DecisionStore,
    principal: &Principal,
    action: Action,
    path_workspace: &str,
) -> Result<Scope, ApiError> {
    let scope = workspace_in(store, principal, path_workspace).await?;
    check(principal, action, &scope)?;
    Ok(scope)
}

/// The caller's scope in the workspace a path names. A workspace the caller
/// cannot see is a 404 whether or not it exists; an `Akua-Context` that
/// names another workspace than the path is a 403.
pub async fn workspace_in(
    store: &impl DecisionStore,
    principal: &Principal,
    path_workspace: &str,
) -> Result<Scope, ApiError> {
    let not_found = || ApiError::NotFound("workspace");
    let ws = WorkspaceId::parse(path_workspace).map_err(|_| not_found())?;
    let fixed = principal.scope();
    if let Principal::MultiToken(_) = principal
        && fixed.is_none()
    {
        // The authorizer checks a multi-workspace token's list and its
        // owner's membership only for the workspace `Akua-Context` names.
        return Err(crate::principal::NoWorkspace.into());
    }
    match resolve(store, fixed.as_ref(), principal.user_id(), &ws).await? {
        Resolved::Granted(scope) => Ok(scope),
        Resolved::NotMember => Err(not_found()),
        Resolved::OtherWorkspace => Err(match principal {
            Principal::WorkspaceToken(_) => not_found(),
            Principal::Person(_) | Principal::MultiToken(_) => ApiError::Forbidden(
                Refusal::WrongWorkspace,
                "Akua-Context names a different workspace than the path".into(),
            ),
        }),
    }
}

/// Checks `action` against the table for a caller acting in `scope`.
pub fn check(principal: &Principal, action: Action, scope: &Scope) -> Result<(), ApiError> {
    let rule = rule(action);
    match may(principal, rule) {
        May::No => Err(needs_a_person()),
        May::Yes => Ok(()),
        May::WithRole(roles) => check_role(rule, roles, scope),
    }
}

fn check_role(rule: &Rule, roles: &[Role], scope: &Scope) -> Result<(), ApiError> {
    if roles.contains(&scope.role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            Refusal::RoleTooLow,
            rule.refusal.into(),
        ))
    }
}

/// What a new API token may be given by its creator: never more than the
/// creator has (DESIGN §1, least privilege). A token made by a token never
/// outranks it, and never outlives it: no expiry asked means the creator's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ceiling {
    pub role: Role,
    pub expires_at: Option<i64>,
}

impl Ceiling {
    /// The ceiling of `principal` acting in `scope`.
    pub fn of(principal: &Principal, scope: &Scope) -> Self {
        Self {
            role: scope.role,
            expires_at: match principal {
                Principal::WorkspaceToken(t) => t.expires_at,
                Principal::MultiToken(t) => t.expires_at,
                Principal::Person(_) => None,
            },
        }
    }

    /// Whether a token with `role` and `expires_at` stays within the
    /// ceiling (DESIGN.md R8): no higher role, and no later expiry (a token
    /// that never expires outlives any ceiling that does).
    pub fn check(&self, role: Role, expires_at: Option<i64>) -> Result<(), Exceeds> {
        if role.rank() > self.role.rank() {
            return Err(Exceeds::Role);
        }
        match (self.expires_at, expires_at) {
            (Some(_), None) => Err(Exceeds::Expiry),
            (Some(cap), Some(at)) if at > cap => Err(Exceeds::Expiry),
            _ => Ok(()),
        }
    }

    /// The role and expiry a new token gets for what was asked: a missing
    /// expiry takes the ceiling's; a role above the ceiling is 403, an
    /// expiry after it 422 on `expires_at`.
    pub fn admit(&self, role: Role, expires_at: Option<i64>) -> Result<Option<i64>, ApiError> {
        let expires_at = expires_at.or(self.expires_at);
        self.check(role, expires_at).map_err(|e| match e {
            Exceeds::Role => ApiError::Forbidden(
                Refusal::ExceedsCreator,
                "a token cannot have more rights than its creator".into(),
            ),
            Exceeds::Expiry => ApiError::validation(
                "expires_at",
                "must not be later than the expiry of the API token creating it",
            ),
        })?;
        Ok(expires_at)
    }

    /// Whether the caller may roll a token with `role` and `expires_at`:
    /// rolling is creating (DESIGN.md R9), so the same ceiling applies, and
    /// both refusals are 403 (the token exists; nothing in the request is
    /// wrong).
    pub fn admit_roll(&self, role: Role, expires_at: Option<i64>) -> Result<(), ApiError> {
        self.check(role, expires_at).map_err(|e| {
            ApiError::Forbidden(
                Refusal::ExceedsCreator,
                match e {
                    Exceeds::Role => "a token cannot roll a token with more rights than its own",
                    Exceeds::Expiry => {
                        "a token cannot roll a token that expires later than itself (or never)"
                    }
                }
                .into(),
            )
        })
    }
}

/// Where a token would exceed the ceiling of the credential making or
/// rolling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exceeds {
    Role,
    Expiry,
}

/// What a request for a workspace gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    Granted(Scope),
    /// The caller already acts on another workspace (a token's own, or the
    /// `Akua-Context` the authorizer checked).
    OtherWorkspace,
    /// A person who is not a member of the workspace.
    NotMember,
}

/// Resolves a requested workspace against the caller (DESIGN §1): a caller
/// whose workspace is `fixed` gets only that one; a person without one gets
/// their membership of `requested` (one consistent read, so a removed
/// member is refused on the very next request).
pub async fn resolve(
    store: &impl DecisionStore,
    fixed: Option<&Scope>,
    person: Option<&UserId>,
    requested: &WorkspaceId,
) -> Result<Resolved, StoreError> {
    if let Some(scope) = fixed {
        return Ok(if scope.workspace_id == *requested {
            Resolved::Granted(scope.clone())
        } else {
            Resolved::OtherWorkspace
        });
    }
    let Some(user) = person else {
        return Ok(Resolved::NotMember);
    };
    Ok(match store.membership(requested, user).await? {
        Some(m) => Resolved::Granted(Scope {
            workspace_id: m.workspace_id,
            role: m.role,
        }),
        None => Resolved::NotMember,
    })
}

/// The table as Markdown, as README.md's security model shows it.
pub fn markdown_table() -> String {
    fn cell(may: May) -> String {
        match may {
            May::No => "—".into(),
            May::Yes => "✓".into(),
            May::WithRole(roles) if roles == ANY_ROLE => "any role".into(),
            May::WithRole(roles) => roles
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
    let mut out = String::from(
        "| action | workspace API token | multi-workspace API token | person (session or JWT) |\n|---|---|---|---|\n",
    );
    for rule in RULES {
        out.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            rule.what,
            cell(rule.workspace_token),
            cell(rule.multi_token),
            cell(rule.person)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_exactly_one_rule() {
        let actions = [
            Action::ListTokens,
            Action::CreateToken,
            Action::RevokeToken,
            Action::RollToken,
            Action::CreateWorkspace,
            Action::ListWorkspaces,
            Action::ListMembers,
            Action::Introspect,
            Action::ReadWorkspace,
            Action::SetTokenPolicy,
            Action::AddMember,
            Action::ChangeRole,
            Action::RemoveMember,
            Action::RemoveOwner,
            Action::LeaveWorkspace,
            Action::AnswerDeviceLogin,
            Action::ListSessions,
            Action::EndSession,
            Action::ManageOwnTokens,
            Action::ReadAuditLog,
            Action::ReadOwnAuditLog,
            Action::StartDashboardSession,
        ];
        for action in actions {
            assert_eq!(RULES.iter().filter(|r| r.action == action).count(), 1);
        }
        assert_eq!(RULES.len(), actions.len());
    }

    #[test]
    fn the_readme_shows_the_table_the_code_enforces() {
        let readme = include_str!("../../../README.md");
        let table = markdown_table();
        println!("{table}");
        assert!(
            readme.contains(&table),
            "README.md's access table differs from policy::RULES; replace it with:\n{table}"
        );
    }
}
