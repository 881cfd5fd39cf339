//! Every JSON request body the API reads: never a panic, and a refusal is
//! always a 400 (unreadable) or a 422 (invalid field), never anything else.
#![no_main]

use akua_http::{HttpStatus, parse_json};
use libfuzzer_sys::fuzz_target;

fn check<T: serde::de::DeserializeOwned>(data: &[u8]) {
    if let Err(e) = parse_json::<T>(data) {
        let status = e.0.status();
        assert!(status == 400 || status == 422, "status {status}");
        let body = e.0.envelope();
        assert!(body["error"]["code"].is_string());
    }
}

fuzz_target!(|data: &[u8]| {
    check::<akua_core::tokens::CreateApiTokenRequest>(data);
    check::<akua_core::workspaces::CreateWorkspaceRequest>(data);
    check::<akua_core::workspaces::AddMemberRequest>(data);
    check::<akua_core::workspaces::ChangeRoleRequest>(data);
    check::<akua_core::device::DeviceAnswerRequest>(data);
    check::<serde_json::Map<String, serde_json::Value>>(data);
});
