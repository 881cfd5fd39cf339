//! Where a login's secret is kept: the OS keychain (here the Secret
//! Service, as GNOME Keyring serves it on a session bus), or the owner-only
//! config file where no keychain answers.

use crate::support::{Api, Home, finish};

/// The Secret Service entry cnap keeps for `url`, read straight from the
/// keychain, not through cnap.
fn keychain_entry(url: &str) -> Option<String> {
    match keyring::Entry::new("cnap", url)
        .expect("the keychain answers")
        .get_password()
    {
        Ok(secret) => Some(secret),
        Err(keyring::Error::NoEntry) => None,
        Err(e) => panic!("the keychain failed: {e}"),
    }
}

/// Run by `.ci/run` under `dbus-run-session`, with GNOME Keyring started
/// and unlocked on that bus:
/// `cargo test -p cnap --test e2e keychain -- --ignored`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a session bus with an unlocked Secret Service: .ci/run starts one"]
async fn a_login_is_kept_in_the_os_keychain_and_logout_removes_it() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "run under dbus-run-session with gnome-keyring-daemon unlocked (see .ci/run)"
    );
    let api = Api::start().await;
    let ws = api.workspace("Own").await;
    let (_, token) = api.api_token(&ws, "ci").await;
    let home = Home::new(&api.base);
    let with_keychain = |args: &[&str]| {
        let mut command = home.cnap(args);
        command.env_remove("CNAP_KEYCHAIN");
        finish(command)
    };

    with_keychain(&["auth", "login", "--token", &token])
        .await
        .expect(0)
        .stderr_has("The token is kept in the OS keychain")
        .never_shows(&token);
    // The file names where the secret is, and never holds it.
    let file = std::fs::read_to_string(home.config_path()).expect("config");
    assert!(!file.contains(&token), "{file}");
    assert_eq!(home.host_config()["token_store"].as_str(), Some("keychain"));
    assert_eq!(keychain_entry(&api.base).as_deref(), Some(token.as_str()));

    // Used from there, and said so.
    let status = with_keychain(&["auth", "status", "-o", "json"]).await;
    assert_eq!(status.expect(0).json()["credential_store"], "keychain");
    with_keychain(&["auth", "status"])
        .await
        .expect(0)
        .stdout_has("kept in the OS keychain");
    with_keychain(&["tokens", "list"]).await.expect(0);

    // Logging out forgets it in both places.
    with_keychain(&["auth", "logout"]).await.expect(0);
    assert_eq!(keychain_entry(&api.base), None);
    assert!(home.host_config().get("token_store").is_none());
    with_keychain(&["tokens", "list"]).await.expect(3);
}

/// No keychain answers (here: a session bus address where no bus
/// listens): the secret goes to the owner-only file, and cnap says so.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread")]
async fn with_no_keychain_the_login_is_kept_in_the_owner_only_file() {
    let api = Api::start().await;
    let ws = api.workspace("Own").await;
    let (_, token) = api.api_token(&ws, "ci").await;
    let home = Home::new(&api.base);
    let no_keychain = |args: &[&str]| {
        let mut command = home.cnap(args);
        command.env_remove("CNAP_KEYCHAIN").env(
            "DBUS_SESSION_BUS_ADDRESS",
            format!("unix:path={}/no-bus-here", home.cnap_dir().display()),
        );
        finish(command)
    };
    no_keychain(&["auth", "login", "--token", &token])
        .await
        .expect(0)
        .stderr_has("(owner-only): no OS keychain answered");
    assert_eq!(home.stored_token().as_deref(), Some(token.as_str()));
    assert_eq!(crate::support::mode(&home.config_path()), 0o600);
    let status = no_keychain(&["auth", "status", "-o", "json"]).await;
    assert_eq!(status.expect(0).json()["credential_store"], "file");
    no_keychain(&["auth", "status"])
        .await
        .expect(0)
        .stdout_has("kept in the config file");
    no_keychain(&["auth", "logout"]).await.expect(0);
    assert_eq!(home.stored_token(), None);
}

/// A login kept in a keychain that does not answer now (locked, or
/// another machine's config): commands that need it say so and how to
/// fix it, and `auth login` still runs and replaces it.
#[tokio::test(flavor = "multi_thread")]
async fn a_keychain_that_does_not_answer_blocks_nothing_but_the_credential() {
    let api = Api::start().await;
    let ws = api.workspace("Own").await;
    let (_, token) = api.api_token(&ws, "ci").await;
    let home = Home::new(&api.base);
    home.write_config(&format!(
        "hosts:\n  {}:\n    token_store: keychain\n",
        api.base
    ));
    home.run(&["tokens", "list"])
        .await
        .expect(1)
        .stderr_has("cannot read the credential")
        .stderr_has("from the OS keychain")
        .stderr_has("hint: ");
    home.run(&["auth", "login", "--token", &token])
        .await
        .expect(0)
        .stderr_has("CNAP_KEYCHAIN is off");
    home.run(&["tokens", "list"]).await.expect(0);
    assert!(home.host_config().get("token_store").is_none());
}
