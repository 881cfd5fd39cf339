//! Every failure path: its exit code and its message, and no secret in it.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use crate::support::{Api, Home, closed_port, finish};

const FAKE_TOKEN: &str = "sk_akua_ThisIsNotARealTokenAtAllxxxxxxxx";

#[tokio::test(flavor = "multi_thread")]
async fn not_logged_in_is_exit_3_with_a_hint() {
    let api = Api::start().await;
    let home = Home::new(&api.base);
    for args in [
        &["auth", "status"][..],
        &["auth", "logout"],
        &["tokens", "list"],
        &["tokens", "create", "--name", "x"],
        &["tokens", "revoke", "tok_abc", "--yes"],
        &["workspaces", "list"],
    ] {
        home.run(args)
            .await
            .expect(3)
            .stderr_has("error: not logged in")
            .stderr_has("hint: run `cnap auth login`");
    }
    assert!(!home.config_path().exists(), "nothing is written");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bad_token_from_the_environment_is_exit_3() {
    let api = Api::start().await;
    let home = Home::new(&api.base);
    for var in ["AKUA_API_TOKEN", "CNAP_API_TOKEN"] {
        let mut command = home.cnap(&["auth", "status"]);
        command.env(var, FAKE_TOKEN);
        finish(command)
            .await
            .expect(3)
            .stderr_has(api.refused_report()[0])
            .stderr_has(api.refused_report()[1])
            .never_shows(FAKE_TOKEN);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_port_is_exit_4_at_once() {
    let url = format!("http://127.0.0.1:{}/v1", closed_port());
    let home = Home::new(&url);
    let started = Instant::now();
    let mut command = home.cnap(&["auth", "status"]);
    command.env("AKUA_API_TOKEN", FAKE_TOKEN);
    finish(command)
        .await
        .expect(4)
        .stderr_has(&format!("cannot connect to the Akua API at {url}"))
        .stderr_has("refused")
        .stderr_has("hint: is the API running?")
        .never_shows(FAKE_TOKEN);
    // The device flow too, before it shows any code.
    home.run(&["auth", "login", "--no-browser"])
        .await
        .expect(4)
        .stderr_has("cannot connect");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_never_answers_times_out_with_exit_4() {
    // Connections complete in the kernel's backlog; nobody ever reads.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/v1", silent.local_addr().unwrap());
    let home = Home::new(&url);
    let mut command = home.cnap(&["auth", "status"]);
    command
        .env("AKUA_API_TOKEN", FAKE_TOKEN)
        .env("CNAP_TIMEOUT", "2");
    let started = Instant::now();
    finish(command)
        .await
        .expect(4)
        .stderr_has("did not answer within 2 s")
        .never_shows(FAKE_TOKEN);
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(15),
        "{took:?}"
    );
    drop(silent);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_proxy_error_page_is_a_server_error_exit_4() {
    // What a load balancer says when the API behind it is down.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let responder = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().expect("accept");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        let body = "<html><body>502 Bad Gateway</body></html>";
        let _ = write!(
            stream,
            "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        String::from_utf8_lossy(&request).into_owned()
    });
    let home = Home::new(&url);
    let mut command = home.cnap(&["auth", "status"]);
    command.env("AKUA_API_TOKEN", FAKE_TOKEN);
    finish(command)
        .await
        .expect(4)
        .stderr_has("bad gateway (http_502, HTTP 502)")
        .never_shows(FAKE_TOKEN);
    let request = responder.join().expect("responder");
    assert!(request.starts_with("GET /v1/auth/whoami "), "{request}");
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_are_exit_2_before_any_request() {
    // No server at all: a usage error never gets as far as the network.
    let home = Home::new(&format!("http://127.0.0.1:{}/v1", closed_port()));
    for args in [
        &["tokens", "create"][..],
        &["tokens", "create", "--name", "x", "--expires-in", "30x"],
        &["tokens", "create", "--name", "x", "--expires-at", "soon"],
        &[
            "tokens",
            "create",
            "--name",
            "x",
            "--expires-in",
            "1d",
            "--expires-at",
            "2030-01-01",
        ],
        &["tokens", "create", "--name", "x", "--role", "owner"],
        &["tokens", "list", "--limit", "0"],
        &["tokens", "list", "--limit", "5", "--all"],
        &["tokens", "roll", "tok_abc", "--grace", "8d"],
        &["--jq", ".[] |", "tokens", "list"],
        &["--json", "id", "-o", "table", "tokens", "list"],
        &["tokens", "revoke"],
        &["tokens", "revoke", "ws_abc", "--yes"],
        &["workspaces", "use", "nope"],
        &["workspaces", "policy", "set"],
        &["workspaces", "policy", "set", "--max-lifetime-days", "0"],
        &[
            "workspaces",
            "policy",
            "set",
            "--max-lifetime-days",
            "30",
            "--no-max-lifetime",
        ],
        &["workspaces", "policy", "set", "--require-expiry", "maybe"],
        &[
            "workspaces",
            "policy",
            "set",
            "--allowed-cidr",
            "10.0.0.0/8",
            "--anywhere",
        ],
        &["tokens", "roll", "tok_abc", "--expires-at", "soon"],
        &["auth", "login", "--token", "a", "--with-token"],
        &["auth", "frobnicate"],
        &["completion", "tcsh"],
        &["--output", "xml", "auth", "status"],
    ] {
        let out = home.run(args).await;
        assert_eq!(out.code, 2, "{args:?}\n{out:#?}");
        assert!(out.stderr.contains("error"), "{args:?}\n{out:#?}");
    }
    home.run(&["--workspace", "not-a-workspace", "tokens", "list"])
        .await
        .expect(2)
        .stderr_has("--workspace");
    let bad_url = finish(home.bare(&["--api-url", "ftp://example", "auth", "status"])).await;
    bad_url.expect(2).stderr_has("http:// or https://");

    // A token pasted where an id belongs is refused without being echoed.
    home.run(&["tokens", "revoke", FAKE_TOKEN, "--yes"])
        .await
        .expect(2)
        .stderr_has("that is a token, not its id")
        .never_shows(FAKE_TOKEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn every_command_has_help() {
    let home = Home::new("http://127.0.0.1:9/v1");
    for args in [
        &[][..],
        &["auth"],
        &["auth", "login"],
        &["auth", "status"],
        &["auth", "logout"],
        &["tokens"],
        &["tokens", "create"],
        &["tokens", "list"],
        &["tokens", "revoke"],
        &["tokens", "roll"],
        &["tokens", "permissions"],
        &["workspaces"],
        &["workspaces", "list"],
        &["workspaces", "create"],
        &["workspaces", "use"],
        &["workspaces", "policy"],
        &["workspaces", "policy", "set"],
        &["completion"],
    ] {
        let mut all = args.to_vec();
        all.push("--help");
        let out = finish(home.bare(&all)).await;
        assert_eq!(out.code, 0, "{all:?}\n{out:#?}");
        assert!(out.stdout.contains("Usage: cnap"), "{all:?}\n{out:#?}");
    }
    let help = finish(home.bare(&["--help"])).await;
    help.stdout_has("Exit codes").stdout_has("AKUA_API_TOKEN");
}

#[tokio::test(flavor = "multi_thread")]
async fn completions_for_bash_zsh_and_fish() {
    let home = Home::new("http://127.0.0.1:9/v1");
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef cnap"),
        ("fish", "complete -c cnap"),
    ] {
        let out = finish(home.bare(&["completion", shell])).await;
        out.expect(0).stdout_has(marker).stdout_has("workspaces");
        assert!(out.stdout.contains("revoke"), "{shell}");
    }
}

/// Each 403 names its own fix (the server's `reason`), and every refusal
/// says where the credential came from: a token in `AKUA_API_TOKEN` wins
/// over the stored login, so "log in again" would not help.
#[tokio::test(flavor = "multi_thread")]
async fn each_refusal_says_its_fix_and_where_the_credential_came_from() {
    // The reasons are the REST API's envelope; behind an HTTP API, see
    // `behind_an_http_api_the_gateways_own_refusals_still_say_what_to_do`.
    let api = Api::start_as(akua_local::gateway::ApiType::Rest).await;
    let ws = api.workspace("Own").await;
    let home = Home::new(&api.base);
    let from_env = |args: &[&str], token: &str| {
        let mut command = home.cnap(args);
        command.env("AKUA_API_TOKEN", token);
        finish(command)
    };

    // A multi-workspace token looks like any API token, so cnap cannot
    // check its workspace before asking; the server's `workspace_required`
    // is the same usage mistake as a session's: exit 2.
    let (status, body) = api
        .call(
            reqwest::Method::POST,
            "/me/api_tokens",
            &api.jwt(),
            None,
            Some(serde_json::json!({ "name": "multi", "workspace_ids": [ws] })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let multi = body["token"].as_str().expect("token").to_owned();
    from_env(&["tokens", "list"], &multi)
        .await
        .expect(2)
        .stderr_has("workspace_required")
        .stderr_has("hint: choose a workspace: pass --workspace")
        .stderr_has("(credential from AKUA_API_TOKEN)")
        .never_shows(&multi);
    from_env(&["tokens", "list", "--workspace", &ws], &multi)
        .await
        .expect(0);

    // An API token where a person is needed: fixed in the environment.
    let (id, token) = api.api_token(&ws, "ci").await;
    from_env(&["workspaces", "create", "Another"], &token)
        .await
        .expect(3)
        .stderr_has("person_required")
        .stderr_has("hint: this needs a person, not an API token: unset AKUA_API_TOKEN");
    // The same token revoked: 401, and logging in would not help.
    api.revoke(&ws, &id).await;
    let refused = from_env(&["tokens", "list"], &token).await;
    refused
        .expect(3)
        .stderr_has("HTTP 401")
        .stderr_has("set AKUA_API_TOKEN to a valid token, or unset it")
        .never_shows(&token);
    assert!(
        !refused.stderr.contains("run `cnap auth login`"),
        "{refused:?}"
    );

    // A stored login in a workspace it is not a member of.
    home.device_login(&api).await.expect(0);
    home.run(&["tokens", "list", "--workspace", "ws_nobodyhasthisone"])
        .await
        .expect(3)
        .stderr_has("not_member")
        .stderr_has("hint: you are not a member of that workspace: `cnap workspaces list`")
        .stderr_has("(credential from the login stored for this API URL)");
}

/// Behind an HTTP API, API Gateway answers refusals itself: 401 only
/// without `Authorization`, a bare 403 for everything else (a revoked
/// token too), its own 404. cnap still exits with the right code and
/// points to what tells the cases apart.
#[tokio::test(flavor = "multi_thread")]
async fn behind_an_http_api_the_gateways_own_refusals_still_say_what_to_do() {
    let api = Api::start_as(akua_local::gateway::ApiType::Http).await;
    assert!(!api.base.contains("/prod"), "{}", api.base);
    let ws = api.workspace("Own").await;
    let (id, token) = api.api_token(&ws, "ci").await;
    let home = Home::new(&api.base);
    let from_env = |args: &[&str]| {
        let mut command = home.cnap(args);
        command.env("AKUA_API_TOKEN", &token);
        finish(command)
    };
    from_env(&["tokens", "list"]).await.expect(0);
    api.revoke(&ws, &id).await;
    from_env(&["tokens", "list"])
        .await
        .expect(3)
        .stderr_has("Forbidden (forbidden, HTTP 403)")
        .stderr_has("hint: the answer says no more: `cnap auth status`")
        .stderr_has("(credential from AKUA_API_TOKEN)")
        .never_shows(&token);
    // The gateway's own 404 for a route it does not have.
    let (status, body) = api
        .call(reqwest::Method::GET, "/nothing", &token, None, None)
        .await;
    assert_eq!(
        (status, body),
        (404, serde_json::json!({"message": "Not Found"}))
    );
    // No Authorization at all is the one 401.
    let missing = reqwest::get(format!("{}/api_tokens", api.base))
        .await
        .expect("request");
    assert_eq!(missing.status().as_u16(), 401);
    // The device flow, approved with the dashboard's base at the root.
    home.device_login(&api).await.expect(0);
    home.run(&["auth", "status"])
        .await
        .expect(0)
        .stdout_has("session (from config");
}
