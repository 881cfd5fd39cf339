//! Authorizer decisions against the embedded engine, per credential kind:
//! latency percentiles, and DynamoDB reads and writes counted at the SDK
//! client. `now` advances through the run as it would in production (N
//! requests spread over a simulated span), so the throttled writes of
//! DESIGN §5 happen as they would.
//!
//! Also here: the decision against the in-memory double, which isolates
//! what a decision costs beyond its store call.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use akua_core::decision::SESSION_LIFETIME_SECS;
use akua_core::issue::{self, NewApiToken, NewMultiToken};
use akua_core::ports::WorkspaceStore as _;
use akua_core::records::Creator;
use akua_core::records::Membership;
use akua_core::{
    ApiToken, Authorizer, Credential, CredentialKind, Decision, Role, SessionToken, TokenName,
    TokenRole, UserId, WorkspaceId,
};
use akua_store::keys::{self, Item};
use akua_store::{DynamoStore, table};
use akua_testkit::issuer::Algorithm;
use akua_testkit::{Engine, MemoryStore, TestIssuer, WriteUnits, records};

use crate::requests::{corrupted, rest_event};
use crate::stats::{Latencies, fmt_duration, per};
use crate::targets::Targets;

const WORKSPACE: &str = "ws_bench";
const MEMBER: &str = "usr_member";

/// How big the runs are.
pub struct Sizes {
    /// Requests per credential kind.
    pub requests: usize,
    /// Distinct credentials in the "many" runs.
    pub distinct: usize,
    /// Decisions per kind against the in-memory double.
    pub memory_iterations: u64,
}

/// One request: the header values and which credential it carries.
struct Request {
    authorization: String,
    context: Option<String>,
    credential: usize,
}

/// What a run of requests did.
struct Run {
    label: String,
    requests: u64,
    span_secs: i64,
    latencies: Latencies,
    /// The engine's raw `GetItem` of the same item, timed just before each
    /// decision (hot runs only): the store call's own share of the latency.
    raw_get: Option<Latencies>,
    reads: u64,
    writes: u64,
    /// Write units the writes consumed, base table and each index apart.
    write_units: WriteUnits,
    allowed: u64,
    /// Writes that extended a session's expiry (they also record the use).
    extensions: u64,
    /// Largest number of writes one credential received, extensions
    /// included.
    max_writes_per_credential: u64,
    /// Smallest interval between a write made only to record a use and the
    /// same credential's previous write (DESIGN §5: ≥ 60 s).
    min_use_gap: Option<i64>,
    /// Smallest interval between two extensions of one session (≥ 1 h).
    min_extension_gap: Option<i64>,
}

fn gap(s: Option<i64>) -> String {
    s.map_or("—".into(), |g| format!("{g} s"))
}

impl Run {
    fn print_header() {
        println!(
            "{:<44} {:>7} {:>10} {:>10} {:>10} {:>11} {:>11} {:>8}",
            "run", "n", "p50", "p99", "p99.9", "reads/10k", "writes/10k", "allowed"
        );
    }

    fn print(&self) {
        println!(
            "{:<44} {:>7} {:>10} {:>10} {:>10} {:>11.1} {:>11.1} {:>8}",
            self.label,
            self.requests,
            fmt_duration(self.latencies.p50()),
            fmt_duration(self.latencies.p99()),
            fmt_duration(self.latencies.p999()),
            per(self.reads, self.requests, 10_000),
            per(self.writes, self.requests, 10_000),
            self.allowed,
        );
    }

    /// The most writes an interval-`interval` throttle allows one credential
    /// over this run's span: one at the start, then one per full interval.
    fn budget(&self, interval: i64) -> u64 {
        (self.span_secs / interval) as u64 + 1
    }
}

/// Sends `requests` in order, the i-th at `start + i·span/n`, timing each
/// decision and attributing each write to its credential. With `baseline`,
/// a raw `GetItem` of that key is timed before every decision (and left
/// out of the read count).
async fn drive(
    label: impl Into<String>,
    engine: &Engine,
    authorizer: &Authorizer<DynamoStore>,
    requests: &[Request],
    (start, span_secs): (i64, i64),
    baseline: Option<&Item>,
) -> Run {
    let n = requests.len() as i64;
    let mut samples = Vec::with_capacity(requests.len());
    let mut raw_samples = Vec::new();
    let mut allowed = 0;
    let mut last_write: HashMap<usize, i64> = HashMap::new();
    let mut last_extension: HashMap<usize, i64> = HashMap::new();
    let mut writes_per: HashMap<usize, u64> = HashMap::new();
    let (mut min_use_gap, mut min_extension_gap) = (None::<i64>, None::<i64>);
    let mut extensions = 0;
    let shrink = |slot: &mut Option<i64>, g: i64| *slot = Some(slot.map_or(g, |m| m.min(g)));
    engine.calls.reset();
    engine.capacity.reset();
    for (i, request) in requests.iter().enumerate() {
        let now = start + i as i64 * span_secs / n.max(1);
        if let Some(key) = baseline {
            raw_samples.push(time_get_item(engine, key).await);
        }
        let writes_before = engine.calls.writes();
        let began = Instant::now();
        let decision = authorizer
            .decide(
                Some(&request.authorization),
                request.context.as_deref(),
                now,
            )
            .await;
        samples.push(began.elapsed());
        let wrote = engine.calls.writes() > writes_before;
        let principal = match decision {
            Ok(Decision::Allow(p)) => {
                allowed += 1;
                Some(p)
            }
            _ => None,
        };
        if !wrote {
            continue;
        }
        let c = request.credential;
        *writes_per.entry(c).or_default() += 1;
        // An extension sets the expiry to exactly a lifetime from now.
        let extended = principal.as_ref().is_some_and(|p| {
            p.kind() == CredentialKind::Session
                && p.expires_at() == Some(now + SESSION_LIFETIME_SECS)
        });
        if extended {
            extensions += 1;
            if let Some(prev) = last_extension.insert(c, now) {
                shrink(&mut min_extension_gap, now - prev);
            }
        } else if let Some(prev) = last_write.get(&c) {
            shrink(&mut min_use_gap, now - prev);
        }
        last_write.insert(c, now);
    }
    let raw_calls = raw_samples.len() as u64;
    Run {
        label: label.into(),
        requests: requests.len() as u64,
        span_secs,
        latencies: Latencies::new(samples),
        raw_get: (!raw_samples.is_empty()).then(|| Latencies::new(raw_samples)),
        reads: engine.calls.reads() - raw_calls,
        writes: engine.calls.writes(),
        write_units: engine.capacity.writes(),
        allowed,
        extensions,
        max_writes_per_credential: writes_per.values().copied().max().unwrap_or(0),
        min_use_gap,
        min_extension_gap,
    }
}

/// One raw consistent `GetItem` through the engine's client.
async fn time_get_item(engine: &Engine, key: &Item) -> Duration {
    let began = Instant::now();
    engine
        .store
        .client()
        .get_item()
        .table_name(&engine.table)
        .set_key(Some(key.clone()))
        .consistent_read(true)
        .send()
        .await
        .expect("raw GetItem");
    began.elapsed()
}

/// A deterministic, uniform pick of credentials (xorshift64*), so two runs
/// send the same sequence.
struct Picker(u64);

impl Picker {
    fn next(&mut self, bound: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % bound
    }
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn workspace() -> WorkspaceId {
    WorkspaceId::parse(WORKSPACE).expect("workspace id")
}

fn user(id: &str) -> UserId {
    UserId::parse(id).expect("user id")
}

async fn api_tokens(engine: &Engine, count: usize, created_at: i64) -> Vec<String> {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let new = NewApiToken {
            restrictions: Default::default(),
            workspace_id: workspace(),
            name: TokenName::parse("ci").expect("name"),
            role: TokenRole::Member,
            created_by: Some(Creator::User(user(MEMBER))),
            expires_at: None,
        };
        let (token, _) = issue::api_token(&engine.store, new, None, created_at)
            .await
            .expect("create API token");
        out.push(token.expose().to_owned());
    }
    out
}

async fn sessions(engine: &Engine, count: usize, created_at: i64) -> Vec<String> {
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let (token, _) = issue::session(&engine.store, user(MEMBER), created_at)
            .await
            .expect("create session");
        out.push(token.expose().to_owned());
    }
    out
}

/// `n` requests, each with one of `tokens` picked uniformly (in order when
/// there is one token).
fn requests_for(tokens: &[String], n: usize, context: Option<&str>, seed: u64) -> Vec<Request> {
    let mut pick = Picker(seed);
    (0..n)
        .map(|_| {
            let credential = if tokens.len() == 1 {
                0
            } else {
                pick.next(tokens.len())
            };
            Request {
                authorization: bearer(&tokens[credential]),
                context: context.map(str::to_owned),
                credential,
            }
        })
        .collect()
}

/// The decisions against the engine; checks the call-count and write
/// targets. Returns, per kind, the engine-based estimate of the overhead
/// beyond the store call: the hot run's p50 minus the raw `GetItem` p50.
pub async fn engine_runs(sizes: &Sizes, targets: &mut Targets) -> Vec<(&'static str, Duration)> {
    let engine = Engine::start().await;
    let issuer = TestIssuer::start().await;
    let verifier =
        akua_edge::fetch::jwt_verifier(issuer.config(Duration::from_secs(30))).expect("verifier");
    let authorizer = Authorizer::new(engine.store.clone(), Some(verifier));
    let start = akua_core::clock::now();
    let n = sizes.requests;
    const TEN_MINUTES: i64 = 600;

    engine
        .store
        .add_member(
            &Membership {
                workspace_id: workspace(),
                user_id: user(MEMBER),
                role: Role::Member,
                joined_at: start - 86_400,
            },
            &[],
        )
        .await
        .expect("membership");
    let hot_token = api_tokens(&engine, 1, start - 86_400).await;
    let many_tokens = api_tokens(&engine, sizes.distinct, start - 86_400).await;
    // Sessions created yesterday: their first use is due an extension.
    let hot_session = sessions(&engine, 1, start - 86_400).await;
    let many_sessions = sessions(&engine, sizes.distinct, start - 86_400).await;
    let long_session = sessions(&engine, 1, start - 86_400).await;
    let rate_token = api_tokens(&engine, 1, start - 86_400).await;
    let multi_token = {
        let new = NewMultiToken {
            restrictions: Default::default(),
            user_id: user(MEMBER),
            name: TokenName::parse("laptop").expect("name"),
            role: TokenRole::Admin,
            workspace_ids: vec![workspace()],
            expires_at: None,
        };
        let (token, _) = issue::multi_token(&engine.store, new, None, start - 86_400)
            .await
            .expect("create multi-workspace token");
        vec![token.expose().to_owned()]
    };

    // Refused before any read: a mix of shapes that are not tokens, and
    // tokens of the right shape whose checksum fails.
    let junk = [
        "Bearer not-a-token",
        "Basic dXNlcjpwYXNz",
        "Bearer sk_akua_short",
        "Bearer eyJ.not.jwt!",
        "",
    ];
    let malformed: Vec<Request> = (0..n)
        .map(|i| Request {
            authorization: junk[i % junk.len()].to_owned(),
            context: None,
            credential: 0,
        })
        .collect();
    let bad_checksum: Vec<Request> = (0..n)
        .map(|i| Request {
            authorization: bearer(&corrupted(&if i.is_multiple_of(2) {
                ApiToken::generate().expose().to_owned()
            } else {
                SessionToken::generate().expose().to_owned()
            })),
            context: None,
            credential: 0,
        })
        .collect();
    let jwt = |kid: &str, alg| {
        let claims = TestIssuer::claims("usr_jwt", start);
        vec![TestIssuer::sign(kid, alg, &claims)]
    };
    let rs256 = jwt("rsa-1", Algorithm::RS256);
    let es256 = jwt("ec-1", Algorithm::ES256);
    // Warm the JWKS cache (one fetch, not measured).
    let _ = authorizer
        .decide(Some(&bearer(&rs256[0])), None, start)
        .await;

    println!(
        "\n== Decisions against the embedded engine ({n} requests a run, spread over the span shown) =="
    );
    Run::print_header();
    let d = sizes.distinct;
    let runs = [
        (
            "malformed (5 shapes), 10 min".to_owned(),
            malformed,
            TEN_MINUTES,
        ),
        (
            "bad checksum (random), 10 min".to_owned(),
            bad_checksum,
            TEN_MINUTES,
        ),
        (
            "API token, 1 hot, 10 min".to_owned(),
            requests_for(&hot_token, n, None, 1),
            TEN_MINUTES,
        ),
        (
            format!("API token, {d} distinct, 10 min"),
            requests_for(&many_tokens, n, None, 2),
            TEN_MINUTES,
        ),
        (
            "API token, 1 hot, all in 1 s".to_owned(),
            requests_for(&rate_token, n, None, 3),
            1,
        ),
        (
            "session, 1 hot, 10 min".to_owned(),
            requests_for(&hot_session, n, None, 4),
            TEN_MINUTES,
        ),
        (
            format!("session, {d} distinct, 10 min"),
            requests_for(&many_sessions, n, None, 5),
            TEN_MINUTES,
        ),
        (
            "session, 1 hot, 3 h".to_owned(),
            requests_for(&long_session, n, None, 6),
            3 * 3600,
        ),
        (
            "session + Akua-Context (membership), 10 min".to_owned(),
            requests_for(&hot_session, n, Some(WORKSPACE), 7),
            TEN_MINUTES,
        ),
        (
            "multi-workspace token + Akua-Context, 10 min".to_owned(),
            requests_for(&multi_token, n, Some(WORKSPACE), 10),
            TEN_MINUTES,
        ),
        (
            "JWT RS256, cached JWKS, 10 min".to_owned(),
            requests_for(&rs256, n, None, 8),
            TEN_MINUTES,
        ),
        (
            "JWT ES256, cached JWKS, 10 min".to_owned(),
            requests_for(&es256, n, None, 9),
            TEN_MINUTES,
        ),
    ];
    // The hot runs also time the raw GetItem of their item before each
    // decision: the engine-based estimate of the overhead.
    let key_of = |token: &str| {
        let hash = match Credential::from_token(token) {
            Ok(Credential::ApiToken(t)) => t.hash(),
            Ok(Credential::Session(t)) => t.hash(),
            _ => unreachable!("an issued opaque token"),
        };
        keys::credential(&hash)
    };
    let hot_keys = [
        ("API token, 1 hot, 10 min", key_of(&hot_token[0])),
        ("session, 1 hot, 10 min", key_of(&hot_session[0])),
    ];
    let mut done = Vec::new();
    for (label, requests, span) in runs {
        // The membership run reuses the hot session 10 minutes later.
        let offset = if label.starts_with("session + ") {
            TEN_MINUTES
        } else {
            0
        };
        let baseline = hot_keys.iter().find(|(l, _)| *l == label).map(|(_, k)| k);
        let window = (start + offset, span);
        let run = drive(label, &engine, &authorizer, &requests, window, baseline).await;
        run.print();
        done.push(run);
    }
    let by = |prefix: &str| {
        done.iter()
            .find(|r| r.label.starts_with(prefix))
            .expect("run")
    };

    println!("\nWrites (throttled, DESIGN §5; gaps are between writes of one credential):");
    for run in done.iter().filter(|r| r.writes > 0) {
        println!(
            "  {:<44} {:>5} writes over {:>5} s (≤ {} per credential), of which {} session extensions; smallest gap before a use-only write {}, between extensions {}",
            run.label,
            run.writes,
            run.span_secs,
            run.max_writes_per_credential,
            run.extensions,
            gap(run.min_use_gap),
            gap(run.min_extension_gap),
        );
    }
    for run in &done {
        if let Some(raw) = &run.raw_get {
            println!(
                "  {}: raw GetItem of the same item before each decision: p50 {}, p99 {}; decision p50 {}",
                run.label,
                fmt_duration(raw.p50()),
                fmt_duration(raw.p99()),
                fmt_duration(run.latencies.p50()),
            );
        }
    }

    // Write units per 1,000 authorizations (SCALING.md, question 2): the
    // hot path's writes touch no attribute the `lists` index stores.
    println!(
        "\nWrite units per 1,000 authorizations (base table | {} | {}):",
        table::LISTS.name,
        table::BY_EXPIRY.name
    );
    let per_thousand = |units: f64, r: &Run| units * 1000.0 / r.requests as f64;
    for run in done.iter().filter(|r| r.writes > 0) {
        let w = &run.write_units;
        println!(
            "  {:<44} {:>8.2} | {:>8.2} | {:>8.2}",
            run.label,
            per_thousand(w.table, run),
            per_thousand(w.index(table::LISTS.name), run),
            per_thousand(w.index(table::BY_EXPIRY.name), run),
        );
    }
    for prefix in ["API token, 1 hot, 10", "session, 1 hot, 10"] {
        let r = by(prefix);
        let kind = prefix.split(',').next().unwrap_or(prefix);
        let w = &r.write_units;
        targets.check(
            format!("{kind}, 1 hot: `lists` index write units per 1,000 authorizations"),
            w.table > 0.0 && w.index(table::LISTS.name) == 0.0,
            format!(
                "{:.2} (base table {:.2}, {} {:.2})",
                per_thousand(w.index(table::LISTS.name), r),
                per_thousand(w.table, r),
                table::BY_EXPIRY.name,
                per_thousand(w.index(table::BY_EXPIRY.name), r),
            ),
            "0 (keys-only projection)",
        );
    }

    // Targets: store calls.
    for prefix in ["malformed", "bad checksum"] {
        let r = by(prefix);
        targets.check(
            format!("{prefix} token: store calls"),
            r.reads + r.writes == 0 && r.allowed == 0,
            format!("{} calls for {} requests", r.reads + r.writes, r.requests),
            "0",
        );
    }
    for prefix in ["API token, 1 hot, 10", "session, 1 hot, 10"] {
        let r = by(prefix);
        let kind = prefix.split(',').next().unwrap_or(prefix);
        targets.check(
            format!("{kind}: reads per request"),
            r.reads == r.requests && r.allowed == r.requests,
            format!(
                "{:.3} ({} reads, {} requests, {} allowed)",
                r.reads as f64 / r.requests as f64,
                r.reads,
                r.requests,
                r.allowed
            ),
            "exactly 1",
        );
    }
    // A multi-workspace token reads its credential and its owner's
    // membership: exactly two reads (DESIGN §5, SCALING.md).
    let r = by("multi-workspace token");
    targets.check(
        "multi-workspace token + Akua-Context: reads per request",
        r.reads == 2 * r.requests && r.allowed == r.requests,
        format!(
            "{:.3} ({} reads, {} requests, {} allowed; decision p50 {})",
            r.reads as f64 / r.requests as f64,
            r.reads,
            r.requests,
            r.allowed,
            fmt_duration(r.latencies.p50()),
        ),
        "exactly 2",
    );
    // Targets: throttled writes. A write made only to record a use comes
    // at least 60 s after the credential's previous write; a session's
    // extension at most once an hour (it records the use too).
    for prefix in [
        "API token, 1 hot, 10".to_owned(),
        "API token, 1 hot, all".to_owned(),
        format!("API token, {d} distinct"),
        "session, 1 hot, 10".to_owned(),
        "session, 1 hot, 3 h".to_owned(),
        format!("session, {d} distinct"),
    ] {
        let r = by(&prefix);
        let extensions = if r.label.starts_with("session") {
            r.budget(3600)
        } else {
            0
        };
        let budget = r.budget(60) + extensions;
        targets.check(
            format!("{}: ≤ 1 last_used write per credential per 60 s", r.label),
            r.min_use_gap.is_none_or(|g| g >= 60) && r.max_writes_per_credential <= budget,
            format!(
                "{} writes ({} extensions), ≤ {} for one credential, smallest gap {}",
                r.writes,
                r.extensions,
                r.max_writes_per_credential,
                gap(r.min_use_gap)
            ),
            format!("gaps ≥ 60 s, ≤ {budget} per credential"),
        );
    }
    for prefix in ["session, 1 hot, 10", "session, 1 hot, 3 h"] {
        let r = by(prefix);
        let budget = r.budget(3600);
        targets.check(
            format!("{}: ≤ 1 extension write per hour", r.label),
            r.extensions <= budget && r.min_extension_gap.is_none_or(|g| g >= 3600),
            format!(
                "{} extensions over {} s, smallest gap {}",
                r.extensions,
                r.span_secs,
                gap(r.min_extension_gap)
            ),
            format!("≤ {budget}, gaps ≥ 3600 s"),
        );
    }
    let overhead = |prefix: &str| {
        let r = by(prefix);
        let raw = r.raw_get.as_ref().map_or(Duration::ZERO, Latencies::p50);
        r.latencies.p50().saturating_sub(raw)
    };
    vec![
        ("API token", overhead("API token, 1 hot, 10")),
        ("session", overhead("session, 1 hot, 10")),
    ]
}

/// What narrowing costs a decision (docs/DESIGN.md, "Restricted tokens"):
/// the same request (`GET /v1/api_tokens` from `10.1.2.3`) with a token
/// restricted to a permission and an allow list, and with one that is not.
/// Both read the same one item; the difference is the route lookup, the
/// permission check, the address check and the restrictions' parsing into
/// the principal. Means of batches, the best of five rounds each,
/// interleaved so that drift hits both alike.
async fn restricted_overhead(sizes: &Sizes, now: i64, targets: &mut Targets) {
    use akua_core::allow_list::AllowList;
    use akua_core::decision::Request as Decide;
    use akua_core::permission::Permissions;
    use akua_core::restrictions::Restrictions;
    use akua_core::route_map::Target;

    let store = MemoryStore::default();
    let plain = store.insert_api_token(
        records::api_token(WORKSPACE, now - 86_400)
            .name("ci")
            .last_used_at(Some(now)),
    );
    let restricted = store.insert_api_token(
        records::api_token(WORKSPACE, now - 86_400)
            .name("ci")
            .last_used_at(Some(now))
            .restricted(Restrictions {
                permissions: Some(
                    Permissions::parse(["api_tokens:read", "members:read"]).expect("names"),
                ),
                allowed_cidrs: AllowList::parse(["10.0.0.0/8", "192.168.0.0/16", "2001:db8::/32"])
                    .expect("networks"),
            }),
    );
    let authorizer = Authorizer::new(store, None);
    let (plain, restricted) = (bearer(plain.expose()), bearer(restricted.expose()));
    fn request(header: &str) -> Decide<'_> {
        Decide {
            authorization: Some(header),
            akua_context: None,
            target: Some(Target {
                method: "GET",
                template: Some("/v1/api_tokens"),
                path: Some("/v1/api_tokens"),
            }),
            source_ip: Some(std::net::IpAddr::from([10, 1, 2, 3])),
        }
    }
    for header in [&plain, &restricted] {
        let d = authorizer.decide_request(&request(header), now).await;
        assert!(
            matches!(d, Ok(akua_core::Decision::Allow(_))),
            "both are allowed: {d:?}"
        );
    }
    let batch = async |header: &str| {
        let r = request(header);
        let began = Instant::now();
        for _ in 0..sizes.memory_iterations {
            std::hint::black_box(authorizer.decide_request(&r, now).await.ok());
        }
        began.elapsed() / sizes.memory_iterations as u32
    };
    let (mut best_plain, mut best_restricted) = (Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        best_plain = best_plain.min(batch(&plain).await);
        best_restricted = best_restricted.min(batch(&restricted).await);
    }
    let overhead = best_restricted.saturating_sub(best_plain);
    println!(
        "restricted token (2 permissions, 3 networks) vs unrestricted, same request: {} vs {} (+{})",
        fmt_duration(best_restricted),
        fmt_duration(best_plain),
        fmt_duration(overhead)
    );
    targets.check(
        "restricted token: permission and allow-list checks per decision",
        overhead <= Duration::from_nanos(100),
        format!(
            "+{} ({} vs {}, best of 5 batch means, in-memory double)",
            fmt_duration(overhead),
            fmt_duration(best_restricted),
            fmt_duration(best_plain)
        ),
        "≤ 100 ns more",
    );
}

/// The decision against the in-memory double: nothing but the decision's
/// own work (parse, checksum, hash, record checks, principal) plus a
/// `HashMap` lookup. Checks the latency targets; `engine_overhead` (from
/// [`engine_runs`]) is printed beside them for comparison.
pub async fn memory_runs(
    sizes: &Sizes,
    engine_overhead: &[(&str, Duration)],
    targets: &mut Targets,
) {
    let now = akua_core::clock::now();
    let store = MemoryStore::default();
    let api = store.insert_api_token(
        records::api_token(WORKSPACE, now - 86_400)
            .name("ci")
            .role(TokenRole::Member)
            .last_used_at(Some(now)),
    );
    let session = store.insert_session(
        records::session(MEMBER, now - 86_400)
            .expires_at(now + SESSION_LIFETIME_SECS)
            .last_used_at(Some(now)),
    );
    store.insert_member(records::membership(
        WORKSPACE,
        MEMBER,
        Role::Member,
        now - 86_400,
    ));
    let authorizer = Authorizer::new(store, None);
    let cases = [
        ("malformed", "Bearer not-a-token".to_owned(), None, 0),
        ("bad checksum", bearer(&corrupted(api.expose())), None, 0),
        ("API token", bearer(api.expose()), None, 1),
        ("session", bearer(session.expose()), None, 1),
        (
            "session + context",
            bearer(session.expose()),
            Some(WORKSPACE),
            2,
        ),
    ];
    println!(
        "\n== Decisions against the in-memory double ({} each; the store call is a HashMap lookup) ==",
        sizes.memory_iterations
    );
    println!(
        "{:<18} {:>10} {:>10} {:>10} {:>14}",
        "credential", "mean", "p50", "p99", "reads/request"
    );
    for (name, header, context, reads_per) in &cases {
        let context = *context;
        let before = authorizer.store().calls();
        // Batch timing for the mean (no clock read per call), then per-call
        // timing for the percentiles.
        let began = Instant::now();
        for _ in 0..sizes.memory_iterations {
            std::hint::black_box(authorizer.decide(Some(header), context, now).await.ok());
        }
        let mean = began.elapsed() / sizes.memory_iterations as u32;
        let mut samples = Vec::with_capacity(sizes.memory_iterations as usize);
        for _ in 0..sizes.memory_iterations {
            let began = Instant::now();
            std::hint::black_box(authorizer.decide(Some(header), context, now).await.ok());
            samples.push(began.elapsed());
        }
        let l = Latencies::new(samples);
        let calls = authorizer.store().calls() - before;
        let reads = calls.reads as f64 / (2 * sizes.memory_iterations) as f64;
        println!(
            "{:<18} {:>10} {:>10} {:>10} {:>14.3}",
            name,
            fmt_duration(mean),
            fmt_duration(l.p50()),
            fmt_duration(l.p99()),
            reads
        );
        let writes = calls.writes;
        // Judged on the per-call median: the batch mean also counts the
        // time this thread was preempted (two cores, shared with the
        // engine and anything else running).
        let shown = format!(
            "p50 {}, mean {}, p99 {}",
            fmt_duration(l.p50()),
            fmt_duration(mean),
            fmt_duration(l.p99())
        );
        match reads_per {
            0 => targets.check(
                format!("{name} token: decision time"),
                l.p50() <= Duration::from_micros(1),
                shown,
                "≤ 1 µs",
            ),
            1 => {
                let engine = engine_overhead
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, d)| format!("; engine p50 − raw GetItem p50: {}", fmt_duration(*d)))
                    .unwrap_or_default();
                targets.check(
                    format!("{name}: decision overhead beyond the store call"),
                    l.p50() <= Duration::from_micros(5) && writes == 0,
                    format!("{shown} (in-memory double){engine}"),
                    "≤ 5 µs",
                );
            }
            // Two reads (membership): shown for comparison only.
            _ => {}
        }
    }

    restricted_overhead(sizes, now, targets).await;

    // The whole invocation as the Lambda runtime drives it: the event's
    // bytes parsed, `handle` (typed event, decision, policy), the response
    // written back to bytes. Not a DESIGN target; shown because it is what
    // each invocation pays beyond its store call.
    let event = rest_event(&[("Authorization", &bearer(api.expose()))]);
    let bytes = serde_json::to_vec(&event).expect("event bytes");
    let mut samples = Vec::with_capacity(sizes.memory_iterations as usize);
    for _ in 0..sizes.memory_iterations {
        let began = Instant::now();
        let event: serde_json::Value = serde_json::from_slice(&bytes).expect("event");
        let response = akua_authorizer::handle(&authorizer, event, now).await;
        std::hint::black_box(serde_json::to_vec(&response.expect("allow")).expect("bytes"));
        samples.push(began.elapsed());
    }
    let l = Latencies::new(samples);
    println!(
        "authorizer invocation, REST event bytes in → response bytes out (API token): p50 {}, p99 {}",
        fmt_duration(l.p50()),
        fmt_duration(l.p99())
    );
}
