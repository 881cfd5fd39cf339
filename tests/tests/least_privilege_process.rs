//! Least privilege against `akua-local` run as a separate process, over
//! real HTTP, as a new user would try it: what a leaked token can no longer
//! do, multi-workspace tokens, and a person's sessions.

use akua_tests::process::{Http, mint_jwt, start, temp_data_dir};
use serde_json::{Value, json};

/// A `cnap`-style login for the person behind `jwt`: device code, approved
/// with the JWT, redeemed. Returns the session token.
async fn device_login(http: &Http, jwt: &str) -> String {
    let (status, code) = http.form("/v1/auth/device/code", "client_id=cnap").await;
    assert_eq!(status, 200, "{code}");
    let code: Value = serde_json::from_str(&code).unwrap();
    let (status, body) = http
        .call(
            "POST",
            "/v1/auth/device/approve",
            Some(jwt),
            None,
            Some(json!({"user_code": code["user_code"]})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = http
        .form(
            "/v1/auth/device/token",
            &format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code&client_id=cnap&device_code={}",
                code["device_code"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leaked_token_stays_small_and_a_person_sees_their_credentials() {
    let dir = temp_data_dir("akua-lp");
    let server = start(&dir);
    let http = Http::to(&server.base);
    let ada = mint_jwt(&dir, "usr_ada");
    let carol = mint_jwt(&dir, "usr_carol");
    let workspace = |jwt: String, name: &'static str| {
        let http = &http;
        async move {
            let (status, body) = http
                .call(
                    "POST",
                    "/v1/workspaces",
                    Some(&jwt),
                    None,
                    Some(json!({ "name": name })),
                )
                .await;
            assert_eq!(status, 201, "{body}");
            body["id"].as_str().unwrap().to_owned()
        }
    };
    let ws_a = workspace(ada.clone(), "A").await;
    let ws_b = workspace(carol.clone(), "B").await;
    let (status, _) = http
        .call(
            "POST",
            &format!("/v1/workspaces/{ws_b}/members"),
            Some(&carol),
            None,
            Some(json!({"user_id": "usr_ada", "role": "admin"})),
        )
        .await;
    assert_eq!(status, 201);

    // 1. A workspace token cannot add a person: 403, nothing added.
    let now = akua_core::clock::now();
    let (status, short) = http
        .call(
            "POST",
            "/v1/api_tokens",
            Some(&ada),
            Some(&ws_a),
            Some(json!({"name": "ci", "expires_at": now + 120})),
        )
        .await;
    assert_eq!(status, 201, "{short}");
    let short = short["token"].as_str().unwrap().to_owned();
    let (status, body) = http
        .call(
            "POST",
            &format!("/v1/workspaces/{ws_a}/members"),
            Some(&short),
            None,
            Some(json!({"user_id": "usr_attacker", "role": "admin"})),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (_, members) = http
        .call(
            "GET",
            &format!("/v1/workspaces/{ws_a}/members"),
            Some(&ada),
            None,
            None,
        )
        .await;
    assert!(!members.to_string().contains("usr_attacker"));

    // 2. A short-lived token cannot mint a longer-lived or higher one.
    let (status, minted) = http
        .call(
            "POST",
            "/v1/api_tokens",
            Some(&short),
            None,
            Some(json!({"name": "forever"})),
        )
        .await;
    assert_eq!(status, 201, "{minted}");
    assert_eq!(
        minted["expires_at"],
        json!(now + 120),
        "capped at its maker's"
    );
    let (status, body) = http
        .call(
            "POST",
            "/v1/api_tokens",
            Some(&short),
            None,
            Some(json!({"name": "later", "expires_at": now + 3600})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("expires_at"))
    );
    let (_, list) = http
        .call("GET", "/v1/api_tokens", Some(&ada), Some(&ws_a), None)
        .await;
    let made_by_token = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == minted["id"])
        .unwrap();
    assert_eq!(made_by_token["created_by"]["type"], "api_token");

    // 3. A multi-workspace token: needs Akua-Context, only for its list.
    let (status, multi) = http
        .call(
            "POST",
            "/v1/me/api_tokens",
            Some(&ada),
            None,
            Some(json!({"name": "laptop", "workspace_ids": [ws_a, ws_b]})),
        )
        .await;
    assert_eq!(status, 201, "{multi}");
    let multi = multi["token"].as_str().unwrap().to_owned();
    let (status, _) = http
        .call("GET", "/v1/api_tokens", Some(&multi), None, None)
        .await;
    assert_eq!(status, 403, "without Akua-Context");
    let ws_c = workspace(ada.clone(), "C").await;
    let (status, _) = http
        .call("GET", "/v1/api_tokens", Some(&multi), Some(&ws_c), None)
        .await;
    assert_eq!(status, 403, "a workspace it does not list");
    for ws in [&ws_a, &ws_b] {
        let (status, _) = http
            .call("GET", "/v1/api_tokens", Some(&multi), Some(ws), None)
            .await;
        assert_eq!(status, 200, "{ws}");
    }

    // 4. Its owner removed from ws_b: 403 there on the next request.
    let (status, _) = http
        .call(
            "DELETE",
            &format!("/v1/workspaces/{ws_b}/members/usr_ada"),
            Some(&carol),
            None,
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = http
        .call("GET", "/v1/api_tokens", Some(&multi), Some(&ws_b), None)
        .await;
    assert_eq!(status, 403);

    // 5. Sessions: listed without secrets, the others ended.
    let laptop = device_login(&http, &ada).await;
    let desktop = device_login(&http, &ada).await;
    let (status, sessions) = http
        .call("GET", "/v1/auth/sessions", Some(&laptop), None, None)
        .await;
    assert_eq!(status, 200, "{sessions}");
    assert_eq!(sessions["data"].as_array().unwrap().len(), 2);
    assert!(!sessions.to_string().contains(&desktop));
    let (status, ended) = http
        .call("DELETE", "/v1/auth/sessions", Some(&laptop), None, None)
        .await;
    assert_eq!((status, ended), (200, json!({"revoked": 1})));
    let (status, _) = http
        .call("GET", "/v1/auth/whoami", Some(&desktop), None, None)
        .await;
    assert_eq!(status, 401);
    let (status, _) = http
        .call("GET", "/v1/auth/whoami", Some(&laptop), None, None)
        .await;
    assert_eq!(status, 200);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
