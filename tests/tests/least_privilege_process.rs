//! Least privilege against `akua-local` run as a separate process, over
//! real HTTP, as a new user would try it: what a leaked token can no longer
//! do, multi-workspace tokens, and a person's sessions.

use akua_core::TokenRole;
use akua_core::sessions::Ended;
use akua_core::tokens::CreateApiTokenRequest;
use akua_tests::calls::{at, multi_token_named, token_named};
use akua_tests::process::{Http, mint_jwt, start, temp_data_dir};
use akua_tests::{Call, Query};

/// A `cnap`-style login for the person behind `jwt`: device code, approved
/// with the JWT, redeemed. Returns the session token.
async fn device_login(http: &Http, jwt: &str) -> String {
    let (status, code) = http.anonymous().send(Call::device_code("cnap")).await;
    assert_eq!(status, 200, "{code}");
    let (status, body) = http
        .as_token(jwt)
        .send(Call::approve_device(code["user_code"].as_str().unwrap()))
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = http
        .anonymous()
        .send(Call::device_token(
            code["device_code"].as_str().unwrap(),
            "cnap",
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
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
            let (status, body) = http.as_token(&jwt).send(Call::create_workspace(name)).await;
            assert_eq!(status, 201, "{body}");
            body["id"].as_str().unwrap().to_owned()
        }
    };
    let ws_a = workspace(ada.clone(), "A").await;
    let ws_b = workspace(carol.clone(), "B").await;
    let (status, _) = http
        .as_token(&carol)
        .send(Call::add_member(&ws_b, "usr_ada", TokenRole::Admin))
        .await;
    assert_eq!(status, 201);

    // 1. A workspace token cannot add a person: 403, nothing added.
    let now = akua_core::clock::now();
    let (status, short) = http
        .as_token(&ada)
        .in_ws(&ws_a)
        .send(Call::create_token(&CreateApiTokenRequest {
            expires_at: at(now + 120),
            ..token_named("ci")
        }))
        .await;
    assert_eq!(status, 201, "{short}");
    let short = short["token"].as_str().unwrap().to_owned();
    let (status, body) = http
        .as_token(&short)
        .send(Call::add_member(&ws_a, "usr_attacker", TokenRole::Admin))
        .await;
    assert_eq!(status, 403, "{body}");
    let (_, members) = http
        .as_token(&ada)
        .send(Call::members(&ws_a, Query::new()))
        .await;
    assert!(!members.to_string().contains("usr_attacker"));

    // 2. A short-lived token cannot mint a longer-lived or higher one.
    let (status, minted) = http
        .as_token(&short)
        .send(Call::create_token(&token_named("forever")))
        .await;
    assert_eq!(status, 201, "{minted}");
    assert_eq!(minted["expires_at"], now + 120, "capped at its maker's");
    let (status, body) = http
        .as_token(&short)
        .send(Call::create_token(&CreateApiTokenRequest {
            expires_at: at(now + 3600),
            ..token_named("later")
        }))
        .await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (422, Some("expires_at"))
    );
    let (_, list) = http
        .as_token(&ada)
        .in_ws(&ws_a)
        .send(Call::list_tokens(Query::new()))
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
        .as_token(&ada)
        .send(Call::create_my_token(&multi_token_named(
            "laptop",
            &[&ws_a, &ws_b],
        )))
        .await;
    assert_eq!(status, 201, "{multi}");
    let multi = multi["token"].as_str().unwrap().to_owned();
    let tokens = || Call::list_tokens(Query::new());
    let (status, _) = http.as_token(&multi).send(tokens()).await;
    assert_eq!(status, 403, "without Akua-Context");
    let ws_c = workspace(ada.clone(), "C").await;
    let (status, _) = http.as_token(&multi).in_ws(&ws_c).send(tokens()).await;
    assert_eq!(status, 403, "a workspace it does not list");
    for ws in [&ws_a, &ws_b] {
        let (status, _) = http.as_token(&multi).in_ws(ws).send(tokens()).await;
        assert_eq!(status, 200, "{ws}");
    }

    // 4. Its owner removed from ws_b: 403 there on the next request.
    let (status, _) = http
        .as_token(&carol)
        .send(Call::remove_member(&ws_b, "usr_ada"))
        .await;
    assert_eq!(status, 204);
    let (status, _) = http.as_token(&multi).in_ws(&ws_b).send(tokens()).await;
    assert_eq!(status, 403);

    // 5. Sessions: listed without secrets, the others ended.
    let laptop = device_login(&http, &ada).await;
    let desktop = device_login(&http, &ada).await;
    let (status, sessions) = http
        .as_token(&laptop)
        .send(Call::list_sessions(Query::new()))
        .await;
    assert_eq!(status, 200, "{sessions}");
    assert_eq!(sessions["data"].as_array().unwrap().len(), 2);
    assert!(!sessions.to_string().contains(&desktop));
    let (status, ended) = http
        .as_token(&laptop)
        .send(Call::end_other_sessions())
        .await;
    let one = serde_json::to_value(Ended { revoked: 1 }).unwrap();
    assert_eq!((status, ended), (200, one));
    let (status, _) = http.as_token(&desktop).send(Call::whoami()).await;
    assert_eq!(status, 401);
    let (status, _) = http.as_token(&laptop).send(Call::whoami()).await;
    assert_eq!(status, 200);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
