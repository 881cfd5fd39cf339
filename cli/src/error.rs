//! Every way a `cnap` command can fail, and the one place where a failure
//! becomes an exit code and a message on stderr.
//!
//! Exit codes let scripts tell "log in again" from "retry later" from "fix
//! the request" without parsing text:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (also when the reader of stdout stopped reading) |
//! | 1 | the API refused the request (404, 409, 422, …) or a local problem |
//! | 2 | usage error (clap's own code, reused for our usage checks; also the server's `workspace_required`, which is the same mistake) |
//! | 3 | authentication: not logged in, 401/403, login denied or expired |
//! | 4 | server or network: 5xx, timeout, connection refused |
//! | 130 | interrupted by Ctrl-C (the shell convention, 128 + SIGINT) |
//!
//! No variant ever carries a token: messages are built from status codes,
//! the server's error code and message, URLs and local paths.

use std::fmt;

use crate::source::Source;

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
    #[error("{}", api_message(.code, .reason.as_deref(), .message, .field.as_deref(), *.status))]
    Api {
        status: u16,
        code: String,
        message: String,
        field: Option<String>,
        /// A 403's `reason` (`workspace_required`, `role_too_low`, …).
        reason: Option<String>,
        /// Where the refused credential came from, for the hint: set by
        /// the command dispatcher, which knows.
        credential: Option<Source>,
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
    /// What was asked for is not among what the caller can see.
    #[error("{0}")]
    NotFound(String),
    /// The user answered "no" to a confirmation.
    #[error("cancelled: nothing was changed")]
    Cancelled,
    /// Ctrl-C.
    #[error("interrupted: nothing was changed")]
    Interrupted,
    /// Reading stdin or writing stdout failed.
    #[error("{0}")]
    Io(String),
    /// Whoever read stdout stopped (`cnap … | head -1`): they have what they
    /// wanted, so the command ends quietly, with success, as `gh` does.
    #[error("standard output was closed")]
    StdoutClosed,
}

fn api_message(
    code: &str,
    reason: Option<&str>,
    message: &str,
    field: Option<&str>,
    status: u16,
) -> String {
    // The API's validation messages already start with the field name.
    let field = field
        .filter(|f| !message.starts_with(f))
        .map(|f| format!("{f}: "))
        .unwrap_or_default();
    let reason = reason.map(|r| format!(": {r}")).unwrap_or_default();
    format!("{field}{message} ({code}{reason}, HTTP {status})")
}

impl Error {
    /// The process exit code: the table in the module doc.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) => 2,
            Error::NotLoggedIn | Error::LoginDenied | Error::LoginExpired => 3,
            Error::NotLoggedInHere { .. } => 2,
            Error::Api {
                status: 403,
                reason: Some(reason),
                ..
            } if reason == "workspace_required" => 2,
            Error::Api {
                status: 401 | 403, ..
            } => 3,
            Error::Api { status, .. } if *status >= 500 => 4,
            Error::Connect { .. }
            | Error::Timeout { .. }
            | Error::Network { .. }
            | Error::BadResponse { .. } => 4,
            Error::Interrupted => 130,
            Error::StdoutClosed => 0,
            Error::Api { .. }
            | Error::NotFound(_)
            | Error::Config(_)
            | Error::Cancelled
            | Error::Io(_) => 1,
        }
    }

    /// What to do next, when there is something useful to say.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::NotLoggedIn => {
                Some("run `cnap auth login` (or set AKUA_API_TOKEN to an API token)".into())
            }
            Error::Api {
                status: status @ (401 | 403),
                code,
                reason,
                credential,
                ..
            } => refused_hint(*status, code, reason.as_deref(), *credential)
                .map(|hint| format!("{hint}{}", credential_origin(*credential))),
            Error::Api {
                status: 422,
                message,
                ..
            } if message.contains("token policy") => Some(
                "`cnap workspaces policy` shows the workspace's token policy; give the token an expiry within it (--expires-in, --expires-at) or networks inside its list".into(),
            ),
            Error::Connect { .. } => Some(
                "is the API running? Check --api-url, AKUA_API_URL or api_url in the config".into(),
            ),
            Error::Timeout { .. } => {
                Some("the server may be overloaded or unreachable; retry later".into())
            }
            Error::LoginDenied | Error::LoginExpired => {
                Some("run `cnap auth login` to start again".into())
            }
            Error::Config(_) => Some(
                "fix the file named above, or move it aside (`cnap auth login` then writes a new one)".into(),
            ),
            _ => None,
        }
    }
}

/// What to do about a 401 or 403, chosen by its code and reason: each
/// reason has its own fix, and a credential from the environment is fixed
/// there (it wins over the stored login, so logging in again would not help).
fn refused_hint(
    status: u16,
    code: &str,
    reason: Option<&str>,
    credential: Option<Source>,
) -> Option<String> {
    let env = match credential {
        Some(Source::Env(name)) => Some(name),
        _ => None,
    };
    if code == "reauthentication_required" {
        return Some("this needs a recent sign-in (sudo mode): sign in again at your identity provider for a fresh JWT, or use the dashboard".into());
    }
    if status == 401 {
        return Some(match env {
            Some(name) => format!(
                "the token in {name} was refused (expired, revoked or mistyped): set {name} to a valid token, or unset it to use your login"
            ),
            None => {
                "the credential was refused (expired, revoked or mistyped): run `cnap auth login`"
                    .into()
            }
        });
    }
    let hint = match reason {
        Some("workspace_required") => {
            "choose a workspace: pass --workspace WS_ID, set AKUA_WORKSPACE, or run `cnap workspaces use WS_ID` (a multi-workspace token always needs one)"
        }
        Some("not_member") => {
            "you are not a member of that workspace: `cnap workspaces list` shows yours, and `cnap workspaces use WS_ID` picks one"
        }
        Some("wrong_workspace") => {
            "the credential acts in another workspace than the one named: drop --workspace (or AKUA_WORKSPACE), or use a credential of that workspace"
        }
        Some("role_too_low") => {
            "your role in this workspace does not allow this: ask an owner or admin of the workspace, or use a credential with a higher role"
        }
        Some("person_required") => {
            return Some(match env {
                Some(name) => format!("this needs a person, not an API token: unset {name} so that cnap uses your login (`cnap auth login`)"),
                None => "this needs a person, not an API token: run `cnap auth login` to sign in as yourself".into(),
            });
        }
        Some("exceeds_creator") => {
            "a token never outranks, outlives or reaches beyond the credential making it: ask for a lower role, an earlier expiry, or networks inside its own"
        }
        Some("permission_missing") => {
            "the API token in use is restricted to some permissions and lacks this one: use a credential that holds it (`cnap tokens list` shows each token's PERMISSIONS; `cnap tokens permissions` lists them)"
        }
        Some("ip_not_allowed") => {
            "the API token in use may be used only from its allowed networks (ALLOWED FROM in `cnap tokens list`)"
        }
        // `wrong_credential` (and any reason newer than this cnap): the
        // message says what is needed.
        Some(_) => return None,
        // No reason given: a server from before reasons, or a gateway that
        // answers refusals itself (an HTTP API says only "Forbidden", for
        // a revoked credential too).
        None => {
            "the answer says no more: `cnap auth status` shows whether the credential still works, and where and as what it acts"
        }
    };
    Some(hint.into())
}

/// Where the refused credential came from, said after the hint.
fn credential_origin(credential: Option<Source>) -> String {
    match credential {
        Some(Source::Env(name)) => format!(" (credential from {name})"),
        Some(Source::Config) => " (credential from the login stored for this API URL)".into(),
        _ => String::new(),
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

    impl Error {
        fn because(mut self, why: &str) -> Self {
            if let Error::Api { reason, .. } = &mut self {
                *reason = Some(why.into());
            }
            self
        }
    }

    fn api(status: u16) -> Error {
        Error::Api {
            status,
            code: "x".into(),
            message: "m".into(),
            field: None,
            reason: None,
            credential: None,
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
            reason: None,
            credential: None,
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
            reason: None,
            credential: None,
        };
        let lacking = refused(
            403,
            "insufficient_permission",
            "this token lacks the permission api_tokens:write",
        )
        .because("permission_missing");
        assert_eq!(lacking.exit_code(), 3);
        assert!(lacking.hint().is_some_and(|h| h.contains("restricted")));
        let elsewhere = refused(403, "ip_not_allowed", "not from here").because("ip_not_allowed");
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
            reason: None,
            credential: None,
        };
        assert_eq!(e.to_string(), "name: too long (validation_error, HTTP 422)");
        let already_named = Error::Api {
            status: 422,
            code: "validation_error".into(),
            message: "name: too long".into(),
            field: Some("name".into()),
            reason: None,
            credential: None,
        };
        assert_eq!(
            already_named.to_string(),
            "name: too long (validation_error, HTTP 422)"
        );
    }

    fn forbidden(reason: &str, credential: Option<Source>) -> Error {
        Error::Api {
            status: 403,
            code: "forbidden".into(),
            message: "m".into(),
            field: None,
            reason: Some(reason.into()),
            credential,
        }
    }

    #[test]
    fn each_refusal_reason_gets_its_own_fix() {
        let hint = |e: Error| e.hint().unwrap_or_default();
        let config = Some(Source::Config);
        for (reason, says) in [
            ("workspace_required", "--workspace"),
            ("not_member", "cnap workspaces list"),
            ("wrong_workspace", "drop --workspace"),
            ("role_too_low", "owner or admin"),
            ("person_required", "cnap auth login"),
            ("exceeds_creator", "lower role"),
        ] {
            let shown = hint(forbidden(reason, config));
            assert!(shown.contains(says), "{reason}: {shown}");
            assert!(shown.ends_with("(credential from the login stored for this API URL)"));
        }
        // The message says what a wrong credential needs; nothing to add.
        assert_eq!(forbidden("wrong_credential", config).hint(), None);
        // A workspace the server found missing is the usage mistake cnap
        // catches itself for sessions: the same exit code.
        assert_eq!(forbidden("workspace_required", config).exit_code(), 2);
        assert_eq!(forbidden("role_too_low", config).exit_code(), 3);
    }

    #[test]
    fn a_refusal_without_a_reason_points_to_auth_status() {
        let bare = Error::Api {
            status: 403,
            code: "forbidden".into(),
            message: "Forbidden".into(),
            field: None,
            reason: None,
            credential: Some(Source::Config),
        };
        let hint = bare.hint().unwrap();
        assert!(hint.contains("cnap auth status"), "{hint}");
        assert_eq!(bare.exit_code(), 3);
    }

    #[test]
    fn a_token_from_the_environment_is_fixed_there_not_by_logging_in() {
        let env = Some(Source::Env("AKUA_API_TOKEN"));
        let person = forbidden("person_required", env).hint().unwrap();
        assert!(person.contains("unset AKUA_API_TOKEN"), "{person}");
        let expired = Error::Api {
            status: 401,
            code: "unauthorized".into(),
            message: "a valid credential is required".into(),
            field: None,
            reason: None,
            credential: env,
        };
        let shown = expired.hint().unwrap();
        assert!(
            shown.contains("set AKUA_API_TOKEN to a valid token"),
            "{shown}"
        );
        assert!(!shown.contains("run `cnap auth login`"), "{shown}");
        assert!(
            shown.ends_with("(credential from AKUA_API_TOKEN)"),
            "{shown}"
        );
    }
}
