//! The credentials each meeting resolved to, remembered for a moment: a bot's token then costs
//! no database round trip when its meeting was asked for lately (bots of one meeting arrive
//! together). An entry is used only while no write that may change resolutions has committed
//! since it was read (`db::writes`: this process's writes, and on PostgreSQL the other
//! processes' as `db::ChangeWatch` hears them), and for at most a time limit:
//! `tokens.resolution_cache_ms`, the bound on how late a change nobody announced is seen, or,
//! while the watch is listening, `tokens.resolution_cache_notified_ms`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::db::ChangeWatch;
use crate::db::models::mappings::Candidate;

/// Meetings remembered at most; past it the cache starts again empty.
const MAX_ENTRIES: usize = 50_000;

struct Entry {
    candidates: Vec<Candidate>,
    /// `db::writes()` before the read.
    writes: u64,
    read_at: Instant,
}

pub struct ResolutionCache {
    ttl: Duration,
    notified_ttl: Duration,
    /// Set once the process listens for other processes' writes.
    watch: std::sync::OnceLock<Arc<ChangeWatch>>,
    entries: parking_lot::Mutex<HashMap<i64, Entry>>,
}

impl ResolutionCache {
    /// `ttl` zero: nothing is remembered.
    pub fn new(ttl: Duration, notified_ttl: Duration) -> Self {
        Self { ttl, notified_ttl, watch: std::sync::OnceLock::new(), entries: parking_lot::Mutex::new(HashMap::new()) }
    }

    /// From now on, entries may live `notified_ttl` while `watch` is listening.
    pub fn hear(&self, watch: Arc<ChangeWatch>) {
        let _ = self.watch.set(watch);
    }

    /// How long an entry may be used now.
    fn ttl(&self) -> Duration {
        match self.watch.get() {
            Some(watch) if watch.listening() => self.notified_ttl.max(self.ttl),
            _ => self.ttl,
        }
    }

    /// What `meeting_id` resolved to, if that is still known to be current.
    pub fn get(&self, meeting_id: i64) -> Option<Vec<Candidate>> {
        if self.ttl.is_zero() {
            return None;
        }
        let ttl = self.ttl();
        let entries = self.entries.lock();
        let entry = entries.get(&meeting_id)?;
        (entry.writes == crate::db::writes() && entry.read_at.elapsed() < ttl).then(|| entry.candidates.clone())
    }

    /// Remembers what a read begun when the write count was `writes` found.
    pub fn put(&self, meeting_id: i64, candidates: &[Candidate], writes: u64, read_at: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock();
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(meeting_id, Entry { candidates: candidates.to_vec(), writes, read_at });
    }
}
