//! Small request helpers shared by the OAuth, REST and control handlers.

use std::collections::HashMap;

use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;
use base64::Engine as _;
use serde::de::DeserializeOwned;

use crate::errors::ControlError;

/// Parses an `application/x-www-form-urlencoded` string (a query string or a form body).
/// A repeated key keeps its first value.
pub fn form_map(input: &[u8]) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(input) {
        map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
    }
    map
}

pub fn query_map(req: &HttpRequest) -> HashMap<String, String> {
    form_map(req.query_string().as_bytes())
}

/// `Authorization: Basic base64(id:secret)`, if present and well-formed.
pub fn basic_auth(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

/// `Authorization: Bearer <token>`: `None` when absent, `Some("")` when malformed.
pub fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?;
    let Ok(value) = value.to_str() else {
        return Some(String::new());
    };
    match value.trim().split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Some(token.trim().to_owned()),
        _ => Some(String::new()),
    }
}

/// Deserializes a control-API JSON body; an empty body reads as `{}` so that bodies whose
/// fields are all optional may be left out.
pub fn json_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, ControlError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    serde_json::from_slice(body).map_err(|e| ControlError::bad_request(format!("invalid JSON body: {e}")))
}

pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_map_decodes_and_keeps_first() {
        let m = form_map(b"a=1&b=x%20y&a=2&c=");
        assert_eq!(m.get("a").map(String::as_str), Some("1"));
        assert_eq!(m.get("b").map(String::as_str), Some("x y"));
        assert_eq!(m.get("c").map(String::as_str), Some(""));
    }

    #[test]
    fn html_escape_escapes_markup() {
        assert_eq!(html_escape(r#"<a href="x">&'"#), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
