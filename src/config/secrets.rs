//! The three secrets every daemon needs (admin token, bot secret, encryption key): configured,
//! or on SQLite generated on first start and kept in a file beside the database (mode 0600),
//! so the zero-config quickstart works and a restart reuses them. With PostgreSQL several
//! replicas must agree on them, so there they must be configured.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::{ConfigError, SecurityConfig};
use crate::crypto::{Cipher, EncryptionKey};
use crate::db::DbTarget;
use crate::recall::VerificationKey;

#[derive(Clone)]
pub struct Secrets {
    pub admin_token: SecretString,
    pub bot_secret: SecretString,
    pub cipher: Cipher,
    pub recall: Option<VerificationKey>,
    pub attendee: Option<crate::attendee::SigningKey>,
    /// Set when this start generated secrets.
    pub generated: Option<Generated>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Secrets").field("cipher", &self.cipher).finish_non_exhaustive()
    }
}

/// What first start generated: where it was written, which keys, and the admin token if it was
/// one of them (printed once by `serve`, never logged).
#[derive(Clone)]
pub struct Generated {
    pub path: PathBuf,
    pub keys: Vec<&'static str>,
    pub admin_token: Option<SecretString>,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretsFile {
    admin_token: Option<String>,
    bot_secret: Option<String>,
    encryption_key: Option<String>,
}

/// `data/zoomsync.db` keeps its generated secrets in `data/zoomsync.secrets.toml`.
pub fn secrets_path(database: &Path) -> PathBuf {
    let stem = database.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "zoomsync".into());
    database.with_file_name(format!("{stem}.secrets.toml"))
}

pub fn resolve(config: &SecurityConfig, database: &DbTarget) -> Result<Secrets, ConfigError> {
    let configured = |value: &Option<SecretString>| value.as_ref().map(|s| s.expose_secret().to_owned());
    let mut values = SecretsFile {
        admin_token: configured(&config.admin_token),
        bot_secret: configured(&config.bot_secret),
        encryption_key: configured(&config.encryption_key),
    };
    let mut generated = None;
    let missing = missing_keys(&values);
    if !missing.is_empty() {
        match database {
            DbTarget::Postgres(_) => {
                return Err(ConfigError::key(
                    missing.join(", "),
                    "must be configured when database.url is PostgreSQL (replicas must share them)",
                ));
            }
            DbTarget::Sqlite(db_path) => {
                let path = secrets_path(db_path);
                let (stored, new_keys) = load_or_generate(&path)?;
                let fill = |slot: &mut Option<String>, from: Option<String>| {
                    if slot.is_none() {
                        *slot = from;
                    }
                };
                let admin_was_generated = values.admin_token.is_none() && new_keys.contains(&"admin_token");
                fill(&mut values.admin_token, stored.admin_token);
                fill(&mut values.bot_secret, stored.bot_secret);
                fill(&mut values.encryption_key, stored.encryption_key);
                if !new_keys.is_empty() {
                    generated = Some(Generated {
                        path,
                        keys: new_keys,
                        admin_token: admin_was_generated
                            .then(|| values.admin_token.clone().map(SecretString::from))
                            .flatten(),
                    });
                }
            }
        }
    }
    let (Some(admin_token), Some(bot_secret), Some(encryption_key)) =
        (values.admin_token, values.bot_secret, values.encryption_key)
    else {
        return Err(ConfigError::new("secrets could not be resolved"));
    };
    let key = EncryptionKey::from_base64(&encryption_key)
        .map_err(|e| ConfigError::key("security.encryption_key", e.to_string()))?;
    let previous = config
        .previous_encryption_keys
        .iter()
        .map(|k| EncryptionKey::from_base64(k.expose_secret()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ConfigError::key("security.previous_encryption_keys", e.to_string()))?;
    let recall = config
        .recall_verification_secret
        .as_ref()
        .map(|s| VerificationKey::parse(s.expose_secret()))
        .transpose()
        .map_err(|e| ConfigError::key("security.recall_verification_secret", e))?;
    let attendee = config
        .attendee_webhook_secret
        .as_ref()
        .map(|s| crate::attendee::SigningKey::parse(s.expose_secret()))
        .transpose()
        .map_err(|e| ConfigError::key("security.attendee_webhook_secret", e))?;
    Ok(Secrets {
        admin_token: admin_token.into(),
        bot_secret: bot_secret.into(),
        cipher: Cipher::new(&key, &previous),
        recall,
        attendee,
        generated,
    })
}

fn missing_keys(values: &SecretsFile) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if values.admin_token.is_none() {
        missing.push("security.admin_token");
    }
    if values.bot_secret.is_none() {
        missing.push("security.bot_secret");
    }
    if values.encryption_key.is_none() {
        missing.push("security.encryption_key");
    }
    missing
}

/// Reads the secrets file, completing it with freshly generated values where one is missing.
/// Returns the file's values and the names of the keys generated now.
fn load_or_generate(path: &Path) -> Result<(SecretsFile, Vec<&'static str>), ConfigError> {
    let origin = || format!("file {}", path.display());
    let io_error = |e: std::io::Error| ConfigError { key: None, origin: Some(origin()), message: e.to_string() };
    let mut file = match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str::<SecretsFile>(&text).map_err(|e| ConfigError {
            key: None,
            origin: Some(origin()),
            message: e.to_string(),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => SecretsFile::default(),
        Err(e) => return Err(io_error(e)),
    };
    let mut new_keys = Vec::new();
    if file.admin_token.is_none() {
        file.admin_token = Some(random_token());
        new_keys.push("admin_token");
    }
    if file.bot_secret.is_none() {
        file.bot_secret = Some(random_token());
        new_keys.push("bot_secret");
    }
    if file.encryption_key.is_none() {
        file.encryption_key = Some(EncryptionKey::generate_base64());
        new_keys.push("encryption_key");
    }
    if new_keys.is_empty() {
        return Ok((file, new_keys));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(io_error)?;
    }
    let text = format!(
        "# Generated by zoomsync on first start. Keep this file private and back it up with the\n\
         # database: without encryption_key the stored credentials cannot be read.\n{}",
        toml::to_string(&file).map_err(|e| ConfigError::new(e.to_string()))?
    );
    // Write a private temporary file, then link it into place: if another process won the
    // race to create the file first, use its values instead of overwriting them.
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let written = (|| {
        let mut out = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
        out.write_all(text.as_bytes())?;
        out.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_error(e));
    }
    let linked = if path.exists() { std::fs::rename(&tmp, path) } else { std::fs::hard_link(&tmp, path) };
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => Ok((file, new_keys)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path).map_err(io_error)?;
            let theirs = toml::from_str::<SecretsFile>(&text).map_err(|e| ConfigError {
                key: None,
                origin: Some(origin()),
                message: e.to_string(),
            })?;
            Ok((theirs, Vec::new()))
        }
        Err(e) => Err(io_error(e)),
    }
}

/// 32 random bytes, URL-safe base64 (43 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
