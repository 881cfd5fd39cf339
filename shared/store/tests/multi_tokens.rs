//! Multi-workspace tokens in the decision (DESIGN §1): a broad credential
//! acting for its owner in a listed `Akua-Context` workspace, with the lower
//! of its cap and the owner's role, cut off when the owner leaves. Exactly
//! two consistent reads per decision, counted at the SDK client.

use akua_core::issue::{self, NewMultiToken};
use akua_core::ports::{CredentialStore as _, DecisionStore as _, WorkspaceStore as _};
use akua_core::principal::{MultiToken, Scope};
use akua_core::records::{Membership, StoredCredential};
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

fn ada() -> UserId {
    UserId::parse("usr_ada").unwrap()
}

async fn member(engine: &Engine, workspace: &str, role: Role) {
    engine
        .store
        .add_member(
            &Membership {
                workspace_id: ws(workspace),
                user_id: ada(),
                role,
                joined_at: NOW - 100,
            },
            &[],
        )
        .await
        .unwrap();
}

async fn multi_token(engine: &Engine, cap: TokenRole, expires_at: Option<i64>) -> ApiToken {
    let new = NewMultiToken {
        restrictions: Default::default(),
        user_id: ada(),
        name: TokenName::parse("laptop").unwrap(),
        role: cap,
        workspace_ids: vec![ws("ws_a"), ws("ws_b")],
        expires_at,
    };
    let (token, _) = issue::multi_token(&engine.store, new, None, NOW - 10)
        .await
        .unwrap();
    engine.calls.reset();
    token
}

async fn decide(
    authorizer: &Authorizer<DynamoStore>,
    token: &ApiToken,
    context: Option<&str>,
) -> Decision {
    authorizer
        .decide(Some(&format!("Bearer {}", token.expose())), context, NOW)
        .await
        .unwrap()
}

fn scope(decision: &Decision) -> Option<Scope> {
    match decision {
        Decision::Allow(p @ Principal::MultiToken(_)) => p.scope(),
        other => panic!("not a multi-workspace token allowed: {other:?}"),
    }
}

#[tokio::test]
async fn it_acts_in_a_listed_workspace_with_the_lower_of_cap_and_membership() {
    let engine = Engine::start().await;
    member(&engine, "ws_a", Role::Owner).await;
    member(&engine, "ws_b", Role::Member).await;
    member(&engine, "ws_c", Role::Owner).await;
    let token = multi_token(&engine, TokenRole::Admin, Some(NOW + 3600)).await;
    let authorizer = Authorizer::new(engine.store.clone(), None);

    // Capped: owner in ws_a, but the token's cap is admin.
    let d = decide(&authorizer, &token, Some("ws_a")).await;
    assert_eq!(
        scope(&d),
        Some(Scope {
            workspace_id: ws("ws_a"),
            role: Role::Admin
        })
    );
    let Decision::Allow(Principal::MultiToken(MultiToken {
        owner, expires_at, ..
    })) = &d
    else {
        unreachable!()
    };
    assert_eq!((owner, *expires_at), (&ada(), Some(NOW + 3600)));
    // Two consistent reads (credential, membership) and the first use's
    // throttled write.
    assert_eq!(
        engine.calls.count("GetItem"),
        2,
        "{:?}",
        engine.calls.snapshot()
    );
    assert_eq!(engine.calls.writes(), 1);

    // The owner's own role when lower; within 60 s, reads only: exactly two.
    engine.calls.reset();
    let d = decide(&authorizer, &token, Some("ws_b")).await;
    assert_eq!(scope(&d).unwrap().role, Role::Member);
    assert_eq!(engine.calls.total(), 2, "{:?}", engine.calls.snapshot());

    // Without Akua-Context: allowed, no workspace, one read.
    engine.calls.reset();
    assert_eq!(scope(&decide(&authorizer, &token, None).await), None);
    assert_eq!(engine.calls.total(), 1);

    // Not listed (though the owner belongs there): 403 after one read.
    engine.calls.reset();
    assert_eq!(
        decide(&authorizer, &token, Some("ws_c")).await,
        Decision::Forbidden(DenyReason::NotCovered)
    );
    assert_eq!(engine.calls.total(), 1);
    assert_eq!(
        decide(&authorizer, &token, Some("not a workspace")).await,
        Decision::Forbidden(DenyReason::ContextMalformed)
    );
}

#[tokio::test]
async fn removing_the_owner_cuts_the_token_off_there_at_once() {
    let engine = Engine::start().await;
    member(&engine, "ws_a", Role::Owner).await;
    member(&engine, "ws_b", Role::Admin).await;
    let token = multi_token(&engine, TokenRole::Member, None).await;
    let authorizer = Authorizer::new(engine.store.clone(), None);
    assert_eq!(
        scope(&decide(&authorizer, &token, Some("ws_b")).await)
            .unwrap()
            .role,
        Role::Member
    );
    engine
        .store
        .remove_member(&ws("ws_b"), &ada(), &[])
        .await
        .unwrap();
    assert_eq!(
        decide(&authorizer, &token, Some("ws_b")).await,
        Decision::Forbidden(DenyReason::NotMember)
    );
    assert!(matches!(
        decide(&authorizer, &token, Some("ws_a")).await,
        Decision::Allow(_)
    ));
}

#[tokio::test]
async fn expiry_and_revocation_end_it_with_its_list_entries() {
    let engine = Engine::start().await;
    member(&engine, "ws_a", Role::Owner).await;
    member(&engine, "ws_b", Role::Owner).await;
    let authorizer = Authorizer::new(engine.store.clone(), None);

    let expired = multi_token(&engine, TokenRole::Admin, Some(NOW)).await;
    assert_eq!(
        decide(&authorizer, &expired, Some("ws_a")).await,
        Decision::Unauthorized(DenyReason::Expired)
    );

    let token = multi_token(&engine, TokenRole::Admin, None).await;
    let listed = engine
        .store
        .list_workspace_tokens(&ws("ws_b"), 50, None)
        .await
        .unwrap();
    let ids: Vec<_> = listed
        .rows
        .iter()
        .map(|(r, _)| r.token.id.clone())
        .collect();
    assert_eq!(ids.len(), 2, "both tokens listed in ws_b");
    let Some(StoredCredential::MultiWorkspaceToken(record)) =
        engine.store.credential(&token.hash()).await.unwrap()
    else {
        panic!("stored as a multi-workspace token")
    };
    let read = engine
        .store
        .pointer(record.id.as_str())
        .await
        .unwrap()
        .unwrap();
    assert!(
        engine
            .store
            .delete_multi_token(&read, &record, &[])
            .await
            .unwrap()
    );
    assert_eq!(
        decide(&authorizer, &token, Some("ws_a")).await,
        Decision::Unauthorized(DenyReason::UnknownCredential)
    );
    for workspace in ["ws_a", "ws_b"] {
        let rows = engine
            .store
            .list_workspace_tokens(&ws(workspace), 50, None)
            .await
            .unwrap()
            .rows;
        assert!(
            rows.iter().all(|(r, _)| r.token.id != record.id),
            "its entry in {workspace}'s list went with it"
        );
    }
    assert!(
        engine
            .store
            .pointer(record.id.as_str())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !engine
            .store
            .delete_multi_token(&read, &record, &[])
            .await
            .unwrap(),
        "a second revoke finds nothing"
    );
}
