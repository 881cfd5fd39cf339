//! The audit log over HTTP: every security-relevant change leaves its event
//! in the same transaction (a refused or failed change leaves none), the
//! log reads newest first with filters and cursors, and only owners and
//! admins read a workspace's log.

use akua_core::audit::{ActorKind, AuditActor, AuditEntry, AuditTarget, TargetKind};
use akua_core::device::{AccessToken, DeviceAuthorization};
use akua_core::paging::Page;
use akua_core::tokens::{CreateApiTokenRequest, CreatedApiToken};
use akua_core::{Role, TokenRole};
use akua_testkit::Fault;
use akua_tests::calls::{roll_with_grace, token_named};
use akua_tests::{Api, Call, Query, Reply};
use axum::http::StatusCode;

/// Creates a workspace as `usr_owner` (its first event) and returns its id.
async fn workspace(api: &Api) -> String {
    let r = api
        .as_user("usr_owner")
        .send(Call::create_workspace("Acme"))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["id"].as_str().unwrap().to_owned()
}

async fn log(api: &Api, ws: &str, query: Query) -> Reply {
    api.as_user("usr_owner")
        .send(Call::audit_log(ws, query))
        .await
}

/// The events of a page of the log, after checking it is one.
fn entries(page: &Reply) -> Vec<AuditEntry> {
    page.ok::<Page<AuditEntry>>().data
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

/// The secret of a token `usr_owner` creates in `ws` with `request`.
async fn token_of(api: &Api, ws: &str, request: &CreateApiTokenRequest) -> String {
    let created = api.as_user("usr_owner").in_ws(ws).new_token(request).await;
    created.token.expose().to_owned()
}

#[tokio::test]
async fn every_change_is_in_the_log_newest_first_with_who_and_from_where() {
    let api = Api::start().await;
    let ws = workspace(&api).await;
    let owner = api.as_user("usr_owner");
    let r = owner
        .send(Call::add_member(&ws, "usr_bob", TokenRole::Member))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let r = owner
        .send(Call::change_role(&ws, "usr_bob", TokenRole::Admin))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = owner
        .in_ws(&ws)
        .send(Call::create_token(&token_named("deploy")))
        .await;
    let created: CreatedApiToken = r.expect(StatusCode::CREATED);
    let id = created.id.clone();
    let token = created.token.expose().to_owned();
    let r = owner
        .in_ws(&ws)
        .send(Call::roll_token(&id, &roll_with_grace(60)))
        .await;
    let rolled: CreatedApiToken = r.ok();
    // A token acts too: it revokes itself.
    let r = api
        .as_token(rolled.token.expose())
        .send(Call::revoke_token(&id))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);
    let r = owner.send(Call::remove_member(&ws, "usr_bob")).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);

    let page = log(&api, &ws, Query::new()).await;
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
    let events = entries(&page);
    let created = &events[3];
    assert_eq!(
        created.actor,
        AuditActor {
            id: "usr_owner".into(),
            credential: ActorKind::Jwt
        }
    );
    assert_eq!(created.target, AuditTarget::new(TargetKind::ApiToken, &id));
    assert_eq!(created.source_ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(created.detail.as_deref(), Some("name=deploy, role=admin"));
    assert!(created.id.starts_with("evt_"));
    assert_eq!(
        events[1].actor,
        AuditActor {
            id: id.clone(),
            credential: ActorKind::ApiToken
        }
    );
    assert_eq!(events[2].detail.as_deref(), Some("grace_period_secs=60"));
    assert_eq!(events[4].detail.as_deref(), Some("role=admin"));
    assert_eq!(
        events[0].target,
        AuditTarget::new(TargetKind::Member, "usr_bob")
    );
    // Never a secret, in any event.
    let text = page.body.to_string();
    assert!(
        !text.contains(&token) && !text.contains("sk_akua_"),
        "{text}"
    );
    // Times never go backwards down the page.
    let times: Vec<i64> = events.iter().map(|e| e.at).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
}

#[tokio::test]
async fn a_refused_change_writes_no_event() {
    let api = Api::start().await;
    let ws = workspace(&api).await;
    let owner = api.as_user("usr_owner");
    let before = audit_items(&api).await;
    // The last owner cannot leave or be demoted; an unknown token is 404;
    // adding the owner again is 409.
    let refusals = [
        owner.send(Call::remove_member(&ws, "usr_owner")).await,
        owner
            .send(Call::change_role(&ws, "usr_owner", TokenRole::Admin))
            .await,
        owner
            .in_ws(&ws)
            .send(Call::revoke_token("tok_doesnotexist"))
            .await,
        owner
            .send(Call::add_member(&ws, "usr_owner", TokenRole::Admin))
            .await,
    ];
    let statuses: Vec<u16> = refusals.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses, [409, 409, 404, 409]);
    assert_eq!(audit_items(&api).await, before);
    assert_eq!(
        actions(&log(&api, &ws, Query::new()).await),
        ["workspace.created"]
    );
}

#[tokio::test]
async fn a_failed_write_leaves_neither_the_change_nor_its_event() {
    let (api, proxy) = Api::start_faulty().await;
    let ws = workspace(&api).await;
    let owner = api.as_user("usr_owner");
    proxy.set(Some("TransactWriteItems"), Fault::ServerError);
    let r = owner
        .in_ws(&ws)
        .send(Call::create_token(&token_named("ci")))
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    let r = owner
        .send(Call::add_member(&ws, "usr_bob", TokenRole::Member))
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
        .send(Call::create_token(&token_named("ci")))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(
        actions(&log(&api, &ws, Query::new()).await),
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
            .send(Call::create_token(&token_named(&format!("t{i}"))))
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    // Five creations and the workspace's own event, two at a time.
    let mut seen = Vec::new();
    let mut query = Query::new().limit(2);
    loop {
        let page = log(&api, &ws, query).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        seen.extend(actions(&page));
        match page.body["next_cursor"].as_str() {
            Some(c) => query = Query::new().limit(2).cursor(c),
            None => break,
        }
    }
    assert_eq!(seen.len(), 6);
    assert_eq!(seen.last().unwrap(), "workspace.created");

    let only = log(&api, &ws, Query::new().action("workspace.created")).await;
    assert_eq!(actions(&only), ["workspace.created"]);
    let filtered = log(&api, &ws, Query::new().action("token.created").limit(3)).await;
    assert_eq!(actions(&filtered), ["token.created"; 3]);
    assert_eq!(filtered.body["has_more"], true);
    let by = log(&api, &ws, Query::new().actor("usr_nobody")).await;
    assert_eq!(actions(&by), Vec::<String>::new());
    let by = log(&api, &ws, Query::new().actor("usr_owner").limit(100)).await;
    assert_eq!(actions(&by).len(), 6);
    let future = log(&api, &ws, Query::new().since(99999999999)).await;
    assert_eq!(actions(&future), Vec::<String>::new());
    let past = log(&api, &ws, Query::new().until(1000)).await;
    assert_eq!(actions(&past), Vec::<String>::new());
    let backwards = log(&api, &ws, Query::new().since(10).until(5)).await;
    assert_eq!(backwards.status, StatusCode::OK);
    assert_eq!(actions(&backwards), Vec::<String>::new());

    // (A `since` that is not a time at all is in `wire`.)
    for (query, field) in [
        (Query::new().action("token.stolen"), "action"),
        (Query::new().limit(0), "limit"),
    ] {
        let r = log(&api, &ws, query.clone()).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query:?}");
        assert_eq!(r.body["error"]["field"], field, "{query:?}: {:?}", r.body);
    }
    let r = log(&api, &ws, Query::new().cursor("garbage")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn only_owners_and_admins_read_a_workspace_log() {
    let api = Api::start().await;
    let ws = workspace(&api).await;
    api.add_member(&ws, "usr_admin", Role::Admin).await;
    api.add_member(&ws, "usr_member", Role::Member).await;
    let read = || Call::audit_log(&ws, Query::new());
    assert_eq!(
        api.as_user("usr_admin").send(read()).await.status,
        StatusCode::OK
    );
    assert_eq!(
        api.as_user("usr_member").send(read()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        api.as_user("usr_stranger").send(read()).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        api.anonymous().send(read()).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A member-role token is refused; an admin token reads it.
    let with_role = |name: &str, role: TokenRole| CreateApiTokenRequest {
        role: Some(role),
        ..token_named(name)
    };
    let member_token = token_of(&api, &ws, &with_role("member", TokenRole::Member)).await;
    let admin_token = token_of(&api, &ws, &with_role("admin", TokenRole::Admin)).await;
    assert_eq!(
        api.as_token(&member_token).send(read()).await.status,
        StatusCode::FORBIDDEN
    );
    let r = api.as_token(&admin_token).send(read()).await;
    assert_eq!(r.status, StatusCode::OK);
    // Another workspace's log is not there for it.
    let other = Call::audit_log("ws_other", Query::new());
    assert_eq!(
        api.as_token(&admin_token).send(other).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn your_own_log_has_your_sessions_and_device_logins() {
    let api = Api::start().await;
    let device = api.anonymous();
    let r = device.send(Call::device_code("cnap")).await;
    let started: DeviceAuthorization = r.ok();
    let ada = api.as_user("usr_ada");
    let r = ada.send(Call::approve_device(&started.user_code)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = device
        .send(Call::device_token(started.device_code.expose(), "cnap"))
        .await;
    let session = r.ok::<AccessToken>().access_token.expose().to_owned();
    let r = api.as_token(&session).send(Call::logout()).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{:?}", r.body);

    let mine = ada.send(Call::my_audit_log(Query::new())).await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    assert_eq!(actions(&mine), ["session.revoked", "device.approved"]);
    let events = entries(&mine);
    assert_eq!(events[0].detail.as_deref(), Some("logout"));
    assert_eq!(events[0].actor.credential, ActorKind::Session);
    assert_eq!(
        events[1].target,
        AuditTarget::new(TargetKind::DeviceLogin, "cnap")
    );
    // Nobody else's, and not for a token.
    let bobs = api
        .as_user("usr_bob")
        .send(Call::my_audit_log(Query::new()))
        .await;
    assert_eq!(actions(&bobs), Vec::<String>::new());
    let ws = workspace(&api).await;
    let token = token_of(&api, &ws, &token_named("ci")).await;
    let r = api
        .as_token(&token)
        .send(Call::my_audit_log(Query::new()))
        .await;
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
    let (filter, first) = (AuditFilter::default(), Default::default());
    let read =
        |at: i64| akua_core::audit_log::list_workspace(store, &person, &ws, &filter, &first, at);
    let page_now = read(now).await.unwrap();
    assert!(page_now.data.is_empty(), "{:?}", page_now.data);
    let page = read(old + day).await.unwrap();
    assert_eq!(page.data.len(), 1);
}

/// A filter value no `Query` can carry: a `since` that is not a time.
mod wire {
    use super::*;

    #[tokio::test]
    async fn a_since_that_is_not_a_time_is_a_validation_error_on_since() {
        let api = Api::start().await;
        let ws = workspace(&api).await;
        let r = api
            .as_user("usr_owner")
            .get(&format!("/v1/workspaces/{ws}/audit_log?since=yesterday"))
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.body["error"]["field"], "since", "{:?}", r.body);
    }
}
