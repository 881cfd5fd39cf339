//! Any `Akua-Context` with a valid workspace token: allowed only for no
//! header or the token's own workspace; workspace ids round-trip.
#![no_main]

use akua_fuzz::{runtime, store_with_token};
use akua_core::{Authorizer, Decision, WorkspaceId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let context = String::from_utf8_lossy(data);
    if let Ok(ws) = WorkspaceId::parse(&context) {
        assert_eq!(ws.as_str(), context);
    }
    let (store, token) = store_with_token();
    let authorizer = Authorizer::new(store, None);
    let header = format!("Bearer {}", token.expose());
    let decision = runtime().block_on(authorizer.decide(Some(&header), Some(&context), 1_800_000_000));
    let trimmed = context.trim();
    match decision {
        Ok(Decision::Allow(p)) => {
            assert!(trimmed.is_empty() || trimmed == "ws_fuzz", "allowed with Akua-Context {context:?}");
            assert_eq!(p.scope().unwrap().workspace_id.as_str(), "ws_fuzz");
        }
        Ok(Decision::Forbidden(_)) => assert!(!trimmed.is_empty() && trimmed != "ws_fuzz"),
        other => panic!("a valid token gave {other:?}"),
    }
});
