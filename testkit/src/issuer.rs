use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use akua_core::jwt::JwtConfig;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
pub use jsonwebtoken::Algorithm;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};
use tokio::net::TcpListener;

const RSA_PEM: &[u8] = include_bytes!("../keys/test-only-rsa.pem");
const RSA_PUBLIC_PEM: &[u8] = include_bytes!("../keys/test-only-rsa.pub.pem");
const EC_P256_PEM: &[u8] = include_bytes!("../keys/test-only-ec-p256.pem");
const EC_P384_PEM: &[u8] = include_bytes!("../keys/test-only-ec-p384.pem");

pub const ISSUER: &str = "https://issuer.test";
pub const AUDIENCE: &str = "akua-api";

#[derive(Default)]
struct Published {
    kids: Mutex<BTreeSet<String>>,
    fetches: AtomicUsize,
    cache_control: Mutex<Option<String>>,
    /// Answer `200` with a body that is not a JWKS.
    garbage: std::sync::atomic::AtomicBool,
}

/// A JWT issuer for tests: signs with fixed test keys and serves its JWKS on
/// loopback. Kids `rsa-*` use the RSA key, `ec-*` the P-256 key, `p384-*` the
/// P-384 key; only published kids appear in the JWKS.
pub struct TestIssuer {
    pub jwks_url: String,
    published: Arc<Published>,
}

impl TestIssuer {
    /// Starts the JWKS endpoint with `rsa-1` and `ec-1` published.
    pub async fn start() -> TestIssuer {
        let published = Arc::new(Published::default());
        let app = Router::new()
            .route("/jwks.json", get(jwks))
            .with_state(published.clone());
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let issuer = TestIssuer {
            jwks_url: format!("http://{addr}/jwks.json"),
            published,
        };
        issuer.publish(&["rsa-1", "ec-1"]);
        issuer
    }

    /// The verifier configuration for this issuer (default algorithms), with
    /// the refetch cooldown given.
    pub fn config(&self, refetch_cooldown: Duration) -> JwtConfig {
        let mut config = JwtConfig::new(
            ISSUER,
            AUDIENCE,
            &self.jwks_url,
            &akua_core::jwt::DEFAULT_ALGORITHMS,
        )
        .expect("test issuer config");
        config.refetch_cooldown = refetch_cooldown;
        config
    }

    /// Replaces the set of kids served in the JWKS.
    pub fn publish(&self, kids: &[&str]) {
        *self.published.kids.lock().unwrap() = kids.iter().map(|k| (*k).to_owned()).collect();
    }

    /// The `Cache-Control` the JWKS is served with (none by default).
    pub fn set_cache_control(&self, value: Option<&str>) {
        *self.published.cache_control.lock().unwrap() = value.map(str::to_owned);
    }

    /// Serve a `200` whose body is not a JWKS (a broken deploy, a captive
    /// portal) instead of the keys.
    pub fn serve_garbage(&self, garbage: bool) {
        self.published.garbage.store(garbage, Ordering::SeqCst);
    }

    /// How many times the JWKS has been fetched.
    pub fn fetches(&self) -> usize {
        self.published.fetches.load(Ordering::SeqCst)
    }

    /// Claims a valid token carries: `sub`, our `iss` and `aud`, `exp` an
    /// hour after `now`, and `auth_time` `now`: a person who just signed in.
    pub fn claims(sub: &str, now: i64) -> Value {
        json!({"sub": sub, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 3600, "auth_time": now})
    }

    /// Signs `claims` with the key `kid` names, using `alg`.
    pub fn sign(kid: &str, alg: Algorithm, claims: &Value) -> String {
        let mut header = Header::new(alg);
        header.kid = Some(kid.to_owned());
        let key = if alg == Algorithm::HS256 {
            // The classic confusion attack: the RSA *public* key as HMAC secret.
            EncodingKey::from_secret(RSA_PUBLIC_PEM)
        } else {
            encoding_key(kid)
        };
        jsonwebtoken::encode(&header, claims, &key).expect("sign test JWT")
    }
}

fn encoding_key(kid: &str) -> EncodingKey {
    if kid.starts_with("rsa") {
        EncodingKey::from_rsa_pem(RSA_PEM).expect("rsa key")
    } else if kid.starts_with("p384") {
        EncodingKey::from_ec_pem(EC_P384_PEM).expect("p384 key")
    } else {
        EncodingKey::from_ec_pem(EC_P256_PEM).expect("ec key")
    }
}

fn jwk_for(kid: &str) -> Jwk {
    let alg = if kid.starts_with("rsa") {
        Algorithm::RS256
    } else if kid.starts_with("p384") {
        Algorithm::ES384
    } else {
        Algorithm::ES256
    };
    let mut jwk = Jwk::from_encoding_key(&encoding_key(kid), alg).expect("jwk");
    jwk.common.key_id = Some(kid.to_owned());
    jwk
}

async fn jwks(State(published): State<Arc<Published>>) -> axum::response::Response {
    use axum::response::IntoResponse;
    published.fetches.fetch_add(1, Ordering::SeqCst);
    let cache_control = published.cache_control.lock().unwrap().clone();
    let mut response = if published.garbage.load(Ordering::SeqCst) {
        "<html>maintenance</html>".into_response()
    } else {
        let kids = published.kids.lock().unwrap().clone();
        axum::Json(JwkSet {
            keys: kids.iter().map(|k| jwk_for(k)).collect(),
        })
        .into_response()
    };
    if let Some(value) = cache_control.and_then(|v| v.parse().ok()) {
        response
            .headers_mut()
            .insert(axum::http::header::CACHE_CONTROL, value);
    }
    response
}
