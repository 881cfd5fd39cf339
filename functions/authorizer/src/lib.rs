//! The API Gateway Lambda authorizer: adapts the two event shapes to the
//! one decision in `akua_core` and its outcome back to what API Gateway
//! expects (DESIGN §5).
//!
//! | decision | REST `REQUEST` authorizer | HTTP API (payload 2.0, simple responses) |
//! |---|---|---|
//! | allow | IAM Allow on the method ARN + `context` | `isAuthorized: true` + `context` |
//! | 401 | the error `Unauthorized` (API Gateway answers 401) | `isAuthorized: false` (403: HTTP APIs have no 401 path) |
//! | 403 | IAM explicit Deny | `isAuthorized: false` |
//! | store/keys failure | an error (500), never an allow | an error (500) |
//!
//! Result caching must stay off (TTL 0): a cached allow would outlive a
//! revocation. That is why the decision itself is cheap.

#![cfg_attr(not(test), warn(clippy::wildcard_enum_match_arm))]

use std::collections::HashMap;
use std::net::IpAddr;

use akua_core::decision::{Decision, DecisionError, DenyReason, Request};
use akua_core::ports::DecisionStore;
use akua_core::principal::keys;
use akua_core::route_map::Target;
use akua_core::{Authorizer, Principal, Refusal};
use aws_lambda_events::apigw::{
    ApiGatewayCustomAuthorizerPolicy, ApiGatewayCustomAuthorizerRequestTypeRequest,
    ApiGatewayCustomAuthorizerResponse, ApiGatewayV2CustomAuthorizerSimpleResponse,
    ApiGatewayV2CustomAuthorizerV2Request,
};
use aws_lambda_events::http::HeaderMap;
use aws_lambda_events::iam::{IamPolicyEffect, IamPolicyStatement};
use lambda_runtime::Diagnostic;
use serde_json::Value;

pub const AUTHORIZATION: &str = "authorization";
pub const AKUA_CONTEXT: &str = "akua-context";

/// How the invocation ends when it is not a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizerError {
    /// Exactly the message API Gateway turns into a 401.
    #[error("Unauthorized")]
    Unauthorized,
    /// The decision could not be made (store or key failure): API Gateway
    /// answers 500; nobody is let in.
    #[error("authorizer failure")]
    Failed,
}

impl From<AuthorizerError> for Diagnostic {
    fn from(e: AuthorizerError) -> Diagnostic {
        Diagnostic {
            error_type: match e {
                AuthorizerError::Unauthorized => "Unauthorized",
                AuthorizerError::Failed => "AuthorizerFailure",
            }
            .to_owned(),
            error_message: e.to_string(),
        }
    }
}

/// The two event shapes this function accepts.
enum Event {
    Rest(Box<ApiGatewayCustomAuthorizerRequestTypeRequest>),
    HttpV2(Box<ApiGatewayV2CustomAuthorizerV2Request>),
}

impl Event {
    /// HTTP API payload 2.0 carries `version: "2.0"` and a `routeArn`; a REST
    /// `REQUEST` authorizer event carries a `methodArn`.
    fn parse(event: Value) -> Option<Event> {
        if event.get("version").and_then(Value::as_str) == Some("2.0") {
            serde_json::from_value(event)
                .ok()
                .map(|e| Event::HttpV2(Box::new(e)))
        } else if event.get("methodArn").is_some() {
            serde_json::from_value(event)
                .ok()
                .map(|e| Event::Rest(Box::new(e)))
        } else {
            None
        }
    }
}

/// A header's value as the decision sees it: repeated headers are combined
/// with `, ` (RFC 9110 §5.3), which no valid credential or workspace id
/// survives; bytes outside ASCII are kept so the parser can refuse them.
fn header(headers: &HeaderMap, multi: Option<&HeaderMap>, name: &str) -> Option<String> {
    let values: Vec<String> = match multi.filter(|m| m.get_all(name).iter().count() > 1) {
        Some(m) => m
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect(),
        None => headers
            .get(name)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .into_iter()
            .collect(),
    };
    (!values.is_empty()).then(|| values.join(", "))
}

/// The route and the caller's address, as each event shape gives them:
/// REST names the resource template, the path (no stage) and
/// `identity.sourceIp`; an HTTP API names the route key (`GET /v1/…`), the
/// raw path (with a named stage in front) and `http.sourceIp`.
fn target_of(event: &Event) -> (Option<Target<'_>>, Option<IpAddr>) {
    let ip = |s: Option<&str>| s.and_then(|s| s.trim().parse::<IpAddr>().ok());
    match event {
        Event::Rest(e) => (
            e.http_method.as_ref().map(|m| Target {
                method: m.as_str(),
                template: e.resource.as_deref(),
                path: e.path.as_deref(),
            }),
            ip(e.request_context
                .identity
                .as_ref()
                .and_then(|i| i.source_ip.as_deref())),
        ),
        Event::HttpV2(e) => {
            let http = &e.request_context.http;
            let template = e
                .route_key
                .as_deref()
                .and_then(|k| k.split_once(' '))
                .map(|(_, path)| path);
            let stage = e
                .request_context
                .stage
                .as_deref()
                .filter(|s| *s != "$default");
            let path = e.raw_path.as_deref().map(|p| {
                stage
                    .and_then(|s| p.strip_prefix('/')?.strip_prefix(s))
                    .filter(|rest| rest.starts_with('/'))
                    .unwrap_or(p)
            });
            (
                Some(Target {
                    method: http.method.as_str(),
                    template,
                    path,
                }),
                ip(http.source_ip.as_deref()),
            )
        }
    }
}

/// A refusal's context: the error code, message and reason the gateway's
/// `ACCESS_DENIED` response puts in the API's envelope (template.yaml reads
/// them as `$context.authorizer.code`, `.message` and `.reason`).
fn deny_context(reason: DenyReason) -> Value {
    let error = reason.api_error();
    serde_json::json!({
        keys::CODE: error.code(),
        keys::MESSAGE: error.to_string(),
        keys::REASON: error.refusal().map_or("", Refusal::as_str),
    })
}

/// `ACCESS_DENIED`'s response template in template.yaml, as akua-local
/// renders it too (a test holds the two to each other).
pub const ACCESS_DENIED_TEMPLATE: &str = r#"{"error":{"code":"$context.authorizer.code","message":"$context.authorizer.message","reason":"$context.authorizer.reason"}}"#;

/// [`ACCESS_DENIED_TEMPLATE`] filled from a Deny's context, as API Gateway
/// fills it.
pub fn render_access_denied(context: &Value) -> String {
    let get = |key: &str| context[key].as_str().unwrap_or_default().to_owned();
    ACCESS_DENIED_TEMPLATE
        .replace("$context.authorizer.code", &get(keys::CODE))
        .replace("$context.authorizer.message", &get(keys::MESSAGE))
        .replace("$context.authorizer.reason", &get(keys::REASON))
}

fn context_map(principal: &Principal) -> Value {
    Value::Object(
        principal
            .to_context()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), Value::String(v)))
            .collect(),
    )
}

fn policy(effect: IamPolicyEffect, method_arn: &str) -> ApiGatewayCustomAuthorizerPolicy {
    let mut statement = IamPolicyStatement::default();
    statement.action = vec!["execute-api:Invoke".to_owned()];
    statement.effect = effect;
    statement.resource = vec![method_arn.to_owned()];
    let mut policy = ApiGatewayCustomAuthorizerPolicy::default();
    policy.version = Some("2012-10-17".to_owned());
    policy.statement = vec![statement];
    policy
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, AuthorizerError> {
    serde_json::to_value(value).map_err(|_| AuthorizerError::Failed)
}

/// Handles one invocation at `now` (Unix seconds).
pub async fn handle<S: DecisionStore>(
    authorizer: &Authorizer<S>,
    event: Value,
    now: i64,
) -> Result<Value, AuthorizerError> {
    let Some(event) = Event::parse(event) else {
        tracing::warn!(decision = "unauthorized", reason = "unrecognised event");
        return Err(AuthorizerError::Unauthorized);
    };
    let (authorization, context) = match &event {
        Event::Rest(e) => (
            header(&e.headers, Some(&e.multi_value_headers), AUTHORIZATION),
            header(&e.headers, Some(&e.multi_value_headers), AKUA_CONTEXT),
        ),
        Event::HttpV2(e) => (
            header(&e.headers, None, AUTHORIZATION),
            header(&e.headers, None, AKUA_CONTEXT),
        ),
    };
    let (target, source_ip) = target_of(&event);
    let request = Request {
        authorization: authorization.as_deref(),
        akua_context: context.as_deref(),
        target,
        source_ip,
    };
    let decision = authorizer.decide_request(&request, now).await;
    log(&decision);
    let decision = decision.map_err(|_| AuthorizerError::Failed)?;
    match event {
        Event::Rest(e) => {
            let method_arn = e.method_arn.as_deref().unwrap_or_default();
            let mut response = ApiGatewayCustomAuthorizerResponse::<Value>::default();
            match decision {
                Decision::Allow(principal) => {
                    response.principal_id = Some(principal.principal_id().to_owned());
                    response.policy_document = policy(IamPolicyEffect::Allow, method_arn);
                    response.context = context_map(&principal);
                }
                Decision::Forbidden(reason) => {
                    response.principal_id = Some("forbidden".to_owned());
                    response.policy_document = policy(IamPolicyEffect::Deny, method_arn);
                    response.context = deny_context(reason);
                }
                Decision::Unauthorized(_) => return Err(AuthorizerError::Unauthorized),
            }
            to_json(&response)
        }
        Event::HttpV2(_) => {
            let mut response = ApiGatewayV2CustomAuthorizerSimpleResponse::<Value>::default();
            match decision {
                Decision::Allow(principal) => {
                    response.is_authorized = true;
                    response.context = context_map(&principal);
                }
                Decision::Forbidden(_) | Decision::Unauthorized(_) => {
                    response.is_authorized = false;
                    response.context = Value::Object(Default::default());
                }
            }
            to_json(&response)
        }
    }
}

/// One structured line per decision: the outcome, the credential kind and
/// token id on allow, the reason on refusal. Never the token.
fn log(decision: &Result<Decision, DecisionError>) {
    match decision {
        Ok(Decision::Allow(p)) => tracing::info!(
            decision = "allow",
            credential = p.kind().as_str(),
            token_id = p.credential_id(),
            workspace_id = p.scope().map(|s| s.workspace_id.to_string()),
        ),
        Ok(Decision::Unauthorized(reason)) => {
            tracing::info!(decision = "unauthorized", reason = ?reason)
        }
        Ok(Decision::Forbidden(reason)) => tracing::info!(decision = "forbidden", reason = ?reason),
        Err(e) => tracing::error!(decision = "error", error = %e),
    }
}

/// Reads the context an authorizer wrote, as a handler behind it receives it
/// (`requestContext.authorizer`). Exposed for tests of the round trip.
pub fn principal_from_context(ctx: &HashMap<String, Value>) -> Option<Principal> {
    Principal::from_context(ctx).ok()
}
