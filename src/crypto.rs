//! Encryption at rest for OAuth secrets and tokens: AES-256-GCM (RustCrypto's `aes-gcm`).
//!
//! A ciphertext is `[version = 1][key id: 4 bytes][nonce: 12 random bytes][ciphertext + tag]`.
//! The key id (the first bytes of SHA-256 over the key) says which key sealed it, so rows
//! written under a key that `security.previous_encryption_keys` still lists stay readable after
//! a rotation, and `zoomsync reencrypt` can find and reseal them under the current key.
//! Each value is bound to where it lives (table, column, row id) as associated data, so a
//! ciphertext copied into another row or column does not decrypt.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretBox, SecretString};
use sha2::{Digest, Sha256};

const VERSION: u8 = 1;
const KEY_ID_LEN: usize = 4;
const NONCE_LEN: usize = 12;
const HEADER_LEN: usize = 1 + KEY_ID_LEN + NONCE_LEN;

pub type KeyId = [u8; KEY_ID_LEN];

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("an encryption key must be 32 bytes, base64-encoded")]
    BadKey,
    #[error("the value is too large to encrypt")]
    TooLarge,
    #[error("the ciphertext is malformed")]
    Malformed,
    #[error("the ciphertext was sealed with key {0}, which is neither the current nor a previous key")]
    UnknownKey(String),
    #[error("the ciphertext does not authenticate (wrong key, or moved or altered)")]
    Unauthentic,
}

/// Every encrypted column. A value is sealed with its column and row id as associated data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    AppClientSecret,
    AppWebhookSecret,
    AppPreviousWebhookSecret,
    CredentialRefreshToken,
    CredentialAccessToken,
    /// PKCE verifiers of OAuth flows in progress (short-lived; not re-encrypted on rotation).
    OAuthStateVerifier,
    /// The `whsec_` secrets outbound events are signed with.
    WebhookEndpointSecret,
}

impl Field {
    fn column(self) -> &'static str {
        match self {
            Self::AppClientSecret => "oauth_apps.client_secret",
            Self::AppWebhookSecret => "oauth_apps.webhook_secret",
            Self::AppPreviousWebhookSecret => "oauth_apps.previous_webhook_secret",
            Self::CredentialRefreshToken => "credentials.refresh_token",
            Self::CredentialAccessToken => "credentials.access_token",
            Self::OAuthStateVerifier => "oauth_states.code_verifier",
            Self::WebhookEndpointSecret => "webhook_endpoints.secret",
        }
    }

    fn context(self, row_id: &str) -> String {
        format!("{}:{row_id}", self.column())
    }
}

/// A 32-byte AES-256 key that never prints.
pub struct EncryptionKey(SecretBox<[u8; 32]>);

impl EncryptionKey {
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let bytes = BASE64.decode(text.trim()).map_err(|_| CryptoError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CryptoError::BadKey)?;
        Ok(Self(SecretBox::new(Box::new(key))))
    }

    /// A fresh random key, base64-encoded (what first start writes to the secrets file).
    pub fn generate_base64() -> String {
        let mut key = [0u8; 32];
        rand::rng().fill_bytes(&mut key);
        BASE64.encode(key)
    }

    fn id(&self) -> KeyId {
        let digest = Sha256::new().chain_update(b"zoomsync key id\0").chain_update(self.0.expose_secret()).finalize();
        let mut id = [0u8; KEY_ID_LEN];
        id.copy_from_slice(&digest[..KEY_ID_LEN]);
        id
    }
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EncryptionKey({})", hex::encode(self.id()))
    }
}

/// Seals with the current key; opens with the current or any previous key.
#[derive(Clone)]
pub struct Cipher {
    current: (KeyId, Aes256Gcm),
    previous: Vec<(KeyId, Aes256Gcm)>,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cipher")
            .field("current", &hex::encode(self.current.0))
            .field("previous", &self.previous.iter().map(|(id, _)| hex::encode(id)).collect::<Vec<_>>())
            .finish()
    }
}

impl Cipher {
    pub fn new(current: &EncryptionKey, previous: &[EncryptionKey]) -> Self {
        let entry = |key: &EncryptionKey| (key.id(), Aes256Gcm::new(key.0.expose_secret().into()));
        Self { current: entry(current), previous: previous.iter().map(entry).collect() }
    }

    /// Seals the value of `field` in row `row_id`.
    pub fn seal(&self, field: Field, row_id: &str, plaintext: &str) -> Result<Vec<u8>, CryptoError> {
        self.encrypt(&field.context(row_id), plaintext)
    }

    /// Opens the value of `field` in row `row_id`.
    pub fn open(&self, field: Field, row_id: &str, blob: &[u8]) -> Result<SecretString, CryptoError> {
        self.decrypt(&field.context(row_id), blob)
    }

    /// Reseals the value of `field` in row `row_id` under the current key.
    pub fn reseal(&self, field: Field, row_id: &str, blob: &[u8]) -> Result<Vec<u8>, CryptoError> {
        self.reencrypt(&field.context(row_id), blob)
    }

    /// Seals `plaintext`, bound to `context` (e.g. `oauth_apps.client_secret:<id>`).
    pub fn encrypt(&self, context: &str, plaintext: &str) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = self
            .current
            .1
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: context.as_bytes() })
            .map_err(|_| CryptoError::TooLarge)?;
        let mut out = Vec::with_capacity(HEADER_LEN + sealed.len());
        out.push(VERSION);
        out.extend_from_slice(&self.current.0);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn decrypt(&self, context: &str, blob: &[u8]) -> Result<SecretString, CryptoError> {
        let (key_id, nonce, sealed) = split(blob)?;
        let cipher = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|(id, _)| *id == key_id)
            .map(|(_, cipher)| cipher)
            .ok_or_else(|| CryptoError::UnknownKey(hex::encode(key_id)))?;
        let plain = cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: context.as_bytes() })
            .map_err(|_| CryptoError::Unauthentic)?;
        String::from_utf8(plain).map(SecretString::from).map_err(|_| CryptoError::Malformed)
    }

    /// True when `blob` was sealed by an older key and should be resealed.
    pub fn needs_reencryption(&self, blob: &[u8]) -> bool {
        split(blob).is_ok_and(|(id, _, _)| id != self.current.0)
    }

    /// Opens `blob` and seals it again under the current key.
    pub fn reencrypt(&self, context: &str, blob: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let plain = self.decrypt(context, blob)?;
        self.encrypt(context, plain.expose_secret())
    }
}

fn split(blob: &[u8]) -> Result<(KeyId, &[u8], &[u8]), CryptoError> {
    if blob.len() < HEADER_LEN + 16 || blob[0] != VERSION {
        return Err(CryptoError::Malformed);
    }
    let mut key_id = [0u8; KEY_ID_LEN];
    key_id.copy_from_slice(&blob[1..1 + KEY_ID_LEN]);
    Ok((key_id, &blob[1 + KEY_ID_LEN..HEADER_LEN], &blob[HEADER_LEN..]))
}

/// Constant-time equality that does not leak the length either: both sides are hashed first.
pub fn secrets_equal(presented: &str, expected: &str) -> bool {
    let a = sha2::Sha256::digest(presented.as_bytes());
    let b = sha2::Sha256::digest(expected.as_bytes());
    subtle::ConstantTimeEq::ct_eq(a.as_slice(), b.as_slice()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> EncryptionKey {
        EncryptionKey(SecretBox::new(Box::new([byte; 32])))
    }

    #[test]
    fn round_trips_and_hides_the_plaintext() {
        let cipher = Cipher::new(&key(1), &[]);
        let blob = cipher.encrypt("t.c:1", "s3cret-value").unwrap();
        assert!(!blob.windows(12).any(|w| w == b"s3cret-value"));
        assert_eq!(cipher.decrypt("t.c:1", &blob).unwrap().expose_secret(), "s3cret-value");
    }

    #[test]
    fn each_value_gets_its_own_nonce() {
        let cipher = Cipher::new(&key(1), &[]);
        assert_ne!(cipher.encrypt("c", "same").unwrap(), cipher.encrypt("c", "same").unwrap());
    }

    #[test]
    fn a_value_moved_to_another_row_does_not_open() {
        let cipher = Cipher::new(&key(1), &[]);
        let blob = cipher.encrypt("credentials.refresh_token:a", "tok").unwrap();
        assert_eq!(cipher.decrypt("credentials.refresh_token:b", &blob).err(), Some(CryptoError::Unauthentic));
    }

    #[test]
    fn tampering_is_detected() {
        let cipher = Cipher::new(&key(1), &[]);
        let mut blob = cipher.encrypt("c", "tok").unwrap();
        let last = blob.len() - 1;
        blob[last] ^= 1;
        assert_eq!(cipher.decrypt("c", &blob).err(), Some(CryptoError::Unauthentic));
        assert_eq!(cipher.decrypt("c", &blob[..10]).err(), Some(CryptoError::Malformed));
    }

    #[test]
    fn rotation_keeps_old_rows_readable_and_reencrypts_them() {
        let old = Cipher::new(&key(1), &[]);
        let blob = old.encrypt("c", "tok").unwrap();
        let rotated = Cipher::new(&key(2), &[key(1)]);
        assert!(rotated.needs_reencryption(&blob));
        assert_eq!(rotated.decrypt("c", &blob).unwrap().expose_secret(), "tok");
        let resealed = rotated.reencrypt("c", &blob).unwrap();
        assert!(!rotated.needs_reencryption(&resealed));
        // Once the old key is dropped, only the resealed value still opens.
        let new_only = Cipher::new(&key(2), &[]);
        assert!(matches!(new_only.decrypt("c", &blob), Err(CryptoError::UnknownKey(_))));
        assert_eq!(new_only.decrypt("c", &resealed).unwrap().expose_secret(), "tok");
    }

    #[test]
    fn keys_parse_from_base64_and_never_print() {
        let text = EncryptionKey::generate_base64();
        let parsed = EncryptionKey::from_base64(&text).unwrap();
        assert!(!format!("{parsed:?}").contains(&text));
        assert_eq!(EncryptionKey::from_base64("c2hvcnQ=").err(), Some(CryptoError::BadKey));
        assert_eq!(EncryptionKey::from_base64("not base64!").err(), Some(CryptoError::BadKey));
    }
}
