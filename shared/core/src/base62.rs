//! Base62 (`[0-9A-Za-z]`), the alphabet of every opaque token and id (DESIGN §3).

/// The digits, in value order.
pub const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Width of a base62-encoded CRC32: `62^6 > 2^32`, so six digits always suffice.
pub const CHECKSUM_LEN: usize = 6;

/// `true` when every byte is a base62 digit.
pub fn is_base62(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `len` characters drawn uniformly from [`ALPHABET`] using the OS CSPRNG.
///
/// Bytes ≥ 248 (= 4 × 62) are rejected rather than reduced modulo 62, so every
/// character is exactly uniform (~5.95 bits each).
///
/// # Panics
/// Only if the operating system cannot provide randomness at all, in which
/// case no credential may be issued.
pub fn random(len: usize) -> String {
    let mut out = String::with_capacity(len);
    let mut buf = [0u8; 64];
    while out.len() < len {
        getrandom::fill(&mut buf).expect("the OS CSPRNG is unavailable");
        for &b in &buf {
            if b < 248 && out.len() < len {
                out.push(ALPHABET[usize::from(b % 62)] as char);
            }
        }
    }
    out
}

/// The CRC32 of `body` as exactly [`CHECKSUM_LEN`] base62 digits, most
/// significant first (the GitHub token scheme, DESIGN §3).
pub fn checksum(body: &str) -> [u8; CHECKSUM_LEN] {
    let mut value = crc32fast::hash(body.as_bytes());
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = ALPHABET[(value % 62) as usize];
        value /= 62;
    }
    out
}

/// `true` when `token` ends in the checksum of everything before it.
pub fn has_valid_checksum(token: &str) -> bool {
    match token.len().checked_sub(CHECKSUM_LEN) {
        Some(split) if token.is_char_boundary(split) => {
            let (body, tail) = token.split_at(split);
            checksum(body) == tail.as_bytes()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_strings_have_the_requested_length_and_alphabet() {
        let s = random(200);
        assert_eq!(s.len(), 200);
        assert!(is_base62(&s));
        assert_ne!(random(26), random(26), "two draws of 155 bits collided");
    }

    #[test]
    fn checksum_is_fixed_width_and_detects_changes() {
        let body = "sk_akua_abcdefghijklmnopqrstuvwxyz";
        let sum = checksum(body);
        assert_eq!(sum.len(), CHECKSUM_LEN);
        let token = format!("{body}{}", std::str::from_utf8(&sum).unwrap());
        assert!(has_valid_checksum(&token));
        assert!(!has_valid_checksum(&token.replace('q', "Q")));
        assert!(!has_valid_checksum("short"));
    }

    #[test]
    fn zero_crc_still_uses_all_six_digits() {
        // CRC32("") == 0: the encoding must be left-padded, not shortened.
        assert_eq!(&checksum(""), b"000000");
    }
}
