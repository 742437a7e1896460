//! Per-account rate limits (docs/zoom.md §4).

use chrono::{DateTime, Utc};
use zoom_sim::control::types::{AppKind, Plan, Role};

use crate::helpers::*;

#[tokio::test]
async fn past_the_per_second_limit_zoom_answers_429() {
    let sim = TestSim::start();
    let account = sim.account_on(Plan::Free).await;
    let admin = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::AccountLevel).await;
    let tokens = sim.authorize(&app, &admin).await;
    assert!(!sim.ctl.rate_limits().await.unwrap().enabled);
    sim.ctl.set_rate_limits(true).await.unwrap();

    // Free plan, Medium endpoint: 2 per second. Keep calling until refused.
    let mut ok = 0;
    let limited = loop {
        let res = sim.get_raw(&tokens.access, "/users").await;
        if res.status().as_u16() == 429 {
            break res;
        }
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["x-ratelimit-category"], "Medium");
        assert_eq!(res.headers()["x-ratelimit-limit"], "2000", "free plans report their daily budget");
        ok += 1;
        assert!(ok < 200, "never rate limited");
    };
    let h = limited.headers();
    assert_eq!(h["x-ratelimit-category"], "Medium");
    assert_eq!(h["x-ratelimit-type"], "QPS");
    assert_eq!(h["x-ratelimit-limit"], "2");
    assert_eq!(h["x-ratelimit-remaining"], "0");
    let retry_after = h["retry-after"].to_str().unwrap().to_owned();
    assert!(retry_after.ends_with('Z'), "{retry_after}");
    let at = DateTime::parse_from_rfc3339(&retry_after).expect("Retry-After is an ISO-8601 date-time");
    assert!(at.with_timezone(&Utc) > Utc::now() - chrono::TimeDelta::seconds(2));
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(body["code"], 429);
    assert_eq!(body["message"], "You have reached the maximum per-second rate limit for this API. Try again later.");
    let counters = sim.ctl.counters().await.unwrap();
    assert!(counters.rate_limited >= 1);
    assert!(counters.count("GET /v2/users", "429") >= 1);

    // Another account has its own budget; OAuth is never limited.
    let other = sim.account_on(Plan::Free).await;
    let other_admin = sim.user(&other.id, Role::Owner).await;
    let other_tokens = sim.authorize(&app, &other_admin).await;
    assert_eq!(sim.get(&other_tokens.access, "/users/me").await.0, 200);
    for _ in 0..10 {
        let code = sim.code(&app, &other_admin).await;
        assert_eq!(sim.exchange(&app, &code).await.0, 200);
    }

    sim.ctl.set_rate_limits(false).await.unwrap();
    for _ in 0..10 {
        assert_eq!(sim.get(&tokens.access, "/users").await.0, 200);
    }
}

#[tokio::test]
async fn successful_calls_report_the_per_second_budget_on_paid_plans() {
    let sim = TestSim::with(zoom_sim::SimOptions { rate_limits: true, ..Default::default() });
    let account = sim.account_on(Plan::Business).await;
    let admin = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::AccountLevel).await;
    let tokens = sim.authorize(&app, &admin).await;
    let res = sim.get_raw(&tokens.access, "/users/me").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["x-ratelimit-category"], "Light");
    assert_eq!(res.headers()["x-ratelimit-limit"], "80");
    let remaining: u32 = res.headers()["x-ratelimit-remaining"].to_str().unwrap().parse().unwrap();
    assert!(remaining < 80);
}

/// docs/zoom.md §4: past a daily cap, `429` with `X-RateLimit-Type: Daily-limit` and a
/// `Retry-After` of the next 00:00 UTC (simulated clock), until the day turns. Caps per plan
/// and category are set through the control API; Free's are Zoom's 6,000 Light and 2,000
/// Medium.
#[tokio::test]
async fn a_daily_cap_refuses_until_the_next_utc_midnight() {
    use zoom_sim::control::types::{RateCategory, RetryAfterFormat, SettingsPatch};
    let sim = TestSim::with(zoom_sim::SimOptions { rate_limits: true, ..Default::default() });
    let limits = sim.ctl.daily_limits().await.unwrap();
    assert_eq!((limits.free.light, limits.free.medium), (Some(6000), Some(2000)));
    assert_eq!((limits.pro.light, limits.pro.medium, limits.pro.heavy), (None, None, Some(30_000)));
    let limits = sim.ctl.set_daily_limit(Plan::Pro, RateCategory::Light, Some(3)).await.unwrap();
    assert_eq!(limits.pro.light, Some(3));
    // Start at the next 12:00 UTC of simulated time, so the day cannot turn mid-test.
    let sim_now =
        || async { DateTime::parse_from_rfc3339(&sim.ctl.clock().await.unwrap().now).unwrap().with_timezone(&Utc) };
    let now = sim_now().await;
    let noon = now.date_naive().succ_opt().unwrap().and_hms_opt(12, 0, 0).unwrap().and_utc();
    sim.ctl.advance_clock((noon - now).num_milliseconds() as f64 / 1000.0).await.unwrap();

    let account = sim.account_on(Plan::Pro).await;
    let admin = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::AccountLevel).await;
    let tokens = sim.authorize(&app, &admin).await;
    for remaining in ["2", "1", "0"] {
        let res = sim.get_raw(&tokens.access, "/users/me").await;
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(res.headers()["x-ratelimit-limit"], "3", "the daily budget");
        assert_eq!(res.headers()["x-ratelimit-remaining"], remaining);
    }
    let midnight = |now: &str| {
        let now = DateTime::parse_from_rfc3339(now).unwrap().with_timezone(&Utc);
        now.date_naive().succ_opt().unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc()
    };
    let next_day = midnight(&sim.ctl.clock().await.unwrap().now);
    let refused = sim.get_raw(&tokens.access, "/users/me").await;
    assert_eq!(refused.status().as_u16(), 429);
    let h = refused.headers();
    assert_eq!(h["x-ratelimit-type"], "Daily-limit");
    assert_eq!(h["x-ratelimit-category"], "Light");
    assert_eq!(h["x-ratelimit-limit"], "3");
    assert_eq!(h["x-ratelimit-remaining"], "0");
    let retry_at = DateTime::parse_from_rfc3339(h["retry-after"].to_str().unwrap()).unwrap();
    assert_eq!(retry_at.with_timezone(&Utc), next_day);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], 429);
    assert!(body["message"].as_str().unwrap().contains("daily"), "{body}");
    // Medium has no cap on Pro.
    assert_eq!(sim.get(&tokens.access, "/users").await.0, 200);

    // The same 429 with an HTTP date, or with no Retry-After at all.
    let http_date = SettingsPatch { retry_after: Some(RetryAfterFormat::HttpDate), ..Default::default() };
    sim.ctl.update_settings(&http_date).await.unwrap();
    let refused = sim.get_raw(&tokens.access, "/users/me").await;
    let retry_after = refused.headers()["retry-after"].to_str().unwrap().to_owned();
    assert!(retry_after.ends_with(" GMT"), "{retry_after}");
    assert_eq!(DateTime::parse_from_rfc2822(&retry_after).unwrap().with_timezone(&Utc), next_day);
    let absent = SettingsPatch { retry_after: Some(RetryAfterFormat::Absent), ..Default::default() };
    sim.ctl.update_settings(&absent).await.unwrap();
    let refused = sim.get_raw(&tokens.access, "/users/me").await;
    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().get("retry-after").is_none());
    assert_eq!(refused.headers()["x-ratelimit-type"], "Daily-limit");

    let counters = sim.ctl.counters().await.unwrap();
    assert_eq!((counters.rate_limited, counters.daily_limited), (3, 3));
    assert_eq!(counters.count("GET /v2/users/me", "429"), 3);

    // Just past the simulator's midnight the day's count starts over.
    let wait = (next_day - sim_now().await).num_milliseconds() as f64 / 1000.0 + 1.0;
    sim.ctl.advance_clock(wait).await.unwrap();
    // Half a day on, the access token has expired too.
    let tokens = sim.authorize(&app, &admin).await;
    let res = sim.get_raw(&tokens.access, "/users/me").await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["x-ratelimit-remaining"], "2");

    let reset = sim.ctl.reset_daily_limits().await.unwrap();
    assert_eq!(reset, zoom_sim::DailyLimits::default());
    let res = sim.http.put(format!("{}/_sim/daily-limits/gold/light", sim.base())).body("{}").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
}
