//! The errors the HTTP API answers with, and their one mapping to status
//! codes and the documented envelope `{"error": {"code", "message"}}`
//! (DESIGN §6). Every HTTP function returns these; the adapter that turns
//! them into responses lives in `akua-http`.

use serde_json::json;

use crate::ports::StoreError;
use crate::principal::NoWorkspace;

/// The error envelope `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: `unauthorized`, `forbidden`, `not_found`,
    /// `validation_error`, `bad_request`, `conflict`, `payload_too_large`,
    /// `rate_limited`, `method_not_allowed`, `service_unavailable`,
    /// `internal_error`.
    pub code: &'static str,
    pub message: String,
    /// The offending field of a `validation_error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: the request cannot be read (not JSON, wrong content type, a
    /// tampered cursor).
    #[error("{0}")]
    BadRequest(String),
    /// 401.
    #[error("a valid credential is required")]
    Unauthorized,
    /// 403.
    #[error("{0}")]
    Forbidden(String),
    /// 404: also for things that exist but belong to someone else, so that
    /// existence never leaks across workspaces.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 405.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409.
    #[error("{0}")]
    Conflict(String),
    /// 413: a body over the limit every route shares.
    #[error("the body must be at most {0} bytes")]
    PayloadTooLarge(usize),
    /// 422: a readable request with an invalid value; names the field.
    #[error("{field}: {message}")]
    Validation { field: String, message: String },
    /// 429.
    #[error("{0}")]
    TooManyRequests(String),
    /// 503: the store is unavailable or throttling; retrying later helps.
    #[error("the service is temporarily unavailable; retry shortly")]
    Unavailable,
    /// 500: a fault on our side. The cause goes to the logs, not the client.
    #[error("internal error")]
    Internal,
}

impl ApiError {
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::Unauthorized => 401,
            Self::Forbidden(_) => 403,
            Self::NotFound(_) => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict(_) => 409,
            Self::PayloadTooLarge(_) => 413,
            Self::Validation { .. } => 422,
            Self::TooManyRequests(_) => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::Validation { .. } => "validation_error",
            Self::TooManyRequests(_) => "rate_limited",
            Self::Unavailable => "service_unavailable",
            Self::Internal => "internal_error",
        }
    }

    /// The response body.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                field: match self {
                    Self::Validation { field, .. } => Some(field.clone()),
                    _ => None,
                },
            },
        }
    }

    /// The response body as JSON.
    pub fn envelope(&self) -> serde_json::Value {
        serde_json::to_value(self.body()).unwrap_or_else(
            |_| json!({"error": {"code": "internal_error", "message": "internal error"}}),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        if e == StoreError::InvalidCursor {
            return Self::BadRequest("invalid cursor".into());
        }
        if e.is_retryable() {
            tracing::warn!(error = %e, "store unavailable");
            Self::Unavailable
        } else {
            tracing::error!(error = %e, "store failure");
            Self::Internal
        }
    }
}

impl From<NoWorkspace> for ApiError {
    fn from(e: NoWorkspace) -> Self {
        Self::Forbidden(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_the_documented_envelope_and_status() {
        let cases = [
            (ApiError::BadRequest("x".into()), 400, "bad_request"),
            (ApiError::Unauthorized, 401, "unauthorized"),
            (ApiError::Forbidden("x".into()), 403, "forbidden"),
            (ApiError::NotFound("token"), 404, "not_found"),
            (ApiError::Conflict("x".into()), 409, "conflict"),
            (
                ApiError::validation("name", "too long"),
                422,
                "validation_error",
            ),
            (ApiError::TooManyRequests("x".into()), 429, "rate_limited"),
            (ApiError::Internal, 500, "internal_error"),
            (ApiError::Unavailable, 503, "service_unavailable"),
        ];
        for (e, status, code) in cases {
            assert_eq!(e.status(), status);
            assert_eq!(e.envelope()["error"]["code"], code);
            assert!(e.envelope()["error"]["message"].is_string());
        }
        assert_eq!(
            ApiError::validation("name", "too long").envelope()["error"]["field"],
            "name"
        );
    }

    #[test]
    fn store_errors_never_reach_the_client() {
        let e = ApiError::from(StoreError::Request("ValidationException CRED#abc".into()));
        assert_eq!(e, ApiError::Internal);
        assert!(!e.envelope().to_string().contains("CRED#"));
        assert_eq!(
            ApiError::from(StoreError::Unavailable("timeout".into())).status(),
            503
        );
    }
}
