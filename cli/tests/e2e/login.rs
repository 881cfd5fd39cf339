//! `cnap auth login|status|logout`.

use crate::support::{Api, DEV_USER, Home, mode, now};

/// Session tokens are 32 base62 characters (DESIGN §1).
fn is_session_token(token: &str) -> bool {
    token.len() == 32 && token.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[tokio::test(flavor = "multi_thread")]
async fn device_login_stores_a_session_that_status_reports_and_logout_revokes() {
    let api = Api::start().await;
    let home = Home::new(&api.base);

    let login = home.device_login(&api).await;
    login.expect(0).stderr_has("Then open http://");
    let token = home.stored_token().expect("a stored token");
    assert!(is_session_token(&token), "not a session token");
    login
        .never_shows(&token)
        .stderr_has(&format!("as {DEV_USER}"));
    assert_eq!(home.config()["api_url"].as_str(), Some(api.base.as_str()));
    assert_eq!(mode(&home.cnap_dir()), 0o700);
    assert_eq!(mode(&home.config_path()), 0o600);
    assert_eq!(api.whoami_status(&token).await, 200);

    // Status, for people: kind, masked token, URL, user, expiry.
    let last4 = &token[token.len() - 4..];
    let status = home.run(&["auth", "status"]).await;
    status
        .expect(0)
        .never_shows(&token)
        .stdout_has("session (from config, kept in the config file)")
        .stdout_has(&format!("…{last4}"))
        .stdout_has(&api.base)
        .stdout_has(DEV_USER)
        .stdout_has("expires:\t20");
    // At a terminal, the same with the times relative to now.
    home.run_tty(&["auth", "status"])
        .await
        .expect(0)
        .stdout_has("expires:")
        .stdout_has("in 1");

    // And for scripts: the expiry is the server's (a year, sliding).
    let status = home.run(&["auth", "status", "-o", "json"]).await;
    let json = status.expect(0).never_shows(&token).json();
    assert_eq!(json["credential"], "session");
    assert_eq!(json["credential_source"], "config");
    assert_eq!(json["token"], format!("…{last4}"));
    assert_eq!(json["user_id"], DEV_USER);
    assert_eq!(json["api_url"], api.base.as_str());
    assert!(json["session"]["id"].as_str().unwrap().starts_with("ses_"));
    let expires = json["expires_at"].as_i64().unwrap();
    assert_eq!(json["session"]["expires_at"].as_i64(), Some(expires));
    assert!(expires > now() + 364 * 86_400, "expires_at {expires}");

    // Logout revokes on the server first: the token is dead at once.
    let logout = home.run(&["auth", "logout"]).await;
    logout
        .expect(0)
        .stderr_has("revoked on the server")
        .never_shows(&token);
    assert_eq!(api.whoami_status(&token).await, api.refused());
    assert_eq!(home.stored_token(), None);
    assert_eq!(home.config()["api_url"].as_str(), Some(api.base.as_str()));

    home.run(&["auth", "status"])
        .await
        .expect(3)
        .stderr_has("not logged in");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denied_login_exits_3_and_stores_nothing() {
    let api = Api::start().await;
    let home = Home::new(&api.base);
    let login = home.start_login().await;
    api.answer(&login.user_code, false).await;
    let out = login.finish().await;
    out.expect(3).stderr_has("the login was denied");
    assert!(!home.config_path().exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_stops_the_login_cleanly() {
    let api = Api::start().await;
    let home = Home::new(&api.base);
    let login = home.start_login().await;
    let code = login.user_code.clone();
    let kill = std::process::Command::new("kill")
        .args(["-INT", &login.pid().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let out = login.finish().await;
    // 130 by our own handler (not the default SIGINT death), which says so.
    out.expect(130)
        .stderr_has("interrupted: nothing was changed");
    assert!(!home.config_path().exists());
    // The code was shown as RFC 8628 suggests: XXXX-XXXX.
    assert_eq!(code.len(), 9, "{code}");
    assert_eq!(code.as_bytes()[4], b'-', "{code}");
}

#[tokio::test(flavor = "multi_thread")]
async fn token_login_checks_the_token_and_refuses_a_revoked_one() {
    let api = Api::start().await;
    let ws = api.workspace("Login").await;
    let (revoked_id, revoked) = api.api_token(&ws, "old").await;
    api.revoke(&ws, &revoked_id).await;
    let home = Home::new(&api.base);

    // Revoked: refused by the server, nothing written.
    let out = home.run(&["auth", "login", "--token", &revoked]).await;
    out.expect(3)
        .stderr_has(api.refused_report()[0])
        .stderr_has("nothing was stored")
        .never_shows(&revoked);
    assert!(!home.config_path().exists());

    // Not even token-shaped: the same.
    home.run(&["auth", "login", "--token", "hunter2hunter2"])
        .await
        .expect(3)
        .never_shows("hunter2hunter2");
    assert!(!home.config_path().exists());

    // A good one from stdin is stored, and status shows it masked.
    let (_, token) = api.api_token(&ws, "ci").await;
    let out = home
        .run_with_stdin(&["auth", "login", "--with-token"], &format!("{token}\n"))
        .await;
    out.expect(0).never_shows(&token).stderr_has(&ws);
    assert_eq!(home.stored_token().as_deref(), Some(token.as_str()));

    let status = home.run(&["auth", "status", "-o", "json"]).await;
    let json = status.expect(0).never_shows(&token).json();
    assert_eq!(json["credential"], "api_token");
    assert_eq!(json["workspace_id"], ws.as_str());
    let (_, server) = api
        .call(reqwest::Method::GET, "/auth/whoami", &token, None, None)
        .await;
    assert_eq!(json["role"], server["role"]);
    assert!(json["role"].is_string());
    assert_eq!(
        json["token"],
        format!("sk_akua_…{}", &token[token.len() - 4..])
    );
    assert!(json["token_id"].as_str().unwrap().starts_with("tok_"));
    assert!(json["session"].is_null());

    // Logout forgets an API token locally only, and says so.
    let out = home.run(&["auth", "logout"]).await;
    out.expect(0)
        .stderr_has("only removed from this machine")
        .never_shows(&token);
    assert_eq!(home.stored_token(), None);
    assert_eq!(api.whoami_status(&token).await, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_token_on_stdin_is_a_usage_error() {
    let api = Api::start().await;
    let home = Home::new(&api.base);
    home.run_with_stdin(&["auth", "login", "--with-token"], "\n")
        .await
        .expect(2)
        .stderr_has("the token is empty");
    assert!(!home.config_path().exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_are_listed_and_others_ended_without_showing_a_secret() {
    let api = Api::start().await;
    let laptop = Home::new(&api.base);
    let desktop = Home::new(&api.base);
    laptop.device_login(&api).await.expect(0);
    desktop.device_login(&api).await.expect(0);
    let mine = laptop.stored_token().unwrap();
    let other = desktop.stored_token().unwrap();

    let list = laptop.run(&["auth", "sessions", "-o", "json"]).await;
    let json = list.expect(0).never_shows(&mine).never_shows(&other).json();
    let rows = json["data"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows.iter().filter(|s| s["current"] == true).count(), 1);
    // A CLI session slides on with no absolute end (a dashboard one has a week).
    assert!(rows.iter().all(|s| s["absolute_expires_at"].is_null()));
    let other_id = rows.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    laptop
        .run(&["auth", "sessions"])
        .await
        .expect(0)
        .stdout_has(&other_id)
        .stdout_has("(this one)");

    // Without a terminal, ending needs --yes; a malformed id is a usage error.
    laptop
        .run(&["auth", "sessions", "--revoke", "tok_1", "--yes"])
        .await
        .expect(2);
    laptop
        .run(&["auth", "sessions", "--all-others", "--yes"])
        .await
        .expect(0)
        .stderr_has("Ended 1 other session");
    assert_eq!(api.whoami_status(&other).await, api.refused());
    assert_eq!(api.whoami_status(&mine).await, 200);

    // Ending the session cnap itself uses logs this machine out: said, and
    // the dead token is not kept.
    let mine_id = json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    laptop
        .run(&["auth", "sessions", "--revoke", &mine_id, "--yes"])
        .await
        .expect(0)
        .stderr_has("this machine is logged out too");
    assert_eq!(api.whoami_status(&mine).await, api.refused());
    assert_eq!(laptop.stored_token(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_with_the_server_down_keeps_the_session_unless_told_local() {
    let api = Api::start().await;
    let home = Home::new(&api.base);
    home.device_login(&api).await.expect(0);
    let session = home.stored_token().unwrap();
    // The same login, pointed at a server that is not there.
    let dead = format!("http://127.0.0.1:{}/v1", crate::support::closed_port());
    let config = std::fs::read_to_string(home.config_path()).unwrap();
    let down = Home::new(&dead);
    down.write_config(&config.replace(&api.base, &dead));

    // The session lives on at the server, so it is kept, and the way out
    // is named.
    down.run(&["auth", "logout"])
        .await
        .expect(4)
        .never_shows(&session)
        .stderr_has("--local");
    assert_eq!(down.stored_token().as_deref(), Some(session.as_str()));

    // --local forgets it here only, and says that it still works.
    down.run(&["auth", "logout", "--local"])
        .await
        .expect(0)
        .never_shows(&session)
        .stderr_has("stays valid on the server");
    assert_eq!(down.stored_token(), None);
    assert_eq!(api.whoami_status(&session).await, 200);
}
