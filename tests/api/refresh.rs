//! Never losing a refresh token to anything we control (issue 16): a slow answer is waited for,
//! an answer that never comes is not followed by a second refresh with the same token, and a
//! graceful stop lets refreshes in flight commit. Zoom's side is zoom-sim's `after_work` faults:
//! Zoom rotates, then answers late or not at all.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use zoom_sim::control::types::{NewFault, Role};

use crate::both_backends;
use crate::helpers::app::TestApp;
use crate::helpers::process::{Daemon, db_env, zoom_env};
use crate::helpers::world::Hosted;
use crate::helpers::{ADMIN_TOKEN, World, json};

/// Zoom rotates the refresh token, then holds its answer back `delay_ms` (or drops it).
fn after_rotation(delay_ms: u64, drop: bool, count: u32) -> NewFault {
    NewFault {
        method: Some("POST".into()),
        path: "/oauth/token".into(),
        count: Some(count),
        delay_ms: Some(delay_ms),
        drop: Some(drop),
        after_work: Some(true),
        ..Default::default()
    }
}

fn expire_stored_access_tokens(db: &zoomsync::db::Db) {
    use diesel::prelude::*;
    use zoomsync::db::schema::credentials;
    let mut conn = db.get().unwrap();
    let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
    diesel::update(credentials::table).set(credentials::access_token_expires_at.eq(past)).execute(&mut *conn).unwrap();
}

/// An in-process daemon on `db`, talking to `zoom`: the check after a process has stopped.
async fn daemon_on(db: crate::helpers::TestDb, zoom: &zoom_sim::SimServer) -> TestApp {
    let (base, api) = (zoom.base_url().to_owned(), zoom.api_base_url());
    TestApp::spawn_on(db, |config| {
        config.zoom.oauth_base_url = base;
        config.zoom.api_base_url = api;
    })
    .await
}

async fn credential(world: &World, id: &str) -> serde_json::Value {
    json(world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{id}/")).send().await.unwrap()).await
}

both_backends! {
    async fn a_token_answer_held_back_eight_seconds_after_the_rotation_is_waited_for(backend) {
        let world = World::start(backend).await;
        let Hosted { meeting, credential: connected, .. } = world.hosted_meeting().await;
        let id = connected["id"].as_str().unwrap().to_owned();
        world.expire_access_tokens(true).await;
        world.sim.reset_counters().await.unwrap();
        world.sim.add_fault(&after_rotation(8_000, false, 1)).await.unwrap();
        let response = world.bot("join-token", &format!("meeting_id={}", meeting.id)).await;
        assert_eq!(response.status(), StatusCode::OK, "the refresh finished inside the bot's deadline");
        let oauth = world.sim.counters().await.unwrap().oauth;
        assert_eq!((oauth.refresh, oauth.invalid_grant), (1, 0), "one refresh, never a second with the rotated-away token");
        assert_eq!(credential(&world, &id).await["status"], "healthy");
    }

    async fn a_refresh_whose_answer_was_lost_is_not_sent_again_and_says_so_if_zoom_then_refuses(backend) {
        let world = World::start(backend).await;
        let Hosted { meeting, credential: connected, .. } = world.hosted_meeting().await;
        let id = connected["id"].as_str().unwrap().to_owned();
        world.expire_access_tokens(true).await;
        world.sim.reset_counters().await.unwrap();
        // Zoom rotates, then the connection drops: the new refresh token is gone with it.
        world.sim.add_fault(&after_rotation(0, true, 1)).await.unwrap();
        let query = format!("meeting_id={}", meeting.id);
        let response = world.bot("join-token", &query).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let oauth = world.sim.counters().await.unwrap().oauth;
        assert_eq!((oauth.refresh, oauth.invalid_grant), (1, 0), "not retried with the same refresh token");
        assert_eq!(credential(&world, &id).await["status"], "healthy", "an unknown outcome is not a refusal");
        // The next use finds out: Zoom did rotate. The credential says what happened.
        assert_eq!(world.bot("join-token", &query).await.status(), StatusCode::NOT_FOUND);
        let shown = credential(&world, &id).await;
        assert_eq!(shown["status"], "unhealthy");
        let detail = shown["status_detail"].as_str().unwrap();
        assert!(detail.contains("did not answer"), "{detail}");
    }

    // SIGTERM while 20 refreshes, each answered 300 ms after Zoom rotated, are in flight (backfills
    // and admin requests): four times, and every credential still refreshes afterwards.
    async fn sigterm_during_refreshes_loses_no_refresh_token(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let app = world.app("user_level", None).await;
        let mut ids = Vec::new();
        for _ in 0..20 {
            let user = world.user(&account, Role::Member).await;
            ids.push(world.connect(&app, &user.id).await["id"].as_str().unwrap().to_owned());
        }
        let World { daemon, sim, zoom } = world;
        let db = daemon.into_db();
        let mut env = db_env(&db);
        env.extend(zoom_env(&zoom));
        let client = reqwest::Client::new();
        let mut logs = Vec::new();
        for round in 0..4 {
            expire_stored_access_tokens(&db.handle());
            let mut process = Daemon::start(db.dir.path(), &format!("round-{round}"), &env);
            assert!(process.wait_ready(Duration::from_secs(30)).await, "{}", process.stderr());
            sim.add_fault(&after_rotation(300, false, 20)).await.unwrap();
            for (n, id) in ids.iter().enumerate() {
                let path = if n % 2 == 0 { "sync-meetings/" } else { "access-token/" };
                let request = client
                    .request(
                        if n % 2 == 0 { Method::POST } else { Method::GET },
                        format!("{}/api/v2/zoom-oauth-credentials/{id}/{path}", process.address),
                    )
                    .bearer_auth(ADMIN_TOKEN);
                tokio::spawn(async move { request.send().await.ok() });
            }
            tokio::time::sleep(Duration::from_millis(150)).await;
            assert!(process.terminate().success(), "{}", process.stderr());
            logs.push(process.stderr());
            sim.clear_faults().await.unwrap();
        }
        // Every credential still holds the refresh token Zoom holds: each refreshes once more.
        expire_stored_access_tokens(&db.handle());
        sim.reset_counters().await.unwrap();
        let daemon = daemon_on(db, &zoom).await;
        let mut lost = Vec::new();
        for id in &ids {
            let response =
                daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{id}/access-token/")).send().await.unwrap();
            if response.status() != StatusCode::OK {
                lost.push((id.clone(), response.text().await.unwrap()));
            }
        }
        let told: Vec<&str> =
            logs.iter().flat_map(|l| l.lines()).filter(|l| lost.iter().any(|(id, _)| l.contains(id.as_str()))).collect();
        assert!(lost.is_empty(), "refresh tokens lost: {lost:?}\n{}", told.join("\n"));
        assert_eq!(sim.counters().await.unwrap().oauth.invalid_grant, 0);
    }

    // A refresh a bot started, whose answer comes 12 s after Zoom rotated: longer than the HTTP
    // server's own 10 s graceful stop, after which actix drops its workers' runtimes and every
    // task spawned there. The refresh runs on the process's runtime, so the drain waits for it.
    async fn a_refresh_slower_than_the_http_servers_stop_is_still_stored(backend) {
        let world = World::start(backend).await;
        let Hosted { meeting, credential, .. } = world.hosted_meeting().await;
        let id = credential["id"].as_str().unwrap().to_owned();
        let World { daemon, sim, zoom } = world;
        let db = daemon.into_db();
        let mut env = db_env(&db);
        env.extend(zoom_env(&zoom));
        expire_stored_access_tokens(&db.handle());
        let mut process = Daemon::start(db.dir.path(), "slow-stop", &env);
        assert!(process.wait_ready(Duration::from_secs(30)).await, "{}", process.stderr());
        sim.add_fault(&after_rotation(12_000, false, 1)).await.unwrap();
        let bot = reqwest::Client::new()
            .get(format!("{}/zoom/join-token?secret={}&meeting_id={}", process.address, crate::helpers::app::BOT_SECRET, meeting.id));
        let pending = tokio::spawn(async move { bot.send().await.ok() });
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(process.terminate().success(), "{}", process.stderr());
        let _ = pending.await;
        sim.clear_faults().await.unwrap();
        // The rotated token was stored: the credential refreshes again with it.
        expire_stored_access_tokens(&db.handle());
        let daemon = daemon_on(db, &zoom).await;
        let response = daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{id}/access-token/")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
        assert_eq!(sim.counters().await.unwrap().oauth.invalid_grant, 0);
    }
}
