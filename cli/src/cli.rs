//! The command line: every command, flag and help text. Parsing only; the
//! work happens in `commands`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use url::Url;

use crate::client::parse_api_url;
use crate::output::Format;

#[derive(Debug, Parser)]
#[command(
    name = "cnap",
    version,
    about = "The Akua command-line client: log in, manage API tokens and workspaces.",
    after_help = "Configuration: ~/.cnap/config.yaml (`cnap config`). Environment: AKUA_API_TOKEN, \
                  AKUA_API_URL, AKUA_WORKSPACE (or CNAP_…), CNAP_TIMEOUT, CNAP_KEYCHAIN, CNAP_FORCE_TTY.\n\
                  Exit codes: 0 ok, 1 API error, 2 usage, 3 authentication, 4 server or network."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts; they win over the environment and the config.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Base URL of the Akua API, ending in /v1 [env: AKUA_API_URL, CNAP_API_URL]
    #[arg(long, global = true, value_name = "URL", value_parser = parse_api_url)]
    pub api_url: Option<Url>,

    /// Workspace to act in, sent as the Akua-Context header (default: active_workspace)
    #[arg(long, global = true, value_name = "ws_…")]
    pub workspace: Option<String>,

    /// Output format for data (default: output.format in the config, else table at a
    /// terminal and tab-separated rows in a pipe)
    #[arg(long, short = 'o', global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<Format>,

    /// JSON with only these fields of each item (comma-separated), e.g. --json id,name
    #[arg(
        long,
        global = true,
        value_name = "FIELDS",
        value_delimiter = ',',
        conflicts_with = "output"
    )]
    pub json: Option<Vec<String>>,

    /// Filter the JSON output with a jq expression (strings print raw), e.g. --jq '.[].id'
    #[arg(long, global = true, value_name = "EXPR", conflicts_with = "output")]
    pub jq: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Log in, check the login, log out
    #[command(subcommand)]
    Auth(AuthCommand),
    /// Create, list, roll and revoke workspace API tokens; list the permissions they can hold
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// List and create workspaces, choose the active one, show and set its token policy
    #[command(subcommand)]
    Workspaces(WorkspacesCommand),
    /// List the workspace's members; add people, change their role, remove them
    #[command(subcommand)]
    Members(MembersCommand),
    /// Read the audit log: who created, revoked, rolled or leaked tokens, changed members, logged in
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Show and change cnap's settings (~/.cnap/config.yaml): api_url, output, workspace
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Send an authenticated request to any API path and print the JSON answer (like `gh api`)
    Api(ApiArgs),
    /// Print a shell completion script (e.g. `cnap completion bash > ~/.local/share/bash-completion/completions/cnap`)
    Completion {
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Write man pages for cnap and every command (roff, section 1) into a directory
    Man {
        /// Where to write them, e.g. ~/.local/share/man/man1
        #[arg(long, value_name = "DIR", default_value = ".")]
        dir: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum MembersCommand {
    /// List the workspace's members and their roles
    List(ListArgs),
    /// Add a person (by the identity provider's user id) as admin or member (owner or admin)
    Add(AddMemberArgs),
    /// Change a member's role to admin or member (owner or admin)
    SetRole(SetRoleArgs),
    /// Remove a member: they lose access to the workspace at once (owner or admin)
    Remove(RemoveMemberArgs),
}

#[derive(Debug, Args)]
pub struct AddMemberArgs {
    /// The person's user id at the identity provider (the JWT's sub)
    #[arg(value_name = "USER_ID")]
    pub user_id: String,

    /// Their role in the workspace
    #[arg(long, value_enum, default_value = "member")]
    pub role: TokenRole,
}

#[derive(Debug, Args)]
pub struct SetRoleArgs {
    /// The member's user id, as `cnap members list` shows it
    #[arg(value_name = "USER_ID")]
    pub user_id: String,

    /// The new role
    #[arg(long, value_enum)]
    pub role: TokenRole,
}

#[derive(Debug, Args)]
pub struct RemoveMemberArgs {
    /// The member's user id, as `cnap members list` shows it
    #[arg(value_name = "USER_ID")]
    pub user_id: String,

    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print one setting's value (nothing when unset)
    Get {
        #[arg(value_enum)]
        key: ConfigKey,
    },
    /// Change one setting (checked as the flag of the same name is)
    Set {
        #[arg(value_enum)]
        key: ConfigKey,
        value: String,
    },
    /// Remove one setting: its default applies again
    Unset {
        #[arg(value_enum)]
        key: ConfigKey,
    },
    /// Every setting with its value and where it comes from
    List,
}

/// The settings `cnap config` reads and writes. Credentials are not among
/// them: `cnap auth login` and `logout` keep those.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConfigKey {
    /// The default API URL (api_url)
    ApiUrl,
    /// The default output format, table or json (output.format)
    Output,
    /// The active workspace at the API URL in effect (hosts.<url>.active_workspace)
    Workspace,
}

#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Log in through the browser (device flow), or store a token
    Login(LoginArgs),
    /// Show the credential in use, whom it belongs to and when it expires
    Status,
    /// Log out: revoke the session on the server and forget it here
    Logout(LogoutArgs),
    /// List where you are signed in; end a session (--revoke) or all others (--all-others)
    Sessions(SessionsArgs),
    /// Print the credential in use to standard output, for scripts (e.g. `curl -H "Authorization: Bearer $(cnap auth token)"`)
    Token,
}

#[derive(Debug, Args)]
pub struct ApiArgs {
    /// HTTP method: GET, POST, PATCH, DELETE, …
    #[arg(value_name = "METHOD")]
    pub method: String,

    /// Path under the API URL, with or without its /v1, e.g. /api_tokens or
    /// /v1/workspaces/ws_…/members?limit=10
    #[arg(value_name = "PATH")]
    pub path: String,

    /// For a list, follow next_cursor to the end and print every item as one list
    #[arg(long)]
    pub paginate: bool,

    /// A body field (or, for GET and DELETE, a query parameter): key=value. true, false,
    /// null and numbers become JSON values; anything else a string
    #[arg(
        long = "field",
        short = 'F',
        value_name = "KEY=VALUE",
        conflicts_with = "input"
    )]
    pub fields: Vec<String>,

    /// A body field that is always a string: key=value
    #[arg(
        long = "raw-field",
        short = 'f',
        value_name = "KEY=VALUE",
        conflicts_with = "input"
    )]
    pub raw_fields: Vec<String>,

    /// Read the JSON body from a file (`-` for standard input)
    #[arg(long, value_name = "FILE")]
    pub input: Option<std::path::PathBuf>,
}

#[derive(Debug, Args)]
pub struct SessionsArgs {
    /// End this session (ses_…), as listed; it stops working at once
    #[arg(long, value_name = "SESSION_ID", conflicts_with = "all_others")]
    pub revoke: Option<String>,

    /// End every session but the one cnap is using
    #[arg(long)]
    pub all_others: bool,

    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,

    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Do not open a browser; just print the URL and the code
    #[arg(long)]
    pub no_browser: bool,

    /// Store this token (API token, session token or JWT) after checking it with the server.
    /// It is visible to other local users while cnap runs; prefer --with-token
    #[arg(long, value_name = "TOKEN", conflicts_with = "with_token")]
    pub token: Option<String>,

    /// Read the token to store from standard input
    #[arg(long)]
    pub with_token: bool,
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create an API token; its secret is shown once
    Create(CreateTokenArgs),
    /// List the workspace's API tokens, or with --mine your multi-workspace tokens (never their secrets)
    List(TokensListArgs),
    /// Show one API token (never its secret)
    View(ViewTokenArgs),
    /// Revoke an API token by id; it stops working at once
    Revoke(RevokeArgs),
    /// Roll an API token: a new secret (shown once), the old one kept working for --grace;
    /// --expires-at gives it a new expiry
    Roll(RollArgs),
    /// List the permissions a token can be restricted to (--permission of `tokens create`)
    Permissions,
    /// Ask whether a secret read from standard input is a live credential in the workspace,
    /// and what it may do there (RFC 7662 introspection; owner or admin)
    Introspect,
}

#[derive(Debug, Args)]
pub struct RollArgs {
    /// The token's id (tok_…), as shown by `cnap tokens list`
    #[arg(value_name = "TOKEN_ID")]
    pub id: String,

    /// How long the old secret keeps working: a number and a unit (s, m, h, d, w), at most 7d
    /// (default: it stops at once)
    #[arg(long, value_name = "DURATION", value_parser = crate::time::parse_grace)]
    pub grace: Option<i64>,

    /// A new expiry for the rolled token, in the future: Unix seconds, a date (2026-01-31) or
    /// RFC 3339 (2026-01-31T12:00:00Z). Lets a token made before a stricter workspace token
    /// policy be rotated into it (default: the token keeps its expiry)
    #[arg(long, value_name = "TIMESTAMP", value_parser = crate::time::parse_instant)]
    pub expires_at: Option<i64>,

    /// Roll without a grace period and without asking (required when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum TokenRole {
    Admin,
    Member,
}

impl From<TokenRole> for akua_core::TokenRole {
    fn from(role: TokenRole) -> Self {
        match role {
            TokenRole::Admin => Self::Admin,
            TokenRole::Member => Self::Member,
        }
    }
}

#[derive(Debug, Args)]
pub struct CreateTokenArgs {
    /// A name to recognise the token by (1–100 characters)
    #[arg(long)]
    pub name: String,

    /// Lifetime from now: a number and a unit (s, m, h, d, w), e.g. 30d or 12h
    #[arg(long, value_name = "DURATION", value_parser = crate::time::parse_duration, conflicts_with = "expires_at")]
    pub expires_in: Option<i64>,

    /// Expiry time: Unix seconds, a date (2026-01-31) or RFC 3339 (2026-01-31T12:00:00Z)
    #[arg(long, value_name = "TIMESTAMP", value_parser = crate::time::parse_instant)]
    pub expires_at: Option<i64>,

    /// The token's role in the workspace (default: the server's); at most your own.
    /// With --workspaces, the highest role it acts with in each
    #[arg(long, value_enum)]
    pub role: Option<TokenRole>,

    /// Make a multi-workspace token of yours for these workspaces (comma-separated, 1–20),
    /// chosen per request with Akua-Context (--workspace); needs a login, not an API token
    #[arg(long, value_name = "WS_IDS", value_delimiter = ',')]
    pub workspaces: Vec<String>,

    /// Restrict the token to this permission (repeat, or comma-separate), e.g. api_tokens:read;
    /// `cnap tokens permissions` lists them. Default: everything its role allows
    #[arg(long = "permission", value_name = "PERMISSION", value_delimiter = ',')]
    pub permissions: Vec<String>,

    /// Let the token be used only from this network (IPv4 or IPv6 CIDR; repeat, at most 20).
    /// Default: the workspace policy's list, or anywhere
    #[arg(long = "allowed-cidr", value_name = "CIDR", value_delimiter = ',')]
    pub allowed_cidrs: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ViewTokenArgs {
    /// The token's id (tok_…), as shown by `cnap tokens list`
    #[arg(value_name = "TOKEN_ID")]
    pub id: String,

    /// It is one of your multi-workspace tokens (`cnap tokens list --mine`)
    #[arg(long)]
    pub mine: bool,
}

#[derive(Debug, Args)]
pub struct TokensListArgs {
    /// Your multi-workspace tokens instead of the workspace's tokens
    #[arg(long)]
    pub mine: bool,

    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// How many items to list in all, fetched in pages as needed (default: one page of the
    /// server's size, 50)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..), conflicts_with = "all")]
    pub limit: Option<u32>,

    /// List everything, following next_cursor to the end
    #[arg(long)]
    pub all: bool,

    /// Go on from where a listing stopped (its next_cursor)
    #[arg(long, value_name = "CURSOR")]
    pub cursor: Option<String>,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    /// The token's id (tok_…), as shown by `cnap tokens list`
    #[arg(
        value_name = "TOKEN_ID",
        required_unless_present = "secret",
        conflicts_with = "secret"
    )]
    pub id: Option<String>,

    /// Revoke by the secret itself, read from standard input (`-`): for a
    /// token you found (a leak), with no login; any API token or session
    #[arg(long, value_name = "-", value_parser = clap::builder::PossibleValuesParser::new(["-"]), conflicts_with = "mine")]
    pub secret: Option<String>,

    /// It is one of your multi-workspace tokens (`cnap tokens list --mine`)
    #[arg(long)]
    pub mine: bool,

    /// Do not ask for confirmation (required when stdin is not a terminal)
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// The active workspace's events, newest first (owner or admin), or with --mine your own
    List(AuditListArgs),
}

#[derive(Debug, Args)]
pub struct AuditListArgs {
    /// Only this action, e.g. token.created, token.leaked, member.removed
    #[arg(long, value_name = "ACTION")]
    pub action: Option<String>,

    /// Only events by this actor (usr_…, tok_…)
    #[arg(long, value_name = "ID")]
    pub actor: Option<String>,

    /// Only events since then: a duration ago (7d, 12h) or a time (2026-01-31T00:00:00Z)
    #[arg(long, value_name = "WHEN", value_parser = crate::time::parse_since)]
    pub since: Option<i64>,

    /// Only events until then: a duration ago or a time
    #[arg(long, value_name = "WHEN", value_parser = crate::time::parse_since)]
    pub until: Option<i64>,

    /// Your own log (device logins you answered, sessions ended) instead of the workspace's
    #[arg(long)]
    pub mine: bool,

    #[command(flatten)]
    pub list: ListArgs,
}

#[derive(Debug, Subcommand)]
pub enum WorkspacesCommand {
    /// List the workspaces you belong to
    List(ListArgs),
    /// Create a workspace; you become its owner
    Create {
        /// The workspace's name
        name: String,
    },
    /// Make a workspace the default for later commands (active_workspace)
    Use {
        /// The workspace's id (ws_…)
        #[arg(value_name = "WORKSPACE_ID")]
        id: String,
    },
    /// Show the workspace's token policy (--workspace, else active_workspace, else an API
    /// token's own); `policy set` changes it
    Policy(PolicyArgs),
}

#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: Option<PolicyCommand>,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Change the token policy (owners, logged in as a person; a JWT needs a recent sign-in).
    /// Only the rules given change; tokens made before keep working and are listed as exceeding it
    Set(PolicySetArgs),
}

#[derive(Debug, Args)]
#[group(id = "change", required = true, multiple = true)]
pub struct PolicySetArgs {
    /// Every new or rolled token must expire within N days (1–1825)
    #[arg(
        long,
        value_name = "N",
        value_parser = clap::value_parser!(u32).range(1..=i64::from(akua_core::token_policy::MAX_POLICY_DAYS)),
        conflicts_with = "no_max_lifetime"
    )]
    pub max_lifetime_days: Option<u32>,

    /// Remove the lifetime limit
    #[arg(long)]
    pub no_max_lifetime: bool,

    /// Whether every new or rolled token must have an expiry (a lifetime limit implies one)
    #[arg(long, value_name = "BOOL")]
    pub require_expiry: Option<bool>,

    /// Tokens may be used only from these networks (IPv4 or IPv6 CIDR; repeat, at most 20);
    /// replaces the policy's list. New tokens without a list of their own get it
    #[arg(
        long = "allowed-cidr",
        value_name = "CIDR",
        value_delimiter = ',',
        conflicts_with = "anywhere"
    )]
    pub allowed_cidrs: Vec<String>,

    /// Remove the policy's network list: tokens may be used from anywhere
    #[arg(long)]
    pub anywhere: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn policy_set_needs_a_change_and_no_contradiction() {
        let parse = |args: &[&str]| {
            let mut argv = vec!["cnap", "workspaces", "policy", "set"];
            argv.extend_from_slice(args);
            Cli::try_parse_from(argv)
        };
        assert_eq!(
            parse(&[]).unwrap_err().kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        for contradiction in [
            &["--max-lifetime-days", "30", "--no-max-lifetime"][..],
            &["--allowed-cidr", "10.0.0.0/8", "--anywhere"],
        ] {
            assert_eq!(
                parse(contradiction).unwrap_err().kind(),
                clap::error::ErrorKind::ArgumentConflict,
                "{contradiction:?}"
            );
        }
        for bad in [
            &["--max-lifetime-days", "0"][..],
            &["--max-lifetime-days", "1826"],
            &["--require-expiry", "yes"],
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        let Command::Workspaces(WorkspacesCommand::Policy(PolicyArgs {
            command: Some(PolicyCommand::Set(set)),
        })) = parse(&[
            "--max-lifetime-days",
            "30",
            "--require-expiry",
            "false",
            "--allowed-cidr",
            "10.0.0.0/8,192.0.2.0/24",
        ])
        .unwrap()
        .command
        else {
            panic!("not policy set");
        };
        assert_eq!(set.max_lifetime_days, Some(30));
        assert_eq!(set.require_expiry, Some(false));
        assert_eq!(set.allowed_cidrs, ["10.0.0.0/8", "192.0.2.0/24"]);
        let show = Cli::try_parse_from(["cnap", "workspaces", "policy"]).unwrap();
        assert!(matches!(
            show.command,
            Command::Workspaces(WorkspacesCommand::Policy(PolicyArgs { command: None }))
        ));
    }

    #[test]
    fn expiry_flags_exclude_each_other() {
        let r = Cli::try_parse_from([
            "cnap",
            "tokens",
            "create",
            "--name",
            "x",
            "--expires-in",
            "1d",
            "--expires-at",
            "2030-01-01",
        ]);
        assert_eq!(
            r.unwrap_err().kind(),
            clap::error::ErrorKind::ArgumentConflict
        );
    }
}

#[derive(Debug, Args)]
pub struct LogoutArgs {
    /// Only forget the credential here, without asking the server (a
    /// session then stays valid until it expires or is ended elsewhere)
    #[arg(long)]
    pub local: bool,
}
