//! The scheduled sweep (`akua_store::sweep::run`) over big tables: its
//! reads (Query calls), writes and time, and whether its reads follow the
//! number of expired items rather than the table size.
//!
//! Tables are seeded with `BatchWriteItem` through the engine's SDK client.
//! The items have exactly the shape the service writes: before seeding, an
//! item built here is compared attribute by attribute with one the service
//! itself created through `issue::api_token` / `issue::session`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use akua_core::records::Creator;
use akua_core::records::{ApiTokenRecord, SessionRecord, StoredCredential};
use akua_core::{
    ApiToken, CredentialHash, SessionId, SessionToken, TokenId, TokenName, TokenRole, UserId,
    WorkspaceId,
};
use akua_store::items::{credential_item, pointer_item};
use akua_store::keys::Item;
use akua_store::sweep;
use akua_testkit::Engine;
use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
use tokio::task::JoinSet;

use crate::stats::fmt_duration;
use crate::targets::Targets;

/// One sweep over a seeded table.
pub struct Sweep {
    pub credentials: usize,
    pub expired: usize,
    pub seed_time: Duration,
    pub reads: u64,
    pub writes: u64,
    pub deleted: u64,
    pub time: Duration,
}

fn workspace() -> WorkspaceId {
    WorkspaceId::parse("ws_seed").expect("workspace id")
}

fn user() -> UserId {
    UserId::parse("usr_seed").expect("user id")
}

/// The i-th credential of a table of `total` with `expired` expired ones:
/// the expired ones alternate API tokens and sessions; the rest are API
/// tokens without expiry (1 in 4), API tokens expiring in 30 days (1 in 4)
/// and live sessions (2 in 4), so the expiry index holds far more live
/// items than expired ones.
fn credential(i: usize, expired: usize, now: i64) -> (CredentialHash, StoredCredential) {
    let token_record = |token: &ApiToken, expires_at| {
        StoredCredential::ApiToken(ApiTokenRecord {
            restrictions: Default::default(),
            id: TokenId::generate(),
            workspace_id: workspace(),
            name: TokenName::parse("seeded").expect("name"),
            prefix: token.display_prefix(),
            role: TokenRole::Member,
            created_by: Some(Creator::User(user())),
            created_at: now - 90 * 86_400,
            expires_at,
            last_used_at: Some(now - 3600),
        })
    };
    let session_record = |expires_at| {
        StoredCredential::Session(SessionRecord {
            id: SessionId::generate(),
            user_id: user(),
            client: akua_core::records::SessionClient::Cli,
            created_at: now - 90 * 86_400,
            expires_at,
            last_used_at: Some(now - 3600),
            absolute_expires_at: None,
            signed_in_at: None,
        })
    };
    let offset = i as i64;
    if i < expired {
        if i.is_multiple_of(2) {
            let token = ApiToken::generate();
            let record = token_record(&token, Some(now - 3600 - offset));
            (token.hash(), record)
        } else {
            let session = SessionToken::generate();
            (session.hash(), session_record(now - 60 - offset))
        }
    } else {
        match i % 4 {
            0 => {
                let token = ApiToken::generate();
                (token.hash(), token_record(&token, None))
            }
            1 => {
                let token = ApiToken::generate();
                let record = token_record(&token, Some(now + 30 * 86_400 + offset));
                (token.hash(), record)
            }
            _ => {
                let session = SessionToken::generate();
                (session.hash(), session_record(now + 300 * 86_400 + offset))
            }
        }
    }
}

/// Writes `total` credentials (and their pointers) with `BatchWriteItem`,
/// 25 items a call, a few calls in flight.
async fn seed(engine: &Engine, total: usize, expired: usize, now: i64) {
    const BATCH: usize = 25;
    const IN_FLIGHT: usize = 4;
    let mut items: Vec<Item> = Vec::with_capacity(2 * total);
    for i in 0..total {
        let (hash, credential) = credential(i, expired, now);
        items.push(credential_item(&hash, &credential));
        items.push(pointer_item(&hash, &credential));
    }
    let mut tasks = JoinSet::new();
    for chunk in items.chunks(BATCH) {
        if tasks.len() >= IN_FLIGHT {
            tasks.join_next().await.expect("task").expect("batch");
        }
        let client = engine.store.client().clone();
        let table = engine.table.clone();
        let mut requests: Vec<WriteRequest> = chunk
            .iter()
            .map(|item| {
                let put = PutRequest::builder()
                    .set_item(Some(item.clone()))
                    .build()
                    .expect("put request");
                WriteRequest::builder().put_request(put).build()
            })
            .collect();
        tasks.spawn(async move {
            while !requests.is_empty() {
                let out = client
                    .batch_write_item()
                    .request_items(&table, requests)
                    .send()
                    .await
                    .expect("BatchWriteItem");
                requests = out
                    .unprocessed_items
                    .and_then(|mut u: HashMap<String, Vec<WriteRequest>>| u.remove(&table))
                    .unwrap_or_default();
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("batch");
    }
}

/// Seeds a fresh table and sweeps it once.
async fn sweep(credentials: usize, expired: usize) -> Sweep {
    let engine = Engine::start().await;
    let now = akua_core::clock::now();
    let began = Instant::now();
    seed(&engine, credentials, expired, now).await;
    let seed_time = began.elapsed();
    engine.calls.reset();
    let began = Instant::now();
    let summary = sweep::run(&engine.store, now).await.expect("cleanup run");
    let time = began.elapsed();
    Sweep {
        credentials,
        expired,
        seed_time,
        reads: engine.calls.count("Query"),
        writes: engine.calls.writes(),
        deleted: summary.deleted,
        time,
    }
}

/// The sweeps: the 1 % cases, and a pair with the same number expired in
/// a table ten times bigger for the proportionality check. `quick` stops
/// at 10k credentials.
pub async fn run(quick: bool, targets: &mut Targets) {
    let cases: &[(usize, usize)] = if quick {
        &[(1_000, 100), (10_000, 100)]
    } else {
        &[(10_000, 100), (100_000, 1_000), (100_000, 100)]
    };
    println!(
        "\n== Cleanup sweep (each credential also has its id pointer: a table of N credentials holds 2N items) =="
    );
    println!(
        "{:>12} {:>9} {:>9} {:>12} {:>12} {:>9} {:>11} {:>11}",
        "credentials", "expired", "share", "reads", "writes", "deleted", "time", "seeded in"
    );
    let mut sweeps = Vec::new();
    for &(credentials, expired) in cases {
        let sweep = sweep(credentials, expired).await;
        println!(
            "{:>12} {:>9} {:>8.2}% {:>12} {:>12} {:>9} {:>11} {:>11}",
            sweep.credentials,
            sweep.expired,
            100.0 * sweep.expired as f64 / sweep.credentials as f64,
            format!("{} Query", sweep.reads),
            format!("{} Transact", sweep.writes),
            sweep.deleted,
            fmt_duration(sweep.time),
            fmt_duration(sweep.seed_time),
        );
        sweeps.push(sweep);
    }
    for s in &sweeps {
        targets.check(
            format!(
                "cleanup of {} credentials, {} expired: every expired item deleted",
                s.credentials, s.expired
            ),
            s.deleted == s.expired as u64,
            format!("{} deleted with {} Query calls", s.deleted, s.reads),
            format!("{}", s.expired),
        );
    }
    // Same expired count, table ten times bigger: reads within 10 %.
    let small = sweeps
        .iter()
        .find(|s| s.expired == 100)
        .expect("small sweep");
    let big = sweeps
        .iter()
        .rev()
        .find(|s| s.expired == 100 && s.credentials > small.credentials)
        .expect("big sweep");
    let ratio = big.reads as f64 / small.reads.max(1) as f64;
    targets.check(
        format!(
            "cleanup reads follow expired items ({} expired in {} vs {} credentials)",
            small.expired, small.credentials, big.credentials
        ),
        (0.9..=1.1).contains(&ratio),
        format!(
            "{} vs {} Query calls (×{ratio:.2}); time {} vs {}",
            small.reads,
            big.reads,
            fmt_duration(small.time),
            fmt_duration(big.time)
        ),
        "within 10 %",
    );
}
