//! Rolling an API token: a new secret under the same id, the old one kept
//! for its grace period and then refused like a revoked one, at its edges;
//! revocation and the sweep see both.

use akua_core::api_error::ApiError;
use akua_core::issue::{self, NewApiToken};
use akua_core::ports::{CredentialStore as _, DecisionStore as _};
use akua_core::principal::{Person, PersonCredential, Scope};
use akua_core::records::{Creator, StoredCredential};
use akua_core::tokens::{self, RollApiTokenRequest};
use akua_core::{
    ApiToken, Authorizer, Decision, DenyReason, Principal, Role, TokenName, TokenRole, UserId,
    WorkspaceId,
};
use akua_store::DynamoStore;
use akua_testkit::Engine;

const NOW: i64 = 1_800_000_000;

fn ws(s: &str) -> WorkspaceId {
    WorkspaceId::parse(s).unwrap()
}

fn owner_in(workspace: &str, role: Role) -> Principal {
    Principal::Person(Person {
        user_id: UserId::parse("usr_owner").unwrap(),
        credential: PersonCredential::Jwt,
        scope: Some(Scope {
            workspace_id: ws(workspace),
            role,
        }),
        expires_at: None,
        sign_in: akua_core::sudo::SignIn::Machine,
    })
}

async fn token(engine: &Engine, expires_at: Option<i64>) -> (ApiToken, String) {
    let new = NewApiToken {
        restrictions: Default::default(),
        workspace_id: ws("ws_a"),
        name: TokenName::parse("deploy").unwrap(),
        role: TokenRole::Admin,
        created_by: Some(Creator::User(UserId::parse("usr_owner").unwrap())),
        expires_at,
    };
    let (token, record) = issue::api_token(&engine.store, new, None, NOW - 10)
        .await
        .unwrap();
    (token, record.id.to_string())
}

async fn roll(engine: &Engine, id: &str, grace: i64, at: i64) -> Result<ApiToken, ApiError> {
    let request = RollApiTokenRequest {
        grace_period_secs: grace,
        expires_at: None,
    };
    let created = tokens::roll(
        &engine.store,
        &owner_in("ws_a", Role::Owner),
        &akua_core::audit::Origin::default(),
        id,
        request,
        at,
    )
    .await?;
    Ok(ApiToken::parse(created.token.expose()).unwrap())
}

async fn decide(authorizer: &Authorizer<DynamoStore>, token: &ApiToken, at: i64) -> Decision {
    authorizer
        .decide(Some(&format!("Bearer {}", token.expose())), None, at)
        .await
        .unwrap()
}

fn allowed(d: &Decision) -> bool {
    matches!(d, Decision::Allow(_))
}

#[tokio::test]
async fn the_old_secret_works_until_its_grace_ends_then_fails_like_a_revoked_one() {
    let engine = Engine::start().await;
    let authorizer = Authorizer::new(engine.store.clone(), None);
    let (old, id) = token(&engine, None).await;
    let new = roll(&engine, &id, 3600, NOW).await.unwrap();
    assert_ne!(old.expose(), new.expose());

    assert!(allowed(&decide(&authorizer, &old, NOW + 3599).await));
    assert_eq!(
        decide(&authorizer, &old, NOW + 3600).await,
        Decision::Unauthorized(DenyReason::Expired)
    );
    let Decision::Allow(p) = decide(&authorizer, &new, NOW + 3600).await else {
        panic!("the new secret works")
    };
    assert_eq!(p.credential_id(), Some(id.as_str()), "same id");

    // One row in the list, under the new prefix.
    let rows = engine
        .store
        .list_workspace_tokens(&ws("ws_a"), 50, None)
        .await
        .unwrap()
        .rows;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0.token.prefix, new.display_prefix());

    // One roll at a time while the old secret works.
    assert!(matches!(
        roll(&engine, &id, 60, NOW + 10).await,
        Err(ApiError::Conflict(_))
    ));

    // The sweep after the grace deletes the old secret, not the pointer.
    let swept = akua_store::sweep::run(&engine.store, NOW + 3601)
        .await
        .unwrap();
    assert_eq!(swept.deleted, 1);
    assert!(engine.store.pointer(&id).await.unwrap().is_some());
    assert!(
        engine
            .store
            .credential(&old.hash())
            .await
            .unwrap()
            .is_none()
    );

    // After the grace, another roll; grace 0 ends the old secret at once.
    let newer = roll(&engine, &id, 0, NOW + 3601).await.unwrap();
    assert_eq!(
        decide(&authorizer, &new, NOW + 3601).await,
        Decision::Unauthorized(DenyReason::UnknownCredential)
    );
    assert!(allowed(&decide(&authorizer, &newer, NOW + 3601).await));
}

#[tokio::test]
async fn revoking_during_the_grace_ends_both_secrets() {
    let engine = Engine::start().await;
    let authorizer = Authorizer::new(engine.store.clone(), None);
    let (old, id) = token(&engine, None).await;
    let new = roll(&engine, &id, 600, NOW).await.unwrap();
    tokens::revoke(
        &engine.store,
        &owner_in("ws_a", Role::Admin),
        &akua_core::audit::Origin::default(),
        &id,
        NOW,
    )
    .await
    .unwrap();
    for secret in [&old, &new] {
        assert_eq!(
            decide(&authorizer, secret, NOW + 1).await,
            Decision::Unauthorized(DenyReason::UnknownCredential)
        );
    }
    assert!(engine.store.pointer(&id).await.unwrap().is_none());
}

#[tokio::test]
async fn the_grace_never_outlives_the_token_and_the_rules_hold() {
    let engine = Engine::start().await;
    let authorizer = Authorizer::new(engine.store.clone(), None);
    let (old, id) = token(&engine, Some(NOW + 100)).await;
    let new = roll(&engine, &id, 3600, NOW).await.unwrap();
    assert_eq!(
        decide(&authorizer, &old, NOW + 100).await,
        Decision::Unauthorized(DenyReason::Expired)
    );
    let Some(StoredCredential::ApiToken(rolled)) =
        engine.store.credential(&new.hash()).await.unwrap()
    else {
        panic!("stored")
    };
    assert_eq!(rolled.expires_at, Some(NOW + 100), "same expiry");
    assert_eq!(rolled.name.as_str(), "deploy");
    assert_eq!(rolled.role, TokenRole::Admin);

    let (_, other) = token(&engine, None).await;
    for grace in [-1, 604_801] {
        assert!(matches!(
            roll(&engine, &other, grace, NOW).await,
            Err(ApiError::Validation { .. })
        ));
    }
    let request = || RollApiTokenRequest {
        grace_period_secs: 0,
        expires_at: None,
    };
    let member = tokens::roll(
        &engine.store,
        &owner_in("ws_a", Role::Member),
        &akua_core::audit::Origin::default(),
        &other,
        request(),
        NOW,
    )
    .await;
    assert!(matches!(
        member,
        Err(ApiError::Forbidden(akua_core::Refusal::RoleTooLow, _))
    ));
    let foreign = tokens::roll(
        &engine.store,
        &owner_in("ws_b", Role::Owner),
        &akua_core::audit::Origin::default(),
        &other,
        request(),
        NOW,
    )
    .await;
    assert!(matches!(foreign, Err(ApiError::NotFound(_))));
}
