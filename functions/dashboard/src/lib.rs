//! The dashboard, served by the stack itself under `/dashboard` (same
//! origin as the API: no CORS, no second domain):
//!
//! | route | |
//! |---|---|
//! | `GET /dashboard`, `/dashboard/{tokens,members,audit,sessions,workspaces,device,callback}` | the page (one document; the script draws each view) |
//! | `GET /dashboard/app.js`, `/dashboard/app.css` | its assets, embedded in the binary |
//! | `GET /dashboard/config.json` | where to sign in: the identity provider's authorization endpoint (from its discovery document) and the client id |
//! | `POST /dashboard/token` | exchanges the sign-in's code (with its PKCE verifier) at the provider's token endpoint, server-side, since the page may talk to no other origin |
//!
//! Every answer carries a strict Content Security Policy (`default-src
//! 'self'`, no inline script or style, `frame-ancestors 'none'`),
//! `Referrer-Policy: no-referrer` and `X-Content-Type-Options: nosniff`.
//! The browser keeps the PKCE verifier, `state` and `nonce` and checks them;
//! it exchanges the provider's access token (a JWT the authorizer trusts)
//! once for a dashboard session (`POST /v1/auth/sessions`).

#![cfg_attr(not(test), warn(clippy::wildcard_enum_match_arm))]

use std::sync::Arc;
use std::time::Duration;

use akua_http::{ApiError, BasePath, Error, Result};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

const INDEX: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const APP_CSS: &str = include_str!("../assets/app.css");

/// The views the page draws; any other name under `/dashboard/` is a 404.
const PAGES: [&str; 7] = [
    "tokens",
    "members",
    "audit",
    "sessions",
    "workspaces",
    "device",
    "callback",
];

/// Nothing from another origin, nothing inline, never in a frame.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     object-src 'none'; frame-ancestors 'none'";

const FETCH_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the identity provider is, and the dashboard's client id there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashboardConfig {
    /// `{issuer}/.well-known/openid-configuration`.
    pub discovery_url: String,
    /// Empty: sign-in is not configured (the page says so).
    pub client_id: String,
}

impl DashboardConfig {
    /// `AKUA_OIDC_CLIENT_ID`, and the discovery document of
    /// `AKUA_JWT_ISSUER` (or `AKUA_OIDC_DISCOVERY_URL` when set).
    pub fn from_env() -> std::result::Result<Self, String> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let discovery_url = match var("AKUA_OIDC_DISCOVERY_URL") {
            Some(url) => url,
            None => match var("AKUA_JWT_ISSUER") {
                Some(issuer) => format!(
                    "{}/.well-known/openid-configuration",
                    issuer.trim_end_matches('/')
                ),
                None => String::new(),
            },
        };
        Ok(Self {
            discovery_url,
            client_id: var("AKUA_OIDC_CLIENT_ID").unwrap_or_default(),
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
struct Discovery {
    authorization_endpoint: String,
    token_endpoint: String,
}

struct Dashboard {
    config: DashboardConfig,
    http: reqwest::Client,
    discovery: Mutex<Option<Discovery>>,
}

impl Dashboard {
    /// The provider's endpoints, fetched once (again after a failure).
    async fn discovery(&self) -> Result<Discovery> {
        if self.config.client_id.is_empty() || self.config.discovery_url.is_empty() {
            tracing::error!("sign-in is not configured: deploy with JwtIssuer and OidcClientId");
            return Err(Error(ApiError::Unavailable));
        }
        let mut cached = self.discovery.lock().await;
        if let Some(found) = cached.as_ref() {
            return Ok(found.clone());
        }
        let unavailable = |e: String| {
            tracing::warn!(error = %e, "identity provider discovery failed");
            Error(ApiError::Unavailable)
        };
        let response = self
            .http
            .get(&self.config.discovery_url)
            .send()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let bytes = response
            .bytes()
            .await
            .map_err(|e| unavailable(e.to_string()))?;
        let found: Discovery =
            serde_json::from_slice(&bytes).map_err(|e| unavailable(e.to_string()))?;
        *cached = Some(found.clone());
        Ok(found)
    }
}

/// Adds the page's security headers to any answer.
fn secured(mut response: Response, cache: &'static str) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    secured(
        ([(header::CONTENT_TYPE, content_type)], body).into_response(),
        "no-cache",
    )
}

/// The page, with every URL in it on the base it is served under (a
/// relative URL breaks at `/prod/dashboard` without a trailing slash, and
/// the CSP rightly forbids `<base>`). [`BasePath`] holds only characters
/// that are safe in HTML as they are.
async fn index(BasePath(base): BasePath) -> Response {
    secured(
        (
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            INDEX.replace("{{BASE}}", &base),
        )
            .into_response(),
        "no-cache",
    )
}

async fn page(base: BasePath, Path(name): Path<String>) -> Response {
    match name.as_str() {
        "app.js" => asset("text/javascript; charset=utf-8", APP_JS),
        "app.css" => asset("text/css; charset=utf-8", APP_CSS),
        name if PAGES.contains(&name) => index(base).await,
        _ => secured(
            Error(ApiError::NotFound("page")).into_response(),
            "no-store",
        ),
    }
}

#[derive(Debug, Serialize)]
struct SignInConfig {
    authorization_endpoint: String,
    client_id: String,
}

async fn sign_in_config(State(dashboard): State<Arc<Dashboard>>) -> Response {
    let answer = match dashboard.discovery().await {
        Ok(d) => Json(SignInConfig {
            authorization_endpoint: d.authorization_endpoint,
            client_id: dashboard.config.client_id.clone(),
        })
        .into_response(),
        Err(e) => e.into_response(),
    };
    secured(answer, "no-store")
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeExchange {
    code: String,
    code_verifier: String,
    redirect_uri: String,
}

/// What the page needs of the provider's token answer.
#[derive(Debug, Serialize, Deserialize)]
struct Tokens {
    access_token: String,
    id_token: String,
}

async fn token(
    State(dashboard): State<Arc<Dashboard>>,
    body: akua_http::JsonBody<CodeExchange>,
) -> Response {
    secured(
        exchange(&dashboard, body.0)
            .await
            .map_or_else(IntoResponse::into_response, |t| Json(t).into_response()),
        "no-store",
    )
}

async fn exchange(dashboard: &Dashboard, request: CodeExchange) -> Result<Tokens> {
    let too_long = [&request.code, &request.code_verifier, &request.redirect_uri]
        .iter()
        .any(|v| v.is_empty() || v.len() > 2048);
    let path_ok = url::Url::parse(&request.redirect_uri).is_ok_and(|u| {
        u.path() == "/dashboard/callback" || u.path().ends_with("/dashboard/callback")
    });
    if too_long || !path_ok {
        return Err(Error(ApiError::BadRequest(
            "code, code_verifier and a redirect_uri ending in /dashboard/callback are required"
                .into(),
        )));
    }
    let discovery = dashboard.discovery().await?;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", request.code.as_str()),
        ("redirect_uri", request.redirect_uri.as_str()),
        ("client_id", dashboard.config.client_id.as_str()),
        ("code_verifier", request.code_verifier.as_str()),
    ];
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    let unavailable = || Error(ApiError::Unavailable);
    let response = dashboard
        .http
        .post(&discovery.token_endpoint)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(body)
        .send()
        .await
        .map_err(|_| unavailable())?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|_| unavailable())?;
    if !status.is_success() {
        // The provider refused the code (expired, reused, wrong verifier).
        return Err(Error(ApiError::BadRequest(
            "the identity provider refused the sign-in; sign in again".into(),
        )));
    }
    serde_json::from_slice(&bytes).map_err(|_| unavailable())
}

/// The dashboard's routes (public: the page signs in by itself), with no
/// fallback, so akua-local can merge them beside the API; the Lambda adds
/// the API's 404/405 answers ([`akua_http::finish`]).
pub fn router(config: DashboardConfig) -> Router {
    let http = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .connect_timeout(FETCH_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default();
    let dashboard = Arc::new(Dashboard {
        config,
        http,
        discovery: Mutex::new(None),
    });
    Router::new()
        .route("/dashboard", get(index))
        .route("/dashboard/", get(index))
        .route("/dashboard/config.json", get(sign_in_config))
        .route("/dashboard/token", post(token))
        .route("/dashboard/{page}", get(page))
        .layer(axum::extract::DefaultBodyLimit::max(
            akua_http::MAX_BODY_BYTES,
        ))
        .with_state(dashboard)
}
