//! Every way a `cnap` command can fail, and the one place where a failure
//! becomes an exit code and a message on stderr.
//!
//! Exit codes let scripts tell "log in again" from "retry later" from "fix
//! the request" without parsing text:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | the API refused the request (404, 409, 422, …) or a local problem |
//! | 2 | usage error (clap's own code, reused for our usage checks) |
//! | 3 | authentication: not logged in, 401/403, login denied or expired |
//! | 4 | server or network: 5xx, timeout, connection refused |
//! | 130 | interrupted by Ctrl-C (the shell convention, 128 + SIGINT) |
//!
//! No variant ever carries a token: messages are built from status codes,
//! the server's error code and message, URLs and local paths.

use std::fmt;

pub type Result<T> = std::result::Result<T, Error>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No credential in the flags, the environment or the config file.
    #[error("not logged in")]
    NotLoggedIn,
    /// A credential is stored, but for other API URLs: it is never sent
    /// to this one.
    #[error(
        "not logged in to {url} (logged in to {}); a stored credential is only sent to the URL it was stored for: run `cnap --api-url {url} auth login`",
        elsewhere.join(", ")
    )]
    NotLoggedInHere { url: String, elsewhere: Vec<String> },
    /// The API answered with an error envelope (or an OAuth error).
    #[error("{}", api_message(.code, .message, .field.as_deref(), *.status))]
    Api {
        status: u16,
        code: String,
        message: String,
        field: Option<String>,
    },
    /// The TCP connection could not be made (refused, unreachable, DNS).
    #[error("cannot connect to the Akua API at {url}: {reason}")]
    Connect { url: String, reason: String },
    /// Connected (or tried to) but no complete answer in time.
    #[error("the Akua API at {url} did not answer within {secs} s")]
    Timeout { url: String, secs: u64 },
    /// Any other transport failure (reset connection, broken TLS, …).
    #[error("network error talking to {url}: {reason}")]
    Network { url: String, reason: String },
    /// A 2xx answer we cannot read: a server bug or a wrong `--api-url`.
    #[error("unexpected answer from {url}: {reason}")]
    BadResponse { url: String, reason: String },
    /// RFC 8628 `access_denied`: the user refused the login.
    #[error("the login was denied")]
    LoginDenied,
    /// RFC 8628 `expired_token`: nobody approved the code in time.
    #[error("the login code expired before it was approved")]
    LoginExpired,
    /// Arguments clap accepted but that make no sense together or in this
    /// situation (e.g. a prompt with no terminal to prompt on).
    #[error("{0}")]
    Usage(String),
    /// The config file cannot be read, parsed or written.
    #[error("{0}")]
    Config(String),
    /// The user answered "no" to a confirmation.
    #[error("cancelled: nothing was changed")]
    Cancelled,
    /// Ctrl-C.
    #[error("interrupted: nothing was changed")]
    Interrupted,
    /// Reading stdin or writing stdout failed.
    #[error("{0}")]
    Io(String),
}

fn api_message(code: &str, message: &str, field: Option<&str>, status: u16) -> String {
    // The API's validation messages already start with the field name.
    let field = field
        .filter(|f| !message.starts_with(f))
        .map(|f| format!("{f}: "))
        .unwrap_or_default();
    format!("{field}{message} ({code}, HTTP {status})")
}

impl Error {
    /// The process exit code: the table in the module doc.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::NotLoggedIn | Error::LoginDenied | Error::LoginExpired => 3,
            Error::NotLoggedInHere { .. } => 2,
            Error::Api {
                status: 401 | 403, ..
            } => 3,
            Error::Api { status, .. } if *status >= 500 => 4,
            Error::Connect { .. }
            | Error::Timeout { .. }
            | Error::Network { .. }
            | Error::BadResponse { .. } => 4,
            Error::Interrupted => 130,
            Error::Api { .. } | Error::Config(_) | Error::Cancelled | Error::Io(_) => 1,
        }
    }

    /// What to do next, when there is something useful to say.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::NotLoggedIn => {
                Some("run `cnap auth login` (or set AKUA_API_TOKEN to an API token)")
            }
            Error::Api { code, .. } if code == "reauthentication_required" => Some(
                "this needs a recent sign-in (sudo mode): sign in again at your identity provider for a fresh JWT, or use the dashboard",
            ),
            Error::Api { code, .. } if code == "insufficient_permission" => Some(
                "the API token in use is restricted to some permissions and lacks this one: use a credential that holds it (`cnap tokens list` shows each token's PERMISSIONS; `cnap tokens permissions` lists them)",
            ),
            Error::Api { code, .. } if code == "ip_not_allowed" => Some(
                "the API token in use may be used only from its allowed networks (ALLOWED FROM in `cnap tokens list`)",
            ),
            Error::Api {
                status: 422,
                message,
                ..
            } if message.contains("token policy") => Some(
                "`cnap workspaces policy` shows the workspace's token policy; give the token an expiry within it (--expires-in, --expires-at) or networks inside its list",
            ),
            Error::Api { status: 401, .. } => Some(
                "the credential was refused (expired, revoked or mistyped): run `cnap auth login`",
            ),
            Error::Api { status: 403, .. } => Some(
                "check the workspace (--workspace ws_… or `cnap workspaces use ws_…`) and your role in it",
            ),
            Error::Connect { .. } => {
                Some("is the API running? Check --api-url, AKUA_API_URL or api_url in the config")
            }
            Error::Timeout { .. } => {
                Some("the server may be overloaded or unreachable; retry later")
            }
            Error::LoginDenied | Error::LoginExpired => {
                Some("run `cnap auth login` to start again")
            }
            Error::Config(_) => Some(
                "fix the file named above, or move it aside (`cnap auth login` then writes a new one)",
            ),
            _ => None,
        }
    }
}

/// Writes the error the way every command reports failures.
pub struct Report<'a>(pub &'a Error);

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.0)?;
        if let Some(hint) = self.0.hint() {
            write!(f, "\nhint: {hint}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> Error {
        Error::Api {
            status,
            code: "x".into(),
            message: "m".into(),
            field: None,
        }
    }

    #[test]
    fn statuses_map_to_the_documented_exit_codes() {
        assert_eq!(api(401).exit_code(), 3);
        let stale = Error::Api {
            status: 401,
            code: "reauthentication_required".into(),
            message: "this action needs a recent sign-in".into(),
            field: None,
        };
        assert_eq!(stale.exit_code(), 3);
        assert!(stale.hint().is_some_and(|h| h.contains("recent sign-in")));
        assert_eq!(api(403).exit_code(), 3);
        assert_eq!(api(400).exit_code(), 1);
        assert_eq!(api(404).exit_code(), 1);
        assert_eq!(api(409).exit_code(), 1);
        assert_eq!(api(422).exit_code(), 1);
        assert_eq!(api(429).exit_code(), 1);
        assert_eq!(api(500).exit_code(), 4);
        assert_eq!(api(503).exit_code(), 4);
        assert_eq!(Error::NotLoggedIn.exit_code(), 3);
        assert_eq!(Error::Usage("u".into()).exit_code(), 2);
        assert_eq!(Error::Interrupted.exit_code(), 130);
        let timeout = Error::Timeout {
            url: "u".into(),
            secs: 1,
        };
        assert_eq!(timeout.exit_code(), 4);
    }

    #[test]
    fn restricted_tokens_and_the_policy_get_their_own_hints() {
        let refused = |status: u16, code: &str, message: &str| Error::Api {
            status,
            code: code.into(),
            message: message.into(),
            field: None,
        };
        let lacking = refused(
            403,
            "insufficient_permission",
            "this token lacks the permission api_tokens:write",
        );
        assert_eq!(lacking.exit_code(), 3);
        assert!(lacking.hint().is_some_and(|h| h.contains("restricted")));
        let elsewhere = refused(403, "ip_not_allowed", "not from here");
        assert!(elsewhere.hint().is_some_and(|h| h.contains("networks")));
        let policy = refused(
            422,
            "validation_error",
            "the workspace's token policy requires an expiry at most 30 days ahead",
        );
        assert_eq!(policy.exit_code(), 1);
        assert!(
            policy
                .hint()
                .is_some_and(|h| h.contains("cnap workspaces policy"))
        );
        assert_eq!(refused(422, "validation_error", "too long").hint(), None);
    }

    #[test]
    fn api_errors_show_code_status_and_field() {
        let e = Error::Api {
            status: 422,
            code: "validation_error".into(),
            message: "too long".into(),
            field: Some("name".into()),
        };
        assert_eq!(e.to_string(), "name: too long (validation_error, HTTP 422)");
        let already_named = Error::Api {
            status: 422,
            code: "validation_error".into(),
            message: "name: too long".into(),
            field: Some("name".into()),
        };
        assert_eq!(
            already_named.to_string(),
            "name: too long (validation_error, HTTP 422)"
        );
    }
}
