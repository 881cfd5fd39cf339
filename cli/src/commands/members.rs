//! `cnap members list|add|set-role|remove`: the people of the workspace
//! in effect (`--workspace`, `active_workspace`, or an API token's own).
//! Adding, changing and removing need an owner or admin; `owner` is never
//! given or taken here (DESIGN §1).

use akua_core::ids::{TokenRole, UserId};
use akua_core::workspaces::{AddMemberRequest, ChangeRoleRequest, MemberView};

use crate::cli::{AddMemberArgs, ListArgs, RemoveMemberArgs, SetRoleArgs};
use crate::error::{Error, Result};
use crate::output::{self, Format, Table};
use crate::settings::Settings;
use crate::terminal;

pub async fn list(settings: &Settings, args: &ListArgs) -> Result<()> {
    let (client, ws) = super::workspace_in_effect(settings).await?;
    let page = super::fetch_pages(args, async |limit, cursor: Option<String>| {
        client.list_members(&ws, limit, cursor.as_deref()).await
    })
    .await?;
    super::show_list(settings, &page, "No members.", "members", table)
}

fn table(members: &[MemberView]) -> Table {
    let mut table = Table::new(&["USER", "ROLE", "JOINED"]);
    for m in members {
        table.row(vec![
            m.user_id.clone(),
            m.role.to_string(),
            output::timestamp(m.joined_at),
        ]);
    }
    table
}

pub async fn add(settings: &Settings, args: &AddMemberArgs) -> Result<()> {
    let (client, ws) = super::workspace_in_effect(settings).await?;
    let body = AddMemberRequest {
        user_id: user_id(&args.user_id)?,
        role: TokenRole::from(args.role),
    };
    let member = client.add_member(&ws, &body).await?;
    show(settings, &member)?;
    eprintln!("Added {} to {ws} as {}.", member.user_id, member.role);
    Ok(())
}

pub async fn set_role(settings: &Settings, args: &SetRoleArgs) -> Result<()> {
    let (client, ws) = super::workspace_in_effect(settings).await?;
    let user = user_id(&args.user_id)?;
    let body = ChangeRoleRequest {
        role: TokenRole::from(args.role),
    };
    let member = client.change_role(&ws, user.as_str(), &body).await?;
    show(settings, &member)?;
    eprintln!("{} is now {} in {ws}.", member.user_id, member.role);
    Ok(())
}

pub async fn remove(settings: &Settings, args: &RemoveMemberArgs) -> Result<()> {
    let (client, ws) = super::workspace_in_effect(settings).await?;
    let user = user_id(&args.user_id)?;
    if !args.yes {
        terminal::confirm(&format!(
            "Remove {} from {ws}? They lose access to it at once.",
            user.as_str()
        ))?;
    }
    client.remove_member(&ws, user.as_str()).await?;
    eprintln!("Removed {} from {ws}.", user.as_str());
    Ok(())
}

fn user_id(input: &str) -> Result<UserId> {
    UserId::parse(input).map_err(|e| Error::Usage(format!("USER_ID: {e}")))
}

fn show(settings: &Settings, member: &MemberView) -> Result<()> {
    match settings.format {
        Format::Json => output::json(member),
        Format::Table => output::details(&[
            ("user", member.user_id.clone()),
            ("role", member.role.to_string()),
            ("joined", output::timestamp(member.joined_at)),
        ]),
    }
}
