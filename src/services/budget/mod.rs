//! Zoom's rate limits, kept on our side (docs/zoom.md §4): limits are per Zoom account and per
//! category, shared by every app on the account. When hundreds of bots of one account ask at
//! the top of the hour, the calls beyond the budget wait their turn here instead of spending
//! 429s at Zoom (which may disable apps with a high error ratio).
//!
//! Each (account, category) keeps the times of its last calls, and a new call is given the
//! earliest turn the rule in `turns` allows. A call whose turn would come after its deadline is
//! refused at once, with the wait it would have needed.
//!
//! Replicas on one PostgreSQL database share one schedule per account and category, in the
//! database (`shared`, `zoom.shared_rate_budget`): a burst at one replica gets the account's
//! whole rate, and what one replica leaves unused the others can use at once. Without it, or
//! while the database cannot be asked, each replica keeps `limit / replicas` on its own (at
//! least one call a second), the count coming from their heartbeats (`crate::services::replicas`):
//! together they still never exceed Zoom's limit, but an idle replica's share is wasted.
//! SQLite serves one process, whose schedule is in memory.

mod shared;
pub mod turns;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::config::Plan;
use crate::db::Db;

/// Zoom's rate-limit categories for the endpoints zoomsync calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Category {
    /// Token minting, single users and meetings.
    Light,
    /// The list endpoints (users, meetings).
    Medium,
}

impl Category {
    /// Its name in the database and in logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Medium => "medium",
        }
    }
}

/// Per-second limits of a plan (docs/zoom.md §4); `None` means unlimited.
pub fn per_second(plan: Plan, category: Category) -> Option<usize> {
    match (plan, category) {
        (Plan::Free, Category::Light) => Some(4),
        (Plan::Free, Category::Medium) => Some(2),
        (Plan::Pro, Category::Light) => Some(30),
        (Plan::Pro, Category::Medium) => Some(20),
        (Plan::Business, Category::Light) => Some(80),
        (Plan::Business, Category::Medium) => Some(60),
        (Plan::Unlimited, _) => None,
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct OverBudget {
    /// How long the caller would have had to wait.
    pub retry_after: Duration,
}

pub struct Budget {
    plan: Plan,
    /// (account, category) pairs Zoom answered a daily-limit 429 for, until when: no call for
    /// them before then (docs/zoom.md §4).
    daily_limited: parking_lot::Mutex<HashMap<(String, Category), Instant>>,
    /// Live replicas sharing the plan's limits, this one included.
    replicas: AtomicUsize,
    schedules: parking_lot::Mutex<HashMap<(String, Category), VecDeque<Instant>>>,
    /// The replicas' one schedule, in the database; `None`: this process's own.
    shared: Option<Arc<shared::Shared>>,
    /// Calls that fell back to the even share, for a warning now and then, not one per call.
    fallbacks: Fallbacks,
}

/// Counts calls that could not book the shared schedule; says when to warn (at most every
/// [`Fallbacks::EVERY`]): while the database is away, every call of every bot would log.
#[derive(Default)]
struct Fallbacks(parking_lot::Mutex<(u64, Option<Instant>)>);

impl Fallbacks {
    const EVERY: Duration = Duration::from_secs(10);

    /// One more; `Some(n)`: warn now, for the `n` calls since the last warning.
    fn note(&self) -> Option<u64> {
        let mut state = self.0.lock();
        state.0 += 1;
        if state.1.is_some_and(|at| at.elapsed() < Self::EVERY) {
            return None;
        }
        state.1 = Some(Instant::now());
        Some(std::mem::take(&mut state.0))
    }
}

impl Budget {
    /// A budget kept in this process.
    pub fn new(plan: Plan) -> Self {
        Self {
            plan,
            daily_limited: parking_lot::Mutex::new(HashMap::new()),
            replicas: AtomicUsize::new(1),
            schedules: parking_lot::Mutex::new(HashMap::new()),
            shared: None,
            fallbacks: Fallbacks::default(),
        }
    }

    /// A budget every replica on `db` shares.
    pub fn shared(plan: Plan, db: Db) -> Self {
        Self { shared: Some(shared::Shared::new(db)), ..Self::new(plan) }
    }

    /// Whether the replicas share one schedule in the database.
    pub fn is_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// How many replicas share the limits from now on (at least this one).
    pub fn set_replicas(&self, replicas: usize) {
        self.replicas.store(replicas.max(1), Ordering::Relaxed);
    }

    pub fn replicas(&self) -> usize {
        self.replicas.load(Ordering::Relaxed)
    }

    /// This replica's calls per second, of a plan's `plan_limit`.
    fn share(&self, plan_limit: usize) -> usize {
        (plan_limit / self.replicas()).max(1)
    }

    /// Waits for this account's turn in `category`, or refuses if it would come after `deadline`.
    /// Returns how long it waited.
    pub async fn acquire(
        &self,
        account_id: &str,
        category: Category,
        deadline: Instant,
    ) -> Result<Duration, OverBudget> {
        let now = Instant::now();
        let at = match (&self.shared, per_second(self.plan, category)) {
            (Some(shared), Some(limit)) => match shared.reserve(account_id, category, limit, deadline).await {
                Ok(turn) => turn?,
                Err(e) => {
                    // Never unbounded: this replica's even share until the database answers.
                    if let Some(since) = self.fallbacks.note() {
                        tracing::warn!(error = %e, calls = since, "the shared rate budget could not be booked; using this replica's share");
                    }
                    self.reserve(account_id, category, Instant::now(), deadline)?
                }
            },
            _ => self.reserve(account_id, category, now, deadline)?,
        };
        // A turn due now must not sleep: tokio's timer would park the call until its next
        // millisecond tick, on every token.
        if at > Instant::now() {
            tokio::time::sleep_until(at.into()).await;
        }
        Ok(at.saturating_duration_since(now))
    }

    /// Zoom said this account reached its daily limit in `category`: no call until `until`.
    pub fn block_until(&self, account_id: &str, category: Category, until: Instant) {
        self.daily_limited.lock().insert((account_id.to_owned(), category), until);
    }

    /// How long this account is still blocked in `category` by a daily limit, if it is. A pause
    /// that has ended stays listed until [`Budget::take_lifted`] takes it.
    pub fn daily_limit_left(&self, account_id: &str, category: Category, now: Instant) -> Option<Duration> {
        let blocked = self.daily_limited.lock();
        match blocked.get(&(account_id.to_owned(), category)) {
            Some(until) if *until > now => Some(*until - now),
            _ => None,
        }
    }

    /// The daily-limit pauses that have ended by `now`, removed (each is reported once).
    pub fn take_lifted(&self, now: Instant) -> Vec<(String, Category)> {
        let mut blocked = self.daily_limited.lock();
        let lifted: Vec<(String, Category)> =
            blocked.iter().filter(|(_, until)| **until <= now).map(|(key, _)| key.clone()).collect();
        for key in &lifted {
            blocked.remove(key);
        }
        lifted
    }

    /// How long the account's longest daily-limit pause still lasts, if one does.
    pub fn daily_limited_for(&self, account_id: &str) -> Option<Duration> {
        let now = Instant::now();
        self.daily_limited
            .lock()
            .iter()
            .filter(|((account, _), until)| account == account_id && **until > now)
            .map(|(_, until)| *until - now)
            .max()
    }

    /// How many (account, category) pairs a daily limit blocks now (a gauge in `/metrics`).
    pub fn daily_limited_count(&self) -> usize {
        let now = Instant::now();
        self.daily_limited.lock().values().filter(|until| **until > now).count()
    }

    /// Books the earliest allowed slot at or after `now`; the caller sleeps until it.
    pub fn reserve(
        &self,
        account_id: &str,
        category: Category,
        now: Instant,
        deadline: Instant,
    ) -> Result<Instant, OverBudget> {
        let Some(plan_limit) = per_second(self.plan, category) else { return Ok(now) };
        let limit = self.share(plan_limit);
        let mut schedules = self.schedules.lock();
        let slots = schedules.entry((account_id.to_owned(), category)).or_default();
        let at = turns::next(slots, limit, now);
        if at > deadline {
            return Err(OverBudget { retry_after: at - now });
        }
        // More are kept than the share needs (the whole plan's worth), so that the share can
        // change between calls.
        turns::book(slots, at, plan_limit);
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use super::turns::{MARGIN, WINDOW};
    use super::*;

    /// The most calls any one-second window starting at a call holds.
    fn most_in_one_window(slots: &[Instant]) -> usize {
        slots.iter().map(|at| slots.iter().filter(|s| **s >= *at && **s < *at + WINDOW).count()).max().unwrap_or(0)
    }

    #[test]
    fn falling_back_warns_once_for_many_calls() {
        let fallbacks = Fallbacks::default();
        assert_eq!(fallbacks.note(), Some(1), "the first warns at once");
        assert_eq!((0..999).filter_map(|_| fallbacks.note()).count(), 0, "the rest within the period are counted");
        fallbacks.0.lock().1 = Some(Instant::now() - Fallbacks::EVERY);
        assert_eq!(fallbacks.note(), Some(1000), "the next warning tells how many calls fell back");
    }

    #[test]
    fn no_window_of_one_second_holds_more_than_the_limit() {
        let budget = Budget::new(Plan::Free); // Light: 4 per second.
        let start = Instant::now();
        let far = start + Duration::from_secs(60);
        let slots: Vec<Instant> =
            (0..12).map(|_| budget.reserve("acct", Category::Light, start, far).unwrap()).collect();
        assert_eq!(most_in_one_window(&slots), 4);
        // The first four go at once; the ninth waits two windows.
        assert!(slots[..4].iter().all(|s| *s == start));
        assert!(slots[8] >= start + 2 * WINDOW);
    }

    #[test]
    fn accounts_and_categories_have_separate_budgets() {
        let budget = Budget::new(Plan::Free);
        let now = Instant::now();
        let far = now + Duration::from_secs(60);
        for _ in 0..4 {
            budget.reserve("a", Category::Light, now, far).unwrap();
        }
        assert_eq!(budget.reserve("b", Category::Light, now, far), Ok(now));
        assert_eq!(budget.reserve("a", Category::Medium, now, far), Ok(now));
        assert!(budget.reserve("a", Category::Light, now, far).unwrap() > now);
    }

    #[test]
    fn a_turn_past_the_deadline_is_refused_without_booking() {
        let budget = Budget::new(Plan::Free);
        let now = Instant::now();
        for _ in 0..4 {
            budget.reserve("a", Category::Light, now, now).unwrap();
        }
        let refused = budget.reserve("a", Category::Light, now, now + Duration::from_millis(10)).unwrap_err();
        assert!(refused.retry_after >= WINDOW);
        // The refusal booked nothing: a caller with more patience still gets the same slot.
        let slot = budget.reserve("a", Category::Light, now, now + Duration::from_secs(5)).unwrap();
        assert_eq!(slot, now + WINDOW + MARGIN);
    }

    #[test]
    fn no_plan_means_no_waiting() {
        let budget = Budget::new(Plan::Unlimited);
        let now = Instant::now();
        for _ in 0..1000 {
            assert_eq!(budget.reserve("a", Category::Light, now, now), Ok(now));
        }
    }

    #[test]
    fn replicas_split_the_limit_and_the_split_follows_their_number() {
        let budget = Budget::new(Plan::Pro); // Light: 30 per second.
        let start = Instant::now();
        let far = start + Duration::from_secs(60);
        let mut slots = Vec::new();
        budget.set_replicas(3);
        slots.extend((0..30).map(|_| budget.reserve("acct", Category::Light, start, far).unwrap()));
        assert_eq!(most_in_one_window(&slots), 10);
        // One replica stops: the two left take 15 a second each, from the next call on.
        budget.set_replicas(2);
        slots.extend((0..45).map(|_| budget.reserve("acct", Category::Light, start, far).unwrap()));
        assert_eq!(most_in_one_window(&slots), 15);
        // More replicas than the limit allows still leaves each one call a second.
        budget.set_replicas(0);
        assert_eq!(budget.replicas(), 1);
        budget.set_replicas(100);
        let first = budget.reserve("other", Category::Medium, start, far).unwrap();
        let second = budget.reserve("other", Category::Medium, start, far).unwrap();
        assert_eq!((first, second), (start, start + WINDOW + MARGIN));
    }
}
