//! The audit log: every security-relevant change leaves an event, written
//! by the store in the same transaction as the change itself, so an event
//! is never lost and never a phantom (a refused change writes none).
//!
//! Events go to a log: a workspace's (tokens, multi-workspace grants,
//! members, the workspace itself), read by its owners and admins at
//! `GET /v1/workspaces/{id}/audit_log`, or a person's (device logins,
//! sessions), read by that person at `GET /v1/me/audit_log`. An event
//! names who acted and on what, and the request's source IP and user
//! agent; never a secret. Events expire after the retention period
//! (`AKUA_AUDIT_RETENTION_DAYS`, default 400) through the table's TTL, and
//! a read never returns an older one, whatever TTL has not deleted yet.

use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::ids::{EventId, UserId, WorkspaceId};
use crate::principal::{CredentialKind, Principal};

/// Days an event is kept unless `AKUA_AUDIT_RETENTION_DAYS` says otherwise.
pub const DEFAULT_RETENTION_DAYS: i64 = 400;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum AuditAction {
    #[serde(rename = "token.created")]
    TokenCreated,
    #[serde(rename = "token.revoked")]
    TokenRevoked,
    #[serde(rename = "token.rolled")]
    TokenRolled,
    /// A secret scanner reported the token public; it was revoked.
    #[serde(rename = "token.leaked")]
    TokenLeaked,
    /// The token expires within the notice window (written once per token
    /// and expiry by the hourly sweep; detail: `expires_at=<unix seconds>`).
    #[serde(rename = "token.expiring")]
    TokenExpiring,
    /// A multi-workspace token was created covering this workspace.
    #[serde(rename = "multi_token.granted")]
    MultiTokenGranted,
    #[serde(rename = "multi_token.revoked")]
    MultiTokenRevoked,
    #[serde(rename = "member.added")]
    MemberAdded,
    #[serde(rename = "member.role_changed")]
    MemberRoleChanged,
    #[serde(rename = "member.removed")]
    MemberRemoved,
    #[serde(rename = "workspace.created")]
    WorkspaceCreated,
    /// The workspace's token policy was set (detail: the new policy).
    #[serde(rename = "workspace.token_policy_changed")]
    TokenPolicyChanged,
    /// A `cnap` login was approved: its session is created when the CLI
    /// next polls.
    #[serde(rename = "device.approved")]
    DeviceApproved,
    #[serde(rename = "device.denied")]
    DeviceDenied,
    /// A dashboard session was started from an identity-provider sign-in.
    #[serde(rename = "session.created")]
    SessionCreated,
    #[serde(rename = "session.revoked")]
    SessionRevoked,
    /// A dashboard session's sign-in was renewed by signing in again
    /// (sudo mode).
    #[serde(rename = "session.reauthenticated")]
    SessionReauthenticated,
}

impl AuditAction {
    pub const ALL: [AuditAction; 17] = [
        Self::TokenCreated,
        Self::TokenRevoked,
        Self::TokenRolled,
        Self::TokenLeaked,
        Self::TokenExpiring,
        Self::MultiTokenGranted,
        Self::MultiTokenRevoked,
        Self::MemberAdded,
        Self::MemberRoleChanged,
        Self::MemberRemoved,
        Self::WorkspaceCreated,
        Self::TokenPolicyChanged,
        Self::DeviceApproved,
        Self::DeviceDenied,
        Self::SessionCreated,
        Self::SessionRevoked,
        Self::SessionReauthenticated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::TokenCreated => "token.created",
            Self::TokenRevoked => "token.revoked",
            Self::TokenRolled => "token.rolled",
            Self::TokenLeaked => "token.leaked",
            Self::TokenExpiring => "token.expiring",
            Self::MultiTokenGranted => "multi_token.granted",
            Self::MultiTokenRevoked => "multi_token.revoked",
            Self::MemberAdded => "member.added",
            Self::MemberRoleChanged => "member.role_changed",
            Self::MemberRemoved => "member.removed",
            Self::WorkspaceCreated => "workspace.created",
            Self::TokenPolicyChanged => "workspace.token_policy_changed",
            Self::DeviceApproved => "device.approved",
            Self::DeviceDenied => "device.denied",
            Self::SessionCreated => "session.created",
            Self::SessionRevoked => "session.revoked",
            Self::SessionReauthenticated => "session.reauthenticated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// How the actor authenticated: a credential kind, or a secret scanner's
/// signed leak report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ActorKind {
    Session,
    ApiToken,
    Jwt,
    MultiWorkspaceToken,
    SecretScanner,
    /// Whoever held the credential's secret, revoking it without any other
    /// credential (RFC 7009); the actor's id is the credential's.
    Holder,
    /// The service's own schedule (the hourly sweep); the actor's id is
    /// the function's role, `cleanup`.
    Schedule,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::ApiToken => "api_token",
            Self::Jwt => "jwt",
            Self::MultiWorkspaceToken => "multi_workspace_token",
            Self::SecretScanner => "secret_scanner",
            Self::Holder => "holder",
            Self::Schedule => "schedule",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Session,
            Self::ApiToken,
            Self::Jwt,
            Self::MultiWorkspaceToken,
            Self::SecretScanner,
            Self::Holder,
            Self::Schedule,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

impl From<CredentialKind> for ActorKind {
    fn from(kind: CredentialKind) -> Self {
        match kind {
            CredentialKind::Session => Self::Session,
            CredentialKind::ApiToken => Self::ApiToken,
            CredentialKind::Jwt => Self::Jwt,
            CredentialKind::MultiWorkspaceToken => Self::MultiWorkspaceToken,
        }
    }
}

/// Who acted: a person's user id or a token's id, and how they
/// authenticated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditActor {
    /// `usr_…` (any identity-provider user id) for a person, `tok_…` for an
    /// API token, the scanner's name for a leak report.
    pub id: String,
    pub credential: ActorKind,
}

impl AuditActor {
    pub fn of(caller: &Principal) -> Self {
        let id = match caller {
            Principal::WorkspaceToken(t) => t.token_id.to_string(),
            Principal::MultiToken(t) => t.token_id.to_string(),
            Principal::Person(p) => p.user_id.to_string(),
        };
        Self {
            id,
            credential: caller.kind().into(),
        }
    }
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TargetKind {
    ApiToken,
    Member,
    Workspace,
    Session,
    DeviceLogin,
}

impl TargetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ApiToken => "api_token",
            Self::Member => "member",
            Self::Workspace => "workspace",
            Self::Session => "session",
            Self::DeviceLogin => "device_login",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::ApiToken,
            Self::Member,
            Self::Workspace,
            Self::Session,
            Self::DeviceLogin,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditTarget {
    #[serde(rename = "type")]
    pub kind: TargetKind,
    /// `tok_…`, a user id, `ws_…`, `ses_…`, or a device login's client id.
    pub id: String,
}

impl AuditTarget {
    pub fn new(kind: TargetKind, id: impl ToString) -> Self {
        Self {
            kind,
            id: id.to_string(),
        }
    }
}

/// What the gateway knows of the request: its source IP and user agent.
/// Bounded and stripped of control characters, since both are the
/// caller's to choose.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Origin {
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Origin {
    const MAX_IP: usize = 45;
    const MAX_USER_AGENT: usize = 256;

    pub fn new(source_ip: Option<&str>, user_agent: Option<&str>) -> Self {
        Self {
            source_ip: source_ip.and_then(|v| clean(v, Self::MAX_IP)),
            user_agent: user_agent.and_then(|v| clean(v, Self::MAX_USER_AGENT)),
        }
    }
}

fn clean(value: &str, max_chars: usize) -> Option<String> {
    let cleaned: String = value
        .chars()
        .filter(|c| !c.is_control())
        .take(max_chars)
        .collect();
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Whose log an event goes to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuditLog {
    Workspace(WorkspaceId),
    User(UserId),
}

/// One event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: EventId,
    pub at: i64,
    pub log: AuditLog,
    pub action: AuditAction,
    pub actor: AuditActor,
    pub target: AuditTarget,
    pub origin: Origin,
    /// A short, non-secret detail: the new role, a grace period, the URL a
    /// leak was found at.
    pub detail: Option<String>,
}

impl AuditEvent {
    /// An event of `action` on `target` by `actor`, now.
    pub fn new(
        log: AuditLog,
        action: AuditAction,
        actor: AuditActor,
        target: AuditTarget,
        origin: &Origin,
        now: i64,
    ) -> Self {
        Self {
            id: EventId::sortable(),
            at: now,
            log,
            action,
            actor,
            target,
            origin: origin.clone(),
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = clean(&detail.into(), 512);
        self
    }
}

/// Who makes a change and from where: what each of its events records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub actor: AuditActor,
    pub origin: Origin,
}

impl Author {
    pub fn of(caller: &Principal, origin: &Origin) -> Self {
        Self {
            actor: AuditActor::of(caller),
            origin: origin.clone(),
        }
    }

    /// An event of this author's change, now.
    pub fn event(
        &self,
        log: AuditLog,
        action: AuditAction,
        target: AuditTarget,
        now: i64,
    ) -> AuditEvent {
        AuditEvent::new(log, action, self.actor.clone(), target, &self.origin, now)
    }
}

/// An event as listed. `AuditEvent` in the API document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = AuditEvent)]
pub struct AuditEntry {
    /// `evt_…`
    pub id: String,
    /// Unix seconds.
    pub at: i64,
    pub action: AuditAction,
    pub actor: AuditActor,
    pub target: AuditTarget,
    #[schema(required = true)]
    pub source_ip: Option<String>,
    #[schema(required = true)]
    pub user_agent: Option<String>,
    #[schema(required = true)]
    pub detail: Option<String>,
}

impl From<AuditEvent> for AuditEntry {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id.into(),
            at: e.at,
            action: e.action,
            actor: e.actor,
            target: e.target,
            source_ip: e.origin.source_ip,
            user_agent: e.origin.user_agent,
            detail: e.detail,
        }
    }
}

/// The filters of a log read, parsed from the query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub action: Option<AuditAction>,
    /// The actor's id (`usr_…`, `tok_…`).
    pub actor: Option<String>,
    /// Unix seconds, inclusive.
    pub since: Option<i64>,
    /// Unix seconds, inclusive.
    pub until: Option<i64>,
}

impl AuditFilter {
    /// The query string's filters, each checked: an unknown action or a
    /// `since` after `until` is a 422 naming the field.
    pub fn parse(
        action: Option<&str>,
        actor: Option<&str>,
        since: Option<i64>,
        until: Option<i64>,
    ) -> Result<Self, ApiError> {
        let action = action
            .map(|a| {
                AuditAction::parse(a).ok_or_else(|| {
                    ApiError::validation("action", "must be one of the documented audit actions")
                })
            })
            .transpose()?;
        // Compared for equality only; empty counts as absent.
        let actor = match actor {
            Some(a) if a.chars().count() > MAX_ACTOR_CHARS => {
                return Err(ApiError::validation(
                    "actor",
                    format!("must be a user or token id of at most {MAX_ACTOR_CHARS} characters"),
                ));
            }
            a => a.filter(|a| !a.is_empty()).map(str::to_owned),
        };
        // `since` after `until` is a valid, empty window.
        for (field, value) in [("since", since), ("until", until)] {
            if value.is_some_and(|v| !(0..=MAX_TIME).contains(&v)) {
                return Err(ApiError::validation(field, "must be Unix seconds"));
            }
        }
        Ok(Self {
            action,
            actor,
            since,
            until,
        })
    }
}

/// The longest actor id a filter accepts (the longest user id).
pub const MAX_ACTOR_CHARS: usize = UserId::MAX_LEN;

/// The latest time a filter accepts (year 5138): sort keys pad times to 12
/// digits.
pub const MAX_TIME: i64 = 99_999_999_999;

/// What a log read found: the events, and where to continue when more may
/// follow (a sort key; the last event's, or the last one examined when a
/// filtered read stopped at its bound).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    pub resume_after: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_parses_back_from_its_name() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.as_str()));
        }
        assert_eq!(AuditAction::parse("token.stolen"), None);
    }

    #[test]
    fn origin_is_bounded_and_has_no_control_characters() {
        let long = "a".repeat(1000);
        let o = Origin::new(Some("203.0.113.9\n"), Some(&long));
        assert_eq!(o.source_ip.as_deref(), Some("203.0.113.9"));
        assert_eq!(o.user_agent.map(|u| u.len()), Some(256));
        assert_eq!(Origin::new(Some(" "), None), Origin::default());
    }

    #[test]
    fn filters_name_the_bad_field() {
        let field = |r: Result<AuditFilter, ApiError>| match r {
            Err(ApiError::Validation { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let long = "u".repeat(256);
        assert_eq!(
            field(AuditFilter::parse(Some("x"), None, None, None)),
            "action"
        );
        assert_eq!(
            field(AuditFilter::parse(None, Some(&long), None, None)),
            "actor"
        );
        assert_eq!(
            field(AuditFilter::parse(None, None, Some(-1), None)),
            "since"
        );
        let late = Some(MAX_TIME + 1);
        assert_eq!(field(AuditFilter::parse(None, None, None, late)), "until");
        // Empty actor is absent; `since` after `until` is an empty window.
        let empty = AuditFilter::parse(None, Some(""), Some(5), Some(4)).unwrap();
        assert_eq!(empty.actor, None);
        let ok = AuditFilter::parse(Some("token.rolled"), Some("usr_a"), Some(1), Some(2));
        assert_eq!(ok.unwrap().action, Some(AuditAction::TokenRolled));
    }
}
