//! The three credential kinds (DESIGN §1, §3): their wire formats, parsing
//! from an `Authorization` header, generation, and the hash they are stored
//! under.
//!
//! Plaintext tokens live only inside [`SecretString`]s: they print as
//! `[REDACTED]` in `Debug`, and no error in this module carries input text.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use serde::{Deserialize, Serialize};

use crate::base62::{self, CHECKSUM_LEN};
use crate::ids::InvalidId;

/// The largest `Authorization` header value looked at. API Gateway caps a
/// whole header section near 10 KiB; anything longer is not ours, and
/// refusing it early bounds the work an attacker can ask for.
pub const MAX_AUTHORIZATION_LEN: usize = 8 * 1024;

/// Prefix of every workspace API token.
pub const API_TOKEN_PREFIX: &str = "sk_akua_";
/// Characters after [`API_TOKEN_PREFIX`], checksum included.
const API_TOKEN_BODY_LEN: usize = 32;
/// Length of a session token, checksum included.
pub const SESSION_TOKEN_LEN: usize = 32;
/// Random characters that precede the checksum in both opaque formats:
/// 26 × log2(62) ≈ 155 bits of entropy.
const RANDOM_LEN: usize = 32 - CHECKSUM_LEN;
/// Random characters shown in an API token's non-secret prefix (DESIGN §3).
const DISPLAY_PREFIX_RANDOM_LEN: usize = 4;

/// Why an `Authorization` header carries no usable credential. Every variant
/// is a 401; the variants exist for logs and tests, and name no input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("no Authorization header")]
    Missing,
    #[error("Authorization header too long")]
    Oversized,
    #[error("Authorization header is not ASCII")]
    NotAscii,
    #[error("Authorization scheme is not Bearer")]
    WrongScheme,
    #[error("empty bearer token")]
    Empty,
    #[error("token has no known shape")]
    Malformed,
    #[error("token checksum does not match")]
    BadChecksum,
}

/// A credential presented as a bearer token, classified by shape (DESIGN §3).
#[derive(Debug)]
pub enum Credential {
    ApiToken(ApiToken),
    Session(SessionToken),
    Jwt(Jwt),
}

impl Credential {
    /// Parses an `Authorization` header value: the `Bearer` scheme in any
    /// case, surrounding whitespace ignored, then the token classified by
    /// shape and, for the opaque kinds, its checksum verified. Never reads
    /// the store, so a malformed or invented token costs nothing.
    pub fn from_authorization_header(value: &str) -> Result<Self, CredentialError> {
        if value.len() > MAX_AUTHORIZATION_LEN {
            return Err(CredentialError::Oversized);
        }
        if !value.is_ascii() {
            return Err(CredentialError::NotAscii);
        }
        let value = value.trim_ascii();
        if value.is_empty() {
            return Err(CredentialError::Missing);
        }
        let (scheme, token) = value
            .split_once(|c: char| c.is_ascii_whitespace())
            .unwrap_or((value, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(CredentialError::WrongScheme);
        }
        Self::from_token(token.trim_ascii())
    }

    /// Which of the three kinds this is.
    pub fn kind(&self) -> CredentialKind {
        match self {
            Credential::ApiToken(_) => CredentialKind::ApiToken,
            Credential::Session(_) => CredentialKind::Session,
            Credential::Jwt(_) => CredentialKind::Jwt,
        }
    }

    /// Classifies a bare token (no scheme).
    pub fn from_token(token: &str) -> Result<Self, CredentialError> {
        if token.is_empty() {
            return Err(CredentialError::Empty);
        }
        if token.starts_with(API_TOKEN_PREFIX) {
            ApiToken::parse(token).map(Credential::ApiToken)
        } else if token.starts_with("eyJ") {
            Jwt::parse(token).map(Credential::Jwt)
        } else if token.len() == SESSION_TOKEN_LEN {
            SessionToken::parse(token).map(Credential::Session)
        } else {
            Err(CredentialError::Malformed)
        }
    }
}

/// Checks an opaque token body: base62 only, then the checksum of the whole
/// token (prefix included) in its last six characters.
fn check_opaque(token: &str, body: &str, body_len: usize) -> Result<(), CredentialError> {
    if body.len() != body_len || !base62::is_base62(body) {
        return Err(CredentialError::Malformed);
    }
    if !base62::has_valid_checksum(token) {
        return Err(CredentialError::BadChecksum);
    }
    Ok(())
}

/// Appends the base62 CRC32 of `body` to it.
fn with_checksum(body: String) -> String {
    let sum = base62::checksum(&body);
    let mut token = body;
    token.extend(sum.iter().map(|&b| char::from(b)));
    token
}

/// A workspace API token: `sk_akua_` + 26 random base62 + 6 checksum.
pub struct ApiToken(SecretString);

impl ApiToken {
    /// A fresh token from the OS CSPRNG.
    pub fn generate() -> Self {
        let body = format!("{API_TOKEN_PREFIX}{}", base62::random(RANDOM_LEN));
        Self(SecretString::from(with_checksum(body)))
    }

    pub fn parse(token: &str) -> Result<Self, CredentialError> {
        let body = token
            .strip_prefix(API_TOKEN_PREFIX)
            .ok_or(CredentialError::Malformed)?;
        check_opaque(token, body, API_TOKEN_BODY_LEN)?;
        Ok(Self(SecretString::from(token)))
    }

    /// The non-secret prefix shown in lists, e.g. `sk_akua_a3b2` (DESIGN §3).
    pub fn display_prefix(&self) -> String {
        self.0.expose_secret()[..API_TOKEN_PREFIX.len() + DISPLAY_PREFIX_RANDOM_LEN].to_owned()
    }

    pub fn hash(&self) -> CredentialHash {
        CredentialHash::of(self.0.expose_secret())
    }

    /// The plaintext, for the one response that returns it at creation.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken([REDACTED])")
    }
}

/// A session token: 26 random base62 + 6 checksum, 32 characters.
pub struct SessionToken(SecretString);

impl SessionToken {
    /// A fresh session token. Classification is by shape, so a candidate
    /// that would read as another kind (one starting `eyJ`, about 1 in
    /// 238,000) is drawn again: every session token issued parses back as a
    /// session (DESIGN §3).
    pub fn generate() -> Self {
        loop {
            let candidate = with_checksum(base62::random(RANDOM_LEN));
            if let Some(token) = Self::admit(candidate) {
                return token;
            }
        }
    }

    /// `candidate` as a session token if the parser would classify it as
    /// one; public for the property test of exactly that.
    pub fn admit(candidate: String) -> Option<Self> {
        match Credential::from_token(&candidate) {
            Ok(Credential::Session(token)) => Some(token),
            Ok(Credential::ApiToken(_) | Credential::Jwt(_)) | Err(_) => None,
        }
    }

    pub fn parse(token: &str) -> Result<Self, CredentialError> {
        check_opaque(token, token, SESSION_TOKEN_LEN)?;
        Ok(Self(SecretString::from(token)))
    }

    pub fn hash(&self) -> CredentialHash {
        CredentialHash::of(self.0.expose_secret())
    }

    /// The plaintext, for the one response that hands it to the CLI.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken([REDACTED])")
    }
}

/// Which kind of credential authenticated the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    Session,
    ApiToken,
    Jwt,
    MultiWorkspaceToken,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::Session => "session",
            CredentialKind::ApiToken => "api_token",
            CredentialKind::Jwt => "jwt",
            CredentialKind::MultiWorkspaceToken => "multi_workspace_token",
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        match s {
            "session" => Ok(CredentialKind::Session),
            "api_token" => Ok(CredentialKind::ApiToken),
            "jwt" => Ok(CredentialKind::Jwt),
            "multi_workspace_token" => Ok(CredentialKind::MultiWorkspaceToken),
            _ => Err(InvalidId("credential kind")),
        }
    }
}

/// A compact-serialised JWT: three non-empty base64url parts, the first
/// starting `eyJ` (a JSON object). Only its shape is known here; see
/// the `jwt` module for verification.
pub struct Jwt(SecretString);

impl Jwt {
    pub fn parse(token: &str) -> Result<Self, CredentialError> {
        let is_b64url = |part: &str| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        let mut parts = token.split('.');
        let shape_ok = token.starts_with("eyJ")
            && parts.by_ref().take(3).all(is_b64url)
            && token.matches('.').count() == 2;
        if !shape_ok {
            return Err(CredentialError::Malformed);
        }
        Ok(Self(SecretString::from(token)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Jwt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Jwt([REDACTED])")
    }
}

/// A secret on its way out in the one response that hands it over (a new
/// API token, a session token, a device code): serialises as the plain
/// string, prints as `[REDACTED]`, so logging a response cannot leak it.
pub struct Revealed(SecretString);

impl Revealed {
    pub fn new(secret: &str) -> Self {
        Self(SecretString::from(secret))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl fmt::Debug for Revealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// Clients (`cnap`) read the secret from the one response that carries it.
impl<'de> serde::Deserialize<'de> for Revealed {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let secret = String::deserialize(deserializer)?;
        Ok(Self(SecretString::from(secret)))
    }
}

impl serde::Serialize for Revealed {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.expose_secret())
    }
}

/// SHA-256 of a whole token: the only form in which a credential is stored
/// (DESIGN §1). Kept out of `Debug` too: a hash is what a stolen table would
/// be matched against.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CredentialHash([u8; 32]);

impl CredentialHash {
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// Lowercase hex, as written into the table's keys.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(s: &str) -> Option<Self> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(Self(out))
    }
}

impl fmt::Debug for CredentialHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CredentialHash([REDACTED])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(token: &str) -> String {
        format!("Bearer {token}")
    }

    #[test]
    fn the_example_for_secret_scanners_is_well_formed() {
        let doc = include_str!("../../../docs/TOKEN_FORMAT.md");
        let example = doc
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(API_TOKEN_PREFIX))
            .expect("an example token");
        assert!(ApiToken::parse(example).is_ok(), "{example}");
        let mut broken = example.to_owned();
        broken.replace_range(10..11, if &example[10..11] == "a" { "b" } else { "a" });
        assert_eq!(
            ApiToken::parse(&broken).err(),
            Some(CredentialError::BadChecksum)
        );
    }

    #[test]
    fn generated_tokens_have_the_documented_shapes() {
        let api = ApiToken::generate();
        assert_eq!(api.expose().len(), 40);
        assert!(api.expose().starts_with("sk_akua_"));
        assert_eq!(api.display_prefix().len(), 12);
        assert!(api.expose().starts_with(&api.display_prefix()));
        let session = SessionToken::generate();
        assert_eq!(session.expose().len(), 32);
        assert!(session.expose().bytes().all(|b| b.is_ascii_alphanumeric()));
    }

    #[test]
    fn every_kind_is_classified_by_shape() {
        let api = ApiToken::generate();
        let session = SessionToken::generate();
        assert!(matches!(
            Credential::from_authorization_header(&header(api.expose())),
            Ok(Credential::ApiToken(_))
        ));
        assert!(matches!(
            Credential::from_authorization_header(&header(session.expose())),
            Ok(Credential::Session(_))
        ));
        assert!(matches!(
            Credential::from_authorization_header(
                "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
            ),
            Ok(Credential::Jwt(_))
        ));
    }

    #[test]
    fn the_scheme_is_case_insensitive_and_whitespace_is_ignored() {
        let t = SessionToken::generate();
        for h in [
            format!("bearer {}", t.expose()),
            format!("BEARER {}", t.expose()),
            format!("  Bearer \t {}  ", t.expose()),
        ] {
            assert!(Credential::from_authorization_header(&h).is_ok(), "{h:?}");
        }
    }

    #[test]
    fn bad_headers_are_rejected_with_their_reason() {
        use CredentialError::*;
        let t = SessionToken::generate();
        let cases: Vec<(String, CredentialError)> = vec![
            (String::new(), Missing),
            ("   ".into(), Missing),
            ("Bearer".into(), Empty),
            ("Bearer    ".into(), Empty),
            (format!("Basic {}", t.expose()), WrongScheme),
            (format!("Bearer{}", t.expose()), WrongScheme),
            (t.expose().to_owned(), WrongScheme),
            (format!("Bearer {}é", &t.expose()[..31]), NotAscii),
            (
                format!("Bearer {}", "a".repeat(MAX_AUTHORIZATION_LEN)),
                Oversized,
            ),
            ("Bearer abc".into(), Malformed),
            (format!("Bearer {} extra", t.expose()), Malformed),
            (format!("Bearer {}", &t.expose()[..31]), Malformed),
            ("Bearer sk_akua_short".into(), Malformed),
            ("Bearer eyJ.only-two".into(), Malformed),
            ("Bearer eyJa.b.c.d".into(), Malformed),
            ("Bearer eyJa..c".into(), Malformed),
            ("Bearer eyJa.b+.c".into(), Malformed),
        ];
        for (h, want) in cases {
            assert_eq!(
                Credential::from_authorization_header(&h).err(),
                Some(want),
                "{h:?}"
            );
        }
    }

    #[test]
    fn a_corrupted_or_invented_token_fails_its_checksum() {
        let api = ApiToken::generate();
        let s = api.expose();
        // Change one random character (not the prefix) to another base62 digit.
        let i = 10;
        let c = if s.as_bytes()[i] == b'a' { 'b' } else { 'a' };
        let corrupted = format!("{}{c}{}", &s[..i], &s[i + 1..]);
        assert_eq!(
            ApiToken::parse(&corrupted).err(),
            Some(CredentialError::BadChecksum)
        );
        assert_eq!(
            SessionToken::parse(&"A".repeat(32)).err(),
            Some(CredentialError::BadChecksum)
        );
        assert_eq!(
            ApiToken::parse(&format!("sk_akua_{}", "A".repeat(32))).err(),
            Some(CredentialError::BadChecksum)
        );
    }

    #[test]
    fn secrets_never_reach_debug_output() {
        let api = ApiToken::generate();
        let session = SessionToken::generate();
        let printed = format!(
            "{:?} {:?} {:?} {:?}",
            Credential::ApiToken(ApiToken::parse(api.expose()).unwrap()),
            session,
            api.hash(),
            Jwt::parse("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln").unwrap(),
        );
        assert!(!printed.contains(api.expose()));
        assert!(!printed.contains(session.expose()));
        assert!(!printed.contains(&api.hash().to_hex()));
        assert!(!printed.contains("eyJzdWIiOiJ4In0"));
    }

    #[test]
    fn revealed_secrets_serialise_but_never_print() {
        let r = Revealed::new("sk_akua_secret");
        assert_eq!(serde_json::to_string(&r).unwrap(), "\"sk_akua_secret\"");
        assert!(!format!("{r:?}").contains("secret"));
    }

    #[test]
    fn the_hash_is_sha256_of_the_whole_token() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(
            CredentialHash::of("abc").to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let h = CredentialHash::of("x");
        assert_eq!(CredentialHash::from_hex(&h.to_hex()), Some(h));
        assert_eq!(CredentialHash::from_hex("zz"), None);
    }
}
