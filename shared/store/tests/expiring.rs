//! The `token.expiring` notice: written by the sweep once per token and
//! expiry, inside the notice window only, also across a roll; never for a
//! secret in its grace period.

use akua_core::audit::{ActorKind, AuditAction, AuditEvent, AuditFilter, AuditLog};
use akua_core::clock::UnixTime;
use akua_core::issue::{self, NewApiToken};
use akua_core::ports::AuditStore as _;
use akua_core::principal::{Person, PersonCredential, Scope};
use akua_core::records::Creator;
use akua_core::tokens::{self, RollApiTokenRequest};
use akua_core::{Principal, Role, TokenName, TokenRole, UserId, WorkspaceId};
use akua_store::{DynamoStore, sweep};
use akua_testkit::Engine;

const NOW: i64 = 1_800_000_000;
const DAY: i64 = 86_400;

fn ws() -> WorkspaceId {
    WorkspaceId::parse("ws_a").unwrap()
}

fn owner() -> Principal {
    Principal::Person(Person {
        user_id: UserId::parse("usr_owner").unwrap(),
        credential: PersonCredential::Jwt,
        scope: Some(Scope {
            workspace_id: ws(),
            role: Role::Owner,
        }),
        expires_at: None,
        sign_in: akua_core::sudo::SignIn::Machine,
    })
}

async fn token(store: &DynamoStore, name: &str, expires_at: Option<i64>) -> String {
    let new = NewApiToken {
        restrictions: Default::default(),
        workspace_id: ws(),
        name: TokenName::parse(name).unwrap(),
        role: TokenRole::Admin,
        created_by: Some(Creator::User(UserId::parse("usr_owner").unwrap())),
        expires_at,
    };
    let (_, record) = issue::api_token(store, new, None, NOW - 10).await.unwrap();
    record.id.to_string()
}

async fn roll(store: &DynamoStore, id: &str, grace: i64, expires_at: Option<i64>, at: i64) {
    let request = RollApiTokenRequest {
        grace_period_secs: grace,
        expires_at: expires_at.map(UnixTime),
    };
    tokens::roll(store, &owner(), &Default::default(), id, request, at)
        .await
        .unwrap();
}

/// The workspace's `token.expiring` events, oldest first.
async fn notices(store: &DynamoStore, at: i64) -> Vec<AuditEvent> {
    let filter = AuditFilter {
        action: Some(AuditAction::TokenExpiring),
        ..Default::default()
    };
    let page = store
        .audit_events(&AuditLog::Workspace(ws()), &filter, 100, None, at)
        .await
        .unwrap();
    let mut events = page.events;
    events.reverse();
    events
}

#[tokio::test]
async fn a_notice_is_written_once_per_expiry_also_across_a_roll() {
    let engine = Engine::start().await;
    let store = &engine.store;
    let soon = token(store, "soon", Some(NOW + 3 * DAY)).await;
    let later = token(store, "later", Some(NOW + 30 * DAY)).await;
    let _never = token(store, "never", None).await;

    let first = sweep::run(store, NOW).await.unwrap();
    assert_eq!(first.notices, 1, "{first:?}");
    let written = notices(store, NOW).await;
    assert_eq!(written.len(), 1);
    let notice = &written[0];
    assert_eq!(notice.target.id, soon);
    assert_eq!(notice.actor.credential, ActorKind::Schedule);
    assert_eq!(notice.actor.id, "cleanup");
    let detail = format!("expires_at={}", NOW + 3 * DAY);
    assert_eq!(notice.detail.as_deref(), Some(detail.as_str()));

    // The next hour's sweep owes nothing more.
    let again = sweep::run(store, NOW + 3600).await.unwrap();
    assert_eq!(again.notices, 0, "{again:?}");

    // A roll keeps the id and the expiry: no second notice, and none for
    // the old secret, although it now expires within the hour.
    roll(store, &soon, 1800, None, NOW + 3600).await;
    let rolled = sweep::run(store, NOW + 2 * 3600).await.unwrap();
    assert_eq!(rolled.notices, 0, "{rolled:?}");
    assert_eq!(notices(store, NOW + 2 * 3600).await.len(), 1);

    // A roll to a new expiry is a new expiry: one notice for it.
    roll(store, &soon, 0, Some(NOW + 5 * DAY), NOW + 3 * 3600).await;
    let moved = sweep::run(store, NOW + 4 * 3600).await.unwrap();
    assert_eq!(moved.notices, 1, "{moved:?}");
    let written = notices(store, NOW + 4 * 3600).await;
    assert_eq!(written.len(), 2);
    let detail = format!("expires_at={}", NOW + 5 * DAY);
    assert_eq!(written[1].detail.as_deref(), Some(detail.as_str()));

    // The other token's turn comes seven days before its expiry, not before.
    let early = sweep::run(store, NOW + 22 * DAY).await.unwrap();
    assert_eq!(early.notices, 0, "{early:?}");
    let due = sweep::run(store, NOW + 23 * DAY).await.unwrap();
    assert_eq!(due.notices, 1, "{due:?}");
    let written = notices(store, NOW + 23 * DAY).await;
    assert_eq!(written.last().unwrap().target.id, later);
}

#[tokio::test]
async fn no_notice_for_a_revoked_token_or_with_the_window_off() {
    let engine = Engine::start().await;
    let soon = token(&engine.store, "soon", Some(NOW + DAY)).await;

    let off = engine.store.clone().with_expiring_notice_days(0);
    let summary = sweep::run(&off, NOW).await.unwrap();
    assert_eq!(summary.notices, 0, "{summary:?}");

    tokens::revoke(&engine.store, &owner(), &Default::default(), &soon, NOW)
        .await
        .unwrap();
    let summary = sweep::run(&engine.store, NOW).await.unwrap();
    assert_eq!(summary.notices, 0, "{summary:?}");
    assert!(notices(&engine.store, NOW).await.is_empty());
}
