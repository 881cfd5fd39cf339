//! One module per command group; this one dispatches and holds what the
//! groups share.

mod api;
mod audit;
mod auth;
mod login;
mod sessions;
mod tokens;
mod workspaces;

use clap::CommandFactory;

use crate::cli::{
    AuditCommand, AuthCommand, Cli, Command, PolicyCommand, TokensCommand, WorkspacesCommand,
};
use crate::error::{Error, Result};
use crate::settings::Settings;
use akua_core::paging::Page;

pub async fn run(cli: Cli) -> Result<()> {
    if let Command::Completion { shell } = cli.command {
        // Needs no config, no HOME, no network.
        clap_complete::generate(shell, &mut Cli::command(), "cnap", &mut std::io::stdout());
        return Ok(());
    }
    let settings = Settings::resolve(&cli.global)?;
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
        Command::Api(args) => api::run(&settings, args).await,
        Command::Audit(AuditCommand::List(args)) => audit::list(&settings, &args).await,
        Command::Tokens(TokensCommand::Create(args)) => tokens::create(&settings, args).await,
        Command::Tokens(TokensCommand::List(args)) => tokens::list(&settings, &args).await,
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
        Command::Completion { .. } => unreachable!("handled above"),
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

/// The first page, or with `all` every page joined by following
/// `next_cursor`. The result keeps the last page's `has_more` and
/// `next_cursor`, so a script can tell whether the list is complete.
async fn fetch_pages<T>(
    all: bool,
    mut fetch: impl AsyncFnMut(Option<String>) -> Result<Page<T>>,
) -> Result<Page<T>> {
    let mut page = fetch(None).await?;
    while all && page.has_more {
        let Some(cursor) = page.next_cursor.take() else {
            break;
        };
        let next = fetch(Some(cursor.clone())).await?;
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

    #[tokio::test]
    async fn all_follows_cursors_to_the_end() {
        let mut calls = Vec::new();
        let joined = fetch_pages(true, async |cursor: Option<String>| {
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
        let first = fetch_pages(false, async |_| Ok(page(vec![1], Some("a"))))
            .await
            .unwrap();
        assert_eq!(first.data, vec![1]);
        assert_eq!(first.next_cursor.as_deref(), Some("a"));
    }

    #[tokio::test]
    async fn a_repeating_cursor_is_an_error_not_a_loop() {
        let r = fetch_pages(true, async |_| Ok(page(vec![1], Some("a")))).await;
        assert!(matches!(r, Err(Error::BadResponse { .. })));
    }
}
