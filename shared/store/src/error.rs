//! SDK failures mapped to core's [`StoreError`], classified by what the
//! caller should do about them.
//!
//! Messages carry the SDK's error code and kind only: a service message can
//! quote key values, and keys hold credential hashes.

use akua_core::ports::StoreError;
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

/// Error codes DynamoDB uses for "too much, try again".
const RETRYABLE_CODES: &[&str] = &[
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
];

/// The [`StoreError`] for an SDK failure.
#[allow(
    clippy::wildcard_enum_match_arm,
    reason = "SdkError is non-exhaustive; what is left is a request that could not be built"
)]
pub fn sdk_error<E: ProvideErrorMetadata, R>(err: SdkError<E, R>) -> StoreError {
    match &err {
        SdkError::TimeoutError(_) => StoreError::Unavailable("timeout".into()),
        SdkError::DispatchFailure(_) => StoreError::Unavailable("unreachable".into()),
        SdkError::ResponseError(_) => StoreError::Unavailable("unreadable response".into()),
        SdkError::ServiceError(service) => {
            let code = service.err().code().unwrap_or("unknown").to_owned();
            if RETRYABLE_CODES.contains(&code.as_str()) {
                StoreError::Unavailable(code)
            } else {
                StoreError::Request(code)
            }
        }
        _ => StoreError::Request("request construction failed".into()),
    }
}

/// A request that could not be built.
pub(crate) fn request_error(err: impl std::fmt::Display) -> StoreError {
    StoreError::Request(err.to_string())
}

/// `true` when a write failed only because its condition did not hold (a
/// single-item `ConditionalCheckFailed`, or a cancelled transaction).
pub(crate) fn condition_failed<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    e.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|c| {
            c == "TransactionCanceledException" || c == "ConditionalCheckFailedException"
        })
}

/// Maps a conditional write's outcome: `Ok(true)` written, `Ok(false)` the
/// condition did not hold, `Err` anything else.
pub(crate) fn written<T, E: ProvideErrorMetadata>(
    result: Result<T, SdkError<E, HttpResponse>>,
) -> Result<bool, StoreError> {
    match result {
        Ok(_) => Ok(true),
        Err(e) if condition_failed(&e) => Ok(false),
        Err(e) => Err(sdk_error(e)),
    }
}
