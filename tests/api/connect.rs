//! Connecting Zoom accounts (docs/http.md, issue 6): the browser flow, Recall's code exchange,
//! reconnects, server-to-server apps, deletion.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use zoom_sim::control::types::{NewCode, Role};

use crate::both_backends;
use crate::helpers::{World, json};

both_backends! {
    async fn the_full_flow_ends_in_a_token_zoom_minted_for_the_host(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;

        let credential = world.connect(&app, &host.id).await;
        assert_eq!(credential["status"], "healthy");
        assert_eq!(credential["user_id"], host.id.as_str());
        assert_eq!(credential["account_id"], account.as_str());
        assert_eq!(credential["oauth_app"], app.id.as_str());
        assert_eq!(credential["missing_scopes"], json!([]));
        // The user's PMI is mapped at once.
        let pmi = world.mappings(host.pmi).await;
        assert_eq!(pmi.len(), 1);
        assert_eq!(pmi[0]["source"], "pmi");

        let meeting = world.meeting(&host.id).await;
        let mapped = world.wait_for_mappings(meeting.id, 1).await;
        assert_eq!(mapped.len(), 1, "meeting.created maps the meeting");
        assert_eq!(mapped[0]["source"], "webhook");
        assert_eq!(mapped[0]["credential"], credential["id"]);

        let response = world.bot("join-token", &format!("meeting_id={}", meeting.id)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
        let token = response.text().await.unwrap();
        assert!(!token.is_empty() && !token.contains(['\n', '"', '{']), "{token:?}");
        let minted = world.sim.token(&token).await.expect("zoom-sim minted it");
        assert_eq!(minted.meeting_id, Some(meeting.id));
        assert_eq!(minted.host_id.as_deref(), Some(host.id.as_str()));
        assert_eq!(minted.user_id.as_deref(), Some(host.id.as_str()), "minted with the host's own credential");
        assert_eq!(minted.client_id, app.client_id);
        assert!(minted.bypass_waiting_room);
        assert!(!minted.reused && !minted.expired);

        // Each request mints afresh: join tokens are single-use.
        let again = world.bot("join-token", &format!("meeting_url=https://us02web.zoom.us/j/{}?pwd=x", meeting.id)).await;
        assert_eq!(again.status(), StatusCode::OK);
        assert_ne!(again.text().await.unwrap(), token);
        let no_bypass = world.bot("join-token", &format!("meeting_id={}&bypass_waiting_room=false", meeting.id)).await;
        let no_bypass = world.sim.token(&no_bypass.text().await.unwrap()).await.unwrap();
        assert!(!no_bypass.bypass_waiting_room);
    }

    async fn a_bad_or_replayed_state_stores_nothing(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        world.sim.set_authorizer(&app.client_id, &host.id).await.unwrap();
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();

        let start = browser.get(world.daemon.url(&format!("/zoom/oauth/start?app={}", app.id))).send().await.unwrap();
        assert_eq!(start.status(), StatusCode::FOUND);
        let authorize = start.headers()["location"].to_str().unwrap().to_owned();
        assert!(authorize.starts_with(&format!("{}/oauth/authorize?", world.zoom.base_url())), "{authorize}");
        for part in ["response_type=code", "code_challenge_method=S256", "code_challenge=", "state="] {
            assert!(authorize.contains(part), "{authorize} lacks {part}");
        }
        assert!(!authorize.contains("scope="), "scopes come from the app's configuration, not the URL");
        let consent = browser.get(&authorize).send().await.unwrap();
        assert_eq!(consent.status(), StatusCode::FOUND);
        let callback = consent.headers()["location"].to_str().unwrap().to_owned();
        let tampered = callback.replace("state=", "state=x");
        let refused = browser.get(&tampered).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

        let accepted = browser.get(&callback).send().await.unwrap();
        assert_eq!(accepted.status(), StatusCode::OK);
        let replayed = browser.get(&callback).send().await.unwrap();
        assert_eq!(replayed.status(), StatusCode::BAD_REQUEST, "its code is single-use at Zoom");
        let list = json(world.daemon.admin(Method::GET, "/api/v2/zoom-oauth-credentials/").send().await.unwrap()).await;
        assert_eq!(list["results"].as_array().unwrap().len(), 1);

        let missing = browser.get(world.daemon.url("/zoom/oauth/callback?code=abc")).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
        let unknown_app = browser.get(world.daemon.url("/zoom/oauth/start?app=nope")).send().await.unwrap();
        assert_eq!(unknown_app.status(), StatusCode::NOT_FOUND);
    }

    async fn recall_style_code_exchange_creates_then_reconnects(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let user = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        let redirect_uri = "https://bots.example.com/zoom/callback";
        world
            .sim
            .update_app(&app.client_id, &zoom_sim::control::types::AppPatch {
                redirect_uris: Some(vec![redirect_uri.to_owned()]),
                ..Default::default()
            })
            .await
            .unwrap();
        let exchange = |code: String| {
            world
                .daemon
                .admin(Method::POST, "/api/v2/zoom-oauth-credentials/")
                .json(&json!({"oauth_app": app.id, "authorization_code": {"code": code, "redirect_uri": redirect_uri}}))
                .send()
        };
        let new_code = NewCode {
            client_id: app.client_id.clone(),
            user_id: user.id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            ..NewCode::default()
        };
        let code = || world.sim.create_code(&new_code);
        let first = exchange(code().await.unwrap()).await.unwrap();
        assert_eq!(first.status(), StatusCode::CREATED);
        let first = json(first).await;
        let second = exchange(code().await.unwrap()).await.unwrap();
        assert_eq!(second.status(), StatusCode::OK, "the same user reconnecting updates the credential");
        assert_eq!(json(second).await["id"], first["id"]);

        // A used or made-up code is Zoom's refusal: 400, nothing stored.
        let bad = exchange("not-a-code".into()).await.unwrap();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        let list = json(world.daemon.admin(Method::GET, "/api/v2/zoom-oauth-credentials/").send().await.unwrap()).await;
        assert_eq!(list["results"].as_array().unwrap().len(), 1);
        for body in [json!({}), json!({"oauth_app": app.id, "authorization_code": {"code": "x"}}), json!({"oauth_app": "nope", "authorization_code": {"code": "x", "redirect_uri": "y"}})] {
            let response = world.daemon.admin(Method::POST, "/api/v2/zoom-oauth-credentials/").json(&body).send().await.unwrap();
            assert!(response.status() == StatusCode::BAD_REQUEST || response.status() == StatusCode::NOT_FOUND, "{body}");
        }
    }

    async fn account_level_and_server_to_server_credentials_cover_the_account(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let admin = world.user(&account, Role::Admin).await;
        let host = world.user(&account, Role::Member).await;
        let account_app = world.app("account_level", None).await;
        let s2s_app = world.app("server_to_server", Some(&account)).await;

        let account_credential = world.connect(&account_app, &admin.id).await;
        assert_eq!(account_credential["account_id"], account.as_str());
        let s2s = world
            .daemon
            .admin(Method::POST, "/api/v2/zoom-oauth-credentials/")
            .json(&json!({"oauth_app": s2s_app.id}))
            .send()
            .await
            .unwrap();
        assert_eq!(s2s.status(), StatusCode::CREATED);

        let meeting = world.meeting(&host.id).await;
        let mapped = world.wait_for_mappings(meeting.id, 2).await;
        assert_eq!(mapped.len(), 2, "both account-wide credentials map the member's meeting: {mapped:?}");
        let token = world.bot("join-token", &format!("meeting_id={}", meeting.id)).await;
        assert_eq!(token.status(), StatusCode::OK);
        let minted = world.sim.token(&token.text().await.unwrap()).await.unwrap();
        assert_eq!(minted.host_id.as_deref(), Some(host.id.as_str()));
        assert_eq!(minted.account_id, account);
        for kind in ["obf-token", "zak"] {
            let response = world.bot(kind, &format!("meeting_id={}", meeting.id)).await;
            assert_eq!(response.status(), StatusCode::OK, "{kind}");
            let minted = world.sim.token(&response.text().await.unwrap()).await.unwrap();
            assert_eq!(minted.user_id.as_deref(), Some(host.id.as_str()), "{kind} is the host's");
        }
    }

    async fn deleting_a_credential_revokes_it_and_drops_its_mappings(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        let host = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        let credential = world.connect(&app, &host.id).await;
        let id = credential["id"].as_str().unwrap();
        let meeting = world.meeting(&host.id).await;
        assert_eq!(world.wait_for_mappings(meeting.id, 1).await.len(), 1);

        let conflict = world.daemon.admin(Method::DELETE, &format!("/api/v2/zoom-oauth-apps/{}/", app.id)).send().await.unwrap();
        assert_eq!(conflict.status(), StatusCode::CONFLICT, "an app with credentials cannot be deleted");

        let deleted = world.daemon.admin(Method::DELETE, &format!("/api/v2/zoom-oauth-credentials/{id}/")).send().await.unwrap();
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
        let grants = world.sim.grants(Some(&app.client_id), Some(&host.id)).await.unwrap();
        assert!(grants.iter().all(|g| !g.active), "revoked at Zoom");
        assert_eq!(world.mappings(meeting.id).await, Vec::<Value>::new());
        let gone = world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{id}/")).send().await.unwrap();
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
        let bot = world.bot("join-token", &format!("meeting_id={}", meeting.id)).await;
        assert_eq!(bot.status(), StatusCode::NOT_FOUND);
        let app_gone = world.daemon.admin(Method::DELETE, &format!("/api/v2/zoom-oauth-apps/{}/", app.id)).send().await.unwrap();
        assert_eq!(app_gone.status(), StatusCode::NO_CONTENT);
    }
}
