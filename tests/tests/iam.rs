//! Least-privilege IAM, proven (docs/DESIGN.md): each Lambda function's
//! DynamoDB grants in `template.yaml` are exactly what its code asks of
//! DynamoDB, no more and no less.
//!
//! Every function runs its own code end to end on its own store, whose
//! client reaches the one engine through its own recording proxy
//! (`akua_testkit::recorder`): the authorizer on REST `REQUEST` events, the
//! API functions' routers on REST proxy events through
//! `akua_http::dispatch`, the cleanup on a scheduled event. The walk calls
//! every route each function declares, on success and refusal paths, so
//! that every store call the code can make is made. Then the template is
//! read and compared both ways, per function: every action × resource ×
//! partition-key pattern used is granted, and every one granted is used.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use akua_core::credential::Revealed;
use akua_core::device::UserCode;
use akua_core::leaks::{LeakConfig, ReportedToken};
use akua_core::multi_tokens::CreateMultiTokenRequest;
use akua_core::routes::Function;
use akua_core::sessions::{ReauthenticateRequest, StartSessionRequest};
use akua_core::token_policy::TokenPolicyBody;
use akua_core::tokens::CreateApiTokenRequest;
use akua_core::workspaces::UpdateWorkspaceRequest;
use akua_core::{Authorizer, TokenRole, WorkspaceId, clock};
use akua_local::routes::{match_path, routes};
use akua_store::{DynamoStore, WarmUp, endpoint_config, table};
use akua_testkit::recorder::{KeyPatterns, UNRECOGNISED};
use akua_testkit::{Access, Engine, FaultProxy, Recorder, TestIssuer, TestScanner};
use akua_tests::calls::{at, multi_token_named, roll_with_grace, token_named};
use akua_tests::{Body, Call, Query};
use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerRequestTypeRequestContext,
    ApiGatewayCustomAuthorizerRequestTypeRequestIdentity, ApiGatewayProxyRequest,
    ApiGatewayProxyRequestContext, ApiGatewayRequestIdentity,
};
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use aws_lambda_events::query_map::QueryMap;
use axum::Router;
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value};
use yaml_serde::Value as Yaml;

/// Logical ids of the template's functions named below.
const AUTHORIZER: &str = "AuthorizerFunction";
const CLEANUP: &str = "CleanupFunction";
const DASHBOARD: &str = "DashboardFunction";

/// The functions that build a store at start-up (`DynamoStore::from_env`).
const WITH_A_STORE: [&str; 5] = [
    AUTHORIZER,
    "TokensFunction",
    "WorkspacesFunction",
    "SessionsFunction",
    CLEANUP,
];

/// The functions that link no DynamoDB client at all: held by their
/// manifests ([`functions_without_a_store_link_no_dynamodb_client`]).
const WITHOUT_A_STORE: [(&str, &str); 2] = [
    ("DocsFunction", "functions/docs"),
    (DASHBOARD, "functions/dashboard"),
];

/// A grant without a `dynamodb:LeadingKeys` condition reaches every key.
const ANY_KEY: &str = "(any partition key)";

/// The resource the template names as `!GetAtt Table.Arn`.
const TABLE: &str = "Table";

/// One thing IAM decides: (action, resource, partition-key pattern).
type Use = (String, String, String);

// ---------------------------------------------------------------------
// The stack: every function on its own recorded store.
// ---------------------------------------------------------------------

/// Which index the lists read (`AKUA_LIST_INDEX`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListIndex {
    Lists,
    /// `gsi1`, while a stack created before `lists` upgrades.
    Legacy,
}

impl ListIndex {
    fn name(self) -> &'static str {
        match self {
            ListIndex::Lists => table::LISTS.name,
            ListIndex::Legacy => table::LEGACY_GSI1,
        }
    }
}

struct Stack {
    engine: Engine,
    scanner: TestScanner,
    authorizer: Authorizer<DynamoStore>,
    routers: HashMap<Function, Router>,
    cleanup: DynamoStore,
    /// Each function's recorder, by logical id.
    recorders: BTreeMap<&'static str, Recorder>,
    /// The declared routes the walk called, as (method, path template).
    covered: Mutex<BTreeSet<(String, String)>>,
    _proxies: Vec<FaultProxy>,
    _issuer: TestIssuer,
}

/// An answer: status and JSON body. Never printed whole: a body may carry
/// a new secret.
struct Reply {
    status: u16,
    body: Value,
}

impl Reply {
    /// API Gateway's answer where the authorizer refuses: the function is
    /// never called, and the walk reads only the code.
    fn refused(status: u16, code: &str) -> Reply {
        let error = Value::from_iter([("code", code)]);
        Reply {
            status,
            body: Value::from_iter([("error", error)]),
        }
    }

    fn code(&self) -> &str {
        self.body["error"]["code"]
            .as_str()
            .or_else(|| self.body["error"].as_str())
            .unwrap_or("")
    }

    fn text(&self, field: &str) -> String {
        self.body[field]
            .as_str()
            .unwrap_or_else(|| panic!("no {field} in the answer"))
            .to_owned()
    }
}

/// One request of the walk, as a client sends it: a [`Call`] (its
/// credential and workspace among its headers, see [`Walk`]), and the AWS
/// principal API Gateway verified the signature of (`AWS_IAM`), if any.
#[derive(Clone)]
struct Walked {
    call: Call,
    signed_by: Option<String>,
}

impl From<Call> for Walked {
    fn from(call: Call) -> Walked {
        Walked {
            call,
            signed_by: None,
        }
    }
}

/// Who sends a call of the walk: `Call::whoami().bearer(&jwt)`.
trait Walk: Into<Walked> {
    fn with_header(self, name: &str, value: &str) -> Walked {
        let mut walked = self.into();
        walked.call = walked.call.header(name, value);
        walked
    }

    fn bearer(self, token: &str) -> Walked {
        self.with_header("authorization", &format!("Bearer {token}"))
    }

    /// `Akua-Context`: the workspace to act in.
    fn context(self, workspace: &str) -> Walked {
        self.with_header("akua-context", workspace)
    }

    /// Signed with AWS Signature V4 by `arn`, as API Gateway verified it.
    fn signed_by(self, arn: &str) -> Walked {
        let mut walked = self.into();
        walked.signed_by = Some(arn.to_owned());
        walked
    }
}

impl Walk for Call {}
impl Walk for Walked {}

/// A request's headers as API Gateway passes them on.
fn header_map(headers: &[(String, String)]) -> HeaderMap {
    headers
        .iter()
        .map(|(k, v)| {
            let name = HeaderName::try_from(k.as_str()).expect("a header name");
            (name, HeaderValue::from_str(v).expect("a header value"))
        })
        .collect()
}

const ACCOUNT: &str = "123456789012";
const API_ID: &str = "a1b2c3d4e5";
const STAGE: &str = "prod";

impl Stack {
    async fn start(index: ListIndex) -> Stack {
        let engine = Engine::start().await;
        if index == ListIndex::Legacy {
            add_legacy_index(&engine).await;
        }
        let issuer = TestIssuer::start().await;
        let scanner = TestScanner::start().await;
        let mut proxies = Vec::new();
        let mut recorders = BTreeMap::new();
        let mut stores = BTreeMap::new();
        for name in WITH_A_STORE.into_iter().chain(["DocsFunction"]) {
            let proxy = FaultProxy::start(&engine.endpoint).await;
            let recorder = proxy.recorder();
            let client =
                aws_sdk_dynamodb::Client::from_conf(endpoint_config(&proxy.endpoint).build());
            let mut store = DynamoStore::new(client, engine.table.clone());
            if index == ListIndex::Legacy {
                store = store.with_legacy_list_index();
            }
            // As each function's `main` does at start-up: a read it makes
            // like any other, so it must be granted like any other.
            let warm_up = match name {
                AUTHORIZER | "TokensFunction" | "SessionsFunction" => Some(WarmUp::Credentials),
                "WorkspacesFunction" => Some(WarmUp::Workspaces),
                _ => None,
            };
            if let Some(reads) = warm_up {
                store.warm_up(reads).await;
            }
            stores.insert(name, store);
            recorders.insert(name, recorder);
            proxies.push(proxy);
        }
        let verifier = akua_edge::fetch::jwt_verifier(issuer.config(Duration::from_secs(30)))
            .expect("verifier");
        let leaks = akua_edge::fetch::scanner_keys(LeakConfig {
            keys_url: scanner.keys_url.clone(),
            scanner: "github".into(),
            freshness: akua_core::leaks::KEYS_FRESHNESS,
        })
        .expect("scanner keys");
        let device = akua_core::device::DeviceConfig {
            verification_uri: "https://auth.example.com/dashboard/device".into(),
            client_ids: vec!["cnap".into()],
        };
        let routers = Function::ALL
            .into_iter()
            .map(|f| {
                let store = &stores[f.template_name()];
                let router = match f {
                    // Platform introspection on, as the template can
                    // deploy it: its reads must be granted too.
                    Function::Sessions => akua_sessions::router(akua_sessions::AppState {
                        store: store.clone(),
                        device: device.clone(),
                        sessions: Default::default(),
                        sudo: Default::default(),
                        id_tokens: None,
                        platform_introspection: true,
                    }),
                    _ => akua_local::routes::router(f, store, &device, &leaks, None),
                };
                (f, router)
            })
            .collect();
        Stack {
            authorizer: Authorizer::new(stores[AUTHORIZER].clone(), Some(verifier)),
            cleanup: stores[CLEANUP].clone(),
            engine,
            scanner,
            routers,
            recorders,
            covered: Mutex::default(),
            _proxies: proxies,
            _issuer: issuer,
        }
    }

    /// A sign-in of `user` at the test issuer: a JWT valid for an hour.
    fn jwt(&self, user: &str) -> String {
        TestIssuer::sign(
            "rsa-1",
            akua_testkit::issuer::Algorithm::RS256,
            &TestIssuer::claims(user, clock::now()),
        )
    }

    /// Serves `w` as API Gateway would: the authorizer first on a
    /// protected route, then the function's router.
    async fn send(&self, w: &Walked) -> (String, Reply) {
        let c = &w.call;
        let (path, query) = c.path.split_once('?').unwrap_or((&c.path, ""));
        let (route, params) = routes()
            .iter()
            .find_map(|r| {
                (r.method == c.method)
                    .then(|| match_path(&r.path, path).map(|p| (r, p)))
                    .flatten()
            })
            .unwrap_or_else(|| panic!("{} {path} is no declared route", c.method));
        self.covered
            .lock()
            .unwrap()
            .insert((route.method.to_string(), route.path.clone()));
        let template = route.path.clone();
        let mut headers = vec![("user-agent".to_owned(), "akua-iam-walk".to_owned())];
        let body = c.body.encoded().map(|(content_type, bytes)| {
            headers.push(("content-type".into(), content_type.into()));
            String::from_utf8(bytes).expect("a UTF-8 body")
        });
        headers.extend(c.headers.iter().cloned());
        let headers = header_map(&headers);
        let mut pairs: HashMap<String, Vec<String>> = HashMap::new();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()).into_owned() {
            pairs.entry(k).or_default().push(v);
        }
        let query = QueryMap::from(pairs);
        let path_parameters: HashMap<String, String> = params.into_iter().collect();
        let request_id = format!("iam-{}", akua_core::base62::random(12));
        let mut identity = ApiGatewayRequestIdentity::default();
        identity.source_ip = Some("198.51.100.7".into());
        identity.user_agent = Some("akua-iam-walk".into());
        if let Some(arn) = &w.signed_by {
            identity.user_arn = Some(arn.clone());
            identity.account_id = Some(ACCOUNT.into());
            identity.caller = Some("AROAXMPL:platform".into());
        }
        let mut context = ApiGatewayProxyRequestContext::default();
        context.account_id = Some(ACCOUNT.into());
        context.apiid = Some(API_ID.into());
        context.stage = Some(STAGE.into());
        context.http_method = c.method.clone();
        context.path = Some(format!("/{STAGE}{path}"));
        context.resource_path = Some(route.path.clone());
        context.request_id = Some(request_id.clone());
        context.identity = identity;
        if route.protected {
            let mut asked = ApiGatewayCustomAuthorizerRequestTypeRequestContext::default();
            asked.account_id = Some(ACCOUNT.into());
            asked.apiid = Some(API_ID.into());
            asked.stage = Some(STAGE.into());
            asked.http_method = Some(c.method.clone());
            asked.path = Some(format!("/{STAGE}{path}"));
            asked.resource_path = Some(route.path.clone());
            asked.request_id = Some(request_id);
            let mut source = ApiGatewayCustomAuthorizerRequestTypeRequestIdentity::default();
            source.source_ip = Some("198.51.100.7".into());
            asked.identity = Some(source);
            let mut event = ApiGatewayCustomAuthorizerRequestTypeRequest::default();
            event.type_ = Some("REQUEST".into());
            event.method_arn = Some(format!(
                "arn:aws:execute-api:us-east-1:{ACCOUNT}:{API_ID}/{STAGE}/{}{path}",
                c.method
            ));
            event.resource = Some(route.path.clone());
            event.path = Some(path.to_owned());
            event.http_method = Some(c.method.clone());
            event.headers = headers.clone();
            event.multi_value_headers = headers.clone();
            event.query_string_parameters = query.clone();
            event.multi_value_query_string_parameters = query.clone();
            event.path_parameters = path_parameters.clone();
            event.request_context = asked;
            let event = serde_json::to_value(event).expect("an event");
            match akua_authorizer::handle(&self.authorizer, event, clock::now()).await {
                Ok(answer) => {
                    if answer["policyDocument"]["Statement"][0]["Effect"] != "Allow" {
                        return (template, Reply::refused(403, "forbidden"));
                    }
                    let mut fields: HashMap<String, Value> = answer["context"]
                        .as_object()
                        .cloned()
                        .unwrap_or_default()
                        .into_iter()
                        .collect();
                    fields.insert("principalId".into(), answer["principalId"].clone());
                    context.authorizer.fields = fields;
                }
                Err(akua_authorizer::AuthorizerError::Unauthorized) => {
                    return (template, Reply::refused(401, "unauthorized"));
                }
                Err(akua_authorizer::AuthorizerError::Failed) => {
                    panic!("the authorizer failed on {} {}", c.method, route.path)
                }
            }
        }
        let mut event = ApiGatewayProxyRequest::default();
        event.resource = Some(route.path.clone());
        event.path = Some(path.to_owned());
        event.http_method = c.method.clone();
        event.headers = headers.clone();
        event.multi_value_headers = headers;
        event.query_string_parameters = query.clone();
        event.multi_value_query_string_parameters = query;
        event.path_parameters = path_parameters;
        event.request_context = context;
        event.body = body;
        event.is_base64_encoded = false;
        let request: lambda_http::Request =
            lambda_http::request::LambdaRequest::ApiGatewayV1(event).into();
        let router = self.routers[&route.function].clone();
        let response = akua_http::dispatch(router, request).await;
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body");
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (template, Reply { status, body })
    }

    /// Sends `w` and checks its status. A failure names the route and the
    /// error code, never the body (it may hold a secret).
    async fn expect(&self, w: impl Into<Walked>, status: u16) -> Reply {
        let w = w.into();
        // Boxed: a walk of many requests would not fit the test's stack.
        let (route, reply) = Box::pin(self.send(&w)).await;
        assert_eq!(
            reply.status,
            status,
            "{} {route}: {} {}",
            w.call.method,
            reply.status,
            reply.code()
        );
        reply
    }
}

/// The index an upgrading stack's lists read, on the engine's table (the
/// template keeps it while `LegacyListIndex` is `keep` or `switch`).
async fn add_legacy_index(engine: &Engine) {
    use aws_sdk_dynamodb::types::{
        AttributeDefinition, CreateGlobalSecondaryIndexAction, GlobalSecondaryIndexUpdate,
        KeySchemaElement, KeyType, Projection, ProjectionType, ScalarAttributeType,
    };
    let (hash, range) = (table::LISTS.hash.0, table::LISTS.range.0);
    let key = |name: &str, kind| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(kind)
            .build()
            .unwrap()
    };
    let attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let create = CreateGlobalSecondaryIndexAction::builder()
        .index_name(table::LEGACY_GSI1)
        .key_schema(key(hash, KeyType::Hash))
        .key_schema(key(range, KeyType::Range))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .unwrap();
    engine
        .store
        .client()
        .update_table()
        .table_name(&engine.table)
        .attribute_definitions(attribute(hash))
        .attribute_definitions(attribute(range))
        .global_secondary_index_updates(
            GlobalSecondaryIndexUpdate::builder().create(create).build(),
        )
        .send()
        .await
        .expect("the legacy index");
}

/// An EventBridge scheduled event, as the hourly rule sends it.
fn scheduled_event() -> EventBridgeEvent<Value> {
    let mut event = EventBridgeEvent::<Value>::default();
    event.version = Some("0".into());
    event.id = Some("53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa".into());
    event.detail_type = "Scheduled Event".into();
    event.source = "aws.events".into();
    event.account = Some(ACCOUNT.into());
    event.time = Some("2026-01-01T00:00:00Z".parse().expect("a time"));
    event.region = Some("us-east-1".into());
    event.resources = Some(vec![format!(
        "arn:aws:events:us-east-1:{ACCOUNT}:rule/cleanup-hourly"
    )]);
    event.detail = Value::Object(Map::new());
    event
}

// ---------------------------------------------------------------------
// The walk.
// ---------------------------------------------------------------------

/// Every route of every function, on the paths that reach the store
/// differently: each kind of caller, success, and each refusal that is
/// decided after a read or a failed write.
async fn walk(s: &Stack) {
    let now = clock::now();
    let owner = s.jwt("usr_owner");
    let admin = s.jwt("usr_admin");
    let member = s.jwt("usr_member");

    // Workspaces and their members.
    let ws = s
        .expect(Call::create_workspace("Acme").bearer(&owner), 201)
        .await
        .text("id");
    let ws2 = s
        .expect(Call::create_workspace("Beta").bearer(&owner), 201)
        .await
        .text("id");
    for (user, role) in [
        ("usr_admin", TokenRole::Admin),
        ("usr_member", TokenRole::Member),
    ] {
        s.expect(Call::add_member(&ws, user, role).bearer(&owner), 201)
            .await;
    }
    let again = Call::add_member(&ws, "usr_member", TokenRole::Member);
    s.expect(again.bearer(&owner), 409).await;
    let by_member = Call::add_member(&ws, "usr_other", TokenRole::Member);
    s.expect(by_member.bearer(&member), 403).await;
    let first = s
        .expect(
            Call::members(&ws, Query::new().limit(1)).bearer(&owner),
            200,
        )
        .await;
    let cursor = first.text("next_cursor");
    s.expect(
        Call::members(&ws, Query::new().cursor(&cursor)).bearer(&owner),
        200,
    )
    .await;
    let workspaces = || Call::list_workspaces(Query::new());
    s.expect(workspaces().bearer(&owner), 200).await;
    s.expect(workspaces().bearer(&owner).context(&ws), 200)
        .await;
    // The workspace and its token policy: read by any member, set by an
    // owner (tokens below are made under it).
    s.expect(Call::workspace(&ws).bearer(&member), 200).await;
    let policy = |max_lifetime_days: Option<u32>, allowed_cidrs: &[&str]| {
        Call::update_workspace(
            &ws,
            &UpdateWorkspaceRequest {
                token_policy: TokenPolicyBody {
                    max_lifetime_days,
                    require_expiry: false,
                    allowed_cidrs: allowed_cidrs.iter().map(|c| (*c).to_owned()).collect(),
                },
            },
        )
    };
    s.expect(policy(Some(3650), &[]).bearer(&owner), 422).await;
    let anywhere = ["0.0.0.0/0", "::/0"];
    s.expect(policy(None, &anywhere).bearer(&admin), 403).await;
    s.expect(policy(None, &anywhere).bearer(&owner), 200).await;
    s.expect(Call::permissions().bearer(&member), 200).await;
    let to = |user: &str, role: TokenRole| Call::change_role(&ws, user, role);
    s.expect(to("usr_nobody", TokenRole::Admin).bearer(&owner), 404)
        .await;
    // The last owner: the owner count is read and the demotion refused.
    s.expect(to("usr_owner", TokenRole::Admin).bearer(&owner), 409)
        .await;
    // A workspace stored before the owner count (`owners` on its item)
    // existed: its owners are counted first.
    let ws3 = s
        .expect(Call::create_workspace("Gamma").bearer(&owner), 201)
        .await
        .text("id");
    let ws3_id = WorkspaceId::parse(&ws3).expect("an id");
    s.engine
        .store
        .client()
        .update_item()
        .table_name(&s.engine.table)
        .set_key(Some(akua_store::keys::workspace(&ws3_id)))
        .update_expression("REMOVE owners")
        .send()
        .await
        .expect("an uncounted workspace");
    let demote = Call::change_role(&ws3, "usr_owner", TokenRole::Admin);
    s.expect(demote.bearer(&owner), 409).await;
    let counted = s
        .engine
        .raw_item(&akua_store::keys::workspace_partition(&ws3_id), "META")
        .await;
    assert!(counted.is_some_and(|item| item.contains_key("owners")));
    s.expect(to("usr_admin", TokenRole::Member).bearer(&owner), 200)
        .await;
    s.expect(to("usr_admin", TokenRole::Admin).bearer(&owner), 200)
        .await;
    s.expect(Call::remove_member(&ws, "usr_nobody").bearer(&owner), 404)
        .await;

    // Workspace API tokens: a person and a token make them, list, roll,
    // revoke.
    let create = |body: CreateApiTokenRequest| Call::create_token(&body);
    let within_the_hour = |name: &str| CreateApiTokenRequest {
        expires_at: at(now + 3600),
        ..token_named(name)
    };
    let made = |r: Reply| (r.text("token"), r.text("id"));
    let (t1, t1_id) = made(
        s.expect(create(token_named("ci")).bearer(&owner).context(&ws), 201)
            .await,
    );
    let (t2, t2_id) = made(
        s.expect(
            create(CreateApiTokenRequest {
                role: Some(TokenRole::Member),
                ..within_the_hour("deploy")
            })
            .bearer(&owner)
            .context(&ws),
            201,
        )
        .await,
    );
    let (_t3, t3_id) = made(
        s.expect(
            create(within_the_hour("short")).bearer(&owner).context(&ws),
            201,
        )
        .await,
    );
    let (_t5, t5_id) = made(
        s.expect(
            create(within_the_hour("beta")).bearer(&owner).context(&ws2),
            201,
        )
        .await,
    );
    s.expect(
        create(token_named("nope")).bearer(&member).context(&ws),
        403,
    )
    .await;
    s.expect(
        create(token_named("nope"))
            .bearer(&owner)
            .context("ws_nowhere"),
        403,
    )
    .await;
    // A token acts: creates a token, lists, reads its workspace.
    let (t4, t4_id) = made(
        s.expect(create(within_the_hour("by-token")).bearer(&t1), 201)
            .await,
    );
    let tokens = || Call::list_tokens(Query::new());
    s.expect(tokens().bearer(&t1), 200).await;
    s.expect(tokens().bearer(&t1).context(&ws), 200).await;
    s.expect(tokens().bearer(&t1).context(&ws2), 403).await;
    s.expect(workspaces().bearer(&t1), 200).await;
    let page = s
        .expect(
            Call::list_tokens(Query::new().limit(1))
                .bearer(&owner)
                .context(&ws),
            200,
        )
        .await;
    let cursor = page.text("next_cursor");
    s.expect(
        Call::list_tokens(Query::new().cursor(&cursor))
            .bearer(&owner)
            .context(&ws),
        200,
    )
    .await;
    let roll = |id: &str, grace: i64| Call::roll_token(id, &roll_with_grace(grace));
    s.expect(roll(&t2_id, 3600).bearer(&owner).context(&ws), 200)
        .await;
    s.expect(roll(&t2_id, 3600).bearer(&owner).context(&ws), 409)
        .await;
    s.expect(roll(&t3_id, 0).bearer(&owner).context(&ws), 200)
        .await;
    s.expect(roll("tok_unknown", 0).bearer(&owner).context(&ws), 404)
        .await;
    // Rolling is creating: a token that expires may not roll one that
    // never does.
    s.expect(roll(&t1_id, 0).bearer(&t4), 403).await;

    // Multi-workspace tokens.
    let multi = |body: CreateMultiTokenRequest| Call::create_my_token(&body);
    s.expect(
        multi(CreateMultiTokenRequest {
            expires_at: at(now + 3600),
            ..multi_token_named("laptop", &[&ws, &ws2])
        })
        .bearer(&owner),
        201,
    )
    .await;
    let (m2, m2_id) = made(
        s.expect(multi(multi_token_named("desk", &[&ws])).bearer(&owner), 201)
            .await,
    );
    let (_m3, m3_id) = made(
        s.expect(
            multi(multi_token_named("spare", &[&ws2])).bearer(&owner),
            201,
        )
        .await,
    );
    let (m4, _) = made(
        s.expect(
            multi(multi_token_named("leaky", &[&ws])).bearer(&owner),
            201,
        )
        .await,
    );
    s.expect(
        multi(multi_token_named("elsewhere", &["ws_nowhere"])).bearer(&owner),
        422,
    )
    .await;
    s.expect(
        multi(multi_token_named("as-token", &[&ws])).bearer(&t1),
        403,
    )
    .await;
    s.expect(Call::list_my_tokens(Query::new()).bearer(&owner), 200)
        .await;
    s.expect(tokens().bearer(&m2).context(&ws), 200).await;
    s.expect(tokens().bearer(&owner).context(&ws), 200).await;
    // Revoking: one's own, a multi-workspace token from a covered
    // workspace, someone else's, an unknown one.
    let revoke = Call::revoke_token;
    s.expect(revoke(&m2_id).bearer(&owner).context(&ws), 204)
        .await;
    s.expect(revoke(&t4_id).bearer(&owner).context(&ws), 204)
        .await;
    s.expect(revoke(&t4_id).bearer(&owner).context(&ws), 404)
        .await;
    s.expect(revoke(&t5_id).bearer(&owner).context(&ws), 404)
        .await;
    s.expect(revoke(&t3_id).bearer(&admin).context(&ws), 204)
        .await;
    s.expect(tokens().bearer(&t4), 401).await;
    let revoke_mine = Call::revoke_my_token;
    s.expect(revoke_mine(&m3_id).bearer(&owner), 204).await;
    s.expect(revoke_mine(&m3_id).bearer(&owner), 404).await;
    s.expect(revoke_mine(&t1_id).bearer(&owner), 404).await;

    // A leak report: a workspace token and a multi-workspace token are
    // revoked, anything else is a false positive.
    let (t6, _) = made(
        s.expect(
            create(token_named("leaked")).bearer(&owner).context(&ws),
            201,
        )
        .await,
    );
    let matches: Vec<ReportedToken> = [t6.as_str(), m4.as_str(), "sk_akua_notatoken", t6.as_str()]
        .iter()
        .map(|t| ReportedToken {
            token: (*t).to_owned(),
            token_type: "akua_api_token".into(),
            url: Some("https://example.com/x".into()),
            source: Some("content".into()),
        })
        .collect();
    let report = serde_json::to_vec(&matches).unwrap();
    let signature = s.scanner.sign(&report);
    let signed = Call::report_leaks(&report)
        .header(
            "github-public-key-identifier",
            akua_testkit::scanner::KEY_ID,
        )
        .header("github-public-key-signature", &signature);
    let verdicts = s.expect(signed, 200).await;
    assert_eq!(verdicts.body[0]["label"], "true_positive");
    assert_eq!(verdicts.body[1]["label"], "true_positive");
    s.expect(Call::report_leaks(&report), 401).await;
    s.expect(tokens().bearer(&t6), 401).await;

    // Device logins: start, poll, look up, approve, deny, redeem.
    let start = || Call::device_code("cnap");
    let poll = |device_code: &str| Call::device_token(device_code, "cnap");
    let login = |r: Reply| (r.text("device_code"), r.text("user_code"));
    let (d1, u1) = login(s.expect(start(), 200).await);
    s.expect(Call::device_code("unknown"), 400).await;
    let r = s.expect(poll(&d1), 400).await;
    assert_eq!(r.code(), "authorization_pending");
    let r = s.expect(poll(&d1), 400).await;
    assert_eq!(r.code(), "slow_down");
    let r = s.expect(poll(&"0".repeat(d1.len())), 400).await;
    assert_eq!(r.code(), "invalid_grant");
    s.expect(Call::device_pending(&u1).bearer(&owner), 200)
        .await;
    let unknown = UserCode::generate().display();
    s.expect(Call::device_pending(&unknown).bearer(&owner), 404)
        .await;
    let approve = Call::approve_device;
    let deny = Call::deny_device;
    s.expect(approve(&u1).bearer(&owner), 200).await;
    s.expect(approve(&u1).bearer(&owner), 404).await;
    let cli = s.expect(poll(&d1), 200).await.text("access_token");
    let r = s.expect(poll(&d1), 400).await;
    assert_eq!(r.code(), "invalid_grant");
    let (d2, u2) = login(s.expect(start(), 200).await);
    s.expect(deny(&u2).bearer(&owner), 200).await;
    let r = s.expect(poll(&d2), 400).await;
    assert_eq!(r.code(), "access_denied");
    // One left pending, for the sweep.
    s.expect(start(), 200).await;
    // A second CLI session, approved from a dashboard session (a CLI
    // session never approves: sudo mode wants a person at a browser), whose
    // sign-in is then renewed from a fresh one.
    let (d3, u3) = login(s.expect(start(), 200).await);
    s.expect(approve(&u3).bearer(&cli), 403).await;
    let start_session = || Call::start_session(&StartSessionRequest::default());
    let browser = s
        .expect(start_session().bearer(&owner), 201)
        .await
        .text("token");
    s.expect(approve(&u3).bearer(&browser), 200).await;
    let cli2 = s.expect(poll(&d3), 200).await.text("access_token");
    let renew = |token: &str| {
        Call::reauthenticate(&ReauthenticateRequest {
            session_token: Revealed::new(token),
            oidc: None,
        })
    };
    s.expect(renew(&browser).bearer(&owner), 200).await;
    s.expect(renew(&cli).bearer(&owner), 404).await;

    // Sessions: status, refresh, lists, a dashboard sign-in, ending them.
    s.expect(Call::session().bearer(&cli), 200).await;
    s.expect(Call::session().bearer(&owner), 400).await;
    s.expect(Call::refresh().bearer(&cli), 200).await;
    let sessions = || Call::list_sessions(Query::new());
    s.expect(sessions().bearer(&cli), 200).await;
    s.expect(sessions().bearer(&cli).context(&ws), 200).await;
    s.expect(Call::whoami().bearer(&cli2), 200).await;
    let dashboard = s.expect(start_session().bearer(&owner), 201).await;
    let dashboard_id = dashboard.text("id");
    s.expect(Call::session().bearer(&dashboard.text("token")), 200)
        .await;
    s.expect(start_session().bearer(&cli), 403).await;
    let end = Call::end_session;
    s.expect(end(&dashboard_id).bearer(&owner), 204).await;
    s.expect(end(&dashboard_id).bearer(&owner), 404).await;
    s.expect(end(&t1_id).bearer(&owner), 404).await;
    s.expect(start_session().bearer(&owner), 201).await;
    let ended = s.expect(Call::end_other_sessions().bearer(&cli), 200).await;
    assert!(ended.body["revoked"].as_u64().unwrap_or(0) >= 2);
    s.expect(Call::session().bearer(&cli2), 401).await;
    s.expect(Call::logout().bearer(&cli), 204).await;
    s.expect(Call::session().bearer(&cli), 401).await;
    // One left, for the sweep.
    let (d4, u4) = login(s.expect(start(), 200).await);
    s.expect(approve(&u4).bearer(&owner), 200).await;
    let last_session = s.expect(poll(&d4), 200).await.text("access_token");

    // Holder revocation (RFC 7009): the secret alone ends a dashboard
    // session, a workspace token by the secret a roll replaced, a
    // multi-workspace token; anything else is a 200 that changes nothing.
    let held = s
        .expect(start_session().bearer(&owner), 201)
        .await
        .text("token");
    let revoke_held = Call::revoke_held;
    s.expect(revoke_held(&held), 200).await;
    s.expect(revoke_held(&held), 200).await;
    s.expect(revoke_held(&t2), 200).await;
    let (held_multi, _) = made(
        s.expect(
            multi(multi_token_named("held", &[&ws, &ws2])).bearer(&owner),
            201,
        )
        .await,
    );
    s.expect(revoke_held(&held_multi), 200).await;
    s.expect(revoke_held("sk_akua_notatoken"), 200).await;
    // A hint without the token: refused before any read.
    let mut no_token = revoke_held("");
    no_token.body = Body::Form(vec![("token_type_hint".into(), "access_token".into())]);
    s.expect(no_token, 400).await;

    // Introspection (RFC 7662): a workspace's token, a member's session, a
    // multi-workspace token covering it, an ended session; a member may
    // not ask.
    let introspect = Call::introspect;
    let (looked_at, _) = made(
        s.expect(
            multi(multi_token_named("looked-at", &[&ws])).bearer(&owner),
            201,
        )
        .await,
    );
    for token in [&t1, &last_session, &looked_at, &held] {
        s.expect(introspect(token).bearer(&owner).context(&ws), 200)
            .await;
    }
    s.expect(introspect(&t1).bearer(&member).context(&ws), 403)
        .await;
    // The same from a platform backend signing with its AWS role.
    let platform = "arn:aws:sts::123456789012:assumed-role/platform/worker";
    for token in [&t1, &last_session, &looked_at] {
        let asked = Call::platform_introspect(token).signed_by(platform);
        s.expect(asked, 200).await;
    }
    let in_ws = Call::platform_introspect(&looked_at).field("workspace_id", &ws);
    s.expect(in_ws.signed_by(platform), 200).await;

    // The audit logs, and members leaving.
    let audit = |query: Query| Call::audit_log(&ws, query);
    s.expect(audit(Query::new()).bearer(&owner), 200).await;
    s.expect(
        audit(Query::new().action("member.added").limit(1)).bearer(&owner),
        200,
    )
    .await;
    s.expect(audit(Query::new()).bearer(&t1), 200).await;
    s.expect(audit(Query::new()).bearer(&member), 403).await;
    let my_audit = || Call::my_audit_log(Query::new());
    s.expect(my_audit().bearer(&owner), 200).await;
    s.expect(my_audit().bearer(&t1), 403).await;
    let remove = |user: &str| Call::remove_member(&ws, user);
    s.expect(remove("usr_member").bearer(&owner), 204).await;
    s.expect(remove("usr_owner").bearer(&admin), 403).await;
    s.expect(remove("usr_admin").bearer(&admin), 204).await;
    s.expect(remove("usr_owner").bearer(&owner), 409).await;

    // The API document.
    s.expect(Call::openapi(), 200).await;

    // The hourly sweep, now: the tokens that expire within the hour get
    // their `token.expiring` notice.
    let summary = akua_cleanup::handle(&s.cleanup, scheduled_event(), now)
        .await
        .expect("the sweep");
    assert!(summary.notices >= 1, "{summary:?}");

    // The hourly sweep, run when everything that expires has.
    let later = now + 10 * 365 * 86_400;
    let summary = akua_cleanup::handle(&s.cleanup, scheduled_event(), later)
        .await
        .expect("the sweep");
    assert!(summary.deleted >= 8, "{summary:?}");
}

// ---------------------------------------------------------------------
// The template: what each function is granted.
// ---------------------------------------------------------------------

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_owned()
}

struct Template {
    root: Yaml,
}

/// An intrinsic function, in either spelling: `!If [...]` or
/// `{"Fn::If": [...]}` (`Ref` as `!Ref`).
fn intrinsic(v: &Yaml) -> Option<(String, &Yaml)> {
    match v {
        Yaml::Tagged(t) => Some((
            t.tag.to_string().trim_start_matches('!').to_owned(),
            &t.value,
        )),
        Yaml::Mapping(m) if m.len() == 1 => {
            let (k, value) = m.iter().next()?;
            let k = k.as_str()?;
            let name = k.strip_prefix("Fn::").or((k == "Ref").then_some(k))?;
            Some((name.to_owned(), value))
        }
        _ => None,
    }
}

fn scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) => Some(s.clone()),
        Yaml::Number(n) => Some(n.to_string()),
        Yaml::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

impl Template {
    fn read() -> Template {
        let text = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
        Template {
            root: yaml_serde::from_str(&text).expect("template.yaml is YAML"),
        }
    }

    fn functions(&self) -> BTreeSet<String> {
        self.root["Resources"]
            .as_mapping()
            .expect("Resources")
            .iter()
            .filter(|(_, r)| r["Type"].as_str() == Some("AWS::Serverless::Function"))
            .filter_map(|(name, _)| name.as_str().map(str::to_owned))
            .collect()
    }

    /// Every parameter at its default, `overrides` applied.
    fn parameters(&self, overrides: &[(&str, &str)]) -> BTreeMap<String, String> {
        let mut params: BTreeMap<String, String> = self.root["Parameters"]
            .as_mapping()
            .into_iter()
            .flatten()
            .filter_map(|(k, p)| Some((k.as_str()?.to_owned(), scalar(&p["Default"])?)))
            .collect();
        for (k, v) in overrides {
            params.insert((*k).to_owned(), (*v).to_owned());
        }
        params
    }

    fn allowed_values(&self, parameter: &str) -> Vec<String> {
        self.root["Parameters"][parameter]["AllowedValues"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(scalar)
            .collect()
    }

    fn condition(&self, name: &str, params: &BTreeMap<String, String>) -> Result<bool, String> {
        let body = &self.root["Conditions"][name];
        if body.is_null() {
            return Err(format!("no condition {name}"));
        }
        self.truth(body, params)
    }

    fn truth(&self, v: &Yaml, params: &BTreeMap<String, String>) -> Result<bool, String> {
        let (name, args) = intrinsic(v).ok_or_else(|| format!("not a condition: {v:?}"))?;
        let items = || args.as_sequence().map(Vec::as_slice).unwrap_or_default();
        match name.as_str() {
            "Equals" => match items() {
                [a, b] => Ok(self.text(a, params)? == self.text(b, params)?),
                _ => Err("Equals takes two values".into()),
            },
            "Or" => items()
                .iter()
                .try_fold(false, |any, c| Ok(any || self.truth(c, params)?)),
            "And" => items()
                .iter()
                .try_fold(true, |all, c| Ok(all && self.truth(c, params)?)),
            "Not" => match items() {
                [c] => Ok(!self.truth(c, params)?),
                _ => Err("Not takes one condition".into()),
            },
            "Condition" => self.condition(args.as_str().unwrap_or(""), params),
            other => Err(format!(
                "a condition function this check does not know: {other}"
            )),
        }
    }

    /// A string value: a literal, a parameter's `!Ref`, or an `!If`.
    fn text(&self, v: &Yaml, params: &BTreeMap<String, String>) -> Result<String, String> {
        if let Some(s) = scalar(v) {
            return Ok(s);
        }
        match intrinsic(v) {
            Some((name, arg)) if name == "Ref" => {
                let p = arg.as_str().unwrap_or("");
                params
                    .get(p)
                    .cloned()
                    .ok_or_else(|| format!("no parameter {p}"))
            }
            Some((name, _)) if name == "If" => match self.branch(v, params)? {
                Some(b) => self.text(b, params),
                None => Err("an !If without a value".into()),
            },
            _ => Err(format!("a value this check cannot read: {v:?}")),
        }
    }

    /// The branch an `!If` takes (`None`: `AWS::NoValue`).
    fn branch<'a>(
        &self,
        v: &'a Yaml,
        params: &BTreeMap<String, String>,
    ) -> Result<Option<&'a Yaml>, String> {
        let args = match intrinsic(v) {
            Some((name, args)) if name == "If" => args,
            _ => return Ok(Some(v)),
        };
        let [condition, yes, no] = args.as_sequence().map(Vec::as_slice).unwrap_or_default() else {
            return Err("!If takes a condition and two values".into());
        };
        let taken = if self.condition(condition.as_str().unwrap_or(""), params)? {
            yes
        } else {
            no
        };
        let no_value = matches!(intrinsic(taken), Some((n, a)) if n == "Ref" && a.as_str() == Some("AWS::NoValue"));
        Ok((!no_value).then_some(taken))
    }

    /// A function's environment variable: its own, else the global one.
    fn env(
        &self,
        function: &str,
        var: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<Option<String>, String> {
        let own = &self.root["Resources"][function]["Properties"]["Environment"]["Variables"][var];
        let global = &self.root["Globals"]["Function"]["Environment"]["Variables"][var];
        let v = if own.is_null() { global } else { own };
        if v.is_null() {
            return Ok(None);
        }
        self.text(v, params).map(Some)
    }

    /// The resources a statement's `Resource` names: `Table` for the
    /// table's ARN, `Table/index/NAME` for an index's.
    fn resources(
        &self,
        v: &Yaml,
        params: &BTreeMap<String, String>,
    ) -> Result<Vec<String>, String> {
        // A plain sequence only (`as_sequence` would see through a tag).
        if let Yaml::Sequence(items) = v {
            let mut all = Vec::new();
            for item in items {
                all.extend(self.resources(item, params)?);
            }
            return Ok(all);
        }
        match intrinsic(v) {
            Some((name, _)) if name == "If" => match self.branch(v, params)? {
                Some(b) => self.resources(b, params),
                None => Ok(Vec::new()),
            },
            Some((name, arg)) if name == "GetAtt" => {
                let target = match arg {
                    Yaml::Sequence(parts) => parts
                        .iter()
                        .filter_map(Yaml::as_str)
                        .collect::<Vec<_>>()
                        .join("."),
                    other => other.as_str().unwrap_or("").to_owned(),
                };
                match target.strip_suffix(".Arn") {
                    Some(TABLE) => Ok(vec![TABLE.to_owned()]),
                    _ => Err(format!("a resource this check does not know: {target}")),
                }
            }
            Some((name, arg)) if name == "Sub" => {
                let text = arg.as_str().unwrap_or("");
                let resolved = text.replace(&format!("${{{TABLE}.Arn}}"), TABLE);
                if resolved.contains("${") || !resolved.starts_with(TABLE) {
                    return Err(format!("a resource this check does not know: {text}"));
                }
                Ok(vec![resolved])
            }
            _ => Err(format!("a resource this check does not know: {v:?}")),
        }
    }

    /// Everything `function`'s policies grant, as (action, resource,
    /// partition-key pattern); [`ANY_KEY`] where no `dynamodb:LeadingKeys`
    /// condition bounds a statement.
    fn grants(
        &self,
        function: &str,
        params: &BTreeMap<String, String>,
    ) -> Result<BTreeSet<Use>, String> {
        let properties = &self.root["Resources"][function]["Properties"];
        if !properties["Role"].is_null() {
            return Err(format!("{function} names a role this check cannot read"));
        }
        let mut granted = BTreeSet::new();
        for policy in properties["Policies"].as_sequence().into_iter().flatten() {
            let only_statements = matches!(policy, Yaml::Mapping(m) if m.len() == 1 && !policy["Statement"].is_null());
            if !only_statements {
                return Err(format!(
                    "{function} has a policy this check cannot read: {policy:?}"
                ));
            }
            for statement in policy["Statement"].as_sequence().into_iter().flatten() {
                granted.extend(self.statement(function, statement, params)?);
            }
        }
        Ok(granted)
    }

    fn statement(
        &self,
        function: &str,
        statement: &Yaml,
        params: &BTreeMap<String, String>,
    ) -> Result<BTreeSet<Use>, String> {
        let known = ["Effect", "Action", "Resource", "Condition"];
        let Yaml::Mapping(fields) = statement else {
            return Err(format!("{function}: a statement this check cannot read"));
        };
        for key in fields.keys() {
            let key = key.as_str().unwrap_or("");
            if !known.contains(&key) {
                return Err(format!(
                    "{function}: a statement field this check does not read: {key}"
                ));
            }
        }
        if statement["Effect"].as_str() != Some("Allow") {
            return Err(format!("{function}: a statement that does not Allow"));
        }
        let actions: Vec<String> = match &statement["Action"] {
            Yaml::Sequence(items) => items.iter().filter_map(scalar).collect(),
            other => scalar(other).into_iter().collect(),
        };
        let resources = self.resources(&statement["Resource"], params)?;
        let patterns: Vec<String> = match &statement["Condition"] {
            Yaml::Null => vec![ANY_KEY.to_owned()],
            condition => {
                let operators = condition.as_mapping().map_or(0, |m| m.len());
                let keys = &condition["ForAllValues:StringLike"];
                let leading = &keys["dynamodb:LeadingKeys"];
                if operators != 1 || keys.as_mapping().map_or(0, |m| m.len()) != 1 {
                    return Err(format!(
                        "{function}: a condition this check does not read (only ForAllValues:StringLike on dynamodb:LeadingKeys)"
                    ));
                }
                match leading {
                    Yaml::Sequence(items) => items.iter().filter_map(scalar).collect(),
                    other => scalar(other).into_iter().collect(),
                }
            }
        };
        let mut granted = BTreeSet::new();
        for action in &actions {
            for resource in &resources {
                for pattern in &patterns {
                    granted.insert((action.clone(), resource.clone(), pattern.clone()));
                }
            }
        }
        Ok(granted)
    }
}

/// What a recorder saw, as IAM decides it.
fn uses(accesses: &BTreeSet<Access>, engine_table: &str) -> BTreeSet<Use> {
    accesses
        .iter()
        .map(|a| {
            let table = if a.table == engine_table {
                TABLE.to_owned()
            } else {
                format!("table {}", a.table)
            };
            let resource = match &a.index {
                Some(index) => format!("{table}/index/{index}"),
                None => table,
            };
            (a.action.clone(), resource, a.leading_key.clone())
        })
        .collect()
}

/// Both ways, per function: what is used and not granted, and what is
/// granted and never used. Each line names the function, the action, the
/// resource and the key pattern.
fn compare(function: &str, used: &BTreeSet<Use>, granted: &BTreeSet<Use>) -> Vec<String> {
    let mut problems = Vec::new();
    for (action, resource, pattern) in used {
        let covered = granted.contains(&(action.clone(), resource.clone(), pattern.clone()))
            || granted.contains(&(action.clone(), resource.clone(), ANY_KEY.to_owned()));
        if !covered {
            problems.push(format!(
                "{function} uses {action} on {resource} for {pattern}, which the template does not grant"
            ));
        }
    }
    for (action, resource, pattern) in granted {
        if !used.contains(&(action.clone(), resource.clone(), pattern.clone())) {
            problems.push(format!(
                "{function} is granted {action} on {resource} for {pattern}, which it never uses"
            ));
        }
    }
    problems
}

/// Runs the walk on a stack whose lists read `index`, and holds the
/// template to it under every `LegacyListIndex` value that makes the
/// functions read that index.
async fn grants_are_exactly_what_the_code_does(index: ListIndex) {
    let stack = Box::pin(Stack::start(index)).await;
    Box::pin(walk(&stack)).await;

    // The walk called every route each function declares: a new route
    // fails here until the walk calls it.
    let covered = stack.covered.lock().unwrap().clone();
    for f in Function::ALL {
        let missed: Vec<String> = routes()
            .iter()
            .filter(|r| r.function == f)
            .filter(|r| !covered.contains(&(r.method.to_string(), r.path.clone())))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect();
        assert!(
            missed.is_empty(),
            "the walk never calls these routes of {}: {missed:?}",
            f.template_name()
        );
    }

    let template = Template::read();
    let functions = template.functions();
    let known: BTreeSet<String> = WITH_A_STORE
        .iter()
        .chain(WITHOUT_A_STORE.iter().map(|(f, _)| f))
        .map(|f| (*f).to_owned())
        .collect();
    assert_eq!(functions, known, "every function of the template is walked");

    let used: BTreeMap<&str, BTreeSet<Use>> = functions
        .iter()
        .map(|f| {
            let accesses = stack
                .recorders
                .get(f.as_str())
                .map(Recorder::accesses)
                .unwrap_or_default();
            (f.as_str(), uses(&accesses, &stack.engine.table))
        })
        .collect();
    for (function, u) in &used {
        assert!(
            u.iter().all(|(_, _, p)| p != UNRECOGNISED),
            "{function} touched a key of no shape the store makes"
        );
    }
    // What each function with a store does at all (a walk that silently
    // stopped reaching the store would otherwise pass against a template
    // granting nothing).
    for function in WITH_A_STORE {
        assert!(!used[function].is_empty(), "{function} made no store call");
    }

    let mut checked = 0;
    for value in template.allowed_values("LegacyListIndex") {
        let params = template.parameters(&[("LegacyListIndex", &value)]);
        let lists_read = template
            .env(AUTHORIZER, "AKUA_LIST_INDEX", &params)
            .expect("AKUA_LIST_INDEX");
        if lists_read.as_deref() != Some(index.name()) {
            continue;
        }
        checked += 1;
        let mut problems = Vec::new();
        for function in &functions {
            let read = template
                .env(function, "AKUA_LIST_INDEX", &params)
                .expect("AKUA_LIST_INDEX");
            assert_eq!(read.as_deref(), Some(index.name()), "{function}");
            match template.grants(function, &params) {
                Ok(granted) => {
                    problems.extend(compare(function, &used[function.as_str()], &granted))
                }
                Err(e) => problems.push(e),
            }
        }
        // What each function uses, for writing its policy.
        let uses: Vec<String> = used
            .iter()
            .flat_map(|(f, u)| {
                u.iter()
                    .map(move |(a, r, p)| format!("{f}: {a} on {r} for {p}"))
            })
            .collect();
        assert!(
            problems.is_empty(),
            "with LegacyListIndex={value} (lists read {}):\n{}\n\nwhat each function uses:\n{}",
            index.name(),
            problems.join("\n"),
            uses.join("\n")
        );
    }
    assert!(
        checked > 0,
        "no LegacyListIndex value reads {}",
        index.name()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_function_is_granted_exactly_what_its_code_does() {
    grants_are_exactly_what_the_code_does(ListIndex::Lists).await;
}

/// While an upgrading stack's lists still read `gsi1`, the list functions
/// may query `gsi1` and not `lists`; before and after, the reverse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_lists_read_the_legacy_index_it_alone_is_granted() {
    grants_are_exactly_what_the_code_does(ListIndex::Legacy).await;
}

/// The dependencies a crate's manifest names (all of them, optional ones
/// included: a superset of what it links), and those of the workspace's
/// own crates among them, transitively.
fn dependency_closure(dir: &str) -> BTreeSet<String> {
    let workspace = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    let paths: BTreeMap<String, String> = workspace
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once('=')?;
            let path = rest.split("path = \"").nth(1)?.split('"').next()?;
            Some((name.trim().to_owned(), path.to_owned()))
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(dir) = todo.pop() {
        let manifest = std::fs::read_to_string(root().join(&dir).join("Cargo.toml"))
            .unwrap_or_else(|_| panic!("{dir}/Cargo.toml"));
        let mut in_dependencies = false;
        for line in manifest.lines().map(str::trim) {
            if line.starts_with('[') {
                in_dependencies =
                    line.ends_with("dependencies]") && !line.contains("dev-dependencies");
                continue;
            }
            if !in_dependencies || line.is_empty() || line.starts_with('#') {
                continue;
            }
            let name = line.split(['=', '.', ' ']).next().unwrap_or("").to_owned();
            if seen.insert(name.clone())
                && let Some(path) = paths.get(&name)
            {
                todo.push(path.clone());
            }
        }
    }
    seen
}

/// The docs and the dashboard serve pages and a document: their crates
/// (and the workspace crates they use) name no DynamoDB client and no
/// store, so they can make no DynamoDB call, and the template grants them
/// none.
#[test]
fn functions_without_a_store_link_no_dynamodb_client() {
    let template = Template::read();
    for (function, dir) in WITHOUT_A_STORE {
        let linked = dependency_closure(dir);
        assert!(linked.contains("akua-core"), "{dir}: {linked:?}");
        for client in ["aws-sdk-dynamodb", "akua-store"] {
            assert!(
                !linked.contains(client),
                "{function} ({dir}) links {client}"
            );
        }
        let granted = template
            .grants(function, &template.parameters(&[]))
            .expect("readable policies");
        assert!(granted.is_empty(), "{function} is granted {granted:?}");
    }
}

/// The comparison itself: an over-grant and an under-grant are both
/// named, with the function, action, resource and pattern.
#[test]
fn the_comparison_names_what_is_missing_and_what_is_too_much() {
    let u = |a: &str, r: &str, p: &str| (a.to_owned(), r.to_owned(), p.to_owned());
    let used = BTreeSet::from([
        u("dynamodb:GetItem", TABLE, "CRED#*"),
        u("dynamodb:Query", "Table/index/lists", "USER#*#SESSIONS"),
    ]);
    let granted = BTreeSet::from([
        u("dynamodb:GetItem", TABLE, "CRED#*"),
        u("dynamodb:UpdateItem", TABLE, "WS#*"),
        u("dynamodb:Query", "Table/index/lists", ANY_KEY),
    ]);
    assert_eq!(
        compare("AuthorizerFunction", &used, &granted),
        [
            "AuthorizerFunction is granted dynamodb:Query on Table/index/lists for (any partition key), which it never uses",
            "AuthorizerFunction is granted dynamodb:UpdateItem on Table for WS#*, which it never uses",
        ]
    );
    let granted = BTreeSet::from([u("dynamodb:GetItem", TABLE, "CRED#*")]);
    assert_eq!(
        compare("SessionsFunction", &used, &granted),
        [
            "SessionsFunction uses dynamodb:Query on Table/index/lists for USER#*#SESSIONS, which the template does not grant"
        ]
    );
    // The recorder's patterns are the store's.
    assert!(
        KeyPatterns::of_store()
            .patterns(Some(table::LISTS.name))
            .contains(&"USER#*#SESSIONS".to_owned())
    );
}
