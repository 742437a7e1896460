//! What can go wrong talking to Zoom, sorted by what the caller should do about it.

use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ZoomError {
    /// No answer: connection refused or reset, DNS, timeout. Transient.
    #[error("Zoom is unreachable: {0}")]
    Unreachable(String),
    /// Zoom answered 5xx. Transient.
    #[error("Zoom answered HTTP {status}")]
    Server { status: u16 },
    /// Zoom answered 429. `retry_after` is how long it asked us to wait, when it said.
    #[error("Zoom rate-limited the call ({kind})")]
    RateLimited { retry_after: Option<Duration>, kind: String },
    /// The OAuth endpoints refused: `{"reason": ..., "error": ...}`.
    #[error("Zoom OAuth refused: {error} ({reason})")]
    OAuth { status: u16, error: String, reason: String },
    /// The REST API refused: `{"code": ..., "message": ...}`.
    #[error("Zoom refused: HTTP {status}, code {code}: {message}")]
    Api { status: u16, code: i64, message: String },
    /// Zoom answered something we could not read.
    #[error("unexpected answer from Zoom: {0}")]
    Decode(String),
}

impl ZoomError {
    /// Worth retrying later: Zoom down, slow, or rate-limiting.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unreachable(_) | Self::Server { .. } | Self::RateLimited { .. })
    }

    /// The refresh token (or the app's client credentials) will never work again: the user must
    /// reconnect, or the admin fix the app. Zoom answers 400 since mid-2022, 401 before; ATT
    /// treats `invalid_grant` and `invalid_client` alike, as this does for now (docs/zoom.md §2.4
    /// explains why `invalid_client` should not count).
    pub fn needs_reauthorization(&self) -> bool {
        matches!(self, Self::OAuth { status: 400..=499, error, .. } if error == "invalid_grant" || error == "invalid_client")
    }

    /// The access token was refused (401, code 124): expired early or revoked.
    pub fn is_token_rejected(&self) -> bool {
        matches!(self, Self::Api { status: 401, .. })
    }

    /// A short, token-free description for credential logs and bot answers.
    pub fn summary(&self) -> String {
        match self {
            Self::Api { status, code, message } => format!("Zoom {status}/{code}: {message}"),
            Self::OAuth { error, reason, .. } => format!("Zoom OAuth {error}: {reason}"),
            other => other.to_string(),
        }
    }
}
