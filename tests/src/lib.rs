//! A typed test client for the whole API: a fresh embedded engine, the
//! local gateway in front of the real function routers, the real
//! authorizer, and helpers to seed identities the API cannot create itself.

pub mod calls;
pub mod process;

pub use calls::{Body, Call, Query};

use std::time::Duration;

use akua_core::leaks::LeakConfig;
use akua_core::ports::WorkspaceStore as _;
use akua_core::records::Membership;
use akua_core::{Authorizer, Role, UserId, WorkspaceId, clock};
use akua_local::gateway::{Gateway, body_bytes};
use akua_store::{DynamoStore, endpoint_config};
use akua_testkit::{Engine, FaultProxy, TestIssuer, TestScanner};
use axum::body::Bytes;
use axum::http::{Method, Request, StatusCode};
use serde_json::Value;

/// A response: status, headers and JSON body (`Null` when empty).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

impl Reply {
    /// The error code of an envelope, if any.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// Why a 403 was answered (the envelope's `reason`), if said.
    pub fn reason(&self) -> &str {
        self.body["error"]["reason"].as_str().unwrap_or("")
    }

    /// The body as the core's response type `T`, after checking the
    /// status is `expected`; a mismatch fails the test with the body.
    pub fn expect<T: serde::de::DeserializeOwned>(&self, expected: StatusCode) -> T {
        assert_eq!(self.status, expected, "{}", self.body);
        serde_json::from_value(self.body.clone())
            .unwrap_or_else(|e| panic!("not the documented shape ({e}): {}", self.body))
    }

    /// [`Reply::expect`] for `200 OK`.
    pub fn ok<T: serde::de::DeserializeOwned>(&self) -> T {
        self.expect(StatusCode::OK)
    }
}

/// The dashboard's client id at the test issuer: the audience of its ID
/// tokens.
pub const DASHBOARD_CLIENT_ID: &str = "akua-dashboard-test";

pub struct Api {
    pub engine: Engine,
    pub issuer: TestIssuer,
    /// The secret scanner whose signed leak reports the API trusts.
    pub scanner: TestScanner,
    pub gateway: Gateway,
}

impl Api {
    pub async fn start() -> Api {
        let engine = Engine::start().await;
        let store = engine.store.clone();
        Self::with_store(engine, store).await
    }

    /// An API whose functions reach the engine through a [`FaultProxy`];
    /// `api.engine` still reads the engine directly, to inspect what is left.
    pub async fn start_faulty() -> (Api, FaultProxy) {
        let engine = Engine::start().await;
        let proxy = FaultProxy::start(&engine.endpoint).await;
        let client = aws_sdk_dynamodb::Client::from_conf(endpoint_config(&proxy.endpoint).build());
        let store = DynamoStore::new(client, engine.table.clone());
        (Self::with_store(engine, store).await, proxy)
    }

    async fn with_store(engine: Engine, store: DynamoStore) -> Api {
        let issuer = TestIssuer::start().await;
        let verifier = akua_edge::fetch::jwt_verifier(issuer.config(Duration::from_secs(30)))
            .expect("verifier");
        let device = akua_core::device::DeviceConfig {
            verification_uri: "http://127.0.0.1:8787/device".into(),
            client_ids: vec!["cnap".into()],
        };
        let scanner = TestScanner::start().await;
        let leaks = akua_edge::fetch::scanner_keys(LeakConfig {
            keys_url: scanner.keys_url.clone(),
            scanner: "github".into(),
            freshness: akua_core::leaks::KEYS_FRESHNESS,
        })
        .expect("scanner keys");
        // The dashboard's ID tokens: the test issuer's, for its client id.
        let mut id_token_config = issuer.config(Duration::from_secs(30));
        id_token_config.audience = DASHBOARD_CLIENT_ID.to_owned();
        let id_tokens = akua_edge::fetch::jwt_verifier(id_token_config).expect("ID token verifier");
        let gateway = Gateway::new(
            Authorizer::new(store, Some(verifier)),
            device,
            leaks,
            Some(std::sync::Arc::new(id_tokens)),
            akua_local::gateway::Stage::default(),
        );
        Api {
            engine,
            issuer,
            scanner,
            gateway,
        }
    }

    /// A JWT for `sub` from the test issuer, valid for an hour.
    pub fn jwt(&self, sub: &str) -> String {
        TestIssuer::sign(
            "rsa-1",
            jsonwebtoken_alg(),
            &TestIssuer::claims(sub, clock::now()),
        )
    }

    /// A JWT for `sub` whose person signed in at `auth_time` (`None`: an
    /// integration's token, without `auth_time`).
    pub fn jwt_signed_in(&self, sub: &str, auth_time: Option<i64>) -> String {
        let mut claims = TestIssuer::claims(sub, clock::now());
        match auth_time {
            Some(at) => claims["auth_time"] = at.into(),
            None => {
                claims.as_object_mut().map(|c| c.remove("auth_time"));
            }
        }
        TestIssuer::sign("rsa-1", jsonwebtoken_alg(), &claims)
    }

    /// An OpenID Connect ID token for `sub`, issued to the dashboard
    /// ([`DASHBOARD_CLIENT_ID`]) for the sign-in request whose nonce was
    /// made from `secret`.
    pub fn id_token(&self, sub: &str, secret: &str, auth_time: i64) -> String {
        let mut claims = TestIssuer::claims(sub, clock::now());
        claims["aud"] = DASHBOARD_CLIENT_ID.into();
        claims["nonce"] = akua_core::sessions::nonce_of(secret).into();
        claims["auth_time"] = auth_time.into();
        TestIssuer::sign("rsa-1", jsonwebtoken_alg(), &claims)
    }

    /// Creates `workspace` with `owner` as its owner directly in the store
    /// (its item too, which [`Api::add_member`] does not write).
    pub async fn create_workspace(&self, workspace: &str, owner: &str) {
        let workspace = akua_core::records::WorkspaceRecord {
            id: WorkspaceId::parse(workspace).expect("ws id"),
            name: akua_core::WorkspaceName::parse(workspace).expect("name"),
            created_at: clock::now(),
            created_by: UserId::parse(owner).expect("user id"),
            token_policy: Default::default(),
        };
        let owner = Membership {
            workspace_id: workspace.id.clone(),
            user_id: workspace.created_by.clone(),
            role: Role::Owner,
            joined_at: clock::now(),
        };
        self.engine
            .store
            .create_workspace(&workspace, &owner, &[])
            .await
            .expect("create workspace");
    }

    /// Makes `user` a member of `workspace` directly in the store.
    pub async fn add_member(&self, workspace: &str, user: &str, role: Role) {
        self.engine
            .store
            .add_member(
                &Membership {
                    workspace_id: WorkspaceId::parse(workspace).expect("ws id"),
                    user_id: UserId::parse(user).expect("user id"),
                    role,
                    joined_at: clock::now(),
                },
                &[],
            )
            .await
            .expect("put membership");
    }

    /// A caller presenting `token`, if any, in `workspace`, if any: for
    /// tests whose credential and workspace are themselves variables.
    pub fn caller(&self, token: Option<&str>, workspace: Option<&str>) -> Caller<'_> {
        Caller {
            token: token.map(str::to_owned),
            context: workspace.map(str::to_owned),
            ..self.anonymous()
        }
    }

    /// A caller without credentials.
    pub fn anonymous(&self) -> Caller<'_> {
        Caller {
            api: self,
            token: None,
            context: None,
            source: None,
        }
    }

    /// A caller presenting `token` (an API token, a session or a JWT) as
    /// `Authorization: Bearer …`.
    pub fn as_token(&self, token: &str) -> Caller<'_> {
        Caller {
            token: Some(token.to_owned()),
            ..self.anonymous()
        }
    }

    /// A caller signed in as `user`: a JWT for them from the test issuer
    /// (see [`Api::jwt`]), as the tests' person credentials are.
    pub fn as_user(&self, user: &str) -> Caller<'_> {
        self.as_token(&self.jwt(user))
    }

    /// Sends a request. `token` becomes `Authorization: Bearer …`;
    /// `context` becomes `Akua-Context`; a `body` is sent as JSON.
    ///
    /// The long form of a [`Caller`]'s requests, for callers whose
    /// credential and context are themselves variables.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        context: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        self.send(request_for(None, method, path, token, context, body))
            .await
    }

    /// POSTs an `application/x-www-form-urlencoded` body (OAuth style).
    pub async fn form(&self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", calls::encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Bytes::from(body))
            .expect("request");
        self.send(request).await
    }

    /// Sends a request exactly as built.
    pub async fn send(&self, request: Request<Bytes>) -> Reply {
        let (status, headers, bytes) = body_bytes(self.gateway.handle(request).await).await;
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }
}

/// Who sends a request and in which workspace: made by [`Api::anonymous`],
/// [`Api::as_token`] or [`Api::as_user`], narrowed by [`Caller::in_ws`].
///
/// A caller is reusable (`let owner = api.as_user("usr_owner");`), and the
/// future of each request borrows only the [`Api`], so requests of
/// temporary callers can be collected and run together.
#[derive(Clone)]
pub struct Caller<'a> {
    api: &'a Api,
    token: Option<String>,
    context: Option<String>,
    source: Option<std::net::IpAddr>,
}

impl<'a> Caller<'a> {
    /// The same caller naming `workspace` in `Akua-Context`.
    pub fn in_ws(&self, workspace: &str) -> Caller<'a> {
        Caller {
            context: Some(workspace.to_owned()),
            ..self.clone()
        }
    }

    /// The same caller connecting from `ip` (IP allow lists).
    pub fn from_ip(&self, ip: &str) -> Caller<'a> {
        Caller {
            source: Some(ip.parse().expect("an IP address")),
            ..self.clone()
        }
    }

    /// Sends `call` (see [`Call`]) with this caller's credential,
    /// workspace and address.
    pub fn send(&self, call: Call) -> impl Future<Output = Reply> + use<'a> {
        let api = self.api;
        let mut request = request_for(
            self.source,
            call.method,
            &call.path,
            self.token.as_deref(),
            self.context.as_deref(),
            None,
        );
        if let Some((content_type, bytes)) = call.body.encoded() {
            request
                .headers_mut()
                .insert("content-type", content_type.parse().expect("header"));
            *request.body_mut() = Bytes::from(bytes);
        }
        for (name, value) in &call.headers {
            request.headers_mut().insert(
                axum::http::HeaderName::try_from(name.as_str()).expect("a header name"),
                value.parse().expect("a header value"),
            );
        }
        async move { api.send(request).await }
    }

    /// A workspace token this caller makes in its workspace with
    /// `request`; anything but `201 Created` fails the test.
    pub async fn new_token(
        &self,
        request: &akua_core::tokens::CreateApiTokenRequest,
    ) -> akua_core::tokens::CreatedApiToken {
        self.send(Call::create_token(request))
            .await
            .expect(StatusCode::CREATED)
    }

    pub fn get(&self, path: &str) -> impl Future<Output = Reply> + use<'a> {
        self.request(Method::GET, path, None)
    }

    /// A POST with a JSON body.
    pub fn post(&self, path: &str, body: Value) -> impl Future<Output = Reply> + use<'a> {
        self.request(Method::POST, path, Some(body))
    }

    /// A POST without a body (refresh, logout-style actions).
    pub fn post_empty(&self, path: &str) -> impl Future<Output = Reply> + use<'a> {
        self.request(Method::POST, path, None)
    }

    pub fn patch(&self, path: &str, body: Value) -> impl Future<Output = Reply> + use<'a> {
        self.request(Method::PATCH, path, Some(body))
    }

    pub fn delete(&self, path: &str) -> impl Future<Output = Reply> + use<'a> {
        self.request(Method::DELETE, path, None)
    }

    /// Any method, with or without a JSON body.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> impl Future<Output = Reply> + use<'a> {
        let api = self.api;
        let token = self.token.clone();
        let context = self.context.clone();
        let source = self.source;
        let path = path.to_owned();
        async move {
            api.send(request_for(
                source,
                method,
                &path,
                token.as_deref(),
                context.as_deref(),
                body,
            ))
            .await
        }
    }
}

/// Whether a credential is presented, never the credential: test failures
/// print their values, and a bearer token has no place in a log.
impl std::fmt::Debug for Caller<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caller")
            .field("token", &self.token.as_ref().map(|_| "[REDACTED]"))
            .field("context", &self.context)
            .finish()
    }
}

/// A request as [`Api::call`] sends it, from `source` (the connection's
/// peer, which the gateway reports as `sourceIp`; `None`: loopback).
fn request_for(
    source: Option<std::net::IpAddr>,
    method: Method,
    path: &str,
    token: Option<&str>,
    context: Option<&str>,
    body: Option<Value>,
) -> Request<Bytes> {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(ip) = source {
        builder = builder.extension(axum::extract::ConnectInfo(std::net::SocketAddr::new(
            ip, 49152,
        )));
    }
    if let Some(t) = token {
        builder = builder.header("authorization", format!("Bearer {t}"));
    }
    if let Some(c) = context {
        builder = builder.header("akua-context", c);
    }
    let bytes = match body {
        Some(b) => {
            builder = builder.header("content-type", "application/json");
            Bytes::from(b.to_string())
        }
        None => Bytes::new(),
    };
    builder.body(bytes).expect("request")
}

fn jsonwebtoken_alg() -> akua_testkit::issuer::Algorithm {
    akua_testkit::issuer::Algorithm::RS256
}
