//! Our JWT verifier against `aws-jwt-verify` (the AWS-maintained Node.js
//! verifier used in Node authorizers), on the same tokens and JWKS, in the
//! same run, one core each: the Rust loop runs on this thread, the Node loop
//! in a child process afterwards (never both at once).
//!
//! Neither side touches the network while timed: ours fetched the JWKS once
//! from the test issuer on loopback before timing; `aws-jwt-verify` gets the
//! same JWKS document through `cacheJwks`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use akua_core::Jwt;
use akua_core::jwt::JwtVerifier;
use akua_testkit::TestIssuer;
use akua_testkit::issuer::{AUDIENCE, Algorithm, ISSUER};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::targets::Targets;

/// Tokens per algorithm, each with its own `sub`, verified round-robin.
const TOKENS: usize = 100;

pub struct Timing {
    pub seconds: f64,
    pub warmup_seconds: f64,
}

#[derive(Deserialize)]
struct NodeReport {
    node: String,
    aws_jwt_verify: String,
    results: std::collections::BTreeMap<String, NodeRates>,
}

#[derive(Deserialize)]
struct NodeRates {
    verify_per_sec: f64,
    verify_sync_per_sec: f64,
}

/// Verifications per second of `tokens`, one at a time on this thread.
async fn rust_rate(verifier: &JwtVerifier, tokens: &[Jwt], now: i64, seconds: f64) -> f64 {
    const CHUNK: usize = 64;
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut count = 0usize;
    while start.elapsed() < budget {
        for _ in 0..CHUNK {
            let token = &tokens[count % tokens.len()];
            let verified = verifier.verify(token, now).await;
            assert!(verified.is_ok(), "a benchmark token failed: {verified:?}");
            count += 1;
        }
    }
    count as f64 / start.elapsed().as_secs_f64()
}

/// Installs the Node dependencies from the lock file when they are missing.
fn ensure_node_modules(dir: &Path) -> Result<(), String> {
    if dir
        .join("node_modules/aws-jwt-verify/package.json")
        .exists()
    {
        return Ok(());
    }
    println!("installing aws-jwt-verify: npm ci in {}", dir.display());
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .status()
        .map_err(|e| format!("npm: {e}"))?;
    status
        .success()
        .then_some(())
        .ok_or_else(|| format!("npm ci failed: {status}"))
}

fn run_node(dir: &Path, input: &Path) -> Result<NodeReport, String> {
    ensure_node_modules(dir)?;
    let out = Command::new("node")
        .arg(dir.join("verify.js"))
        .arg(input)
        .output()
        .map_err(|e| format!("node: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "node exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("node output: {e}"))
}

/// The comparison; checks the ≥ 2× target per algorithm.
pub async fn run(node_dir: &Path, timing: &Timing, targets: &mut Targets) {
    let name = |alg: &str| format!("JWT {alg} verify (cached JWKS) vs aws-jwt-verify");
    let fail = |targets: &mut Targets, why: String| {
        for alg in ["RS256", "ES256"] {
            targets.not_measured(name(alg), why.clone(), "≥ 2×");
        }
    };
    let issuer = TestIssuer::start().await;
    let jwks: Value = match fetch_jwks(&issuer.jwks_url).await {
        Ok(v) => v,
        Err(e) => return fail(targets, e),
    };
    let now = akua_core::clock::now();
    let sign = |kid: &str, alg| -> Vec<String> {
        (0..TOKENS)
            .map(|i| TestIssuer::sign(kid, alg, &TestIssuer::claims(&format!("usr_{i}"), now)))
            .collect()
    };
    let sets = [
        ("RS256", sign("rsa-1", Algorithm::RS256)),
        ("ES256", sign("ec-1", Algorithm::ES256)),
    ];

    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return fail(targets, format!("temp dir: {e}")),
    };
    let input: PathBuf = dir.path().join("jwt-bench.json");
    let tokens: serde_json::Map<String, Value> = sets
        .iter()
        .map(|(alg, t)| ((*alg).to_owned(), json!(t)))
        .collect();
    let document = json!({
        "issuer": ISSUER,
        "audience": AUDIENCE,
        "jwks_uri": issuer.jwks_url,
        "jwks": jwks,
        "tokens": tokens,
        "seconds": timing.seconds,
        "warmup_seconds": timing.warmup_seconds,
    });
    if let Err(e) = std::fs::write(&input, document.to_string()) {
        return fail(targets, format!("write tokens: {e}"));
    }

    // Ours first, then Node's: never at the same time.
    let verifier = match JwtVerifier::new(issuer.config(Duration::from_secs(30))) {
        Ok(v) => v,
        Err(e) => return fail(targets, e.to_string()),
    };
    let mut ours = Vec::new();
    for (alg, tokens) in &sets {
        let tokens: Vec<Jwt> = tokens
            .iter()
            .map(|t| Jwt::parse(t).expect("JWT shape"))
            .collect();
        rust_rate(&verifier, &tokens, now, timing.warmup_seconds).await;
        ours.push((
            *alg,
            rust_rate(&verifier, &tokens, now, timing.seconds).await,
        ));
    }
    let node = match run_node(node_dir, &input) {
        Ok(r) => r,
        Err(e) => return fail(targets, e),
    };

    println!(
        "\n== JWT verification, cached JWKS, {TOKENS} tokens per algorithm, {} s per measurement, one core ==",
        timing.seconds
    );
    println!(
        "aws-jwt-verify {} on Node {}; ours: akua_core::jwt (jsonwebtoken + aws-lc-rs)",
        node.aws_jwt_verify, node.node
    );
    println!(
        "{:<7} {:>14} {:>22} {:>22} {:>8}",
        "alg", "ours /s", "aws-jwt-verify async /s", "aws-jwt-verify sync /s", "ratio"
    );
    for (alg, rate) in ours {
        let Some(theirs) = node.results.get(alg) else {
            targets.not_measured(name(alg), "no Node result", "≥ 2×");
            continue;
        };
        // Against the faster of the two Node modes.
        let best = theirs.verify_per_sec.max(theirs.verify_sync_per_sec);
        let ratio = rate / best;
        println!(
            "{alg:<7} {rate:>14.0} {:>22.0} {:>22.0} {:>7.2}×",
            theirs.verify_per_sec, theirs.verify_sync_per_sec, ratio
        );
        targets.check(
            name(alg),
            ratio >= 2.0,
            format!("{ratio:.2}× ({rate:.0}/s vs {best:.0}/s, the faster Node mode)"),
            "≥ 2×",
        );
    }
}

async fn fetch_jwks(url: &str) -> Result<Value, String> {
    let body = reqwest::get(url)
        .await
        .map_err(|e| format!("JWKS: {e}"))?
        .text()
        .await
        .map_err(|e| format!("JWKS: {e}"))?;
    serde_json::from_str(&body).map_err(|e| format!("JWKS: {e}"))
}
