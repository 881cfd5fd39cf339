//! What the service keeps, as plain values (DESIGN §4). The store adapter
//! turns these into items and back; the rules read and write only these, so
//! they never see a key format or an attribute name.

use crate::ids::{
    Role, SessionId, TokenId, TokenName, TokenRole, UserId, WorkspaceId, WorkspaceName,
};

use serde::{Deserialize, Serialize};

use crate::credential::CredentialHash;
use crate::ids::UserCode;
use crate::restrictions::Restrictions;
use crate::token_policy::TokenPolicy;

/// Sessions last a year from their last (recorded) use (DESIGN §1).
pub const SESSION_LIFETIME_SECS: i64 = 365 * 24 * 3600;
/// A dashboard session lasts 12 hours from its last (recorded) use.
pub const DASHBOARD_SESSION_LIFETIME_SECS: i64 = 12 * 3600;
/// ... and ends 7 days after it was created whatever its use (ASVS 5.0
/// 7.3.2): a stolen browser session is not worth more than a week.
pub const DASHBOARD_SESSION_ABSOLUTE_SECS: i64 = 7 * 24 * 3600;

/// Who made an API token (DESIGN §1: every token listing says who made it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", content = "id", rename_all = "snake_case")]
pub enum Creator {
    /// A person (session or JWT user).
    #[schema(value_type = String)]
    User(UserId),
    /// Another API token.
    #[schema(value_type = String)]
    ApiToken(TokenId),
}

/// A workspace API token as stored (DESIGN §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    pub id: TokenId,
    pub workspace_id: WorkspaceId,
    pub name: TokenName,
    /// Non-secret display prefix, e.g. `sk_akua_a3b2`.
    pub prefix: String,
    pub role: TokenRole,
    /// Who created it; none for tokens made before this was recorded.
    pub created_by: Option<Creator>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// Its permissions and allow list (none: everything its role allows,
    /// from anywhere).
    pub restrictions: Restrictions,
}

/// A multi-workspace API token (DESIGN §1: a broad credential): made by a
/// person for some of their workspaces, it acts as that person with at most
/// its `role` cap, in one listed workspace at a time (`Akua-Context`), and
/// only while the person is still a member there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultiTokenRecord {
    pub id: TokenId,
    /// The person it acts for.
    pub user_id: UserId,
    pub name: TokenName,
    /// Non-secret display prefix, e.g. `sk_akua_a3b2`.
    pub prefix: String,
    /// The highest role it acts with; the owner's own role may be lower.
    pub role: TokenRole,
    /// 1–20 workspaces, each one its owner belonged to when it was made.
    pub workspace_ids: Vec<WorkspaceId>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
    /// Its permissions and allow list, in every workspace it covers.
    pub restrictions: Restrictions,
}

/// The two kinds of API token, as a workspace's token list tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Belongs to one workspace.
    Workspace,
    /// A person's token covering this workspace among others.
    MultiWorkspace,
}

/// One row of a workspace's token list: its own tokens, and the
/// multi-workspace tokens that cover it (shown with their owner as
/// `created_by`, their cap as `role`; `last_used_at` is not tracked per
/// workspace and reads null).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceTokenRow {
    pub kind: TokenKind,
    pub token: ApiTokenRecord,
}

/// What a session was issued to, so a person can tell their sessions apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionClient {
    /// `cnap auth login` (the device flow).
    Cli,
    /// A browser signed in to the dashboard.
    Dashboard,
}

impl SessionClient {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cli => "cli",
            Self::Dashboard => "dashboard",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "cli" => Some(Self::Cli),
            "dashboard" => Some(Self::Dashboard),
            _ => None,
        }
    }

    /// How long a session of this client lives after its last (recorded)
    /// use: a year for the CLI; 12 hours for a browser, whose session is
    /// the broad credential of a person at a shared screen.
    pub fn lifetime_secs(self) -> i64 {
        match self {
            Self::Cli => SESSION_LIFETIME_SECS,
            Self::Dashboard => DASHBOARD_SESSION_LIFETIME_SECS,
        }
    }

    /// How long after its creation a session of this client ends whatever
    /// its use, unless configured otherwise: a week for a browser; none for
    /// the CLI, whose sliding year is the product's promise (docs/DESIGN.md,
    /// "Session limits").
    pub fn default_absolute_secs(self) -> Option<i64> {
        match self {
            Self::Cli => None,
            Self::Dashboard => Some(DASHBOARD_SESSION_ABSOLUTE_SECS),
        }
    }
}

/// A session as stored. Sessions always expire (sliding, DESIGN §1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub id: SessionId,
    pub user_id: UserId,
    pub client: SessionClient,
    pub created_at: i64,
    /// The sliding expiry as stored.
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
    /// When it ends whatever its use (a dashboard session's week, set when
    /// it starts); `None` for a CLI session.
    pub absolute_expires_at: Option<i64>,
    /// When its person last signed in at the browser (the `auth_time` of
    /// the JWT that started or renewed it); `None` for a CLI session and
    /// for a dashboard session started without one.
    pub signed_in_at: Option<i64>,
}

impl SessionRecord {
    /// How its holder signed in (sudo mode): a CLI session never signs in
    /// at a browser; a dashboard session without a recorded time is never
    /// recent.
    pub fn sign_in(&self) -> crate::sign_in::SignIn {
        use crate::sign_in::SignIn;
        match (self.client, self.signed_in_at) {
            (SessionClient::Cli, _) => SignIn::Machine,
            (SessionClient::Dashboard, Some(at)) => SignIn::At(at),
            (SessionClient::Dashboard, None) => SignIn::Unknown,
        }
    }

    /// When the session ends: its sliding expiry, never past its absolute
    /// limit (a session stored before the limit existed may slide past it).
    pub fn ends_at(&self) -> i64 {
        self.absolute_expires_at
            .map_or(self.expires_at, |end| end.min(self.expires_at))
    }
}

/// A stored opaque credential: what a read of a credential hash yields.
///
/// Adding a credential kind starts here: a variant, its record, and the
/// matches the compiler then points at (ARCHITECTURE.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredCredential {
    ApiToken(ApiTokenRecord),
    Session(SessionRecord),
    MultiWorkspaceToken(MultiTokenRecord),
}

impl StoredCredential {
    pub fn id(&self) -> &str {
        match self {
            Self::ApiToken(t) => t.id.as_str(),
            Self::Session(s) => s.id.as_str(),
            Self::MultiWorkspaceToken(t) => t.id.as_str(),
        }
    }

    pub fn expires_at(&self) -> Option<i64> {
        match self {
            Self::ApiToken(t) => t.expires_at,
            Self::Session(s) => Some(s.ends_at()),
            Self::MultiWorkspaceToken(t) => t.expires_at,
        }
    }

    pub fn last_used_at(&self) -> Option<i64> {
        match self {
            Self::ApiToken(t) => t.last_used_at,
            Self::Session(s) => s.last_used_at,
            Self::MultiWorkspaceToken(t) => t.last_used_at,
        }
    }

    /// A token's restrictions; a session has none.
    pub fn restrictions(&self) -> Option<&Restrictions> {
        match self {
            Self::ApiToken(t) => Some(&t.restrictions),
            Self::MultiWorkspaceToken(t) => Some(&t.restrictions),
            Self::Session(_) => None,
        }
    }

    /// The workspace the credential belongs to, if it belongs to one.
    pub fn workspace_id(&self) -> Option<&WorkspaceId> {
        match self {
            Self::ApiToken(t) => Some(&t.workspace_id),
            Self::Session(_) | Self::MultiWorkspaceToken(_) => None,
        }
    }

    /// Expired at `now`, whatever TTL has or has not deleted (DESIGN §1).
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at().is_some_and(|at| at <= now)
    }
}

/// The id pointer: lets revoke-by-id find the hash with one consistent read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialPointer {
    pub hash: CredentialHash,
    /// The owning workspace (API tokens), so a foreign id is a 404 without
    /// reading the credential.
    pub workspace_id: Option<WorkspaceId>,
    /// The secret a roll replaced, which may still work until its grace
    /// period ends; revoking the token deletes it too.
    pub previous: Option<CredentialHash>,
}

/// A user's membership of a workspace (DESIGN §4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub workspace_id: WorkspaceId,
    pub user_id: UserId,
    pub role: Role,
    pub joined_at: i64,
}

/// A workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceRecord {
    pub id: WorkspaceId,
    pub name: WorkspaceName,
    pub created_at: i64,
    pub created_by: UserId,
    /// What its owners ask of every token made or rolled in it.
    pub token_policy: TokenPolicy,
}

/// Where a device login stands (RFC 8628).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
}

/// A pending, approved or denied device login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceGrant {
    pub user_code: UserCode,
    pub client_id: String,
    pub scope: Option<String>,
    pub status: DeviceStatus,
    /// Who approved it.
    pub user_id: Option<UserId>,
    /// When the login was asked for, and from where: the approving person
    /// sees these (a login someone else started is a phishing attempt).
    pub created_at: i64,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
    pub expires_at: i64,
    /// Current polling interval (grows with each `slow_down`).
    pub interval: i64,
    pub last_poll_at: Option<i64>,
}
