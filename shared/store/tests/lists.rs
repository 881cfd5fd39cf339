//! The `lists` index (SCALING.md, question 2): it projects keys only, so
//! the hot path's writes cost no index write; a list is one index query
//! and one batch read; a table from an earlier release gets the index.

use akua_core::decision::SESSION_LIFETIME_SECS;
use akua_core::issue::{self, NewApiToken};
use akua_core::ports::CredentialStore as _;
use akua_core::records::Creator;
use akua_core::{
    ApiToken, Authorizer, Decision, SessionToken, TokenName, TokenRole, UserId, WorkspaceId,
};
use akua_store::{DynamoStore, table};
use akua_testkit::Engine;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};

const NOW: i64 = 1_800_000_000;

fn ws(s: &str) -> WorkspaceId {
    WorkspaceId::parse(s).unwrap()
}

async fn api_token(store: &DynamoStore, name: &str, at: i64) -> ApiToken {
    let new = NewApiToken {
        restrictions: Default::default(),
        workspace_id: ws("ws_a"),
        name: TokenName::parse(name).unwrap(),
        role: TokenRole::Admin,
        created_by: Some(Creator::User(UserId::parse("usr_owner").unwrap())),
        expires_at: None,
    };
    issue::api_token(store, new, None, at).await.unwrap().0
}

async fn allowed(authorizer: &Authorizer<DynamoStore>, token: &str, at: i64) -> bool {
    let decision = authorizer
        .decide(Some(&format!("Bearer {token}")), None, at)
        .await
        .unwrap();
    matches!(decision, Decision::Allow(_))
}

#[tokio::test]
async fn recording_a_use_or_extending_a_session_writes_no_list_index() {
    let engine = Engine::start().await;
    let authorizer = Authorizer::new(engine.store.clone(), None);
    let token = api_token(&engine.store, "ci", NOW - 86_400).await;
    let (session, _) = issue::session(&engine.store, UserId::parse("usr_a").unwrap(), NOW - 86_400)
        .await
        .unwrap();
    // Creating them did write the index: the meter sees index writes.
    assert!(engine.capacity.writes().index(table::LISTS.name) > 0.0);

    engine.capacity.reset();
    engine.calls.reset();
    assert!(allowed(&authorizer, token.expose(), NOW).await);
    assert!(allowed(&authorizer, session.expose(), NOW).await);
    // Both wrote: the token its use, the session its use and a new expiry.
    assert_eq!(engine.calls.count("UpdateItem"), 2);
    let session_item = engine
        .raw_item(&format!("CRED#{}", session_hash(&session)), "CRED")
        .await
        .unwrap();
    assert_eq!(
        session_item["expires_at"].as_n().unwrap(),
        &(NOW + SESSION_LIFETIME_SECS).to_string()
    );

    let units = engine.capacity.writes();
    assert_eq!(units.table, 2.0, "one base-table write each: {units:?}");
    assert_eq!(units.index(table::LISTS.name), 0.0, "{units:?}");
    // The session's expiry is `by_expiry`'s sort key: a delete and a put.
    assert_eq!(units.index(table::BY_EXPIRY.name), 2.0, "{units:?}");
}

fn session_hash(token: &SessionToken) -> String {
    token.hash().to_hex()
}

#[tokio::test]
async fn a_list_is_one_index_query_and_one_consistent_batch_read() {
    let engine = Engine::start().await;
    for (i, name) in ["one", "two", "three"].into_iter().enumerate() {
        api_token(&engine.store, name, NOW + i as i64).await;
    }
    engine.calls.reset();
    let page = engine
        .store
        .list_workspace_tokens(&ws("ws_a"), 2, None)
        .await
        .unwrap();
    assert_eq!(engine.calls.count("Query"), 1);
    assert_eq!(engine.calls.count("BatchGetItem"), 1);
    assert_eq!(engine.calls.total(), 2);
    let names: Vec<String> = page
        .rows
        .iter()
        .map(|(row, _)| format!("{row:?}"))
        .collect();
    assert!(page.has_more);
    assert_eq!(names.len(), 2);
    assert!(
        names[0].contains("three") && names[1].contains("two"),
        "{names:?}"
    );

    // The cursor continues after the second row.
    let after = page.rows.last().map(|(_, key)| key.clone());
    let rest = engine
        .store
        .list_workspace_tokens(&ws("ws_a"), 2, after.as_deref())
        .await
        .unwrap();
    assert!(!rest.has_more);
    assert_eq!(rest.rows.len(), 1);
    assert!(format!("{:?}", rest.rows[0].0).contains("one"));
}

fn key(name: &str, key_type: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(key_type)
        .build()
        .unwrap()
}

fn attribute(name: &str, kind: ScalarAttributeType) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(kind)
        .build()
        .unwrap()
}

/// The table as the release before `lists` created it: `gsi1` projecting
/// every attribute.
async fn create_earlier_table(engine: &Engine, name: &str) {
    let gsi = |index: &str, hash: &str, range: &str, projection: Projection| {
        GlobalSecondaryIndex::builder()
            .index_name(index)
            .key_schema(key(hash, KeyType::Hash))
            .key_schema(key(range, KeyType::Range))
            .projection(projection)
            .build()
            .unwrap()
    };
    let by_expiry = Projection::builder()
        .projection_type(ProjectionType::Include)
        .non_key_attributes("id")
        .non_key_attributes("kind")
        .build();
    let all = Projection::builder()
        .projection_type(ProjectionType::All)
        .build();
    engine
        .store
        .client()
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .attribute_definitions(attribute("pk", ScalarAttributeType::S))
        .attribute_definitions(attribute("sk", ScalarAttributeType::S))
        .attribute_definitions(attribute("gsi1pk", ScalarAttributeType::S))
        .attribute_definitions(attribute("gsi1sk", ScalarAttributeType::S))
        .attribute_definitions(attribute("exp_shard", ScalarAttributeType::S))
        .attribute_definitions(attribute("expires_at", ScalarAttributeType::N))
        .global_secondary_indexes(gsi("gsi1", "gsi1pk", "gsi1sk", all))
        .global_secondary_indexes(gsi("by_expiry", "exp_shard", "expires_at", by_expiry))
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_table_from_an_earlier_release_gets_the_lists_index_and_keeps_its_items() {
    let engine = Engine::start().await;
    let name = "akua-earlier";
    create_earlier_table(&engine, name).await;
    let store = DynamoStore::new(engine.store.client().clone(), name);
    let token = api_token(&store, "before-upgrade", NOW).await;
    let authorizer = Authorizer::new(store.clone(), None);

    // What the change saves: on the earlier table, recording a use wrote
    // `gsi1` as much as the item itself.
    engine.capacity.reset();
    assert!(allowed(&authorizer, token.expose(), NOW).await);
    let before = engine.capacity.writes();
    assert_eq!(
        (before.table, before.index("gsi1")),
        (1.0, 1.0),
        "{before:?}"
    );

    // An upgrade's first deploy still reads lists from `gsi1` (same keys).
    let legacy = store.clone().with_legacy_list_index();
    let page = legacy
        .list_workspace_tokens(&ws("ws_a"), 10, None)
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 1);

    table::ensure_table(store.client(), name).await.unwrap();

    engine.capacity.reset();
    assert!(allowed(&authorizer, token.expose(), NOW + 60).await);
    let after = engine.capacity.writes();
    assert_eq!(after.table, 1.0, "{after:?}");
    assert!(after.indexes.is_empty(), "{after:?}");

    let described = store
        .client()
        .describe_table()
        .table_name(name)
        .send()
        .await
        .unwrap();
    let mut indexes: Vec<(String, Option<ProjectionType>)> = described
        .table()
        .unwrap()
        .global_secondary_indexes()
        .iter()
        .map(|i| {
            (
                i.index_name().unwrap().to_owned(),
                i.projection().and_then(|p| p.projection_type().cloned()),
            )
        })
        .collect();
    indexes.sort();
    assert_eq!(
        indexes,
        [
            ("by_expiry".to_owned(), Some(ProjectionType::Include)),
            ("lists".to_owned(), Some(ProjectionType::KeysOnly)),
        ]
    );
    let page = store
        .list_workspace_tokens(&ws("ws_a"), 10, None)
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 1);
    assert!(format!("{:?}", page.rows[0].0).contains("before-upgrade"));

    // Running it again changes nothing.
    table::ensure_table(store.client(), name).await.unwrap();
}
