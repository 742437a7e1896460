//! Outbound events: Standard Webhooks to a product's endpoint over real HTTP (a test receiver),
//! from a durable outbox, with retries, ordering, "send again", and one delivery across replicas.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use zoom_sim::control::types::NewFault;

use crate::both_backends;
use crate::fidelity::{event, now};
use crate::helpers::process::{Daemon, db_env, run_cli};
use crate::helpers::receiver::{Receiver, verify};
use crate::helpers::world::Hosted;
use crate::helpers::{ADMIN_TOKEN, TestApp, TestDb, World, json};

const ENDPOINTS: &str = "/api/v2/webhook-endpoints/";

/// Registers `url` for `events`; returns (id, secret).
async fn register(daemon: &TestApp, url: &str, events: Option<&[&str]>) -> (String, String) {
    let mut body = json!({ "url": url });
    if let Some(events) = events {
        body["events"] = json!(events);
    }
    let response = daemon.admin(Method::POST, ENDPOINTS).json(&body).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let created = json(response).await;
    let secret = created["secret"].as_str().expect("the secret is shown once").to_owned();
    (created["id"].as_str().unwrap().to_owned(), secret)
}

async fn deliveries(daemon: &TestApp, endpoint: &str) -> Vec<Value> {
    let page =
        json(daemon.admin(Method::GET, &format!("{ENDPOINTS}{endpoint}/deliveries/")).send().await.unwrap()).await;
    page["results"].as_array().cloned().unwrap_or_default()
}

fn types(received: &[crate::helpers::receiver::Received]) -> Vec<String> {
    received.iter().map(|r| r.event_type()).collect()
}

const WAIT: Duration = Duration::from_secs(15);

both_backends! {
    async fn a_revoked_grant_sends_one_signed_unhealthy_event_and_a_reconnect_one_reconnected(backend) {
        let world = World::start(backend).await;
        let receiver = Receiver::start().await;
        let (_, secret) = register(&world.daemon, &receiver.url, None).await;
        let Hosted { host, app, credential, meeting, account } = world.hosted_meeting().await;
        let credential = credential["id"].as_str().unwrap().to_owned();
        receiver.until(WAIT, |r| r.len() == 1).await;

        // Revoked at Zoom without a webhook: the next refresh meets invalid_grant.
        let grant = world.sim.grants(Some(&app.client_id), Some(&host.id)).await.unwrap().remove(0);
        world.sim.revoke_grant(&grant.id, false).await.unwrap();
        for _ in 0..3 {
            assert_eq!(world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.status(), StatusCode::NOT_FOUND);
        }
        receiver.until(WAIT, |r| r.len() >= 2).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        world.connect(&app, &host.id).await;
        let received = receiver.until(WAIT, |r| r.len() >= 3).await;
        assert_eq!(
            types(&received),
            ["credential.connected", "credential.unhealthy", "credential.reconnected"],
            "one event per change, however many bots met the unhealthy credential"
        );
        for event in &received {
            assert!(verify(&secret, event), "signed as Standard Webhooks: {:?}", event.headers);
            assert!(!verify("whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", event), "and not under another secret");
            assert!(event.header("webhook-id").starts_with("msg_"));
            assert!(!event.body.contains(&app.client_secret) && !event.body.contains(&app.webhook_secret));
        }
        let unhealthy = received[1].json();
        let data = &unhealthy["data"];
        assert_eq!(data["credential_id"], credential.as_str());
        assert_eq!(data["zoom_user_id"], host.id.as_str());
        assert_eq!(data["account_id"], account.as_str());
        assert_eq!(data["email"], host.email.as_str());
        assert_eq!(data["app"]["id"], app.id.as_str());
        assert_eq!(data["status"], "unhealthy");
        assert_eq!(data["user_must_act"], true);
        assert!(data["status_detail"].as_str().unwrap().contains("invalid_grant"), "{unhealthy}");
        assert_eq!(received[2].json()["data"]["status"], "healthy");
        // The receiver saw no event twice.
        let ids: HashSet<&str> = received.iter().map(|r| r.header("webhook-id")).collect();
        assert_eq!(ids.len(), received.len());
    }

    async fn a_receiver_failing_three_times_gets_the_event_once_it_answers_and_in_order(backend) {
        let world = World::start(backend).await;
        let receiver = Receiver::start().await;
        let (endpoint, secret) = register(&world.daemon, &receiver.url, None).await;
        receiver.answer_next(&[500, 500, 500]);
        let test = format!("{ENDPOINTS}{endpoint}/test/");
        let first = json(world.daemon.admin(Method::POST, &test).send().await.unwrap()).await;
        let second = json(world.daemon.admin(Method::POST, &test).send().await.unwrap()).await;
        let received = receiver.until(WAIT, |r| r.iter().filter(|r| r.status == 200).count() == 2).await;
        let order: Vec<(&str, u16)> = received.iter().map(|r| (r.header("webhook-id"), r.status)).collect();
        let (a, b) = (first["event_id"].as_str().unwrap(), second["event_id"].as_str().unwrap());
        assert_eq!(order, [(a, 500), (a, 500), (a, 500), (a, 200), (b, 200)], "retried, and the second waited for the first");
        assert!(received.iter().all(|r| verify(&secret, r)));

        let shown = deliveries(&world.daemon, &endpoint).await;
        let delivered = shown.iter().find(|d| d["event_id"] == a).unwrap();
        assert_eq!(delivered["status"], "delivered");
        assert_eq!(delivered["attempts"], 4);
        let statuses: Vec<&Value> = delivered["attempt_log"].as_array().unwrap().iter().map(|a| &a["status_code"]).collect();
        assert_eq!(statuses, [&json!(500), &json!(500), &json!(500), &json!(200)]);
        assert_eq!(delivered["last_status_code"], 200);

        // Send again: the same webhook-id, a new delivery.
        let again = world
            .daemon
            .admin(Method::POST, &format!("{ENDPOINTS}{endpoint}/deliveries/{}/resend/", delivered["id"]))
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::ACCEPTED);
        let received = receiver.until(WAIT, |r| r.len() == 6).await;
        assert_eq!(received[5].header("webhook-id"), a);
        let metrics = world.daemon.client.get(world.daemon.url("/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("zoomsync_outbound_event_attempts_total{outcome=\"retry\"} 3"), "{metrics}");
        assert!(metrics.contains("zoomsync_outbound_event_attempts_total{outcome=\"delivered\"} 3"), "{metrics}");
        assert!(metrics.contains("zoomsync_outbound_events_pending 0"), "{metrics}");
        let missing = world.daemon.admin(Method::POST, &format!("{ENDPOINTS}{endpoint}/deliveries/999999/resend/")).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }

    async fn a_redirect_is_not_followed_but_retried_at_the_registered_url(backend) {
        let daemon = TestApp::spawn(backend).await;
        let (receiver, elsewhere) = (Receiver::start().await, Receiver::start().await);
        let (endpoint, _) = register(&daemon, &receiver.url, None).await;
        receiver.redirect_to(&elsewhere.url);
        receiver.answer_next(&[307, 308]);
        daemon.admin(Method::POST, &format!("{ENDPOINTS}{endpoint}/test/")).send().await.unwrap();
        let received = receiver.until(WAIT, |r| r.len() == 3).await;
        assert_eq!(received.iter().map(|r| r.status).collect::<Vec<_>>(), [307, 308, 200]);
        assert!(elsewhere.received().is_empty(), "the event never went where the redirect pointed");
        let shown = deliveries(&daemon, &endpoint).await;
        let log = shown[0]["attempt_log"].as_array().unwrap();
        assert!(log[0]["error"].as_str().unwrap().contains("redirect"), "{log:?}");
    }

    async fn a_delivery_whose_retries_are_used_up_is_given_up_and_the_next_goes(backend) {
        let world = World::start(backend).await;
        let receiver = Receiver::start().await;
        let (endpoint, _) = register(&world.daemon, &receiver.url, None).await;
        // The test schedule retries four times: five answers of 503 exhaust it.
        receiver.answer_next(&[503, 503, 503, 503, 503]);
        let test = format!("{ENDPOINTS}{endpoint}/test/");
        world.daemon.admin(Method::POST, &test).send().await.unwrap();
        world.daemon.admin(Method::POST, &test).send().await.unwrap();
        let received = receiver.until(WAIT, |r| r.len() == 6).await;
        assert_eq!(received.iter().map(|r| r.status).collect::<Vec<_>>(), [503, 503, 503, 503, 503, 200]);
        let shown = deliveries(&world.daemon, &endpoint).await;
        let statuses: BTreeSet<&str> = shown.iter().map(|d| d["status"].as_str().unwrap()).collect();
        assert_eq!(statuses, BTreeSet::from(["delivered", "failed"]));
    }

    async fn deletions_say_why_and_an_endpoint_gets_only_the_types_it_asked_for(backend) {
        let world = World::start(backend).await;
        let receiver = Receiver::start().await;
        register(&world.daemon, &receiver.url, Some(&["credential.deleted"])).await;
        let account = world.account().await;
        let app = world.app("user_level", None).await;
        let mut users = Vec::new();
        for _ in 0..3 {
            let user = world.user(&account, zoom_sim::control::types::Role::Member).await;
            let credential = world.connect(&app, &user.id).await;
            users.push((user, credential["id"].as_str().unwrap().to_owned()));
        }
        // An admin deletes one; one removes the app at Zoom; one is deleted at Zoom.
        let removed = world.daemon.admin(Method::DELETE, &format!("/api/v2/zoom-oauth-credentials/{}/", users[0].1)).send().await.unwrap();
        assert_eq!(removed.status(), StatusCode::NO_CONTENT);
        let grant = world.sim.grants(Some(&app.client_id), Some(&users[1].0.id)).await.unwrap().remove(0);
        world.sim.revoke_grant(&grant.id, true).await.unwrap();
        world.sim.delete_user(&users[2].0.id).await.unwrap();

        receiver.until(WAIT, |r| r.len() >= 3).await;
        // Late duplicates (Zoom's app_deauthorized after the admin's revoke) would come now.
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let received = receiver.received();
        assert!(received.iter().all(|r| r.event_type() == "credential.deleted"), "{:?}", types(&received));
        let why: BTreeSet<(String, String)> = received
            .iter()
            .map(|r| {
                let data = r.json()["data"].clone();
                (data["credential_id"].as_str().unwrap().to_owned(), data["reason"].as_str().unwrap().to_owned())
            })
            .collect();
        // app_deauthorized after an admin's revoke finds the credential gone: still one event each.
        assert_eq!(
            why,
            BTreeSet::from([
                (users[0].1.clone(), "admin".to_owned()),
                (users[1].1.clone(), "zoom_deauthorized".to_owned()),
                (users[2].1.clone(), "zoom_user_deleted".to_owned()),
            ])
        );
        assert_eq!(received.len(), 3);
        let gone = world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{}/", users[2].1)).send().await.unwrap();
        assert_eq!(gone.status(), StatusCode::NOT_FOUND, "a deleted Zoom user's credential goes with them");
    }

    async fn a_deactivated_user_is_unhealthy_without_blame_and_healthy_again_once_activated(backend) {
        let world = World::start(backend).await;
        let receiver = Receiver::start().await;
        register(&world.daemon, &receiver.url, Some(&["credential.unhealthy", "credential.healthy"])).await;
        let Hosted { account, host, app, credential, .. } = world.hosted_meeting().await;
        let t = now() * 1000;
        let user = json!({ "id": host.id });
        for (name, at) in [("user.deactivated", t), ("user.deactivated", t + 1), ("user.activated", t + 1000)] {
            let body = event(name, at, &account, user.clone());
            assert_eq!(world.deliver(&app.id, &app.webhook_secret, now(), &body).await.status(), StatusCode::OK);
            if name == "user.deactivated" {
                receiver.until(WAIT, |r| !r.is_empty()).await;
            }
        }
        let received = receiver.until(WAIT, |r| r.len() >= 2).await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(types(&receiver.received()), ["credential.unhealthy", "credential.healthy"], "a repeated deactivation is no second change");
        let unhealthy = received[0].json();
        assert_eq!(unhealthy["data"]["user_must_act"], false, "a Zoom admin reactivates the user, not the user: {unhealthy}");
        assert_eq!(unhealthy["data"]["credential_id"], credential["id"]);
        assert_eq!(received[1].json()["data"]["status"], "healthy");
    }

    async fn a_refused_client_secret_a_daily_limit_and_a_failed_backfill_are_reported_once_each(backend) {
        let world = World::start(backend).await;
        let receiver = Receiver::start().await;
        register(&world.daemon, &receiver.url, Some(&["app.secret_rejected", "account.daily_limit", "sync.failed"])).await;
        let Hosted { account, app, credential, meeting, .. } = world.hosted_meeting().await;
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
        for _ in 0..2 {
            assert_eq!(world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.status(), StatusCode::NOT_FOUND);
        }
        let received = receiver.until(WAIT, |r| !r.is_empty()).await;
        assert_eq!(received[0].json()["data"]["app"]["id"], app.id.as_str());
        let fixed = world.daemon.admin(Method::PATCH, &format!("/api/v2/zoom-oauth-apps/{}/", app.id)).json(&json!({"client_secret": app.client_secret})).send().await.unwrap();
        assert_eq!(fixed.status(), StatusCode::OK);

        world.sim.add_fault(&NewFault {
            path: "/v2/meetings/".into(),
            count: Some(1),
            status: Some(429),
            body: Some(json!({"code": 429, "message": "You have reached the maximum daily rate limit for this API."})),
            headers: Some(BTreeMap::from([
                ("X-RateLimit-Type".to_owned(), "Daily-limit".to_owned()),
                ("Retry-After".to_owned(), "2".to_owned()),
            ])),
            ..Default::default()
        }).await.unwrap();
        assert_eq!(world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.status(), StatusCode::SERVICE_UNAVAILABLE);

        // A backfill that fails twice in a row is reported once.
        world.sim.add_fault(&NewFault { path: "/v2/users/me/meetings".into(), count: Some(100), status: Some(500), ..Default::default() }).await.unwrap();
        // The limit lifts after Retry-After's 2 s: a cleared event follows the reached one.
        receiver.until(WAIT, |r| r.len() >= 3).await;
        for run in 1..=2 {
            let sync = format!("/api/v2/zoom-oauth-credentials/{id}/sync-meetings/");
            world.daemon.admin(Method::POST, &sync).send().await.unwrap();
            let failures = |logs: &Value| {
                logs["results"].as_array().map_or(0, |lines| {
                    lines.iter().filter(|l| l["message"].as_str().unwrap_or_default().contains("backfill failed")).count()
                })
            };
            world.daemon.eventually_json(&format!("/api/v2/zoom-oauth-credentials/{id}/logs/"), |logs| failures(logs) == run).await;
        }
        let received = receiver.until(Duration::from_secs(20), |r| r.len() >= 4).await;
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(
            types(&receiver.received()),
            ["app.secret_rejected", "account.daily_limit", "account.daily_limit", "sync.failed"],
            "{:?}", receiver.received().iter().map(|r| r.body.clone()).collect::<Vec<_>>()
        );
        let (reached, cleared) = (received[1].json(), received[2].json());
        assert_eq!((reached["data"]["state"].as_str(), cleared["data"]["state"].as_str()), (Some("reached"), Some("cleared")));
        assert_eq!(reached["data"]["account_id"], account.as_str());
        assert_eq!(received[3].json()["data"]["credential_id"], id.as_str());
        assert!(received[3].json()["data"]["error"].as_str().is_some());
    }

    async fn endpoints_refuse_internal_addresses_unless_allowed_and_bad_input(backend) {
        let strict = TestApp::spawn_with(backend, |config| config.webhooks_out.allow_private_addresses = false).await;
        for url in ["http://127.0.0.1:9/x", "http://localhost:8080/", "http://10.0.0.1/", "http://169.254.169.254/", "http://[::1]/"] {
            let response = strict.admin(Method::POST, ENDPOINTS).json(&json!({ "url": url })).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{url}");
            let body = json(response).await;
            assert!(body["detail"].as_str().unwrap().contains("allow_private_addresses"), "{body}");
        }
        let public = strict.admin(Method::POST, ENDPOINTS).json(&json!({ "url": "https://hooks.example.com/zoomsync" })).send().await.unwrap();
        assert_eq!(public.status(), StatusCode::CREATED);
        for body in [
            json!({ "url": "ftp://example.com/" }),
            json!({ "url": "https://user:pw@example.com/" }),
            json!({ "url": "https://example.com/", "events": ["credential.exploded"] }),
            json!({ "url": "https://example.com/", "events": [] }),
            json!({}),
            json!({ "url": "https://example.com/", "colour": "red" }),
        ] {
            let response = strict.admin(Method::POST, ENDPOINTS).json(&body).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        }
        let allowed = TestApp::spawn(backend).await;
        let response = allowed.admin(Method::POST, ENDPOINTS).json(&json!({ "url": "http://127.0.0.1:9/x" })).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "the tests allow private addresses");
        // The secret is shown once, never again.
        let listed = json(allowed.admin(Method::GET, ENDPOINTS).send().await.unwrap()).await;
        assert!(listed["results"][0].get("secret").is_none(), "{listed}");
        assert!(!listed.to_string().contains("whsec_"));
    }

    async fn two_replicas_deliver_each_event_once(backend) {
        let db = TestDb::new(backend);
        let first = TestApp::spawn_on(db.shared(), |_| {}).await;
        let second = TestApp::spawn_on(db.shared(), |_| {}).await;
        let receiver = Receiver::start().await;
        let (endpoint, _) = register(&first, &receiver.url, None).await;
        let mut ids = HashSet::new();
        for n in 0..20 {
            let replica = if n % 2 == 0 { &first } else { &second };
            let queued = json(replica.admin(Method::POST, &format!("{ENDPOINTS}{endpoint}/test/")).send().await.unwrap()).await;
            ids.insert(queued["event_id"].as_str().unwrap().to_owned());
        }
        receiver.until(WAIT, |r| r.len() >= 20).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let received = receiver.received();
        let got: Vec<String> = received.iter().map(|r| r.header("webhook-id").to_owned()).collect();
        assert_eq!(got.len(), 20, "each event once: {got:?}");
        assert_eq!(got.into_iter().collect::<HashSet<_>>(), ids);
        drop(db);
    }

    async fn an_event_committed_before_a_kill_9_is_delivered_after_the_restart(backend) {
        let db = TestDb::new(backend);
        let receiver = Receiver::start().await;
        let mut env = db_env(&db);
        env.extend([
            ("ZOOMSYNC__WEBHOOKS_OUT__ALLOW_PRIVATE_ADDRESSES".to_owned(), "true".to_owned()),
            ("ZOOMSYNC__WEBHOOKS_OUT__RETRY_SCHEDULE".to_owned(), "100ms ".repeat(200)),
            ("ZOOMSYNC__WEBHOOKS_OUT__TIMEOUT_SECONDS".to_owned(), "2".to_owned()),
        ]);
        let mut process = Daemon::start(db.dir.path(), "before-kill", &env);
        assert!(process.wait_ready(Duration::from_secs(30)).await, "{}", process.stderr());
        let client = reqwest::Client::new();
        let created: Value = client
            .post(format!("{}{ENDPOINTS}", process.address))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({ "url": receiver.url }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        // The receiver is failing when the event commits: it is still pending at the kill.
        receiver.answer_next(&[503; 10_000]);
        let queued: Value = client
            .post(format!("{}{ENDPOINTS}{}/test/", process.address, created["id"].as_str().unwrap()))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        receiver.until(WAIT, |r| !r.is_empty()).await;
        process.kill9();
        let refused = receiver.received().len();
        assert!(refused >= 1);
        // From now on the receiver takes events.
        receiver.clear_answers();
        let mut restarted = Daemon::start(db.dir.path(), "after-kill", &env);
        assert!(restarted.wait_ready(Duration::from_secs(30)).await, "{}", restarted.stderr());
        receiver.until(Duration::from_secs(30), |r| r.iter().any(|r| r.status == 200)).await;
        let taken = receiver.taken();
        assert_eq!(taken.len(), 1, "{}", restarted.stderr());
        assert_eq!(taken[0].header("webhook-id"), queued["event_id"].as_str().unwrap());
        restarted.terminate();
    }

    async fn the_cli_adds_lists_and_shows_deliveries(backend) {
        let db = TestDb::new(backend);
        let env = db_env(&db);
        let added = run_cli(db.dir.path(), &env, &["webhook-endpoint", "add", "http://127.0.0.1:9/x", "--events", "credential.unhealthy,credential.deleted", "--json"]);
        // The CLI refuses loopback like the API unless allowed.
        assert!(!added.status.success());
        let mut env = env;
        env.push(("ZOOMSYNC__WEBHOOKS_OUT__ALLOW_PRIVATE_ADDRESSES".into(), "true".into()));
        let added = run_cli(db.dir.path(), &env, &["webhook-endpoint", "add", "http://127.0.0.1:9/x", "--events", "credential.unhealthy,credential.deleted", "--json"]);
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
        let shown: Value = serde_json::from_slice(&added.stdout).unwrap();
        assert!(shown["secret"].as_str().unwrap().starts_with("whsec_"));
        assert_eq!(shown["events"], json!(["credential.deleted", "credential.unhealthy"]));
        let id = shown["id"].as_str().unwrap();
        let listed = run_cli(db.dir.path(), &env, &["webhook-endpoint", "list"]);
        let text = String::from_utf8_lossy(&listed.stdout);
        assert!(text.contains(id) && !text.contains("whsec_"), "{text}");
        let test = run_cli(db.dir.path(), &env, &["webhook-endpoint", "test", id]);
        assert!(test.status.success(), "{}", String::from_utf8_lossy(&test.stderr));
        let shown = run_cli(db.dir.path(), &env, &["webhook-endpoint", "deliveries", id, "--json"]);
        let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
        assert_eq!(shown[0]["event_type"], "webhook.test");
        assert_eq!(shown[0]["status"], "pending", "no daemon runs: it waits in the outbox");
    }
}
