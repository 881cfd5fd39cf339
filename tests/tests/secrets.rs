//! No secret in the logs or on disk: the whole flow runs against
//! `akua-local` with debug logging, then its logs and its data directory are
//! searched for every token, hash and JWT it handled.

use std::time::Duration;

use akua_core::CredentialHash;
use akua_core::device::{AccessToken, DeviceAuthorization};
use akua_core::tokens::CreatedApiToken;
use akua_core::workspaces::WorkspaceView;
use akua_tests::calls::{encode, token_named};
use akua_tests::process::{Http, mint_jwt, start_with, temp_data_dir};
use akua_tests::{Body, Call, Query};
use serde_json::Value;

/// `call` sent to the process presenting `token` (if any) in `workspace`
/// (if any): the status and the JSON body (`Null` when not JSON). The
/// process client takes paths and JSON values; this is its [`Call`] form.
async fn send(
    http: &Http,
    token: Option<&str>,
    workspace: Option<&str>,
    call: Call,
) -> (u16, Value) {
    let method = call.method.as_str().parse().expect("an HTTP method");
    let mut req = http
        .client
        .request(method, format!("{}{}", http.base, call.path));
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    if let Some(w) = workspace {
        req = req.header("akua-context", w);
    }
    for (name, value) in &call.headers {
        req = req.header(name.as_str(), value.as_str());
    }
    req = match call.body {
        Body::None => req,
        Body::Json(body) => req
            .header("content-type", "application/json")
            .body(body.to_string()),
        Body::Form(fields) => req
            .header("content-type", "application/x-www-form-urlencoded")
            .body(
                fields
                    .iter()
                    .map(|(k, v)| format!("{k}={}", encode(v)))
                    .collect::<Vec<_>>()
                    .join("&"),
            ),
        Body::Raw(bytes) => req.header("content-type", "application/json").body(bytes),
    };
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

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
        send(&http, Some(&jwt), None, Call::create_workspace("S")).await,
        201,
    );
    let created: CreatedApiToken = parsed(
        send(
            &http,
            Some(&jwt),
            Some(&ws.id),
            Call::create_token(&token_named("t")),
        )
        .await,
        201,
    );
    let api_token = created.token.expose().to_owned();
    let list = || Call::list_tokens(Query::new());
    assert_eq!(send(&http, Some(&api_token), None, list()).await.0, 200);
    // A wrong token and a forged one are logged as refusals, never echoed.
    let forged = format!("{}AAAAAA", &api_token[..34]);
    assert_eq!(send(&http, Some(&forged), None, list()).await.0, 401);

    let code: DeviceAuthorization = parsed(
        send(&http, None, None, Call::device_code("cnap")).await,
        200,
    );
    let device_code = code.device_code.expose().to_owned();
    send(
        &http,
        Some(&jwt),
        None,
        Call::approve_device(&code.user_code),
    )
    .await;
    let granted: AccessToken = parsed(
        send(&http, None, None, Call::device_token(&device_code, "cnap")).await,
        200,
    );
    let session = granted.access_token.expose().to_owned();
    assert_eq!(
        send(&http, Some(&session), None, Call::session()).await.0,
        200
    );
    assert_eq!(
        send(&http, Some(&session), None, Call::logout()).await.0,
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
