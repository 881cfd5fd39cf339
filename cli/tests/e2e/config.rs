//! `~/.cnap/config.yaml`: permissions, unknown keys, and precedence of
//! flags over the environment over the file.

use std::sync::{Arc, Mutex};

use crate::support::{Api, Home, closed_port, finish, mode};

#[tokio::test(flavor = "multi_thread")]
async fn saving_tightens_permissions_and_keeps_unknown_keys() {
    let api = Api::start().await;
    let ws = api.workspace("Config").await;
    let jwt = api.jwt();
    let home = Home::new(&api.base);
    home.write_config(
        "# written by hand\n\
         editor: vim\n\
         profiles:\n  staging:\n    api_url: https://staging.example/v1\n\
         auth:\n  helper: keychain\n\
         output:\n  format: json\n  colour: never\n",
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let loose = |p: &std::path::Path, m| {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap()
        };
        loose(&home.cnap_dir(), 0o755);
        loose(&home.config_path(), 0o644);
    }

    // A config others may read is refused, saying how to fix it.
    home.run(&["auth", "login", "--token", &jwt])
        .await
        .expect(1)
        .never_shows(&jwt)
        .stderr_has("readable by others")
        .stderr_has("chmod 600");
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(home.config_path(), std::fs::Permissions::from_mode(0o600))
            .unwrap();
    }
    home.run(&["auth", "login", "--token", &jwt])
        .await
        .expect(0)
        .never_shows(&jwt);
    assert_eq!(mode(&home.cnap_dir()), 0o700);
    assert_eq!(mode(&home.config_path()), 0o600);
    let only_config = std::fs::read_dir(home.cnap_dir()).unwrap().count();
    assert_eq!(only_config, 1, "a temporary file was left behind");

    home.run(&["workspaces", "use", &ws]).await.expect(0);
    let config = home.config();
    assert_eq!(config["editor"].as_str(), Some("vim"));
    assert_eq!(
        config["profiles"]["staging"]["api_url"].as_str(),
        Some("https://staging.example/v1")
    );
    assert_eq!(config["auth"]["helper"].as_str(), Some("keychain"));
    assert_eq!(home.stored_token().as_deref(), Some(jwt.as_str()));
    assert_eq!(config["output"]["colour"].as_str(), Some("never"));
    assert_eq!(
        home.host_config()["active_workspace"].as_str(),
        Some(ws.as_str())
    );
    assert_eq!(config["api_url"].as_str(), Some(api.base.as_str()));

    // output.format from the file applies; --output wins over it.
    let status = home.run(&["auth", "status"]).await;
    let json = status.expect(0).never_shows(&jwt).json();
    assert_eq!(json["credential"], "jwt");
    assert_eq!(json["workspace_id"], ws.as_str());
    assert_eq!(json["role"], "owner");
    let table = home.run(&["auth", "status", "-o", "table"]).await;
    table
        .expect(0)
        .stdout_has("jwt (from config, kept in the config file)");
    assert!(serde_json::from_str::<serde_json::Value>(&table.stdout).is_err());

    // Logout forgets only the token.
    home.run(&["auth", "logout"]).await.expect(0);
    let config = home.config();
    assert_eq!(home.stored_token(), None);
    assert_eq!(config["auth"]["helper"].as_str(), Some("keychain"));
    assert_eq!(config["editor"].as_str(), Some("vim"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_config_is_reported_not_overwritten() {
    let home = Home::new("http://127.0.0.1:9/v1");
    home.write_config("api_url: [unclosed\n");
    let out = home.run(&["auth", "status"]).await;
    out.expect(1)
        .stderr_has("cannot parse")
        .stderr_has("config.yaml")
        .stderr_has("move it aside");
    assert_eq!(
        std::fs::read_to_string(home.config_path()).unwrap(),
        "api_url: [unclosed\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn flags_beat_the_environment_which_beats_the_file() {
    let api = Api::start().await;
    let ws = api.workspace("Precedence").await;
    let (_, api_token) = api.api_token(&ws, "env").await;
    let jwt = api.jwt();
    let dead = format!("http://127.0.0.1:{}/v1", closed_port());
    let home = Home::new(&api.base);
    // Logged in at both URLs; the file's default is the dead one.
    home.write_config(&format!(
        "api_url: {dead}\nhosts:\n  {dead}:\n    token: {jwt}\n  {}:\n    token: {jwt}\n",
        api.base
    ));
    let status = |args: &[&str], env: &[(&str, &str)]| {
        let mut command = home.bare(args);
        for (k, v) in env {
            command.env(k, v);
        }
        finish(command)
    };

    // The file alone: its URL, which is dead.
    status(&["auth", "status"], &[]).await.expect(4);

    // The environment beats the file: AKUA_ first, CNAP_ as the fallback.
    for var in ["AKUA_API_URL", "CNAP_API_URL"] {
        let out = status(&["auth", "status", "-o", "json"], &[(var, &api.base)]).await;
        let json = out.expect(0).json();
        assert_eq!(json["api_url_source"], var);
        assert_eq!(json["credential"], "jwt");
        assert_eq!(json["credential_source"], "config");
    }
    let both = status(
        &["auth", "status", "-o", "json"],
        &[("AKUA_API_URL", &api.base), ("CNAP_API_URL", &dead)],
    )
    .await;
    assert_eq!(both.expect(0).json()["api_url_source"], "AKUA_API_URL");

    // The flag beats the environment.
    status(
        &["--api-url", &dead, "auth", "status"],
        &[("AKUA_API_URL", &api.base)],
    )
    .await
    .expect(4);
    let out = status(
        &["--api-url", &api.base, "auth", "status", "-o", "json"],
        &[("AKUA_API_URL", &dead)],
    )
    .await;
    assert_eq!(out.expect(0).json()["api_url_source"], "flag");

    // A token in the environment beats the stored one.
    let out = status(
        &["auth", "status", "-o", "json"],
        &[("AKUA_API_URL", &api.base), ("CNAP_API_TOKEN", &api_token)],
    )
    .await;
    let json = out.expect(0).never_shows(&api_token).json();
    assert_eq!(json["credential"], "api_token");
    assert_eq!(json["credential_source"], "CNAP_API_TOKEN");
    assert_eq!(json["workspace_id"], ws.as_str());
}

/// Listens on a loopback port and keeps every byte any connection sends.
async fn recording_listener() -> (String, Arc<Mutex<Vec<u8>>>) {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                while let Ok(n) = socket.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    kept.lock().unwrap().extend_from_slice(&buf[..n]);
                }
            });
        }
    });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_credential_never_goes_to_another_host() {
    let api = Api::start().await;
    let ws = api.workspace("Hosts").await;
    let jwt = api.jwt();
    let home = Home::new(&api.base);
    home.run(&["auth", "login", "--token", &jwt])
        .await
        .expect(0);
    home.run(&["workspaces", "use", &ws]).await.expect(0);
    let (other, seen) = recording_listener().await;

    // Another URL (as a staging one would be): refused here, before any
    // request, naming both URLs and how to log in there.
    for args in [
        &["--api-url", other.as_str(), "tokens", "list"][..],
        &["--api-url", &other, "--workspace", &ws, "tokens", "list"],
        &["--api-url", &other, "auth", "status"],
        &["--api-url", &other, "api", "GET", "/auth/whoami"],
    ] {
        finish(home.bare(args))
            .await
            .expect(2)
            .never_shows(&jwt)
            .stderr_has(&format!("not logged in to {other}"))
            .stderr_has(&api.base)
            .stderr_has("auth login");
    }
    let received = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    assert!(
        !received.contains(&jwt),
        "the credential reached the other host"
    );
    assert!(
        !received.to_ascii_lowercase().contains("authorization")
            && !received.to_ascii_lowercase().contains("akua-context"),
        "the other host received: {received}"
    );

    // A token the caller names in the environment goes where it is told.
    let mut told = home.bare(&["--api-url", &other, "auth", "status"]);
    told.env("AKUA_API_TOKEN", &jwt);
    finish(told).await;
    assert!(
        String::from_utf8_lossy(&seen.lock().unwrap()).contains(&jwt),
        "AKUA_API_TOKEN is the caller's explicit choice"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_from_before_moves_under_its_url() {
    let api = Api::start().await;
    let ws = api.workspace("Before").await;
    let jwt = api.jwt();
    let home = Home::new(&api.base);
    home.write_config(&format!(
        "api_url: {}\nactive_workspace: {ws}\nauth:\n  token: {jwt}\n  helper: keychain\n",
        api.base
    ));
    let json = home
        .run(&["auth", "status", "-o", "json"])
        .await
        .expect(0)
        .json();
    assert_eq!(json["workspace_id"], ws.as_str());
    assert_eq!(home.stored_token().as_deref(), Some(jwt.as_str()));
    assert_eq!(
        home.host_config()["active_workspace"].as_str(),
        Some(ws.as_str())
    );
    let config = home.config();
    assert!(config["auth"].get("token").is_none());
    assert!(config.get("active_workspace").is_none());
    assert_eq!(config["auth"]["helper"].as_str(), Some("keychain"));
    assert_eq!(mode(&home.config_path()), 0o600);
}
