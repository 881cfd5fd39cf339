//! `POST /v1/auth/sessions`: a sign-in JWT becomes a dashboard session, a
//! broad credential that slides 12 hours from its last use; only a JWT can
//! start one, and signing out ends it.

use akua_core::Role;
use akua_core::decision::{DASHBOARD_SESSION_LIFETIME_SECS, plan_touch};
use akua_core::records::{SessionClient, SessionRecord, StoredCredential};
use akua_core::{SessionId, UserId};
use akua_tests::Api;
use axum::http::StatusCode;
use serde_json::json;

#[tokio::test]
async fn a_jwt_becomes_a_twelve_hour_dashboard_session_that_sign_out_ends() {
    let api = Api::start().await;
    api.add_member("ws_acme", "usr_ada", Role::Owner).await;
    let before = akua_core::clock::now();
    let r = api.as_user("usr_ada").post_empty("/v1/auth/sessions").await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let token = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 32);
    assert_eq!(r.body["client"], "dashboard");
    let expires_at = r.body["expires_at"].as_i64().unwrap();
    assert!(
        (before + DASHBOARD_SESSION_LIFETIME_SECS..=before + DASHBOARD_SESSION_LIFETIME_SECS + 5)
            .contains(&expires_at)
    );

    // A broad credential: it picks a workspace with Akua-Context.
    let session = api.as_token(&token);
    let r = session.in_ws("ws_acme").get("/v1/api_tokens").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = session.get("/v1/auth/sessions").await;
    let listed = &r.body["data"][0];
    assert_eq!(listed["client"], "dashboard");
    assert_eq!(listed["current"], true);
    // Recorded in the person's own log.
    let log = api.as_user("usr_ada").get("/v1/me/audit_log").await;
    assert_eq!(log.body["data"][0]["action"], "session.created");

    // A session cannot start another; neither can an API token.
    let r = session.post_empty("/v1/auth/sessions").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let api_token = api
        .as_user("usr_ada")
        .in_ws("ws_acme")
        .post("/v1/api_tokens", json!({"name": "ci"}))
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = api
        .as_token(&api_token)
        .post_empty("/v1/auth/sessions")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Sign out: the very next request with it is 401.
    let r = session.delete("/v1/auth/session").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = session.get("/v1/auth/whoami").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[test]
fn a_dashboard_session_slides_twelve_hours_a_cli_session_a_year() {
    let now = 1_800_000_000;
    let session = |client: SessionClient| {
        StoredCredential::Session(SessionRecord {
            id: SessionId::generate(),
            user_id: UserId::parse("usr_ada").unwrap(),
            client,
            created_at: now - 7200,
            // Set two hours ago, so due an extension.
            expires_at: now - 7200 + client.lifetime_secs(),
            last_used_at: Some(now - 7200),
        })
    };
    let dashboard = plan_touch(&session(SessionClient::Dashboard), now).unwrap();
    assert_eq!(dashboard.extend_to, Some(now + 12 * 3600));
    let cli = plan_touch(&session(SessionClient::Cli), now).unwrap();
    assert_eq!(cli.extend_to, Some(now + 365 * 24 * 3600));
}
