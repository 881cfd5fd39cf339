//! The HTTP edge shared by the function crates: everything between an API
//! Gateway request and a call into `akua_core`, and back.
//!
//! - [`Caller`]: the principal the authorizer put in the request context;
//! - [`RequestOrigin`]: the source IP and user agent an audit event records;
//! - [`JsonBody`] and [`ListQuery`]: request input, with failures in the
//!   documented envelope (400 unreadable, 422 invalid value);
//! - [`Error`] and [`OAuth`]: errors as responses, with [`HttpStatus`] the
//!   one place an error becomes an HTTP status;
//! - [`dispatch`] and [`run`]: one router served the same way in Lambda, in
//!   tests and in the local run, whether or not API Gateway put the stage
//!   name in front of the path.

#![cfg_attr(not(test), warn(clippy::wildcard_enum_match_arm))]

use akua_core::routes::{self, FunctionOp};
use akua_core::sudo::{self, Requires, SudoWindow};
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use lambda_http::request::RequestContext;
use serde::de::DeserializeOwned;
use tower::ServiceExt;

mod status;

pub use akua_core::ApiError;
use akua_core::Principal;
use akua_core::audit::Origin;
use akua_core::device::OAuthError;
use akua_core::paging::{MAX_PAGE, PageRequest};
use akua_core::ports::StoreError;
pub use status::HttpStatus;

/// Request bodies larger than this are refused (every body here is small).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// An [`ApiError`] on its way out as a response.
#[derive(Debug)]
pub struct Error(pub ApiError);

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Self(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Self(e.into())
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let mut response = (self.0.status(), axum::Json(self.0.envelope())).into_response();
        if let ApiError::ReauthenticationRequired { max_age } = self.0 {
            // RFC 9470 §3: the step-up challenge a client acts on.
            let challenge = format!(
                "Bearer error=\"insufficient_user_authentication\", error_description=\"A recent sign-in is required\", max_age={max_age}"
            );
            if let Ok(value) = header::HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
        }
        response
    }
}

/// An [`OAuthError`] as a response; never cached (RFC 6749 §5.1).
#[derive(Debug)]
pub struct OAuth(pub OAuthError);

impl IntoResponse for OAuth {
    fn into_response(self) -> Response {
        (
            self.0.status(),
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(self.0),
        )
            .into_response()
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// A response that carries a secret (a new token's plaintext): never kept
/// by a cache on the way (`Cache-Control: no-store`, RFC 9111 §5.2.2.5;
/// RFC 6749 §5.1 for token endpoints).
#[derive(Debug)]
pub struct Secret<T>(StatusCode, T);

impl<T> Secret<T> {
    /// `201 Created`.
    pub fn created(body: T) -> Self {
        Self(StatusCode::CREATED, body)
    }

    /// `200 OK`.
    pub fn ok(body: T) -> Self {
        Self(StatusCode::OK, body)
    }
}

impl<T: serde::Serialize> IntoResponse for Secret<T> {
    fn into_response(self) -> Response {
        (
            self.0,
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(self.1),
        )
            .into_response()
    }
}

/// The authorizer's context as API Gateway delivers it: REST APIs flatten it
/// into `requestContext.authorizer`, HTTP APIs nest it under `lambda`.
fn authorizer_fields(
    parts: &Parts,
) -> Option<&std::collections::HashMap<String, serde_json::Value>> {
    match parts.extensions.get::<RequestContext>()? {
        RequestContext::ApiGatewayV1(ctx) => Some(&ctx.authorizer.fields),
        RequestContext::ApiGatewayV2(ctx) => ctx.authorizer.as_ref().map(|a| &a.fields),
        _ => None,
    }
}

/// The authenticated caller of a protected route.
///
/// A missing or unreadable context means the route was deployed without the
/// authorizer in front of it: that is our fault (500), and nobody gets in.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let fields = authorizer_fields(parts).ok_or_else(|| {
            tracing::error!("protected route reached without an authorizer context");
            Error(ApiError::Internal)
        })?;
        Principal::from_context(fields).map(Caller).map_err(|e| {
            tracing::error!(error = %e, "unreadable authorizer context");
            Error(ApiError::Internal)
        })
    }
}

/// The AWS principal of a route API Gateway authorizes with AWS
/// Signature V4 (`AWS_IAM`): its ARN, as the gateway verified it.
///
/// No ARN means the request did not come through IAM authorization (the
/// route was deployed without it): nobody gets in (403), and it is logged
/// as the misconfiguration it is.
#[derive(Debug, Clone)]
pub struct IamCaller(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IamCaller {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let arn = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV1(ctx)) => ctx.identity.user_arn.clone(),
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx
                .authorizer
                .as_ref()
                .and_then(|a| a.iam.as_ref())
                .and_then(|iam| iam.user_arn.clone()),
            _ => None,
        };
        match arn.filter(|a| a.starts_with("arn:")) {
            Some(arn) => Ok(Self(arn)),
            None => {
                tracing::error!("an AWS_IAM route reached without a verified AWS principal");
                Err(Error(ApiError::Forbidden(
                    akua_core::Refusal::WrongCredential,
                    "this route takes AWS Signature V4 from an allowed AWS principal".into(),
                )))
            }
        }
    }
}

/// Where a request came from, as API Gateway saw it (source IP, user
/// agent), for the audit events of the changes it makes. Never fails: an
/// event without them is still written.
#[derive(Debug, Clone, Default)]
pub struct RequestOrigin(pub Origin);

impl<S: Send + Sync> FromRequestParts<S> for RequestOrigin {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let (ip, context_agent) = match parts.extensions.get::<RequestContext>() {
            Some(RequestContext::ApiGatewayV1(ctx)) => (
                ctx.identity.source_ip.as_deref(),
                ctx.identity.user_agent.as_deref(),
            ),
            Some(RequestContext::ApiGatewayV2(ctx)) => (
                ctx.http.source_ip.as_deref(),
                ctx.http.user_agent.as_deref(),
            ),
            _ => (None, None),
        };
        let header_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok());
        Ok(Self(Origin::new(ip, context_agent.or(header_agent))))
    }
}

/// The public base URL the request came in on (`https://{domain}` plus the
/// stage when the default execute-api domain put it in the path; nothing
/// behind a custom domain's mapping), from API Gateway's request context.
/// `None` outside API Gateway.
#[derive(Debug, Clone, Default)]
pub struct PublicBase(pub Option<String>);

/// Only characters that are safe in a URL and in HTML as they are.
fn plain(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:/".contains(&b))
}

/// What API Gateway put in front of the route's own path: `/{stage}` on
/// the execute-api domain, nothing behind a custom domain's root mapping.
/// `None` when it is not a plain path (never trusted into a URL).
fn path_prefix(parts: &Parts, ctx_path: &str) -> Option<String> {
    // `path` is the path as sent; the route's own path is what follows.
    let prefix = ctx_path.strip_suffix(parts.uri.path()).unwrap_or("");
    (prefix.is_empty() || (prefix.starts_with('/') && plain(prefix))).then(|| prefix.to_owned())
}

impl<S: Send + Sync> FromRequestParts<S> for PublicBase {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let (Some(domain), Some(full)) = (domain(parts), full_path(parts)) else {
            return Ok(Self(None));
        };
        Ok(Self(
            path_prefix(parts, &full)
                .filter(|_| plain(&domain))
                .map(|prefix| format!("https://{domain}{prefix}")),
        ))
    }
}

/// The domain the request came in on, as API Gateway reports it.
fn domain(parts: &Parts) -> Option<String> {
    match parts.extensions.get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.domain_name.clone(),
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.domain_name.clone(),
        _ => None,
    }
}

/// The path as the client sent it, stage included where the URL has one:
/// a REST API's `path`, an HTTP API's `http.path` (its `$default` stage
/// puts nothing in front).
fn full_path(parts: &Parts) -> Option<String> {
    match parts.extensions.get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.path.clone(),
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.http.path.clone(),
        _ => None,
    }
}

/// The path the stack is served under for this request: `""` at a
/// domain's root (a custom domain, akua-local without `--stage`),
/// `"/prod"` under the execute-api URL's stage. Pages build every URL on
/// it, so they work wherever they are served (docs/DESIGN.md, "Where it runs").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BasePath(pub String);

impl<S: Send + Sync> FromRequestParts<S> for BasePath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        Ok(Self(
            full_path(parts)
                .and_then(|full| path_prefix(parts, &full))
                .unwrap_or_default(),
        ))
    }
}

/// A JSON request body. Wrong content type or malformed JSON → 400; valid
/// JSON with a wrong, missing or unknown field → 422 naming the field.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

fn is_json(content_type: Option<&header::HeaderValue>) -> bool {
    content_type
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// Parses `bytes` as `T` with the error split described on [`JsonBody`].
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let syntax = || Error(ApiError::BadRequest("the body is not valid JSON".into()));
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let message = data_message(&inner);
                Error(ApiError::validation(field_name(&path, &message), message))
            }
            serde_json::error::Category::Io
            | serde_json::error::Category::Syntax
            | serde_json::error::Category::Eof => syntax(),
        }
    })?;
    de.end().map_err(|_| syntax())?;
    Ok(value)
}

/// The field a data error is about. serde_path_to_error reports an unknown
/// field at its own path, but a missing one at its parent's path, naming it
/// in backticks in the message.
fn field_name(path: &str, message: &str) -> String {
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (path, missing) {
        (".", Some(name)) => name.to_owned(),
        (".", None) => "body".to_owned(),
        (parent, Some(name)) => format!("{parent}.{name}"),
        (path, None) => path.to_owned(),
    }
}

/// serde's message without position noise and without the offending value
/// echoed back (`invalid type: string "…"`): a value can be a secret pasted
/// into the wrong field, and error messages never carry secrets.
fn data_message(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let text = match text.find(" at line ") {
        Some(i) => &text[..i],
        None => &text,
    };
    let mut out = String::with_capacity(text.len());
    let mut quoted = false;
    for c in text.chars() {
        if c == '"' {
            if !quoted {
                out.push_str("\"…");
            } else {
                out.push('"');
            }
            quoted = !quoted;
        } else if !quoted {
            out.push(c);
        }
    }
    out
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        if !is_json(req.headers().get(header::CONTENT_TYPE)) {
            return Err(Error(ApiError::BadRequest(
                "Content-Type must be application/json".into(),
            )));
        }
        parse_json(&body_bytes(req, state).await?).map(JsonBody)
    }
}

/// A JSON body that may be left out: no body at all (or JSON `null`) reads
/// as `T::default()`; a body is held to everything [`JsonBody`] asks.
#[derive(Debug)]
pub struct OptionalJsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self> {
        let json = is_json(req.headers().get(header::CONTENT_TYPE));
        let bytes = body_bytes(req, state).await?;
        if bytes.is_empty() {
            return Ok(Self(T::default()));
        }
        if !json {
            return Err(Error(ApiError::BadRequest(
                "Content-Type must be application/json".into(),
            )));
        }
        // JSON `null` is as good as no body.
        parse_json::<Option<T>>(&bytes).map(|body| Self(body.unwrap_or_default()))
    }
}

/// The whole body, within the limit every route shares.
async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<axum::body::Bytes> {
    axum::body::Bytes::from_request(req, state)
        .await
        .map_err(|e| {
            Error(if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge(MAX_BODY_BYTES)
            } else {
                ApiError::BadRequest("the body could not be read".into())
            })
        })
}

/// `?limit=&cursor=` of a list endpoint (DESIGN §6): the page asked for,
/// `limit` checked (`422` naming it); the cursor is checked by the list
/// it belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery(pub PageRequest);

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self> {
        let (mut limit, mut cursor) = (None, None);
        for (key, value) in url::form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        {
            match &*key {
                "limit" => {
                    let n = value.trim().parse::<i64>().map_err(|_| {
                        Error(ApiError::validation(
                            "limit",
                            format!("must be an integer between 1 and {MAX_PAGE}"),
                        ))
                    })?;
                    limit = Some(n);
                }
                "cursor" if !value.is_empty() => cursor = Some(value.into_owned()),
                _ => {}
            }
        }
        Ok(Self(PageRequest::asked(limit, cursor)?))
    }
}

/// `limit` and `cursor` as the API document lists them, for the
/// `params(...)` of every list route.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Page size, 1–100, default 50
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page
    pub cursor: Option<String>,
}

/// Rewrites `/{stage}/v1/...` to `/v1/...`. `lambda_http` puts a REST API's
/// stage in front of the path; the routes are declared without it.
pub fn strip_stage<B>(req: &mut axum::http::Request<B>) {
    let stage = match req.extensions().get::<RequestContext>() {
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.stage.clone(),
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.stage.clone(),
        _ => None,
    };
    let Some(stage) = stage.filter(|s| s != "$default") else {
        return;
    };
    let Some(rest) = req.uri().path().strip_prefix(&format!("/{stage}")) else {
        return;
    };
    if !rest.starts_with('/') {
        return;
    }
    let path_and_query = match req.uri().query() {
        Some(q) => format!("{rest}?{q}"),
        None => rest.to_owned(),
    };
    if let Ok(uri) = path_and_query.parse::<Uri>() {
        *req.uri_mut() = uri;
    }
}

/// A function's router, built from its rows of the one route declaration
/// ([`akua_core::routes::ROUTES`]): `serve` gives the handler of each of
/// the function's operations for the declared method, so the path and the
/// method are never written here again.
///
/// An operation that needs a recent sign-in ([`routes::Op::requires`]) is
/// served behind the sudo gate, with `sudo` as the window.
pub fn declared<O, S>(
    sudo: SudoWindow,
    serve: impl Fn(O, MethodFilter) -> MethodRouter<S>,
) -> Router<S>
where
    O: FunctionOp,
    S: Clone + Send + Sync + 'static,
{
    let router = routes::of::<O>().fold(Router::new(), |router, (route, op)| {
        let handler = serve(op, method_filter(route.method));
        let handler = match route.op.requires() {
            Requires::Nothing => handler,
            requires @ (Requires::RecentSignIn | Requires::PersonAtBrowser) => {
                handler.route_layer(axum::middleware::from_fn(
                    move |request: Request, next: Next| sudo_gate(requires, sudo, request, next),
                ))
            }
        };
        router.route(route.path, handler)
    });
    finish(router)
}

/// Sudo mode at the door: the caller's sign-in must be what the operation
/// requires, before the handler reads the body or the store.
async fn sudo_gate(
    requires: Requires,
    window: SudoWindow,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let caller = match Caller::from_request_parts(&mut parts, &()).await {
        Ok(Caller(caller)) => caller,
        Err(e) => return e.into_response(),
    };
    if let Err(e) = sudo::require(&caller, requires, window, akua_core::clock::now()) {
        return Error(e).into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

fn method_filter(method: routes::Method) -> MethodFilter {
    match method {
        routes::Method::Get => MethodFilter::GET,
        routes::Method::Post => MethodFilter::POST,
        routes::Method::Patch => MethodFilter::PATCH,
        routes::Method::Delete => MethodFilter::DELETE,
    }
}

/// Serves one API Gateway request with `router`: the path the way the
/// routes are declared, then the router. Lambda and tests both go through
/// here.
pub async fn dispatch(router: Router, mut req: lambda_http::Request) -> Response {
    strip_stage(&mut req);
    match router.oneshot(req).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Runs `router` as the Lambda's handler.
pub async fn run(router: Router) -> std::result::Result<(), lambda_http::Error> {
    lambda_http::run(lambda_http::service_fn(move |req: lambda_http::Request| {
        let router = router.clone();
        async move { Ok::<_, std::convert::Infallible>(dispatch(router, req).await) }
    }))
    .await
}

/// The layers every function's router gets: body limit, envelope 404/405.
pub fn finish<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
}

/// 404 for routes that do not exist, in the envelope.
pub async fn not_found() -> Error {
    Error(ApiError::NotFound("route"))
}

/// 405 in the envelope.
pub async fn method_not_allowed() -> Error {
    Error(ApiError::MethodNotAllowed)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn public_base(domain: &str, full_path: &str, route: &str) -> Option<String> {
        let mut ctx =
            lambda_http::aws_lambda_events::apigw::ApiGatewayProxyRequestContext::default();
        ctx.domain_name = Some(domain.to_owned());
        ctx.path = Some(full_path.to_owned());
        let request = axum::http::Request::builder()
            .uri(route)
            .extension(RequestContext::ApiGatewayV1(ctx))
            .body(())
            .unwrap();
        let (mut parts, ()) = request.into_parts();
        PublicBase::from_request_parts(&mut parts, &())
            .await
            .unwrap()
            .0
    }

    async fn base_path(full_path: Option<&str>, route: &str) -> String {
        let mut builder = axum::http::Request::builder().uri(route);
        if let Some(full) = full_path {
            let mut ctx =
                lambda_http::aws_lambda_events::apigw::ApiGatewayProxyRequestContext::default();
            ctx.path = Some(full.to_owned());
            builder = builder.extension(RequestContext::ApiGatewayV1(ctx));
        }
        let (mut parts, ()) = builder.body(()).unwrap().into_parts();
        BasePath::from_request_parts(&mut parts, &())
            .await
            .unwrap()
            .0
    }

    #[tokio::test]
    async fn the_base_path_is_the_stage_where_the_path_has_it_and_nothing_else() {
        assert_eq!(
            base_path(Some("/prod/dashboard/tokens"), "/dashboard/tokens").await,
            "/prod"
        );
        assert_eq!(
            base_path(Some("/dashboard/tokens"), "/dashboard/tokens").await,
            ""
        );
        // Not from API Gateway (a plain server): the root.
        assert_eq!(base_path(None, "/dashboard").await, "");
        // Nothing that could break out of an HTML attribute or a URL.
        assert_eq!(
            base_path(Some("/p\"><x>/dashboard"), "/dashboard").await,
            ""
        );
        assert_eq!(base_path(Some("prod/dashboard"), "/dashboard").await, "");
    }

    #[tokio::test]
    async fn the_public_base_keeps_the_stage_only_where_the_path_has_it() {
        let route = "/v1/auth/device/code";
        assert_eq!(
            public_base(
                "abc.execute-api.eu-west-1.amazonaws.com",
                "/prod/v1/auth/device/code",
                route
            )
            .await,
            Some("https://abc.execute-api.eu-west-1.amazonaws.com/prod".to_owned())
        );
        assert_eq!(
            public_base("auth.example.com", "/v1/auth/device/code", route).await,
            Some("https://auth.example.com".to_owned())
        );
        // Anything that is not a plain host is not trusted into a URL.
        assert_eq!(
            public_base("evil.test/<x>", "/v1/auth/device/code", route).await,
            None
        );
    }

    /// An HTTP API's request (payload 2.0) for `route`, as sent to `full_path`.
    async fn http_api(domain: &str, full_path: &str, route: &str) -> (Option<String>, String) {
        let mut ctx =
            lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext::default();
        ctx.domain_name = Some(domain.to_owned());
        ctx.http.path = Some(full_path.to_owned());
        ctx.stage = Some("$default".to_owned());
        let request = || {
            axum::http::Request::builder()
                .uri(route)
                .extension(RequestContext::ApiGatewayV2(ctx.clone()))
                .body(())
                .unwrap()
                .into_parts()
                .0
        };
        let public = PublicBase::from_request_parts(&mut request(), &())
            .await
            .unwrap()
            .0;
        let base = BasePath::from_request_parts(&mut request(), &())
            .await
            .unwrap()
            .0;
        (public, base)
    }

    #[tokio::test]
    async fn an_http_apis_default_stage_puts_nothing_in_front() {
        assert_eq!(
            http_api(
                "abc.execute-api.eu-west-1.amazonaws.com",
                "/v1/auth/device/code",
                "/v1/auth/device/code"
            )
            .await,
            (
                Some("https://abc.execute-api.eu-west-1.amazonaws.com".to_owned()),
                String::new()
            )
        );
        assert_eq!(
            http_api("auth.example.com", "/dashboard/tokens", "/dashboard/tokens")
                .await
                .1,
            ""
        );
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        n: Option<i64>,
    }

    #[test]
    fn syntax_errors_are_400_and_data_errors_name_their_field() {
        let status = |b: &[u8]| {
            parse_json::<Body>(b)
                .map(|_| 200)
                .unwrap_or_else(|e| e.0.status().as_u16())
        };
        assert_eq!(status(br#"{"name":"a"}"#), 200);
        assert_eq!(status(b"not json"), 400);
        assert_eq!(status(br#"{"name":"a""#), 400);
        assert_eq!(status(br#"{"name":"a"} trailing"#), 400);
        let e = parse_json::<Body>(br#"{"name":"a","n":"x"}"#)
            .unwrap_err()
            .0;
        assert_eq!(e.status(), 422);
        assert_eq!(e.envelope()["error"]["field"], "n");
        let e = parse_json::<Body>(br#"{"name":"a","admin":true}"#)
            .unwrap_err()
            .0;
        assert_eq!(e.status(), 422);
        assert!(e.to_string().contains("unknown field"));
        assert_eq!(e.envelope()["error"]["field"], "admin");
        let e = parse_json::<Body>(br#"{"name":"sk_akua_secret","n":"sk_akua_secret"}"#)
            .unwrap_err()
            .0;
        assert!(
            !e.envelope().to_string().contains("secret"),
            "input echoed: {}",
            e.envelope()
        );
        let e = parse_json::<Body>(br#"{}"#).unwrap_err().0;
        assert_eq!(e.envelope()["error"]["field"], "name");
        assert_eq!(parse_json::<Body>(b"[]").unwrap_err().0.status(), 422);
    }
}
