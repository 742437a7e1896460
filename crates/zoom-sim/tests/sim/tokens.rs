//! Join tokens for local recording: who may mint, what is recorded, single use.

use zoom_sim::control::types::{AppKind, NewMeeting, Role, TokenKind, UserPatch};

use crate::helpers::*;

fn join_path(meeting: u64) -> String {
    format!("/meetings/{meeting}/jointoken/local_recording?bypass_waiting_room=true")
}

#[tokio::test]
async fn a_join_token_used_twice_is_reported_as_reused() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    let meeting = sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
    let app = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &host).await;

    let (status, body) = sim.get(&tokens.access, &join_path(meeting.id)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expire_in"], 120);
    let token = body["token"].as_str().unwrap();
    let minted = sim.ctl.token(token).await.unwrap();
    assert_eq!(minted.kind, TokenKind::JoinLocalRecording);
    assert_eq!(minted.meeting_id, Some(meeting.id));
    assert_eq!(minted.host_id.as_deref(), Some(host.id.as_str()));
    assert_eq!(minted.client_id, app.client_id);
    assert_eq!(minted.account_id, account.id);
    assert!(minted.bypass_waiting_room);
    assert_eq!((minted.uses, minted.reused, minted.expired), (0, false, false));

    let first = sim.ctl.use_token(token).await.unwrap();
    assert_eq!((first.uses, first.reused), (1, false));
    let second = sim.ctl.use_token(token).await.unwrap();
    assert_eq!((second.uses, second.reused), (2, true));
    assert!(sim.ctl.token(token).await.unwrap().reused);

    // Each request mints a fresh token; they expire after 120 s of sim time.
    let (_, again) = sim.get(&tokens.access, &join_path(meeting.id)).await;
    assert_ne!(again["token"], body["token"]);
    sim.ctl.advance_clock(121.0).await.unwrap();
    assert!(sim.ctl.use_token(again["token"].as_str().unwrap()).await.unwrap().expired);
    assert_eq!(sim.ctl.token("never-minted").await.unwrap_err().status(), Some(404));
    assert_eq!(sim.ctl.counters().await.unwrap().mints.join_local_recording, 2);
}

#[tokio::test]
async fn only_the_hosts_grant_or_an_admin_grant_of_its_account_may_mint() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let admin = sim.user(&account.id, Role::Owner).await;
    let host = sim.user(&account.id, Role::Member).await;
    let colleague = sim.user(&account.id, Role::Member).await;
    let elsewhere = sim.account().await;
    let foreign_admin = sim.user(&elsewhere.id, Role::Owner).await;
    let meeting = sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
    let user_app = sim.app(AppKind::UserLevel).await;
    let account_app = sim.app(AppKind::AccountLevel).await;

    let mint = |token: String| {
        let sim = &sim;
        async move { sim.get(&token, &join_path(meeting.id)).await }
    };
    let own = sim.authorize(&user_app, &host).await;
    assert_eq!(mint(own.access).await.0, 200, "the host's own user-level grant");
    let admin_grant = sim.authorize(&account_app, &admin).await;
    assert_eq!(mint(admin_grant.access).await.0, 200, "an account-level grant of the host's account");
    let s2s = sim.s2s_app(&account.id).await;
    assert_eq!(mint(sim.s2s_token(&s2s).await.access).await.0, 200, "server-to-server of the host's account");

    let not_found = format!("Meeting does not exist: {}.", meeting.id);
    let other_user = sim.authorize(&user_app, &colleague).await;
    assert_api_error(&mint(other_user.access).await, 404, 3001, &not_found);
    let foreign = sim.authorize(&account_app, &foreign_admin).await;
    assert_api_error(&mint(foreign.access).await, 404, 3001, &not_found);
    let foreign_s2s = sim.s2s_app(&elsewhere.id).await;
    assert_api_error(&mint(sim.s2s_token(&foreign_s2s).await.access).await, 404, 3001, &not_found);

    // The host's local-recording setting must be on.
    sim.ctl.update_user(&host.id, &UserPatch { local_recording: Some(false), ..Default::default() }).await.unwrap();
    let own = sim.authorize(&user_app, &host).await;
    assert_api_error(&mint(own.access).await, 400, 3000, "Not allowed to start local recording for this meeting.");

    let minted: Vec<_> = sim.ctl.counters().await.unwrap().by_grant.into_values().collect();
    assert!(minted.iter().any(|routes| routes.contains_key("GET /v2/meetings/{meetingId}/jointoken/local_recording")));
}

#[tokio::test]
async fn pmi_rooms_mint_too() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &host).await;
    let (status, body) = sim.get(&tokens.access, &join_path(host.pmi)).await;
    assert_eq!(status, 200);
    let minted = sim.ctl.token(body["token"].as_str().unwrap()).await.unwrap();
    assert_eq!(minted.meeting_id, Some(host.pmi));
    let (_, plain) = sim.get(&tokens.access, &format!("/meetings/{}/jointoken/local_recording", host.pmi)).await;
    assert!(!sim.ctl.token(plain["token"].as_str().unwrap()).await.unwrap().bypass_waiting_room);
}
