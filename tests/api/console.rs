//! The console (issue 9): an admin onboards an app in a real headless Chromium, end to end,
//! and the console's guards hold (sign-in, CSRF, no secrets on any page); the first hour's
//! papercuts stay fixed (the http warning, copying over plain http, app names, dates on log
//! lines, form errors in an admin's words, the OAuth flow's pages in the console's look); signing
//! out ends the session on every replica, and a session the database cannot check is refused.

use reqwest::{Method, StatusCode};
use serde_json::json;
use zoom_sim::control::types::{AppKind, Bulk, NewApp, WebhookConfig};

use crate::both_backends;
use crate::helpers::browser::Browser;
use crate::helpers::{ADMIN_TOKEN, TestApp, World, contains_secret, json};

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

        // Sign in: a wrong token is refused, the right one opens the console. The test's
        // public_url is plain http, so every page warns that Zoom will refuse its URLs.
        browser.goto(&console).await;
        assert!(browser.url().await.ends_with("/console/login"));
        assert!(browser.text("#insecure-public-url").await.contains("not https"));
        assert!(!browser.text("main").await.contains('`'), "the hint is not markdown");
        browser.type_into("#token", "not-the-admin-token").await;
        browser.click("#sign-in").await;
        browser.wait_for_text("[role=alert]", "not the admin token").await;
        browser.screenshot("1-sign-in").await;
        browser.type_into("#token", ADMIN_TOKEN).await;
        browser.click("#sign-in").await;
        browser.wait_for_text("h1", "Zoom OAuth apps").await;

        // Add a user-managed app, with a name.
        assert!(browser.text("#insecure-public-url").await.contains("not https"));
        browser.select("#kind", "user_level").await;
        browser.type_into("#name", "Recording bots").await;
        browser.type_into("#client_id", "console-client").await;
        browser.type_into("#client_secret", "console-client-secret-7f3a").await;
        browser.type_into("#webhook_secret", "console-webhook-secret-91bc").await;
        browser.click("#add-app").await;
        browser.wait_for_text("h1", "Recording bots").await;
        assert_eq!(browser.text("#client-id").await, "console-client");
        assert!(browser.text("#insecure-public-url").await.contains("not https"));
        let app_page = browser.url().await;
        let app_id = app_page.rsplit('/').next().unwrap().to_owned();

        // The list names it; adding the same client ID again says so in words, and keeps what
        // was typed (the secrets excepted: no page carries a secret).
        browser.click("nav a[href='/console/apps']").await;
        assert_eq!(browser.text("#apps .app-title").await, "Recording bots");
        browser.select("#kind", "account_level").await;
        browser.type_into("#name", "Second try").await;
        browser.type_into("#client_id", "console-client").await;
        browser.type_into("#client_secret", "console-client-secret-7f3a").await;
        browser.type_into("#webhook_secret", "console-webhook-secret-91bc").await;
        browser.click("#add-app").await;
        browser.wait_for_text("#form-error", "That client ID is already registered").await;
        assert_eq!(browser.property("#client_id", "value").await, "console-client");
        assert_eq!(browser.property("#name", "value").await, "Second try");
        assert_eq!(browser.property("#kind", "value").await, "account_level");
        assert_eq!(browser.property("#client_secret", "value").await, "");
        browser.screenshot("1b-form-error").await;
        browser.goto(&app_page).await;

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
        // The Zoom user's page looks like the console (its header, its stylesheet), without the
        // admin's navigation or warnings.
        assert_eq!(browser.text("header .brand").await, "zoomsync");
        assert_eq!(browser.eval("return getComputedStyle(document.body).backgroundColor").await, "rgb(246, 247, 249)");
        assert!(!browser.source().await.contains("insecure-public-url"));
        browser.screenshot("3b-connected").await;

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
        // Log lines carry the whole date, not only the time of day.
        let logged = browser.text(".credential td.when").await;
        assert!(chrono::NaiveDateTime::parse_from_str(&logged, "%Y-%m-%d %H:%M:%S UTC").is_ok(), "{logged:?}");
        browser.scroll_to("#credentials").await;
        browser.screenshot("4-credential").await;

        // Why would a meeting get its token?
        browser.click("nav a[href='/console/meetings']").await;
        browser.type_into("#meeting", &format!("https://zoom.us/j/{}", made.meetings[0])).await;
        browser.click("#explain").await;
        browser.wait_for_text("#explained", &made.meetings[0].to_string()).await;
        assert!(browser.text("td.reason").await.starts_with("tried first: the host's own credential"));
        assert!(browser.text("#insecure-public-url").await.contains("not https"));
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

    // Signing out ends the session on the server, not only in the browser: a copy of the cookie
    // taken before (a shared machine, a proxy log) is refused afterwards by every replica, while
    // before it any replica with the same admin token accepts it, and a new sign-in still works.
    async fn a_copied_session_cookie_stops_working_at_sign_out(backend) {
        let first = TestApp::spawn(backend).await;
        let second = TestApp::spawn_on(first.db.shared(), |_| {}).await;
        let rekeyed = TestApp::spawn_on(first.db.shared(), |c| c.security.admin_token = Some("another-admin-token-0123456789abcdef".into())).await;
        let (client, csrf, copy) = signed_in_with_cookie(&first).await;
        let stranger = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let with_copy = |daemon: &TestApp, path: &str| stranger.get(daemon.url(path)).header("cookie", copy.as_str()).send();

        for daemon in [&first, &second] {
            assert_eq!(with_copy(daemon, "/console/apps").await.unwrap().status(), StatusCode::OK, "any replica accepts the session");
        }
        let other_token = with_copy(&rekeyed, "/console/apps").await.unwrap();
        assert_eq!(other_token.status(), StatusCode::SEE_OTHER, "a changed admin token signs everyone out");

        let out = client.post(first.url("/console/logout")).form(&[("csrf", &csrf)]).send().await.unwrap();
        assert_eq!(out.status(), StatusCode::SEE_OTHER);
        assert_eq!(out.headers()["location"], "/console/login");

        for daemon in [&first, &second] {
            for path in ["/console/apps", "/console/", "/console/meetings?meeting=85746065123"] {
                let refused = with_copy(daemon, path).await.unwrap();
                assert_eq!(refused.status(), StatusCode::SEE_OTHER, "{path} after signing out");
                assert_eq!(refused.headers()["location"], "/console/login", "{path}");
            }
        }
        // Nor can the copy post a form, though it carries the CSRF token its session was given.
        let app = [("kind", "user_level"), ("client_id", "after-sign-out"), ("client_secret", "s3cr3t-value"), ("webhook_secret", "w3bh00k-value"), ("csrf", csrf.as_str())];
        let posted = stranger.post(second.url("/console/apps")).header("cookie", copy.as_str()).form(&app).send().await.unwrap();
        assert_eq!(posted.status(), StatusCode::SEE_OTHER);
        assert_eq!(posted.headers()["location"], "/console/login");
        let again = stranger.post(second.url("/console/logout")).header("cookie", copy.as_str()).form(&[("csrf", &csrf)]).send().await.unwrap();
        assert_eq!(again.headers()["location"], "/console/login", "signing out twice is not an error");
        let apps = json(first.admin(Method::GET, "/api/v2/zoom-oauth-apps/").send().await.unwrap()).await;
        assert_eq!(apps["results"].as_array().unwrap().len(), 0, "the signed-out copy did nothing");

        // A fresh sign-in is a new session, untouched by the old one's sign-out.
        let (fresh, fresh_csrf, _) = signed_in_with_cookie(&second).await;
        assert_ne!(fresh_csrf, csrf, "a new session, a new CSRF token");
        assert_eq!(fresh.get(first.url("/console/apps")).send().await.unwrap().status(), StatusCode::OK);
        assert_eq!(add_app(&fresh, &second, &fresh_csrf, app[..4].to_vec()).await.status(), StatusCode::SEE_OTHER);
    }

    // Whether a session was signed out of is the database's to say: when it cannot answer, the
    // console refuses the session with a 503 rather than let a signed-out cookie through.
    async fn a_session_the_database_cannot_check_is_refused(backend) {
        use diesel::RunQueryDsl as _;
        let daemon = TestApp::spawn(backend).await;
        let (client, _, _) = signed_in_with_cookie(&daemon).await;
        diesel::sql_query("DROP TABLE console_signouts").execute(&mut *daemon.db.handle().get().unwrap()).unwrap();

        let refused = client.get(daemon.url("/console/apps")).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(refused.headers().contains_key("retry-after"));
        let page = refused.text().await.unwrap();
        assert!(page.contains("cannot check that this session is still signed in"), "{page}");
        let anonymous = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let without = anonymous.get(daemon.url("/console/apps")).send().await.unwrap();
        assert_eq!(without.status(), StatusCode::SEE_OTHER, "no cookie, nothing to check: the sign-in page");
    }

    // Over plain http on a host name that is not localhost the page is not a secure context,
    // so `navigator.clipboard` does not exist: the copy buttons must still copy.
    async fn copy_buttons_work_over_plain_http_on_any_host(backend) {
        let daemon = TestApp::spawn(backend).await;
        let created = json(daemon.create_app(json!({"kind": "user_level", "name": "Copy test", "client_id": "copy-client",
            "client_secret": "copy-client-secret-1", "webhook_secret": "copy-webhook-secret-1"})).await).await;
        let app_id = created["id"].as_str().unwrap().to_owned();
        let webhook_url = created["webhook_url"].as_str().unwrap().to_owned();
        let browser = Browser::start_with(&["--host-resolver-rules=MAP zoomsync.test 127.0.0.1"]).await;
        let origin = format!("http://zoomsync.test:{}", daemon.port());

        browser.goto(&format!("{origin}/console/login")).await;
        assert_eq!(browser.eval("return window.isSecureContext").await, false, "http on a host name is not secure");
        assert_eq!(browser.eval("return typeof navigator.clipboard").await, "undefined");
        browser.type_into("#token", ADMIN_TOKEN).await;
        browser.click("#sign-in").await;
        browser.wait_for_text("h1", "Zoom OAuth apps").await;
        browser.goto(&format!("{origin}/console/apps/{app_id}")).await;
        browser.wait_for_text("h1", "Copy test").await;
        // Something else on the clipboard first, so that only the copy can put the URL there.
        browser.click("[data-copy=redirect-url]").await;
        browser.wait_for_text("[data-copy=redirect-url]", "Copied").await;
        browser.click("[data-copy=webhook-url]").await;
        browser.wait_for_text("[data-copy=webhook-url]", "Copied").await;
        assert_eq!(browser.eval("return window.isSecureContext").await, false);

        // Read the clipboard back from a page that may (127.0.0.1 is a secure context).
        browser.goto(&daemon.url("/console/login")).await;
        browser.grant("clipboard-read").await;
        let pasted = browser
            .eval_async("const done = arguments[arguments.length - 1]; navigator.clipboard.readText().then(done, (e) => done('failed: ' + e));")
            .await;
        assert_eq!(pasted, webhook_url.as_str());
        browser.quit().await;
    }

    async fn the_console_warns_while_public_url_is_not_https(backend) {
        let plain = TestApp::spawn(backend).await;
        let page = plain.client.get(plain.url("/console/login")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("id=\"insecure-public-url\""), "{page}");
        assert!(page.contains(&format!("<code>{}</code>", plain.address)), "the banner names the URL");

        let behind_tls = TestApp::spawn_with(backend, |config| config.server.public_url = "https://zoomsync.example.com".into()).await;
        let login = behind_tls.client.get(behind_tls.url("/console/login")).send().await.unwrap();
        // The cookies are Secure now, which a client over plain http keeps to itself: carry them by hand.
        let mut cookies = cookie_pairs(&login);
        let page = login.text().await.unwrap();
        assert!(!page.contains("insecure-public-url"), "no warning with an https public_url");
        let nonce = between(&page, "name=\"nonce\" value=\"", "\"");
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let signed_in = client.post(behind_tls.url("/console/login")).header("cookie", cookies.join("; "))
            .form(&[("token", ADMIN_TOKEN), ("nonce", &nonce)]).send().await.unwrap();
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
        cookies.extend(cookie_pairs(&signed_in));
        let apps = client.get(behind_tls.url("/console/apps")).header("cookie", cookies.join("; ")).send().await.unwrap();
        assert_eq!(apps.status(), StatusCode::OK);
        let apps = apps.text().await.unwrap();
        assert!(apps.contains("Zoom OAuth apps") && !apps.contains("insecure-public-url"), "{apps}");
    }

    async fn the_sign_in_hint_is_html_not_markdown(backend) {
        let daemon = TestApp::spawn(backend).await;
        let page = daemon.client.get(daemon.url("/console/login")).send().await.unwrap().text().await.unwrap();
        assert!(page.contains("<code>security.admin_token</code>"), "{page}");
        assert!(!page.contains('`'), "no markdown backticks on the page: {page}");
    }

    async fn a_form_error_keeps_what_the_admin_typed_and_says_what_to_fix(backend) {
        let daemon = TestApp::spawn(backend).await;
        let (client, csrf) = signed_in(&daemon).await;
        let secrets = [("client_secret", "typed-client-secret-55"), ("webhook_secret", "typed-webhook-secret-66")];

        // Each case: the fields, the status, what the page must say.
        let cases: Vec<(Fields, StatusCode, &str)> = vec![
            (vec![("kind", "user_level"), ("name", "Team A"), ("client_id", "  ")], StatusCode::BAD_REQUEST, "Client ID is required"),
            (vec![("kind", "server_to_server"), ("name", "Team A"), ("client_id", "s2s-client")], StatusCode::BAD_REQUEST, "Account ID is required for a Server-to-Server app"),
            (vec![("kind", "user_level"), ("name", "Team A"), ("client_id", "s2s-client"), ("account_id", "acct-1")], StatusCode::BAD_REQUEST, "Account ID is only for Server-to-Server apps"),
            (vec![("kind", "sideways"), ("client_id", "s2s-client")], StatusCode::BAD_REQUEST, "Choose the app"),
            (vec![], StatusCode::BAD_REQUEST, "Choose the app"),
        ];
        for (fields, status, said) in cases {
            let mut all = fields.clone();
            if !fields.is_empty() {
                all.extend(secrets);
            }
            let answer = add_app(&client, &daemon, &csrf, all).await;
            assert_eq!(answer.status(), status, "{fields:?}");
            let page = answer.text().await.unwrap();
            assert!(page.contains(said), "{fields:?} does not say {said:?}: {page}");
            assert!(page.contains("role=\"alert\""), "{fields:?}: the problem is an alert");
            for (name, value) in &fields {
                if !value.trim().is_empty() && *name != "kind" {
                    assert!(page.contains(&format!("value=\"{value}\"")), "{fields:?}: {name} was not kept");
                }
            }
            for words in ["`", "unique", "constraint", "missing field", "invalid_field"] {
                assert!(!page.contains(words), "{fields:?}: the page says {words:?}");
            }
            for (_, secret) in secrets {
                assert!(!page.contains(secret), "a typed secret came back");
            }
        }
        let kept = add_app(&client, &daemon, &csrf, [vec![("kind", "server_to_server"), ("client_id", "s2s-client")], secrets.to_vec()].concat()).await;
        assert!(kept.text().await.unwrap().contains("<option value=\"server_to_server\" selected>"), "the kind is kept");
        let apps = json(daemon.admin(Method::GET, "/api/v2/zoom-oauth-apps/").send().await.unwrap()).await;
        assert_eq!(apps["results"], json!([]), "nothing was added");

        // The same client ID twice: a 409 that says so, with the form kept.
        let first = add_app(&client, &daemon, &csrf, [vec![("kind", "user_level"), ("name", "Team A"), ("client_id", "dup-client")], secrets.to_vec()].concat()).await;
        assert_eq!(first.status(), StatusCode::SEE_OTHER);
        let again = add_app(&client, &daemon, &csrf, [vec![("kind", "account_level"), ("name", "Team B"), ("client_id", "dup-client")], secrets.to_vec()].concat()).await;
        assert_eq!(again.status(), StatusCode::CONFLICT);
        let page = again.text().await.unwrap();
        assert!(page.contains("That client ID is already registered"), "{page}");
        assert!(page.contains("value=\"Team B\"") && page.contains("value=\"dup-client\""), "{page}");
        assert!(page.contains("<option value=\"account_level\" selected>"), "{page}");
        assert!(page.contains("Team A"), "the list above shows the app that has the client ID");

        // A name too long is refused in words too.
        let long = "n".repeat(101);
        let refused = add_app(&client, &daemon, &csrf, [vec![("kind", "user_level"), ("name", long.as_str()), ("client_id", "long-client")], secrets.to_vec()].concat()).await;
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert!(refused.text().await.unwrap().contains("Name is too long: at most 100 characters"));
    }

    async fn the_events_page_adds_an_endpoint_shows_its_secret_once_and_sends_again(backend) {
        let daemon = TestApp::spawn(backend).await;
        let receiver = crate::helpers::receiver::Receiver::start().await;
        let (client, csrf) = signed_in(&daemon).await;
        let refused = client.post(daemon.url("/console/webhooks")).form(&[("csrf", "forged"), ("url", receiver.url.as_str())]).send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "a wrong CSRF token, nothing added");
        let added = client
            .post(daemon.url("/console/webhooks"))
            .form(&[("csrf", csrf.as_str()), ("url", receiver.url.as_str()), ("events", ""), ("description", "product")])
            .send()
            .await
            .unwrap();
        assert_eq!(added.status(), StatusCode::OK);
        let page = added.text().await.unwrap();
        let secret = between(&page, "<code id=\"endpoint-secret\">", "<");
        assert!(secret.starts_with("whsec_"), "{page}");
        let endpoint = between(&page, "class=\"card endpoint\" id=\"endpoint-", "\"");
        let listed = client.get(daemon.url("/console/webhooks")).send().await.unwrap().text().await.unwrap();
        assert!(!listed.contains("whsec_"), "the secret is shown once");

        let test = client
            .post(daemon.url(&format!("/console/webhooks/{endpoint}/test")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(test.status(), StatusCode::SEE_OTHER);
        let received = receiver.until(std::time::Duration::from_secs(10), |r| r.len() == 1).await;
        assert!(crate::helpers::receiver::verify(&secret, &received[0]));
        let mut page = String::new();
        for _ in 0..200 {
            page = client.get(daemon.url("/console/webhooks")).send().await.unwrap().text().await.unwrap();
            if page.contains(">delivered<") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(page.contains(">delivered<"), "{page}");
        let delivery = between(&page, "id=\"delivery-", "\"");
        let again = client
            .post(daemon.url(&format!("/console/webhooks/{endpoint}/deliveries/{delivery}/resend")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::SEE_OTHER);
        let received = receiver.until(std::time::Duration::from_secs(10), |r| r.len() == 2).await;
        assert_eq!(received[1].header("webhook-id"), received[0].header("webhook-id"), "sent again as the same event");
    }

    async fn the_oauth_flow_pages_look_like_the_console(backend) {
        let daemon = TestApp::spawn(backend).await;
        let style = {
            let login = daemon.client.get(daemon.url("/console/login")).send().await.unwrap().text().await.unwrap();
            between(&login, "<style>", "</style>")
        };
        for (path, status, said) in [
            ("/zoom/oauth/callback?error=access_denied", StatusCode::BAD_REQUEST, "Zoom reported: access_denied."),
            ("/zoom/oauth/callback?error=%3Cscript%3Ealert(1)%3C/script%3E", StatusCode::BAD_REQUEST, "Zoom reported: &lt;script&gt;"),
            ("/zoom/oauth/callback?state=x", StatusCode::BAD_REQUEST, "missing its code or state"),
            ("/zoom/oauth/start", StatusCode::BAD_REQUEST, "The link is missing its app."),
            ("/zoom/oauth/start?app=nope", StatusCode::NOT_FOUND, "Not connected"),
        ] {
            let answer = daemon.client.get(daemon.url(path)).send().await.unwrap();
            assert_eq!(answer.status(), status, "{path}");
            let headers = answer.headers().clone();
            let page = answer.text().await.unwrap();
            assert!(page.contains(said), "{path}: {page}");
            assert!(page.contains(&format!("<style>{style}</style>")), "{path}: the console's stylesheet");
            assert!(page.contains("<span class=\"brand\">zoomsync</span>"), "{path}: the console's header");
            assert!(!page.contains("<script>alert"), "{path}: escaped");
            assert!(!page.contains("insecure-public-url") && !page.contains("Sign out"), "{path}: nothing for the admin");
            let policy = headers["content-security-policy"].to_str().unwrap();
            assert!(policy.contains("style-src 'sha256-"), "{path}: the stylesheet is allowed by hash: {policy}");
        }
    }
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text.find(start).map(|i| i + start.len()).unwrap_or_else(|| panic!("{start} not in page"));
    text[from..].split(end).next().unwrap_or_default().to_owned()
}

/// A form's fields, as posted.
type Fields<'a> = Vec<(&'a str, &'a str)>;

/// `name=value` of each cookie a response sets.
fn cookie_pairs(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next().map(str::to_owned))
        .collect()
}

/// A client signed in to the console, and the CSRF token of its session.
async fn signed_in(daemon: &TestApp) -> (reqwest::Client, String) {
    let (client, csrf, _) = signed_in_with_cookie(daemon).await;
    (client, csrf)
}

/// [`signed_in`], and a copy of the session cookie (`zoomsync_session=...`) as anyone who saw it
/// could send it.
async fn signed_in_with_cookie(daemon: &TestApp) -> (reqwest::Client, String, String) {
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).cookie_store(true).build().unwrap();
    let form = client.get(daemon.url("/console/login")).send().await.unwrap().text().await.unwrap();
    let nonce = between(&form, "name=\"nonce\" value=\"", "\"");
    let answer = client
        .post(daemon.url("/console/login"))
        .form(&[("token", ADMIN_TOKEN), ("nonce", &nonce)])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let cookie = cookie_pairs(&answer).into_iter().find(|c| c.starts_with("zoomsync_session=")).unwrap();
    let page = client.get(daemon.url("/console/apps")).send().await.unwrap().text().await.unwrap();
    let csrf = between(&page, "name=\"csrf\" value=\"", "\"");
    (client, csrf, cookie)
}

/// Posts the "Add an app" form with `fields` and the session's CSRF token.
async fn add_app(
    client: &reqwest::Client,
    daemon: &TestApp,
    csrf: &str,
    mut fields: Vec<(&str, &str)>,
) -> reqwest::Response {
    fields.push(("csrf", csrf));
    client.post(daemon.url("/console/apps")).form(&fields).send().await.unwrap()
}
