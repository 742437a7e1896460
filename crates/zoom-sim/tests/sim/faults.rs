//! Injected faults: canned statuses, delays, dropped connections.

use std::time::{Duration, Instant};

use zoom_sim::control::types::{AppKind, NewFault, Role};

use crate::helpers::*;

async fn ready(sim: &TestSim) -> Tokens {
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    sim.authorize(&app, &user).await
}

#[tokio::test]
async fn a_status_fault_answers_the_next_matching_requests() {
    let sim = TestSim::start();
    let tokens = ready(&sim).await;
    let fault = NewFault {
        path: "/v2/users/me".into(),
        count: Some(2),
        status: Some(503),
        body: Some(serde_json::json!({"code": 503, "message": "down"})),
        headers: Some([("retry-after".to_owned(), "1".to_owned())].into()),
        ..Default::default()
    };
    let added = sim.ctl.add_fault(&fault).await.unwrap();
    assert_eq!(added.remaining, 2);
    for _ in 0..2 {
        let res = sim.get_raw(&tokens.access, "/users/me").await;
        assert_eq!(res.status().as_u16(), 503);
        assert_eq!(res.headers()["retry-after"], "1");
        assert_eq!(res.json::<serde_json::Value>().await.unwrap()["message"], "down");
    }
    assert_eq!(sim.get(&tokens.access, "/users/me").await.0, 200);
    assert!(sim.ctl.faults().await.unwrap().is_empty());
    assert_eq!(sim.ctl.counters().await.unwrap().count("GET /v2/users/me", "503"), 2);
}

#[tokio::test]
async fn faults_match_method_and_path_prefix() {
    let sim = TestSim::start();
    let tokens = ready(&sim).await;
    let fault =
        NewFault { method: Some("post".into()), path: "/oauth/".into(), status: Some(500), ..Default::default() };
    sim.ctl.add_fault(&fault).await.unwrap();
    assert_eq!(sim.get(&tokens.access, "/users/me").await.0, 200, "another path");
    let res = sim.http.get(format!("{}/oauth/authorize", sim.base())).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 400, "another method reaches the handler");
    assert_eq!(sim.ctl.faults().await.unwrap().len(), 1);
    let res = sim.http.post(format!("{}/oauth/token", sim.base())).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 500);
    assert!(sim.ctl.faults().await.unwrap().is_empty());

    sim.ctl
        .add_fault(&NewFault { path: "/v2".into(), status: Some(502), count: Some(5), ..Default::default() })
        .await
        .unwrap();
    sim.ctl.clear_faults().await.unwrap();
    assert_eq!(sim.get(&tokens.access, "/users/me").await.0, 200);

    let bad = NewFault { path: "/_sim/counters".into(), status: Some(500), ..Default::default() };
    assert_eq!(sim.ctl.add_fault(&bad).await.unwrap_err().status(), Some(400));
    let empty = NewFault { path: "/v2".into(), ..Default::default() };
    assert_eq!(sim.ctl.add_fault(&empty).await.unwrap_err().status(), Some(400));
}

#[tokio::test]
async fn a_delay_fault_delays_then_proceeds() {
    let sim = TestSim::start();
    let tokens = ready(&sim).await;
    let fault = NewFault { path: "/v2/users".into(), delay_ms: Some(400), ..Default::default() };
    sim.ctl.add_fault(&fault).await.unwrap();
    let started = Instant::now();
    let (status, body) = sim.get(&tokens.access, "/users/me").await;
    assert_eq!(status, 200, "{body}");
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert!(sim.ctl.faults().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_drop_fault_closes_the_connection_without_a_response() {
    let sim = TestSim::start();
    let tokens = ready(&sim).await;
    sim.ctl.add_fault(&NewFault { path: "/oauth/token".into(), drop: Some(true), ..Default::default() }).await.unwrap();
    let result =
        sim.http.post(format!("{}/oauth/token", sim.base())).form(&[("grant_type", "refresh_token")]).send().await;
    let err = result.expect_err("no response must arrive");
    assert!(!err.is_status());
    // The next request works (on a fresh connection).
    let res = sim.http.post(format!("{}/oauth/token", sim.base())).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(sim.get(&tokens.access, "/users/me").await.0, 200);
    assert_eq!(sim.ctl.counters().await.unwrap().count("POST /oauth/token", "dropped"), 1);
}

/// docs/zoom.md §2.3: Zoom finishes a refresh whether or not the client still waits. An
/// `after_work` fault lets the rotation happen, then holds the answer back (or replaces it, or
/// drops the connection): a client that gave up has already lost its old refresh token.
#[tokio::test]
async fn an_after_work_fault_answers_only_once_the_rotation_happened() {
    use zoom_sim::control::types::RefreshState;
    let sim = TestSim::start();
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let refresh = sim.authorize(&app, &user).await.refresh.unwrap();
    let late = NewFault {
        method: Some("POST".into()),
        path: "/oauth/token".into(),
        delay_ms: Some(1500),
        after_work: Some(true),
        ..Default::default()
    };
    assert!(sim.ctl.add_fault(&late).await.unwrap().after_work);

    // A client that waits 500 ms gives up; the refresh went through all the same.
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(500)).build().unwrap();
    let started = Instant::now();
    let result = impatient
        .post(format!("{}/oauth/token", sim.base()))
        .basic_auth(&app.client_id, Some(&app.client_secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())])
        .send()
        .await;
    assert!(result.expect_err("the answer comes too late").is_timeout());
    assert!(started.elapsed() < Duration::from_millis(1400));
    let check = sim.ctl.check_refresh_token(&refresh).await.unwrap();
    assert_eq!((check.state, check.current_generation), (RefreshState::Superseded, Some(2)));
    assert_oauth_error(&sim.refresh(&app, &refresh).await, "invalid_grant", Some("Invalid Token!"));

    // A client that waits gets the real answer, late.
    let refresh = sim.authorize(&app, &user).await.refresh.unwrap();
    sim.ctl.add_fault(&late).await.unwrap();
    let started = Instant::now();
    let (status, body) = sim.refresh(&app, &refresh).await;
    assert_eq!(status, 200, "{body}");
    assert!(started.elapsed() >= Duration::from_millis(1500));
    let rotated = tokens(&body).refresh.unwrap();
    assert_eq!(sim.ctl.check_refresh_token(&rotated).await.unwrap().state, RefreshState::Current);

    // The work done, then a 502 in its place, or no answer at all.
    let bad_gateway = NewFault { status: Some(502), delay_ms: None, ..late.clone() };
    sim.ctl.add_fault(&bad_gateway).await.unwrap();
    assert_eq!(sim.refresh_raw(&app, &rotated).await.status().as_u16(), 502);
    assert_eq!(sim.ctl.check_refresh_token(&rotated).await.unwrap().state, RefreshState::Superseded);
    let refresh = sim.authorize(&app, &user).await.refresh.unwrap();
    sim.ctl.add_fault(&NewFault { drop: Some(true), delay_ms: None, ..late.clone() }).await.unwrap();
    let dropped = sim
        .http
        .post(format!("{}/oauth/token", sim.base()))
        .basic_auth(&app.client_id, Some(&app.client_secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh.as_str())])
        .send()
        .await;
    assert!(dropped.is_err(), "no answer");
    assert_eq!(sim.ctl.check_refresh_token(&refresh).await.unwrap().state, RefreshState::Superseded);
    let counters = sim.ctl.counters().await.unwrap();
    assert_eq!(counters.oauth.refresh, 4, "every one of them rotated");
    assert_eq!(counters.count("POST /oauth/token", "502"), 1);
    assert_eq!(counters.count("POST /oauth/token", "dropped"), 1);
    let bare = NewFault { path: "/oauth/token".into(), after_work: Some(true), ..Default::default() };
    assert_eq!(sim.ctl.add_fault(&bare).await.unwrap_err().status(), Some(400));
}
