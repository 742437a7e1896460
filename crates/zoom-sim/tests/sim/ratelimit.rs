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
