//! `akua-core`: the one validation crate of the Akua authentication service.
//!
//! Every rule of DESIGN §1 lives here, with no I/O framework and no AWS SDK,
//! so the authorizer, the HTTP functions, the local run and the CLI cannot
//! disagree about what a credential is or whether it is valid:
//!
//! - [`credential`]: the three credential kinds, parsed from an
//!   `Authorization` header (shape, checksum), generated from the OS CSPRNG,
//!   hashed for storage;
//! - [`ids`]: prefixed identifiers and roles as types that cannot hold an
//!   invalid value;
//! - [`records`]: what the service stores, as plain values;
//! - [`ports`]: what the rules need from storage, as traits (`akua-store`
//!   implements them over DynamoDB);
//! - [`principal`]: who an allowed request is, and the request-context keys
//!   that carry it from the authorizer to the handlers;
//! - [`jwt`]: OAuth2 JWT verification against a cached JWKS;
//! - [`decision`]: `(Authorization, Akua-Context, now)` → allow, 401 or 403;
//! - [`tokens`], [`workspaces`], [`sessions`], [`device`]: the use cases
//!   behind each HTTP route, returning [`ApiError`]s;
//! - [`audit`]: the audit log's events, written with the changes they record;
//! - [`sudo`]: which actions need a recent sign-in, and whether a caller's is;
//! - [`permission`], [`allow_list`], [`restrictions`], [`route_map`],
//!   [`token_policy`]: restricted tokens and the rules a workspace sets;
//! - [`leaks`]: signed leak reports from a secret scanner, which revoke;
//! - [`paging`] and [`cursor`]: lists and their opaque cursors.

#![cfg_attr(not(test), warn(clippy::wildcard_enum_match_arm))]

pub mod allow_list;
pub mod api_error;
pub mod audit;
pub mod audit_log;
pub mod base62;
pub mod clock;
pub mod credential;
pub mod cursor;
pub mod decision;
pub mod device;
pub mod expiry_notice;
pub mod holder;
pub mod ids;
pub mod introspection;
pub mod issue;
pub mod jwt;
pub mod leaks;
pub mod multi_tokens;
pub mod paging;
pub mod permission;
pub mod policy;
pub mod ports;
pub mod principal;
pub mod published_keys;
pub mod records;
pub mod restrictions;
mod revocation;
pub mod route_map;
pub mod routes;
pub mod sessions;
pub mod sign_in;
pub mod sudo;
pub mod token_policy;
pub mod tokens;
pub mod workspaces;

pub use api_error::{ApiError, Refusal};
pub use credential::{
    ApiToken, Credential, CredentialError, CredentialHash, Jwt, Revealed, SessionToken,
};
pub use decision::{Authorizer, Decision, DecisionError, DenyReason};
pub use ids::{
    Name, Role, SessionId, TokenId, TokenName, TokenRole, UserId, WorkspaceId, WorkspaceName,
};
pub use principal::{CredentialKind, Principal};
