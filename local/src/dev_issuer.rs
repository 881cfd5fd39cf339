//! The built-in development identity provider: an ES256 key kept in the
//! data directory, its JWKS served at `/.well-known/jwks.json`, and JWTs
//! minted for any `sub` (`akua-local mint-jwt --sub USER`).
//!
//! Used only when no external issuer is configured; it exists so a person
//! trying the API locally has a credential without an identity provider.

use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

/// `iss` of development JWTs.
pub const ISSUER: &str = "akua-local-dev";
/// `aud` of development JWTs.
pub const AUDIENCE: &str = "akua-local";
const KID: &str = "akua-local-dev-1";
const KEY_FILE: &str = "dev-issuer-es256.pk8";

pub struct DevIssuer {
    key: EncodingKey,
    jwks: JwkSet,
}

impl DevIssuer {
    /// Loads the key from `data_dir`, creating it (mode 0600) on first use.
    pub fn open(data_dir: &Path) -> Result<Self, String> {
        let path: PathBuf = data_dir.join(KEY_FILE);
        let der = match std::fs::read(&path) {
            Ok(der) => der,
            Err(_) => {
                let pkcs8 = EcdsaKeyPair::generate_pkcs8(
                    &ECDSA_P256_SHA256_FIXED_SIGNING,
                    &SystemRandom::new(),
                )
                .map_err(|_| "could not generate the development key".to_owned())?;
                write_private(&path, pkcs8.as_ref())?;
                pkcs8.as_ref().to_vec()
            }
        };
        let key = EncodingKey::from_ec_der(&der);
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256)
            .map_err(|e| format!("unreadable development key {}: {e}", path.display()))?;
        jwk.common.key_id = Some(KID.to_owned());
        Ok(Self {
            key,
            jwks: JwkSet { keys: vec![jwk] },
        })
    }

    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }

    /// A JWT for `sub`, valid for `ttl_secs`, from a sign-in now: asking
    /// for one is the developer signing in.
    pub fn mint(&self, sub: &str, now: i64, ttl_secs: i64) -> Result<String, String> {
        self.mint_signed_in(sub, now, now, ttl_secs)
    }

    /// A JWT for `sub` whose person signed in at `auth_time` (sudo mode
    /// reads it), valid for `ttl_secs` from `now`.
    pub fn mint_signed_in(
        &self,
        sub: &str,
        auth_time: i64,
        now: i64,
        ttl_secs: i64,
    ) -> Result<String, String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(KID.to_owned());
        let claims = json!({"iss": ISSUER, "aud": AUDIENCE, "sub": sub, "iat": now, "nbf": now, "exp": now + ttl_secs, "auth_time": auth_time});
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| e.to_string())
    }
}

impl DevIssuer {
    /// An OpenID Connect ID token for `sub`, for the client `audience`,
    /// carrying the sign-in request's `nonce` and the sign-in's time.
    pub fn mint_id_token(
        &self,
        sub: &str,
        audience: &str,
        nonce: Option<&str>,
        auth_time: i64,
        now: i64,
    ) -> Result<String, String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(KID.to_owned());
        let claims = json!({"iss": ISSUER, "aud": audience, "sub": sub, "iat": now, "exp": now + 300, "nonce": nonce, "auth_time": auth_time});
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| e.to_string())
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
