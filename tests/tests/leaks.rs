//! Leak reports (`POST /v1/token_leaks`, GitHub's secret-scanning partner
//! format): a validly signed report revokes each live token in it and
//! labels the rest false positives; a bad signature changes nothing. And
//! the whole life of a token: create, roll with a grace period, leak.

use std::time::Duration;

use akua_core::CredentialHash;
use akua_core::Role;
use akua_tests::{Api, Reply};
use axum::body::Bytes;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};

const WS: &str = "ws_acme";

async fn setup() -> Api {
    let api = Api::start().await;
    api.add_member(WS, "usr_owner", Role::Owner).await;
    api.add_member("ws_b", "usr_owner", Role::Owner).await;
    api
}

async fn token(api: &Api, name: &str) -> (String, String) {
    let r = api
        .as_user("usr_owner")
        .in_ws(WS)
        .post("/v1/api_tokens", json!({"name": name}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    (
        r.body["token"].as_str().unwrap().to_owned(),
        r.body["id"].as_str().unwrap().to_owned(),
    )
}

/// POSTs `body` with the given key id and signature headers.
async fn send(api: &Api, body: &[u8], key_id: Option<&str>, signature: Option<&str>) -> Reply {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/v1/token_leaks")
        .header("content-type", "application/json")
        .header("user-agent", "GitHub-Secret-Scanning");
    if let Some(k) = key_id {
        request = request.header("Github-Public-Key-Identifier", k);
    }
    if let Some(s) = signature {
        request = request.header("Github-Public-Key-Signature", s);
    }
    api.send(request.body(Bytes::copy_from_slice(body)).unwrap())
        .await
}

/// A report of `tokens`, signed by the scanner.
async fn report(api: &Api, tokens: &[&str]) -> Reply {
    let body = report_body(tokens);
    let signature = api.scanner.sign(&body);
    send(
        api,
        &body,
        Some(akua_testkit::scanner::KEY_ID),
        Some(&signature),
    )
    .await
}

fn report_body(tokens: &[&str]) -> Vec<u8> {
    let matches: Vec<Value> = tokens
        .iter()
        .map(|t| {
            json!({
                "token": t,
                "type": "akua_api_token",
                "url": "https://github.com/octo/app/blob/abc/.env",
                "source": "content",
            })
        })
        .collect();
    serde_json::to_vec(&matches).unwrap()
}

async fn works(api: &Api, token: &str) -> bool {
    api.as_token(token).get("/v1/api_tokens").await.status == StatusCode::OK
}

async fn log_actions(api: &Api, ws: &str) -> Vec<Value> {
    let r = api
        .as_user("usr_owner")
        .get(&format!("/v1/workspaces/{ws}/audit_log"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_signed_report_revokes_live_tokens_and_labels_the_rest() {
    let api = setup().await;
    let (live, id) = token(&api, "deploy").await;
    let (other, _) = token(&api, "other").await;
    let unknown = akua_core::ApiToken::generate().expose().to_owned();
    let r = report(&api, &[&live, "not-an-akua-token", &unknown]).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let labels: Vec<&str> = r
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["label"].as_str().unwrap())
        .collect();
    assert_eq!(
        labels,
        ["true_positive", "false_positive", "false_positive"]
    );
    assert_eq!(r.body[0]["token_hash"], CredentialHash::of(&live).to_hex());
    assert_eq!(
        r.body[1]["token_hash"],
        CredentialHash::of("not-an-akua-token").to_hex()
    );
    assert_eq!(r.body[0]["token_type"], "akua_api_token");
    // Revoked at once; the token not in the report still works.
    assert!(!works(&api, &live).await);
    assert!(works(&api, &other).await);
    // The same report again: nothing live any more.
    let again = report(&api, &[&live]).await;
    assert_eq!(again.body[0]["label"], "false_positive");

    let events = log_actions(&api, WS).await;
    let leaked = &events[0];
    assert_eq!(leaked["action"], "token.leaked");
    assert_eq!(
        leaked["actor"],
        json!({"id": "github", "credential": "secret_scanner"})
    );
    assert_eq!(leaked["target"], json!({"type": "api_token", "id": id}));
    assert_eq!(
        leaked["detail"],
        "url=https://github.com/octo/app/blob/abc/.env, source=content"
    );
    assert_eq!(leaked["user_agent"], "GitHub-Secret-Scanning");
}

#[tokio::test]
async fn a_report_without_a_valid_signature_changes_nothing() {
    let api = setup().await;
    let (live, _) = token(&api, "deploy").await;
    let body = report_body(&[&live]);
    let key = Some(akua_testkit::scanner::KEY_ID);
    let good = api.scanner.sign(&body);
    let other_body = report_body(&["something else"]);
    let cases = [
        ("no headers", None, None),
        ("no signature", key, None),
        ("unpublished key", key, Some(api.scanner.forge(&body))),
        (
            "another body's signature",
            key,
            Some(api.scanner.sign(&other_body)),
        ),
        ("unknown key id", Some("nobody"), Some(good.clone())),
        ("not base64", key, Some("%%%".to_owned())),
    ];
    for (case, key_id, signature) in cases {
        let r = send(&api, &body, key_id, signature.as_deref()).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "unauthorized"),
            "{case}"
        );
    }
    assert!(works(&api, &live).await);
    assert_eq!(log_actions(&api, WS).await.len(), 1, "only token.created");
    // Signed, but not a report.
    let junk = b"{\"token\": 1}";
    let r = send(&api, junk, key, Some(&api.scanner.sign(junk))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(works(&api, &live).await);
}

#[tokio::test]
async fn a_leaked_multi_workspace_token_is_revoked_in_every_workspace() {
    let api = setup().await;
    let r = api
        .as_user("usr_owner")
        .post(
            "/v1/me/api_tokens",
            json!({"name": "laptop", "workspace_ids": [WS, "ws_b"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let multi = r.body["token"].as_str().unwrap().to_owned();
    let r = report(&api, &[&multi]).await;
    assert_eq!(r.body[0]["label"], "true_positive");
    let r = api.as_token(&multi).in_ws(WS).get("/v1/api_tokens").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    for ws in [WS, "ws_b"] {
        let events = log_actions(&api, ws).await;
        assert_eq!(events[0]["action"], "token.leaked", "{ws}");
    }
}

#[tokio::test]
async fn create_roll_with_grace_then_a_leak_every_step_in_the_log() {
    let api = setup().await;
    let (old, id) = token(&api, "deploy").await;
    let r = api
        .as_user("usr_owner")
        .in_ws(WS)
        .post(
            &format!("/v1/api_tokens/{id}/roll"),
            json!({"grace_period_secs": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let new = r.body["token"].as_str().unwrap().to_owned();
    // During the grace period both secrets work.
    assert!(works(&api, &old).await && works(&api, &new).await);
    // After it, only the new one.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert!(!works(&api, &old).await);
    assert!(works(&api, &new).await);
    // The new secret leaks: revoked at once.
    let r = report(&api, &[&new]).await;
    assert_eq!(r.body[0]["label"], "true_positive");
    assert!(!works(&api, &new).await);

    let events = log_actions(&api, WS).await;
    let steps: Vec<(&str, &str)> = events
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["target"]["id"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("token.leaked", id.as_str()),
            ("token.rolled", id.as_str()),
            ("token.created", id.as_str()),
        ]
    );
}
