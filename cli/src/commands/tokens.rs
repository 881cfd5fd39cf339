//! `cnap tokens create|list|revoke|roll|permissions`: workspace API tokens
//! (DESIGN §6). A session or JWT needs a workspace (`--workspace` or
//! `active_workspace`); an API token acts on its own. With `--workspaces` /
//! `--mine`: the person's own multi-workspace tokens, which need a login.
//! `permissions` lists the catalog `--permission` takes.

use std::io::IsTerminal;

use serde::Serialize;

use akua_core::clock::UnixTime;
use akua_core::ids::{Role, TokenName, TokenRole, WorkspaceId};
use akua_core::multi_tokens::{CreateMultiTokenRequest, MultiTokenSummary};
use akua_core::records::Creator;
use akua_core::tokens::{
    CreateApiTokenRequest, CreatedApiToken, RollApiTokenRequest, TokenSummary,
};

use crate::cli::{CreateTokenArgs, ListArgs, RevokeArgs, RollArgs, TokensListArgs, ViewTokenArgs};
use crate::error::{Error, Result};
use crate::output::{self, Format, Table};
use crate::settings::Settings;
use crate::{ids, terminal};

/// Prints the new token's secret, the only time it can be seen, with a
/// warning on stderr so it is not lost in a pipe.
pub async fn create(settings: &Settings, args: CreateTokenArgs) -> Result<()> {
    match args.workspaces.is_empty() {
        true => settings.require_workspace(Some("--workspaces for a multi-workspace token"))?,
        false => settings.require_credential()?,
    };
    let expires_at = match (args.expires_in, args.expires_at) {
        (Some(lifetime), _) => Some(jiff::Timestamp::now().as_second() + lifetime),
        (None, at) => at,
    };
    let name = TokenName::parse(&args.name).map_err(|e| Error::Usage(e.to_string()))?;
    if !args.workspaces.is_empty() {
        return create_mine(settings, args, name, expires_at).await;
    }
    let body = CreateApiTokenRequest {
        name,
        expires_at: expires_at.map(UnixTime),
        role: args.role.map(TokenRole::from),
        permissions: listed(&args.permissions),
        allowed_cidrs: listed(&args.allowed_cidrs),
    };
    let created = settings.client()?.create_token(&body).await?;
    if let Some(warning) = lasting_admin(created.role, created.expires_at)
        && std::io::stderr().is_terminal()
    {
        eprintln!("warning: {warning}");
    }
    let rows = workspace_token_rows(&created);
    show_secret(
        settings,
        &created,
        rows,
        created.token.expose(),
        "store this token now (e.g. in your CI's secret store): it will not be shown again.",
    )
}

/// What to say, at a terminal, of a new token that acts as an admin and
/// never expires: the most a leak can cost. Scripts are not told (they
/// asked for it, and their stderr is a log).
fn lasting_admin(role: TokenRole, expires_at: Option<i64>) -> Option<&'static str> {
    match (role, expires_at) {
        (TokenRole::Admin, None) => Some(
            "this admin token never expires: if it leaks it works until revoked. \
             Prefer --expires-in (e.g. 90d) and --role member, or --permission for less.",
        ),
        (TokenRole::Admin | TokenRole::Member, _) => None,
    }
}

/// A workspace token just made or rolled, in rows (its secret apart).
fn workspace_token_rows(token: &CreatedApiToken) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("id", token.id.clone()),
        ("name", token.name.clone()),
        ("workspace", token.workspace_id.clone()),
        ("role", Role::from(token.role).to_string()),
    ];
    rows.extend(reach(
        token.created_at,
        token.expires_at,
        token.permissions.as_deref(),
        &token.allowed_cidrs,
    ));
    rows
}

/// A new token's reach, in rows: since and until when, what and from where.
fn reach(
    created_at: i64,
    expires_at: Option<i64>,
    granted: Option<&[String]>,
    cidrs: &[String],
) -> [(&'static str, String); 4] {
    [
        ("created", output::timestamp(created_at)),
        ("expires", output::maybe_timestamp(expires_at, "never")),
        ("permissions", permissions(granted)),
        ("allowed from", allowed_from(cidrs)),
    ]
}

/// Shows a new secret, the only time it can be seen: the whole answer with
/// `-o json`, else `rows` and the token. The warning goes to stderr, so it
/// is not lost in a pipe.
fn show_secret<T: Serialize>(
    settings: &Settings,
    answer: &T,
    mut rows: Vec<(&str, String)>,
    token: &str,
    warning: &str,
) -> Result<()> {
    match settings.format {
        Format::Json => output::json(answer)?,
        Format::Table => {
            rows.push(("token", token.to_owned()));
            output::details(&rows)?;
        }
    }
    eprintln!("warning: {warning}");
    Ok(())
}

/// A multi-workspace token of the caller's: shown once, like any secret.
async fn create_mine(
    settings: &Settings,
    args: CreateTokenArgs,
    name: TokenName,
    expires_at: Option<i64>,
) -> Result<()> {
    let workspace_ids = args
        .workspaces
        .iter()
        .map(|w| {
            ids::workspace_id(w).and_then(|w| WorkspaceId::parse(&w).map_err(|e| e.to_string()))
        })
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(Error::Usage)?;
    let body = CreateMultiTokenRequest {
        name,
        workspace_ids,
        role: args.role.map(TokenRole::from),
        expires_at: expires_at.map(UnixTime),
        permissions: listed(&args.permissions),
        allowed_cidrs: listed(&args.allowed_cidrs),
    };
    let created = settings.client()?.create_my_token(&body).await?;
    let mut rows = vec![
        ("id", created.id.clone()),
        ("name", created.name.clone()),
        ("workspaces", created.workspace_ids.join(", ")),
        ("role (cap)", Role::from(created.role).to_string()),
    ];
    rows.extend(reach(
        created.created_at,
        created.expires_at,
        created.permissions.as_deref(),
        &created.allowed_cidrs,
    ));
    show_secret(
        settings,
        &created,
        rows,
        created.token.expose(),
        "store this token now: it will not be shown again. Choose a workspace per call with --workspace (Akua-Context).",
    )
}

pub async fn list(settings: &Settings, args: &TokensListArgs) -> Result<()> {
    if args.mine {
        return list_mine(settings, &args.list).await;
    }
    settings.require_workspace(Some("--mine for your multi-workspace tokens"))?;
    let args = &args.list;
    let client = settings.client()?;
    let page = super::fetch_pages(args, async |limit, cursor: Option<String>| {
        client.list_tokens(limit, cursor.as_deref()).await
    })
    .await?;
    super::show_list(settings, &page, "No API tokens.", "tokens", table)?;
    let exceeding = page.data.iter().filter(|t| t.exceeds_policy).count();
    if settings.format == Format::Table && exceeding > 0 {
        eprintln!(
            "{exceeding} token(s) marked in POLICY exceed the workspace's token policy \
             (`cnap workspaces policy`): they keep working. Roll them into it \
             (`cnap tokens roll TOKEN_ID --expires-at …`) or revoke them."
        );
    }
    Ok(())
}

/// `cnap tokens view ID`: one token, found in the list the caller can
/// see (the API has no single-token read; the list is what it shows).
pub async fn view(settings: &Settings, args: &ViewTokenArgs) -> Result<()> {
    let client = settings.client()?;
    let shown = if args.mine {
        settings.require_credential()?;
        let mine = async |limit, cursor: Option<String>| {
            client.list_my_tokens(limit, cursor.as_deref()).await
        };
        super::find_listed(mine, |t| t.id == args.id)
            .await?
            .map(|t| show_one(settings, &t, mine_table(std::slice::from_ref(&t))))
    } else {
        settings.require_workspace(Some("--mine for your multi-workspace tokens"))?;
        let workspace = async |limit, cursor: Option<String>| {
            client.list_tokens(limit, cursor.as_deref()).await
        };
        super::find_listed(workspace, |t| t.id == args.id)
            .await?
            .map(|t| show_one(settings, &t, table(std::slice::from_ref(&t))))
    };
    shown.unwrap_or_else(|| {
        Err(Error::NotFound(format!(
            "no API token {} among those you can list (`cnap tokens list{}`)",
            args.id,
            if args.mine { " --mine" } else { "" }
        )))
    })
}

fn show_one<T: Serialize>(settings: &Settings, item: &T, rows: Table) -> Result<()> {
    match settings.format {
        Format::Json => output::json(item),
        Format::Table => rows.print_record(),
    }
}

async fn list_mine(settings: &Settings, args: &ListArgs) -> Result<()> {
    let client = settings.client()?;
    let page = super::fetch_pages(args, async |limit, cursor: Option<String>| {
        client.list_my_tokens(limit, cursor.as_deref()).await
    })
    .await?;
    super::show_list(
        settings,
        &page,
        "No multi-workspace tokens.",
        "tokens",
        mine_table,
    )
}

/// A repeatable option's values, or `None` (the server's default) when
/// none were given.
fn listed(values: &[String]) -> Option<Vec<String>> {
    (!values.is_empty()).then(|| values.to_vec())
}

/// A token's permissions as a cell: `all (role)` when unrestricted.
fn permissions(names: Option<&[String]>) -> String {
    names.map_or_else(|| "all (role)".to_owned(), |p| p.join(" "))
}

/// A token's allow list as a cell.
fn allowed_from(cidrs: &[String]) -> String {
    if cidrs.is_empty() {
        "anywhere".to_owned()
    } else {
        cidrs.join(" ")
    }
}

/// The caller's multi-workspace tokens.
fn mine_table(tokens: &[MultiTokenSummary]) -> Table {
    let mut table = Table::new(&[
        "ID",
        "NAME",
        "PREFIX",
        "ROLE (CAP)",
        "WORKSPACES",
        "PERMISSIONS",
        "ALLOWED FROM",
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
            t.workspace_ids.join(","),
            permissions(t.permissions.as_deref()),
            allowed_from(&t.allowed_cidrs),
            output::timestamp(t.created_at),
            output::maybe_timestamp(t.last_used_at, "never"),
            output::maybe_timestamp(t.expires_at, "never"),
        ]);
    }
    table
}

/// The workspace's tokens. A last POLICY column marks those that exceed
/// the workspace's token policy; it is there only when one does, so the
/// usual table stays as narrow as it was.
fn table(tokens: &[TokenSummary]) -> Table {
    let marked = tokens.iter().any(|t| t.exceeds_policy);
    let mut headers = vec![
        "ID",
        "NAME",
        "PREFIX",
        "ROLE",
        "PERMISSIONS",
        "ALLOWED FROM",
        "CREATED BY",
        "CREATED",
        "LAST USED",
        "EXPIRES",
    ];
    if marked {
        headers.push("POLICY");
    }
    let mut table = Table::new(&headers);
    for t in tokens {
        let mut row = vec![
            t.id.clone(),
            t.name.clone(),
            t.prefix.clone(),
            Role::from(t.role).to_string(),
            permissions(t.permissions.as_deref()),
            allowed_from(&t.allowed_cidrs),
            match &t.created_by {
                Some(Creator::User(user)) => user.to_string(),
                Some(Creator::ApiToken(token)) => token.to_string(),
                None => "—".to_owned(),
            },
            output::timestamp(t.created_at),
            output::maybe_timestamp(t.last_used_at, "never"),
            output::maybe_timestamp(t.expires_at, "never"),
        ];
        if marked {
            row.push(if t.exceeds_policy { "exceeds" } else { "" }.to_owned());
        }
        table.row(row);
    }
    table
}

/// `cnap tokens permissions`: what `--permission` takes.
pub async fn permissions_catalog(settings: &Settings) -> Result<()> {
    settings.require_credential()?;
    let catalog = settings.client()?.permissions().await?;
    match settings.format {
        Format::Json => output::json(&catalog),
        Format::Table if catalog.data.is_empty() => {
            eprintln!("No permissions.");
            Ok(())
        }
        Format::Table => {
            let mut table = Table::new(&["NAME", "OWNER", "DESCRIPTION"]);
            for p in &catalog.data {
                table.row(vec![p.name.clone(), p.owner.clone(), p.description.clone()]);
            }
            table.print()
        }
    }
}

#[derive(Serialize)]
struct Revoked<'a> {
    id: &'a str,
    revoked: bool,
}

/// Revocation is immediate and cannot be undone (DESIGN §1), hence the
/// confirmation.
pub async fn revoke(settings: &Settings, args: &RevokeArgs) -> Result<()> {
    let Some(id) = &args.id else {
        return revoke_held(settings).await;
    };
    let id = ids::token_id(id).map_err(Error::Usage)?;
    match args.mine {
        true => settings.require_credential()?,
        false => settings.require_workspace(Some("--mine for a multi-workspace token"))?,
    };
    if !args.yes {
        terminal::confirm(&format!(
            "Revoke API token {id}? Anything using it stops working at once."
        ))?;
    }
    let client = settings.client()?;
    if args.mine {
        client.revoke_my_token(&id).await?;
    } else {
        client.revoke_token(&id).await?;
    }
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

/// `cnap tokens introspect < secret.txt`: whether the secret is a live
/// credential in the workspace, as the API's introspection answers it.
pub async fn introspect(settings: &Settings) -> Result<()> {
    settings.require_credential()?;
    let secret = terminal::read_stdin()?;
    let secret = secret.trim();
    if secret.is_empty() {
        return Err(Error::Usage(
            "no secret on standard input (e.g. `cnap tokens introspect < token.txt`)".into(),
        ));
    }
    let answer = settings.client()?.introspect(secret).await?;
    match settings.format {
        Format::Json => output::json(&answer),
        Format::Table if !answer.active => output::line(
            "inactive: not a live credential in this workspace (or not one you may ask about)",
        ),
        Format::Table => {
            let show = |v: Option<String>| v.unwrap_or_else(|| "—".to_owned());
            let rows = [
                ("active", "yes".to_owned()),
                ("kind", show(answer.kind.clone())),
                ("id", show(answer.jti.clone())),
                ("acts for", show(answer.sub.clone())),
                ("workspace", show(answer.workspace_id.clone())),
                ("role", show(answer.role.map(|r| r.to_string()))),
                (
                    "permissions",
                    answer
                        .scope
                        .clone()
                        .unwrap_or_else(|| "all (role)".to_owned()),
                ),
                (
                    "allowed from",
                    answer
                        .allowed_cidrs
                        .clone()
                        .unwrap_or_else(|| "anywhere".to_owned()),
                ),
                ("issued", show(answer.iat.map(output::timestamp))),
                ("expires", output::maybe_timestamp(answer.exp, "never")),
            ];
            for (k, v) in rows {
                output::line(&format!("{k:<13} {v}"))?;
            }
            Ok(())
        }
    }
}

/// `cnap tokens revoke --secret -`: the secret from standard input, ended
/// with no login (RFC 7009). No confirmation: standard input is the secret,
/// and whoever holds a leaked secret wants it dead. The server's answer is
/// the same whether or not the secret was live, and so is this.
async fn revoke_held(settings: &Settings) -> Result<()> {
    let secret = terminal::read_stdin()?;
    let secret = secret.trim();
    if secret.is_empty() {
        return Err(Error::Usage(
            "no secret on standard input (e.g. `cnap tokens revoke --secret - < leaked.txt`)"
                .into(),
        ));
    }
    settings.client_with(None)?.revoke_held(secret).await?;
    match settings.format {
        Format::Json => output::json(&serde_json::json!({"revoked": true})),
        Format::Table => {
            eprintln!(
                "Revoked: if that was a live API token or session, it no longer works (the service does not say whether it was)."
            );
            Ok(())
        }
    }
}

/// A new secret for the same token, shown once; the old one keeps working
/// for the grace period, so a deploy can switch without an outage.
pub async fn roll(settings: &Settings, args: &RollArgs) -> Result<()> {
    let id = ids::token_id(&args.id).map_err(Error::Usage)?;
    settings.require_workspace(None)?;
    // Without a grace period the current secret stops at once: like a
    // revoke, that is asked first.
    if args.grace.is_none() && !args.yes {
        terminal::confirm(&format!(
            "Roll API token {id}? Its current secret stops working at once (pass --grace to keep it working a while)."
        ))?;
    }
    let grace = args.grace.unwrap_or(0);
    let body = RollApiTokenRequest {
        grace_period_secs: grace,
        expires_at: args.expires_at.map(UnixTime),
    };
    let rolled = settings.client()?.roll_token(&id, &body).await?;
    // A roll can change more than the secret: a new expiry, and the
    // policy's allow list for a token that had none.
    let rows = workspace_token_rows(&rolled);
    let old = if grace > 0 {
        format!(
            "The old one keeps working for {} (never past its own expiry).",
            crate::time::format_duration(grace)
        )
    } else {
        "The old one has stopped working.".to_owned()
    };
    show_secret(
        settings,
        &rolled,
        rows,
        rolled.token.expose(),
        &format!("store the new token now: it will not be shown again. {old}"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_admin_token_that_never_expires_is_warned_about() {
        assert!(lasting_admin(TokenRole::Admin, None).is_some());
        assert!(lasting_admin(TokenRole::Admin, Some(1_900_000_000)).is_none());
        assert!(lasting_admin(TokenRole::Member, None).is_none());
    }
}
