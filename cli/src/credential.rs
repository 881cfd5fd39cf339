//! The credential `cnap` sends as `Authorization: Bearer …`.
//!
//! It lives in a [`SecretString`] so that `Debug` and error paths cannot
//! print it; the only ways out are [`Credential::expose`] (for the header and
//! the config file) and [`Credential::masked`] (for people).

use std::fmt;

use akua_core::CredentialKind;
use akua_core::credential::API_TOKEN_PREFIX;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// Every JWT header starts `{"` and so its base64url form starts `eyJ`.
const JWT_PREFIX: &str = "eyJ";

#[derive(Clone)]
pub struct Credential(SecretString);

impl Credential {
    /// Accepts any printable ASCII without spaces (surrounding whitespace,
    /// e.g. the newline of `echo TOKEN |`, is trimmed). Shape is not checked
    /// here: the server is the judge of a token, and refuses it with 401.
    pub fn parse(input: &str) -> Result<Self> {
        let token = input.trim();
        if token.is_empty() {
            return Err(Error::Usage("the token is empty".into()));
        }
        if !token.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::Usage(
                "that is not a token: it contains spaces or non-ASCII characters".into(),
            ));
        }
        Ok(Self(SecretString::from(token)))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The kind, told apart exactly as the server does (shape and
    /// checksum, `akua-core`), so `cnap` knows what `logout` means without
    /// asking. `None`: the server will refuse it.
    pub fn kind(&self) -> Option<CredentialKind> {
        akua_core::Credential::from_token(self.expose())
            .ok()
            .map(|c| c.kind())
    }

    /// The known prefix and the last 4 characters, e.g. `sk_akua_…a1b2`:
    /// enough to tell tokens apart, useless to an attacker. Short strings
    /// show nothing at all.
    pub fn masked(&self) -> String {
        let t = self.expose();
        if t.len() < 12 {
            return "****".to_owned();
        }
        let prefix = [API_TOKEN_PREFIX, JWT_PREFIX]
            .into_iter()
            .find(|p| t.starts_with(p))
            .unwrap_or("");
        format!("{prefix}…{}", &t[t.len() - 4..])
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Credential({}, {})",
            self.kind().map_or("unknown", CredentialKind::as_str),
            self.masked()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SESSION: &str = "AbCdEfGhIjKlMnOpQrStUvWxYz012345";
    const API: &str = "sk_akua_AbCdEfGhIjKlMnOpQrStUvWxYz012345";
    const JWT: &str = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c3IifQ.c2lnbmF0dXJlWFla";

    #[test]
    fn kinds_follow_the_server_shapes() {
        let session = akua_core::SessionToken::generate();
        let api = akua_core::ApiToken::generate();
        let kind = |t: &str| Credential::parse(t).unwrap().kind();
        assert_eq!(kind(session.expose()), Some(CredentialKind::Session));
        assert_eq!(kind(api.expose()), Some(CredentialKind::ApiToken));
        assert_eq!(kind(JWT), Some(CredentialKind::Jwt));
        assert_eq!(kind("nope"), None);
        assert_eq!(kind("sk_akua_"), None);
        // The server's checksum decides, not the shape alone.
        assert_eq!(kind(SESSION), None);
        assert_eq!(kind(API), None);
    }

    #[test]
    fn masking_keeps_only_prefix_and_last_four() {
        assert_eq!(Credential::parse(API).unwrap().masked(), "sk_akua_…2345");
        assert_eq!(Credential::parse(SESSION).unwrap().masked(), "…2345");
        assert_eq!(Credential::parse(JWT).unwrap().masked(), "eyJ…WFla");
        assert_eq!(Credential::parse("short").unwrap().masked(), "****");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let shown = format!("{:?}", Credential::parse(SESSION).unwrap());
        assert!(!shown.contains(SESSION), "{shown}");
        assert!(!shown.contains("AbCd"), "{shown}");
    }

    #[test]
    fn input_is_trimmed_and_checked() {
        assert_eq!(
            Credential::parse(&format!("  {API}\n")).unwrap().expose(),
            API
        );
        assert!(Credential::parse("").is_err());
        assert!(Credential::parse("two words").is_err());
    }
}
