//! The control API itself: errors, bulk creation, counters, clock, robustness.

use std::collections::HashSet;

use zoom_sim::control::types::{AppKind, Bulk, NewAccount, NewUser, Plan, Role};

use crate::helpers::*;

#[tokio::test]
async fn errors_are_json_with_the_right_status() {
    let sim = TestSim::start();
    let missing = sim.ctl.get_account("nope").await.unwrap_err();
    assert_eq!(missing.status(), Some(404));
    let account =
        sim.ctl.create_account(&NewAccount { id: Some("acct-1".into()), plan: Some(Plan::Free) }).await.unwrap();
    assert_eq!(account.id, "acct-1");
    assert_eq!(account.plan, Plan::Free);
    let dup = sim.ctl.create_account(&NewAccount { id: Some("acct-1".into()), plan: None }).await.unwrap_err();
    assert_eq!(dup.status(), Some(409));
    sim.user(&account.id, Role::Owner).await;
    let second_owner = NewUser { account_id: account.id.clone(), role: Some(Role::Owner), ..Default::default() };
    assert_eq!(sim.ctl.create_user(&second_owner).await.unwrap_err().status(), Some(409));
    let no_account = NewUser { account_id: "ghost".into(), ..Default::default() };
    assert_eq!(sim.ctl.create_user(&no_account).await.unwrap_err().status(), Some(404));

    for (body, what) in
        [("{", "broken JSON"), (r#"{"plan":"gold"}"#, "unknown plan"), (r#"{"pln":"pro"}"#, "unknown field")]
    {
        let res = sim.http.post(format!("{}/_sim/accounts", sim.base())).body(body).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 400, "{what}");
        let json: serde_json::Value = res.json().await.unwrap();
        assert_eq!(json["error"], "bad_request");
        assert!(json["detail"].is_string());
    }
    let res = sim.http.get(format!("{}/_sim/nothing-here", sim.base())).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    let bad_pmi = NewUser { account_id: account.id.clone(), pmi: Some(123), ..Default::default() };
    assert_eq!(sim.ctl.create_user(&bad_pmi).await.unwrap_err().status(), Some(400));
    let s2s_without_account = zoom_sim::control::types::NewApp::new(AppKind::ServerToServer);
    assert_eq!(sim.ctl.create_app(&s2s_without_account).await.unwrap_err().status(), Some(400));
}

#[tokio::test]
async fn bulk_creates_thousands_in_one_call() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let admin = sim.user(&account.id, Role::Owner).await;
    let result = sim
        .ctl
        .bulk(&Bulk { account_id: account.id.clone(), users: 2000, meetings_per_user: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(result.users.len(), 2000);
    assert_eq!(result.meetings.len(), 20_000);
    assert_eq!(result.meetings.iter().collect::<HashSet<_>>().len(), 20_000, "meeting ids are unique");
    assert_eq!(result.users.iter().map(|u| &u.email).collect::<HashSet<_>>().len(), 2000);
    assert!(result.users.iter().all(|u| (1_000_000_000..10_000_000_000).contains(&u.pmi)));

    let app = sim.app(AppKind::AccountLevel).await;
    let tokens = sim.authorize(&app, &admin).await;
    let (_, page) = sim.get(&tokens.access, "/users?page_size=300").await;
    assert_eq!(page["total_records"], 2001);
    assert_eq!(page["page_count"], 7);
    let someone = &result.users[1234];
    let (_, meetings) = sim.get(&tokens.access, &format!("/users/{}/meetings", someone.id)).await;
    assert_eq!(meetings["total_records"], 10);
    assert!(sim.ctl.deliveries(None, None).await.unwrap().is_empty(), "notify defaults to false");
    let too_many =
        Bulk { account_id: account.id.clone(), users: 100_000, meetings_per_user: 100, ..Default::default() };
    assert_eq!(sim.ctl.bulk(&too_many).await.unwrap_err().status(), Some(400));
}

#[tokio::test]
async fn counters_count_routes_statuses_and_grants_and_reset() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &user).await;
    for _ in 0..3 {
        sim.get(&tokens.access, "/users/me").await;
    }
    sim.get(&tokens.access, &format!("/users/{}/meetings", user.id)).await;
    sim.get("bogus", "/users/me").await;

    let counters = sim.ctl.counters().await.unwrap();
    assert_eq!(counters.count("GET /v2/users/me", "200"), 3);
    assert_eq!(counters.count("GET /v2/users/me", "401"), 1);
    assert_eq!(counters.count("GET /v2/users/{userId}/meetings", "400"), 1);
    assert_eq!(counters.count("POST /oauth/token", "200"), 1);
    assert_eq!(counters.oauth.authorization_code, 1);
    let grant = sim.ctl.grants(Some(&app.client_id), None).await.unwrap().remove(0);
    let by_grant = &counters.by_grant[&grant.id];
    assert_eq!(by_grant["GET /v2/users/me"], 3);
    assert!(counters.requests.keys().all(|route| !route.contains("/_sim")), "the control API is not counted");

    let reset = sim.ctl.reset_counters().await.unwrap();
    assert_eq!(reset, Default::default());
    sim.get(&tokens.access, "/users/me").await;
    assert_eq!(sim.ctl.counters().await.unwrap().total("GET /v2/users/me"), 1);
}

#[tokio::test]
async fn the_clock_only_moves_forward() {
    let sim = TestSim::start();
    let before = sim.ctl.clock().await.unwrap();
    let after = sim.ctl.advance_clock(3600.0).await.unwrap();
    assert_eq!(after.offset_seconds, 3600.0);
    let (t0, t1) = (
        chrono::DateTime::parse_from_rfc3339(&before.now).unwrap(),
        chrono::DateTime::parse_from_rfc3339(&after.now).unwrap(),
    );
    assert!(t1 - t0 >= chrono::TimeDelta::seconds(3600));
    assert_eq!(sim.ctl.advance_clock(-1.0).await.unwrap_err().status(), Some(400));
}

#[tokio::test]
async fn garbage_input_never_breaks_the_server() {
    let sim = TestSim::start();
    let base = sim.base().to_owned();
    let junk_requests = vec![
        sim.http.post(format!("{base}/oauth/token")).header("authorization", "Basic !!!not-base64"),
        sim.http.post(format!("{base}/oauth/token")).header("authorization", "Basic Og=="),
        sim.http.post(format!("{base}/oauth/token")).body(vec![0xff, 0xfe, b'=', b'&', b'%']),
        sim.http
            .post(format!("{base}/oauth/token?grant_type=refresh_token&refresh_token=%ZZ"))
            .basic_auth("a", Some("b")),
        sim.http.post(format!("{base}/oauth/revoke")).body("token="),
        sim.http.get(format!("{base}/oauth/authorize?response_type=code&client_id=%00&redirect_uri=::")),
        sim.http.post(format!("{base}/oauth/authorize/consent")).body("\u{0}"),
        sim.http.get(format!("{base}/v2/users/me")).header("authorization", "Bearer"),
        sim.http.get(format!("{base}/v2/users/me")).header("authorization", b"Bearer \xff\xfe".as_slice()),
        sim.http.get(format!("{base}/v2/meetings/-1/jointoken/local_recording")).bearer_auth("x"),
        sim.http.get(format!("{base}/v2/users?page_size=-5&next_page_token=%00")).bearer_auth("x"),
        sim.http.post(format!("{base}/_sim/users")).body("[]"),
        sim.http.post(format!("{base}/_sim/meetings")).body(r#"{"host_id":"x","id":-3}"#),
        sim.http.post(format!("{base}/_sim/clock/advance")).body(r#"{"seconds":1e308}"#),
        sim.http
            .post(format!("{base}/_sim/bulk"))
            .body(r#"{"account_id":"a","users":4294967295,"meetings_per_user":4294967295}"#),
        sim.http.post(format!("{base}/_sim/faults")).body(r#"{"path":"/v2","status":42}"#),
        sim.http.post(format!("{base}/_sim/deliveries/0/redeliver")),
        sim.http.post(format!("{base}/_sim/deliveries/18446744073709551615/redeliver")),
        sim.http.patch(format!("{base}/_sim/meetings/abc")).body("{}"),
        sim.http.delete(format!("{base}/_sim/meetings/1?occurrence_id=x")),
    ];
    for req in junk_requests {
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        assert!((400..500).contains(&status), "got {status}");
    }
    // Still serving.
    assert!(sim.ctl.clock().await.is_ok());
}
