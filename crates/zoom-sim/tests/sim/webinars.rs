//! Webinars (docs/zoom.md §3.7): separate objects from meetings, with their own listing, join
//! token and events.

use zoom_sim::control::types::{AppKind, MeetingPatch, NewMeeting, NewWebinar, Role, TokenKind, WebhookConfig};

use crate::helpers::*;
use crate::receiver::Receiver;

fn ids(body: &serde_json::Value, key: &str) -> Vec<u64> {
    body[key].as_array().unwrap().iter().map(|m| m["id"].as_u64().unwrap()).collect()
}

#[tokio::test]
async fn webinars_are_listed_apart_and_mint_their_own_join_tokens() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &host).await;
    let meeting = sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
    let webinar = sim.ctl.create_webinar(&NewWebinar { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
    assert_eq!((webinar.webinar_type, webinar.topic.as_str()), (5, "Zoom webinar"));
    assert_eq!(webinar.id.to_string().len(), 11);

    let (status, listed) = sim.get(&tokens.access, "/users/me/webinars").await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(ids(&listed, "webinars"), [webinar.id]);
    assert_eq!(listed["webinars"][0]["type"], 5);
    assert_eq!(listed["webinars"][0]["host_id"], host.id);
    assert_eq!(listed["next_page_token"], "");
    assert_eq!(ids(&sim.get(&tokens.access, "/users/me/meetings").await.1, "meetings"), [meeting.id]);

    let path = format!("/webinars/{}/jointoken/local_recording", webinar.id);
    let (status, minted) = sim.get(&tokens.access, &path).await;
    assert_eq!(status, 200, "{minted}");
    assert_eq!(minted["expire_in"], 120);
    let record = sim.ctl.token(minted["token"].as_str().unwrap()).await.unwrap();
    assert_eq!((record.kind, record.meeting_id), (TokenKind::WebinarJoinLocalRecording, Some(webinar.id)));
    assert!(!sim.ctl.use_token(&record.token).await.unwrap().reused);
    assert!(sim.ctl.use_token(&record.token).await.unwrap().reused, "single-use, like a meeting's");
    assert_eq!(sim.ctl.counters().await.unwrap().mints.webinar_join_local_recording, 1);

    // The meeting endpoints refuse a webinar id; the webinar endpoint knows no meetings.
    let cannot = "Cannot access webinar information.";
    let meeting_token = format!("/meetings/{}/jointoken/local_recording", webinar.id);
    assert_api_error(&sim.get(&tokens.access, &meeting_token).await, 400, 3000, cannot);
    assert_api_error(&sim.get(&tokens.access, &format!("/meetings/{}", webinar.id)).await, 400, 3000, cannot);
    assert_api_error(
        &sim.get(&tokens.access, &format!("/webinars/{}/jointoken/local_recording", meeting.id)).await,
        404,
        3001,
        &format!("Webinar does not exist: {}.", meeting.id),
    );
    assert_eq!(sim.get(&tokens.access, "/webinars/abc/jointoken/local_recording").await.1["code"], 300);
    // An OBF token may name a webinar (docs/zoom.md §3.8).
    let obf = sim.get(&tokens.access, &format!("/users/me/token?type=onbehalf&meeting_id={}", webinar.id)).await;
    assert_eq!(obf.0, 200, "{}", obf.1);

    // Scopes: the user-level ones, and the :admin variants for account-level grants.
    let narrow = sim.app_with_scopes(AppKind::UserLevel, &["meeting:read:list_meetings"]).await;
    let narrow = sim.authorize(&narrow, &host).await;
    assert_api_error(
        &sim.get(&narrow.access, "/users/me/webinars").await,
        400,
        4711,
        "Invalid access token, does not contain scopes:[webinar:read:list_webinars].",
    );
    assert_api_error(
        &sim.get(&narrow.access, &path).await,
        400,
        4711,
        "Invalid access token, does not contain scopes:[webinar:read:local_recording_token].",
    );
    let user_scoped = sim.app_with_scopes(AppKind::AccountLevel, &["webinar:read:list_webinars"]).await;
    let user_scoped = sim.authorize(&user_scoped, &host).await;
    assert_api_error(
        &sim.get(&user_scoped.access, &format!("/users/{}/webinars", host.id)).await,
        400,
        4711,
        "Invalid access token, does not contain scopes:[webinar:read:list_webinars:admin].",
    );
}

#[tokio::test]
async fn account_level_grants_list_and_mint_for_their_account_and_page() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let admin = sim.user(&account.id, Role::Owner).await;
    let host = sim.user(&account.id, Role::Member).await;
    let stranger_account = sim.account().await;
    let stranger = sim.user(&stranger_account.id, Role::Owner).await;
    let mut created = Vec::new();
    for kind in [5, 6, 9] {
        let new = NewWebinar { host_id: host.id.clone(), webinar_type: Some(kind), ..Default::default() };
        created.push(sim.ctl.create_webinar(&new).await.unwrap().id);
    }
    let theirs =
        sim.ctl.create_webinar(&NewWebinar { host_id: stranger.id.clone(), ..Default::default() }).await.unwrap();
    let app = sim.app(AppKind::AccountLevel).await;
    let tokens = sim.authorize(&app, &admin).await;

    let (_, first) = sim.get(&tokens.access, &format!("/users/{}/webinars?page_size=2", host.id)).await;
    assert_eq!((first["total_records"].as_u64(), first["page_count"].as_u64()), (Some(3), Some(2)));
    let token = first["next_page_token"].as_str().unwrap().to_owned();
    let (_, second) =
        sim.get(&tokens.access, &format!("/users/{}/webinars?page_size=2&next_page_token={token}", host.id)).await;
    let mut listed = ids(&first, "webinars");
    listed.extend(ids(&second, "webinars"));
    assert_eq!(listed, created);
    assert_eq!(second["next_page_token"], "");
    assert_eq!(sim.get(&tokens.access, &format!("/users/{}/webinars?type=live", host.id)).await.0, 400);

    let mint = |id: u64| format!("/webinars/{id}/jointoken/local_recording");
    assert_eq!(sim.get(&tokens.access, &mint(created[0])).await.0, 200);
    assert_eq!(sim.get(&tokens.access, &mint(theirs.id)).await.1["code"], 3001, "another account's");
    let off = zoom_sim::control::types::UserPatch { local_recording: Some(false), ..Default::default() };
    sim.ctl.update_user(&host.id, &off).await.unwrap();
    assert_eq!(sim.get(&tokens.access, &mint(created[0])).await.1["code"], 3000, "local recording off");
}

/// `webinar.*` events have the meeting ones' shapes, `object.id` the webinar id (docs/zoom.md
/// §1.5), and a deleted webinar sits in the bin like a meeting.
#[tokio::test]
async fn webinar_changes_fire_webinar_events() {
    let sim = TestSim::start();
    let receiver = Receiver::start("wh-secret");
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    let webhook = WebhookConfig { url: receiver.url().to_owned(), secret_token: "wh-secret".to_owned(), enabled: None };
    let hooked = zoom_sim::control::types::NewApp {
        webhook: Some(webhook),
        account_id: Some(account.id.clone()),
        ..zoom_sim::control::types::NewApp::new(AppKind::ServerToServer)
    };
    sim.ctl.create_app(&hooked).await.unwrap();
    let app = sim.s2s_app(&account.id).await;
    let tokens = sim.s2s_token(&app).await;

    let webinar = sim
        .ctl
        .create_webinar(&NewWebinar { host_id: host.id.clone(), topic: Some("All hands".into()), ..Default::default() })
        .await
        .unwrap();
    let patch = MeetingPatch { topic: Some("All hands, again".into()), ..Default::default() };
    assert_eq!(sim.ctl.update_webinar(webinar.id, &patch).await.unwrap().topic, "All hands, again");
    sim.ctl.delete_webinar(webinar.id).await.unwrap();
    assert!(sim.ctl.get_webinar(webinar.id).await.unwrap().deleted_at.is_some());
    let mint = format!("/webinars/{}/jointoken/local_recording", webinar.id);
    assert_eq!(sim.get(&tokens.access, &mint).await.1["code"], 3001, "in the bin");
    assert_eq!(sim.ctl.get_meeting(webinar.id).await.unwrap_err().status(), Some(404), "not a meeting");
    sim.ctl.recover_webinar(webinar.id).await.unwrap();
    assert_eq!(sim.get(&tokens.access, &mint).await.0, 200);
    sim.ctl.delete_webinar(webinar.id).await.unwrap();
    sim.ctl.permanently_delete_webinar(webinar.id).await.unwrap();
    assert_eq!(sim.ctl.get_webinar(webinar.id).await.unwrap_err().status(), Some(404));

    let bodies: Vec<_> = receiver.wait_events(6).await.iter().map(|e| e.json()).collect();
    let names: Vec<_> = bodies.iter().map(|b| b["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        names,
        [
            "webinar.created",
            "webinar.updated",
            "webinar.deleted",
            "webinar.recovered",
            "webinar.deleted",
            "webinar.permanently_deleted"
        ]
    );
    let created = &bodies[0]["payload"]["object"];
    assert_eq!((created["id"].as_u64(), created["type"].as_u64()), (Some(webinar.id), Some(5)));
    assert_eq!(created["host_id"], host.id);
    assert_eq!(created["topic"], "All hands");
    assert!(created["uuid"].is_string() && created["join_url"].is_string());
    let updated = &bodies[1]["payload"];
    assert_eq!(updated["object"], serde_json::json!({"id": webinar.id, "topic": "All hands, again"}));
    assert_eq!(updated["old_object"], serde_json::json!({"id": webinar.id, "topic": "All hands"}));
    let keys = |b: &serde_json::Value| b["payload"]["object"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&bodies[3]), keys(&bodies[0]));
    assert_eq!(keys(&bodies[5]), keys(&bodies[2]));
    assert!(bodies.iter().all(|b| b["payload"]["object"]["id"] == webinar.id));

    let bad = NewWebinar { host_id: host.id.clone(), webinar_type: Some(2), ..Default::default() };
    assert_eq!(sim.ctl.create_webinar(&bad).await.unwrap_err().status(), Some(400));
}
