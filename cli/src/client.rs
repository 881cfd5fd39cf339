//! The HTTP client: one method per API call, every failure turned into an
//! [`Error`] the caller can act on.
//!
//! - Bounded in time: connecting gives up after 5 s and a whole request
//!   after 30 s (`CNAP_TIMEOUT` overrides the latter), so a dead or
//!   black-holed server is an error with exit code 4, never a hang.
//! - The bearer header is marked sensitive, and errors are built from the
//!   URL and the server's answer only: a token cannot leak through them.
//! - Error bodies are read in both of the API's shapes: the envelope
//!   `{"error": {"code", "message", "field"}}` (DESIGN §6) and OAuth's
//!   `{"error", "error_description"}` from the device endpoints.

use std::time::Duration;

use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;
use url::Url;

use akua_core::audit::AuditEntry;
use akua_core::device::{AccessToken, DEVICE_GRANT_TYPE, DeviceAuthorization};
use akua_core::multi_tokens::{CreateMultiTokenRequest, CreatedMultiToken, MultiTokenSummary};
use akua_core::paging::Page;
use akua_core::permission::PermissionCatalog;
use akua_core::routes::{self, Op, SessionsOp, TokensOp, WorkspacesOp};
use akua_core::sessions::{Ended, SessionSummary, SessionView, Whoami};
use akua_core::tokens::{
    CreateApiTokenRequest, CreatedApiToken, RollApiTokenRequest, TokenSummary,
};
use akua_core::workspaces::{
    AddMemberRequest, ChangeRoleRequest, CreateWorkspaceRequest, MemberView,
    UpdateWorkspaceRequest, WorkspaceDetail, WorkspaceView,
};

use crate::credential::Credential;
use crate::error::{Error, Result};

const CONNECT_TIMEOUT_SECS: u64 = 5;
const REQUEST_TIMEOUT_SECS: u64 = 30;
/// Overrides the request timeout, in seconds.
pub const TIMEOUT_ENV: &str = "CNAP_TIMEOUT";
/// Who `cnap` is to the device flow (RFC 8628 §3.1 `client_id`).
pub const CLIENT_ID: &str = "cnap";
/// The workspace header (DESIGN §1).
const CONTEXT_HEADER: &str = "Akua-Context";

/// Reads a base URL: https (plain http only to this machine, where nothing
/// crosses a network), no query or fragment, and `/v1` added when only a
/// host is given (`http://127.0.0.1:8787` → `…/v1`). A bearer token sent
/// over plain http to another host could be read on the way.
pub fn parse_api_url(input: &str) -> std::result::Result<Url, String> {
    let mut url = Url::parse(input.trim()).map_err(|e| {
        format!("{input:?} is not a URL ({e}); expected e.g. https://api.example.com/v1")
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{input:?}: the API URL must start with http:// or https://"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() || url.cannot_be_a_base() {
        return Err(format!("{input:?}: the API URL takes no query or fragment"));
    }
    if url.scheme() == "http" && !is_loopback(&url) {
        return Err(format!(
            "{input:?}: plain http:// would send your token unencrypted; use https:// \
             (http:// is accepted only for this machine: localhost, 127.0.0.1, [::1])"
        ));
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(if path.is_empty() { "/v1" } else { &path });
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The outcome of one device-token poll (RFC 8628 §3.5).
pub enum Poll {
    Granted(Credential),
    Pending,
    SlowDown,
    Denied,
    Expired,
}

pub struct Client {
    http: reqwest::Client,
    base: Url,
    credential: Option<Credential>,
    workspace: Option<String>,
    timeout_secs: u64,
}

impl Client {
    /// `workspace` is sent as `Akua-Context` on authenticated calls.
    pub fn new(
        base: Url,
        credential: Option<Credential>,
        workspace: Option<String>,
    ) -> Result<Self> {
        let timeout_secs = match std::env::var(TIMEOUT_ENV) {
            Ok(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|s| *s > 0)
                .ok_or_else(|| {
                    Error::Usage(format!("{TIMEOUT_ENV} must be a whole number of seconds"))
                })?,
            Err(_) => REQUEST_TIMEOUT_SECS,
        };
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(CONNECT_TIMEOUT_SECS.min(timeout_secs)))
            .timeout(Duration::from_secs(timeout_secs))
            .user_agent(user_agent())
            .build()
            .map_err(|e| Error::Network {
                url: base.to_string(),
                reason: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Self {
            http,
            base,
            credential,
            workspace,
            timeout_secs,
        })
    }

    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("checked by parse_api_url")
            .extend(segments);
        url
    }

    fn request(&self, to: &Endpoint<'_>) -> RequestBuilder {
        self.http
            .request(to.method.clone(), self.url(&to.segments))
            .header(reqwest::header::ACCEPT, "application/json")
    }

    /// A request to a route the authorizer does not guard.
    fn public(&self, to: Endpoint<'_>) -> RequestBuilder {
        debug_assert!(to.public, "{:?} needs a credential", to.segments);
        self.request(&to)
    }

    /// A request with `Authorization` (marked sensitive by reqwest) and,
    /// when a workspace is selected, `Akua-Context`.
    fn authed(&self, to: Endpoint<'_>) -> Result<RequestBuilder> {
        let mut request = self.personal(to)?;
        if let Some(ws) = &self.workspace {
            request = request.header(CONTEXT_HEADER, ws);
        }
        Ok(request)
    }

    /// A request about the person, not a workspace (their sessions and
    /// multi-workspace tokens): `Authorization` only, so the selected
    /// workspace cannot make it fail.
    fn personal(&self, to: Endpoint<'_>) -> Result<RequestBuilder> {
        debug_assert!(!to.public, "{:?} is public", to.segments);
        let credential = self.credential.as_ref().ok_or(Error::NotLoggedIn)?;
        Ok(self.request(&to).bearer_auth(credential.expose()))
    }

    /// Sends and reads the whole answer, translating transport failures.
    async fn send(&self, request: RequestBuilder) -> Result<(StatusCode, Vec<u8>)> {
        let request = request.build().map_err(|e| self.transport(e))?;
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| self.transport(e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.transport(e))?;
        Ok((status, body.to_vec()))
    }

    async fn json<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T> {
        let (status, body) = self.send(request).await?;
        if !status.is_success() {
            return Err(api_error(status, &body));
        }
        serde_json::from_slice(&body).map_err(|e| Error::BadResponse {
            url: self.base.to_string(),
            reason: format!("HTTP {status} with a body cnap cannot read ({e})"),
        })
    }

    async fn no_content(&self, request: RequestBuilder) -> Result<()> {
        let (status, body) = self.send(request).await?;
        if status.is_success() {
            Ok(())
        } else {
            Err(api_error(status, &body))
        }
    }

    fn transport(&self, e: reqwest::Error) -> Error {
        let url = self.base.to_string();
        if e.is_connect() {
            let reason = if e.is_timeout() {
                format!("no connection within {CONNECT_TIMEOUT_SECS} s")
            } else {
                root_cause(&e)
            };
            Error::Connect { url, reason }
        } else if e.is_timeout() {
            Error::Timeout {
                url,
                secs: self.timeout_secs,
            }
        } else {
            Error::Network {
                url,
                reason: root_cause(&e),
            }
        }
    }

    /// Any request, for `cnap api`: `path` is relative to the API URL and
    /// may carry a query; answers the status and the raw body, whatever the
    /// status (the caller decides what an error is).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<Vec<u8>>,
    ) -> Result<(StatusCode, Vec<u8>)> {
        let (path, path_query) = path.split_once('?').unwrap_or((path, ""));
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let mut request = self.authed(Endpoint {
            method,
            segments,
            public: false,
        })?;
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(path_query.as_bytes())
            .into_owned()
            .collect();
        pairs.extend_from_slice(query);
        if !pairs.is_empty() {
            request = request.query(&pairs);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        self.send(request).await
    }

    /// The error a non-success answer stands for.
    pub fn error_of(status: StatusCode, body: &[u8]) -> Error {
        api_error(status, body)
    }

    /// `POST /auth/device/code`.
    pub async fn device_code(&self) -> Result<DeviceAuthorization> {
        let request = self
            .public(Endpoint::of(Op::Sessions(SessionsOp::DeviceCode), &[]))
            .form(&[("client_id", CLIENT_ID)]);
        self.json(request).await
    }

    /// `POST /oauth/revoke` (RFC 7009): ends whatever `secret` is the
    /// secret of, with no other credential. The answer is the same whether
    /// or not it named a live credential.
    pub async fn revoke_held(&self, secret: &str) -> Result<()> {
        let request = self
            .public(Endpoint::of(Op::Sessions(SessionsOp::HolderRevoke), &[]))
            .form(&[("token", secret)]);
        self.no_content(request).await
    }

    /// `POST /oauth/introspect` (RFC 7662): `secret` as the workspace the
    /// request acts in sees it.
    pub async fn introspect(
        &self,
        secret: &str,
    ) -> Result<akua_core::introspection::Introspection> {
        let request = self
            .authed(Endpoint::of(Op::Sessions(SessionsOp::Introspect), &[]))?
            .form(&[("token", secret)]);
        self.json(request).await
    }

    /// `POST /auth/device/token`: one poll.
    pub async fn device_token(&self, device_code: &str) -> Result<Poll> {
        let request = self
            .public(Endpoint::of(Op::Sessions(SessionsOp::DeviceToken), &[]))
            .form(&[
                ("grant_type", DEVICE_GRANT_TYPE),
                ("device_code", device_code),
                ("client_id", CLIENT_ID),
            ]);
        let (status, body) = self.send(request).await?;
        if status.is_success() {
            let bad = |reason: String| Error::BadResponse {
                url: self.base.to_string(),
                reason,
            };
            let token: AccessToken = serde_json::from_slice(&body)
                .map_err(|e| bad(format!("unreadable access token response ({e})")))?;
            let credential = Credential::parse(token.access_token.expose())
                .map_err(|_| bad("the access token is not a token".into()))?;
            return Ok(Poll::Granted(credential));
        }
        let error = api_error(status, &body);
        match &error {
            Error::Api { code, .. } => match code.as_str() {
                "authorization_pending" => Ok(Poll::Pending),
                "slow_down" => Ok(Poll::SlowDown),
                "access_denied" => Ok(Poll::Denied),
                "expired_token" => Ok(Poll::Expired),
                _ => Err(error),
            },
            _ => Err(error),
        }
    }

    /// `GET /auth/whoami`.
    pub async fn whoami(&self) -> Result<Whoami> {
        self.json(self.authed(Endpoint::of(Op::Sessions(SessionsOp::Whoami), &[]))?)
            .await
    }

    /// `GET /auth/session` (session credentials only).
    pub async fn session(&self) -> Result<SessionView> {
        self.json(self.authed(Endpoint::of(Op::Sessions(SessionsOp::Session), &[]))?)
            .await
    }

    /// `DELETE /auth/session`: revokes the calling session.
    pub async fn logout(&self) -> Result<()> {
        self.no_content(self.authed(Endpoint::of(Op::Sessions(SessionsOp::Logout), &[]))?)
            .await
    }

    /// `GET /auth/sessions`: one page of the caller's sessions.
    pub async fn list_sessions(
        &self,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<SessionSummary>> {
        let request = self.personal(Endpoint::of(Op::Sessions(SessionsOp::ListSessions), &[]))?;
        self.json(paged(request, limit, cursor)).await
    }

    /// `DELETE /auth/sessions/{id}`.
    pub async fn end_session(&self, id: &str) -> Result<()> {
        self.no_content(self.personal(Endpoint::of(Op::Sessions(SessionsOp::EndSession), &[id]))?)
            .await
    }

    /// `DELETE /auth/sessions`: all but the calling one.
    pub async fn end_other_sessions(&self) -> Result<Ended> {
        self.json(self.personal(Endpoint::of(
            Op::Sessions(SessionsOp::EndOtherSessions),
            &[],
        ))?)
        .await
    }

    /// `POST /api_tokens`.
    pub async fn create_token(&self, body: &CreateApiTokenRequest) -> Result<CreatedApiToken> {
        self.json(
            self.authed(Endpoint::of(Op::Tokens(TokensOp::Create), &[]))?
                .json(body),
        )
        .await
    }

    /// `GET /api_tokens`: one page.
    pub async fn list_tokens(
        &self,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<TokenSummary>> {
        let request = self.authed(Endpoint::of(Op::Tokens(TokensOp::List), &[]))?;
        self.json(paged(request, limit, cursor)).await
    }

    /// `POST /api_tokens/{id}/roll`.
    pub async fn roll_token(
        &self,
        id: &str,
        body: &RollApiTokenRequest,
    ) -> Result<CreatedApiToken> {
        self.json(
            self.authed(Endpoint::of(Op::Tokens(TokensOp::Roll), &[id]))?
                .json(body),
        )
        .await
    }

    /// `DELETE /api_tokens/{id}`.
    pub async fn revoke_token(&self, id: &str) -> Result<()> {
        self.no_content(self.authed(Endpoint::of(Op::Tokens(TokensOp::Revoke), &[id]))?)
            .await
    }

    /// `POST /me/api_tokens`.
    pub async fn create_my_token(
        &self,
        body: &CreateMultiTokenRequest,
    ) -> Result<CreatedMultiToken> {
        self.json(
            self.personal(Endpoint::of(Op::Tokens(TokensOp::CreateMine), &[]))?
                .json(body),
        )
        .await
    }

    /// `GET /me/api_tokens`: one page.
    pub async fn list_my_tokens(
        &self,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<MultiTokenSummary>> {
        let request = self.personal(Endpoint::of(Op::Tokens(TokensOp::ListMine), &[]))?;
        self.json(paged(request, limit, cursor)).await
    }

    /// `DELETE /me/api_tokens/{id}`.
    pub async fn revoke_my_token(&self, id: &str) -> Result<()> {
        self.no_content(self.personal(Endpoint::of(Op::Tokens(TokensOp::RevokeMine), &[id]))?)
            .await
    }

    /// `GET /permissions`: the catalog. About no workspace, so the selected
    /// one is not sent (a stale one cannot make it fail).
    pub async fn permissions(&self) -> Result<PermissionCatalog> {
        self.json(self.personal(Endpoint::of(Op::Tokens(TokensOp::Permissions), &[]))?)
            .await
    }

    /// `GET /workspaces/{id}`: the workspace and its token policy.
    pub async fn workspace(&self, id: &str) -> Result<WorkspaceDetail> {
        self.json(self.authed(Endpoint::of(Op::Workspaces(WorkspacesOp::Get), &[id]))?)
            .await
    }

    /// `PATCH /workspaces/{id}`: sets the token policy, whole.
    pub async fn update_workspace(
        &self,
        id: &str,
        body: &UpdateWorkspaceRequest,
    ) -> Result<WorkspaceDetail> {
        self.json(
            self.authed(Endpoint::of(Op::Workspaces(WorkspacesOp::Update), &[id]))?
                .json(body),
        )
        .await
    }

    /// `GET /workspaces/{id}/audit_log`, or with no workspace
    /// `GET /me/audit_log`: one page, filtered.
    pub async fn audit_log(
        &self,
        workspace: Option<&str>,
        filter: &[(&str, String)],
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<AuditEntry>> {
        let request = match workspace {
            Some(ws) => self.authed(Endpoint::of(Op::Workspaces(WorkspacesOp::AuditLog), &[ws]))?,
            None => self.personal(Endpoint::of(Op::Workspaces(WorkspacesOp::MyAuditLog), &[]))?,
        };
        self.json(paged(request, limit, cursor).query(filter)).await
    }

    /// `POST /workspaces`.
    pub async fn create_workspace(&self, body: &CreateWorkspaceRequest) -> Result<WorkspaceView> {
        self.json(
            self.authed(Endpoint::of(Op::Workspaces(WorkspacesOp::Create), &[]))?
                .json(body),
        )
        .await
    }

    /// `GET /workspaces/{id}/members`: one page.
    pub async fn list_members(
        &self,
        workspace: &str,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<MemberView>> {
        let request = self.authed(Endpoint::of(
            Op::Workspaces(WorkspacesOp::ListMembers),
            &[workspace],
        ))?;
        self.json(paged(request, limit, cursor)).await
    }

    /// `POST /workspaces/{id}/members`.
    pub async fn add_member(&self, workspace: &str, body: &AddMemberRequest) -> Result<MemberView> {
        self.json(
            self.authed(Endpoint::of(
                Op::Workspaces(WorkspacesOp::AddMember),
                &[workspace],
            ))?
            .json(body),
        )
        .await
    }

    /// `PATCH /workspaces/{id}/members/{user_id}`.
    pub async fn change_role(
        &self,
        workspace: &str,
        user: &str,
        body: &ChangeRoleRequest,
    ) -> Result<MemberView> {
        self.json(
            self.authed(Endpoint::of(
                Op::Workspaces(WorkspacesOp::ChangeRole),
                &[workspace, user],
            ))?
            .json(body),
        )
        .await
    }

    /// `DELETE /workspaces/{id}/members/{user_id}`.
    pub async fn remove_member(&self, workspace: &str, user: &str) -> Result<()> {
        self.no_content(self.authed(Endpoint::of(
            Op::Workspaces(WorkspacesOp::RemoveMember),
            &[workspace, user],
        ))?)
        .await
    }

    /// `GET /workspaces`: one page.
    pub async fn list_workspaces(
        &self,
        limit: Option<u32>,
        cursor: Option<&str>,
    ) -> Result<Page<WorkspaceView>> {
        let request = self.authed(Endpoint::of(Op::Workspaces(WorkspacesOp::List), &[]))?;
        self.json(paged(request, limit, cursor)).await
    }
}

/// `cnap/0.1.0 (linux; x86_64)`: the version and the platform, which the
/// person approving a device login is shown (RFC 8628 §5.4).
fn user_agent() -> String {
    format!(
        "cnap/{} ({}; {})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// Where a request goes: a method and the path's segments after the API
/// URL (which ends in `/v1`).
struct Endpoint<'a> {
    method: Method,
    segments: Vec<&'a str>,
    public: bool,
}

impl<'a> Endpoint<'a> {
    /// A declared route ([`akua_core::routes::ROUTES`]), its parameters
    /// filled in: the client never spells a path or a method itself.
    fn of(op: Op, params: &[&'a str]) -> Self {
        let route = op.route();
        Self {
            method: match route.method {
                routes::Method::Get => Method::GET,
                routes::Method::Post => Method::POST,
                routes::Method::Patch => Method::PATCH,
                routes::Method::Delete => Method::DELETE,
            },
            segments: route
                .segments(params)
                .unwrap_or_else(|| panic!("{} takes other parameters", route.path)),
            public: route.is_public(),
        }
    }
}

fn paged(request: RequestBuilder, limit: Option<u32>, cursor: Option<&str>) -> RequestBuilder {
    let mut query: Vec<(&str, String)> = Vec::new();
    if let Some(limit) = limit {
        query.push(("limit", limit.to_string()));
    }
    if let Some(cursor) = cursor {
        query.push(("cursor", cursor.to_owned()));
    }
    request.query(&query)
}

/// The innermost cause, e.g. "Connection refused (os error 111)": the
/// outer layers only repeat "error sending request".
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// Reads an error answer in either of the API's shapes, or API Gateway's
/// own `{"message": …}` (an HTTP API's refusals: no envelope, no reason);
/// anything else (a proxy's HTML page) keeps the status and its reason
/// phrase.
fn api_error(status: StatusCode, body: &[u8]) -> Error {
    let value: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = |v: &Value| v.as_str().map(str::to_owned);
    let reason = status.canonical_reason().unwrap_or("error").to_lowercase();
    let (code, message, field, why) = match &value["error"] {
        Value::Object(e) => (
            text(&e["code"]),
            text(&e["message"]),
            e.get("field").and_then(text),
            e.get("reason").and_then(text).filter(|r| !r.is_empty()),
        ),
        Value::String(code) => (
            Some(code.clone()),
            text(&value["error_description"]),
            None,
            None,
        ),
        _ => (
            match status {
                StatusCode::UNAUTHORIZED => Some("unauthorized".to_owned()),
                StatusCode::FORBIDDEN => Some("forbidden".to_owned()),
                _ => None,
            }
            .filter(|_| value["message"].is_string()),
            text(&value["message"]),
            None,
            None,
        ),
    };
    Error::Api {
        status: status.as_u16(),
        code: code.unwrap_or_else(|| format!("http_{}", status.as_u16())),
        message: message.unwrap_or(reason),
        field,
        reason: why,
        credential: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(e: Error) -> (u16, String, String, Option<String>) {
        match e {
            Error::Api {
                status,
                code,
                message,
                field,
                ..
            } => (status, code, message, field),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn api_urls_are_normalised() {
        let s = |i: &str| parse_api_url(i).map(|u| u.to_string());
        assert_eq!(
            s("http://127.0.0.1:8787").unwrap(),
            "http://127.0.0.1:8787/v1"
        );
        assert_eq!(
            s("https://api.example.com/v1/").unwrap(),
            "https://api.example.com/v1"
        );
        assert_eq!(
            s("https://x.example/prod/v1").unwrap(),
            "https://x.example/prod/v1"
        );
        assert!(s("ftp://x").is_err());
        assert!(s("127.0.0.1:8787").is_err());
        assert!(s("http://x/v1?a=b").is_err());
    }

    #[test]
    fn plain_http_is_refused_beyond_this_machine() {
        let ok = |i: &str| parse_api_url(i).is_ok();
        assert!(ok("http://127.0.0.1:8787/v1"));
        assert!(ok("http://127.9.9.9/v1"));
        assert!(ok("http://localhost:8787"));
        assert!(ok("http://[::1]:8787"));
        assert!(ok("https://api.example.com/v1"));
        for bad in [
            "http://api.example.com/v1",
            "http://10.0.0.1/v1",
            "http://localhost.example.com/v1",
            "http://[::2]/v1",
        ] {
            let e = parse_api_url(bad).unwrap_err();
            assert!(e.contains("https://"), "{bad}: {e}");
        }
    }

    #[test]
    fn paths_are_escaped_segments() {
        let client =
            Client::new(parse_api_url("http://127.0.0.1/v1").unwrap(), None, None).unwrap();
        assert_eq!(
            client.url(&["api_tokens", "tok_1/../x"]).as_str(),
            "http://127.0.0.1/v1/api_tokens/tok_1%2F..%2Fx"
        );
    }

    #[test]
    fn both_error_shapes_are_read() {
        let envelope =
            br#"{"error":{"code":"validation_error","message":"too long","field":"name"}}"#;
        assert_eq!(
            parts(api_error(StatusCode::UNPROCESSABLE_ENTITY, envelope)),
            (
                422,
                "validation_error".into(),
                "too long".into(),
                Some("name".into())
            )
        );
        let oauth = br#"{"error":"slow_down","error_description":"polling too fast"}"#;
        assert_eq!(
            parts(api_error(StatusCode::BAD_REQUEST, oauth)),
            (400, "slow_down".into(), "polling too fast".into(), None)
        );
        // An HTTP API's own refusals: its message, the class by status.
        let gateway = br#"{"message":"Forbidden"}"#;
        assert_eq!(
            parts(api_error(StatusCode::FORBIDDEN, gateway)),
            (403, "forbidden".into(), "Forbidden".into(), None)
        );
        let gateway = br#"{"message":"Not Found"}"#;
        assert_eq!(
            parts(api_error(StatusCode::NOT_FOUND, gateway)),
            (404, "http_404".into(), "Not Found".into(), None)
        );
        let html = b"<html>bad gateway</html>";
        assert_eq!(
            parts(api_error(StatusCode::BAD_GATEWAY, html)),
            (502, "http_502".into(), "bad gateway".into(), None)
        );
    }

    #[tokio::test]
    async fn calls_needing_a_credential_fail_before_any_request() {
        // Port 9 (discard) is never contacted: the error comes first.
        let client =
            Client::new(parse_api_url("http://127.0.0.1:9/v1").unwrap(), None, None).unwrap();
        assert!(matches!(client.whoami().await, Err(Error::NotLoggedIn)));
    }
}
