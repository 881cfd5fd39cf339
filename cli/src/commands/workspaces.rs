//! `cnap workspaces list|create|use|policy`.
//!
//! Listing and creating send no `Akua-Context`: they are about the user, not
//! a workspace, and a stale `active_workspace` must not block them. `policy`
//! is about one workspace: the selected one, or an API token's own.

use akua_core::CredentialKind;
use akua_core::ids::WorkspaceName;
use akua_core::token_policy::TokenPolicyBody;
use akua_core::workspaces::{
    CreateWorkspaceRequest, UpdateWorkspaceRequest, WorkspaceDetail, WorkspaceView,
};

use crate::cli::{ListArgs, PolicySetArgs};
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
    let page = super::fetch_pages(args, async |limit, cursor: Option<String>| {
        client.list_workspaces(limit, cursor.as_deref()).await
    })
    .await?;
    let active = settings.workspace.as_ref().map(|(ws, _)| ws.as_str());
    super::show_list(
        settings,
        &page,
        "No workspaces: create one with `cnap workspaces create NAME`.",
        "workspaces",
        |data| table(data, active),
    )
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
    settings
        .config
        .set_active_workspace(settings.api_url.as_str(), Some(&id));
    settings.config.save()?;
    eprintln!("Active workspace: {id}.");
    Ok(())
}

/// `cnap workspaces policy`: the token policy, with `-o json` the whole
/// workspace as the API shows it.
pub async fn policy(settings: &Settings) -> Result<()> {
    let (client, ws) = super::workspace_in_effect(settings).await?;
    let workspace = client.workspace(&ws).await?;
    show_policy(settings, &workspace)
}

/// `cnap workspaces policy set`: reads the policy, changes the rules given
/// and sends it back whole (`PATCH` takes the whole policy). Two owners
/// changing it at once: the last write wins.
pub async fn set_policy(settings: &Settings, args: &PolicySetArgs) -> Result<()> {
    let (client, ws) = super::workspace_in_effect(settings).await?;
    let current = client.workspace(&ws).await?;
    let token_policy = changed(current.token_policy, args);
    let updated = client
        .update_workspace(&ws, &UpdateWorkspaceRequest { token_policy })
        .await?;
    show_policy(settings, &updated)?;
    eprintln!(
        "Token policy of {} updated. Tokens made before keep working; `cnap tokens list` marks those that exceed it.",
        updated.id
    );
    Ok(())
}

/// The policy with the flags given applied; the rest kept.
fn changed(mut policy: TokenPolicyBody, args: &PolicySetArgs) -> TokenPolicyBody {
    if let Some(days) = args.max_lifetime_days {
        policy.max_lifetime_days = Some(days);
    }
    if args.no_max_lifetime {
        policy.max_lifetime_days = None;
    }
    if let Some(require) = args.require_expiry {
        policy.require_expiry = require;
    }
    if !args.allowed_cidrs.is_empty() {
        policy.allowed_cidrs.clone_from(&args.allowed_cidrs);
    }
    if args.anywhere {
        policy.allowed_cidrs.clear();
    }
    policy
}

fn show_policy(settings: &Settings, workspace: &WorkspaceDetail) -> Result<()> {
    if settings.format == Format::Json {
        return output::json(workspace);
    }
    let policy = &workspace.token_policy;
    output::details(&[
        (
            "workspace",
            format!("{} ({})", workspace.id, workspace.name),
        ),
        ("your role", workspace.role.to_string()),
        (
            "max lifetime",
            policy
                .max_lifetime_days
                .map_or_else(|| "none".to_owned(), |days| format!("{days} days")),
        ),
        (
            "require expiry",
            match (policy.require_expiry, policy.max_lifetime_days) {
                (true, _) => "yes".to_owned(),
                (false, Some(_)) => "yes (the max lifetime needs one)".to_owned(),
                (false, None) => "no".to_owned(),
            },
        ),
        (
            "allowed from",
            if policy.allowed_cidrs.is_empty() {
                "anywhere".to_owned()
            } else {
                policy.allowed_cidrs.join(" ")
            },
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> PolicySetArgs {
        PolicySetArgs {
            max_lifetime_days: None,
            no_max_lifetime: false,
            require_expiry: None,
            allowed_cidrs: Vec::new(),
            anywhere: false,
        }
    }

    fn strict() -> TokenPolicyBody {
        TokenPolicyBody {
            max_lifetime_days: Some(90),
            require_expiry: true,
            allowed_cidrs: vec!["10.0.0.0/8".into()],
        }
    }

    #[test]
    fn only_the_rules_given_change() {
        let set_days = PolicySetArgs {
            max_lifetime_days: Some(30),
            ..args()
        };
        assert_eq!(
            changed(strict(), &set_days),
            TokenPolicyBody {
                max_lifetime_days: Some(30),
                ..strict()
            }
        );
        let loosen = PolicySetArgs {
            no_max_lifetime: true,
            require_expiry: Some(false),
            anywhere: true,
            ..args()
        };
        assert_eq!(changed(strict(), &loosen), TokenPolicyBody::default());
        let networks = PolicySetArgs {
            allowed_cidrs: vec!["192.0.2.0/24".into(), "2001:db8::/32".into()],
            ..args()
        };
        assert_eq!(
            changed(strict(), &networks).allowed_cidrs,
            ["192.0.2.0/24", "2001:db8::/32"]
        );
    }
}
