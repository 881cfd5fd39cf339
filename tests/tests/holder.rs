//! Holder revocation (RFC 7009) over HTTP, through the gateway as
//! deployed: whoever holds a secret ends its credential with no other
//! credential, and the answer never tells whether there was one.

use akua_core::Role;
use akua_tests::{Api, Reply};
use axum::http::StatusCode;
use serde_json::json;

/// `usr_owner` owns `ws_a`.
async fn setup() -> Api {
    let api = Api::start().await;
    api.create_workspace("ws_a", "usr_owner").await;
    api.add_member("ws_b", "usr_owner", Role::Owner).await;
    api
}

async fn revoke(api: &Api, token: &str) -> Reply {
    api.form(
        "/v1/oauth/revoke",
        &[("token", token), ("token_type_hint", "access_token")],
    )
    .await
}

/// The events of `log` (`/v1/workspaces/{id}/audit_log` or
/// `/v1/me/audit_log`) with `action`, as (actor id, actor credential,
/// target id).
async fn events(api: &Api, log: &str, action: &str) -> Vec<(String, String, String)> {
    let r = api
        .as_user("usr_owner")
        .get(&format!("{log}?action={action}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"]["id"].as_str().unwrap().to_owned(),
                e["actor"]["credential"].as_str().unwrap().to_owned(),
                e["target"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_token_posted_by_anyone_is_revoked_and_audited_as_by_its_holder() {
    let api = setup().await;
    let r = api
        .as_user("usr_owner")
        .in_ws("ws_a")
        .post("/v1/api_tokens", json!({"name": "leaked"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let (token, id) = (
        r.body["token"].as_str().unwrap().to_owned(),
        r.body["id"].as_str().unwrap().to_owned(),
    );
    assert_eq!(
        api.as_token(&token).get("/v1/api_tokens").await.status,
        StatusCode::OK
    );
    let r = revoke(&api, &token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = api.as_token(&token).get("/v1/api_tokens").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        events(&api, "/v1/workspaces/ws_a/audit_log", "token.revoked").await,
        [(id.clone(), "holder".to_owned(), id)]
    );
    // Again, and anything that is not a live secret: the same 200.
    for garbage in [
        token.as_str(),
        "sk_akua_notatoken",
        "garbage",
        &"x".repeat(2000),
    ] {
        let r = revoke(&api, garbage).await;
        assert_eq!(r.status, StatusCode::OK, "{garbage:.20}: {:?}", r.body);
        assert_eq!(r.body, serde_json::Value::Null, "an empty answer");
    }
}

#[tokio::test]
async fn a_session_and_a_multi_workspace_token_end_the_same_way() {
    let api = setup().await;
    let r = api
        .as_user("usr_owner")
        .post("/v1/auth/sessions", json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let (session, session_id) = (
        r.body["token"].as_str().unwrap().to_owned(),
        r.body["id"].as_str().unwrap().to_owned(),
    );
    assert_eq!(revoke(&api, &session).await.status, StatusCode::OK);
    assert_eq!(
        api.as_token(&session).get("/v1/auth/whoami").await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        events(&api, "/v1/me/audit_log", "session.revoked").await,
        [(session_id.clone(), "holder".to_owned(), session_id)]
    );

    let r = api
        .as_user("usr_owner")
        .post(
            "/v1/me/api_tokens",
            json!({"name": "laptop", "workspace_ids": ["ws_a", "ws_b"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let (multi, multi_id) = (
        r.body["token"].as_str().unwrap().to_owned(),
        r.body["id"].as_str().unwrap().to_owned(),
    );
    assert_eq!(revoke(&api, &multi).await.status, StatusCode::OK);
    let r = api
        .as_token(&multi)
        .in_ws("ws_a")
        .get("/v1/api_tokens")
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    for ws in ["ws_a", "ws_b"] {
        let log = format!("/v1/workspaces/{ws}/audit_log");
        assert_eq!(
            events(&api, &log, "multi_token.revoked").await,
            [(multi_id.clone(), "holder".to_owned(), multi_id.clone())],
            "{ws}"
        );
    }
    // Nothing of it is listed any more.
    let r = api.as_user("usr_owner").get("/v1/me/api_tokens").await;
    assert!(
        r.body["data"].as_array().unwrap().is_empty(),
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn the_secret_a_roll_replaced_ends_the_whole_token() {
    let api = setup().await;
    let owner = api.as_user("usr_owner").in_ws("ws_a");
    let r = owner.post("/v1/api_tokens", json!({"name": "ci"})).await;
    let (old, id) = (
        r.body["token"].as_str().unwrap().to_owned(),
        r.body["id"].as_str().unwrap().to_owned(),
    );
    let r = owner
        .post(
            &format!("/v1/api_tokens/{id}/roll"),
            json!({"grace_period_secs": 3600}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let new = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(revoke(&api, &old).await.status, StatusCode::OK);
    for secret in [&old, &new] {
        let r = api.as_token(secret).get("/v1/api_tokens").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_jwt_is_its_issuer_s_and_a_request_without_a_token_is_invalid() {
    let api = setup().await;
    let jwt = api.jwt("usr_owner");
    assert_eq!(revoke(&api, &jwt).await.status, StatusCode::OK);
    let r = api.as_token(&jwt).get("/v1/auth/whoami").await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "a JWT expires at its issuer's word"
    );
    let r = api
        .form("/v1/oauth/revoke", &[("token_type_hint", "access_token")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"], "invalid_request");
    // JSON works as well as a form.
    let r = api
        .call(
            axum::http::Method::POST,
            "/v1/oauth/revoke",
            None,
            None,
            Some(json!({"token": "sk_akua_notatoken"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}
