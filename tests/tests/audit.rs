//! The audit log over HTTP: every security-relevant change leaves its event
//! in the same transaction (a refused or failed change leaves none), the
//! log reads newest first with filters and cursors, and only owners and
//! admins read a workspace's log.

use akua_core::Role;
use akua_testkit::Fault;
use akua_tests::{Api, Reply};
use axum::http::StatusCode;
use serde_json::json;

/// Creates a workspace as `usr_owner` (its first event) and returns its id.
async fn workspace(api: &Api) -> String {
    let r = api
        .as_user("usr_owner")
        .post("/v1/workspaces", json!({"name": "Acme"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn log(api: &Api, ws: &str, query: &str) -> Reply {
    api.as_user("usr_owner")
        .get(&format!("/v1/workspaces/{ws}/audit_log{query}"))
        .await
}

fn actions(page: &Reply) -> Vec<String> {
    page.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

async fn audit_items(api: &Api) -> usize {
    api.engine
        .all_items()
        .await
        .iter()
        .filter(|i| i["pk"].as_s().unwrap().starts_with("AUDIT#"))
        .count()
}

#[tokio::test]
async fn every_change_is_in_the_log_newest_first_with_who_and_from_where() {
    let api = Api::start().await;
    let ws = workspace(&api).await;
    let owner = api.as_user("usr_owner");
    let members = format!("/v1/workspaces/{ws}/members");
    let r = owner
        .post(&members, json!({"user_id": "usr_bob", "role": "member"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = owner
        .patch(&format!("{members}/usr_bob"), json!({"role": "admin"}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = owner
        .in_ws(&ws)
        .post("/v1/api_tokens", json!({"name": "deploy"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let token = r.body["token"].as_str().unwrap().to_owned();
    let r = owner
        .in_ws(&ws)
        .post(
            &format!("/v1/api_tokens/{id}/roll"),
            json!({"grace_period_secs": 60}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // A token acts too: it revokes itself.
    let r = api
        .as_token(r.body["token"].as_str().unwrap())
        .delete(&format!("/v1/api_tokens/{id}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = owner.delete(&format!("{members}/usr_bob")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    let page = log(&api, &ws, "").await;
    assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
    assert_eq!(
        actions(&page),
        [
            "member.removed",
            "token.revoked",
            "token.rolled",
            "token.created",
            "member.role_changed",
            "member.added",
            "workspace.created",
        ]
    );
    let events = page.body["data"].as_array().unwrap();
    let created = &events[3];
    assert_eq!(
        created["actor"],
        json!({"id": "usr_owner", "credential": "jwt"})
    );
    assert_eq!(created["target"], json!({"type": "api_token", "id": id}));
    assert_eq!(created["source_ip"], "127.0.0.1");
    assert_eq!(created["detail"], "name=deploy, role=admin");
    assert!(created["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(
        events[1]["actor"],
        json!({"id": id, "credential": "api_token"})
    );
    assert_eq!(events[2]["detail"], "grace_period_secs=60");
    assert_eq!(events[4]["detail"], "role=admin");
    assert_eq!(
        events[0]["target"],
        json!({"type": "member", "id": "usr_bob"})
    );
    // Never a secret, in any event.
    let text = page.body.to_string();
    assert!(
        !text.contains(&token) && !text.contains("sk_akua_"),
        "{text}"
    );
    // Times never go backwards down the page.
    let times: Vec<i64> = events.iter().map(|e| e["at"].as_i64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
}

#[tokio::test]
async fn a_refused_change_writes_no_event() {
    let api = Api::start().await;
    let ws = workspace(&api).await;
    let owner = api.as_user("usr_owner");
    let before = audit_items(&api).await;
    let members = format!("/v1/workspaces/{ws}/members");
    // The last owner cannot leave or be demoted; an unknown token is 404;
    // adding the owner again is 409.
    let refusals = [
        owner.delete(&format!("{members}/usr_owner")).await,
        owner
            .patch(&format!("{members}/usr_owner"), json!({"role": "admin"}))
            .await,
        owner
            .in_ws(&ws)
            .delete("/v1/api_tokens/tok_doesnotexist")
            .await,
        owner
            .post(&members, json!({"user_id": "usr_owner", "role": "admin"}))
            .await,
    ];
    let statuses: Vec<u16> = refusals.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses, [409, 409, 404, 409]);
    assert_eq!(audit_items(&api).await, before);
    assert_eq!(actions(&log(&api, &ws, "").await), ["workspace.created"]);
}

#[tokio::test]
async fn a_failed_write_leaves_neither_the_change_nor_its_event() {
    let (api, proxy) = Api::start_faulty().await;
    let ws = workspace(&api).await;
    let owner = api.as_user("usr_owner");
    proxy.set(Some("TransactWriteItems"), Fault::ServerError);
    let r = owner
        .in_ws(&ws)
        .post("/v1/api_tokens", json!({"name": "ci"}))
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    let r = owner
        .post(
            &format!("/v1/workspaces/{ws}/members"),
            json!({"user_id": "usr_bob", "role": "member"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    proxy.heal();
    let items = api.engine.all_items().await;
    let pks: Vec<&str> = items
        .iter()
        .map(|i| i["pk"].as_s().unwrap().as_str())
        .collect();
    assert!(!pks.iter().any(|pk| pk.starts_with("CRED#")), "{pks:?}");
    assert_eq!(audit_items(&api).await, 1, "only workspace.created");
    // And a change that goes through always has its event.
    let r = owner
        .in_ws(&ws)
        .post("/v1/api_tokens", json!({"name": "ci"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        actions(&log(&api, &ws, "").await),
        ["token.created", "workspace.created"]
    );
}

#[tokio::test]
async fn filters_and_cursors_page_through_the_log() {
    let api = Api::start().await;
    let ws = workspace(&api).await;
    let owner = api.as_user("usr_owner").in_ws(&ws);
    for i in 0..5 {
        let r = owner
            .post("/v1/api_tokens", json!({"name": format!("t{i}")}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    // Five creations and the workspace's own event, two at a time.
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let page = log(&api, &ws, &query).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        seen.extend(actions(&page));
        match page.body["next_cursor"].as_str() {
            Some(c) => query = format!("?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    assert_eq!(seen.last().unwrap(), "workspace.created");

    let only = log(&api, &ws, "?action=workspace.created").await;
    assert_eq!(actions(&only), ["workspace.created"]);
    let filtered = log(&api, &ws, "?action=token.created&limit=3").await;
    assert_eq!(actions(&filtered), ["token.created"; 3]);
    assert_eq!(filtered.body["has_more"], true);
    let by = log(&api, &ws, "?actor=usr_nobody").await;
    assert_eq!(actions(&by), Vec::<String>::new());
    let by = log(&api, &ws, "?actor=usr_owner&limit=100").await;
    assert_eq!(actions(&by).len(), 6);
    let future = log(&api, &ws, "?since=99999999999").await;
    assert_eq!(actions(&future), Vec::<String>::new());
    let past = log(&api, &ws, "?until=1000").await;
    assert_eq!(actions(&past), Vec::<String>::new());
    let backwards = log(&api, &ws, "?since=10&until=5").await;
    assert_eq!(backwards.status, StatusCode::OK);
    assert_eq!(actions(&backwards), Vec::<String>::new());

    for (query, field) in [
        ("?action=token.stolen", "action"),
        ("?since=yesterday", "since"),
        ("?limit=0", "limit"),
    ] {
        let r = log(&api, &ws, query).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(r.body["error"]["field"], field, "{query}: {:?}", r.body);
    }
    let r = log(&api, &ws, "?cursor=garbage").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn only_owners_and_admins_read_a_workspace_log() {
    let api = Api::start().await;
    let ws = workspace(&api).await;
    api.add_member(&ws, "usr_admin", Role::Admin).await;
    api.add_member(&ws, "usr_member", Role::Member).await;
    let path = format!("/v1/workspaces/{ws}/audit_log");
    assert_eq!(
        api.as_user("usr_admin").get(&path).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.as_user("usr_member").get(&path).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.as_user("usr_stranger").get(&path).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.anonymous().get(&path).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A member-role token is refused; an admin token reads it.
    let make = |role: &str| {
        api.as_user("usr_owner")
            .in_ws(&ws)
            .post("/v1/api_tokens", json!({"name": role, "role": role}))
    };
    let member_token = make("member").await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let admin_token = make("admin").await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        api.as_token(&member_token).get(&path).await.status,
        StatusCode::FORBIDDEN
    );
    let r = api.as_token(&admin_token).get(&path).await;
    assert_eq!(r.status, StatusCode::OK);
    // Another workspace's log is not there for it.
    let other = "/v1/workspaces/ws_other/audit_log";
    assert_eq!(
        api.as_token(&admin_token).get(other).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn your_own_log_has_your_sessions_and_device_logins() {
    let api = Api::start().await;
    let r = api
        .form("/v1/auth/device/code", &[("client_id", "cnap")])
        .await;
    let user_code = r.body["user_code"].as_str().unwrap().to_owned();
    let device_code = r.body["device_code"].as_str().unwrap().to_owned();
    let ada = api.as_user("usr_ada");
    let r = ada
        .post("/v1/auth/device/approve", json!({"user_code": user_code}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = api
        .form(
            "/v1/auth/device/token",
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", &device_code),
                ("client_id", "cnap"),
            ],
        )
        .await;
    let session = r.body["access_token"].as_str().unwrap().to_owned();
    let r = api.as_token(&session).delete("/v1/auth/session").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);

    let mine = ada.get("/v1/me/audit_log").await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    assert_eq!(actions(&mine), ["session.revoked", "device.approved"]);
    let events = mine.body["data"].as_array().unwrap();
    assert_eq!(events[0]["detail"], "logout");
    assert_eq!(events[0]["actor"]["credential"], "session");
    assert_eq!(
        events[1]["target"],
        json!({"type": "device_login", "id": "cnap"})
    );
    // Nobody else's, and not for a token.
    assert_eq!(
        actions(&api.as_user("usr_bob").get("/v1/me/audit_log").await),
        Vec::<String>::new()
    );
    let ws = workspace(&api).await;
    let token = api
        .as_user("usr_owner")
        .in_ws(&ws)
        .post("/v1/api_tokens", json!({"name": "ci"}))
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = api.as_token(&token).get("/v1/me/audit_log").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn events_expire_with_the_retention_period_and_are_never_read_after_it() {
    use akua_core::audit::{self, AuditFilter, Origin};
    use akua_core::workspaces::{self, CreateWorkspaceRequest};
    use akua_core::{Principal, UserId, WorkspaceName};

    let api = Api::start().await;
    let store = &api.engine.store;
    let person = Principal::Person(akua_core::principal::Person {
        user_id: UserId::parse("usr_owner").unwrap(),
        credential: akua_core::principal::PersonCredential::Jwt,
        scope: None,
        expires_at: None,
        sign_in: akua_core::sudo::SignIn::Machine,
    });
    let now = akua_core::clock::now();
    let day = 86_400;
    let retention = audit::DEFAULT_RETENTION_DAYS * day;
    let old = now - retention - day;
    let request = CreateWorkspaceRequest {
        name: WorkspaceName::parse("Old").unwrap(),
    };
    let ws = workspaces::create(store, &person, &Origin::default(), request, old)
        .await
        .unwrap()
        .id;
    let item = api
        .engine
        .all_items()
        .await
        .into_iter()
        .find(|i| i["pk"].as_s().unwrap().starts_with("AUDIT#"))
        .unwrap();
    // TTL deletes it at the end of the retention period...
    assert_eq!(item["ttl"].as_n().unwrap(), &(old + retention).to_string());
    assert!(
        !item.contains_key("expires_at"),
        "the sweep never reads events"
    );
    // ...and until it does, no read returns it.
    let filter = AuditFilter::default();
    let page = akua_core::audit_log::list_workspace(store, &person, &ws, &filter, 50, None, now)
        .await
        .unwrap();
    assert!(page.data.is_empty(), "{:?}", page.data);
    let page =
        akua_core::audit_log::list_workspace(store, &person, &ws, &filter, 50, None, old + day)
            .await
            .unwrap();
    assert_eq!(page.data.len(), 1);
}
