//! Token introspection (RFC 7662) over HTTP, through the gateway and the
//! authorizer: a manager of a workspace asks about credentials there, and
//! learns nothing about anything else.

use akua_core::Role;
use akua_tests::{Api, Reply};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// `usr_owner` owns `ws_a` (where `usr_member` is a member) and `ws_b`.
async fn setup() -> Api {
    let api = Api::start().await;
    api.create_workspace("ws_a", "usr_owner").await;
    api.add_member("ws_a", "usr_member", Role::Member).await;
    api.add_member("ws_b", "usr_owner", Role::Owner).await;
    api
}

async fn introspect(api: &Api, bearer: Option<&str>, ws: Option<&str>, token: &str) -> Reply {
    api.call(
        Method::POST,
        "/v1/oauth/introspect",
        bearer,
        ws,
        Some(json!({"token": token, "token_type_hint": "access_token"})),
    )
    .await
}

/// A token of `ws` made by its owner with `body`: (secret, id).
async fn token(api: &Api, ws: &str, body: Value) -> (String, String) {
    let r = api
        .as_user("usr_owner")
        .in_ws(ws)
        .post("/v1/api_tokens", body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    (
        r.body["token"].as_str().unwrap().to_owned(),
        r.body["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn an_owner_learns_about_a_live_token_of_their_workspace_only() {
    let api = setup().await;
    let owner = api.jwt("usr_owner");
    let (secret, id) = token(
        &api,
        "ws_a",
        json!({"name": "ci", "role": "member", "permissions": ["api_tokens:read"]}),
    )
    .await;
    let r = introspect(&api, Some(&owner), Some("ws_a"), &secret).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["active"], true);
    assert_eq!(r.body["token_type"], "Bearer");
    assert_eq!(r.body["kind"], "api_token");
    assert_eq!(r.body["workspace_id"], "ws_a");
    assert_eq!(r.body["role"], "member");
    assert_eq!(r.body["jti"], id.as_str());
    assert_eq!(r.body["scope"], "api_tokens:read");
    assert!(r.body["iat"].as_i64().is_some());
    assert!(r.body.get("exp").is_none(), "it never expires");
    assert!(!r.body.to_string().contains(&secret), "never the secret");
    assert_eq!(
        r.headers.get("cache-control").map(|v| v.to_str().unwrap()),
        Some("no-store")
    );

    // Another workspace's token, an unknown one, garbage: exactly inactive.
    let (elsewhere, _) = token(&api, "ws_b", json!({"name": "other"})).await;
    for other in [elsewhere.as_str(), "sk_akua_notatoken", "garbage"] {
        let r = introspect(&api, Some(&owner), Some("ws_a"), other).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.body, json!({"active": false}), "{other:.12}");
    }
    // Revoked: inactive.
    let r = api
        .as_user("usr_owner")
        .in_ws("ws_a")
        .delete(&format!("/v1/api_tokens/{id}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = introspect(&api, Some(&owner), Some("ws_a"), &secret).await;
    assert_eq!(r.body, json!({"active": false}));
}

#[tokio::test]
async fn callers_are_managers_authenticated_as_themselves() {
    let api = setup().await;
    let (secret, _) = token(&api, "ws_a", json!({"name": "ci"})).await;
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
        json!({"name": "backend", "permissions": ["api_tokens:introspect"]}),
    )
    .await;
    let r = introspect(&api, Some(&backend), None, &secret).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["active"], true);
    let (reader, _) = token(
        &api,
        "ws_a",
        json!({"name": "reader", "permissions": ["api_tokens:read"]}),
    )
    .await;
    let r = introspect(&api, Some(&reader), None, &secret).await;
    assert_eq!(r.code(), "insufficient_permission");
    // No token in the form: OAuth's invalid_request.
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
async fn sessions_and_multi_workspace_tokens_are_active_where_their_person_belongs() {
    let api = setup().await;
    let owner = api.jwt("usr_owner");
    let r = api
        .as_user("usr_member")
        .post("/v1/auth/sessions", json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let session = r.body["token"].as_str().unwrap().to_owned();
    let r = introspect(&api, Some(&owner), Some("ws_a"), &session).await;
    assert_eq!(r.body["active"], true, "{:?}", r.body);
    assert_eq!(r.body["kind"], "session");
    assert_eq!(r.body["sub"], "usr_member");
    assert_eq!(r.body["role"], "member");
    assert!(r.body["exp"].as_i64().is_some());
    // Not a member of ws_b: inactive there.
    let r = introspect(&api, Some(&owner), Some("ws_b"), &session).await;
    assert_eq!(r.body, json!({"active": false}));

    let r = api
        .as_user("usr_owner")
        .post(
            "/v1/me/api_tokens",
            json!({"name": "laptop", "workspace_ids": ["ws_a"], "role": "member"}),
        )
        .await;
    let multi = r.body["token"].as_str().unwrap().to_owned();
    let r = introspect(&api, Some(&owner), Some("ws_a"), &multi).await;
    assert_eq!(r.body["kind"], "multi_workspace_token", "{:?}", r.body);
    assert_eq!(r.body["sub"], "usr_owner");
    assert_eq!(r.body["role"], "member", "never above its cap");
    let r = introspect(&api, Some(&owner), Some("ws_b"), &multi).await;
    assert_eq!(r.body, json!({"active": false}), "it does not cover ws_b");
    // A JWT is its issuer's to judge.
    let r = introspect(&api, Some(&owner), Some("ws_a"), &owner).await;
    assert_eq!(r.body, json!({"active": false}));
}

/// `POST /v1/platform/introspect` as API Gateway delivers it after
/// verifying an AWS signature (`AWS_IAM`): a REST proxy event shaped like
/// AWS's sample, the caller's ARN in `requestContext.identity`, no
/// authorizer. `user_arn: None` is a request that did not come through
/// IAM authorization.
async fn platform_introspect(
    api: &Api,
    enabled: bool,
    user_arn: Option<&str>,
    form: &str,
) -> (u16, Value) {
    let event = json!({
        "resource": "/v1/platform/introspect",
        "path": "/v1/platform/introspect",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/x-www-form-urlencoded", "Host": "abc123.execute-api.us-east-1.amazonaws.com"},
        "multiValueHeaders": {"Content-Type": ["application/x-www-form-urlencoded"], "Host": ["abc123.execute-api.us-east-1.amazonaws.com"]},
        "queryStringParameters": null,
        "multiValueQueryStringParameters": null,
        "pathParameters": null,
        "stageVariables": null,
        "requestContext": {
            "resourceId": "2gxmpl",
            "resourcePath": "/v1/platform/introspect",
            "httpMethod": "POST",
            "extendedRequestId": "JJbxmplHYosFVYQ=",
            "requestTime": "10/Mar/2020:00:03:59 +0000",
            "path": "/prod/v1/platform/introspect",
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

const WORKER: &str = "arn:aws:sts::123456789012:assumed-role/worker/worker";

#[tokio::test]
async fn a_platform_backend_signing_with_aws_introspects_any_workspace() {
    let api = setup().await;
    let (in_a, id_a) = token(&api, "ws_a", json!({"name": "a", "role": "member"})).await;
    let (in_b, _) = token(&api, "ws_b", json!({"name": "b", "role": "admin"})).await;
    let form = |secret: &str| format!("token={secret}&token_type_hint=access_token");

    // A token of any workspace, answered in its own.
    let (status, body) = platform_introspect(&api, true, Some(WORKER), &form(&in_a)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["active"], true);
    assert_eq!(body["workspace_id"], "ws_a");
    assert_eq!(body["role"], "member");
    assert_eq!(body["jti"], id_a.as_str());
    let (_, body) = platform_introspect(&api, true, Some(WORKER), &form(&in_b)).await;
    assert_eq!(body["workspace_id"], "ws_b");

    // Asked for another workspace: what a manager there would learn.
    let other = format!("{}&workspace_id=ws_b", form(&in_a));
    let (status, body) = platform_introspect(&api, true, Some(WORKER), &other).await;
    assert_eq!((status, body), (200, json!({"active": false})));

    // A session: who it acts for, and no workspace.
    let (session, _) = akua_core::issue::session(
        &api.engine.store,
        akua_core::UserId::parse("usr_member").unwrap(),
        akua_core::clock::now(),
    )
    .await
    .unwrap();
    let (_, body) = platform_introspect(&api, true, Some(WORKER), &form(session.expose())).await;
    assert_eq!(body["active"], true, "{body}");
    assert_eq!(body["kind"], "session");
    assert_eq!(body["sub"], "usr_member");
    assert!(body.get("workspace_id").is_none() && body.get("role").is_none());

    // Unknown and garbage are inactive; a bad workspace id or no token is
    // invalid_request.
    let unknown = format!("sk_akua_{}", "A".repeat(32));
    let (_, body) = platform_introspect(&api, true, Some(WORKER), &form(&unknown)).await;
    assert_eq!(body, json!({"active": false}));
    let bad = format!("{}&workspace_id=not%20a%20workspace", form(&in_a));
    let (status, body) = platform_introspect(&api, true, Some(WORKER), &bad).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_request"))
    );
    let (status, _) = platform_introspect(&api, true, Some(WORKER), "token_type_hint=x").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn platform_introspection_is_off_by_default_and_needs_a_verified_principal() {
    let api = setup().await;
    let (secret, _) = token(&api, "ws_a", json!({"name": "a"})).await;
    let form = format!("token={secret}");
    // Disabled (the template's default): a 404, whoever signs.
    let (status, body) = platform_introspect(&api, false, Some(WORKER), &form).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    // No principal in the context: not through IAM authorization, refused.
    let (status, body) = platform_introspect(&api, true, None, &form).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );
    // Through the gateway without a signature: API Gateway's answer, a 404
    // in the API's envelope (MISSING_AUTHENTICATION_TOKEN).
    let r = api
        .form("/v1/platform/introspect", &[("token", &secret)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    assert_eq!(r.body["error"]["code"], "not_found");
}
