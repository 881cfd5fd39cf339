//! What the benchmarks send: API Gateway REST events shaped like AWS's
//! sample, and tokens spoiled in one character.

use serde_json::Value;

/// The REST `REQUEST` authorizer event of the authorizer's own tests.
const REST_EVENT: &str =
    include_str!("../../functions/authorizer/tests/fixtures/rest-request-authorizer.json");

/// The fixture with `headers` set (and their multi-value twins).
pub fn rest_event(headers: &[(&str, &str)]) -> Value {
    let mut event: Value = serde_json::from_str(REST_EVENT).expect("fixture");
    for (name, value) in headers {
        event["headers"][*name] = Value::from(*value);
        event["multiValueHeaders"][*name] = Value::from(vec![*value]);
    }
    event
}

/// A token of the right shape whose last character is changed.
pub fn corrupted(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] = if bytes[last] == b'a' { b'b' } else { b'a' };
    String::from_utf8(bytes).expect("ASCII token")
}
