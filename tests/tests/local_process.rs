//! `akua-local` as a person runs it: a separate process on a free port with
//! a temporary data directory, driven over real HTTP through the README's
//! walk-through, then restarted to check that state survives.

use akua_tests::calls::token_named;
use akua_tests::process::{Http, mint_jwt, start, temp_data_dir};
use akua_tests::{Call, Query};

#[tokio::test(flavor = "multi_thread")]
async fn the_walk_through_works_and_state_survives_a_restart() {
    let dir = temp_data_dir("akua-e2e");
    let server = start(&dir);
    let http = Http::to(&server.base);
    let jwt = mint_jwt(&dir, "usr_walker");

    // JWT → workspace → token → use → revoke → 401.
    let (status, ws) = http
        .as_token(&jwt)
        .send(Call::create_workspace("Walk"))
        .await;
    assert_eq!(status, 201, "{ws}");
    let ws = ws["id"].as_str().unwrap().to_owned();
    let (status, created) = http
        .as_token(&jwt)
        .in_ws(&ws)
        .send(Call::create_token(&token_named("ci")))
        .await;
    assert_eq!(status, 201);
    let token = created["token"].as_str().unwrap().to_owned();
    let (status, list) = http
        .as_token(&token)
        .send(Call::list_tokens(Query::new()))
        .await;
    assert_eq!((status, list["data"].as_array().unwrap().len()), (200, 1));
    let (status, _) = http
        .as_token(&jwt)
        .in_ws(&ws)
        .send(Call::revoke_token(created["id"].as_str().unwrap()))
        .await;
    assert_eq!(status, 204);
    let (status, err) = http
        .as_token(&token)
        .send(Call::list_tokens(Query::new()))
        .await;
    assert_eq!(
        (status, err["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let (_, keeper) = http
        .as_token(&jwt)
        .in_ws(&ws)
        .send(Call::create_token(&token_named("keeper")))
        .await;
    let keeper = keeper["token"].as_str().unwrap().to_owned();

    // Device login: the verification page is the dashboard's, and only a
    // signed-in person approves (the old credential-less page is gone).
    let (status, code) = http.anonymous().send(Call::device_code("cnap")).await;
    assert_eq!(status, 200);
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
        .send(Call::approve_device(user_code))
        .await;
    assert_eq!(status, 200);
    let (status, token_body) = http
        .anonymous()
        .send(Call::device_token(
            code["device_code"].as_str().unwrap(),
            "cnap",
        ))
        .await;
    assert_eq!(status, 200, "{token_body}");
    let session = token_body["access_token"].as_str().unwrap().to_owned();
    let (status, me) = http.as_token(&session).send(Call::whoami()).await;
    assert_eq!((status, me["user_id"].as_str()), (200, Some("usr_walker")));
    let (status, _) = http.as_token(&session).send(Call::logout()).await;
    assert_eq!(status, 204);
    assert_eq!(http.as_token(&session).send(Call::whoami()).await.0, 401);

    // The OpenAPI document is public.
    let (status, doc) = http.anonymous().send(Call::openapi()).await;
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
    let (status, list) = http
        .as_token(&jwt)
        .send(Call::list_workspaces(Query::new()))
        .await;
    assert_eq!(
        (status, list["data"][0]["id"].as_str()),
        (200, Some(ws.as_str()))
    );
    let tokens = || Call::list_tokens(Query::new());
    assert_eq!(http.as_token(&keeper).send(tokens()).await.0, 200);
    assert_eq!(http.as_token(&token).send(tokens()).await.0, 401);
    assert_eq!(http.as_token(&session).send(Call::whoami()).await.0, 401);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
