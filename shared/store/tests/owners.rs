//! The last-owner rule under concurrency: the workspace item counts its
//! owners and every write that takes one away is a transaction conditioned
//! on another remaining, so two owners demoting or removing each other at
//! once can never leave a workspace without an owner.

use akua_core::ids::{Role, UserId, WorkspaceId, WorkspaceName};
use akua_core::ports::{Removal, RoleChange, WorkspaceStore};
use akua_core::records::{Membership, WorkspaceRecord};
use akua_store::DynamoStore;
use akua_testkit::Engine;
use aws_sdk_dynamodb::types::AttributeValue;

fn user(s: &str) -> UserId {
    UserId::parse(s).unwrap()
}

/// A workspace created by `usr_a`, with `usr_b` a second owner. The API
/// never makes a second owner, but workspaces written before the owner
/// count existed can have several: this one is made like them (the count
/// removed), so the count is also rebuilt from the memberships on first use.
async fn two_owners(store: &DynamoStore, n: usize) -> WorkspaceId {
    let ws = WorkspaceId::parse(&format!("ws_race{n}")).unwrap();
    let record = WorkspaceRecord {
        token_policy: Default::default(),
        id: ws.clone(),
        name: WorkspaceName::parse("race").unwrap(),
        created_at: 1,
        created_by: user("usr_a"),
    };
    let member = |u: &str| Membership {
        workspace_id: ws.clone(),
        user_id: user(u),
        role: Role::Owner,
        joined_at: 1,
    };
    store
        .create_workspace(&record, &member("usr_a"), &[])
        .await
        .unwrap();
    assert!(store.add_member(&member("usr_b"), &[]).await.unwrap());
    store
        .client()
        .update_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(format!("WS#{ws}")))
        .key("sk", AttributeValue::S("META".into()))
        .update_expression("REMOVE #owners")
        .expression_attribute_names("#owners", "owners")
        .send()
        .await
        .unwrap();
    ws
}

async fn owners(store: &DynamoStore, ws: &WorkspaceId) -> usize {
    let page = store.list_members(ws, 100, None).await.unwrap();
    page.rows
        .iter()
        .filter(|(m, _)| m.role == Role::Owner)
        .count()
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let engine = Engine::start().await;
    let store = &engine.store;
    for n in 0..10 {
        let ws = two_owners(store, n).await;
        let (ua, ub) = (user("usr_a"), user("usr_b"));
        let (a, b) = tokio::join!(
            store.set_member_role(&ws, &ua, Role::Admin, &[]),
            store.set_member_role(&ws, &ub, Role::Admin, &[]),
        );
        let outcomes = [a.unwrap(), b.unwrap()];
        let changed = outcomes
            .iter()
            .filter(|o| matches!(o, RoleChange::Changed(_)))
            .count();
        assert_eq!(changed, 1, "exactly one demotion succeeds: {outcomes:?}");
        assert!(outcomes.contains(&RoleChange::LastOwner));
        assert_eq!(owners(store, &ws).await, 1);
    }
}

#[tokio::test]
async fn two_owners_removing_each_other_at_once_leave_one_owner() {
    let engine = Engine::start().await;
    let store = &engine.store;
    for n in 0..10 {
        let ws = two_owners(store, n).await;
        let (ua, ub) = (user("usr_a"), user("usr_b"));
        let (a, b) = tokio::join!(
            store.remove_member(&ws, &ua, &[]),
            store.remove_member(&ws, &ub, &[]),
        );
        let mut outcomes = [a.unwrap(), b.unwrap()];
        outcomes.sort_by_key(|o| format!("{o:?}"));
        assert_eq!(outcomes, [Removal::LastOwner, Removal::Removed]);
        assert_eq!(owners(store, &ws).await, 1);
    }
}

#[tokio::test]
async fn the_last_owner_is_refused_and_others_change_freely() {
    let engine = Engine::start().await;
    let store = &engine.store;
    let ws = two_owners(store, 99).await;
    assert!(matches!(
        store.set_member_role(&ws, &user("usr_b"), Role::Member, &[]).await.unwrap(),
        RoleChange::Changed(m) if m.role == Role::Member
    ));
    assert_eq!(
        store
            .set_member_role(&ws, &user("usr_a"), Role::Admin, &[])
            .await
            .unwrap(),
        RoleChange::LastOwner
    );
    assert_eq!(
        store.remove_member(&ws, &user("usr_a"), &[]).await.unwrap(),
        Removal::LastOwner
    );
    assert_eq!(
        store.remove_member(&ws, &user("usr_b"), &[]).await.unwrap(),
        Removal::Removed
    );
    assert_eq!(
        store.remove_member(&ws, &user("usr_b"), &[]).await.unwrap(),
        Removal::NotMember
    );
    assert_eq!(
        store
            .set_member_role(&ws, &user("usr_z"), Role::Admin, &[])
            .await
            .unwrap(),
        RoleChange::NotMember
    );
    assert_eq!(owners(store, &ws).await, 1);
}
