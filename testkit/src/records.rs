//! Builders of the records the service stores, for seeding a store without
//! going through the API: a fresh credential (its plaintext and its record)
//! with the defaults the API itself would give, changed field by field.
//!
//! Ids and names are given as strings and parsed here, so a test reads like
//! the data it seeds; an invalid one is a bug in the test and panics.

use akua_core::decision::SESSION_LIFETIME_SECS;
use akua_core::records::{ApiTokenRecord, Creator, Membership, SessionClient, SessionRecord};
use akua_core::{
    ApiToken, Role, SessionId, SessionToken, TokenId, TokenName, TokenRole, UserId, WorkspaceId,
};

fn workspace_id(id: &str) -> WorkspaceId {
    WorkspaceId::parse(id).expect("test workspace id")
}

fn user_id(id: &str) -> UserId {
    UserId::parse(id).expect("test user id")
}

/// A new API token of `workspace`, created at `created_at`: named `test`,
/// role `admin` (the API's default), no creator, no expiry, never used.
pub fn api_token(workspace: &str, created_at: i64) -> ApiTokenBuilder {
    let token = ApiToken::generate();
    let record = ApiTokenRecord {
        restrictions: Default::default(),
        id: TokenId::generate(),
        workspace_id: workspace_id(workspace),
        name: TokenName::parse("test").expect("token name"),
        prefix: token.display_prefix(),
        role: TokenRole::Admin,
        created_by: None,
        created_at,
        expires_at: None,
        last_used_at: None,
    };
    ApiTokenBuilder { token, record }
}

/// A new session of `user`, created at `created_at` and expiring a full
/// session lifetime later, never used.
pub fn session(user: &str, created_at: i64) -> SessionBuilder {
    SessionBuilder {
        token: SessionToken::generate(),
        record: SessionRecord {
            id: SessionId::generate(),
            user_id: user_id(user),
            client: SessionClient::Cli,
            created_at,
            expires_at: created_at + SESSION_LIFETIME_SECS,
            last_used_at: None,
            absolute_expires_at: None,
            signed_in_at: None,
        },
    }
}

/// `user` as a member of `workspace` with `role`, since `joined_at`.
pub fn membership(workspace: &str, user: &str, role: Role, joined_at: i64) -> Membership {
    Membership {
        workspace_id: workspace_id(workspace),
        user_id: user_id(user),
        role,
        joined_at,
    }
}

/// An API token being built: the plaintext and the record that goes with
/// it (its prefix is the plaintext's).
#[derive(Debug)]
pub struct ApiTokenBuilder {
    token: ApiToken,
    record: ApiTokenRecord,
}

impl ApiTokenBuilder {
    pub fn name(mut self, name: &str) -> Self {
        self.record.name = TokenName::parse(name).expect("test token name");
        self
    }

    pub fn role(mut self, role: TokenRole) -> Self {
        self.record.role = role;
        self
    }

    /// Made by a person (a session or JWT user).
    pub fn created_by_user(mut self, user: &str) -> Self {
        self.record.created_by = Some(Creator::User(user_id(user)));
        self
    }

    /// Made by another API token.
    pub fn created_by_token(mut self, token: &TokenId) -> Self {
        self.record.created_by = Some(Creator::ApiToken(token.clone()));
        self
    }

    pub fn expires_at(mut self, at: Option<i64>) -> Self {
        self.record.expires_at = at;
        self
    }

    /// Last used at `at`: a recent use means no throttled write is due.
    pub fn last_used_at(mut self, at: Option<i64>) -> Self {
        self.record.last_used_at = at;
        self
    }

    /// Restricted to `restrictions`.
    pub fn restricted(mut self, restrictions: akua_core::restrictions::Restrictions) -> Self {
        self.record.restrictions = restrictions;
        self
    }

    /// The record as it stands (its id, to point at it before building).
    pub fn record(&self) -> &ApiTokenRecord {
        &self.record
    }

    pub fn build(self) -> (ApiToken, ApiTokenRecord) {
        (self.token, self.record)
    }
}

/// A session being built: the plaintext and its record.
#[derive(Debug)]
pub struct SessionBuilder {
    token: SessionToken,
    record: SessionRecord,
}

impl SessionBuilder {
    pub fn expires_at(mut self, at: i64) -> Self {
        self.record.expires_at = at;
        self
    }

    /// Last used at `at`: a recent use means no throttled write is due.
    pub fn last_used_at(mut self, at: Option<i64>) -> Self {
        self.record.last_used_at = at;
        self
    }

    pub fn record(&self) -> &SessionRecord {
        &self.record
    }

    pub fn build(self) -> (SessionToken, SessionRecord) {
        (self.token, self.record)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_api_token_record_matches_its_plaintext() {
        let (token, record) = api_token("ws_a", 100)
            .name("ci")
            .role(TokenRole::Member)
            .created_by_user("usr_a")
            .expires_at(Some(200))
            .last_used_at(Some(150))
            .build();
        assert_eq!(record.prefix, token.display_prefix());
        assert_eq!(record.workspace_id.as_str(), "ws_a");
        assert_eq!(record.name.as_str(), "ci");
        assert_eq!(record.role, TokenRole::Member);
        assert_eq!(
            record.created_by,
            Some(Creator::User(UserId::parse("usr_a").unwrap()))
        );
        assert_eq!(
            (record.created_at, record.expires_at, record.last_used_at),
            (100, Some(200), Some(150))
        );
    }

    #[test]
    fn a_session_lives_a_full_lifetime_by_default() {
        let (_, record) = session("usr_a", 100).build();
        assert_eq!(record.expires_at, 100 + SESSION_LIFETIME_SECS);
        assert_eq!(record.user_id.as_str(), "usr_a");
        assert_eq!(record.last_used_at, None);
    }

    #[test]
    fn builders_show_no_plaintext() {
        let session = session("usr_a", 100);
        let token = api_token("ws_a", 1);
        let shown = format!("{session:?} {token:?}");
        let (session, _) = session.build();
        let (token, _) = token.build();
        assert!(!shown.contains(session.expose()), "{shown}");
        assert!(!shown.contains(token.expose()), "{shown}");
    }
}
