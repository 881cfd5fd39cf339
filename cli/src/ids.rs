//! Ids given on the command line, parsed by `akua-core` exactly as the
//! server parses them (DESIGN §6), before any request: a typo is a usage
//! error and an id is always safe to put in a URL path or a header. Not clap
//! value parsers: clap echoes a rejected value, and a token pasted in place
//! of an id must not be printed.

use akua_core::ids::{SessionId, TokenId, WorkspaceId};

/// A workspace id: at most 53 characters, the `Akua-Context` limit.
pub fn workspace_id(input: &str) -> Result<String, String> {
    WorkspaceId::parse(input.trim())
        .map(String::from)
        // The input is not echoed: it might be a token pasted by mistake.
        .map_err(|_| {
            "not a workspace id: expected ws_ followed by letters and digits (at most 53 characters)"
                .to_owned()
        })
}

/// An API token id (not the token itself).
pub fn token_id(input: &str) -> Result<String, String> {
    if input
        .trim()
        .starts_with(akua_core::credential::API_TOKEN_PREFIX)
    {
        return Err(
            "that is a token, not its id: pass the tok_… id shown by `cnap tokens list`".into(),
        );
    }
    TokenId::parse(input.trim())
        .map(String::from)
        .map_err(|_| "not a token id: expected tok_ followed by letters and digits".to_owned())
}

/// A session id (`ses_…`), as `cnap auth sessions` lists it.
pub fn session_id(input: &str) -> Result<String, String> {
    SessionId::parse(input.trim())
        .map(String::from)
        .map_err(|_| "not a session id: expected ses_ followed by letters and digits, as `cnap auth sessions` lists it".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefix_and_base62() {
        assert_eq!(workspace_id("ws_abc1"), Ok("ws_abc1".into()));
        assert!(workspace_id(&format!("ws_{}", "a".repeat(50))).is_ok());
        for bad in ["", "ws_", "ws", "WS_a", "ws_a b", "ws_a/b", "tok_a"] {
            assert!(workspace_id(bad).is_err(), "{bad}");
        }
        assert!(workspace_id(&format!("ws_{}", "a".repeat(51))).is_err());
        assert_eq!(token_id("tok_1"), Ok("tok_1".into()));
        assert!(token_id("tok_../x").is_err());
        assert_eq!(session_id(" ses_9 "), Ok("ses_9".into()));
        for bad in ["tok_1", "ses_", "ses_a/b"] {
            assert!(session_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_token_given_as_an_id_is_not_echoed() {
        let secret = "sk_akua_AbCdEfGhIjKlMnOpQrStUvWxYz012345";
        let e = token_id(secret).unwrap_err();
        assert!(!e.contains(secret), "{e}");
    }
}
