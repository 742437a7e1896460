//! The URLs we hand out, all derived from `server.public_url` (docs/http.md). One place, so the
//! API, the console and the OAuth flow can never disagree about them.

/// Where Zoom sends this app's events: `<public_url>/api/v2/zoom-oauth-apps/<id>/webhook`.
pub fn webhook_url(public_url: &str, app_id: &str) -> String {
    format!("{public_url}/api/v2/zoom-oauth-apps/{app_id}/webhook")
}

/// The link a user follows to connect their Zoom account: `<public_url>/zoom/oauth/start?app=<id>`.
pub fn oauth_start_url(public_url: &str, app_id: &str) -> String {
    format!("{public_url}/zoom/oauth/start?app={app_id}")
}

/// The redirect URI to register with Zoom: `<public_url>/zoom/oauth/callback`.
pub fn oauth_redirect_uri(public_url: &str) -> String {
    format!("{public_url}/zoom/oauth/callback")
}

/// True when `public_url` is https: Zoom takes no other scheme for webhook and redirect URLs,
/// and the console's cookies are Secure only then.
pub fn is_https(public_url: &str) -> bool {
    url::Url::parse(public_url).is_ok_and(|url| url.scheme() == "https")
}
