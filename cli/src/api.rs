//! The API's request and response bodies, as `cnap` reads and sends them
//! (DESIGN §6: snake_case JSON, Unix-second timestamps, prefixed ids).
//!
//! The CLI keeps its own copies rather than linking `akua-shared`: that
//! crate carries the DynamoDB SDK, which a command-line client must not
//! download and build. Unknown response fields are ignored, so the server
//! can add fields without breaking older clients. Types holding a token's
//! plaintext are not `Debug`.

use serde::{Deserialize, Serialize};

/// `GET /auth/whoami`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Whoami {
    pub credential: String,
    pub user_id: Option<String>,
    pub workspace_id: Option<String>,
    pub role: Option<String>,
    pub token_id: Option<String>,
    pub expires_at: Option<i64>,
}

/// `GET /auth/session`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    pub user_id: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub last_used_at: Option<i64>,
}

/// `POST /auth/device/code` (RFC 8628 §3.2).
#[derive(Debug, Clone, Deserialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: Option<String>,
    pub expires_in: u64,
    /// RFC 8628 §3.2: 5 s when the server says nothing.
    #[serde(default = "default_interval")]
    pub interval: u64,
}

fn default_interval() -> u64 {
    5
}

/// `POST /auth/device/token` success (RFC 8628 §3.5).
#[derive(Deserialize)]
pub struct AccessToken {
    pub access_token: String,
}

/// `POST /api_tokens`. `expires_at: null` means "never" and is sent as such;
/// `role` is left out to take the server's default.
#[derive(Debug, Serialize)]
pub struct CreateToken {
    pub name: String,
    pub expires_at: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

/// The one response that carries an API token's plaintext.
#[derive(Serialize, Deserialize)]
pub struct CreatedToken {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub token: String,
    pub prefix: String,
    pub role: Option<String>,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

/// An API token as listed: never the secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenSummary {
    pub id: String,
    pub workspace_id: String,
    pub name: String,
    pub prefix: String,
    pub role: Option<String>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub expires_at: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct CreateWorkspace {
    pub name: String,
}

/// A workspace with the caller's role in it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Workspace {
    pub id: String,
    pub name: String,
    pub created_at: i64,
    pub role: String,
}

/// One page of a list (DESIGN §6).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
}
