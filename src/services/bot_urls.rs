//! Signed token URLs, one per bot (docs/http.md, "Signed token URLs"): a URL that carries its
//! own proof instead of the shared bot secret, bound to its endpoint, every parameter and an
//! expiry, so a URL handed to one bot (and perhaps logged by a third party) is good for that
//! bot's meeting only, and for a while.
//!
//! The format, for another service that wants to mint such URLs itself:
//!
//! ```text
//! key   = HMAC-SHA256(key = bot_secret, message = "zoomsync signed token URL v1")
//! query = <parameters, form-urlencoded, in any order>&expires=<unix seconds>
//! sig   = lowercase hex of HMAC-SHA256(key, "<endpoint path>?<query>")
//! URL   = <public_url><endpoint path>?<query>&sig=<sig>
//! ```
//!
//! `sig` is the last parameter; the signature covers the path and the query before it byte for
//! byte, so changing, adding, removing or reordering anything, or using the URL on another
//! endpoint, breaks it. Changing `security.bot_secret` changes the key and so ends every signed
//! URL.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use secrecy::ExposeSecret;
use serde::Serialize;
use sha2::Sha256;

use super::AppState;
use super::resolve::{self, BotUser};
use crate::error::AppError;
use crate::meeting_ref::MeetingRef;

/// What the key is derived for, so the bot secret's HMAC key is used for this and nothing else.
const KEY_CONTEXT: &[u8] = b"zoomsync signed token URL v1";
/// How long a URL lasts unless asked otherwise: a day.
pub const DEFAULT_EXPIRES_IN: u64 = 86_400;
/// The longest a URL may last: 30 days.
pub const MAX_EXPIRES_IN: u64 = 2_592_000;

/// The endpoints a signed URL is issued for.
pub const JOIN_TOKEN_PATH: &str = "/zoom/join-token";
pub const OBF_TOKEN_PATH: &str = "/zoom/obf-token";
pub const ZAK_PATH: &str = "/zoom/zak";
pub const ACCESS_TOKEN_PATH: &str = "/zoom/access-token";
pub const ATTENDEE_PATH: &str = "/attendee/zoom-tokens";

fn key(bot_secret: &str) -> Vec<u8> {
    hmac(bot_secret.as_bytes(), KEY_CONTEXT)
}

fn hmac(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// The signature of `path?query` (the query without `sig`).
pub fn sign(bot_secret: &str, path: &str, query: &str) -> String {
    hex::encode(hmac(&key(bot_secret), format!("{path}?{query}").as_bytes()))
}

/// `query&expires=...&sig=...` for `params`.
pub fn signed_query(bot_secret: &str, path: &str, params: &[(&str, &str)], expires: i64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in params {
        query.append_pair(name, value);
    }
    query.append_pair("expires", &expires.to_string());
    let query = query.finish();
    let sig = sign(bot_secret, path, &query);
    format!("{query}&sig={sig}")
}

/// Why a signed request is refused (a 401's reason).
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the signed URL is malformed: `sig` must be its last parameter, after `expires`")]
    Malformed,
    #[error("the signature does not match this URL")]
    BadSignature,
    #[error("the signed URL has expired")]
    Expired,
}

/// Checks a request's raw query (as it arrived, `sig` last) against the path it arrived on.
pub fn verify(bot_secret: &str, path: &str, raw_query: &str, now: i64) -> Result<(), Refusal> {
    let (signed, sig) = raw_query.rsplit_once("&sig=").ok_or(Refusal::Malformed)?;
    // Lowercase hex only: an uppercase digit would decode the same, and so let a changed URL in.
    if sig.len() != 64 || !sig.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(Refusal::BadSignature);
    }
    let expected = sign(bot_secret, path, signed);
    if !crate::crypto::secrets_equal(&expected, sig) {
        return Err(Refusal::BadSignature);
    }
    let mut expires = url::form_urlencoded::parse(signed.as_bytes()).filter(|(name, _)| name == "expires");
    let (Some((_, at)), None) = (expires.next(), expires.next()) else { return Err(Refusal::Malformed) };
    let at: i64 = at.parse().map_err(|_| Refusal::Malformed)?;
    if now > at {
        return Err(Refusal::Expired);
    }
    Ok(())
}

/// One bot's URLs.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BotUrls {
    pub join_token_url: String,
    pub obf_token_url: String,
    pub zak_url: String,
    /// `null` unless a user or credential was named.
    pub access_token_url: Option<String>,
    /// *Extension*: the URL to give an Attendee bot as `callback_settings.zoom_tokens_url`.
    pub attendee_zoom_tokens_url: String,
    pub expires_at: DateTime<Utc>,
}

/// Signs one bot's URLs for `meeting` (and the bot's user, if named), valid `expires_in`
/// seconds.
pub async fn issue(
    state: &AppState,
    meeting: &MeetingRef,
    user: Option<&BotUser>,
    expires_in: Option<u64>,
) -> Result<BotUrls, AppError> {
    let expires_in = expires_in.unwrap_or(DEFAULT_EXPIRES_IN);
    if !(1..=MAX_EXPIRES_IN).contains(&expires_in) {
        return Err(AppError::bad_request(
            "invalid_field",
            format!("`expires_in` must be 1 to {MAX_EXPIRES_IN} seconds"),
        ));
    }
    let meeting_id = resolve::meeting_id(state, meeting)
        .await?
        .ok_or_else(|| AppError::not_found("no known user has that personal link"))?
        .to_string();
    let expires_at = Utc::now() + chrono::Duration::seconds(expires_in as i64);
    let expires = expires_at.timestamp();
    let who = match user {
        Some(BotUser::User(user)) => Some(("user", user.as_str())),
        Some(BotUser::Credential(id)) => Some(("credential", id.as_str())),
        None => None,
    };
    let secret = state.settings.secrets.bot_secret.expose_secret();
    let url = |path: &str, params: &[(&str, &str)]| {
        format!("{}{path}?{}", state.settings.public_url, signed_query(secret, path, params, expires))
    };
    let mut with_user = vec![("meeting_id", meeting_id.as_str())];
    with_user.extend(who);
    Ok(BotUrls {
        join_token_url: url(JOIN_TOKEN_PATH, &[("meeting_id", &meeting_id)]),
        obf_token_url: url(OBF_TOKEN_PATH, &with_user),
        zak_url: url(ZAK_PATH, &with_user),
        access_token_url: who.map(|who| url(ACCESS_TOKEN_PATH, &[who])),
        attendee_zoom_tokens_url: url(ATTENDEE_PATH, &who.into_iter().collect::<Vec<_>>()),
        expires_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "bot-secret-0123456789";
    const NOW: i64 = 1_900_000_000;

    fn signed() -> String {
        signed_query(SECRET, OBF_TOKEN_PATH, &[("meeting_id", "85746065123"), ("user", "Jane@Example.com")], NOW + 60)
    }

    #[test]
    fn a_signed_url_verifies_on_its_path_until_it_expires() {
        let query = signed();
        assert!(query.starts_with("meeting_id=85746065123&user=Jane%40Example.com&expires="), "{query}");
        assert_eq!(verify(SECRET, OBF_TOKEN_PATH, &query, NOW), Ok(()));
        assert_eq!(verify(SECRET, ZAK_PATH, &query, NOW), Err(Refusal::BadSignature));
        assert_eq!(verify(SECRET, OBF_TOKEN_PATH, &query, NOW + 61), Err(Refusal::Expired));
        assert_eq!(verify("another-bot-secret-01", OBF_TOKEN_PATH, &query, NOW), Err(Refusal::BadSignature));
        let added = query.replace("&expires", "&credential=c&expires");
        assert_eq!(verify(SECRET, OBF_TOKEN_PATH, &added, NOW), Err(Refusal::BadSignature));
        assert_eq!(verify(SECRET, OBF_TOKEN_PATH, &format!("{query}&user=x"), NOW), Err(Refusal::BadSignature));
    }

    /// The property the format exists for: no single-character change to a signed query (a
    /// substitution by any printable character, a deletion, an insertion) is accepted.
    #[test]
    fn no_single_character_change_is_accepted() {
        let query = signed();
        let printable: Vec<char> = (0x20u8..0x7f).map(char::from).collect();
        let mut tried = 0;
        for (i, original) in query.char_indices() {
            let (before, after) = (&query[..i], &query[i + original.len_utf8()..]);
            let mut variants = vec![format!("{before}{after}")];
            for c in &printable {
                if *c != original {
                    variants.push(format!("{before}{c}{after}"));
                }
                variants.push(format!("{before}{c}{original}{after}"));
            }
            for variant in variants {
                tried += 1;
                assert!(verify(SECRET, OBF_TOKEN_PATH, &variant, NOW).is_err(), "accepted: {variant}");
            }
        }
        for c in &printable {
            tried += 1;
            assert!(verify(SECRET, OBF_TOKEN_PATH, &format!("{query}{c}"), NOW).is_err(), "accepted a suffix {c:?}");
        }
        assert!(tried > 10_000, "{tried}");
    }
}
