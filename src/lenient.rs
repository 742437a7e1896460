//! Integers (and booleans) that arrive as JSON or TOML values or as text: Zoom sends ids and PMIs
//! both ways (docs/zoom.md §1.5), and configuration from the environment is always text. One reader
//! for both, at the top level because `config` and `zoom` each need it and neither should
//! import the other for it.

use serde::Deserialize;
use serde::de::{self, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrText {
    Number(i64),
    Text(String),
    /// Large or odd numbers (e.g. `1.0`) still parse if they are whole.
    Float(f64),
}

/// The integer, or what to say about the value that is not one.
fn to_i64(value: NumberOrText) -> Result<i64, String> {
    match value {
        NumberOrText::Number(n) => Ok(n),
        NumberOrText::Text(t) => t.trim().parse().map_err(|_| format!("expected a whole number, got {t:?}")),
        // Below 2^53, where every whole f64 is exact.
        NumberOrText::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        NumberOrText::Float(f) => Err(format!("expected a whole number, got {f}")),
    }
}

/// An integer given as a number or a numeric string.
pub fn i64<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    to_i64(NumberOrText::deserialize(d)?).map_err(de::Error::custom)
}

/// The same, optional: absent (with `#[serde(default)]`), `null` and `""` are `None`.
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumberOrText::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(value) => to_i64(value).map(Some).map_err(de::Error::custom),
    }
}

/// A non-negative integer, as a number or a numeric string.
pub fn u64<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let n = i64(d)?;
    u64::try_from(n).map_err(|_| de::Error::custom(format!("expected a non-negative number, got {n}")))
}

/// An integer from 0 to `u32::MAX`, as a number or a numeric string.
pub fn u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let n = i64(d)?;
    u32::try_from(n).map_err(|_| de::Error::custom(format!("expected a number from 0 to {}, got {n}", u32::MAX)))
}

/// `true`/`false`, also as text (`"true"`, `"false"`, `"1"`, `"0"`) from the environment.
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum BoolOrText {
        Bool(bool),
        Text(String),
    }
    match BoolOrText::deserialize(d)? {
        BoolOrText::Bool(b) => Ok(b),
        BoolOrText::Text(t) => match t.trim() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(de::Error::custom(format!("expected true or false, got {t:?}"))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Probe {
        #[serde(deserialize_with = "i64")]
        id: i64,
        #[serde(default, deserialize_with = "opt_i64")]
        pmi: Option<i64>,
    }

    fn probe(json: &str) -> Result<Probe, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn numbers_and_strings_both_parse() {
        assert_eq!(probe(r#"{"id": 85746065123}"#).unwrap().id, 85746065123);
        assert_eq!(probe(r#"{"id": "85746065123", "pmi": "5551234567"}"#).unwrap().pmi, Some(5551234567));
        assert_eq!(probe(r#"{"id": " 42 "}"#).unwrap().id, 42);
        assert_eq!(probe(r#"{"id": 7.0}"#).unwrap().id, 7);
        assert_eq!(probe(r#"{"id": 1}"#).unwrap().pmi, None);
        assert_eq!(probe(r#"{"id": 1, "pmi": null}"#).unwrap().pmi, None);
        assert_eq!(probe(r#"{"id": 1, "pmi": ""}"#).unwrap().pmi, None);
        assert!(probe(r#"{"id": "12ab"}"#).is_err());
        assert!(probe(r#"{"id": 1.5}"#).is_err());
        assert!(probe(r#"{"id": 1, "pmi": "x"}"#).is_err());
        assert!(probe(r#"{"id": true}"#).is_err());
    }

    #[derive(Debug, Deserialize)]
    struct Settings {
        #[serde(default, deserialize_with = "u64")]
        seconds: u64,
        #[serde(default, deserialize_with = "u32")]
        size: u32,
    }

    fn settings(toml: &str) -> Result<Settings, String> {
        toml::from_str(toml).map_err(|e| e.to_string())
    }

    #[test]
    fn configuration_numbers_parse_from_toml_and_from_text() {
        let parsed = settings("seconds = 300\nsize = \"10\"").unwrap();
        assert_eq!((parsed.seconds, parsed.size), (300, 10));
        let refused = settings("seconds = \"soon\"").unwrap_err();
        assert!(refused.contains(r#"expected a whole number, got "soon""#), "{refused}");
        let refused = settings("seconds = -1").unwrap_err();
        assert!(refused.contains("expected a non-negative number, got -1"), "{refused}");
        let refused = settings("size = 4294967296").unwrap_err();
        assert!(refused.contains("expected a number from 0 to 4294967295"), "{refused}");
    }
}
