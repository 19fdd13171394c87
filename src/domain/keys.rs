//! Secrets handed to users: ping keys (for slug URLs) and API keys. They are random,
//! shown once, and stored only as a SHA-256 digest: with 130+ bits of entropy a fast hash
//! is enough, and it lets a request find its project with one indexed lookup.

use rand::Rng;
use rand::distr::Alphanumeric;
use sha2::{Digest, Sha256};

pub const PING_KEY_LEN: usize = 22;
pub const API_KEY_LEN: usize = 32;

/// A ping key: 22 lowercase letters and digits, as healthchecks.io's.
pub fn new_ping_key() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..PING_KEY_LEN)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// An API key: 32 characters, `odw_` (read-write) or `odr_` (read-only) and 28 random
/// letters and digits. Clients written for healthchecks.io check only the length.
pub fn new_api_key(read_only: bool) -> String {
    let prefix = if read_only { "odr_" } else { "odw_" };
    let tail: String = rand::rng()
        .sample_iter(&Alphanumeric)
        .take(API_KEY_LEN - prefix.len())
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}

/// A server secret: 48 random letters and digits (about 285 bits).
pub fn new_secret_key() -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(48)
        .map(char::from)
        .collect()
}

/// The stored form of a key.
pub fn digest(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ping_keys_are_22_lowercase_alphanumerics_and_differ() {
        let a = new_ping_key();
        assert_eq!(a.len(), PING_KEY_LEN);
        assert!(
            a.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_ne!(a, new_ping_key());
    }

    #[test]
    fn api_keys_are_32_chars_with_a_prefix_telling_their_power() {
        let rw = new_api_key(false);
        let ro = new_api_key(true);
        assert_eq!(rw.len(), API_KEY_LEN);
        assert_eq!(ro.len(), API_KEY_LEN);
        assert!(rw.starts_with("odw_"));
        assert!(ro.starts_with("odr_"));
    }

    #[test]
    fn digest_is_stable_hex_sha256() {
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
