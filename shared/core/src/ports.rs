//! The ports: what the rules need from storage, as traits. `akua-store`
//! implements them over DynamoDB; tests and benchmarks may implement
//! [`DecisionStore`] in memory. The rules never see a key format, an
//! attribute name or an SDK type.
//!
//! Every method that returns a list returns a [`Listed`]: at most the asked
//! number of rows, each with the sort key a cursor continues after.
//!
//! Every method that changes something security-relevant takes the audit
//! events that record it (`audit`) and writes them in the same transaction
//! as the change: when the change is refused, no event is written.

use std::future::Future;

use crate::api_error::ApiError;
use crate::audit::{AuditEvent, AuditFilter, AuditLog, AuditPage};
use crate::credential::CredentialHash;
use crate::ids::UserCode;
use crate::ids::{Role, UserId, WorkspaceId};
use crate::records::{
    ApiTokenRecord, CredentialPointer, DeviceGrant, Membership, MultiTokenRecord, SessionRecord,
    StoredCredential, WorkspaceRecord, WorkspaceTokenRow,
};
use crate::token_policy::TokenPolicy;

/// Store failures, classified by what the caller should do about them.
/// Messages carry an error code or kind only, never a key (keys hold
/// credential hashes).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store did not answer in time, could not be reached, or throttled
    /// us: retrying later may help (HTTP 503; the authorizer denies).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A write's condition failed where the caller expected it to hold.
    #[error("store condition failed")]
    Conflict,
    /// An item exists but does not have the shape this service writes.
    #[error("stored item is malformed: {0}")]
    Corrupt(&'static str),
    /// A list was asked to continue after a position that is not one of its
    /// own (a hand-made cursor): the client's mistake, a 400.
    #[error("the cursor is not a position in this list")]
    InvalidCursor,
    /// Any other failure (a rejected request, a missing table).
    #[error("store request failed: {0}")]
    Request(String),
}

impl StoreError {
    /// `true` when a retry later may succeed (503 rather than 500).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// A store failure as the client sees it: a tampered cursor is its own
/// mistake (400); anything else is ours, and its cause goes to the logs only.
impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e == StoreError::InvalidCursor {
            return Self::BadRequest("invalid cursor".into());
        }
        if e.is_retryable() {
            tracing::warn!(error = %e, "store unavailable");
            Self::Unavailable
        } else {
            tracing::error!(error = %e, "store failure");
            Self::Internal
        }
    }
}

/// A throttled write decided by the caller from the item it already read
/// (DESIGN §5): record the use, and for a session, push its expiry out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    pub last_used_at: i64,
    /// New `expires_at` (and `ttl`) for a session's sliding expiry.
    pub extend_to: Option<i64>,
}

/// What a guarded update found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TouchOutcome {
    Applied,
    /// The item was deleted (revoked) or expired between the read and the
    /// write: the guard refused to resurrect it.
    Gone,
}

/// One slice of a list, in list order: each row with its sort key, and
/// whether more rows follow. The one paging primitive of every port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    pub rows: Vec<(T, String)>,
    pub has_more: bool,
}

/// What a change of a member's role found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChange {
    Changed(Membership),
    NotMember,
    /// The member is the workspace's only owner: demoting them would leave
    /// the workspace without one.
    LastOwner,
}

/// What a removal found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    Removed,
    NotMember,
    /// The member is the workspace's only owner.
    LastOwner,
}

/// The reads and the one write a decision makes.
pub trait DecisionStore: Send + Sync {
    /// A strongly consistent read of the credential with this hash.
    fn credential(
        &self,
        hash: &CredentialHash,
    ) -> impl Future<Output = Result<Option<StoredCredential>, StoreError>> + Send;

    /// A strongly consistent read of a membership, so a removed member is
    /// refused on the very next request.
    fn membership(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
    ) -> impl Future<Output = Result<Option<Membership>, StoreError>> + Send;

    /// The guarded throttled update: applies only while the item exists and
    /// is unexpired (DESIGN §4).
    fn touch(
        &self,
        hash: &CredentialHash,
        touch: Touch,
        now: i64,
    ) -> impl Future<Output = Result<TouchOutcome, StoreError>> + Send;
}

/// Issuing, finding and revoking credentials.
pub trait CredentialStore: DecisionStore {
    /// Writes a new credential and its id pointer together; both must not
    /// exist yet (DESIGN §4). A taken key is [`StoreError::Conflict`].
    fn create_credential(
        &self,
        hash: &CredentialHash,
        credential: &StoredCredential,
        audit: &[AuditEvent],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Records a fresh sign-in on the session with this hash (sudo mode),
    /// with the events of `audit`, only while it exists and is unexpired,
    /// like [`DecisionStore::touch`].
    fn renew_sign_in(
        &self,
        hash: &CredentialHash,
        signed_in_at: i64,
        audit: &[AuditEvent],
        now: i64,
    ) -> impl Future<Output = Result<TouchOutcome, StoreError>> + Send;

    /// A strongly consistent read of an id pointer (`tok_…`, `ses_…`).
    fn pointer(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<CredentialPointer>, StoreError>> + Send;

    /// Deletes a credential, every secret of it and its pointer together,
    /// only while the pointer still says what `read` found (the same secret
    /// and the same rolled-away one). `false`: the pointer is gone or has
    /// changed since (a roll); the caller reads it again (DESIGN.md
    /// R7, revocation always wins).
    fn delete_credential(
        &self,
        id: &str,
        read: &CredentialPointer,
        audit: &[AuditEvent],
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Replaces a token's secret (DESIGN §1, rolling): writes `token` under
    /// `new`, points its id at it, and lets the secret at `old` work until
    /// `grace_until` (deleted at once when `None`), out of every list. Only
    /// while the pointer still points at `old`: `false` if it no longer does.
    fn roll_credential(
        &self,
        old: &CredentialHash,
        new: &CredentialHash,
        token: &ApiTokenRecord,
        grace_until: Option<i64>,
        audit: &[AuditEvent],
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// A workspace's API tokens and the multi-workspace tokens covering it,
    /// newest first, after the sort key `after`.
    fn list_workspace_tokens(
        &self,
        workspace: &WorkspaceId,
        limit: usize,
        after: Option<&str>,
    ) -> impl Future<Output = Result<Listed<WorkspaceTokenRow>, StoreError>> + Send;

    /// A person's multi-workspace tokens, newest first, after `after`.
    fn list_user_tokens(
        &self,
        user: &UserId,
        limit: usize,
        after: Option<&str>,
    ) -> impl Future<Output = Result<Listed<MultiTokenRecord>, StoreError>> + Send;

    /// Deletes a multi-workspace token, its pointer and its entry in every
    /// covered workspace's list together, only while the pointer still says
    /// what `read` found. `false`: gone or changed since.
    fn delete_multi_token(
        &self,
        read: &CredentialPointer,
        token: &MultiTokenRecord,
        audit: &[AuditEvent],
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The token policy of a workspace (one consistent read of its item,
    /// the policy's attributes only); the default for a workspace that has
    /// none, or does not exist.
    fn token_policy(
        &self,
        workspace: &WorkspaceId,
    ) -> impl Future<Output = Result<TokenPolicy, StoreError>> + Send;

    /// A person's sessions, newest first, after the sort key `after`. May
    /// include expired sessions TTL has not deleted yet; the caller filters.
    fn list_user_sessions(
        &self,
        user: &UserId,
        limit: usize,
        after: Option<&str>,
    ) -> impl Future<Output = Result<Listed<SessionRecord>, StoreError>> + Send;
}

/// Workspaces and their members.
pub trait WorkspaceStore: DecisionStore {
    /// Creates a workspace and its first owner together.
    fn create_workspace(
        &self,
        workspace: &WorkspaceRecord,
        owner: &Membership,
        audit: &[AuditEvent],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn workspace(
        &self,
        id: &WorkspaceId,
    ) -> impl Future<Output = Result<Option<WorkspaceRecord>, StoreError>> + Send;

    /// Several workspaces by id (at most 100); missing ones are left out.
    fn workspaces(
        &self,
        ids: &[WorkspaceId],
    ) -> impl Future<Output = Result<Vec<WorkspaceRecord>, StoreError>> + Send;

    /// Replaces a workspace's token policy, with the events of `audit`;
    /// `false` when the workspace does not exist.
    fn set_token_policy(
        &self,
        workspace: &WorkspaceId,
        policy: &TokenPolicy,
        audit: &[AuditEvent],
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Adds a member; `false` when the user is already a member.
    fn add_member(
        &self,
        membership: &Membership,
        audit: &[AuditEvent],
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Changes a member's role. Atomic with the last-owner rule: an owner is
    /// demoted only while another owner remains, even under concurrent
    /// demotions.
    fn set_member_role(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
        role: Role,
        audit: &[AuditEvent],
    ) -> impl Future<Output = Result<RoleChange, StoreError>> + Send;

    /// Removes a member, atomically with the last-owner rule.
    fn remove_member(
        &self,
        workspace: &WorkspaceId,
        user: &UserId,
        audit: &[AuditEvent],
    ) -> impl Future<Output = Result<Removal, StoreError>> + Send;

    /// A workspace's members in user-id order; strongly consistent.
    fn list_members(
        &self,
        workspace: &WorkspaceId,
        limit: usize,
        after: Option<&str>,
    ) -> impl Future<Output = Result<Listed<Membership>, StoreError>> + Send;

    /// The memberships of `user`, by workspace id.
    fn list_user_memberships(
        &self,
        user: &UserId,
        limit: usize,
        after: Option<&str>,
    ) -> impl Future<Output = Result<Listed<Membership>, StoreError>> + Send;
}

/// Reading the audit log (events are written with the changes they record).
pub trait AuditStore: DecisionStore {
    /// A log's events, newest first, after the sort key `after`, matching
    /// `filter`, none older than the retention period before `now`.
    fn audit_events(
        &self,
        log: &AuditLog,
        filter: &AuditFilter,
        limit: usize,
        after: Option<&str>,
        now: i64,
    ) -> impl Future<Output = Result<AuditPage, StoreError>> + Send;
}

/// The device authorization grant (RFC 8628).
pub trait DeviceStore: Send + Sync {
    /// Stores a new grant and its user code; `false` if the user code is
    /// taken (the caller draws another).
    fn create_device_grant(
        &self,
        hash: &CredentialHash,
        grant: &DeviceGrant,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    fn device_grant(
        &self,
        hash: &CredentialHash,
    ) -> impl Future<Output = Result<Option<DeviceGrant>, StoreError>> + Send;

    /// The grant a live user code points to.
    fn device_by_user_code(
        &self,
        code: &UserCode,
        now: i64,
    ) -> impl Future<Output = Result<Option<CredentialHash>, StoreError>> + Send;

    /// Records a poll (and the interval after it) of a pending grant.
    fn record_poll(
        &self,
        hash: &CredentialHash,
        now: i64,
        interval: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Approves or denies a pending, unexpired grant and retires its user
    /// code together. `false`: it was no longer pending.
    fn answer_device_grant(
        &self,
        hash: &CredentialHash,
        code: &UserCode,
        approve: bool,
        user: &UserId,
        now: i64,
        audit: &[AuditEvent],
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Turns an approved grant into a session together: the grant is
    /// deleted (only if still approved), the session and its pointer are
    /// created. `false`: already redeemed.
    fn redeem_device_grant(
        &self,
        grant: &CredentialHash,
        session_hash: &CredentialHash,
        session: &SessionRecord,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Unknown user codes `user` submitted in the window starting `window`.
    fn approval_misses(
        &self,
        user: &UserId,
        window: i64,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Counts one more miss, atomically and only while fewer than `budget`
    /// were counted (a conditional update, not read-then-write, so
    /// concurrent guesses cannot all pass). `false`: the budget was spent.
    /// The counter expires with its window.
    fn count_approval_miss(
        &self,
        user: &UserId,
        window: i64,
        expires_at: i64,
        budget: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_errors_never_reach_the_client() {
        let e = ApiError::from(StoreError::Request("ValidationException CRED#abc".into()));
        assert_eq!(e, ApiError::Internal);
        assert!(!e.envelope().to_string().contains("CRED#"));
        assert_eq!(
            ApiError::from(StoreError::Unavailable("timeout".into())),
            ApiError::Unavailable
        );
        assert_eq!(
            ApiError::from(StoreError::InvalidCursor),
            ApiError::BadRequest("invalid cursor".into())
        );
    }
}
