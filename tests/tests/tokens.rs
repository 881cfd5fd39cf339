//! Workspace API tokens over HTTP (issue: create, list, revoke), through the
//! local gateway: the real authorizer decides, the real router answers.

use std::collections::BTreeSet;

use akua_core::clock::UnixTime;
use akua_core::tokens::{CreateApiTokenRequest, CreatedApiToken};
use akua_core::{Role, TokenRole};
use akua_tests::calls::{at, roll_with_grace, token_named};
use akua_tests::{Api, Call, Query, Reply};
use axum::http::StatusCode;
use serde_json::Value;

const WS: &str = "ws_acme";

/// An API with `usr_owner` (owner), `usr_admin` (admin) and `usr_member`
/// (member) in `ws_acme`, and `usr_other` owning `ws_other`.
async fn setup() -> Api {
    let api = Api::start().await;
    api.add_member(WS, "usr_owner", Role::Owner).await;
    api.add_member(WS, "usr_admin", Role::Admin).await;
    api.add_member(WS, "usr_member", Role::Member).await;
    api.add_member("ws_other", "usr_other", Role::Owner).await;
    api
}

/// `as_user` creates a token of `ws_acme` as `body` asks.
fn create<'a>(
    api: &'a Api,
    as_user: &str,
    body: &CreateApiTokenRequest,
) -> impl Future<Output = Reply> + use<'a> {
    api.as_user(as_user)
        .in_ws(WS)
        .send(Call::create_token(body))
}

/// A token named `name` made by `usr_owner`: (secret, id).
async fn new_token(api: &Api, name: &str) -> (String, String) {
    let made: CreatedApiToken = create(api, "usr_owner", &token_named(name))
        .await
        .expect(StatusCode::CREATED);
    (made.token.expose().to_owned(), made.id)
}

/// A token request for `name` with `role`.
fn with_role(name: &str, role: TokenRole) -> CreateApiTokenRequest {
    CreateApiTokenRequest {
        role: Some(role),
        ..token_named(name)
    }
}

fn list() -> Call {
    Call::list_tokens(Query::new())
}

#[tokio::test]
async fn create_returns_the_token_once_with_the_documented_fields() {
    let api = setup().await;
    let r = create(&api, "usr_admin", &with_role("deploy", TokenRole::Member)).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let b = &r.body;
    assert!(b["id"].as_str().unwrap().starts_with("tok_"));
    assert_eq!(b["workspace_id"], WS);
    assert_eq!(b["name"], "deploy");
    assert_eq!(b["role"], "member");
    assert_eq!(b["expires_at"], Value::Null);
    assert!(b["created_at"].as_i64().unwrap() > 1_700_000_000);
    let token = b["token"].as_str().unwrap();
    assert!(token.starts_with("sk_akua_") && token.len() == 40);
    assert_eq!(b["prefix"].as_str().unwrap(), &token[..12]);
    let mut keys: Vec<_> = b.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "allowed_cidrs",
            "created_at",
            "expires_at",
            "id",
            "name",
            "permissions",
            "prefix",
            "role",
            "token",
            "workspace_id"
        ]
    );

    // Never again: not in the list, not in the table.
    let list = api.as_token(token).send(list()).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.to_string().contains(token));
    assert!(list.body["data"][0].get("token").is_none());
    assert!(!format!("{:?}", api.engine.all_items().await).contains(token));
}

#[tokio::test]
async fn role_defaults_to_admin_and_a_token_acts_on_its_workspace() {
    let api = setup().await;
    let r = create(&api, "usr_owner", &token_named("ci")).await;
    assert_eq!(r.body["role"], "admin");
    let token = r.body["token"].as_str().unwrap();
    // The token creates another token in its own workspace without a header.
    let r = api
        .as_token(token)
        .send(Call::create_token(&with_role("child", TokenRole::Member)))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["workspace_id"], WS);
    // ...and is refused for another workspace.
    let r = api.as_token(token).in_ws("ws_other").send(list()).await;
    assert_eq!(
        (r.status, r.code(), r.reason()),
        (StatusCode::FORBIDDEN, "forbidden", "wrong_workspace")
    );
}

#[tokio::test]
async fn roles_gate_create_and_revoke_but_not_list() {
    let api = setup().await;
    let (_, id) = new_token(&api, "a").await;
    let member = api.as_user("usr_member");
    let r = member
        .in_ws(WS)
        .send(Call::create_token(&token_named("x")))
        .await;
    assert_eq!(
        (r.status, r.code(), r.reason()),
        (StatusCode::FORBIDDEN, "forbidden", "role_too_low")
    );
    let r = member.in_ws(WS).send(Call::revoke_token(&id)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = member.in_ws(WS).send(list()).await;
    assert_eq!(r.status, StatusCode::OK);

    // A member-role token can list but neither create nor revoke.
    let r = create(&api, "usr_owner", &with_role("ro", TokenRole::Member)).await;
    let ro = r.body["token"].as_str().unwrap().to_owned();
    assert_eq!(api.as_token(&ro).send(list()).await.status, StatusCode::OK);
    let r = api
        .as_token(&ro)
        .send(Call::create_token(&with_role("x", TokenRole::Member)))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = api.as_token(&ro).send(Call::revoke_token(&id)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Not a member at all: the authorizer refuses with 403.
    let outsider = api.as_user("usr_other");
    let r = outsider.in_ws(WS).send(list()).await;
    assert_eq!(
        (r.status, r.code(), r.reason()),
        (StatusCode::FORBIDDEN, "forbidden", "not_member")
    );
}

#[tokio::test]
async fn a_user_credential_without_akua_context_gets_403() {
    let api = setup().await;
    let owner = api.as_user("usr_owner");
    for call in [Call::create_token(&token_named("x")), list()] {
        let r = owner.send(call).await;
        assert_eq!(
            (r.status, r.code(), r.reason()),
            (StatusCode::FORBIDDEN, "forbidden", "workspace_required"),
            "{:?}",
            r.body
        );
    }
    let r = owner.send(Call::revoke_token("tok_x")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn no_or_bad_credential_is_401_in_the_envelope() {
    let api = setup().await;
    for caller in [
        api.anonymous(),
        api.as_token("garbage"),
        api.as_token("sk_akua_00000000000000000000000000000000"),
    ] {
        let r = caller.send(list()).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNAUTHORIZED, "unauthorized")
        );
        assert!(r.body["error"]["message"].is_string());
    }
}

/// Expiries the request type carries but the rule refuses; the values it
/// cannot even carry are the wire tests'.
#[tokio::test]
async fn invalid_create_bodies_are_422_naming_the_field() {
    let api = setup().await;
    let now = akua_core::clock::now();
    for expires_at in [now - 1, -5, now + 6 * 365 * 86400] {
        let body = CreateApiTokenRequest {
            expires_at: at(expires_at),
            ..token_named("a")
        };
        let r = create(&api, "usr_owner", &body).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_error"),
            "{expires_at}: {:?}",
            r.body
        );
        assert_eq!(
            r.body["error"]["field"], "expires_at",
            "{expires_at}: {:?}",
            r.body
        );
    }
    let ok = create(
        &api,
        "usr_owner",
        &CreateApiTokenRequest {
            expires_at: at(now + 3600),
            ..token_named(&"é".repeat(100))
        },
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED);
    assert_eq!(ok.body["expires_at"], now + 3600);
}

#[tokio::test]
async fn list_pages_newest_first_without_duplicates_or_gaps() {
    let api = setup().await;
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(new_token(&api, &format!("t{i}")).await.1);
    }
    let member = api.as_user("usr_member");
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let query = match &cursor {
            Some(c) => Query::new().limit(3).cursor(c),
            None => Query::new().limit(3),
        };
        let r = member.in_ws(WS).send(Call::list_tokens(query)).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        pages += 1;
        for t in r.body["data"].as_array().unwrap() {
            seen.push(t["id"].as_str().unwrap().to_owned());
            assert_eq!(t["workspace_id"], WS);
            assert!(t["prefix"].as_str().unwrap().starts_with("sk_akua_"));
            assert!(t.get("token").is_none());
        }
        if r.body["has_more"] == true {
            cursor = Some(r.body["next_cursor"].as_str().unwrap().to_owned());
        } else {
            assert_eq!(r.body["next_cursor"], Value::Null);
            break;
        }
    }
    assert_eq!(pages, 3);
    // Same second: ties broken by id, but every token exactly once.
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), 7);
    assert_eq!(seen.len(), 7);
    let mut expected = created.clone();
    expected.sort();
    let mut got = seen.clone();
    got.sort();
    assert_eq!(got, expected);

    // Default limit and an exact last page: no empty extra page.
    let r = member
        .in_ws(WS)
        .send(Call::list_tokens(Query::new().limit(7)))
        .await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 7);
    assert_eq!(r.body["has_more"], false);
}

#[tokio::test]
async fn bad_limits_are_422_and_bad_cursors_400() {
    let api = setup().await;
    for _ in 0..2 {
        new_token(&api, "t").await;
    }
    let owner = api.as_user("usr_owner");
    // A limit that is no number at all is a wire test's.
    for limit in [0, 101, -1] {
        let r = owner
            .in_ws(WS)
            .send(Call::list_tokens(Query::new().limit(limit)))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_error"),
            "limit={limit}"
        );
    }
    let first = owner
        .in_ws(WS)
        .send(Call::list_tokens(Query::new().limit(1)))
        .await;
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let mut tampered = cursor.clone();
    tampered.insert(5, 'x');
    for c in [tampered.as_str(), "garbage", "eyJ2IjoxfQ"] {
        let r = owner
            .in_ws(WS)
            .send(Call::list_tokens(Query::new().cursor(c)))
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::BAD_REQUEST, "bad_request"),
            "{c}"
        );
    }
    // A cursor from one workspace is refused in another.
    let other = api.as_user("usr_other");
    let r = other
        .in_ws("ws_other")
        .send(Call::list_tokens(Query::new().cursor(&cursor)))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn revoke_is_immediate_and_leaves_nothing_behind() {
    let api = setup().await;
    let (token, id) = new_token(&api, "doomed").await;
    // Everything but the audit log, which gains the revocation's event.
    let stored = || async {
        let items = api.engine.all_items().await;
        let audit = |i: &&std::collections::HashMap<_, aws_sdk_dynamodb::types::AttributeValue>| {
            i["pk"].as_s().is_ok_and(|pk| pk.starts_with("AUDIT#"))
        };
        (
            items.len() - items.iter().filter(audit).count(),
            items.iter().filter(audit).count(),
        )
    };
    let (before, events) = stored().await;
    let admin = api.as_user("usr_admin");
    let r = admin.in_ws(WS).send(Call::revoke_token(&id)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(r.body, Value::Null);
    // The very next request with it fails.
    let r = api.as_token(&token).send(list()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // Credential and pointer are both gone; the revocation is recorded.
    assert_eq!(stored().await, (before - 2, events + 1));
    // Twice → 404.
    let r = admin.in_ws(WS).send(Call::revoke_token(&id)).await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
}

#[tokio::test]
async fn revoke_never_reveals_other_workspaces_tokens() {
    let api = setup().await;
    let other = api.as_user("usr_other");
    let r = other
        .in_ws("ws_other")
        .send(Call::create_token(&token_named("theirs")))
        .await;
    let (their_token, their_id) = (
        r.body["token"].as_str().unwrap().to_owned(),
        r.body["id"].as_str().unwrap().to_owned(),
    );
    let owner = api.as_user("usr_owner");
    for id in [
        their_id.as_str(),
        "tok_doesnotexist",
        "not-an-id",
        "ses_abc",
        "tok_",
        // A NUL: `%00` on the path.
        "\0",
    ] {
        let r = owner.in_ws(WS).send(Call::revoke_token(id)).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::NOT_FOUND, "not_found"),
            "{id:?}"
        );
    }
    // Still works.
    let r = api.as_token(&their_token).send(list()).await;
    assert_eq!(r.status, StatusCode::OK);
}

#[tokio::test]
async fn concurrent_creates_all_land() {
    let api = setup().await;
    let replies = futures::future::join_all(
        (0..20).map(|i| create(&api, "usr_owner", &token_named(&format!("c{i}")))),
    )
    .await;
    let ids: BTreeSet<String> = replies
        .iter()
        .map(|r| {
            assert_eq!(r.status, StatusCode::CREATED);
            r.body["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 20);
    let owner = api.as_user("usr_owner");
    let r = owner
        .in_ws(WS)
        .send(Call::list_tokens(Query::new().limit(100)))
        .await;
    assert_eq!(r.body["data"].as_array().unwrap().len(), 20);
}

#[tokio::test]
async fn create_then_immediately_revoke() {
    let api = setup().await;
    let (token, id) = new_token(&api, "blink").await;
    let owner = api.as_user("usr_owner");
    let r = owner.in_ws(WS).send(Call::revoke_token(&id)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(
        api.as_token(&token).send(list()).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn end_to_end_create_use_see_last_used_revoke() {
    let api = setup().await;
    let (token, id) = new_token(&api, "e2e").await;
    // The authorizer allows it...
    let r = api.as_token(&token).send(list()).await;
    assert_eq!(r.status, StatusCode::OK);
    // ...and last_used_at shows up in the list.
    let listed = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .cloned()
        .unwrap();
    let r2 = api.as_token(&token).send(list()).await;
    let listed2 = r2.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id.as_str())
        .cloned()
        .unwrap();
    // The first use wrote it (the list reads an index, so the very request
    // that wrote it may or may not see it); the next list must.
    assert_eq!(listed["created_at"], listed2["created_at"]);
    let used = listed2["last_used_at"]
        .as_i64()
        .expect("last_used_at recorded");
    assert!((used - akua_core::clock::now()).abs() <= 5, "{listed2}");
    // Revoke: 401 on the next call.
    let r = api.as_token(&token).send(Call::revoke_token(&id)).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = api.as_token(&token).send(list()).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "unauthorized")
    );
}

/// Rolling is creating (docs/DESIGN.md R9), over HTTP as a user meets it:
/// an admin token that expires in 10 minutes may roll only what it could
/// create now.
#[tokio::test]
async fn a_short_lived_token_rolls_only_what_it_could_create() {
    let api = setup().await;
    let now = akua_core::clock::now();
    let made = |expires_at: Option<i64>| {
        let api = &api;
        async move {
            let body = CreateApiTokenRequest {
                expires_at: expires_at.map(UnixTime),
                ..token_named("t")
            };
            let r = create(api, "usr_owner", &body).await;
            assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
            r.body["id"].as_str().unwrap().to_owned()
        }
    };
    let never = made(None).await;
    let tomorrow = made(Some(now + 86_400)).await;
    let in_five_minutes = made(Some(now + 300)).await;
    let body = CreateApiTokenRequest {
        expires_at: at(now + 600),
        ..token_named("short")
    };
    let r = create(&api, "usr_owner", &body).await;
    let short = api.as_token(r.body["token"].as_str().unwrap());
    let roll = |id: &str| short.send(Call::roll_token(id, &roll_with_grace(0)));
    for id in [&never, &tomorrow] {
        let r = roll(id).await;
        assert_eq!(
            (r.status, r.code(), r.reason()),
            (StatusCode::FORBIDDEN, "forbidden", "exceeds_creator"),
            "{:?}",
            r.body
        );
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("expires later")
        );
    }
    let r = roll(&in_five_minutes).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["expires_at"], now + 300);
    // The refused rolls changed nothing: their tokens' owners still hold
    // working secrets, and only the allowed roll was recorded.
    let owner = api.as_user("usr_owner");
    let log = owner
        .in_ws(WS)
        .send(Call::audit_log(WS, Query::new().action("token.rolled")))
        .await;
    assert_eq!(log.status, StatusCode::OK, "{:?}", log.body);
    assert_eq!(log.body["data"].as_array().unwrap().len(), 1);
}

/// The wire itself: bodies the request type cannot carry, bodies that are
/// no JSON, a query value that is no number, routes and methods the API
/// does not have.
mod wire {
    use super::*;
    use axum::http::Method;
    use serde_json::json;

    /// `body` sent as it is, by `usr_owner` in `ws_acme`.
    async fn create_raw(api: &Api, body: Value) -> Reply {
        api.as_user("usr_owner")
            .in_ws(WS)
            .post("/v1/api_tokens", body)
            .await
    }

    /// Values [`CreateApiTokenRequest`] cannot even represent: a missing,
    /// empty, blank, long or non-string name, an expiry that is no number,
    /// a role no token has, a field the request does not have.
    #[tokio::test]
    async fn unrepresentable_create_bodies_are_422_naming_the_field() {
        let api = setup().await;
        let cases = [
            (json!({}), "name"),
            (json!({"name": ""}), "name"),
            (json!({"name": "   "}), "name"),
            (json!({"name": "x".repeat(101)}), "name"),
            (json!({"name": 42}), "name"),
            (json!({"name": "a", "expires_at": "tomorrow"}), "expires_at"),
            (json!({"name": "a", "role": "owner"}), "role"),
            (json!({"name": "a", "role": "root"}), "role"),
            (
                json!({"name": "a", "workspace_id": "ws_other"}),
                "workspace_id",
            ),
        ];
        for (body, field) in cases {
            let r = create_raw(&api, body.clone()).await;
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::UNPROCESSABLE_ENTITY, "validation_error"),
                "{body}: {:?}",
                r.body
            );
            assert_eq!(r.body["error"]["field"], field, "{body}: {:?}", r.body);
        }
    }

    #[tokio::test]
    async fn unreadable_bodies_are_400() {
        let api = setup().await;
        let jwt = api.jwt("usr_owner");
        let send = |content_type: Option<&'static str>, body: &'static str| {
            let mut b = axum::http::Request::builder()
                .method(Method::POST)
                .uri("/v1/api_tokens")
                .header("authorization", format!("Bearer {jwt}"))
                .header("akua-context", WS);
            if let Some(ct) = content_type {
                b = b.header("content-type", ct);
            }
            b.body(axum::body::Bytes::from_static(body.as_bytes()))
                .unwrap()
        };
        for (ct, body) in [
            (Some("application/json"), "not json"),
            (Some("application/json"), ""),
            (Some("application/json"), "{\"name\": \"a\""),
            (Some("text/plain"), "{\"name\": \"a\"}"),
            (None, "{\"name\": \"a\"}"),
        ] {
            let r = api.send(send(ct, body)).await;
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::BAD_REQUEST, "bad_request"),
                "{ct:?} {body:?}"
            );
        }
        let r = api
            .send(send(
                Some("application/json; charset=utf-8"),
                "{\"name\": \"a\"}",
            ))
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }

    /// [`Query::limit`] takes a number; the API also meets text.
    #[tokio::test]
    async fn a_limit_that_is_no_number_is_422() {
        let api = setup().await;
        new_token(&api, "t").await;
        let r = api
            .as_user("usr_owner")
            .in_ws(WS)
            .get("/v1/api_tokens?limit=abc")
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation_error"),
            "{:?}",
            r.body
        );
    }

    #[tokio::test]
    async fn unknown_routes_and_methods_use_the_envelope() {
        let api = setup().await;
        let owner = api.as_user("usr_owner");
        let r = owner.in_ws(WS).get("/v1/nope").await;
        assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
        let r = owner
            .in_ws(WS)
            .request(Method::PUT, "/v1/api_tokens", None)
            .await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed")
        );
    }
}
