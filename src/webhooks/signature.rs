//! Zoom's webhook signature and URL-validation answer (docs/zoom.md §1.2-1.3), over raw bytes.

use hmac::{Hmac, Mac};
use sha2::Sha256;

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length.
    <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC accepts any key length"))
}

/// `v0=` + hex HMAC-SHA256(secret, `v0:{timestamp}:{body}`).
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    let mut mac = mac(secret);
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// True when `signature` (the `x-zm-signature` header) signs exactly these bytes; compared in
/// constant time.
pub fn verify(secret: &[u8], timestamp: &str, body: &[u8], signature: &str) -> bool {
    let Some(hex_mac) = signature.trim().strip_prefix("v0=") else { return false };
    let Ok(expected) = hex::decode(hex_mac) else { return false };
    let mut mac = mac(secret);
    mac.update(b"v0:");
    mac.update(timestamp.as_bytes());
    mac.update(b":");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The `encryptedToken` of an `endpoint.url_validation` answer: hex HMAC-SHA256(secret, plainToken).
pub fn url_validation_token(secret: &[u8], plain_token: &str) -> String {
    let mut mac = mac(secret);
    mac.update(plain_token.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"zoom-test-secret-token";
    const BODY: &str = r#"{"event":"meeting.created","event_ts":1739923528123,"payload":{"account_id":"AcCt1","object":{"id":85746065123,"uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"z8yCxjabcdEFGHfp8uQ","type":2}}}"#;
    const SIGNATURE: &str = "v0=bf4edac7bbc331130888a83b290cb6c4f2ca96397b4e405cebba44763ba67940";

    #[test]
    fn matches_zoom_md_signature_vector() {
        assert_eq!(sign(SECRET, "1739923528", BODY.as_bytes()), SIGNATURE);
        assert!(verify(SECRET, "1739923528", BODY.as_bytes(), SIGNATURE));
    }

    #[test]
    fn any_change_breaks_the_signature() {
        assert!(!verify(SECRET, "1739923529", BODY.as_bytes(), SIGNATURE));
        assert!(!verify(b"other-secret", "1739923528", BODY.as_bytes(), SIGNATURE));
        let mut body = BODY.as_bytes().to_vec();
        body.push(b' ');
        assert!(!verify(SECRET, "1739923528", &body, SIGNATURE));
        assert!(!verify(SECRET, "1739923528", BODY.as_bytes(), &SIGNATURE.replace("v0=", "v1=")));
        assert!(!verify(SECRET, "1739923528", BODY.as_bytes(), "v0=not-hex"));
        assert!(!verify(SECRET, "1739923528", BODY.as_bytes(), ""));
    }

    #[test]
    fn matches_zoom_md_url_validation_vector() {
        assert_eq!(
            url_validation_token(SECRET, "qgg8vlvZRS6UYooatFL8Aw"),
            "189bad60d71b25fc9705f43e5883e837f2d813ec93ba913b641fbe02d931744f"
        );
    }
}
