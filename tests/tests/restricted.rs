//! Restricted tokens over HTTP, through the gateway and the authorizer as
//! deployed (docs/DESIGN.md, "Restricted tokens"): permissions, IP allow
//! lists, the workspace token policy, and the platform's routes.

use akua_core::Role;
use akua_tests::{Api, Reply};
use axum::http::StatusCode;
use serde_json::{Value, json};

const DAY: i64 = 24 * 3600;

/// `usr_owner` owns `ws_a`; `usr_admin` is its admin.
async fn setup() -> Api {
    let api = Api::start().await;
    api.create_workspace("ws_a", "usr_owner").await;
    api.add_member("ws_a", "usr_admin", Role::Admin).await;
    api
}

async fn create(api: &Api, bearer: &str, body: Value) -> Reply {
    api.as_token(bearer)
        .in_ws("ws_a")
        .post("/v1/api_tokens", body)
        .await
}

/// A token of `ws_a` made by its owner with `body`'s restrictions.
async fn token(api: &Api, body: Value) -> (String, Value) {
    let r = create(api, &api.jwt("usr_owner"), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    (r.body["token"].as_str().unwrap().to_owned(), r.body)
}

fn now() -> i64 {
    akua_core::clock::now()
}

#[tokio::test]
async fn a_read_only_token_lists_but_cannot_create_nor_mint_a_writer() {
    let api = setup().await;
    let (reader, made) = token(
        &api,
        json!({"name": "ci", "permissions": ["api_tokens:read"]}),
    )
    .await;
    assert_eq!(made["permissions"], json!(["api_tokens:read"]));
    let r = api.as_token(&reader).get("/v1/api_tokens").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let listed = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == made["id"])
        .unwrap();
    assert_eq!(listed["permissions"], json!(["api_tokens:read"]));
    let r = create(&api, &reader, json!({"name": "more"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "insufficient_permission");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("api_tokens:write")
    );
    let r = create(
        &api,
        &reader,
        json!({"name": "more", "permissions": ["api_tokens:write"]}),
    )
    .await;
    assert_eq!(r.code(), "insufficient_permission");
}

#[tokio::test]
async fn a_token_grants_only_what_it_holds_and_by_default_its_own() {
    let api = setup().await;
    let (maker, _) = token(
        &api,
        json!({"name": "maker", "permissions": ["api_tokens:read", "api_tokens:write"]}),
    )
    .await;
    let r = create(
        &api,
        &maker,
        json!({"name": "wider", "permissions": ["members:write"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "insufficient_permission");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("members:write")
    );
    let r = create(&api, &maker, json!({"name": "inherits"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        r.body["permissions"],
        json!(["api_tokens:read", "api_tokens:write"])
    );
    let r = create(
        &api,
        &maker,
        json!({"name": "narrower", "permissions": ["api_tokens:read"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // An unrestricted token may not be rolled by a restricted one.
    let (_, plain) = token(&api, json!({"name": "plain"})).await;
    let r = api
        .as_token(&maker)
        .post(
            &format!("/v1/api_tokens/{}/roll", plain["id"].as_str().unwrap()),
            json!({"grace_period_secs": 0}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "insufficient_permission");
}

#[tokio::test]
async fn unknown_permissions_and_bad_networks_are_named() {
    let api = setup().await;
    let owner = api.jwt("usr_owner");
    for (body, field, names) in [
        (
            json!({"name": "x", "permissions": ["api_tokens:delete"]}),
            "permissions",
            "api_tokens:delete",
        ),
        (
            json!({"name": "x", "permissions": []}),
            "permissions",
            "1 to 50",
        ),
        (
            json!({"name": "x", "allowed_cidrs": ["10.0.0.0/33"]}),
            "allowed_cidrs",
            "10.0.0.0/33",
        ),
        (
            json!({"name": "x", "allowed_cidrs": ["not-a-network"]}),
            "allowed_cidrs",
            "not-a-network",
        ),
    ] {
        let r = create(&api, &owner, body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert_eq!(r.body["error"]["field"], field);
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(names),
            "{:?}",
            r.body
        );
    }
    let r = api.as_token(&owner).get("/v1/permissions").await;
    assert_eq!(r.status, StatusCode::OK);
    let names: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"api_tokens:read") && names.contains(&"deployments:read"));
}

#[tokio::test]
async fn an_allow_list_refuses_other_addresses() {
    let api = setup().await;
    let (fenced, made) = token(
        &api,
        json!({"name": "vpc", "allowed_cidrs": ["10.0.0.0/8"]}),
    )
    .await;
    assert_eq!(made["allowed_cidrs"], json!(["10.0.0.0/8"]));
    let r = api.as_token(&fenced).get("/v1/api_tokens").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "ip_not_allowed");
    let r = api
        .as_token(&fenced)
        .from_ip("10.20.30.40")
        .get("/v1/api_tokens")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let (local, _) = token(
        &api,
        json!({"name": "local", "allowed_cidrs": ["127.0.0.0/8", "::1/128"]}),
    )
    .await;
    for ip in ["127.0.0.1", "::1", "::ffff:127.0.0.1"] {
        let r = api.as_token(&local).from_ip(ip).get("/v1/api_tokens").await;
        assert_eq!(r.status, StatusCode::OK, "{ip}: {:?}", r.body);
    }
    // A token made by a fenced token is fenced within it.
    let r = api
        .as_token(&fenced)
        .from_ip("10.0.0.1")
        .in_ws("ws_a")
        .post("/v1/api_tokens", json!({"name": "child"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["allowed_cidrs"], json!(["10.0.0.0/8"]));
    let r = api
        .as_token(&fenced)
        .from_ip("10.0.0.1")
        .in_ws("ws_a")
        .post(
            "/v1/api_tokens",
            json!({"name": "escape", "allowed_cidrs": ["0.0.0.0/0"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
}

#[tokio::test]
async fn a_token_policy_bounds_lifetimes_and_marks_older_tokens() {
    let api = setup().await;
    let owner = api.jwt("usr_owner");
    let (old, old_made) = token(&api, json!({"name": "old, never expires"})).await;
    let policy = json!({"token_policy": {"max_lifetime_days": 30, "require_expiry": true, "allowed_cidrs": []}});
    let r = api
        .as_user("usr_admin")
        .patch("/v1/workspaces/ws_a", policy.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "an admin: {:?}", r.body);
    let r = api
        .as_token(&old)
        .patch("/v1/workspaces/ws_a", policy.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a token: {:?}", r.body);
    let r = api
        .as_token(&owner)
        .patch("/v1/workspaces/ws_a", policy)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["token_policy"]["max_lifetime_days"], 30);
    let r = api.as_user("usr_admin").get("/v1/workspaces/ws_a").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["token_policy"]["require_expiry"], true);
    assert_eq!(r.body["role"], "admin");

    let r = create(&api, &owner, json!({"name": "forever"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["error"]["field"], "expires_at");
    let r = create(
        &api,
        &owner,
        json!({"name": "90d", "expires_at": now() + 90 * DAY}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("30 days")
    );
    let r = create(
        &api,
        &owner,
        json!({"name": "7d", "expires_at": now() + 7 * DAY}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    // The older token keeps working and is listed as exceeding the policy.
    let r = api.as_token(&old).get("/v1/api_tokens").await;
    assert_eq!(r.status, StatusCode::OK);
    let exceeds: Vec<(String, bool)> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_owned(),
                t["exceeds_policy"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(
        exceeds.contains(&("old, never expires".to_owned(), true)),
        "{exceeds:?}"
    );
    assert!(exceeds.contains(&("7d".to_owned(), false)), "{exceeds:?}");

    // Rolling it asks for a compliant expiry.
    let roll = format!("/v1/api_tokens/{}/roll", old_made["id"].as_str().unwrap());
    let r = api
        .as_token(&owner)
        .in_ws("ws_a")
        .post(&roll, json!({"grace_period_secs": 0}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let r = api
        .as_token(&owner)
        .in_ws("ws_a")
        .post(
            &roll,
            json!({"grace_period_secs": 0, "expires_at": now() + 14 * DAY}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["expires_at"].as_i64().unwrap() > now());

    // Audited, with the policy.
    let r = api
        .as_token(&owner)
        .get("/v1/workspaces/ws_a/audit_log?action=workspace.token_policy_changed")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let detail = r.body["data"][0]["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("max_lifetime_days=30"), "{detail}");
}

#[tokio::test]
async fn a_policy_allow_list_is_the_default_and_the_bound() {
    let api = setup().await;
    let owner = api.jwt("usr_owner");
    let r = api
        .as_token(&owner)
        .patch(
            "/v1/workspaces/ws_a",
            json!({"token_policy": {"max_lifetime_days": null, "require_expiry": false, "allowed_cidrs": ["10.0.0.0/8"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let (_, made) = token(&api, json!({"name": "defaulted"})).await;
    assert_eq!(made["allowed_cidrs"], json!(["10.0.0.0/8"]));
    let r = create(
        &api,
        &owner,
        json!({"name": "outside", "allowed_cidrs": ["192.168.0.0/16"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["error"]["field"], "allowed_cidrs");
    let r = api
        .as_token(&owner)
        .patch(
            "/v1/workspaces/ws_a",
            json!({"token_policy": {"allowed_cidrs": ["10.0.0.0/99"]}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["error"]["field"], "token_policy.allowed_cidrs");
}

#[tokio::test]
async fn platform_routes_are_enforced_as_deployed_and_see_the_permissions() {
    let api = setup().await;
    let (reader, _) = token(
        &api,
        json!({"name": "deploy-reader", "permissions": ["deployments:read"]}),
    )
    .await;
    let r = api.as_token(&reader).get("/v1/deployments/d_1").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["platform_route"], "GET /v1/deployments/{id}");
    assert_eq!(r.body["authorizer"]["permissions"], "deployments:read");
    assert_eq!(r.body["authorizer"]["workspace_id"], "ws_a");
    let r = api
        .as_token(&reader)
        .get("/v1/deployments/d_1/logs/2026/12")
        .await;
    assert_eq!(r.status, StatusCode::OK, "greedy: {:?}", r.body);
    let r = api.as_token(&reader).delete("/v1/deployments/d_1").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "insufficient_permission");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("deployments:write")
    );
    // The service's own routes need their own permissions.
    let r = api.as_token(&reader).get("/v1/api_tokens").await;
    assert_eq!(r.code(), "insufficient_permission");
    // Who am I needs none; an unrestricted token carries no list.
    let r = api.as_token(&reader).get("/v1/auth/whoami").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let (plain, _) = token(&api, json!({"name": "plain"})).await;
    let r = api.as_token(&plain).delete("/v1/deployments/d_1").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["authorizer"].get("permissions").is_none());
    let r = api.as_token(&plain).get("/v1/clusters").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "not in the route map");
}

#[tokio::test]
async fn a_multi_workspace_token_is_restricted_in_every_workspace() {
    let api = setup().await;
    let r = api
        .as_user("usr_owner")
        .post(
            "/v1/me/api_tokens",
            json!({"name": "laptop", "workspace_ids": ["ws_a"], "permissions": ["api_tokens:read"], "allowed_cidrs": ["127.0.0.0/8"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["permissions"], json!(["api_tokens:read"]));
    let multi = r.body["token"].as_str().unwrap().to_owned();
    let r = api
        .as_token(&multi)
        .in_ws("ws_a")
        .get("/v1/api_tokens")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let listed = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "multi_workspace")
        .unwrap()
        .clone();
    assert_eq!(listed["permissions"], json!(["api_tokens:read"]));
    assert_eq!(listed["allowed_cidrs"], json!(["127.0.0.0/8"]));
    let r = create(&api, &multi, json!({"name": "x"})).await;
    assert_eq!(r.code(), "insufficient_permission");
    let r = api
        .as_token(&multi)
        .from_ip("192.0.2.1")
        .in_ws("ws_a")
        .get("/v1/api_tokens")
        .await;
    assert_eq!(r.code(), "ip_not_allowed");
}
