//! Any authorizer event JSON (REST REQUEST or HTTP API v2): never a panic,
//! never an Allow or an authorized simple response without a stored
//! credential.
#![no_main]

use akua_fuzz::{empty_store, runtime};
use akua_core::Authorizer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    let authorizer = Authorizer::new(empty_store(), None);
    if let Ok(answer) = runtime().block_on(akua_authorizer::handle(&authorizer, event, 1_800_000_000)) {
        assert_ne!(answer["policyDocument"]["Statement"][0]["Effect"], "Allow", "REST allow: {answer}");
        assert_ne!(answer["isAuthorized"], serde_json::Value::Bool(true), "HTTP API allow: {answer}");
    }
});
