//! Holder revocation (RFC 7009): whoever holds a secret may end it, with no
//! other credential, as GitHub's public credential revocation does for
//! leaked tokens. Someone who finds a token in a log or a paste kills it
//! without an account; the answer never says whether there was anything to
//! kill (RFC 7009 §2.2: unknown tokens are a success too), so the route is
//! no oracle.
//!
//! The whole credential ends, as for a leak report: an API token by either
//! of its secrets (the current one, or the one a roll replaced while it
//! still works), a multi-workspace token, a session. Each is audited with
//! its own kind's revocation (`token.revoked`, `multi_token.revoked` in
//! every covered workspace, `session.revoked` in its person's log), the
//! actor being `{"id": <the credential's id>, "credential": "holder"}`.

use crate::api_error::ApiError;
use crate::audit::{
    ActorKind, AuditAction, AuditActor, AuditEvent, AuditLog, AuditTarget, Author, Origin,
    TargetKind,
};
use crate::credential::{ApiToken, Revealed, SessionToken};
use crate::ports::CredentialStore;
use crate::records::{CredentialPointer, StoredCredential};
use crate::revocation::{self, Kind};
use crate::tokens::multi_token_revoked;

/// The one who presented the secret of credential `id`.
fn holder(id: &str, origin: &Origin) -> Author {
    Author {
        actor: AuditActor {
            id: id.to_owned(),
            credential: ActorKind::Holder,
        },
        origin: origin.clone(),
    }
}

/// Ends the live credential `token` is a secret of. `Ok(false)`: nothing
/// live has that secret (never issued, already revoked, expired, not even
/// shaped like one of ours, a JWT); the caller answers the same either way.
pub async fn revoke(
    store: &impl CredentialStore,
    token: &str,
    origin: &Origin,
    now: i64,
) -> Result<bool, ApiError> {
    let token = token.trim();
    let hash = match (ApiToken::parse(token), SessionToken::parse(token)) {
        (Ok(t), _) => t.hash(),
        (_, Ok(s)) => s.hash(),
        // A JWT is its issuer's to revoke; anything else is nobody's.
        (Err(_), Err(_)) => return Ok(false),
    };
    let Some(stored) = store.credential(&hash).await? else {
        return Ok(false);
    };
    if stored.is_expired(now) {
        return Ok(false);
    }
    // Revoked while the pointer still names this secret (the current one,
    // or the one a roll replaced): a roll without grace that ended it
    // meanwhile leaves nothing this secret can end.
    let names = |p: &CredentialPointer| p.hash == hash || p.previous.as_ref() == Some(&hash);
    let Some(pointer) = store.pointer(stored.id()).await? else {
        return Ok(false);
    };
    if !names(&pointer) {
        return Ok(false);
    }
    let author = holder(stored.id(), origin);
    match &stored {
        StoredCredential::ApiToken(t) => {
            let audit = [author.event(
                AuditLog::Workspace(t.workspace_id.clone()),
                AuditAction::TokenRevoked,
                AuditTarget::new(TargetKind::ApiToken, &t.id),
                now,
            )];
            revocation::revoke(store, t.id.as_str(), Kind::Secret, pointer, names, &audit).await
        }
        StoredCredential::MultiWorkspaceToken(t) => {
            let audit: Vec<AuditEvent> = multi_token_revoked(&author, t, now);
            let kind = Kind::MultiToken(t);
            revocation::revoke(store, t.id.as_str(), kind, pointer, names, &audit).await
        }
        StoredCredential::Session(s) => {
            let audit = [author
                .event(
                    AuditLog::User(s.user_id.clone()),
                    AuditAction::SessionRevoked,
                    AuditTarget::new(TargetKind::Session, &s.id),
                    now,
                )
                .with_detail("holder")];
            revocation::revoke(store, s.id.as_str(), Kind::Secret, pointer, names, &audit).await
        }
    }
}

/// The `token` parameter of `POST /v1/oauth/revoke` (RFC 7009 §2.1) and
/// `POST /v1/oauth/introspect` (RFC 7662 §2.1), read from a form. Its
/// `Debug` never shows the secret (R13).
#[derive(Debug)]
pub struct RevocationRequest {
    pub token: Revealed,
}

impl RevocationRequest {
    /// From the form's parameters: `token` is required (`invalid_request`
    /// otherwise); `token_type_hint` is accepted and not needed, since a
    /// secret's shape says what it is (RFC 7009 §2.1 lets a server ignore
    /// it).
    pub fn from_params<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<Self> {
        params
            .into_iter()
            .find(|(k, v)| *k == "token" && !v.is_empty())
            .map(|(_, v)| Self {
                token: Revealed::new(v),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_required_and_never_printed() {
        let r =
            RevocationRequest::from_params([("token_type_hint", "x"), ("token", "sk_akua_s3cret")])
                .expect("a token");
        assert_eq!(r.token.expose(), "sk_akua_s3cret");
        assert!(!format!("{r:?}").contains("s3cret"));
        assert!(RevocationRequest::from_params([("token", "")]).is_none());
        assert!(RevocationRequest::from_params([("token_type_hint", "access_token")]).is_none());
    }
}
