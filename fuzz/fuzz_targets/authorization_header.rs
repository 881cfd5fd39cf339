//! Any `Authorization` value: never a panic; what parses re-parses the same;
//! and with no stored credential (and no JWT issuer) it is never allowed.
#![no_main]

use akua_fuzz::{empty_store, runtime};
use akua_core::{Authorizer, Credential, Decision};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let header = String::from_utf8_lossy(data);
    if let Ok(credential) = Credential::from_authorization_header(&header) {
        let again = match &credential {
            Credential::ApiToken(t) => Credential::from_token(t.expose()),
            Credential::Session(t) => Credential::from_token(t.expose()),
            Credential::Jwt(t) => Credential::from_token(t.expose()),
        };
        assert_eq!(
            std::mem::discriminant(&again.expect("a parsed token parses again")),
            std::mem::discriminant(&credential)
        );
    }
    let authorizer = Authorizer::new(empty_store(), None);
    let decision = runtime().block_on(authorizer.decide(Some(&header), None, 1_800_000_000));
    assert!(!matches!(decision, Ok(Decision::Allow(_))), "allowed without a stored credential");
});
