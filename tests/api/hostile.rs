//! A hostile or unlucky day (issue 16): Zoom answering what it should not, and what a careless
//! default would leave open.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;

use reqwest::StatusCode;
use serde_json::json;
use zoom_sim::control::types::NewFault;

use crate::both_backends;
use crate::helpers::world::Hosted;
use crate::helpers::{Backend, World};

fn fault(path: &str, status: u16, body: serde_json::Value) -> NewFault {
    NewFault { path: path.into(), count: Some(1), status: Some(status), body: Some(body), ..Default::default() }
}

/// A client at `address` that sends a webhook's headers (announcing 1,000 bytes) and the start of
/// its body, then nothing.
async fn stalled_webhook(address: &str, app_id: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt as _;
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/v2/zoom-oauth-apps/{app_id}/webhook HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\nx-zm-request-timestamp: 1\r\nx-zm-signature: v0=00\r\n\r\n{{\"event\""
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

both_backends! {
    async fn a_token_zoom_should_not_have_sent_is_never_handed_to_a_bot(backend) {
        let world = World::start(backend).await;
        let Hosted { meeting, .. } = world.hosted_meeting().await;
        let query = format!("meeting_id={}", meeting.id);
        for token in [json!(""), json!("two\nlines"), json!("x".repeat(10_000)), json!(null)] {
            world.sim.add_fault(&fault("/v2/meetings/", 200, json!({"token": token, "expire_in": 120}))).await.unwrap();
            let response = world.bot("join-token", &query).await;
            assert_ne!(response.status(), StatusCode::OK, "{:.40}", token.to_string());
            let body = response.text().await.unwrap();
            assert!(body.len() < 1000 && !body.contains("two\nlines"), "{body:.200}");
        }
        assert_eq!(world.bot("join-token", &query).await.status(), StatusCode::OK, "a good answer still works");
    }

    async fn a_redirect_from_zoom_is_not_followed(backend) {
        let world = World::start(backend).await;
        let Hosted { meeting, .. } = world.hosted_meeting().await;
        world.expire_access_tokens(true).await;
        let world = world.restart_daemon(|_| {}).await;
        // A 307 keeps the method and the body: following it would post the refresh token again,
        // here to the same place, in life wherever the Location points.
        let location = format!("{}/oauth/token", world.zoom.base_url());
        world.sim.add_fault(&NewFault {
            path: "/oauth/token".into(),
            count: Some(1),
            status: Some(307),
            headers: Some(BTreeMap::from([("Location".to_owned(), location)])),
            ..Default::default()
        }).await.unwrap();
        world.sim.reset_counters().await.unwrap();
        let response = world.bot("join-token", &format!("meeting_id={}", meeting.id)).await;
        assert_ne!(response.status(), StatusCode::OK);
        let requests = world.sim.counters().await.unwrap().requests;
        let posted: u64 = requests.get("POST /oauth/token").map_or(0, |by| by.values().sum());
        assert_eq!(posted, 1, "{requests:?}");
    }

    async fn an_absurd_retry_after_is_a_503_not_a_reset(backend) {
        let world = World::start(backend).await;
        let Hosted { meeting, .. } = world.hosted_meeting().await;
        world.sim.add_fault(&NewFault {
            headers: Some(BTreeMap::from([("Retry-After".to_owned(), u64::MAX.to_string())])),
            ..fault("/v2/meetings/", 429, json!({"code": 429, "message": "Too many requests"}))
        }).await.unwrap();
        let response = world.bot("join-token", &format!("meeting_id={}", meeting.id)).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(response.headers().contains_key("retry-after"));
    }

    async fn a_lookup_that_failed_for_now_is_not_remembered_as_a_miss(backend) {
        use zoom_sim::control::types::{NewMeeting, Role};
        let world = World::start(backend).await;
        let account = world.account().await;
        let admin = world.user(&account, Role::Admin).await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("account_level", None).await;
        world.connect(&app, &admin.id).await;
        // Nobody tells zoomsync of the meeting: only a lookup can find it.
        world.webhooks_off(&app).await;
        let meeting = world.sim.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
        world.sim.add_fault(&NewFault {
            method: Some("GET".into()),
            count: Some(5),
            ..fault(&format!("/v2/meetings/{}", meeting.id), 500, json!({"code": 500, "message": "busy"}))
        }).await.unwrap();
        let query = format!("meeting_id={}", meeting.id);
        let first = world.bot("join-token", &query).await;
        assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE, "Zoom failed for now: a 503, not a 404");
        world.sim.clear_faults().await.unwrap();
        assert_eq!(world.bot("join-token", &query).await.status(), StatusCode::OK, "and it was not remembered as a miss");
    }

    async fn console_pages_cannot_be_framed_or_sniffed(backend) {
        let world = World::start(backend).await;
        let page = world.daemon.client.get(world.daemon.url("/console/login")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        let headers = page.headers();
        let policy = headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("frame-ancestors 'none'") && policy.contains("script-src 'sha256-"), "{policy}");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert_eq!(headers["x-content-type-options"], "nosniff");
        let bot = world.bot("join-token", "meeting_id=99999999999").await;
        assert!(!bot.headers().contains_key("content-security-policy"), "only the console's pages");
    }

    async fn guessing_the_admin_token_in_the_console_is_throttled(backend) {
        let world = World::start(backend).await;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap();
        let form = client.get(world.daemon.url("/console/login")).send().await.unwrap().text().await.unwrap();
        let nonce = form.split("name=\"nonce\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap().to_owned();
        let attempt = |token: &'static str| client.post(world.daemon.url("/console/login")).form(&[("token", token), ("nonce", nonce.as_str())]).send();
        let mut statuses = Vec::new();
        for _ in 0..20 {
            statuses.push(attempt("wrong-token-000000000").await.unwrap().status());
        }
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::SEE_OTHER).count(), 5, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count(), 15);
        // The right token is refused as well while the address waits: a guess cannot get through.
        let right = attempt(crate::helpers::ADMIN_TOKEN).await.unwrap();
        assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(right.headers().contains_key("retry-after"));
    }

    async fn an_event_recorded_as_failed_is_applied_when_zoom_retries_it(backend) {
        use zoomsync::db::models::webhook_events::{self, EventStatus, NewEvent};
        let world = World::start(backend).await;
        let Hosted { app, host, account, .. } = world.hosted_meeting().await;
        let meeting = 81_234_567_002u64;
        let event_ts = chrono::Utc::now().timestamp_millis();
        // An earlier attempt of this very delivery failed to apply (a database hiccup, say).
        {
            let mut conn = world.db().get().unwrap();
            let key = format!("{}|meeting.created|{event_ts}|{meeting}/u", app.id);
            let row = NewEvent {
                app_id: &app.id,
                dedupe_key: &key,
                event: "meeting.created",
                event_ts,
                payload: "{}",
                status: EventStatus::Failed,
                outcome: Some("failed: the database was busy"),
                received_at: chrono::Utc::now().naive_utc(),
                applied_at: None,
            };
            webhook_events::insert_all(&mut conn, std::slice::from_ref(&row)).unwrap();
        }
        let body = json!({"event": "meeting.created", "event_ts": event_ts, "payload": {"account_id": account,
            "object": {"id": meeting, "uuid": "u", "host_id": host.id}}}).to_string();
        let retried = world.deliver(&app.id, &app.webhook_secret, chrono::Utc::now().timestamp(), &body).await;
        assert_eq!(crate::helpers::json(retried).await["status"], "applied", "Zoom's retry is applied, not a duplicate");
        assert_eq!(world.mappings(meeting).await.len(), 1);
        let statuses: Vec<String> = {
            use diesel::prelude::*;
            use zoomsync::db::schema::webhook_events as events;
            let key = format!("{}|meeting.created|{event_ts}|{meeting}/u", app.id);
            let mut conn = world.db().get().unwrap();
            events::table.filter(events::dedupe_key.eq(key)).select(events::status).load(&mut *conn).unwrap()
        };
        assert_eq!(statuses, ["applied"], "the retry replaced the failed record (same dedupe key)");
        let again = world.deliver(&app.id, &app.webhook_secret, chrono::Utc::now().timestamp(), &body).await;
        assert_eq!(crate::helpers::json(again).await["status"], "duplicate", "and recorded once it applied");
    }

    async fn the_cli_says_so_when_a_credential_does_not_exist(backend) {
        use crate::helpers::process::{db_env, run_cli};
        let world = World::start(backend).await;
        let out = run_cli(world.daemon.db.dir.path(), &db_env(&world.daemon.db), &["sync", "--credential", "nope"]);
        assert_eq!(out.status.code(), Some(3), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("no such credential"));
    }

    async fn a_credential_deleted_while_zoom_is_down_is_revoked_once_zoom_is_back(backend) {
        let world = World::start(backend).await;
        let Hosted { app, meeting, credential, host, .. } = world.hosted_meeting().await;
        let id = credential["id"].as_str().unwrap().to_owned();
        world.sim.add_fault(&NewFault {
            method: Some("POST".into()),
            count: Some(1000),
            ..fault("/oauth/revoke", 503, json!({"reason": "busy", "error": "server_error"}))
        }).await.unwrap();
        let path = format!("/api/v2/zoom-oauth-credentials/{id}/");
        let deleted = world.daemon.admin(reqwest::Method::DELETE, &path).send().await.unwrap();
        assert_eq!(deleted.status(), StatusCode::ACCEPTED, "not a 204: the grant is still active at Zoom");
        assert_eq!(crate::helpers::json(deleted).await["revoke"], "pending");
        let shown = crate::helpers::json(world.daemon.admin(reqwest::Method::GET, &path).send().await.unwrap()).await;
        assert_eq!(shown["status"], "unhealthy");
        assert!(shown["delete_requested_at"].is_string(), "{shown}");
        assert_eq!(world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.status(), StatusCode::NOT_FOUND, "it mints nothing meanwhile");
        let grants = world.sim.grants(Some(&app.client_id), Some(&host.id)).await.unwrap();
        assert!(grants.iter().any(|g| g.active), "Zoom still holds the grant");

        world.sim.clear_faults().await.unwrap();
        world.eventually("the retried revoke to delete the credential", || async {
            world.daemon.admin(reqwest::Method::GET, &path).send().await.unwrap().status() == StatusCode::NOT_FOUND
        }).await;
        let grants = world.sim.grants(Some(&app.client_id), Some(&host.id)).await.unwrap();
        assert!(grants.iter().all(|g| !g.active), "revoked at Zoom: {grants:?}");
    }

    async fn a_stalled_body_is_cut_off_and_the_bot_endpoints_keep_answering(backend) {
        use tokio::io::AsyncReadExt;
        let world = World::start_with(backend, crate::helpers::world::sim_options(), |c| c.server.body_timeout_seconds = 1).await;
        let Hosted { app, meeting, .. } = world.hosted_meeting().await;
        let address = world.daemon.url("").trim_start_matches("http://").to_owned();
        // Clients that send headers and the start of a body, then nothing.
        let mut stalled = Vec::new();
        for _ in 0..50 {
            stalled.push(stalled_webhook(&address, &app.id).await);
        }
        let started = std::time::Instant::now();
        assert_eq!(world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.status(), StatusCode::OK);
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "bots are not kept waiting: {:?}", started.elapsed());
        // Each stalled request is answered (a 4xx) and closed once its body is overdue.
        for mut stream in stalled {
            let mut answer = Vec::new();
            let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
            assert!(read.is_ok(), "a stalled body held its connection past the deadline");
            let text = String::from_utf8_lossy(&answer);
            assert!(text.is_empty() || text.starts_with("HTTP/1.1 4"), "{text}");
        }
        assert_eq!(world.daemon.client.get(world.daemon.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
    }

    async fn following_connect_links_stores_nothing(backend) {
        let world = World::start(backend).await;
        let app = world.app("user_level", None).await;
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        for _ in 0..200 {
            let start = browser.get(world.daemon.url(&format!("/zoom/oauth/start?app={}", app.id))).send().await.unwrap();
            assert_eq!(start.status(), StatusCode::FOUND);
        }
        let rows: i64 = {
            use diesel::prelude::*;
            let mut conn = world.db().get().unwrap();
            zoomsync::db::schema::oauth_states::table.count().get_result(&mut *conn).unwrap()
        };
        assert_eq!(rows, 0, "the flow's state travels sealed in the URL, not in a table a stranger can grow");
        // A state we did not seal is refused.
        let forged = browser.get(world.daemon.url("/zoom/oauth/callback?code=abc&state=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")).send().await.unwrap();
        assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_database_is_readable_by_its_owner_only() {
    let world = World::start(Backend::Sqlite).await;
    world.hosted_meeting().await;
    let path = world.daemon.db.sqlite_path.clone().unwrap();
    for file in [path.clone(), path.with_extension("db-wal")] {
        if let Ok(meta) = std::fs::metadata(&file) {
            assert_eq!(meta.permissions().mode() & 0o077, 0, "{} is {:o}", file.display(), meta.permissions().mode());
        }
    }
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
}

/// With PostgreSQL gone, every request that needs it gets its 503 at once (not after the pool's
/// 5 s connection timeout), `/readyz` included; when it is back, the daemon is ready again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_database_gone_503s_come_at_once_and_readiness_returns_with_it() {
    use crate::helpers::tcp_proxy::TcpProxy;
    let proxy = TcpProxy::start("127.0.0.1:5432".parse().unwrap()).await;
    let mut db = crate::helpers::TestDb::new(Backend::Postgres);
    let direct = db.url.clone();
    db.url = direct.replacen("127.0.0.1:5432", &format!("127.0.0.1:{}", proxy.port), 1);
    assert_ne!(db.url, direct, "the test database is reached through the proxy");
    let app = crate::helpers::TestApp::spawn_on(db, |_| {}).await;
    let ready = || async { app.client.get(app.url("/readyz")).send().await.unwrap().status() };
    assert_eq!(ready().await, StatusCode::OK);

    proxy.cut();
    // More requests than the pool has connections: the broken ones fail fast by themselves;
    // after them, each request would wait for a new connection.
    for i in 0..12 {
        let started = std::time::Instant::now();
        let status = if i % 2 == 0 {
            ready().await
        } else {
            app.admin(reqwest::Method::GET, "/api/v2/zoom-oauth-apps/").send().await.unwrap().status()
        };
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "request {i}");
        // The bound is the pool's connection timeout (5 s), which every request used to wait.
        assert!(started.elapsed() < std::time::Duration::from_secs(2), "request {i} waited {:?}", started.elapsed());
    }

    proxy.restore().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while ready().await != StatusCode::OK {
        assert!(std::time::Instant::now() < deadline, "ready again once the database is back");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let apps = app.admin(reqwest::Method::GET, "/api/v2/zoom-oauth-apps/").send().await.unwrap();
    assert_eq!(apps.status(), StatusCode::OK);
}

/// SQLite keeps writing through the descriptors it holds: without a check, `/readyz` stays 200
/// and writes are acknowledged that a restart will not find (or cannot open). Any of the
/// database's three files deleted, replaced or made unwritable makes the daemon unready and its
/// writes 503, and the log says what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_replaced_or_unwritable_sqlite_file_is_noticed() {
    for suffix in ["", "-wal", "-shm"] {
        for harm in ["deleted", "replaced", "unwritable"] {
            let case = format!("{harm} {suffix:?}");
            let app = crate::helpers::TestApp::spawn(Backend::Sqlite).await;
            let ready = || async { app.client.get(app.url("/readyz")).send().await.unwrap().status() };
            assert_eq!(ready().await, StatusCode::OK, "{case}");
            let file = format!("{}{suffix}", app.db.url.strip_prefix("sqlite://").unwrap());
            match harm {
                "deleted" => std::fs::remove_file(&file).unwrap(),
                "replaced" => {
                    std::fs::remove_file(&file).unwrap();
                    std::fs::write(&file, b"").unwrap();
                }
                _ => std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o400)).unwrap(),
            }
            assert_eq!(ready().await, StatusCode::SERVICE_UNAVAILABLE, "{case}");
            let created = app
                .create_app(json!({"kind": "user_level", "client_id": format!("after-{harm}{suffix}"), "client_secret": "s", "webhook_secret": "w"}))
                .await;
            assert_eq!(
                created.status(),
                StatusCode::SERVICE_UNAVAILABLE,
                "{case}: a write is refused, not acknowledged"
            );
            let logs = String::from_utf8_lossy(&crate::helpers::logs::captured()).into_owned();
            assert!(
                logs.contains(&format!("{file} ")) && logs.contains("restart zoomsync"),
                "{case}: the log names the file and what to do"
            );
        }
    }
}

/// SQLite maps its `-shm` into memory; truncated under the daemon, the next read raises SIGBUS.
/// The process still ends (nothing can safely go on), but says why first. A process of its own:
/// a bus error in the test binary would end every test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_shm_file_is_explained_before_the_bus_error_ends_the_daemon() {
    use crate::helpers::process::{Daemon, db_env};
    use std::os::unix::process::ExitStatusExt as _;
    let db = crate::helpers::TestDb::new(Backend::Sqlite);
    let mut daemon = Daemon::start(db.dir.path(), "shm", &db_env(&db));
    assert!(daemon.wait_ready(std::time::Duration::from_secs(30)).await, "{}", daemon.stderr());
    let shm = format!("{}-shm", db.sqlite_path.as_ref().unwrap().display());
    // Truncated in place: the mapping stays, the pages behind it are gone.
    std::fs::OpenOptions::new().write(true).truncate(true).open(&shm).unwrap();
    let _ = reqwest::Client::new().get(format!("{}/readyz", daemon.address)).send().await;
    let status = daemon.exited_within(std::time::Duration::from_secs(10)).await.expect("the daemon ends");
    assert_eq!(status.signal(), Some(7), "still a bus error for supervisors: {status:?}");
    let stderr = daemon.stderr();
    assert!(stderr.contains("SIGBUS") && stderr.contains("-shm") && stderr.contains("restart zoomsync"), "{stderr}");
}

/// The soft open-file limit of process `pid`.
fn open_file_limit(pid: &str) -> u64 {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits.lines().find(|l| l.starts_with("Max open files")).unwrap();
    line.split_whitespace().nth(3).unwrap().parse().unwrap()
}

both_backends! {
    // Allowed 1,024 open files, held by 2,000 connections that send nothing and 500 that stall in
    // their bodies: a bot's join token and `/healthz` still answer within a second.
    async fn with_1024_open_files_idle_and_stalled_clients_do_not_starve_bots(backend) {
        use crate::helpers::process::{Daemon, db_env, zoom_env};
        use crate::helpers::app::BOT_SECRET;
        assert!(open_file_limit("self") >= 4096, "the test itself needs descriptors for 2,500 clients");
        let world = World::start(backend).await;
        let Hosted { app, meeting, .. } = world.hosted_meeting().await;
        let mut env = db_env(&world.daemon.db);
        env.extend(zoom_env(&world.zoom));
        let mut daemon = Daemon::start_with_open_files(world.daemon.db.dir.path(), "crowded", &env, Some(1024));
        assert!(daemon.wait_ready(std::time::Duration::from_secs(30)).await, "{}", daemon.stderr());
        assert_eq!(open_file_limit(&daemon.pid().to_string()), 1024);
        let address = daemon.address.trim_start_matches("http://").to_owned();
        // The crowd arrives while the bot asks: the bot's rounds start as the crowd does.
        let crowd = tokio::spawn(async move {
            let mut held = Vec::new();
            for _ in 0..2000 {
                held.push(tokio::net::TcpStream::connect(&address).await.unwrap());
            }
            for _ in 0..500 {
                held.push(stalled_webhook(&address, &app.id).await);
            }
            held
        });
        let client = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build().unwrap();
        for round in 0..10 {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            let started = std::time::Instant::now();
            let token = client
                .get(format!("{}/zoom/join-token?secret={BOT_SECRET}&meeting_id={}", daemon.address, meeting.id))
                .send()
                .await
                .map(|r| r.status());
            let took = started.elapsed();
            assert!(matches!(token, Ok(StatusCode::OK)), "round {round}: {token:?} after {took:?}");
            assert!(took < std::time::Duration::from_secs(1), "round {round}: the bot waited {took:?}");
            let health = client.get(format!("{}/healthz", daemon.address)).send().await.map(|r| r.status());
            assert!(matches!(health, Ok(StatusCode::OK)), "round {round}: {health:?}");
        }
        let held = crowd.await.unwrap();
        assert_eq!(held.len(), 2500, "the whole crowd was connected and held");
    }

    // A bot asking for a meeting nothing maps makes zoomsync read the account-wide credentials
    // that may look it up: through an index, never by reading every credential. PostgreSQL is
    // told to avoid sequential scans, so its plan shows one only where no index serves.
    async fn the_unknown_meeting_path_reads_credentials_through_an_index(backend) {
        use diesel::connection::{Connection as _, InstrumentationEvent};
        let world = World::start(backend).await;
        world.app("account_level", None).await;
        let mut conn = world.db().get().unwrap();
        let queries = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let seen = queries.clone();
        conn.set_instrumentation(move |event: InstrumentationEvent<'_>| {
            if let InstrumentationEvent::StartQuery { query, .. } = event {
                seen.lock().unwrap().push(query.to_string());
            }
        });
        zoomsync::db::models::credentials::healthy_account_wide(&mut conn).unwrap();
        let queries = queries.lock().unwrap().clone();
        let on_credentials: Vec<&String> = queries.iter().filter(|q| q.contains("FROM `credentials`") || q.contains("FROM \"credentials\"")).collect();
        assert_eq!(on_credentials.len(), 1, "{queries:?}");
        let sql = on_credentials[0].split(" -- binds:").next().unwrap().to_owned();
        let plan = explain(&mut conn, &sql);
        assert!(!plan.is_empty(), "{sql}");
        let scans_all = plan.iter().any(|line| line.contains("SCAN credentials") || line.contains("Seq Scan on credentials"));
        assert!(!scans_all, "every credential is read: {plan:?}");
    }
}

/// The plan of `sql` (placeholders unbound): SQLite's `EXPLAIN QUERY PLAN`; PostgreSQL's
/// generic plan with sequential scans priced out, so that an index is used wherever one can be.
fn explain(conn: &mut zoomsync::db::AnyConnection, sql: &str) -> Vec<String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
        line: String,
    }
    match conn {
        zoomsync::db::AnyConnection::Sqlite(c) => {
            #[derive(QueryableByName)]
            struct Step {
                #[diesel(sql_type = diesel::sql_types::Text)]
                detail: String,
            }
            diesel::sql_query(format!("EXPLAIN QUERY PLAN {sql}"))
                .load::<Step>(c)
                .unwrap()
                .into_iter()
                .map(|s| s.detail)
                .collect()
        }
        zoomsync::db::AnyConnection::Postgresql(c) => {
            use diesel::connection::SimpleConnection as _;
            let params = (1..).take_while(|n| sql.contains(&format!("${n}"))).count();
            c.batch_execute(&format!(
                "SET enable_seqscan = off; SET plan_cache_mode = force_generic_plan; PREPARE unknown_meeting AS {sql};"
            ))
            .unwrap();
            let nulls = vec!["NULL"; params].join(", ");
            let lines: Vec<Line> =
                diesel::sql_query(format!("EXPLAIN EXECUTE unknown_meeting({nulls})")).load(c).unwrap();
            lines.into_iter().map(|l| l.line).collect()
        }
    }
}
