//! CLI login by device flow (RFC 8628), session status/refresh/logout,
//! whoami, and the cleanup sweep.

use akua_core::decision::SESSION_LIFETIME_SECS;
use akua_core::device::{
    self, AccessToken, DEVICE_GRANT_TYPE, DeviceAuthorization, MAX_APPROVAL_MISSES, PendingLogin,
    UserCode,
};
use akua_core::issue::{self, NewApiToken};
use akua_core::ports::CredentialStore as _;
use akua_core::sessions::{SessionView, Whoami};
use akua_core::{
    CredentialHash, CredentialKind, Name, Role, TokenRole, UserId, WorkspaceId, clock,
};
use akua_http::HttpStatus;
use akua_tests::{Api, Call, Reply};
use axum::http::StatusCode;
use serde::Deserialize;

async fn start_login(api: &Api) -> (String, String) {
    let r = api.anonymous().send(Call::device_code("cnap")).await;
    let login: DeviceAuthorization = r.ok();
    (login.device_code.expose().to_owned(), login.user_code)
}

async fn poll(api: &Api, device_code: &str) -> Reply {
    api.anonymous()
        .send(Call::device_token(device_code, "cnap"))
        .await
}

async fn answer(api: &Api, user: &str, code: &str, approve: bool) -> Reply {
    let call = if approve {
        Call::approve_device(code)
    } else {
        Call::deny_device(code)
    };
    api.as_user(user).send(call).await
}

/// The answer to approving or denying a device login: exactly its status.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct Answered {
    status: String,
}

fn answered(status: &str) -> Answered {
    Answered {
        status: status.to_owned(),
    }
}

/// Moves a pending grant's last poll into the past, as if `secs` had passed.
async fn age_last_poll(api: &Api, device_code: &str, secs: i64) {
    use aws_sdk_dynamodb::types::AttributeValue::{N, S};
    let hash = CredentialHash::of(device_code);
    api.engine
        .store
        .client()
        .update_item()
        .table_name(&api.engine.table)
        .key("pk", S(format!("DEVICE#{}", hash.to_hex())))
        .key("sk", S("DEVICE".into()))
        .update_expression("SET last_poll_at = last_poll_at - :s")
        .expression_attribute_values(":s", N(secs.to_string()))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn the_whole_device_flow() {
    let api = Api::start().await;
    let r = api
        .anonymous()
        .send(Call::device_code("cnap").field("scope", "api"))
        .await;
    let b: DeviceAuthorization = r.ok();
    let user_code = b.user_code.as_str();
    assert!(regex_like_user_code(user_code), "{user_code}");
    assert_eq!(b.verification_uri, "http://127.0.0.1:8787/device");
    assert_eq!(
        b.verification_uri_complete,
        format!("http://127.0.0.1:8787/device?user_code={user_code}")
    );
    assert!((600..=900).contains(&b.expires_in));
    assert_eq!(b.interval, 5);
    let device_code = b.device_code.expose().to_owned();

    // Pending, then polling too fast: slow_down.
    let r = poll(&api, &device_code).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("authorization_pending"))
    );
    assert!(r.body["error_description"].is_string());
    let r = poll(&api, &device_code).await;
    assert_eq!(r.body["error"], "slow_down");
    // The interval grew by 5 s (to 10): waiting 6 s is still too fast, and
    // each further slow_down grows it again (to 15, then 20). The waits keep
    // a few seconds of margin so a slow machine cannot cross a boundary.
    age_last_poll(&api, &device_code, 6).await;
    assert_eq!(poll(&api, &device_code).await.body["error"], "slow_down");
    age_last_poll(&api, &device_code, 10).await;
    assert_eq!(poll(&api, &device_code).await.body["error"], "slow_down");
    age_last_poll(&api, &device_code, 25).await;
    assert_eq!(
        poll(&api, &device_code).await.body["error"],
        "authorization_pending"
    );

    // The user approves in the browser (lowercase, no dash is fine).
    let typed = user_code.replace('-', "").to_lowercase();
    let r = answer(&api, "usr_ada", &typed, true).await;
    assert_eq!(r.ok::<Answered>(), answered("approved"));

    age_last_poll(&api, &device_code, 60).await;
    let r = poll(&api, &device_code).await;
    let granted: AccessToken = r.ok();
    assert_eq!(granted.token_type, "Bearer");
    assert_eq!(granted.expires_in, SESSION_LIFETIME_SECS);
    let session = granted.access_token.expose().to_owned();
    assert_eq!(session.len(), 32);

    // The session works and belongs to the approving user.
    let r = api.as_token(&session).send(Call::whoami()).await;
    let me: Whoami = r.ok();
    assert_eq!(me.credential, CredentialKind::Session);
    assert_eq!(me.user_id.as_deref(), Some("usr_ada"));

    // A second redemption of the same device code fails.
    let r = poll(&api, &device_code).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // The user code is single-use.
    assert_eq!(
        answer(&api, "usr_ada", user_code, true).await.status,
        StatusCode::NOT_FOUND
    );
}

fn regex_like_user_code(code: &str) -> bool {
    let bytes = code.as_bytes();
    bytes.len() == 9
        && bytes[4] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || b"BCDFGHJKLMNPQRSTVWXZ".contains(b))
}

#[tokio::test]
async fn an_unknown_client_or_device_code_gets_oauth_errors() {
    let api = Api::start().await;
    let (device_code, _) = start_login(&api).await;
    let cases = [
        (Call::device_code("someone-else"), "invalid_client"),
        (Call::device_token("nope", "cnap"), "invalid_grant"),
        (Call::device_token(&device_code, "other"), "invalid_grant"),
    ];
    for (call, error) in cases {
        let what = format!("{} {:?}", call.path, call.body);
        let r = api.anonymous().send(call).await;
        assert_eq!(
            (r.status, r.body["error"].as_str().unwrap_or("")),
            (StatusCode::BAD_REQUEST, error),
            "{what}"
        );
    }
}

#[tokio::test]
async fn deny_ends_in_access_denied() {
    let api = Api::start().await;
    let (device_code, user_code) = start_login(&api).await;
    let r = answer(&api, "usr_ada", &user_code, false).await;
    assert_eq!(r.ok::<Answered>(), answered("denied"));
    assert_eq!(
        poll(&api, &device_code).await.body["error"],
        "access_denied"
    );
}

#[tokio::test]
async fn an_expired_code_is_expired_token() {
    let api = Api::start().await;
    let store = &api.engine.store;
    let config = akua_core::device::DeviceConfig {
        verification_uri: "http://x/device".into(),
        client_ids: vec!["cnap".into()],
    };
    let now = clock::now();
    let params = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    };
    let auth = device::authorize(
        store,
        &config,
        &params(&[("client_id", "cnap")]),
        &akua_core::audit::Origin::default(),
        now,
    )
    .await
    .unwrap();
    let later = now + device::CODE_LIFETIME_SECS;
    let poll = params(&[
        ("grant_type", DEVICE_GRANT_TYPE),
        ("device_code", auth.device_code.expose()),
        ("client_id", "cnap"),
    ]);
    assert_eq!(
        device::token(store, &poll, later).await.unwrap_err().error,
        "expired_token"
    );
    // Nor can it be approved any more.
    let ada = akua_core::Principal::Person(akua_core::principal::Person {
        user_id: UserId::parse("usr_ada").unwrap(),
        credential: akua_core::principal::PersonCredential::Jwt,
        scope: None,
        expires_at: None,
        sign_in: akua_core::sudo::SignIn::Machine,
    });
    let e = device::answer(
        store,
        &ada,
        &akua_core::audit::Origin::default(),
        &auth.user_code,
        true,
        later,
    )
    .await
    .unwrap_err();
    assert_eq!(e.status(), 404);
}

#[tokio::test]
async fn user_code_guessing_is_throttled() {
    let api = Api::start().await;
    let (_, real) = start_login(&api).await;
    for i in 0..MAX_APPROVAL_MISSES {
        let guess = if i % 2 == 0 {
            "BBBB-BBBB"
        } else {
            "not a code"
        };
        let r = answer(&api, "usr_mallory", guess, true).await;
        assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    }
    // Now even the right code is refused for this user.
    let r = answer(&api, "usr_mallory", &real, true).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::TOO_MANY_REQUESTS, "rate_limited")
    );
    // Another user is not affected.
    assert_eq!(
        answer(&api, "usr_ada", &real, true).await.status,
        StatusCode::OK
    );
}

/// RFC 8628 §5.4: the person approving sees when and from where the login
/// was asked for, so that one someone else started stands out.
#[tokio::test]
async fn a_pending_login_shows_when_where_and_what_asked_for_it() {
    let api = Api::start().await;
    let before = clock::now();
    let r = api
        .anonymous()
        .send(Call::device_code("cnap").header("user-agent", "cnap/0.1.0 (linux; x86_64)"))
        .await;
    let code = r.ok::<DeviceAuthorization>().user_code;
    let r = api
        .as_user("usr_ada")
        .send(Call::device_pending(&code))
        .await;
    let pending: PendingLogin = r.ok();
    assert!((before..=clock::now()).contains(&pending.requested_at));
    assert_eq!(pending.ip_address.as_deref(), Some("127.0.0.1"));
    assert_eq!(
        pending.user_agent.as_deref(),
        Some("cnap/0.1.0 (linux; x86_64)")
    );
}

#[tokio::test]
async fn a_pending_login_shows_its_client_and_lookups_share_the_guess_budget() {
    let api = Api::start().await;
    let (_, real) = start_login(&api).await;
    let ada = api.as_user("usr_ada");
    let pending: PendingLogin = ada.send(Call::device_pending(&real)).await.ok();
    assert_eq!(pending.client_id, "cnap");
    assert_eq!(pending.user_code, real);
    // Looking up unknown codes spends the same budget as answering them.
    let mallory = api.as_user("usr_mallory");
    for _ in 0..MAX_APPROVAL_MISSES {
        let r = mallory.send(Call::device_pending("BBBB-BBBB")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    let r = answer(&api, "usr_mallory", &real, true).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    // Looking up does not answer: the login is still pending for Ada.
    assert_eq!(
        answer(&api, "usr_ada", &real, true).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn only_user_credentials_can_approve() {
    let api = Api::start().await;
    let (_, code) = start_login(&api).await;
    let (token, _) = issue::api_token(
        &api.engine.store,
        NewApiToken {
            restrictions: Default::default(),
            workspace_id: WorkspaceId::parse("ws_a").unwrap(),
            name: Name::parse("t").unwrap(),
            role: TokenRole::Admin,
            created_by: None,
            expires_at: None,
        },
        None,
        clock::now(),
    )
    .await
    .unwrap();
    let r = api
        .as_token(token.expose())
        .send(Call::approve_device(&code))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api.anonymous().send(Call::approve_device(&code)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

async fn logged_in(api: &Api, user: &str) -> String {
    let (session, _) = issue::session(
        &api.engine.store,
        UserId::parse(user).unwrap(),
        clock::now(),
    )
    .await
    .unwrap();
    session.expose().to_owned()
}

#[tokio::test]
async fn session_status_refresh_and_logout() {
    let api = Api::start().await;
    let session = logged_in(&api, "usr_ada").await;
    let r = api.as_token(&session).send(Call::session()).await;
    let view: SessionView = r.ok();
    assert!(view.id.starts_with("ses_"));
    assert_eq!(view.user_id, "usr_ada");
    let mut keys: Vec<_> = r.body.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "created_at",
            "expires_at",
            "id",
            "last_used_at",
            "signed_in_at",
            "user_id"
        ]
    );
    assert!(
        view.signed_in_at.is_none(),
        "a CLI session never signs in at a browser"
    );
    assert!(
        view.last_used_at.is_some(),
        "the authorizer recorded the use"
    );

    let r = api.as_token(&session).send(Call::refresh()).await;
    let expires = r.ok::<SessionView>().expires_at;
    assert!((expires - (clock::now() + SESSION_LIFETIME_SECS)).abs() <= 2);

    let r = api.as_token(&session).send(Call::logout()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api.as_token(&session).send(Call::whoami()).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
}

#[tokio::test]
async fn session_endpoints_refuse_other_credentials_with_400() {
    let api = Api::start().await;
    let ada = api.as_user("usr_ada");
    for call in [Call::session(), Call::refresh(), Call::logout()] {
        let what = format!("{} {}", call.method, call.path);
        let r = ada.send(call).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, "bad_request"),
            "{what}"
        );
    }
}

#[tokio::test]
async fn whoami_reports_the_resolved_credential() {
    let api = Api::start().await;
    api.add_member("ws_acme", "usr_ada", Role::Admin).await;
    let ada = api.as_user("usr_ada");
    let me: Whoami = ada.in_ws("ws_acme").send(Call::whoami()).await.ok();
    assert_eq!(me.credential, CredentialKind::Jwt);
    assert_eq!(
        (me.workspace_id.as_deref(), me.role),
        (Some("ws_acme"), Some(Role::Admin))
    );
    assert_eq!(me.token_id, None);
    let session = logged_in(&api, "usr_ada").await;
    let me: Whoami = api.as_token(&session).send(Call::whoami()).await.ok();
    assert_eq!((me.workspace_id, me.role), (None, None));
    assert!(me.token_id.unwrap().starts_with("ses_"));
    assert!(me.expires_at.is_some());
}

#[tokio::test]
async fn cleanup_deletes_exactly_the_expired_items_and_reads_only_them() {
    let api = Api::start().await;
    let store = &api.engine.store;
    let now = clock::now();
    let ws = WorkspaceId::parse("ws_acme").unwrap();
    let token = |expires_at| NewApiToken {
        restrictions: Default::default(),
        workspace_id: ws.clone(),
        name: Name::parse("t").unwrap(),
        role: TokenRole::Member,
        created_by: None,
        expires_at,
    };
    // Live: 150 tokens without expiry, 30 with, 20 sessions. Expired: 5 tokens, 3 sessions.
    for _ in 0..150 {
        issue::api_token(store, token(None), None, now - 100)
            .await
            .unwrap();
    }
    for _ in 0..30 {
        issue::api_token(store, token(Some(now + 3600)), None, now - 100)
            .await
            .unwrap();
    }
    let mut live_sessions = Vec::new();
    for _ in 0..20 {
        live_sessions.push(
            issue::session(store, UserId::parse("usr_a").unwrap(), now)
                .await
                .unwrap()
                .0,
        );
    }
    let mut expired = Vec::new();
    for _ in 0..5 {
        expired.push(
            issue::api_token(store, token(Some(now - 1)), None, now - 100)
                .await
                .unwrap()
                .0
                .hash(),
        );
    }
    for _ in 0..3 {
        let (s, _) = issue::session(
            store,
            UserId::parse("usr_b").unwrap(),
            now - SESSION_LIFETIME_SECS - 10,
        )
        .await
        .unwrap();
        expired.push(s.hash());
    }
    // An expired device grant and its user code.
    let config = akua_core::device::DeviceConfig {
        verification_uri: "x".into(),
        client_ids: vec!["cnap".into()],
    };
    let params = [("client_id".to_owned(), "cnap".to_owned())]
        .into_iter()
        .collect();
    device::authorize(
        store,
        &config,
        &params,
        &akua_core::audit::Origin::default(),
        now - 3600,
    )
    .await
    .unwrap();
    let before = api.engine.all_items().await.len();

    // Deleting first, expiry notices off (their cost is measured below).
    let deleting = store.clone().with_expiring_notice_days(0);
    api.engine.calls.reset();
    let summary = akua_store::sweep::run(&deleting, now).await.unwrap();
    assert_eq!(summary.deleted, 5 + 3 + 2, "{summary:?}");
    assert_eq!(summary.skipped, 0);
    // Reads: one query page per shard (no Scan); writes: one transaction per expired item.
    assert_eq!(api.engine.calls.count("Scan"), 0);
    assert_eq!(
        api.engine.calls.count("Query"),
        u64::from(akua_store::table::EXPIRY_SHARDS),
        "{:?}",
        api.engine.calls.snapshot()
    );
    assert_eq!(api.engine.calls.count("TransactWriteItems"), 10);
    // 8 credentials + 8 pointers + grant + user code.
    assert_eq!(api.engine.all_items().await.len(), before - 18);
    for hash in &expired {
        assert!(
            api.engine
                .raw_item(&format!("CRED#{}", hash.to_hex()), "CRED")
                .await
                .is_none()
        );
    }
    for s in &live_sessions {
        let r = api.as_token(s.expose()).send(Call::whoami()).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    // Running again finds nothing; running twice at once is harmless.
    let (a, b) = tokio::join!(
        akua_store::sweep::run(&deleting, now),
        akua_store::sweep::run(&deleting, now)
    );
    assert_eq!(a.unwrap().deleted + b.unwrap().deleted, 0);

    // Expiry notices: the 30 tokens expiring within the hour get one each.
    // Per token: its pointer, its credential and its notice record read,
    // one transaction; one more query page per shard. The next run reads
    // the same and writes nothing.
    for (notices, writes) in [(30, 30), (0, 0)] {
        api.engine.calls.reset();
        let summary = akua_store::sweep::run(store, now).await.unwrap();
        assert_eq!(summary.notices, notices, "{summary:?}");
        let calls = api.engine.calls.snapshot();
        assert_eq!(
            api.engine.calls.count("Query"),
            2 * u64::from(akua_store::table::EXPIRY_SHARDS),
            "{calls:?}"
        );
        assert_eq!(api.engine.calls.count("GetItem"), 3 * 30, "{calls:?}");
        assert_eq!(
            api.engine.calls.count("TransactWriteItems"),
            writes,
            "{calls:?}"
        );
    }
}

#[tokio::test]
async fn cleanup_spares_a_session_refreshed_after_it_was_listed() {
    let api = Api::start().await;
    let store = &api.engine.store;
    let now = clock::now();
    let (s, record) = issue::session(
        store,
        UserId::parse("usr_a").unwrap(),
        now - SESSION_LIFETIME_SECS - 5,
    )
    .await
    .unwrap();
    let mut all = Vec::new();
    for shard in akua_store::keys::expiry_shards() {
        all.extend(
            store
                .due_page(akua_store::sweep::Due::Expired, &shard, now, 100, None)
                .await
                .unwrap()
                .items,
        );
    }
    assert_eq!(all.len(), 1);
    // Between the sweep's read and its delete, the session is brought back
    // to life by the store (a refresh racing the sweep).
    {
        use aws_sdk_dynamodb::types::AttributeValue::{N, S};
        store
            .client()
            .update_item()
            .table_name(store.table())
            .key("pk", S(format!("CRED#{}", s.hash().to_hex())))
            .key("sk", S("CRED".into()))
            .update_expression("SET expires_at = :e")
            .expression_attribute_values(":e", N((now + 100).to_string()))
            .send()
            .await
            .unwrap();
    }
    assert!(!store.delete_expired(&all[0], now).await.unwrap());
    assert!(
        store.pointer(record.id.as_str()).await.unwrap().is_some(),
        "pointer kept with its credential"
    );
    let _ = UserCode::generate();
}

/// The device endpoints' wire: JSON as well as forms, and bodies the
/// harness's calls cannot even spell (a missing field, another grant
/// type, a number for a string).
mod wire {
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn json_bodies_work_too_and_bad_input_gets_oauth_errors() {
        let api = Api::start().await;
        let r = api
            .anonymous()
            .post("/v1/auth/device/code", json!({"client_id": "cnap"}))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let device_code = r.body["device_code"].as_str().unwrap().to_owned();
        let r = api
            .anonymous()
            .post(
                "/v1/auth/device/token",
                json!({"grant_type": DEVICE_GRANT_TYPE, "device_code": device_code, "client_id": "cnap"}),
            )
            .await;
        assert_eq!(r.body["error"], "authorization_pending");

        type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str);
        let cases: Vec<Case> = vec![
            ("/v1/auth/device/code", vec![], "invalid_request"),
            (
                "/v1/auth/device/token",
                vec![("device_code", "x"), ("client_id", "cnap")],
                "invalid_request",
            ),
            (
                "/v1/auth/device/token",
                vec![
                    ("grant_type", "password"),
                    ("device_code", "x"),
                    ("client_id", "cnap"),
                ],
                "unsupported_grant_type",
            ),
            (
                "/v1/auth/device/token",
                vec![("grant_type", DEVICE_GRANT_TYPE), ("client_id", "cnap")],
                "invalid_request",
            ),
        ];
        for (path, fields, error) in cases {
            let r = api.form(path, &fields).await;
            assert_eq!(
                (r.status, r.body["error"].as_str().unwrap_or("")),
                (StatusCode::BAD_REQUEST, error),
                "{path} {fields:?}"
            );
        }
        let r = api
            .anonymous()
            .post("/v1/auth/device/code", json!({"client_id": 5}))
            .await;
        assert_eq!(r.body["error"], "invalid_request");
    }
}
