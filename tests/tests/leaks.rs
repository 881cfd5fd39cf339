//! Leak reports (`POST /v1/token_leaks`, GitHub's secret-scanning partner
//! format): a validly signed report revokes each live token in it and
//! labels the rest false positives; a bad signature changes nothing. And
//! the whole life of a token: create, roll with a grace period, leak.

use std::time::Duration;

use akua_core::audit::{ActorKind, AuditActor, AuditEntry, AuditTarget, TargetKind};
use akua_core::leaks::{LeakLabel, LeakVerdict, ReportedToken};
use akua_core::multi_tokens::CreatedMultiToken;
use akua_core::paging::Page;
use akua_core::tokens::CreatedApiToken;
use akua_core::{CredentialHash, Role};
use akua_tests::calls::{multi_token_named, roll_with_grace, token_named};
use akua_tests::{Api, Call, Query, Reply};
use axum::http::StatusCode;

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
        .send(Call::create_token(&token_named(name)))
        .await;
    let created: CreatedApiToken = r.expect(StatusCode::CREATED);
    (created.token.expose().to_owned(), created.id)
}

/// Sends `body`, exactly these bytes, as the scanner does, with the given
/// key id and signature headers.
async fn send(api: &Api, body: &[u8], key_id: Option<&str>, signature: Option<&str>) -> Reply {
    let mut call = Call::report_leaks(body).header("user-agent", "GitHub-Secret-Scanning");
    if let Some(k) = key_id {
        call = call.header("Github-Public-Key-Identifier", k);
    }
    if let Some(s) = signature {
        call = call.header("Github-Public-Key-Signature", s);
    }
    api.anonymous().send(call).await
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

/// The verdicts of a report's answer, after checking it is one.
fn verdicts(r: &Reply) -> Vec<LeakVerdict> {
    r.ok()
}

fn report_body(tokens: &[&str]) -> Vec<u8> {
    let matches: Vec<ReportedToken> = tokens
        .iter()
        .map(|t| ReportedToken {
            token: (*t).to_owned(),
            token_type: "akua_api_token".to_owned(),
            url: Some("https://github.com/octo/app/blob/abc/.env".to_owned()),
            source: Some("content".to_owned()),
        })
        .collect();
    serde_json::to_vec(&matches).unwrap()
}

async fn works(api: &Api, token: &str) -> bool {
    let r = api
        .as_token(token)
        .send(Call::list_tokens(Query::new()))
        .await;
    r.status == StatusCode::OK
}

async fn log_actions(api: &Api, ws: &str) -> Vec<AuditEntry> {
    let r = api
        .as_user("usr_owner")
        .send(Call::audit_log(ws, Query::new()))
        .await;
    r.ok::<Page<AuditEntry>>().data
}

#[tokio::test]
async fn a_signed_report_revokes_live_tokens_and_labels_the_rest() {
    let api = setup().await;
    let (live, id) = token(&api, "deploy").await;
    let (other, _) = token(&api, "other").await;
    let unknown = akua_core::ApiToken::generate().expose().to_owned();
    let r = report(&api, &[&live, "not-an-akua-token", &unknown]).await;
    let answer = verdicts(&r);
    let labels: Vec<LeakLabel> = answer.iter().map(|v| v.label).collect();
    assert_eq!(
        labels,
        [
            LeakLabel::TruePositive,
            LeakLabel::FalsePositive,
            LeakLabel::FalsePositive
        ]
    );
    assert_eq!(answer[0].token_hash, CredentialHash::of(&live).to_hex());
    assert_eq!(
        answer[1].token_hash,
        CredentialHash::of("not-an-akua-token").to_hex()
    );
    assert_eq!(answer[0].token_type, "akua_api_token");
    // Revoked at once; the token not in the report still works.
    assert!(!works(&api, &live).await);
    assert!(works(&api, &other).await);
    // The same report again: nothing live any more.
    let again = report(&api, &[&live]).await;
    assert_eq!(verdicts(&again)[0].label, LeakLabel::FalsePositive);

    let events = log_actions(&api, WS).await;
    let leaked = &events[0];
    assert_eq!(leaked.action.as_str(), "token.leaked");
    assert_eq!(
        leaked.actor,
        AuditActor {
            id: "github".into(),
            credential: ActorKind::SecretScanner
        }
    );
    assert_eq!(leaked.target, AuditTarget::new(TargetKind::ApiToken, &id));
    assert_eq!(
        leaked.detail.as_deref(),
        Some("url=https://github.com/octo/app/blob/abc/.env, source=content")
    );
    assert_eq!(leaked.user_agent.as_deref(), Some("GitHub-Secret-Scanning"));
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
    // (Signed, but not a report: in `wire`.)
}

#[tokio::test]
async fn a_leaked_multi_workspace_token_is_revoked_in_every_workspace() {
    let api = setup().await;
    let r = api
        .as_user("usr_owner")
        .send(Call::create_my_token(&multi_token_named(
            "laptop",
            &[WS, "ws_b"],
        )))
        .await;
    let created: CreatedMultiToken = r.expect(StatusCode::CREATED);
    let multi = created.token.expose().to_owned();
    let r = report(&api, &[&multi]).await;
    assert_eq!(verdicts(&r)[0].label, LeakLabel::TruePositive);
    let r = api
        .as_token(&multi)
        .in_ws(WS)
        .send(Call::list_tokens(Query::new()))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    for ws in [WS, "ws_b"] {
        let events = log_actions(&api, ws).await;
        assert_eq!(events[0].action.as_str(), "token.leaked", "{ws}");
    }
}

#[tokio::test]
async fn create_roll_with_grace_then_a_leak_every_step_in_the_log() {
    let api = setup().await;
    let (old, id) = token(&api, "deploy").await;
    let r = api
        .as_user("usr_owner")
        .in_ws(WS)
        .send(Call::roll_token(&id, &roll_with_grace(2)))
        .await;
    let new = r.ok::<CreatedApiToken>().token.expose().to_owned();
    // During the grace period both secrets work.
    assert!(works(&api, &old).await && works(&api, &new).await);
    // After it, only the new one.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert!(!works(&api, &old).await);
    assert!(works(&api, &new).await);
    // The new secret leaks: revoked at once.
    let r = report(&api, &[&new]).await;
    assert_eq!(verdicts(&r)[0].label, LeakLabel::TruePositive);
    assert!(!works(&api, &new).await);

    let events = log_actions(&api, WS).await;
    let steps: Vec<(&str, &str)> = events
        .iter()
        .map(|e| (e.action.as_str(), e.target.id.as_str()))
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

/// A body no `ReportedToken` list can be: signed, but not a report.
mod wire {
    use super::*;

    #[tokio::test]
    async fn a_signed_body_that_is_not_a_report_is_a_bad_request_and_changes_nothing() {
        let api = setup().await;
        let (live, _) = token(&api, "deploy").await;
        let key = Some(akua_testkit::scanner::KEY_ID);
        let junk = b"{\"token\": 1}";
        let r = send(&api, junk, key, Some(&api.scanner.sign(junk))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(works(&api, &live).await);
    }
}
