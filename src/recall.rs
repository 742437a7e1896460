//! Recall.ai request verification (docs/zoom.md §6): the Standard Webhooks / Svix scheme Recall uses
//! to sign every request it makes, including the token callbacks bots fetch from us.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

const PREFIX: &str = "whsec_";

/// The workspace verification secret's key bytes (`whsec_<base64>`), never printed.
#[derive(Clone)]
pub struct VerificationKey(SecretSlice<u8>);

impl std::fmt::Debug for VerificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerificationKey(..)")
    }
}

/// The three headers of a signed request (`webhook-*`, or the older `svix-*` names).
pub struct SignedRequest<'a> {
    pub id: &'a str,
    pub timestamp: &'a str,
    pub signatures: &'a str,
    pub body: &'a [u8],
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("the Recall signature headers are missing")]
    Missing,
    #[error("the Recall timestamp is malformed or too far from now")]
    Stale,
    #[error("no Recall signature matches")]
    Mismatch,
}

impl VerificationKey {
    pub fn parse(secret: &str) -> Result<Self, String> {
        let encoded = secret.trim().strip_prefix(PREFIX).ok_or_else(|| format!("must start with {PREFIX}"))?;
        let key = BASE64.decode(encoded).map_err(|_| format!("must be {PREFIX} followed by base64"))?;
        if key.is_empty() {
            return Err("the key is empty".into());
        }
        Ok(Self(key.into()))
    }

    /// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`.
    pub fn sign(&self, id: &str, timestamp: &str, body: &[u8]) -> String {
        format!("v1,{}", BASE64.encode(self.mac(id, timestamp, body).finalize().into_bytes()))
    }

    /// Accepts when the timestamp (Unix seconds) is within `max_skew_seconds` of `now` and any
    /// `v1` signature in the space-separated list matches, compared in constant time.
    pub fn verify(&self, request: &SignedRequest<'_>, now: i64, max_skew_seconds: i64) -> Result<(), VerifyError> {
        if request.id.is_empty() || request.timestamp.is_empty() || request.signatures.is_empty() {
            return Err(VerifyError::Missing);
        }
        let timestamp: i64 = request.timestamp.trim().parse().map_err(|_| VerifyError::Stale)?;
        if (now - timestamp).abs() > max_skew_seconds {
            return Err(VerifyError::Stale);
        }
        let matched = request.signatures.split_whitespace().any(|pair| {
            let Some(("v1", signature)) = pair.split_once(',') else { return false };
            let Ok(signature) = BASE64.decode(signature) else { return false };
            self.mac(request.id, request.timestamp, request.body).verify_slice(&signature).is_ok()
        });
        if matched { Ok(()) } else { Err(VerifyError::Mismatch) }
    }

    fn mac(&self, id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
        // HMAC takes keys of any length.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // docs/zoom.md §6 test vector: key bytes `recall-test-key-0123456789abcdef`, GET (empty body).
    const SECRET: &str = "whsec_cmVjYWxsLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmNkZWY=";
    const EXPECTED: &str = "v1,PHnfdxv0OYFthJnBgxExvZbgCpB8LfaTJxE0Q+Swedk=";

    fn request<'a>(signatures: &'a str) -> SignedRequest<'a> {
        SignedRequest { id: "msg_test123", timestamp: "1731705121", signatures, body: b"" }
    }

    #[test]
    fn matches_the_documented_vector() {
        let key = VerificationKey::parse(SECRET).unwrap();
        assert_eq!(key.sign("msg_test123", "1731705121", b""), EXPECTED);
        assert_eq!(key.verify(&request(EXPECTED), 1731705121, 300), Ok(()));
    }

    #[test]
    fn accepts_any_matching_pair_among_several() {
        let key = VerificationKey::parse(SECRET).unwrap();
        let header = format!("v2,abc v1,AAAA {EXPECTED}");
        assert_eq!(key.verify(&request(&header), 1731705121, 300), Ok(()));
    }

    #[test]
    fn refuses_wrong_stale_or_missing() {
        let key = VerificationKey::parse(SECRET).unwrap();
        assert_eq!(key.verify(&request("v1,AAAA"), 1731705121, 300), Err(VerifyError::Mismatch));
        assert_eq!(key.verify(&request(EXPECTED), 1731705121 + 301, 300), Err(VerifyError::Stale));
        assert_eq!(key.verify(&request(""), 1731705121, 300), Err(VerifyError::Missing));
        let mut tampered = request(EXPECTED);
        tampered.body = b"x";
        assert_eq!(key.verify(&tampered, 1731705121, 300), Err(VerifyError::Mismatch));
    }

    #[test]
    fn parses_only_whsec_base64() {
        assert!(VerificationKey::parse("cmVj").is_err());
        assert!(VerificationKey::parse("whsec_!!!").is_err());
        assert!(VerificationKey::parse(SECRET).is_ok());
    }
}
