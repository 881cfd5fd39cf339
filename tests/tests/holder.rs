//! Holder revocation (RFC 7009) over HTTP, through the gateway as
//! deployed: whoever holds a secret ends its credential with no other
//! credential, and the answer never tells whether there was one.

use akua_core::Role;
use akua_core::multi_tokens::{CreatedMultiToken, MultiTokenSummary};
use akua_core::paging::Page;
use akua_core::sessions::{CreatedSession, StartSessionRequest};
use akua_core::tokens::CreatedApiToken;
use akua_tests::calls::{multi_token_named, roll_with_grace, token_named};
use akua_tests::{Api, Call, Query, Reply};
use axum::http::StatusCode;

/// `usr_owner` owns `ws_a`.
async fn setup() -> Api {
    let api = Api::start().await;
    api.create_workspace("ws_a", "usr_owner").await;
    api.add_member("ws_b", "usr_owner", Role::Owner).await;
    api
}

/// Revokes `token` as its holder would, with RFC 7009's optional hint.
async fn revoke(api: &Api, token: &str) -> Reply {
    let call = Call::revoke_held(token).field("token_type_hint", "access_token");
    api.anonymous().send(call).await
}

/// The events `log` (a workspace's audit log or the caller's own, filtered
/// by action) lists to `usr_owner`, as (actor id, actor credential, target id).
async fn events(api: &Api, log: Call) -> Vec<(String, String, String)> {
    let r = api.as_user("usr_owner").send(log).await;
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

/// Only the events of `action`.
fn of(action: &str) -> Query {
    Query::new().action(action)
}

#[tokio::test]
async fn a_token_posted_by_anyone_is_revoked_and_audited_as_by_its_holder() {
    let api = setup().await;
    let r = api
        .as_user("usr_owner")
        .in_ws("ws_a")
        .send(Call::create_token(&token_named("leaked")))
        .await;
    let created: CreatedApiToken = r.expect(StatusCode::CREATED);
    let (token, id) = (created.token.expose().to_owned(), created.id);
    let list = || Call::list_tokens(Query::new());
    assert_eq!(
        api.as_token(&token).send(list()).await.status,
        StatusCode::OK
    );
    let r = revoke(&api, &token).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = api.as_token(&token).send(list()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        events(&api, Call::audit_log("ws_a", of("token.revoked"))).await,
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
        .send(Call::start_session(&StartSessionRequest::default()))
        .await;
    let created: CreatedSession = r.expect(StatusCode::CREATED);
    let (session, session_id) = (created.token.expose().to_owned(), created.id);
    assert_eq!(revoke(&api, &session).await.status, StatusCode::OK);
    assert_eq!(
        api.as_token(&session).send(Call::whoami()).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        events(&api, Call::my_audit_log(of("session.revoked"))).await,
        [(session_id.clone(), "holder".to_owned(), session_id)]
    );

    let r = api
        .as_user("usr_owner")
        .send(Call::create_my_token(&multi_token_named(
            "laptop",
            &["ws_a", "ws_b"],
        )))
        .await;
    let created: CreatedMultiToken = r.expect(StatusCode::CREATED);
    let (multi, multi_id) = (created.token.expose().to_owned(), created.id);
    assert_eq!(revoke(&api, &multi).await.status, StatusCode::OK);
    let r = api
        .as_token(&multi)
        .in_ws("ws_a")
        .send(Call::list_tokens(Query::new()))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    for ws in ["ws_a", "ws_b"] {
        assert_eq!(
            events(&api, Call::audit_log(ws, of("multi_token.revoked"))).await,
            [(multi_id.clone(), "holder".to_owned(), multi_id.clone())],
            "{ws}"
        );
    }
    // Nothing of it is listed any more.
    let r = api
        .as_user("usr_owner")
        .send(Call::list_my_tokens(Query::new()))
        .await;
    assert!(
        r.ok::<Page<MultiTokenSummary>>().data.is_empty(),
        "{:?}",
        r.body
    );
}

#[tokio::test]
async fn the_secret_a_roll_replaced_ends_the_whole_token() {
    let api = setup().await;
    let owner = api.as_user("usr_owner").in_ws("ws_a");
    let r = owner.send(Call::create_token(&token_named("ci"))).await;
    let created: CreatedApiToken = r.expect(StatusCode::CREATED);
    let (old, id) = (created.token.expose().to_owned(), created.id);
    let r = owner
        .send(Call::roll_token(&id, &roll_with_grace(3600)))
        .await;
    let new = r.ok::<CreatedApiToken>().token.expose().to_owned();
    assert_eq!(revoke(&api, &old).await.status, StatusCode::OK);
    for secret in [&old, &new] {
        let r = api
            .as_token(secret)
            .send(Call::list_tokens(Query::new()))
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
}

#[tokio::test]
async fn a_jwt_is_its_issuer_s() {
    let api = setup().await;
    let jwt = api.jwt("usr_owner");
    assert_eq!(revoke(&api, &jwt).await.status, StatusCode::OK);
    let r = api.as_token(&jwt).send(Call::whoami()).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "a JWT expires at its issuer's word"
    );
}

/// The form as RFC 7009 spells it: a request without a token, and JSON
/// in place of the form.
mod wire {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn a_request_without_a_token_is_invalid_and_json_works_as_well_as_a_form() {
        let api = setup().await;
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
}
