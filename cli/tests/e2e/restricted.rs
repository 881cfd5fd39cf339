//! Restricted tokens and the workspace token policy through `cnap`: a
//! token narrowed to permissions, the catalog, and a policy set by the
//! owner that token creation and rolls must then meet.

use serde_json::Value;

use crate::support::{Api, Home, now, owner_in_a_workspace};

/// The table's row naming `id`.
fn row_of<'a>(table: &'a str, id: &str) -> &'a str {
    table
        .lines()
        .find(|l| l.contains(id))
        .unwrap_or_else(|| panic!("no row for {id} in\n{table}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_restricted_to_reading_cannot_create_a_token() {
    // The refusal's code and hint come from the REST API's envelope; behind
    // an HTTP API every refusal is a bare 403 (errors.rs).
    let api = Api::start_as(akua_local::gateway::ApiType::Rest).await;
    let (home, _) = owner_in_a_workspace(&api, "Restricted").await;

    // The catalog lists the service's own permissions, in both formats.
    let catalog = home.run_tty(&["tokens", "permissions"]).await;
    catalog.expect(0);
    let lines: Vec<&str> = catalog.stdout.lines().collect();
    assert!(
        lines[0].starts_with("NAME")
            && lines[0].contains("OWNER")
            && lines[0].contains("DESCRIPTION"),
        "{catalog:#?}"
    );
    let read = row_of(&catalog.stdout, "api_tokens:read");
    assert!(
        read.starts_with("api_tokens:read") && read.contains("service"),
        "{read}"
    );
    let json = home.run(&["tokens", "permissions", "-o", "json"]).await;
    let names: Vec<Value> = json.expect(0).json()["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|p| p["name"].clone())
        .collect();
    for name in ["api_tokens:read", "api_tokens:write", "workspaces:write"] {
        assert!(
            names.contains(&Value::from(name)),
            "{name} missing: {names:?}"
        );
    }

    // A token that may only read tokens.
    let created = home
        .run(&[
            "tokens",
            "create",
            "--name",
            "reader",
            "--permission",
            "api_tokens:read",
            "-o",
            "json",
        ])
        .await;
    let created = created.expect(0).json();
    assert_eq!(
        created["permissions"],
        serde_json::json!(["api_tokens:read"])
    );
    let token = created["token"].as_str().expect("token").to_owned();
    let id = created["id"].as_str().expect("id").to_owned();

    let ci = Home::new(&api.base);
    ci.run_with_stdin(&["auth", "login", "--with-token"], &token)
        .await
        .expect(0);
    // It reads: the list shows it with its one permission …
    let list = ci.run(&["tokens", "list"]).await;
    let row = row_of(&list.expect(0).stdout, &id);
    assert!(row.contains("api_tokens:read"), "{row}");
    // … and the catalog is open to any credential.
    ci.run(&["tokens", "permissions"])
        .await
        .expect(0)
        .stdout_has("api_tokens:write");

    // Creating needs api_tokens:write: refused by the authorizer, 403, exit 3,
    // with a hint that says why rather than blaming the workspace.
    let refused = ci.run(&["tokens", "create", "--name", "escalate"]).await;
    refused
        .expect(3)
        .stderr_has("insufficient_permission")
        .stderr_has("HTTP 403")
        .stderr_has("api_tokens:write")
        .stderr_has("hint: the API token in use is restricted")
        .never_shows(&token);
    assert!(
        !refused.stderr.contains("the answer says no more"),
        "{refused:#?}"
    );
    // Nothing was made.
    let after = home.run(&["tokens", "list", "-o", "json"]).await;
    assert_eq!(after.expect(0).json()["data"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owner_sets_a_token_policy_that_creation_and_rolls_meet() {
    let api = Api::start().await;
    let (home, ws) = owner_in_a_workspace(&api, "Policed").await;
    // Made before the policy, without an expiry.
    let (old_id, _) = api.api_token(&ws, "legacy").await;

    // No policy yet.
    home.run(&["workspaces", "policy"])
        .await
        .expect(0)
        .stdout_has("max lifetime:")
        .stdout_has("none")
        .stdout_has("anywhere");

    let set = home
        .run(&["workspaces", "policy", "set", "--max-lifetime-days", "30"])
        .await;
    set.expect(0).stdout_has("30 days").stderr_has("updated");
    let shown = home.run(&["workspaces", "policy"]).await;
    shown
        .expect(0)
        .stdout_has(&ws)
        .stdout_has("30 days")
        .stdout_has("yes (the max lifetime needs one)");
    let json = home.run(&["workspaces", "policy", "-o", "json"]).await;
    let json = json.expect(0).json();
    assert_eq!(json["id"], ws.as_str());
    assert_eq!(
        json["token_policy"],
        serde_json::json!({"max_lifetime_days": 30, "require_expiry": false, "allowed_cidrs": []})
    );

    // No expiry: the policy's 422, exit 1, and where to look.
    home.run(&["tokens", "create", "--name", "forever"])
        .await
        .expect(1)
        .stderr_has("the workspace's token policy requires an expiry at most 30 days ahead")
        .stderr_has("HTTP 422")
        .stderr_has("hint: `cnap workspaces policy`");
    home.run(&[
        "tokens",
        "create",
        "--name",
        "too-long",
        "--expires-in",
        "31d",
    ])
    .await
    .expect(1)
    .stderr_has("at most 30 days ahead");
    let weekly = home
        .run(&[
            "tokens",
            "create",
            "--name",
            "weekly",
            "--expires-in",
            "7d",
            "-o",
            "json",
        ])
        .await;
    let weekly = weekly.expect(0).json();
    let weekly_id = weekly["id"].as_str().expect("id").to_owned();

    // The list marks the older token in a POLICY column, with a note.
    let list = home.run_tty(&["tokens", "list"]).await;
    list.expect(0)
        .stderr_has("1 token(s) marked in POLICY exceed the workspace's token policy");
    assert!(
        list.stdout.lines().next().unwrap().ends_with("POLICY"),
        "{list:#?}"
    );
    assert!(
        row_of(&list.stdout, &old_id).ends_with("exceeds"),
        "{list:#?}"
    );
    assert!(
        !row_of(&list.stdout, &weekly_id).contains("exceeds"),
        "{list:#?}"
    );

    // Rolling it keeps its (missing) expiry unless given one within the policy.
    home.run(&["tokens", "roll", &old_id, "--yes"])
        .await
        .expect(1)
        .stderr_has("token policy")
        .stderr_has("HTTP 422");
    let expires_at = now() + 7 * 86_400;
    let rolled = home
        .run(&[
            "tokens",
            "roll",
            &old_id,
            "--yes",
            "--expires-at",
            &expires_at.to_string(),
        ])
        .await;
    rolled
        .expect(0)
        .stdout_has("expires:")
        .stdout_has("allowed from:")
        .stdout_has("token:")
        .stderr_has("The old one has stopped working.");
    assert!(!rolled.stdout.contains("never"), "{rolled:#?}");
    let list = home.run(&["tokens", "list", "-o", "json"]).await;
    let list = list.expect(0).json();
    let tokens = list["data"].as_array().unwrap();
    assert!(
        tokens.iter().all(|t| t["exceeds_policy"] == false),
        "{list}"
    );
    let legacy = tokens.iter().find(|t| t["id"] == old_id.as_str()).unwrap();
    assert_eq!(legacy["expires_at"], expires_at);
    // Nothing exceeds it now: no POLICY column, no note.
    let table = home.run(&["tokens", "list"]).await;
    assert!(!table.expect(0).stdout.contains("POLICY"), "{table:#?}");
    assert!(!table.stderr.contains("exceed"), "{table:#?}");

    // A later change keeps the rules not named; the audit log has both.
    home.run(&[
        "workspaces",
        "policy",
        "set",
        "--allowed-cidr",
        "10.0.0.0/8",
        "-o",
        "json",
    ])
    .await
    .expect(0);
    let json = home.run(&["workspaces", "policy", "-o", "json"]).await;
    assert_eq!(
        json.expect(0).json()["token_policy"],
        serde_json::json!({"max_lifetime_days": 30, "require_expiry": false, "allowed_cidrs": ["10.0.0.0/8"]})
    );
    let audit = home
        .run(&[
            "audit",
            "list",
            "--action",
            "workspace.token_policy_changed",
            "-o",
            "json",
        ])
        .await;
    assert_eq!(audit.expect(0).json()["data"].as_array().unwrap().len(), 2);

    // An API token reads its own workspace's policy (ignoring an
    // active_workspace meant for sessions), but may not change it.
    let ci = Home::new(&api.base);
    ci.write_config("active_workspace: ws_someotherworkspace\n");
    ci.run_with_stdin(
        &["auth", "login", "--with-token"],
        weekly["token"].as_str().unwrap(),
    )
    .await
    .expect(0);
    let theirs = ci.run(&["workspaces", "policy", "-o", "json"]).await;
    assert_eq!(theirs.expect(0).json()["id"], ws.as_str());
    ci.run(&["workspaces", "policy", "set", "--anywhere"])
        .await
        .expect(3)
        .stderr_has("forbidden");
}

#[tokio::test(flavor = "multi_thread")]
async fn setting_the_policy_with_an_old_sign_in_asks_for_a_new_one() {
    let api = Api::start().await;
    let ws = api.workspace("Sudo").await;
    let home = Home::new(&api.base);
    let stale = api.jwt_signed_in_ago(3 * 3600);

    // Reading needs no recent sign-in.
    let mut show = home.cnap(&["--workspace", &ws, "workspaces", "policy"]);
    show.env("AKUA_API_TOKEN", &stale);
    crate::support::finish(show).await.expect(0);

    let mut set = home.cnap(&[
        "--workspace",
        &ws,
        "workspaces",
        "policy",
        "set",
        "--max-lifetime-days",
        "30",
    ]);
    set.env("AKUA_API_TOKEN", &stale);
    crate::support::finish(set)
        .await
        .expect(3)
        .stderr_has("reauthentication_required")
        .stderr_has("HTTP 401")
        .stderr_has("hint: this needs a recent sign-in (sudo mode)")
        .never_shows(&stale);
    let (status, body) = api
        .call(
            reqwest::Method::GET,
            &format!("/workspaces/{ws}"),
            &api.jwt(),
            None,
            None,
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["token_policy"]["max_lifetime_days"],
        Value::Null,
        "unchanged"
    );

    // Without a workspace there is nothing to ask the server about.
    let mut none = home.cnap(&["workspaces", "policy"]);
    none.env("AKUA_API_TOKEN", api.jwt());
    crate::support::finish(none)
        .await
        .expect(2)
        .stderr_has("no workspace");
}
