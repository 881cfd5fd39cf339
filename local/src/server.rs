//! Assembles and serves the local API: the embedded (or an external)
//! DynamoDB-compatible store, the table, the identity provider, the gateway
//! and the local-only pages.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use akua_core::jwt::JwtConfig;
use akua_core::{Authorizer, UserId};
use akua_dashboard::DashboardConfig;
use akua_store::{DynamoStore, endpoint_config, table};
use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use crate::dev_issuer::{self, DevIssuer};
use crate::gateway::{ApiType, Gateway, Stage};
use crate::oidc::{self, Provider};

/// How `akua-local` runs.
#[derive(Debug, Clone)]
pub struct Options {
    pub bind: IpAddr,
    pub port: u16,
    pub data_dir: PathBuf,
    /// An external DynamoDB-compatible endpoint instead of the embedded one.
    pub dynamodb_endpoint: Option<String>,
    pub table: String,
    /// The user id the development sign-in page suggests.
    pub dev_user: String,
    /// Serve under `/{stage}` as the execute-api URL does (`None`: at the
    /// root, as a custom domain does).
    pub stage: Stage,
    /// Which kind of API Gateway API to play: REST (as deployed) or HTTP
    /// (its `$default` stage, at the root).
    pub api_type: ApiType,
    /// Append every security event (what a deployed stack publishes on
    /// EventBridge) to this file as JSON lines.
    pub events: Option<PathBuf>,
}

/// Largest request body the local gateway accepts (API Gateway: 10 MB).
const MAX_REQUEST_BYTES: usize = 1024 * 1024;
const FIRST_RUN_MARKER: &str = "first-run-done";

/// Creates the data directory (owner-only) if needed.
pub fn prepare_data_dir(dir: &std::path::Path) -> Result<bool, String> {
    let created = !dir.exists();
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(created)
}

/// Starts the embedded engine on a loopback port, backed by a SQLite file in
/// the data directory, and returns its endpoint.
async fn start_embedded_engine(data_dir: &std::path::Path) -> Result<String, String> {
    let path = data_dir.join("akua.sqlite");
    let db = dynoxide::Database::new(&path.to_string_lossy())
        .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let endpoint = format!(
        "http://{}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    tokio::spawn(async move {
        if let Err(e) =
            dynoxide::server::serve_with_shutdown(listener, db, std::future::pending()).await
        {
            tracing::error!(error = %e, "embedded store stopped");
        }
    });
    Ok(endpoint)
}

async fn fallback(State(gateway): State<Gateway>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, MAX_REQUEST_BYTES).await {
        Ok(bytes) => gateway.handle(Request::from_parts(parts, bytes)).await,
        // API Gateway's REQUEST_TOO_LARGE answer, in the same envelope.
        Err(_) => akua_http::Error(akua_core::ApiError::PayloadTooLarge(MAX_REQUEST_BYTES))
            .into_response(),
    }
}

/// A server started by [`start`].
pub struct Running {
    /// Where it listens (the real port when asked for port 0).
    pub addr: SocketAddr,
    /// The base URL of the API, e.g. `http://127.0.0.1:8787` (routes are
    /// under `/v1`).
    pub base_url: String,
    pub task: tokio::task::JoinHandle<Result<(), String>>,
}

/// Serves until Ctrl-C / SIGTERM.
pub async fn serve(options: Options) -> Result<(), String> {
    let running = start(options, shutdown_signal()).await?;
    running.task.await.map_err(|e| e.to_string())?
}

/// Binds, prepares everything, and serves in the background until
/// `shutdown` resolves. Tests use it with port 0.
pub async fn start(
    options: Options,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Running, String> {
    let first_run =
        prepare_data_dir(&options.data_dir)? || !options.data_dir.join(FIRST_RUN_MARKER).exists();
    let endpoint = match &options.dynamodb_endpoint {
        Some(url) => url.clone(),
        None => start_embedded_engine(&options.data_dir).await?,
    };
    let client = aws_sdk_dynamodb::Client::from_conf(endpoint_config(&endpoint).build());
    table::ensure_table(&client, &options.table)
        .await
        .map_err(|e| format!("cannot create the table: {e}"))?;
    if let Some(path) = &options.events {
        crate::events::follow(&endpoint, &client, &options.table, path.clone()).await?;
    }
    let store = DynamoStore::new(client, options.table.clone());

    let listener = TcpListener::bind(SocketAddr::new(options.bind, options.port))
        .await
        .map_err(|e| format!("cannot listen on {}:{}: {e}", options.bind, options.port))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    let host = if options.bind.is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        options.bind.to_string()
    };
    let base = format!("http://{host}:{port}");

    let external = akua_edge::settings::jwt_config().map_err(|e| e.to_string())?;
    let dev = if external.is_none() {
        Some(Arc::new(DevIssuer::open(&options.data_dir)?))
    } else {
        None
    };
    let jwt = match external {
        Some(config) => config,
        None => JwtConfig::new(
            dev_issuer::ISSUER,
            dev_issuer::AUDIENCE,
            &format!("http://127.0.0.1:{port}/.well-known/jwks.json"),
            &akua_core::jwt::DEFAULT_ALGORITHMS,
        )
        .map_err(|e| e.to_string())?,
    };
    // The dashboard's ID tokens: the same issuer and keys, the dashboard's
    // client id as audience (the development provider's, or the one
    // configured as deployed).
    let id_tokens = match &dev {
        Some(_) => {
            let mut config = jwt.clone();
            config.audience = crate::oidc::CLIENT_ID.to_owned();
            Some(config)
        }
        None => akua_edge::settings::id_token_config().map_err(|e| e.to_string())?,
    }
    .map(akua_edge::fetch::jwt_verifier)
    .transpose()
    .map_err(|e| e.to_string())?
    .map(Arc::new);
    let verifier = akua_edge::fetch::jwt_verifier(jwt).map_err(|e| e.to_string())?;
    // The API's own base URL, stage included: what users open.
    let app_base = format!("{base}{}", options.stage.prefix());
    // A bad session limit stops the run, as it stops the function.
    akua_edge::settings::session_settings()?;
    akua_edge::settings::sudo_window()?;
    let mut device = akua_edge::settings::device_config();
    if akua_edge::settings::setting("AKUA_VERIFICATION_URI").is_none() {
        device.verification_uri = format!("{app_base}/dashboard/device");
    }
    let leaks = akua_edge::fetch::scanner_keys(akua_edge::settings::leak_config())
        .map_err(|e| e.to_string())?;
    let gateway = Gateway::new(
        Authorizer::new(store.clone(), Some(verifier)),
        device,
        leaks,
        id_tokens,
        options.stage.clone(),
    )
    .as_api(options.api_type);
    UserId::parse(&options.dev_user).map_err(|_| "invalid --dev-user".to_owned())?;

    // The dashboard signs in with the development provider, or with the
    // configured issuer (`AKUA_OIDC_CLIENT_ID`) as deployed.
    let provider = dev
        .clone()
        .map(|dev| Provider::new(dev, &base, &app_base, &options.dev_user));
    let dashboard = match &provider {
        Some(p) => DashboardConfig {
            discovery_url: p.discovery_url(),
            client_id: oidc::CLIENT_ID.to_owned(),
        },
        None => DashboardConfig::from_env()?,
    };
    // The old credential-less approval page: approving now needs a person
    // signed in to the dashboard.
    // The dashboard function sees API Gateway's request context (its
    // stage and the path as sent), as it does deployed.
    let stage = options.stage.clone();
    let api_type = options.api_type;
    let dashboard = akua_dashboard::router(dashboard).layer(axum::middleware::map_request(
        move |mut request: Request| {
            let stage = stage.clone();
            async move {
                match api_type.lambda_context(&stage, request.method(), request.uri().path()) {
                    Ok(ctx) => {
                        request.extensions_mut().insert(ctx);
                    }
                    Err(e) => tracing::error!(error = %e, "request context not representable"),
                }
                request
            }
        },
    ));
    let api = Router::new()
        .fallback(fallback)
        .with_state(gateway)
        .route("/device", device_moved(options.stage.prefix()))
        .merge(dashboard);
    // The development identity provider is a server of its own: always at
    // the root, whatever the API's stage.
    let mut idp = Router::new();
    if let (Some(dev), Some(provider)) = (dev.clone(), provider) {
        idp = idp
            .route(
                "/.well-known/jwks.json",
                get(move || {
                    let dev = dev.clone();
                    async move { axum::Json(dev.jwks().clone()) }
                }),
            )
            .merge(provider.routes());
    }
    let app = match options.stage.prefix() {
        prefix if prefix.is_empty() => api.merge(idp),
        prefix => idp
            .nest(&prefix, api)
            // What the execute-api domain answers outside its stages.
            .fallback(|| async {
                (
                    axum::http::StatusCode::FORBIDDEN,
                    axum::Json(serde_json::json!({"message": "Missing Authentication Token"})),
                )
            }),
    }
    .layer(DefaultBodyLimit::max(MAX_REQUEST_BYTES));

    eprintln!(
        "akua-local: serving the Akua API on {app_base}/v1 (store: {endpoint}, table: {})",
        options.table
    );
    eprintln!("akua-local: the dashboard is at {app_base}/dashboard");
    if first_run {
        print_welcome(&app_base, &options, dev.is_some());
        let _ = std::fs::write(options.data_dir.join(FIRST_RUN_MARKER), b"");
    }
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let task = tokio::spawn(async move {
        // The peer's address is the caller's `sourceIp`, as API Gateway
        // reports it (IP allow lists).
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| e.to_string())
    });
    Ok(Running {
        addr,
        base_url: app_base,
        task,
    })
}

/// `/device` (the verification URI of logins started before the
/// dashboard): the dashboard's device page under the same stage, with the
/// same query.
fn device_moved(prefix: String) -> axum::routing::MethodRouter {
    get(move |uri: axum::http::Uri| async move {
        let query = uri.query().map(|q| format!("?{q}")).unwrap_or_default();
        axum::response::Redirect::to(&format!("{prefix}/dashboard/device{query}"))
    })
}

fn print_welcome(base: &str, options: &Options, dev_issuer: bool) {
    let data = options.data_dir.display();
    eprintln!();
    eprintln!("Welcome! The whole API runs here, with its data in {data}.");
    if dev_issuer {
        eprintln!("Get a credential (a JWT from the built-in development issuer):");
        eprintln!(
            "  JWT=$(cargo run -q --release -p akua-local -- mint-jwt --sub usr_me --data-dir {data})"
        );
        eprintln!("  curl -s -X POST {base}/v1/workspaces -H \"Authorization: Bearer $JWT\" \\");
        eprintln!("       -H 'Content-Type: application/json' -d '{{\"name\":\"My workspace\"}}'");
    } else {
        eprintln!(
            "JWTs from the configured issuer ({}) are accepted.",
            std::env::var("AKUA_JWT_ISSUER").unwrap_or_default()
        );
    }
    eprintln!(
        "Or sign in to the dashboard at {base}/dashboard (as {} or any user id), and log in with the CLI: cnap auth login (approve in the dashboard).",
        options.dev_user
    );
    eprintln!();
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
