//! A person's sessions over HTTP: listed without secrets, ended one by one
//! or all but the current one. A stolen session can approve another device
//! login, so its owner must be able to see and end it.

use akua_core::decision::SESSION_LIFETIME_SECS;
use akua_core::{Role, UserId, clock, issue};
use akua_tests::{Api, Reply};
use axum::http::{Method, StatusCode};
use serde_json::json;

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

async fn get(api: &Api, path: &str, bearer: &str) -> Reply {
    api.call(Method::GET, path, Some(bearer), None, None).await
}

async fn delete(api: &Api, path: &str, bearer: &str) -> Reply {
    api.call(Method::DELETE, path, Some(bearer), None, None)
        .await
}

fn ids(reply: &Reply) -> Vec<String> {
    reply.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
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

    let r = get(&api, "/v1/auth/sessions", &a).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(ids(&r), [c_id.clone(), b_id, a_id.clone()]);
    assert!(!ids(&r).contains(&old_id));
    let text = r.body.to_string();
    for secret in [&a, &b, &c, &bob] {
        assert!(!text.contains(secret.as_str()), "a secret was listed");
    }
    let rows = r.body["data"].as_array().unwrap();
    let mut keys: Vec<_> = rows[0].as_object().unwrap().keys().cloned().collect();
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
    assert!(rows.iter().all(|s| s["client"] == "cli"));
    let current: Vec<_> = rows.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["id"], a_id.as_str());
    assert!(
        current[0]["last_used_at"].is_i64(),
        "the authorizer recorded this use"
    );

    // Pages, and a cursor is bound to its person's list.
    let r = get(&api, "/v1/auth/sessions?limit=2", &a).await;
    assert_eq!(r.body["has_more"], true);
    let cursor = r.body["next_cursor"].as_str().unwrap().to_owned();
    let r = get(
        &api,
        &format!("/v1/auth/sessions?limit=2&cursor={cursor}"),
        &a,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(ids(&r), [a_id]);
    let r = get(&api, &format!("/v1/auth/sessions?cursor={cursor}"), &bob).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{:?}", r.body);

    // A JWT caller lists the same sessions, none of them current.
    let r = get(&api, "/v1/auth/sessions", &api.jwt("usr_ada")).await;
    assert_eq!(ids(&r).len(), 3);
    assert!(
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["current"] == false)
    );
    assert_eq!(ids(&get(&api, "/v1/auth/sessions", &c).await)[0], c_id);
}

#[tokio::test]
async fn one_session_ends_at_once_and_others_people_s_are_404() {
    let api = Api::start().await;
    let (a, _) = session(&api, "usr_ada", 10).await;
    let (b, b_id) = session(&api, "usr_ada", 0).await;
    let (bob, bob_id) = session(&api, "usr_bob", 0).await;

    for id in [bob_id.as_str(), "ses_unknown", "not-an-id", "tok_abc"] {
        let r = delete(&api, &format!("/v1/auth/sessions/{id}"), &a).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{id}: {:?}", r.body);
        assert_eq!(r.code(), "not_found");
    }
    assert_eq!(
        get(&api, "/v1/auth/session", &bob).await.status,
        StatusCode::OK
    );

    let r = delete(&api, &format!("/v1/auth/sessions/{b_id}"), &a).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    assert_eq!(
        get(&api, "/v1/auth/session", &b).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        get(&api, "/v1/auth/session", &a).await.status,
        StatusCode::OK
    );
    let r = delete(&api, &format!("/v1/auth/sessions/{b_id}"), &a).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "ending twice");
}

#[tokio::test]
async fn ending_all_others_keeps_only_the_current_session() {
    let api = Api::start().await;
    let (a, a_id) = session(&api, "usr_ada", 30).await;
    let (b, _) = session(&api, "usr_ada", 20).await;
    let (c, _) = session(&api, "usr_ada", 10).await;
    let (bob, _) = session(&api, "usr_bob", 0).await;

    let r = delete(&api, "/v1/auth/sessions", &a).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body, json!({"revoked": 2}));
    for gone in [&b, &c] {
        assert_eq!(
            get(&api, "/v1/auth/session", gone).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        get(&api, "/v1/auth/session", &bob).await.status,
        StatusCode::OK
    );
    assert_eq!(ids(&get(&api, "/v1/auth/sessions", &a).await), [a_id]);

    // A JWT caller has no current session: all of them end.
    let r = delete(&api, "/v1/auth/sessions", &api.jwt("usr_ada")).await;
    assert_eq!(r.body, json!({"revoked": 1}));
    assert_eq!(
        get(&api, "/v1/auth/session", &a).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn an_api_token_has_no_sessions_to_see_or_end() {
    let api = Api::start().await;
    api.add_member("ws_acme", "usr_ada", Role::Owner).await;
    let jwt = api.jwt("usr_ada");
    let r = api
        .call(
            Method::POST,
            "/v1/api_tokens",
            Some(&jwt),
            Some("ws_acme"),
            Some(json!({"name": "ci"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let token = r.body["token"].as_str().unwrap().to_owned();
    let (_, ada_session) = session(&api, "usr_ada", 0).await;

    for r in [
        get(&api, "/v1/auth/sessions", &token).await,
        delete(&api, "/v1/auth/sessions", &token).await,
        delete(&api, &format!("/v1/auth/sessions/{ada_session}"), &token).await,
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
