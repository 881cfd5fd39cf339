//! `akua-local` as a person runs it: a separate process on a free port with
//! a temporary data directory, driven over real HTTP through the README's
//! walk-through, then restarted to check that state survives.

use akua_tests::process::{Http, mint_jwt, start, temp_data_dir};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread")]
async fn the_walk_through_works_and_state_survives_a_restart() {
    let dir = temp_data_dir("akua-e2e");
    let server = start(&dir);
    let http = Http::to(&server.base);
    let jwt = mint_jwt(&dir, "usr_walker");

    // JWT → workspace → token → use → revoke → 401.
    let (status, ws) = http
        .as_token(&jwt)
        .post("/v1/workspaces", json!({"name": "Walk"}))
        .await;
    assert_eq!(status, 201, "{ws}");
    let ws = ws["id"].as_str().unwrap().to_owned();
    let (status, created) = http
        .as_token(&jwt)
        .in_ws(&ws)
        .post("/v1/api_tokens", json!({"name": "ci"}))
        .await;
    assert_eq!(status, 201);
    let token = created["token"].as_str().unwrap().to_owned();
    let (status, list) = http.as_token(&token).get("/v1/api_tokens").await;
    assert_eq!((status, list["data"].as_array().unwrap().len()), (200, 1));
    let (status, _) = http
        .as_token(&jwt)
        .in_ws(&ws)
        .delete(&format!(
            "/v1/api_tokens/{}",
            created["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(status, 204);
    let (status, err) = http.as_token(&token).get("/v1/api_tokens").await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (_, keeper) = http
        .as_token(&jwt)
        .in_ws(&ws)
        .post("/v1/api_tokens", json!({"name": "keeper"}))
        .await;
    let keeper = keeper["token"].as_str().unwrap().to_owned();

    // Device login: the verification page is the dashboard's, and only a
    // signed-in person approves (the old credential-less page is gone).
    let (status, code) = http.form("/v1/auth/device/code", "client_id=cnap").await;
    assert_eq!(status, 200);
    let code: Value = serde_json::from_str(&code).unwrap();
    assert_eq!(
        code["verification_uri"].as_str().unwrap(),
        format!("{}/dashboard/device", server.base)
    );
    let user_code = code["user_code"].as_str().unwrap();
    let (status, _) = http
        .form("/device", &format!("user_code={user_code}&action=approve"))
        .await;
    assert_eq!(status, 405, "nothing approves without a signed-in person");
    let (status, _) = http
        .as_token(&jwt)
        .post("/v1/auth/device/approve", json!({"user_code": user_code}))
        .await;
    assert_eq!(status, 200);
    let (status, token_body) = http
        .form(
            "/v1/auth/device/token",
            &format!("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=cnap&device_code={}", code["device_code"].as_str().unwrap()),
        )
        .await;
    assert_eq!(status, 200, "{token_body}");
    let session = serde_json::from_str::<Value>(&token_body).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, me) = http.as_token(&session).get("/v1/auth/whoami").await;
    assert_eq!((status, me["user_id"].as_str()), (200, Some("usr_walker")));
    let (status, _) = http.as_token(&session).delete("/v1/auth/session").await;
    assert_eq!(status, 204);
    assert_eq!(http.as_token(&session).get("/v1/auth/whoami").await.0, 401);

    // The OpenAPI document is public.
    let (status, doc) = http.anonymous().get("/v1/openapi.json").await;
    assert_eq!(status, 200);
    assert_eq!(doc["servers"][0]["url"], "/v1");
    assert!(doc["paths"]["/api_tokens"].is_object());

    // Restart on the same data directory: everything is still there.
    drop(server);
    let server = start(&dir);
    let http = Http {
        client: http.client.clone(),
        base: server.base.clone(),
    };
    let jwt = mint_jwt(&dir, "usr_walker");
    let (status, list) = http.as_token(&jwt).get("/v1/workspaces").await;
    assert_eq!(
        (status, list["data"][0]["id"].as_str()),
        (200, Some(ws.as_str()))
    );
    assert_eq!(http.as_token(&keeper).get("/v1/api_tokens").await.0, 200);
    assert_eq!(http.as_token(&token).get("/v1/api_tokens").await.0, 401);
    assert_eq!(http.as_token(&session).get("/v1/auth/whoami").await.0, 401);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
