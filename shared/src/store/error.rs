//! Store failures, classified by what the caller should do about them.
//!
//! Messages carry the SDK's error code and kind only: a service message can
//! quote key values, and keys hold credential hashes.

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The store did not answer in time, could not be reached, or throttled
    /// us: retrying later may help (HTTP 503; the authorizer denies).
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A write's condition failed where the caller expected it to hold.
    #[error("store condition failed")]
    Conflict,
    /// An item exists but does not have the shape this service writes.
    #[error("stored item is malformed: {0}")]
    Corrupt(&'static str),
    /// Any other failure (a rejected request, a missing table).
    #[error("store request failed: {0}")]
    Request(String),
}

/// Error codes DynamoDB uses for "too much, try again".
const RETRYABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
];

impl StoreError {
    pub fn from_sdk<E: ProvideErrorMetadata, R>(err: SdkError<E, R>) -> Self {
        match &err {
            SdkError::TimeoutError(_) => Self::Unavailable("timeout".into()),
            SdkError::DispatchFailure(_) => Self::Unavailable("unreachable".into()),
            SdkError::ResponseError(_) => Self::Unavailable("unreadable response".into()),
            SdkError::ServiceError(service) => {
                let code = service.err().code().unwrap_or("unknown").to_owned();
                if RETRYABLE_CODES.contains(&code.as_str()) {
                    Self::Unavailable(code)
                } else {
                    Self::Request(code)
                }
            }
            _ => Self::Request("request construction failed".into()),
        }
    }

    pub(crate) fn request(err: impl std::fmt::Display) -> Self {
        Self::Request(err.to_string())
    }

    /// `true` when a retry later may succeed (503 rather than 500).
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}
