//! Identifiers and roles as types: a value of one of these has been checked,
//! so later code never handles an unchecked string (parse, don't validate).
//!
//! Ids are prefixed (DESIGN §6): `tok_`, `ses_`, `ws_`, `usr_`. User ids are the
//! exception: a JWT's `sub` is the user id (it is whatever the identity
//! provider says), so [`UserId`] accepts any short printable string.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Random characters after the prefix of a generated id (~143 bits).
const RANDOM_ID_LEN: usize = 24;

/// Why a string is not a valid id or role. Carries no part of the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid {0}")]
pub struct InvalidId(pub &'static str);

/// A text newtype read from and written as a JSON string (serde's
/// `try_from`/`into`), through its own `parse`.
macro_rules! string_conversions {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, InvalidId> {
                Self::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

macro_rules! prefixed_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $what:literal, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The prefix every value starts with.
            pub const PREFIX: &'static str = $prefix;

            /// A fresh id from the OS CSPRNG.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, crate::base62::random(RANDOM_ID_LEN)))
            }

            /// Accepts the prefix followed by 1.. base62 characters, at most
            /// the maximum length in total.
            pub fn parse(s: &str) -> Result<Self, InvalidId> {
                match s.strip_prefix($prefix) {
                    Some(rest)
                        if !rest.is_empty()
                            && s.len() <= $max
                            && crate::base62::is_base62(rest) =>
                    {
                        Ok(Self(s.to_owned()))
                    }
                    _ => Err(InvalidId($what)),
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        string_conversions!($name);
    };
}

prefixed_id!(
    /// A workspace API token's public id (`tok_…`): what list and revoke use.
    TokenId, "tok_", "token id", 64
);
prefixed_id!(
    /// A session's public id (`ses_…`).
    SessionId, "ses_", "session id", 64
);
prefixed_id!(
    /// An audit log event (`evt_…`).
    EventId, "evt_", "event id", 64
);

impl EventId {
    /// A fresh id that sorts after every id made earlier in this process:
    /// the wall clock's microseconds in 14 hex digits, then random
    /// characters. Events of one second are listed in the order they
    /// happened.
    pub fn sortable() -> Self {
        let micros = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros());
        Self(format!(
            "{}{micros:014x}{}",
            Self::PREFIX,
            crate::base62::random(12)
        ))
    }
}
prefixed_id!(
    /// A workspace (`ws_…`), 1–53 characters as the `Akua-Context` header
    /// allows (DESIGN §1).
    WorkspaceId, "ws_", "workspace id", 53
);

/// In the API document: `ws_` and 1–50 base62 characters, as
/// [`WorkspaceId::parse`] accepts.
impl utoipa::PartialSchema for WorkspaceId {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^ws_[0-9A-Za-z]+$"))
            .min_length(Some(4))
            .max_length(Some(53))
            .examples([serde_json::json!("ws_1P6ZSL000vsy717TkgN0rakq")])
            .into()
    }
}

impl utoipa::ToSchema for WorkspaceId {}

/// A user: the `sub` of a JWT, or the user a session was issued to.
///
/// 1–255 bytes with no control characters: enough for every identity
/// provider's subject format, bounded so it cannot bloat items or logs.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UserId(String);

impl UserId {
    pub const MAX_LEN: usize = 255;

    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        if s.is_empty() || s.len() > Self::MAX_LEN || s.chars().any(char::is_control) {
            return Err(InvalidId("user id"));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

string_conversions!(UserId);

/// A display name (of an API token or a workspace): 1–100 characters, not
/// only whitespace, no control characters (they would corrupt a terminal
/// listing them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);

/// An API token's name.
pub type TokenName = Name;
/// A workspace's name.
pub type WorkspaceName = Name;

impl Name {
    pub const MAX_CHARS: usize = 100;

    /// What a name must be, stated from [`Self::MAX_CHARS`].
    fn rule() -> &'static str {
        static RULE: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "name: 1–{} characters, not only whitespace, no control characters",
                Name::MAX_CHARS
            )
        });
        &RULE
    }

    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        let chars = s.chars().count();
        if chars == 0
            || chars > Self::MAX_CHARS
            || s.trim().is_empty()
            || s.chars().any(char::is_control)
        {
            return Err(InvalidId(Self::rule()));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_conversions!(Name);

/// A member's role in a workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        match s {
            "owner" => Ok(Role::Owner),
            "admin" => Ok(Role::Admin),
            "member" => Ok(Role::Member),
            _ => Err(InvalidId("role")),
        }
    }

    /// `member` < `admin` < `owner`: a role includes every right of the
    /// roles below it.
    pub fn rank(self) -> u8 {
        match self {
            Role::Member => 0,
            Role::Admin => 1,
            Role::Owner => 2,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role the API grants: to a workspace API token, or to a member added
/// or changed. `owner` is a person's role, given only to a workspace's
/// creator, so it is not representable here. Read from a string (an unknown
/// value is an error that does not echo it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case", try_from = "String")]
pub enum TokenRole {
    Admin,
    Member,
}

impl TokenRole {
    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        match s {
            "admin" => Ok(TokenRole::Admin),
            "member" => Ok(TokenRole::Member),
            _ => Err(InvalidId("role: \"admin\" or \"member\"")),
        }
    }
}

impl TryFrom<String> for TokenRole {
    type Error = InvalidId;

    fn try_from(s: String) -> Result<Self, InvalidId> {
        Self::parse(&s)
    }
}

impl TryFrom<Role> for TokenRole {
    type Error = InvalidId;

    fn try_from(role: Role) -> Result<Self, InvalidId> {
        match role {
            Role::Admin => Ok(TokenRole::Admin),
            Role::Member => Ok(TokenRole::Member),
            Role::Owner => Err(InvalidId("token role")),
        }
    }
}

impl From<TokenRole> for Role {
    fn from(role: TokenRole) -> Role {
        match role {
            TokenRole::Admin => Role::Admin,
            TokenRole::Member => Role::Member,
        }
    }
}

const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
const USER_CODE_LEN: usize = 8;

/// A device login's user code (RFC 8628 §6.1) in canonical form: 8 characters of [`USER_CODE_ALPHABET`].
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct UserCode(String);

impl UserCode {
    pub fn generate() -> Self {
        let mut out = String::with_capacity(USER_CODE_LEN);
        let mut buf = [0u8; 32];
        while out.len() < USER_CODE_LEN {
            getrandom::fill(&mut buf).expect("the OS CSPRNG is unavailable");
            // 240 = 12 × 20: reject above it so every letter is equally likely.
            for &b in buf.iter().filter(|&&b| b < 240) {
                if out.len() < USER_CODE_LEN {
                    out.push(char::from(USER_CODE_ALPHABET[usize::from(b % 20)]));
                }
            }
        }
        Self(out)
    }

    /// Accepts any case, with or without the dash and surrounding spaces.
    pub fn parse(input: &str) -> Option<Self> {
        let code: String = input
            .trim()
            .chars()
            .filter(|c| *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let valid =
            code.len() == USER_CODE_LEN && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b));
        valid.then_some(Self(code))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `XXXX-XXXX`, as shown to people.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..4], &self.0[4..])
    }
}

impl fmt::Debug for UserCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserCode([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back() {
        for id in [
            TokenId::generate().to_string(),
            SessionId::generate().to_string(),
        ] {
            assert_eq!(id.len(), 4 + RANDOM_ID_LEN);
        }
        let tok = TokenId::generate();
        assert_eq!(TokenId::parse(tok.as_str()), Ok(tok));
        let ws = WorkspaceId::generate();
        assert_eq!(WorkspaceId::parse(ws.as_str()), Ok(ws));
    }

    #[test]
    fn workspace_ids_follow_the_header_rules() {
        assert!(WorkspaceId::parse("ws_a").is_ok());
        assert!(WorkspaceId::parse(&format!("ws_{}", "a".repeat(50))).is_ok());
        assert!(WorkspaceId::parse(&format!("ws_{}", "a".repeat(51))).is_err());
        for bad in [
            "", "ws_", "ws", "tok_abc", "ws_a b", "ws_é", "WS_abc", "ws_a#b",
        ] {
            assert!(WorkspaceId::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn ids_of_one_kind_are_not_ids_of_another() {
        let tok = TokenId::generate();
        assert!(SessionId::parse(tok.as_str()).is_err());
        assert!(WorkspaceId::parse(tok.as_str()).is_err());
    }

    #[test]
    fn user_ids_are_bounded_and_printable() {
        assert!(UserId::parse("auth0|1234").is_ok());
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("a\nb").is_err());
        assert!(UserId::parse(&"u".repeat(256)).is_err());
    }

    #[test]
    fn token_names_are_1_to_100_visible_characters() {
        assert!(TokenName::parse("ci deploy").is_ok());
        assert!(TokenName::parse(&"é".repeat(100)).is_ok());
        for bad in [
            String::new(),
            "   ".into(),
            "\t\n".into(),
            "a\u{7}".into(),
            "x".repeat(101),
        ] {
            assert!(TokenName::parse(&bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn a_token_role_is_never_owner() {
        assert!(TokenRole::parse("owner").is_err());
        assert_eq!(
            Role::from(TokenRole::parse("member").unwrap()),
            Role::Member
        );
        assert!(serde_json::from_str::<TokenRole>("\"owner\"").is_err());
    }
}
