//! Housekeeping prunes what grows with use, by age, and nothing recent.

use diesel::prelude::*;
use zoomsync::db::schema::{console_signouts, credential_logs, meeting_tombstones, sync_runs, webhook_events};

use crate::both_backends;
use crate::helpers::world::Hosted;
use crate::helpers::{TestDb, World};

both_backends! {
    async fn old_rows_go_and_recent_ones_stay(backend) {
        let world = World::start(backend).await;
        let Hosted { credential, meeting, .. } = world.hosted_meeting().await;
        world.daemon.eventually_json(
            &format!("/api/v2/zoom-oauth-credentials/{}/logs/", credential["id"].as_str().unwrap()),
            |l| l["results"].as_array().is_some_and(|r| r.len() >= 2),
        ).await;

        let db = world.db();
        let now = chrono::Utc::now().naive_utc();
        let days = |n: i64| now - chrono::Duration::days(n);
        {
            let mut conn = db.get().unwrap();
            let conn = &mut *conn;
            diesel::update(credential_logs::table).set(credential_logs::created_at.eq(days(15))).execute(conn).unwrap();
            diesel::update(webhook_events::table).set(webhook_events::received_at.eq(days(8))).execute(conn).unwrap();
            diesel::update(sync_runs::table).set(sync_runs::started_at.eq(days(31))).execute(conn).unwrap();
            diesel::insert_into(meeting_tombstones::table)
                .values((meeting_tombstones::meeting_id.eq(1_234_567_890i64), meeting_tombstones::event_ts.eq(1i64), meeting_tombstones::deleted_at.eq(days(91))))
                .execute(conn)
                .unwrap();
            diesel::insert_into(meeting_tombstones::table)
                .values((meeting_tombstones::meeting_id.eq(1_234_567_891i64), meeting_tombstones::event_ts.eq(2i64), meeting_tombstones::deleted_at.eq(days(1))))
                .execute(conn)
                .unwrap();
        }
        // Something recent: a minted token's log line.
        assert_eq!(world.bot("join-token", &format!("meeting_id={}", meeting.id)).await.status(), reqwest::StatusCode::OK);
        world.eventually("the mint's log line", || async {
            let mut conn = db.get().unwrap();
            credential_logs::table.filter(credential_logs::created_at.gt(days(1))).count().get_result::<i64>(&mut *conn).unwrap() >= 1
        }).await;

        let removed = zoomsync::housekeeping::prune(&db).await.unwrap();
        assert!(removed >= 5, "{removed}");
        let mut conn = db.get().unwrap();
        let conn = &mut *conn;
        let count = |table: &str, n: i64| (table.to_owned(), n);
        let left = [
            count("old log lines", credential_logs::table.filter(credential_logs::created_at.lt(days(14))).count().get_result(conn).unwrap()),
            count("recent log lines", credential_logs::table.filter(credential_logs::created_at.gt(days(1))).count().get_result(conn).unwrap()),
            count("events", webhook_events::table.count().get_result(conn).unwrap()),
            count("runs", sync_runs::table.count().get_result(conn).unwrap()),
            count("tombstones", meeting_tombstones::table.count().get_result(conn).unwrap()),
        ];
        assert_eq!(left[0].1, 0, "{left:?}");
        assert!(left[1].1 >= 1, "{left:?}");
        assert_eq!((left[2].1, left[3].1, left[4].1), (0, 0, 1), "{left:?}");
        assert_eq!(zoomsync::housekeeping::prune(&db).await.unwrap(), 0, "a second pass finds nothing");
    }

    // A console sign-out is needed only while its session could still be used: once the
    // session's own expiry has passed, the cookie is refused without it.
    async fn sign_outs_go_once_their_session_has_expired(backend) {
        // A bare database, no daemon: its own housekeeping would race this test's pass.
        let test_db = TestDb::new(backend);
        let db = test_db.handle();
        zoomsync::db::migrate::run_pending(&mut db.get().unwrap()).unwrap();
        let now = chrono::Utc::now().naive_utc();
        let minutes = |n: i64| zoomsync::time::truncate(now + chrono::Duration::minutes(n));
        {
            let mut conn = db.get().unwrap();
            for (nonce, expires_at) in [("expired", minutes(-1)), ("long-expired", minutes(-600)), ("live", minutes(60))] {
                zoomsync::db::models::console_signouts::record(&mut conn, nonce, expires_at, minutes(-2)).unwrap();
            }
        }

        assert_eq!(zoomsync::housekeeping::prune(&db).await.unwrap(), 2);
        let mut conn = db.get().unwrap();
        let left: Vec<String> = console_signouts::table.select(console_signouts::nonce).load(&mut *conn).unwrap();
        assert_eq!(left, ["live"]);
        assert!(zoomsync::db::models::console_signouts::signed_out(&mut conn, "live").unwrap());
        assert_eq!(zoomsync::housekeeping::prune(&db).await.unwrap(), 0, "a second pass finds nothing");
    }
}
