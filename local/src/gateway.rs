//! API Gateway's part, played locally and faithfully, as either kind of
//! API the stack can sit behind ([`ApiType`]):
//!
//! - **REST** (the default, as `template.yaml` deploys): route matching, the
//!   REQUEST authorizer in front of protected routes (401 for the error
//!   `Unauthorized`, 403 for an explicit Deny, 503 when the authorizer
//!   fails), the gateway responses in the JSON error envelope, and the
//!   proxy event with the authorizer context the function receives.
//! - **HTTP** (payload 2.0, simple responses, the `$default` stage at the
//!   root): a request without `Authorization` is 401 before the authorizer
//!   runs; any other refusal is 403; both, and a path no route has, get API
//!   Gateway's own `{"message": …}` bodies (HTTP APIs cannot customise
//!   them); an authorizer that fails is 500. Allowed requests reach the
//!   function with the context under `requestContext.authorizer.lambda`.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use akua_authorizer::AuthorizerError;
use akua_core::device::DeviceConfig;
use akua_core::jwt::JwtVerifier;
use akua_core::leaks::ScannerKeys;
use akua_core::{ApiError, Authorizer, clock};
use akua_store::DynamoStore;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, Response, StatusCode};
use axum::response::IntoResponse;
use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::routes::{Function, Route, match_path, routes};

/// Account and API id reported in the events, as API Gateway would.
const ACCOUNT: &str = "000000000000";
const API_ID: &str = "akualocal";
/// The stage the events name when akua-local serves at the root (as a
/// custom domain mapped to the stage does: the stage is in the event, not
/// in the path).
const ROOT_STAGE: &str = "local";

/// The stage HTTP APIs serve at the root.
const HTTP_DEFAULT_STAGE: &str = "$default";

/// Which kind of API Gateway API is played.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ApiType {
    #[default]
    Rest,
    Http,
}

impl ApiType {
    pub fn parse(name: &str) -> Result<Self, String> {
        match name.to_ascii_lowercase().as_str() {
            "rest" => Ok(Self::Rest),
            "http" => Ok(Self::Http),
            _ => Err(format!("{name:?} is not rest or http")),
        }
    }

    /// The request context a function (the dashboard's, served beside the
    /// gateway) receives for `path` under `stage`, as this kind of API
    /// builds it.
    pub fn lambda_context(
        self,
        stage: &Stage,
        method: &Method,
        path: &str,
    ) -> Result<lambda_http::request::RequestContext, serde_json::Error> {
        use lambda_http::request::RequestContext;
        Ok(match self {
            Self::Rest => RequestContext::ApiGatewayV1(serde_json::from_value(
                stage.request_context(method, path),
            )?),
            Self::Http => RequestContext::ApiGatewayV2(serde_json::from_value(http_context(
                method,
                path,
                "",
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                None,
                Map::new(),
            ))?),
        })
    }
}

/// The routers of every function behind one authorizer.
#[derive(Clone)]
pub struct Gateway {
    authorizer: Arc<Authorizer<DynamoStore>>,
    routers: Arc<HashMap<Function, Router>>,
    stage: Stage,
    api_type: ApiType,
}

/// Where the API is served: at the root, or under `/{stage}` as on the
/// execute-api domain (`akua-local --stage prod`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stage(Option<String>);

impl Stage {
    /// `None`: the root. A stage name is what API Gateway accepts:
    /// letters, digits, `-` and `_`, 1–128 of them.
    pub fn parse(name: Option<&str>) -> Result<Self, String> {
        match name {
            None => Ok(Self(None)),
            Some(n)
                if (1..=128).contains(&n.len())
                    && n.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
            {
                Ok(Self(Some(n.to_owned())))
            }
            Some(_) => Err("a stage is 1-128 letters, digits, '-' or '_'".into()),
        }
    }

    /// What is in front of every path: `""` or `/{stage}`.
    pub fn prefix(&self) -> String {
        self.0.as_ref().map(|s| format!("/{s}")).unwrap_or_default()
    }

    /// The stage the events name.
    pub fn name(&self) -> &str {
        self.0.as_deref().unwrap_or(ROOT_STAGE)
    }

    /// The request context API Gateway gives a function for `path` (the
    /// route's own path): the stage, and the path as sent.
    pub fn request_context(&self, method: &Method, path: &str) -> Value {
        json!({
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "stage": self.name(),
            "httpMethod": method.as_str(),
            "path": format!("{}{path}", self.prefix()),
            "requestId": format!("local-{}", akua_core::base62::random(16)),
            "identity": {"sourceIp": "127.0.0.1"},
        })
    }
}

impl Gateway {
    pub fn new(
        authorizer: Authorizer<DynamoStore>,
        device: DeviceConfig,
        leaks: Arc<ScannerKeys>,
        id_tokens: Option<Arc<JwtVerifier>>,
        stage: Stage,
    ) -> Self {
        let store = authorizer.store();
        let routers = Function::ALL
            .into_iter()
            .map(|f| {
                let router = crate::routes::router(f, store, &device, &leaks, id_tokens.as_ref());
                (f, router)
            })
            .collect::<HashMap<_, _>>();
        Self {
            authorizer: Arc::new(authorizer),
            routers: Arc::new(routers),
            stage,
            api_type: ApiType::Rest,
        }
    }

    /// The same gateway, played as `api_type`. An HTTP API serves its
    /// `$default` stage at the root, so it takes no stage.
    pub fn as_api(mut self, api_type: ApiType) -> Self {
        self.api_type = api_type;
        self
    }

    /// Serves one request as the deployed API would. The caller's address
    /// is the connection's peer (`ConnectInfo`), as API Gateway reports
    /// `sourceIp`; a request without one (an in-process test) comes from
    /// loopback.
    pub async fn handle(&self, request: Request<Bytes>) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let path = parts.uri.path().to_owned();
        let query = parts.uri.query().unwrap_or("").to_owned();
        let source_ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip().to_canonical());
        let call = Call {
            method: &parts.method,
            path: &path,
            query: &query,
            headers: &parts.headers,
            source_ip,
        };
        let candidates: Vec<(&Route, Vec<(String, String)>)> = routes()
            .iter()
            .filter_map(|r| match_path(&r.path, &path).map(|p| (r, p)))
            .collect();
        if candidates.is_empty() {
            return Box::pin(self.platform(&call)).await;
        }
        let http = self.api_type == ApiType::Http;
        // RFC 9110 §15.5.6: a 405 lists the methods the resource has.
        let allow = candidates
            .iter()
            .map(|(r, _)| r.method.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let Some((route, params)) = candidates
            .into_iter()
            .find(|(r, _)| r.method == parts.method)
        else {
            // An HTTP API has routes, not resources: another method is
            // a route it does not have.
            if http {
                return gateway_message(StatusCode::NOT_FOUND, "Not Found");
            }
            let mut response = error(ApiError::MethodNotAllowed);
            if let Ok(value) = axum::http::HeaderValue::from_str(&allow) {
                response
                    .headers_mut()
                    .insert(axum::http::header::ALLOW, value);
            }
            return response;
        };
        // API Gateway answers a call without an AWS signature as one to no
        // route (MISSING_AUTHENTICATION_TOKEN, a 404 in the API's
        // envelope); this gateway verifies no signature, so every call
        // to such a route is one.
        if route.iam {
            return match http {
                true => gateway_message(StatusCode::FORBIDDEN, "Forbidden"),
                false => error(ApiError::NotFound("route")),
            };
        }
        let mut authorizer_context = Map::new();
        if route.protected {
            // Boxed: the authorizer's future is deep, and test crates that
            // nest the gateway's would pass the compiler's type-depth limit.
            match Box::pin(self.authorize(&call, &route.path, &params)).await {
                Ok(context) => authorizer_context = context,
                Err(refused) => return refused,
            }
        }
        let event = match self.api_type {
            ApiType::Rest => proxy_event(
                &self.stage,
                route,
                &call,
                &params,
                &body,
                authorizer_context,
            ),
            ApiType::Http => proxy_event_v2(route, &call, &params, &body, authorizer_context),
        };
        let Ok(lambda_request) = lambda_http::request::from_str(&event.to_string()) else {
            return error(ApiError::BadRequest(
                "the request could not be represented".into(),
            ));
        };
        let Some(router) = self.routers.get(&route.function).cloned() else {
            return error(ApiError::NotFound("route"));
        };
        akua_http::dispatch(router, lambda_request).await
    }
}

impl Gateway {
    /// Runs the authorizer on `call` to the route `resource` (its template),
    /// as API Gateway does: the context the backend receives, or the
    /// gateway's answer (401, 403 through the `ACCESS_DENIED` template with
    /// the Deny's code and message, 503).
    async fn authorize(
        &self,
        call: &Call<'_>,
        resource: &str,
        params: &[(String, String)],
    ) -> Result<Map<String, Value>, Response<Body>> {
        if self.api_type == ApiType::Http {
            return self.authorize_http(call, resource, params).await;
        }
        let method_arn = format!(
            "arn:aws:execute-api:local:{ACCOUNT}:{API_ID}/{}/{}{}",
            self.stage.name(),
            call.method,
            call.path
        );
        let event = authorizer_event(&self.stage, resource, call, params, &method_arn);
        match akua_authorizer::handle(&self.authorizer, event, clock::now()).await {
            Ok(answer) => {
                if answer["policyDocument"]["Statement"][0]["Effect"] != "Allow" {
                    let body = akua_authorizer::render_access_denied(&answer["context"]);
                    return Err(Response::builder()
                        .status(StatusCode::FORBIDDEN)
                        .header(axum::http::header::CONTENT_TYPE, "application/json")
                        .body(Body::from(body))
                        .unwrap_or_else(|_| error(ApiError::Internal)));
                }
                let mut context = answer["context"].as_object().cloned().unwrap_or_default();
                context.insert("principalId".into(), answer["principalId"].clone());
                Ok(context)
            }
            Err(AuthorizerError::Unauthorized) => Err(error(ApiError::Unauthorized)),
            Err(AuthorizerError::Failed) => Err(error(ApiError::Unavailable)),
        }
    }

    /// Runs the authorizer as an HTTP API does (payload 2.0, simple
    /// responses, identity source `$request.header.Authorization`): no
    /// header is 401 without asking it; `isAuthorized: false` is 403; a
    /// failed authorizer is 500. The bodies are API Gateway's own.
    async fn authorize_http(
        &self,
        call: &Call<'_>,
        route: &str,
        params: &[(String, String)],
    ) -> Result<Map<String, Value>, Response<Body>> {
        let Some(authorization) = call.headers.get(axum::http::header::AUTHORIZATION) else {
            return Err(gateway_message(StatusCode::UNAUTHORIZED, "Unauthorized"));
        };
        let route_key = format!("{} {route}", call.method);
        let mut event = http_event(&route_key, call, params);
        event["type"] = json!("REQUEST");
        event["routeArn"] = json!(format!(
            "arn:aws:execute-api:local:{ACCOUNT}:{API_ID}/{HTTP_DEFAULT_STAGE}/{}{}",
            call.method, call.path
        ));
        event["identitySource"] = json!([String::from_utf8_lossy(authorization.as_bytes())]);
        match akua_authorizer::handle(&self.authorizer, event, clock::now()).await {
            Ok(answer) if answer["isAuthorized"] == json!(true) => {
                Ok(answer["context"].as_object().cloned().unwrap_or_default())
            }
            Ok(_) => Err(gateway_message(StatusCode::FORBIDDEN, "Forbidden")),
            Err(_) => Err(gateway_message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
            )),
        }
    }

    /// A route of the platform's route map (`platform/permissions.json`):
    /// authorized exactly as deployed, then answered by a stand-in for the
    /// platform's backend that shows the authorizer context it would
    /// receive. Anything else is the gateway's 404.
    async fn platform(&self, call: &Call<'_>) -> Response<Body> {
        let Some(route) = akua_core::route_map::platform_route(call.method.as_str(), call.path)
        else {
            return match self.api_type {
                ApiType::Rest => error(ApiError::NotFound("route")),
                ApiType::Http => gateway_message(StatusCode::NOT_FOUND, "Not Found"),
            };
        };
        let params = match_path(&route.path, call.path).unwrap_or_default();
        match self.authorize(call, &route.path, &params).await {
            Ok(context) => axum::Json(json!({
                "platform_route": format!("{} {}", route.method, route.path),
                "permission": route.permission.as_str(),
                "authorizer": context,
                "note": "akua-local stands in for the platform's backend: this is what it would receive",
            }))
            .into_response(),
            Err(refused) => refused,
        }
    }
}

/// One request as the gateway sees it.
struct Call<'a> {
    method: &'a Method,
    path: &'a str,
    query: &'a str,
    headers: &'a HeaderMap,
    source_ip: IpAddr,
}

fn error(e: ApiError) -> Response<Body> {
    akua_http::Error(e).into_response()
}

/// An answer an HTTP API gives itself: `{"message": …}`, not the API's
/// envelope (HTTP APIs cannot customise their gateway responses).
fn gateway_message(status: StatusCode, message: &str) -> Response<Body> {
    (status, axum::Json(json!({ "message": message }))).into_response()
}

/// Headers as payload 2.0 carries them: lower-case names, repeated values
/// joined with commas, cookies apart.
fn v2_headers(headers: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for name in headers.keys() {
        if name == axum::http::header::COOKIE {
            continue;
        }
        let joined = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect::<Vec<_>>()
            .join(",");
        out.insert(name.as_str().to_owned(), json!(joined));
    }
    out
}

fn v2_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .flat_map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .split(';')
                .map(|c| c.trim().to_owned())
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// An HTTP API's request context (payload 2.0) at its `$default` stage.
fn http_context(
    method: &Method,
    path: &str,
    route_key: &str,
    source_ip: IpAddr,
    user_agent: Option<&str>,
    authorizer: Map<String, Value>,
) -> Value {
    let now = clock::now();
    let mut ctx = json!({
        "accountId": ACCOUNT,
        "apiId": API_ID,
        "http": {
            "method": method.as_str(),
            "path": path,
            "protocol": "HTTP/1.1",
            "sourceIp": source_ip.to_string(),
            "userAgent": user_agent.unwrap_or(""),
        },
        "requestId": format!("local-{}", akua_core::base62::random(16)),
        "routeKey": route_key,
        "stage": HTTP_DEFAULT_STAGE,
        "timeEpoch": now * 1000,
    });
    if !authorizer.is_empty() {
        ctx["authorizer"] = json!({ "lambda": authorizer });
    }
    ctx
}

/// The parts of a payload 2.0 event the authorizer's and the function's
/// share.
fn http_event(route_key: &str, call: &Call<'_>, params: &[(String, String)]) -> Value {
    let (single, _) = query_maps(call.query);
    let user_agent = call
        .headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let mut event = json!({
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": call.path,
        "rawQueryString": call.query,
        "headers": v2_headers(call.headers),
        "requestContext": http_context(call.method, call.path, route_key, call.source_ip, user_agent, Map::new()),
        "pathParameters": params.iter().map(|(k, v)| (k.clone(), json!(v))).collect::<Map<_, _>>(),
    });
    let cookies = v2_cookies(call.headers);
    if !cookies.is_empty() {
        event["cookies"] = json!(cookies);
    }
    if !single.is_empty() {
        event["queryStringParameters"] = Value::Object(single);
    }
    event
}

/// The payload 2.0 event an HTTP API's Lambda integration receives.
fn proxy_event_v2(
    route: &Route,
    call: &Call<'_>,
    params: &[(String, String)],
    body: &Bytes,
    authorizer: Map<String, Value>,
) -> Value {
    let route_key = format!("{} {}", route.method, route.path);
    let mut event = http_event(&route_key, call, params);
    if !authorizer.is_empty() {
        event["requestContext"]["authorizer"] = json!({ "lambda": authorizer });
    }
    if !body.is_empty() {
        let (text, is_base64) = match std::str::from_utf8(body) {
            Ok(text) => (text.to_owned(), false),
            Err(_) => (base64::engine::general_purpose::STANDARD.encode(body), true),
        };
        event["body"] = json!(text);
        event["isBase64Encoded"] = json!(is_base64);
    }
    event
}

fn single_headers(headers: &HeaderMap) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in headers {
        out.insert(
            name.as_str().to_owned(),
            json!(String::from_utf8_lossy(value.as_bytes())),
        );
    }
    out
}

fn multi_headers(headers: &HeaderMap) -> Map<String, Value> {
    let mut out: Map<String, Value> = Map::new();
    for name in headers.keys() {
        let values: Vec<Value> = headers
            .get_all(name)
            .iter()
            .map(|v| json!(String::from_utf8_lossy(v.as_bytes())))
            .collect();
        out.insert(name.as_str().to_owned(), Value::Array(values));
    }
    out
}

fn query_maps(query: &str) -> (Map<String, Value>, Map<String, Value>) {
    let mut single = Map::new();
    let mut multi: Map<String, Value> = Map::new();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        single.insert(k.to_string(), json!(v));
        match multi.get_mut(k.as_ref()) {
            Some(Value::Array(a)) => a.push(json!(v)),
            _ => {
                multi.insert(k.to_string(), json!([v]));
            }
        }
    }
    (single, multi)
}

fn path_parameters(params: &[(String, String)]) -> Value {
    if params.is_empty() {
        Value::Null
    } else {
        Value::Object(params.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
    }
}

/// The REST `REQUEST` authorizer event API Gateway sends for this request.
fn authorizer_event(
    stage: &Stage,
    resource: &str,
    call: &Call<'_>,
    params: &[(String, String)],
    method_arn: &str,
) -> Value {
    let (single, multi) = query_maps(call.query);
    json!({
        "type": "REQUEST",
        "methodArn": method_arn,
        "resource": resource,
        "path": call.path,
        "httpMethod": call.method.as_str(),
        "headers": single_headers(call.headers),
        "multiValueHeaders": multi_headers(call.headers),
        "queryStringParameters": single,
        "multiValueQueryStringParameters": multi,
        "pathParameters": path_parameters(params),
        "stageVariables": {},
        "requestContext": request_context(stage, resource, call, Map::new()),
    })
}

fn request_context(
    stage: &Stage,
    resource: &str,
    call: &Call<'_>,
    authorizer: Map<String, Value>,
) -> Value {
    let mut ctx = stage.request_context(call.method, call.path);
    ctx["resourcePath"] = json!(resource);
    ctx["identity"]["sourceIp"] = json!(call.source_ip.to_string());
    if !authorizer.is_empty() {
        ctx["authorizer"] = Value::Object(authorizer);
    }
    ctx
}

/// The REST proxy integration event the function receives.
fn proxy_event(
    stage: &Stage,
    route: &Route,
    call: &Call<'_>,
    params: &[(String, String)],
    body: &Bytes,
    authorizer: Map<String, Value>,
) -> Value {
    let (single, multi) = query_maps(call.query);
    let (body, is_base64) = if body.is_empty() {
        (Value::Null, false)
    } else {
        match std::str::from_utf8(body) {
            Ok(text) => (json!(text), false),
            Err(_) => (
                json!(base64::engine::general_purpose::STANDARD.encode(body)),
                true,
            ),
        }
    };
    json!({
        "resource": route.path,
        "path": call.path,
        "httpMethod": call.method.as_str(),
        "headers": single_headers(call.headers),
        "multiValueHeaders": multi_headers(call.headers),
        "queryStringParameters": if single.is_empty() { Value::Null } else { Value::Object(single) },
        "multiValueQueryStringParameters": if multi.is_empty() { Value::Null } else { Value::Object(multi) },
        "pathParameters": path_parameters(params),
        "stageVariables": Value::Null,
        "requestContext": request_context(stage, &route.path, call, authorizer),
        "body": body,
        "isBase64Encoded": is_base64,
    })
}

/// Collects a response body (for callers that need bytes, e.g. tests).
pub async fn body_bytes(response: Response<Body>) -> (StatusCode, HeaderMap, Bytes) {
    use http_body_util::BodyExt;
    let (parts, body) = response.into_parts();
    let bytes = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    (parts.status, parts.headers, bytes)
}
