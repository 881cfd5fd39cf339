//! `token.expiring`: the audit event (and so the EventBridge event) an API
//! token or a multi-workspace token gets a few days before it expires, so
//! that its owners can roll it in time (docs/DESIGN.md R24).
//!
//! The hourly sweep finds the tokens and writes each notice at most once
//! per token id and expiry; this module decides which credentials are
//! owed one and what it says. Sessions get none: they slide, and their
//! holder signs in again.

use crate::audit::{
    ActorKind, AuditAction, AuditActor, AuditEvent, AuditLog, AuditTarget, Origin, TargetKind,
};
use crate::records::StoredCredential;

/// How long before a token's expiry its notice is written, by default.
pub const DEFAULT_NOTICE_DAYS: i64 = 7;

/// The actor id of the events the sweep writes.
pub const SWEEP_ACTOR: &str = "cleanup";

/// Whether a sweep at `now` owes a notice for a token expiring at
/// `expires_at`: it expires within the window and has not expired yet (an
/// expired token is already refused everywhere and is being deleted).
pub fn due(expires_at: i64, now: i64, notice_secs: i64) -> bool {
    now < expires_at && expires_at <= now.saturating_add(notice_secs)
}

/// The notice for `credential`, one event per log its other events go to
/// (its workspace's, or each workspace a multi-workspace token covers);
/// none for a session or a token that never expires.
pub fn events(credential: &StoredCredential, now: i64) -> Vec<AuditEvent> {
    let (id, expires_at, workspaces) = match credential {
        StoredCredential::ApiToken(t) => (&t.id, t.expires_at, vec![t.workspace_id.clone()]),
        StoredCredential::MultiWorkspaceToken(t) => (&t.id, t.expires_at, t.workspace_ids.clone()),
        StoredCredential::Session(_) => return Vec::new(),
    };
    let Some(expires_at) = expires_at else {
        return Vec::new();
    };
    let actor = AuditActor {
        id: SWEEP_ACTOR.to_owned(),
        credential: ActorKind::Schedule,
    };
    workspaces
        .into_iter()
        .map(|ws| {
            AuditEvent::new(
                AuditLog::Workspace(ws),
                AuditAction::TokenExpiring,
                actor.clone(),
                AuditTarget::new(TargetKind::ApiToken, id),
                &Origin::default(),
                now,
            )
            .with_detail(format!("expires_at={expires_at}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_is_due_inside_the_window_only() {
        let week = DEFAULT_NOTICE_DAYS * 86_400;
        assert!(due(1_000 + week, 1_000, week));
        assert!(due(1_001, 1_000, week));
        assert!(!due(1_001 + week, 1_000, week), "too early");
        assert!(!due(1_000, 1_000, week), "already expired");
        assert!(
            due(i64::MAX, i64::MAX - 1, week),
            "no overflow at the end of time"
        );
    }
}
