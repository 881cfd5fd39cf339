//! `akua-local --events FILE`: the security events a deployed stack
//! publishes on EventBridge, followed from the table's stream and written
//! as JSON lines, shaped as the pipe in template.yaml shapes them.

use std::path::Path;
use std::time::Duration;

use akua_local::dev_issuer::DevIssuer;
use akua_local::server::{self, Options};
use serde_json::{Value, json};

/// The events written so far, once one of `action` is among them.
async fn events_until(path: &Path, action: &str) -> Vec<Value> {
    for _ in 0..100 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let events: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON event per line"))
            .collect();
        if events.iter().any(|e| e["detail-type"] == action) {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {action} event in {}", path.display());
}

/// The shape of a JSON value: its keys, recursively, and nothing else.
fn shape(v: &Value) -> Value {
    match v {
        Value::Object(m) => m.iter().map(|(k, v)| (k.clone(), shape(v))).collect(),
        _ => Value::Null,
    }
}

/// The `detail` the deployed pipe writes, with every value left empty:
/// its input template with each `<$.…>` path replaced.
fn pipe_detail_shape() -> Value {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../template.yaml")).unwrap();
    let t: yaml_serde::Value = yaml_serde::from_str(&text).unwrap();
    let pipe = t["Resources"]
        .as_mapping()
        .unwrap()
        .values()
        .find(|r| r["Type"].as_str() == Some("AWS::Pipes::Pipe"))
        .expect("the security events pipe");
    let template = pipe["Properties"]["TargetParameters"]["InputTemplate"]
        .as_str()
        .expect("an input template");
    let mut filled = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("<$") {
        let end = rest[start..].find('>').expect("a closed path") + start;
        filled.push_str(&rest[..start]);
        rest = &rest[end + 1..];
    }
    filled.push_str(rest);
    shape(&serde_json::from_str(&filled).expect("the template is JSON"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_events_are_written_as_the_pipe_publishes_them() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.jsonl");
    let running = server::start(
        Options {
            bind: [127, 0, 0, 1].into(),
            port: 0,
            data_dir: dir.path().join("data"),
            dynamodb_endpoint: None,
            table: "akua".into(),
            dev_user: "usr_dev".into(),
            stage: akua_local::gateway::Stage::parse(Some("prod")).unwrap(),
            api_type: akua_local::gateway::ApiType::Rest,
            events: Some(events.clone()),
        },
        std::future::pending(),
    )
    .await
    .expect("akua-local starts");
    let api = format!("{}/v1", running.base_url);
    let jwt = DevIssuer::open(&dir.path().join("data"))
        .unwrap()
        .mint("usr_dev", akua_core::clock::now(), 3600)
        .unwrap();
    let http = reqwest::Client::new();

    let ws: Value = http
        .post(format!("{api}/workspaces"))
        .bearer_auth(&jwt)
        .json(&json!({"name": "Events"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ws = ws["id"].as_str().expect("a workspace").to_owned();
    let made: Value = http
        .post(format!("{api}/api_tokens"))
        .bearer_auth(&jwt)
        .header("Akua-Context", &ws)
        .json(&json!({"name": "ci"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let secret = made["token"].as_str().expect("a token");
    let revoked = http
        .post(format!("{api}/oauth/revoke"))
        .form(&[("token", secret)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);

    let written = events_until(&events, "token.revoked").await;
    let actions: Vec<&str> = written
        .iter()
        .map(|e| e["detail-type"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["workspace.created", "token.created", "token.revoked"],
        "exactly the audit events, in order: {written:#?}"
    );
    let expected_shape = pipe_detail_shape();
    for event in &written {
        assert_eq!(event["source"], "akua.auth");
        assert_eq!(event["detail"]["action"], event["detail-type"]);
        assert_eq!(shape(&event["detail"]), expected_shape, "{event}");
        assert_eq!(event["detail"]["log"], "workspace");
        assert_eq!(event["detail"]["log_key"], format!("AUDIT#WS#{ws}"));
        assert!(
            event["detail"]["at"]
                .as_str()
                .unwrap()
                .parse::<i64>()
                .is_ok()
        );
    }
    let by_holder = &written[2]["detail"];
    assert_eq!(by_holder["actor"]["credential"], "holder");
    assert_eq!(by_holder["target"]["id"], made["id"]);
    assert!(!written.iter().any(|e| e.to_string().contains(secret)));
}
