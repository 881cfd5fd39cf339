//! Multi-workspace tokens over HTTP: made by a person for some of their
//! workspaces, used with `Akua-Context`, listed by the workspaces they
//! cover, revoked by their owner or a covered workspace's managers.

use akua_core::clock::UnixTime;
use akua_core::multi_tokens::{CreateMultiTokenRequest, CreatedMultiToken, MultiTokenSummary};
use akua_core::paging::Page;
use akua_core::records::{Creator, TokenKind};
use akua_core::tokens::TokenSummary;
use akua_core::{Role, TokenId, TokenRole, UserId};
use akua_tests::calls::{multi_token_named, token_named};
use akua_tests::{Api, Call, Query, Reply};
use axum::http::StatusCode;

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

/// `call` sent with `bearer`, in `ws` if any.
async fn send(api: &Api, call: Call, bearer: &str, ws: Option<&str>) -> Reply {
    api.caller(Some(bearer), ws).send(call).await
}

async fn create_mine(api: &Api, bearer: &str, body: &CreateMultiTokenRequest) -> Reply {
    send(api, Call::create_my_token(body), bearer, None).await
}

fn list() -> Call {
    Call::list_tokens(Query::new())
}

fn list_mine() -> Call {
    Call::list_my_tokens(Query::new())
}

/// A multi-workspace token of `usr_ada` for `ws_a` and `ws_b`: (secret, id).
async fn ada_token(api: &Api) -> (String, String) {
    let made: CreatedMultiToken = create_mine(
        api,
        &api.jwt("usr_ada"),
        &multi_token_named("laptop", &["ws_a", "ws_b"]),
    )
    .await
    .expect(StatusCode::CREATED);
    (made.token.expose().to_owned(), made.id)
}

#[tokio::test]
async fn a_person_creates_one_for_their_own_workspaces_only() {
    let api = setup().await;
    let jwt = api.jwt("usr_ada");
    let r = create_mine(
        &api,
        &jwt,
        &CreateMultiTokenRequest {
            role: Some(TokenRole::Member),
            ..multi_token_named("laptop", &["ws_a", "ws_b"])
        },
    )
    .await;
    let made: CreatedMultiToken = r.expect(StatusCode::CREATED);
    assert!(made.token.expose().starts_with("sk_akua_"));
    assert_eq!(made.role, TokenRole::Member);
    assert_eq!(made.workspace_ids, ["ws_a", "ws_b"]);
    assert_eq!(made.expires_at, None);

    let list = send(&api, list_mine(), &jwt, None).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body["data"][0]["id"], made.id.as_str());
    assert!(!list.body.to_string().contains(made.token.expose()));
    let others: Page<MultiTokenSummary> = send(&api, list_mine(), &api.jwt("usr_bob"), None)
        .await
        .ok();
    assert!(others.data.is_empty(), "{others:?}");

    // Values the request type cannot even carry are the wire tests'.
    let ws = |ids: &[&str]| multi_token_named("x", ids);
    let twenty_one: Vec<String> = (0..21).map(|i| format!("ws_{i}")).collect();
    let twenty_one: Vec<&str> = twenty_one.iter().map(String::as_str).collect();
    for (body, why) in [
        (ws(&["ws_a", "ws_x"]), "not a member"),
        (ws(&["ws_a", "ws_nope"]), "no such workspace"),
        (ws(&[]), "empty"),
        (ws(&["ws_a", "ws_a"]), "repeated"),
        (ws(&twenty_one), "21"),
        (
            CreateMultiTokenRequest {
                expires_at: Some(UnixTime(1)),
                ..ws(&["ws_a"])
            },
            "past",
        ),
    ] {
        let r = create_mine(&api, &jwt, &body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{why}: {:?}",
            r.body
        );
    }
    let r = create_mine(&api, &jwt, &ws(&["ws_x"])).await;
    assert_eq!(r.body["error"]["field"], "workspace_ids");
    assert!(
        !r.body.to_string().contains("ws_x"),
        "the value is not echoed"
    );

    // API tokens of either kind cannot make or see a person's tokens.
    let (multi, _) = ada_token(&api).await;
    for bearer in [multi.as_str()] {
        let r = create_mine(&api, bearer, &ws(&["ws_a"])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
        let r = send(&api, list_mine(), bearer, None).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test]
async fn it_needs_akua_context_and_acts_within_its_list_and_cap() {
    let api = setup().await;
    let (token, id) = ada_token(&api).await;

    // A broad credential: no workspace without Akua-Context.
    let r = send(&api, list(), &token, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Akua-Context")
    );
    let r = send(&api, Call::members("ws_a", Query::new()), &token, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    // Not listed (ws_c, though ada owns it), or not ada's (ws_x): 403.
    for ws in ["ws_c", "ws_x"] {
        let r = send(&api, list(), &token, Some(ws)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{ws}");
    }

    // In ws_a it is ada capped at admin; in ws_b ada is only a member.
    let who = send(&api, Call::whoami(), &token, Some("ws_a")).await;
    assert_eq!(who.body["credential"], "multi_workspace_token");
    assert_eq!(who.body["role"], "admin");
    assert_eq!(who.body["user_id"], "usr_ada");
    assert_eq!(who.body["token_id"], id.as_str());
    let who = send(&api, Call::whoami(), &token, Some("ws_b")).await;
    assert_eq!(who.body["role"], "member");
    let r = send(
        &api,
        Call::members("ws_b", Query::new()),
        &token,
        Some("ws_b"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = send(
        &api,
        Call::create_token(&token_named("ci")),
        &token,
        Some("ws_b"),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "a member cannot create tokens"
    );

    // Managers of a covered workspace see it, with its owner.
    let r = send(&api, list(), &api.jwt("usr_carol"), Some("ws_b")).await;
    let page: Page<TokenSummary> = r.ok();
    let row = &page.data[0];
    assert_eq!(row.id, id);
    assert_eq!(row.kind, TokenKind::MultiWorkspace);
    assert_eq!(
        row.created_by,
        Some(Creator::User(UserId::parse("usr_ada").unwrap()))
    );
    assert_eq!(row.workspace_id, "ws_b");

    // What it makes in ws_a is made by the token, never outranking it.
    let r = send(
        &api,
        Call::create_token(&token_named("ci")),
        &token,
        Some("ws_a"),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let list: Page<TokenSummary> = send(&api, list(), &token, Some("ws_a")).await.ok();
    let made = list
        .data
        .iter()
        .find(|t| r.body["id"] == t.id.as_str())
        .unwrap()
        .clone();
    assert_eq!(made.kind, TokenKind::Workspace);
    assert_eq!(
        made.created_by,
        Some(Creator::ApiToken(TokenId::parse(&id).unwrap()))
    );

    // Never membership or workspaces, never device approvals or sessions.
    let r = send(
        &api,
        Call::add_member("ws_a", "usr_attacker", TokenRole::Admin),
        &token,
        Some("ws_a"),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = send(&api, Call::create_workspace("mine"), &token, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(&api, Call::list_sessions(Query::new()), &token, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_owner_leaving_a_workspace_cuts_it_off_there_on_the_next_request() {
    let api = setup().await;
    let (token, _) = ada_token(&api).await;
    let r = send(&api, list(), &token, Some("ws_b")).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = send(
        &api,
        Call::remove_member("ws_b", "usr_ada"),
        &api.jwt("usr_carol"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = send(&api, list(), &token, Some("ws_b")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = send(&api, list(), &token, Some("ws_a")).await;
    assert_eq!(r.status, StatusCode::OK, "still works where ada still is");
}

#[tokio::test]
async fn its_owner_or_a_covered_workspace_manager_revokes_it_everywhere() {
    let api = setup().await;
    let (token, id) = ada_token(&api).await;

    // Another person, or a workspace it does not cover: 404, still working.
    let r = send(&api, Call::revoke_my_token(&id), &api.jwt("usr_bob"), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(
        &api,
        Call::revoke_token(&id),
        &api.jwt("usr_bob"),
        Some("ws_x"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = send(&api, list(), &token, Some("ws_a")).await;
    assert_eq!(r.status, StatusCode::OK);

    // ws_b's owner revokes it: it fails everywhere, and leaves every list.
    let r = send(
        &api,
        Call::revoke_token(&id),
        &api.jwt("usr_carol"),
        Some("ws_b"),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    for ws in ["ws_a", "ws_b"] {
        let r = send(&api, list(), &token, Some(ws)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = send(&api, list(), &api.jwt("usr_ada"), Some(ws)).await;
        assert!(!r.body.to_string().contains(&id), "{ws} still lists it");
    }
    let r: Page<MultiTokenSummary> = send(&api, list_mine(), &api.jwt("usr_ada"), None)
        .await
        .ok();
    assert!(r.data.is_empty(), "{r:?}");

    // Its owner revokes another one from /v1/me.
    let (token, id) = ada_token(&api).await;
    let r = send(&api, Call::revoke_my_token(&id), &api.jwt("usr_ada"), None).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = send(&api, Call::whoami(), &token, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// The wire itself: values [`CreateMultiTokenRequest`] cannot represent.
mod wire {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn unrepresentable_bodies_are_422() {
        let api = setup().await;
        let jwt = api.jwt("usr_ada");
        for (body, why) in [
            (json!({"name": "x", "workspace_ids": ["nope"]}), "malformed"),
            (
                json!({"name": "x", "workspace_ids": ["ws_a"], "role": "owner"}),
                "owner cap",
            ),
        ] {
            let r = api.as_token(&jwt).post("/v1/me/api_tokens", body).await;
            assert_eq!(
                r.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{why}: {:?}",
                r.body
            );
        }
    }
}
