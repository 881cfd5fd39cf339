//! Every route of the API, declared once (docs/DESIGN.md, "Routes declared
//! once"): its method, its path, the function that serves it, whether the
//! authorizer runs in front of it, and the operation id it is documented
//! under.
//!
//! Everything else is derived from [`ROUTES`] or checked against it, both
//! ways: each function's axum router is built from its rows (a handler per
//! operation, matched without a wildcard, so a new operation does not
//! compile until it is served); the local gateway routes by it; tests hold
//! the OpenAPI document, `template.yaml` and the CLI's client to it. The
//! authorizer can read it without linking any function or OpenAPI code.

use crate::permission::ServicePermission;
use crate::sudo::Requires;

/// An HTTP method a route answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

impl Method {
    /// As HTTP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }
}

/// The Lambda function that serves a route (its logical id in
/// `template.yaml` is [`Function::template_name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Function {
    Tokens,
    Workspaces,
    Sessions,
    Docs,
}

impl Function {
    pub const ALL: [Function; 4] = [
        Function::Tokens,
        Function::Workspaces,
        Function::Sessions,
        Function::Docs,
    ];

    /// The function's logical id in `template.yaml`.
    pub fn template_name(self) -> &'static str {
        match self {
            Function::Tokens => "TokensFunction",
            Function::Workspaces => "WorkspacesFunction",
            Function::Sessions => "SessionsFunction",
            Function::Docs => "DocsFunction",
        }
    }
}

/// Who may call a route, and what a restricted token needs for it
/// (docs/DESIGN.md, "Restricted tokens"): every route declares exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Access {
    /// No authorizer: the route authenticates what it needs itself (a
    /// device code, a scanner's signature) or needs nothing.
    Public,
    /// The authorizer decides first, and any valid credential passes it:
    /// routes about the caller (who am I, the catalog) and routes only a
    /// person may use, whose handlers refuse tokens.
    Authenticated,
    /// The authorizer decides first, and a token restricted to permissions
    /// passes it only holding this one. Roles still govern what follows.
    Permission(ServicePermission),
    /// No authorizer and no bearer: API Gateway verifies the caller's AWS
    /// Signature V4 (`AWS_IAM`), so only AWS principals the account lets
    /// invoke the route get through (a platform's own backends), and the
    /// handler reads who they are from the request context.
    Iam,
}

impl Access {
    /// The permission a restricted token needs, if any.
    pub fn permission(self) -> Option<ServicePermission> {
        match self {
            Self::Permission(p) => Some(p),
            Self::Public | Self::Authenticated | Self::Iam => None,
        }
    }
}

/// The operations of the tokens function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokensOp {
    Create,
    List,
    Revoke,
    Roll,
    CreateMine,
    ListMine,
    RevokeMine,
    ReportLeaks,
    Permissions,
}

/// The operations of the workspaces function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkspacesOp {
    Create,
    List,
    Get,
    Update,
    ListMembers,
    AddMember,
    ChangeRole,
    RemoveMember,
    AuditLog,
    MyAuditLog,
}

/// The operations of the sessions function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionsOp {
    DeviceCode,
    DeviceToken,
    DevicePending,
    DeviceApprove,
    DeviceDeny,
    Session,
    Refresh,
    Reauthenticate,
    Logout,
    ListSessions,
    StartSession,
    EndOtherSessions,
    EndSession,
    Whoami,
    HolderRevoke,
    Introspect,
    PlatformIntrospect,
}

/// The operations of the docs function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocsOp {
    OpenApi,
}

/// One operation of the API, by function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Tokens(TokensOp),
    Workspaces(WorkspacesOp),
    Sessions(SessionsOp),
    Docs(DocsOp),
}

impl Op {
    pub fn function(self) -> Function {
        match self {
            Op::Tokens(_) => Function::Tokens,
            Op::Workspaces(_) => Function::Workspaces,
            Op::Sessions(_) => Function::Sessions,
            Op::Docs(_) => Function::Docs,
        }
    }

    /// What the operation asks of the caller's sign-in (sudo mode,
    /// docs/DESIGN.md): what turns one stolen credential into lasting
    /// access needs a recent sign-in; approving a device login, a person at
    /// a browser. Raising a member to admin or owner asks from its use case
    /// (the role is in the body). Matched without a wildcard: a new
    /// operation says what it needs.
    pub fn requires(self) -> Requires {
        match self {
            Op::Tokens(TokensOp::Create | TokensOp::Roll | TokensOp::CreateMine)
            | Op::Workspaces(WorkspacesOp::AddMember | WorkspacesOp::Update)
            | Op::Sessions(SessionsOp::EndOtherSessions | SessionsOp::EndSession) => {
                Requires::RecentSignIn
            }
            Op::Sessions(SessionsOp::DeviceApprove) => Requires::PersonAtBrowser,
            Op::Tokens(
                TokensOp::List
                | TokensOp::Revoke
                | TokensOp::ListMine
                | TokensOp::RevokeMine
                | TokensOp::ReportLeaks
                | TokensOp::Permissions,
            )
            | Op::Workspaces(
                WorkspacesOp::Create
                | WorkspacesOp::List
                | WorkspacesOp::Get
                | WorkspacesOp::ListMembers
                | WorkspacesOp::ChangeRole
                | WorkspacesOp::RemoveMember
                | WorkspacesOp::AuditLog
                | WorkspacesOp::MyAuditLog,
            )
            | Op::Sessions(
                SessionsOp::DeviceCode
                | SessionsOp::DeviceToken
                | SessionsOp::DevicePending
                | SessionsOp::DeviceDeny
                | SessionsOp::Session
                | SessionsOp::Refresh
                | SessionsOp::Reauthenticate
                | SessionsOp::Logout
                | SessionsOp::ListSessions
                | SessionsOp::StartSession
                | SessionsOp::Whoami
                | SessionsOp::HolderRevoke
                | SessionsOp::Introspect
                | SessionsOp::PlatformIntrospect,
            )
            | Op::Docs(DocsOp::OpenApi) => Requires::Nothing,
        }
    }

    /// Its row of [`ROUTES`] (every operation has exactly one; a test
    /// holds that).
    pub fn route(self) -> &'static Route {
        ROUTES
            .iter()
            .find(|r| r.op == self)
            .unwrap_or_else(|| panic!("{self:?} is not declared in ROUTES"))
    }
}

/// The operations one function serves: lets a function pick its rows out
/// of [`ROUTES`].
pub trait FunctionOp: Copy + 'static {
    fn of(op: Op) -> Option<Self>;
}

/// `FunctionOp` for the operations of one `Op` variant, and the way back
/// into `Op`.
macro_rules! function_op {
    ($($ops:ident => $variant:ident),* $(,)?) => {$(
        impl FunctionOp for $ops {
            fn of(op: Op) -> Option<Self> {
                if let Op::$variant(op) = op { Some(op) } else { None }
            }
        }

        impl From<$ops> for Op {
            fn from(op: $ops) -> Op {
                Op::$variant(op)
            }
        }
    )*};
}

function_op!(
    TokensOp => Tokens,
    WorkspacesOp => Workspaces,
    SessionsOp => Sessions,
    DocsOp => Docs,
);

/// One route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub op: Op,
    pub method: Method,
    /// The path as API Gateway and axum spell it, `{name}` for a parameter,
    /// from the deployment's base (stage or custom domain).
    pub path: &'static str,
    pub access: Access,
    /// The operation id in the OpenAPI document (`group.action`).
    pub operation_id: &'static str,
}

impl Route {
    pub fn is_public(&self) -> bool {
        self.access == Access::Public
    }

    /// Whether the authorizer decides first (a bearer credential).
    pub fn behind_authorizer(&self) -> bool {
        matches!(self.access, Access::Authenticated | Access::Permission(_))
    }

    /// Whether API Gateway checks an AWS signature instead.
    pub fn is_iam(&self) -> bool {
        self.access == Access::Iam
    }

    /// The permission a restricted token needs here, if any.
    pub fn permission(&self) -> Option<ServicePermission> {
        self.access.permission()
    }

    /// The path's segments after `/v1`, each `{name}` replaced by the next
    /// of `params`, in order (for a client whose base URL ends in `/v1`).
    /// `None` when the counts differ.
    pub fn segments<'a>(&self, params: &[&'a str]) -> Option<Vec<&'a str>>
    where
        'static: 'a,
    {
        let mut params = params.iter();
        let segments = self
            .path
            .strip_prefix("/v1/")?
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    params.next().copied()
                } else {
                    Some(segment)
                }
            })
            .collect::<Option<Vec<_>>>()?;
        params.next().is_none().then_some(segments)
    }
}

const fn route(
    op: Op,
    method: Method,
    path: &'static str,
    access: Access,
    operation_id: &'static str,
) -> Route {
    Route {
        op,
        method,
        path,
        access,
        operation_id,
    }
}

use Access::{Authenticated, Iam, Public};
use Method::{Delete, Get, Patch, Post};
use ServicePermission::{
    ApiTokensIntrospect, ApiTokensRead, ApiTokensWrite, AuditLogRead, MembersRead, MembersWrite,
    WorkspacesRead, WorkspacesWrite,
};

/// A route a restricted token reaches only holding `p`.
const fn needs(p: ServicePermission) -> Access {
    Access::Permission(p)
}

/// Every route, grouped by function.
#[rustfmt::skip]
pub const ROUTES: &[Route] = &[
    // Tokens.
    route(Op::Tokens(TokensOp::Create), Post, "/v1/api_tokens", needs(ApiTokensWrite), "apiTokens.create"),
    route(Op::Tokens(TokensOp::List), Get, "/v1/api_tokens", needs(ApiTokensRead), "apiTokens.list"),
    route(Op::Tokens(TokensOp::Revoke), Delete, "/v1/api_tokens/{id}", needs(ApiTokensWrite), "apiTokens.revoke"),
    route(Op::Tokens(TokensOp::Roll), Post, "/v1/api_tokens/{id}/roll", needs(ApiTokensWrite), "apiTokens.roll"),
    route(Op::Tokens(TokensOp::CreateMine), Post, "/v1/me/api_tokens", needs(ApiTokensWrite), "me.apiTokens.create"),
    route(Op::Tokens(TokensOp::ListMine), Get, "/v1/me/api_tokens", needs(ApiTokensRead), "me.apiTokens.list"),
    route(Op::Tokens(TokensOp::RevokeMine), Delete, "/v1/me/api_tokens/{id}", needs(ApiTokensWrite), "me.apiTokens.revoke"),
    route(Op::Tokens(TokensOp::ReportLeaks), Post, "/v1/token_leaks", Public, "tokenLeaks.report"),
    route(Op::Tokens(TokensOp::Permissions), Get, "/v1/permissions", Authenticated, "permissions.list"),
    // Workspaces.
    route(Op::Workspaces(WorkspacesOp::Create), Post, "/v1/workspaces", needs(WorkspacesWrite), "workspaces.create"),
    route(Op::Workspaces(WorkspacesOp::List), Get, "/v1/workspaces", needs(WorkspacesRead), "workspaces.list"),
    route(Op::Workspaces(WorkspacesOp::Get), Get, "/v1/workspaces/{id}", needs(WorkspacesRead), "workspaces.get"),
    route(Op::Workspaces(WorkspacesOp::Update), Patch, "/v1/workspaces/{id}", needs(WorkspacesWrite), "workspaces.update"),
    route(Op::Workspaces(WorkspacesOp::ListMembers), Get, "/v1/workspaces/{id}/members", needs(MembersRead), "workspaces.members.list"),
    route(Op::Workspaces(WorkspacesOp::AddMember), Post, "/v1/workspaces/{id}/members", needs(MembersWrite), "workspaces.members.add"),
    route(Op::Workspaces(WorkspacesOp::ChangeRole), Patch, "/v1/workspaces/{id}/members/{user_id}", needs(MembersWrite), "workspaces.members.update"),
    route(Op::Workspaces(WorkspacesOp::RemoveMember), Delete, "/v1/workspaces/{id}/members/{user_id}", needs(MembersWrite), "workspaces.members.remove"),
    route(Op::Workspaces(WorkspacesOp::AuditLog), Get, "/v1/workspaces/{id}/audit_log", needs(AuditLogRead), "workspaces.auditLog.list"),
    route(Op::Workspaces(WorkspacesOp::MyAuditLog), Get, "/v1/me/audit_log", needs(AuditLogRead), "me.auditLog.list"),
    // Sessions and the device flow: a person's own (tokens are refused by
    // the handlers), or public.
    route(Op::Sessions(SessionsOp::DeviceCode), Post, "/v1/auth/device/code", Public, "auth.device.code"),
    route(Op::Sessions(SessionsOp::DeviceToken), Post, "/v1/auth/device/token", Public, "auth.device.token"),
    route(Op::Sessions(SessionsOp::DevicePending), Get, "/v1/auth/device/pending", Authenticated, "auth.device.pending"),
    route(Op::Sessions(SessionsOp::DeviceApprove), Post, "/v1/auth/device/approve", Authenticated, "auth.device.approve"),
    route(Op::Sessions(SessionsOp::DeviceDeny), Post, "/v1/auth/device/deny", Authenticated, "auth.device.deny"),
    route(Op::Sessions(SessionsOp::Session), Get, "/v1/auth/session", Authenticated, "auth.session.get"),
    route(Op::Sessions(SessionsOp::Refresh), Post, "/v1/auth/session/refresh", Authenticated, "auth.session.refresh"),
    route(Op::Sessions(SessionsOp::Reauthenticate), Post, "/v1/auth/session/reauthenticate", Authenticated, "auth.session.reauthenticate"),
    route(Op::Sessions(SessionsOp::Logout), Delete, "/v1/auth/session", Authenticated, "auth.session.logout"),
    route(Op::Sessions(SessionsOp::ListSessions), Get, "/v1/auth/sessions", Authenticated, "auth.sessions.list"),
    route(Op::Sessions(SessionsOp::StartSession), Post, "/v1/auth/sessions", Authenticated, "auth.sessions.create"),
    route(Op::Sessions(SessionsOp::EndOtherSessions), Delete, "/v1/auth/sessions", Authenticated, "auth.sessions.revokeOthers"),
    route(Op::Sessions(SessionsOp::EndSession), Delete, "/v1/auth/sessions/{id}", Authenticated, "auth.sessions.revoke"),
    route(Op::Sessions(SessionsOp::Whoami), Get, "/v1/auth/whoami", Authenticated, "auth.whoami"),
    // Whoever holds a secret may end it (RFC 7009): the secret is the
    // credential.
    route(Op::Sessions(SessionsOp::HolderRevoke), Post, "/v1/oauth/revoke", Public, "oauth.revoke"),
    // Is this credential good in my workspace (RFC 7662)?
    route(Op::Sessions(SessionsOp::Introspect), Post, "/v1/oauth/introspect", needs(ApiTokensIntrospect), "oauth.introspect"),
    // The same question from a platform backend signing with its AWS
    // role, about any workspace (a template option).
    route(Op::Sessions(SessionsOp::PlatformIntrospect), Post, "/v1/platform/introspect", Iam, "platform.introspect"),
    // The API document.
    route(Op::Docs(DocsOp::OpenApi), Get, "/v1/openapi.json", Public, "meta.openapi"),
];

/// The rows of one function's operations.
pub fn of<O: FunctionOp>() -> impl Iterator<Item = (&'static Route, O)> {
    ROUTES
        .iter()
        .filter_map(|route| O::of(route.op).map(|op| (route, op)))
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn each_operation_method_and_path_is_declared_once() {
        let mut ops = HashSet::new();
        let mut endpoints = HashSet::new();
        let mut ids = HashSet::new();
        for r in ROUTES {
            assert!(ops.insert(r.op), "{:?} declared twice", r.op);
            assert!(
                endpoints.insert((r.method, r.path)),
                "{} {}",
                r.method.as_str(),
                r.path
            );
            assert!(ids.insert(r.operation_id), "{}", r.operation_id);
            assert!(r.path.starts_with("/v1/"), "{}", r.path);
            assert_eq!(r.op.route(), r);
        }
    }

    /// Each permission of the service guards some route, and every route a
    /// token may call (all but the public ones and a person's sessions)
    /// declares one: a restricted token is never let through a route
    /// nobody decided about.
    #[test]
    fn every_route_declares_exactly_one_access_and_tokens_routes_a_permission() {
        for p in ServicePermission::ALL {
            assert!(
                ROUTES.iter().any(|r| r.permission() == Some(p)),
                "{} guards no route",
                p.as_str()
            );
        }
        for r in ROUTES {
            // Introspection is served with the sessions (it speaks OAuth)
            // and is a workspace's question: it needs its permission.
            let person_only_or_about_the_caller =
                matches!(r.op, Op::Sessions(_) | Op::Tokens(TokensOp::Permissions))
                    && !matches!(
                        r.op,
                        Op::Sessions(SessionsOp::Introspect | SessionsOp::PlatformIntrospect)
                    );
            match r.access {
                Access::Public => assert!(
                    matches!(
                        r.op,
                        Op::Sessions(
                            SessionsOp::DeviceCode
                                | SessionsOp::DeviceToken
                                | SessionsOp::HolderRevoke
                        ) | Op::Tokens(TokensOp::ReportLeaks)
                            | Op::Docs(DocsOp::OpenApi)
                    ),
                    "{} is public",
                    r.operation_id
                ),
                Access::Authenticated => assert!(
                    person_only_or_about_the_caller,
                    "{} needs a permission",
                    r.operation_id
                ),
                Access::Permission(_) => assert!(!person_only_or_about_the_caller),
                Access::Iam => assert_eq!(
                    r.op,
                    Op::Sessions(SessionsOp::PlatformIntrospect),
                    "{} is for AWS principals",
                    r.operation_id
                ),
            }
        }
    }

    #[test]
    fn a_path_s_segments_take_its_parameters_in_order() {
        let change = Op::Workspaces(WorkspacesOp::ChangeRole).route();
        assert_eq!(
            change.segments(&["ws_a", "usr_b"]),
            Some(vec!["workspaces", "ws_a", "members", "usr_b"])
        );
        assert_eq!(change.segments(&["ws_a"]), None);
        assert_eq!(
            Op::Sessions(SessionsOp::Whoami).route().segments(&["x"]),
            None
        );
    }
}
