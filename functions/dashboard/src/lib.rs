//! The dashboard, served by the stack itself under `/dashboard` (same
//! origin as the API: no CORS, no second domain):
//!
//! | route | |
//! |---|---|
//! | `GET /dashboard`, `/dashboard/{tokens,members,audit,sessions,workspaces,device,callback}` | the page (one document; the script draws each view) |
//! | `GET /dashboard/app.js` (the entry), `/dashboard/{module}.js`, `/dashboard/app.css` | its assets: ES modules at one path segment (API Gateway routes `/dashboard/{page}`), embedded in the binary |
//! | `GET /dashboard/config.json` | the server's vocabulary (pages, roles, audit actions, limits), so the script keeps no copy; and where to sign in: the identity provider's authorization endpoint (from its discovery document) and the client id, left out while the provider cannot be reached |
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

use akua_core::audit::AuditAction;
use akua_core::ids::{Name, Role, TokenRole, UserId};
use akua_core::token_policy::MAX_POLICY_DAYS;
use akua_http::{ApiError, BasePath, Error, Result};
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

const INDEX: &str = include_str!("../assets/index.html");
const APP_CSS: &str = include_str!("../assets/app.css");

/// The script's ES modules, by the name they are served under
/// (`/dashboard/{name}`); `app.js` is the entry `index.html` loads, the
/// rest are imported relative to it. View `x` is `page-x.js`.
const MODULES: [(&str, &str); 17] = [
    ("app.js", include_str!("../assets/app.js")),
    ("api.js", include_str!("../assets/api.js")),
    ("dom.js", include_str!("../assets/dom.js")),
    ("fields.js", include_str!("../assets/fields.js")),
    ("router.js", include_str!("../assets/router.js")),
    ("signin.js", include_str!("../assets/signin.js")),
    ("state.js", include_str!("../assets/state.js")),
    ("sudo.js", include_str!("../assets/sudo.js")),
    ("time.js", include_str!("../assets/time.js")),
    ("token-form.js", include_str!("../assets/token-form.js")),
    ("token-policy.js", include_str!("../assets/token-policy.js")),
    ("page-tokens.js", include_str!("../assets/page-tokens.js")),
    ("page-members.js", include_str!("../assets/page-members.js")),
    ("page-audit.js", include_str!("../assets/page-audit.js")),
    (
        "page-sessions.js",
        include_str!("../assets/page-sessions.js"),
    ),
    (
        "page-workspaces.js",
        include_str!("../assets/page-workspaces.js"),
    ),
    ("page-device.js", include_str!("../assets/page-device.js")),
];

/// Where the provider sends the browser back; a page, not a view.
const CALLBACK: &str = "callback";

/// The views the page draws, the first where it opens, each with its
/// label in the navigation (`None`: reached by a link, not the menu). The
/// page's menu and the script's list of views are both made from this.
const VIEWS: [(&str, Option<&str>); 6] = [
    ("tokens", Some("API tokens")),
    ("members", Some("Members")),
    ("audit", Some("Audit log")),
    ("sessions", Some("Your sessions")),
    ("workspaces", Some("Create workspace")),
    ("device", None),
];

/// Whether `/dashboard/<name>` is the page (a view or the sign-in's
/// callback); any other name is a 404.
fn is_page(name: &str) -> bool {
    name == CALLBACK || VIEWS.iter().any(|(view, _)| *view == name)
}

/// The navigation's links, on `base`.
fn navigation(base: &str) -> String {
    VIEWS
        .iter()
        .filter_map(|(name, label)| {
            label.map(|label| {
                format!(
                    "<li><a href=\"{base}/dashboard/{name}\" data-page=\"{name}\">{label}</a></li>"
                )
            })
        })
        .collect::<Vec<_>>()
        .join("\n    ")
}

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
            INDEX
                .replace("{{NAV}}", &navigation(&base))
                .replace("{{BASE}}", &base),
        )
            .into_response(),
        "no-cache",
    )
}

async fn page(base: BasePath, Path(name): Path<String>) -> Response {
    if let Some((_, module)) = MODULES.iter().find(|(n, _)| *n == name) {
        return asset("text/javascript; charset=utf-8", module);
    }
    match name.as_str() {
        "app.css" => asset("text/css; charset=utf-8", APP_CSS),
        name if is_page(name) => index(base).await,
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

/// The server's words the script uses, from the types that define them.
#[derive(Debug, Serialize)]
struct Vocabulary {
    /// The views, the first where the dashboard opens.
    pages: Vec<&'static str>,
    /// Every role, highest first.
    roles: Vec<&'static str>,
    /// What a token or a member may be given (not `owner`), highest first.
    granted_roles: Vec<&'static str>,
    /// Every audit action's wire name.
    audit_actions: Vec<&'static str>,
    limits: Limits,
}

/// The API's input limits, for the form fields that take them.
#[derive(Debug, Serialize)]
struct Limits {
    /// A token's or a workspace's name, in characters.
    name_chars: usize,
    user_id_bytes: usize,
    /// A token policy's `max_lifetime_days`.
    policy_max_days: u32,
}

/// Every role, highest first. The match has no wildcard: a new role does
/// not compile until it is listed here.
fn roles() -> Vec<Role> {
    let listed = |role: Role| match role {
        Role::Owner | Role::Admin | Role::Member => role,
    };
    let mut roles = [Role::Owner, Role::Admin, Role::Member].map(listed);
    roles.sort_by_key(|r| std::cmp::Reverse(r.rank()));
    roles.to_vec()
}

fn vocabulary() -> Vocabulary {
    Vocabulary {
        pages: VIEWS.map(|(name, _)| name).to_vec(),
        roles: roles().into_iter().map(Role::as_str).collect(),
        granted_roles: roles()
            .into_iter()
            .filter(|r| TokenRole::try_from(*r).is_ok())
            .map(Role::as_str)
            .collect(),
        audit_actions: AuditAction::ALL.map(AuditAction::as_str).to_vec(),
        limits: Limits {
            name_chars: Name::MAX_CHARS,
            user_id_bytes: UserId::MAX_LEN,
            policy_max_days: MAX_POLICY_DAYS,
        },
    }
}

/// `GET /dashboard/config.json`.
#[derive(Debug, Serialize)]
struct PageConfig {
    /// Absent while the provider cannot be reached (or sign-in is not
    /// configured): the vocabulary is answered all the same, so a signed-in
    /// page keeps working through a provider's outage.
    #[serde(flatten)]
    sign_in: Option<SignInConfig>,
    vocabulary: Vocabulary,
}

async fn page_config(State(dashboard): State<Arc<Dashboard>>) -> Response {
    // The discovery logs its own failure.
    let sign_in = dashboard.discovery().await.ok().map(|d| SignInConfig {
        authorization_endpoint: d.authorization_endpoint,
        client_id: dashboard.config.client_id.clone(),
    });
    let config = PageConfig {
        sign_in,
        vocabulary: vocabulary(),
    };
    secured(Json(config).into_response(), "no-store")
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
        .route("/dashboard/config.json", get(page_config))
        .route("/dashboard/token", post(token))
        .route("/dashboard/{page}", get(page))
        .layer(axum::extract::DefaultBodyLimit::max(
            akua_http::MAX_BODY_BYTES,
        ))
        .with_state(dashboard)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::http::StatusCode;
    use http_body_util::BodyExt;

    use super::*;

    async fn served(name: &str) -> (Response, Vec<u8>) {
        let mut response = page(BasePath::default(), Path(name.to_owned())).await;
        let body = std::mem::take(response.body_mut())
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        (response, body)
    }

    fn header(response: &Response, name: header::HeaderName) -> &str {
        response.headers()[name].to_str().expect("ascii")
    }

    /// `x.js` of every `from "./x.js"` in `source`.
    fn static_imports(source: &str) -> Vec<&str> {
        source
            .split("from \"./")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap_or_default())
            .collect()
    }

    fn module_names() -> BTreeSet<&'static str> {
        MODULES.iter().map(|(name, _)| *name).collect()
    }

    #[tokio::test]
    async fn every_module_is_served_as_javascript_with_the_security_headers() {
        for (name, source) in MODULES {
            let (response, body) = served(name).await;
            assert_eq!(response.status(), StatusCode::OK, "{name}");
            assert_eq!(
                header(&response, header::CONTENT_TYPE),
                "text/javascript; charset=utf-8",
                "{name}"
            );
            assert_eq!(
                header(&response, header::CONTENT_SECURITY_POLICY),
                CONTENT_SECURITY_POLICY,
                "{name}"
            );
            assert_eq!(header(&response, header::X_CONTENT_TYPE_OPTIONS), "nosniff");
            assert_eq!(header(&response, header::REFERRER_POLICY), "no-referrer");
            assert_eq!(header(&response, header::CACHE_CONTROL), "no-cache");
            assert_eq!(body, source.as_bytes(), "{name}");
        }
        let (css, _) = served("app.css").await;
        assert_eq!(
            header(&css, header::CONTENT_TYPE),
            "text/css; charset=utf-8"
        );
        for unknown in ["nothing.js", "app.mjs", "page-callback.js", "index.html"] {
            let (response, _) = served(unknown).await;
            assert_eq!(response.status(), StatusCode::NOT_FOUND, "{unknown}");
            assert_eq!(
                header(&response, header::CONTENT_SECURITY_POLICY),
                CONTENT_SECURITY_POLICY
            );
        }
    }

    #[test]
    fn every_script_in_the_assets_is_served() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets");
        let files: BTreeSet<String> = std::fs::read_dir(dir)
            .expect("assets")
            .map(|e| e.expect("entry").file_name().into_string().expect("utf-8"))
            .filter(|n| n.ends_with(".js"))
            .collect();
        let served: BTreeSet<String> = module_names().into_iter().map(str::to_owned).collect();
        assert_eq!(files, served);
    }

    /// The router imports `./page-${name}.js` for a page of the vocabulary:
    /// every view has its module, and every page module is a view.
    #[test]
    fn every_view_is_a_module_and_every_page_module_a_view() {
        let dynamic: Vec<&str> = MODULES
            .iter()
            .filter(|(_, source)| source.contains("import("))
            .map(|(name, _)| *name)
            .collect();
        assert_eq!(dynamic, ["router.js"]);
        let router = MODULES
            .iter()
            .find(|(n, _)| *n == "router.js")
            .expect("router.js")
            .1;
        assert_eq!(router.matches("import(").count(), 1);
        assert!(router.contains("import(`./page-${name}.js`)"));
        let views: BTreeSet<String> = vocabulary()
            .pages
            .iter()
            .map(|p| format!("page-{p}.js"))
            .collect();
        let page_modules: BTreeSet<String> = module_names()
            .into_iter()
            .filter(|n| n.starts_with("page-"))
            .map(str::to_owned)
            .collect();
        assert_eq!(views, page_modules);
    }

    /// Every module reached from the entry (static imports, and the views)
    /// is served, and every served module is reached.
    #[test]
    fn the_modules_are_exactly_those_the_entry_reaches() {
        let source = |name: &str| {
            MODULES
                .iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("{name} is imported but not served"))
                .1
        };
        let mut reached = BTreeSet::new();
        let mut next = vec!["app.js".to_owned()];
        next.extend(vocabulary().pages.iter().map(|p| format!("page-{p}.js")));
        while let Some(name) = next.pop() {
            if reached.insert(name.clone()) {
                next.extend(static_imports(source(&name)).into_iter().map(str::to_owned));
            }
        }
        let served: BTreeSet<String> = module_names().into_iter().map(str::to_owned).collect();
        assert_eq!(reached, served);
    }

    #[test]
    fn the_vocabulary_is_the_servers() {
        let v = serde_json::to_value(vocabulary()).expect("json");
        assert_eq!(
            v["pages"],
            serde_json::json!([
                "tokens",
                "members",
                "audit",
                "sessions",
                "workspaces",
                "device"
            ])
        );
        assert_eq!(v["roles"], serde_json::json!(["owner", "admin", "member"]));
        assert_eq!(v["granted_roles"], serde_json::json!(["admin", "member"]));
        let actions: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(v["audit_actions"], serde_json::json!(actions));
        assert_eq!(
            v["limits"],
            serde_json::json!({"name_chars": 100, "user_id_bytes": 255, "policy_max_days": 1825})
        );
    }

    /// Without sign-in, the page still gets its vocabulary.
    #[tokio::test]
    async fn the_configuration_answers_the_vocabulary_without_sign_in() {
        let dashboard = Arc::new(Dashboard {
            config: DashboardConfig {
                discovery_url: String::new(),
                client_id: String::new(),
            },
            http: reqwest::Client::new(),
            discovery: Mutex::new(None),
        });
        let response = page_config(State(dashboard)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            header(&response, header::CONTENT_SECURITY_POLICY),
            CONTENT_SECURITY_POLICY
        );
        assert_eq!(header(&response, header::CACHE_CONTROL), "no-store");
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let config: serde_json::Value = serde_json::from_slice(&body).expect("json");
        assert!(config.get("authorization_endpoint").is_none(), "{config}");
        assert!(config.get("client_id").is_none(), "{config}");
        assert_eq!(config["vocabulary"]["pages"][0], "tokens");
    }
}
