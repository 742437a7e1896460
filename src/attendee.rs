//! Attendee's callback signatures (docs/zoom.md §6). Attendee signs the JSON body of its
//! `zoom_tokens` callback as its `sign_payload` does (attendee-labs/attendee,
//! `bots/webhook_utils.py`): HMAC-SHA256 over the body's canonical JSON (keys sorted at every
//! level, no whitespace, non-ASCII kept as UTF-8), base64, in `X-Webhook-Signature`. The key is
//! the project's webhook secret: 32 random bytes, which Attendee's settings page shows base64
//! encoded (its `WebhookSecret` model); that shown text is what `security.attendee_webhook_secret`
//! holds.
//!
//! A signature is checked against the body as we parsed it, re-serialized canonically, so an
//! equivalent body that Attendee would have serialized the same way verifies.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use serde_json::Value;
use sha2::Sha256;

/// The project's webhook secret (its key bytes), never printed.
#[derive(Clone)]
pub struct SigningKey(SecretSlice<u8>);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

impl SigningKey {
    /// The secret as Attendee shows it: base64.
    pub fn parse(shown: &str) -> Result<Self, String> {
        let bytes = BASE64
            .decode(shown.trim())
            .map_err(|_| "expected the webhook secret as Attendee shows it (base64)".to_owned())?;
        if bytes.is_empty() {
            return Err("the webhook secret is empty".into());
        }
        Ok(Self(bytes.into()))
    }

    /// The signature Attendee would send for `body`.
    pub fn sign(&self, body: &Value) -> String {
        BASE64.encode(self.mac(body).finalize().into_bytes())
    }

    /// Whether `signature` (the `X-Webhook-Signature` header) is Attendee's for `body`; compared
    /// in constant time.
    pub fn verify(&self, body: &Value, signature: &str) -> bool {
        let Ok(presented) = BASE64.decode(signature.trim()) else { return false };
        self.mac(body).verify_slice(&presented).is_ok()
    }

    fn mac(&self, body: &Value) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(canonical_json(body).as_bytes());
        mac
    }
}

/// Python's `json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))`, for
/// the values JSON can carry: strings escape as serde_json escapes them (the same set as
/// Python's), numbers print as serde_json prints them.
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write(value, &mut out);
    out
}

fn write(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_is_pythons_sorted_compact_form() {
        let body: Value = serde_json::from_str(
            r#"{"meeting_url": "https://zoom.us/j/1", "bot_id": "bot_1", "bot_metadata": {"z": 1, "a": [true, null, "é\n"]}, "callback_type": "zoom_tokens"}"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&body),
            r#"{"bot_id":"bot_1","bot_metadata":{"a":[true,null,"é\n"],"z":1},"callback_type":"zoom_tokens","meeting_url":"https://zoom.us/j/1"}"#
        );
    }

    #[test]
    fn a_signature_verifies_for_its_body_only() {
        // The same vector Python computes:
        // base64(hmac.new(b"0"*32, b'{"a":1}', sha256).digest())
        let key = SigningKey::parse(&BASE64.encode([b'0'; 32])).unwrap();
        let body: Value = serde_json::from_str(r#"{"a": 1}"#).unwrap();
        assert_eq!(key.sign(&body), "X+1VtviRuCkEi9eg0d66Gv3ICIACCHWFZ/tu3Q4Plns=");
        assert!(key.verify(&body, &key.sign(&body)));
        let other: Value = serde_json::from_str(r#"{"a": 2}"#).unwrap();
        assert!(!key.verify(&other, &key.sign(&body)));
        assert!(!key.verify(&body, "not base64!"));
        assert!(SigningKey::parse("not base64!").is_err());
    }
}
