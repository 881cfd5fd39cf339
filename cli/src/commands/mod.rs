//! One module per command group; this one dispatches and holds what the
//! groups share.

mod api;
mod audit;
mod auth;
mod config;
mod login;
mod man;
mod members;
mod sessions;
mod tokens;
mod workspaces;

use clap::CommandFactory;

use crate::cli::{
    AuditCommand, AuthCommand, Cli, Command, ListArgs, MembersCommand, PolicyCommand,
    TokensCommand, WorkspacesCommand,
};
use crate::client::Client;
use crate::error::{Error, Result};
use crate::output::{self, Format, Shape, Table};
use crate::settings::Settings;
use akua_core::CredentialKind;
use akua_core::paging::Page;

pub async fn run(cli: Cli) -> Result<()> {
    // Neither needs a config, HOME or the network.
    match &cli.command {
        Command::Completion { shell } => {
            clap_complete::generate(*shell, &mut Cli::command(), "cnap", &mut std::io::stdout());
            return Ok(());
        }
        Command::Man { dir } => return man::write(dir),
        _ => {}
    }
    output::configure(Shape::new(cli.global.json.clone(), cli.global.jq.clone())?);
    let settings = Settings::resolve(&cli.global)?;
    // `cnap api` prints JSON unless a table is asked for by name.
    let table_asked = cli.global.output == Some(Format::Table);
    // Said by the client too, where a command needs a credential it does
    // not have: the same answer, naming where one is stored.
    let not_logged_in = settings.not_logged_in();
    // Said in a refusal's hint: a token from the environment is fixed there.
    let credential_source = settings.credential.as_ref().map(|(_, source)| *source);
    let done = match cli.command {
        Command::Auth(AuthCommand::Login(args)) => login::run(settings, args).await,
        Command::Auth(AuthCommand::Status) => auth::status(&settings).await,
        Command::Auth(AuthCommand::Logout(args)) => auth::logout(settings, &args).await,
        Command::Auth(AuthCommand::Sessions(args)) => sessions::run(settings, &args).await,
        Command::Auth(AuthCommand::Token) => auth::token(&settings),
        Command::Api(args) => api::run(&settings, args, table_asked).await,
        Command::Audit(AuditCommand::List(args)) => audit::list(&settings, &args).await,
        Command::Tokens(TokensCommand::Create(args)) => tokens::create(&settings, args).await,
        Command::Tokens(TokensCommand::List(args)) => tokens::list(&settings, &args).await,
        Command::Tokens(TokensCommand::View(args)) => tokens::view(&settings, &args).await,
        Command::Members(MembersCommand::List(args)) => members::list(&settings, &args).await,
        Command::Members(MembersCommand::Add(args)) => members::add(&settings, &args).await,
        Command::Members(MembersCommand::SetRole(args)) => {
            members::set_role(&settings, &args).await
        }
        Command::Members(MembersCommand::Remove(args)) => members::remove(&settings, &args).await,
        Command::Config(command) => config::run(settings, &command),
        Command::Tokens(TokensCommand::Revoke(args)) => tokens::revoke(&settings, &args).await,
        Command::Tokens(TokensCommand::Roll(args)) => tokens::roll(&settings, &args).await,
        Command::Tokens(TokensCommand::Permissions) => tokens::permissions_catalog(&settings).await,
        Command::Tokens(TokensCommand::Introspect) => tokens::introspect(&settings).await,
        Command::Workspaces(WorkspacesCommand::List(args)) => {
            workspaces::list(&settings, &args).await
        }
        Command::Workspaces(WorkspacesCommand::Create { name }) => {
            workspaces::create(&settings, &name).await
        }
        Command::Workspaces(WorkspacesCommand::Use { id }) => workspaces::use_(settings, &id).await,
        Command::Workspaces(WorkspacesCommand::Policy(args)) => match args.command {
            None => workspaces::policy(&settings).await,
            Some(PolicyCommand::Set(set)) => workspaces::set_policy(&settings, &set).await,
        },
        Command::Completion { .. } | Command::Man { .. } => unreachable!("handled above"),
    };
    done.map_err(|mut e| {
        if let Error::NotLoggedIn = e {
            return not_logged_in;
        }
        if let Error::Api {
            credential: credential @ None,
            ..
        } = &mut e
        {
            *credential = credential_source;
        }
        e
    })
}

/// The items a list command asked for: one page of the server's size,
/// `--limit N` items in all (pages of at most [`MAX_PAGE`], followed as
/// needed), or with `--all` every item; from `--cursor` if given. The
/// result keeps the last page's `has_more` and `next_cursor`, so a script
/// can tell whether the list is complete and go on from there.
async fn fetch_pages<T>(
    list: &ListArgs,
    mut fetch: impl AsyncFnMut(Option<u32>, Option<String>) -> Result<Page<T>>,
) -> Result<Page<T>> {
    let wanted = if list.all { None } else { list.limit };
    let size = |got: usize| {
        wanted.map(|w| {
            let left = w.saturating_sub(u32::try_from(got).unwrap_or(u32::MAX));
            left.clamp(1, MAX_PAGE)
        })
    };
    let mut page = fetch(size(0), list.cursor.clone()).await?;
    let more_wanted = |got: usize| {
        list.all || wanted.is_some_and(|w| u32::try_from(got).is_ok_and(|got| got < w))
    };
    while page.has_more && more_wanted(page.data.len()) {
        let Some(cursor) = page.next_cursor.take() else {
            break;
        };
        let next = fetch(size(page.data.len()), Some(cursor.clone())).await?;
        if next.next_cursor.as_deref() == Some(cursor.as_str()) {
            // A server bug would otherwise loop forever.
            return Err(Error::BadResponse {
                url: "the list endpoint".into(),
                reason: "the same cursor came back twice".into(),
            });
        }
        page.data.extend(next.data);
        page.has_more = next.has_more;
        page.next_cursor = next.next_cursor;
    }
    Ok(page)
}

/// The first listed item that `wanted` picks, reading every page.
async fn find_listed<T>(
    fetch: impl AsyncFnMut(Option<u32>, Option<String>) -> Result<Page<T>>,
    wanted: impl Fn(&T) -> bool,
) -> Result<Option<T>> {
    let everything = ListArgs {
        limit: None,
        all: true,
        cursor: None,
    };
    let page = fetch_pages(&everything, fetch).await?;
    Ok(page.data.into_iter().find(|item| wanted(item)))
}

/// The most items the API returns per page.
const MAX_PAGE: u32 = 100;

/// The workspace a workspace command (`policy`, `members`) is about, and a
/// client that acts in it: the
/// selected workspace (`--workspace`, the environment, `active_workspace`),
/// or for an API token, which ignores `active_workspace`, its own (asked of
/// the server).
async fn workspace_in_effect(settings: &Settings) -> Result<(Client, String)> {
    let (credential, _) = settings.require_credential()?;
    let client = settings.client()?;
    if let Some(ws) = settings.context() {
        return Ok((client, ws.to_owned()));
    }
    let no_workspace = || crate::settings::no_workspace(None);
    if credential.kind() != Some(CredentialKind::ApiToken) {
        return Err(no_workspace());
    }
    // A multi-workspace token has no workspace of its own: whoami says none.
    let ws = client
        .whoami()
        .await?
        .workspace_id
        .ok_or_else(no_workspace)?;
    Ok((client, ws))
}

/// A list as the format asks: JSON as the API answers it (shaped by
/// `--json`/`--jq`), else rows from `table`, or `empty` on stderr when
/// there are none, and a note when the list goes on.
fn show_list<T: serde::Serialize>(
    settings: &Settings,
    page: &Page<T>,
    empty: &str,
    what: &str,
    table: impl FnOnce(&[T]) -> Table,
) -> Result<()> {
    match settings.format {
        Format::Json => return output::json(page),
        Format::Table if page.data.is_empty() => eprintln!("{empty}"),
        Format::Table => table(&page.data).print()?,
    }
    if page.has_more {
        let go_on = page
            .next_cursor
            .as_deref()
            .map(|c| format!(", --cursor {c} goes on"))
            .unwrap_or_default();
        eprintln!("More {what} exist: --all lists them all, --limit N lists N{go_on}.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(data: Vec<u32>, next: Option<&str>) -> Page<u32> {
        Page {
            data,
            has_more: next.is_some(),
            next_cursor: next.map(str::to_owned),
        }
    }

    fn list(limit: Option<u32>, all: bool) -> ListArgs {
        ListArgs {
            limit,
            all,
            cursor: None,
        }
    }

    #[tokio::test]
    async fn all_follows_cursors_to_the_end() {
        let mut calls = Vec::new();
        let joined = fetch_pages(&list(None, true), async |_, cursor: Option<String>| {
            calls.push(cursor.clone());
            Ok(match cursor.as_deref() {
                None => page(vec![1, 2], Some("a")),
                Some("a") => page(vec![3, 4], Some("b")),
                _ => page(vec![5], None),
            })
        })
        .await
        .unwrap();
        assert_eq!(joined.data, vec![1, 2, 3, 4, 5]);
        assert!(!joined.has_more);
        assert_eq!(calls, vec![None, Some("a".into()), Some("b".into())]);
    }

    #[tokio::test]
    async fn without_all_one_page_and_its_cursor() {
        let first = fetch_pages(&list(None, false), async |_, _| {
            Ok(page(vec![1], Some("a")))
        })
        .await
        .unwrap();
        assert_eq!(first.data, vec![1]);
        assert_eq!(first.next_cursor.as_deref(), Some("a"));
    }

    #[tokio::test]
    async fn a_repeating_cursor_is_an_error_not_a_loop() {
        let r = fetch_pages(&list(None, true), async |_, _| Ok(page(vec![1], Some("a")))).await;
        assert!(matches!(r, Err(Error::BadResponse { .. })));
    }

    #[tokio::test]
    async fn a_limit_is_a_total_fetched_in_pages_of_at_most_a_hundred() {
        let mut sizes = Vec::new();
        let mut served = 0u32;
        let got = fetch_pages(&list(Some(250), false), async |size, _| {
            let size = size.expect("a page size");
            sizes.push(size);
            let data: Vec<u32> = (served..served + size).collect();
            served += size;
            Ok(page(data, Some(&format!("c{served}"))))
        })
        .await
        .unwrap();
        assert_eq!(sizes, [100, 100, 50]);
        assert_eq!(got.data.len(), 250);
        // The list goes on: its cursor is kept for the next call.
        assert_eq!(got.next_cursor.as_deref(), Some("c250"));
    }
}
