//! DESIGN §1 and §5, rule by rule, against the real engine through the real
//! SDK. Each test names the rule it guards; the DynamoDB call counts are
//! measured at the SDK client.

use akua_core::ports::CredentialStore as _;
use akua_core::records::Creator;
use std::time::Duration;

use akua_core::decision::{SESSION_LIFETIME_SECS, plan_touch};
use akua_core::issue::{self, NewApiToken};
use akua_core::ports::WorkspaceStore as _;
use akua_core::ports::{DecisionStore, TouchOutcome};
use akua_core::records::Membership;
use akua_core::{
    ApiToken, Authorizer, CredentialError, CredentialHash, CredentialKind, Decision, DecisionError,
    DenyReason, Role, SessionToken, TokenName, TokenRole, UserId, WorkspaceId,
};
use akua_store::DynamoStore;
use akua_testkit::{Engine, TestIssuer};

const NOW: i64 = 1_800_000_000;

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn ws(s: &str) -> WorkspaceId {
    WorkspaceId::parse(s).unwrap()
}

fn user(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

async fn api_token(engine: &Engine, workspace: &str, expires_at: Option<i64>) -> ApiToken {
    let new = NewApiToken {
        restrictions: Default::default(),
        workspace_id: ws(workspace),
        name: TokenName::parse("ci").unwrap(),
        role: TokenRole::Admin,
        created_by: Some(Creator::User(user("usr_owner"))),
        expires_at,
    };
    let (token, _) = issue::api_token(&engine.store, new, None, NOW - 10)
        .await
        .unwrap();
    engine.calls.reset();
    token
}

async fn session(engine: &Engine, who: &str, at: i64) -> SessionToken {
    let (token, _) = issue::session(&engine.store, user(who), at).await.unwrap();
    engine.calls.reset();
    token
}

async fn member(engine: &Engine, workspace: &str, who: &str, role: Role) {
    engine
        .store
        .add_member(
            &Membership {
                workspace_id: ws(workspace),
                user_id: user(who),
                role,
                joined_at: NOW,
            },
            &[],
        )
        .await
        .unwrap();
    engine.calls.reset();
}

fn authorizer(engine: &Engine) -> Authorizer<DynamoStore> {
    Authorizer::new(engine.store.clone(), None)
}

fn allowed(d: Decision) -> akua_core::Principal {
    match d {
        Decision::Allow(p) => p,
        other => panic!("expected Allow, got {other:?}"),
    }
}

// ---- Every kind is accepted -------------------------------------------------

#[tokio::test]
async fn an_api_token_acts_on_its_own_workspace_with_one_read() {
    let engine = Engine::start().await;
    let token = api_token(&engine, "ws_acme", None).await;
    let auth = authorizer(&engine);

    let p = allowed(
        auth.decide(Some(&bearer(token.expose())), None, NOW)
            .await
            .unwrap(),
    );
    assert_eq!(p.kind(), CredentialKind::ApiToken);
    assert_eq!(p.scope().map(|s| s.workspace_id), Some(ws("ws_acme")));
    assert_eq!(p.scope().map(|s| s.role), Some(Role::Admin));
    assert!(p.credential_id().unwrap().starts_with("tok_"));
    assert_eq!(p.user_id().cloned(), None);
    // First use: one read and the first last_used_at write.
    assert_eq!(engine.calls.count("GetItem"), 1);
    assert_eq!(engine.calls.count("UpdateItem"), 1);
    assert_eq!(engine.calls.total(), 2);
}

#[tokio::test]
async fn a_session_is_accepted_with_exactly_one_read() {
    let engine = Engine::start().await;
    let token = session(&engine, "usr_ada", NOW).await;
    let auth = authorizer(&engine);
    // Recently used (so no write is due): the hot path is one GetItem.
    let hash = token.hash();
    engine
        .store
        .touch(
            &hash,
            akua_core::ports::Touch {
                last_used_at: NOW,
                extend_to: None,
            },
            NOW,
        )
        .await
        .unwrap();
    engine.calls.reset();

    let p = allowed(
        auth.decide(Some(&bearer(token.expose())), None, NOW + 5)
            .await
            .unwrap(),
    );
    assert_eq!(p.kind(), CredentialKind::Session);
    assert_eq!(p.user_id().cloned(), Some(user("usr_ada")));
    assert_eq!(p.scope().map(|s| s.workspace_id), None);
    assert!(p.credential_id().unwrap().starts_with("ses_"));
    assert_eq!(
        engine.calls.snapshot().into_iter().collect::<Vec<_>>(),
        [("GetItem".to_owned(), 1)]
    );
}

// ---- 401: missing, malformed, bad checksum, unknown — with zero reads ------

#[tokio::test]
async fn malformed_and_bad_checksum_tokens_cost_zero_store_calls() {
    let engine = Engine::start().await;
    let auth = authorizer(&engine);
    let real = ApiToken::generate();
    let mut forged = real.expose().to_owned();
    forged.replace_range(12..13, if &forged[12..13] == "x" { "y" } else { "x" });
    let cases: Vec<(Option<String>, CredentialError)> = vec![
        (None, CredentialError::Missing),
        (Some(String::new()), CredentialError::Missing),
        (
            Some("Basic dXNlcjpwYXNz".into()),
            CredentialError::WrongScheme,
        ),
        (Some("Bearer ".into()), CredentialError::Empty),
        (
            Some("Bearer not-a-token".into()),
            CredentialError::Malformed,
        ),
        (Some(bearer(&"Z".repeat(32))), CredentialError::BadChecksum),
        (Some(bearer(&forged)), CredentialError::BadChecksum),
        (
            Some(bearer(&format!("sk_akua_{}", "a".repeat(32)))),
            CredentialError::BadChecksum,
        ),
        (Some("Bearer ünïcode".into()), CredentialError::NotAscii),
        (
            Some(bearer(&"a".repeat(20_000))),
            CredentialError::Oversized,
        ),
    ];
    for (header, why) in cases {
        let d = auth
            .decide(header.as_deref(), Some("ws_acme"), NOW)
            .await
            .unwrap();
        assert_eq!(
            d,
            Decision::Unauthorized(DenyReason::Credential(why)),
            "{header:?}"
        );
    }
    assert_eq!(engine.calls.total(), 0, "{:?}", engine.calls.snapshot());
}

#[tokio::test]
async fn a_well_formed_but_unknown_token_is_401_after_one_read() {
    let engine = Engine::start().await;
    let auth = authorizer(&engine);
    for token in [
        ApiToken::generate().expose().to_owned(),
        SessionToken::generate().expose().to_owned(),
    ] {
        engine.calls.reset();
        let d = auth.decide(Some(&bearer(&token)), None, NOW).await.unwrap();
        assert_eq!(d, Decision::Unauthorized(DenyReason::UnknownCredential));
        assert_eq!(engine.calls.total(), 1);
    }
}

// ---- Expiry is enforced in code, whatever TTL has deleted ------------------

#[tokio::test]
async fn an_expired_api_token_still_in_the_table_is_rejected() {
    let engine = Engine::start().await;
    let token = api_token(&engine, "ws_acme", Some(NOW - 1)).await;
    // TTL has not deleted it: the item is still there.
    let key = format!("CRED#{}", token.hash().to_hex());
    assert!(engine.raw_item(&key, "CRED").await.is_some());
    let auth = authorizer(&engine);
    engine.calls.reset();
    let d = auth
        .decide(Some(&bearer(token.expose())), None, NOW)
        .await
        .unwrap();
    assert_eq!(d, Decision::Unauthorized(DenyReason::Expired));
    assert_eq!(engine.calls.writes(), 0, "an expired item is never touched");
    // One second earlier it was valid: the boundary is exact.
    let token2 = api_token(&engine, "ws_acme", Some(NOW + 1)).await;
    assert!(matches!(
        auth.decide(Some(&bearer(token2.expose())), None, NOW)
            .await
            .unwrap(),
        Decision::Allow(_)
    ));
}

#[tokio::test]
async fn an_idle_session_expires_a_year_after_its_last_use() {
    let engine = Engine::start().await;
    let token = session(&engine, "usr_ada", NOW).await;
    let auth = authorizer(&engine);
    let h = bearer(token.expose());
    assert!(matches!(
        auth.decide(Some(&h), None, NOW + SESSION_LIFETIME_SECS - 1)
            .await
            .unwrap(),
        Decision::Allow(_)
    ));
    // That use slid the expiry out by a year: a year later it is gone.
    let last_use = NOW + SESSION_LIFETIME_SECS - 1;
    assert_eq!(
        auth.decide(Some(&h), None, last_use + SESSION_LIFETIME_SECS)
            .await
            .unwrap(),
        Decision::Unauthorized(DenyReason::Expired)
    );
    // A session never used after creation dies at created + 1 year.
    let idle = session(&engine, "usr_bob", NOW).await;
    assert_eq!(
        auth.decide(
            Some(&bearer(idle.expose())),
            None,
            NOW + SESSION_LIFETIME_SECS
        )
        .await
        .unwrap(),
        Decision::Unauthorized(DenyReason::Expired)
    );
}

#[tokio::test]
async fn sliding_expiry_extends_a_session_at_most_once_an_hour() {
    let engine = Engine::start().await;
    let token = session(&engine, "usr_ada", NOW).await;
    let auth = authorizer(&engine);
    let h = bearer(token.expose());
    let key = format!("CRED#{}", token.hash().to_hex());
    let stored_expiry = |item: std::collections::HashMap<
        String,
        aws_sdk_dynamodb::types::AttributeValue,
    >| { item["expires_at"].as_n().unwrap().parse::<i64>().unwrap() };

    // 30 minutes in: last_used_at is written, the expiry is not moved.
    let p = allowed(auth.decide(Some(&h), None, NOW + 1800).await.unwrap());
    assert_eq!(p.expires_at(), Some(NOW + SESSION_LIFETIME_SECS));
    assert_eq!(
        stored_expiry(engine.raw_item(&key, "CRED").await.unwrap()),
        NOW + SESSION_LIFETIME_SECS
    );

    // An hour in: extended to a year from that use, TTL with it.
    let p = allowed(auth.decide(Some(&h), None, NOW + 3600).await.unwrap());
    assert_eq!(p.expires_at(), Some(NOW + 3600 + SESSION_LIFETIME_SECS));
    let item = engine.raw_item(&key, "CRED").await.unwrap();
    assert_eq!(
        stored_expiry(item.clone()),
        NOW + 3600 + SESSION_LIFETIME_SECS
    );
    assert_eq!(item["ttl"], item["expires_at"]);

    // Many uses within the next hour: no further extension.
    engine.calls.reset();
    for t in (NOW + 3601..NOW + 7200).step_by(7) {
        auth.decide(Some(&h), None, t).await.unwrap();
    }
    assert_eq!(
        stored_expiry(engine.raw_item(&key, "CRED").await.unwrap()),
        NOW + 3600 + SESSION_LIFETIME_SECS
    );
    // ~1 hour of traffic: at most one last_used_at write per 60 s.
    assert!(
        engine.calls.count("UpdateItem") <= 60,
        "{:?}",
        engine.calls.snapshot()
    );
}

// ---- Revocation is immediate, and a racing update cannot resurrect --------

#[tokio::test]
async fn a_revoked_token_fails_on_the_very_next_call() {
    let engine = Engine::start().await;
    let token = api_token(&engine, "ws_acme", None).await;
    let auth = authorizer(&engine);
    let h = bearer(token.expose());
    assert!(matches!(
        auth.decide(Some(&h), None, NOW).await.unwrap(),
        Decision::Allow(_)
    ));

    let id = match engine
        .store
        .credential(&token.hash())
        .await
        .unwrap()
        .unwrap()
    {
        akua_core::records::StoredCredential::ApiToken(t) => t.id,
        other => panic!("{other:?}"),
    };
    let read = engine.store.pointer(id.as_str()).await.unwrap().unwrap();
    assert_eq!(read.hash, token.hash());
    assert!(
        engine
            .store
            .delete_credential(id.as_str(), &read, &[])
            .await
            .unwrap()
    );
    assert_eq!(
        auth.decide(Some(&h), None, NOW + 1).await.unwrap(),
        Decision::Unauthorized(DenyReason::UnknownCredential)
    );
    // Both items are gone; revoking twice finds nothing.
    assert!(engine.all_items().await.is_empty());
    assert!(
        !engine
            .store
            .delete_credential(id.as_str(), &read, &[])
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn a_logged_out_session_fails_on_the_very_next_call() {
    let engine = Engine::start().await;
    let token = session(&engine, "usr_ada", NOW).await;
    let auth = authorizer(&engine);
    let h = bearer(token.expose());
    let p = allowed(auth.decide(Some(&h), None, NOW).await.unwrap());
    let id = p.credential_id().unwrap();
    let read = engine.store.pointer(id).await.unwrap().unwrap();
    assert!(
        engine
            .store
            .delete_credential(id, &read, &[])
            .await
            .unwrap()
    );
    assert_eq!(
        auth.decide(Some(&h), None, NOW).await.unwrap(),
        Decision::Unauthorized(DenyReason::UnknownCredential)
    );
}

#[tokio::test]
async fn a_throttled_update_racing_a_revocation_cannot_recreate_the_item() {
    let engine = Engine::start().await;
    let token = session(&engine, "usr_ada", NOW).await;
    let hash = token.hash();
    // The authorizer has read the item and planned its write...
    let read = engine.store.credential(&hash).await.unwrap().unwrap();
    let touch = plan_touch(&read, NOW + 7200).expect("a write is due");
    assert!(touch.extend_to.is_some());
    // ...when the session is revoked.
    let pointer = engine.store.pointer(read.id()).await.unwrap().unwrap();
    assert!(
        engine
            .store
            .delete_credential(read.id(), &pointer, &[])
            .await
            .unwrap()
    );
    // The write is refused by its guard and nothing comes back.
    assert_eq!(
        engine.store.touch(&hash, touch, NOW + 7200).await.unwrap(),
        TouchOutcome::Gone
    );
    assert!(
        engine.all_items().await.is_empty(),
        "the update resurrected an item"
    );
}

#[tokio::test]
async fn a_guarded_update_cannot_revive_an_expired_item() {
    let engine = Engine::start().await;
    let token = api_token(&engine, "ws_acme", Some(NOW)).await;
    let key = format!("CRED#{}", token.hash().to_hex());
    let before = engine.raw_item(&key, "CRED").await.unwrap();
    let touch = akua_core::ports::Touch {
        last_used_at: NOW + 1,
        extend_to: None,
    };
    assert_eq!(
        engine
            .store
            .touch(&token.hash(), touch, NOW + 1)
            .await
            .unwrap(),
        TouchOutcome::Gone
    );
    assert_eq!(engine.raw_item(&key, "CRED").await.unwrap(), before);
}

// ---- last_used_at: recorded, throttled to one write per 60 s ---------------

#[tokio::test]
async fn last_used_at_is_recorded_and_written_at_most_once_per_minute() {
    let engine = Engine::start().await;
    let token = api_token(&engine, "ws_acme", None).await;
    let auth = authorizer(&engine);
    let h = bearer(token.expose());
    let key = format!("CRED#{}", token.hash().to_hex());
    let last_used = || async {
        engine.raw_item(&key, "CRED").await.unwrap()["last_used_at"]
            .as_n()
            .unwrap()
            .parse::<i64>()
            .unwrap()
    };

    // 10 minutes of a hot token: one request every 2 s.
    let requests = (0..300).map(|i| NOW + 2 * i);
    engine.calls.reset();
    for t in requests {
        assert!(matches!(
            auth.decide(Some(&h), None, t).await.unwrap(),
            Decision::Allow(_)
        ));
    }
    assert_eq!(engine.calls.count("GetItem"), 300, "one read per request");
    assert_eq!(engine.calls.count("UpdateItem"), 10, "one write per 60 s");
    assert_eq!(last_used().await, NOW + 540);
}

// ---- Workspace scoping (Akua-Context) --------------------------------------

#[tokio::test]
async fn akua_context_with_a_workspace_api_token() {
    let engine = Engine::start().await;
    let token = api_token(&engine, "ws_acme", None).await;
    let auth = authorizer(&engine);
    let h = bearer(token.expose());
    // No header: the token's workspace.
    assert_eq!(
        allowed(auth.decide(Some(&h), None, NOW).await.unwrap())
            .scope()
            .map(|s| s.workspace_id),
        Some(ws("ws_acme"))
    );
    // Matching header: accepted (redundant).
    assert_eq!(
        allowed(auth.decide(Some(&h), Some("ws_acme"), NOW).await.unwrap())
            .scope()
            .map(|s| s.workspace_id),
        Some(ws("ws_acme"))
    );
    // Another workspace: 403.
    assert_eq!(
        auth.decide(Some(&h), Some("ws_other"), NOW).await.unwrap(),
        Decision::Forbidden(DenyReason::ContextMismatch)
    );
    // Not a workspace id at all: 403 (the credential itself is fine).
    assert_eq!(
        auth.decide(Some(&h), Some("acme; drop"), NOW)
            .await
            .unwrap(),
        Decision::Forbidden(DenyReason::ContextMalformed)
    );
}

#[tokio::test]
async fn akua_context_with_a_session_needs_membership_and_applies_its_role() {
    let engine = Engine::start().await;
    let token = session(&engine, "usr_ada", NOW).await;
    member(&engine, "ws_acme", "usr_ada", Role::Member).await;
    let auth = authorizer(&engine);
    let h = bearer(token.expose());
    auth.decide(Some(&h), None, NOW).await.unwrap(); // first-use write out of the way

    engine.calls.reset();
    let p = allowed(
        auth.decide(Some(&h), Some("ws_acme"), NOW + 1)
            .await
            .unwrap(),
    );
    assert_eq!(
        (p.scope().map(|s| s.workspace_id), p.scope().map(|s| s.role)),
        (Some(ws("ws_acme")), Some(Role::Member))
    );
    assert_eq!(engine.calls.count("GetItem"), 2, "credential + membership");
    assert_eq!(engine.calls.total(), 2);

    // Not a member: 403.
    assert_eq!(
        auth.decide(Some(&h), Some("ws_other"), NOW + 2)
            .await
            .unwrap(),
        Decision::Forbidden(DenyReason::NotMember)
    );
    // Without the header, no workspace: endpoints that need one answer 403.
    let p = allowed(auth.decide(Some(&h), None, NOW + 3).await.unwrap());
    assert!(p.workspace().is_err());

    // A removed member loses access on the next request.
    engine
        .store
        .remove_member(&ws("ws_acme"), &user("usr_ada"), &[])
        .await
        .unwrap();
    assert_eq!(
        auth.decide(Some(&h), Some("ws_acme"), NOW + 4)
            .await
            .unwrap(),
        Decision::Forbidden(DenyReason::NotMember)
    );
}

#[tokio::test]
async fn a_bad_credential_is_401_whatever_the_context_says() {
    let engine = Engine::start().await;
    let auth = authorizer(&engine);
    let d = auth
        .decide(
            Some(&bearer(SessionToken::generate().expose())),
            Some("not-a-ws"),
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(d, Decision::Unauthorized(DenyReason::UnknownCredential));
}

// ---- Credentials are stored only as SHA-256 of the whole token -------------

#[tokio::test]
async fn tokens_are_stored_only_as_their_sha256() {
    let engine = Engine::start().await;
    let api = api_token(&engine, "ws_acme", None).await;
    let ses = session(&engine, "usr_ada", NOW).await;
    let dump = format!("{:?}", engine.all_items().await);
    for plaintext in [api.expose(), ses.expose()] {
        assert!(!dump.contains(plaintext), "plaintext token stored");
        assert!(!dump.contains(&plaintext[8..30]), "part of a token stored");
        let key = format!("CRED#{}", CredentialHash::of(plaintext).to_hex());
        assert!(
            engine.raw_item(&key, "CRED").await.is_some(),
            "not keyed by SHA-256 of the token"
        );
    }
}

#[tokio::test]
async fn credential_and_pointer_are_created_together_or_not_at_all() {
    let engine = Engine::start().await;
    let (token, record) = issue::session(&engine.store, user("usr_ada"), NOW)
        .await
        .unwrap();
    let pointer = engine
        .store
        .pointer(record.id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pointer.hash, token.hash());
    // Re-creating the same hash fails as a whole: still exactly two items.
    let again = akua_core::records::StoredCredential::Session(record.clone());
    assert!(
        engine
            .store
            .create_credential(&token.hash(), &again, &[])
            .await
            .is_err()
    );
    assert_eq!(engine.all_items().await.len(), 2);
}

// ---- Fail closed -----------------------------------------------------------

#[tokio::test]
async fn a_store_that_cannot_be_reached_fails_closed_fast() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client =
        aws_sdk_dynamodb::Client::from_conf(akua_store::endpoint_config(&endpoint).build());
    let auth = Authorizer::new(DynamoStore::new(client, "t"), None);
    let started = std::time::Instant::now();
    let d = auth
        .decide(Some(&bearer(SessionToken::generate().expose())), None, NOW)
        .await;
    assert!(
        matches!(&d, Err(DecisionError::Store(e)) if e.is_retryable()),
        "{d:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_corrupt_item_fails_closed() {
    let engine = Engine::start().await;
    let token = api_token(&engine, "ws_acme", None).await;
    let key = format!("CRED#{}", token.hash().to_hex());
    engine
        .store
        .client()
        .update_item()
        .table_name(&engine.table)
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(key))
        .key(
            "sk",
            aws_sdk_dynamodb::types::AttributeValue::S("CRED".into()),
        )
        .update_expression("SET #r = :r")
        .expression_attribute_names("#r", "role")
        .expression_attribute_values(
            ":r",
            aws_sdk_dynamodb::types::AttributeValue::S("owner".into()),
        )
        .send()
        .await
        .unwrap();
    let d = authorizer(&engine)
        .decide(Some(&bearer(token.expose())), None, NOW)
        .await;
    assert!(matches!(d, Err(DecisionError::Store(_))), "{d:?}");
}

// ---- OAuth2 JWTs -----------------------------------------------------------

async fn jwt_setup(cooldown: Duration) -> (Engine, TestIssuer, Authorizer<DynamoStore>) {
    let engine = Engine::start().await;
    let issuer = TestIssuer::start().await;
    let verifier = akua_edge::fetch::jwt_verifier(issuer.config(cooldown)).unwrap();
    let auth = Authorizer::new(engine.store.clone(), Some(verifier));
    (engine, issuer, auth)
}

fn now_secs() -> i64 {
    akua_core::clock::now()
}

#[tokio::test]
async fn valid_rs256_and_es256_jwts_are_accepted_without_store_reads() {
    use jsonwebtoken::Algorithm::{ES256, RS256};
    let (engine, issuer, auth) = jwt_setup(Duration::from_secs(30)).await;
    let now = now_secs();
    for (kid, alg) in [("rsa-1", RS256), ("ec-1", ES256)] {
        let jwt = TestIssuer::sign(kid, alg, &TestIssuer::claims("auth0|ada", now));
        let p = allowed(auth.decide(Some(&bearer(&jwt)), None, now).await.unwrap());
        assert_eq!(p.kind(), CredentialKind::Jwt);
        assert_eq!(
            p.user_id().cloned(),
            Some(user("auth0|ada")),
            "the user id is the sub"
        );
        assert_eq!(p.expires_at(), Some(now + 3600));
    }
    assert_eq!(engine.calls.total(), 0);
    assert_eq!(issuer.fetches(), 1, "the JWKS is fetched once and cached");
}

#[tokio::test]
async fn a_jwt_with_akua_context_needs_membership() {
    use jsonwebtoken::Algorithm::RS256;
    let (engine, _issuer, auth) = jwt_setup(Duration::from_secs(30)).await;
    member(&engine, "ws_acme", "auth0|ada", Role::Owner).await;
    let now = now_secs();
    let jwt = bearer(&TestIssuer::sign(
        "rsa-1",
        RS256,
        &TestIssuer::claims("auth0|ada", now),
    ));
    let p = allowed(auth.decide(Some(&jwt), Some("ws_acme"), now).await.unwrap());
    assert_eq!(p.scope().map(|s| s.role), Some(Role::Owner));
    assert_eq!(engine.calls.total(), 1, "one membership read");
    assert_eq!(
        auth.decide(Some(&jwt), Some("ws_other"), now)
            .await
            .unwrap(),
        Decision::Forbidden(DenyReason::NotMember)
    );
}

#[tokio::test]
async fn invalid_jwts_are_401() {
    use jsonwebtoken::Algorithm::{ES256, HS256, RS256};
    use serde_json::json;
    let (engine, _issuer, auth) = jwt_setup(Duration::from_secs(3600)).await;
    let now = now_secs();
    let good = TestIssuer::claims("auth0|ada", now);
    let with = |patch: serde_json::Value| {
        let mut c = good.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                c.as_object_mut().unwrap().remove(k);
            } else {
                c[k] = v.clone();
            }
        }
        c
    };
    let b64 = |v: serde_json::Value| {
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&v).unwrap())
    };
    // Warm the cache so the cases below measure verification only.
    allowed(
        auth.decide(
            Some(&bearer(&TestIssuer::sign("rsa-1", RS256, &good))),
            None,
            now,
        )
        .await
        .unwrap(),
    );

    let valid = TestIssuer::sign("rsa-1", RS256, &good);
    let parts: Vec<&str> = valid.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        b64(with(json!({"sub": "auth0|root"}))),
        parts[2]
    );
    let none_header = b64(json!({"alg": "none", "typ": "JWT", "kid": "rsa-1"}));
    let cases = [
        (
            "expired",
            TestIssuer::sign("rsa-1", RS256, &with(json!({"exp": now - 61}))),
        ),
        (
            "wrong iss",
            TestIssuer::sign("rsa-1", RS256, &with(json!({"iss": "https://evil.test"}))),
        ),
        (
            "wrong aud",
            TestIssuer::sign("rsa-1", RS256, &with(json!({"aud": "someone-else"}))),
        ),
        (
            "missing sub",
            TestIssuer::sign("rsa-1", RS256, &with(json!({"sub": null}))),
        ),
        (
            "missing exp",
            TestIssuer::sign("rsa-1", RS256, &with(json!({"exp": null}))),
        ),
        (
            "missing iss",
            TestIssuer::sign("rsa-1", RS256, &with(json!({"iss": null}))),
        ),
        (
            "missing aud",
            TestIssuer::sign("rsa-1", RS256, &with(json!({"aud": null}))),
        ),
        (
            "nbf in the future",
            TestIssuer::sign("rsa-1", RS256, &with(json!({"nbf": now + 120}))),
        ),
        (
            "alg none",
            format!("{none_header}.{}.c2ln", b64(good.clone())),
        ),
        (
            "alg none, no signature",
            format!("{none_header}.{}.", b64(good.clone())),
        ),
        (
            "HS256 signed with the RSA public key",
            TestIssuer::sign("rsa-1", HS256, &good),
        ),
        ("RS256 header on an EC key", {
            let t = TestIssuer::sign("ec-1", ES256, &good);
            let p: Vec<&str> = t.split('.').collect();
            format!(
                "{}.{}.{}",
                b64(json!({"alg": "RS256", "kid": "ec-1"})),
                p[1],
                p[2]
            )
        }),
        ("tampered payload", tampered),
        ("no kid", {
            let p: Vec<&str> = valid.split('.').collect();
            format!("{}.{}.{}", b64(json!({"alg": "RS256"})), p[1], p[2])
        }),
    ];
    for (what, jwt) in cases {
        let d = auth.decide(Some(&bearer(&jwt)), None, now).await.unwrap();
        assert!(matches!(d, Decision::Unauthorized(_)), "{what}: {d:?}");
    }
    assert_eq!(engine.calls.total(), 0);
}

#[tokio::test]
async fn a_jwt_is_refused_when_no_issuer_is_configured() {
    let engine = Engine::start().await;
    let now = now_secs();
    let jwt = TestIssuer::sign(
        "rsa-1",
        jsonwebtoken::Algorithm::RS256,
        &TestIssuer::claims("u", now),
    );
    assert_eq!(
        authorizer(&engine)
            .decide(Some(&bearer(&jwt)), None, now)
            .await
            .unwrap(),
        Decision::Unauthorized(DenyReason::JwtNotAccepted)
    );
}

#[tokio::test]
async fn an_unknown_kid_triggers_a_refetch_limited_by_the_cooldown() {
    use jsonwebtoken::Algorithm::RS256;
    let (_engine, issuer, auth) = jwt_setup(Duration::from_millis(300)).await;
    let now = now_secs();
    let sign = |kid| bearer(&TestIssuer::sign(kid, RS256, &TestIssuer::claims("u", now)));
    allowed(auth.decide(Some(&sign("rsa-1")), None, now).await.unwrap());
    assert_eq!(issuer.fetches(), 1);

    // The issuer rotates in a new key. Within the cooldown, no refetch.
    issuer.publish(&["rsa-1", "rsa-2"]);
    for _ in 0..20 {
        assert_eq!(
            auth.decide(Some(&sign("rsa-2")), None, now).await.unwrap(),
            Decision::Unauthorized(DenyReason::Jwt("unknown kid"))
        );
    }
    assert_eq!(
        issuer.fetches(),
        1,
        "invented kids must not cause a fetch storm"
    );

    // After the cooldown, one refetch picks the new key up.
    tokio::time::sleep(Duration::from_millis(350)).await;
    allowed(auth.decide(Some(&sign("rsa-2")), None, now).await.unwrap());
    assert_eq!(issuer.fetches(), 2);
    // A kid the issuer never published stays unknown after its refetch.
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert!(matches!(
        auth.decide(Some(&sign("rsa-9")), None, now).await.unwrap(),
        Decision::Unauthorized(_)
    ));
    assert_eq!(issuer.fetches(), 3);
}

#[tokio::test]
async fn an_unreachable_jwks_fails_closed_with_an_error() {
    let engine = Engine::start().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    drop(listener);
    let config = akua_core::jwt::JwtConfig::new(
        akua_testkit::issuer::ISSUER,
        akua_testkit::issuer::AUDIENCE,
        &url,
        &akua_core::jwt::DEFAULT_ALGORITHMS,
    )
    .unwrap();
    let auth = Authorizer::new(
        engine.store.clone(),
        Some(akua_edge::fetch::jwt_verifier(config).unwrap()),
    );
    let now = now_secs();
    let jwt = TestIssuer::sign(
        "rsa-1",
        jsonwebtoken::Algorithm::RS256,
        &TestIssuer::claims("u", now),
    );
    let d = auth.decide(Some(&bearer(&jwt)), None, now).await;
    assert!(matches!(d, Err(DecisionError::Keys(_))), "{d:?}");
}

// ---- Restricted tokens (docs/DESIGN.md R19) -----------------------------------

/// A token with permissions and an allow list is decided from the item the
/// authorizer reads for any token: the same one read (and the same
/// throttled write), allowed or refused.
#[tokio::test]
async fn a_restricted_token_costs_the_reads_of_any_token() {
    use akua_core::allow_list::AllowList;
    use akua_core::decision::Request;
    use akua_core::permission::Permissions;
    use akua_core::restrictions::Restrictions;
    use akua_core::route_map::Target;

    let engine = Engine::start().await;
    let new = NewApiToken {
        restrictions: Restrictions {
            permissions: Some(Permissions::parse(["api_tokens:read"]).unwrap()),
            allowed_cidrs: AllowList::parse(["10.0.0.0/8"]).unwrap(),
        },
        workspace_id: ws("ws_acme"),
        name: TokenName::parse("ci").unwrap(),
        role: TokenRole::Admin,
        created_by: Some(Creator::User(user("usr_owner"))),
        expires_at: None,
    };
    let (token, _) = issue::api_token(&engine.store, new, None, NOW - 10)
        .await
        .unwrap();
    let auth = authorizer(&engine);
    let header = bearer(token.expose());
    let request = |method, ip: &str| Request {
        authorization: Some(&header),
        akua_context: None,
        target: Some(Target {
            method,
            template: Some("/v1/api_tokens"),
            path: None,
        }),
        source_ip: Some(ip.parse().unwrap()),
    };
    engine.calls.reset();
    let p = allowed(
        auth.decide_request(&request("GET", "10.1.2.3"), NOW)
            .await
            .unwrap(),
    );
    assert!(p.restrictions().is_some_and(|r| r.holds("api_tokens:read")));
    assert_eq!(engine.calls.count("GetItem"), 1);
    assert_eq!(engine.calls.count("UpdateItem"), 1, "first use");
    for (method, ip, reason) in [
        (
            "POST",
            "10.1.2.3",
            DenyReason::InsufficientPermission("api_tokens:write"),
        ),
        ("GET", "192.0.2.1", DenyReason::IpNotAllowed),
    ] {
        engine.calls.reset();
        let d = auth
            .decide_request(&request(method, ip), NOW)
            .await
            .unwrap();
        assert_eq!(d, Decision::Forbidden(reason));
        assert_eq!(engine.calls.total(), 1, "one read, no write: {reason:?}");
    }
    // Without a route (nobody can tell what it calls), refused too.
    engine.calls.reset();
    let d = auth.decide(Some(&header), None, NOW).await.unwrap();
    assert_eq!(d, Decision::Forbidden(DenyReason::IpNotAllowed));
}
