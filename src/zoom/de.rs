//! Lenient field readers for Zoom's JSON: ids and PMIs arrive as numbers in some places and as
//! strings in others (docs/zoom.md §1.5), so both are accepted everywhere.

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

fn to_i64(value: NumberOrText) -> Option<i64> {
    match value {
        NumberOrText::Number(n) => Some(n),
        NumberOrText::Text(t) => t.trim().parse().ok(),
        NumberOrText::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
        NumberOrText::Float(_) => None,
    }
}

/// An integer given as a number or a numeric string.
pub fn i64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    to_i64(NumberOrText::deserialize(d)?).ok_or_else(|| de::Error::custom("expected an integer or a numeric string"))
}

/// The same, optional: absent, `null` and `""` are `None`.
pub fn opt_i64_lenient<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<NumberOrText>::deserialize(d)? {
        None => Ok(None),
        Some(NumberOrText::Text(t)) if t.trim().is_empty() => Ok(None),
        Some(value) => {
            to_i64(value).map(Some).ok_or_else(|| de::Error::custom("expected an integer or a numeric string"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Probe {
        #[serde(deserialize_with = "i64_lenient")]
        id: i64,
        #[serde(default, deserialize_with = "opt_i64_lenient")]
        pmi: Option<i64>,
    }

    fn probe(json: &str) -> Result<Probe, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn numbers_and_strings_both_parse() {
        assert_eq!(probe(r#"{"id": 85746065123}"#).unwrap().id, 85746065123);
        assert_eq!(probe(r#"{"id": "85746065123", "pmi": "5551234567"}"#).unwrap().pmi, Some(5551234567));
        assert_eq!(probe(r#"{"id": 1, "pmi": null}"#).unwrap().pmi, None);
        assert_eq!(probe(r#"{"id": 1, "pmi": ""}"#).unwrap().pmi, None);
        assert!(probe(r#"{"id": "12ab"}"#).is_err());
        assert!(probe(r#"{"id": 1, "pmi": "x"}"#).is_err());
    }
}
