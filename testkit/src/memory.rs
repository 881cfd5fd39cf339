//! The one in-memory [`DecisionStore`]: credentials by hash and memberships
//! in `HashMap`s, with a count of the reads and writes a decision made.
//!
//! It exists to measure and fuzz the decision without a network round trip
//! (the benchmarks, the criterion micro-benchmarks, the fuzz targets). Every
//! correctness test runs against the real engine through the real SDK
//! (DESIGN §7), so this double implements only what a decision needs, and
//! implements it as the table does: `touch` is refused for a missing or
//! expired item, exactly like the condition expression.

use std::collections::HashMap;
use std::fmt;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use akua_core::ports::{DecisionStore, StoreError, Touch, TouchOutcome};
use akua_core::records::{Membership, StoredCredential};
use akua_core::{ApiToken, CredentialHash, SessionToken, UserId, WorkspaceId};

use crate::records::{ApiTokenBuilder, SessionBuilder};

/// How many store calls were made: what the same decisions would have cost
/// in DynamoDB requests (each read a `GetItem`, each write an `UpdateItem`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Calls {
    pub reads: u64,
    pub writes: u64,
}

impl std::ops::Sub for Calls {
    type Output = Calls;

    /// The calls made between two readings of [`MemoryStore::calls`].
    fn sub(self, earlier: Calls) -> Calls {
        Calls {
            reads: self.reads - earlier.reads,
            writes: self.writes - earlier.writes,
        }
    }
}

/// Credentials and memberships held in memory, with call counters.
#[derive(Default)]
pub struct MemoryStore {
    credentials: RwLock<HashMap<CredentialHash, StoredCredential>>,
    memberships: RwLock<HashMap<(WorkspaceId, UserId), Membership>>,
    reads: AtomicU64,
    writes: AtomicU64,
}

impl MemoryStore {
    /// Stores `credential` under `hash`, replacing whatever was there.
    /// Not counted as a call: seeding is not part of a decision.
    pub fn insert(&self, hash: CredentialHash, credential: StoredCredential) {
        self.credentials.write().unwrap().insert(hash, credential);
    }

    /// Builds and stores an API token; returns the plaintext a client sends.
    pub fn insert_api_token(&self, token: ApiTokenBuilder) -> ApiToken {
        let (token, record) = token.build();
        self.insert(token.hash(), StoredCredential::ApiToken(record));
        token
    }

    /// Builds and stores a session; returns the plaintext a client sends.
    pub fn insert_session(&self, session: SessionBuilder) -> SessionToken {
        let (token, record) = session.build();
        self.insert(token.hash(), StoredCredential::Session(record));
        token
    }

    /// Stores a membership (not counted as a call).
    pub fn insert_member(&self, membership: Membership) {
        let key = (membership.workspace_id.clone(), membership.user_id.clone());
        self.memberships.write().unwrap().insert(key, membership);
    }

    /// The stored credential with this hash, read without counting: lets a
    /// test see what a `touch` left behind.
    pub fn peek(&self, hash: &CredentialHash) -> Option<StoredCredential> {
        self.credentials.read().unwrap().get(hash).cloned()
    }

    /// Reads and writes since the store was made (or last [`reset`]).
    ///
    /// [`reset`]: MemoryStore::reset
    pub fn calls(&self) -> Calls {
        Calls {
            reads: self.reads.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
        }
    }

    pub fn reset(&self) {
        self.reads.store(0, Ordering::Relaxed);
        self.writes.store(0, Ordering::Relaxed);
    }
}

/// Sizes and counts only: the keys are credential hashes, which stay out of
/// logs and panic messages like the tokens themselves.
impl fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("credentials", &self.credentials.read().unwrap().len())
            .field("memberships", &self.memberships.read().unwrap().len())
            .field("calls", &self.calls())
            .finish()
    }
}

impl DecisionStore for MemoryStore {
    async fn credential(
        &self,
        hash: &CredentialHash,
    ) -> Result<Option<StoredCredential>, StoreError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        Ok(self.credentials.read().unwrap().get(hash).cloned())
    }

    async fn membership(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
    ) -> Result<Option<Membership>, StoreError> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        let key = (workspace.clone(), user.clone());
        Ok(self.memberships.read().unwrap().get(&key).cloned())
    }

    async fn touch(
        &self,
        hash: &CredentialHash,
        touch: Touch,
        now: i64,
    ) -> Result<TouchOutcome, StoreError> {
        self.writes.fetch_add(1, Ordering::Relaxed);
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

#[cfg(test)]
mod tests {
    use akua_core::Role;

    use super::*;
    use crate::records::{api_token, membership, session};

    const NOW: i64 = 1_800_000_000;

    fn block_on<F: Future>(f: F) -> F::Output {
        // The store never suspends: one poll finishes every call.
        let mut f = std::pin::pin!(f);
        let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
        match f.as_mut().poll(&mut cx) {
            std::task::Poll::Ready(out) => out,
            std::task::Poll::Pending => unreachable!("the memory store never waits"),
        }
    }

    #[test]
    fn reads_and_writes_are_counted_seeding_is_not() {
        let store = MemoryStore::default();
        let token = store.insert_api_token(api_token("ws_a", NOW));
        store.insert_member(membership("ws_a", "usr_a", Role::Member, NOW));
        assert_eq!(store.calls(), Calls::default());

        let before = store.calls();
        assert!(block_on(store.credential(&token.hash())).unwrap().is_some());
        let ws = WorkspaceId::parse("ws_a").unwrap();
        let user = UserId::parse("usr_a").unwrap();
        assert!(block_on(store.membership(&ws, &user)).unwrap().is_some());
        let touch = Touch {
            last_used_at: NOW,
            extend_to: None,
        };
        block_on(store.touch(&token.hash(), touch, NOW)).unwrap();
        assert_eq!(
            store.calls() - before,
            Calls {
                reads: 2,
                writes: 1
            }
        );
        store.reset();
        assert_eq!(store.calls(), Calls::default());
    }

    #[test]
    fn touch_applies_the_tables_guard() {
        let store = MemoryStore::default();
        let live = store.insert_session(session("usr_a", NOW - 60));
        let expired = store.insert_api_token(api_token("ws_a", NOW - 60).expires_at(Some(NOW)));
        let touch = Touch {
            last_used_at: NOW,
            extend_to: Some(NOW + 3600),
        };

        let applied = block_on(store.touch(&live.hash(), touch, NOW)).unwrap();
        assert_eq!(applied, TouchOutcome::Applied);
        let stored = store.peek(&live.hash()).unwrap();
        assert_eq!(stored.last_used_at(), Some(NOW));
        assert_eq!(stored.expires_at(), Some(NOW + 3600));

        let gone = block_on(store.touch(&expired.hash(), touch, NOW)).unwrap();
        assert_eq!(gone, TouchOutcome::Gone);
        let missing = block_on(store.touch(&CredentialHash::of("nothing"), touch, NOW)).unwrap();
        assert_eq!(missing, TouchOutcome::Gone);
    }

    #[test]
    fn debug_shows_no_hash() {
        let store = MemoryStore::default();
        let token = store.insert_api_token(api_token("ws_a", NOW));
        let shown = format!("{store:?}");
        assert!(!shown.contains(&token.hash().to_hex()), "{shown}");
        assert!(!shown.contains(token.expose()), "{shown}");
    }
}
