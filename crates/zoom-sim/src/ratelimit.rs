//! Zoom's per-account rate limits (docs/zoom.md §4): a per-second fixed window on the wall clock and,
//! where the plan has one, a daily count over the simulator's UTC day.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, RETRY_AFTER};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use parking_lot::Mutex;

use crate::clock::zoom_time;
use crate::control::types::Plan;
use crate::errors::ApiError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Light,
    Medium,
    // No simulated endpoint is Heavy, but the table below keeps Zoom's full set.
    #[allow(dead_code)]
    Heavy,
}

impl Category {
    pub fn name(self) -> &'static str {
        match self {
            Self::Light => "Light",
            Self::Medium => "Medium",
            Self::Heavy => "Heavy",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// (per second, per day) for a plan and category.
fn limits(plan: Plan, category: Category) -> (u32, Option<u32>) {
    match (plan, category) {
        (Plan::Free, Category::Light) => (4, Some(6000)),
        (Plan::Free, Category::Medium) => (2, Some(2000)),
        (Plan::Free, Category::Heavy) => (1, Some(1000)),
        (Plan::Pro, Category::Light) => (30, None),
        (Plan::Pro, Category::Medium) => (20, None),
        (Plan::Pro, Category::Heavy) => (10, Some(30_000)),
        (Plan::Business, Category::Light) => (80, None),
        (Plan::Business, Category::Medium) => (60, None),
        (Plan::Business, Category::Heavy) => (40, Some(60_000)),
    }
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
pub struct RateLimiter {
    enabled: AtomicBool,
    /// Account id -> a window per category.
    windows: Mutex<HashMap<String, [Window; 3]>>,
}

impl RateLimiter {
    pub fn new(enabled: bool) -> Self {
        Self { enabled: AtomicBool::new(enabled), windows: Mutex::default() }
    }

    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }

    pub fn set_enabled(&self, on: bool) {
        self.enabled.store(on, Ordering::Relaxed);
        if !on {
            self.windows.lock().clear();
        }
    }

    /// Counts one call; `Ok(None)` when limits are off, a 429 when over the limit.
    pub fn check(
        &self,
        account_id: &str,
        plan: Plan,
        category: Category,
        sim_now: DateTime<Utc>,
    ) -> Result<Option<RateInfo>, ApiError> {
        if !self.enabled() {
            return Ok(None);
        }
        let wall = Utc::now();
        let second = wall.timestamp();
        let day = sim_now.date_naive();
        let (per_second, per_day) = limits(plan, category);

        let mut windows = self.windows.lock();
        if !windows.contains_key(account_id) {
            windows.insert(account_id.to_owned(), [Window::default(); 3]);
        }
        let Some(w) = windows.get_mut(account_id).map(|all| &mut all[category.index()]) else {
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
            let midnight = day.succ_opt().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc());
            let retry_at = midnight.unwrap_or(sim_now + TimeDelta::days(1));
            return Err(too_many(
                category,
                "Daily-limit",
                daily,
                retry_at,
                "You have reached the maximum daily rate limit for this API. Refer to the response header for details on when you can make another request.",
            ));
        }
        if w.in_second >= per_second {
            let retry_at = DateTime::from_timestamp(second + 1, 0).unwrap_or(wall);
            return Err(too_many(
                category,
                "QPS",
                per_second,
                retry_at,
                "You have reached the maximum per-second rate limit for this API. Try again later.",
            ));
        }
        w.in_second += 1;
        w.in_day += 1;
        // Zoom's 2xx headers show the daily budget where the plan has one (docs/zoom.md §4).
        Ok(Some(match per_day {
            Some(daily) => RateInfo { category, limit: daily, remaining: daily - w.in_day },
            None => RateInfo { category, limit: per_second, remaining: per_second - w.in_second },
        }))
    }
}

fn too_many(category: Category, kind: &str, limit: u32, retry_at: DateTime<Utc>, message: &str) -> ApiError {
    let mut err = ApiError::new(StatusCode::TOO_MANY_REQUESTS, 429, message);
    err.headers = vec![
        (HeaderName::from_static("x-ratelimit-category"), category.name().to_owned()),
        (HeaderName::from_static("x-ratelimit-type"), kind.to_owned()),
        (HeaderName::from_static("x-ratelimit-limit"), limit.to_string()),
        (HeaderName::from_static("x-ratelimit-remaining"), "0".to_owned()),
        (RETRY_AFTER, zoom_time(retry_at)),
    ];
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_plan_allows_two_medium_calls_per_second() {
        let rl = RateLimiter::new(true);
        let now = Utc::now();
        // The window is the wall-clock second; retry if the second turned over mid-test.
        for _ in 0..5 {
            let start = Utc::now().timestamp();
            let results: Vec<bool> =
                (0..3).map(|_| rl.check("acct", Plan::Free, Category::Medium, now).is_ok()).collect();
            if Utc::now().timestamp() == start {
                assert_eq!(results, [true, true, false]);
                return;
            }
            rl.set_enabled(true);
            rl.windows.lock().clear();
        }
        panic!("could not fit three calls in one wall-clock second");
    }

    #[test]
    fn disabled_limiter_counts_nothing() {
        let rl = RateLimiter::new(false);
        for _ in 0..100 {
            assert!(matches!(rl.check("a", Plan::Free, Category::Heavy, Utc::now()), Ok(None)));
        }
    }
}
