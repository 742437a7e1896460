//! What a bot may name a meeting by: its ID (digits; spaces and dashes tolerated, as people
//! copy them) or its Zoom join URL (docs/zoom.md §5). URLs are accepted on zoom.us, zoom.com and
//! zoomgov.com and their subdomains only; a look-alike host is refused.

use crate::db::models::mappings::MeetingKind;

/// A meeting as a bot named it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MeetingRef {
    Id(i64),
    /// A webinar's URL (`/w/ID`): looked up as a webinar first when nobody mapped it.
    Webinar(i64),
    /// A personal link, `/my/<vanity name>`: resolved to the user's PMI through stored users.
    Vanity(String),
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("a meeting ID is 9 to 13 digits")]
    BadId,
    #[error("not a Zoom meeting URL")]
    BadUrl,
    #[error("the URL's host is not Zoom's (zoom.us, zoom.com, zoomgov.com)")]
    ForeignHost,
}

const ZOOM_DOMAINS: [&str; 3] = ["zoom.us", "zoom.com", "zoomgov.com"];

/// What a person types or pastes (the CLI, the console): a meeting ID or a Zoom URL.
pub fn parse(text: &str) -> Result<MeetingRef, ParseError> {
    if text.contains("://") { parse_url(text) } else { parse_id(text).map(MeetingRef::Id) }
}

/// `85746065123`, `857 4606 5123`, `857-4606-5123`.
pub fn parse_id(text: &str) -> Result<i64, ParseError> {
    let digits: String = text.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if !(9..=13).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::BadId);
    }
    digits.parse().map_err(|_| ParseError::BadId)
}

/// `https://us02web.zoom.us/j/85746065123?pwd=...`, `/w/ID`, `/s/ID`, `/wc/join/ID`,
/// `/wc/ID/join`, `/my/<name>`.
pub fn parse_url(text: &str) -> Result<MeetingRef, ParseError> {
    let url = url::Url::parse(text.trim()).map_err(|_| ParseError::BadUrl)?;
    if !matches!(url.scheme(), "https" | "http") {
        return Err(ParseError::BadUrl);
    }
    let host = url.host_str().ok_or(ParseError::BadUrl)?.to_ascii_lowercase();
    let host = host.trim_end_matches('.');
    if !ZOOM_DOMAINS.iter().any(|domain| host == *domain || host.ends_with(&format!(".{domain}"))) {
        return Err(ParseError::ForeignHost);
    }
    let segments: Vec<&str> = url.path_segments().map(|s| s.filter(|p| !p.is_empty()).collect()).unwrap_or_default();
    match segments.as_slice() {
        ["w", id, ..] => parse_id(id).map(MeetingRef::Webinar),
        ["j" | "s", id, ..] | ["wc", "join", id, ..] | ["wc", id, ..] => parse_id(id).map(MeetingRef::Id),
        ["my", name, ..] if is_vanity(name) => Ok(MeetingRef::Vanity(name.to_ascii_lowercase())),
        _ => Err(ParseError::BadUrl),
    }
}

impl MeetingRef {
    /// What the reference most likely names, for looking it up at Zoom when nobody mapped it.
    pub fn likely_kind(&self) -> MeetingKind {
        match self {
            Self::Webinar(_) => MeetingKind::Webinar,
            Self::Id(_) | Self::Vanity(_) => MeetingKind::Meeting,
        }
    }
}

fn is_vanity(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_tolerate_spaces_and_dashes() {
        assert_eq!(parse_id("85746065123"), Ok(85746065123));
        assert_eq!(parse_id("857 4606 5123"), Ok(85746065123));
        assert_eq!(parse_id("857-4606-5123"), Ok(85746065123));
        assert_eq!(parse_id("123456789"), Ok(123456789));
        for bad in ["12ab", "", "1234", "85746065123x", "８５７４６０６５１２３", "99999999999999999999"] {
            assert_eq!(parse_id(bad), Err(ParseError::BadId), "{bad:?}");
        }
    }

    #[test]
    fn zoom_urls_in_every_path_form() {
        let id = Ok(MeetingRef::Id(85746065123));
        for url in [
            "https://zoom.us/j/85746065123?pwd=abc",
            "https://us02web.zoom.us/j/85746065123",
            "https://zoom.us/s/85746065123",
            "https://zoom.us/wc/join/85746065123",
            "https://app.zoom.us/wc/85746065123/join?fromPWA=1",
            "https://zoom.com/j/85746065123",
            "https://uscourts.zoomgov.com/j/85746065123",
            "https://ZOOM.US/j/85746065123",
        ] {
            assert_eq!(parse_url(url), id, "{url}");
        }
        assert_eq!(parse_url("https://acme.zoom.us/my/Jane.Doe"), Ok(MeetingRef::Vanity("jane.doe".into())));
        assert_eq!(parse_url("https://acme.zoom.us/w/85746065123?tk=x"), Ok(MeetingRef::Webinar(85746065123)));
    }

    #[test]
    fn look_alikes_and_garbage_are_refused() {
        assert_eq!(parse_url("https://zoom.us.example.com/j/85746065123"), Err(ParseError::ForeignHost));
        assert_eq!(parse_url("https://evilzoom.us/j/85746065123"), Err(ParseError::ForeignHost));
        assert_eq!(parse_url("https://example.com/j/85746065123"), Err(ParseError::ForeignHost));
        assert_eq!(parse_url("ftp://zoom.us/j/85746065123"), Err(ParseError::BadUrl));
        assert_eq!(parse_url("https://zoom.us/meeting/85746065123"), Err(ParseError::BadUrl));
        assert_eq!(parse_url("https://zoom.us/j/12ab"), Err(ParseError::BadId));
        assert_eq!(parse_url("not a url"), Err(ParseError::BadUrl));
    }
}
