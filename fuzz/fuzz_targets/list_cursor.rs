//! Any list cursor: never a panic; one that decodes re-encodes to a cursor
//! that decodes to the same position, and only within its own scope.
#![no_main]

use akua_core::cursor;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(key) = cursor::decode(&text, "ws_fuzz") {
        let again = cursor::encode("ws_fuzz", &key);
        assert_eq!(cursor::decode(&again, "ws_fuzz"), Ok(key));
        assert!(cursor::decode(&again, "ws_other").is_err());
    }
});
