//! Cold start of the release authorizer binary under the local Runtime API
//! emulator, its peak memory, and the size of every function binary.
//!
//! Each start is a fresh process with a fresh emulator: the time from
//! spawning it to its first `next` request is its init phase (config, SDK
//! client, the connection warmed with one `GetItem` against the engine). It
//! then serves a few real REST `REQUEST` events, and its peak resident set
//! (`VmHWM`) is read from `/proc` before it is stopped.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use akua_core::issue::{self, NewApiToken};
use akua_core::ports::WorkspaceStore as _;
use akua_core::records::Membership;
use akua_core::{Role, TokenName, TokenRole, UserId, WorkspaceId};
use akua_testkit::issuer::Algorithm;
use akua_testkit::{Engine, TestIssuer};
use serde_json::Value;

use crate::requests::{corrupted, rest_event};
use crate::stats::{Latencies, fmt_duration, mib};
use crate::targets::Targets;
use akua_testkit::runtime_api::{Outcome, RuntimeApi};

/// Every Lambda function binary of the workspace.
pub const FUNCTIONS: [&str; 6] = [
    "akua-authorizer",
    "akua-tokens",
    "akua-workspaces",
    "akua-sessions",
    "akua-cleanup",
    "akua-docs",
];

/// Targets (DESIGN §5 and the issue); MB = 10^6 bytes.
const COLD_START_BUDGET: Duration = Duration::from_millis(20);
const RSS_BUDGET_BYTES: u64 = 20_000_000;
const SIZE_BUDGET_BYTES: u64 = 8_000_000;

/// One invocation and what it must produce.
struct Invocation {
    what: &'static str,
    event: Value,
    /// `Some("Allow")`/`Some("Deny")`: a policy with that effect; `None`: the
    /// error `Unauthorized`.
    effect: Option<&'static str>,
}

/// What one cold start measured.
struct Start {
    to_first_next: Duration,
    to_first_response: Duration,
    peak_rss_kib: u64,
}

/// Kills the child when dropped, so a failed run leaves nothing behind.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `VmHWM` (peak resident set) of a process, in KiB.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

async fn start_once(
    binary: &Path,
    engine: &Engine,
    issuer: &TestIssuer,
    invocations: &[Invocation],
    log: &Path,
) -> Result<Start, String> {
    let mut api = RuntimeApi::start().await.map_err(|e| e.to_string())?;
    let ids: Vec<String> = invocations
        .iter()
        .map(|inv| api.invoke(inv.event.clone()))
        .collect();
    let log_file = std::fs::File::create(log).map_err(|e| e.to_string())?;
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("AWS_LAMBDA_RUNTIME_API", api.addr.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "akua-authorizer")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/akua-authorizer")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
        .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "bench")
        .env("AWS_SECRET_ACCESS_KEY", "bench")
        .env("AWS_ENDPOINT_URL_DYNAMODB", &engine.endpoint)
        .env("AKUA_TABLE_NAME", &engine.table)
        .env("AKUA_JWT_ISSUER", akua_testkit::issuer::ISSUER)
        .env("AKUA_JWT_AUDIENCE", akua_testkit::issuer::AUDIENCE)
        .env("AKUA_JWKS_URL", &issuer.jwks_url)
        .env("TZ", ":UTC")
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
        .stderr(log_file);
    let spawned_at = Instant::now();
    let child = Running(
        command
            .spawn()
            .map_err(|e| format!("{}: {e}", binary.display()))?,
    );
    let pid = child.0.id();
    let mut first_response = None;
    for (inv, expected_id) in invocations.iter().zip(&ids) {
        let outcome = api
            .outcome(Duration::from_secs(10))
            .await
            .ok_or_else(|| format!("no answer to {} (log: {})", inv.what, log.display()))?;
        let at = match (&outcome, inv.effect) {
            (Outcome::InitError(why), _) => {
                return Err(format!("init error: {why} (log: {})", log.display()));
            }
            (Outcome::Response { id, body, at }, Some(effect))
                if id == expected_id
                    && body["policyDocument"]["Statement"][0]["Effect"] == effect =>
            {
                *at
            }
            (Outcome::Error { id, error_type, at }, None)
                if id == expected_id && error_type == "Unauthorized" =>
            {
                *at
            }
            (other, _) => {
                return Err(format!(
                    "{}: unexpected outcome {other:?} (log: {})",
                    inv.what,
                    log.display()
                ));
            }
        };
        first_response.get_or_insert(at);
    }
    let peak = peak_rss_kib(pid).ok_or("no /proc status")?;
    let first_next = api.first_next().ok_or("no next request")?;
    drop(child);
    Ok(Start {
        to_first_next: first_next.duration_since(spawned_at),
        to_first_response: first_response
            .map(|at| at.duration_since(spawned_at))
            .unwrap_or_default(),
        peak_rss_kib: peak,
    })
}

/// The credentials the invocations carry, created in `engine`.
async fn invocations(engine: &Engine) -> Vec<Invocation> {
    let now = akua_core::clock::now();
    let ws = WorkspaceId::parse("ws_cold").expect("workspace id");
    let user = UserId::parse("usr_cold").expect("user id");
    let new = NewApiToken {
        restrictions: Default::default(),
        workspace_id: ws.clone(),
        name: TokenName::parse("ci").expect("name"),
        role: TokenRole::Member,
        created_by: None,
        expires_at: None,
    };
    let (token, _) = issue::api_token(&engine.store, new, None, now - 60)
        .await
        .expect("API token");
    let (session, _) = issue::session(&engine.store, user.clone(), now - 60)
        .await
        .expect("session");
    engine
        .store
        .add_member(
            &Membership {
                workspace_id: ws.clone(),
                user_id: user,
                role: Role::Admin,
                joined_at: now,
            },
            &[],
        )
        .await
        .expect("membership");
    let jwt = TestIssuer::sign(
        "rsa-1",
        Algorithm::RS256,
        &TestIssuer::claims("usr_cold", now),
    );
    let bearer = |t: &str| format!("Bearer {t}");
    vec![
        Invocation {
            what: "API token",
            event: rest_event(&[("Authorization", &bearer(token.expose()))]),
            effect: Some("Allow"),
        },
        Invocation {
            what: "API token with its own Akua-Context",
            event: rest_event(&[
                ("Authorization", &bearer(token.expose())),
                ("Akua-Context", ws.as_str()),
            ]),
            effect: Some("Allow"),
        },
        Invocation {
            what: "session with Akua-Context",
            event: rest_event(&[
                ("Authorization", &bearer(session.expose())),
                ("Akua-Context", ws.as_str()),
            ]),
            effect: Some("Allow"),
        },
        Invocation {
            what: "JWT RS256 (first use fetches the JWKS)",
            event: rest_event(&[("Authorization", &bearer(&jwt))]),
            effect: Some("Allow"),
        },
        Invocation {
            what: "API token with another workspace",
            event: rest_event(&[
                ("Authorization", &bearer(token.expose())),
                ("Akua-Context", "ws_other"),
            ]),
            effect: Some("Deny"),
        },
        Invocation {
            what: "bad checksum",
            event: rest_event(&[("Authorization", &bearer(&corrupted(token.expose())))]),
            effect: None,
        },
    ]
}

/// Whether an ELF file still has a symbol table (`.symtab`): a cheap check
/// that the release profile's `strip` took effect.
fn has_symbol_table(bytes: &[u8]) -> bool {
    bytes.windows(8).any(|w| w == b".symtab\0")
}

/// Sizes of the function binaries found in `bin_dir`; checks the
/// authorizer's against its budget.
pub fn binary_sizes(bin_dir: &Path, targets: &mut Targets) {
    println!(
        "\n== Release binaries in {} (`strip = \"symbols\"` in the release profile) ==",
        bin_dir.display()
    );
    for name in FUNCTIONS {
        let path = bin_dir.join(name);
        match std::fs::read(&path) {
            Ok(bytes) => {
                let size = bytes.len() as u64;
                let stripped = if has_symbol_table(&bytes) {
                    "NOT stripped"
                } else {
                    "stripped"
                };
                println!(
                    "{name:<16} {size:>10} bytes  {:>6.2} MiB  {stripped}",
                    mib(size)
                );
                if name == "akua-authorizer" {
                    targets.check(
                        "authorizer binary size (stripped)",
                        size <= SIZE_BUDGET_BYTES && stripped == "stripped",
                        format!("{:.2} MB ({stripped})", size as f64 / 1e6),
                        "≤ 8 MB",
                    );
                }
            }
            Err(_) => {
                println!("{name:<16} not built (cargo build --release -p {name})");
                if name == "akua-authorizer" {
                    targets.not_measured(
                        "authorizer binary size (stripped)",
                        format!("{} missing", path.display()),
                        "≤ 8 MB",
                    );
                }
            }
        }
    }
}

/// `runs` cold starts of `bin_dir/akua-authorizer`; checks the cold-start
/// and memory targets.
pub async fn run(bin_dir: &Path, runs: usize, targets: &mut Targets) {
    let binary: PathBuf = bin_dir.join("akua-authorizer");
    println!(
        "\n== Authorizer cold start: {} under the local Runtime API, {runs} fresh processes ==",
        binary.display()
    );
    let goals = ["≤ 20 ms", "≤ 20 MB"];
    let names = [
        "authorizer cold start to first `next` (p50)",
        "authorizer peak RSS after 6 invocations (max)",
    ];
    if !binary.exists() {
        println!("not built: run `cargo build --release -p akua-authorizer` first");
        for (name, goal) in names.iter().zip(goals) {
            targets.not_measured(*name, "authorizer binary not built", goal);
        }
        return;
    }
    let engine = Engine::start().await;
    let issuer = TestIssuer::start().await;
    let invocations = invocations(&engine).await;
    let logs = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            for (name, goal) in names.iter().zip(goals) {
                targets.not_measured(*name, format!("temp dir: {e}"), goal);
            }
            return;
        }
    };
    let mut starts = Vec::new();
    for i in 0..runs {
        let log = logs.path().join(format!("authorizer-{i}.log"));
        match start_once(&binary, &engine, &issuer, &invocations, &log).await {
            Ok(s) => starts.push(s),
            Err(e) => {
                println!("run {i} failed: {e}");
                if let Ok(text) = std::fs::read_to_string(&log) {
                    println!("--- process output ---\n{text}---");
                }
                for (name, goal) in names.iter().zip(goals) {
                    targets.not_measured(*name, "a start failed", goal);
                }
                return;
            }
        }
    }
    let first_next = Latencies::new(starts.iter().map(|s| s.to_first_next).collect());
    let first_response = Latencies::new(starts.iter().map(|s| s.to_first_response).collect());
    let peak = starts.iter().map(|s| s.peak_rss_kib).max().unwrap_or(0);
    println!(
        "process start → first `next`:      min {}  p50 {}  max {}",
        fmt_duration(first_next.min()),
        fmt_duration(first_next.p50()),
        fmt_duration(first_next.max())
    );
    println!(
        "process start → first response:    min {}  p50 {}  max {}",
        fmt_duration(first_response.min()),
        fmt_duration(first_response.p50()),
        fmt_duration(first_response.max())
    );
    println!(
        "peak RSS (VmHWM) after {} invocations: {} KiB ({:.1} MB) at most",
        invocations.len(),
        peak,
        peak as f64 * 1024.0 / 1e6
    );
    for inv in &invocations {
        let answer = inv.effect.unwrap_or("error Unauthorized");
        println!("  invocation: {:<40} → {answer}", inv.what);
    }
    targets.check(
        names[0],
        first_next.p50() <= COLD_START_BUDGET,
        format!(
            "p50 {}, max {}",
            fmt_duration(first_next.p50()),
            fmt_duration(first_next.max())
        ),
        goals[0],
    );
    targets.check(
        names[1],
        peak * 1024 <= RSS_BUDGET_BYTES,
        format!("{:.1} MB", peak as f64 * 1024.0 / 1e6),
        goals[1],
    );
}
