//! Retrying one Zoom call: transient failures (5xx, timeouts, refused connections) get a few
//! attempts with short backoff, a 429 waits its `Retry-After`, and the whole thing ends at a
//! deadline shared by every attempt, so a hanging Zoom cannot hold a caller past it.

use std::time::{Duration, Instant};

use super::ZoomError;

/// Attempts at a call that fails transiently (5xx, timeout, refused connection). A Zoom that is
/// down for three attempts in a row is down: the caller is better served by a quick 503.
const ATTEMPTS: u32 = 3;

/// Retries transient Zoom failures with short backoff (at most [`ATTEMPTS`] tries), honouring a
/// 429's Retry-After, until `budget` is spent. Anything else is returned at once.
pub async fn with_retries<T, F, Fut>(budget: Duration, call: F) -> Result<T, ZoomError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ZoomError>>,
{
    retrying(budget, ZoomError::is_transient, call).await
}

/// The same for a call that changes state at Zoom and must not be repeated once Zoom may have
/// acted on it (a token refresh rotates the refresh token it sends): sent again only after a
/// failure that proves Zoom did nothing (no connection, a 429). A timeout or a 5xx ends it.
pub async fn with_retries_if_not_done<T, F, Fut>(budget: Duration, call: F) -> Result<T, ZoomError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ZoomError>>,
{
    retrying(budget, ZoomError::surely_not_done, call).await
}

async fn retrying<T, F, Fut>(budget: Duration, retryable: fn(&ZoomError) -> bool, mut call: F) -> Result<T, ZoomError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, ZoomError>>,
{
    let deadline = Instant::now() + budget;
    let mut backoff = Duration::from_millis(100);
    let mut failures = 0;
    loop {
        // Each attempt is cut off at the deadline too: a hanging Zoom must not hold a bot.
        let remaining = deadline.saturating_duration_since(Instant::now());
        let error = match tokio::time::timeout(remaining, call()).await {
            Ok(Ok(value)) => return Ok(value),
            // A daily limit lasts until its Retry-After, hours away: not worth a retry here.
            Ok(Err(e)) if !retryable(&e) || e.is_daily_limit() => return Err(e),
            Ok(Err(e)) => e,
            Err(_) => return Err(ZoomError::Unreachable("Zoom did not answer in time".into())),
        };
        let wait = match &error {
            ZoomError::RateLimited { retry_after: Some(after), .. } => (*after).max(Duration::from_millis(50)),
            _ => {
                failures += 1;
                if failures >= ATTEMPTS {
                    return Err(error);
                }
                backoff
            }
        };
        if Instant::now() + wait >= deadline {
            return Err(error);
        }
        tokio::time::sleep(wait).await;
        backoff = (backoff * 3).min(Duration::from_secs(2));
    }
}
