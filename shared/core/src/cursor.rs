//! Opaque list cursors (DESIGN §6).
//!
//! A cursor is the sort key of the last item returned, bound to the list it
//! came from (its scope, e.g. the workspace). It is base64url so clients
//! treat it as opaque. A cursor that does not decode, or that was issued for
//! another scope, is refused: it can neither crash a handler nor move a
//! query outside the caller's own partition.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Longer cursors are refused without decoding.
const MAX_CURSOR_LEN: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Wire {
    /// Version, so the format can change without misreading old cursors.
    v: u8,
    /// The list the cursor belongs to.
    s: String,
    /// Sort key of the last item returned.
    k: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid cursor")]
pub struct InvalidCursor;

/// Encodes "continue after `after`" for the list `scope`.
pub fn encode(scope: &str, after: &str) -> String {
    let wire = Wire {
        v: 1,
        s: scope.to_owned(),
        k: after.to_owned(),
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&wire).unwrap_or_default())
}

/// Decodes a cursor for the list `scope`, returning the sort key to
/// continue after.
pub fn decode(cursor: &str, scope: &str) -> Result<String, InvalidCursor> {
    if cursor.is_empty() || cursor.len() > MAX_CURSOR_LEN {
        return Err(InvalidCursor);
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| InvalidCursor)?;
    let wire: Wire = serde_json::from_slice(&bytes).map_err(|_| InvalidCursor)?;
    if wire.v != 1 || wire.s != scope || wire.k.is_empty() {
        return Err(InvalidCursor);
    }
    Ok(wire.k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_within_its_scope_only() {
        let c = encode("ws_a", "000000000100#tok_x");
        assert_eq!(decode(&c, "ws_a").unwrap(), "000000000100#tok_x");
        assert_eq!(decode(&c, "ws_b"), Err(InvalidCursor), "a foreign cursor");
    }

    #[test]
    fn garbage_is_refused() {
        for bad in [
            "",
            "!!!",
            "e30",
            &"A".repeat(600),
            &URL_SAFE_NO_PAD.encode("{\"v\":2,\"s\":\"ws_a\",\"k\":\"x\"}"),
        ] {
            assert_eq!(decode(bad, "ws_a"), Err(InvalidCursor), "{bad:?}");
        }
    }
}
