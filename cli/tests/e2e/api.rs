//! `cnap api` and `cnap auth token`: the CLI as a client of the whole
//! contract, with the stored credential and the workspace in effect.

use crate::support::{Api, Home, finish};

#[tokio::test(flavor = "multi_thread")]
async fn any_route_with_the_stored_credential_and_workspace() {
    let api = Api::start().await;
    let home = Home::new(&api.base);
    home.device_login(&api).await.expect(0);
    let session = home.stored_token().unwrap();

    // `auth token` prints the credential in use, alone, to stdout.
    let out = home.run(&["auth", "token"]).await;
    out.expect(0);
    assert_eq!(out.stdout.trim(), session);

    // POST with typed fields; the answer is the API's JSON.
    let created = home
        .run(&["api", "POST", "/workspaces", "-F", "name=Platform"])
        .await;
    let ws = created.expect(0).json()["id"].as_str().unwrap().to_owned();

    // A workspace from the environment, like --workspace.
    let mut command = home.cnap(&["api", "post", "/api_tokens", "-f", "name=ci"]);
    command.env("AKUA_WORKSPACE", &ws);
    let token = finish(command).await;
    let token = token.expect(0).json();
    assert!(token["token"].as_str().unwrap().starts_with("sk_akua_"));

    // GET fields are query parameters; a path may carry its own query.
    let list = home
        .run(&[
            "--workspace",
            &ws,
            "api",
            "GET",
            "/api_tokens",
            "-F",
            "limit=1",
        ])
        .await;
    assert_eq!(list.expect(0).json()["data"][0]["id"], token["id"]);
    home.run(&["--workspace", &ws, "api", "GET", "/api_tokens?limit=1"])
        .await
        .expect(0);

    // A refusal prints the envelope, then exits with the usual code.
    let refused = home
        .run(&[
            "--workspace",
            &ws,
            "api",
            "GET",
            "/api_tokens",
            "-F",
            "limit=500",
        ])
        .await;
    refused.expect(1).stderr_has("validation_error");
    assert_eq!(refused.json()["error"]["field"], "limit");
    home.run(&["api", "GET", "/api_tokens", "-F", "nokey"])
        .await
        .expect(2);
}
