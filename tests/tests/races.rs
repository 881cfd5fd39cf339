//! Races: what concurrent traffic must never break.

use akua_core::ports::CredentialStore as _;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use akua_core::decision::SESSION_LIFETIME_SECS;
use akua_core::ports::{DecisionStore, Touch, TouchOutcome};
use akua_core::{Authorizer, Decision, Role, UserId, clock, issue};
use akua_tests::calls::token_named;
use akua_tests::{Api, Call, Query};
use axum::http::StatusCode;

const WS: &str = "ws_acme";

/// Every credential has its id pointer and every pointer its credential.
async fn assert_pairs_intact(api: &Api) {
    let items = api.engine.all_items().await;
    let s = |i: &HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, k: &str| {
        i.get(k)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    let creds: HashMap<String, String> = items
        .iter()
        .filter(|i| s(i, "pk").starts_with("CRED#"))
        .map(|i| (s(i, "id"), s(i, "pk")["CRED#".len()..].to_owned()))
        .collect();
    let pointers: HashMap<String, String> = items
        .iter()
        .filter(|i| s(i, "pk").starts_with("TOKEN#"))
        .map(|i| (s(i, "pk")["TOKEN#".len()..].to_owned(), s(i, "hash")))
        .collect();
    assert_eq!(
        creds, pointers,
        "credentials and pointers must pair up exactly"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_request_that_starts_after_a_revoke_returns_succeeds() {
    let api = Api::start().await;
    api.add_member(WS, "usr_owner", Role::Owner).await;
    let owner = api.as_user("usr_owner");
    let r = owner
        .in_ws(WS)
        .send(Call::create_token(&token_named("hot")))
        .await;
    let token = r.body["token"].as_str().unwrap().to_owned();
    let id = r.body["id"].as_str().unwrap().to_owned();
    let authorizer = Arc::new(Authorizer::new(api.engine.store.clone(), None));
    let header = format!("Bearer {token}");

    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut workers = Vec::new();
    for _ in 0..16 {
        let (authorizer, header, stop) = (authorizer.clone(), header.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let started = Instant::now();
                let allowed = matches!(
                    authorizer.decide_now(Some(&header), None).await,
                    Ok(Decision::Allow(_))
                );
                seen.push((started, allowed));
            }
            seen
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let r = owner.in_ws(WS).send(Call::revoke_token(&id)).await;
    let revoked_at = Instant::now();
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    tokio::time::sleep(Duration::from_millis(150)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut before = 0;
    let mut after = 0;
    for w in workers {
        for (started, allowed) in w.await.unwrap() {
            if started > revoked_at {
                after += 1;
                assert!(
                    !allowed,
                    "a request started after the revoke returned was allowed"
                );
            } else if allowed {
                before += 1;
            }
        }
    }
    assert!(
        before > 0 && after > 0,
        "the race did not happen: {before} allowed before, {after} after"
    );
    assert_pairs_intact(&api).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshes_of_one_session_agree() {
    let api = Api::start().await;
    let (session, _) = issue::session(
        &api.engine.store,
        UserId::parse("usr_ada").unwrap(),
        clock::now() - 7200,
    )
    .await
    .unwrap();
    let token = session.expose().to_owned();
    let replies =
        futures::future::join_all((0..20).map(|_| api.as_token(&token).send(Call::refresh())))
            .await;
    let now = clock::now();
    for r in &replies {
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert!(
            (r.body["expires_at"].as_i64().unwrap() - (now + SESSION_LIFETIME_SECS)).abs() <= 2
        );
    }
    let stored = api
        .engine
        .store
        .credential(&session.hash())
        .await
        .unwrap()
        .unwrap();
    assert!((stored.expires_at().unwrap() - (now + SESSION_LIFETIME_SECS)).abs() <= 2);
    assert_eq!(
        api.engine.all_items().await.len(),
        2,
        "one session, one pointer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_create_revoke_and_list_keep_the_table_consistent() {
    let api = Api::start().await;
    api.add_member(WS, "usr_owner", Role::Owner).await;
    let owner = api.as_user("usr_owner").in_ws(WS);
    let mut ids = Vec::new();
    for i in 0..10 {
        let r = owner
            .send(Call::create_token(&token_named(&format!("old{i}"))))
            .await;
        ids.push(r.body["id"].as_str().unwrap().to_owned());
    }
    let creates = (0..15).map(|i| owner.send(Call::create_token(&token_named(&format!("new{i}")))));
    let revokes = ids.iter().map(|id| owner.send(Call::revoke_token(id)));
    let list = || owner.send(Call::list_tokens(Query::new().limit(100)));
    let lists = (0..10).map(|_| list());
    let (created, revoked, listed) = tokio::join!(
        futures::future::join_all(creates),
        futures::future::join_all(revokes),
        futures::future::join_all(lists)
    );
    assert!(created.iter().all(|r| r.status == StatusCode::CREATED));
    assert!(revoked.iter().all(|r| r.status == StatusCode::NO_CONTENT));
    assert!(listed.iter().all(|r| r.status == StatusCode::OK));
    let r = list().await;
    let remaining: HashSet<String> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap().to_owned())
        .collect();
    let expected: HashSet<String> = created
        .iter()
        .map(|r| r.body["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(remaining, expected);
    assert_pairs_intact(&api).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cleanup_during_revocations_and_refreshes() {
    let api = Api::start().await;
    let store = &api.engine.store;
    let now = clock::now();
    let user = UserId::parse("usr_a").unwrap();
    let mut expired = Vec::new();
    for _ in 0..10 {
        expired.push(
            issue::session(store, user.clone(), now - SESSION_LIFETIME_SECS - 5)
                .await
                .unwrap()
                .0,
        );
    }
    // About to expire: refreshed while the sweep runs.
    let mut refreshed = Vec::new();
    for _ in 0..10 {
        refreshed.push(
            issue::session(store, user.clone(), now - SESSION_LIFETIME_SECS + 30)
                .await
                .unwrap()
                .0,
        );
    }
    let mut revoked = Vec::new();
    for _ in 0..10 {
        revoked.push(issue::session(store, user.clone(), now).await.unwrap());
    }
    // The sweep runs as if a minute later, when the "refreshed" ones would
    // have expired had they not been refreshed.
    let later = now + 60;
    let sweep = akua_store::sweep::run(store, later);
    let refreshes = futures::future::join_all(refreshed.iter().map(|s| async move {
        let touch = Touch {
            last_used_at: now,
            extend_to: Some(now + SESSION_LIFETIME_SECS),
        };
        store.touch(&s.hash(), touch, now).await
    }));
    let revokes = futures::future::join_all(revoked.iter().map(|(_, r)| async move {
        let read = store.pointer(r.id.as_str()).await.unwrap().unwrap();
        store.delete_credential(r.id.as_str(), &read, &[]).await
    }));
    let (summary, refresh_outcomes, _) = tokio::join!(sweep, refreshes, revokes);
    let summary = summary.unwrap();
    assert!(summary.deleted >= 10, "{summary:?}");
    for s in &expired {
        assert!(store.credential(&s.hash()).await.unwrap().is_none());
    }
    // Whoever wins, the outcome is consistent: a refresh that applied keeps
    // its session alive; one that lost to the sweep found it gone.
    for (s, outcome) in refreshed.iter().zip(refresh_outcomes) {
        let c = store.credential(&s.hash()).await.unwrap();
        match outcome.unwrap() {
            TouchOutcome::Applied => assert!(
                c.is_some_and(|c| c.expires_at() == Some(now + SESSION_LIFETIME_SECS)),
                "a refreshed session was swept"
            ),
            TouchOutcome::Gone => assert!(c.is_none(), "a swept session came back"),
        }
    }
    for (s, _) in &revoked {
        assert!(store.credential(&s.hash()).await.unwrap().is_none());
    }
    assert_pairs_intact(&api).await;
}
