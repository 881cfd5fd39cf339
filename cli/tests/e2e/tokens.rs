//! `cnap workspaces …` and `cnap tokens …` with a session from the device
//! flow, as a person would use them.

use serde_json::Value;

use crate::support::{Api, Home, now};

fn ids(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|t| t["id"].as_str().expect("id").to_owned())
        .collect()
}

/// The rows of a list printed to a pipe: one per line, no header.
fn rows(table: &str) -> Vec<&str> {
    table.lines().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn workspaces_and_tokens_with_a_session() {
    let api = Api::start().await;
    let home = Home::new(&api.base);
    home.device_login(&api).await.expect(0);

    // A session acts in no workspace until one is chosen: said before any
    // request, with the ways to choose one (a usage error, exit 2).
    for args in [
        &["tokens", "list"][..],
        &["tokens", "create", "--name", "ci"],
        &["tokens", "revoke", "tok_0123456789abcdefghijklmn", "--yes"],
        &["tokens", "roll", "tok_0123456789abcdefghijklmn", "--yes"],
    ] {
        home.run(args)
            .await
            .expect(2)
            .stderr_has("no workspace")
            .stderr_has("cnap workspaces use");
    }

    // Create a workspace and make it the default.
    let created = home
        .run(&["workspaces", "create", "Platform", "-o", "json"])
        .await;
    let ws = created.expect(0).json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert!(ws.starts_with("ws_"));
    assert_eq!(created.json()["role"], "owner");
    home.run(&["workspaces", "use", &ws])
        .await
        .expect(0)
        .stderr_has("You are owner");
    assert_eq!(
        home.host_config()["active_workspace"].as_str(),
        Some(ws.as_str())
    );
    let list = home.run(&["workspaces", "list"]).await;
    let active: Vec<&str> = rows(&list.expect(0).stdout)
        .into_iter()
        .filter(|r| r.starts_with('*'))
        .collect();
    assert_eq!(active.len(), 1, "{list:#?}");
    assert!(active[0].contains(&ws) && active[0].contains("Platform"));

    // Create: the secret once, with a warning; expiry from --expires-in.
    let before = now();
    let first = home
        .run(&[
            "tokens",
            "create",
            "--name",
            "ci-1",
            "--expires-in",
            "30d",
            "-o",
            "json",
        ])
        .await;
    first.expect(0).stderr_has("it will not be shown again");
    let first = first.json();
    let secret = first["token"].as_str().expect("token").to_owned();
    assert!(secret.starts_with("sk_akua_"));
    assert_eq!(first["workspace_id"], ws.as_str());
    let expires = first["expires_at"].as_i64().expect("expires_at");
    assert!(
        (before + 30 * 86_400..=now() + 30 * 86_400).contains(&expires),
        "expires_at {expires}"
    );
    assert_eq!(api.whoami_status(&secret).await, 200);

    // --expires-at and --role reach the server as given.
    let second = home
        .run(&[
            "tokens",
            "create",
            "--name",
            "ci-2",
            "--expires-at",
            "2030-01-01",
            "--role",
            "member",
            "-o",
            "json",
        ])
        .await;
    let second = second.expect(0).json();
    assert_eq!(second["expires_at"], 1_893_456_000);
    assert_eq!(second["role"], "member");

    // The table form shows the secret too, exactly once.
    let table = home.run(&["tokens", "create", "--name", "ci-3"]).await;
    table.expect(0).stdout_has("token:").stdout_has("expires:");
    let shown = table
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("token:"))
        .expect("token line")
        .trim()
        .to_owned();
    assert_eq!(table.stdout.matches(&shown).count(), 1);
    assert_eq!(api.whoami_status(&shown).await, 200);
    for name in ["ci-4", "ci-5"] {
        home.run(&["tokens", "create", "--name", name])
            .await
            .expect(0);
    }

    // Two of them, with the ways to go on …
    let page = home.run(&["tokens", "list", "--limit", "2"]).await;
    page.expect(0)
        .stderr_has("--all lists them all")
        .stderr_has("--cursor ");
    assert_eq!(rows(&page.stdout).len(), 2, "{page:#?}");
    let page = home
        .run(&["tokens", "list", "--limit", "2", "-o", "json"])
        .await;
    let page = page.expect(0).json();
    assert_eq!(ids(&page).len(), 2);
    assert_eq!(page["has_more"], true);
    assert!(page["next_cursor"].is_string());

    // … and --all lists every one (the paging itself: `commands` tests,
    // and `cnap api --paginate` in scripting.rs).
    let all = home.run(&["tokens", "list", "--all", "-o", "json"]).await;
    all.expect(0).never_shows(&secret).never_shows(&shown);
    let all = all.json();
    let mut listed = ids(&all);
    assert_eq!(listed.len(), 5, "{all}");
    assert_eq!(all["has_more"], false);
    assert!(
        all["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t.get("token").is_none())
    );
    listed.sort();
    listed.dedup();
    assert_eq!(listed.len(), 5, "a token listed twice");
    assert!(listed.contains(&first["id"].as_str().unwrap().to_owned()));
    let table = home.run(&["tokens", "list", "--all"]).await;
    assert_eq!(rows(&table.expect(0).stdout).len(), 5);
    assert!(!table.stderr.contains("--all lists them all"));

    // Revoke asks first; without a terminal it refuses to ask.
    let id = first["id"].as_str().unwrap();
    home.run(&["tokens", "revoke", id])
        .await
        .expect(2)
        .stderr_has("pass --yes");
    assert_eq!(
        api.whoami_status(&secret).await,
        200,
        "revoked without --yes"
    );

    home.run(&["tokens", "revoke", id, "--yes"])
        .await
        .expect(0)
        .stderr_has(&format!("Revoked {id}"));
    assert_eq!(api.whoami_status(&secret).await, api.refused());
    let after = home.run(&["tokens", "list", "--all", "-o", "json"]).await;
    let remaining = ids(&after.expect(0).json());
    assert_eq!(remaining.len(), 4);
    assert!(!remaining.iter().any(|r| r == id));

    // Revoking it again, or an id that never existed: 404, exit 1.
    home.run(&["tokens", "revoke", id, "--yes"])
        .await
        .expect(1)
        .stderr_has("not_found")
        .stderr_has("HTTP 404");
    home.run(&["tokens", "revoke", "tok_doesnotexist", "-y"])
        .await
        .expect(1)
        .stderr_has("not_found");

    // --workspace beats active_workspace: a workspace we are not in is 403,
    // and `use` refuses to save it.
    home.run(&["tokens", "list", "--workspace", "ws_nobodyhasthisone"])
        .await
        .expect(3)
        .stderr_has("forbidden");
    home.run(&["workspaces", "use", "ws_nobodyhasthisone"])
        .await
        .expect(3);
    assert_eq!(
        home.host_config()["active_workspace"].as_str(),
        Some(ws.as_str())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_api_token_acts_in_its_own_workspace() {
    let api = Api::start().await;
    let ws = api.workspace("Own").await;
    let other = api.workspace("Other").await;
    let (_, token) = api.api_token(&ws, "ci").await;
    api.api_token(&ws, "second").await;
    let home = Home::new(&api.base);
    // The active workspace names another workspace; an API token ignores it.
    home.write_config(&format!("active_workspace: {other}\n"));
    home.run(&["auth", "login", "--token", &token])
        .await
        .expect(0);

    let list = home.run(&["tokens", "list", "-o", "json"]).await;
    let list = list.expect(0).never_shows(&token).json();
    assert_eq!(ids(&list).len(), 2);
    assert!(
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["workspace_id"] == ws.as_str())
    );
    // An explicit --workspace is sent, and the server refuses the mismatch.
    home.run(&["tokens", "list", "--workspace", &other])
        .await
        .expect(3)
        .stderr_has("forbidden");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_multi_workspace_token_is_made_listed_used_and_revoked() {
    let api = Api::start().await;
    let home = Home::new(&api.base);
    home.device_login(&api).await.expect(0);
    let a = api.workspace("A").await;
    let b = api.workspace("B").await;

    let created = home
        .run(&[
            "tokens",
            "create",
            "--name",
            "laptop",
            "--workspaces",
            &format!("{a},{b}"),
            "--role",
            "member",
            "-o",
            "json",
        ])
        .await;
    let json = created.expect(0).json();
    let token = json["token"].as_str().unwrap().to_owned();
    let id = json["id"].as_str().unwrap().to_owned();
    assert_eq!(json["workspace_ids"], serde_json::json!([a, b]));

    // Listed with --mine, never with its secret; the table names its workspaces.
    let list = home.run(&["tokens", "list", "--mine", "-o", "json"]).await;
    assert_eq!(
        ids(&list.expect(0).never_shows(&token).json()),
        [id.as_str()]
    );
    home.run(&["tokens", "list", "--mine"])
        .await
        .expect(0)
        .stdout_has(&format!("{a},{b}"));

    // Used from another machine with a workspace per call.
    let ci = Home::new(&api.base);
    ci.run_with_stdin(&["auth", "login", "--with-token"], &token)
        .await
        .expect(0);
    ci.run(&["--workspace", &b, "tokens", "list"])
        .await
        .expect(0);
    // Without one: the server's workspace_required, the usage mistake.
    ci.run(&["tokens", "list"])
        .await
        .expect(2)
        .stderr_has("hint: choose a workspace");

    home.run(&["tokens", "revoke", "--mine", &id, "--yes"])
        .await
        .expect(0);
    assert_eq!(api.whoami_status(&token).await, api.refused());
}

#[tokio::test(flavor = "multi_thread")]
async fn rolling_a_token_keeps_the_old_secret_for_the_grace() {
    let api = Api::start().await;
    let home = Home::new(&api.base);
    home.device_login(&api).await.expect(0);
    let ws = api.workspace("Roll").await;
    let (id, old) = api.api_token(&ws, "deploy").await;

    // Without a grace period the old secret would stop at once: asked
    // first, and refused where nobody can answer (exit 2, nothing rolled).
    home.run(&["--workspace", &ws, "tokens", "roll", &id])
        .await
        .expect(2)
        .stderr_has("--yes");
    assert_eq!(api.whoami_status(&old).await, 200, "rolled without asking");

    let rolled = home
        .run(&[
            "--workspace",
            &ws,
            "tokens",
            "roll",
            &id,
            "--grace",
            "1h",
            "-o",
            "json",
        ])
        .await;
    let json = rolled.expect(0).json();
    let new = json["token"].as_str().unwrap().to_owned();
    assert_eq!(json["id"], id.as_str());
    assert_ne!(new, old);
    assert_eq!(api.whoami_status(&new).await, 200);
    assert_eq!(api.whoami_status(&old).await, 200, "within the grace");

    // Rolling again while the old secret works is refused (409, exit 1).
    home.run(&["--workspace", &ws, "tokens", "roll", &id, "--yes"])
        .await
        .expect(1)
        .stderr_has("conflict");
    // A grace beyond the server's bound is refused before asking it.
    home.run(&["--workspace", &ws, "tokens", "roll", &id, "--grace", "8d"])
        .await
        .expect(2)
        .stderr_has("at most 7d");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_shows_each_step_newest_first() {
    let api = Api::start().await;
    let home = Home::new(&api.base);
    home.device_login(&api).await.expect(0);
    let ws = api.workspace("Audited").await;
    let (id, _) = api.api_token(&ws, "deploy").await;
    home.run(&["--workspace", &ws, "tokens", "roll", &id, "--grace", "1h"])
        .await
        .expect(0);

    let out = home
        .run(&[
            "--workspace",
            &ws,
            "audit",
            "list",
            "--since",
            "1h",
            "-o",
            "json",
        ])
        .await;
    let json = out.expect(0).json();
    let actions: Vec<&str> = json["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["token.rolled", "token.created", "workspace.created"]
    );

    let only = home
        .run(&[
            "--workspace",
            &ws,
            "audit",
            "list",
            "--action",
            "token.rolled",
        ])
        .await;
    let table = &only.expect(0).stdout;
    assert_eq!(rows(table).len(), 1, "{table}");
    assert!(
        table.contains("token.rolled") && table.contains(id.as_str()),
        "{table}"
    );

    // Your own log has the device login you approved.
    let mine = home.run(&["audit", "list", "--mine", "-o", "json"]).await;
    let json = mine.expect(0).json();
    assert_eq!(json["data"][0]["action"], "device.approved");
    home.run(&["audit", "list", "--since", "yesterday"])
        .await
        .expect(2);
}

/// `cnap tokens revoke --secret -`: whoever holds a leaked secret ends it
/// with no login (RFC 7009); the answer is the same for a dead secret, and
/// the secret is never echoed.
#[tokio::test(flavor = "multi_thread")]
async fn a_found_secret_is_revoked_from_standard_input_without_a_login() {
    let api = Api::start().await;
    let ws = api.workspace("Leaky").await;
    let (_id, secret) = api.api_token(&ws, "found-in-a-log").await;
    assert_eq!(api.whoami_status(&secret).await, 200);
    // Its workspace's owner asks about it first (RFC 7662).
    let owner = Home::new(&api.base);
    owner.device_login(&api).await.expect(0);
    owner
        .run_with_stdin(&["--workspace", &ws, "tokens", "introspect"], &secret)
        .await
        .expect(0)
        .stdout_has("api_token")
        .stdout_has(&ws)
        .never_shows(&secret);
    let home = Home::new(&api.base);
    home.run_with_stdin(
        &["tokens", "revoke", "--secret", "-"],
        &format!("{secret}\n"),
    )
    .await
    .expect(0)
    .stderr_has("Revoked")
    .never_shows(&secret);
    assert_eq!(api.whoami_status(&secret).await, api.refused());
    owner
        .run_with_stdin(
            &["--workspace", &ws, "tokens", "introspect", "-o", "json"],
            &secret,
        )
        .await
        .expect(0)
        .stdout_has("\"active\": false");
    // Again: the same answer, nothing to tell.
    home.run_with_stdin(
        &["tokens", "revoke", "--secret", "-", "-o", "json"],
        &secret,
    )
    .await
    .expect(0)
    .stdout_has("\"revoked\": true");
    // Nothing on standard input is a usage error; an id and --secret
    // together are too.
    home.run_with_stdin(&["tokens", "revoke", "--secret", "-"], "\n")
        .await
        .expect(2);
    home.run(&["tokens", "revoke", "tok_x", "--secret", "-"])
        .await
        .expect(2);
}
