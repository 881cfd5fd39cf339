//! Leak reports from a secret scanner (GitHub's secret-scanning partner
//! program): `POST /v1/token_leaks` with a JSON array of
//! `{token, type, url, source}`, signed by the scanner.
//!
//! The signature (ECDSA P-256 with SHA-256, DER, base64, over the raw body)
//! is checked against the scanner's published keys, fetched by the edge from
//! a configured URL and cached by the rules of [`crate::published_keys`]: a
//! key id the cache does not know triggers one refetch per cooldown, and a
//! failed fetch keeps the last good keys for at most an hour past their age. An
//! unsigned, wrongly signed or unverifiable report is a 401 and changes
//! nothing. A signed report answers each token with its SHA-256 and a
//! label: `true_positive` when it was a live API token of this service,
//! which is revoked at once (with a `token.leaked` audit event naming the
//! URL), `false_positive` otherwise.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_ASN1, UnparsedPublicKey};
use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::api_error::ApiError;
use crate::audit::{
    ActorKind, AuditAction, AuditActor, AuditEvent, AuditLog, AuditTarget, Author, Origin,
    TargetKind,
};
use crate::credential::{ApiToken, CredentialHash};
use crate::ports::CredentialStore;
use crate::published_keys::{Freshness, KeyCache, KeySource};
use crate::records::{CredentialPointer, StoredCredential};
use crate::revocation::{self, Kind};
use crate::tokens::multi_token_revoked;

/// GitHub's published secret-scanning keys.
pub const GITHUB_KEYS_URL: &str = "https://api.github.com/meta/public_keys/secret_scanning";

/// Tokens one report may carry: each live one costs two reads and a
/// transaction, and the answer must come within the function's timeout.
pub const MAX_REPORTED: usize = 100;

/// Where the scanner's keys are, and what to call it in the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeakConfig {
    pub keys_url: String,
    /// The actor id of `token.leaked` events (`github`).
    pub scanner: String,
    /// How long its keys are trusted ([`KEYS_FRESHNESS`]).
    pub freshness: Freshness,
}

impl LeakConfig {
    /// GitHub's scanner, its keys at `keys_url` (`AKUA_LEAK_KEYS_URL`, read
    /// by the edge; default [`GITHUB_KEYS_URL`]).
    pub fn github(keys_url: Option<String>) -> Self {
        Self {
            keys_url: keys_url.unwrap_or_else(|| GITHUB_KEYS_URL.to_owned()),
            scanner: "github".to_owned(),
            freshness: KEYS_FRESHNESS,
        }
    }
}

/// One match a scanner reports. `LeakedToken` in the API document. Its
/// `Debug` leaves the token out: it may be a live secret.
// `Serialize`: for clients that send reports, as the tests do.
#[derive(Clone, serde::Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = LeakedToken)]
pub struct ReportedToken {
    /// The matched secret.
    pub token: String,
    /// The scanner's name for the pattern that matched.
    #[serde(rename = "type")]
    pub token_type: String,
    /// Where it was found (may be empty).
    #[serde(default)]
    pub url: Option<String>,
    /// `content`, `commit`, `npm`, … (the scanner's words).
    #[serde(default)]
    pub source: Option<String>,
}

impl std::fmt::Debug for ReportedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReportedToken")
            .field("token", &"[redacted]")
            .field("token_type", &self.token_type)
            .field("url", &self.url)
            .field("source", &self.source)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LeakLabel {
    /// A live API token of this service: revoked now.
    TruePositive,
    /// Not a token of this service, or not live.
    FalsePositive,
}

/// The answer for one reported token, as the partner program expects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LeakVerdict {
    /// SHA-256 of the reported token, hex.
    pub token_hash: String,
    pub token_type: String,
    pub label: LeakLabel,
}

#[derive(Deserialize)]
struct PublishedKeys {
    public_keys: Vec<PublishedKey>,
}

#[derive(Deserialize)]
struct PublishedKey {
    key_identifier: String,
    /// PEM, `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo).
    key: String,
}

/// The scanner's keys (key id → SubjectPublicKeyInfo DER), fetched through
/// a [`KeySource`] and cached by the rules of [`crate::published_keys`];
/// share it (`Arc`).
pub struct ScannerKeys {
    config: LeakConfig,
    keys: KeyCache<HashMap<String, Vec<u8>>>,
}

impl std::fmt::Debug for ScannerKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScannerKeys")
            .field("keys_url", &self.config.keys_url)
            .finish_non_exhaustive()
    }
}

fn unauthorized() -> ApiError {
    ApiError::Unauthorized
}

/// How long the scanner's keys are trusted: its `Cache-Control` within a
/// minute and an hour (else ten minutes), an hour more while it cannot be
/// reached, a fetch at most every 30 s.
pub const KEYS_FRESHNESS: Freshness = Freshness {
    default_max_age: 600,
    bounds: (60, 3600),
    max_stale: 3600,
    cooldown: Duration::from_secs(30),
};

impl ScannerKeys {
    /// The keys `config.keys_url` publishes, fetched through `source`.
    pub fn new(config: LeakConfig, source: Arc<dyn KeySource>) -> Arc<Self> {
        Arc::new(Self {
            keys: KeyCache::new(source, config.freshness, parse_keys),
            config,
        })
    }

    pub fn scanner(&self) -> &str {
        &self.config.scanner
    }

    pub fn keys_url(&self) -> &str {
        &self.config.keys_url
    }

    /// The key `key_id`, refetching when it is unknown or the keys are
    /// stale, at most once per cooldown. A failed fetch keeps the last keys
    /// within their limit.
    async fn key(&self, key_id: &str, now: i64) -> Option<Vec<u8>> {
        let set = match self.keys.current(now).await {
            Ok(set) => set,
            Err(e) => {
                tracing::warn!(error = %e, "leak report keys could not be fetched");
                return None;
            }
        };
        if let Some(key) = set.keys.get(key_id) {
            return Some(key.clone());
        }
        match self.keys.refresh(&set, now).await {
            Ok(fresh) => fresh.keys.get(key_id).cloned(),
            Err(e) => {
                tracing::warn!(error = %e, "leak report keys could not be refetched");
                None
            }
        }
    }

    /// Whether `signature` (base64 DER) is the key `key_id`'s signature of
    /// `body`.
    pub async fn verify(&self, key_id: &str, signature: &str, body: &[u8], now: i64) -> bool {
        let Ok(signature) = base64::engine::general_purpose::STANDARD.decode(signature.trim())
        else {
            return false;
        };
        let Some(key) = self.key(key_id, now).await else {
            return false;
        };
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, key)
            .verify(body, &signature)
            .is_ok()
    }
}

/// The scanner's document: `{"public_keys": [{key_identifier, key}]}`.
fn parse_keys(body: &[u8]) -> Option<HashMap<String, Vec<u8>>> {
    let published: PublishedKeys = serde_json::from_slice(body).ok()?;
    Some(
        published
            .public_keys
            .into_iter()
            .filter_map(|k| Some((k.key_identifier, pem_body(&k.key)?)))
            .collect(),
    )
}

/// The DER inside a PEM block.
fn pem_body(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----") && !l.is_empty())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// `POST /v1/token_leaks`: checks the signature over the raw body first;
/// only a signed report is read, and each live API token in it is revoked.
pub async fn report(
    store: &impl CredentialStore,
    keys: &ScannerKeys,
    key_id: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
    origin: &Origin,
    now: i64,
) -> Result<Vec<LeakVerdict>, ApiError> {
    let (Some(key_id), Some(signature)) = (key_id, signature) else {
        return Err(unauthorized());
    };
    if !keys.verify(key_id, signature, body, now).await {
        return Err(unauthorized());
    }
    let reported: Vec<ReportedToken> = serde_json::from_slice(body).map_err(|_| {
        ApiError::BadRequest("the body must be a JSON array of {token, type, url, source}".into())
    })?;
    if reported.len() > MAX_REPORTED {
        return Err(ApiError::validation(
            "body",
            format!("at most {MAX_REPORTED} tokens per report"),
        ));
    }
    let author = Author {
        actor: AuditActor {
            id: keys.scanner().to_owned(),
            credential: ActorKind::SecretScanner,
        },
        origin: origin.clone(),
    };
    let mut verdicts = Vec::with_capacity(reported.len());
    // A token reported twice gets the first answer twice.
    let mut answered: HashMap<String, bool> = HashMap::new();
    for leak in reported {
        let hash = CredentialHash::of(&leak.token);
        let revoked = match (answered.get(&hash.to_hex()), ApiToken::parse(&leak.token)) {
            (Some(&earlier), _) => earlier,
            (None, Ok(_)) => revoke(store, &author, &hash, &leak, now).await?,
            (None, Err(_)) => false,
        };
        answered.insert(hash.to_hex(), revoked);
        verdicts.push(LeakVerdict {
            token_hash: hash.to_hex(),
            token_type: leak.token_type,
            label: if revoked {
                LeakLabel::TruePositive
            } else {
                LeakLabel::FalsePositive
            },
        });
    }
    Ok(verdicts)
}

/// Revokes the live token whose secret (current or, during a roll, the
/// previous one) has this hash: the whole token, since either secret in
/// the open means the token is compromised. `false`: nothing live.
async fn revoke(
    store: &impl CredentialStore,
    author: &Author,
    hash: &CredentialHash,
    leak: &ReportedToken,
    now: i64,
) -> Result<bool, ApiError> {
    let detail = format!(
        "url={}, source={}",
        leak.url.as_deref().unwrap_or(""),
        leak.source.as_deref().unwrap_or("")
    );
    let leaked = |log: AuditLog, id: &crate::ids::TokenId| -> AuditEvent {
        author
            .event(
                log,
                AuditAction::TokenLeaked,
                AuditTarget::new(TargetKind::ApiToken, id),
                now,
            )
            .with_detail(detail.clone())
    };
    let live = |at: Option<i64>| at.is_none_or(|at| at > now);
    // The token is revoked while its pointer still names the reported
    // secret (as the current one or the one a roll replaced); a roll
    // without grace that ended it meanwhile leaves nothing to revoke.
    let names_leak = |p: &CredentialPointer| p.hash == *hash || p.previous.as_ref() == Some(hash);
    match store.credential(hash).await? {
        Some(StoredCredential::ApiToken(t)) if live(t.expires_at) => {
            let Some(pointer) = store.pointer(t.id.as_str()).await? else {
                return Ok(false);
            };
            if !names_leak(&pointer) {
                return Ok(false);
            }
            let audit = [leaked(AuditLog::Workspace(t.workspace_id.clone()), &t.id)];
            revocation::revoke(
                store,
                t.id.as_str(),
                Kind::Secret,
                pointer,
                names_leak,
                &audit,
            )
            .await
        }
        Some(StoredCredential::MultiWorkspaceToken(t)) if live(t.expires_at) => {
            let Some(pointer) = store.pointer(t.id.as_str()).await? else {
                return Ok(false);
            };
            let audit: Vec<AuditEvent> = multi_token_revoked(author, &t, now)
                .into_iter()
                .map(|e| {
                    AuditEvent {
                        action: AuditAction::TokenLeaked,
                        ..e
                    }
                    .with_detail(detail.clone())
                })
                .collect();
            let kind = Kind::MultiToken(&t);
            revocation::revoke(store, t.id.as_str(), kind, pointer, names_leak, &audit).await
        }
        // A session is not an API token (the report names API tokens only),
        // and an expired token is already refused everywhere.
        Some(StoredCredential::Session(_) | StoredCredential::ApiToken(_))
        | Some(StoredCredential::MultiWorkspaceToken(_))
        | None => Ok(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_bodies_decode() {
        let pem = "-----BEGIN PUBLIC KEY-----\nAAEC\nAwQ=\n-----END PUBLIC KEY-----\n";
        assert_eq!(pem_body(pem), Some(vec![0, 1, 2, 3, 4]));
        assert_eq!(pem_body("-----BEGIN X-----\n!!\n-----END X-----"), None);
    }
}
