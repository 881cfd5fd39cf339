//! Workspaces and members over HTTP, through the local gateway.

use akua_core::paging::Page;
use akua_core::tokens::{CreatedApiToken, TokenSummary};
use akua_core::workspaces::{MemberView, WorkspaceView};
use akua_core::{Role, TokenRole, UserId, issue};
use akua_tests::calls::token_named;
use akua_tests::{Api, Call, Query};
use axum::http::StatusCode;
use serde_json::Value;

async fn new_workspace(api: &Api, owner: &str, name: &str) -> String {
    let caller = api.as_user(owner);
    let r = caller.send(Call::create_workspace(name)).await;
    r.expect::<WorkspaceView>(StatusCode::CREATED).id
}

async fn add(api: &Api, as_user: &str, ws: &str, user: &str, role: TokenRole) -> StatusCode {
    let caller = api.as_user(as_user);
    caller.send(Call::add_member(ws, user, role)).await.status
}

#[tokio::test]
async fn a_user_creates_a_workspace_and_owns_it() {
    let api = Api::start().await;
    let ada = api.as_user("usr_ada");
    let r = ada.send(Call::create_workspace("Acme")).await;
    let created: WorkspaceView = r.expect(StatusCode::CREATED);
    assert!(created.id.starts_with("ws_"));
    assert_eq!((created.name.as_str(), created.role), ("Acme", Role::Owner));
    assert!(r.body["created_at"].is_i64());

    let list = ada.send(Call::list_workspaces(Query::new())).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body["data"], Value::Array(vec![r.body.clone()]));
    let page: Page<WorkspaceView> = list.ok();
    assert_eq!((page.has_more, page.next_cursor), (false, None));
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
        .send(Call::create_workspace("S"))
        .await;
    let ws = r.expect::<WorkspaceView>(StatusCode::CREATED).id;
    let r = api
        .as_token(session.expose())
        .in_ws(&ws)
        .send(Call::create_token(&token_named("t")))
        .await;
    let token = r
        .expect::<CreatedApiToken>(StatusCode::CREATED)
        .token
        .expose()
        .to_owned();
    let r = api.as_token(&token).send(Call::create_workspace("T")).await;
    assert_eq!(
        (r.status, r.code(), r.reason()),
        (StatusCode::FORBIDDEN, "forbidden", "person_required")
    );
    // A workspace token lists only its own workspace.
    let r = api
        .as_token(&token)
        .send(Call::list_workspaces(Query::new()))
        .await;
    let page: Page<WorkspaceView> = r.ok();
    assert_eq!(page.data.len(), 1);
    assert_eq!(page.data[0].id, ws);
    assert_eq!(page.data[0].role, Role::Admin);
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
    let mut query = Query::new().limit(2);
    loop {
        let r = ada.send(Call::list_workspaces(query)).await;
        let page: Page<WorkspaceView> = r.ok();
        for w in page.data {
            seen.push(w.id);
            assert_eq!(w.role, Role::Owner);
        }
        match page.next_cursor {
            Some(c) => query = Query::new().limit(2).cursor(&c),
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
    let r = ada
        .in_ws(&ids[0])
        .send(Call::list_workspaces(Query::new()))
        .await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 1);
    assert_eq!(r.body["data"][0]["id"], ids[0].as_str());
    // A cursor for another user is refused.
    let bob = api.as_user("usr_bob");
    let r = ada.send(Call::list_workspaces(Query::new().limit(1))).await;
    let c = r.body["next_cursor"].as_str().unwrap();
    let r = bob
        .send(Call::list_workspaces(Query::new().cursor(c)))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn members_are_managed_by_role() {
    let api = Api::start().await;
    let ws = new_workspace(&api, "usr_owner", "Acme").await;
    assert_eq!(
        add(&api, "usr_owner", &ws, "usr_admin", TokenRole::Admin).await,
        StatusCode::CREATED
    );
    assert_eq!(
        add(&api, "usr_admin", &ws, "usr_member", TokenRole::Member).await,
        StatusCode::CREATED
    );
    // Existing member → 409; member cannot add → 403. (Owner never
    // assigned → 422: a role the request type cannot carry, in `wire`.)
    assert_eq!(
        add(&api, "usr_owner", &ws, "usr_member", TokenRole::Admin).await,
        StatusCode::CONFLICT
    );
    assert_eq!(
        add(&api, "usr_member", &ws, "usr_y", TokenRole::Member).await,
        StatusCode::FORBIDDEN
    );
    // Not a member at all → 404, as for a workspace that does not exist.
    assert_eq!(
        add(&api, "usr_stranger", &ws, "usr_y", TokenRole::Member).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        add(
            &api,
            "usr_owner",
            "ws_doesnotexist",
            "usr_y",
            TokenRole::Member
        )
        .await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        add(&api, "usr_owner", "not-a-ws", "usr_y", TokenRole::Member).await,
        StatusCode::NOT_FOUND
    );

    let member = api.as_user("usr_member");
    let r = member.send(Call::members(&ws, Query::new())).await;
    let page: Page<MemberView> = r.ok();
    let got: Vec<(String, Role)> = page
        .data
        .iter()
        .map(|m| (m.user_id.clone(), m.role))
        .collect();
    assert_eq!(
        got,
        [
            ("usr_admin".into(), Role::Admin),
            ("usr_member".into(), Role::Member),
            ("usr_owner".into(), Role::Owner)
        ]
    );
    assert!(r.body["data"][0]["joined_at"].is_i64());

    // Only the owner changes roles.
    let admin = api.as_user("usr_admin");
    let r = admin
        .send(Call::change_role(&ws, "usr_member", TokenRole::Admin))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let owner = api.as_user("usr_owner");
    let r = owner
        .send(Call::change_role(&ws, "usr_member", TokenRole::Admin))
        .await;
    assert_eq!(r.ok::<MemberView>().role, Role::Admin);
    let r = owner
        .send(Call::change_role(&ws, "usr_nobody", TokenRole::Member))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_last_owner_cannot_be_removed_or_demoted() {
    let api = Api::start().await;
    let ws = new_workspace(&api, "usr_owner", "Acme").await;
    add(&api, "usr_owner", &ws, "usr_admin", TokenRole::Admin).await;
    let owner = api.as_user("usr_owner");
    let admin = api.as_user("usr_admin");
    let r = owner
        .send(Call::change_role(&ws, "usr_owner", TokenRole::Admin))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "conflict"));
    let r = owner.send(Call::remove_member(&ws, "usr_owner")).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "conflict"));
    // An admin may not remove an owner at all.
    let r = admin.send(Call::remove_member(&ws, "usr_owner")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn role_changes_and_removals_take_effect_on_the_next_request() {
    let api = Api::start().await;
    let ws = new_workspace(&api, "usr_owner", "Acme").await;
    add(&api, "usr_owner", &ws, "usr_admin", TokenRole::Admin).await;
    add(&api, "usr_owner", &ws, "usr_leaver", TokenRole::Member).await;
    let owner = api.as_user("usr_owner");
    let admin = api.as_user("usr_admin");
    let create = || admin.in_ws(&ws).send(Call::create_token(&token_named("t")));
    assert_eq!(create().await.status, StatusCode::CREATED);

    // Demoted admin can no longer create tokens.
    let r = owner
        .send(Call::change_role(&ws, "usr_admin", TokenRole::Member))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(create().await.status, StatusCode::FORBIDDEN);

    // Removed member gets 403 with that workspace.
    let leaver = api.as_user("usr_leaver");
    let list_tokens = || leaver.in_ws(&ws).send(Call::list_tokens(Query::new()));
    assert_eq!(list_tokens().await.status, StatusCode::OK);
    let r = leaver.send(Call::remove_member(&ws, "usr_leaver")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "a member may leave");
    assert_eq!(list_tokens().await.status, StatusCode::FORBIDDEN);
    let r = leaver.send(Call::members(&ws, Query::new())).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = owner.send(Call::remove_member(&ws, "usr_leaver")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_path_and_akua_context_must_agree() {
    let api = Api::start().await;
    let a = new_workspace(&api, "usr_owner", "A").await;
    let b = new_workspace(&api, "usr_owner", "B").await;
    let owner = api.as_user("usr_owner");
    let r = owner.in_ws(&b).send(Call::members(&a, Query::new())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = owner.in_ws(&a).send(Call::members(&a, Query::new())).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn member_lists_paginate() {
    let api = Api::start().await;
    let ws = new_workspace(&api, "usr_owner", "Big").await;
    for i in 0..6 {
        assert_eq!(
            add(
                &api,
                "usr_owner",
                &ws,
                &format!("usr_{i}"),
                TokenRole::Member
            )
            .await,
            StatusCode::CREATED
        );
    }
    let owner = api.as_user("usr_owner");
    let mut seen = Vec::new();
    let mut query = Query::new().limit(3);
    loop {
        let r = owner.send(Call::members(&ws, query)).await;
        let page: Page<MemberView> = r.ok();
        seen.extend(page.data.into_iter().map(|m| m.user_id));
        match page.next_cursor {
            Some(c) => query = Query::new().limit(3).cursor(&c),
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
    let r = first_user.send(Call::create_workspace("Prod")).await;
    let ws = r.body["id"].as_str().unwrap().to_owned();
    let r = first_user
        .in_ws(&ws)
        .send(Call::create_token(&token_named("ci")))
        .await;
    let created: CreatedApiToken = r.expect(StatusCode::CREATED);
    let r = api
        .as_token(created.token.expose())
        .send(Call::list_tokens(Query::new()))
        .await;
    let page: Page<TokenSummary> = r.ok();
    assert_eq!(page.data[0].workspace_id, ws);
}

/// What the request types cannot say: a body outside their shape, and a
/// role (`owner`) no request may carry.
mod wire {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn a_workspace_body_outside_its_shape_is_a_validation_error() {
        let api = Api::start().await;
        let ada = api.as_user("usr_ada");
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
    async fn owner_is_never_assigned_by_adding_or_changing_a_member() {
        let api = Api::start().await;
        let ws = new_workspace(&api, "usr_owner", "Acme").await;
        assert_eq!(
            add(&api, "usr_owner", &ws, "usr_member", TokenRole::Member).await,
            StatusCode::CREATED
        );
        let owner = api.as_user("usr_owner");
        let r = owner
            .post(
                &format!("/v1/workspaces/{ws}/members"),
                json!({"user_id": "usr_x", "role": "owner"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = owner
            .patch(
                &format!("/v1/workspaces/{ws}/members/usr_member"),
                json!({"role": "owner"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
}
