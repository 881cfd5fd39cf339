//! What the fuzz targets share: a store that holds at most one credential
//! (so "never Allow without a stored credential" can be checked), and a
//! runtime to drive the async decision.

use std::sync::OnceLock;

use akua_core::records::{ApiTokenRecord, Membership, StoredCredential};
use akua_core::ports::{DecisionStore, StoreError, Touch, TouchOutcome};
use akua_core::{ApiToken, CredentialHash, TokenId, TokenName, TokenRole, UserId, WorkspaceId};

/// A store with one API token of `ws_fuzz`, or none at all.
pub struct OneCredential(pub Option<(CredentialHash, StoredCredential)>);

impl OneCredential {
    pub fn empty() -> Self {
        Self(None)
    }

    /// A store holding one live API token; returns it with the store.
    pub fn with_token() -> (Self, ApiToken) {
        let token = ApiToken::generate();
        let record = StoredCredential::ApiToken(ApiTokenRecord {
            id: TokenId::generate(),
            workspace_id: WorkspaceId::parse("ws_fuzz").unwrap(),
            name: TokenName::parse("fuzz").unwrap(),
            prefix: token.display_prefix(),
            role: TokenRole::Member,
            created_by: None,
            created_at: 0,
            expires_at: None,
            last_used_at: Some(i64::MAX / 2),
        });
        (Self(Some((token.hash(), record))), token)
    }
}

impl DecisionStore for OneCredential {
    async fn credential(&self, hash: &CredentialHash) -> Result<Option<StoredCredential>, StoreError> {
        Ok(self.0.as_ref().filter(|(h, _)| h == hash).map(|(_, c)| c.clone()))
    }

    async fn membership(&self, _: &WorkspaceId, _: &UserId) -> Result<Option<Membership>, StoreError> {
        Ok(None)
    }

    async fn touch(&self, _: &CredentialHash, _: Touch, _: i64) -> Result<TouchOutcome, StoreError> {
        Ok(TouchOutcome::Applied)
    }
}

pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().build().unwrap())
}
