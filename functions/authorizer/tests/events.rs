//! The authorizer's event and response contract with API Gateway: events
//! deserialised from fixtures shaped like AWS's documented samples, exact
//! response JSON checked, against the real engine.

use akua_authorizer::{AuthorizerError, handle};
use akua_core::allow_list::AllowList;
use akua_core::issue::{self, NewApiToken};
use akua_core::permission::Permissions;
use akua_core::ports::WorkspaceStore as _;
use akua_core::records::Membership;
use akua_core::restrictions::Restrictions;
use akua_core::{
    ApiToken, Authorizer, Role, SessionToken, TokenName, TokenRole, UserId, WorkspaceId,
};
use akua_store::{DynamoStore, endpoint_config};
use akua_testkit::Engine;
use serde_json::{Value, json};

const NOW: i64 = 1_800_000_000;
const METHOD_ARN: &str =
    "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/v1/api_tokens";

fn rest_event(headers: &[(&str, &str)]) -> Value {
    let mut event: Value =
        serde_json::from_str(include_str!("fixtures/rest-request-authorizer.json")).unwrap();
    for (name, value) in headers {
        event["headers"][*name] = json!(value);
        event["multiValueHeaders"][*name] = json!([value]);
    }
    event
}

fn v2_event(headers: &[(&str, &str)]) -> Value {
    let mut event: Value =
        serde_json::from_str(include_str!("fixtures/http-api-v2-authorizer.json")).unwrap();
    for (name, value) in headers {
        event["headers"][name.to_ascii_lowercase()] = json!(value);
    }
    event
}

async fn token(engine: &Engine, role: TokenRole) -> (ApiToken, String) {
    let new = NewApiToken {
        restrictions: Default::default(),
        workspace_id: WorkspaceId::parse("ws_acme").unwrap(),
        name: TokenName::parse("deploy").unwrap(),
        role,
        created_by: None,
        expires_at: None,
    };
    let (token, record) = issue::api_token(&engine.store, new, None, NOW)
        .await
        .unwrap();
    (token, record.id.to_string())
}

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

#[tokio::test]
async fn rest_allow_is_an_iam_allow_with_the_principal_context() {
    let engine = Engine::start().await;
    let (token, id) = token(&engine, TokenRole::Member).await;
    let auth = Authorizer::new(engine.store.clone(), None);
    let out = handle(
        &auth,
        rest_event(&[("Authorization", &bearer(token.expose()))]),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({
            "principalId": id,
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Action": ["execute-api:Invoke"],
                    "Effect": "Allow",
                    "Resource": [METHOD_ARN]
                }]
            },
            "context": {
                "principal_id": id,
                "credential": "api_token",
                "token_id": id,
                "workspace_id": "ws_acme",
                "role": "member"
            },
            "usageIdentifierKey": null
        })
    );
    // The handlers read the same keys back.
    let ctx: std::collections::HashMap<String, Value> =
        serde_json::from_value(out["context"].clone()).unwrap();
    let principal = akua_authorizer::principal_from_context(&ctx).unwrap();
    assert_eq!(principal.credential_id(), Some(id.as_str()));
    assert_eq!(principal.scope().map(|s| s.role), Some(Role::Member));
}

#[tokio::test]
async fn rest_unauthorized_is_the_error_api_gateway_turns_into_401() {
    let engine = Engine::start().await;
    let auth = Authorizer::new(engine.store.clone(), None);
    for headers in [
        vec![],
        vec![("Authorization", "Bearer nope".to_owned())],
        vec![("authorization", bearer(SessionToken::generate().expose()))],
        vec![("Authorization", "Basic YTpi".to_owned())],
    ] {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let err = handle(&auth, rest_event(&h), NOW).await.unwrap_err();
        assert_eq!(err, AuthorizerError::Unauthorized);
        let diagnostic = lambda_runtime::Diagnostic::from(err);
        assert_eq!(
            diagnostic.error_message, "Unauthorized",
            "API Gateway matches this exact string"
        );
    }
}

#[tokio::test]
async fn rest_forbidden_is_an_explicit_deny() {
    let engine = Engine::start().await;
    let (token, _) = token(&engine, TokenRole::Admin).await;
    let auth = Authorizer::new(engine.store.clone(), None);
    let event = rest_event(&[
        ("Authorization", &bearer(token.expose())),
        ("Akua-Context", "ws_other"),
    ]);
    let out = handle(&auth, event, NOW).await.unwrap();
    assert_eq!(
        out,
        json!({
            "principalId": "forbidden",
            "policyDocument": {
                "Version": "2012-10-17",
                "Statement": [{
                    "Action": ["execute-api:Invoke"],
                    "Effect": "Deny",
                    "Resource": [METHOD_ARN]
                }]
            },
            "context": {
                "code": "forbidden",
                "message": "an API token acts only on its own workspace; Akua-Context names another",
                "reason": "wrong_workspace"
            },
            "usageIdentifierKey": null
        })
    );
}

/// An engine, its authorizer and the `Authorization` header of a token of
/// `ws_acme` that may only list tokens, from `networks`.
async fn reader_from(networks: &[&str]) -> (Engine, Authorizer<DynamoStore>, String) {
    let engine = Engine::start().await;
    let auth = Authorizer::new(engine.store.clone(), None);
    let reader = restricted_token(
        &engine,
        Restrictions {
            permissions: permissions(&["api_tokens:read"]),
            allowed_cidrs: AllowList::parse(networks.iter().copied()).unwrap(),
        },
    )
    .await;
    let header = bearer(reader.expose());
    (engine, auth, header)
}

/// A restricted token of `ws_acme`: made with `restrictions`.
async fn restricted_token(engine: &Engine, restrictions: Restrictions) -> ApiToken {
    let new = NewApiToken {
        restrictions,
        workspace_id: WorkspaceId::parse("ws_acme").unwrap(),
        name: TokenName::parse("ci").unwrap(),
        role: TokenRole::Admin,
        created_by: None,
        expires_at: None,
    };
    issue::api_token(&engine.store, new, None, NOW)
        .await
        .unwrap()
        .0
}

fn permissions(names: &[&str]) -> Option<Permissions> {
    Some(Permissions::parse(names.iter().copied()).unwrap())
}

/// The REST event names the route by `httpMethod` and `resource`, the
/// caller by `requestContext.identity.sourceIp`; the Deny's context is what
/// the gateway's ACCESS_DENIED template reads.
#[tokio::test]
async fn rest_events_give_the_route_and_the_source_address() {
    let (_engine, auth, auth_header) = reader_from(&["198.51.100.0/24"]).await;
    // The fixture: GET /v1/api_tokens from 198.51.100.7.
    let allowed = handle(&auth, rest_event(&[("Authorization", &auth_header)]), NOW)
        .await
        .unwrap();
    assert_eq!(allowed["policyDocument"]["Statement"][0]["Effect"], "Allow");
    assert_eq!(allowed["context"]["permissions"], "api_tokens:read");
    assert_eq!(allowed["context"]["allowed_cidrs"], "198.51.100.0/24");
    let mut post = rest_event(&[("Authorization", &auth_header)]);
    post["httpMethod"] = json!("POST");
    let denied = handle(&auth, post, NOW).await.unwrap();
    assert_eq!(denied["policyDocument"]["Statement"][0]["Effect"], "Deny");
    assert_eq!(denied["context"]["code"], "insufficient_permission");
    assert!(
        denied["context"]["message"]
            .as_str()
            .unwrap()
            .contains("api_tokens:write")
    );
    let body = akua_authorizer::render_access_denied(&denied["context"]);
    let envelope: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(envelope["error"]["code"], "insufficient_permission");
    assert_eq!(envelope["error"]["reason"], "permission_missing");
    let mut elsewhere = rest_event(&[("Authorization", &auth_header)]);
    elsewhere["requestContext"]["identity"]["sourceIp"] = json!("203.0.113.9");
    let denied = handle(&auth, elsewhere, NOW).await.unwrap();
    assert_eq!(denied["context"]["code"], "ip_not_allowed");
    let mut unknown = rest_event(&[("Authorization", &auth_header)]);
    unknown["requestContext"]["identity"]["sourceIp"] = json!(null);
    let denied = handle(&auth, unknown, NOW).await.unwrap();
    assert_eq!(
        denied["context"]["code"], "ip_not_allowed",
        "no address: refused"
    );
}

/// The HTTP API event names the route by `routeKey` and the caller by
/// `requestContext.http.sourceIp`.
#[tokio::test]
async fn http_api_events_give_the_route_and_the_source_address() {
    let (_engine, auth, auth_header) = reader_from(&["198.51.100.7"]).await;
    let allowed = handle(&auth, v2_event(&[("Authorization", &auth_header)]), NOW)
        .await
        .unwrap();
    assert_eq!(allowed["isAuthorized"], true, "{allowed}");
    assert_eq!(allowed["context"]["permissions"], "api_tokens:read");
    let mut post = v2_event(&[("Authorization", &auth_header)]);
    post["routeKey"] = json!("POST /v1/api_tokens");
    post["requestContext"]["http"]["method"] = json!("POST");
    let denied = handle(&auth, post, NOW).await.unwrap();
    assert_eq!(denied["isAuthorized"], false);
    let mut elsewhere = v2_event(&[("Authorization", &auth_header)]);
    elsewhere["requestContext"]["http"]["sourceIp"] = json!("2001:db8::1");
    let denied = handle(&auth, elsewhere, NOW).await.unwrap();
    assert_eq!(denied["isAuthorized"], false);
    // A platform route behind a `$default` proxy route is found by path.
    let mut proxy = v2_event(&[("Authorization", &auth_header)]);
    proxy["routeKey"] = json!("$default");
    proxy["rawPath"] = json!("/v1/deployments/d_1");
    let denied = handle(&auth, proxy, NOW).await.unwrap();
    assert_eq!(denied["isAuthorized"], false, "needs deployments:read");
}

#[tokio::test]
async fn headers_are_matched_case_insensitively_and_repeats_never_allow() {
    let engine = Engine::start().await;
    let (token, _) = token(&engine, TokenRole::Admin).await;
    let auth = Authorizer::new(engine.store.clone(), None);
    let ok = rest_event(&[
        ("AUTHORIZATION", &bearer(token.expose())),
        ("akua-context", "ws_acme"),
    ]);
    assert!(handle(&auth, ok, NOW).await.is_ok());

    // Two Authorization headers: combined per RFC 9110, which is no token.
    let mut twice = rest_event(&[("Authorization", &bearer(token.expose()))]);
    twice["multiValueHeaders"]["Authorization"] =
        json!([bearer(token.expose()), bearer(token.expose())]);
    assert_eq!(
        handle(&auth, twice, NOW).await.unwrap_err(),
        AuthorizerError::Unauthorized
    );
}

#[tokio::test]
async fn http_api_simple_responses() {
    let engine = Engine::start().await;
    let (token, id) = token(&engine, TokenRole::Admin).await;
    let (session, _) = issue::session(&engine.store, UserId::parse("usr_ada").unwrap(), NOW)
        .await
        .unwrap();
    engine
        .store
        .add_member(
            &Membership {
                workspace_id: WorkspaceId::parse("ws_acme").unwrap(),
                user_id: UserId::parse("usr_ada").unwrap(),
                role: Role::Owner,
                joined_at: NOW,
            },
            &[],
        )
        .await
        .unwrap();
    let auth = Authorizer::new(engine.store.clone(), None);

    let out = handle(
        &auth,
        v2_event(&[("Authorization", &bearer(token.expose()))]),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(
        out,
        json!({
            "isAuthorized": true,
            "context": {
                "principal_id": id,
                "credential": "api_token",
                "token_id": id,
                "workspace_id": "ws_acme",
                "role": "admin"
            }
        })
    );
    let out = handle(
        &auth,
        v2_event(&[
            ("Authorization", &bearer(session.expose())),
            ("Akua-Context", "ws_acme"),
        ]),
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(out["isAuthorized"], json!(true));
    assert_eq!(out["context"]["credential"], json!("session"));
    assert_eq!(out["context"]["user_id"], json!("usr_ada"));
    assert_eq!(out["context"]["role"], json!("owner"));
    assert_eq!(
        out["context"]["expires_at"],
        json!((NOW + 365 * 24 * 3600).to_string())
    );

    for headers in [vec![], vec![("Authorization", "Bearer x".to_owned())]] {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let out = handle(&auth, v2_event(&h), NOW).await.unwrap();
        assert_eq!(out, json!({"isAuthorized": false, "context": {}}));
    }
}

#[tokio::test]
async fn a_store_failure_is_an_error_never_an_allow() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = aws_sdk_dynamodb::Client::from_conf(endpoint_config(&endpoint).build());
    let auth = Authorizer::new(DynamoStore::new(client, "t"), None);
    let token = ApiToken::generate();
    for event in [
        rest_event(&[("Authorization", &bearer(token.expose()))]),
        v2_event(&[("Authorization", &bearer(token.expose()))]),
    ] {
        let err = handle(&auth, event, NOW).await.unwrap_err();
        assert_eq!(err, AuthorizerError::Failed);
        assert_ne!(
            lambda_runtime::Diagnostic::from(err).error_message,
            "Unauthorized"
        );
    }
}

#[tokio::test]
async fn malformed_events_are_refused() {
    let engine = Engine::start().await;
    let auth = Authorizer::new(engine.store.clone(), None);
    let mut bad_headers = rest_event(&[]);
    bad_headers["headers"] = json!("not a map");
    for event in [
        json!(null),
        json!({}),
        json!({"type": "TOKEN", "authorizationToken": "x"}),
        json!({"version": "2.0"}),
        bad_headers,
    ] {
        assert_eq!(
            handle(&auth, event, NOW).await.unwrap_err(),
            AuthorizerError::Unauthorized
        );
    }
}
