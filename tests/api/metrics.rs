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
    async fn a_request_id_is_taken_or_made_returned_and_on_every_log_line_of_the_request(backend) {
        let world = crate::helpers::World::start(backend).await;
        let request_id = format!("rid-{}", rand::random::<u32>());
        let created = world
            .daemon
            .admin(reqwest::Method::POST, "/api/v2/zoom-oauth-apps/")
            .header("x-request-id", &request_id)
            .json(&serde_json::json!({"kind": "user_level", "client_id": request_id, "client_secret": "s", "webhook_secret": "w"}))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), reqwest::StatusCode::CREATED);
        assert_eq!(created.headers()["x-request-id"], request_id.as_str());
        let logs = String::from_utf8_lossy(&crate::helpers::logs::captured()).into_owned();
        let lines: Vec<&str> = logs.lines().filter(|l| l.contains(&request_id)).collect();
        assert!(lines.iter().any(|l| l.contains("app registered")), "the handler's own lines carry it: {lines:#?}");
        assert!(lines.iter().any(|l| l.contains("status=201")), "and the request line: {lines:#?}");
        // None given, or one that could forge a log line: one is made.
        for sent in [None, Some("bad id")] {
            let mut request = world.daemon.client.get(world.daemon.url("/healthz"));
            if let Some(sent) = sent {
                request = request.header("x-request-id", sent);
            }
            let made = request.send().await.unwrap().headers()["x-request-id"].to_str().unwrap().to_owned();
            assert!(made.len() == 32 && made.bytes().all(|b| b.is_ascii_hexdigit()), "{made}");
        }
    }

    async fn counters_move_with_tokens_webhooks_and_backfills(backend) {
        let world = World::start(backend).await;
        let before = scrape(&world).await;
        assert!(before.contains("# TYPE zoomsync_sync_run_seconds histogram"), "{before}");
        // Every series of a closed label set is there from the start, at zero: a rate or an
        // alert over it has a series before the first event.
        for series in [
            r#"zoomsync_tokens_total{kind="join",outcome="ok"} 0"#,
            r#"zoomsync_tokens_total{kind="obf",outcome="unavailable"} 0"#,
            r#"zoomsync_token_refreshes_total{outcome="refused"} 0"#,
            r#"zoomsync_webhook_refusals_total{outcome="signature"} 0"#,
            r#"zoomsync_sync_runs_total{outcome="failed"} 0"#,
            r#"zoomsync_zoom_calls_total{endpoint="join_token",status="200"} 0"#,
            r#"zoomsync_credentials{status="unhealthy"} 0"#,
        ] {
            assert!(before.lines().any(|line| line == series), "{series} missing at start:\n{before}");
        }
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
        // The build, as `--version` names it.
        let (version, revision) = zoomsync::metrics::VERSION.split_once(" (").unwrap();
        let info = format!("zoomsync_build_info{{version=\"{version}\",revision=\"{}\"}} 1", revision.trim_end_matches(')'));
        assert!(text.contains(&info), "{info} in {text}");
        assert_ne!(revision, "unknown)", "a checkout's build knows its revision");
    }
}
