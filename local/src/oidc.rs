//! The development issuer as a minimal OpenID Connect provider, on loopback
//! only, so the dashboard signs in locally exactly as it does deployed:
//!
//! - `GET /.well-known/openid-configuration`: the discovery document;
//! - `GET /oauth/authorize`: a page with a user id field (the development
//!   user by default) for an authorization code request with PKCE (S256).
//!   Without `max_age` it also asks how long ago to pretend the sign-in
//!   was, so sudo mode can be tried (and tested) without waiting hours;
//!   with `max_age` (OIDC Core §3.1.2.1) the sign-in is always fresh;
//! - `POST /oauth/authorize`: issues a one-time code (60 s) and redirects
//!   back to the dashboard with it and the request's `state`;
//! - `POST /oauth/token`: redeems the code once, checking the client, the
//!   redirect URI and the PKCE verifier, for an access token (a JWT the
//!   authorizer trusts) and an ID token carrying the request's `nonce`,
//!   both with the sign-in's `auth_time`.
//!
//! Anyone who can reach this loopback port can sign in as anyone: that is
//! what a development provider is for, and why it never runs deployed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_lc_rs::digest::{SHA256, digest};
use axum::Router;
use axum::extract::{Form, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use crate::dev_issuer::{self, DevIssuer};

/// The dashboard's client id at the development provider.
pub const CLIENT_ID: &str = "akua-dashboard";
const CODE_LIFETIME: Duration = Duration::from_secs(60);
/// How long the access token lasts: the dashboard exchanges it at once.
const ACCESS_TOKEN_SECS: i64 = 300;

struct Pending {
    user: String,
    challenge: String,
    redirect_uri: String,
    nonce: Option<String>,
    auth_time: i64,
    issued: Instant,
}

#[derive(Clone)]
pub struct Provider {
    issuer: Arc<DevIssuer>,
    base: String,
    /// The one redirect URI registered for the dashboard.
    callback: String,
    dev_user: String,
    codes: Arc<Mutex<HashMap<String, Pending>>>,
}

#[derive(Debug, Deserialize)]
pub struct AuthorizeRequest {
    response_type: Option<String>,
    client_id: Option<String>,
    redirect_uri: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
    /// Seconds: a sign-in older than this must be done again.
    max_age: Option<String>,
    /// Who is expected to sign in (signing in again): prefills the user id.
    login_hint: Option<String>,
    /// Only on the form's POST.
    user_id: Option<String>,
    /// Only on the form's POST, without `max_age`: how many minutes ago
    /// the sign-in is to have happened.
    signed_in_minutes_ago: Option<String>,
}

/// The longest pretended sign-in age: a week.
const MAX_PRETENDED_MINUTES: i64 = 7 * 24 * 60;

#[derive(Debug, Deserialize)]
pub struct TokenRequest {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    client_id: Option<String>,
    code_verifier: Option<String>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn refused(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in refused</title></head><body><main><h1>Sign-in refused</h1><p>{}</p></main></body></html>",
            escape(message)
        )),
    )
        .into_response()
}

fn oauth_error(error: &str) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!({"error": error}))).into_response()
}

impl Provider {
    /// A provider at `base` (the server's root, like an identity provider
    /// of its own) for the dashboard served at `app_base` (the same, plus
    /// the stage under `--stage`).
    pub fn new(issuer: Arc<DevIssuer>, base: &str, app_base: &str, dev_user: &str) -> Self {
        Self {
            issuer,
            base: base.to_owned(),
            callback: format!("{app_base}/dashboard/callback"),
            dev_user: dev_user.to_owned(),
            codes: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Where the dashboard finds this provider.
    pub fn discovery_url(&self) -> String {
        format!("{}/.well-known/openid-configuration", self.base)
    }

    pub fn routes<S: Clone + Send + Sync + 'static>(self) -> Router<S> {
        Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/oauth/authorize", get(authorize_page).post(authorize))
            .route("/oauth/token", axum::routing::post(token))
            .with_state(self)
    }

    /// The request's parameters, checked: only the dashboard, only back to
    /// this server's dashboard, only with an S256 challenge.
    fn check(&self, r: &AuthorizeRequest) -> Result<(), &'static str> {
        if r.response_type.as_deref() != Some("code") {
            return Err("response_type must be code");
        }
        if r.client_id.as_deref() != Some(CLIENT_ID) {
            return Err("unknown client_id");
        }
        if r.redirect_uri.as_deref() != Some(self.callback.as_str()) {
            return Err("redirect_uri must be this server's /dashboard/callback");
        }
        if r.code_challenge_method.as_deref() != Some("S256")
            || r.code_challenge.as_deref().is_none_or(|c| c.len() < 43)
        {
            return Err("a PKCE code_challenge with code_challenge_method S256 is required");
        }
        if r.state.as_deref().is_none_or(str::is_empty) {
            return Err("state is required");
        }
        Ok(())
    }
}

async fn discovery(State(p): State<Provider>) -> Response {
    axum::Json(json!({
        "issuer": dev_issuer::ISSUER,
        "authorization_endpoint": format!("{}/oauth/authorize", p.base),
        "token_endpoint": format!("{}/oauth/token", p.base),
        "jwks_uri": format!("{}/.well-known/jwks.json", p.base),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code"],
        "code_challenge_methods_supported": ["S256"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "claims_supported": ["iss", "aud", "sub", "iat", "nbf", "exp", "auth_time", "nonce"],
    }))
    .into_response()
}

async fn authorize_page(
    State(p): State<Provider>,
    Query(request): Query<AuthorizeRequest>,
) -> Response {
    if let Err(why) = p.check(&request) {
        return refused(why);
    }
    let hidden = |name: &str, value: &Option<String>| {
        format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value.as_deref().unwrap_or(""))
        )
    };
    let fields = [
        hidden("response_type", &request.response_type),
        hidden("client_id", &request.client_id),
        hidden("redirect_uri", &request.redirect_uri),
        hidden("state", &request.state),
        hidden("nonce", &request.nonce),
        hidden("code_challenge", &request.code_challenge),
        hidden("code_challenge_method", &request.code_challenge_method),
        hidden("max_age", &request.max_age),
    ]
    .join("\n");
    // Asked again with `max_age`: a fresh sign-in, nothing to pretend.
    let age = if request.max_age.as_deref().is_some_and(|v| !v.is_empty()) {
        "<p id=\"fresh-sign-in\">Signing in again: this application asked for a fresh sign-in.</p>"
            .to_owned()
    } else {
        format!(
            "<label for=\"signed_in_minutes_ago\">Pretend the sign-in was this many minutes ago (0 to {MAX_PRETENDED_MINUTES}; to try sudo mode)</label>\n<input id=\"signed_in_minutes_ago\" name=\"signed_in_minutes_ago\" type=\"number\" min=\"0\" max=\"{MAX_PRETENDED_MINUTES}\" value=\"0\">"
        )
    };
    let page = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · akua-local development provider</title></head>
<body><main>
<h1>Sign in to the Akua dashboard</h1>
<p>akua-local's development identity provider: sign in as any user id. A deployment signs in with your organisation's provider instead.</p>
<form method="post" action="/oauth/authorize">
{fields}
<label for="user_id">User id</label>
<input id="user_id" name="user_id" value="{user}" required autocomplete="username">
{age}
<button type="submit" id="sign-in-as">Sign in</button>
</form>
</main></body></html>"#,
        user = escape(
            request
                .login_hint
                .as_deref()
                .filter(|hint| !hint.is_empty())
                .unwrap_or(&p.dev_user)
        ),
    );
    (
        [(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
        )],
        Html(page),
    )
        .into_response()
}

fn random_code() -> String {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes).expect("system randomness");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

async fn authorize(State(p): State<Provider>, Form(request): Form<AuthorizeRequest>) -> Response {
    if let Err(why) = p.check(&request) {
        return refused(why);
    }
    let user = request.user_id.as_deref().unwrap_or("").trim();
    if akua_core::UserId::parse(user).is_err() {
        return refused("the user id must be 1–255 printable characters");
    }
    let now = akua_core::clock::now();
    // The form posts every hidden field, an absent one as empty.
    let max_age = request.max_age.as_deref().filter(|v| !v.is_empty());
    let auth_time = match (max_age, request.signed_in_minutes_ago.as_deref()) {
        // max_age asks for a sign-in no older than it: this one, now.
        (Some(_), _) | (None, None) => now,
        (None, Some(minutes)) => match minutes.trim().parse::<i64>() {
            Ok(m) if (0..=MAX_PRETENDED_MINUTES).contains(&m) => now - m * 60,
            _ => {
                return refused(
                    "the sign-in's age must be a whole number of minutes, at most a week",
                );
            }
        },
    };
    let code = random_code();
    let (Some(redirect_uri), Some(state), Some(challenge)) = (
        request.redirect_uri.clone(),
        request.state.clone(),
        request.code_challenge.clone(),
    ) else {
        return refused("incomplete request");
    };
    if let Ok(mut codes) = p.codes.lock() {
        codes.retain(|_, pending| pending.issued.elapsed() < CODE_LIFETIME);
        codes.insert(
            code.clone(),
            Pending {
                user: user.to_owned(),
                challenge,
                redirect_uri: redirect_uri.clone(),
                nonce: request.nonce.clone(),
                auth_time,
                issued: Instant::now(),
            },
        );
    }
    let target = url::Url::parse_with_params(&redirect_uri, [("code", &code), ("state", &state)]);
    match target {
        Ok(url) => Redirect::to(url.as_str()).into_response(),
        Err(_) => refused("redirect_uri is not a URL"),
    }
}

async fn token(State(p): State<Provider>, Form(request): Form<TokenRequest>) -> Response {
    if request.grant_type.as_deref() != Some("authorization_code") {
        return oauth_error("unsupported_grant_type");
    }
    let pending = request
        .code
        .as_deref()
        .and_then(|code| p.codes.lock().ok()?.remove(code));
    let Some(pending) = pending else {
        return oauth_error("invalid_grant");
    };
    let verifier = request.code_verifier.as_deref().unwrap_or("");
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(digest(&SHA256, verifier.as_bytes()));
    let valid = pending.issued.elapsed() < CODE_LIFETIME
        && request.client_id.as_deref() == Some(CLIENT_ID)
        && request.redirect_uri.as_deref() == Some(pending.redirect_uri.as_str())
        && challenge == pending.challenge;
    if !valid {
        return oauth_error("invalid_grant");
    }
    let now = akua_core::clock::now();
    let access = p
        .issuer
        .mint_signed_in(&pending.user, pending.auth_time, now, ACCESS_TOKEN_SECS);
    let id = p.issuer.mint_id_token(
        &pending.user,
        CLIENT_ID,
        pending.nonce.as_deref(),
        pending.auth_time,
        now,
    );
    match (access, id) {
        (Ok(access_token), Ok(id_token)) => (
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(json!({
                "access_token": access_token,
                "id_token": id_token,
                "token_type": "Bearer",
                "expires_in": ACCESS_TOKEN_SECS,
            })),
        )
            .into_response(),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, "could not sign").into_response(),
    }
}
