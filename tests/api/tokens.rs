//! Just-in-time tokens for bots (issue 6): one refresh however many bots ask, unhealthy only
//! when Zoom means it, and every outcome of docs/http.md's table.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use zoom_sim::control::types::{NewFault, Role};

use crate::both_backends;
use crate::helpers::world::Hosted;
use crate::helpers::world::sim_options;
use crate::helpers::{World, contains_secret, json, logs};

/// A world with one connected host and one mapped meeting.
async fn host_with_meeting(world: &World) -> (String, u64, String) {
    let Hosted { app, credential, meeting, .. } = world.hosted_meeting().await;
    let credential = credential["id"].as_str().unwrap().to_owned();
    (credential, meeting.id, app.client_id)
}

async fn storm(world: &World, meeting_id: u64, requests: usize) -> Vec<StatusCode> {
    let mut tasks = Vec::new();
    for _ in 0..requests {
        let url = world
            .daemon
            .url(&format!("/zoom/join-token?secret={}&meeting_id={meeting_id}", crate::helpers::app::BOT_SECRET));
        let client = world.daemon.client.clone();
        tasks.push(tokio::spawn(async move { client.get(url).send().await.unwrap().status() }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

both_backends! {
    async fn two_hundred_bots_cause_exactly_one_refresh(backend) {
        // Without a client-side rate budget: this is about refreshes, not pacing.
        let world = World::start_with(backend, sim_options(), |c| c.zoom.plan_limits = "none".into()).await;
        let (_, meeting_id, _) = host_with_meeting(&world).await;
        // Cold: a restarted daemon whose stored token has expired.
        let world = world.restart_daemon(|c| c.zoom.plan_limits = "none".into()).await;
        world.expire_access_tokens(true).await;
        world.sim.reset_counters().await.unwrap();
        let statuses = storm(&world, meeting_id, 200).await;
        assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
        let counters = world.sim.counters().await.unwrap();
        assert_eq!(counters.oauth.refresh, 1, "one refresh for 200 bots");
        assert_eq!(counters.oauth.invalid_grant, 0);
        assert_eq!(counters.mints.join_local_recording, 200);

        // Warm: the daemon holds a token it believes valid, but Zoom's clock says it expired.
        world.expire_access_tokens(false).await;
        world.sim.reset_counters().await.unwrap();
        let statuses = storm(&world, meeting_id, 200).await;
        assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
        let counters = world.sim.counters().await.unwrap();
        assert_eq!(counters.oauth.refresh, 1, "a token Zoom rejects is refreshed once, not once per bot");
        assert_eq!(counters.oauth.invalid_grant, 0);
    }

    async fn in_steady_state_a_token_costs_one_zoom_call(backend) {
        let world = World::start(backend).await;
        let (_, meeting_id, _) = host_with_meeting(&world).await;
        world.sim.reset_counters().await.unwrap();
        for _ in 0..20 {
            assert_eq!(world.bot("join-token", &format!("meeting_id={meeting_id}")).await.status(), StatusCode::OK);
        }
        let counters = world.sim.counters().await.unwrap();
        let calls: u64 = counters.requests.values().flat_map(|by_status| by_status.values()).sum();
        assert_eq!(calls, 20, "one Zoom call per token: {:?}", counters.requests);
    }

    async fn bots_beyond_the_accounts_rate_budget_wait_their_turn(backend) {
        // zoom-sim enforces Pro limits (Light: 30/s); zoomsync keeps inside them (its default plan).
        let world = World::start_with(backend, zoom_sim::SimOptions { rate_limits: true, ..sim_options() }, |_| {}).await;
        let (_, meeting_id, _) = host_with_meeting(&world).await;
        // Connecting read /users/me before the account was known, outside the budget: let that
        // second pass. (A restarted daemon likewise cannot know its predecessor's last second.)
        tokio::time::sleep(Duration::from_millis(1100)).await;
        world.sim.reset_counters().await.unwrap();
        let started = Instant::now();
        let statuses = storm(&world, meeting_id, 75).await;
        let elapsed = started.elapsed();
        assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
        let counters = world.sim.counters().await.unwrap();
        assert_eq!(counters.rate_limited, 0, "no call spent on a 429");
        assert_eq!(counters.mints.join_local_recording, 75);
        // 75 calls at 30 per second need at least two full windows.
        assert!(elapsed >= Duration::from_secs(2), "{elapsed:?}");

        // A bot that would wait longer than tokens.max_queue_seconds gets 503 and Retry-After.
        let world = world.restart_daemon(|c| c.tokens.max_queue_seconds = 0).await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        let statuses = storm(&world, meeting_id, 60).await;
        let refused = statuses.iter().filter(|s| **s == StatusCode::SERVICE_UNAVAILABLE).count();
        assert!(refused >= 25, "the budget's overflow is refused at once: {statuses:?}");
        assert_eq!(world.sim.counters().await.unwrap().rate_limited, 0);
    }

    async fn a_credential_granted_only_the_zak_scope_gets_its_own_zak(backend) {
        // ATT's scope set for local recording: a ZAK scope, but none that /users/{id}/token takes.
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let scopes =
            ["meeting:read:local_recording_token", "user:read:zak", "meeting:read:list_meetings", "user:read:user"];
        let app = world.app_with_scopes("user_level", None, Some(&scopes)).await;
        world.connect(&app, &host.id).await;
        let meeting = world.meeting(&host.id).await;
        assert_eq!(world.wait_for_mappings(meeting.id, 1).await.len(), 1);
        world.sim.reset_counters().await.unwrap();

        let zak = world.bot("zak", &format!("meeting_id={}", meeting.id)).await;
        assert_eq!(zak.status(), StatusCode::OK);
        let minted = world.sim.token(&zak.text().await.unwrap()).await.unwrap();
        assert_eq!(minted.user_id.as_deref(), Some(host.id.as_str()), "the host's own ZAK");
        let requests = world.sim.counters().await.unwrap().requests;
        assert_eq!(requests["GET /v2/users/me/zak"].values().sum::<u64>(), 1);
        assert!(!requests.contains_key("GET /v2/users/{userId}/token"), "{requests:?}");

        // An OBF token needs the scope it lacks: refused, and the reason names it.
        let obf = world.bot("obf-token", &format!("meeting_id={}", meeting.id)).await;
        assert_eq!(obf.status(), StatusCode::NOT_FOUND);
        assert!(obf.text().await.unwrap().contains("user:read:token"));
    }

    async fn revoked_at_zoom_turns_unhealthy_then_reconnect_heals(backend) {
        let world = World::start(backend).await;
        let Hosted { host, app, credential, meeting, .. } = world.hosted_meeting().await;
        let credential = credential["id"].as_str().unwrap().to_owned();
        // Revoked at Zoom without the webhook (as if it were lost): tokens simply stop working.
        let grant = world.sim.grants(Some(&app.client_id), Some(&host.id)).await.unwrap().remove(0);
        world.sim.revoke_grant(&grant.id, false).await.unwrap();

        let refused = world.bot("join-token", &format!("meeting_id={}", meeting.id)).await;
        assert_eq!(refused.status(), StatusCode::NOT_FOUND);
        let shown = json(world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{credential}/")).send().await.unwrap()).await;
        assert_eq!(shown["status"], "unhealthy");
        assert!(shown["status_detail"].as_str().unwrap().contains("invalid_grant"), "{shown}");
        let unhealthy = json(world.daemon.admin(Method::GET, "/api/v2/zoom-oauth-credentials/?status=unhealthy").send().await.unwrap()).await;
        assert_eq!(unhealthy["results"].as_array().unwrap().len(), 1);

        let reconnected = world.connect(&app, &host.id).await;
        assert_eq!(reconnected["id"], credential.as_str(), "a reconnect keeps the credential's id");
        assert_eq!(reconnected["status"], "healthy");
        assert_eq!(world.mappings(meeting.id).await.len(), 1, "and its mappings");
        assert_eq!(world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.status(), StatusCode::OK);
    }

    async fn every_outcome_has_its_status(backend) {
        let world = World::start(backend).await;
        let (_, meeting_id, _) = host_with_meeting(&world).await;
        let cases = [
            ("join-token", format!("meeting_id={meeting_id}&secret=wrong"), StatusCode::UNAUTHORIZED),
            ("join-token", "meeting_id=12ab".to_owned(), StatusCode::BAD_REQUEST),
            ("join-token", String::new(), StatusCode::BAD_REQUEST),
            ("join-token", "meeting_url=https%3A%2F%2Fzoom.us.example.com%2Fj%2F85746065123".to_owned(), StatusCode::BAD_REQUEST),
            ("join-token", "meeting_url=https%3A%2F%2Fexample.com%2Fj%2F85746065123".to_owned(), StatusCode::BAD_REQUEST),
            ("join-token", format!("meeting_id={meeting_id}&bypass_waiting_room=maybe"), StatusCode::BAD_REQUEST),
            ("join-token", "meeting_id=99999999999".to_owned(), StatusCode::NOT_FOUND),
            ("obf-token", "meeting_id=99999999999".to_owned(), StatusCode::NOT_FOUND),
            ("zak", "credential=nope".to_owned(), StatusCode::NOT_FOUND),
            ("join-token", format!("meeting_id={}", meeting_id.to_string().chars().collect::<Vec<_>>().chunks(3).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join("-")), StatusCode::OK),
        ];
        for (path, query, expected) in cases {
            let response = if query.contains("secret=") {
                world.daemon.client.get(world.daemon.url(&format!("/zoom/{path}?{query}"))).send().await.unwrap()
            } else {
                world.bot(path, &query).await
            };
            assert_eq!(response.status(), expected, "{path}?{query}");
            assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
            let body = response.text().await.unwrap();
            assert!(!body.is_empty() && !body.contains('{'), "{path}?{query}: {body:?}");
        }
        let missing_secret = world.daemon.client.get(world.daemon.url(&format!("/zoom/zak?meeting_id={meeting_id}"))).send().await.unwrap();
        assert_eq!(missing_secret.status(), StatusCode::UNAUTHORIZED);
    }

    async fn transient_zoom_failures_are_retried_or_answered_503(backend) {
        let world = World::start(backend).await;
        let (credential, meeting_id, _) = host_with_meeting(&world).await;
        // Zoom answering 500 twice, then normally: the bot still gets its token.
        world
            .sim
            .add_fault(&NewFault { path: "/v2/meetings/".into(), count: Some(2), status: Some(500), ..Default::default() })
            .await
            .unwrap();
        let response = world.bot("join-token", &format!("meeting_id={meeting_id}")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(world.sim.faults().await.unwrap().iter().all(|f| f.remaining == 0));
        // A dropped connection is retried too.
        world
            .sim
            .add_fault(&NewFault { path: "/v2/meetings/".into(), count: Some(1), drop: Some(true), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(world.bot("join-token", &format!("meeting_id={meeting_id}")).await.status(), StatusCode::OK);
        // A Zoom refusal that no credential can avoid is a 404, never a 5xx.
        world
            .sim
            .add_fault(&NewFault {
                path: "/v2/meetings/".into(),
                count: Some(1),
                status: Some(400),
                body: Some(serde_json::json!({"code": 3000, "message": "Not allowed to start local recording for this meeting."})),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(world.bot("join-token", &format!("meeting_id={meeting_id}")).await.status(), StatusCode::NOT_FOUND);
        // Zoom down, just when the token needs a refresh: 503 with Retry-After, within the 15 s
        // bound, and the credential stays healthy (Zoom being down is not its fault).
        world.expire_access_tokens(true).await;
        let world = world.restart_daemon(|_| {}).await;
        let World { daemon, sim: _, zoom } = world;
        zoom.stop();
        let started = Instant::now();
        let response = daemon.client.get(daemon.url(&format!("/zoom/join-token?secret={}&meeting_id={meeting_id}", crate::helpers::app::BOT_SECRET))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key("retry-after"));
        assert!(started.elapsed() < Duration::from_secs(15));
        let credential = json(daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{credential}/")).send().await.unwrap()).await;
        assert_eq!(credential["status"], "healthy", "{credential}");
    }

    async fn no_token_or_secret_is_ever_logged(backend) {
        let world = World::start(backend).await;
        let (credential, meeting_id, _) = host_with_meeting(&world).await;
        let mut tokens = Vec::new();
        for kind in ["join-token", "obf-token", "zak"] {
            let response = world.bot(kind, &format!("meeting_id={meeting_id}")).await;
            assert_eq!(response.status(), StatusCode::OK);
            tokens.push(response.text().await.unwrap());
        }
        let access = json(world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{credential}/access-token/")).send().await.unwrap()).await;
        let expires_at = chrono::DateTime::parse_from_rfc3339(access["expires_at"].as_str().unwrap()).unwrap();
        assert!(expires_at.with_timezone(&chrono::Utc) - chrono::Utc::now() >= chrono::Duration::seconds(120));
        tokens.push(access["token"].as_str().unwrap().to_owned());
        // A refresh, so a refresh token has passed through too.
        world.expire_access_tokens(false).await;
        assert_eq!(world.bot("join-token", &format!("meeting_id={meeting_id}")).await.status(), StatusCode::OK);
        let logs = logs::captured();
        assert!(!logs.is_empty());
        for token in &tokens {
            assert!(!contains_secret(&logs, token), "a token was logged");
        }
        for secret in [crate::helpers::app::BOT_SECRET, crate::helpers::ADMIN_TOKEN] {
            assert!(!contains_secret(&logs, secret), "a secret was logged");
        }
        assert!(!contains_secret(&world.daemon.db.dump(), &tokens[3]), "the access token is stored encrypted");
    }
}

mod extras {
    use reqwest::{Method, StatusCode};
    use zoom_sim::control::types::{NewUser, Role};

    use crate::both_backends;
    use crate::helpers::World;
    use crate::helpers::app::BOT_SECRET;
    use crate::helpers::process::{db_env, run_cli, zoom_env};
    use crate::helpers::world::sim_options;

    both_backends! {
        async fn personal_links_resolve_through_vanity_names(backend) {
            let world = World::start(backend).await;
            let account = world.account().await;
            let host = world
                .sim
                .create_user(&NewUser { account_id: account.clone(), vanity_name: Some("Jane.Doe".into()), ..NewUser::default() })
                .await
                .unwrap();
            let app = world.app("user_level", None).await;
            world.connect(&app, &host.id).await;
            let response = world.bot("join-token", "meeting_url=https%3A%2F%2Facme.zoom.us%2Fmy%2Fjane.doe").await;
            assert_eq!(response.status(), StatusCode::OK);
            let minted = world.sim.token(&response.text().await.unwrap()).await.unwrap();
            assert_eq!(minted.meeting_id, Some(host.pmi), "the personal link is the user's PMI");
            let unknown = world.bot("join-token", "meeting_url=https%3A%2F%2Fzoom.us%2Fmy%2Fnobody").await;
            assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        }

        async fn with_a_recall_secret_bot_requests_must_be_signed(backend) {
            const SECRET: &str = "whsec_cmVjYWxsLXRlc3Qta2V5LTAxMjM0NTY3ODlhYmNkZWY=";
            let world = World::start_with(backend, sim_options(), |c| c.security.recall_verification_secret = Some(SECRET.into())).await;
            let account = world.account().await;
            let host = world.user(&account, Role::Member).await;
            let app = world.app("user_level", None).await;
            world.connect(&app, &host.id).await;
            let url = world.daemon.url(&format!("/zoom/join-token?secret={BOT_SECRET}&meeting_id={}", host.pmi));
            let unsigned = world.daemon.client.get(&url).send().await.unwrap();
            assert_eq!(unsigned.status(), StatusCode::UNAUTHORIZED);
            let key = zoomsync::recall::VerificationKey::parse(SECRET).unwrap();
            let timestamp = chrono::Utc::now().timestamp().to_string();
            let signature = key.sign("msg_1", &timestamp, b"");
            // Recall's headers, `webhook-*` or the older `svix-*`, with an id, a timestamp and
            // signatures.
            let get = |prefix: &'static str, id: &'static str, signatures: String| {
                world
                    .daemon
                    .client
                    .get(&url)
                    .header(format!("{prefix}-id"), id)
                    .header(format!("{prefix}-timestamp"), &timestamp)
                    .header(format!("{prefix}-signature"), signatures)
                    .send()
            };
            let signed = get("webhook", "msg_1", format!("v1,AAAA {signature}")).await.unwrap();
            assert_eq!(signed.status(), StatusCode::OK);
            let svix = get("svix", "msg_1", signature.clone()).await.unwrap();
            assert_eq!(svix.status(), StatusCode::OK, "the older svix-* header names work too");
            let forged = get("webhook", "msg_2", signature.clone()).await.unwrap();
            assert_eq!(forged.status(), StatusCode::UNAUTHORIZED, "a signature for another message");
        }

        async fn the_credential_log_tells_what_happened_without_tokens(backend) {
            let world = World::start(backend).await;
            let account = world.account().await;
            let host = world.user(&account, Role::Member).await;
            let app = world.app("user_level", None).await;
            let credential = world.connect(&app, &host.id).await["id"].as_str().unwrap().to_owned();
            let token = world.bot("join-token", &format!("meeting_id={}", host.pmi)).await.text().await.unwrap();
            world.bot("join-token", "meeting_id=99999999999").await;
            let path = format!("/api/v2/zoom-oauth-credentials/{credential}/logs/");
            let lines = world
                .daemon
                .eventually_json(&path, |page| page["results"][0]["message"].as_str().is_some_and(|m| m.starts_with("minted")))
                .await;
            let messages: Vec<&str> = lines["results"].as_array().unwrap().iter().map(|l| l["message"].as_str().unwrap()).collect();
            assert!(messages[0].starts_with(&format!("minted join token for meeting {}", host.pmi)), "{messages:?}");
            assert!(messages.last().unwrap().starts_with("connected"), "{messages:?}");
            assert!(!lines.to_string().contains(&token));
            let missing = world.daemon.admin(Method::GET, "/api/v2/zoom-oauth-credentials/nope/logs/").send().await.unwrap();
            assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        }

        async fn the_cli_mints_and_explains(backend) {
            let world = World::start(backend).await;
            let account = world.account().await;
            let admin = world.user(&account, Role::Admin).await;
            let host = world.user(&account, Role::Member).await;
            let account_app = world.app("account_level", None).await;
            let user_app = world.app("user_level", None).await;
            world.connect(&account_app, &admin.id).await;
            let own = world.connect(&user_app, &host.id).await["id"].as_str().unwrap().to_owned();
            let mut env = db_env(&world.daemon.db);
            env.extend(zoom_env(&world.zoom));
            let dir = world.daemon.db.dir.path();

            let minted = run_cli(dir, &env, &["token", "join", &host.pmi.to_string()]);
            assert!(minted.status.success(), "{}", String::from_utf8_lossy(&minted.stderr));
            let token = String::from_utf8(minted.stdout).unwrap();
            let record = world.sim.token(token.trim()).await.unwrap();
            assert_eq!(record.user_id.as_deref(), Some(host.id.as_str()));
            assert!(!String::from_utf8_lossy(&minted.stderr).contains(token.trim()), "the token goes to stdout only");

            let explained = run_cli(dir, &env, &["explain", &format!("https://zoom.us/j/{}", host.pmi), "--json"]);
            assert!(explained.status.success());
            let explained: serde_json::Value = serde_json::from_slice(&explained.stdout).unwrap();
            let candidates = explained["candidates"].as_array().unwrap();
            assert_eq!(candidates.len(), 2);
            assert_eq!(candidates[0]["credential"], own.as_str(), "the host's own credential first");
            assert!(candidates[0]["reason"].as_str().unwrap().starts_with("tried first"));
            assert!(candidates[1]["reason"].as_str().unwrap().starts_with("fallback"));

            let nothing = run_cli(dir, &env, &["token", "join", "99999999999"]);
            assert_eq!(nothing.status.code(), Some(3));
            // Zoom where nothing listens: exit 5, and the message names the address tried.
            let closed = crate::helpers::process::free_port();
            let mut unreachable = env.clone();
            unreachable.push(("ZOOMSYNC__ZOOM__API_BASE_URL".into(), format!("http://127.0.0.1:{closed}/v2")));
            unreachable.push(("ZOOMSYNC__ZOOM__OAUTH_BASE_URL".into(), format!("http://127.0.0.1:{closed}")));
            let down = run_cli(dir, &unreachable, &["token", "join", &host.pmi.to_string()]);
            let said = String::from_utf8_lossy(&down.stderr).into_owned();
            assert_eq!(down.status.code(), Some(5), "{said}");
            assert!(said.contains(&format!("http://127.0.0.1:{closed}/")), "the CLI names the Zoom URL it could not reach: {said}");
            let bad = run_cli(dir, &env, &["token", "join", "12ab"]);
            assert_eq!(bad.status.code(), Some(2));
            let table = run_cli(dir, &env, &["explain", &host.pmi.to_string()]);
            assert!(String::from_utf8_lossy(&table.stdout).contains("tried first"));
            let listed = run_cli(dir, &env, &["credential", "list", "--json"]);
            assert_eq!(serde_json::from_slice::<serde_json::Value>(&listed.stdout).unwrap().as_array().unwrap().len(), 2);
        }
    }
}

/// Marks credential `id` unhealthy through a write of this (the test's) process.
async fn mark_unhealthy(world: &World, id: &str) {
    mark_unhealthy_through(&world.db(), id).await;
}

/// [`mark_unhealthy`] through `db`: `Db::unrelated_to_resolution` makes it a change nobody
/// announces, as one made outside zoomsync would be.
async fn mark_unhealthy_through(db: &zoomsync::db::Db, id: &str) {
    let id = id.to_owned();
    db.write(move |conn| {
        zoomsync::db::models::credentials::mark_unhealthy(conn, &id, "revoked in a test", zoomsync::time::now())
    })
    .await
    .unwrap();
}

both_backends! {
    // Resolutions are remembered for a moment, but a write in the same process ends that at once:
    // the next bot sees the change.
    async fn a_change_written_in_this_process_is_seen_by_the_next_bot_at_once(backend) {
        let world = World::start(backend).await;
        let (credential, meeting_id, _) = host_with_meeting(&world).await;
        let query = format!("meeting_id={meeting_id}");
        assert_eq!(world.bot("join-token", &query).await.status(), StatusCode::OK);
        mark_unhealthy(&world, &credential).await;
        let answer = world.bot("join-token", &query).await;
        assert_eq!(answer.status(), StatusCode::NOT_FOUND, "{}", answer.text().await.unwrap());
    }
}

/// A world on `backend` with one connected host and its meeting, a second daemon process on its
/// database with `env` added (ready), and that process's join-token URL for the meeting.
/// Bind `replica` (`_kept`, not `..`): dropped, it stops the process.
struct WithReplica {
    world: World,
    credential: String,
    replica: crate::helpers::process::Daemon,
    url: String,
}

async fn with_replica(backend: crate::helpers::Backend, name: &str, env: &[(&str, &str)]) -> WithReplica {
    use crate::helpers::process::{Daemon, db_env, zoom_env};
    let world = World::start(backend).await;
    let (credential, meeting_id, _) = host_with_meeting(&world).await;
    let mut all = db_env(&world.daemon.db);
    all.extend(zoom_env(&world.zoom));
    all.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    let mut replica = Daemon::start(world.daemon.db.dir.path(), name, &all);
    assert!(replica.wait_ready(Duration::from_secs(30)).await, "{}", replica.stderr());
    let url = format!(
        "{}/zoom/join-token?secret={}&meeting_id={meeting_id}",
        replica.address,
        crate::helpers::app::BOT_SECRET
    );
    WithReplica { world, credential, replica, url }
}

/// How long until `url` answers `status`, asking every 20 ms for at most `limit`.
async fn until_status(url: &str, status: StatusCode, limit: Duration) -> Option<Duration> {
    let (client, started) = (reqwest::Client::new(), Instant::now());
    while started.elapsed() < limit {
        if client.get(url).send().await.unwrap().status() == status {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

both_backends! {
    // Another process's write (a replica's, the CLI's) is heard at its commit: the daemon forgets
    // what it remembered, though its time limit is a minute (the default while it listens).
    async fn another_process_change_is_heard_at_once(backend) {
        let WithReplica { world, credential, replica, url } = with_replica(backend, "listening", &[]).await;
        assert_eq!(reqwest::get(&url).await.unwrap().status(), StatusCode::OK);
        mark_unhealthy(&world, &credential).await;
        let seen = until_status(&url, StatusCode::NOT_FOUND, Duration::from_secs(5)).await;
        assert!(seen.is_some_and(|d| d < Duration::from_secs(1)), "seen after {seen:?}\n{}", replica.stderr());
    }

    // A change nobody announced (made outside zoomsync) is still seen within
    // `tokens.resolution_cache_notified_ms`, and not before: the daemon hears nothing of it.
    async fn an_unannounced_change_is_seen_within_the_notified_time(backend) {
        let limit = [("ZOOMSYNC__TOKENS__RESOLUTION_CACHE_NOTIFIED_MS", "3000")];
        let WithReplica { world, credential, url, replica: _kept } = with_replica(backend, "unannounced", &limit).await;
        // Past the short limit (2 s), so that only the listening one keeps the entry.
        assert_eq!(reqwest::get(&url).await.unwrap().status(), StatusCode::OK);
        let changed = Instant::now();
        mark_unhealthy_through(&world.db().unrelated_to_resolution(), &credential).await;
        tokio::time::sleep(Duration::from_millis(2200)).await;
        let remembered = reqwest::get(&url).await.unwrap().status();
        if changed.elapsed() < Duration::from_millis(2800) {
            assert_eq!(remembered, StatusCode::OK, "nothing announced it: still what was read");
        }
        let seen = until_status(&url, StatusCode::NOT_FOUND, Duration::from_secs(5)).await;
        assert!(seen.is_some(), "seen within the notified time");
    }
}

// PostgreSQL: a change committed while the replica's watch had lost its connection goes
// unheard, but once the watch listens again (a second later) it ends every entry: with both time
// limits far off, only that can make the replica see it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_a_change_made_while_the_watch_was_away_is_not_missed() {
    let limits = [
        ("ZOOMSYNC__TOKENS__RESOLUTION_CACHE_MS", "30000"),
        ("ZOOMSYNC__TOKENS__RESOLUTION_CACHE_NOTIFIED_MS", "60000"),
    ];
    let WithReplica { world, credential, replica, url } =
        with_replica(crate::helpers::Backend::Postgres, "deaf", &limits).await;
    assert_eq!(reqwest::get(&url).await.unwrap().status(), StatusCode::OK);
    // The replica's watch loses its connection.
    let name = format!("zoomsync-change-watch-{}", replica.pid());
    let ended: Vec<bool> = world
        .db()
        .read(move |conn| {
            use diesel::RunQueryDsl as _;
            #[derive(diesel::QueryableByName)]
            struct Ended {
                #[diesel(sql_type = diesel::sql_types::Bool)]
                ended: bool,
            }
            let rows: Vec<Ended> = diesel::sql_query(
                "SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = $1",
            )
            .bind::<diesel::sql_types::Text, _>(name)
            .load(conn)?;
            Ok(rows.into_iter().map(|r| r.ended).collect())
        })
        .await
        .unwrap();
    assert_eq!(ended, vec![true], "the replica's watch had one connection");
    mark_unhealthy(&world, &credential).await;
    let seen = until_status(&url, StatusCode::NOT_FOUND, Duration::from_secs(10)).await;
    assert!(seen.is_some_and(|d| d < Duration::from_secs(3)), "seen after {seen:?}\n{}", replica.stderr());
}

both_backends! {
    // The credential log writes what gathered in one transaction. A line whose credential was
    // deleted meanwhile fails it; the other lines, before and after it, are written all the same.
    async fn a_log_line_for_a_deleted_credential_loses_no_other_line(backend) {
        use zoomsync::services::credential_log::CredentialLog;
        let world = World::start(backend).await;
        let Hosted { credential, .. } = world.hosted_meeting().await;
        let id = credential["id"].as_str().unwrap().to_owned();
        let db = world.db();
        let log = CredentialLog::start(db.clone());
        // More than one statement's worth (500), the bad line in the second.
        for n in 0..1200 {
            log.info(&id, format!("line {n}"));
            if n == 700 {
                log.info("no-such-credential", "a line nobody can own");
            }
        }
        log.flush().await;
        let written = db
            .read(move |conn| zoomsync::db::models::credential_logs::page(conn, &id, None, 5000))
            .await
            .unwrap();
        let lines: Vec<&str> = written.iter().map(|l| l.message.as_str()).filter(|m| m.starts_with("line ")).collect();
        assert_eq!(lines.len(), 1200, "every line of the credential that exists");
    }
}
