//! What the micro-benchmarks share: an in-memory [`DecisionStore`] double and
//! credentials stored in it.
//!
//! The double exists only here, to measure the decision without a network
//! round trip; every correctness test runs against the real engine through
//! the real SDK (DESIGN §7).

use std::collections::HashMap;
use std::future::Future;
use std::hint::black_box;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use akua_core::ports::{DecisionStore, StoreError, Touch, TouchOutcome};
use akua_core::records::Creator;
use akua_core::records::{ApiTokenRecord, Membership, SessionRecord, StoredCredential};
use akua_core::{
    ApiToken, CredentialHash, Role, SessionId, SessionToken, TokenId, TokenName, TokenRole, UserId,
    WorkspaceId,
};
use tokio::runtime::Runtime;

/// A fixed clock for the decisions (Unix seconds).
pub const NOW: i64 = 1_800_000_000;
pub const WORKSPACE: &str = "ws_bench";
pub const USER: &str = "usr_bench";

/// Credentials and memberships in `HashMap`s. `touch` applies the same
/// guard as the table's condition expression (exists and not expired).
#[derive(Default)]
pub struct MemoryStore {
    credentials: RwLock<HashMap<CredentialHash, StoredCredential>>,
    memberships: RwLock<HashMap<(WorkspaceId, UserId), Membership>>,
}

impl MemoryStore {
    pub fn insert(&self, hash: CredentialHash, credential: StoredCredential) {
        self.credentials.write().unwrap().insert(hash, credential);
    }

    pub fn add_member(&self, membership: Membership) {
        let key = (membership.workspace_id.clone(), membership.user_id.clone());
        self.memberships.write().unwrap().insert(key, membership);
    }
}

impl DecisionStore for MemoryStore {
    async fn credential(
        &self,
        hash: &CredentialHash,
    ) -> Result<Option<StoredCredential>, StoreError> {
        Ok(self.credentials.read().unwrap().get(hash).cloned())
    }

    async fn membership(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
    ) -> Result<Option<Membership>, StoreError> {
        let key = (workspace.clone(), user.clone());
        Ok(self.memberships.read().unwrap().get(&key).cloned())
    }

    async fn touch(
        &self,
        hash: &CredentialHash,
        touch: Touch,
        now: i64,
    ) -> Result<TouchOutcome, StoreError> {
        let mut credentials = self.credentials.write().unwrap();
        let Some(stored) = credentials.get_mut(hash).filter(|c| !c.is_expired(now)) else {
            return Ok(TouchOutcome::Gone);
        };
        match stored {
            StoredCredential::ApiToken(t) => t.last_used_at = Some(touch.last_used_at),
            StoredCredential::MultiWorkspaceToken(t) => t.last_used_at = Some(touch.last_used_at),
            StoredCredential::Session(s) => {
                s.last_used_at = Some(touch.last_used_at);
                if let Some(until) = touch.extend_to {
                    s.expires_at = until;
                }
            }
        }
        Ok(TouchOutcome::Applied)
    }
}

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
    let workspace = WorkspaceId::parse(WORKSPACE).unwrap();
    let user = UserId::parse(USER).unwrap();

    let api_token = ApiToken::generate();
    store.insert(
        api_token.hash(),
        StoredCredential::ApiToken(ApiTokenRecord {
            id: TokenId::generate(),
            workspace_id: workspace.clone(),
            name: TokenName::parse("ci").unwrap(),
            prefix: api_token.display_prefix(),
            role: TokenRole::Admin,
            created_by: Some(Creator::User(user.clone())),
            created_at: NOW - 86_400,
            expires_at: None,
            last_used_at: Some(NOW - 1),
        }),
    );

    let session = SessionToken::generate();
    store.insert(
        session.hash(),
        StoredCredential::Session(SessionRecord {
            id: SessionId::generate(),
            user_id: user.clone(),
            client: akua_core::records::SessionClient::Cli,
            created_at: NOW - 86_400,
            // Extended a minute ago: no extension due within the run.
            expires_at: NOW - 60 + akua_core::decision::SESSION_LIFETIME_SECS,
            last_used_at: Some(NOW - 1),
        }),
    );

    store.add_member(Membership {
        workspace_id: workspace,
        user_id: user,
        role: Role::Member,
        joined_at: NOW - 86_400,
    });
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
