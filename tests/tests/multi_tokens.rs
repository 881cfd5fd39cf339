//! Multi-workspace tokens over HTTP: made by a person for some of their
//! workspaces, used with `Akua-Context`, listed by the workspaces they
//! cover, revoked by their owner or a covered workspace's managers.

use akua_core::Role;
use akua_tests::{Api, Reply};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

/// `usr_ada`: owner of `ws_a`, member of `ws_b`, owner of `ws_c`;
/// `usr_carol` owns `ws_b`; `usr_bob` owns `ws_x`.
async fn setup() -> Api {
    let api = Api::start().await;
    api.add_member("ws_a", "usr_ada", Role::Owner).await;
    api.add_member("ws_b", "usr_ada", Role::Member).await;
    api.add_member("ws_b", "usr_carol", Role::Owner).await;
    api.add_member("ws_c", "usr_ada", Role::Owner).await;
    api.add_member("ws_x", "usr_bob", Role::Owner).await;
    api
}

async fn call(api: &Api, method: Method, path: &str, bearer: &str, ws: Option<&str>) -> Reply {
    api.call(method, path, Some(bearer), ws, None).await
}

async fn create_mine(api: &Api, bearer: &str, body: Value) -> Reply {
    api.call(
        Method::POST,
        "/v1/me/api_tokens",
        Some(bearer),
        None,
        Some(body),
    )
    .await
}

/// A multi-workspace token of `usr_ada` for `ws_a` and `ws_b`: (secret, id).
async fn ada_token(api: &Api) -> (String, String) {
    let r = create_mine(
        api,
        &api.jwt("usr_ada"),
        json!({"name": "laptop", "workspace_ids": ["ws_a", "ws_b"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    (
        r.body["token"].as_str().unwrap().to_owned(),
        r.body["id"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_person_creates_one_for_their_own_workspaces_only() {
    let api = setup().await;
    let jwt = api.jwt("usr_ada");
    let r = create_mine(
        &api,
        &jwt,
        json!({"name": "laptop", "workspace_ids": ["ws_a", "ws_b"], "role": "member"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(r.body["token"].as_str().unwrap().starts_with("sk_akua_"));
    assert_eq!(r.body["role"], "member");
    assert_eq!(r.body["workspace_ids"], json!(["ws_a", "ws_b"]));
    assert_eq!(r.body["expires_at"], Value::Null);

    let list = call(&api, Method::GET, "/v1/me/api_tokens", &jwt, None).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["data"][0]["id"], r.body["id"]);
    assert!(
        !list
            .body
            .to_string()
            .contains(r.body["token"].as_str().unwrap())
    );
    let others = call(
        &api,
        Method::GET,
        "/v1/me/api_tokens",
        &api.jwt("usr_bob"),
        None,
    )
    .await;
    assert_eq!(others.body["data"], json!([]));

    for (body, why) in [
        (
            json!({"name": "x", "workspace_ids": ["ws_a", "ws_x"]}),
            "not a member",
        ),
        (
            json!({"name": "x", "workspace_ids": ["ws_a", "ws_nope"]}),
            "no such workspace",
        ),
        (json!({"name": "x", "workspace_ids": []}), "empty"),
        (
            json!({"name": "x", "workspace_ids": ["ws_a", "ws_a"]}),
            "repeated",
        ),
        (json!({"name": "x", "workspace_ids": ["nope"]}), "malformed"),
        (
            json!({"name": "x", "workspace_ids": (0..21).map(|i| format!("ws_{i}")).collect::<Vec<_>>()}),
            "21",
        ),
        (
            json!({"name": "x", "workspace_ids": ["ws_a"], "role": "owner"}),
            "owner cap",
        ),
        (
            json!({"name": "x", "workspace_ids": ["ws_a"], "expires_at": 1}),
            "past",
        ),
    ] {
        let r = create_mine(&api, &jwt, body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{why}: {:?}",
            r.body
        );
    }
    let r = create_mine(&api, &jwt, json!({"name": "x", "workspace_ids": ["ws_x"]})).await;
    assert_eq!(r.body["error"]["field"], "workspace_ids");
    assert!(
        !r.body.to_string().contains("ws_x"),
        "the value is not echoed"
    );

    // API tokens of either kind cannot make or see a person's tokens.
    let (multi, _) = ada_token(&api).await;
    for bearer in [multi.as_str()] {
        let r = create_mine(
            &api,
            bearer,
            json!({"name": "x", "workspace_ids": ["ws_a"]}),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
        let r = call(&api, Method::GET, "/v1/me/api_tokens", bearer, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn it_needs_akua_context_and_acts_within_its_list_and_cap() {
    let api = setup().await;
    let (token, id) = ada_token(&api).await;

    // A broad credential: no workspace without Akua-Context.
    let r = call(&api, Method::GET, "/v1/api_tokens", &token, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Akua-Context")
    );
    let r = call(
        &api,
        Method::GET,
        "/v1/workspaces/ws_a/members",
        &token,
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    // Not listed (ws_c, though ada owns it), or not ada's (ws_x): 403.
    for ws in ["ws_c", "ws_x"] {
        let r = call(&api, Method::GET, "/v1/api_tokens", &token, Some(ws)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{ws}");
    }

    // In ws_a it is ada capped at admin; in ws_b ada is only a member.
    let who = call(&api, Method::GET, "/v1/auth/whoami", &token, Some("ws_a")).await;
    assert_eq!(who.body["credential"], "multi_workspace_token");
    assert_eq!(who.body["role"], "admin");
    assert_eq!(who.body["user_id"], "usr_ada");
    assert_eq!(who.body["token_id"], id.as_str());
    let who = call(&api, Method::GET, "/v1/auth/whoami", &token, Some("ws_b")).await;
    assert_eq!(who.body["role"], "member");
    let r = call(
        &api,
        Method::GET,
        "/v1/workspaces/ws_b/members",
        &token,
        Some("ws_b"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = api
        .call(
            Method::POST,
            "/v1/api_tokens",
            Some(&token),
            Some("ws_b"),
            Some(json!({"name": "ci"})),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a member cannot create tokens"
    );

    // Managers of a covered workspace see it, with its owner.
    let r = call(
        &api,
        Method::GET,
        "/v1/api_tokens",
        &api.jwt("usr_carol"),
        Some("ws_b"),
    )
    .await;
    let row = &r.body["data"][0];
    assert_eq!(row["id"], id.as_str());
    assert_eq!(row["kind"], "multi_workspace");
    assert_eq!(row["created_by"], json!({"type": "user", "id": "usr_ada"}));
    assert_eq!(row["workspace_id"], "ws_b");

    // What it makes in ws_a is made by the token, never outranking it.
    let r = api
        .call(
            Method::POST,
            "/v1/api_tokens",
            Some(&token),
            Some("ws_a"),
            Some(json!({"name": "ci"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let list = call(&api, Method::GET, "/v1/api_tokens", &token, Some("ws_a")).await;
    let made = list.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == r.body["id"])
        .unwrap()
        .clone();
    assert_eq!(made["kind"], "workspace");
    assert_eq!(made["created_by"], json!({"type": "api_token", "id": id}));

    // Never membership or workspaces, never device approvals or sessions.
    let r = api
        .call(
            Method::POST,
            "/v1/workspaces/ws_a/members",
            Some(&token),
            Some("ws_a"),
            Some(json!({"user_id": "usr_attacker", "role": "admin"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = api
        .call(
            Method::POST,
            "/v1/workspaces",
            Some(&token),
            None,
            Some(json!({"name": "mine"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = call(&api, Method::GET, "/v1/auth/sessions", &token, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_owner_leaving_a_workspace_cuts_it_off_there_on_the_next_request() {
    let api = setup().await;
    let (token, _) = ada_token(&api).await;
    let r = call(&api, Method::GET, "/v1/api_tokens", &token, Some("ws_b")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = call(
        &api,
        Method::DELETE,
        "/v1/workspaces/ws_b/members/usr_ada",
        &api.jwt("usr_carol"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = call(&api, Method::GET, "/v1/api_tokens", &token, Some("ws_b")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = call(&api, Method::GET, "/v1/api_tokens", &token, Some("ws_a")).await;
    assert_eq!(r.status, StatusCode::OK, "still works where ada still is");
}

#[tokio::test]
async fn its_owner_or_a_covered_workspace_manager_revokes_it_everywhere() {
    let api = setup().await;
    let (token, id) = ada_token(&api).await;
    let path = format!("/v1/me/api_tokens/{id}");

    // Another person, or a workspace it does not cover: 404, still working.
    let r = call(&api, Method::DELETE, &path, &api.jwt("usr_bob"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = call(
        &api,
        Method::DELETE,
        &format!("/v1/api_tokens/{id}"),
        &api.jwt("usr_bob"),
        Some("ws_x"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = call(&api, Method::GET, "/v1/api_tokens", &token, Some("ws_a")).await;
    assert_eq!(r.status, StatusCode::OK);

    // ws_b's owner revokes it: it fails everywhere, and leaves every list.
    let r = call(
        &api,
        Method::DELETE,
        &format!("/v1/api_tokens/{id}"),
        &api.jwt("usr_carol"),
        Some("ws_b"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    for ws in ["ws_a", "ws_b"] {
        let r = call(&api, Method::GET, "/v1/api_tokens", &token, Some(ws)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = call(
            &api,
            Method::GET,
            "/v1/api_tokens",
            &api.jwt("usr_ada"),
            Some(ws),
        )
        .await;
        assert!(!r.body.to_string().contains(&id), "{ws} still lists it");
    }
    let r = call(
        &api,
        Method::GET,
        "/v1/me/api_tokens",
        &api.jwt("usr_ada"),
        None,
    )
    .await;
    assert_eq!(r.body["data"], json!([]));

    // Its owner revokes another one from /v1/me.
    let (token, id) = ada_token(&api).await;
    let r = call(
        &api,
        Method::DELETE,
        &format!("/v1/me/api_tokens/{id}"),
        &api.jwt("usr_ada"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = call(&api, Method::GET, "/v1/auth/whoami", &token, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
