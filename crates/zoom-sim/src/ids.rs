//! Random identifiers and secrets. Everything comes from the thread-local CSPRNG, so tokens are
//! never guessable.

use base64::Engine as _;
use rand::Rng as _;

const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const ALNUM: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `len` characters of `[A-Za-z0-9_-]`.
pub fn url_safe(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    rand::rng().fill(&mut bytes[..]);
    bytes.iter().map(|b| URL_SAFE[usize::from(b & 63)] as char).collect()
}

/// `len` alphanumeric characters.
pub fn alnum(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len).map(|_| ALNUM[rng.random_range(0..ALNUM.len())] as char).collect()
}

/// Account and user ids: 22 characters, like Zoom's.
pub fn entity_id() -> String {
    url_safe(22)
}

/// Access and refresh tokens look like Zoom's JWTs (`eyJ...`) but are opaque.
pub fn bearer_token() -> String {
    format!("eyJ{}", url_safe(90))
}

/// Authorization codes, page tokens, minted join tokens, ZAKs.
pub fn opaque(len: usize) -> String {
    url_safe(len)
}

/// Scheduled and recurring meeting ids: 11 digits.
pub fn meeting_id() -> u64 {
    rand::rng().random_range(10_000_000_000..100_000_000_000)
}

/// Personal meeting ids: 10 digits.
pub fn pmi() -> u64 {
    rand::rng().random_range(1_000_000_000..10_000_000_000)
}

/// Meeting uuids: 16 random bytes in standard base64 (24 characters ending `==`).
pub fn meeting_uuid() -> String {
    let bytes: [u8; 16] = rand::rng().random();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// `x-zm-request-id`: a uuid with underscores, as in Zoom's example.
pub fn request_id() -> String {
    let h = hex::encode(rand::rng().random::<[u8; 16]>());
    format!("{}_{}_{}_{}_{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// Lower-case hex, e.g. for `app_deauthorized.signature`.
pub fn hex_secret(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill(&mut buf[..]);
    hex::encode(buf)
}
