//! Webinars map like meetings, through every path a meeting takes (webhook events, the backfill,
//! the lookup), and their join tokens come from the webinar endpoint. Also apps on ZoomGov,
//! whose calls go to ZoomGov's hosts.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use zoom_sim::control::types::{NewWebinar, Role, TokenKind};

use crate::both_backends;
use crate::helpers::{World, json};

async fn webinar(world: &World, host_id: &str) -> u64 {
    world.sim.create_webinar(&NewWebinar { host_id: host_id.to_owned(), ..NewWebinar::default() }).await.unwrap().id
}

/// A bot's join token for the webinar's `/w/` URL: its status, and what zoom-sim says it minted.
async fn join_token(world: &World, webinar_id: u64) -> (StatusCode, Option<TokenKind>, String) {
    let url = format!("https://acme.zoom.us/w/{webinar_id}?tk=abc");
    let query = format!("meeting_url={}", url::form_urlencoded::byte_serialize(url.as_bytes()).collect::<String>());
    let response = world.bot("join-token", &query).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    let kind = match status {
        StatusCode::OK => Some(world.sim.token(&text).await.unwrap().kind),
        _ => None,
    };
    (status, kind, text)
}

fn kinds(mappings: &[Value]) -> Vec<(&str, &str)> {
    mappings.iter().map(|m| (m["kind"].as_str().unwrap(), m["source"].as_str().unwrap())).collect()
}

both_backends! {
    async fn webinar_events_map_unmap_and_restore_a_webinar_whose_join_token_is_a_webinars(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        world.connect(&app, &host.id).await;

        let id = webinar(&world, &host.id).await;
        let mapped = world.wait_for_mappings(id, 1).await;
        assert_eq!(kinds(&mapped), [("webinar", "webhook")], "webinar.created maps it as a webinar");
        let (status, kind, body) = join_token(&world, id).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(kind, Some(TokenKind::WebinarJoinLocalRecording), "minted at /webinars/{{id}}/jointoken/local_recording");

        world.sim.delete_webinar(id).await.unwrap();
        world.wait_for_mappings(id, 0).await;
        assert_eq!(join_token(&world, id).await.0, StatusCode::NOT_FOUND, "webinar.deleted unmaps it");
        world.sim.recover_webinar(id).await.unwrap();
        assert_eq!(kinds(&world.wait_for_mappings(id, 1).await), [("webinar", "webhook")], "webinar.recovered restores it");
        assert_eq!(join_token(&world, id).await.0, StatusCode::OK);
        world.sim.delete_webinar(id).await.unwrap();
        world.wait_for_mappings(id, 0).await;
        world.sim.permanently_delete_webinar(id).await.unwrap();
        world.sim.recover_webinar(id).await.expect_err("gone for good at Zoom");
        assert_eq!(world.mappings(id).await.len(), 0);
    }

    async fn the_backfill_lists_webinars_only_when_granted_and_never_prunes_what_it_did_not_list(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        // Scheduled before anyone connected: only the backfill can find it.
        let before = webinar(&world, &host.id).await;
        world.connect(&app, &host.id).await;
        assert_eq!(kinds(&world.wait_for_mappings(before, 1).await), [("webinar", "sync")]);
        assert_eq!(join_token(&world, before).await.1, Some(TokenKind::WebinarJoinLocalRecording));

        // A second user whose app was not granted the webinar scopes.
        let other = world.user(&account, Role::Member).await;
        let meetings_only = [
            "user:read:user", "user:read:token", "meeting:read:meeting", "meeting:read:list_meetings",
            "meeting:read:local_recording_token",
        ];
        let narrow = world.app_with_scopes("user_level", None, Some(&meetings_only)).await;
        let unlisted = webinar(&world, &other.id).await;
        let credential = world.connect(&narrow, &other.id).await;
        assert_eq!(credential["meeting_sync_status"], "completed", "no webinar listing was tried: {credential}");
        assert_eq!(world.mappings(unlisted).await.len(), 0, "not listed without the scope");
        // An event still maps a new one; a later backfill that did not list webinars keeps it.
        let by_event = webinar(&world, &other.id).await;
        world.wait_for_mappings(by_event, 1).await;
        let credential = world.resync(credential["id"].as_str().unwrap()).await;
        assert_eq!(credential["meeting_sync_status"], "completed");
        assert_eq!(kinds(&world.mappings(by_event).await), [("webinar", "webhook")], "not pruned by a backfill that could not list it");
        let (status, _, body) = join_token(&world, by_event).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("webinar:read:local_recording_token"), "the refusal names the scope: {body}");
    }

    async fn an_unmapped_webinar_is_looked_up_as_a_webinar(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let admin = world.user(&account, Role::Admin).await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("account_level", None).await;
        world.connect(&app, &admin.id).await;
        world.webhooks_off(&app).await;
        let id = webinar(&world, &host.id).await;
        assert_eq!(world.mappings(id).await.len(), 0, "nobody told zoomsync");
        let (status, kind, body) = join_token(&world, id).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(kind, Some(TokenKind::WebinarJoinLocalRecording));
        assert_eq!(kinds(&world.mappings(id).await), [("webinar", "lookup")]);
        // Named by its ID only (no `/w/`), it is still found: after the meeting lookup fails.
        let second = webinar(&world, &host.id).await;
        let response = world.bot("join-token", &format!("meeting_id={second}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(kinds(&world.mappings(second).await), [("webinar", "lookup")]);
    }

    async fn an_app_on_zoomgov_makes_every_call_at_zoomgovs_hosts(backend) {
        // zoom.us is unreachable here; only the ZoomGov URLs lead to zoom-sim.
        let world = World::start_with(backend, crate::helpers::world::sim_options(), |config| {
            config.zoom.gov_oauth_base_url = std::mem::replace(&mut config.zoom.oauth_base_url, "http://127.0.0.1:9".into());
            config.zoom.gov_api_base_url = std::mem::replace(&mut config.zoom.api_base_url, "http://127.0.0.1:9/v2".into());
        })
        .await;
        let refused = world.daemon.create_app(json!({"kind": "user_level", "client_id": "c", "client_secret": "s", "webhook_secret": "w", "cloud": "mars"})).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app_on("user_level", None, None, Some("zoomgov")).await;
        let shown = json(world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-apps/{}/", app.id)).send().await.unwrap()).await;
        assert_eq!(shown["cloud"], "zoomgov");
        let credential = world.connect(&app, &host.id).await;
        assert_eq!(credential["meeting_sync_status"], "completed", "{credential}");
        let meeting = world.meeting(&host.id).await;
        world.wait_for_mappings(meeting.id, 1).await;
        world.expire_access_tokens(true).await;
        let response = world.bot("join-token", &format!("meeting_id={}", meeting.id)).await;
        assert_eq!(response.status(), StatusCode::OK, "refreshed and minted at ZoomGov");
        let zoom_app = world.app("user_level", None).await;
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let start = browser.get(world.daemon.url(&format!("/zoom/oauth/start?app={}", zoom_app.id))).send().await.unwrap();
        let location = start.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with("http://127.0.0.1:9/oauth/authorize"), "a Zoom app still goes to zoom.us: {location}");
        let gov = browser.get(world.daemon.url(&format!("/zoom/oauth/start?app={}", app.id))).send().await.unwrap();
        let location = gov.headers()["location"].to_str().unwrap().to_owned();
        assert!(location.starts_with(&format!("{}/oauth/authorize", world.zoom.base_url())), "{location}");
    }
}
