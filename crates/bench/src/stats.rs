//! Latency percentiles and throughput from raw per-request durations.

use std::collections::BTreeMap;
use std::time::Duration;

/// Requests of one kind over a stretch of time.
#[derive(Clone, Debug, Default)]
pub struct Samples {
    /// Durations of successful requests.
    pub latencies: Vec<Duration>,
    /// Requests that did not succeed.
    pub failed: u64,
    /// The failures by what they were: an HTTP status (`503`) or a transport error (`timeout`,
    /// `connect`, `reset`), so a table says with what requests failed, not only how many.
    pub failures: BTreeMap<String, u64>,
    /// Wall time they were measured over.
    pub elapsed: Duration,
    /// A closed loop's window (its set duration) and the successes answered within it: its
    /// throughput leaves out the drain after the window, when the last requests in flight are
    /// answered one by one and the way with the longer latency would look slower for it.
    pub window: Duration,
    pub ok_in_window: u64,
}

impl Samples {
    pub fn merge(&mut self, other: Samples) {
        self.latencies.extend(other.latencies);
        self.failed += other.failed;
        for (what, n) in other.failures {
            *self.failures.entry(what).or_default() += n;
        }
        self.elapsed += other.elapsed;
        self.window += other.window;
        self.ok_in_window += other.ok_in_window;
    }

    /// Counts one failed request under `what`.
    pub fn fail(&mut self, what: String) {
        self.failed += 1;
        *self.failures.entry(what).or_default() += 1;
    }

    /// `0`, or `3 (503: 2, timeout: 1)`.
    pub fn failures_text(&self) -> String {
        if self.failed == 0 {
            return "0".into();
        }
        let parts: Vec<String> = self.failures.iter().map(|(what, n)| format!("{what}: {n}")).collect();
        format!("{} ({})", self.failed, parts.join(", "))
    }

    pub fn ok(&self) -> u64 {
        self.latencies.len() as u64
    }

    pub fn summary(&self) -> Summary {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let (done, seconds) = if self.window.is_zero() {
            (self.ok(), self.elapsed.as_secs_f64())
        } else {
            (self.ok_in_window, self.window.as_secs_f64())
        };
        Summary {
            ok: self.ok(),
            failed: self.failed,
            per_second: if seconds > 0.0 { done as f64 / seconds } else { 0.0 },
            p50: percentile(&sorted, 50.0),
            p99: percentile(&sorted, 99.0),
            max: sorted.last().copied().unwrap_or_default(),
            elapsed: self.elapsed,
        }
    }
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Summary {
    pub ok: u64,
    pub failed: u64,
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
    pub elapsed: Duration,
}

/// Nearest-rank percentile of sorted durations (zero when empty).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let sorted: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&sorted, 50.0), Duration::from_millis(50));
        assert_eq!(percentile(&sorted, 99.0), Duration::from_millis(99));
        assert_eq!(percentile(&sorted, 100.0), Duration::from_millis(100));
        assert_eq!(percentile(&sorted[..1], 99.0), Duration::from_millis(1));
        assert_eq!(percentile(&[], 50.0), Duration::ZERO);
    }

    #[test]
    fn a_closed_loop_counts_only_what_its_window_answered() {
        let loop_samples = Samples {
            latencies: vec![Duration::from_millis(5); 120],
            elapsed: Duration::from_millis(1200),
            window: Duration::from_secs(1),
            ok_in_window: 100,
            ..Samples::default()
        };
        assert_eq!(loop_samples.summary().per_second, 100.0, "the drain's 20 answers and 200 ms left out");
        let arrivals = Samples { window: Duration::ZERO, ok_in_window: 0, ..loop_samples };
        assert_eq!(arrivals.summary().per_second, 100.0, "no window: all answers over the wall time");
    }
}
