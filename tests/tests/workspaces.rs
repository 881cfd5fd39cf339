//! Workspaces and members over HTTP, through the local gateway.

use akua_core::{UserId, issue};
use akua_tests::Api;
use axum::http::StatusCode;
use serde_json::{Value, json};

async fn new_workspace(api: &Api, owner: &str, name: &str) -> String {
    let caller = api.as_user(owner);
    let r = caller.post("/v1/workspaces", json!({"name": name})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn add(api: &Api, as_user: &str, ws: &str, user: &str, role: &str) -> StatusCode {
    let caller = api.as_user(as_user);
    let path = format!("/v1/workspaces/{ws}/members");
    caller
        .post(&path, json!({"user_id": user, "role": role}))
        .await
        .status
}

#[tokio::test]
async fn a_user_creates_a_workspace_and_owns_it() {
    let api = Api::start().await;
    let ada = api.as_user("usr_ada");
    let r = ada.post("/v1/workspaces", json!({"name": "Acme"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert!(r.body["id"].as_str().unwrap().starts_with("ws_"));
    assert_eq!(
        (r.body["name"].clone(), r.body["role"].clone()),
        (json!("Acme"), json!("owner"))
    );
    assert!(r.body["created_at"].is_i64());

    let list = ada.get("/v1/workspaces").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["data"], json!([r.body]));
    assert_eq!(
        (
            list.body["has_more"].clone(),
            list.body["next_cursor"].clone()
        ),
        (json!(false), Value::Null)
    );

    for bad in [
        json!({}),
        json!({"name": ""}),
        json!({"name": " "}),
        json!({"name": "x".repeat(101)}),
        json!({"name": "a", "x": 1}),
    ] {
        let r = ada.post("/v1/workspaces", bad.clone()).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_error"),
            "{bad}"
        );
    }
}

#[tokio::test]
async fn a_session_user_can_create_workspaces_but_an_api_token_cannot() {
    let api = Api::start().await;
    let (session, _) = issue::session(
        &api.engine.store,
        UserId::parse("usr_ada").unwrap(),
        akua_core::clock::now(),
    )
    .await
    .unwrap();
    let r = api
        .as_token(session.expose())
        .post("/v1/workspaces", json!({"name": "S"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let ws = r.body["id"].as_str().unwrap().to_owned();
    let r = api
        .as_token(session.expose())
        .in_ws(&ws)
        .post("/v1/api_tokens", json!({"name": "t"}))
        .await;
    let token = r.body["token"].as_str().unwrap().to_owned();
    let r = api
        .as_token(&token)
        .post("/v1/workspaces", json!({"name": "T"}))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "forbidden"));
    // A workspace token lists only its own workspace.
    let r = api.as_token(&token).get("/v1/workspaces").await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["data"][0]["id"], ws.as_str());
    assert_eq!(r.body["data"][0]["role"], "admin");
}

#[tokio::test]
async fn listing_is_scoped_and_paginated() {
    let api = Api::start().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(new_workspace(&api, "usr_ada", &format!("w{i}")).await);
    }
    new_workspace(&api, "usr_bob", "bobs").await;
    let ada = api.as_user("usr_ada");
    let mut seen = Vec::new();
    let mut path = "/v1/workspaces?limit=2".to_owned();
    loop {
        let r = ada.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        for w in r.body["data"].as_array().unwrap() {
            seen.push(w["id"].as_str().unwrap().to_owned());
            assert_eq!(w["role"], "owner");
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/workspaces?limit=2&cursor={c}"),
            None => break,
        }
    }
    seen.sort();
    ids.sort();
    assert_eq!(
        seen, ids,
        "every workspace of the caller, once, and no one else's"
    );

    // With Akua-Context: only that workspace.
    let r = ada.in_ws(&ids[0]).get("/v1/workspaces").await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["data"][0]["id"], ids[0].as_str());
    // A cursor for another user is refused.
    let bob = api.as_user("usr_bob");
    let r = ada.get("/v1/workspaces?limit=1").await;
    let c = r.body["next_cursor"].as_str().unwrap();
    let r = bob.get(&format!("/v1/workspaces?cursor={c}")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn members_are_managed_by_role() {
    let api = Api::start().await;
    let ws = new_workspace(&api, "usr_owner", "Acme").await;
    assert_eq!(
        add(&api, "usr_owner", &ws, "usr_admin", "admin").await,
        StatusCode::CREATED
    );
    assert_eq!(
        add(&api, "usr_admin", &ws, "usr_member", "member").await,
        StatusCode::CREATED
    );
    // Existing member → 409; owner never assigned → 422; member cannot add → 403.
    assert_eq!(
        add(&api, "usr_owner", &ws, "usr_member", "admin").await,
        StatusCode::CONFLICT
    );
    assert_eq!(
        add(&api, "usr_owner", &ws, "usr_x", "owner").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        add(&api, "usr_member", &ws, "usr_y", "member").await,
        StatusCode::FORBIDDEN
    );
    // Not a member at all → 404, as for a workspace that does not exist.
    assert_eq!(
        add(&api, "usr_stranger", &ws, "usr_y", "member").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        add(&api, "usr_owner", "ws_doesnotexist", "usr_y", "member").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        add(&api, "usr_owner", "not-a-ws", "usr_y", "member").await,
        StatusCode::NOT_FOUND
    );

    let member = api.as_user("usr_member");
    let r = member.get(&format!("/v1/workspaces/{ws}/members")).await;
    assert_eq!(r.status, StatusCode::OK);
    let got: Vec<(String, String)> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user_id"].as_str().unwrap().to_owned(),
                m["role"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("usr_admin".into(), "admin".into()),
            ("usr_member".into(), "member".into()),
            ("usr_owner".into(), "owner".into())
        ]
    );
    assert!(r.body["data"][0]["joined_at"].is_i64());

    // Only the owner changes roles.
    let path = format!("/v1/workspaces/{ws}/members/usr_member");
    let admin = api.as_user("usr_admin");
    let r = admin.patch(&path, json!({"role": "admin"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let owner = api.as_user("usr_owner");
    let r = owner.patch(&path, json!({"role": "admin"})).await;
    assert_eq!(
        (r.status, r.body["role"].clone()),
        (StatusCode::OK, json!("admin"))
    );
    let r = owner.patch(&path, json!({"role": "owner"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = owner
        .patch(
            &format!("/v1/workspaces/{ws}/members/usr_nobody"),
            json!({"role": "member"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_last_owner_cannot_be_removed_or_demoted() {
    let api = Api::start().await;
    let ws = new_workspace(&api, "usr_owner", "Acme").await;
    add(&api, "usr_owner", &ws, "usr_admin", "admin").await;
    let owner = api.as_user("usr_owner");
    let admin = api.as_user("usr_admin");
    let path = format!("/v1/workspaces/{ws}/members/usr_owner");
    let r = owner.patch(&path, json!({"role": "admin"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "conflict"));
    let r = owner.delete(&path).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "conflict"));
    // An admin may not remove an owner at all.
    let r = admin.delete(&path).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn role_changes_and_removals_take_effect_on_the_next_request() {
    let api = Api::start().await;
    let ws = new_workspace(&api, "usr_owner", "Acme").await;
    add(&api, "usr_owner", &ws, "usr_admin", "admin").await;
    add(&api, "usr_owner", &ws, "usr_leaver", "member").await;
    let owner = api.as_user("usr_owner");
    let admin = api.as_user("usr_admin");
    let create = || {
        admin
            .in_ws(&ws)
            .post("/v1/api_tokens", json!({"name": "t"}))
    };
    assert_eq!(create().await.status, StatusCode::CREATED);

    // Demoted admin can no longer create tokens.
    let r = owner
        .patch(
            &format!("/v1/workspaces/{ws}/members/usr_admin"),
            json!({"role": "member"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(create().await.status, StatusCode::FORBIDDEN);

    // Removed member gets 403 with that workspace.
    let leaver = api.as_user("usr_leaver");
    assert_eq!(
        leaver.in_ws(&ws).get("/v1/api_tokens").await.status,
        StatusCode::OK
    );
    let r = leaver
        .delete(&format!("/v1/workspaces/{ws}/members/usr_leaver"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "a member may leave");
    assert_eq!(
        leaver.in_ws(&ws).get("/v1/api_tokens").await.status,
        StatusCode::FORBIDDEN
    );
    let r = leaver.get(&format!("/v1/workspaces/{ws}/members")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = owner
        .delete(&format!("/v1/workspaces/{ws}/members/usr_leaver"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_path_and_akua_context_must_agree() {
    let api = Api::start().await;
    let a = new_workspace(&api, "usr_owner", "A").await;
    let b = new_workspace(&api, "usr_owner", "B").await;
    let owner = api.as_user("usr_owner");
    let r = owner
        .in_ws(&b)
        .get(&format!("/v1/workspaces/{a}/members"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = owner
        .in_ws(&a)
        .get(&format!("/v1/workspaces/{a}/members"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn member_lists_paginate() {
    let api = Api::start().await;
    let ws = new_workspace(&api, "usr_owner", "Big").await;
    for i in 0..6 {
        assert_eq!(
            add(&api, "usr_owner", &ws, &format!("usr_{i}"), "member").await,
            StatusCode::CREATED
        );
    }
    let owner = api.as_user("usr_owner");
    let mut seen = Vec::new();
    let mut path = format!("/v1/workspaces/{ws}/members?limit=3");
    loop {
        let r = owner.get(&path).await;
        for m in r.body["data"].as_array().unwrap() {
            seen.push(m["user_id"].as_str().unwrap().to_owned());
        }
        match r.body["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/workspaces/{ws}/members?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen);
}

#[tokio::test]
async fn a_new_deployment_goes_from_a_jwt_to_a_working_api_token() {
    let api = Api::start().await;
    let first_user = api.as_user("auth0|first-user");
    let r = first_user
        .post("/v1/workspaces", json!({"name": "Prod"}))
        .await;
    let ws = r.body["id"].as_str().unwrap().to_owned();
    let r = first_user
        .in_ws(&ws)
        .post("/v1/api_tokens", json!({"name": "ci"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let token = r.body["token"].as_str().unwrap();
    let r = api.as_token(token).get("/v1/api_tokens").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["data"][0]["workspace_id"], ws.as_str());
}
