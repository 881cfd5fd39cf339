//! No secret in the logs or on disk: the whole flow runs against
//! `akua-local` with debug logging, then its logs and its data directory are
//! searched for every token, hash and JWT it handled.

use std::time::Duration;

use akua_core::CredentialHash;
use akua_core::device::{AccessToken, DeviceAuthorization};
use akua_core::tokens::CreatedApiToken;
use akua_core::workspaces::WorkspaceView;
use akua_tests::calls::token_named;
use akua_tests::process::{Http, mint_jwt, start_with, temp_data_dir};
use akua_tests::{Call, Query};
use serde_json::Value;

/// The body as the core's response type `T`, after checking `status`.
fn parsed<T: serde::de::DeserializeOwned>((status, body): (u16, Value), expected: u16) -> T {
    assert_eq!(status, expected, "{body}");
    serde_json::from_value(body.clone())
        .unwrap_or_else(|e| panic!("not the documented shape ({e}): {body}"))
}

fn read_dir_bytes(dir: &std::path::Path) -> Vec<u8> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        if entry.path().is_file() {
            all.extend(std::fs::read(entry.path()).unwrap_or_default());
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread")]
async fn no_token_hash_or_jwt_reaches_the_logs_or_the_data_directory() {
    let dir = temp_data_dir("akua-secrets");
    let server = start_with(&dir, &[("RUST_LOG", "debug")]);
    let http = Http::to(&server.base);
    let jwt = mint_jwt(&dir, "usr_secret");

    let ws: WorkspaceView = parsed(
        http.send(&Call::create_workspace("S"), Some(&jwt), None)
            .await,
        201,
    );
    let created: CreatedApiToken = parsed(
        http.send(
            &Call::create_token(&token_named("t")),
            Some(&jwt),
            Some(&ws.id),
        )
        .await,
        201,
    );
    let api_token = created.token.expose().to_owned();
    let list = || Call::list_tokens(Query::new());
    assert_eq!(http.send(&list(), Some(&api_token), None).await.0, 200);
    // A wrong token and a forged one are logged as refusals, never echoed.
    let forged = format!("{}AAAAAA", &api_token[..34]);
    assert_eq!(http.send(&list(), Some(&forged), None).await.0, 401);

    let code: DeviceAuthorization =
        parsed(http.send(&Call::device_code("cnap"), None, None).await, 200);
    let device_code = code.device_code.expose().to_owned();
    http.send(&Call::approve_device(&code.user_code), Some(&jwt), None)
        .await;
    let granted: AccessToken = parsed(
        http.send(&Call::device_token(&device_code, "cnap"), None, None)
            .await,
        200,
    );
    let session = granted.access_token.expose().to_owned();
    assert_eq!(
        http.send(&Call::session(), Some(&session), None).await.0,
        200
    );
    assert_eq!(
        http.send(&Call::logout(), Some(&session), None).await.0,
        204
    );
    tokio::time::sleep(Duration::from_millis(200)).await;

    let logs = server.logs.lock().unwrap().clone();
    assert!(logs.contains("decision"), "debug logs were captured");
    let secrets = [
        ("API token", api_token.clone()),
        ("forged token", forged.clone()),
        ("session token", session.clone()),
        ("device code", device_code.clone()),
        ("JWT", jwt.clone()),
        ("JWT signature", jwt.rsplit('.').next().unwrap().to_owned()),
        ("API token hash", CredentialHash::of(&api_token).to_hex()),
        ("session hash", CredentialHash::of(&session).to_hex()),
        (
            "device code hash",
            CredentialHash::of(&device_code).to_hex(),
        ),
    ];
    for (what, secret) in &secrets {
        assert!(
            !logs.contains(secret.as_str()),
            "{what} appears in the logs"
        );
    }
    drop(server);

    // On disk: hashes by design, never a plaintext token or JWT.
    let disk = read_dir_bytes(&dir);
    assert!(!disk.is_empty());
    for (what, secret) in &secrets[..6] {
        assert!(
            !contains(&disk, secret),
            "{what} stored in plaintext in the data directory"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
