//! Whether a delivery comes from Zoom: the signature policy of the webhook endpoint (docs/zoom.md
//! §1.2-1.4), kept apart from the handler, as crates.io keeps `secret_scanning::verify`, so it can
//! be read and tested on its own.
//!
//! A delivery passes when it carries both headers, its timestamp lies in the [`Window`] (at most
//! `ahead` in the future, at most `behind` in the past: Zoom retries a delivery at about +5, +20
//! and +60 minutes, possibly with the first attempt's timestamp, and a 4xx is never retried, so
//! the window must span the retries; a replay inside it is a duplicate, recorded once by the
//! dedupe key), and its signature matches the app's current
//! secret or, after a rotation, the previous one: `keys::AppKeys` holds that one only while its
//! grace period lasts, so a sender that has not switched yet keeps working until then.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::signature;

/// The headers that sign a delivery, as received (`None` when missing or not text).
#[derive(Clone, Copy, Debug, Default)]
pub struct SignedHeaders<'a> {
    /// `x-zm-request-timestamp`: seconds since the epoch.
    pub timestamp: Option<&'a str>,
    /// `x-zm-signature`: `v0=` and the hex HMAC.
    pub signature: Option<&'a str>,
}

/// A delivery that passed.
#[derive(Debug)]
pub struct Verified<'k> {
    /// The secret whose signature matched; a URL validation is answered with the same one, so
    /// Zoom sees the secret it signed with.
    pub secret: &'k SecretString,
    /// The request timestamp, seconds: the event time of last resort.
    pub timestamp: i64,
}

/// How far a delivery's timestamp may be from now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Ahead of now (clock skew): `webhook.max_skew_seconds`.
    pub ahead: Duration,
    /// Behind now (Zoom's retries): `webhook.max_age_seconds`.
    pub behind: Duration,
}

/// Why a delivery was refused; each is a 401.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the x-zm-request-timestamp and x-zm-signature headers are required")]
    MissingHeaders,
    #[error("the timestamp is not a number of seconds")]
    TimestampNotANumber,
    #[error("the timestamp is too far ahead of now")]
    TimestampAhead,
    #[error("the timestamp is too old")]
    TimestampTooOld,
    #[error("the signature does not match")]
    BadSignature,
}

/// Checks one delivery to an app with these webhook secrets (`previous` only while its grace
/// period lasts): `body` is the raw bytes as received, `now` the current time in seconds.
pub fn verify<'k>(
    current: &'k SecretString,
    previous: Option<&'k SecretString>,
    headers: SignedHeaders<'_>,
    body: &[u8],
    now: i64,
    window: Window,
) -> Result<Verified<'k>, Refusal> {
    let (Some(timestamp), Some(signature)) = (headers.timestamp.map(str::trim), headers.signature.map(str::trim))
    else {
        return Err(Refusal::MissingHeaders);
    };
    let seconds: i64 = timestamp.parse().map_err(|_| Refusal::TimestampNotANumber)?;
    // abs_diff: no overflow, whatever number the header holds.
    let distance = now.abs_diff(seconds);
    if seconds > now && distance > window.ahead.as_secs() {
        return Err(Refusal::TimestampAhead);
    }
    if seconds <= now && distance > window.behind.as_secs() {
        return Err(Refusal::TimestampTooOld);
    }
    let secret = std::iter::once(current)
        .chain(previous)
        .find(|secret| signature::verify(secret.expose_secret().as_bytes(), timestamp, body, signature))
        .ok_or(Refusal::BadSignature)?;
    Ok(Verified { secret, timestamp: seconds })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_739_923_528;
    const WINDOW: Window = Window { ahead: Duration::from_secs(300), behind: Duration::from_secs(7200) };
    const BODY: &[u8] = br#"{"event":"meeting.created"}"#;

    /// The app's secrets: "current", and the previous one if given.
    fn keys(previous: Option<&str>) -> (SecretString, Option<SecretString>) {
        (SecretString::from("current"), previous.map(SecretString::from))
    }

    fn signed(secret: &str, timestamp: &str) -> String {
        signature::sign(secret.as_bytes(), timestamp, BODY)
    }

    fn check<'k>(
        (current, previous): &'k (SecretString, Option<SecretString>),
        timestamp: Option<&str>,
        signature: Option<&str>,
    ) -> Result<Verified<'k>, Refusal> {
        verify(current, previous.as_ref(), SignedHeaders { timestamp, signature }, BODY, NOW, WINDOW)
    }

    #[test]
    fn the_current_secret_passes_and_names_itself() {
        let keys = keys(Some("previous"));
        let signature = signed("current", "1739923528");
        let verified = check(&keys, Some(" 1739923528 "), Some(&signature)).unwrap();
        assert_eq!(verified.secret.expose_secret(), "current");
        assert_eq!(verified.timestamp, NOW);
    }

    #[test]
    fn the_previous_secret_passes_only_while_keys_hold_it() {
        let signature = signed("previous", "1739923528");
        let during_grace = keys(Some("previous"));
        let verified = check(&during_grace, Some("1739923528"), Some(&signature)).unwrap();
        assert_eq!(verified.secret.expose_secret(), "previous");
        assert_eq!(check(&keys(None), Some("1739923528"), Some(&signature)).unwrap_err(), Refusal::BadSignature);
    }

    #[test]
    fn refusals_name_the_reason() {
        let keys = keys(None);
        let signature = signed("current", "1739923528");
        let refused =
            |timestamp: Option<&str>, signature: Option<&str>| check(&keys, timestamp, signature).unwrap_err();
        assert_eq!(refused(None, Some(&signature)), Refusal::MissingHeaders);
        assert_eq!(refused(Some("1739923528"), None), Refusal::MissingHeaders);
        assert_eq!(refused(Some("soon"), Some(&signature)), Refusal::TimestampNotANumber);
        assert_eq!(refused(Some("1739923528"), Some(&signed("other", "1739923528"))), Refusal::BadSignature);
        // Signed for another timestamp than the header says.
        assert_eq!(refused(Some("1739923529"), Some(&signature)), Refusal::BadSignature);
    }

    #[test]
    fn the_timestamp_must_be_within_the_window() {
        let keys = keys(None);
        let cases = [
            (NOW - 7200, None),
            (NOW - 3600, None),
            (NOW + 300, None),
            (NOW - 7201, Some(Refusal::TimestampTooOld)),
            (NOW + 301, Some(Refusal::TimestampAhead)),
        ];
        for (at, refusal) in cases {
            let timestamp = at.to_string();
            let result = check(&keys, Some(&timestamp), Some(&signed("current", &timestamp)));
            assert_eq!(result.err(), refusal, "{at}");
        }
        // The extremes of i64 are refused, not an overflow.
        for (extreme, refusal) in [(i64::MIN, Refusal::TimestampTooOld), (i64::MAX, Refusal::TimestampAhead)] {
            let timestamp = extreme.to_string();
            let refused = check(&keys, Some(&timestamp), Some(&signed("current", &timestamp))).unwrap_err();
            assert_eq!(refused, refusal);
        }
    }
}
