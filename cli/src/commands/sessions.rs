//! `cnap auth sessions`: where you are signed in. A stolen session can
//! approve another device login, so each can be ended here, or all but the
//! one cnap is using.

use serde::Serialize;

use akua_core::sessions::SessionSummary;

use crate::cli::SessionsArgs;
use crate::error::{Error, Result};
use crate::output::{self, Format, Table};
use crate::settings::Settings;
use crate::source::Source;
use crate::{ids, terminal};
use akua_core::CredentialKind;

pub async fn run(settings: Settings, args: &SessionsArgs) -> Result<()> {
    if let Some(id) = &args.revoke {
        return revoke(settings, id, args.yes).await;
    }
    if args.all_others {
        return revoke_others(&settings, args.yes).await;
    }
    list(&settings, args).await
}

async fn list(settings: &Settings, args: &SessionsArgs) -> Result<()> {
    let client = settings.client()?;
    let page = super::fetch_pages(&args.list, async |limit, cursor: Option<String>| {
        client.list_sessions(limit, cursor.as_deref()).await
    })
    .await?;
    super::show_list(settings, &page, "No sessions.", "sessions", table)
}

fn table(sessions: &[SessionSummary]) -> Table {
    let mut table = Table::new(&[
        "ID",
        "CLIENT",
        "CREATED",
        "LAST USED",
        "EXPIRES",
        "ENDS BY",
        "",
    ]);
    for s in sessions {
        table.row(vec![
            s.id.clone(),
            s.client.as_str().to_owned(),
            output::timestamp(s.created_at),
            output::maybe_timestamp(s.last_used_at, "never"),
            output::timestamp(s.expires_at),
            // A dashboard session's week; a CLI session has no such end.
            output::maybe_timestamp(s.absolute_expires_at, "-"),
            if s.current { "(this one)" } else { "" }.to_owned(),
        ]);
    }
    table
}

#[derive(Serialize)]
struct Ended<'a> {
    id: &'a str,
    revoked: bool,
}

/// Ending the session cnap itself uses logs this machine out too: said,
/// and the dead token is not kept in the config.
async fn revoke(mut settings: Settings, id: &str, yes: bool) -> Result<()> {
    let id = ids::session_id(id).map_err(Error::Usage)?;
    let (credential, source) = settings.require_credential()?.clone();
    if !yes {
        terminal::confirm(&format!(
            "End session {id}? Whoever uses it is signed out at once."
        ))?;
    }
    let client = settings.client()?;
    let own = match credential.kind() {
        Some(CredentialKind::Session) => client.session().await.ok().is_some_and(|s| s.id == id),
        Some(
            CredentialKind::ApiToken | CredentialKind::MultiWorkspaceToken | CredentialKind::Jwt,
        )
        | None => false,
    };
    client.end_session(&id).await?;
    if own {
        eprintln!("That was the session cnap uses: this machine is logged out too.");
        if source == Source::Config {
            settings.config.forget_token(settings.api_url.as_str());
            settings.config.save()?;
        }
    }
    match settings.format {
        Format::Json => output::json(&Ended {
            id: &id,
            revoked: true,
        }),
        Format::Table => {
            eprintln!("Ended {id}.");
            Ok(())
        }
    }
}

async fn revoke_others(settings: &Settings, yes: bool) -> Result<()> {
    settings.require_credential()?;
    if !yes {
        terminal::confirm("End every other session? Only the one cnap uses stays signed in.")?;
    }
    let ended = settings.client()?.end_other_sessions().await?;
    match settings.format {
        Format::Json => output::json(&ended),
        Format::Table => {
            eprintln!("Ended {} other session(s).", ended.revoked);
            Ok(())
        }
    }
}
