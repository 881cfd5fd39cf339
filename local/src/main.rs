//! `akua-local`: run the whole Akua API on loopback.
//!
//! ```text
//! cargo run --release -p akua-local                 # serve on 127.0.0.1:8787
//! cargo run --release -p akua-local -- mint-jwt --sub usr_me
//! ```

use std::net::IpAddr;
use std::path::PathBuf;

use akua_local::dev_issuer::DevIssuer;
use akua_local::gateway::{ApiType, Stage};
use akua_local::server::{self, Options};
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "akua-local",
    version,
    about = "Run the whole Akua API locally on an embedded store"
)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1", global = true)]
    bind: IpAddr,
    /// Port to listen on.
    #[arg(long, default_value_t = 8787, global = true)]
    port: u16,
    /// Where the embedded store and the development key live.
    #[arg(long, default_value = ".akua", env = "AKUA_DATA_DIR", global = true)]
    data_dir: PathBuf,
    /// Use this DynamoDB-compatible endpoint instead of the embedded store.
    #[arg(long, env = "AKUA_DYNAMODB_ENDPOINT")]
    dynamodb_endpoint: Option<String>,
    /// Table name.
    #[arg(long, default_value = "akua", env = "AKUA_TABLE_NAME")]
    table: String,
    /// The user id the development sign-in page suggests.
    #[arg(long, default_value = "usr_dev")]
    dev_user: String,
    /// Serve everything under /STAGE, as API Gateway's execute-api URL
    /// does (`--stage prod`: http://127.0.0.1:8787/prod/v1, and API
    /// Gateway's 403 outside it).
    #[arg(long, env = "AKUA_STAGE")]
    stage: Option<String>,
    /// Play an HTTP API (payload 2.0 events, its `$default` stage at the
    /// root, its own 401/403/404 bodies) instead of the REST API the stack
    /// deploys: `rest` or `http`.
    #[arg(long, env = "AKUA_API_TYPE", value_parser = ApiType::parse, default_value = "rest")]
    api_type: ApiType,
    /// Append every security event (what a deployed stack publishes on
    /// EventBridge: source akua.auth, detail-type the audit action) to
    /// FILE as JSON lines.
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print a JWT from the built-in development issuer.
    MintJwt {
        /// The user id (`sub`).
        #[arg(long)]
        sub: String,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: i64,
    },
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::MintJwt { sub, ttl }) => server::prepare_data_dir(&cli.data_dir)
            .and_then(|_| DevIssuer::open(&cli.data_dir))
            .and_then(|issuer| issuer.mint(&sub, akua_core::clock::now(), ttl))
            .map(|jwt| println!("{jwt}")),
        None => {
            tracing_subscriber::fmt()
                .with_writer(std::io::stderr)
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
                )
                .init();
            if cli.api_type == ApiType::Http && cli.stage.is_some() {
                eprintln!(
                    "akua-local: an HTTP API serves its $default stage at the root: --stage is for --api-type rest"
                );
                return std::process::ExitCode::FAILURE;
            }
            let stage = match Stage::parse(cli.stage.as_deref()) {
                Ok(stage) => stage,
                Err(e) => {
                    eprintln!("akua-local: --stage: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            server::serve(Options {
                bind: cli.bind,
                port: cli.port,
                data_dir: cli.data_dir,
                dynamodb_endpoint: cli.dynamodb_endpoint,
                table: cli.table,
                dev_user: cli.dev_user,
                stage,
                api_type: cli.api_type,
                events: cli.events,
            })
            .await
        }
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("akua-local: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
