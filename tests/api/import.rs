//! Importing refresh tokens a team already holds: `POST /api/v2/zoom-oauth-credentials/` with a
//! `refresh_token`, and `zoomsync credential import`.

use std::io::Write as _;
use std::process::Stdio;

use reqwest::{Method, StatusCode};
use secrecy::ExposeSecret as _;
use serde_json::{Value, json};
use zoom_sim::control::types::{NewCode, NewFault, RefreshState, Role};

use crate::both_backends;
use crate::helpers::app::ENCRYPTION_KEY;
use crate::helpers::process::{Daemon, command, db_env, run_cli, zoom_env};
use crate::helpers::world::RegisteredApp;
use crate::helpers::{World, contains_secret, json};

const CREDENTIALS: &str = "/api/v2/zoom-oauth-credentials/";

/// A refresh token as the team's own integration got it: a code exchange at Zoom (zoom-sim),
/// done by the test, zoomsync not involved.
async fn live_refresh_token(world: &World, app: &RegisteredApp, user_id: &str) -> String {
    let redirect_uri = world.daemon.url("/zoom/oauth/callback");
    let code = world
        .sim
        .create_code(&NewCode {
            client_id: app.client_id.clone(),
            user_id: user_id.to_owned(),
            redirect_uri: redirect_uri.clone(),
            ..NewCode::default()
        })
        .await
        .unwrap();
    let tokens = token_call(
        world,
        app,
        &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", &redirect_uri)],
    )
    .await;
    tokens["refresh_token"].as_str().unwrap().to_owned()
}

async fn token_call(world: &World, app: &RegisteredApp, form: &[(&str, &str)]) -> Value {
    let response = reqwest::Client::new()
        .post(format!("{}/oauth/token", world.zoom.base_url()))
        .basic_auth(&app.client_id, Some(&app.client_secret))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn import(world: &World, app: &RegisteredApp, refresh_token: &str) -> reqwest::Response {
    world
        .daemon
        .admin(Method::POST, CREDENTIALS)
        .json(&json!({"oauth_app": app.id, "refresh_token": refresh_token}))
        .send()
        .await
        .unwrap()
}

async fn credential_count(world: &World) -> usize {
    json(world.daemon.admin(Method::GET, CREDENTIALS).send().await.unwrap()).await["results"].as_array().unwrap().len()
}

/// The refresh token zoomsync stored for a credential, decrypted.
fn stored_refresh_token(world: &World, credential_id: &str) -> String {
    let cipher =
        zoomsync::crypto::Cipher::new(&zoomsync::crypto::EncryptionKey::from_base64(ENCRYPTION_KEY).unwrap(), &[]);
    let mut conn = world.db().get().unwrap();
    let row = zoomsync::db::models::credentials::find(&mut conn, credential_id).unwrap().unwrap();
    cipher
        .open(zoomsync::crypto::Field::CredentialRefreshToken, &row.id, row.refresh_token.as_deref().unwrap())
        .unwrap()
        .expose_secret()
        .to_owned()
}

both_backends! {
    // SIGTERM while an import waits for Zoom's answer, held back after the rotation for longer
    // than the HTTP server's own 10 s graceful stop: the import still stores the rotated token
    // before the process exits.
    async fn a_graceful_stop_waits_for_an_import_in_flight(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        let token = live_refresh_token(&world, &app, &host.id).await;
        let mut env = db_env(&world.daemon.db);
        env.extend(zoom_env(&world.zoom));
        let mut process = Daemon::start(world.daemon.db.dir.path(), "import-stop", &env);
        assert!(process.wait_ready(std::time::Duration::from_secs(30)).await, "{}", process.stderr());
        let slow = NewFault {
            path: "/oauth/token".into(),
            count: Some(1),
            delay_ms: Some(12_000),
            after_work: Some(true),
            ..Default::default()
        };
        world.sim.add_fault(&slow).await.unwrap();
        let request = reqwest::Client::new()
            .post(format!("{}{CREDENTIALS}", process.address))
            .bearer_auth(crate::helpers::ADMIN_TOKEN)
            .json(&json!({"oauth_app": app.id, "refresh_token": token}));
        let pending = tokio::spawn(async move { request.send().await.ok() });
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert!(process.terminate().success(), "{}", process.stderr());
        let _ = pending.await;

        let listed = json(world.daemon.admin(Method::GET, CREDENTIALS).send().await.unwrap()).await;
        let id = listed["results"][0]["id"].as_str().expect("the import was stored before the process exited").to_owned();
        let stored = world.sim.check_refresh_token(&stored_refresh_token(&world, &id)).await.unwrap();
        assert_eq!(stored.state, RefreshState::Current, "zoomsync holds the token Zoom rotated to");
    }

    async fn an_imported_refresh_token_becomes_a_healthy_credential_that_mints(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        let token = live_refresh_token(&world, &app, &host.id).await;
        let before = world.sim.check_refresh_token(&token).await.unwrap();
        assert_eq!(before.state, RefreshState::Current);

        let response = import(&world, &app, &token).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let credential = json(response).await;
        let id = credential["id"].as_str().unwrap().to_owned();
        assert_eq!(credential["user_id"], host.id.as_str());
        assert_eq!(credential["account_id"], account.as_str());
        assert_eq!(credential["status"], "healthy");

        // Rotated exactly once, and what zoomsync holds is the one successor.
        let after = world.sim.check_refresh_token(&token).await.unwrap();
        assert_eq!(after.state, RefreshState::Superseded);
        assert_eq!(after.current_generation, before.generation.map(|g| g + 1), "{after:?}");
        let stored = world.sim.check_refresh_token(&stored_refresh_token(&world, &id)).await.unwrap();
        assert_eq!(stored.state, RefreshState::Current);
        assert_eq!(stored.generation, after.current_generation);

        // It mints for the user's meetings, as a connected credential does.
        world.wait_for_first_backfill(&id).await;
        let minted = world.bot("join-token", &format!("meeting_id={}", host.pmi)).await;
        assert_eq!(minted.status(), StatusCode::OK);
        let record = world.sim.token(&minted.text().await.unwrap()).await.unwrap();
        assert_eq!(record.user_id.as_deref(), Some(host.id.as_str()));

        // The log says it was imported, and shows no token.
        let path = format!("{CREDENTIALS}{id}/logs/");
        let logs = world.daemon.eventually_json(&path, |page| page.to_string().contains("imported")).await;
        assert!(!logs.to_string().contains(&token));

        // A second token of the same user updates the credential: 200, the same id.
        let again = live_refresh_token(&world, &app, &host.id).await;
        let updated = import(&world, &app, &again).await;
        assert_eq!(updated.status(), StatusCode::OK);
        assert_eq!(json(updated).await["id"], id.as_str());
        assert_eq!(credential_count(&world).await, 1);
    }

    async fn a_dead_or_made_up_refresh_token_is_refused_and_nothing_stored(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        let s2s = world.app("server_to_server", Some(&account)).await;

        let made_up = import(&world, &app, "not-a-refresh-token").await;
        assert_eq!(made_up.status(), StatusCode::BAD_REQUEST);
        let body = json(made_up).await;
        assert_eq!(body["error"], "zoom_refused", "{body}");
        assert!(body["detail"].as_str().unwrap().contains("refused the refresh token"), "{body}");

        // Used once already (the team's integration refreshed it): Zoom honours only its successor.
        let token = live_refresh_token(&world, &app, &host.id).await;
        token_call(&world, &app, &[("grant_type", "refresh_token"), ("refresh_token", &token)]).await;
        let dead = import(&world, &app, &token).await;
        assert_eq!(dead.status(), StatusCode::BAD_REQUEST);
        let body = json(dead).await;
        assert_eq!(body["error"], "zoom_refused", "{body}");
        assert!(!body.to_string().contains(&token));

        // Both ways at once, or an empty token, is invalid input; a server-to-server app has
        // no refresh tokens.
        let both = json!({"oauth_app": app.id, "refresh_token": "x", "authorization_code": {"code": "c", "redirect_uri": "r"}});
        let response = world.daemon.admin(Method::POST, CREDENTIALS).json(&both).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(json(response).await["error"], "invalid_field");
        assert_eq!(import(&world, &app, "  ").await.status(), StatusCode::BAD_REQUEST);
        let s2s_import = import(&world, &s2s, "x").await;
        assert_eq!(s2s_import.status(), StatusCode::BAD_REQUEST);
        assert_eq!(json(s2s_import).await["error"], "invalid_app");
        assert_eq!(credential_count(&world).await, 0, "nothing was stored");

        // Zoom rotates but its answer is lost: 503, saying the token may have been rotated.
        let live = live_refresh_token(&world, &app, &host.id).await;
        let fault = NewFault { method: Some("POST".into()), path: "/oauth/token".into(), count: Some(1), status: Some(500), after_work: Some(true), ..Default::default() };
        world.sim.add_fault(&fault).await.unwrap();
        let lost = import(&world, &app, &live).await;
        assert_eq!(lost.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = json(lost).await;
        assert!(body["detail"].as_str().unwrap().contains("may have rotated"), "{body}");
        assert_eq!(credential_count(&world).await, 0, "nothing was stored");
    }

    async fn the_cli_imports_a_file_line_by_line_and_never_prints_a_token(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let first = world.user(&account, Role::Member).await;
        let second = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        let good_one = live_refresh_token(&world, &app, &first.id).await;
        let good_two = live_refresh_token(&world, &app, &second.id).await;
        let bad = "made-up-refresh-token-5e1f";
        let dir = world.daemon.db.dir.path();
        let file = dir.join("tokens.txt");
        std::fs::write(&file, format!("# exported from our old bot service\n{good_one}\n\n{bad}\n  {good_two}  \n")).unwrap();
        let mut env = db_env(&world.daemon.db);
        env.extend(zoom_env(&world.zoom));

        let output = run_cli(dir, &env, &["credential", "import", "--app", &app.id, file.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(1), "one token was refused: {stdout} {stderr}");
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines.len(), 3, "{stdout}");
        assert!(lines[0].starts_with("line 2: imported credential ") && lines[0].ends_with(&format!("(Zoom user {})", first.id)), "{stdout}");
        assert!(lines[1].starts_with("line 4: refused by Zoom: "), "{stdout}");
        assert!(lines[2].starts_with("line 5: imported credential ") && lines[2].ends_with(&format!("(Zoom user {})", second.id)), "{stdout}");
        for token in [good_one.as_str(), good_two.as_str(), bad] {
            assert!(!contains_secret(&output.stdout, token) && !contains_secret(&output.stderr, token), "a token was printed");
        }
        assert_eq!(credential_count(&world).await, 2);

        // JSON on standard input, with --json: the same tokens are spent now, so both refused.
        let mut child = command(dir)
            .envs(env.iter().cloned())
            .args(["credential", "import", "--app", &app.id, "--json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let input = json!([good_one, {"refresh_token": bad}]).to_string();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(1));
        let outcomes: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(outcomes[0]["item"], 1);
        assert_eq!(outcomes[0]["status"], "refused");
        assert_eq!(outcomes[1]["error"], "zoom_refused");
        for token in [good_one.as_str(), bad] {
            assert!(!contains_secret(&output.stdout, token) && !contains_secret(&output.stderr, token), "a token was printed");
        }

        let unknown = run_cli(dir, &env, &["credential", "import", "--app", "nope", file.to_str().unwrap()]);
        assert_eq!(unknown.status.code(), Some(3));
    }
}
