//! Fault injection: DynamoDB slow past the timeout, throttling, failing,
//! cancelling transactions, failing conditions — through the real SDK, for
//! every function. The authorizer never allows; handlers answer a clean 5xx
//! in the envelope (503 where retrying helps) and never leave half an item.

use std::time::{Duration, Instant};

use akua_core::device::DeviceAuthorization;
use akua_core::tokens::CreatedApiToken;
use akua_core::workspaces::WorkspaceView;
use akua_core::{Role, TokenRole, UserId, clock, issue};
use akua_testkit::Fault;
use akua_tests::calls::token_named;
use akua_tests::{Api, Call, Query};
use axum::http::StatusCode;

const WS: &str = "ws_acme";

/// Items of a kind in the table, read directly from the engine.
async fn count(api: &Api, pk_prefix: &str) -> usize {
    api.engine
        .all_items()
        .await
        .iter()
        .filter(|i| i["pk"].as_s().is_ok_and(|pk| pk.starts_with(pk_prefix)))
        .count()
}

#[tokio::test]
async fn the_authorizer_never_allows_when_the_store_is_sick() {
    let (api, proxy) = Api::start_faulty().await;
    api.add_member(WS, "usr_owner", Role::Owner).await;
    let (session, _) = issue::session(
        &api.engine.store,
        UserId::parse("usr_owner").unwrap(),
        clock::now(),
    )
    .await
    .unwrap();
    let owner = api.as_user("usr_owner");
    for fault in [
        Fault::Delay(Duration::from_secs(3)),
        Fault::Throttle,
        Fault::ServerError,
    ] {
        proxy.set(Some("GetItem"), fault);
        for caller in [api.as_token(session.expose()), owner.in_ws(WS)] {
            let started = Instant::now();
            let r = caller.send(Call::list_tokens(Query::new())).await;
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable"),
                "{fault:?}"
            );
            assert!(
                started.elapsed() < Duration::from_millis(2500),
                "{fault:?} took {:?}",
                started.elapsed()
            );
        }
    }
    // A failed guarded write (the item vanished meanwhile) is a refusal too.
    proxy.set(Some("UpdateItem"), Fault::ConditionFailed);
    let r = api.as_token(session.expose()).send(Call::whoami()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    proxy.heal();
    assert_eq!(
        api.as_token(session.expose())
            .send(Call::whoami())
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn token_writes_fail_cleanly_and_leave_nothing_half_done() {
    let (api, proxy) = Api::start_faulty().await;
    api.add_member(WS, "usr_owner", Role::Owner).await;
    let owner = api.as_user("usr_owner");
    let r = owner
        .in_ws(WS)
        .send(Call::create_token(&token_named("keep")))
        .await;
    let created: CreatedApiToken = r.expect(StatusCode::CREATED);
    let (token, id) = (created.token.expose().to_owned(), created.id);

    for (fault, status) in [
        (Fault::Throttle, StatusCode::SERVICE_UNAVAILABLE),
        (Fault::ServerError, StatusCode::SERVICE_UNAVAILABLE),
        (
            Fault::Delay(Duration::from_secs(3)),
            StatusCode::SERVICE_UNAVAILABLE,
        ),
        (Fault::CancelTransaction, StatusCode::INTERNAL_SERVER_ERROR),
    ] {
        proxy.set(Some("TransactWriteItems"), fault);
        let r = owner
            .in_ws(WS)
            .send(Call::create_token(&token_named("x")))
            .await;
        assert_eq!(r.status, status, "create under {fault:?}: {:?}", r.body);
        assert!(r.body["error"]["code"].is_string());
        assert!(
            !r.body.to_string().contains("sk_akua_"),
            "no token handed out for a failed create"
        );
        let r = owner.in_ws(WS).send(Call::revoke_token(&id)).await;
        assert!(
            r.status.is_server_error() || r.status == StatusCode::NOT_FOUND,
            "revoke under {fault:?}: {}",
            r.status
        );
        // Exactly the one token: credential and pointer, together.
        assert_eq!(count(&api, "CRED#").await, 1, "{fault:?}");
        assert_eq!(count(&api, "TOKEN#").await, 1, "{fault:?}");
    }
    proxy.set(Some("Query"), Fault::Throttle);
    let r = owner.in_ws(WS).send(Call::list_tokens(Query::new())).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable")
    );
    proxy.heal();
    // The surviving token still works and still revokes normally.
    assert_eq!(
        api.as_token(&token)
            .send(Call::list_tokens(Query::new()))
            .await
            .status,
        StatusCode::OK
    );
    let r = owner.in_ws(WS).send(Call::revoke_token(&id)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(count(&api, "CRED#").await + count(&api, "TOKEN#").await, 0);
}

#[tokio::test]
async fn workspace_and_member_writes_fail_cleanly() {
    let (api, proxy) = Api::start_faulty().await;
    let owner = api.as_user("usr_owner");
    proxy.set(Some("TransactWriteItems"), Fault::ServerError);
    let r = owner.send(Call::create_workspace("W")).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable")
    );
    assert_eq!(
        count(&api, "WS#").await,
        0,
        "no workspace without its owner, nor the other way round"
    );
    proxy.heal();
    let r = owner.send(Call::create_workspace("W")).await;
    let ws = r.expect::<WorkspaceView>(StatusCode::CREATED).id;
    // Adding a member is one transaction with its audit event.
    for op in ["TransactWriteItems", "Query", "BatchGetItem", "GetItem"] {
        proxy.set(Some(op), Fault::Throttle);
        let r = match op {
            "TransactWriteItems" => {
                owner
                    .send(Call::add_member(&ws, "u2", TokenRole::Member))
                    .await
            }
            _ => owner.send(Call::list_workspaces(Query::new())).await,
        };
        // GetItem is the authorizer's membership read only with a header; the
        // list itself reads an index and the workspace items.
        if op != "GetItem" {
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::SERVICE_UNAVAILABLE, "service_unavailable"),
                "{op}"
            );
        } else {
            assert!(
                r.status == StatusCode::OK || r.status == StatusCode::SERVICE_UNAVAILABLE,
                "{op}: {}",
                r.status
            );
        }
    }
}

#[tokio::test]
async fn device_login_under_faults_answers_oauth_errors_and_issues_at_most_one_session() {
    let (api, proxy) = Api::start_faulty().await;
    proxy.set(Some("TransactWriteItems"), Fault::Throttle);
    let device = api.anonymous();
    let r = device.send(Call::device_code("cnap")).await;
    assert_eq!(
        (r.status, r.body["error"].as_str()),
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("temporarily_unavailable")
        )
    );
    assert_eq!(
        count(&api, "DEVICE#").await + count(&api, "USERCODE#").await,
        0
    );
    proxy.heal();
    let r = device.send(Call::device_code("cnap")).await;
    let started: DeviceAuthorization = r.ok();
    let device_code = started.device_code.expose().to_owned();
    let ada = api.as_user("usr_ada");
    let r = ada.send(Call::approve_device(&started.user_code)).await;
    assert_eq!(r.status, StatusCode::OK);
    // Redemption fails in the store: no session is half-created, and the
    // grant can still be redeemed once the store recovers.
    proxy.set(Some("TransactWriteItems"), Fault::ServerError);
    let poll = || device.send(Call::device_token(&device_code, "cnap"));
    let r = poll().await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(count(&api, "CRED#").await + count(&api, "TOKEN#").await, 0);
    proxy.heal();
    let r = poll().await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(count(&api, "CRED#").await, 1);
    assert_eq!(count(&api, "TOKEN#").await, 1);
}

#[tokio::test]
async fn cleanup_under_faults_stops_without_half_deletes() {
    let (api, proxy) = Api::start_faulty().await;
    let now = clock::now();
    for _ in 0..3 {
        issue::session(
            &api.engine.store,
            UserId::parse("u").unwrap(),
            now - 2 * 365 * 86400,
        )
        .await
        .unwrap();
    }
    let faulty = akua_store::DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(akua_store::endpoint_config(&proxy.endpoint).build()),
        api.engine.table.clone(),
    );
    for fault in [
        Fault::Throttle,
        Fault::ServerError,
        Fault::Delay(Duration::from_secs(3)),
    ] {
        proxy.set(Some("TransactWriteItems"), fault);
        assert!(
            akua_store::sweep::run(&faulty, now).await.is_err(),
            "{fault:?}"
        );
        assert_eq!(
            count(&api, "CRED#").await,
            count(&api, "TOKEN#").await,
            "{fault:?}"
        );
    }
    proxy.heal();
    assert_eq!(
        akua_store::sweep::run(&faulty, now).await.unwrap().deleted,
        3
    );
    assert!(api.engine.all_items().await.is_empty());
}
