//! The system under test: the use cases of `akua-core` on the real store
//! (the embedded engine through the real SDK), driven by the model's
//! operations, and the invariants checked against it after every step.

use akua_http::HttpStatus;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use akua_core::ApiError;
use akua_core::audit::{AuditFilter, AuditLog, Origin};
use akua_core::decision::Request;
use akua_core::device::{self, DeviceConfig};
use akua_core::leaks::{KEYS_FRESHNESS, LeakConfig, ScannerKeys};
use akua_core::multi_tokens::{self, CreateMultiTokenRequest};
use akua_core::paging::PageRequest;
use akua_core::policy::{self, Resolved};
use akua_core::ports::{AuditStore as _, WorkspaceStore as _};
use akua_core::principal::{Person, PersonCredential};
use akua_core::published_keys::Freshness;
use akua_core::records::{Creator, Membership, StoredCredential, WorkspaceRecord};
use akua_core::route_map::Target;
use akua_core::routes::{Op as RouteOp, SessionsOp, TokensOp};
use akua_core::sudo::{self, SignIn, SudoWindow};
use akua_core::token_policy::TokenPolicyBody;
use akua_core::tokens::{self, CreateApiTokenRequest, RollApiTokenRequest};
use akua_core::{
    Authorizer, Decision, Principal, Role, TokenName, TokenRole, UserId, WorkspaceId,
    WorkspaceName, routes, sessions, workspaces,
};
use akua_store::{DynamoStore, endpoint_config, sweep};
use akua_testkit::{Engine, FaultProxy, TestScanner};
use aws_sdk_dynamodb::types::AttributeValue;

use crate::spec::{
    Answer, Caller, Kind, LOOPBACK, MEMBERS, Model, NETS, Op, PERMS, Presence, USERS, WORKSPACES,
    covered, net_names, nets_within, perm_names, user_log, ws_log,
};

/// One fresh service: the engine, a second way in through a proxy that
/// can park a request, and the secret scanner leak reports are signed by.
pub struct System {
    pub engine: Engine,
    pub proxy: FaultProxy,
    /// The same table, reached through `proxy`.
    pub proxied: DynamoStore,
    scanner: TestScanner,
    keys: Arc<ScannerKeys>,
    device: DeviceConfig,
}

/// Where the model's callers connect from, and an address in the model's
/// other network.
const LOOPBACK_IP: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);
const OTHER_NET_IP: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));

/// The mask of [`NETS`] a stored allow list holds (an unknown network sets
/// a bit no mask has, so it never compares equal).
fn net_mask(cidrs: &[String]) -> u8 {
    cidrs
        .iter()
        .map(|c| NETS.iter().position(|n| n == c).map_or(0x80, |i| 1u8 << i))
        .fold(0, |mask, bit| mask | bit)
}

/// An address the allow list `nets` admits.
fn ip_for(nets: u8) -> std::net::IpAddr {
    if nets == 0 || nets & LOOPBACK != 0 {
        LOOPBACK_IP
    } else {
        OTHER_NET_IP
    }
}

fn ws(n: usize) -> WorkspaceId {
    WorkspaceId::parse(WORKSPACES[n]).expect("workspace id")
}

fn user(n: usize) -> UserId {
    UserId::parse(USERS[n]).expect("user id")
}

fn status(e: &ApiError) -> u16 {
    e.status().as_u16()
}

impl System {
    pub async fn start() -> Self {
        let engine = Engine::start().await;
        let proxy = FaultProxy::start(&engine.endpoint).await;
        let client = aws_sdk_dynamodb::Client::from_conf(endpoint_config(&proxy.endpoint).build());
        let proxied = DynamoStore::new(client, engine.table.clone());
        let scanner = TestScanner::start().await;
        let keys = akua_edge::fetch::scanner_keys(LeakConfig {
            keys_url: scanner.keys_url.clone(),
            scanner: "github".into(),
            // The model's clock jumps days within a millisecond: its
            // scanner's keys refetch whenever they are stale in that time.
            freshness: Freshness {
                cooldown: Duration::ZERO,
                ..KEYS_FRESHNESS
            },
        })
        .expect("scanner keys");
        for (n, _) in WORKSPACES.iter().enumerate() {
            let owner = Membership {
                workspace_id: ws(n),
                user_id: user(0),
                role: Role::Owner,
                joined_at: crate::spec::T0,
            };
            let record = WorkspaceRecord {
                token_policy: Default::default(),
                id: ws(n),
                name: WorkspaceName::parse("model").expect("name"),
                created_at: crate::spec::T0,
                created_by: user(0),
            };
            engine
                .store
                .create_workspace(&record, &owner, &[])
                .await
                .expect("workspace");
        }
        for &(w, u, role) in MEMBERS.iter().filter(|m| m.2 != Role::Owner) {
            let m = Membership {
                workspace_id: ws(w),
                user_id: user(u),
                role,
                joined_at: crate::spec::T0,
            };
            engine.store.add_member(&m, &[]).await.expect("member");
        }
        Self {
            engine,
            proxy,
            proxied,
            scanner,
            keys,
            device: DeviceConfig {
                verification_uri: "https://auth.example.com/dashboard/device".into(),
                client_ids: vec!["cnap".into()],
            },
        }
    }

    /// A person signed in with the identity provider acting in `w`, as the
    /// authorizer resolves them (one membership read): `Err(403)` when
    /// they are not a member.
    async fn person(store: &DynamoStore, u: usize, w: Option<usize>) -> Result<Principal, u16> {
        let scope = match w {
            None => None,
            Some(w) => match policy::resolve(store, None, Some(&user(u)), &ws(w))
                .await
                .map_err(|_| 503u16)?
            {
                Resolved::Granted(scope) => Some(scope),
                Resolved::NotMember | Resolved::OtherWorkspace => return Err(403),
            },
        };
        Ok(Principal::Person(Person {
            user_id: user(u),
            credential: PersonCredential::Jwt,
            scope,
            expires_at: None,
            sign_in: SignIn::Machine,
        }))
    }

    /// The authorizer's answer for `secret` with `context` on `route`,
    /// from loopback.
    async fn decide_on(
        store: &DynamoStore,
        secret: &str,
        context: Option<&str>,
        route: RouteOp,
        now: i64,
    ) -> Decision {
        Self::decide_from(store, secret, context, route, LOOPBACK_IP, now).await
    }

    /// [`System::decide_on`] from `ip`.
    async fn decide_from(
        store: &DynamoStore,
        secret: &str,
        context: Option<&str>,
        route: RouteOp,
        ip: std::net::IpAddr,
        now: i64,
    ) -> Decision {
        let route = route.route();
        let request = Request {
            authorization: Some(&format!("Bearer {secret}")),
            akua_context: context,
            target: Some(Target {
                method: route.method.as_str(),
                template: Some(route.path),
                path: None,
            }),
            source_ip: Some(ip),
        };
        Authorizer::new(store.clone(), None)
            .decide_request(&request, now)
            .await
            .expect("the store answers")
    }

    /// The authorizer's answer for `secret` with `context` on a route any
    /// valid credential may call (who am I).
    async fn decide(
        store: &DynamoStore,
        secret: &str,
        context: Option<&str>,
        now: i64,
    ) -> Decision {
        Self::decide_on(
            store,
            secret,
            context,
            RouteOp::Sessions(SessionsOp::Whoami),
            now,
        )
        .await
    }

    /// Who calls, as the authorizer lets them in: `Err(status)` otherwise.
    async fn caller(
        store: &DynamoStore,
        model: &Model,
        by: Caller,
        w: usize,
        route: TokensOp,
    ) -> Result<Principal, u16> {
        match by {
            Caller::Person(u) => Self::person(store, u, Some(w)).await,
            Caller::Token(n) => {
                let c = model.caller_token(n).ok_or(401u16)?;
                let secret = model.creds[c].secrets.last().expect("a secret");
                match Self::decide_on(store, secret, None, RouteOp::Tokens(route), model.now).await
                {
                    Decision::Allow(p) => Ok(p),
                    Decision::Unauthorized(_) => Err(401),
                    Decision::Forbidden(_) => Err(403),
                }
            }
        }
    }

    /// Runs `op` against `store` (the direct one, or the proxied one whose
    /// requests a test may park), as the model describes it at its state.
    /// A client of the same engine without the production time bounds,
    /// for runs that load two cores with hundreds of requests at once.
    pub fn unhurried_store(&self) -> DynamoStore {
        let patient = aws_sdk_dynamodb::config::timeout::TimeoutConfig::builder()
            .operation_attempt_timeout(Duration::from_secs(30))
            .operation_timeout(Duration::from_secs(60))
            .build();
        let config = endpoint_config(&self.engine.endpoint).timeout_config(patient);
        let client = aws_sdk_dynamodb::Client::from_conf(config.build());
        DynamoStore::new(client, self.engine.table.clone())
    }

    pub async fn run(&self, store: &DynamoStore, model: &Model, op: &Op) -> Answer {
        let origin = Origin::default();
        let now = model.now;
        macro_rules! call {
            ($e:expr) => {
                match $e {
                    Ok(p) => p,
                    Err(status) => return Answer::status(status),
                }
            };
        }
        match op {
            Op::CreateToken {
                by,
                ws: w,
                admin,
                expiry,
                perms,
                nets,
            } => {
                let caller = call!(Self::caller(store, model, *by, *w, TokensOp::Create).await);
                let request = CreateApiTokenRequest {
                    name: TokenName::parse("model").expect("name"),
                    expires_at: expiry.at(now).map(akua_core::clock::UnixTime),
                    role: Some(if *admin {
                        TokenRole::Admin
                    } else {
                        TokenRole::Member
                    }),
                    permissions: (*perms != 0).then(|| perm_names(*perms)),
                    allowed_cidrs: (*nets != 0).then(|| net_names(*nets)),
                };
                match tokens::create(store, &caller, &origin, request, now).await {
                    Ok(t) => Answer {
                        status: 201,
                        made: Some((t.id, t.token.expose().to_owned())),
                        revoked: None,
                    },
                    Err(e) => Answer::status(status(&e)),
                }
            }
            Op::Roll { token, by, grace } => {
                let Some(c) = model.workspace_token(*token) else {
                    return Answer::status(0);
                };
                let Kind::Workspace { ws: w, .. } = model.creds[c].kind else {
                    unreachable!()
                };
                let caller = call!(Self::caller(store, model, *by, w, TokensOp::Roll).await);
                let request = RollApiTokenRequest {
                    grace_period_secs: *grace,
                    expires_at: None,
                };
                let id = &model.creds[c].id;
                match tokens::roll(store, &caller, &origin, id, request, now).await {
                    Ok(t) => Answer {
                        status: 200,
                        made: Some((t.id, t.token.expose().to_owned())),
                        revoked: None,
                    },
                    Err(e) => Answer::status(status(&e)),
                }
            }
            Op::Revoke { token, by } => {
                let Some(c) = model.api_token(*token) else {
                    return Answer::status(0);
                };
                let w = match &model.creds[c].kind {
                    Kind::Workspace { ws, .. } => *ws,
                    Kind::Multi { workspaces, .. } => workspaces[0],
                    Kind::Session { .. } => unreachable!(),
                };
                let caller = call!(Self::caller(store, model, *by, w, TokensOp::Revoke).await);
                let id = &model.creds[c].id;
                match tokens::revoke(store, &caller, &origin, id, now).await {
                    Ok(()) => Answer::status(204),
                    Err(e) => Answer::status(status(&e)),
                }
            }
            Op::LeakReport { token, secret } => {
                let Some((c, s)) = model.api_secret(*token, *secret) else {
                    return Answer::status(0);
                };
                let body = serde_json::json!([{
                    "token": model.creds[c].secrets[s],
                    "type": "akua_api_token",
                    "url": "https://example.com/leak",
                    "source": "content",
                }])
                .to_string();
                let signature = self.scanner.sign(body.as_bytes());
                let key = akua_testkit::scanner::KEY_ID;
                let report = akua_core::leaks::report;
                match report(
                    store,
                    &self.keys,
                    Some(key),
                    Some(&signature),
                    body.as_bytes(),
                    &origin,
                    now,
                )
                .await
                {
                    Ok(verdicts) => Answer {
                        status: 200,
                        made: None,
                        revoked: Some(
                            verdicts[0].label == akua_core::leaks::LeakLabel::TruePositive,
                        ),
                    },
                    Err(e) => Answer::status(status(&e)),
                }
            }
            Op::DeviceLogin { user: u, approver } => {
                self.device_login(store, *u, *approver, now).await
            }
            Op::DashboardSignIn { user: u } => {
                let caller = call!(Self::person(store, *u, None).await);
                let settings = sessions::SessionSettings::default();
                let fresh = SignIn::At(now);
                match sessions::start_dashboard(store, &caller, fresh, &origin, &settings, now)
                    .await
                {
                    Ok(s) => Answer {
                        status: 201,
                        made: Some((s.id, s.token.expose().to_owned())),
                        revoked: None,
                    },
                    Err(e) => Answer::status(status(&e)),
                }
            }
            Op::EndOtherSessions { by } => {
                let caller = call!(Self::person(store, *by, None).await);
                match sessions::revoke_others(store, &caller, &origin, now).await {
                    Ok(_) => Answer::status(200),
                    Err(e) => Answer::status(status(&e)),
                }
            }
            Op::Logout { session } => {
                let Some(c) = model.session(*session) else {
                    return Answer::status(0);
                };
                let caller = match Self::decide(store, &model.creds[c].secrets[0], None, now).await
                {
                    Decision::Allow(p) => p,
                    _ => return Answer::status(401),
                };
                match sessions::logout(store, &caller, &origin, now).await {
                    Ok(()) => Answer::status(204),
                    Err(e) => Answer::status(status(&e)),
                }
            }
            Op::Reauthenticate { session, by } => {
                let Some(c) = model.session(*session) else {
                    return Answer::status(0);
                };
                let caller = call!(Self::person(store, *by, None).await);
                let request = sessions::ReauthenticateRequest {
                    session_token: akua_core::Revealed::new(&model.creds[c].secrets[0]),
                    oidc: None,
                };
                let fresh = SignIn::At(now);
                let window = SudoWindow::default();
                match sessions::reauthenticate(
                    store, &caller, &origin, fresh, &request, window, now,
                )
                .await
                {
                    Ok(_) => Answer::status(200),
                    Err(e) => Answer::status(status(&e)),
                }
            }
            Op::EndSession { session, by } => {
                let Some(c) = model.session(*session) else {
                    return Answer::status(0);
                };
                let caller = call!(Self::person(store, *by, None).await);
                let id = &model.creds[c].id;
                match sessions::revoke(store, &caller, &origin, id, now).await {
                    Ok(()) => Answer::status(204),
                    Err(e) => Answer::status(status(&e)),
                }
            }
            Op::CreateMultiToken {
                user: u,
                workspaces,
                admin,
                expiry,
            } => {
                let caller = call!(Self::person(store, *u, None).await);
                let request = CreateMultiTokenRequest {
                    name: TokenName::parse("model").expect("name"),
                    workspace_ids: covered(*workspaces).into_iter().map(ws).collect(),
                    role: Some(if *admin {
                        TokenRole::Admin
                    } else {
                        TokenRole::Member
                    }),
                    expires_at: expiry.at(now).map(akua_core::clock::UnixTime),
                    permissions: None,
                    allowed_cidrs: None,
                };
                match multi_tokens::create(store, &caller, &origin, request, now).await {
                    Ok(t) => Answer {
                        status: 201,
                        made: Some((t.id, t.token.expose().to_owned())),
                        revoked: None,
                    },
                    Err(e) => Answer::status(status(&e)),
                }
            }
            Op::RevokeMultiToken { token, by } => {
                let Some(c) = model.multi_token(*token) else {
                    return Answer::status(0);
                };
                let caller = call!(Self::person(store, *by, None).await);
                let id = &model.creds[c].id;
                match multi_tokens::revoke(store, &caller, &origin, id, now).await {
                    Ok(()) => Answer::status(204),
                    Err(e) => Answer::status(status(&e)),
                }
            }
            Op::RemoveMember { ws: w, user: u, by } => {
                let caller = call!(Self::person(store, *by, None).await);
                let target = USERS[*u];
                match workspaces::remove_member(
                    store,
                    &caller,
                    &origin,
                    WORKSPACES[*w],
                    target,
                    now,
                )
                .await
                {
                    Ok(()) => Answer::status(204),
                    Err(e) => Answer::status(status(&e)),
                }
            }
            Op::SetPolicy { ws: w, by, policy } => {
                let caller = call!(Self::person(store, *by, None).await);
                let request = workspaces::UpdateWorkspaceRequest {
                    token_policy: TokenPolicyBody {
                        max_lifetime_days: policy.max_days,
                        require_expiry: false,
                        allowed_cidrs: net_names(policy.nets),
                    },
                };
                match workspaces::update(store, &caller, &origin, WORKSPACES[*w], request, now)
                    .await
                {
                    Ok(_) => Answer::status(200),
                    Err(e) => Answer::status(status(&e)),
                }
            }
            Op::HolderRevoke { cred, secret } => {
                let Some((c, s)) = model.any_secret(*cred, *secret) else {
                    return Answer::status(0);
                };
                let token = &model.creds[c].secrets[s];
                match akua_core::holder::revoke(store, token, &origin, now).await {
                    Ok(ended) => Answer {
                        status: 200,
                        made: None,
                        revoked: Some(ended),
                    },
                    Err(e) => Answer::status(status(&e)),
                }
            }
            Op::Advance { .. } => Answer::status(200),
            Op::Sweep => match sweep::run(store, now).await {
                Ok(_) => Answer::status(200),
                Err(e) => Answer::status(status(&e.into())),
            },
        }
    }

    /// `cnap auth login` end to end: the CLI asks for a code, the person
    /// approves it through the sudo gate the route declares, the CLI's next
    /// poll gets the session.
    async fn device_login(
        &self,
        store: &DynamoStore,
        u: usize,
        approver: Presence,
        now: i64,
    ) -> Answer {
        let params = |pairs: &[(&str, &str)]| -> device::Params {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let started = device::authorize(
            store,
            &self.device,
            &params(&[("client_id", "cnap")]),
            &Origin::default(),
            now,
        )
        .await
        .expect("device code");
        let Principal::Person(mut person) = Self::person(store, u, None).await.expect("a person")
        else {
            unreachable!("a person")
        };
        let window = SudoWindow::default();
        person.sign_in = match approver {
            Presence::Fresh => SignIn::At(now - 60),
            Presence::Stale => SignIn::At(now - window.secs() - 3 * 3600),
            Presence::Machine => SignIn::Machine,
        };
        let person = Principal::Person(person);
        let requires = routes::Op::Sessions(routes::SessionsOp::DeviceApprove).requires();
        if let Err(e) = sudo::require(&person, requires, window, now) {
            return Answer::status(status(&e));
        }
        if let Err(e) = device::answer(
            store,
            &person,
            &Origin::default(),
            &started.user_code,
            true,
            now,
        )
        .await
        {
            return Answer::status(status(&e));
        }
        let poll = params(&[
            ("grant_type", device::DEVICE_GRANT_TYPE),
            ("device_code", started.device_code.expose()),
            ("client_id", "cnap"),
        ]);
        let Ok(token) = device::token(store, &poll, now).await else {
            return Answer::status(500);
        };
        let secret = token.access_token.expose().to_owned();
        // The session's id, as the authorizer resolves it.
        let Decision::Allow(p) = Self::decide(store, &secret, None, now).await else {
            return Answer::status(500);
        };
        Answer {
            status: 200,
            made: Some((p.credential_id().expect("a session id").to_owned(), secret)),
            revoked: None,
        }
    }

    /// Every invariant of docs/DESIGN.md's model section, against the store
    /// as it is now. Authenticating uses a session's secret, which may
    /// slide its expiry: the model records that use too.
    pub async fn check(&self, model: &mut Model) -> Result<(), String> {
        let store = &self.engine.store;
        let now = model.now;
        // I1: a secret authenticates exactly when the model says it is live.
        for c in 0..model.creds.len() {
            for s in 0..model.creds[c].secrets.len() {
                let live = model.creds[c].secret_live(s, now);
                let secret = model.creds[c].secrets[s].clone();
                let ip = ip_for(model.creds[c].nets);
                let whoami = RouteOp::Sessions(SessionsOp::Whoami);
                let decision = Self::decide_from(store, &secret, None, whoami, ip, now).await;
                let allowed = matches!(decision, Decision::Allow(_));
                if allowed != live {
                    return Err(format!(
                        "I1: secret {s} of {} ({:?}) authenticates={allowed}, model says live={live}: {decision:?}",
                        model.creds[c].id, model.creds[c].kind
                    ));
                }
                if allowed {
                    model.used_session(c);
                }
            }
            // A live multi-workspace token acts in a workspace it covers
            // only while its owner belongs there, with the lower role.
            if let Kind::Multi { workspaces, .. } = model.creds[c].kind.clone()
                && model.creds[c].live(now)
            {
                let secret = model.creds[c].secrets.last().expect("secret").clone();
                let ip = ip_for(model.creds[c].nets);
                for w in workspaces {
                    let whoami = RouteOp::Sessions(SessionsOp::Whoami);
                    let context = Some(WORKSPACES[w]);
                    let decision =
                        Self::decide_from(store, &secret, context, whoami, ip, now).await;
                    let role = match &decision {
                        Decision::Allow(p) => p.scope().map(|s| s.role),
                        _ => None,
                    };
                    if role != model.multi_role(c, w) {
                        return Err(format!(
                            "I1: multi-workspace token {} in {}: {decision:?}, model says {:?}",
                            model.creds[c].id,
                            WORKSPACES[w],
                            model.multi_role(c, w)
                        ));
                    }
                }
            }
        }
        self.check_lists(model).await?;
        self.check_ceilings(model).await?;
        self.check_fences(model).await?;
        self.check_audit(model).await
    }

    /// I2: every live credential is listed exactly once, and nothing else.
    async fn check_lists(&self, model: &Model) -> Result<(), String> {
        let store = &self.engine.store;
        let now = model.now;
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        for (w, name) in WORKSPACES.iter().enumerate() {
            let manager = Principal::Person(Person {
                user_id: user(0),
                credential: PersonCredential::Jwt,
                scope: Some(akua_core::principal::Scope {
                    workspace_id: ws(w),
                    role: Role::Owner,
                }),
                expires_at: None,
                sign_in: SignIn::Machine,
            });
            let page = tokens::list(store, &manager, &PageRequest::first(100), now)
                .await
                .map_err(|e| format!("list: {e}"))?;
            let listed = sorted(page.data.into_iter().map(|t| t.id).collect());
            let expected = sorted(
                model
                    .creds
                    .iter()
                    .filter(|c| c.live(now))
                    .filter(|c| match &c.kind {
                        Kind::Workspace { ws, .. } => *ws == w,
                        Kind::Multi { workspaces, .. } => workspaces.contains(&w),
                        Kind::Session { .. } => false,
                    })
                    .map(|c| c.id.clone())
                    .collect(),
            );
            if listed != expected {
                return Err(format!(
                    "I2: {name} lists {listed:?}, model says {expected:?}"
                ));
            }
        }
        for (u, name) in USERS.iter().enumerate() {
            let person = Self::person(store, u, None).await.expect("a person");
            let of_user = |want: fn(&Kind, usize) -> bool| {
                sorted(
                    model
                        .creds
                        .iter()
                        .filter(|c| c.live(now) && want(&c.kind, u))
                        .map(|c| c.id.clone())
                        .collect(),
                )
            };
            let page = multi_tokens::list(store, &person, &PageRequest::first(100), now)
                .await
                .map_err(|e| format!("list: {e}"))?;
            let listed = sorted(page.data.into_iter().map(|t| t.id).collect());
            let expected = of_user(|k, u| matches!(k, Kind::Multi { user, .. } if *user == u));
            if listed != expected {
                return Err(format!(
                    "I2: {name}'s tokens are {listed:?}, model says {expected:?}"
                ));
            }
            let page = sessions::list(store, &person, &PageRequest::first(100), now)
                .await
                .map_err(|e| format!("list: {e}"))?;
            let listed = sorted(page.data.into_iter().map(|s| s.id).collect());
            let expected = of_user(|k, u| matches!(k, Kind::Session { user, .. } if *user == u));
            if listed != expected {
                return Err(format!(
                    "I2: {name}'s sessions are {listed:?}, model says {expected:?}"
                ));
            }
        }
        Ok(())
    }

    /// I5: a live token with an allow list is refused from outside it,
    /// and each workspace's token policy reads back as the model set it.
    async fn check_fences(&self, model: &Model) -> Result<(), String> {
        let store = &self.engine.store;
        for cred in model
            .creds
            .iter()
            .filter(|c| c.live(model.now) && c.nets != 0)
        {
            let secret = cred.secrets.last().expect("secret");
            let outside: std::net::IpAddr = [192, 0, 2, 1].into();
            let whoami = RouteOp::Sessions(SessionsOp::Whoami);
            let d = Self::decide_from(store, secret, None, whoami, outside, model.now).await;
            if d != Decision::Forbidden(akua_core::DenyReason::IpNotAllowed) {
                return Err(format!("I5: {} from {outside}: {d:?}", cred.id));
            }
        }
        for (w, policy) in model.policies.iter().enumerate() {
            let stored = akua_core::ports::CredentialStore::token_policy(store, &ws(w))
                .await
                .map_err(|e| e.to_string())?;
            let read = (
                stored.max_lifetime_days,
                net_mask(&stored.allowed_cidrs.to_strings()),
            );
            if read != (policy.max_days, policy.nets) {
                return Err(format!(
                    "I5: {}'s token policy reads {read:?}, the model set {policy:?}",
                    WORKSPACES[w]
                ));
            }
        }
        Ok(())
    }

    /// I3: nothing made or rolled by a token outlives or outranks it, as
    /// stored.
    async fn check_ceilings(&self, model: &Model) -> Result<(), String> {
        for cred in model.creds.iter().filter(|c| c.live(model.now)) {
            let secret = cred.secrets.last().expect("secret");
            let hash = akua_core::CredentialHash::of(secret);
            let stored = akua_core::ports::DecisionStore::credential(&self.engine.store, &hash)
                .await
                .map_err(|e| e.to_string())?;
            let Some(StoredCredential::ApiToken(t)) = stored else {
                continue;
            };
            // The store holds the permissions the model says it does.
            let held = t.restrictions.permissions.as_ref().map(|p| {
                p.iter()
                    .map(|name| {
                        PERMS
                            .iter()
                            .position(|m| *m == name.as_str())
                            .map_or(0x80, |i| 1u8 << i)
                    })
                    .fold(0u8, |mask, bit| mask | bit)
            });
            if held != cred.perms {
                return Err(format!(
                    "I3: {} holds permissions {:?} (mask {held:?}), the model says {:?}",
                    t.id, t.restrictions.permissions, cred.perms
                ));
            }
            let nets = net_mask(&t.restrictions.allowed_cidrs.to_strings());
            if nets != cred.nets {
                return Err(format!(
                    "I3: {} may be used from {:?}, the model says {:?}",
                    t.id,
                    t.restrictions.allowed_cidrs.to_strings(),
                    net_names(cred.nets)
                ));
            }
            for (role, cap, perms, maker_nets) in &cred.makers {
                let outranks = Model::rank(t.role.into()) > Model::rank(*role);
                // Never usable from an address its maker is not.
                let wider = !nets_within(nets, *maker_nets);
                let outlives = cap.is_some_and(|cap| t.expires_at.is_none_or(|at| at > cap));
                // A token never holds a permission its maker lacked.
                let exceeds = match (perms, held) {
                    (None, _) => false,
                    (Some(_), None) => true,
                    (Some(m), Some(h)) => h & !m != 0,
                };
                if outranks || outlives || exceeds || wider {
                    return Err(format!(
                        "I3: {} ({:?}, expires {:?}, permissions {held:?}, nets {nets}) exceeds a token that made or rolled it ({role:?}, {cap:?}, {perms:?}, {maker_nets}); created_by {:?}",
                        t.id,
                        t.role,
                        t.expires_at,
                        t.created_by
                            .as_ref()
                            .map(|c| matches!(c, Creator::ApiToken(_)))
                    ));
                }
            }
        }
        Ok(())
    }

    /// I4: each change wrote exactly the audit events its action names.
    async fn check_audit(&self, model: &Model) -> Result<(), String> {
        let logs = (0..WORKSPACES.len())
            .map(|w| (ws_log(w), AuditLog::Workspace(ws(w))))
            .chain((0..USERS.len()).map(|u| (user_log(u), AuditLog::User(user(u)))));
        let mut found = Vec::new();
        for (name, log) in logs {
            let mut after = None;
            loop {
                let page = self
                    .engine
                    .store
                    .audit_events(
                        &log,
                        &AuditFilter::default(),
                        100,
                        after.as_deref(),
                        model.now,
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                found.extend(
                    page.events
                        .into_iter()
                        .map(|e| (name.clone(), e.action, e.target.id)),
                );
                match page.resume_after {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
        }
        found.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
        let expected = model.expected_events();
        if found != expected {
            return Err(format!(
                "I4: the audit logs hold {found:?}, the model expects {expected:?}"
            ));
        }
        Ok(())
    }

    /// I5: after the sweep, nothing expired is left, and no pointer or list
    /// entry is left without its credential.
    pub async fn check_swept(&self, now: i64) -> Result<(), String> {
        let items = self.engine.all_items().await;
        let text = |i: &HashMap<String, AttributeValue>, k: &str| {
            i.get(k).and_then(|v| v.as_s().ok()).cloned()
        };
        let number = |i: &HashMap<String, AttributeValue>, k: &str| {
            i.get(k)
                .and_then(|v| v.as_n().ok())
                .and_then(|n| n.parse::<i64>().ok())
        };
        let keys: BTreeSet<(String, String)> = items
            .iter()
            .filter_map(|i| Some((text(i, "pk")?, text(i, "sk")?)))
            .collect();
        let has = |pk: String, sk: &str| keys.contains(&(pk, sk.to_owned()));
        for item in &items {
            let pk = text(item, "pk").unwrap_or_default();
            if item.contains_key("exp_shard")
                && number(item, "expires_at").is_some_and(|at| at <= now)
            {
                return Err(format!(
                    "I5: an expired item survived the sweep ({})",
                    &pk[..pk.len().min(12)]
                ));
            }
            if pk.starts_with("TOKEN#") && text(item, "sk").as_deref() == Some("TOKEN") {
                let hash = text(item, "hash").unwrap_or_default();
                if !has(format!("CRED#{hash}"), "CRED") {
                    return Err(format!("I5: pointer {pk} without its credential"));
                }
            }
            if text(item, "kind").as_deref() == Some("token_grant") {
                let id = text(item, "id").unwrap_or_default();
                if !has(format!("TOKEN#{id}"), "TOKEN") {
                    return Err(format!("I5: list entry of {id} without its credential"));
                }
            }
        }
        Ok(())
    }
}
