//! The parts of Zoom's responses zoomsync reads (docs/zoom.md §2-3). Unknown fields are ignored.

use secrecy::SecretString;
use serde::Deserialize;

/// `POST /oauth/token`.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    pub access_token: SecretString,
    /// Absent for server-to-server (`account_credentials`) tokens.
    #[serde(default)]
    pub refresh_token: Option<SecretString>,
    /// Seconds, within 0 to a day. A refresh has already rotated the refresh token when this
    /// answer arrives, so an odd `expires_in` (missing, a float, 1e15) must not lose it: it
    /// reads as Zoom's usual hour, or is bounded.
    #[serde(default = "usual_lifetime", deserialize_with = "lifetime")]
    pub expires_in: i64,
    /// Space-separated granted scopes.
    #[serde(default)]
    pub scope: String,
}

/// Zoom's access tokens live an hour (docs/zoom.md §2.3).
const USUAL_LIFETIME: i64 = 3600;
const LONGEST_LIFETIME: i64 = 86_400;

fn usual_lifetime() -> i64 {
    USUAL_LIFETIME
}

fn lifetime<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let value = serde_json::Value::deserialize(d)?;
    let seconds = match &value {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()).map(|f| f as i64),
        _ => None,
    };
    Ok(seconds.map_or(USUAL_LIFETIME, |s| s.clamp(0, LONGEST_LIFETIME)))
}

/// `GET /users/me`, `GET /users/{id}`, and the entries of `GET /users`.
#[derive(Clone, Debug, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub account_id: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default, deserialize_with = "crate::lenient::opt_i64")]
    pub pmi: Option<i64>,
    #[serde(default)]
    pub vanity_url: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

impl User {
    /// The vanity name from `vanity_url` (`https://acme.zoom.us/my/jane` -> `jane`).
    pub fn vanity_name(&self) -> Option<String> {
        let url = self.vanity_url.as_deref()?;
        let name = url.split("/my/").nth(1)?.split(['/', '?', '#']).next()?;
        (!name.is_empty()).then(|| name.to_ascii_lowercase())
    }
}

/// `GET /users`.
#[derive(Debug, Deserialize)]
pub struct UsersPage {
    #[serde(default)]
    pub next_page_token: Option<String>,
    #[serde(default)]
    pub users: Vec<User>,
}

/// An entry of `GET /users/{id}/meetings`, and the parts of `GET /meetings/{id}` we use.
#[derive(Clone, Debug, Deserialize)]
pub struct Meeting {
    #[serde(deserialize_with = "crate::lenient::i64")]
    pub id: i64,
    #[serde(default)]
    pub host_id: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<i64>,
}

/// `GET /users/{id}/meetings`.
#[derive(Debug, Deserialize)]
pub struct MeetingsPage {
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// `webinars` in a webinar listing: the same objects, as far as zoomsync reads them.
    #[serde(default, alias = "webinars")]
    pub meetings: Vec<Meeting>,
}

/// `GET /meetings/{id}/jointoken/local_recording`, `GET /users/{id}/token`, `GET /users/me/zak`.
#[derive(Debug, Deserialize)]
pub struct MintedToken {
    #[serde(deserialize_with = "bot_token")]
    pub token: SecretString,
}

/// The longest token a bot is handed: Zoom's are a few hundred characters.
const MAX_TOKEN_LEN: usize = 4096;

/// A token is handed to a bot as the whole body of a 200, so only what can be one: non-empty,
/// bounded, and no whitespace or control characters (an empty, multi-line or megabyte "token"
/// is an answer we cannot use, not a token). The error never repeats the value.
fn bot_token<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SecretString, D::Error> {
    let token = String::deserialize(d)?;
    if token.is_empty() || token.len() > MAX_TOKEN_LEN || !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(serde::de::Error::custom(format!(
            "Zoom's token is not one a bot can use ({} bytes, empty, over {MAX_TOKEN_LEN} or not printable ASCII)",
            token.len()
        )));
    }
    Ok(SecretString::from(token))
}

/// A page of a Zoom listing. Zoom ends a listing with an absent or an empty `next_page_token`.
pub trait Paged {
    fn next_page(&self) -> Option<&str>;
}

impl Paged for UsersPage {
    fn next_page(&self) -> Option<&str> {
        self.next_page_token.as_deref().filter(|t| !t.is_empty())
    }
}

impl Paged for MeetingsPage {
    fn next_page(&self) -> Option<&str> {
        self.next_page_token.as_deref().filter(|t| !t.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_odd_token_lifetime_never_loses_the_answer() {
        let read = |lifetime: &str| {
            let body = format!(r#"{{"access_token":"a","refresh_token":"r","scope":""{lifetime}}}"#);
            serde_json::from_str::<TokenResponse>(&body).map(|t| t.expires_in).ok()
        };
        assert_eq!(read(r#","expires_in":3599"#), Some(3599));
        assert_eq!(read(r#","expires_in":"3599""#), Some(3599));
        assert_eq!(read(r#","expires_in":1e15"#), Some(LONGEST_LIFETIME));
        assert_eq!(read(r#","expires_in":1000000000000000"#), Some(LONGEST_LIFETIME));
        assert_eq!(read(r#","expires_in":-5"#), Some(0));
        assert_eq!(read(r#","expires_in":"soon""#), Some(USUAL_LIFETIME));
        assert_eq!(read(r#","expires_in":null"#), Some(USUAL_LIFETIME));
        assert_eq!(read(""), Some(USUAL_LIFETIME));
    }

    #[test]
    fn vanity_names_come_from_the_vanity_url() {
        let user = |url: Option<&str>| User {
            id: "u".into(),
            account_id: None,
            email: None,
            pmi: None,
            vanity_url: url.map(str::to_owned),
            status: None,
        };
        assert_eq!(user(Some("https://acme.zoom.us/my/Jane.Doe")).vanity_name().as_deref(), Some("jane.doe"));
        assert_eq!(user(Some("https://zoom.us/my/")).vanity_name(), None);
        assert_eq!(user(None).vanity_name(), None);
    }
}
