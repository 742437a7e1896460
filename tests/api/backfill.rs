//! The scheduled backfill and on-demand lookup (issue 7), against zoom-sim.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;
use zoom_sim::control::types::{Bulk, NewFault, NewMeeting, Role};

use crate::both_backends;
use crate::helpers::process::{Daemon, db_env, zoom_env};
use crate::helpers::world::sim_options;
use crate::helpers::{Backend, World};

fn mapped_meetings(world: &World, credential_id: &str) -> BTreeSet<i64> {
    use diesel::prelude::*;
    use zoomsync::db::schema::meeting_mappings;
    let mut conn = world.db().get().unwrap();
    meeting_mappings::table
        .filter(meeting_mappings::credential_id.eq(credential_id))
        .select(meeting_mappings::meeting_id)
        .load::<i64>(&mut *conn)
        .unwrap()
        .into_iter()
        .collect()
}

both_backends! {
    async fn a_user_with_a_thousand_meetings_is_fully_mapped_and_pruned(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let made = world
            .sim
            .bulk(&Bulk { account_id: account.clone(), users: 1, meetings_per_user: 1000, notify: Some(false), ..Default::default() })
            .await
            .unwrap();
        let user = &made.users[0];
        let app = world.app("user_level", None).await;
        world.sim.reset_counters().await.unwrap();
        let credential = world.connect(&app, &user.id).await;
        assert_eq!(credential["meeting_sync_status"], "completed");
        let id = credential["id"].as_str().unwrap();
        let mapped = mapped_meetings(&world, id);
        let expected: BTreeSet<i64> = made.meetings.iter().map(|m| *m as i64).chain([user.pmi as i64]).collect();
        assert_eq!(mapped.len(), 1001);
        assert_eq!(mapped, expected, "every meeting and the PMI");
        let counters = world.sim.counters().await.unwrap();
        let listings = counters.requests["GET /v2/users/{userId}/meetings"]["200"];
        assert!(listings >= 8, "1,000 meetings take 4 pages of 300 per listing, two listings: {listings}");

        // Deleted at Zoom with webhooks off: only a backfill can notice.
        world.webhooks_off(&app).await;
        let gone: Vec<u64> = made.meetings[..10].to_vec();
        for meeting in &gone {
            world.sim.delete_meeting(*meeting).await.unwrap();
        }
        assert_eq!(mapped_meetings(&world, id).len(), 1001, "no webhook told us");
        let credential = world.resync(id).await;
        assert_eq!(credential["meeting_sync_status"], "completed");
        let after = mapped_meetings(&world, id);
        let expected: BTreeSet<i64> = expected.into_iter().filter(|m| !gone.contains(&(*m as u64))).collect();
        assert_eq!(after, expected, "exactly the 10 deleted meetings are gone");
        let logs = world
            .daemon
            .eventually_json(&format!("/api/v2/zoom-oauth-credentials/{id}/logs/"), |l| l.to_string().contains("0 added, 10 removed"))
            .await;
        assert!(logs["results"].is_array());
    }

    async fn an_account_wide_backfill_stays_inside_the_rate_limits(backend) {
        let world = World::start_with(backend, zoom_sim::SimOptions { rate_limits: true, ..sim_options() }, |_| {}).await;
        let account = world.account().await;
        let admin = world.user(&account, Role::Admin).await;
        let made = world
            .sim
            .bulk(&Bulk { account_id: account.clone(), users: 60, meetings_per_user: 5, notify: Some(false), ..Default::default() })
            .await
            .unwrap();
        let app = world.app("account_level", None).await;
        tokio::time::sleep(Duration::from_millis(1100)).await;
        world.sim.reset_counters().await.unwrap();
        let credential = world.connect(&app, &admin.id).await;
        assert_eq!(credential["meeting_sync_status"], "completed", "{credential}");
        let mapped = mapped_meetings(&world, credential["id"].as_str().unwrap());
        for meeting in &made.meetings {
            assert!(mapped.contains(&(*meeting as i64)), "meeting {meeting} is missing");
        }
        for user in &made.users {
            assert!(mapped.contains(&(user.pmi as i64)), "PMI of {} is missing", user.id);
        }
        let counters = world.sim.counters().await.unwrap();
        assert_eq!(counters.rate_limited, 0, "the backfill kept inside Pro's Medium limit: {:?}", counters.requests);
        assert_eq!(counters.requests["GET /v2/users/{userId}/meetings"]["200"], 61, "one listing per user");
    }

    async fn a_failed_backfill_removes_nothing(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        let id = world.connect(&app, &host.id).await["id"].as_str().unwrap().to_owned();
        let meeting = world.meeting(&host.id).await;
        assert_eq!(world.wait_for_mappings(meeting.id, 1).await.len(), 1);
        world.webhooks_off(&app).await;
        world.sim.delete_meeting(meeting.id).await.unwrap();
        world
            .sim
            .add_fault(&NewFault { path: "/v2/users/me/meetings".into(), count: Some(100), status: Some(500), ..Default::default() })
            .await
            .unwrap();
        let credential = world.resync(&id).await;
        assert_eq!(credential["meeting_sync_status"], "failed");
        assert_eq!(world.mappings(meeting.id).await.len(), 1, "a failed backfill removes nothing");
        assert_eq!(credential["status"], "healthy", "Zoom failing is not the credential's fault");
        world.sim.clear_faults().await.unwrap();
        let credential = world.resync(&id).await;
        assert_eq!(credential["meeting_sync_status"], "completed");
        assert!(world.mappings(meeting.id).await.is_empty());
    }

    async fn unmapped_meetings_are_found_by_lookup_within_a_small_budget(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let admin = world.user(&account, Role::Admin).await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("account_level", None).await;
        world.connect(&app, &admin.id).await;
        world.webhooks_off(&app).await;
        let meeting = world.sim.create_meeting(&NewMeeting { host_id: host.id.clone(), meeting_type: Some(1), ..Default::default() }).await.unwrap();
        assert!(world.mappings(meeting.id).await.is_empty());

        let response = world.bot("join-token", &format!("meeting_id={}", meeting.id)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let minted = world.sim.token(&response.text().await.unwrap()).await.unwrap();
        assert_eq!(minted.host_id.as_deref(), Some(host.id.as_str()));
        let mapped = world.mappings(meeting.id).await;
        assert_eq!(mapped.len(), 1);
        assert_eq!(mapped[0]["source"], "lookup");

        // A flood of unknown meeting IDs costs at most the lookup allowance in Zoom calls: those
        // Zoom said no to are 404, those past the allowance 503 (not remembered as misses).
        world.sim.reset_counters().await.unwrap();
        let (mut not_found, mut later) = (0, 0);
        for i in 0..1000u64 {
            let response = world.bot("join-token", &format!("meeting_id={}", 70_000_000_000 + i * 7919)).await;
            match response.status() {
                StatusCode::NOT_FOUND => not_found += 1,
                StatusCode::SERVICE_UNAVAILABLE => later += 1,
                other => panic!("{other}"),
            }
        }
        assert_eq!(not_found + later, 1000);
        assert!(not_found >= 1, "Zoom's answers are told as they are");
        let counters = world.sim.counters().await.unwrap();
        let lookups: u64 = counters.requests.get("GET /v2/meetings/{meetingId}").map(|s| s.values().sum()).unwrap_or(0);
        let allowance = zoomsync::services::lookup_cache::BURST as u64 + 2;
        assert!(lookups <= allowance, "1,000 unknown meetings cost {lookups} Zoom calls (allowed {allowance})");
    }

    async fn ticks_skip_listings_a_lookup_makes_needless_and_a_lost_webhook_meeting_is_still_minted(backend) {
        // A tick every second: neither the account-level credential (it can look meetings up)
        // nor the user-level one (a bot's unknown meeting lists it) is listed again within
        // sync.full_listing_hours. A listing older than a second counts as stale here.
        let world = World::start_with(backend, sim_options(), |c| {
            c.sync.schedule = "* * * * * *".into();
            c.sync.catch_up_after_seconds = 1;
        })
        .await;
        let account = world.account().await;
        let admin = world.user(&account, Role::Admin).await;
        let host = world.user(&account, Role::Member).await;
        let account_app = world.app("account_level", None).await;
        world.connect(&account_app, &admin.id).await;
        let elsewhere = world.account().await;
        let member = world.user(&elsewhere, Role::Member).await;
        let user_app = world.app("user_level", None).await;
        world.connect(&user_app, &member.id).await;
        world.webhooks_off(&account_app).await;
        world.webhooks_off(&user_app).await;
        world.sim.reset_counters().await.unwrap();
        tokio::time::sleep(Duration::from_millis(3500)).await;
        let counters = world.sim.counters().await.unwrap();
        let calls = |path: &str| counters.requests.get(path).map(|s| s.values().sum::<u64>()).unwrap_or(0);
        assert_eq!(calls("GET /v2/users"), 0, "the account-level credential was listed again: {:?}", counters.requests);
        assert_eq!(calls("GET /v2/users/{userId}/meetings"), 0, "the user-level one was listed again: {:?}", counters.requests);

        // Webhooks lost: a meeting created now is minted for at once, by request-time lookup.
        let meeting = world.sim.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await.unwrap();
        assert!(world.mappings(meeting.id).await.is_empty(), "no webhook told us");
        let response = world.bot("join-token", &format!("meeting_id={}", meeting.id)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let minted = world.sim.token(&response.text().await.unwrap()).await.unwrap();
        assert_eq!(minted.host_id.as_deref(), Some(host.id.as_str()));

        // The user-level host's meeting: nothing can look it up, but the bot's ask lists the
        // stale user-level credential at once, and the bot's next ask gets its token.
        let theirs = world.sim.create_meeting(&NewMeeting { host_id: member.id.clone(), ..Default::default() }).await.unwrap();
        let first = world.bot("join-token", &format!("meeting_id={}", theirs.id)).await;
        assert_eq!(first.status(), StatusCode::NOT_FOUND, "unknown when first asked");
        assert_eq!(world.wait_for_mappings(theirs.id, 1).await.len(), 1, "mapped by the catch-up listing");
        let response = world.bot("join-token", &format!("meeting_id={}", theirs.id)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let minted = world.sim.token(&response.text().await.unwrap()).await.unwrap();
        assert_eq!(minted.host_id.as_deref(), Some(member.id.as_str()));
    }

    async fn without_catch_up_user_level_credentials_are_listed_at_every_tick(backend) {
        let world = World::start_with(backend, sim_options(), |c| {
            c.sync.schedule = "* * * * * *".into();
            c.sync.catch_up_after_seconds = 0;
        })
        .await;
        let account = world.account().await;
        let member = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        world.connect(&app, &member.id).await;
        world.sim.reset_counters().await.unwrap();
        tokio::time::sleep(Duration::from_millis(3500)).await;
        let counters = world.sim.counters().await.unwrap();
        let listed = counters.requests.get("GET /v2/users/{userId}/meetings").map(|s| s.values().sum::<u64>()).unwrap_or(0);
        assert!(listed >= 2, "listed at every tick: {:?}", counters.requests);
    }

    async fn full_listing_hours_zero_lists_every_credential_at_every_tick(backend) {
        let world = World::start_with(backend, sim_options(), |c| {
            c.sync.schedule = "* * * * * *".into();
            c.sync.full_listing_hours = 0;
        })
        .await;
        let account = world.account().await;
        let admin = world.user(&account, Role::Admin).await;
        let app = world.app("account_level", None).await;
        world.connect(&app, &admin.id).await;
        world.sim.reset_counters().await.unwrap();
        tokio::time::sleep(Duration::from_millis(3500)).await;
        let counters = world.sim.counters().await.unwrap();
        let pages = counters.requests.get("GET /v2/users").map(|s| s.values().sum::<u64>()).unwrap_or(0);
        assert!(pages >= 2, "listed at every tick, as before: {:?}", counters.requests);
    }

    async fn the_cli_backfills_in_the_foreground(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let made = world
            .sim
            .bulk(&Bulk { account_id: account.clone(), users: 1, meetings_per_user: 40, notify: Some(false), ..Default::default() })
            .await
            .unwrap();
        let app = world.app("user_level", None).await;
        let id = world.connect(&app, &made.users[0].id).await["id"].as_str().unwrap().to_owned();
        let mut env = db_env(&world.daemon.db);
        env.extend(zoom_env(&world.zoom));
        let output = crate::helpers::process::run_cli(world.daemon.db.dir.path(), &env, &["sync", "--credential", &id]);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(stdout.contains(&format!("{id}: 1 user(s), 40 meeting(s) seen, 0 added, 0 removed")), "{stdout}");
        // It spends the account's budget beside the daemon, so it took a share while it ran
        // (two replicas: the daemon and itself), and left when done.
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("replicas=2"), "{stderr}");
        let remaining: i64 = {
            use diesel::prelude::*;
            zoomsync::db::schema::replicas::table.count().get_result(&mut *world.db().get().unwrap()).unwrap()
        };
        assert_eq!(remaining, 1, "only the daemon's own row remains");
        let unknown = crate::helpers::process::run_cli(world.daemon.db.dir.path(), &env, &["sync", "--credential", "nope"]);
        assert!(!unknown.status.success());
    }

    async fn the_schedule_keeps_idle_credentials_alive(backend) {
        let world = World::start_with(backend, sim_options(), |c| c.sync.schedule = "* * * * * *".into()).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        let id = world.connect(&app, &host.id).await["id"].as_str().unwrap().to_owned();
        {
            use diesel::prelude::*;
            use zoomsync::db::schema::credentials;
            let mut conn = world.db().get().unwrap();
            let long_ago = chrono::Utc::now().naive_utc() - chrono::Duration::days(31);
            diesel::update(credentials::table).set(credentials::last_refreshed_at.eq(long_ago)).execute(&mut *conn).unwrap();
        }
        world.sim.reset_counters().await.unwrap();
        world.eventually("a keep-alive refresh", || async { world.sim.counters().await.unwrap().oauth.refresh >= 1 }).await;
        let logs = world
            .daemon
            .eventually_json(&format!("/api/v2/zoom-oauth-credentials/{id}/logs/"), |l| l.to_string().contains("keep it alive"))
            .await;
        assert!(logs["results"].is_array());
        assert_eq!(world.sim.counters().await.unwrap().oauth.invalid_grant, 0);
    }
}

#[tokio::test]
async fn three_replicas_sync_each_credential_once_per_tick() {
    let world = World::start(Backend::Postgres).await;
    let account = world.account().await;
    let app = world.app("user_level", None).await;
    let mut credentials = Vec::new();
    for _ in 0..3 {
        let user = world.user(&account, Role::Member).await;
        credentials.push(world.connect(&app, &user.id).await["id"].as_str().unwrap().to_owned());
    }
    let mut env = db_env(&world.daemon.db);
    env.extend(zoom_env(&world.zoom));
    // CI: every 2 s for 11 s. The acceptance's form, every 10 s for a minute:
    // ZOOMSYNC_REPLICA_TICK_SECONDS=10 ZOOMSYNC_REPLICA_RUN_SECONDS=61.
    let setting = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    let (tick, run) = (setting("ZOOMSYNC_REPLICA_TICK_SECONDS", 2), setting("ZOOMSYNC_REPLICA_RUN_SECONDS", 11));
    env.retain(|(k, _)| k != "ZOOMSYNC__SYNC__SCHEDULE");
    env.push(("ZOOMSYNC__SYNC__SCHEDULE".into(), format!("*/{tick} * * * * *")));
    // User-level credentials at every tick (what this test watches), not only on catch-up.
    env.push(("ZOOMSYNC__SYNC__CATCH_UP_AFTER_SECONDS".into(), "0".into()));
    world.sim.reset_counters().await.unwrap();
    let mut replicas: Vec<Daemon> =
        (0..3).map(|i| Daemon::start(world.daemon.db.dir.path(), &format!("cron-{i}"), &env)).collect();
    for replica in &mut replicas {
        assert!(replica.wait_ready(Duration::from_secs(30)).await, "{}", replica.stderr());
    }
    tokio::time::sleep(Duration::from_secs(run)).await;
    for replica in &mut replicas {
        replica.terminate();
    }

    use diesel::prelude::*;
    use zoomsync::db::schema::sync_runs;
    let mut conn = world.db().get().unwrap();
    let runs: Vec<(String, Option<chrono::NaiveDateTime>, String)> = sync_runs::table
        .filter(sync_runs::tick.is_not_null())
        .select((sync_runs::credential_id, sync_runs::tick, sync_runs::status))
        .load(&mut *conn)
        .unwrap();
    let ticks: BTreeSet<_> = runs.iter().map(|(_, tick, _)| *tick).collect();
    assert!(ticks.len() as u64 >= run / tick - 1, "a {tick}-second schedule over {run} seconds: {} ticks", ticks.len());
    println!(
        "{} ticks; runs per credential: {:?}",
        ticks.len(),
        credentials.iter().map(|c| runs.iter().filter(|(id, ..)| id == c).count()).collect::<Vec<_>>()
    );
    for credential in &credentials {
        let mine: Vec<_> = runs.iter().filter(|(c, ..)| c == credential).map(|(_, tick, _)| *tick).collect();
        let distinct: BTreeSet<_> = mine.iter().collect();
        assert_eq!(mine.len(), distinct.len(), "credential {credential} was synced twice for one tick: {mine:?}");
        assert!(
            mine.len() + 1 >= ticks.len(),
            "credential {credential} missed ticks: {} of {}",
            mine.len(),
            ticks.len()
        );
    }
    // zoom-sim saw exactly the calls those runs make (user-level: /users/me plus two listings).
    let counters = world.sim.counters().await.unwrap();
    let listings = counters.requests["GET /v2/users/{userId}/meetings"].values().sum::<u64>();
    // A run cut short by the replicas' stop made one listing or none.
    let completed = runs.iter().filter(|(.., status)| status == "completed").count() as u64;
    let cut_short = runs.len() as u64 - completed;
    assert!(
        (2 * completed..=2 * (completed + cut_short)).contains(&listings),
        "zoom-sim's counters match one backfill per credential per tick: {listings} listings for {completed} \
         completed runs and {cut_short} cut short"
    );
}
