//! Our JWT verifier against `aws-jwt-verify` (the AWS-maintained Node.js
//! verifier used in Node authorizers), on the same tokens and JWKS, in the
//! same run, one core each: the Rust loop runs on this thread, the Node loop
//! in a child process afterwards (never both at once).
//!
//! Ours is measured three ways, side by side: first sight (the verified-token
//! cache turned off, so every call checks the signature), a repeated token
//! (the cache on, as in the authorizer), and the raw signature check of the
//! library it uses (`jsonwebtoken::crypto::verify` over aws-lc-rs), the
//! floor any verifier of a new token pays.
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

/// Raw signature checks per second: the signing input and signature of
/// each token against the decoding key, nothing else.
fn raw_rate(
    tokens: &[String],
    key: &jsonwebtoken::DecodingKey,
    alg: Algorithm,
    seconds: f64,
) -> f64 {
    let split: Vec<(String, String)> = tokens
        .iter()
        .map(|t| {
            let (input, signature) = t.rsplit_once('.').expect("JWT shape");
            (input.to_owned(), signature.to_owned())
        })
        .collect();
    let budget = Duration::from_secs_f64(seconds);
    let start = Instant::now();
    let mut count = 0usize;
    while start.elapsed() < budget {
        for _ in 0..64 {
            let (input, signature) = &split[count % split.len()];
            let ok = jsonwebtoken::crypto::verify(signature, input.as_bytes(), key, alg);
            assert!(matches!(ok, Ok(true)), "a benchmark signature failed");
            count += 1;
        }
    }
    count as f64 / start.elapsed().as_secs_f64()
}

/// The decoding key of `kid` as the JWKS publishes it.
fn decoding_key(jwks: &Value, kid: &str) -> Option<jsonwebtoken::DecodingKey> {
    let set: jsonwebtoken::jwk::JwkSet = serde_json::from_value(jwks.clone()).ok()?;
    jsonwebtoken::DecodingKey::from_jwk(set.find(kid)?).ok()
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
/// Our three rates for one algorithm.
struct Ours {
    alg: &'static str,
    first_sight: f64,
    repeat: f64,
    raw: f64,
}

/// The comparison; checks the targets of DESIGN §5 per algorithm.
pub async fn run(node_dir: &Path, timing: &Timing, targets: &mut Targets) {
    const ROWS: [(&str, &str); 3] = [
        ("repeat token vs aws-jwt-verify", "≥ 20×"),
        ("first sight vs aws-jwt-verify", "> 1×"),
        ("first sight vs raw signature check", "≤ 1.25× its time"),
    ];
    let name = |alg: &str, row: &str| format!("JWT {alg} {row}");
    let fail = |targets: &mut Targets, why: String| {
        for alg in ["RS256", "ES256"] {
            for (row, target) in ROWS {
                targets.not_measured(name(alg, row), why.clone(), target);
            }
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
        (
            "RS256",
            "rsa-1",
            Algorithm::RS256,
            sign("rsa-1", Algorithm::RS256),
        ),
        (
            "ES256",
            "ec-1",
            Algorithm::ES256,
            sign("ec-1", Algorithm::ES256),
        ),
    ];

    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return fail(targets, format!("temp dir: {e}")),
    };
    let input: PathBuf = dir.path().join("jwt-bench.json");
    let tokens: serde_json::Map<String, Value> = sets
        .iter()
        .map(|(alg, _, _, t)| ((*alg).to_owned(), json!(t)))
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
    let mut uncached = issuer.config(Duration::from_secs(30));
    uncached.token_cache_entries = 0;
    let (first_sight, repeat) = match (
        akua_edge::fetch::jwt_verifier(uncached),
        akua_edge::fetch::jwt_verifier(issuer.config(Duration::from_secs(30))),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return fail(targets, e.to_string()),
    };
    let mut ours = Vec::new();
    for (alg, kid, algorithm, raw_tokens) in &sets {
        let tokens: Vec<Jwt> = raw_tokens
            .iter()
            .map(|t| Jwt::parse(t).expect("JWT shape"))
            .collect();
        let Some(key) = decoding_key(&jwks, kid) else {
            return fail(targets, format!("no {kid} in the JWKS"));
        };
        rust_rate(&first_sight, &tokens, now, timing.warmup_seconds).await;
        let first = rust_rate(&first_sight, &tokens, now, timing.seconds).await;
        rust_rate(&repeat, &tokens, now, timing.warmup_seconds).await;
        let again = rust_rate(&repeat, &tokens, now, timing.seconds).await;
        raw_rate(raw_tokens, &key, *algorithm, timing.warmup_seconds);
        let raw = raw_rate(raw_tokens, &key, *algorithm, timing.seconds);
        ours.push(Ours {
            alg,
            first_sight: first,
            repeat: again,
            raw,
        });
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
        "{:<7} {:>14} {:>14} {:>14} {:>16} {:>16}",
        "alg",
        "ours first /s",
        "ours repeat /s",
        "raw sig /s",
        "aws-jwt async /s",
        "aws-jwt sync /s"
    );
    for o in ours {
        let Some(theirs) = node.results.get(o.alg) else {
            for (row, target) in ROWS {
                targets.not_measured(name(o.alg, row), "no Node result", target);
            }
            continue;
        };
        println!(
            "{:<7} {:>14.0} {:>14.0} {:>14.0} {:>16.0} {:>16.0}",
            o.alg,
            o.first_sight,
            o.repeat,
            o.raw,
            theirs.verify_per_sec,
            theirs.verify_sync_per_sec
        );
        // Against the faster of the two Node modes.
        let best = theirs.verify_per_sec.max(theirs.verify_sync_per_sec);
        let repeat = o.repeat / best;
        targets.check(
            name(o.alg, ROWS[0].0),
            repeat >= 20.0,
            format!("{repeat:.1}× ({:.0}/s vs {best:.0}/s)", o.repeat),
            ROWS[0].1,
        );
        let first = o.first_sight / best;
        targets.check(
            name(o.alg, ROWS[1].0),
            first > 1.0,
            format!("{first:.2}× ({:.0}/s vs {best:.0}/s)", o.first_sight),
            ROWS[1].1,
        );
        let overhead = o.raw / o.first_sight;
        targets.check(
            name(o.alg, ROWS[2].0),
            overhead <= 1.25,
            format!(
                "{overhead:.2}× the raw check's time ({:.0}/s vs {:.0}/s raw)",
                o.first_sight, o.raw
            ),
            ROWS[2].1,
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
