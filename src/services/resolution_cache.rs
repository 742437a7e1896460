//! The credentials each meeting resolved to, remembered for a moment: a bot's token then costs
//! no database round trip when its meeting was asked for lately (bots of one meeting arrive
//! together). An entry is used only while no write that may change resolutions has committed
//! since it was read (`db::writes`: this process's writes, and the other processes' as
//! `db::ChangeWatch` hears them), and for at most a time limit:
//! `tokens.resolution_cache_notified_ms` while the watch is listening (the bound on how late a
//! change nobody announced is seen), else `tokens.resolution_cache_ms`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::db::ChangeWatch;
use crate::db::models::mappings::Candidate;

/// Meetings remembered at most. An entry takes about 1 KB (a credential's scopes are most of
/// it), so this bounds the cache near 10 MB: at 50,000, a day of bots asking for ever new
/// meetings held 25 MB of it, and the daemon's peak RSS went over 64 MB. When it is full, the
/// entries no longer usable go; if none can, the cache starts again empty.
const MAX_ENTRIES: usize = 10_000;

struct Entry {
    candidates: Vec<Arc<Candidate>>,
    /// `db::writes()` before the read.
    writes: u64,
    read_at: Instant,
}

impl Entry {
    /// Still current: nothing written since it was read (`writes` is the count now), and
    /// younger than `ttl`.
    fn usable(&self, writes: u64, ttl: Duration) -> bool {
        self.writes == writes && self.read_at.elapsed() < ttl
    }
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
    pub fn get(&self, meeting_id: i64) -> Option<Vec<Arc<Candidate>>> {
        if self.ttl.is_zero() {
            return None;
        }
        let ttl = self.ttl();
        let entries = self.entries.lock();
        let entry = entries.get(&meeting_id)?;
        entry.usable(crate::db::writes(), ttl).then(|| entry.candidates.clone())
    }

    /// Remembers what a read begun when the write count was `writes` found.
    pub fn put(&self, meeting_id: i64, candidates: &[Arc<Candidate>], writes: u64, read_at: Instant) {
        if self.ttl.is_zero() {
            return;
        }
        let ttl = self.ttl();
        let mut entries = self.entries.lock();
        if entries.len() >= MAX_ENTRIES {
            let now = crate::db::writes();
            entries.retain(|_, entry| entry.usable(now, ttl));
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(meeting_id, Entry { candidates: candidates.to_vec(), writes, read_at });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::models::apps::AppKind;
    use crate::db::models::credentials::Health;
    use crate::db::models::mappings::MeetingKind;

    fn candidate() -> Arc<Candidate> {
        Arc::new(Candidate {
            meeting_id: 1,
            meeting_kind: MeetingKind::Meeting,
            host_user_id: "host".into(),
            source: None,
            synced_at: chrono::NaiveDateTime::default(),
            credential_id: "credential".into(),
            credential_user_id: "user".into(),
            credential_account_id: "account".into(),
            status: Health::Healthy,
            status_detail: None,
            scopes: String::new(),
            app_id: "app".into(),
            app_kind: AppKind::UserLevel,
        })
    }

    #[test]
    fn the_cache_never_holds_more_than_its_bound() {
        let cache = ResolutionCache::new(Duration::from_secs(60), Duration::from_secs(60));
        let writes = crate::db::writes();
        for id in 0..3 * MAX_ENTRIES as i64 {
            cache.put(id, &[candidate()], writes, Instant::now());
            assert!(cache.entries.lock().len() <= MAX_ENTRIES);
        }
    }

    #[test]
    fn when_full_the_entries_no_longer_usable_go_first() {
        let cache = ResolutionCache::new(Duration::from_secs(1), Duration::from_secs(1));
        let writes = crate::db::writes();
        let expired = Instant::now() - Duration::from_secs(5);
        for id in 0..MAX_ENTRIES as i64 - 1 {
            cache.put(id, &[candidate()], writes, expired);
        }
        cache.put(-1, &[candidate()], writes, Instant::now());
        cache.put(-2, &[candidate()], writes, Instant::now());
        // This process's unit tests write to no database, so the count stays put.
        assert!(cache.get(-1).is_some(), "a usable entry survives the sweep");
        assert_eq!(cache.entries.lock().len(), 2);
    }
}
