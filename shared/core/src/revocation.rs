//! Revocation always wins (docs/DESIGN.md, rule R7): once a revoke, a leak
//! report or a sign-out has answered, no secret of that credential
//! authenticates and nothing of it is listed, whatever ran at the same
//! moment.
//!
//! Every revocation finds its credential through the id pointer and deletes
//! exactly what that read found, conditioned on the pointer still saying
//! so. A roll between the read and the delete changes the pointer, the
//! delete is refused, and the revocation reads the pointer again and
//! deletes the newer secret too. Without the condition, the delete would
//! take the pointer and the old secret and leave the rolled secret alive
//! and unrevocable.

use crate::api_error::ApiError;
use crate::audit::AuditEvent;
use crate::ports::{CredentialStore, StoreError};
use crate::records::{CredentialPointer, MultiTokenRecord, StoredCredential};

/// How many times a revocation reads the pointer again after it changed.
/// Rolls are one at a time per token, so a second change in the few
/// milliseconds between a read and its delete is already rare; the bound
/// only keeps a pathological client from holding a request forever.
const ATTEMPTS: usize = 5;

/// What is deleted besides the pointer and its secrets.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind<'a> {
    /// A workspace API token or a session: the secret, and the one a roll
    /// replaced.
    Secret,
    /// A multi-workspace token: also its entry in each covered workspace's
    /// list.
    MultiToken(&'a MultiTokenRecord),
}

/// Deletes the credential `id` whose pointer was read as `read`, together
/// with `audit`. While the pointer changes under it and `still` accepts the
/// new reading, it reads again and retries. `false`: the credential is
/// gone, or the pointer now names something `still` refuses.
pub(crate) async fn revoke(
    store: &impl CredentialStore,
    id: &str,
    kind: Kind<'_>,
    read: CredentialPointer,
    still: impl Fn(&CredentialPointer) -> bool,
    audit: &[AuditEvent],
) -> Result<bool, ApiError> {
    let mut read = read;
    for _ in 0..ATTEMPTS {
        let deleted = match kind {
            Kind::Secret => store.delete_credential(id, &read, audit).await?,
            Kind::MultiToken(token) => store.delete_multi_token(&read, token, audit).await?,
        };
        if deleted {
            return Ok(true);
        }
        match store.pointer(id).await? {
            // Refused although nothing changed: not a race this loop can
            // settle; the store's refusal stands (a 500).
            Some(now) if now == read => return Err(StoreError::Conflict.into()),
            Some(now) if still(&now) => read = now,
            _ => return Ok(false),
        }
    }
    Err(ApiError::Conflict(
        "the credential kept changing while it was being revoked; try again".into(),
    ))
}

/// What an id in a request names, read through its pointer: `None` for an
/// unknown id or a pointer whose credential is already gone. (The id's
/// own type parses it first: a malformed id never reads.)
pub(crate) async fn named(
    store: &impl CredentialStore,
    id: &str,
) -> Result<Option<(CredentialPointer, StoredCredential)>, ApiError> {
    let Some(pointer) = store.pointer(id).await? else {
        return Ok(None);
    };
    Ok(store
        .credential(&pointer.hash)
        .await?
        .map(|stored| (pointer, stored)))
}

/// [`revoke`] of a credential its owner names: one that went away before
/// the delete is `not_found`, like one that never was.
pub(crate) async fn revoke_named(
    store: &impl CredentialStore,
    id: &str,
    kind: Kind<'_>,
    read: CredentialPointer,
    audit: &[AuditEvent],
    not_found: ApiError,
) -> Result<(), ApiError> {
    match revoke(store, id, kind, read, |_| true, audit).await? {
        true => Ok(()),
        false => Err(not_found),
    }
}
