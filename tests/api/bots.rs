//! Bots in meetings their users don't host (issue 14): OBF and ZAK on behalf of the bot's user,
//! signed per-bot URLs, access tokens for Recall's customer-managed OAuth, and Attendee's
//! `zoom_tokens` callback. Every meeting here is hosted in a customer's account nobody
//! connected: only the user who sent the bot (or their account) authorized the app.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::Sha256;
use zoom_sim::control::types::{Role, TokenKind, User};

use crate::both_backends;
use crate::helpers::app::BOT_SECRET;
use crate::helpers::{World, contains_secret, json, logs};

/// A customer's meeting (its host never connected) and the user who sends a bot to it, in an
/// account of their own.
struct External {
    meeting: u64,
    host: User,
    sender: User,
    account: String,
}

async fn external_meeting(world: &World) -> External {
    let customer = world.account().await;
    let host = world.user(&customer, Role::Owner).await;
    let meeting = world.meeting(&host.id).await.id;
    let account = world.account().await;
    let sender = world.user(&account, Role::Member).await;
    External { meeting, host, sender, account }
}

async fn get(world: &World, url: &str) -> (StatusCode, String) {
    let response = world.daemon.client.get(url).send().await.unwrap();
    (response.status(), response.text().await.unwrap())
}

/// What zoom-sim says a token minted by it is.
async fn minted(world: &World, token: &str) -> zoom_sim::control::types::MintedToken {
    world.sim.token(token).await.unwrap()
}

both_backends! {
    async fn obf_and_zak_are_minted_for_the_bots_user_in_a_meeting_nobody_connected_hosts(backend) {
        let world = World::start(backend).await;
        let ext = external_meeting(&world).await;
        let app = world.app("user_level", None).await;
        let credential = world.connect(&app, &ext.sender.id).await["id"].as_str().unwrap().to_owned();
        assert!(world.mappings(ext.meeting).await.is_empty(), "nobody connected maps the meeting");

        // Without a user, the host's credential is wanted, and there is none.
        assert_eq!(world.bot("obf-token", &format!("meeting_id={}", ext.meeting)).await.status(), StatusCode::NOT_FOUND);

        let email = ext.sender.email.to_uppercase();
        for who in [format!("user={}", urlencode(&email)), format!("user={}", ext.sender.id), format!("credential={credential}")] {
            let response = world.bot("obf-token", &format!("meeting_id={}&{who}", ext.meeting)).await;
            assert_eq!(response.status(), StatusCode::OK, "{who}");
            let token = minted(&world, &response.text().await.unwrap()).await;
            assert_eq!(token.kind, TokenKind::Onbehalf);
            assert_eq!(token.user_id.as_deref(), Some(ext.sender.id.as_str()), "{who}: the bot's user's OBF");
            assert_eq!(token.meeting_id, Some(ext.meeting));
            assert_eq!(token.host_id.as_deref(), Some(ext.host.id.as_str()));

            let zak = world.bot("zak", &who).await;
            assert_eq!(zak.status(), StatusCode::OK, "{who}: a ZAK needs no meeting");
            let token = minted(&world, &zak.text().await.unwrap()).await;
            assert_eq!((token.kind, token.user_id.as_deref()), (TokenKind::Zak, Some(ext.sender.id.as_str())));
        }
        // The credential's log is written behind the answer: wait for it.
        let path = format!("/api/v2/zoom-oauth-credentials/{credential}/logs/");
        world.daemon.eventually_json(&path, |log| {
            log["results"].as_array().unwrap().iter().any(|l| {
                let line = l["message"].as_str().unwrap();
                line.contains("minted OBF token for meeting") && line.contains("for user")
            })
        }).await;
    }

    async fn an_account_level_credential_mints_for_a_user_without_one_of_their_own(backend) {
        let world = World::start(backend).await;
        let ext = external_meeting(&world).await;
        let admin = world.user(&ext.account, Role::Admin).await;
        let app = world.app("account_level", None).await;
        world.connect(&app, &admin.id).await;
        world.sim.reset_counters().await.unwrap();

        let response = world.bot("obf-token", &format!("meeting_id={}&user={}", ext.meeting, urlencode(&ext.sender.email))).await;
        assert_eq!(response.status(), StatusCode::OK);
        let token = minted(&world, &response.text().await.unwrap()).await;
        assert_eq!(token.user_id.as_deref(), Some(ext.sender.id.as_str()), "minted for the user, not the admin");
        let requests = world.sim.counters().await.unwrap().requests;
        assert!(requests.contains_key("GET /v2/users/{userId}/token"), "{requests:?}");
    }

    async fn every_refusal_says_why(backend) {
        let world = World::start(backend).await;
        let ext = external_meeting(&world).await;
        // A user who granted a ZAK scope but not user:read:token.
        let scopes = ["meeting:read:local_recording_token", "user:read:zak", "meeting:read:list_meetings", "user:read:user"];
        let app = world.app_with_scopes("user_level", None, Some(&scopes)).await;
        let credential = world.connect(&app, &ext.sender.id).await["id"].as_str().unwrap().to_owned();
        let meeting = format!("meeting_id={}", ext.meeting);

        let cases = [
            ("obf-token", format!("{meeting}&user={}&credential={credential}", ext.sender.id), StatusCode::BAD_REQUEST, "not both"),
            ("obf-token", format!("user={}", ext.sender.id), StatusCode::BAD_REQUEST, "needs a meeting"),
            ("join-token", format!("{meeting}&user={}", ext.sender.id), StatusCode::BAD_REQUEST, "host"),
            ("obf-token", format!("{meeting}&user=nobody%40example.com"), StatusCode::NOT_FOUND, "unknown user"),
            ("zak", "credential=no-such-credential".to_owned(), StatusCode::NOT_FOUND, "no such credential"),
            ("obf-token", format!("{meeting}&user={}", ext.sender.id), StatusCode::NOT_FOUND, "user:read:token"),
        ];
        for (path, query, status, why) in cases {
            let response = world.bot(path, &query).await;
            assert_eq!(response.status(), status, "{path}?{query}");
            let body = response.text().await.unwrap();
            assert!(body.contains(why), "{path}?{query}: {body:?}");
        }
        // The refusal is in the credential's log too (written behind the answer).
        let path = format!("/api/v2/zoom-oauth-credentials/{credential}/logs/");
        world.daemon.eventually_json(&path, |log| {
            log["results"].as_array().unwrap().iter().any(|l| l["message"].as_str().unwrap().contains("missing scope user:read:token"))
        }).await;
    }

    async fn signed_urls_work_without_the_secret_and_only_as_issued(backend) {
        let world = World::start_with(backend, crate::helpers::world::sim_options(), |c| c.security.serve_access_tokens = true).await;
        let hosted = world.hosted_meeting().await;
        let account = world.account().await;
        let sender = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        world.connect(&app, &sender.id).await;

        let issued = world
            .daemon
            .admin(Method::POST, "/api/v2/bot-token-urls/")
            .json(&json!({"meeting_url": format!("https://us02web.zoom.us/j/{}?pwd=x", hosted.meeting.id), "user": sender.email}))
            .send()
            .await
            .unwrap();
        assert_eq!(issued.status(), StatusCode::CREATED);
        let urls = json(issued).await;
        let mut sigs = Vec::new();
        let mut handed = Vec::new();
        for (field, path) in [("join_token_url", "/zoom/join-token"), ("obf_token_url", "/zoom/obf-token"), ("zak_url", "/zoom/zak"), ("access_token_url", "/zoom/access-token")] {
            let url = urls[field].as_str().unwrap();
            assert!(url.starts_with(&world.daemon.url(path)), "{field}: {url}");
            assert!(url.contains(&format!("meeting_id={}", hosted.meeting.id)) || field == "access_token_url", "{url}");
            assert!(!url.contains("secret="), "{url}");
            sigs.push(url.rsplit_once("&sig=").unwrap().1.to_owned());
            let (status, token) = get(&world, url).await;
            assert_eq!(status, StatusCode::OK, "{field}: {token}");
            handed.push(token);
        }
        let obf = urls["obf_token_url"].as_str().unwrap();
        let (_, token) = get(&world, obf).await;
        assert_eq!(minted(&world, &token).await.user_id.as_deref(), Some(sender.id.as_str()));
        let (_, join) = get(&world, urls["join_token_url"].as_str().unwrap()).await;
        assert_eq!(minted(&world, &join).await.user_id.as_deref(), Some(hosted.host.id.as_str()), "a join token is the host's");

        let other_meeting = world.meeting(&hosted.host.id).await.id;
        let refused = [
            obf.replace(&hosted.meeting.id.to_string(), &other_meeting.to_string()),
            obf.replace("&expires=", "&credential=x&expires="),
            format!("{obf}&user=someone"),
            obf.replace("/zoom/obf-token", "/zoom/zak"),
            format!("{obf}&secret=wrong").replace("&sig=", "&x=1&sig="),
        ];
        for url in refused {
            assert_eq!(get(&world, &url).await.0, StatusCode::UNAUTHORIZED, "{url}");
        }
        // Judged by `sig` even when the right secret comes along.
        let with_secret = obf.replace("&expires=", &format!("&secret={BOT_SECRET}&expires="));
        assert_eq!(get(&world, &with_secret).await.0, StatusCode::UNAUTHORIZED);

        // Bad input is refused the way the endpoints refuse it.
        for (body, status) in [
            (json!({"meeting_id": "12ab"}), StatusCode::BAD_REQUEST),
            (json!({"meeting_id": hosted.meeting.id, "user": "u", "credential": "c"}), StatusCode::BAD_REQUEST),
            (json!({"meeting_id": hosted.meeting.id, "expires_in": 2_592_001}), StatusCode::BAD_REQUEST),
            (json!({"user": "u"}), StatusCode::BAD_REQUEST),
        ] {
            let response = world.daemon.admin(Method::POST, "/api/v2/bot-token-urls/").json(&body).send().await.unwrap();
            assert_eq!(response.status(), status, "{body}");
        }

        // Expired.
        let short = json(world.daemon.admin(Method::POST, "/api/v2/bot-token-urls/").json(&json!({"meeting_id": hosted.meeting.id, "expires_in": 1})).send().await.unwrap()).await;
        assert!(short["access_token_url"].is_null(), "no access-token URL without a user");
        tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
        let (status, body) = get(&world, short["join_token_url"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("expired"), "{body}");

        // A new bot secret ends every signed URL; the secret itself keeps working.
        let logs = logs::captured();
        for sig in &sigs {
            assert!(!contains_secret(&logs, sig), "a signature was logged");
        }
        for token in &handed {
            assert!(!contains_secret(&logs, token), "a token was logged");
        }
        let world = world.restart_daemon(|c| {
            c.security.serve_access_tokens = true;
            c.security.bot_secret = Some("a-new-bot-secret-0123456789".into());
        }).await;
        assert_eq!(get(&world, obf).await.0, StatusCode::UNAUTHORIZED);
        let query = format!("secret=a-new-bot-secret-0123456789&meeting_id={}", hosted.meeting.id);
        assert_eq!(get(&world, &world.daemon.url(&format!("/zoom/join-token?{query}"))).await.0, StatusCode::OK);
    }

    async fn access_tokens_are_served_only_when_switched_on(backend) {
        let world = World::start(backend).await;
        let hosted = world.hosted_meeting().await;
        let credential = hosted.credential["id"].as_str().unwrap().to_owned();
        let (status, body) = get(&world, &world.daemon.url(&format!("/zoom/access-token?secret={BOT_SECRET}&credential={credential}"))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(body.contains("serve_access_tokens"));
        assert_eq!(get(&world, &world.daemon.url(&format!("/zoom/access-token?credential={credential}"))).await.0, StatusCode::UNAUTHORIZED);

        let world = world.restart_daemon(|c| c.security.serve_access_tokens = true).await;
        for who in [format!("credential={credential}"), format!("user={}", hosted.host.id), format!("user={}", urlencode(&hosted.host.email))] {
            let response = world.daemon.client.get(world.daemon.url(&format!("/zoom/access-token?secret={BOT_SECRET}&{who}"))).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{who}");
            assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
            let token = response.text().await.unwrap();
            // A live token: Zoom answers the user's own profile with it.
            let me = world.daemon.client.get(format!("{}/users/me", world.zoom.api_base_url())).bearer_auth(&token).send().await.unwrap();
            assert_eq!(me.status(), StatusCode::OK, "{who}");
        }
        let stored = json(world.daemon.admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/{credential}/access-token/")).send().await.unwrap()).await;
        let expires_at = chrono::DateTime::parse_from_rfc3339(stored["expires_at"].as_str().unwrap()).unwrap();
        assert!(expires_at.with_timezone(&chrono::Utc) - chrono::Utc::now() >= chrono::Duration::seconds(120));
        assert_eq!(get(&world, &world.daemon.url(&format!("/zoom/access-token?secret={BOT_SECRET}&user=nobody"))).await.0, StatusCode::NOT_FOUND);
        assert_eq!(get(&world, &world.daemon.url(&format!("/zoom/access-token?secret={BOT_SECRET}"))).await.0, StatusCode::BAD_REQUEST);
    }

    async fn attendees_callback_gets_the_four_fields(backend) {
        let world = World::start(backend).await;
        let hosted = world.hosted_meeting().await;
        let account = world.account().await;
        let sender = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        world.connect(&app, &sender.id).await;
        let body = json!({
            "bot_id": "bot_abc",
            "bot_metadata": null,
            "callback_type": "zoom_tokens",
            "meeting_url": format!("https://zoom.us/j/{}", hosted.meeting.id),
        });
        let url = world.daemon.url(&format!("/attendee/zoom-tokens?secret={BOT_SECRET}&user={}", urlencode(&sender.email)));
        let response = world.daemon.client.post(&url).json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let answer = json(response).await;
        assert_eq!(answer.as_object().unwrap().len(), 4, "{answer}");
        assert!(answer["join_token"].is_null());
        let join = minted(&world, answer["app_privilege_token"].as_str().unwrap()).await;
        assert_eq!((join.kind, join.user_id.as_deref()), (TokenKind::JoinLocalRecording, Some(hosted.host.id.as_str())));
        let obf = minted(&world, answer["onbehalf_token"].as_str().unwrap()).await;
        assert_eq!((obf.kind, obf.user_id.as_deref(), obf.meeting_id), (TokenKind::Onbehalf, Some(sender.id.as_str()), Some(hosted.meeting.id)));
        let zak = minted(&world, answer["zak_token"].as_str().unwrap()).await;
        assert_eq!((zak.kind, zak.user_id.as_deref()), (TokenKind::Zak, Some(sender.id.as_str())));

        // A user nobody connected: those fields are null, the host's join token still comes.
        let stranger = world.daemon.url(&format!("/attendee/zoom-tokens?secret={BOT_SECRET}&user=nobody"));
        let answer = json(world.daemon.client.post(&stranger).json(&body).send().await.unwrap()).await;
        assert!(answer["app_privilege_token"].is_string() && answer["onbehalf_token"].is_null() && answer["zak_token"].is_null(), "{answer}");

        for (bad, status) in [
            (json!({"callback_type": "other", "meeting_url": "https://zoom.us/j/85746065123"}), StatusCode::BAD_REQUEST),
            (json!({"callback_type": "zoom_tokens", "meeting_url": "https://example.com/j/85746065123"}), StatusCode::BAD_REQUEST),
        ] {
            assert_eq!(world.daemon.client.post(&url).json(&bad).send().await.unwrap().status(), status, "{bad}");
        }
        assert_eq!(world.daemon.client.post(&url).body("not json").send().await.unwrap().status(), StatusCode::BAD_REQUEST);
        let no_secret = world.daemon.url("/attendee/zoom-tokens");
        assert_eq!(world.daemon.client.post(&no_secret).json(&body).send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }

    async fn attendees_signature_is_required_when_configured(backend) {
        // Attendee shows its project secret base64-encoded; the key is the decoded bytes.
        let key = [7u8; 32];
        let shown = base64::engine::general_purpose::STANDARD.encode(key);
        let world = World::start_with(backend, crate::helpers::world::sim_options(), |c| c.security.attendee_webhook_secret = Some(shown.clone().into())).await;
        let hosted = world.hosted_meeting().await;
        let account = world.account().await;
        let sender = world.user(&account, Role::Member).await;
        let app = world.app("user_level", None).await;
        world.connect(&app, &sender.id).await;
        // The user comes from bot_metadata this time; `é` checks that non-ASCII is signed as UTF-8.
        let body = json!({
            "meeting_url": format!("https://zoom.us/j/{}", hosted.meeting.id),
            "callback_type": "zoom_tokens",
            "bot_metadata": {"zoom_user": sender.id, "note": "réunion"},
            "bot_id": "bot_abc",
        });
        // Python's json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":")), by hand.
        let canonical = format!(
            r#"{{"bot_id":"bot_abc","bot_metadata":{{"note":"réunion","zoom_user":"{}"}},"callback_type":"zoom_tokens","meeting_url":"https://zoom.us/j/{}"}}"#,
            sender.id, hosted.meeting.id
        );
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
        mac.update(canonical.as_bytes());
        let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());

        let url = world.daemon.url(&format!("/attendee/zoom-tokens?secret={BOT_SECRET}"));
        let post = |signature: Option<String>| {
            let mut request = world.daemon.client.post(&url).header("User-Agent", "Attendee-Callback/1.0").json(&body);
            if let Some(signature) = signature {
                request = request.header("X-Webhook-Signature", signature);
            }
            request.send()
        };
        let response = post(Some(signature.clone())).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let answer: Value = response.json().await.unwrap();
        let obf = minted(&world, answer["onbehalf_token"].as_str().unwrap()).await;
        assert_eq!(obf.user_id.as_deref(), Some(sender.id.as_str()), "the user named in bot_metadata");
        let mut wrong = signature.into_bytes();
        wrong[0] = if wrong[0] == b'A' { b'B' } else { b'A' };
        assert_eq!(post(Some(String::from_utf8(wrong).unwrap())).await.unwrap().status(), StatusCode::UNAUTHORIZED);
        assert_eq!(post(None).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }

    async fn the_cli_mints_explains_and_signs_for_the_bots_user(backend) {
        use crate::helpers::process::{db_env, run_cli, zoom_env};
        let world = World::start(backend).await;
        let ext = external_meeting(&world).await;
        let app = world.app("user_level", None).await;
        world.connect(&app, &ext.sender.id).await;
        let mut env = db_env(&world.daemon.db);
        env.extend(zoom_env(&world.zoom));
        env.push(("ZOOMSYNC__SERVER__PUBLIC_URL".into(), world.daemon.url("")));
        let dir = world.daemon.db.dir.path();
        let meeting = ext.meeting.to_string();

        let obf = run_cli(dir, &env, &["token", "obf", &meeting, "--user", &ext.sender.email]);
        assert!(obf.status.success(), "{}", String::from_utf8_lossy(&obf.stderr));
        let token = minted(&world, String::from_utf8(obf.stdout).unwrap().trim()).await;
        assert_eq!((token.kind, token.user_id.as_deref()), (TokenKind::Onbehalf, Some(ext.sender.id.as_str())));
        let zak = run_cli(dir, &env, &["token", "zak", "--user", &ext.sender.id]);
        assert!(zak.status.success(), "{}", String::from_utf8_lossy(&zak.stderr));
        assert_eq!(run_cli(dir, &env, &["token", "obf", &meeting, "--user", "nobody"]).status.code(), Some(3));
        // Zoom's user ids may begin with `-`: still a value, not an unknown flag (exit 2).
        assert_eq!(run_cli(dir, &env, &["token", "zak", "--user", "-kNoSuchUser"]).status.code(), Some(3));

        let explained = run_cli(dir, &env, &["explain", &meeting, "--user", &ext.sender.email, "--json"]);
        let explained: Value = serde_json::from_slice(&explained.stdout).unwrap();
        let tokens = explained["tokens"].as_array().unwrap();
        let kinds: Vec<&str> = tokens.iter().map(|t| t["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["join", "obf", "zak"]);
        assert!(tokens[0]["candidates"].as_array().unwrap().is_empty(), "nobody connected hosts it");
        let obf = &tokens[1]["candidates"][0];
        assert_eq!(obf["user_id"], ext.sender.id.as_str());
        assert!(obf["reason"].as_str().unwrap().contains("the user's own credential"), "{obf}");
        let table = run_cli(dir, &env, &["explain", &meeting, "--user", &ext.sender.email]);
        assert!(String::from_utf8_lossy(&table.stdout).contains("obf for user"), "{}", String::from_utf8_lossy(&table.stdout));

        let urls = run_cli(dir, &env, &["bot-urls", &meeting, "--user", &ext.sender.email, "--expires-in", "600", "--json"]);
        assert!(urls.status.success(), "{}", String::from_utf8_lossy(&urls.stderr));
        let urls: Value = serde_json::from_slice(&urls.stdout).unwrap();
        let (status, token) = get(&world, urls["obf_token_url"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{token}");
        assert_eq!(minted(&world, &token).await.user_id.as_deref(), Some(ext.sender.id.as_str()));
        assert_eq!(run_cli(dir, &env, &["bot-urls", &meeting, "--user", "u", "--credential", "c"]).status.code(), Some(2));
    }

    async fn attendees_callback_needs_no_recall_signature_where_recall_bots_need_one(backend) {
        let recall = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode([9u8; 24]));
        let world = World::start_with(backend, crate::helpers::world::sim_options(), |c| c.security.recall_verification_secret = Some(recall.clone().into())).await;
        let hosted = world.hosted_meeting().await;
        let body = json!({"bot_id": "b", "bot_metadata": null, "callback_type": "zoom_tokens",
            "meeting_url": format!("https://zoom.us/j/{}", hosted.meeting.id)});
        let url = world.daemon.url(&format!("/attendee/zoom-tokens?secret={BOT_SECRET}"));
        let answer = world.daemon.client.post(&url).json(&body).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "Attendee is checked by its own signature, when one is set");
        assert!(json(answer).await["app_privilege_token"].is_string());
        // A Recall bot's request without Recall's signature is still refused.
        assert_eq!(world.bot("join-token", &format!("meeting_id={}", hosted.meeting.id)).await.status(), StatusCode::UNAUTHORIZED);
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
