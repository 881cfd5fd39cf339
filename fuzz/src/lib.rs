//! What the fuzz targets share: the in-memory store of `akua-testkit`,
//! seeded with at most one credential (so "never Allow without a stored
//! credential" can be checked), and a runtime to drive the async decision.

use std::sync::OnceLock;

use akua_core::{ApiToken, TokenRole};
pub use akua_testkit::MemoryStore;
use akua_testkit::records;

/// The workspace of the one stored token.
pub const WORKSPACE: &str = "ws_fuzz";

/// A store with no credential at all: nothing may be allowed.
pub fn empty_store() -> MemoryStore {
    MemoryStore::default()
}

/// A store holding one live member-role API token of [`WORKSPACE`], used
/// so recently that no throttled write is ever due; returns it with the
/// store.
pub fn store_with_token() -> (MemoryStore, ApiToken) {
    let store = MemoryStore::default();
    let token = store.insert_api_token(
        records::api_token(WORKSPACE, 0)
            .name("fuzz")
            .role(TokenRole::Member)
            .last_used_at(Some(i64::MAX / 2)),
    );
    (store, token)
}

pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().unwrap())
}
