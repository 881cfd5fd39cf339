//! What the micro-benchmarks share: credentials stored in the in-memory
//! [`MemoryStore`] of `akua-testkit`, and the timing loop.
//!
//! The double is there only to measure the decision without a network round
//! trip; every correctness test runs against the real engine through the
//! real SDK (DESIGN §7).

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use akua_core::Role;
use akua_testkit::{MemoryStore, records};
use tokio::runtime::Runtime;

/// A fixed clock for the decisions (Unix seconds).
pub const NOW: i64 = 1_800_000_000;
pub const WORKSPACE: &str = "ws_bench";
pub const USER: &str = "usr_bench";

/// The plaintext credentials of a seeded store.
pub struct Seeded {
    pub api_token: String,
    pub session: String,
}

/// A store holding one workspace API token and one session, both used a
/// moment before [`NOW`] (so no throttled write is due during a run), and the
/// session's user as a member of [`WORKSPACE`].
pub fn seeded_store() -> (MemoryStore, Seeded) {
    let store = MemoryStore::default();
    let api_token = store.insert_api_token(
        records::api_token(WORKSPACE, NOW - 86_400)
            .name("ci")
            .created_by_user(USER)
            .last_used_at(Some(NOW - 1)),
    );
    let session = store.insert_session(
        records::session(USER, NOW - 86_400)
            // Extended a minute ago: no extension due within the run.
            .expires_at(NOW - 60 + akua_core::decision::SESSION_LIFETIME_SECS)
            .last_used_at(Some(NOW - 1)),
    );
    store.insert_member(records::membership(
        WORKSPACE,
        USER,
        Role::Member,
        NOW - 86_400,
    ));
    let seeded = Seeded {
        api_token: api_token.expose().to_owned(),
        session: session.expose().to_owned(),
    };
    (store, seeded)
}

/// Times `iters` sequential awaits of `f()` inside one `block_on`, so the
/// runtime's entry cost is paid once per sample, not once per iteration
/// (a decision that never suspends costs well under a microsecond).
pub fn time_async<F, Fut>(rt: &Runtime, iters: u64, mut f: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future,
{
    rt.block_on(async {
        let start = Instant::now();
        for _ in 0..iters {
            black_box(f().await);
        }
        start.elapsed()
    })
}

/// A single-threaded runtime with I/O and timers (the test issuer's JWKS
/// endpoint runs on it during the warm-up fetch).
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}
