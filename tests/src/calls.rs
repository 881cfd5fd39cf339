//! One constructor per route of the API, built on the core's route table
//! and request types: a test says which operation it asks for and with
//! what, and the method, the path and the body follow from the same
//! declarations the functions serve. A route renamed in
//! `akua_core::routes::ROUTES` moves every test with it; a request field
//! renamed in the core's types does too.
//!
//! A [`Call`] is only the request; who sends it (credential, workspace,
//! address) is the [`crate::Caller`]'s, and the transport is the
//! caller's too: the local gateway ([`crate::Caller::send`]) or a Lambda
//! event built from the call's parts.
//!
//! The wire itself (a literal path, a hand-written body, a malformed
//! one) is spelled only in the wire tests, so that a change of the wire
//! is still caught there.

use akua_core::clock::UnixTime;
use akua_core::device::{DEVICE_GRANT_TYPE, DeviceAnswerRequest};
use akua_core::multi_tokens::CreateMultiTokenRequest;
use akua_core::routes::{DocsOp, Method as RouteMethod, Op, SessionsOp, TokensOp, WorkspacesOp};
use akua_core::sessions::{ReauthenticateRequest, StartSessionRequest};
use akua_core::tokens::{CreateApiTokenRequest, RollApiTokenRequest};
use akua_core::workspaces::{
    AddMemberRequest, ChangeRoleRequest, CreateWorkspaceRequest, UpdateWorkspaceRequest,
};
use akua_core::{TokenName, TokenRole, WorkspaceId, WorkspaceName};
use axum::http::Method;
use serde::Serialize;
use serde_json::Value;

/// A request's body.
#[derive(Debug, Clone, PartialEq)]
pub enum Body {
    None,
    Json(Value),
    /// `application/x-www-form-urlencoded` (the OAuth endpoints).
    Form(Vec<(String, String)>),
    /// Bytes sent as they are, as `application/json` (a signed report,
    /// whose signature covers these exact bytes).
    Raw(Vec<u8>),
}

impl Body {
    /// The `Content-Type` and bytes this body is sent as; `None`: no body.
    pub fn encoded(&self) -> Option<(&'static str, Vec<u8>)> {
        match self {
            Body::None => None,
            Body::Json(value) => Some(("application/json", value.to_string().into_bytes())),
            Body::Form(fields) => Some((
                "application/x-www-form-urlencoded",
                fields
                    .iter()
                    .map(|(k, v)| format!("{k}={}", encode(v)))
                    .collect::<Vec<_>>()
                    .join("&")
                    .into_bytes(),
            )),
            Body::Raw(bytes) => Some(("application/json", bytes.clone())),
        }
    }
}

/// One request to one route, before anyone sends it.
#[derive(Debug, Clone)]
pub struct Call {
    pub op: Op,
    pub method: Method,
    /// The path from the API's base, `{…}` filled in (percent-encoded),
    /// with the query, if any.
    pub path: String,
    pub body: Body,
    /// Headers beyond the caller's credential and workspace.
    pub headers: Vec<(String, String)>,
}

/// `?limit=&cursor=` and the audit log's filters, in the order added.
#[derive(Debug, Clone, Default)]
pub struct Query(Vec<(&'static str, String)>);

impl Query {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn limit(self, n: i64) -> Self {
        self.with("limit", n.to_string())
    }

    /// The next page after the one whose `next_cursor` this is.
    pub fn cursor(self, cursor: &str) -> Self {
        self.with("cursor", cursor.to_owned())
    }

    pub fn action(self, action: &str) -> Self {
        self.with("action", action.to_owned())
    }

    pub fn actor(self, actor: &str) -> Self {
        self.with("actor", actor.to_owned())
    }

    pub fn since(self, at: i64) -> Self {
        self.with("since", at.to_string())
    }

    pub fn until(self, at: i64) -> Self {
        self.with("until", at.to_string())
    }

    /// The device login's code (`GET /v1/auth/device/pending`).
    pub fn user_code(self, code: &str) -> Self {
        self.with("user_code", code.to_owned())
    }

    fn with(mut self, key: &'static str, value: String) -> Self {
        self.0.push((key, value));
        self
    }
}

impl Call {
    /// The route of `op`, its `{…}` filled from `params` in order.
    ///
    /// Panics when the counts differ: a test naming a route wrongly is a
    /// bug in the test.
    pub fn to(op: Op, params: &[&str]) -> Call {
        let route = op.route();
        let wanted = route.path.matches('{').count();
        assert_eq!(
            wanted,
            params.len(),
            "{} takes {wanted} parameters",
            route.path
        );
        let mut params = params.iter();
        let path = route
            .path
            .split('/')
            .map(|segment| match segment.starts_with('{') {
                true => encode(params.next().expect("counted")),
                false => segment.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("/");
        Call {
            op,
            method: method_of(route.method),
            path,
            body: Body::None,
            headers: Vec::new(),
        }
    }

    /// The same call with `query` after its path.
    pub fn query(mut self, query: Query) -> Call {
        if !query.0.is_empty() {
            let pairs: Vec<String> = query
                .0
                .iter()
                .map(|(k, v)| format!("{k}={}", encode(v)))
                .collect();
            self.path = format!("{}?{}", self.path, pairs.join("&"));
        }
        self
    }

    /// The same call with `body` as its JSON body.
    pub fn json(mut self, body: &impl Serialize) -> Call {
        self.body = Body::Json(serde_json::to_value(body).expect("a request type serialises"));
        self
    }

    /// The same call with one more header.
    pub fn header(mut self, name: &str, value: &str) -> Call {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The same form call with one more field (an optional OAuth
    /// parameter: `scope`, `token_type_hint`, `workspace_id`).
    pub fn field(mut self, name: &str, value: &str) -> Call {
        match &mut self.body {
            Body::Form(fields) => fields.push((name.to_owned(), value.to_owned())),
            other => panic!("{:?} is not a form call ({other:?})", self.op),
        }
        self
    }

    fn form(mut self, fields: &[(&str, &str)]) -> Call {
        self.body = Body::Form(
            fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        );
        self
    }

    // Tokens.

    pub fn create_token(body: &CreateApiTokenRequest) -> Call {
        Self::to(TokensOp::Create.into(), &[]).json(body)
    }

    pub fn list_tokens(query: Query) -> Call {
        Self::to(TokensOp::List.into(), &[]).query(query)
    }

    pub fn revoke_token(id: &str) -> Call {
        Self::to(TokensOp::Revoke.into(), &[id])
    }

    pub fn roll_token(id: &str, body: &RollApiTokenRequest) -> Call {
        Self::to(TokensOp::Roll.into(), &[id]).json(body)
    }

    pub fn create_my_token(body: &CreateMultiTokenRequest) -> Call {
        Self::to(TokensOp::CreateMine.into(), &[]).json(body)
    }

    pub fn list_my_tokens(query: Query) -> Call {
        Self::to(TokensOp::ListMine.into(), &[]).query(query)
    }

    pub fn revoke_my_token(id: &str) -> Call {
        Self::to(TokensOp::RevokeMine.into(), &[id])
    }

    /// A scanner's leak report: `report` is the exact JSON its signature
    /// (headers the scanner adds) covers; see `akua_core::leaks::ReportedToken`.
    pub fn report_leaks(report: &[u8]) -> Call {
        let mut call = Self::to(TokensOp::ReportLeaks.into(), &[]);
        call.body = Body::Raw(report.to_vec());
        call
    }

    pub fn permissions() -> Call {
        Self::to(TokensOp::Permissions.into(), &[])
    }

    // Workspaces.

    pub fn create_workspace(name: &str) -> Call {
        Self::to(WorkspacesOp::Create.into(), &[]).json(&CreateWorkspaceRequest {
            name: WorkspaceName::parse(name).expect("a valid workspace name"),
        })
    }

    pub fn list_workspaces(query: Query) -> Call {
        Self::to(WorkspacesOp::List.into(), &[]).query(query)
    }

    pub fn workspace(id: &str) -> Call {
        Self::to(WorkspacesOp::Get.into(), &[id])
    }

    pub fn update_workspace(id: &str, body: &UpdateWorkspaceRequest) -> Call {
        Self::to(WorkspacesOp::Update.into(), &[id]).json(body)
    }

    pub fn members(id: &str, query: Query) -> Call {
        Self::to(WorkspacesOp::ListMembers.into(), &[id]).query(query)
    }

    pub fn add_member(id: &str, user: &str, role: TokenRole) -> Call {
        Self::to(WorkspacesOp::AddMember.into(), &[id]).json(&AddMemberRequest {
            user_id: akua_core::UserId::parse(user).expect("a valid user id"),
            role,
        })
    }

    pub fn change_role(id: &str, user: &str, role: TokenRole) -> Call {
        Self::to(WorkspacesOp::ChangeRole.into(), &[id, user]).json(&ChangeRoleRequest { role })
    }

    pub fn remove_member(id: &str, user: &str) -> Call {
        Self::to(WorkspacesOp::RemoveMember.into(), &[id, user])
    }

    pub fn audit_log(id: &str, query: Query) -> Call {
        Self::to(WorkspacesOp::AuditLog.into(), &[id]).query(query)
    }

    pub fn my_audit_log(query: Query) -> Call {
        Self::to(WorkspacesOp::MyAuditLog.into(), &[]).query(query)
    }

    // Sessions and the device flow.

    /// Starts a device login for `client_id` (a form, RFC 8628 §3.1).
    pub fn device_code(client_id: &str) -> Call {
        Self::to(SessionsOp::DeviceCode.into(), &[]).form(&[("client_id", client_id)])
    }

    /// One poll for `device_code` (a form, RFC 8628 §3.4).
    pub fn device_token(device_code: &str, client_id: &str) -> Call {
        Self::to(SessionsOp::DeviceToken.into(), &[]).form(&[
            ("grant_type", DEVICE_GRANT_TYPE),
            ("device_code", device_code),
            ("client_id", client_id),
        ])
    }

    pub fn device_pending(user_code: &str) -> Call {
        Self::to(SessionsOp::DevicePending.into(), &[]).query(Query::new().user_code(user_code))
    }

    pub fn approve_device(user_code: &str) -> Call {
        Self::to(SessionsOp::DeviceApprove.into(), &[]).json(&DeviceAnswerRequest {
            user_code: user_code.to_owned(),
        })
    }

    pub fn deny_device(user_code: &str) -> Call {
        Self::to(SessionsOp::DeviceDeny.into(), &[]).json(&DeviceAnswerRequest {
            user_code: user_code.to_owned(),
        })
    }

    pub fn session() -> Call {
        Self::to(SessionsOp::Session.into(), &[])
    }

    pub fn refresh() -> Call {
        Self::to(SessionsOp::Refresh.into(), &[])
    }

    pub fn reauthenticate(body: &ReauthenticateRequest) -> Call {
        Self::to(SessionsOp::Reauthenticate.into(), &[]).json(body)
    }

    pub fn logout() -> Call {
        Self::to(SessionsOp::Logout.into(), &[])
    }

    pub fn list_sessions(query: Query) -> Call {
        Self::to(SessionsOp::ListSessions.into(), &[]).query(query)
    }

    pub fn start_session(body: &StartSessionRequest) -> Call {
        Self::to(SessionsOp::StartSession.into(), &[]).json(body)
    }

    pub fn end_other_sessions() -> Call {
        Self::to(SessionsOp::EndOtherSessions.into(), &[])
    }

    pub fn end_session(id: &str) -> Call {
        Self::to(SessionsOp::EndSession.into(), &[id])
    }

    pub fn whoami() -> Call {
        Self::to(SessionsOp::Whoami.into(), &[])
    }

    /// Ends whatever `secret` is the secret of (a form, RFC 7009).
    pub fn revoke_held(secret: &str) -> Call {
        Self::to(SessionsOp::HolderRevoke.into(), &[]).form(&[("token", secret)])
    }

    /// Asks what `secret` is (a form, RFC 7662).
    pub fn introspect(secret: &str) -> Call {
        Self::to(SessionsOp::Introspect.into(), &[]).form(&[("token", secret)])
    }

    /// The platform's question about `secret`, signed with an AWS role.
    pub fn platform_introspect(secret: &str) -> Call {
        Self::to(SessionsOp::PlatformIntrospect.into(), &[]).form(&[("token", secret)])
    }

    pub fn openapi() -> Call {
        Self::to(DocsOp::OpenApi.into(), &[])
    }
}

/// A token request with `name` and nothing else: every field its default
/// (an admin token that never expires, unrestricted). Set the rest with
/// struct update syntax.
pub fn token_named(name: &str) -> CreateApiTokenRequest {
    CreateApiTokenRequest {
        name: TokenName::parse(name).expect("a valid token name"),
        expires_at: None,
        role: None,
        permissions: None,
        allowed_cidrs: None,
    }
}

/// A multi-workspace token request for `workspaces`, otherwise defaults.
pub fn multi_token_named(name: &str, workspaces: &[&str]) -> CreateMultiTokenRequest {
    CreateMultiTokenRequest {
        name: TokenName::parse(name).expect("a valid token name"),
        workspace_ids: workspaces
            .iter()
            .map(|w| WorkspaceId::parse(w).expect("a valid workspace id"))
            .collect(),
        role: None,
        expires_at: None,
        permissions: None,
        allowed_cidrs: None,
    }
}

/// A roll whose old secret works `grace_secs` longer; same expiry.
pub fn roll_with_grace(grace_secs: i64) -> RollApiTokenRequest {
    RollApiTokenRequest {
        grace_period_secs: grace_secs,
        expires_at: None,
    }
}

/// `at` as the request types carry times.
pub fn at(secs: i64) -> Option<UnixTime> {
    Some(UnixTime(secs))
}

/// `permissions` as the request types carry them.
pub fn names(values: &[&str]) -> Option<Vec<String>> {
    Some(values.iter().map(|v| (*v).to_owned()).collect())
}

fn method_of(method: RouteMethod) -> Method {
    Method::from_bytes(method.as_str().as_bytes()).expect("an HTTP method")
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_fills_its_route_and_encodes_what_it_fills_in() {
        let call = Call::change_role("ws_a", "usr a/b", TokenRole::Member);
        assert_eq!(call.method, Method::PATCH);
        assert_eq!(call.path, "/v1/workspaces/ws_a/members/usr%20a%2Fb");
        assert_eq!(call.body, Body::Json(serde_json::json!({"role": "member"})));
        let listed = Call::list_tokens(Query::new().limit(3).cursor("a+b"));
        assert_eq!(listed.path, "/v1/api_tokens?limit=3&cursor=a%2Bb");
    }

    #[test]
    #[should_panic(expected = "takes 1 parameters")]
    fn a_call_with_the_wrong_number_of_parameters_is_a_test_bug() {
        Call::to(TokensOp::Revoke.into(), &[]);
    }
}
