//! Token introspection (RFC 7662) over HTTP, through the gateway and the
//! authorizer: a manager of a workspace asks about credentials there, and
//! learns nothing about anything else.

use akua_core::introspection::Introspection;
use akua_core::multi_tokens::CreatedMultiToken;
use akua_core::sessions::{CreatedSession, StartSessionRequest};
use akua_core::tokens::CreateApiTokenRequest;
use akua_core::{Role, TokenRole};
use akua_tests::calls::{multi_token_named, names, token_named};
use akua_tests::{Api, Body, Call, Reply};
use axum::http::StatusCode;
use serde_json::Value;

/// `usr_owner` owns `ws_a` (where `usr_member` is a member) and `ws_b`.
async fn setup() -> Api {
    let api = Api::start().await;
    api.create_workspace("ws_a", "usr_owner").await;
    api.add_member("ws_a", "usr_member", Role::Member).await;
    api.add_member("ws_b", "usr_owner", Role::Owner).await;
    api
}

async fn introspect(api: &Api, bearer: Option<&str>, ws: Option<&str>, token: &str) -> Reply {
    api.caller(bearer, ws).send(Call::introspect(token)).await
}

/// A token of `ws` made by its owner with `request`: (secret, id).
async fn token(api: &Api, ws: &str, request: &CreateApiTokenRequest) -> (String, String) {
    let created = api.as_user("usr_owner").in_ws(ws).new_token(request).await;
    (created.token.expose().to_owned(), created.id)
}

/// A token request with `role`, otherwise defaults.
fn with_role(name: &str, role: TokenRole) -> CreateApiTokenRequest {
    CreateApiTokenRequest {
        role: Some(role),
        ..token_named(name)
    }
}

/// A token request restricted to `permissions`, otherwise defaults.
fn restricted(name: &str, permissions: &[&str]) -> CreateApiTokenRequest {
    CreateApiTokenRequest {
        permissions: names(permissions),
        ..token_named(name)
    }
}

/// Whether `body` is exactly `{"active": false}`: the answer that says
/// nothing more, not even which keys it could have had.
fn inactive(body: &Value) -> bool {
    body.as_object()
        .is_some_and(|o| o.len() == 1 && o.get("active") == Some(&Value::Bool(false)))
}

#[tokio::test]
async fn an_owner_learns_about_a_live_token_of_their_workspace_only() {
    let api = setup().await;
    let owner = api.jwt("usr_owner");
    let request = CreateApiTokenRequest {
        role: Some(TokenRole::Member),
        ..restricted("ci", &["api_tokens:read"])
    };
    let (secret, id) = token(&api, "ws_a", &request).await;
    let r = introspect(&api, Some(&owner), Some("ws_a"), &secret).await;
    let answer: Introspection = r.ok();
    assert!(answer.active);
    assert_eq!(answer.token_type.as_deref(), Some("Bearer"));
    assert_eq!(answer.kind.as_deref(), Some("api_token"));
    assert_eq!(answer.workspace_id.as_deref(), Some("ws_a"));
    assert_eq!(answer.role, Some(Role::Member));
    assert_eq!(answer.jti, Some(id.clone()));
    assert_eq!(answer.scope.as_deref(), Some("api_tokens:read"));
    assert!(answer.iat.is_some());
    assert!(r.body.get("exp").is_none(), "it never expires");
    assert!(!r.body.to_string().contains(&secret), "never the secret");
    assert_eq!(
        r.headers.get("cache-control").map(|v| v.to_str().unwrap()),
        Some("no-store")
    );

    // Another workspace's token, an unknown one, garbage: exactly inactive.
    let (elsewhere, _) = token(&api, "ws_b", &token_named("other")).await;
    for other in [elsewhere.as_str(), "sk_akua_notatoken", "garbage"] {
        let r = introspect(&api, Some(&owner), Some("ws_a"), other).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(inactive(&r.body), "{other:.12}: {}", r.body);
    }
    // Revoked: inactive.
    let r = api
        .as_user("usr_owner")
        .in_ws("ws_a")
        .send(Call::revoke_token(&id))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = introspect(&api, Some(&owner), Some("ws_a"), &secret).await;
    assert!(inactive(&r.body), "{}", r.body);
}

#[tokio::test]
async fn callers_are_managers_authenticated_as_themselves() {
    let api = setup().await;
    let (secret, _) = token(&api, "ws_a", &token_named("ci")).await;
    // No credential: the gateway's 401.
    let r = introspect(&api, None, None, &secret).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A member is not a manager; a person needs a workspace.
    let r = introspect(&api, Some(&api.jwt("usr_member")), Some("ws_a"), &secret).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = introspect(&api, Some(&api.jwt("usr_owner")), None, &secret).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A backend's token restricted to introspection works; one without the
    // permission is refused by the authorizer.
    let (backend, _) = token(
        &api,
        "ws_a",
        &restricted("backend", &["api_tokens:introspect"]),
    )
    .await;
    let r = introspect(&api, Some(&backend), None, &secret).await;
    assert!(r.ok::<Introspection>().active);
    let (reader, _) = token(&api, "ws_a", &restricted("reader", &["api_tokens:read"])).await;
    let r = introspect(&api, Some(&reader), None, &secret).await;
    assert_eq!(r.code(), "insufficient_permission");
    // (No token in the body, OAuth's invalid_request: in `wire`.)
}

#[tokio::test]
async fn sessions_and_multi_workspace_tokens_are_active_where_their_person_belongs() {
    let api = setup().await;
    let owner = api.jwt("usr_owner");
    let r = api
        .as_user("usr_member")
        .send(Call::start_session(&StartSessionRequest::default()))
        .await;
    let session = r
        .expect::<CreatedSession>(StatusCode::CREATED)
        .token
        .expose()
        .to_owned();
    let r = introspect(&api, Some(&owner), Some("ws_a"), &session).await;
    let answer: Introspection = r.ok();
    assert!(answer.active, "{:?}", r.body);
    assert_eq!(answer.kind.as_deref(), Some("session"));
    assert_eq!(answer.sub.as_deref(), Some("usr_member"));
    assert_eq!(answer.role, Some(Role::Member));
    assert!(answer.exp.is_some());
    // Not a member of ws_b: inactive there.
    let r = introspect(&api, Some(&owner), Some("ws_b"), &session).await;
    assert!(inactive(&r.body), "{}", r.body);

    let request = akua_core::multi_tokens::CreateMultiTokenRequest {
        role: Some(TokenRole::Member),
        ..multi_token_named("laptop", &["ws_a"])
    };
    let r = api
        .as_user("usr_owner")
        .send(Call::create_my_token(&request))
        .await;
    let multi = r
        .expect::<CreatedMultiToken>(StatusCode::CREATED)
        .token
        .expose()
        .to_owned();
    let r = introspect(&api, Some(&owner), Some("ws_a"), &multi).await;
    let answer: Introspection = r.ok();
    assert_eq!(
        answer.kind.as_deref(),
        Some("multi_workspace_token"),
        "{:?}",
        r.body
    );
    assert_eq!(answer.sub.as_deref(), Some("usr_owner"));
    assert_eq!(answer.role, Some(Role::Member), "never above its cap");
    let r = introspect(&api, Some(&owner), Some("ws_b"), &multi).await;
    assert!(inactive(&r.body), "it does not cover ws_b: {}", r.body);
    // A JWT is its issuer's to judge.
    let r = introspect(&api, Some(&owner), Some("ws_a"), &owner).await;
    assert!(inactive(&r.body), "{}", r.body);
}

const WORKER: &str = "arn:aws:sts::123456789012:assumed-role/worker/worker";

#[tokio::test]
async fn a_platform_backend_signing_with_aws_introspects_any_workspace() {
    let api = setup().await;
    let (in_a, id_a) = token(&api, "ws_a", &with_role("a", TokenRole::Member)).await;
    let (in_b, _) = token(&api, "ws_b", &with_role("b", TokenRole::Admin)).await;
    let ask = |call: Call| wire::platform_introspect(&api, true, Some(WORKER), call);

    // A token of any workspace, answered in its own.
    let (status, body) = ask(Call::platform_introspect(&in_a)).await;
    assert_eq!(status, 200, "{body}");
    let answer: Introspection = serde_json::from_value(body.clone()).expect("an answer");
    assert!(answer.active);
    assert_eq!(answer.workspace_id.as_deref(), Some("ws_a"));
    assert_eq!(answer.role, Some(Role::Member));
    assert_eq!(answer.jti, Some(id_a));
    let (_, body) = ask(Call::platform_introspect(&in_b)).await;
    assert_eq!(body["workspace_id"], "ws_b");

    // Asked for another workspace: what a manager there would learn.
    let other = Call::platform_introspect(&in_a).field("workspace_id", "ws_b");
    let (status, body) = ask(other).await;
    assert_eq!(status, 200);
    assert!(inactive(&body), "{body}");

    // A session: who it acts for, and no workspace.
    let (session, _) = akua_core::issue::session(
        &api.engine.store,
        akua_core::UserId::parse("usr_member").unwrap(),
        akua_core::clock::now(),
    )
    .await
    .unwrap();
    let (_, body) = ask(Call::platform_introspect(session.expose())).await;
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["kind"], "session");
    assert_eq!(body["sub"], "usr_member");
    assert!(body.get("workspace_id").is_none() && body.get("role").is_none());

    // Unknown and garbage are inactive; a bad workspace id is
    // invalid_request (as is no token at all, in `wire`).
    let unknown = format!("sk_akua_{}", "A".repeat(32));
    let (_, body) = ask(Call::platform_introspect(&unknown)).await;
    assert!(inactive(&body), "{body}");
    let bad = Call::platform_introspect(&in_a).field("workspace_id", "not a workspace");
    let (status, body) = ask(bad).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
}

#[tokio::test]
async fn platform_introspection_is_off_by_default_and_needs_a_verified_principal() {
    let api = setup().await;
    let (secret, _) = token(&api, "ws_a", &token_named("a")).await;
    let call = || Call::platform_introspect(&secret);
    // Disabled (the template's default): a 404, whoever signs.
    let (status, body) = wire::platform_introspect(&api, false, Some(WORKER), call()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    // No principal in the context: not through IAM authorization, refused.
    let (status, body) = wire::platform_introspect(&api, true, None, call()).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    // Through the gateway without a signature: API Gateway's answer, a 404
    // in the API's envelope (MISSING_AUTHENTICATION_TOKEN).
    let r = api.anonymous().send(call()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    assert_eq!(r.code(), "not_found");
}

/// The wire itself: a JSON body instead of the form, a body without its
/// `token`, and the Lambda event API Gateway delivers for an IAM-signed
/// request.
mod wire {
    use super::*;
    use akua_tests::calls::encode;
    use axum::http::Method;
    use serde_json::json;

    #[tokio::test]
    async fn introspection_reads_json_as_well_as_a_form_and_needs_a_token() {
        let api = setup().await;
        let (secret, _) = token(&api, "ws_a", &token_named("ci")).await;
        let (backend, _) = token(
            &api,
            "ws_a",
            &restricted("backend", &["api_tokens:introspect"]),
        )
        .await;
        let r = api
            .call(
                Method::POST,
                "/v1/oauth/introspect",
                Some(&backend),
                None,
                Some(json!({"token": secret, "token_type_hint": "access_token"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.body["active"], true);
        // No token in the body: OAuth's invalid_request.
        let r = api
            .call(
                Method::POST,
                "/v1/oauth/introspect",
                Some(&backend),
                None,
                Some(json!({"token_type_hint": "access_token"})),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert_eq!(r.body["error"], "invalid_request");
    }

    #[tokio::test]
    async fn platform_introspection_without_a_token_is_invalid_request() {
        let api = setup().await;
        let mut call = Call::platform_introspect("");
        call.body = Body::Form(vec![("token_type_hint".to_owned(), "x".to_owned())]);
        let (status, _) = platform_introspect(&api, true, Some(WORKER), call).await;
        assert_eq!(status, 400);
    }

    /// `call` (a form to the platform introspection route) as API Gateway
    /// delivers it after verifying an AWS signature (`AWS_IAM`): a REST
    /// proxy event shaped like AWS's sample, the caller's ARN in
    /// `requestContext.identity`, no authorizer. `user_arn: None` is a
    /// request that did not come through IAM authorization.
    pub(super) async fn platform_introspect(
        api: &Api,
        enabled: bool,
        user_arn: Option<&str>,
        call: Call,
    ) -> (u16, Value) {
        let form = match &call.body {
            Body::Form(fields) => fields
                .iter()
                .map(|(k, v)| format!("{k}={}", encode(v)))
                .collect::<Vec<_>>()
                .join("&"),
            other => panic!("not a form: {other:?}"),
        };
        let resource = call.op.route().path;
        let path = call.path.as_str();
        let method = call.method.as_str();
        let event = json!({
            "resource": resource,
            "path": path,
            "httpMethod": method,
            "headers": {"Content-Type": "application/x-www-form-urlencoded", "Host": "abc123.execute-api.us-east-1.amazonaws.com"},
            "multiValueHeaders": {"Content-Type": ["application/x-www-form-urlencoded"], "Host": ["abc123.execute-api.us-east-1.amazonaws.com"]},
            "queryStringParameters": null,
            "multiValueQueryStringParameters": null,
            "pathParameters": null,
            "stageVariables": null,
            "requestContext": {
                "resourceId": "2gxmpl",
                "resourcePath": resource,
                "httpMethod": method,
                "extendedRequestId": "JJbxmplHYosFVYQ=",
                "requestTime": "10/Mar/2020:00:03:59 +0000",
                "path": format!("/prod{path}"),
                "accountId": "123456789012",
                "protocol": "HTTP/1.1",
                "stage": "prod",
                "domainPrefix": "abc123",
                "requestTimeEpoch": 1583798639428u64,
                "requestId": "77375676-xmpl-4b79-853a-f982474efe18",
                "identity": {
                    "cognitoIdentityPoolId": null,
                    "accountId": user_arn.map(|_| "123456789012"),
                    "cognitoIdentityId": null,
                    "caller": user_arn.map(|_| "AROAXMPL:worker"),
                    "sourceIp": "10.0.0.7",
                    "principalOrgId": null,
                    "accessKey": user_arn.map(|_| "ASIAXMPLEXAMPLE"),
                    "cognitoAuthenticationType": null,
                    "cognitoAuthenticationProvider": null,
                    "userArn": user_arn,
                    "userAgent": "aws-sdk-rust",
                    "user": user_arn.map(|_| "AROAXMPL:worker")
                },
                "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
                "apiId": "abc123"
            },
            "body": form,
            "isBase64Encoded": false
        });
        let event: aws_lambda_events::apigw::ApiGatewayProxyRequest =
            serde_json::from_value(event).expect("a REST proxy event");
        let request: lambda_http::Request =
            lambda_http::request::LambdaRequest::ApiGatewayV1(event).into();
        let router = akua_sessions::router(akua_sessions::AppState {
            store: api.engine.store.clone(),
            device: akua_core::device::DeviceConfig {
                verification_uri: "https://example.com/device".into(),
                client_ids: vec!["cnap".into()],
            },
            sessions: Default::default(),
            sudo: Default::default(),
            id_tokens: None,
            platform_introspection: enabled,
        });
        let response = akua_http::dispatch(router, request).await;
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("a body");
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }
}
