//! Serde helpers for config values. Environment variables are always strings, so lists also
//! accept their text form (numbers do too, through `crate::lenient`); secrets serialize redacted.

use secrecy::SecretString;
use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
#[serde(untagged)]
enum ListOrText {
    List(Vec<String>),
    Text(String),
}

/// A TOML array, or (from the environment) a TOML array literal or a comma-separated string.
pub fn secret_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<SecretString>, D::Error> {
    let items = match ListOrText::deserialize(d)? {
        ListOrText::List(items) => items,
        ListOrText::Text(text) if text.trim_start().starts_with('[') => {
            #[derive(Deserialize)]
            struct Wrapper {
                v: Vec<String>,
            }
            toml::from_str::<Wrapper>(&format!("v = {text}"))
                .map_err(|_| de::Error::custom("expected a list of strings"))?
                .v
        }
        ListOrText::Text(text) => text.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect(),
    };
    Ok(items.into_iter().map(SecretString::from).collect())
}

pub fn redact<S: Serializer>(value: &Option<SecretString>, s: S) -> Result<S::Ok, S::Error> {
    value.as_ref().map(|_| "<redacted>").serialize(s)
}

pub fn redact_list<S: Serializer>(value: &[SecretString], s: S) -> Result<S::Ok, S::Error> {
    vec!["<redacted>"; value.len()].serialize(s)
}
