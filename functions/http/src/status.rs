//! The one place an error of the core becomes an HTTP status (DESIGN §6):
//! the core says what went wrong, this module says how HTTP spells it.

use akua_core::ApiError;
use akua_core::device::{OAuthCause, OAuthError};
use axum::http::StatusCode;

/// The HTTP status of an error.
pub trait HttpStatus {
    fn status(&self) -> StatusCode;
}

impl HttpStatus for ApiError {
    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized | Self::ReauthenticationRequired { .. } => StatusCode::UNAUTHORIZED,
            Self::Forbidden(..)
            | Self::InsufficientPermission(_)
            | Self::UnmappedRoute
            | Self::IpNotAllowed => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// RFC 6749 §5.2 answers a client's mistake with 400; the other causes are
/// not the client's.
impl HttpStatus for OAuthError {
    fn status(&self) -> StatusCode {
        match self.cause {
            OAuthCause::Request => StatusCode::BAD_REQUEST,
            OAuthCause::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            OAuthCause::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            OAuthCause::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_its_documented_status() {
        let cases = [
            (ApiError::BadRequest("x".into()), 400, "bad_request"),
            (ApiError::Unauthorized, 401, "unauthorized"),
            (
                ApiError::ReauthenticationRequired { max_age: 7200 },
                401,
                "reauthentication_required",
            ),
            (
                ApiError::Forbidden(akua_core::Refusal::RoleTooLow, "x".into()),
                403,
                "forbidden",
            ),
            (ApiError::NotFound("token"), 404, "not_found"),
            (ApiError::MethodNotAllowed, 405, "method_not_allowed"),
            (ApiError::Conflict("x".into()), 409, "conflict"),
            (ApiError::PayloadTooLarge(16), 413, "payload_too_large"),
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
            assert_eq!(e.code(), code);
        }
    }

    #[test]
    fn oauth_errors_are_400_unless_not_the_client_s() {
        assert_eq!(OAuthError::INVALID_GRANT.status(), 400);
        assert_eq!(OAuthError::SLOW_DOWN.status(), 400);
        assert_eq!(OAuthError::body_too_large(16384).status(), 413);
        assert_eq!(OAuthError::TEMPORARILY_UNAVAILABLE.status(), 503);
        assert_eq!(OAuthError::SERVER_ERROR.status(), 500);
    }
}
