//! A person's sessions over HTTP: listed without secrets, ended one by one
//! or all but the current one. A stolen session can approve another device
//! login, so its owner must be able to see and end it.

use akua_core::decision::SESSION_LIFETIME_SECS;
use akua_core::paging::Page;
use akua_core::records::SessionClient;
use akua_core::sessions::{Ended, SessionSummary};
use akua_core::tokens::CreatedApiToken;
use akua_core::{Role, UserId, clock, issue};
use akua_tests::calls::token_named;
use akua_tests::{Api, Call, Query, Reply};
use axum::http::StatusCode;

/// A new CLI session for `user`, issued `age` seconds ago.
async fn session(api: &Api, user: &str, age: i64) -> (String, String) {
    let (token, record) = issue::session(
        &api.engine.store,
        UserId::parse(user).unwrap(),
        clock::now() - age,
    )
    .await
    .unwrap();
    (token.expose().to_owned(), record.id.to_string())
}

/// `bearer`'s sessions, the first page of `query`.
async fn list(api: &Api, bearer: &str, query: Query) -> Reply {
    api.as_token(bearer).send(Call::list_sessions(query)).await
}

/// The status of asking for `bearer`'s own session: 200 while it lives.
async fn status(api: &Api, bearer: &str) -> StatusCode {
    api.as_token(bearer).send(Call::session()).await.status
}

/// The answer of ending sessions, exactly.
fn ended(revoked: usize) -> serde_json::Value {
    serde_json::to_value(Ended { revoked }).unwrap()
}

fn ids(reply: &Reply) -> Vec<String> {
    reply
        .ok::<Page<SessionSummary>>()
        .data
        .into_iter()
        .map(|s| s.id)
        .collect()
}

#[tokio::test]
async fn a_person_sees_their_own_sessions_newest_first_without_secrets() {
    let api = Api::start().await;
    let (a, a_id) = session(&api, "usr_ada", 30).await;
    let (b, b_id) = session(&api, "usr_ada", 20).await;
    let (c, c_id) = session(&api, "usr_ada", 10).await;
    let (bob, _) = session(&api, "usr_bob", 0).await;
    // Expired, not yet deleted by TTL: never shown.
    let (_, old_id) = session(&api, "usr_ada", SESSION_LIFETIME_SECS + 5).await;

    let r = list(&api, &a, Query::new()).await;
    assert_eq!(ids(&r), [c_id.clone(), b_id, a_id.clone()]);
    assert!(!ids(&r).contains(&old_id));
    let text = r.body.to_string();
    for secret in [&a, &b, &c, &bob] {
        assert!(!text.contains(secret.as_str()), "a secret was listed");
    }
    let mut keys: Vec<_> = r.body["data"][0]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "absolute_expires_at",
            "client",
            "created_at",
            "current",
            "expires_at",
            "id",
            "last_used_at"
        ]
    );
    let rows = r.ok::<Page<SessionSummary>>().data;
    assert!(rows.iter().all(|s| s.client == SessionClient::Cli));
    let current: Vec<_> = rows.iter().filter(|s| s.current).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0].id, a_id);
    assert!(
        current[0].last_used_at.is_some(),
        "the authorizer recorded this use"
    );

    // Pages, and a cursor is bound to its person's list.
    let page: Page<SessionSummary> = list(&api, &a, Query::new().limit(2)).await.ok();
    assert!(page.has_more);
    let cursor = page.next_cursor.unwrap();
    let r = list(&api, &a, Query::new().limit(2).cursor(&cursor)).await;
    assert_eq!(ids(&r), [a_id]);
    let r = list(&api, &bob, Query::new().cursor(&cursor)).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);

    // A JWT caller lists the same sessions, none of them current.
    let r = list(&api, &api.jwt("usr_ada"), Query::new()).await;
    assert_eq!(ids(&r).len(), 3);
    assert!(
        r.ok::<Page<SessionSummary>>()
            .data
            .iter()
            .all(|s| !s.current)
    );
    assert_eq!(ids(&list(&api, &c, Query::new()).await)[0], c_id);
}

#[tokio::test]
async fn one_session_ends_at_once_and_others_people_s_are_404() {
    let api = Api::start().await;
    let (a, _) = session(&api, "usr_ada", 10).await;
    let (b, b_id) = session(&api, "usr_ada", 0).await;
    let (bob, bob_id) = session(&api, "usr_bob", 0).await;

    for id in [bob_id.as_str(), "ses_unknown", "not-an-id", "tok_abc"] {
        let r = api.as_token(&a).send(Call::end_session(id)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{id}: {:?}", r.body);
        assert_eq!(r.code(), "not_found");
    }
    assert_eq!(status(&api, &bob).await, StatusCode::OK);

    let r = api.as_token(&a).send(Call::end_session(&b_id)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert_eq!(status(&api, &b).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status(&api, &a).await, StatusCode::OK);
    let r = api.as_token(&a).send(Call::end_session(&b_id)).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "ending twice");
}

#[tokio::test]
async fn ending_all_others_keeps_only_the_current_session() {
    let api = Api::start().await;
    let (a, a_id) = session(&api, "usr_ada", 30).await;
    let (b, _) = session(&api, "usr_ada", 20).await;
    let (c, _) = session(&api, "usr_ada", 10).await;
    let (bob, _) = session(&api, "usr_bob", 0).await;

    let r = api.as_token(&a).send(Call::end_other_sessions()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body, ended(2));
    for gone in [&b, &c] {
        assert_eq!(status(&api, gone).await, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(status(&api, &bob).await, StatusCode::OK);
    assert_eq!(ids(&list(&api, &a, Query::new()).await), [a_id]);

    // A JWT caller has no current session: all of them end.
    let r = api
        .as_user("usr_ada")
        .send(Call::end_other_sessions())
        .await;
    assert_eq!(r.body, ended(1));
    assert_eq!(status(&api, &a).await, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_api_token_has_no_sessions_to_see_or_end() {
    let api = Api::start().await;
    api.add_member("ws_acme", "usr_ada", Role::Owner).await;
    let r = api
        .as_user("usr_ada")
        .in_ws("ws_acme")
        .send(Call::create_token(&token_named("ci")))
        .await;
    let created: CreatedApiToken = r.expect(StatusCode::CREATED);
    let token = api.as_token(created.token.expose());
    let (_, ada_session) = session(&api, "usr_ada", 0).await;

    for r in [
        token.send(Call::list_sessions(Query::new())).await,
        token.send(Call::end_other_sessions()).await,
        token.send(Call::end_session(&ada_session)).await,
    ] {
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("person")
        );
    }
}
