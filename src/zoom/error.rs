//! What can go wrong talking to Zoom, sorted by what the caller should do about it.

use std::time::Duration;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ZoomError {
    /// The request never reached Zoom: no connection (refused, DNS, connect timeout). Transient,
    /// and safe to send again whatever it was.
    #[error("Zoom is unreachable: {0}")]
    NotSent(String),
    /// No answer to a request that was sent, or may have been: a timeout, a reset, a body cut
    /// short. Transient, but Zoom may have done the work (a refresh may have rotated).
    #[error("Zoom did not answer: {0}")]
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
        matches!(self, Self::NotSent(_) | Self::Unreachable(_) | Self::Server { .. } | Self::RateLimited { .. })
    }

    /// Zoom certainly did not do what was asked: the request never reached it, or it refused
    /// it before doing anything (429). Only then may a call that changes state at Zoom (a token
    /// refresh, which rotates the refresh token) be sent again as it was.
    pub fn surely_not_done(&self) -> bool {
        matches!(self, Self::NotSent(_) | Self::RateLimited { .. })
    }

    /// Zoom may have done the work although we have no answer to show for it (docs/zoom.md §7:
    /// a refresh finishes, and rotates, whether or not the client still waits).
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, Self::Unreachable(_) | Self::Server { .. })
    }

    /// How long Zoom asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::RateLimited { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The app's client credentials were refused (`invalid_client`: a wrong client secret).
    /// Zoom checks them before it looks at the refresh token, so the refresh token is intact:
    /// the admin must fix the app, the user need not reconnect (docs/zoom.md §2.4).
    pub fn is_client_rejected(&self) -> bool {
        matches!(self, Self::OAuth { status: 400..=499, error, .. } if error == "invalid_client")
    }

    /// The refresh token will never work again: the user must reconnect. Zoom answers 400 since
    /// mid-2022, 401 before. (`invalid_client` is the app's fault, not the grant's: see
    /// [`ZoomError::is_client_rejected`].)
    pub fn needs_reauthorization(&self) -> bool {
        matches!(self, Self::OAuth { status: 400..=499, error, .. } if error == "invalid_grant")
    }

    /// The access token was refused: expired early or revoked. Zoom answers 401, and on several
    /// endpoints (its OpenAPI files document it) 400 with code 124 (docs/zoom.md §7).
    pub fn is_token_rejected(&self) -> bool {
        matches!(self, Self::Api { status: 401, .. } | Self::Api { status: 400, code: 124, .. })
    }

    /// A 429 for a daily limit (`X-RateLimit-Type: Daily-limit`): retrying before its
    /// `Retry-After` only raises the error ratio Zoom may disable an app for (docs/zoom.md §4).
    pub fn is_daily_limit(&self) -> bool {
        matches!(self, Self::RateLimited { kind, .. } if kind.to_ascii_lowercase().contains("daily"))
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
