//! The console (issue 9): an admin onboards an app in a real headless Chromium, end to end,
//! and the console's guards hold (sign-in, CSRF, no secrets on any page).

use reqwest::{Method, StatusCode};
use zoom_sim::control::types::{AppKind, Bulk, NewApp, WebhookConfig};

use crate::both_backends;
use crate::helpers::browser::Browser;
use crate::helpers::{ADMIN_TOKEN, World, contains_secret, json};

both_backends! {
    async fn an_admin_onboards_an_app_in_the_browser(backend) {
        let world = World::start(backend).await;
        let account = world.account().await;
        // A host with meetings Zoom already has, made before anyone connected (no webhooks).
        let made = world
            .sim
            .bulk(&Bulk { account_id: account.clone(), users: 1, meetings_per_user: 12, notify: Some(false), ..Default::default() })
            .await
            .unwrap();
        let host = &made.users[0];
        let browser = Browser::start().await;
        let console = world.daemon.url("/console/");

        // Sign in: a wrong token is refused, the right one opens the console.
        browser.goto(&console).await;
        assert!(browser.url().await.ends_with("/console/login"));
        browser.type_into("#token", "not-the-admin-token").await;
        browser.click("#sign-in").await;
        browser.wait_for_text("[role=alert]", "not the admin token").await;
        browser.screenshot("1-sign-in").await;
        browser.type_into("#token", ADMIN_TOKEN).await;
        browser.click("#sign-in").await;
        browser.wait_for_text("h1", "Zoom OAuth apps").await;

        // Add a user-managed app.
        browser.select("#kind", "user_level").await;
        browser.type_into("#client_id", "console-client").await;
        browser.type_into("#client_secret", "console-client-secret-7f3a").await;
        browser.type_into("#webhook_secret", "console-webhook-secret-91bc").await;
        browser.click("#add-app").await;
        browser.wait_for_text("h1", "console-client").await;
        let app_page = browser.url().await;
        let app_id = app_page.rsplit('/').next().unwrap().to_owned();

        // Its URLs, exactly as Zoom must be given them.
        let webhook_url = browser.text("#webhook-url").await;
        let redirect_url = browser.text("#redirect-url").await;
        assert_eq!(webhook_url, world.daemon.url(&format!("/api/v2/zoom-oauth-apps/{app_id}/webhook")));
        assert_eq!(redirect_url, world.daemon.url("/zoom/oauth/callback"));
        assert!(browser.text("#scopes").await.contains("meeting:read:local_recording_token"));
        assert!(browser.source().await.contains("Meeting has been created"));
        assert!(browser.text("#validation").await.contains("Waiting"));
        browser.screenshot("2-app-instructions").await;

        // The admin enters them in Zoom; Zoom validates the URL; the page turns green by itself.
        world
            .sim
            .create_app(&NewApp {
                client_id: Some("console-client".into()),
                client_secret: Some("console-client-secret-7f3a".into()),
                redirect_uris: Some(vec![redirect_url.clone()]),
                webhook: Some(WebhookConfig { url: webhook_url, secret_token: "console-webhook-secret-91bc".into(), enabled: Some(true) }),
                ..NewApp::new(AppKind::UserLevel)
            })
            .await
            .unwrap();
        browser.wait_for_text("#validation", "Validated").await;
        browser.screenshot("3-app-validated").await;

        // A user follows the connect link through Zoom's consent.
        browser.click("#connect").await;
        browser.click(&format!("form:has(input[name=user_id][value='{}']) button", host.id)).await;
        browser.wait_for_text("h1", "Connected").await;

        // Back on the app's page: the credential is healthy, with its meetings backfilled.
        browser.goto(&app_page).await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            browser.goto(&app_page).await;
            if browser.text(".credential .sync-status").await == "completed" {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the backfill did not complete");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        assert!(browser.text(".credential").await.contains("healthy"));
        assert_eq!(browser.text(".credential .mappings").await, "13", "12 meetings and the PMI");
        browser.click(".credential summary").await;
        browser.scroll_to("#credentials").await;
        browser.screenshot("4-credential").await;

        // Why would a meeting get its token?
        browser.click("nav a[href='/console/meetings']").await;
        browser.type_into("#meeting", &format!("https://zoom.us/j/{}", made.meetings[0])).await;
        browser.click("#explain").await;
        browser.wait_for_text("#explained", &made.meetings[0].to_string()).await;
        assert!(browser.text("td.reason").await.starts_with("tried first: the host's own credential"));
        browser.screenshot("5-meeting-explained").await;

        let everything = browser.source().await;
        for secret in ["console-client-secret-7f3a", "console-webhook-secret-91bc", ADMIN_TOKEN] {
            assert!(!everything.contains(secret));
        }
        browser.quit().await;
    }

    async fn sign_in_and_csrf_are_enforced(backend) {
        let world = World::start(backend).await;
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap();
        let console = |path: &str| world.daemon.url(path);

        let anonymous = client.get(console("/console/apps")).send().await.unwrap();
        assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
        assert_eq!(anonymous.headers()["location"], "/console/login");

        let form = client.get(console("/console/login")).send().await.unwrap().text().await.unwrap();
        let nonce = between(&form, "name=\"nonce\" value=\"", "\"");
        let wrong = client.post(console("/console/login")).form(&[("token", "wrong-token-000000000"), ("nonce", &nonce)]).send().await.unwrap();
        assert_eq!(wrong.status(), StatusCode::SEE_OTHER);
        assert!(wrong.headers()["location"].to_str().unwrap().contains("error"));
        assert!(wrong.headers().get("set-cookie").is_none(), "no session for a wrong token");
        let no_nonce = client.post(console("/console/login")).form(&[("token", ADMIN_TOKEN), ("nonce", "forged")]).send().await.unwrap();
        assert_eq!(no_nonce.status(), StatusCode::FORBIDDEN, "login CSRF");

        let signed_in = client.post(console("/console/login")).form(&[("token", ADMIN_TOKEN), ("nonce", &nonce)]).send().await.unwrap();
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        let cookie = signed_in.headers()["set-cookie"].to_str().unwrap().to_owned();
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age="] {
            assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
        }
        assert!(!cookie.contains(ADMIN_TOKEN));

        let page = client.get(console("/console/apps")).send().await.unwrap().text().await.unwrap();
        let csrf = between(&page, "name=\"csrf\" value=\"", "\"");
        let app = [("kind", "user_level"), ("client_id", "csrf-app"), ("client_secret", "s3cr3t-value"), ("webhook_secret", "w3bh00k-value")];
        for forged in [None, Some("not-the-token")] {
            let mut fields = app.to_vec();
            if let Some(token) = forged {
                fields.push(("csrf", token));
            }
            let refused = client.post(console("/console/apps")).form(&fields).send().await.unwrap();
            assert!(refused.status() == StatusCode::FORBIDDEN || refused.status() == StatusCode::BAD_REQUEST, "{forged:?}: {}", refused.status());
        }
        let apps = json(world.daemon.admin(Method::GET, "/api/v2/zoom-oauth-apps/").send().await.unwrap()).await;
        assert_eq!(apps["results"].as_array().unwrap().len(), 0, "no form without its CSRF token did anything");
        let mut fields = app.to_vec();
        fields.push(("csrf", &csrf));
        let created = client.post(console("/console/apps")).form(&fields).send().await.unwrap();
        assert_eq!(created.status(), StatusCode::SEE_OTHER);
        let app_page = created.headers()["location"].to_str().unwrap().to_owned();

        // No page shows a secret.
        for path in [app_page.as_str(), "/console/apps", "/console/meetings?meeting=85746065123"] {
            let html = client.get(console(path)).send().await.unwrap().text().await.unwrap();
            for secret in ["s3cr3t-value", "w3bh00k-value", ADMIN_TOKEN, crate::helpers::app::BOT_SECRET] {
                assert!(!contains_secret(html.as_bytes(), secret), "{path} shows a secret");
            }
        }

        // Signing out needs the CSRF token too, and ends the session.
        let refused = client.post(console("/console/logout")).form(&[("csrf", "nope")]).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        let out = client.post(console("/console/logout")).form(&[("csrf", &csrf)]).send().await.unwrap();
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        let after = client.get(console("/console/apps")).send().await.unwrap();
        assert_eq!(after.status(), StatusCode::SEE_OTHER, "signed out");
    }
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text.find(start).map(|i| i + start.len()).unwrap_or_else(|| panic!("{start} not in page"));
    text[from..].split(end).next().unwrap_or_default().to_owned()
}
