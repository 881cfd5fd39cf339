//! Bounded trust in cached JWKS keys, and the verified-token cache
//! (DESIGN §5): a withdrawn key stops verifying once the set's age is past,
//! a bad fetch never empties the cache, and a repeated token is checked for
//! `exp` and `nbf` exactly as a new one. Time is the decision's `now`.

use std::time::Duration;

use akua_core::Jwt;
use akua_core::jwt::{JwtError, JwtVerifier, MAX_STALE_SECS};
use akua_testkit::TestIssuer;
use akua_testkit::issuer::Algorithm;
use serde_json::json;

const T0: i64 = 1_800_000_000;

fn jwt(kid: &str, alg: Algorithm, sub: &str, now: i64) -> Jwt {
    let token = TestIssuer::sign(kid, alg, &TestIssuer::claims(sub, now));
    Jwt::parse(&token).unwrap()
}

/// A verifier without a refetch cooldown, so each test decides by `now`.
async fn setup(cache_control: Option<&str>) -> (TestIssuer, JwtVerifier) {
    let issuer = TestIssuer::start().await;
    issuer.set_cache_control(cache_control);
    let verifier = akua_edge::fetch::jwt_verifier(issuer.config(Duration::ZERO)).unwrap();
    (issuer, verifier)
}

#[tokio::test]
async fn a_withdrawn_key_stops_verifying_once_the_issuer_s_max_age_is_past() {
    let (issuer, verifier) = setup(Some("public, max-age=120")).await;
    let token = jwt("rsa-1", Algorithm::RS256, "usr_a", T0);
    assert!(verifier.verify(&token, T0).await.is_ok());
    assert_eq!(issuer.fetches(), 1);

    // The issuer withdraws rsa-1. Within the age the set is trusted as is.
    issuer.publish(&["ec-1"]);
    assert!(verifier.verify(&token, T0 + 119).await.is_ok());
    assert_eq!(issuer.fetches(), 1, "no fetch within max-age");
    // Past it, the next JWT refetches and the key is gone at once, for the
    // remembered token too.
    assert_eq!(
        verifier.verify(&token, T0 + 121).await,
        Err(JwtError::Invalid("unknown kid"))
    );
    assert!(issuer.fetches() >= 2);
    let ec = jwt("ec-1", Algorithm::ES256, "usr_a", T0);
    assert!(verifier.verify(&ec, T0 + 122).await.is_ok());
}

#[tokio::test]
async fn without_a_max_age_the_configured_age_applies_within_bounds() {
    let (issuer, verifier) = setup(None).await;
    let token = jwt("rsa-1", Algorithm::RS256, "usr_a", T0);
    verifier.verify(&token, T0).await.unwrap();
    verifier.verify(&token, T0 + 599).await.unwrap();
    assert_eq!(issuer.fetches(), 1, "default age 600 s");
    verifier.verify(&token, T0 + 601).await.unwrap();
    assert_eq!(issuer.fetches(), 2);

    // max-age below the lower bound is raised to 60 s, above it cut to 1 h.
    let (issuer, verifier) = setup(Some("max-age=5")).await;
    verifier.verify(&token, T0).await.unwrap();
    verifier.verify(&token, T0 + 59).await.unwrap();
    assert_eq!(issuer.fetches(), 1);
    let (issuer, verifier) = setup(Some("max-age=999999")).await;
    verifier.verify(&token, T0).await.unwrap();
    verifier.verify(&token, T0 + 3601).await.unwrap();
    assert_eq!(issuer.fetches(), 2, "at most an hour between fetches");
}

#[tokio::test]
async fn a_garbled_fetch_keeps_the_old_keys_up_to_the_hard_limit() {
    let (issuer, verifier) = setup(Some("max-age=60")).await;
    let token = jwt("rsa-1", Algorithm::RS256, "usr_a", T0);
    verifier.verify(&token, T0).await.unwrap();

    issuer.serve_garbage(true);
    let fresh = jwt("rsa-1", Algorithm::RS256, "usr_b", T0 + 100);
    assert!(
        verifier.verify(&fresh, T0 + 100).await.is_ok(),
        "a 200 with a garbled body does not replace good keys"
    );
    assert!(issuer.fetches() >= 2);
    let late = T0 + 60 + MAX_STALE_SECS - 1;
    let token_late = jwt("rsa-1", Algorithm::RS256, "usr_c", late);
    assert!(verifier.verify(&token_late, late).await.is_ok());
    // Past the hard limit: fail closed, not trust forever.
    let after = T0 + 60 + MAX_STALE_SECS + 1;
    let token_after = jwt("rsa-1", Algorithm::RS256, "usr_c", after);
    assert!(matches!(
        verifier.verify(&token_after, after).await,
        Err(JwtError::KeysUnavailable(_))
    ));
    // And back as soon as the issuer is.
    issuer.serve_garbage(false);
    assert!(verifier.verify(&token_after, after + 1).await.is_ok());
}

#[tokio::test]
async fn a_repeated_token_is_remembered_but_exp_and_nbf_still_hold() {
    let (_issuer, verifier) = setup(Some("max-age=3600")).await;
    let mut claims = TestIssuer::claims("usr_a", T0);
    claims["exp"] = json!(T0 + 100);
    let short = Jwt::parse(&TestIssuer::sign("rsa-1", Algorithm::RS256, &claims)).unwrap();
    let first = verifier.verify(&short, T0).await.unwrap();
    assert_eq!(verifier.remembered(), 1);
    assert_eq!(verifier.verify(&short, T0 + 1).await.unwrap(), first);
    assert_eq!(verifier.remembered(), 1, "one entry per token");
    // exp (with the same 60 s of skew) ends a remembered token too.
    assert!(verifier.verify(&short, T0 + 160).await.is_ok());
    assert_eq!(
        verifier.verify(&short, T0 + 161).await,
        Err(JwtError::Invalid("expired"))
    );

    // A token not yet valid is refused and not remembered; valid later.
    let mut claims = TestIssuer::claims("usr_b", T0);
    claims["nbf"] = json!(T0 + 500);
    let later = Jwt::parse(&TestIssuer::sign("rsa-1", Algorithm::RS256, &claims)).unwrap();
    assert_eq!(
        verifier.verify(&later, T0).await,
        Err(JwtError::Invalid("not yet valid"))
    );
    assert!(verifier.verify(&later, T0 + 500).await.is_ok());

    // A bad signature is never remembered as good.
    let token = TestIssuer::sign("rsa-1", Algorithm::RS256, &TestIssuer::claims("usr_c", T0));
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[2] = parts[2].chars().rev().collect();
    let forged = Jwt::parse(&parts.join(".")).unwrap();
    for _ in 0..2 {
        assert!(verifier.verify(&forged, T0).await.is_err());
    }
}

#[tokio::test]
async fn what_one_verifier_remembers_does_not_cross_to_another_issuer() {
    let (issuer, verifier) = setup(None).await;
    let token = jwt("rsa-1", Algorithm::RS256, "usr_a", T0);
    verifier.verify(&token, T0).await.unwrap();
    let mut other = issuer.config(Duration::ZERO);
    other.issuer = "https://another.issuer".into();
    let other = akua_edge::fetch::jwt_verifier(other).unwrap();
    assert_eq!(
        other.verify(&token, T0).await,
        Err(JwtError::Invalid("wrong issuer"))
    );
}
