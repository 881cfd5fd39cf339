//! Restricted tokens over HTTP, through the gateway and the authorizer as
//! deployed (docs/DESIGN.md, "Restricted tokens"): permissions, IP allow
//! lists, the workspace token policy, and the platform's routes.

use akua_core::Role;
use akua_core::multi_tokens::{CreateMultiTokenRequest, CreatedMultiToken};
use akua_core::paging::Page;
use akua_core::records::TokenKind;
use akua_core::token_policy::TokenPolicyBody;
use akua_core::tokens::{
    CreateApiTokenRequest, CreatedApiToken, RollApiTokenRequest, TokenSummary,
};
use akua_core::workspaces::UpdateWorkspaceRequest;
use akua_tests::calls::{at, multi_token_named, names, roll_with_grace, token_named};
use akua_tests::{Api, Call, Query, Reply};
use axum::http::StatusCode;

const DAY: i64 = 24 * 3600;

/// `usr_owner` owns `ws_a`; `usr_admin` is its admin.
async fn setup() -> Api {
    let api = Api::start().await;
    api.create_workspace("ws_a", "usr_owner").await;
    api.add_member("ws_a", "usr_admin", Role::Admin).await;
    api
}

/// `bearer` asks for a token of `ws_a` as `body` says.
fn create<'a>(
    api: &'a Api,
    bearer: &str,
    body: &CreateApiTokenRequest,
) -> impl Future<Output = Reply> + use<'a> {
    api.as_token(bearer)
        .in_ws("ws_a")
        .send(Call::create_token(body))
}

/// A token of `ws_a` made by its owner with `body`'s restrictions.
async fn token(api: &Api, body: &CreateApiTokenRequest) -> (String, CreatedApiToken) {
    let made: CreatedApiToken = create(api, &api.jwt("usr_owner"), body)
        .await
        .expect(StatusCode::CREATED);
    (made.token.expose().to_owned(), made)
}

/// A token request for `name` restricted to `permissions`.
fn restricted(name: &str, permissions: &[&str]) -> CreateApiTokenRequest {
    CreateApiTokenRequest {
        permissions: names(permissions),
        ..token_named(name)
    }
}

/// A token request for `name` usable only from `networks`.
fn fenced(name: &str, networks: &[&str]) -> CreateApiTokenRequest {
    CreateApiTokenRequest {
        allowed_cidrs: names(networks),
        ..token_named(name)
    }
}

/// `ws_a`'s token policy, whole, as an update.
fn policy(token_policy: TokenPolicyBody) -> Call {
    Call::update_workspace("ws_a", &UpdateWorkspaceRequest { token_policy })
}

fn list() -> Call {
    Call::list_tokens(Query::new())
}

fn now() -> i64 {
    akua_core::clock::now()
}

#[tokio::test]
async fn a_read_only_token_lists_but_cannot_create_nor_mint_a_writer() {
    let api = setup().await;
    let (reader, made) = token(&api, &restricted("ci", &["api_tokens:read"])).await;
    assert_eq!(made.permissions, names(&["api_tokens:read"]));
    let r = api.as_token(&reader).send(list()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let page: Page<TokenSummary> = r.ok();
    let listed = page.data.iter().find(|t| t.id == made.id).unwrap();
    assert_eq!(listed.permissions, names(&["api_tokens:read"]));
    let r = create(&api, &reader, &token_named("more")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "insufficient_permission");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("api_tokens:write")
    );
    let r = create(&api, &reader, &restricted("more", &["api_tokens:write"])).await;
    assert_eq!(r.code(), "insufficient_permission");
}

#[tokio::test]
async fn a_token_grants_only_what_it_holds_and_by_default_its_own() {
    let api = setup().await;
    let (maker, _) = token(
        &api,
        &restricted("maker", &["api_tokens:read", "api_tokens:write"]),
    )
    .await;
    let r = create(&api, &maker, &restricted("wider", &["members:write"])).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "insufficient_permission");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("members:write")
    );
    let inherits: CreatedApiToken = create(&api, &maker, &token_named("inherits"))
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(
        inherits.permissions,
        names(&["api_tokens:read", "api_tokens:write"])
    );
    let r = create(&api, &maker, &restricted("narrower", &["api_tokens:read"])).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // An unrestricted token may not be rolled by a restricted one.
    let (_, plain) = token(&api, &token_named("plain")).await;
    let r = api
        .as_token(&maker)
        .send(Call::roll_token(&plain.id, &roll_with_grace(0)))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "insufficient_permission");
}

#[tokio::test]
async fn unknown_permissions_and_bad_networks_are_named() {
    let api = setup().await;
    let owner = api.jwt("usr_owner");
    for (body, field, names) in [
        (
            restricted("x", &["api_tokens:delete"]),
            "permissions",
            "api_tokens:delete",
        ),
        (restricted("x", &[]), "permissions", "1 to 50"),
        (
            fenced("x", &["10.0.0.0/33"]),
            "allowed_cidrs",
            "10.0.0.0/33",
        ),
        (
            fenced("x", &["not-a-network"]),
            "allowed_cidrs",
            "not-a-network",
        ),
    ] {
        let r = create(&api, &owner, &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
        assert_eq!(r.body["error"]["field"], field);
        assert!(
            r.body["error"]["message"].as_str().unwrap().contains(names),
            "{:?}",
            r.body
        );
    }
    let r = api.as_token(&owner).send(Call::permissions()).await;
    assert_eq!(r.status, StatusCode::OK);
    let names: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"api_tokens:read") && names.contains(&"deployments:read"));
}

#[tokio::test]
async fn an_allow_list_refuses_other_addresses() {
    let api = setup().await;
    let (fenced_token, made) = token(&api, &fenced("vpc", &["10.0.0.0/8"])).await;
    assert_eq!(made.allowed_cidrs, ["10.0.0.0/8"]);
    let r = api.as_token(&fenced_token).send(list()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "ip_not_allowed");
    let r = api
        .as_token(&fenced_token)
        .from_ip("10.20.30.40")
        .send(list())
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let (local, _) = token(&api, &fenced("local", &["127.0.0.0/8", "::1/128"])).await;
    for ip in ["127.0.0.1", "::1", "::ffff:127.0.0.1"] {
        let r = api.as_token(&local).from_ip(ip).send(list()).await;
        assert_eq!(r.status, StatusCode::OK, "{ip}: {:?}", r.body);
    }
    // A token made by a fenced token is fenced within it.
    let inside = api
        .as_token(&fenced_token)
        .from_ip("10.0.0.1")
        .in_ws("ws_a");
    let child: CreatedApiToken = inside
        .send(Call::create_token(&token_named("child")))
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(child.allowed_cidrs, ["10.0.0.0/8"]);
    let r = inside
        .send(Call::create_token(&fenced("escape", &["0.0.0.0/0"])))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
}

#[tokio::test]
async fn a_token_policy_bounds_lifetimes_and_marks_older_tokens() {
    let api = setup().await;
    let owner = api.jwt("usr_owner");
    let (old, old_made) = token(&api, &token_named("old, never expires")).await;
    let thirty_days = TokenPolicyBody {
        max_lifetime_days: Some(30),
        require_expiry: true,
        allowed_cidrs: vec![],
    };
    let r = api
        .as_user("usr_admin")
        .send(policy(thirty_days.clone()))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "an admin: {:?}", r.body);
    let r = api.as_token(&old).send(policy(thirty_days.clone())).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "a token: {:?}", r.body);
    let r = api.as_token(&owner).send(policy(thirty_days)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["token_policy"]["max_lifetime_days"], 30);
    let r = api.as_user("usr_admin").send(Call::workspace("ws_a")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["token_policy"]["require_expiry"], true);
    assert_eq!(r.body["role"], "admin");

    let r = create(&api, &owner, &token_named("forever")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["error"]["field"], "expires_at");
    let expiring = |name: &str, expires_at: i64| CreateApiTokenRequest {
        expires_at: at(expires_at),
        ..token_named(name)
    };
    let r = create(&api, &owner, &expiring("90d", now() + 90 * DAY)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("30 days")
    );
    let r = create(&api, &owner, &expiring("7d", now() + 7 * DAY)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    // The older token keeps working and is listed as exceeding the policy.
    let r: Page<TokenSummary> = api.as_token(&old).send(list()).await.ok();
    let exceeds: Vec<(String, bool)> = r
        .data
        .iter()
        .map(|t| (t.name.clone(), t.exceeds_policy))
        .collect();
    assert!(
        exceeds.contains(&("old, never expires".to_owned(), true)),
        "{exceeds:?}"
    );
    assert!(exceeds.contains(&("7d".to_owned(), false)), "{exceeds:?}");

    // Rolling it asks for a compliant expiry.
    let r = api
        .as_token(&owner)
        .in_ws("ws_a")
        .send(Call::roll_token(&old_made.id, &roll_with_grace(0)))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    let compliant = RollApiTokenRequest {
        grace_period_secs: 0,
        expires_at: at(now() + 14 * DAY),
    };
    let r = api
        .as_token(&owner)
        .in_ws("ws_a")
        .send(Call::roll_token(&old_made.id, &compliant))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["expires_at"].as_i64().unwrap() > now());

    // Audited, with the policy.
    let r = api
        .as_token(&owner)
        .send(Call::audit_log(
            "ws_a",
            Query::new().action("workspace.token_policy_changed"),
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let detail = r.body["data"][0]["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains("max_lifetime_days=30"), "{detail}");
}

#[tokio::test]
async fn a_policy_allow_list_is_the_default_and_the_bound() {
    let api = setup().await;
    let owner = api.jwt("usr_owner");
    let r = api
        .as_token(&owner)
        .send(policy(TokenPolicyBody {
            max_lifetime_days: None,
            require_expiry: false,
            allowed_cidrs: vec!["10.0.0.0/8".into()],
        }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let (_, made) = token(&api, &token_named("defaulted")).await;
    assert_eq!(made.allowed_cidrs, ["10.0.0.0/8"]);
    let r = create(&api, &owner, &fenced("outside", &["192.168.0.0/16"])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["error"]["field"], "allowed_cidrs");
    let r = api
        .as_token(&owner)
        .send(policy(TokenPolicyBody {
            allowed_cidrs: vec!["10.0.0.0/99".into()],
            ..TokenPolicyBody::default()
        }))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.body["error"]["field"], "token_policy.allowed_cidrs");
}

#[tokio::test]
async fn a_multi_workspace_token_is_restricted_in_every_workspace() {
    let api = setup().await;
    let body = CreateMultiTokenRequest {
        permissions: names(&["api_tokens:read"]),
        allowed_cidrs: names(&["127.0.0.0/8"]),
        ..multi_token_named("laptop", &["ws_a"])
    };
    let made: CreatedMultiToken = api
        .as_user("usr_owner")
        .send(Call::create_my_token(&body))
        .await
        .expect(StatusCode::CREATED);
    assert_eq!(made.permissions, names(&["api_tokens:read"]));
    let multi = made.token.expose().to_owned();
    let r = api.as_token(&multi).in_ws("ws_a").send(list()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let page: Page<TokenSummary> = r.ok();
    let listed = page
        .data
        .iter()
        .find(|t| t.kind == TokenKind::MultiWorkspace)
        .unwrap();
    assert_eq!(listed.permissions, names(&["api_tokens:read"]));
    assert_eq!(listed.allowed_cidrs, ["127.0.0.0/8"]);
    let r = create(&api, &multi, &token_named("x")).await;
    assert_eq!(r.code(), "insufficient_permission");
    let r = api
        .as_token(&multi)
        .from_ip("192.0.2.1")
        .in_ws("ws_a")
        .send(list())
        .await;
    assert_eq!(r.code(), "ip_not_allowed");
}

/// The wire itself: the platform's routes are not the service's (no
/// [`Call`] names them); they are reached by the paths its route map
/// declares, which only the wire spells.
mod wire {
    use super::*;

    #[tokio::test]
    async fn platform_routes_are_enforced_as_deployed_and_see_the_permissions() {
        let api = setup().await;
        let (reader, _) = token(&api, &restricted("deploy-reader", &["deployments:read"])).await;
        let r = api.as_token(&reader).get("/v1/deployments/d_1").await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.body["platform_route"], "GET /v1/deployments/{id}");
        assert_eq!(r.body["authorizer"]["permissions"], "deployments:read");
        assert_eq!(r.body["authorizer"]["workspace_id"], "ws_a");
        let r = api
            .as_token(&reader)
            .get("/v1/deployments/d_1/logs/2026/12")
            .await;
        assert_eq!(r.status, StatusCode::OK, "greedy: {:?}", r.body);
        let r = api.as_token(&reader).delete("/v1/deployments/d_1").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        assert_eq!(r.code(), "insufficient_permission");
        assert!(
            r.body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("deployments:write")
        );
        // The service's own routes need their own permissions.
        let r = api.as_token(&reader).send(list()).await;
        assert_eq!(r.code(), "insufficient_permission");
        // Who am I needs none; an unrestricted token carries no list.
        let r = api.as_token(&reader).send(Call::whoami()).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let (plain, _) = token(&api, &token_named("plain")).await;
        let r = api.as_token(&plain).delete("/v1/deployments/d_1").await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert!(r.body["authorizer"].get("permissions").is_none());
        let r = api.as_token(&plain).get("/v1/clusters").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "not in the route map");
    }
}
