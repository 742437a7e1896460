//! What lookups remember: the meetings no credential could see (for a while, and only so many),
//! and each credential's lookup allowance, a token bucket of [`BURST`] refilled one per
//! [`REFILL`].

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Lookups a credential may make at once...
pub const BURST: f64 = 5.0;
/// ...and one more per this long.
pub const REFILL: Duration = Duration::from_secs(12);
/// A meeting no credential could see is not looked up again for this long.
const MISS_TTL: Duration = Duration::from_secs(600);
/// Remembered misses at most (oldest forgotten first when full).
const MAX_MISSES: usize = 100_000;

#[derive(Default)]
pub struct Lookups {
    misses: parking_lot::Mutex<HashMap<i64, Instant>>,
    /// Per credential: (allowance left, when it was last topped up).
    allowance: parking_lot::Mutex<HashMap<String, (f64, Instant)>>,
    /// When the last catch-up pass started (`lookup::catch_up`).
    last_catch_up: parking_lot::Mutex<Option<Instant>>,
}

impl Lookups {
    pub fn recently_missed(&self, meeting_id: i64) -> bool {
        self.misses.lock().get(&meeting_id).is_some_and(|at| at.elapsed() < MISS_TTL)
    }

    pub fn record_miss(&self, meeting_id: i64) {
        let mut misses = self.misses.lock();
        if misses.len() >= MAX_MISSES {
            misses.retain(|_, at| at.elapsed() < MISS_TTL);
            if misses.len() >= MAX_MISSES {
                misses.clear();
            }
        }
        misses.insert(meeting_id, Instant::now());
    }

    /// True (and noted) when no catch-up pass started within `every`.
    pub fn catch_up_due(&self, every: Duration) -> bool {
        let mut last = self.last_catch_up.lock();
        if last.is_some_and(|at| at.elapsed() < every) {
            return false;
        }
        *last = Some(Instant::now());
        true
    }

    pub fn take(&self, credential_id: &str) -> bool {
        let mut allowance = self.allowance.lock();
        let (left, at) = allowance.entry(credential_id.to_owned()).or_insert((BURST, Instant::now()));
        *left = (*left + at.elapsed().as_secs_f64() / REFILL.as_secs_f64()).min(BURST);
        *at = Instant::now();
        if *left >= 1.0 {
            *left -= 1.0;
            true
        } else {
            false
        }
    }
}
