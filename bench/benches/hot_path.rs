//! The pieces of one authorizer decision (DESIGN §5), each timed alone:
//!
//! - `credential`: header parse with shape and checksum, SHA-256 of a token;
//! - `decision`: the whole decision against the in-memory store double, per
//!   credential kind (the store call itself is a `HashMap` lookup here);
//! - `jwt`: RS256 and ES256 verification with a warm JWKS cache;
//! - `authorizer`: `akua_authorizer::handle` on a REST `REQUEST` event,
//!   response built and serialised; and the two ways of reading the event
//!   (typed REST event vs. a lookup of the two headers), to show where the
//!   time of `handle` goes.
//!
//! `cargo bench -p akua-bench --bench hot_path` (see BENCHMARKS.md).

mod support;

use std::hint::black_box;
use std::time::Duration;

use akua_core::{Authorizer, Credential, CredentialHash, Decision, Jwt};
use akua_testkit::TestIssuer;
use akua_testkit::issuer::Algorithm;
use aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use serde_json::Value;

use support::{NOW, WORKSPACE, runtime, seeded_store, time_async};

/// The REST `REQUEST` authorizer event of the authorizer's own tests.
const REST_EVENT: &str =
    include_str!("../../functions/authorizer/tests/fixtures/rest-request-authorizer.json");

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A token of the right shape whose last character is changed: fails its
/// checksum.
fn corrupted(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] = if bytes[last] == b'a' { b'b' } else { b'a' };
    String::from_utf8(bytes).unwrap()
}

fn credential(c: &mut Criterion) {
    let (_, seeded) = seeded_store();
    let api = bearer(&seeded.api_token);
    let session = bearer(&seeded.session);
    let bad_checksum = bearer(&corrupted(&seeded.api_token));
    let mut g = c.benchmark_group("credential");
    g.bench_function("parse_api_token", |b| {
        b.iter(|| Credential::from_authorization_header(black_box(&api)))
    });
    g.bench_function("parse_session", |b| {
        b.iter(|| Credential::from_authorization_header(black_box(&session)))
    });
    g.bench_function("parse_bad_checksum", |b| {
        b.iter(|| Credential::from_authorization_header(black_box(&bad_checksum)))
    });
    g.bench_function("parse_malformed", |b| {
        b.iter(|| Credential::from_authorization_header(black_box("Bearer not-a-token")))
    });
    g.bench_function("sha256_api_token", |b| {
        b.iter(|| CredentialHash::of(black_box(&seeded.api_token)))
    });
    g.bench_function("sha256_hex_key", |b| {
        let hash = CredentialHash::of(&seeded.api_token);
        b.iter(|| black_box(&hash).to_hex())
    });
    g.finish();
}

fn decision(c: &mut Criterion) {
    let rt = runtime();
    let (store, seeded) = seeded_store();
    let authorizer = Authorizer::new(store, None);
    let authorizer = &authorizer;
    let cases: [(&str, String, Option<&str>); 6] = [
        ("malformed", "Bearer not-a-token".to_owned(), None),
        ("bad_checksum", bearer(&corrupted(&seeded.api_token)), None),
        ("api_token", bearer(&seeded.api_token), None),
        (
            "api_token_with_own_context",
            bearer(&seeded.api_token),
            Some(WORKSPACE),
        ),
        ("session", bearer(&seeded.session), None),
        (
            "session_with_context_membership",
            bearer(&seeded.session),
            Some(WORKSPACE),
        ),
    ];
    let mut g = c.benchmark_group("decision");
    for (name, header, context) in &cases {
        let header = header.as_str();
        let context = *context;
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                time_async(&rt, iters, move || async move {
                    authorizer.decide(Some(header), context, NOW).await
                })
            })
        });
    }
    g.finish();
}

fn jwt(c: &mut Criterion) {
    let rt = runtime();
    let now = akua_core::clock::now();
    let issuer = rt.block_on(TestIssuer::start());
    let claims = TestIssuer::claims("usr_bench", now);
    let rs256 = Jwt::parse(&TestIssuer::sign("rsa-1", Algorithm::RS256, &claims)).unwrap();
    let es256 = Jwt::parse(&TestIssuer::sign("ec-1", Algorithm::ES256, &claims)).unwrap();
    // Two verifiers of the same issuer: one called directly, one inside an
    // authorizer. Each fetches the JWKS once, here; every verification
    // measured below uses the cache.
    let warm = || {
        let verifier =
            akua_edge::fetch::jwt_verifier(issuer.config(Duration::from_secs(30))).unwrap();
        rt.block_on(async {
            verifier.verify(&rs256, now).await.unwrap();
            verifier.verify(&es256, now).await.unwrap();
        });
        verifier
    };
    let verifier = warm();
    let (store, _) = seeded_store();
    let authorizer = Authorizer::new(store, Some(warm()));
    let fetches = issuer.fetches();

    let mut g = c.benchmark_group("jwt");
    for (name, jwt) in [("verify_rs256", &rs256), ("verify_es256", &es256)] {
        let verifier = &verifier;
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                time_async(&rt, iters, move || async move {
                    verifier.verify(jwt, now).await
                })
            })
        });
    }
    for (name, jwt) in [("decision_rs256", &rs256), ("decision_es256", &es256)] {
        let header = bearer(jwt.expose());
        let header = header.as_str();
        let authorizer = &authorizer;
        let allowed = rt.block_on(authorizer.decide(Some(header), None, now));
        assert!(matches!(allowed, Ok(Decision::Allow(_))), "{allowed:?}");
        g.bench_function(name, |b| {
            b.iter_custom(|iters| {
                time_async(&rt, iters, move || async move {
                    authorizer.decide(Some(header), None, now).await
                })
            })
        });
    }
    g.finish();
    assert_eq!(issuer.fetches(), fetches, "the JWKS was fetched again");
}

/// The REST event with `headers` (and their multi-value twins) added.
fn rest_event(headers: &[(&str, &str)]) -> Value {
    let mut event: Value = serde_json::from_str(REST_EVENT).unwrap();
    for (name, value) in headers {
        event["headers"][*name] = Value::from(*value);
        event["multiValueHeaders"][*name] = Value::from(vec![*value]);
    }
    event
}

fn authorizer(c: &mut Criterion) {
    let rt = runtime();
    let (store, seeded) = seeded_store();
    let authorizer = Authorizer::new(store, None);
    let authorizer = &authorizer;
    let allow = rest_event(&[("Authorization", &bearer(&seeded.api_token))]);
    let unauthorized = rest_event(&[("Authorization", &bearer(&corrupted(&seeded.api_token)))]);
    let allow_bytes = serde_json::to_vec(&allow).unwrap();
    let first = rt.block_on(akua_authorizer::handle(authorizer, allow.clone(), NOW));
    assert_eq!(
        first.unwrap()["policyDocument"]["Statement"][0]["Effect"],
        "Allow"
    );

    // `handle` takes the event by value: clone a batch outside the timed
    // loop, then time the batch.
    const BATCH: u64 = 256;
    let timed = |event: &Value, iters: u64| {
        let mut total = Duration::ZERO;
        let mut left = iters;
        while left > 0 {
            let n = left.min(BATCH);
            let mut events: Vec<Value> = (0..n).map(|_| event.clone()).collect();
            total += time_async(&rt, n, || {
                let event = events.pop().unwrap();
                async move { akua_authorizer::handle(authorizer, event, NOW).await }
            });
            left -= n;
        }
        total
    };
    let mut g = c.benchmark_group("authorizer");
    g.bench_function("rest_allow_api_token", |b| {
        b.iter_custom(|iters| timed(&allow, iters))
    });
    g.bench_function("rest_unauthorized_bad_checksum", |b| {
        b.iter_custom(|iters| timed(&unauthorized, iters))
    });
    // What the runtime adds around `handle`: the event parsed from bytes,
    // the response written back to bytes.
    g.bench_function("rest_allow_api_token_bytes_in_out", |b| {
        let bytes = allow_bytes.as_slice();
        b.iter_custom(|iters| {
            time_async(&rt, iters, || async move {
                let event: Value = serde_json::from_slice(bytes).unwrap();
                let response = akua_authorizer::handle(authorizer, event, NOW).await;
                serde_json::to_vec(&response.unwrap()).unwrap()
            })
        })
    });
    // Where the time of `handle` goes: the event turned into the typed
    // REST event (every header, the request context...), against a lookup
    // of the two headers the decision needs straight in the JSON value.
    let typed = serde_json::to_value(&allow).unwrap();
    g.bench_function("event_to_typed_rest_request", |b| {
        b.iter_batched(
            || typed.clone(),
            |event| {
                serde_json::from_value::<ApiGatewayCustomAuthorizerRequestTypeRequest>(event)
                    .unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("event_two_header_lookup", |b| {
        b.iter(|| {
            let headers = black_box(&typed)["headers"].as_object().unwrap();
            let find = |name: &str| {
                headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .and_then(|(_, v)| v.as_str())
            };
            (find("authorization"), find("akua-context"))
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = credential, decision, jwt, authorizer
}
criterion_main!(benches);
