//! The errors the HTTP API answers with, each with its machine-readable
//! code and the documented envelope `{"error": {"code", "message"}}`
//! (DESIGN §6). Every use case returns these; their one mapping to HTTP
//! status codes lives in `akua-http`, with the adapter that turns them into
//! responses.

use serde_json::json;

/// The error envelope `{"error": {"code", "message", "field"?}}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Machine-readable: `unauthorized`, `reauthentication_required`,
    /// `forbidden`, `insufficient_permission`, `ip_not_allowed`, `not_found`,
    /// `validation_error`, `bad_request`, `conflict`, `payload_too_large`,
    /// `rate_limited`, `method_not_allowed`, `service_unavailable`,
    /// `internal_error`.
    pub code: &'static str,
    pub message: String,
    /// The offending field of a `validation_error`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// With `reauthentication_required`: how recent (seconds) the sign-in
    /// must be, as the challenge's `max_age` says (API Gateway renames a
    /// backend's `WWW-Authenticate`, so the body says it too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_age: Option<i64>,
    /// With every 403: why, so that a client can say what to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Refusal>,
}

/// Why a valid credential may not act here: the `reason` of every 403
/// (DESIGN §6). `code` stays the coarse class (`forbidden`, or the two
/// codes restricted tokens brought); `reason` tells a person's missing role
/// from a missing workspace, which need different fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// Only a person (a session or a JWT) may do this, not an API token.
    PersonRequired,
    /// The request needs a workspace and names none (`Akua-Context`).
    WorkspaceRequired,
    /// The caller's role in the workspace is below what this needs.
    RoleTooLow,
    /// The request names another workspace than the credential's own (or
    /// one a multi-workspace token does not cover, or no workspace id).
    WrongWorkspace,
    /// The person is not a member of the workspace `Akua-Context` names.
    NotMember,
    /// The token asked for would outrank, outlive or reach beyond the
    /// credential making or rolling it.
    ExceedsCreator,
    /// This needs another kind of credential or sign-in than the one sent
    /// (the message names it).
    WrongCredential,
    /// A restricted token lacks the permission (`insufficient_permission`).
    PermissionMissing,
    /// An allow-listed token from outside its networks (`ip_not_allowed`).
    IpNotAllowed,
}

impl Refusal {
    /// The wire spelling, for the authorizer's Deny context.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PersonRequired => "person_required",
            Self::WorkspaceRequired => "workspace_required",
            Self::RoleTooLow => "role_too_low",
            Self::WrongWorkspace => "wrong_workspace",
            Self::NotMember => "not_member",
            Self::ExceedsCreator => "exceeds_creator",
            Self::WrongCredential => "wrong_credential",
            Self::PermissionMissing => "permission_missing",
            Self::IpNotAllowed => "ip_not_allowed",
        }
    }
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
    /// 401 for a valid credential whose holder must sign in again first
    /// (sudo mode): the person's sign-in is older than `max_age` seconds.
    /// Answered with an RFC 9470 `WWW-Authenticate` challenge.
    #[error(
        "this action needs a recent sign-in: sign in again (within {max_age} seconds) and retry"
    )]
    ReauthenticationRequired { max_age: i64 },
    /// 403, with why.
    #[error("{1}")]
    Forbidden(Refusal, String),
    /// A restricted token lacks the permission the request needs (the
    /// authorizer's refusal, or a grant beyond the maker's own).
    #[error("this needs the permission {0}, which the credential does not hold")]
    InsufficientPermission(String),
    /// A token restricted to permissions, on a route no declaration or
    /// route map names.
    #[error(
        "a token restricted to permissions may call only routes that name one, and this route names none"
    )]
    UnmappedRoute,
    /// A token with an IP allow list, used from outside it.
    #[error("this credential may not be used from this IP address")]
    IpNotAllowed,
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

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthorized => "unauthorized",
            Self::ReauthenticationRequired { .. } => "reauthentication_required",
            Self::Forbidden(..) => "forbidden",
            Self::InsufficientPermission(_) | Self::UnmappedRoute => "insufficient_permission",
            Self::IpNotAllowed => "ip_not_allowed",
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

    /// Why a 403 was answered; `None` for every other status.
    pub fn refusal(&self) -> Option<Refusal> {
        match self {
            Self::Forbidden(why, _) => Some(*why),
            Self::InsufficientPermission(_) | Self::UnmappedRoute => {
                Some(Refusal::PermissionMissing)
            }
            Self::IpNotAllowed => Some(Refusal::IpNotAllowed),
            Self::BadRequest(_)
            | Self::Unauthorized
            | Self::ReauthenticationRequired { .. }
            | Self::NotFound(_)
            | Self::MethodNotAllowed
            | Self::Conflict(_)
            | Self::PayloadTooLarge(_)
            | Self::Validation { .. }
            | Self::TooManyRequests(_)
            | Self::Unavailable
            | Self::Internal => None,
        }
    }

    /// The response body.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                field: if let Self::Validation { field, .. } = self {
                    Some(field.clone())
                } else {
                    None
                },
                max_age: if let Self::ReauthenticationRequired { max_age } = self {
                    Some(*max_age)
                } else {
                    None
                },
                reason: self.refusal(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_the_documented_envelope() {
        let cases = [
            (ApiError::BadRequest("x".into()), "bad_request"),
            (ApiError::Unauthorized, "unauthorized"),
            (
                ApiError::ReauthenticationRequired { max_age: 7200 },
                "reauthentication_required",
            ),
            (
                ApiError::Forbidden(Refusal::RoleTooLow, "x".into()),
                "forbidden",
            ),
            (
                ApiError::InsufficientPermission("a:b".into()),
                "insufficient_permission",
            ),
            (ApiError::IpNotAllowed, "ip_not_allowed"),
            (ApiError::NotFound("token"), "not_found"),
            (ApiError::Conflict("x".into()), "conflict"),
            (ApiError::validation("name", "too long"), "validation_error"),
            (ApiError::TooManyRequests("x".into()), "rate_limited"),
            (ApiError::Internal, "internal_error"),
            (ApiError::Unavailable, "service_unavailable"),
        ];
        for (e, code) in cases {
            assert_eq!(e.envelope()["error"]["code"], code);
            assert!(e.envelope()["error"]["message"].is_string());
        }
        assert_eq!(
            ApiError::validation("name", "too long").envelope()["error"]["field"],
            "name"
        );
    }

    #[test]
    fn every_403_says_why_and_no_other_status_does() {
        let refused = [
            (
                ApiError::Forbidden(Refusal::WorkspaceRequired, "x".into()),
                "workspace_required",
            ),
            (
                ApiError::InsufficientPermission("a:b".into()),
                "permission_missing",
            ),
            (ApiError::UnmappedRoute, "permission_missing"),
            (ApiError::IpNotAllowed, "ip_not_allowed"),
        ];
        for (e, reason) in refused {
            assert_eq!(e.envelope()["error"]["reason"], reason);
            assert_eq!(e.refusal().map(Refusal::as_str), Some(reason));
        }
        for other in [
            ApiError::Unauthorized,
            ApiError::NotFound("token"),
            ApiError::validation("name", "too long"),
        ] {
            assert!(other.envelope()["error"].get("reason").is_none());
        }
    }
}
