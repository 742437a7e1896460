//! REST: authentication, scopes, who sees what, shapes.

use zoom_sim::control::types::{AppKind, NewMeeting, Role, UserPatch};

use crate::helpers::*;

#[tokio::test]
async fn requests_need_a_valid_bearer_token() {
    let sim = TestSim::start();
    let res = sim.http.get(format!("{}/v2/users/me", sim.base())).send().await.unwrap();
    let missing = (res.status().as_u16(), res.json().await.unwrap());
    assert_api_error(&missing, 401, 124, "Requires an access token.");
    assert_api_error(&sim.get("eyJnot-a-token", "/users/me").await, 401, 124, "Invalid access token.");
    let res = sim
        .http
        .get(format!("{}/v2/users/me", sim.base()))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn missing_scope_is_4711_naming_it() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    let meeting = sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
    let app = sim.app_with_scopes(AppKind::UserLevel, &["user:read:user", "meeting:read:meeting"]).await;
    let tokens = sim.authorize(&app, &host).await;
    assert_eq!(sim.get(&tokens.access, &format!("/meetings/{}", meeting.id)).await.0, 200);
    assert_api_error(
        &sim.get(&tokens.access, &format!("/meetings/{}/jointoken/local_recording", meeting.id)).await,
        400,
        4711,
        "Invalid access token, does not contain scopes:[meeting:read:local_recording_token].",
    );
    assert_api_error(
        &sim.get(&tokens.access, "/users/me/meetings").await,
        400,
        4711,
        "Invalid access token, does not contain scopes:[meeting:read:list_meetings].",
    );
    // User-level grants can never list users.
    let full = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&full, &host).await;
    assert_api_error(
        &sim.get(&tokens.access, "/users").await,
        400,
        4711,
        "Invalid access token, does not contain scopes:[user:read:list_users:admin].",
    );
    // Admin grants need the :admin variant; a classic scope is accepted too.
    let admin = sim.app_with_scopes(AppKind::AccountLevel, &["user:read:user", "meeting:read:admin"]).await;
    let tokens = sim.authorize(&admin, &host).await;
    assert_api_error(
        &sim.get(&tokens.access, "/users/me").await,
        400,
        4711,
        "Invalid access token, does not contain scopes:[user:read:user:admin].",
    );
    assert_eq!(sim.get(&tokens.access, &format!("/meetings/{}", meeting.id)).await.0, 200);
}

#[tokio::test]
async fn user_level_grants_act_as_me_only() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let alice = sim.user(&account.id, Role::Owner).await;
    let bob = sim.user(&account.id, Role::Member).await;
    let alices = sim.ctl.create_meeting(&NewMeeting { host_id: alice.id.clone(), ..Default::default() }).await.unwrap();
    let bobs = sim.ctl.create_meeting(&NewMeeting { host_id: bob.id.clone(), ..Default::default() }).await.unwrap();
    let app = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &alice).await;

    let me = sim.get(&tokens.access, "/users/me").await;
    assert_eq!(me.0, 200);
    assert_eq!(me.1["id"], alice.id);
    assert_eq!(me.1["pmi"], alice.pmi, "pmi is an integer");
    assert_eq!(me.1["account_id"], account.id);
    for path in [format!("/users/{}", alice.id), format!("/users/{}", bob.id), format!("/users/{}/meetings", alice.id)]
    {
        assert_api_error(&sim.get(&tokens.access, &path).await, 400, 124, "Invalid access token.");
    }
    assert_eq!(sim.get(&tokens.access, &format!("/meetings/{}", alices.id)).await.0, 200);
    assert_api_error(
        &sim.get(&tokens.access, &format!("/meetings/{}", bobs.id)).await,
        404,
        3001,
        &format!("Meeting does not exist: {}.", bobs.id),
    );
    let listed = sim.get(&tokens.access, "/users/me/meetings").await;
    let ids: Vec<_> = listed.1["meetings"].as_array().unwrap().iter().map(|m| m["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [alices.id]);
}

#[tokio::test]
async fn account_level_grants_see_their_account_only() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let admin = sim.user(&account.id, Role::Admin).await;
    let member = sim.user(&account.id, Role::Member).await;
    let elsewhere = sim.account().await;
    let stranger = sim.user(&elsewhere.id, Role::Owner).await;
    let their_meeting =
        sim.ctl.create_meeting(&NewMeeting { host_id: stranger.id.clone(), ..Default::default() }).await.unwrap();
    let app = sim.app(AppKind::AccountLevel).await;
    let tokens = sim.authorize(&app, &admin).await;

    assert_eq!(sim.get(&tokens.access, "/users/me").await.1["id"], admin.id);
    assert_eq!(sim.get(&tokens.access, &format!("/users/{}", member.id)).await.1["id"], member.id);
    assert_eq!(sim.get(&tokens.access, &format!("/users/{}", member.email)).await.1["id"], member.id);
    assert_api_error(
        &sim.get(&tokens.access, &format!("/users/{}", stranger.id)).await,
        404,
        1001,
        &format!("User does not exist: {}.", stranger.id),
    );
    assert_eq!(sim.get(&tokens.access, &format!("/meetings/{}", their_meeting.id)).await.1["code"], 3001);
}

#[tokio::test]
async fn meetings_resolve_by_id_and_pmi() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &host).await;
    let meeting = sim
        .ctl
        .create_meeting(&NewMeeting { host_id: host.id.clone(), use_pmi: Some(true), ..Default::default() })
        .await
        .unwrap();

    let full = sim.get(&tokens.access, &format!("/meetings/{}", meeting.id)).await;
    assert_eq!(full.0, 200);
    assert_eq!(full.1["id"], meeting.id);
    assert_eq!(full.1["host_id"], host.id);
    assert_eq!(full.1["type"], 2);
    assert_eq!(full.1["pmi"], host.pmi.to_string(), "pmi is a string on meetings");
    assert!(meeting.uuid.len() == 24 && meeting.uuid.ends_with("=="));
    assert_eq!(meeting.id.to_string().len(), 11);

    let pmi = sim.get(&tokens.access, &format!("/meetings/{}", host.pmi)).await;
    assert_eq!(pmi.0, 200);
    assert_eq!(pmi.1["type"], 4);
    assert_eq!(pmi.1["host_id"], host.id);

    // After a PMI change the old number is gone and the new one resolves.
    let new_pmi = if host.pmi == 5_551_234_567 { 5_551_234_568 } else { 5_551_234_567 };
    sim.ctl.update_user(&host.id, &UserPatch { pmi: Some(new_pmi), ..Default::default() }).await.unwrap();
    assert_eq!(sim.get(&tokens.access, &format!("/meetings/{}", host.pmi)).await.1["code"], 3001);
    assert_eq!(sim.get(&tokens.access, &format!("/meetings/{new_pmi}")).await.1["type"], 4);

    assert_api_error(&sim.get(&tokens.access, "/meetings/abc").await, 400, 300, "Invalid meeting ID.");
    assert_api_error(
        &sim.get(&tokens.access, "/meetings/99999999999999999999999").await,
        400,
        300,
        "Invalid meeting ID.",
    );
    assert_eq!(sim.get(&tokens.access, "/meetings/12345678901").await.1["code"], 3001);
}

#[tokio::test]
async fn meeting_listing_skips_instant_and_expired_meetings() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &host).await;
    let new = |kind: u8| NewMeeting { host_id: host.id.clone(), meeting_type: Some(kind), ..Default::default() };
    let scheduled = sim.ctl.create_meeting(&new(2)).await.unwrap();
    let recurring = sim.ctl.create_meeting(&new(8)).await.unwrap();
    let instant = sim.ctl.create_meeting(&new(1)).await.unwrap();
    let list = |kind: &'static str| {
        let sim = &sim;
        let tokens = &tokens;
        async move {
            let (status, body) = sim.get(&tokens.access, &format!("/users/me/meetings?type={kind}")).await;
            assert_eq!(status, 200, "{body}");
            body["meetings"].as_array().unwrap().iter().map(|m| m["id"].as_u64().unwrap()).collect::<Vec<_>>()
        }
    };
    assert_eq!(list("scheduled").await, [scheduled.id, recurring.id]);
    assert!(!list("upcoming").await.contains(&instant.id));
    assert_eq!(recurring.occurrences.len(), 4);

    // 40 days on, the one-time meeting has expired; the recurring one still has occurrences.
    sim.ctl.advance_clock(40.0 * 86_400.0).await.unwrap();
    let tokens = sim.authorize(&app, &host).await;
    let (_, body) = sim.get(&tokens.access, "/users/me/meetings").await;
    let ids: Vec<_> = body["meetings"].as_array().unwrap().iter().map(|m| m["id"].as_u64().unwrap()).collect();
    assert_eq!(ids, [recurring.id]);
    assert_eq!(sim.get(&tokens.access, &format!("/meetings/{}", scheduled.id)).await.1["code"], 3001);
    let (_, previous) = sim.get(&tokens.access, "/users/me/meetings?type=previous_meetings").await;
    assert_eq!(previous["total_records"], 2);
    assert_eq!(sim.get(&tokens.access, "/users/me/meetings?type=bogus").await.0, 400);
}

#[tokio::test]
async fn user_token_endpoint_mints_zak_and_obf() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    let meeting = sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
    let app = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &host).await;

    let deprecated = "Token is no longer supported. Please use ZAK token instead.";
    assert_api_error(&sim.get(&tokens.access, "/users/me/token").await, 400, 300, deprecated);
    assert_api_error(&sim.get(&tokens.access, "/users/me/token?type=token").await, 400, 300, deprecated);

    let zak = sim.get(&tokens.access, "/users/me/token?type=zak&ttl=600").await;
    assert_eq!(zak.0, 200);
    let minted = sim.ctl.token(zak.1["token"].as_str().unwrap()).await.unwrap();
    assert_eq!(minted.kind, zoom_sim::control::types::TokenKind::Zak);
    assert_eq!(minted.user_id.as_deref(), Some(host.id.as_str()));

    assert_eq!(sim.get(&tokens.access, "/users/me/token?type=onbehalf").await.1["code"], 300);
    let obf = sim.get(&tokens.access, &format!("/users/me/token?type=onbehalf&meeting_id={}", meeting.id)).await;
    assert_eq!(obf.0, 200);
    let minted = sim.ctl.token(obf.1["token"].as_str().unwrap()).await.unwrap();
    assert_eq!(minted.meeting_id, Some(meeting.id));
    assert_eq!(sim.get(&tokens.access, "/users/me/token?type=zak&ttl=99999999999").await.0, 400);

    let me_zak = sim.get(&tokens.access, "/users/me/zak").await;
    assert_eq!(me_zak.0, 200);
    let minted = sim.ctl.token(me_zak.1["token"].as_str().unwrap()).await.unwrap();
    sim.ctl.advance_clock(301.0).await.unwrap();
    assert!(sim.ctl.token(&minted.token).await.unwrap().expired, "a /users/me/zak ZAK lives 5 minutes");
    let counters = sim.ctl.counters().await.unwrap();
    assert_eq!((counters.mints.zak, counters.mints.onbehalf), (2, 1));
}

/// The notetaker's case: a user's OBF token for a meeting hosted in another account, minted by
/// the user's own grant and by an account-level grant of the user's account, and recorded with
/// whom it is for and which meeting.
#[tokio::test]
async fn obf_tokens_are_minted_for_meetings_hosted_elsewhere() {
    let sim = TestSim::start();
    let customer = sim.account().await;
    let host = sim.user(&customer.id, Role::Owner).await;
    let meeting = sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
    let ours = sim.account().await;
    let admin = sim.user(&ours.id, Role::Owner).await;
    let sender = sim.user(&ours.id, Role::Member).await;

    let user_app = sim.app(AppKind::UserLevel).await;
    let own = sim.authorize(&user_app, &sender).await;
    let obf = sim.get(&own.access, &format!("/users/me/token?type=onbehalf&meeting_id={}", meeting.id)).await;
    assert_eq!(obf.0, 200, "{:?}", obf.1);
    let minted = sim.ctl.token(obf.1["token"].as_str().unwrap()).await.unwrap();
    assert_eq!(minted.user_id.as_deref(), Some(sender.id.as_str()));
    assert_eq!((minted.meeting_id, minted.host_id.as_deref()), (Some(meeting.id), Some(host.id.as_str())));
    // The meeting must exist, though.
    assert_eq!(sim.get(&own.access, "/users/me/token?type=onbehalf&meeting_id=99999999999").await.1["code"], 300);

    let account_app = sim.app(AppKind::AccountLevel).await;
    let account = sim.authorize(&account_app, &admin).await;
    let by_email = format!("/users/{}/token?type=onbehalf&meeting_id={}", sender.email, meeting.id);
    let obf = sim.get(&account.access, &by_email).await;
    assert_eq!(obf.0, 200, "{:?}", obf.1);
    let minted = sim.ctl.token(obf.1["token"].as_str().unwrap()).await.unwrap();
    assert_eq!(minted.user_id.as_deref(), Some(sender.id.as_str()));
    let zak = sim.get(&account.access, &format!("/users/{}/token?type=zak", sender.id)).await;
    assert_eq!(
        sim.ctl.token(zak.1["token"].as_str().unwrap()).await.unwrap().user_id.as_deref(),
        Some(sender.id.as_str())
    );
    // Not for a user of another account.
    assert_eq!(sim.get(&account.access, &format!("/users/{}/token?type=zak", host.id)).await.0, 404);
}

#[tokio::test]
async fn successful_responses_carry_a_tracking_id() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &host).await;
    let res = sim.get_raw(&tokens.access, "/users/me").await;
    assert!(res.headers().contains_key("x-zm-trackingid"));
    assert!(!res.headers().contains_key("x-ratelimit-category"), "rate limits are off");
}

/// docs/zoom.md §3.1: Zoom documents 400 for an expired or invalid token and has been seen
/// answering 401; `token_error_status` picks one (401 by default), the body stays `{code:124}`.
#[tokio::test]
async fn refused_access_tokens_answer_400_when_configured() {
    use zoom_sim::control::types::SettingsPatch;
    let sim = TestSim::with(zoom_sim::SimOptions { token_error_status: 400, ..Default::default() });
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &host).await;
    assert_api_error(&sim.get("eyJnot-a-token", "/users/me").await, 400, 124, "Invalid access token.");
    sim.ctl.advance_clock(3600.0).await.unwrap();
    assert_api_error(&sim.get(&tokens.access, "/users/me").await, 400, 124, "Access token is expired.");
    assert_api_error(&sim.get(&tokens.access, "/users").await, 400, 124, "Access token is expired.");
    let res = sim.http.get(format!("{}/v2/users/me", sim.base())).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401, "no token at all is still 401");

    let back = SettingsPatch { token_error_status: Some(401), ..Default::default() };
    assert_eq!(sim.ctl.update_settings(&back).await.unwrap().token_error_status, 401);
    assert_api_error(&sim.get(&tokens.access, "/users/me").await, 401, 124, "Access token is expired.");
    let bad = SettingsPatch { token_error_status: Some(403), ..Default::default() };
    assert_eq!(sim.ctl.update_settings(&bad).await.unwrap_err().status(), Some(400));
    let refused = zoom_sim::SimOptions { token_error_status: 404, ..Default::default() };
    assert!(zoom_sim::SimServer::start(refused).is_err());
}

/// docs/zoom.md §3.4: the user listing carries no `vanity_url`; only `GET /users/{userId}` does.
#[tokio::test]
async fn the_user_listing_has_no_vanity_url() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let admin = sim.user(&account.id, Role::Owner).await;
    let named = zoom_sim::control::types::NewUser {
        account_id: account.id.clone(),
        vanity_name: Some("jane.doe".to_owned()),
        ..Default::default()
    };
    let named = sim.ctl.create_user(&named).await.unwrap();
    let app = sim.app(AppKind::AccountLevel).await;
    let tokens = sim.authorize(&app, &admin).await;

    let (status, one) = sim.get(&tokens.access, &format!("/users/{}", named.id)).await;
    assert_eq!(status, 200);
    assert_eq!(one["vanity_url"], "https://zoom.us/my/jane.doe");
    let (status, list) = sim.get(&tokens.access, "/users").await;
    assert_eq!(status, 200);
    let users = list["users"].as_array().unwrap();
    assert_eq!(users.len(), 2);
    for user in users {
        assert!(user.get("vanity_url").is_none() && user.get("vanity_name").is_none(), "{user}");
        assert!(user["id"].is_string() && user["email"].is_string() && user["pmi"].is_u64());
    }
    for key in ["next_page_token", "page_count", "page_size", "total_records"] {
        assert!(list.get(key).is_some(), "{key}");
    }
}
