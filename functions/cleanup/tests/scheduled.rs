//! The cleanup Lambda takes an EventBridge scheduled event (fixture shaped
//! like AWS's sample) and sweeps the real engine.

use akua_core::issue;
use akua_core::{UserId, clock};
use akua_testkit::Engine;
use aws_lambda_events::event::eventbridge::EventBridgeEvent;
use serde_json::Value;

#[tokio::test]
async fn a_scheduled_event_sweeps_expired_sessions() {
    let engine = Engine::start().await;
    let now = clock::now();
    let user = UserId::parse("usr_a").unwrap();
    issue::session(&engine.store, user.clone(), now - 2 * 365 * 86400)
        .await
        .unwrap();
    issue::session(&engine.store, user, now).await.unwrap();
    let event: EventBridgeEvent<Value> =
        serde_json::from_str(include_str!("fixtures/scheduled-event.json")).unwrap();
    let summary = akua_cleanup::handle(&engine.store, event, now)
        .await
        .unwrap();
    assert_eq!(summary.deleted, 1);
    assert_eq!(
        engine.all_items().await.len(),
        2,
        "the live session and its pointer remain"
    );
}
