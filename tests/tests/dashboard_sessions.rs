//! `POST /v1/auth/sessions`: a sign-in JWT becomes a dashboard session, a
//! broad credential that slides 12 hours from its last use; only a JWT can
//! start one, and signing out ends it.

use akua_core::Role;
use akua_core::audit::{AuditAction, AuditEntry};
use akua_core::decision::{DASHBOARD_SESSION_LIFETIME_SECS, plan_touch};
use akua_core::paging::Page;
use akua_core::records::{
    DASHBOARD_SESSION_ABSOLUTE_SECS, SessionClient, SessionRecord, StoredCredential,
};
use akua_core::sessions::{CreatedSession, SessionSummary, StartSessionRequest};
use akua_core::tokens::CreatedApiToken;
use akua_core::{SessionId, UserId};
use akua_tests::calls::token_named;
use akua_tests::{Api, Call, Query};
use axum::http::StatusCode;

#[tokio::test]
async fn a_jwt_becomes_a_twelve_hour_dashboard_session_that_sign_out_ends() {
    let api = Api::start().await;
    api.add_member("ws_acme", "usr_ada", Role::Owner).await;
    let before = akua_core::clock::now();
    let start = || Call::start_session(&StartSessionRequest::default());
    let r = api.as_user("usr_ada").send(start()).await;
    let created: CreatedSession = r.expect(StatusCode::CREATED);
    let token = created.token.expose().to_owned();
    assert_eq!(token.len(), 32);
    assert_eq!(created.client, SessionClient::Dashboard);
    assert!(
        (before + DASHBOARD_SESSION_LIFETIME_SECS..=before + DASHBOARD_SESSION_LIFETIME_SECS + 5)
            .contains(&created.expires_at)
    );

    // A broad credential: it picks a workspace with Akua-Context.
    let session = api.as_token(&token);
    let r = session
        .in_ws("ws_acme")
        .send(Call::list_tokens(Query::new()))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = session.send(Call::list_sessions(Query::new())).await;
    let listed = &r.ok::<Page<SessionSummary>>().data[0];
    assert_eq!(listed.client, SessionClient::Dashboard);
    assert!(listed.current);
    // It ends a week after the sign-in whatever its use.
    assert_eq!(
        listed.absolute_expires_at,
        Some(listed.created_at + DASHBOARD_SESSION_ABSOLUTE_SECS)
    );
    // Recorded in the person's own log.
    let log = api
        .as_user("usr_ada")
        .send(Call::my_audit_log(Query::new()))
        .await;
    assert_eq!(
        log.ok::<Page<AuditEntry>>().data[0].action,
        AuditAction::SessionCreated
    );

    // A session cannot start another; neither can an API token.
    let r = session.send(start()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let api_token = api
        .as_user("usr_ada")
        .in_ws("ws_acme")
        .send(Call::create_token(&token_named("ci")))
        .await
        .expect::<CreatedApiToken>(StatusCode::CREATED)
        .token;
    let r = api.as_token(api_token.expose()).send(start()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Sign out: the very next request with it is 401.
    let r = session.send(Call::logout()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = session.send(Call::whoami()).await;
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
            absolute_expires_at: client.default_absolute_secs().map(|secs| now - 7200 + secs),
            signed_in_at: None,
        })
    };
    let dashboard = plan_touch(&session(SessionClient::Dashboard), now).unwrap();
    assert_eq!(dashboard.extend_to, Some(now + 12 * 3600));
    let cli = plan_touch(&session(SessionClient::Cli), now).unwrap();
    assert_eq!(cli.extend_to, Some(now + 365 * 24 * 3600));
}

/// ASVS 5.0 7.3.2: a dashboard session ends 7 days after its sign-in
/// however often it is used; its sliding expiry never goes past that, and
/// one stored before the limit existed (its expiry past the limit) is
/// refused at the limit. A CLI session has no such limit.
#[test]
fn a_dashboard_session_ends_a_week_after_its_sign_in_whatever_its_use() {
    let now = 1_800_000_000;
    let session = |client: SessionClient, created_ago: i64, expires_in: i64| {
        StoredCredential::Session(SessionRecord {
            id: SessionId::generate(),
            user_id: UserId::parse("usr_ada").unwrap(),
            client,
            created_at: now - created_ago,
            expires_at: now + expires_in,
            last_used_at: Some(now - 7200),
            absolute_expires_at: client
                .default_absolute_secs()
                .map(|secs| now - created_ago + secs),
            signed_in_at: None,
        })
    };
    let week = DASHBOARD_SESSION_ABSOLUTE_SECS;
    // Two hours short of the week, due an extension: only up to the week.
    let near = session(SessionClient::Dashboard, week - 7200, 3600);
    let touch = plan_touch(&near, now).unwrap();
    assert_eq!(touch.extend_to, Some(now + 7200));
    // At the week: nothing to extend, and expired whatever was stored.
    let old = session(SessionClient::Dashboard, week, 11 * 3600);
    assert!(old.is_expired(now));
    assert_eq!(old.expires_at(), Some(now));
    assert_eq!(plan_touch(&old, now).and_then(|t| t.extend_to), None);
    // A CLI session slides on.
    let cli = session(SessionClient::Cli, 2 * week, 364 * 24 * 3600);
    assert!(!cli.is_expired(now));
}

/// The body of `POST /v1/auth/sessions` is all optional, so a browser may
/// send none at all (the harness's call always sends one).
mod wire {
    use super::*;

    #[tokio::test]
    async fn a_sign_in_without_a_body_starts_a_session_too() {
        let api = Api::start().await;
        let r = api.as_user("usr_ada").post_empty("/v1/auth/sessions").await;
        let created: CreatedSession = r.expect(StatusCode::CREATED);
        assert_eq!(created.client, SessionClient::Dashboard);
    }
}
