//! Webhooks: signatures, url_validation, recipients, retries, redelivery, event payloads.

use zoom_sim::control::types::{
    App, AppKind, AppPatch, DeliveryStatus, MeetingPatch, NewApp, NewMeeting, RetryTimestamp, Role, SettingsPatch,
    UserPatch, UserStatus, WebhookConfig, WebhookPatch,
};
use zoom_sim::signature::sign_webhook;

use crate::helpers::*;
use crate::receiver::{Receiver, Validation};

const SECRET: &str = "wh-secret-token";

async fn hooked_app(sim: &TestSim, receiver: &Receiver, kind: AppKind, account_id: Option<&str>) -> App {
    let webhook = WebhookConfig { url: receiver.url().to_owned(), secret_token: SECRET.to_owned(), enabled: None };
    let req = NewApp { webhook: Some(webhook), account_id: account_id.map(str::to_owned), ..NewApp::new(kind) };
    sim.ctl.create_app(&req).await.unwrap()
}

fn assert_signed(delivery: &crate::receiver::Received) {
    let ts = delivery.header("x-zm-request-timestamp");
    assert!(!ts.is_empty() && ts.len() <= 10, "timestamp in seconds: {ts}");
    assert_eq!(delivery.header("x-zm-signature"), sign_webhook(SECRET, ts, &delivery.body));
}

#[tokio::test]
async fn meeting_created_arrives_signed_over_the_raw_bytes() {
    let sim = TestSim::start();
    let receiver = Receiver::start(SECRET);
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    let app = hooked_app(&sim, &receiver, AppKind::UserLevel, None).await;
    assert_eq!(receiver.all().len(), 1, "creating the subscription validated it");
    sim.authorize(&app, &host).await;

    let meeting = sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
    let events = receiver.wait_events(1).await;
    let delivery = &events[0];
    assert_signed(delivery);
    assert_eq!(delivery.header("user-agent"), "Zoom Marketplace/1.0a");
    assert_eq!(delivery.header("content-type"), "application/json; charset=utf-8");
    assert!(!delivery.header("x-zm-request-id").is_empty());
    let body = delivery.json();
    assert_eq!(body["event"], "meeting.created");
    assert!(body["event_ts"].as_i64().unwrap() > 1_600_000_000_000, "event_ts in milliseconds");
    assert_eq!(body["payload"]["account_id"], account.id);
    assert_eq!(body["payload"]["operator_id"], host.id);
    assert_eq!(body["payload"]["object"]["id"], meeting.id, "ids are numbers");
    assert_eq!(body["payload"]["object"]["host_id"], host.id);
    assert_eq!(body["payload"]["object"]["settings"]["use_pmi"], false);
    assert_eq!(serde_json::to_vec(&body).unwrap(), delivery.body, "compact JSON");

    // A tampered body no longer verifies.
    let mut tampered = delivery.body.clone();
    tampered.push(b' ');
    assert_ne!(
        sign_webhook(SECRET, delivery.header("x-zm-request-timestamp"), &tampered),
        delivery.header("x-zm-signature")
    );

    let logged = sim.ctl.deliveries(Some(&app.client_id), Some("meeting.created")).await.unwrap();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].body.as_bytes(), delivery.body.as_slice());
    let logged = crate::helpers::eventually(5, "delivered status", || async {
        let d = sim.ctl.deliveries(Some(&app.client_id), None).await.unwrap();
        (d[0].status == DeliveryStatus::Delivered).then_some(d)
    })
    .await;
    assert_eq!(logged[0].attempts[0].status, Some(200));
}

#[tokio::test]
async fn url_validation_must_succeed_for_a_subscription_to_change() {
    let sim = TestSim::start();
    let receiver = Receiver::start(SECRET);
    let app = sim.app(AppKind::UserLevel).await;
    let patch = AppPatch {
        webhook: Some(WebhookPatch {
            url: Some(receiver.url().to_owned()),
            secret_token: Some(SECRET.to_owned()),
            enabled: None,
        }),
        ..Default::default()
    };

    receiver.set_validation(Validation::WrongToken);
    let err = sim.ctl.update_app(&app.client_id, &patch).await.unwrap_err();
    assert_eq!(err.status(), Some(400));
    assert!(err.to_string().contains("encryptedToken"), "{err}");
    assert!(sim.ctl.get_app(&app.client_id).await.unwrap().webhook.is_none(), "the change was refused");

    receiver.set_validation(Validation::Status(500));
    assert_eq!(sim.ctl.update_app(&app.client_id, &patch).await.unwrap_err().status(), Some(400));

    receiver.set_validation(Validation::Correct);
    let updated = sim.ctl.update_app(&app.client_id, &patch).await.unwrap();
    assert_eq!(updated.webhook.unwrap().url, receiver.url());
    // The challenge itself was signed.
    let challenge = receiver.all().into_iter().last().unwrap();
    assert_eq!(challenge.event(), "endpoint.url_validation");
    assert_signed(&challenge);
    assert!(sim.ctl.validate_app(&app.client_id).await.unwrap().ok);
    receiver.set_validation(Validation::WrongToken);
    assert!(!sim.ctl.validate_app(&app.client_id).await.unwrap().ok);

    // Creating an app with a failing endpoint fails and creates nothing.
    let req = NewApp {
        client_id: Some("never-created".to_owned()),
        webhook: Some(WebhookConfig { url: receiver.url().to_owned(), secret_token: SECRET.to_owned(), enabled: None }),
        ..NewApp::new(AppKind::UserLevel)
    };
    assert_eq!(sim.ctl.create_app(&req).await.unwrap_err().status(), Some(400));
    assert_eq!(sim.ctl.get_app("never-created").await.unwrap_err().status(), Some(404));
}

/// A retry repeats the bytes and the request id, and (by default) carries the first attempt's
/// timestamp as it stands on the simulated timeline: 5 minutes old on arrival, as Zoom's would
/// be, although the scale sends it 0.6 s after the first.
#[tokio::test]
async fn failed_deliveries_are_retried_with_the_same_bytes_and_the_first_timestamp() {
    // 5 min -> 0.6 s with this scale.
    let sim = TestSim::with(zoom_sim::SimOptions { retry_scale: 0.002, ..Default::default() });
    let receiver = Receiver::start(SECRET);
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    hooked_app(&sim, &receiver, AppKind::ServerToServer, Some(&account.id)).await;
    receiver.fail_next(1, 500);
    sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();

    let events = receiver.wait_events(2).await;
    let (first, retry) = (&events[0], &events[1]);
    assert_eq!(first.body, retry.body);
    assert_eq!(first.header("x-zm-request-id"), retry.header("x-zm-request-id"));
    // 300 s on the simulated timeline less the 0.6 s that really passed.
    assert_eq!(retry.timestamp(), first.timestamp() - 299);
    assert_signed(retry);
    let delivery = crate::helpers::eventually(5, "delivered", || async {
        let d = sim.ctl.deliveries(None, Some("meeting.created")).await.unwrap().pop()?;
        (d.status == DeliveryStatus::Delivered).then_some(d)
    })
    .await;
    let statuses: Vec<_> = delivery.attempts.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [Some(500), Some(200)]);
    assert_eq!(delivery.timestamp, first.header("x-zm-request-timestamp"), "the log keeps the first attempt's");
    let stamps: Vec<_> = delivery.attempts.iter().map(|a| a.timestamp.as_str()).collect();
    assert_eq!(stamps, [first.header("x-zm-request-timestamp"), retry.header("x-zm-request-timestamp")]);
    assert_eq!(delivery.attempts[1].signature, retry.header("x-zm-signature"));
    let counters = sim.ctl.counters().await.unwrap();
    assert_eq!((counters.webhooks.failed_attempts, counters.webhooks.retries, counters.webhooks.delivered), (1, 1, 1));
}

/// docs/zoom.md §1.4 (December reading): retries at +5, +20 and +60 minutes after the first
/// attempt, so the third is 3.6 s later at this scale (not 5.1 s, as gaps of 5, 20 and 60 would
/// give) and its timestamp is an hour old when it arrives.
#[tokio::test]
async fn the_third_retry_comes_sixty_simulated_minutes_after_the_first_attempt() {
    let sim = TestSim::with(zoom_sim::SimOptions { retry_scale: 0.001, ..Default::default() });
    let receiver = Receiver::start(SECRET);
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    hooked_app(&sim, &receiver, AppKind::ServerToServer, Some(&account.id)).await;
    receiver.set_status(503);
    sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();

    let events = receiver.wait_events(4).await;
    let elapsed = events[3].at - events[0].at;
    assert!(
        elapsed >= std::time::Duration::from_millis(3550) && elapsed < std::time::Duration::from_millis(4800),
        "third retry after {elapsed:?}"
    );
    let t0 = events[0].timestamp();
    let stamps: Vec<i64> = events.iter().map(|e| e.timestamp() - t0).collect();
    assert_eq!(stamps, [0, -300, -1199, -3596]);
    for (event, offset) in events[1..].iter().zip([300, 1200, 3600]) {
        let age = event.wall_secs - event.timestamp();
        assert!((age - offset).abs() <= 2, "a retry due at +{offset} s arrived {age} s old");
        assert_signed(event);
    }
}

/// `retry_timestamp: fresh`, switched at run time: each retry is stamped and signed when sent.
#[tokio::test]
async fn fresh_retry_timestamps_are_stamped_when_sent() {
    let sim = TestSim::with(zoom_sim::SimOptions { retry_scale: 0.002, ..Default::default() });
    assert_eq!(sim.ctl.settings().await.unwrap().retry_timestamp, RetryTimestamp::First);
    let patch = SettingsPatch { retry_timestamp: Some(RetryTimestamp::Fresh), ..Default::default() };
    assert_eq!(sim.ctl.update_settings(&patch).await.unwrap().retry_timestamp, RetryTimestamp::Fresh);
    let receiver = Receiver::start(SECRET);
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    hooked_app(&sim, &receiver, AppKind::ServerToServer, Some(&account.id)).await;
    receiver.fail_next(2, 502);
    sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();

    let events = receiver.wait_events(3).await;
    for event in &events {
        assert!((event.wall_secs - event.timestamp()).abs() <= 1, "stamped on sending");
        assert_signed(event);
        assert_eq!(event.body, events[0].body);
    }
    assert!(events[2].timestamp() >= events[0].timestamp());
}

#[tokio::test]
async fn client_errors_are_not_retried_and_dead_receivers_exhaust_retries() {
    let sim = TestSim::with(zoom_sim::SimOptions { retry_scale: 0.0005, ..Default::default() });
    let receiver = Receiver::start(SECRET);
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    let app = hooked_app(&sim, &receiver, AppKind::ServerToServer, Some(&account.id)).await;

    receiver.set_status(401);
    sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
    let failed = crate::helpers::eventually(5, "failed delivery", || async {
        let d = sim.ctl.deliveries(Some(&app.client_id), None).await.unwrap().pop()?;
        (d.status == DeliveryStatus::Failed).then_some(d)
    })
    .await;
    assert_eq!(failed.attempts.len(), 1, "4xx is final");

    // 500 forever: the first attempt plus three retries, then nothing more.
    receiver.set_status(503);
    let meeting = sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
    let exhausted = crate::helpers::eventually(15, "exhausted retries", || async {
        let d = sim.ctl.deliveries(Some(&app.client_id), None).await.unwrap().pop()?;
        (d.status == DeliveryStatus::Failed).then_some(d)
    })
    .await;
    assert!(exhausted.body.contains(&meeting.id.to_string()));
    assert_eq!(exhausted.attempts.len(), 4);
    assert_eq!(receiver.events().len(), 5);
}

#[tokio::test]
async fn redeliver_resends_the_same_request() {
    let sim = TestSim::start();
    let receiver = Receiver::start(SECRET);
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    let app = hooked_app(&sim, &receiver, AppKind::AccountLevel, None).await;
    sim.authorize(&app, &host).await;
    sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
    let original = receiver.wait_events(1).await.remove(0);
    let id = sim.ctl.deliveries(Some(&app.client_id), None).await.unwrap()[0].id;

    let result = sim.ctl.redeliver(id).await.unwrap();
    assert_eq!(result.status, Some(200));
    let again = receiver.wait_events(2).await.remove(1);
    assert_eq!(again.body, original.body);
    for header in ["x-zm-signature", "x-zm-request-timestamp", "x-zm-request-id", "content-type", "user-agent"] {
        assert_eq!(again.header(header), original.header(header), "{header}");
    }
    assert_eq!(sim.ctl.redeliver(9999).await.unwrap_err().status(), Some(404));
}

#[tokio::test]
async fn recipients_follow_grants_and_disabled_subscriptions_drop_events() {
    let sim = TestSim::start();
    let receiver = Receiver::start(SECRET);
    let other_receiver = Receiver::start(SECRET);
    let account = sim.account().await;
    let alice = sim.user(&account.id, Role::Owner).await;
    let bob = sim.user(&account.id, Role::Member).await;
    let app = hooked_app(&sim, &receiver, AppKind::UserLevel, None).await;
    sim.authorize(&app, &alice).await;
    let disabled = NewApp {
        webhook: Some(WebhookConfig {
            url: other_receiver.url().to_owned(),
            secret_token: SECRET.to_owned(),
            enabled: Some(false),
        }),
        account_id: Some(account.id.clone()),
        ..NewApp::new(AppKind::ServerToServer)
    };
    let disabled = sim.ctl.create_app(&disabled).await.unwrap();

    // Bob never authorized the user-level app: his meeting is not its business.
    sim.ctl.create_meeting(&NewMeeting { host_id: bob.id.clone(), ..Default::default() }).await.unwrap();
    let alices = sim.ctl.create_meeting(&NewMeeting { host_id: alice.id.clone(), ..Default::default() }).await.unwrap();
    let events = receiver.wait_events(1).await;
    assert_eq!(events[0].json()["payload"]["object"]["id"], alices.id);

    let dropped = sim.ctl.deliveries(Some(&disabled.client_id), None).await.unwrap();
    assert_eq!(dropped.len(), 2);
    assert!(dropped.iter().all(|d| d.status == DeliveryStatus::Dropped && d.attempts.is_empty()));
    assert_eq!(sim.ctl.counters().await.unwrap().webhooks.dropped, 2);
    assert!(other_receiver.events().is_empty());
    assert_eq!(receiver.events().len(), 1);
}

#[tokio::test]
async fn user_and_meeting_changes_fire_the_right_events() {
    let sim = TestSim::start();
    let receiver = Receiver::start(SECRET);
    let account = sim.account().await;
    let owner = sim.user(&account.id, Role::Owner).await;
    let host = sim.user(&account.id, Role::Member).await;
    let app = hooked_app(&sim, &receiver, AppKind::ServerToServer, Some(&account.id)).await;

    let meeting = sim
        .ctl
        .create_meeting(&NewMeeting {
            host_id: host.id.clone(),
            meeting_type: Some(8),
            occurrences: Some(3),
            ..Default::default()
        })
        .await
        .unwrap();
    sim.ctl
        .update_meeting(
            meeting.id,
            &MeetingPatch { topic: Some("Renamed".into()), host_id: Some(owner.id.clone()), ..Default::default() },
        )
        .await
        .unwrap();
    let occurrence = meeting.occurrences[1].occurrence_id.clone();
    sim.ctl.delete_occurrence(meeting.id, &occurrence).await.unwrap();
    sim.ctl.delete_meeting(meeting.id).await.unwrap();
    let new_pmi = if host.pmi == 5_550_000_001 { 5_550_000_002 } else { 5_550_000_001 };
    sim.ctl.update_user(&host.id, &UserPatch { pmi: Some(new_pmi), ..Default::default() }).await.unwrap();
    sim.ctl
        .update_user(&host.id, &UserPatch { status: Some(UserStatus::Inactive), ..Default::default() })
        .await
        .unwrap();
    sim.ctl.delete_user(&host.id).await.unwrap();

    let events = receiver.wait_events(7).await;
    let bodies: Vec<_> = events.iter().map(|e| e.json()).collect();
    let names: Vec<_> = bodies.iter().map(|b| b["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        names,
        [
            "meeting.created",
            "meeting.updated",
            "meeting.deleted",
            "meeting.deleted",
            "user.updated",
            "user.deactivated",
            "user.deleted"
        ]
    );
    let updated = &bodies[1]["payload"];
    assert_eq!(updated["object"], serde_json::json!({"id": meeting.id, "topic": "Renamed", "host_id": owner.id}));
    assert_eq!(
        updated["old_object"],
        serde_json::json!({"id": meeting.id, "topic": "Zoom meeting", "host_id": host.id})
    );
    assert!(updated["time_stamp"].is_i64());
    let one = &bodies[2]["payload"]["object"];
    assert_eq!(one["occurrences"][0]["occurrence_id"], occurrence);
    assert!(bodies[3]["payload"]["object"].get("occurrences").is_none(), "the whole meeting");
    let pmi = &bodies[4]["payload"];
    assert_eq!(pmi["object"], serde_json::json!({"id": host.id, "pmi": new_pmi}));
    assert_eq!(pmi["old_object"], serde_json::json!({"id": host.id, "pmi": host.pmi}));
    assert_eq!(bodies[5]["payload"]["object"]["email"], host.email);
    assert_eq!(bodies[6]["payload"]["object"]["id"], host.id);
    for e in &events {
        assert_signed(e);
    }
    assert_eq!(sim.ctl.deliveries(Some(&app.client_id), None).await.unwrap().len(), 7);
}

#[tokio::test]
async fn revoking_sends_app_deauthorized() {
    let sim = TestSim::start();
    let receiver = Receiver::start(SECRET);
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Member).await;
    let app = hooked_app(&sim, &receiver, AppKind::UserLevel, None).await;
    let tokens = sim.authorize(&app, &user).await;
    let res = sim
        .http
        .post(format!("{}/oauth/revoke", sim.base()))
        .basic_auth(&app.client_id, Some(&app.client_secret))
        .form(&[("token", tokens.refresh.as_deref().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let event = receiver.wait_events(1).await.remove(0);
    assert_signed(&event);
    let body = event.json();
    assert_eq!(body["event"], "app_deauthorized");
    assert!(body.get("event_ts").is_none(), "no top-level event_ts");
    let payload = &body["payload"];
    assert_eq!(payload["user_id"], user.id);
    assert_eq!(payload["account_id"], account.id);
    assert_eq!(payload["client_id"], app.client_id);
    assert!(payload["event_ts"].is_i64());
    assert!(payload["deauthorization_time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(payload["signature"].as_str().unwrap().len(), 64);

    // Revoking a grant through the control API without notifying sends nothing.
    let tokens = sim.authorize(&app, &user).await;
    let grant = sim.ctl.grants(Some(&app.client_id), Some(&user.id)).await.unwrap().pop().unwrap();
    assert!(!sim.ctl.revoke_grant(&grant.id, false).await.unwrap().active);
    assert_eq!(sim.get(&tokens.access, "/users/me").await.0, 401);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(receiver.events().len(), 1);
}

/// docs/zoom.md §1.5: `app_deauthorized` can arrive late or twice, after the user reconnected.
/// The control API sends a grant's own deauthorization again, or one with chosen times.
#[tokio::test]
async fn app_deauthorized_can_be_sent_late_or_twice() {
    use zoom_sim::control::types::{AppDeauthorized, RevokeGrant};
    let sim = TestSim::start();
    let receiver = Receiver::start(SECRET);
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Member).await;
    let app = hooked_app(&sim, &receiver, AppKind::UserLevel, None).await;
    sim.authorize(&app, &user).await;
    let old = sim.ctl.grants(Some(&app.client_id), Some(&user.id)).await.unwrap().pop().unwrap();
    let chosen = RevokeGrant {
        notify: Some(true),
        deauthorization_time: Some("2026-01-02T03:04:05.678Z".to_owned()),
        event_ts: Some(1_767_323_045_678),
    };
    assert!(!sim.ctl.revoke_grant_with(&old.id, &chosen).await.unwrap().active);
    let first = receiver.wait_events(1).await.remove(0).json();
    assert_eq!(first["payload"]["deauthorization_time"], "2026-01-02T03:04:05.678Z");
    assert_eq!(first["payload"]["event_ts"], 1_767_323_045_678_i64);

    // The user reconnects; then the old deauthorization arrives again.
    let tokens = sim.authorize(&app, &user).await;
    let sent = sim.ctl.send_app_deauthorized(&old.id, &AppDeauthorized::default()).await.unwrap();
    assert!(sent.sent);
    let again = receiver.wait_events(2).await.remove(1);
    assert_signed(&again);
    assert_eq!(again.json(), first, "the same deauthorization, signature and all");
    assert_eq!(sent.payload, first["payload"]);
    assert_eq!(sim.get(&tokens.access, "/users/me").await.0, 200, "the new grant is untouched");
    let grants = sim.ctl.grants(Some(&app.client_id), Some(&user.id)).await.unwrap();
    assert_eq!(grants.iter().map(|g| g.active).collect::<Vec<_>>(), [false, true]);

    // A stale one with other times, for the current grant, which stays active.
    let current = grants[1].id.clone();
    let stale = AppDeauthorized {
        deauthorization_time: Some("2025-12-31T23:59:59Z".to_owned()),
        event_ts: Some(1_767_225_599_000),
        ..Default::default()
    };
    let sent = sim.ctl.send_app_deauthorized(&current, &stale).await.unwrap();
    assert_eq!(sent.payload["deauthorization_time"], "2025-12-31T23:59:59Z");
    assert_eq!(sent.payload["user_id"], user.id);
    let third = receiver.wait_events(3).await.remove(2).json();
    assert_eq!(third["payload"]["event_ts"], 1_767_225_599_000_i64);
    assert_ne!(third["payload"]["signature"], first["payload"]["signature"], "another deauthorization");
    assert_eq!(sim.get(&tokens.access, "/users/me").await.0, 200);

    let bad = AppDeauthorized { deauthorization_time: Some("yesterday".to_owned()), ..Default::default() };
    assert_eq!(sim.ctl.send_app_deauthorized(&current, &bad).await.unwrap_err().status(), Some(400));
    assert_eq!(
        sim.ctl.send_app_deauthorized("nope", &AppDeauthorized::default()).await.unwrap_err().status(),
        Some(404)
    );
}

/// docs/zoom.md §1.5: `meeting.deleted` moves a meeting to a bin; `meeting.recovered` (the
/// shape of `meeting.created`) brings it back, `meeting.permanently_deleted` ends it.
#[tokio::test]
async fn a_deleted_meeting_can_be_recovered_or_deleted_for_good() {
    let sim = TestSim::start();
    let receiver = Receiver::start(SECRET);
    let account = sim.account().await;
    let host = sim.user(&account.id, Role::Owner).await;
    hooked_app(&sim, &receiver, AppKind::ServerToServer, Some(&account.id)).await;
    let rest = sim.s2s_app(&account.id).await;
    let tokens = sim.s2s_token(&rest).await;
    let meeting = sim.ctl.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
    let path = format!("/meetings/{}", meeting.id);
    let listed = |body: serde_json::Value| body["total_records"].as_u64().unwrap();

    sim.ctl.delete_meeting(meeting.id).await.unwrap();
    assert_eq!(sim.get(&tokens.access, &path).await.1["code"], 3001, "in the bin, gone for REST");
    assert_eq!(listed(sim.get(&tokens.access, &format!("/users/{}/meetings", host.id)).await.1), 0);
    assert!(sim.ctl.get_meeting(meeting.id).await.unwrap().deleted_at.is_some());
    assert_eq!(sim.ctl.update_meeting(meeting.id, &MeetingPatch::default()).await.unwrap_err().status(), Some(409));
    assert_eq!(sim.ctl.delete_meeting(meeting.id).await.unwrap_err().status(), Some(409));

    let recovered = sim.ctl.recover_meeting(meeting.id).await.unwrap();
    assert!(recovered.deleted_at.is_none());
    assert_eq!(sim.get(&tokens.access, &path).await.0, 200);
    assert_eq!(listed(sim.get(&tokens.access, &format!("/users/{}/meetings", host.id)).await.1), 1);
    assert_eq!(sim.ctl.recover_meeting(meeting.id).await.unwrap_err().status(), Some(409));
    assert_eq!(sim.ctl.permanently_delete_meeting(meeting.id).await.unwrap_err().status(), Some(409));

    sim.ctl.delete_meeting(meeting.id).await.unwrap();
    sim.ctl.permanently_delete_meeting(meeting.id).await.unwrap();
    assert_eq!(sim.ctl.get_meeting(meeting.id).await.unwrap_err().status(), Some(404));
    assert_eq!(sim.ctl.recover_meeting(meeting.id).await.unwrap_err().status(), Some(404));

    let bodies: Vec<_> = receiver.wait_events(5).await.iter().map(|e| e.json()).collect();
    let names: Vec<_> = bodies.iter().map(|b| b["event"].as_str().unwrap().to_owned()).collect();
    assert_eq!(
        names,
        ["meeting.created", "meeting.deleted", "meeting.recovered", "meeting.deleted", "meeting.permanently_deleted"]
    );
    let keys = |b: &serde_json::Value| b["payload"]["object"].as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&bodies[2]), keys(&bodies[0]), "recovered has the shape of created");
    assert_eq!(keys(&bodies[4]), keys(&bodies[1]), "permanently_deleted has the shape of deleted");
    for body in &bodies {
        assert_eq!(body["payload"]["object"]["id"], meeting.id);
        assert_eq!(body["payload"]["operator_id"], host.id);
    }
}

/// docs/zoom.md §1.5: `user.deactivated`, `user.activated` and `user.disassociated` need admin
/// scopes, so only account-level (and server-to-server) apps receive them.
#[tokio::test]
async fn user_status_events_reach_account_level_apps_only() {
    use zoom_sim::control::types::Disassociate;
    let sim = TestSim::start();
    let admin_receiver = Receiver::start(SECRET);
    let user_receiver = Receiver::start(SECRET);
    let account = sim.account().await;
    let owner = sim.user(&account.id, Role::Owner).await;
    let member = sim.user(&account.id, Role::Member).await;
    let account_app = hooked_app(&sim, &admin_receiver, AppKind::AccountLevel, None).await;
    let user_app = hooked_app(&sim, &user_receiver, AppKind::UserLevel, None).await;
    let admin_tokens = sim.authorize(&account_app, &owner).await;
    let member_tokens = sim.authorize(&user_app, &member).await;

    let status = |status| UserPatch { status: Some(status), ..Default::default() };
    sim.ctl.update_user(&member.id, &status(UserStatus::Inactive)).await.unwrap();
    sim.ctl.update_user(&member.id, &status(UserStatus::Active)).await.unwrap();
    let moved = sim.ctl.disassociate_user(&member.id, &Disassociate::default()).await.unwrap();
    assert_ne!(moved.account_id, account.id, "the user still exists, in an account of their own");
    assert_eq!(moved.role, Role::Owner);

    let events = admin_receiver.wait_events(3).await;
    let names: Vec<_> = events.iter().map(|e| e.event()).collect();
    assert_eq!(names, ["user.deactivated", "user.activated", "user.disassociated"]);
    for event in &events {
        assert_signed(event);
        let payload = &event.json()["payload"];
        assert_eq!(payload["account_id"], account.id);
        assert_eq!(payload["object"]["id"], member.id);
        assert_eq!(payload["object"]["email"], member.email);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(user_receiver.events().is_empty(), "user-level apps hear none of them");

    // Gone from the old account; their user-level grant ended with the move.
    assert_eq!(sim.get(&admin_tokens.access, &format!("/users/{}", member.id)).await.1["code"], 1001);
    assert_eq!(sim.get(&member_tokens.access, "/users/me").await.0, 401);
    assert!(!sim.ctl.grants(Some(&user_app.client_id), Some(&member.id)).await.unwrap()[0].active);
    // An owner cannot leave; a user can move to a named account.
    assert_eq!(sim.ctl.disassociate_user(&owner.id, &Disassociate::default()).await.unwrap_err().status(), Some(409));
    let back = Disassociate { account_id: Some(account.id.clone()) };
    let other = sim.user(&moved.account_id, Role::Member).await;
    assert_eq!(sim.ctl.disassociate_user(&other.id, &back).await.unwrap().account_id, account.id);
}
