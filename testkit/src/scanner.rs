//! A secret scanner for the leak-report tests: a fresh P-256 key, its
//! public half published at a loopback URL in GitHub's format
//! (`{"public_keys": [{key_identifier, key, is_current}]}`), and signatures
//! of report bodies as GitHub sends them (base64 DER ECDSA SHA-256).

use std::sync::Arc;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair};
use axum::Router;
use axum::routing::get;
use base64::Engine as _;
use serde_json::json;
use tokio::net::TcpListener;

/// The published key's id.
pub const KEY_ID: &str = "test-scanner-key-1";

pub struct TestScanner {
    /// Where the published keys are.
    pub keys_url: String,
    published: Arc<EcdsaKeyPair>,
    /// A key of the same kind that is not published.
    stranger: EcdsaKeyPair,
}

fn key_pair() -> EcdsaKeyPair {
    EcdsaKeyPair::generate(&ECDSA_P256_SHA256_ASN1_SIGNING).expect("P-256 key")
}

fn pem(key: &EcdsaKeyPair) -> String {
    let der = key.public_key().as_der().expect("public key DER");
    let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).expect("base64 is ASCII"))
        .collect();
    format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    )
}

fn sign_with(key: &EcdsaKeyPair, body: &[u8]) -> String {
    let signature = key.sign(&SystemRandom::new(), body).expect("sign");
    base64::engine::general_purpose::STANDARD.encode(signature.as_ref())
}

impl TestScanner {
    pub async fn start() -> TestScanner {
        let published = Arc::new(key_pair());
        let document = json!({"public_keys": [
            {"key_identifier": KEY_ID, "key": pem(&published), "is_current": true}
        ]});
        let app = Router::new().route(
            "/meta/public_keys/secret_scanning",
            get(move || {
                let document = document.clone();
                async move { axum::Json(document) }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestScanner {
            keys_url: format!("http://{addr}/meta/public_keys/secret_scanning"),
            published,
            stranger: key_pair(),
        }
    }

    /// The published key's signature of `body`.
    pub fn sign(&self, body: &[u8]) -> String {
        sign_with(&self.published, body)
    }

    /// A well-formed signature by a key the scanner never published.
    pub fn forge(&self, body: &[u8]) -> String {
        sign_with(&self.stranger, body)
    }
}
