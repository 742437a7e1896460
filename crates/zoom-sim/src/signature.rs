//! Zoom's webhook signatures (docs/zoom.md §1.2 and §1.3). Public so that tests of the daemon can
//! forge deliveries exactly as Zoom would sign them.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn hmac_hex(secret: &str, parts: &[&[u8]]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = HmacSha256::new_from_slice(secret.as_bytes()) else {
        unreachable!("HMAC-SHA256 takes keys of any length")
    };
    for part in parts {
        mac.update(part);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// The `x-zm-signature` header value for a delivery:
/// `"v0=" + hex(HMAC_SHA256(secret, "v0:" + timestamp + ":" + body))`.
pub fn sign_webhook(secret: &str, timestamp: &str, body: &[u8]) -> String {
    format!("v0={}", hmac_hex(secret, &[b"v0:", timestamp.as_bytes(), b":", body]))
}

/// The `encryptedToken` a receiver must answer to `endpoint.url_validation`:
/// `hex(HMAC_SHA256(secret, plainToken))`.
pub fn url_validation_token(secret: &str, plain_token: &str) -> String {
    hmac_hex(secret, &[plain_token.as_bytes()])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/zoom.md §1.2 test vector.
    #[test]
    fn webhook_signature_matches_zoom_md_vector() {
        let body = r#"{"event":"meeting.created","event_ts":1739923528123,"payload":{"account_id":"AcCt1","object":{"id":85746065123,"uuid":"4444AAAiAAAAAiAiAiiAii==","host_id":"z8yCxjabcdEFGHfp8uQ","type":2}}}"#;
        assert_eq!(
            sign_webhook("zoom-test-secret-token", "1739923528", body.as_bytes()),
            "v0=bf4edac7bbc331130888a83b290cb6c4f2ca96397b4e405cebba44763ba67940"
        );
    }

    /// docs/zoom.md §1.3 test vector.
    #[test]
    fn url_validation_token_matches_zoom_md_vector() {
        assert_eq!(
            url_validation_token("zoom-test-secret-token", "qgg8vlvZRS6UYooatFL8Aw"),
            "189bad60d71b25fc9705f43e5883e837f2d813ec93ba913b641fbe02d931744f"
        );
    }

    #[test]
    fn signature_depends_on_every_input() {
        let base = sign_webhook("s", "1", b"{}");
        assert_ne!(base, sign_webhook("t", "1", b"{}"));
        assert_ne!(base, sign_webhook("s", "2", b"{}"));
        assert_ne!(base, sign_webhook("s", "1", b"{ }"));
    }
}
