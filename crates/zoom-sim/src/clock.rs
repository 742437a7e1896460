//! Simulator time: the wall clock plus an offset that `/_sim/clock/advance` grows.
//!
//! Expiries (codes, access/refresh tokens, page tokens, minted tokens) and daily rate windows use
//! this clock; webhook timestamps and per-second rate windows use the real wall clock, because
//! the receiving daemon compares them with its own.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};

#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicI64,
}

/// How far the clock may be moved in total, so that date arithmetic can never overflow.
const MAX_OFFSET_MS: i64 = 1000 * 365 * 86_400 * 1000;

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        let wall = Utc::now();
        wall.checked_add_signed(TimeDelta::milliseconds(self.offset_ms.load(Ordering::Relaxed))).unwrap_or(wall)
    }

    /// Moves simulator time forward by `seconds` (finite, >= 0); `false` when that would take
    /// it more than 1000 years ahead of the wall clock.
    pub fn advance(&self, seconds: f64) -> bool {
        if !seconds.is_finite() || seconds < 0.0 || seconds * 1000.0 > MAX_OFFSET_MS as f64 {
            return false;
        }
        let ms = (seconds * 1000.0).round() as i64;
        self.offset_ms
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |current| {
                current.checked_add(ms).filter(|total| *total <= MAX_OFFSET_MS)
            })
            .is_ok()
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }
}

/// Zoom's date-time format: `2026-03-01T15:00:00Z`.
pub fn zoom_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Wall-clock milliseconds since the epoch (webhook `event_ts`).
pub fn wall_ms() -> i64 {
    Utc::now().timestamp_millis()
}
