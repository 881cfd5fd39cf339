//! [`KeySource`] over HTTPS: one GET per fetch, no redirects, a timeout on
//! the whole exchange and a cap on the body, and the response's
//! `Cache-Control: max-age` handed to the core, which decides what to do
//! with it.

use std::sync::Arc;
use std::time::Duration;

use akua_core::jwt::{JwtConfig, JwtVerifier};
use akua_core::leaks::{LeakConfig, ScannerKeys};
use akua_core::published_keys::{FetchError, Fetching, KeySource, Published};
use url::Url;

/// Upper bound on one JWKS fetch, connection included: a JWT waits for it.
pub const JWKS_TIMEOUT: Duration = Duration::from_millis(1500);
/// Upper bound on one fetch of a secret scanner's keys.
pub const SCANNER_KEYS_TIMEOUT: Duration = Duration::from_secs(3);
/// A key document larger than this is not a key document.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The HTTP client could not be built (a start-up failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchSetupError(pub String);

impl std::fmt::Display for FetchSetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FetchSetupError {}

/// Fetches one URL's key document.
#[derive(Debug, Clone)]
pub struct HttpsKeySource {
    http: reqwest::Client,
    url: Url,
}

impl HttpsKeySource {
    pub fn new(url: Url, timeout: Duration, user_agent: &str) -> Result<Self, FetchSetupError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(user_agent)
            .build()
            .map_err(|e| FetchSetupError(e.to_string()))?;
        Ok(Self { http, url })
    }
}

impl KeySource for HttpsKeySource {
    fn fetch(&self) -> Fetching {
        let request = self
            .http
            .get(self.url.clone())
            .header(reqwest::header::ACCEPT, "application/json");
        Box::pin(async move {
            let failed = |what: &str| FetchError(what.to_owned());
            let mut response = request.send().await.map_err(|e| {
                failed(if e.is_timeout() {
                    "timeout"
                } else {
                    "unreachable"
                })
            })?;
            if !response.status().is_success() {
                return Err(FetchError(format!("status {}", response.status().as_u16())));
            }
            let max_age = response
                .headers()
                .get(reqwest::header::CACHE_CONTROL)
                .and_then(|v| v.to_str().ok())
                .and_then(max_age);
            let mut body = Vec::new();
            while let Some(chunk) = response.chunk().await.map_err(|_| failed("body"))? {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(failed("too large"));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Published { body, max_age })
        })
    }
}

/// A verifier for `config`'s issuer, its JWKS fetched over HTTPS.
pub fn jwt_verifier(config: JwtConfig) -> Result<JwtVerifier, FetchSetupError> {
    let source = HttpsKeySource::new(
        config.jwks_url.clone(),
        JWKS_TIMEOUT,
        "akua-auth JWT verification",
    )?;
    Ok(JwtVerifier::new(config, Arc::new(source)))
}

/// The scanner's keys, fetched over HTTPS.
pub fn scanner_keys(config: LeakConfig) -> Result<Arc<ScannerKeys>, FetchSetupError> {
    let url = url::Url::parse(&config.keys_url)
        .map_err(|_| FetchSetupError("AKUA_LEAK_KEYS_URL is not a valid URL".into()))?;
    let source = HttpsKeySource::new(url, SCANNER_KEYS_TIMEOUT, "akua-auth leak reports")?;
    Ok(ScannerKeys::new(config, Arc::new(source)))
}

/// The `max-age` of a `Cache-Control` value (RFC 9111 §5.2.2.1); `no-store`
/// and `no-cache` count as 0 (the core raises it to its lower bound).
pub fn max_age(cache_control: &str) -> Option<i64> {
    cache_control
        .split(',')
        .map(str::trim)
        .find_map(|directive| {
            let lower = directive.to_ascii_lowercase();
            if lower == "no-store" || lower == "no-cache" {
                return Some(0);
            }
            lower
                .strip_prefix("max-age=")
                .and_then(|v| v.trim_matches('"').parse::<i64>().ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_is_read_from_cache_control() {
        assert_eq!(max_age("public, max-age=300"), Some(300));
        assert_eq!(max_age("Max-Age=\"42\", must-revalidate"), Some(42));
        assert_eq!(max_age("no-store"), Some(0));
        assert_eq!(max_age("private"), None);
    }

    #[tokio::test]
    async fn a_fetch_returns_the_document_and_its_age() {
        let issuer = akua_testkit::issuer::TestIssuer::start().await;
        issuer.set_cache_control(Some("public, max-age=120"));
        let url = Url::parse(&issuer.jwks_url).unwrap();
        let source = HttpsKeySource::new(url, JWKS_TIMEOUT, "test").unwrap();
        let published = source.fetch().await.unwrap();
        assert_eq!(published.max_age, Some(120));
        let doc: serde_json::Value = serde_json::from_slice(&published.body).unwrap();
        assert_eq!(doc["keys"].as_array().map(Vec::len), Some(2));
    }

    #[tokio::test]
    async fn an_unreachable_publisher_is_a_fetch_error() {
        let url = Url::parse("http://127.0.0.1:9/keys").unwrap();
        let source = HttpsKeySource::new(url, JWKS_TIMEOUT, "test").unwrap();
        assert!(source.fetch().await.is_err());
    }
}
