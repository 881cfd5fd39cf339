//! `cnap` in scripts and pipes, as `gh` is used: plain rows, `--json`
//! fields, `--jq`, paging, a reader that stops early; and the commands a
//! person reaches for daily (members, one token, settings, man pages).

use std::process::Stdio;

use crate::support::{Api, Home, finish, owner_in_a_workspace};

/// `cnap ARGS | true`, the reader gone before cnap writes: cnap's own
/// exit code (pipefail) and its stderr.
async fn into_a_closed_pipe(home: &Home, args: &[&str]) -> (i32, String) {
    let cnap = env!("CARGO_BIN_EXE_cnap");
    let mut command = tokio::process::Command::new("bash");
    command
        .arg("-c")
        .arg(r#"set -o pipefail; "$@" 2>"$CNAP_STDERR" | true"#)
        .arg("bash")
        .arg(cnap)
        .args(["--api-url", &home_url(home)])
        .args(args)
        .env("HOME", home_dir(home))
        .env("CNAP_KEYCHAIN", "off")
        .env("CNAP_STDERR", home_dir(home).join("stderr"))
        .env_remove("CNAP_FORCE_TTY")
        .stdout(Stdio::null());
    let status = command.status().await.expect("bash");
    let stderr = std::fs::read_to_string(home_dir(home).join("stderr")).unwrap_or_default();
    (status.code().unwrap_or(-1), stderr)
}

fn home_url(home: &Home) -> String {
    home.api_url().to_owned()
}

fn home_dir(home: &Home) -> std::path::PathBuf {
    home.cnap_dir().parent().expect("home").to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_are_plain_rows_in_a_pipe_and_json_fields_for_scripts() {
    let api = Api::start().await;
    let (home, ws) = owner_in_a_workspace(&api, "Scripts").await;
    for name in ["alpha", "beta", "gamma"] {
        home.run(&["tokens", "create", "--name", name])
            .await
            .expect(0);
    }

    // `cnap tokens list | cut -f1`: no header, tab-separated, ids first.
    let plain = home.run(&["tokens", "list"]).await;
    let ids: Vec<&str> = plain
        .expect(0)
        .stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap_or(""))
        .collect();
    assert_eq!(ids.len(), 3, "{plain:#?}");
    assert!(ids.iter().all(|id| id.starts_with("tok_")), "{plain:#?}");
    assert!(plain.stdout.lines().all(|l| l.split('\t').count() >= 10));
    // Times in a pipe are RFC 3339.
    assert!(plain.stdout.contains('T') && plain.stdout.contains("Z\t"));

    // `--json id,name --jq '.[].id'`.
    let jq = home
        .run(&["tokens", "list", "--json", "id,name", "--jq", ".[].id"])
        .await;
    let jq_ids: Vec<&str> = jq.expect(0).stdout.lines().collect();
    assert_eq!(jq_ids, ids);
    let fields = home.run(&["tokens", "list", "--json", "id,name"]).await;
    let json = fields.expect(0).json();
    assert_eq!(json.as_array().map(Vec::len), Some(3));
    assert_eq!(
        json[0]
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>()),
        Some(vec!["id".to_owned(), "name".to_owned()])
    );
    home.run(&["tokens", "list", "--json", "id,colour"])
        .await
        .expect(2)
        .stderr_has("unknown field \"colour\"")
        .stderr_has("created_at");

    // One token by id, in every shape.
    home.run(&["tokens", "view", ids[0]])
        .await
        .expect(0)
        .stdout_has(&format!("id:\t{}", ids[0]));
    let one = home.run(&["tokens", "view", ids[0], "--jq", ".name"]).await;
    assert!(["alpha\n", "beta\n", "gamma\n"].contains(&one.expect(0).stdout.as_str()));
    home.run(&["tokens", "view", "tok_0123456789abcdefghijklmn"])
        .await
        .expect(1)
        .stderr_has("no API token tok_0123456789abcdefghijklmn");

    // --limit is a total; a listing that stops says how to go on.
    let first = home.run(&["tokens", "list", "--limit", "2"]).await;
    assert_eq!(first.expect(0).stdout.lines().count(), 2);
    let stderr = &first.stderr;
    let cursor = stderr
        .split("--cursor ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("a cursor to go on from")
        .to_owned();
    let rest = home.run(&["tokens", "list", "--cursor", &cursor]).await;
    assert_eq!(rest.expect(0).stdout.lines().count(), 1, "{rest:#?}");
    let many = home.run(&["tokens", "list", "--limit", "500"]).await;
    assert_eq!(many.expect(0).stdout.lines().count(), 3);

    // The CI recipe of cli/README.md: an API token from the environment.
    let (_, token) = api.api_token(&ws, "pipeline").await;
    let ci = Home::new(&api.base);
    let in_ci = |args: &[&str]| {
        let mut command = ci.cnap(args);
        command.env("AKUA_API_TOKEN", &token);
        finish(command)
    };
    let who = in_ci(&["auth", "status", "--json", "workspace_id,role"]).await;
    assert_eq!(
        who.expect(0).json(),
        serde_json::json!({"workspace_id": ws, "role": "admin"})
    );
    let soon = in_ci(&[
        "tokens",
        "list",
        "--json",
        "id,name,expires_at",
        "--jq",
        ".[] | select(.expires_at != null and .expires_at < (now + 7*86400)) | .id",
    ])
    .await;
    assert_eq!(soon.expect(0).stdout, "");
    assert!(!ci.config_path().exists(), "nothing is stored");

    // A reader that stops reading ends cnap quietly, with success.
    let (code, stderr) = into_a_closed_pipe(&home, &["tokens", "list", "-o", "json"]).await;
    assert_eq!((code, stderr.as_str()), (0, ""));
}

#[tokio::test(flavor = "multi_thread")]
async fn at_a_terminal_tables_fit_its_width_with_relative_times() {
    let api = Api::start().await;
    let (home, _) = owner_in_a_workspace(&api, "Terminal").await;
    home.run(&["tokens", "create", "--name", &"n".repeat(90)])
        .await
        .expect(0);
    let mut command = home.cnap(&["tokens", "list"]);
    command.env("CNAP_FORCE_TTY", "160");
    let table = finish(command).await;
    let lines: Vec<&str> = table.expect(0).stdout.lines().collect();
    assert!(lines[0].starts_with("ID"), "{table:#?}");
    assert!(lines.iter().all(|l| l.chars().count() <= 160), "{table:#?}");
    // The long name gives way; the id and the times stay whole.
    assert!(lines[1].contains("nnnn…"), "{table:#?}");
    assert!(lines[1].starts_with("tok_"), "{table:#?}");
    assert!(lines[1].contains("just now"), "{table:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn members_are_listed_added_changed_and_removed() {
    let api = Api::start().await;
    let (home, ws) = owner_in_a_workspace(&api, "Team").await;
    home.run(&["members", "add", "usr_ada", "--role", "admin"])
        .await
        .expect(0)
        .stderr_has(&format!("Added usr_ada to {ws} as admin"));
    let list = home.run(&["members", "list"]).await;
    let rows: Vec<Vec<&str>> = list
        .expect(0)
        .stdout
        .lines()
        .map(|l| l.split('\t').collect())
        .collect();
    assert!(
        rows.iter().any(|r| r[..2] == ["usr_ada", "admin"]),
        "{list:#?}"
    );
    assert!(rows.iter().any(|r| r[1] == "owner"), "{list:#?}");
    home.run(&["members", "set-role", "usr_ada", "--role", "member"])
        .await
        .expect(0);
    let roles = home
        .run(&[
            "members",
            "list",
            "--jq",
            ".data[] | select(.user_id == \"usr_ada\") | .role",
        ])
        .await;
    assert_eq!(roles.expect(0).stdout, "member\n");
    // Removing asks, and without a terminal needs --yes.
    home.run(&["members", "remove", "usr_ada"]).await.expect(2);
    home.run(&["members", "remove", "usr_ada", "--yes"])
        .await
        .expect(0);
    let after = home.run(&["members", "list", "--json", "user_id"]).await;
    assert!(!after.expect(0).stdout.contains("usr_ada"));
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_api_paths_and_man_pages() {
    let api = Api::start().await;
    let (home, ws) = owner_in_a_workspace(&api, "Settings").await;

    // `cnap config`: each value checked as its flag is.
    home.run(&["config", "set", "output", "json"])
        .await
        .expect(0);
    let got = home.run(&["config", "get", "output"]).await;
    assert_eq!(got.expect(0).stdout, "json\n");
    home.run(&["config", "set", "output", "xml"])
        .await
        .expect(2);
    home.run(&["config", "set", "api_url", "ftp://example"])
        .await
        .expect(2);
    let listed = home.run(&["config", "list", "--json", "key,value"]).await;
    let listed = listed.expect(0).json();
    assert_eq!(
        listed[2],
        serde_json::json!({"key": "workspace", "value": ws})
    );
    home.run(&["config", "unset", "output"]).await.expect(0);
    assert_eq!(home.run(&["config", "get", "output"]).await.stdout, "");

    // `cnap api`: paths with or without /v1, every page, a table on request.
    for path in ["/v1/auth/whoami", "/auth/whoami"] {
        let who = home.run(&["api", "GET", path]).await;
        assert_eq!(who.expect(0).json()["workspace_id"], ws.as_str(), "{path}");
    }
    for name in ["one", "two", "three"] {
        home.run(&["tokens", "create", "--name", name])
            .await
            .expect(0);
    }
    let all = home
        .run(&[
            "api",
            "GET",
            "/api_tokens?limit=1",
            "--paginate",
            "--jq",
            ".data[].name",
        ])
        .await;
    let mut names: Vec<&str> = all.expect(0).stdout.lines().collect();
    names.sort_unstable();
    assert_eq!(names, ["one", "three", "two"]);
    let table = home
        .run(&["api", "GET", "/api_tokens", "-o", "table"])
        .await;
    assert_eq!(table.expect(0).stdout.lines().count(), 3, "{table:#?}");
    home.run(&["api", "POST", "/api_tokens", "--paginate"])
        .await
        .expect(2);

    // Man pages, from the same definitions as --help.
    let dir = tempfile::tempdir().expect("dir");
    let man_dir = dir.path().to_str().expect("utf-8").to_owned();
    home.run(&["man", "--dir", &man_dir]).await.expect(0);
    for page in [
        "cnap.1",
        "cnap-tokens.1",
        "cnap-tokens-list.1",
        "cnap-members-add.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page)).expect(page);
        assert!(text.contains(".TH"), "{page}");
    }
    let list_page = std::fs::read_to_string(dir.path().join("cnap-tokens-list.1")).unwrap();
    assert!(list_page.contains("limit"), "{list_page}");
}
