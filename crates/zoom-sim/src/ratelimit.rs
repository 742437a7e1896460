//! Zoom's per-account rate limits (docs/zoom.md §4): a per-second fixed window on the wall clock and,
//! where the plan has one, a daily count over the simulator's UTC day.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, RETRY_AFTER};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use parking_lot::Mutex;

use crate::clock::zoom_time;
pub use crate::control::types::RateCategory as Category;
use crate::control::types::{DailyLimits, Plan, RetryAfterFormat};
use crate::errors::ApiError;

impl Category {
    /// As `X-RateLimit-Category` names it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Light => "Light",
            Self::Medium => "Medium",
            Self::Heavy => "Heavy",
        }
    }

    fn index(self) -> usize {
        match self {
            Self::Light => 0,
            Self::Medium => 1,
            Self::Heavy => 2,
        }
    }
}

/// Calls per second for a plan and category (docs/zoom.md §4). Daily caps are configurable
/// ([`DailyLimits`]); these are not, since no test needs other values.
fn per_second(plan: Plan, category: Category) -> u32 {
    match (plan, category) {
        (Plan::Free, Category::Light) => 4,
        (Plan::Free, Category::Medium) => 2,
        (Plan::Free, Category::Heavy) => 1,
        (Plan::Pro, Category::Light) => 30,
        (Plan::Pro, Category::Medium) => 20,
        (Plan::Pro, Category::Heavy) => 10,
        (Plan::Business, Category::Light) => 80,
        (Plan::Business, Category::Medium) => 60,
        (Plan::Business, Category::Heavy) => 40,
    }
}

/// A refused call: the 429 to answer, and whether a daily cap (not the per-second one) refused it.
pub struct Limited {
    pub error: ApiError,
    pub daily: bool,
}

/// What the `x-ratelimit-*` headers of a successful call say.
#[derive(Debug, Clone, Copy)]
pub struct RateInfo {
    pub category: Category,
    pub limit: u32,
    pub remaining: u32,
}

#[derive(Default, Clone, Copy)]
struct Window {
    second: i64,
    in_second: u32,
    day: Option<NaiveDate>,
    in_day: u32,
}

#[derive(Default)]
struct State {
    /// Account id -> a window per category.
    windows: HashMap<String, [Window; 3]>,
    daily: DailyLimits,
}

#[derive(Default)]
pub struct RateLimiter {
    enabled: AtomicBool,
    state: Mutex<State>,
}

impl RateLimiter {
    pub fn new(enabled: bool, daily: DailyLimits) -> Self {
        Self { enabled: AtomicBool::new(enabled), state: Mutex::new(State { windows: HashMap::new(), daily }) }
    }

    pub fn daily_limits(&self) -> DailyLimits {
        self.state.lock().daily
    }

    /// Changes one daily cap; counts already made today stay, so a lowered cap can refuse at once.
    pub fn set_daily_limit(&self, plan: Plan, category: Category, limit: Option<u32>) -> DailyLimits {
        let mut state = self.state.lock();
        state.daily.plan_mut(plan).set(category, limit);
        state.daily
    }

    pub fn reset_daily_limits(&self) -> DailyLimits {
        let mut state = self.state.lock();
        state.daily = DailyLimits::default();
        state.daily
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
        if !on {
            self.state.lock().windows.clear();
        }
    }

    /// Counts one call; `Ok(None)` when limits are off, a 429 when over the limit. The daily
    /// cap is checked first: past it, waiting a second does not help.
    pub fn check(
        &self,
        account_id: &str,
        plan: Plan,
        category: Category,
        sim_now: DateTime<Utc>,
        retry_after: RetryAfterFormat,
    ) -> Result<Option<RateInfo>, Limited> {
        if !self.enabled() {
            return Ok(None);
        }
        let wall = Utc::now();
        let second = wall.timestamp();
        let day = sim_now.date_naive();
        let per_second = per_second(plan, category);

        let mut state = self.state.lock();
        let per_day = state.daily.plan(plan).get(category);
        if !state.windows.contains_key(account_id) {
            state.windows.insert(account_id.to_owned(), [Window::default(); 3]);
        }
        let Some(w) = state.windows.get_mut(account_id).and_then(|all| all.get_mut(category.index())) else {
            return Ok(None);
        };
        if w.second != second {
            w.second = second;
            w.in_second = 0;
        }
        if w.day != Some(day) {
            w.day = Some(day);
            w.in_day = 0;
        }
        if let Some(daily) = per_day
            && w.in_day >= daily
        {
            // The next 00:00 UTC of the simulator's clock, when the day's count starts over.
            let midnight = day.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
            let retry_at = midnight.unwrap_or(sim_now + TimeDelta::days(1));
            let error = too_many(
                category,
                "Daily-limit",
                daily,
                retry_at,
                retry_after,
                "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.",
            );
            return Err(Limited { error, daily: true });
        }
        if w.in_second >= per_second {
            let retry_at = DateTime::from_timestamp(second + 1, 0).unwrap_or(wall);
            let error = too_many(
                category,
                "QPS",
                per_second,
                retry_at,
                retry_after,
                "You have reached the maximum per-second rate limit for this API. Try again later.",
            );
            return Err(Limited { error, daily: false });
        }
        w.in_second += 1;
        w.in_day += 1;
        // Zoom's 2xx headers show the daily budget where the plan has one (docs/zoom.md §4).
        Ok(Some(match per_day {
            Some(daily) => RateInfo { category, limit: daily, remaining: daily.saturating_sub(w.in_day) },
            None => RateInfo { category, limit: per_second, remaining: per_second - w.in_second },
        }))
    }
}

/// `Retry-After` in the configured form: an ISO 8601 date-time (docs/zoom.md §4), an HTTP date,
/// or none at all.
fn retry_after_value(at: DateTime<Utc>, format: RetryAfterFormat) -> Option<String> {
    match format {
        RetryAfterFormat::Iso8601 => Some(zoom_time(at)),
        RetryAfterFormat::HttpDate => Some(at.format("%a, %d %b %Y %H:%M:%S GMT").to_string()),
        RetryAfterFormat::Absent => None,
    }
}

fn too_many(
    category: Category,
    kind: &str,
    limit: u32,
    retry_at: DateTime<Utc>,
    retry_after: RetryAfterFormat,
    message: &str,
) -> ApiError {
    let mut err = ApiError::new(StatusCode::TOO_MANY_REQUESTS, 429, message);
    err.headers = vec![
        (HeaderName::from_static("x-ratelimit-category"), category.name().to_owned()),
        (HeaderName::from_static("x-ratelimit-type"), kind.to_owned()),
        (HeaderName::from_static("x-ratelimit-limit"), limit.to_string()),
        (HeaderName::from_static("x-ratelimit-remaining"), "0".to_owned()),
    ];
    if let Some(value) = retry_after_value(retry_at, retry_after) {
        err.headers.push((RETRY_AFTER, value));
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISO: RetryAfterFormat = RetryAfterFormat::Iso8601;

    #[test]
    fn free_plan_allows_two_medium_calls_per_second() {
        let rl = RateLimiter::new(true, DailyLimits::default());
        let now = Utc::now();
        // The window is the wall-clock second; retry if the second turned over mid-test.
        for _ in 0..5 {
            let start = Utc::now().timestamp();
            let results: Vec<bool> =
                (0..3).map(|_| rl.check("acct", Plan::Free, Category::Medium, now, ISO).is_ok()).collect();
            if Utc::now().timestamp() == start {
                assert_eq!(results, [true, true, false]);
                return;
            }
            rl.set_enabled(true);
            rl.state.lock().windows.clear();
        }
        panic!("could not fit three calls in one wall-clock second");
    }

    #[test]
    fn disabled_limiter_counts_nothing() {
        let rl = RateLimiter::new(false, DailyLimits::default());
        for _ in 0..100 {
            assert!(matches!(rl.check("a", Plan::Free, Category::Heavy, Utc::now(), ISO), Ok(None)));
        }
    }

    #[test]
    fn retry_after_takes_each_form() {
        let at = DateTime::parse_from_rfc3339("2026-11-26T00:00:00Z").map(|t| t.with_timezone(&Utc));
        let at = at.unwrap_or_default();
        assert_eq!(retry_after_value(at, ISO).as_deref(), Some("2026-11-26T00:00:00Z"));
        assert_eq!(retry_after_value(at, RetryAfterFormat::HttpDate).as_deref(), Some("Thu, 26 Nov 2026 00:00:00 GMT"));
        assert_eq!(retry_after_value(at, RetryAfterFormat::Absent), None);
    }
}
