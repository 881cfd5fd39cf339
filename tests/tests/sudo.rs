//! Sudo mode (docs/DESIGN.md, "Sudo mode"; rule R17), through the gateway,
//! the real authorizer and the functions: what turns one stolen credential
//! into lasting access needs a recent sign-in, and a stale one is asked to
//! sign in again, never refused for good.

use akua_core::TokenRole;
use akua_core::audit::AuditEntry;
use akua_core::clock;
use akua_core::credential::Revealed;
use akua_core::device::DeviceAuthorization;
use akua_core::paging::Page;
use akua_core::records::SessionClient;
use akua_core::sessions::{
    CreatedSession, ReauthenticateRequest, SessionSummary, SessionView, SignInEvidence,
    StartSessionRequest,
};
use akua_core::sudo::SudoWindow;
use akua_core::tokens::{CreateApiTokenRequest, CreatedApiToken, TokenSummary};
use akua_core::workspaces::WorkspaceView;
use akua_tests::calls::{multi_token_named, token_named};
use akua_tests::{Api, Call, Query, Reply};
use axum::http::StatusCode;

const HOURS_3: i64 = 3 * 3600;

/// A dashboard session started from a JWT whose sign-in was at `auth_time`.
async fn dashboard_session(api: &Api, user: &str, auth_time: Option<i64>) -> String {
    let jwt = api.jwt_signed_in(user, auth_time);
    let r = api.as_token(&jwt).send(start_session()).await;
    token_of(&r)
}

/// Starts a dashboard session without evidence of the sign-in beyond the
/// caller's own token.
fn start_session() -> Call {
    Call::start_session(&StartSessionRequest::default())
}

/// The token of a session just started.
fn token_of(r: &Reply) -> String {
    let created: CreatedSession = r.expect(StatusCode::CREATED);
    created.token.expose().to_owned()
}

/// Mints an API token named `name` with every other field its default.
fn mint(name: &str) -> Call {
    Call::create_token(&token_named(name))
}

/// Renews the session whose token is `session` from the caller's sign-in.
fn reauthenticate(session: &str, oidc: Option<SignInEvidence>) -> Call {
    Call::reauthenticate(&ReauthenticateRequest {
        session_token: Revealed::new(session),
        oidc,
    })
}

/// The ID token and nonce of a sign-in, as the dashboard sends them.
fn evidence(id_token: &str, nonce: &str) -> SignInEvidence {
    SignInEvidence {
        id_token: Revealed::new(id_token),
        nonce: Revealed::new(nonce),
    }
}

/// A pending device login's user code.
async fn pending_login(api: &Api) -> String {
    let r = api.anonymous().send(Call::device_code("cnap")).await;
    r.ok::<DeviceAuthorization>().user_code
}

/// A workspace owned by `usr_ada`.
async fn workspace(api: &Api) -> String {
    let r = api
        .as_user("usr_ada")
        .send(Call::create_workspace("acme"))
        .await;
    r.expect::<WorkspaceView>(StatusCode::CREATED).id
}

/// The RFC 9470 answer: 401, the envelope's code, and the challenge with
/// the window as `max_age`.
fn assert_step_up(r: &Reply) {
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{:?}", r.body);
    assert_eq!(r.code(), "reauthentication_required");
    let challenge = r
        .headers
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer error=\"insufficient_user_authentication\"")
            && challenge.contains(&format!("max_age={}", SudoWindow::DEFAULT_SECS)),
        "{challenge}"
    );
    // The body says it too: API Gateway renames a backend's
    // WWW-Authenticate header.
    assert_eq!(r.body["error"]["max_age"], SudoWindow::DEFAULT_SECS);
}

#[tokio::test]
async fn a_session_from_a_three_hour_old_sign_in_reads_but_must_sign_in_again_to_mint() {
    let api = Api::start().await;
    let ws = workspace(&api).await;
    let stale = dashboard_session(&api, "usr_ada", Some(clock::now() - HOURS_3)).await;
    let ada = api.as_token(&stale).in_ws(&ws);
    // Reads keep working.
    assert_eq!(
        ada.send(Call::list_tokens(Query::new())).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.as_token(&stale)
            .send(Call::list_sessions(Query::new()))
            .await
            .status,
        StatusCode::OK
    );
    // Minting, approving, adding and ending others ask for a sign-in.
    assert_step_up(&ada.send(mint("ci")).await);
    assert_step_up(
        &api.as_token(&stale)
            .send(Call::create_my_token(&multi_token_named("ci", &[&ws])))
            .await,
    );
    let code = pending_login(&api).await;
    assert_step_up(&api.as_token(&stale).send(Call::approve_device(&code)).await);
    assert_step_up(
        &ada.send(Call::add_member(&ws, "usr_bob", TokenRole::Member))
            .await,
    );
    assert_step_up(&api.as_token(&stale).send(Call::end_other_sessions()).await);
    let cli = akua_core::issue::session(
        &api.engine.store,
        akua_core::UserId::parse("usr_ada").unwrap(),
        clock::now(),
    )
    .await
    .unwrap()
    .1;
    assert_step_up(
        &api.as_token(&stale)
            .send(Call::end_session(cli.id.as_str()))
            .await,
    );
    // Nothing was written on the way.
    assert!(
        ada.send(Call::list_tokens(Query::new()))
            .await
            .ok::<Page<TokenSummary>>()
            .data
            .is_empty(),
        "no token was created"
    );

    // A fresh sign-in renews the same session (no second one)...
    let fresh = api.jwt_signed_in("usr_ada", Some(clock::now()));
    let r = api
        .as_token(&fresh)
        .send(reauthenticate(&stale, None))
        .await;
    let renewed: SessionView = r.ok();
    assert!(renewed.signed_in_at.unwrap() >= clock::now() - 5);
    let sessions = api
        .as_token(&stale)
        .send(Call::list_sessions(Query::new()))
        .await;
    let dashboards: Vec<_> = sessions
        .ok::<Page<SessionSummary>>()
        .data
        .into_iter()
        .filter(|s| s.client == SessionClient::Dashboard)
        .collect();
    assert_eq!(dashboards.len(), 1, "{:?}", sessions.body);
    // ...written to the person's own log with the renewal.
    let log = api
        .as_token(&stale)
        .send(Call::my_audit_log(
            Query::new().action("session.reauthenticated"),
        ))
        .await;
    let events = log.ok::<Page<AuditEntry>>().data;
    assert_eq!(events.len(), 1, "{:?}", log.body);
    assert_eq!(events[0].target.id, dashboards[0].id);
    // ...and the actions go through.
    let r = ada.send(mint("ci")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = api.as_token(&stale).send(Call::approve_device(&code)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

#[tokio::test]
async fn a_session_from_a_fresh_sign_in_mints_and_approves_at_once() {
    let api = Api::start().await;
    let ws = workspace(&api).await;
    let fresh = dashboard_session(&api, "usr_ada", Some(clock::now() - 60)).await;
    let r = api.as_token(&fresh).in_ws(&ws).send(mint("ci")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let code = pending_login(&api).await;
    let r = api.as_token(&fresh).send(Call::approve_device(&code)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

/// A session started without `auth_time` (or stored before sudo mode) has
/// no sign-in time: never recent, until renewed.
#[tokio::test]
async fn a_session_without_a_sign_in_time_is_never_recent() {
    let api = Api::start().await;
    let ws = workspace(&api).await;
    let unknown = dashboard_session(&api, "usr_ada", None).await;
    assert_step_up(&api.as_token(&unknown).in_ws(&ws).send(mint("ci")).await);
}

/// Machine credentials never sign in, so sudo mode does not apply to them,
/// except that none of them approves a device login: a person is at the
/// browser by definition.
#[tokio::test]
async fn machines_mint_as_before_but_never_approve_a_device_login() {
    let api = Api::start().await;
    let ws = workspace(&api).await;
    let machine_jwt = api.jwt_signed_in("usr_ada", None);
    let r = api
        .as_token(&machine_jwt)
        .in_ws(&ws)
        .send(Call::create_token(&CreateApiTokenRequest {
            role: Some(TokenRole::Admin),
            ..token_named("deployer")
        }))
        .await;
    let created: CreatedApiToken = r.expect(StatusCode::CREATED);
    let admin_token = created.token.expose().to_owned();
    let r = api.as_token(&admin_token).send(mint("child")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    let code = pending_login(&api).await;
    for machine in [machine_jwt.as_str(), admin_token.as_str()] {
        let r = api
            .as_token(machine)
            .send(Call::approve_device(&code))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    }
    // A stale JWT used directly is asked to sign in again.
    let stale_jwt = api.jwt_signed_in("usr_ada", Some(clock::now() - HOURS_3));
    assert_step_up(
        &api.as_token(&stale_jwt)
            .send(Call::approve_device(&code))
            .await,
    );
}

#[tokio::test]
async fn raising_a_member_needs_a_recent_sign_in_lowering_does_not() {
    let api = Api::start().await;
    let ws = workspace(&api).await;
    api.add_member(&ws, "usr_bob", akua_core::Role::Admin).await;
    let stale = api.jwt_signed_in("usr_ada", Some(clock::now() - HOURS_3));
    let bob = |role| Call::change_role(&ws, "usr_bob", role);
    let r = api.as_token(&stale).send(bob(TokenRole::Member)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_step_up(&api.as_token(&stale).send(bob(TokenRole::Admin)).await);
    let r = api.as_user("usr_ada").send(bob(TokenRole::Admin)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

/// Renewing takes a fresh sign-in of the session's own person, for a
/// dashboard session; anything else renews nothing.
#[tokio::test]
async fn only_a_fresh_sign_in_of_the_same_person_renews_a_dashboard_session() {
    let api = Api::start().await;
    let stale = dashboard_session(&api, "usr_ada", Some(clock::now() - HOURS_3)).await;
    let api = &api;
    let renew =
        |bearer: String, session: &str| api.as_token(&bearer).send(reauthenticate(session, None));
    let now = clock::now();
    // Another person's fresh sign-in: as if the session did not exist.
    let r = renew(api.jwt_signed_in("usr_eve", Some(now)), &stale).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    // A stale sign-in proves nothing.
    assert_step_up(&renew(api.jwt_signed_in("usr_ada", Some(now - HOURS_3)), &stale).await);
    // A JWT without auth_time cannot say when anyone signed in.
    let r = renew(api.jwt_signed_in("usr_ada", None), &stale).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    // The session itself cannot renew itself.
    let r = renew(stale.clone(), &stale).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    // A CLI session never signs in at a browser.
    let cli = akua_core::issue::session(
        &api.engine.store,
        akua_core::UserId::parse("usr_ada").unwrap(),
        now,
    )
    .await
    .unwrap()
    .0;
    let r = renew(api.jwt_signed_in("usr_ada", Some(now)), cli.expose()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    // Not a session token at all.
    let r = renew(api.jwt_signed_in("usr_ada", Some(now)), "short").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    // After all that, the session is still stale.
    assert_step_up(&api.as_token(&stale).send(Call::end_other_sessions()).await);
}

/// Where the identity provider leaves `auth_time` out of access tokens, the
/// dashboard sends the sign-in's ID token and nonce: the session's sign-in
/// time is the verified ID token's, never the access token's `iat`.
#[tokio::test]
async fn an_id_token_of_the_same_sign_in_gives_the_session_its_time() {
    let api = Api::start().await;
    let ws = workspace(&api).await;
    let now = clock::now();
    let access = api.jwt_signed_in("usr_ada", None);
    let start = |oidc: Option<SignInEvidence>| {
        api.as_token(&access)
            .send(Call::start_session(&StartSessionRequest { oidc }))
    };
    // Not of this sign-in: another nonce, another person, another audience
    // (the access token itself). Half the evidence is a wire test.
    let id_token = api.id_token("usr_ada", "nonce-1", now - 60);
    for (oidc, field) in [
        (evidence(&id_token, "nonce-2"), "oidc.id_token"),
        (
            evidence(&api.id_token("usr_eve", "nonce-1", now), "nonce-1"),
            "oidc.id_token",
        ),
        (evidence(&access, "nonce-1"), "oidc.id_token"),
        // What a copied ID token shows is the nonce's hash, not its secret.
        (
            evidence(&id_token, &akua_core::sessions::nonce_of("nonce-1")),
            "oidc.id_token",
        ),
    ] {
        let r = start(Some(oidc)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert_eq!(r.body["error"]["field"], field);
    }
    // Of this sign-in: the session carries its time and mints at once.
    let session = token_of(&start(Some(evidence(&id_token, "nonce-1"))).await);
    let status: SessionView = api.as_token(&session).send(Call::session()).await.ok();
    assert_eq!(status.signed_in_at, Some(now - 60));
    let r = api.as_token(&session).in_ws(&ws).send(mint("ci")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // Without the evidence the same access token starts a session with no
    // sign-in time, which must sign in again first.
    let bare = token_of(&api.as_token(&access).send(start_session()).await);
    assert_step_up(&api.as_token(&bare).in_ws(&ws).send(mint("ci")).await);
    // Renewing it with a fresh sign-in's ID token works the same way.
    let fresh = api.id_token("usr_ada", "nonce-3", clock::now());
    let r = api
        .as_token(&access)
        .send(reauthenticate(&bare, Some(evidence(&fresh, "nonce-3"))))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = api.as_token(&bare).in_ws(&ws).send(mint("ci-2")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

/// A sign-in time ahead of the clock (the identity provider's skew) is
/// taken as now, never as later, so skew cannot stretch the window.
#[tokio::test]
async fn a_sign_in_time_ahead_of_the_clock_is_kept_as_now() {
    let api = Api::start().await;
    let ahead = dashboard_session(&api, "usr_ada", Some(clock::now() + 30)).await;
    let status: SessionView = api.as_token(&ahead).send(Call::session()).await.ok();
    assert!(status.signed_in_at.unwrap() <= clock::now());
    let far = dashboard_session(&api, "usr_ada", Some(clock::now() + 3600)).await;
    let status: SessionView = api.as_token(&far).send(Call::session()).await.ok();
    assert!(status.signed_in_at.is_none(), "{status:?}");
}

/// Evidence the core's types cannot even spell: half of it.
mod wire {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn half_the_evidence_of_a_sign_in_is_refused_naming_the_missing_half() {
        let api = Api::start().await;
        let access = api.jwt_signed_in("usr_ada", None);
        let id_token = api.id_token("usr_ada", "nonce-1", clock::now() - 60);
        let r = api
            .as_token(&access)
            .post("/v1/auth/sessions", json!({"oidc": {"id_token": id_token}}))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert_eq!(r.body["error"]["field"], "oidc.nonce");
    }
}
