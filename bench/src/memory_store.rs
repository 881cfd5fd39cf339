//! An in-memory [`DecisionStore`] double, used only to measure what a
//! decision costs beyond its store call (the correctness tests and every
//! other figure here use the real engine through the real SDK).
//!
//! The same double, without counters, backs the criterion benchmarks in
//! `shared/benches`; the two cannot share code without a dependency cycle.

use std::collections::HashMap;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use akua_core::ports::{DecisionStore, StoreError, Touch, TouchOutcome};
use akua_core::records::{Membership, StoredCredential};
use akua_core::{CredentialHash, UserId, WorkspaceId};

/// Credentials and memberships in `HashMap`s, with call counters. `touch`
/// applies the table's guard (the item exists and has not expired).
#[derive(Default)]
pub struct MemoryStore {
    credentials: RwLock<HashMap<CredentialHash, StoredCredential>>,
    memberships: RwLock<HashMap<(WorkspaceId, UserId), Membership>>,
    reads: AtomicU64,
    writes: AtomicU64,
}

impl MemoryStore {
    pub fn insert(&self, hash: CredentialHash, credential: StoredCredential) {
        self.credentials.write().unwrap().insert(hash, credential);
    }

    pub fn add_member(&self, membership: Membership) {
        let key = (membership.workspace_id.clone(), membership.user_id.clone());
        self.memberships.write().unwrap().insert(key, membership);
    }

    /// Reads and writes since the start.
    pub fn calls(&self) -> (u64, u64) {
        (
            self.reads.load(Ordering::Relaxed),
            self.writes.load(Ordering::Relaxed),
        )
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
