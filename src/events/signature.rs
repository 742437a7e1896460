//! Standard Webhooks signing (<https://www.standardwebhooks.com/>): a `whsec_` secret, and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` keyed by the secret's
//! base64-decoded bytes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;

const PREFIX: &str = "whsec_";
/// Bytes of key material in a new secret (the spec asks for 24 to 64).
const SECRET_BYTES: usize = 32;

/// A fresh secret, shown to the admin once.
pub fn new_secret() -> String {
    let mut key = [0u8; SECRET_BYTES];
    rand::rng().fill_bytes(&mut key);
    format!("{PREFIX}{}", STANDARD.encode(key))
}

#[derive(Debug, thiserror::Error)]
#[error("a signing secret must be whsec_ followed by base64")]
pub struct BadSecret;

/// The `webhook-signature` header value for one attempt.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Result<String, BadSecret> {
    let key = STANDARD.decode(secret.strip_prefix(PREFIX).ok_or(BadSecret)?).map_err(|_| BadSecret)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).map_err(|_| BadSecret)?;
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_the_specifications_example() {
        // The example of the Standard Webhooks specification and its reference libraries.
        let signature = sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            r#"{"test": 2432232314}"#,
        );
        assert_eq!(signature.ok().as_deref(), Some("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
    }

    #[test]
    fn a_new_secret_signs_and_a_malformed_one_is_refused() {
        let secret = new_secret();
        assert!(secret.starts_with("whsec_"));
        assert!(sign(&secret, "msg_1", 1, "{}").is_ok());
        assert!(sign("nope", "msg_1", 1, "{}").is_err());
        assert!(sign("whsec_!!!", "msg_1", 1, "{}").is_err());
    }
}
