//! No secret in the logs or on disk: the whole flow runs against
//! `akua-local` with debug logging, then its logs and its data directory are
//! searched for every token, hash and JWT it handled.

use std::time::Duration;

use akua_core::CredentialHash;
use akua_tests::process::{Http, mint_jwt, start_with, temp_data_dir};
use serde_json::{Value, json};

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

    let (_, ws) = http
        .as_token(&jwt)
        .post("/v1/workspaces", json!({"name": "S"}))
        .await;
    let ws = ws["id"].as_str().unwrap().to_owned();
    let (_, created) = http
        .as_token(&jwt)
        .in_ws(&ws)
        .post("/v1/api_tokens", json!({"name": "t"}))
        .await;
    let api_token = created["token"].as_str().unwrap().to_owned();
    assert_eq!(http.as_token(&api_token).get("/v1/api_tokens").await.0, 200);
    // A wrong token and a forged one are logged as refusals, never echoed.
    let forged = format!("{}AAAAAA", &api_token[..34]);
    assert_eq!(http.as_token(&forged).get("/v1/api_tokens").await.0, 401);

    let (_, code) = http.form("/v1/auth/device/code", "client_id=cnap").await;
    let code: Value = serde_json::from_str(&code).unwrap();
    let device_code = code["device_code"].as_str().unwrap().to_owned();
    http.as_token(&jwt)
        .post(
            "/v1/auth/device/approve",
            json!({"user_code": code["user_code"].as_str().unwrap()}),
        )
        .await;
    let (_, body) = http
        .form("/v1/auth/device/token", &format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=cnap&device_code={device_code}"))
        .await;
    let session = serde_json::from_str::<Value>(&body).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(http.as_token(&session).get("/v1/auth/session").await.0, 200);
    assert_eq!(
        http.as_token(&session).delete("/v1/auth/session").await.0,
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
