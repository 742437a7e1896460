//! The admin API for Zoom OAuth apps (docs/http.md).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{TestApp, contains_secret, json, logs};

fn user_level(client_id: &str) -> Value {
    json!({"kind": "user_level", "client_id": client_id, "client_secret": "cs-secret-value-1", "webhook_secret": "wh-secret-value-1"})
}

async fn list(app: &TestApp) -> Value {
    json(app.admin(Method::GET, "/api/v2/zoom-oauth-apps/").send().await.unwrap()).await
}

both_backends! {
    async fn create_get_list_rotate_delete(backend) {
        let app = TestApp::spawn(backend).await;
        let response = app.create_app(user_level("client-a")).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created = json(response).await;
        let id = created["id"].as_str().unwrap().to_owned();
        assert_eq!(created["kind"], "user_level");
        assert_eq!(created["client_id"], "client-a");
        assert_eq!(created["webhook_url"], format!("{}/api/v2/zoom-oauth-apps/{id}/webhook", app.address));
        assert_eq!(created["oauth_start_url"], format!("{}/zoom/oauth/start?app={id}", app.address));
        assert_eq!(created["webhook_last_validation"], Value::Null);
        assert!(created["created_at"].as_str().unwrap().ends_with('Z'));

        // With and without the trailing slash.
        for path in [format!("/api/v2/zoom-oauth-apps/{id}/"), format!("/api/v2/zoom-oauth-apps/{id}")] {
            let got = json(app.admin(Method::GET, &path).send().await.unwrap()).await;
            assert_eq!(got, created);
        }
        let listed = list(&app).await;
        assert_eq!(listed["results"], json!([created]));
        assert_eq!(listed["next"], Value::Null);

        let rotated = app
            .admin(Method::PATCH, &format!("/api/v2/zoom-oauth-apps/{id}/"))
            .json(&json!({"client_secret": "cs-secret-value-2", "webhook_secret": "wh-secret-value-2"}))
            .send()
            .await
            .unwrap();
        assert_eq!(rotated.status(), StatusCode::OK);
        assert_eq!(json(rotated).await["id"], id.as_str());

        let deleted = app.admin(Method::DELETE, &format!("/api/v2/zoom-oauth-apps/{id}/")).send().await.unwrap();
        assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
        let gone = app.admin(Method::GET, &format!("/api/v2/zoom-oauth-apps/{id}/")).send().await.unwrap();
        assert_eq!(gone.status(), StatusCode::NOT_FOUND);
        assert_eq!(json(gone).await["error"], "not_found");
        let again = app.admin(Method::DELETE, &format!("/api/v2/zoom-oauth-apps/{id}/")).send().await.unwrap();
        assert_eq!(again.status(), StatusCode::NOT_FOUND);
    }

    async fn server_to_server_needs_an_account_and_has_no_start_url(backend) {
        let app = TestApp::spawn(backend).await;
        let missing = app
            .create_app(json!({"kind": "server_to_server", "client_id": "s2s", "client_secret": "c", "webhook_secret": "w"}))
            .await;
        assert_eq!(missing.status(), StatusCode::BAD_REQUEST);
        let created = app
            .create_app(json!({"kind": "server_to_server", "client_id": "s2s", "client_secret": "c", "webhook_secret": "w", "account_id": "acct-1"}))
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let created = json(created).await;
        assert_eq!(created["account_id"], "acct-1");
        assert_eq!(created["oauth_start_url"], Value::Null);
        let user_level_with_account = app
            .create_app(json!({"kind": "user_level", "client_id": "u", "client_secret": "c", "webhook_secret": "w", "account_id": "acct-1"}))
            .await;
        assert_eq!(user_level_with_account.status(), StatusCode::BAD_REQUEST);
    }

    async fn invalid_creates_are_refused_and_store_nothing(backend) {
        let app = TestApp::spawn(backend).await;
        let cases = [
            json!({"kind": "user_level", "client_secret": "c", "webhook_secret": "w"}),
            json!({"kind": "user_level", "client_id": "", "client_secret": "c", "webhook_secret": "w"}),
            json!({"kind": "user_level", "client_id": "x", "webhook_secret": "w"}),
            json!({"kind": "user_level", "client_id": "x", "client_secret": "  ", "webhook_secret": "w"}),
            json!({"kind": "user_level", "client_id": "x", "client_secret": "c"}),
            json!({"kind": "user_level", "client_id": "x", "client_secret": "c", "webhook_secret": ""}),
            json!({"kind": "galaxy_level", "client_id": "x", "client_secret": "c", "webhook_secret": "w"}),
            json!({"client_id": "x", "client_secret": "c", "webhook_secret": "w"}),
            json!({"kind": "user_level", "client_id": "x", "client_secret": "c", "webhook_secret": "w", "colour": "red"}),
            json!(["not", "an", "object"]),
        ];
        for body in cases {
            let response = app.create_app(body.clone()).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
            let error = json(response).await;
            assert!(error["error"].is_string() && error["detail"].is_string(), "{error}");
        }
        for raw in ["{\"kind\": \"user_level\"", "not json at all", ""] {
            let response = app
                .admin(Method::POST, "/api/v2/zoom-oauth-apps/")
                .header("content-type", "application/json")
                .body(raw)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{raw:?}");
            assert_eq!(json(response).await["error"], "invalid_json");
        }
        assert_eq!(list(&app).await["results"], json!([]));
    }

    // `name` is an extension: optional, trimmed, 1 to 100 characters, renamed or removed by PATCH.
    async fn apps_have_optional_names_set_and_changed_by_patch(backend) {
        let app = TestApp::spawn(backend).await;
        let named = |name: Value| {
            let mut body = user_level(&format!("named-{}", rand::random::<u32>()));
            body["name"] = name;
            body
        };
        let unnamed = json(app.create_app(user_level("unnamed")).await).await;
        assert_eq!(unnamed["name"], Value::Null);
        let response = app.create_app(named(json!("  Recording bots (EU)  "))).await;
        assert_eq!(response.status(), StatusCode::CREATED);
        let created = json(response).await;
        assert_eq!(created["name"], "Recording bots (EU)", "trimmed");
        let id = created["id"].as_str().unwrap().to_owned();
        let longest = "é".repeat(100);
        assert_eq!(json(app.create_app(named(json!(longest))).await).await["name"], longest.as_str(), "100 characters, not bytes");

        for bad in [json!(""), json!("   "), json!("x".repeat(101)), json!("tab\tbed"), json!("nul\u{0}"), json!(5)] {
            let response = app.create_app(named(bad.clone())).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
            let error = json(response).await;
            let named = error["detail"].as_str().unwrap().contains("name");
            assert!(named || (bad.is_number() && error["error"] == "invalid_json"), "{bad}: {error}");
        }
        assert_eq!(list(&app).await["results"].as_array().unwrap().len(), 3, "no bad name stored anything");

        let path = format!("/api/v2/zoom-oauth-apps/{id}/");
        let patch = |body: Value| app.admin(Method::PATCH, &path).json(&body).send();
        let renamed = patch(json!({"name": " Recording bots (US) "})).await.unwrap();
        assert_eq!(renamed.status(), StatusCode::OK);
        assert_eq!(json(renamed).await["name"], "Recording bots (US)");
        let got = json(app.admin(Method::GET, &path).send().await.unwrap()).await;
        assert_eq!(got["name"], "Recording bots (US)");
        assert_eq!(list(&app).await["results"][1]["name"], "Recording bots (US)");
        // A rotation leaves the name alone.
        let rotated = json(patch(json!({"client_secret": "cs-secret-value-9"})).await.unwrap()).await;
        assert_eq!(rotated["name"], "Recording bots (US)");
        for bad in [json!({"name": ""}), json!({"name": "y".repeat(101)}), json!({}), json!({"name": 7})] {
            let response = patch(bad.clone()).await.unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
        }
        assert_eq!(json(app.admin(Method::GET, &path).send().await.unwrap()).await["name"], "Recording bots (US)");
        let removed = json(patch(json!({"name": null})).await.unwrap()).await;
        assert_eq!(removed["name"], Value::Null, "null removes the name");
        let missing = app.admin(Method::PATCH, "/api/v2/zoom-oauth-apps/nope/").json(&json!({"name": "x"})).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }

    async fn duplicate_client_id_conflicts(backend) {
        let app = TestApp::spawn(backend).await;
        assert_eq!(app.create_app(user_level("same")).await.status(), StatusCode::CREATED);
        let second = app.create_app(user_level("same")).await;
        assert_eq!(second.status(), StatusCode::CONFLICT);
        assert_eq!(json(second).await["error"], "conflict");
        assert_eq!(list(&app).await["results"].as_array().unwrap().len(), 1);
    }

    async fn every_admin_endpoint_needs_the_token(backend) {
        let app = TestApp::spawn(backend).await;
        let id = json(app.create_app(user_level("c")).await).await["id"].as_str().unwrap().to_owned();
        let item = format!("/api/v2/zoom-oauth-apps/{id}/");
        let endpoints = [
            (Method::GET, "/api/v2/zoom-oauth-apps/".to_owned()),
            (Method::POST, "/api/v2/zoom-oauth-apps/".to_owned()),
            (Method::GET, item.clone()),
            (Method::PATCH, item.clone()),
            (Method::DELETE, item.clone()),
        ];
        for (method, path) in &endpoints {
            for auth in [None, Some("Bearer wrong-token"), Some("Basic dXNlcjpwYXNz"), Some(crate::helpers::ADMIN_TOKEN)] {
                let mut request = app.client.request(method.clone(), app.url(path)).json(&user_level("other"));
                if let Some(auth) = auth {
                    request = request.header("authorization", auth);
                }
                let response = request.send().await.unwrap();
                assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path} with {auth:?}");
                let body = json(response).await;
                assert_eq!(body["error"], "unauthorized");
                assert!(body["detail"].is_string());
            }
        }
        // `Token <admin_token>` is accepted as well as `Bearer`.
        let response = app
            .client
            .get(app.url("/api/v2/zoom-oauth-apps/"))
            .header("authorization", format!("Token {}", crate::helpers::ADMIN_TOKEN))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        // Nothing was created, changed or deleted by the refused requests.
        let results = list(&app).await["results"].clone();
        assert_eq!(results.as_array().unwrap().len(), 1);
        assert_eq!(results[0]["id"], id.as_str());
    }

    async fn the_whole_admin_api_needs_the_token(backend) {
        // Every admin route of the route table (which the OpenAPI document mirrors).
        let app = TestApp::spawn(backend).await;
        let admin_routes: Vec<&(&str, &str)> = zoomsync::api::ROUTES
            .iter()
            .filter(|(_, path)| path.starts_with("/api/v2/zoom-") && !path.ends_with("/webhook"))
            .collect();
        assert!(admin_routes.len() >= 13, "{admin_routes:?}");
        for (method, path) in admin_routes {
            let path = path.replace("{id}", "some-id");
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let response = app.client.request(method.clone(), app.url(&path)).json(&json!({})).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(json(response).await["error"], "unauthorized", "{method} {path}");
        }
    }

    async fn lists_are_cursor_paginated(backend) {
        let app = TestApp::spawn(backend).await;
        let mut created = Vec::new();
        for i in 0..5 {
            created.push(json(app.create_app(user_level(&format!("client-{i}"))).await).await["id"].clone());
        }
        let mut seen = Vec::new();
        let mut next = Some(app.url("/api/v2/zoom-oauth-apps/?page_size=2"));
        let mut pages = 0;
        while let Some(url) = next {
            let page = json(app.client.get(url).bearer_auth(crate::helpers::ADMIN_TOKEN).send().await.unwrap()).await;
            let results = page["results"].as_array().unwrap();
            assert!(results.len() <= 2);
            seen.extend(results.iter().map(|a| a["id"].clone()));
            next = page["next"].as_str().map(str::to_owned);
            pages += 1;
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, created);
        for bad in ["?page_size=0", "?page_size=abc", "?cursor=garbage!"] {
            let response = app.admin(Method::GET, &format!("/api/v2/zoom-oauth-apps/{bad}")).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
            assert!(json(response).await["error"].is_string());
        }
    }

    async fn secrets_never_leave_in_responses_logs_or_plaintext_storage(backend) {
        let app = TestApp::spawn(backend).await;
        let secrets = ["client-secret-e3b0c44298fc", "webhook-secret-9afbf4c8996f", "rotated-secret-2f1e7d3c5b"];
        let mut bodies = Vec::new();
        let created = app
            .create_app(json!({"kind": "user_level", "client_id": "leak-check", "client_secret": secrets[0], "webhook_secret": secrets[1]}))
            .await;
        bodies.push(created.text().await.unwrap());
        let id = serde_json::from_str::<Value>(&bodies[0]).unwrap()["id"].as_str().unwrap().to_owned();
        let item = format!("/api/v2/zoom-oauth-apps/{id}/");
        bodies.push(app.admin(Method::GET, &item).send().await.unwrap().text().await.unwrap());
        bodies.push(app.admin(Method::GET, "/api/v2/zoom-oauth-apps/").send().await.unwrap().text().await.unwrap());
        bodies.push(
            app.admin(Method::PATCH, &item)
                .json(&json!({"webhook_secret": secrets[2]}))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap(),
        );
        let dump = app.db.dump();
        assert!(dump.len() > 100, "the dump should hold the database");
        assert!(contains_secret(&dump, "leak-check"), "the dump must see plaintext columns");
        let logs = logs::captured();
        for secret in secrets {
            for body in &bodies {
                assert!(!body.contains(secret), "a response carried a secret: {body}");
            }
            assert!(!contains_secret(&dump, secret), "the database holds {secret} in plaintext");
            assert!(!contains_secret(&logs, secret), "a log line carried {secret}");
        }
        assert!(!contains_secret(&logs, crate::helpers::ADMIN_TOKEN));
    }

    async fn health_and_readiness(backend) {
        let app = TestApp::spawn(backend).await;
        assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
        let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::OK);
        let unknown = app.client.get(app.url("/no/such/path")).send().await.unwrap();
        assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
        assert_eq!(json(unknown).await["error"], "not_found");
    }
}
