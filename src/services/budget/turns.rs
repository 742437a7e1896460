//! The one scheduling rule, for this process's schedule and the replicas' shared one alike.
//!
//! A call is given a turn no earlier than the last one booked, and no earlier than one second
//! (plus a margin for jitter) after the call `limit` places before it: then no one-second
//! window, fixed or sliding, ever holds more than `limit` calls.

use std::collections::VecDeque;
use std::ops::Add;
use std::time::Duration;

/// Added to each one-second window so that arrival jitter (and, between replicas, the database
/// round trip that told them the time) cannot push `limit + 1` calls into one of Zoom's windows.
pub const MARGIN: Duration = Duration::from_millis(50);
pub const WINDOW: Duration = Duration::from_secs(1);

/// The earliest turn at or after `now` after the calls booked in `slots` (ascending).
pub fn next<T: Copy + Ord + Add<Duration, Output = T>>(slots: &VecDeque<T>, limit: usize, now: T) -> T {
    let mut at = now;
    if let Some(last) = slots.back() {
        at = at.max(*last);
    }
    if limit > 0 && slots.len() >= limit {
        at = at.max(slots[slots.len() - limit] + WINDOW + MARGIN);
    }
    at
}

/// Books a call at `at` (from [`next`]), keeping the latest `keep` calls.
pub fn book<T>(slots: &mut VecDeque<T>, at: T, keep: usize) {
    slots.push_back(at);
    while slots.len() > keep {
        slots.pop_front();
    }
}

/// A time on the database's clock, in microseconds since the Unix epoch: the replicas' shared
/// schedule is kept in it, since their own clocks may disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Micros(pub i64);

impl Add<Duration> for Micros {
    type Output = Self;

    fn add(self, d: Duration) -> Self {
        Self(self.0.saturating_add(i64::try_from(d.as_micros()).unwrap_or(i64::MAX)))
    }
}

impl Micros {
    /// How far `self` is after `earlier` (zero if it is not).
    pub fn since(self, earlier: Micros) -> Duration {
        Duration::from_micros(u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0))
    }
}
