//! `/metrics`: the counters move with tokens, webhooks and backfills, and carry no secrets.

use reqwest::StatusCode;

use crate::both_backends;
use crate::helpers::world::Hosted;
use crate::helpers::{World, contains_secret};

async fn scrape(world: &World) -> String {
    let response = world.daemon.client.get(world.daemon.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// The value of the sample `name{labels}` (0 when absent).
fn sample(text: &str, series: &str) -> f64 {
    text.lines().find_map(|line| line.strip_prefix(series).and_then(|rest| rest.trim().parse().ok())).unwrap_or(0.0)
}

both_backends! {
    async fn counters_move_with_tokens_webhooks_and_backfills(backend) {
        let world = World::start(backend).await;
        let before = scrape(&world).await;
        assert!(before.contains("# TYPE zoomsync_sync_run_seconds histogram"), "{before}");
        let Hosted { app, meeting, .. } = world.hosted_meeting().await;
        let token = world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.text().await.unwrap();
        assert_eq!(world.bot("join-token", "meeting_id=99999999999").await.status(), StatusCode::NOT_FOUND);
        let refused = world.deliver(&app.id, "wrong-secret", chrono::Utc::now().timestamp(), "{}").await;
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);

        let after = scrape(&world).await;
        let moved = |series: &str, by: f64| {
            let delta = sample(&after, series) - sample(&before, series);
            assert!(delta >= by, "{series} moved by {delta}, expected at least {by}\n{after}");
        };
        moved(r#"zoomsync_tokens_total{kind="join",outcome="ok"}"#, 1.0);
        moved(r#"zoomsync_tokens_total{kind="join",outcome="not_found"}"#, 1.0);
        moved(r#"zoomsync_token_request_seconds_count{kind="join"}"#, 2.0);
        moved(r#"zoomsync_zoom_calls_total{endpoint="join_token",status="200"}"#, 1.0);
        moved(r#"zoomsync_zoom_calls_total{endpoint="oauth_token",status="200"}"#, 1.0);
        moved(r#"zoomsync_zoom_calls_total{endpoint="list_meetings",status="200"}"#, 2.0);
        moved(r#"zoomsync_zoom_call_seconds_count{endpoint="join_token"}"#, 1.0);
        moved(r#"zoomsync_webhook_events_total{event="meeting.created",outcome="applied"}"#, 1.0);
        moved(r#"zoomsync_webhook_events_total{event="endpoint.url_validation",outcome="answered"}"#, 1.0);
        moved(r#"zoomsync_webhook_refusals_total{outcome="signature"}"#, 1.0);
        moved(r#"zoomsync_sync_runs_total{outcome="completed"}"#, 1.0);
        moved("zoomsync_sync_run_seconds_count", 1.0);
        assert!(sample(&after, "zoomsync_mappings") >= 2.0, "the PMI and the meeting");
        assert_eq!(sample(&after, r#"zoomsync_credentials{status="healthy"}"#), 1.0);

        // A refresh shows up too.
        world.expire_access_tokens(false).await;
        assert_eq!(world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.status(), StatusCode::OK);
        let refreshed = scrape(&world).await;
        assert!(sample(&refreshed, r#"zoomsync_token_refreshes_total{outcome="ok"}"#) >= 1.0, "{refreshed}");

        for secret in [token.as_str(), crate::helpers::app::BOT_SECRET, crate::helpers::ADMIN_TOKEN, app.webhook_secret.as_str()] {
            assert!(!contains_secret(refreshed.as_bytes(), secret));
        }
        assert!(!refreshed.contains(&meeting.id.to_string()), "no meeting id in a label");
    }

    async fn the_classic_text_format_unless_openmetrics_is_asked_for(backend) {
        let world = World::start(backend).await;
        assert_eq!(world.bot("join-token", "meeting_id=99999999999").await.status(), StatusCode::NOT_FOUND);
        let classic = world.daemon.client.get(world.daemon.url("/metrics")).send().await.unwrap();
        assert!(classic.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
        let text = classic.text().await.unwrap();
        assert!(text.contains("# TYPE zoomsync_tokens_total counter"), "{text}");
        assert_eq!(sample(&text, r#"zoomsync_tokens_total{kind="join",outcome="not_found"}"#), 1.0);
        assert!(!text.contains("# EOF"));

        let open = world
            .daemon
            .client
            .get(world.daemon.url("/metrics"))
            .header("Accept", "application/openmetrics-text; version=1.0.0,text/plain;version=0.0.4;q=0.5")
            .send()
            .await
            .unwrap();
        assert!(open.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
        let text = open.text().await.unwrap();
        assert!(text.contains("# TYPE zoomsync_tokens counter") && text.ends_with("# EOF\n"), "{text}");
        assert!(text.contains("zoomsync_zoom_daily_limited 0"), "{text}");
    }
}
