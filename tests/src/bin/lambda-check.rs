//! The functions as Lambda runs them, from SAM's own build: every
//! `bootstrap` under `.aws-sam/build` is an aarch64 ELF executable of at
//! most 8 MiB, and the built authorizer and tokens function, started under
//! a Lambda Runtime API emulator against the embedded engine, answer API
//! Gateway REST events shaped like AWS's samples, stage included.
//!
//! ```text
//! lambda-check .aws-sam/build [--runner "qemu-aarch64 -L /usr/aarch64-linux-gnu"]
//! ```
//!
//! On an x86_64 machine the arm64 binaries run under Debian's
//! `qemu-user` (`qemu-aarch64`), with the aarch64 glibc of
//! `libc6-arm64-cross`, since they link glibc dynamically. Exits non-zero
//! on the first failure.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::Duration;

use akua_core::issue::{self, NewApiToken};
use akua_core::ports::CredentialStore as _;
use akua_core::records::Creator;
use akua_core::{TokenName, TokenRole, UserId, WorkspaceId};
use akua_testkit::Engine;
use akua_testkit::runtime_api::{Outcome, RuntimeApi};
use serde_json::{Value, json};

/// The functions of `template.yaml`, by logical id.
const FUNCTIONS: [&str; 7] = [
    "AuthorizerFunction",
    "TokensFunction",
    "WorkspacesFunction",
    "SessionsFunction",
    "DocsFunction",
    "DashboardFunction",
    "CleanupFunction",
];

/// A Lambda deployment package may be larger; a cold start pays for every
/// byte, so ours stay small (BENCHMARKS.md).
const MAX_BOOTSTRAP_BYTES: u64 = 8 * 1024 * 1024;

const AUTHORIZER_EVENT: &str =
    include_str!("../../../functions/authorizer/tests/fixtures/rest-request-authorizer.json");
const PROXY_EVENT: &str = include_str!("../../fixtures/rest-proxy-api-tokens.json");

/// `e_machine` of a 64-bit ARM ELF file.
const EM_AARCH64: u16 = 183;

/// Checks one `bootstrap`: an ELF64 little-endian executable (or
/// position-independent executable) for aarch64, executable, small.
fn check_binary(path: &Path) -> Result<u64, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let size = bytes.len() as u64;
    let header_ok = bytes.len() > 20
        && bytes[..4] == *b"\x7fELF"
        && bytes[4] == 2 // 64-bit
        && bytes[5] == 1; // little-endian
    if !header_ok {
        return Err(format!(
            "{}: not a 64-bit little-endian ELF file",
            path.display()
        ));
    }
    let e_type = u16::from_le_bytes([bytes[16], bytes[17]]);
    let machine = u16::from_le_bytes([bytes[18], bytes[19]]);
    if machine != EM_AARCH64 || !(e_type == 2 || e_type == 3) {
        return Err(format!(
            "{}: ELF type {e_type}, machine {machine}: not an aarch64 executable",
            path.display()
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| e.to_string())?
            .permissions()
            .mode();
        if mode & 0o111 == 0 {
            return Err(format!("{}: not executable", path.display()));
        }
    }
    if size > MAX_BOOTSTRAP_BYTES {
        return Err(format!("{}: {size} bytes, over 8 MiB", path.display()));
    }
    Ok(size)
}

/// Kills the function process when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `bootstrap` (through `runner`, if any) against `api` and `engine`.
fn start(
    runner: &[String],
    bootstrap: &Path,
    api: &RuntimeApi,
    engine: &Engine,
    name: &str,
) -> Result<Running, String> {
    let (program, args) = match runner.split_first() {
        Some((program, args)) => (
            PathBuf::from(program),
            [args, &[bootstrap.display().to_string()]].concat(),
        ),
        None => (bootstrap.to_owned(), Vec::new()),
    };
    Command::new(&program)
        .args(&args)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", name)
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "lambda-check")
        .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "check")
        .env("AWS_SECRET_ACCESS_KEY", "check")
        .env("AWS_ENDPOINT_URL_DYNAMODB", &engine.endpoint)
        .env("AKUA_TABLE_NAME", &engine.table)
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .map(Running)
        .map_err(|e| format!("{}: {e}", program.display()))
}

/// One invocation's answer, within a generous time (emulated arm64
/// starts take a second or two).
async fn answer(api: &mut RuntimeApi, event: Value) -> Result<Outcome, String> {
    let id = api.invoke(event);
    match api.outcome(Duration::from_secs(60)).await {
        Some(Outcome::InitError(why)) => Err(format!("init error: {why}")),
        Some(outcome @ (Outcome::Response { .. } | Outcome::Error { .. })) => {
            let answered = match &outcome {
                Outcome::Response { id, .. } | Outcome::Error { id, .. } => id.clone(),
                Outcome::InitError(_) => unreachable!(),
            };
            if answered == id {
                Ok(outcome)
            } else {
                Err(format!("answered {answered}, asked {id}"))
            }
        }
        None => Err("no answer within 60 s".into()),
    }
}

fn authorizer_event(token: &str) -> Value {
    let mut event: Value = serde_json::from_str(AUTHORIZER_EVENT).expect("fixture");
    let bearer = format!("Bearer {token}");
    event["headers"]["Authorization"] = json!(bearer);
    event["multiValueHeaders"]["Authorization"] = json!([bearer]);
    event
}

async fn run(build: &Path, runner: &[String]) -> Result<(), String> {
    for function in FUNCTIONS {
        let size = check_binary(&build.join(function).join("bootstrap"))?;
        println!(
            "{function}/bootstrap: aarch64 ELF executable, {size} bytes ({:.1} MiB)",
            size as f64 / 1_048_576.0
        );
    }

    let engine = Engine::start().await;
    let now = akua_core::clock::now();
    let ws = WorkspaceId::parse("ws_lambda").map_err(|e| e.to_string())?;
    let new = |name: &str| NewApiToken {
        restrictions: Default::default(),
        workspace_id: ws.clone(),
        name: TokenName::parse(name).expect("name"),
        role: TokenRole::Admin,
        created_by: Some(Creator::User(UserId::parse("usr_lambda").expect("user"))),
        expires_at: None,
    };
    let (live, _) = issue::api_token(&engine.store, new("live"), None, now)
        .await
        .map_err(|e| e.to_string())?;
    let (revoked, record) = issue::api_token(&engine.store, new("revoked"), None, now)
        .await
        .map_err(|e| e.to_string())?;
    let pointer = engine
        .store
        .pointer(record.id.as_str())
        .await
        .map_err(|e| e.to_string())?
        .ok_or("no pointer")?;
    engine
        .store
        .delete_credential(record.id.as_str(), &pointer, &[])
        .await
        .map_err(|e| e.to_string())?;

    // The authorizer: allow with context, 401 for a revoked token.
    let mut api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
    let authorizer = build.join("AuthorizerFunction/bootstrap");
    let _process = start(runner, &authorizer, &api, &engine, "akua-authorizer")?;
    let allowed = match answer(&mut api, authorizer_event(live.expose())).await? {
        Outcome::Response { body, .. } => body,
        other => return Err(format!("a live token: {other:?}")),
    };
    let statement = &allowed["policyDocument"]["Statement"][0];
    // IAM takes a string or a list of strings for Action and Resource.
    let one = |v: &Value| match v {
        Value::Array(items) if items.len() == 1 => items[0].clone(),
        other => other.clone(),
    };
    let method_arn = authorizer_event(live.expose())["methodArn"].clone();
    let shape_ok = allowed["policyDocument"]["Version"] == "2012-10-17"
        && one(&statement["Action"]) == "execute-api:Invoke"
        && statement["Effect"] == "Allow"
        && one(&statement["Resource"]) == method_arn
        && allowed["principalId"].is_string()
        && allowed["context"]["workspace_id"] == "ws_lambda";
    if !shape_ok {
        return Err(format!(
            "a live token's policy is not API Gateway's shape: {allowed}"
        ));
    }
    println!("AuthorizerFunction: a live token is allowed with its context");
    match answer(&mut api, authorizer_event(revoked.expose())).await? {
        Outcome::Error { error_type, .. } if error_type == "Unauthorized" => {
            println!("AuthorizerFunction: a revoked token is Unauthorized (401)");
        }
        other => return Err(format!("a revoked token: {other:?}")),
    }
    drop(_process);

    // A function behind it: the proxied request, stage in the path, with
    // the context API Gateway passes on.
    let mut api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
    let tokens = build.join("TokensFunction/bootstrap");
    let _process = start(runner, &tokens, &api, &engine, "akua-tokens")?;
    let mut event: Value = serde_json::from_str(PROXY_EVENT).expect("fixture");
    let mut context = allowed["context"].clone();
    context["principalId"] = allowed["principalId"].clone();
    event["requestContext"]["authorizer"] = context;
    let listed = match answer(&mut api, event).await? {
        Outcome::Response { body, .. } => body,
        other => return Err(format!("GET /prod/v1/api_tokens: {other:?}")),
    };
    let page: Value = listed["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    let names: Vec<&str> = page["data"]
        .as_array()
        .map(|rows| rows.iter().filter_map(|r| r["name"].as_str()).collect())
        .unwrap_or_default();
    if listed["statusCode"] != 200 || names != ["live"] {
        return Err(format!("GET /prod/v1/api_tokens answered {listed}"));
    }
    println!("TokensFunction: GET /prod/v1/api_tokens lists the live token only");
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(build) = args.first() else {
        eprintln!(
            "usage: lambda-check BUILD_DIR [--runner \"qemu-aarch64 -L /usr/aarch64-linux-gnu\"]"
        );
        return ExitCode::FAILURE;
    };
    let runner: Vec<String> = args
        .iter()
        .position(|a| a == "--runner")
        .and_then(|i| args.get(i + 1))
        .map(|r| r.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    match run(Path::new(build), &runner).await {
        Ok(()) => {
            println!("lambda-check: ok");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lambda-check: {e}");
            ExitCode::FAILURE
        }
    }
}
