//! `cnap auth status`, `cnap auth token` and `cnap auth logout`.

use serde::Serialize;

use crate::cli::LogoutArgs;
use crate::error::{Error, Result};
use crate::keychain::Vault;
use crate::output::{self, Format};
use crate::settings::Settings;
use crate::source::Source;
use akua_core::CredentialKind;
use akua_core::sessions::{SessionView, Whoami};

/// What `status -o json` prints. The token appears masked only.
#[derive(Serialize)]
struct Status<'a> {
    credential: &'a str,
    credential_source: String,
    /// Where a stored credential is kept: `keychain` or `file`; `null`
    /// for one from the environment.
    credential_store: Option<&'static str>,
    token: String,
    api_url: &'a str,
    api_url_source: String,
    user_id: Option<&'a str>,
    workspace_id: Option<&'a str>,
    role: Option<&'a str>,
    token_id: Option<&'a str>,
    /// For a session, the server's sliding expiry; for an API token, its own.
    expires_at: Option<i64>,
    session: Option<&'a SessionView>,
}

/// Asks the server who the credential is. A rejected credential fails with
/// the server's 401/403 (exit code 3), so scripts can test `cnap auth status`.
pub async fn status(settings: &Settings) -> Result<()> {
    let (credential, source) = settings.require_credential()?;
    let vault = match source {
        Source::Config => settings.config.vault(settings.api_url.as_str())?,
        _ => None,
    };
    let client = settings.client()?;
    let who: Whoami = client.whoami().await?;
    let session = if who.credential == CredentialKind::Session {
        Some(client.session().await?)
    } else {
        None
    };
    let status = Status {
        credential: who.credential.as_str(),
        credential_source: source.to_string(),
        credential_store: vault.map(Vault::as_str),
        token: credential.masked(),
        api_url: settings.api_url.as_str(),
        api_url_source: settings.api_url_source.to_string(),
        user_id: who.user_id.as_deref(),
        workspace_id: who.workspace_id.as_deref(),
        role: who.role.map(|r| r.as_str()),
        token_id: who.token_id.as_deref(),
        expires_at: session.as_ref().map(|s| s.expires_at).or(who.expires_at),
        session: session.as_ref(),
    };
    match settings.format {
        Format::Json => output::json(&status),
        Format::Table => {
            let none = "—".to_owned();
            let mut rows = vec![
                (
                    "credential",
                    match vault {
                        Some(vault) => {
                            format!("{} (from config, kept in {vault})", status.credential)
                        }
                        None => {
                            format!("{} (from {})", status.credential, status.credential_source)
                        }
                    },
                ),
                ("token", status.token.clone()),
                (
                    "api_url",
                    format!("{} (from {})", status.api_url, status.api_url_source),
                ),
                ("user", status.user_id.map_or(none.clone(), str::to_owned)),
                (
                    "workspace",
                    status.workspace_id.map_or_else(
                        || "none (choose one with --workspace or `cnap workspaces use`)".to_owned(),
                        str::to_owned,
                    ),
                ),
                ("role", status.role.map_or(none.clone(), str::to_owned)),
            ];
            if let Some(id) = status.token_id {
                rows.push(("id", id.to_owned()));
            }
            rows.push((
                "expires",
                output::maybe_timestamp(status.expires_at, "never"),
            ));
            if let Some(s) = &session {
                rows.push(("last used", output::maybe_timestamp(s.last_used_at, "—")));
            }
            output::details(&rows)
        }
    }
}

/// A session is revoked on the server first (DESIGN §1: it then fails on
/// the very next request), then forgotten here. An API token or JWT is only
/// forgotten here: revoking an API token is `cnap tokens revoke`, on purpose,
/// since CI may share it.
pub async fn logout(mut settings: Settings, args: &LogoutArgs) -> Result<()> {
    let (credential, source) = settings.require_credential()?.clone();
    match credential.kind() {
        Some(CredentialKind::Session) if args.local => eprintln!(
            "Session {} is only forgotten here: it stays valid on the server until it expires \
             (end it with `cnap auth sessions --revoke ses_…` from another login, or in the dashboard).",
            credential.masked()
        ),
        Some(CredentialKind::Session) => {
            // No Akua-Context: leaving must not depend on the workspace.
            match settings
                .client_with(Some(credential.clone()))?
                .logout()
                .await
            {
                Ok(()) => eprintln!("Session {} revoked on the server.", credential.masked()),
                Err(Error::Api { status: 401, .. }) => eprintln!(
                    "The session {} had already expired or been revoked.",
                    credential.masked()
                ),
                // The server could not be asked: the session lives on, so
                // it is kept here too, unless the person says otherwise.
                Err(
                    e @ (Error::Connect { .. } | Error::Timeout { .. } | Error::Network { .. }),
                ) => {
                    eprintln!(
                        "The session was kept: the server could not be reached to end it. \
                         `cnap auth logout --local` forgets it here only."
                    );
                    return Err(e);
                }
                Err(e) => return Err(e),
            }
        }
        Some(CredentialKind::ApiToken | CredentialKind::MultiWorkspaceToken) => eprintln!(
            "API token {} is only removed from this machine: it keeps working until revoked \
             (`cnap tokens list`, then `cnap tokens revoke tok_…`).",
            credential.masked()
        ),
        Some(CredentialKind::Jwt) | None => eprintln!(
            "Token {} is only removed from this machine; the server keeps no session for it.",
            credential.masked()
        ),
    }
    match source {
        Source::Config => {
            settings.config.forget_token(settings.api_url.as_str());
            settings.config.save()?;
            eprintln!(
                "Logged out: removed from {}.",
                settings.config.path().display()
            );
        }
        Source::Env(name) => {
            eprintln!("The credential comes from {name}: unset it to stop using it.");
        }
        Source::Flag | Source::Default => {}
    }
    Ok(())
}

/// Prints the credential in effect, and nothing else, to standard output:
/// for scripts that call the API themselves. Never logged, never on stderr.
pub fn token(settings: &Settings) -> Result<()> {
    let (credential, _) = settings.require_credential()?;
    output::line(credential.expose())
}
