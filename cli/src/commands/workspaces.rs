//! `cnap workspaces list|create|use`.
//!
//! Listing and creating send no `Akua-Context`: they are about the user, not
//! a workspace, and a stale `active_workspace` must not block them.

use akua_core::CredentialKind;
use akua_core::ids::WorkspaceName;
use akua_core::workspaces::{CreateWorkspaceRequest, WorkspaceView};

use crate::cli::ListArgs;
use crate::error::{Error, Result};
use crate::output::{self, Format, Table};
use crate::settings::Settings;
use crate::{client::Client, ids};

fn user_client(settings: &Settings) -> Result<Client> {
    let (credential, _) = settings.require_credential()?;
    settings.client_with(Some(credential.clone()))
}

pub async fn list(settings: &Settings, args: &ListArgs) -> Result<()> {
    let client = user_client(settings)?;
    let page = super::fetch_pages(args.all, async |cursor: Option<String>| {
        client.list_workspaces(args.limit, cursor.as_deref()).await
    })
    .await?;
    match settings.format {
        Format::Json => output::json(&page)?,
        Format::Table if page.data.is_empty() => {
            eprintln!("No workspaces: create one with `cnap workspaces create NAME`.");
        }
        Format::Table => {
            let active = settings.workspace.as_ref().map(|(ws, _)| ws.as_str());
            table(&page.data, active).print()?;
        }
    }
    if page.has_more && settings.format == Format::Table {
        eprintln!("More workspaces exist: pass --all to list them all.");
    }
    Ok(())
}

fn table(workspaces: &[WorkspaceView], active: Option<&str>) -> Table {
    let mut table = Table::new(&["", "ID", "NAME", "ROLE", "CREATED"]);
    for w in workspaces {
        let marker = if Some(w.id.as_str()) == active {
            "*"
        } else {
            ""
        };
        table.row(vec![
            marker.to_owned(),
            w.id.clone(),
            w.name.clone(),
            w.role.to_string(),
            output::timestamp(w.created_at),
        ]);
    }
    table
}

pub async fn create(settings: &Settings, name: &str) -> Result<()> {
    let name = WorkspaceName::parse(name).map_err(|e| Error::Usage(e.to_string()))?;
    let workspace = user_client(settings)?
        .create_workspace(&CreateWorkspaceRequest { name })
        .await?;
    match settings.format {
        Format::Json => output::json(&workspace)?,
        Format::Table => output::details(&[
            ("id", workspace.id.clone()),
            ("name", workspace.name.clone()),
            ("role", workspace.role.to_string()),
            ("created", output::timestamp(workspace.created_at)),
        ])?,
    }
    eprintln!(
        "Make it the default with `cnap workspaces use {}`.",
        workspace.id
    );
    Ok(())
}

/// Saves `active_workspace`, after checking with the server (when logged
/// in) that the credential may act in it, so a typo is caught now rather
/// than as a 403 on every later command.
pub async fn use_(mut settings: Settings, id: &str) -> Result<()> {
    let id = ids::workspace_id(id).map_err(Error::Usage)?;
    match &settings.credential {
        Some((credential, _)) if credential.kind() == Some(CredentialKind::ApiToken) => eprintln!(
            "note: an API token acts in its own workspace; active_workspace applies to sessions and JWTs"
        ),
        Some((credential, _)) => {
            let who = Client::new(
                settings.api_url.clone(),
                Some(credential.clone()),
                Some(id.clone()),
            )?
            .whoami()
            .await?;
            if let Some(role) = who.role {
                eprintln!("You are {role} in {id}.");
            }
        }
        None => eprintln!("note: not logged in, so {id} was not checked"),
    }
    settings.config.set_active_workspace(Some(&id));
    settings.config.save()?;
    eprintln!("Active workspace: {id}.");
    Ok(())
}
