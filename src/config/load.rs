//! Reading the configuration: the TOML file (`--config PATH`, else `$ZOOMSYNC_CONFIG`, else
//! `config/zoomsync.toml` if present, else none), then every `ZOOMSYNC__<SECTION>__<KEY>`
//! variable over it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Config;

pub const ENV_PREFIX: &str = "ZOOMSYNC__";
const CONFIG_PATH_VAR: &str = "ZOOMSYNC_CONFIG";
const DEFAULT_CONFIG_PATH: &str = "config/zoomsync.toml";

/// A refused configuration. `key` is the dotted key (`webhook.max_skew_seconds`) when one is to
/// blame, `origin` where its value came from (a file or an environment variable).
#[derive(Debug, thiserror::Error)]
#[error("{}", self.render())]
pub struct ConfigError {
    pub key: Option<String>,
    pub origin: Option<String>,
    pub message: String,
}

impl ConfigError {
    pub fn new(message: impl Into<String>) -> Self {
        Self { key: None, origin: None, message: message.into() }
    }

    pub fn key(key: impl Into<String>, message: impl Into<String>) -> Self {
        Self { key: Some(key.into()), origin: None, message: message.into() }
    }

    fn render(&self) -> String {
        match (&self.key, &self.origin) {
            (Some(key), Some(origin)) => format!("config key `{key}` (from {origin}): {}", self.message),
            (Some(key), None) => format!("config key `{key}`: {}", self.message),
            (None, Some(origin)) => format!("config ({origin}): {}", self.message),
            (None, None) => format!("config: {}", self.message),
        }
    }
}

/// Reads the file this process should use and the real environment. `explicit` is the file
/// named on the command line: it, like `$ZOOMSYNC_CONFIG`, must exist.
pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
    let file = match (explicit, std::env::var_os(CONFIG_PATH_VAR)) {
        (Some(path), _) => Some(path.to_owned()),
        (None, Some(path)) => Some(PathBuf::from(path)),
        (None, None) => Some(PathBuf::from(DEFAULT_CONFIG_PATH)).filter(|p| p.exists()),
    };
    load_from(file.as_deref(), std::env::vars())
}

/// The same, from an explicit file and environment (tests use this).
pub fn load_from(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
    let mut table = toml::Table::new();
    // Where each key's value came from, so an error can point at it.
    let mut origins: BTreeMap<String, String> = BTreeMap::new();

    if let Some(path) = file {
        let origin = format!("file {}", path.display());
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            key: None,
            origin: Some(origin.clone()),
            message: format!("cannot read: {e}"),
        })?;
        table = text.parse::<toml::Table>().map_err(|e| ConfigError {
            key: None,
            origin: Some(origin.clone()),
            message: e.to_string(),
        })?;
        for (section, value) in &table {
            match value.as_table() {
                Some(keys) => {
                    for key in keys.keys() {
                        origins.insert(format!("{section}.{key}"), origin.clone());
                    }
                }
                None => {
                    origins.insert(section.clone(), origin.clone());
                }
            }
        }
    }

    let mut env: Vec<(String, String)> = env.into_iter().filter(|(name, _)| name.starts_with(ENV_PREFIX)).collect();
    env.sort();
    for (name, value) in env {
        let origin = format!("environment variable {name}");
        let parts: Vec<&str> = name[ENV_PREFIX.len()..].split("__").collect();
        let [section, key] = parts.as_slice() else {
            return Err(ConfigError {
                key: None,
                origin: Some(origin),
                message: format!("expected {ENV_PREFIX}<SECTION>__<KEY>"),
            });
        };
        let (section, key) = (section.to_ascii_lowercase(), key.to_ascii_lowercase());
        if section.is_empty() || key.is_empty() {
            return Err(ConfigError {
                key: None,
                origin: Some(origin),
                message: format!("expected {ENV_PREFIX}<SECTION>__<KEY>"),
            });
        }
        let entry = table.entry(section.clone()).or_insert_with(|| toml::Table::new().into());
        let Some(keys) = entry.as_table_mut() else {
            return Err(ConfigError { key: Some(section), origin: Some(origin), message: "is not a section".into() });
        };
        keys.insert(key.clone(), toml::Value::String(value));
        origins.insert(format!("{section}.{key}"), origin);
    }

    serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = inner.message().to_owned();
        let unknown = unknown_field(&message).map(str::to_owned);
        let key = match (&unknown, path.as_str()) {
            (Some(field), "" | ".") => field.clone(),
            _ => path,
        };
        let message = if unknown.is_some() { format!("unknown key ({message})") } else { message };
        // An unknown section is named without its key: any of its keys' origins says where.
        let origin = origins
            .get(&key)
            .or_else(|| origins.iter().find(|(known, _)| known.starts_with(&format!("{key}."))).map(|(_, o)| o))
            .cloned();
        ConfigError { origin, key: Some(key), message }
    })
}

fn unknown_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("unknown field `")?;
    rest.split('`').next()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn defaults_without_file_or_env() {
        let config = load_from(None, env(&[])).unwrap();
        assert_eq!(config.server.bind, "127.0.0.1:8080");
        assert_eq!(config.webhook.max_skew_seconds, 300);
    }

    #[test]
    fn env_overrides_and_parses_numbers_from_text() {
        let config = load_from(
            None,
            env(&[("ZOOMSYNC__WEBHOOK__MAX_SKEW_SECONDS", "60"), ("ZOOMSYNC__SERVER__BIND", "0.0.0.0:9")]),
        )
        .unwrap();
        assert_eq!(config.webhook.max_skew_seconds, 60);
        assert_eq!(config.server.bind, "0.0.0.0:9");
    }

    #[test]
    fn unknown_env_key_is_named() {
        let err = load_from(None, env(&[("ZOOMSYNC__SERVER__BND", "x")])).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("server.bnd"));
        assert!(err.to_string().contains("ZOOMSYNC__SERVER__BND"), "{err}");
    }

    #[test]
    fn unknown_section_is_named() {
        let err = load_from(None, env(&[("ZOOMSYNC__NOPE__X", "1")])).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("nope"));
    }

    #[test]
    fn bad_value_is_named() {
        let err = load_from(None, env(&[("ZOOMSYNC__WEBHOOK__MAX_SKEW_SECONDS", "soon")])).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("webhook.max_skew_seconds"));
        assert!(err.to_string().contains("soon"), "{err}");
    }

    #[test]
    fn malformed_variable_name_is_refused() {
        let err = load_from(None, env(&[("ZOOMSYNC__SERVER", "x")])).unwrap_err();
        assert!(err.to_string().contains("ZOOMSYNC__SERVER"), "{err}");
    }

    #[test]
    fn previous_keys_accept_a_list_literal_or_commas() {
        let a = load_from(None, env(&[("ZOOMSYNC__SECURITY__PREVIOUS_ENCRYPTION_KEYS", "[\"a\", \"b\"]")])).unwrap();
        let b = load_from(None, env(&[("ZOOMSYNC__SECURITY__PREVIOUS_ENCRYPTION_KEYS", "a, b")])).unwrap();
        assert_eq!(a.security.previous_encryption_keys.len(), 2);
        assert_eq!(b.security.previous_encryption_keys.len(), 2);
    }
}
