//! `cnap tokens create|list|revoke`: workspace API tokens (DESIGN §6).
//! A session or JWT needs a workspace (`--workspace` or `active_workspace`);
//! an API token acts on its own.

use serde::Serialize;

use akua_core::ids::{Role, TokenName, TokenRole};
use akua_core::records::Creator;
use akua_core::tokens::{CreateApiTokenRequest, TokenSummary};

use crate::cli::{CreateTokenArgs, ListArgs, RevokeArgs};
use crate::error::{Error, Result};
use crate::output::{self, Format, Table};
use crate::settings::Settings;
use crate::{ids, terminal};

/// Prints the new token's secret, the only time it can be seen, with a
/// warning on stderr so it is not lost in a pipe.
pub async fn create(settings: &Settings, args: CreateTokenArgs) -> Result<()> {
    settings.require_credential()?;
    let expires_at = match (args.expires_in, args.expires_at) {
        (Some(lifetime), _) => Some(jiff::Timestamp::now().as_second() + lifetime),
        (None, at) => at,
    };
    let name = TokenName::parse(&args.name).map_err(|e| Error::Usage(e.to_string()))?;
    let body = CreateApiTokenRequest {
        name,
        expires_at,
        role: args.role.map(TokenRole::from),
    };
    let created = settings.client()?.create_token(&body).await?;
    match settings.format {
        Format::Json => output::json(&created)?,
        Format::Table => output::details(&[
            ("id", created.id.clone()),
            ("name", created.name.clone()),
            ("workspace", created.workspace_id.clone()),
            ("role", Role::from(created.role).to_string()),
            ("created", output::timestamp(created.created_at)),
            (
                "expires",
                output::maybe_timestamp(created.expires_at, "never"),
            ),
            ("token", created.token.expose().to_owned()),
        ])?,
    }
    eprintln!(
        "warning: store this token now (e.g. in your CI's secret store): it will not be shown again."
    );
    Ok(())
}

pub async fn list(settings: &Settings, args: &ListArgs) -> Result<()> {
    let client = settings.client()?;
    let page = super::fetch_pages(args.all, async |cursor: Option<String>| {
        client.list_tokens(args.limit, cursor.as_deref()).await
    })
    .await?;
    match settings.format {
        Format::Json => output::json(&page)?,
        Format::Table if page.data.is_empty() => eprintln!("No API tokens."),
        Format::Table => table(&page.data).print()?,
    }
    if page.has_more && settings.format == Format::Table {
        eprintln!("More tokens exist: pass --all to list them all.");
    }
    Ok(())
}

fn table(tokens: &[TokenSummary]) -> Table {
    let mut table = Table::new(&[
        "ID",
        "NAME",
        "PREFIX",
        "ROLE",
        "CREATED BY",
        "CREATED",
        "LAST USED",
        "EXPIRES",
    ]);
    for t in tokens {
        table.row(vec![
            t.id.clone(),
            t.name.clone(),
            t.prefix.clone(),
            Role::from(t.role).to_string(),
            match &t.created_by {
                Some(Creator::User(user)) => user.to_string(),
                Some(Creator::ApiToken(token)) => token.to_string(),
                None => "—".to_owned(),
            },
            output::timestamp(t.created_at),
            output::maybe_timestamp(t.last_used_at, "never"),
            output::maybe_timestamp(t.expires_at, "never"),
        ]);
    }
    table
}

#[derive(Serialize)]
struct Revoked<'a> {
    id: &'a str,
    revoked: bool,
}

/// Revocation is immediate and cannot be undone (DESIGN §1), hence the
/// confirmation.
pub async fn revoke(settings: &Settings, args: &RevokeArgs) -> Result<()> {
    let id = ids::token_id(&args.id).map_err(Error::Usage)?;
    settings.require_credential()?;
    if !args.yes {
        terminal::confirm(&format!(
            "Revoke API token {id}? Anything using it stops working at once."
        ))?;
    }
    settings.client()?.revoke_token(&id).await?;
    match settings.format {
        Format::Json => output::json(&Revoked {
            id: &id,
            revoked: true,
        }),
        Format::Table => {
            eprintln!("Revoked {id}.");
            Ok(())
        }
    }
}
