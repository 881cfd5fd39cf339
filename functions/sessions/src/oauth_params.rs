//! The parameters of the OAuth endpoints (device flow, RFC 7009 revocation,
//! RFC 7662 introspection): a form, as the RFCs define, or a JSON object,
//! as many clients send. Every refusal is in OAuth's error shape, not the
//! API's envelope, because OAuth clients read that one.

use akua_core::device::{OAuthError, Params};
use akua_core::holder::RevocationRequest;
use akua_http::OAuth;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};

/// The parameters the OAuth endpoints read; in a JSON body each must be
/// a string, and any other member is ignored like an unknown form
/// parameter (RFC 6749 §3.1).
const KNOWN_PARAMS: [&str; 7] = [
    "client_id",
    "scope",
    "grant_type",
    "device_code",
    "token",
    "token_type_hint",
    "workspace_id",
];

/// Reads OAuth parameters from a form (RFC 8628 §3.1) or a JSON object.
/// Anything else, or a known parameter that is not a string, is
/// `invalid_request`.
fn read(headers: &HeaderMap, body: &[u8]) -> Result<Params, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    match content_type.as_str() {
        "application/x-www-form-urlencoded" => {
            Ok(url::form_urlencoded::parse(body).into_owned().collect())
        }
        "application/json" => {
            let value: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(body).map_err(|_| OAuthError::INVALID_REQUEST)?;
            let mut params = Params::new();
            for (k, v) in value {
                if let serde_json::Value::String(s) = v {
                    params.insert(k, s);
                } else if KNOWN_PARAMS.contains(&k.as_str()) {
                    return Err(OAuthError::INVALID_REQUEST);
                }
            }
            Ok(params)
        }
        _ => Err(OAuthError::INVALID_REQUEST),
    }
}

/// A body over [`akua_http::MAX_BODY_BYTES`], as an OAuth error: `413`.
fn too_large() -> OAuthError {
    OAuthError::body_too_large(akua_http::MAX_BODY_BYTES)
}

/// A request's OAuth parameters: `413` for a body over the limit,
/// `invalid_request` for one that is neither a form nor a JSON object.
pub struct OAuthParams(pub Params);

impl<S: Send + Sync> FromRequest<S> for OAuthParams {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let headers = request.headers().clone();
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| OAuth(too_large()).into_response())?;
        read(&headers, &body)
            .map(Self)
            .map_err(|e| OAuth(e).into_response())
    }
}

/// The `token` of an RFC 7009 or RFC 7662 request, and every parameter
/// sent with it: `invalid_request` without a token.
pub struct TokenParam(pub RevocationRequest, pub Params);

impl<S: Send + Sync> FromRequest<S> for TokenParam {
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let OAuthParams(params) = OAuthParams::from_request(request, state).await?;
        match RevocationRequest::from_params(params.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
            Some(token) => Ok(Self(token, params)),
            None => Err(OAuth(OAuthError::INVALID_REQUEST).into_response()),
        }
    }
}
