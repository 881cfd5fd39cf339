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
