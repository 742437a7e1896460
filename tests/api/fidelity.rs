//! Real Zoom, not our picture of it (issue 15): the events and errors Zoom really sends, as
//! docs/zoom.md §7 has them. Events are delivered signed, as Zoom would; Zoom's odd answers come
//! from zoom-sim's faults.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::json;
use zoom_sim::control::types::{NewFault, Role};

use crate::both_backends;
use crate::helpers::world::Hosted;
use crate::helpers::{World, json};

pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub(crate) fn event(name: &str, event_ts_ms: i64, account: &str, object: serde_json::Value) -> String {
    json!({"event": name, "event_ts": event_ts_ms, "payload": {"account_id": account, "object": object}}).to_string()
}

async fn status_of(response: reqwest::Response) -> String {
    assert_eq!(response.status(), StatusCode::OK);
    json(response).await["status"].as_str().unwrap().to_owned()
}

both_backends! {
    async fn a_retry_signed_an_hour_ago_is_applied(backend) {
        let world = World::start(backend).await;
        let Hosted { app, host, account, .. } = world.hosted_meeting().await;
        let meeting = 81_234_567_001u64;
        let body = event("meeting.created", now() * 1000 - 3_600_000, &account, json!({"id": meeting, "uuid": "u", "host_id": host.id}));
        // Zoom's third retry, 60 minutes on, with the first attempt's timestamp.
        assert_eq!(status_of(world.deliver(&app.id, &app.webhook_secret, now() - 3600, &body).await).await, "applied");
        assert_eq!(world.mappings(meeting).await.len(), 1);
        let three_hours = world.deliver(&app.id, &app.webhook_secret, now() - 3 * 3600, &body).await;
        assert_eq!(three_hours.status(), StatusCode::UNAUTHORIZED);
        let ahead = world.deliver(&app.id, &app.webhook_secret, now() + 600, &body).await;
        assert_eq!(ahead.status(), StatusCode::UNAUTHORIZED);
    }

    async fn a_late_deauthorization_never_deletes_a_fresh_grant(backend) {
        let world = World::start(backend).await;
        let Hosted { app, host, account, credential, .. } = world.hosted_meeting().await;
        let id = credential["id"].as_str().unwrap().to_owned();
        let deauthorized = |time: &str, ts: i64| {
            json!({"event": "app_deauthorized", "event_ts": ts, "payload": {"account_id": account, "user_id": host.id,
                "signature": "x", "deauthorization_time": time, "client_id": app.client_id}}).to_string()
        };
        // Zoom's own example carries stamps from 2020 and 2024.
        let stale = deauthorized("2020-09-08T15:58:40Z", 1_725_811_120_000);
        assert_eq!(status_of(world.deliver(&app.id, &app.webhook_secret, now(), &stale).await).await, "ignored");
        let shown = world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{id}/")).send().await.unwrap();
        assert_eq!(shown.status(), StatusCode::OK, "the credential is still there");

        let fresh = deauthorized(&chrono::Utc::now().to_rfc3339(), now() * 1000);
        assert_eq!(status_of(world.deliver(&app.id, &app.webhook_secret, now(), &fresh).await).await, "applied");
        let gone = world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{id}/")).send().await.unwrap();
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
    }

    async fn a_recovered_meeting_is_mapped_again_until_permanently_deleted(backend) {
        let world = World::start(backend).await;
        let Hosted { app, host, account, meeting, .. } = world.hosted_meeting().await;
        let object = json!({"id": meeting.id, "uuid": "u", "host_id": host.id});
        // Milliseconds: after the creation zoom-sim just sent.
        let t = chrono::Utc::now().timestamp_millis() + 10;
        let deleted = event("meeting.deleted", t, &account, object.clone());
        assert_eq!(status_of(world.deliver(&app.id, &app.webhook_secret, now(), &deleted).await).await, "applied");
        assert!(world.mappings(meeting.id).await.is_empty());
        let recovered = event("meeting.recovered", t + 1000, &account, object.clone());
        assert_eq!(status_of(world.deliver(&app.id, &app.webhook_secret, now(), &recovered).await).await, "applied");
        assert_eq!(world.mappings(meeting.id).await.len(), 1, "restored to the host's credential");
        assert_eq!(world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.status(), StatusCode::OK);
        let gone = event("meeting.permanently_deleted", t + 2000, &account, object.clone());
        assert_eq!(status_of(world.deliver(&app.id, &app.webhook_secret, now(), &gone).await).await, "applied");
        assert!(world.mappings(meeting.id).await.is_empty());
        // A recovery older than the permanent delete does not bring it back.
        let late = event("meeting.recovered", t + 1500, &account, object);
        world.deliver(&app.id, &app.webhook_secret, now(), &late).await;
        assert!(world.mappings(meeting.id).await.is_empty());
    }

    async fn an_activated_user_is_healthy_again_and_a_departed_one_loses_the_accounts_mappings(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let admin = world.user(&account, Role::Admin).await;
        let host = world.user(&account, Role::Member).await;
        let account_app = world.app("account_level", None).await;
        let user_app = world.app("user_level", None).await;
        let account_wide = world.connect(&account_app, &admin.id).await["id"].as_str().unwrap().to_owned();
        let own = world.connect(&user_app, &host.id).await["id"].as_str().unwrap().to_owned();
        let meeting = world.meeting(&host.id).await;
        assert_eq!(world.wait_for_mappings(meeting.id, 2).await.len(), 2);

        let t = now() * 1000;
        let user = json!({"id": host.id});
        let deactivated = event("user.deactivated", t, &account, user.clone());
        world.deliver(&account_app.id, &account_app.webhook_secret, now(), &deactivated).await;
        let path = format!("/api/v2/zoom-oauth-credentials/{own}/");
        world.daemon.eventually_json(&path, |c| c["status"] == "unhealthy").await;
        let activated = event("user.activated", t + 1000, &account, user.clone());
        assert_eq!(status_of(world.deliver(&account_app.id, &account_app.webhook_secret, now(), &activated).await).await, "applied");
        let revived = world.daemon.eventually_json(&path, |c| c["status"] == "healthy").await;
        assert!(revived["status_detail"].is_null(), "{revived}");

        let meeting = world.meeting(&host.id).await;
        assert_eq!(world.wait_for_mappings(meeting.id, 2).await.len(), 2);
        let left = event("user.disassociated", t + 2000, &account, user);
        assert_eq!(status_of(world.deliver(&account_app.id, &account_app.webhook_secret, now(), &left).await).await, "applied");
        let kept: Vec<String> = world.mappings(meeting.id).await.iter().map(|m| m["credential"].as_str().unwrap().to_owned()).collect();
        assert_eq!(kept, [own], "the account's mapping goes, the user's own stays");
        assert!(!kept.contains(&account_wide));
    }

    async fn an_account_listing_without_vanity_names_keeps_the_personal_links(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let admin = world.user(&account, Role::Admin).await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("account_level", None).await;
        let credential = world.connect(&app, &admin.id).await["id"].as_str().unwrap().to_owned();
        // The daemon learns the personal link name from a user.updated event.
        let updated = json!({"event": "user.updated", "event_ts": now() * 1000, "payload": {"account_id": account,
            "object": {"id": host.id, "vanity_name": "Jane.Doe", "pmi": host.pmi}, "old_object": {"id": host.id}}}).to_string();
        world.deliver(&app.id, &app.webhook_secret, now(), &updated).await;
        let link = "meeting_url=https%3A%2F%2Fzoom.us%2Fmy%2Fjane.doe";
        assert_eq!(world.bot("join-token", link).await.status(), StatusCode::OK);
        // A backfill lists the account's users (GET /users carries no vanity_url).
        let synced = world.daemon.admin(Method::POST, &format!("/api/v2/zoom-oauth-credentials/{credential}/sync-meetings/")).send().await.unwrap();
        assert_eq!(synced.status(), StatusCode::ACCEPTED);
        world.daemon.eventually_json(&format!("/api/v2/zoom-oauth-credentials/{credential}/"), |c| c["meeting_sync_status"] == "completed").await;
        let runs = world.daemon.eventually_json(&format!("/api/v2/zoom-oauth-credentials/{credential}/logs/"), |l| {
            l["results"].as_array().unwrap().iter().filter(|line| line["message"].as_str().unwrap().starts_with("backfill completed")).count() >= 2
        }).await;
        assert!(runs["results"].is_array());
        assert_eq!(world.bot("join-token", link).await.status(), StatusCode::OK, "still known after the backfill");
    }

    async fn a_refused_client_secret_is_the_apps_fault_not_the_users(backend) {
        let world = World::start(backend).await;
        let Hosted { app, credential, meeting, .. } = world.hosted_meeting().await;
        let id = credential["id"].as_str().unwrap().to_owned();
        world.expire_access_tokens(true).await;
        let world = world.restart_daemon(|_| {}).await;
        world.sim.add_fault(&NewFault {
            path: "/oauth/token".into(),
            count: Some(1),
            status: Some(401),
            body: Some(json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"})),
            ..Default::default()
        }).await.unwrap();
        let refused = world.bot("join-token", &format!("meeting_id={}", meeting.id)).await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        assert!(refused.text().await.unwrap().contains("client secret"));
        let shown = json(world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{id}/")).send().await.unwrap()).await;
        assert_eq!(shown["status"], "healthy", "{shown}");
        assert!(shown["status_detail"].as_str().unwrap().contains("client secret"), "{shown}");
        let shown_app = json(world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-apps/{}/", app.id)).send().await.unwrap()).await;
        assert!(shown_app["client_secret_refused_at"].is_string(), "{shown_app}");
        // Until the secret is fixed, nobody asks Zoom again with it.
        world.sim.reset_counters().await.unwrap();
        assert_eq!(world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(world.sim.counters().await.unwrap().oauth.refresh, 0);

        let fixed = world.daemon.admin(Method::PATCH, &format!("/api/v2/zoom-oauth-apps/{}/", app.id)).json(&json!({"client_secret": app.client_secret})).send().await.unwrap();
        assert_eq!(fixed.status(), StatusCode::OK);
        assert_eq!(world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.status(), StatusCode::OK, "no reconnect needed");
        let shown = json(world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{id}/")).send().await.unwrap()).await;
        assert!(shown["status_detail"].is_null(), "{shown}");
        assert_eq!(world.sim.counters().await.unwrap().oauth.invalid_grant, 0);
    }

    async fn a_400_with_code_124_is_an_expired_token(backend) {
        let world = World::start(backend).await;
        let Hosted { meeting, .. } = world.hosted_meeting().await;
        world.sim.add_fault(&NewFault {
            path: "/v2/meetings/".into(),
            count: Some(1),
            status: Some(400),
            body: Some(json!({"code": 124, "message": "Access token is expired."})),
            ..Default::default()
        }).await.unwrap();
        world.sim.reset_counters().await.unwrap();
        assert_eq!(world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.status(), StatusCode::OK);
        assert_eq!(world.sim.counters().await.unwrap().oauth.refresh, 1, "refreshed once, then minted");
    }

    async fn a_daily_limit_pauses_the_account_until_it_lifts(backend) {
        let world = World::start(backend).await;
        let Hosted { meeting, credential, .. } = world.hosted_meeting().await;
        let id = credential["id"].as_str().unwrap().to_owned();
        let tomorrow = (chrono::Utc::now().date_naive() + chrono::Days::new(1)).and_hms_opt(0, 0, 0).unwrap().and_utc();
        world.sim.add_fault(&NewFault {
            path: "/v2/meetings/".into(),
            count: Some(1),
            status: Some(429),
            body: Some(json!({"code": 429, "message": "You have reached the maximum daily rate limit for this API."})),
            headers: Some(BTreeMap::from([
                ("X-RateLimit-Type".to_owned(), "Daily-limit".to_owned()),
                ("Retry-After".to_owned(), tomorrow.to_rfc3339()),
            ])),
            ..Default::default()
        }).await.unwrap();
        let limited = world.bot("join-token", &format!("meeting_id={}", meeting.id)).await;
        assert_eq!(limited.status(), StatusCode::SERVICE_UNAVAILABLE);
        let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        let until_midnight = (tomorrow - chrono::Utc::now()).num_seconds() as u64;
        assert!(retry_after + 5 >= until_midnight && retry_after <= until_midnight + 5, "{retry_after} vs {until_midnight}");
        // No call to Zoom for that account until then: the fault is used up, Zoom would answer,
        // but the bot is told to wait.
        world.sim.reset_counters().await.unwrap();
        assert_eq!(world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.status(), StatusCode::SERVICE_UNAVAILABLE);
        let counters = world.sim.counters().await.unwrap();
        assert_eq!(counters.mints.join_local_recording, 0, "{:?}", counters.requests);
        let metrics = world.daemon.client.get(world.daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("zoomsync_zoom_daily_limited 1"), "{metrics}");
        let shown = json(world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{id}/")).send().await.unwrap()).await;
        let until = chrono::DateTime::parse_from_rfc3339(shown["daily_limited_until"].as_str().unwrap()).unwrap();
        assert!((until.with_timezone(&chrono::Utc) - tomorrow).num_seconds().abs() <= 5, "{shown}");
    }

    async fn a_handed_out_access_token_outlives_the_next_planned_refresh(backend) {
        let world = World::start(backend).await;
        let Hosted { credential, .. } = world.hosted_meeting().await;
        let id = credential["id"].as_str().unwrap().to_owned();
        // The stored token has 400 s left: past the refresh point (300 s) within 120 s of use.
        let world = world.restart_daemon(|_| {}).await;
        {
            use diesel::prelude::*;
            use zoomsync::db::schema::credentials;
            let mut conn = world.db().get().unwrap();
            let soon = chrono::Utc::now().naive_utc() + chrono::Duration::seconds(400);
            diesel::update(credentials::table).set(credentials::access_token_expires_at.eq(soon)).execute(&mut *conn).unwrap();
        }
        world.sim.reset_counters().await.unwrap();
        let path = format!("/api/v2/zoom-oauth-credentials/{id}/access-token/");
        let handed = json(world.daemon.admin(Method::GET, &path).send().await.unwrap()).await;
        assert_eq!(world.sim.counters().await.unwrap().oauth.refresh, 1, "refreshed before handing it out");
        let expires_at = chrono::DateTime::parse_from_rfc3339(handed["expires_at"].as_str().unwrap()).unwrap();
        assert!(expires_at.with_timezone(&chrono::Utc) - chrono::Utc::now() > chrono::Duration::seconds(420));
        // A fresh one is handed out as it is.
        let again = json(world.daemon.admin(Method::GET, &path).send().await.unwrap()).await;
        assert_eq!(again["token"], handed["token"]);
        assert_eq!(world.sim.counters().await.unwrap().oauth.refresh, 1);
    }

    async fn zooms_third_retry_an_hour_later_with_its_first_timestamp_is_applied_once(backend) {
        use zoom_sim::control::types::{AppPatch, DeliveryStatus, WebhookPatch};
        let world = World::start(backend).await;
        let Hosted { app, host, .. } = world.hosted_meeting().await;
        // Zoom reaches zoomsync through a proxy that fails three deliveries in a row.
        let proxy = crate::helpers::flaky::FlakyProxy::start(world.daemon.url("")).await;
        let hook_path = format!("/api/v2/zoom-oauth-apps/{}/webhook", app.id);
        let patch = AppPatch {
            webhook: Some(WebhookPatch { url: Some(format!("{}{hook_path}", proxy.url)), ..Default::default() }),
            ..Default::default()
        };
        world.sim.update_app(&app.client_id, &patch).await.unwrap();
        proxy.fail_next(3);
        let meeting = world.meeting(&host.id).await;
        world.wait_for_mappings(meeting.id, 1).await;
        assert_eq!(proxy.seen().0, 3, "the first attempt and two retries were refused");

        let deliveries = world.sim.deliveries(Some(&app.client_id), Some("meeting.created")).await.unwrap();
        let delivery = deliveries.iter().find(|d| d.body.contains(&meeting.id.to_string())).unwrap();
        assert_eq!(delivery.status, DeliveryStatus::Delivered);
        assert_eq!(delivery.attempts.len(), 4, "{:?}", delivery.attempts);
        let first: i64 = delivery.attempts[0].timestamp.parse().unwrap();
        let last: i64 = delivery.attempts[3].timestamp.parse().unwrap();
        assert!(first - last >= 3590, "the third retry carries the first timestamp, an hour old on Zoom's timeline: {first} vs {last}");
        let recorded = {
            use diesel::prelude::*;
            use zoomsync::db::schema::webhook_events;
            let mut conn = world.db().get().unwrap();
            webhook_events::table
                .filter(webhook_events::event.eq("meeting.created"))
                .filter(webhook_events::dedupe_key.like(format!("%|{}/%", meeting.id)))
                .select(webhook_events::status)
                .load::<String>(&mut *conn)
                .unwrap()
        };
        assert_eq!(recorded, ["applied"], "applied once");
    }
}
