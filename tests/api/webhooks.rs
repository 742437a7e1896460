//! Zoom webhooks keep the meeting-to-credential table current (issue 5): real signed deliveries
//! from zoom-sim, and forged ones for what Zoom would never send.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use zoom_sim::control::types::{AppPatch, MeetingPatch, NewMeeting, Role, UserPatch, UserStatus};

use crate::both_backends;
use crate::helpers::world::Hosted;
use crate::helpers::{World, json};

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn created(meeting_id: u64, host: &str, account: &str, event_ts: i64) -> String {
    json!({"event": "meeting.created", "event_ts": event_ts, "payload": {"account_id": account, "operator": "admin@example.com",
        "operator_id": "someone-else", "object": {"uuid": format!("{meeting_id}=="), "id": meeting_id, "host_id": host,
        "topic": "t", "type": 2, "duration": 30, "join_url": format!("https://zoom.us/j/{meeting_id}?pwd=secretpwd"),
        "password": "123456", "settings": {"use_pmi": false, "alternative_hosts": ""}}}})
    .to_string()
}

fn credentials_of(mappings: &[Value]) -> BTreeSet<String> {
    mappings.iter().map(|m| m["credential"].as_str().unwrap_or_default().to_owned()).collect()
}

both_backends! {
    async fn an_app_speaks_only_for_the_accounts_that_installed_it(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let victim = world.app("user_level", None).await;
        // Another app registered in the same zoomsync (another team's, or a careless one),
        // connected in its own account: its webhook secret signs whatever it likes.
        let other = world.app("user_level", None).await;
        let elsewhere = world.account().await;
        let stranger = world.user(&elsewhere, Role::Member).await;
        world.connect(&other, &stranger.id).await;
        let own = world.connect(&victim, &host.id).await["id"].as_str().unwrap().to_owned();
        let meeting = world.meeting(&host.id).await;
        assert_eq!(credentials_of(&world.wait_for_mappings(meeting.id, 1).await), BTreeSet::from([own.clone()]));
        let (world, other) = (&world, &other);
        let deliver = |body: String| async move { json(world.deliver(&other.id, &other.webhook_secret, now(), &body).await).await };
        // Each with its own event time: Zoom's deduplication key includes it.
        let deleted = |account: &str, ts: i64| json!({"event": "meeting.deleted", "event_ts": ts, "payload": {"account_id": account,
            "operator": "x", "object": {"uuid": "u", "id": meeting.id, "host_id": host.id, "type": 2}}}).to_string();
        let deactivated = |account: &str, ts: i64| json!({"event": "user.deactivated", "event_ts": ts, "payload": {"account_id": account,
            "operator": "x", "object": {"id": host.id, "email": "e@example.com"}}}).to_string();

        // Naming the victim's account, where the other app has no credential: ignored.
        let forged = 83_333_333_333u64;
        let ts = now() * 1000;
        for body in [created(forged, &host.id, &account, ts), deleted(&account, ts), deactivated(&account, ts)] {
            let answer = deliver(body).await;
            assert_eq!(answer["status"], "ignored", "{answer}");
        }
        // Naming its own account, about the victim's meeting and user: nothing of the victim's
        // account changes.
        assert_eq!(deliver(created(forged, &host.id, &elsewhere, ts + 1)).await["status"], "ignored");
        assert_eq!(deliver(deleted(&elsewhere, ts + 1)).await["status"], "applied", "it removes what its account holds: nothing");
        assert_eq!(deliver(deactivated(&elsewhere, ts + 1)).await["status"], "applied");
        assert!(world.mappings(forged).await.is_empty(), "another account's event maps nothing to this one's credentials");
        assert_eq!(credentials_of(&world.mappings(meeting.id).await), BTreeSet::from([own.clone()]));
        let credential = json(world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{own}/")).send().await.unwrap()).await;
        assert_eq!(credential["status"], "healthy", "{credential}");
        // The victim app's own events still act.
        world.sim.delete_meeting(meeting.id).await.unwrap();
        assert!(world.wait_for_mappings(meeting.id, 0).await.is_empty());
    }

    async fn each_event_changes_the_mappings_as_stated(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let admin = world.user(&account, Role::Admin).await;
        let host = world.user(&account, Role::Member).await;
        let other_host = world.user(&account, Role::Member).await;
        let user_app = world.app("user_level", None).await;
        let account_app = world.app("account_level", None).await;
        let account_wide = world.connect(&account_app, &admin.id).await["id"].as_str().unwrap().to_owned();
        let own = world.connect(&user_app, &host.id).await["id"].as_str().unwrap().to_owned();

        // meeting.created: the host's own credential and the account's.
        let meeting = world.meeting(&host.id).await;
        let mapped = world.wait_for_mappings(meeting.id, 2).await;
        assert_eq!(credentials_of(&mapped), BTreeSet::from([own.clone(), account_wide.clone()]));
        assert!(mapped.iter().all(|m| m["source"] == "webhook" && m["host_user_id"] == host.id.as_str()));

        // meeting.updated with a new host: the old host's own credential no longer maps it.
        world.sim.update_meeting(meeting.id, &MeetingPatch { host_id: Some(other_host.id.clone()), ..Default::default() }).await.unwrap();
        let moved = world.wait_for_mappings(meeting.id, 1).await;
        assert_eq!(credentials_of(&moved), BTreeSet::from([account_wide.clone()]));
        assert_eq!(moved[0]["host_user_id"], other_host.id.as_str());

        // meeting.deleted: one occurrence keeps the mapping, the whole meeting removes it.
        let recurring = world
            .sim
            .create_meeting(&NewMeeting { host_id: host.id.clone(), meeting_type: Some(8), occurrences: Some(3), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(world.wait_for_mappings(recurring.id, 2).await.len(), 2);
        world.sim.delete_occurrence(recurring.id, &recurring.occurrences[0].occurrence_id).await.unwrap();
        world.eventually("the occurrence delete", || async {
            world.sim.deliveries(Some(&user_app.client_id), Some("meeting.deleted")).await.unwrap().iter().any(|d| d.attempts.iter().any(|a| a.status == Some(200)))
        }).await;
        assert_eq!(world.mappings(recurring.id).await.len(), 2, "deleting one occurrence keeps the meeting");
        world.sim.delete_meeting(recurring.id).await.unwrap();
        assert_eq!(world.wait_for_mappings(recurring.id, 0).await.len(), 0);

        // user.updated with a new PMI: the new one mapped, the old one gone.
        let old_pmi = host.pmi;
        assert_eq!(world.mappings(old_pmi).await.len(), 2, "connecting mapped the PMI for both credentials");
        let new_pmi = 5_551_234_567;
        world.sim.update_user(&host.id, &UserPatch { pmi: Some(new_pmi), ..Default::default() }).await.unwrap();
        let remapped = world.wait_for_mappings(new_pmi, 2).await;
        assert!(remapped.iter().all(|m| m["source"] == "pmi"));
        assert_eq!(world.mappings(old_pmi).await.len(), 0);
        let pmi_meetings: BTreeSet<i64> = json(world.daemon.admin(Method::GET, &format!("/api/v2/zoom-meetings-to-credentials/?credential={own}")).send().await.unwrap())
            .await["results"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["source"] == "pmi")
            .map(|m| m["meeting_id"].as_i64().unwrap())
            .collect();
        assert_eq!(pmi_meetings, BTreeSet::from([new_pmi as i64]), "exactly one PMI mapping remains for the user");

        // user.deactivated: the user's mappings go and their own credential turns unhealthy.
        let kept = world.meeting(&host.id).await;
        assert_eq!(world.wait_for_mappings(kept.id, 2).await.len(), 2);
        world.sim.update_user(&host.id, &UserPatch { status: Some(UserStatus::Inactive), ..Default::default() }).await.unwrap();
        assert_eq!(world.wait_for_mappings(kept.id, 0).await.len(), 0);
        let credential = json(world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{own}/")).send().await.unwrap()).await;
        assert_eq!(credential["status"], "unhealthy");
        assert!(credential["status_detail"].as_str().unwrap().contains("deactivated"));

        // app_deauthorized: the account's credential is deleted with its mappings.
        let other_meeting = world.meeting(&other_host.id).await;
        assert_eq!(world.wait_for_mappings(other_meeting.id, 1).await.len(), 1);
        let grant = world.sim.grants(Some(&account_app.client_id), None).await.unwrap().into_iter().find(|g| g.active).unwrap();
        world.sim.revoke_grant(&grant.id, true).await.unwrap();
        assert_eq!(world.wait_for_mappings(other_meeting.id, 0).await.len(), 0);
        let gone = world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{account_wide}/")).send().await.unwrap();
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);

        // Events for hosts zoomsync knows nothing of are acknowledged and ignored.
        let stranger = world.deliver(&user_app.id, &user_app.webhook_secret, now(), &created(98_765_432_101, "nobody", "elsewhere", 1)).await;
        assert_eq!(stranger.status(), StatusCode::OK);
        assert_eq!(json(stranger).await["status"], "ignored");
    }

    async fn bad_deliveries_are_refused_and_store_nothing(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        world.connect(&app, &host.id).await;
        let before = world.recorded_events().await;
        let body = created(81_234_567_890, &host.id, &account, chrono::Utc::now().timestamp_millis());
        let url = world.daemon.url(&format!("/api/v2/zoom-oauth-apps/{}/webhook", app.id));
        let ts = now().to_string();
        let signature = zoom_sim::signature::sign_webhook(&app.webhook_secret, &ts, body.as_bytes());
        let send = |headers: Vec<(&'static str, String)>, body: String, url: String| {
            let mut request = world.daemon.client.post(url).body(body);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            request.send()
        };
        let cases: Vec<(&str, StatusCode, reqwest::Response)> = vec![
            ("wrong signature", StatusCode::UNAUTHORIZED,
                world.deliver(&app.id, "not-the-secret", now(), &body).await),
            ("stale timestamp", StatusCode::UNAUTHORIZED,
                world.deliver(&app.id, &app.webhook_secret, now() - 3 * 3600, &body).await),
            ("timestamp ahead", StatusCode::UNAUTHORIZED,
                world.deliver(&app.id, &app.webhook_secret, now() + 600, &body).await),
            ("timestamp in milliseconds", StatusCode::UNAUTHORIZED,
                world.deliver(&app.id, &app.webhook_secret, chrono::Utc::now().timestamp_millis(), &body).await),
            ("no headers", StatusCode::UNAUTHORIZED,
                send(vec![], body.clone(), url.clone()).await.unwrap()),
            ("no signature", StatusCode::UNAUTHORIZED,
                send(vec![("x-zm-request-timestamp", ts.clone())], body.clone(), url.clone()).await.unwrap()),
            ("signature over other bytes", StatusCode::UNAUTHORIZED,
                send(vec![("x-zm-request-timestamp", ts.clone()), ("x-zm-signature", signature.clone())], format!("{body} "), url.clone()).await.unwrap()),
            ("truncated JSON", StatusCode::BAD_REQUEST,
                world.deliver(&app.id, &app.webhook_secret, now(), &body[..body.len() - 3]).await),
            ("a 1 MiB body", StatusCode::PAYLOAD_TOO_LARGE,
                world.deliver(&app.id, &app.webhook_secret, now(), &format!("{{\"event\":\"x\",\"pad\":\"{}\"}}", "a".repeat(1 << 20))).await),
            ("an unknown app", StatusCode::NOT_FOUND,
                world.deliver("00000000-0000-0000-0000-000000000000", &app.webhook_secret, now(), &body).await),
        ];
        for (what, expected, response) in cases {
            assert_eq!(response.status(), expected, "{what}");
            let error = json(response).await;
            assert!(error["error"].is_string() && error["detail"].is_string(), "{what}: {error}");
        }
        assert_eq!(world.recorded_events().await, before, "nothing refused was recorded");
        assert!(world.mappings(81_234_567_890).await.is_empty());
        // The same delivery, signed properly, is accepted.
        let accepted = send(vec![("x-zm-request-timestamp", ts), ("x-zm-signature", signature)], body, url).await.unwrap();
        assert_eq!(accepted.status(), StatusCode::OK);
        assert_eq!(world.mappings(81_234_567_890).await.len(), 1);
    }

    async fn a_delivery_sent_three_times_is_applied_once(backend) {
        let world = World::start(backend).await;
        let Hosted { account, host, app, .. } = world.hosted_meeting().await;
        let delivery = world.sim.deliveries(Some(&app.client_id), Some("meeting.created")).await.unwrap().remove(0);
        let before = world.recorded_events().await;
        // Zoom's retries repeat the same bytes and headers.
        for _ in 0..2 {
            assert_eq!(world.sim.redeliver(delivery.id).await.unwrap().status, Some(200));
        }
        assert_eq!(world.recorded_events().await, before);
        // And forged repeats of one event are answered "duplicate".
        let body = created(81_111_111_111, &host.id, &account, 1_700_000_000_000);
        let statuses: Vec<Value> = {
            let mut statuses = Vec::new();
            for _ in 0..3 {
                statuses.push(json(world.deliver(&app.id, &app.webhook_secret, now(), &body).await).await["status"].clone());
            }
            statuses
        };
        assert_eq!(statuses, [json!("applied"), json!("duplicate"), json!("duplicate")]);
        assert_eq!(world.recorded_events().await, before + 1);
    }

    async fn older_events_never_overwrite_newer_state(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        world.connect(&app, &host.id).await;
        let meeting_id = 82_222_222_222u64;
        let (world, app) = (&world, &app);
        let deliver = |body: String| async move { world.deliver(&app.id, &app.webhook_secret, now(), &body).await };
        assert_eq!(json(deliver(created(meeting_id, &host.id, &account, 1_000)).await).await["status"], "applied");
        let deleted = json!({"event": "meeting.deleted", "event_ts": 3_000, "payload": {"account_id": account, "operator": "x",
            "object": {"uuid": "u", "id": meeting_id, "host_id": host.id, "type": 2}}}).to_string();
        assert_eq!(json(deliver(deleted).await).await["status"], "applied");
        assert!(world.mappings(meeting_id).await.is_empty());
        // A late retry of an older create (new dedupe key: a different event_ts) stays dead.
        let late = json(deliver(created(meeting_id, &host.id, &account, 2_000)).await).await;
        assert_eq!(late["status"], "ignored");
        assert!(world.mappings(meeting_id).await.is_empty());

        // An older user.updated cannot bring back a replaced PMI.
        let user_updated = |pmi: i64, old: i64, ts: i64| json!({"event": "user.updated", "event_ts": ts, "payload": {"account_id": account,
            "object": {"id": host.id, "pmi": pmi.to_string()}, "old_object": {"id": host.id, "pmi": old}}}).to_string();
        assert_eq!(json(deliver(user_updated(5_550_000_002, host.pmi as i64, 10_000)).await).await["status"], "applied");
        assert_eq!(json(deliver(user_updated(5_550_000_001, host.pmi as i64, 9_000)).await).await["status"], "ignored");
        assert_eq!(world.mappings(5_550_000_002).await.len(), 1);
        assert!(world.mappings(5_550_000_001).await.is_empty());
    }

    async fn url_validation_is_answered_and_recorded(backend) {
        let world = World::start(backend).await;
        let app = world.app("user_level", None).await;
        // zoom-sim validated the URL when the subscription was set up.
        let listed = json(world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-apps/{}/", app.id)).send().await.unwrap()).await;
        assert!(listed["webhook_last_validation"].is_string(), "{listed}");
        let validation = world.sim.validate_app(&app.client_id).await.unwrap();
        assert!(validation.ok, "{}", validation.detail);

        let body = r#"{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}"#;
        let answer = world.deliver(&app.id, &app.webhook_secret, now(), body).await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert!(answer.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
        let answer = json(answer).await;
        assert_eq!(answer["plainToken"], "qgg8vlvZRS6UYooatFL8Aw");
        assert_eq!(answer["encryptedToken"], zoom_sim::signature::url_validation_token(&app.webhook_secret, "qgg8vlvZRS6UYooatFL8Aw"));
        let unsigned = world.deliver(&app.id, "wrong", now(), body).await;
        assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED, "the challenge is signed too");
    }

    async fn the_previous_webhook_secret_works_for_a_grace_period(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        world.connect(&app, &host.id).await;
        let rotated = world
            .daemon
            .admin(Method::PATCH, &format!("/api/v2/zoom-oauth-apps/{}/", app.id))
            .json(&json!({"webhook_secret": "the-new-webhook-secret"}))
            .send()
            .await
            .unwrap();
        assert_eq!(rotated.status(), StatusCode::OK);
        let old = world.deliver(&app.id, &app.webhook_secret, now(), &created(83_000_000_001, &host.id, &account, 1)).await;
        assert_eq!(old.status(), StatusCode::OK, "the old secret still works during the grace period");
        let new = world.deliver(&app.id, "the-new-webhook-secret", now(), &created(83_000_000_002, &host.id, &account, 2)).await;
        assert_eq!(new.status(), StatusCode::OK);
        let wrong = world.deliver(&app.id, "neither", now(), &created(83_000_000_003, &host.id, &account, 3)).await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        // Keep zoom-sim's subscription in step, as an admin would.
        world
            .sim
            .update_app(&app.client_id, &AppPatch {
                webhook: Some(zoom_sim::control::types::WebhookPatch { secret_token: Some("the-new-webhook-secret".into()), ..Default::default() }),
                ..Default::default()
            })
            .await
            .unwrap();
    }

    async fn one_bad_event_does_not_sink_its_batch(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        world.connect(&app, &host.id).await;
        // A poison event: the database refuses its mapping (a trigger stands in for any failure
        // of one event's own making).
        let poison = 87_000_000_013u64;
        {
            use diesel::connection::SimpleConnection as _;
            let mut conn = world.db().get().unwrap();
            let sql = match backend {
                crate::helpers::Backend::Sqlite => format!(
                    "CREATE TRIGGER poison BEFORE INSERT ON meeting_mappings WHEN NEW.meeting_id = {poison} \
                     BEGIN SELECT RAISE(ABORT, 'poisoned'); END;"
                ),
                crate::helpers::Backend::Postgres => format!(
                    "CREATE FUNCTION poison() RETURNS trigger AS $$ BEGIN \
                     IF NEW.meeting_id = {poison} THEN RAISE EXCEPTION 'poisoned'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql; \
                     CREATE TRIGGER poison BEFORE INSERT ON meeting_mappings FOR EACH ROW EXECUTE FUNCTION poison();"
                ),
            };
            conn.batch_execute(&sql).unwrap();
        }
        let mut sends = Vec::new();
        for i in 0..32u64 {
            let body = created(87_000_000_000 + i, &host.id, &account, 5_000 + i as i64);
            let (world, app) = (&world, &app);
            sends.push(async move { world.deliver(&app.id, &app.webhook_secret, now(), &body).await });
        }
        let responses = futures_util::future::join_all(sends).await;
        for response in responses {
            assert_eq!(response.status(), StatusCode::OK, "every delivery is acknowledged");
        }
        for i in 0..32u64 {
            let mapped = world.mappings(87_000_000_000 + i).await.len();
            assert_eq!(mapped, usize::from(87_000_000_000 + i != poison), "meeting {i}");
        }
        use diesel::prelude::*;
        use zoomsync::db::schema::webhook_events;
        let mut conn = world.db().get().unwrap();
        let failed: Vec<String> =
            webhook_events::table.filter(webhook_events::status.eq("failed")).select(webhook_events::dedupe_key).load(&mut *conn).unwrap();
        assert_eq!(failed.len(), 1, "the poison event is recorded as failed: {failed:?}");
        assert!(failed[0].contains(&poison.to_string()));
    }

    async fn a_burst_from_32_senders_is_acknowledged_and_fully_applied(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        world.connect(&app, &host.id).await;
        const EVENTS: u64 = 10_000;
        const SENDERS: u64 = 32;
        let base = 84_000_000_000u64;
        let mut senders = Vec::new();
        for sender in 0..SENDERS {
            let (client, url, secret, host, account) = (
                world.daemon.client.clone(),
                world.daemon.url(&format!("/api/v2/zoom-oauth-apps/{}/webhook", app.id)),
                app.webhook_secret.clone(),
                host.id.clone(),
                account.clone(),
            );
            senders.push(tokio::spawn(async move {
                let mut acknowledged = 0;
                for i in (sender..EVENTS).step_by(SENDERS as usize) {
                    let body = created(base + i, &host, &account, 1_000_000 + i as i64);
                    // As Zoom does, a 5xx is retried (here at once, a few times): a starved
                    // machine may miss the answer deadline, never an event.
                    let mut attempts = 0;
                    loop {
                        attempts += 1;
                        let ts = chrono::Utc::now().timestamp().to_string();
                        let signature = zoom_sim::signature::sign_webhook(&secret, &ts, body.as_bytes());
                        let response = client
                            .post(&url)
                            .header("x-zm-request-timestamp", ts)
                            .header("x-zm-signature", signature)
                            .body(body.clone())
                            .send()
                            .await
                            .unwrap();
                        if response.status() == StatusCode::OK {
                            break;
                        }
                        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "only a 503 is worth retrying");
                        assert!(attempts < 5, "event {i} refused {attempts} times");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                    acknowledged += 1;
                }
                acknowledged
            }));
        }
        let mut acknowledged = 0;
        for sender in senders {
            acknowledged += sender.await.unwrap();
        }
        assert_eq!(acknowledged, EVENTS);
        let mapped = json(
            world
                .daemon
                .admin(Method::GET, "/api/v2/zoom-meetings-to-credentials/?page_size=500")
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(mapped["next"].is_string(), "{mapped}");
        let db = zoomsync::db::Db::connect(&zoomsync::db::DbTarget::parse(&world.daemon.db.url).unwrap(), &Default::default()).unwrap();
        let mut conn = db.get().unwrap();
        let missing: Vec<u64> = (0..EVENTS)
            .filter(|i| zoomsync::db::models::mappings::candidates(&mut conn, (base + i) as i64).unwrap().is_empty())
            .collect();
        assert!(missing.is_empty(), "{} acknowledged events have no mapping, e.g. {:?}", missing.len(), &missing[..missing.len().min(5)]);
    }
}
