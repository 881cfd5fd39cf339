//! The credential `cnap` sends as `Authorization: Bearer …`.
//!
//! It lives in a [`SecretString`] so that `Debug` and error paths cannot
//! print it; the only ways out are [`Credential::expose`] (for the header and
//! the config file) and [`Credential::masked`] (for people).

use std::fmt;

use secrecy::{ExposeSecret, SecretString};

use crate::error::{Error, Result};

/// The API token prefix (DESIGN §1).
pub const API_TOKEN_PREFIX: &str = "sk_akua_";
/// Every JWT header starts `{"` and so its base64url form starts `eyJ`.
const JWT_PREFIX: &str = "eyJ";

/// The credential kinds, told apart by shape exactly as the server does
/// (DESIGN §3), so `cnap` knows what `logout` means without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Session,
    ApiToken,
    Jwt,
    /// Not one of the three shapes; the server will refuse it.
    Unknown,
}

impl Kind {
    pub fn describe(self) -> &'static str {
        match self {
            Kind::Session => "session",
            Kind::ApiToken => "api_token",
            Kind::Jwt => "jwt",
            Kind::Unknown => "unknown",
        }
    }
}

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

    pub fn kind(&self) -> Kind {
        let t = self.expose();
        let alnum = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
        if let Some(rest) = t.strip_prefix(API_TOKEN_PREFIX) {
            if alnum(rest) {
                return Kind::ApiToken;
            }
        } else if t.starts_with(JWT_PREFIX) && t.split('.').count() == 3 {
            return Kind::Jwt;
        } else if t.len() == 32 && alnum(t) {
            return Kind::Session;
        }
        Kind::Unknown
    }

    /// The known prefix and the last 4 characters, e.g. `sk_akua_…a1b2`:
    /// enough to tell tokens apart, useless to an attacker. Short strings
    /// show nothing at all.
    pub fn masked(&self) -> String {
        let t = self.expose();
        if t.len() < 12 {
            return "****".to_owned();
        }
        let prefix = match self.kind() {
            Kind::ApiToken => API_TOKEN_PREFIX,
            Kind::Jwt => JWT_PREFIX,
            Kind::Session | Kind::Unknown => "",
        };
        format!("{prefix}…{}", &t[t.len() - 4..])
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Credential({}, {})",
            self.kind().describe(),
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
        assert_eq!(Credential::parse(SESSION).unwrap().kind(), Kind::Session);
        assert_eq!(Credential::parse(API).unwrap().kind(), Kind::ApiToken);
        assert_eq!(Credential::parse(JWT).unwrap().kind(), Kind::Jwt);
        assert_eq!(Credential::parse("nope").unwrap().kind(), Kind::Unknown);
        assert_eq!(Credential::parse("sk_akua_").unwrap().kind(), Kind::Unknown);
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
