//! OAuth2 JWT verification (DESIGN §5) against the issuer's JWKS.
//!
//! - Algorithms are pinned by configuration (default RS256 and ES256), and
//!   only asymmetric ones can be pinned: `alg: none` does not parse, and an
//!   HMAC token "signed" with a public key is refused before any crypto.
//! - `iss`, `aud`, `exp` and `sub` are required; `nbf` is honoured; both time
//!   checks allow 60 s of clock skew and use the caller's `now`, so the whole
//!   decision runs on one clock.
//! - The JWKS comes through a [`KeySource`] (the edge fetches it, with a
//!   1.5 s timeout) and is cached by the rules of [`crate::published_keys`]:
//!   the response's `Cache-Control: max-age` within 60 s – 1 h, else
//!   `AKUA_JWKS_MAX_AGE_SECS` (default 600 s). Past it, the next JWT
//!   refetches, and a key missing from the fresh set stops verifying at
//!   once. It is also refetched when a token names an unknown `kid`.
//!   Fetches happen at most once per cooldown (30 s), so a flood of
//!   invented `kid`s cannot turn into a flood of fetches.
//! - A failed or unreadable fetch never empties the cache: the previous keys
//!   keep verifying for at most [`MAX_STALE_SECS`] past their age, then JWTs
//!   fail closed (the authorizer answers 503) until the issuer answers again.
//! - Each key is parsed once, when fetched. A verified token is remembered
//!   (by its SHA-256, at most [`TOKEN_CACHE_ENTRIES`] entries) until its `exp`
//!   or its key set's refresh, whichever is first: a repeated JWT skips the
//!   signature check, with `exp` and `nbf` checked on every use.
//! - Symmetric (`oct`) keys in a remote JWKS are ignored: a public document
//!   cannot hold a shared secret.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey, Validation};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use url::{Host, Url};

use crate::credential::Jwt;
use crate::ids::UserId;
use crate::published_keys::{Freshness, KeyCache, KeySet, KeySource, KeysUnavailable};

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: i64 = 60;
/// Minimum time between two JWKS fetches.
pub const DEFAULT_REFETCH_COOLDOWN: Duration = Duration::from_secs(30);
/// The key set's age when the issuer does not say (`AKUA_JWKS_MAX_AGE_SECS`).
pub const DEFAULT_JWKS_MAX_AGE_SECS: i64 = 600;
/// Bounds on an issuer's `Cache-Control: max-age`: never refetched more
/// often than a minute, and a withdrawn key is dropped within an hour.
pub const JWKS_MAX_AGE_BOUNDS: (i64, i64) = (60, 3600);
/// How long past their age the keys of the last good fetch keep verifying
/// while the issuer cannot be fetched (or answers garbage). After that, JWTs
/// fail closed: trusting keys the issuer may have withdrawn is bounded.
pub const MAX_STALE_SECS: i64 = 3600;
/// Verified tokens remembered per process. An entry is at most ~360 bytes
/// (32-byte hash, a user id of at most 255 bytes, times, map overhead), so the
/// cache stays under 4 MB.
pub const TOKEN_CACHE_ENTRIES: usize = 10_000;
/// Algorithms pinned when `AKUA_JWT_ALGORITHMS` is unset.
pub const DEFAULT_ALGORITHMS: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];

pub mod env {
    pub const ISSUER: &str = "AKUA_JWT_ISSUER";
    pub const AUDIENCE: &str = "AKUA_JWT_AUDIENCE";
    pub const JWKS_URL: &str = "AKUA_JWKS_URL";
    pub const ALGORITHMS: &str = "AKUA_JWT_ALGORITHMS";
    pub const JWKS_MAX_AGE: &str = "AKUA_JWKS_MAX_AGE_SECS";
}

/// A configuration mistake, found at start-up (the function refuses to run).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtConfigError {
    #[error("{0} is required when any JWT setting is given")]
    Missing(&'static str),
    #[error("{0} is not a valid URL")]
    BadUrl(&'static str),
    #[error("the JWKS URL must use https (plain http only for a loopback host)")]
    InsecureUrl,
    #[error(
        "unsupported or symmetric JWT algorithm {0:?} (allowed: RS*, PS*, ES256, ES384, EdDSA)"
    )]
    BadAlgorithm(String),
    #[error("{0} must be a whole number of seconds between 60 and 3600")]
    BadMaxAge(&'static str),
}

/// Which issuer to trust, for which audience, with which algorithms.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub issuer: String,
    pub audience: String,
    pub jwks_url: Url,
    pub algorithms: Vec<Algorithm>,
    pub refetch_cooldown: Duration,
    /// The key set's age (seconds) when the JWKS response gives none.
    pub default_max_age: i64,
    /// Verified tokens remembered ([`TOKEN_CACHE_ENTRIES`]); 0 turns the
    /// cache off (benchmarks measure first-sight verification that way).
    pub token_cache_entries: usize,
}

impl JwtConfig {
    pub fn new(
        issuer: &str,
        audience: &str,
        jwks_url: &str,
        algorithms: &[Algorithm],
    ) -> Result<Self, JwtConfigError> {
        if issuer.is_empty() {
            return Err(JwtConfigError::Missing(env::ISSUER));
        }
        if audience.is_empty() {
            return Err(JwtConfigError::Missing(env::AUDIENCE));
        }
        let jwks_url = Url::parse(jwks_url).map_err(|_| JwtConfigError::BadUrl(env::JWKS_URL))?;
        let loopback = match jwks_url.host() {
            Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(ip)) => ip.is_loopback(),
            Some(Host::Ipv6(ip)) => ip.is_loopback(),
            None => false,
        };
        match jwks_url.scheme() {
            "https" => {}
            "http" if loopback => {}
            _ => return Err(JwtConfigError::InsecureUrl),
        }
        if algorithms.is_empty() {
            return Err(JwtConfigError::Missing(env::ALGORITHMS));
        }
        if let Some(bad) = algorithms
            .iter()
            .find(|a| a.family() == AlgorithmFamily::Hmac)
        {
            return Err(JwtConfigError::BadAlgorithm(format!("{bad:?}")));
        }
        Ok(Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            jwks_url,
            algorithms: algorithms.to_vec(),
            refetch_cooldown: DEFAULT_REFETCH_COOLDOWN,
            default_max_age: DEFAULT_JWKS_MAX_AGE_SECS,
            token_cache_entries: TOKEN_CACHE_ENTRIES,
        })
    }

    /// The configuration from named settings (`get` answers
    /// `AKUA_JWT_ISSUER`, `AKUA_JWT_AUDIENCE`, `AKUA_JWKS_URL`,
    /// `AKUA_JWT_ALGORITHMS` comma-separated, `AKUA_JWKS_MAX_AGE_SECS`; the
    /// edge reads them from the environment). None set: JWTs are not
    /// accepted (`Ok(None)`). Some but not all set: an error, since a
    /// half-configured issuer is a deployment mistake, not a choice.
    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
    ) -> Result<Option<Self>, JwtConfigError> {
        let (issuer, audience, url) = (get(env::ISSUER), get(env::AUDIENCE), get(env::JWKS_URL));
        if issuer.is_none() && audience.is_none() && url.is_none() {
            return Ok(None);
        }
        let algorithms = match get(env::ALGORITHMS) {
            None => DEFAULT_ALGORITHMS.to_vec(),
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    Algorithm::from_str(s).map_err(|_| JwtConfigError::BadAlgorithm(s.to_owned()))
                })
                .collect::<Result<_, _>>()?,
        };
        let mut config = Self::new(
            &issuer.ok_or(JwtConfigError::Missing(env::ISSUER))?,
            &audience.ok_or(JwtConfigError::Missing(env::AUDIENCE))?,
            &url.ok_or(JwtConfigError::Missing(env::JWKS_URL))?,
            &algorithms,
        )?;
        if let Some(secs) = get(env::JWKS_MAX_AGE) {
            config.default_max_age = secs
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|s| (JWKS_MAX_AGE_BOUNDS.0..=JWKS_MAX_AGE_BOUNDS.1).contains(s))
                .ok_or(JwtConfigError::BadMaxAge(env::JWKS_MAX_AGE))?;
        }
        Ok(Some(config))
    }
}

/// Why a JWT was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwtError {
    /// The token is not valid (401). The reason is for logs and tests; it
    /// never quotes the token.
    #[error("invalid JWT: {0}")]
    Invalid(&'static str),
    /// The issuer's keys could not be fetched, so nothing can be verified.
    /// Not the caller's fault: the authorizer fails closed with an error.
    #[error("JWKS unavailable: {0}")]
    KeysUnavailable(String),
}

/// What a verified JWT tells us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedJwt {
    /// The user id: the JWT's `sub`.
    pub user_id: UserId,
    pub expires_at: i64,
    /// When the person signed in (OIDC `auth_time`), if the issuer says:
    /// sudo mode's evidence. A JWT without it is a machine's.
    pub auth_time: Option<i64>,
    /// An OpenID Connect ID token's `nonce`: binds it to one sign-in
    /// request of one browser.
    pub nonce: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    exp: i64,
    nbf: Option<i64>,
    /// Not `iat`: a silent sign-on or a refresh issues a new token without
    /// anyone signing in. Read leniently (a decimal is floored; another
    /// type is no time at all), so a claim the service did not read before
    /// never refuses a token it accepted.
    #[serde(default, deserialize_with = "lenient_time")]
    auth_time: Option<i64>,
    #[serde(default, deserialize_with = "lenient_text")]
    nonce: Option<String>,
}

fn lenient_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    Ok(value.as_i64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.is_finite())
            .map(|f| f.floor() as i64)
    }))
}

fn lenient_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(serde_json::Value::deserialize(d)?
        .as_str()
        .map(str::to_owned))
}

#[derive(Clone)]
struct CachedKey {
    key: DecodingKey,
    /// The JWK's `alg`, when it names one: the token must then use exactly it.
    alg: Option<Algorithm>,
    curve: Option<EllipticCurve>,
}

/// What a verified token was found to be, remembered by its hash.
struct Remembered {
    user_id: UserId,
    exp: i64,
    nbf: Option<i64>,
    auth_time: Option<i64>,
    nonce: Option<String>,
    generation: u64,
}

/// Bounded map of verified tokens. At capacity, expired entries go first,
/// then an arbitrary one: a miss only costs one signature check.
struct TokenCache {
    capacity: usize,
    entries: Mutex<HashMap<[u8; 32], Remembered>>,
}

impl TokenCache {
    /// The claims of a token verified with key set `generation`; the
    /// caller checks `exp` and `nbf` as for any token.
    fn get(&self, hash: &[u8; 32], generation: u64) -> Option<Claims> {
        let entries = self.entries.lock().ok()?;
        let hit = entries.get(hash).filter(|e| e.generation == generation)?;
        Some(Claims {
            sub: hit.user_id.to_string(),
            exp: hit.exp,
            nbf: hit.nbf,
            auth_time: hit.auth_time,
            nonce: hit.nonce.clone(),
        })
    }

    fn insert(&self, hash: [u8; 32], entry: Remembered, now: i64) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= self.capacity {
            entries.retain(|_, e| e.exp.saturating_add(LEEWAY_SECS) >= now);
        }
        if entries.len() >= self.capacity
            && let Some(victim) = entries.keys().next().copied()
        {
            entries.remove(&victim);
        }
        entries.insert(hash, entry);
    }

    fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }
}

/// Verifies JWTs for one issuer; cheap to share (`Arc`) across requests.
pub struct JwtVerifier {
    config: JwtConfig,
    /// One `Validation` per pinned algorithm: jsonwebtoken requires every
    /// algorithm of a validation to match the key's family.
    validations: Vec<(Algorithm, Validation)>,
    keys: KeyCache<HashMap<String, CachedKey>>,
    verified: TokenCache,
}

impl JwtVerifier {
    /// A verifier for `config`'s issuer whose JWKS comes from `source`
    /// (an edge fetching `config.jwks_url`).
    pub fn new(config: JwtConfig, source: Arc<dyn KeySource>) -> Self {
        let capacity = config.token_cache_entries;
        let validations = config
            .algorithms
            .iter()
            .map(|&alg| {
                let mut validation = Validation::new(alg);
                validation.set_issuer(&[&config.issuer]);
                validation.set_audience(&[&config.audience]);
                validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
                // Time is checked against the decision's `now` (`check_times`).
                validation.validate_exp = false;
                validation.validate_nbf = false;
                (alg, validation)
            })
            .collect();
        let freshness = Freshness {
            default_max_age: config.default_max_age,
            bounds: JWKS_MAX_AGE_BOUNDS,
            max_stale: MAX_STALE_SECS,
            cooldown: config.refetch_cooldown,
        };
        let pinned = config.algorithms.clone();
        Self {
            config,
            validations,
            keys: KeyCache::new(source, freshness, move |body| parse_jwks(body, &pinned)),
            verified: TokenCache {
                capacity,
                entries: Mutex::new(HashMap::new()),
            },
        }
    }

    /// How many verified tokens are remembered (for tests and benchmarks).
    pub fn remembered(&self) -> usize {
        self.verified.len()
    }

    pub fn config(&self) -> &JwtConfig {
        &self.config
    }

    /// Verifies signature, algorithm, `iss`, `aud`, `sub`, `exp` and `nbf`.
    /// A token this verifier already verified with the current key set skips
    /// the signature check; its `exp` and `nbf` are checked again against
    /// `now` exactly as on first sight.
    pub async fn verify(&self, jwt: &Jwt, now: i64) -> Result<VerifiedJwt, JwtError> {
        let token = jwt.expose();
        let set = self.keys.current(now).await.map_err(unavailable)?;
        let hash: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        if let Some(claims) = self.verified.get(&hash, set.generation) {
            check_times(&claims, now)?;
            let user_id = UserId::parse(&claims.sub).map_err(|_| JwtError::Invalid("bad sub"))?;
            return Ok(VerifiedJwt {
                user_id,
                expires_at: claims.exp,
                auth_time: claims.auth_time,
                nonce: claims.nonce,
            });
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| JwtError::Invalid("malformed header"))?;
        let Some((_, validation)) = self.validations.iter().find(|(alg, _)| *alg == header.alg)
        else {
            return Err(JwtError::Invalid("algorithm not allowed"));
        };
        let kid = header.kid.as_deref().ok_or(JwtError::Invalid("no kid"))?;
        let (key, generation) = match set.keys.get(kid) {
            Some(key) => (key.clone(), set.generation),
            None => self
                .refetch_for(&set, kid, now)
                .await?
                .ok_or(JwtError::Invalid("unknown kid"))?,
        };
        if key.alg.is_some_and(|alg| alg != header.alg) || key.key.family() != header.alg.family() {
            return Err(JwtError::Invalid("key does not match algorithm"));
        }
        #[allow(
            clippy::wildcard_enum_match_arm,
            reason = "jsonwebtoken's Algorithm is non-exhaustive"
        )]
        let expected_curve = match header.alg {
            Algorithm::ES256 => Some(EllipticCurve::P256),
            Algorithm::ES384 => Some(EllipticCurve::P384),
            // Not an elliptic-curve algorithm (jsonwebtoken may add more).
            _ => None,
        };
        if expected_curve.is_some() && key.curve != expected_curve {
            return Err(JwtError::Invalid("key curve does not match algorithm"));
        }
        let data = jsonwebtoken::decode::<Claims>(token, &key.key, validation)
            .map_err(|e| JwtError::Invalid(describe(e.kind())))?;
        check_times(&data.claims, now)?;
        let user_id = UserId::parse(&data.claims.sub).map_err(|_| JwtError::Invalid("bad sub"))?;
        self.verified.insert(
            hash,
            Remembered {
                user_id: user_id.clone(),
                exp: data.claims.exp,
                nbf: data.claims.nbf,
                auth_time: data.claims.auth_time,
                nonce: data.claims.nonce.clone(),
                generation,
            },
            now,
        );
        Ok(VerifiedJwt {
            user_id,
            expires_at: data.claims.exp,
            auth_time: data.claims.auth_time,
            nonce: data.claims.nonce,
        })
    }

    /// Refetches for a `kid` the current set does not have (a key the
    /// issuer may just have added), within the cooldown. `Ok(None)`: still
    /// unknown (a 401).
    async fn refetch_for(
        &self,
        seen: &Arc<KeySet<HashMap<String, CachedKey>>>,
        kid: &str,
        now: i64,
    ) -> Result<Option<(CachedKey, u64)>, JwtError> {
        match self.keys.refresh(seen, now).await {
            Ok(fresh) => Ok(fresh.keys.get(kid).map(|k| (k.clone(), fresh.generation))),
            // The current set is usable (`verify` got it from the cache):
            // the kid is simply unknown to it.
            Err(_) if seen.generation > 0 => Ok(None),
            Err(e) => Err(unavailable(e)),
        }
    }
}

fn unavailable(e: KeysUnavailable) -> JwtError {
    JwtError::KeysUnavailable(e.to_string())
}

/// Turns a JWKS document into usable verification keys, skipping any key
/// that is symmetric, not for signatures, without a `kid`, or for an
/// algorithm that is not pinned. One bad key does not spoil the rest; a
/// body that is not a JWKS document at all is `None`.
fn parse_jwks(body: &[u8], pinned: &[Algorithm]) -> Option<HashMap<String, CachedKey>> {
    #[derive(Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let doc = serde_json::from_slice::<Document>(body).ok()?;
    let keys = doc
        .keys
        .into_iter()
        .filter_map(|value| serde_json::from_value::<Jwk>(value).ok())
        .filter_map(|jwk| {
            let kid = jwk.common.key_id.clone()?;
            if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
                return None;
            }
            #[allow(
                clippy::wildcard_enum_match_arm,
                reason = "jsonwebtoken's key types are non-exhaustive"
            )]
            let curve = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => None,
                AlgorithmParameters::EllipticCurve(p) => Some(p.curve.clone()),
                AlgorithmParameters::OctetKeyPair(_) => None,
                // Symmetric secrets and unknown key types are never used.
                _ => return None,
            };
            let alg = match jwk.common.key_algorithm {
                Some(a) => Some(Algorithm::from_str(&a.to_string()).ok()?),
                None => None,
            };
            if alg.is_some_and(|a| !pinned.contains(&a)) {
                return None;
            }
            let key = DecodingKey::from_jwk(&jwk).ok()?;
            if key.family() == AlgorithmFamily::Hmac {
                return None;
            }
            Some((kid, CachedKey { key, alg, curve }))
        })
        .collect();
    Some(keys)
}

fn check_times(claims: &Claims, now: i64) -> Result<(), JwtError> {
    if claims.exp.saturating_add(LEEWAY_SECS) < now {
        return Err(JwtError::Invalid("expired"));
    }
    if claims
        .nbf
        .is_some_and(|nbf| nbf.saturating_sub(LEEWAY_SECS) > now)
    {
        return Err(JwtError::Invalid("not yet valid"));
    }
    Ok(())
}

#[allow(
    clippy::wildcard_enum_match_arm,
    reason = "jsonwebtoken's ErrorKind is non-exhaustive; the rest are all \"invalid token\""
)]
fn describe(kind: &jsonwebtoken::errors::ErrorKind) -> &'static str {
    use jsonwebtoken::errors::ErrorKind as K;
    match kind {
        K::InvalidSignature => "bad signature",
        K::InvalidIssuer => "wrong issuer",
        K::InvalidAudience => "wrong audience",
        K::MissingRequiredClaim(_) => "missing required claim",
        K::InvalidAlgorithm => "algorithm not allowed",
        K::Json(_) => "malformed claims",
        _ => "invalid token",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn no_settings_means_no_jwts() {
        assert!(JwtConfig::from_lookup(lookup(&[])).unwrap().is_none());
    }

    #[test]
    fn a_half_configured_issuer_is_an_error() {
        let err = JwtConfig::from_lookup(lookup(&[(env::ISSUER, "https://idp")])).unwrap_err();
        assert_eq!(err, JwtConfigError::Missing(env::AUDIENCE));
    }

    #[test]
    fn jwks_urls_must_be_https_unless_loopback() {
        let algs = &DEFAULT_ALGORITHMS;
        assert!(JwtConfig::new("i", "a", "https://idp.example/jwks", algs).is_ok());
        for ok in [
            "http://127.0.0.1:9/jwks",
            "http://localhost/jwks",
            "http://[::1]/jwks",
        ] {
            assert!(JwtConfig::new("i", "a", ok, algs).is_ok(), "{ok}");
        }
        for bad in [
            "http://idp.example/jwks",
            "http://10.0.0.1/jwks",
            "ftp://localhost/x",
        ] {
            assert_eq!(
                JwtConfig::new("i", "a", bad, algs).unwrap_err(),
                JwtConfigError::InsecureUrl,
                "{bad}"
            );
        }
    }

    #[test]
    fn symmetric_algorithms_cannot_be_pinned() {
        let pairs = [
            (env::ISSUER, "i"),
            (env::AUDIENCE, "a"),
            (env::JWKS_URL, "https://idp/jwks"),
            (env::ALGORITHMS, "RS256,HS256"),
        ];
        assert!(matches!(
            JwtConfig::from_lookup(lookup(&pairs)),
            Err(JwtConfigError::BadAlgorithm(_))
        ));
    }

    #[test]
    fn oct_keys_in_a_jwks_are_ignored() {
        let body = br#"{"keys":[
            {"kty":"oct","kid":"shared","k":"c2VjcmV0"},
            {"kty":"EC","kid":"ec","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"},
            {"kty":"RSA","kid":"enc","use":"enc","n":"AQAB","e":"AQAB"},
            {"nonsense":true}
        ]}"#;
        let keys = parse_jwks(body, &DEFAULT_ALGORITHMS).unwrap();
        assert!(parse_jwks(b"<html>", &DEFAULT_ALGORITHMS).is_none());
        assert!(parse_jwks(b"{}", &DEFAULT_ALGORITHMS).is_none());
        let mut kids: Vec<_> = keys.keys().cloned().collect();
        kids.sort();
        assert_eq!(kids, ["ec"]);
    }

    #[test]
    fn the_max_age_setting_is_bounded() {
        let base = [
            (env::ISSUER, "i"),
            (env::AUDIENCE, "a"),
            (env::JWKS_URL, "https://idp/jwks"),
        ];
        let with = |v: &'static str| {
            let mut pairs = base.to_vec();
            pairs.push((env::JWKS_MAX_AGE, v));
            JwtConfig::from_lookup(lookup(&pairs))
        };
        assert_eq!(with("120").unwrap().unwrap().default_max_age, 120);
        for bad in ["0", "59", "3601", "ten"] {
            assert!(with(bad).is_err(), "{bad}");
        }
        let default = JwtConfig::from_lookup(lookup(&base)).unwrap().unwrap();
        assert_eq!(default.default_max_age, DEFAULT_JWKS_MAX_AGE_SECS);
    }

    #[test]
    fn auth_time_and_nonce_are_read_leniently() {
        let read = |claims: serde_json::Value| serde_json::from_value::<Claims>(claims).unwrap();
        let c = read(
            serde_json::json!({"sub": "u", "exp": 1, "auth_time": 1_700_000_000.9, "nonce": 7}),
        );
        assert_eq!((c.auth_time, c.nonce), (Some(1_700_000_000), None));
        let c = read(serde_json::json!({"sub": "u", "exp": 1, "auth_time": "yesterday"}));
        assert_eq!(c.auth_time, None);
        let c = read(serde_json::json!({"sub": "u", "exp": 1}));
        assert_eq!((c.auth_time, c.nonce), (None, None));
    }

    #[test]
    fn time_checks_allow_sixty_seconds_of_skew() {
        let c = |exp, nbf| Claims {
            sub: "u".into(),
            exp,
            nbf,
            auth_time: None,
            nonce: None,
        };
        assert!(check_times(&c(1000, None), 1060).is_ok());
        assert_eq!(
            check_times(&c(1000, None), 1061),
            Err(JwtError::Invalid("expired"))
        );
        assert!(check_times(&c(5000, Some(1060)), 1000).is_ok());
        assert_eq!(
            check_times(&c(5000, Some(1061)), 1000),
            Err(JwtError::Invalid("not yet valid"))
        );
    }
}
