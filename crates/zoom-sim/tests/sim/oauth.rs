//! OAuth: codes, PKCE, redirect URIs, rotation, re-authorization, expiry, consent, revoke.

use zoom_sim::control::types::{AppKind, NewApp, NewCode, Role};

use crate::helpers::*;

#[tokio::test]
async fn refresh_token_works_once_then_invalid_grant() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let first = sim.authorize(&app, &user).await;
    let rt1 = first.refresh.unwrap();

    let (status, body) = sim.refresh(&app, &rt1).await;
    assert_eq!(status, 200, "{body}");
    let second = tokens(&body);
    let rt2 = second.refresh.clone().unwrap();
    assert_ne!(rt1, rt2, "rotation must issue a new refresh token");
    assert_eq!(body["expires_in"], 3599);
    assert_eq!(body["token_type"], "bearer");

    // The old refresh token is dead at once.
    let reused = sim.refresh(&app, &rt1).await;
    assert_oauth_error(&reused, "invalid_grant", Some("Invalid Token!"));
    // The new one works, and the access token it came with too.
    assert_eq!(sim.get(&second.access, "/users/me").await.0, 200);
    assert_eq!(sim.refresh(&app, &rt2).await.0, 200);
    let counters = sim.ctl.counters().await.unwrap();
    assert_eq!(counters.oauth.refresh, 2);
    assert_eq!(counters.oauth.invalid_grant, 1);
}

#[tokio::test]
async fn a_refresh_token_can_be_checked_without_using_it() {
    use zoom_sim::control::types::RefreshState;
    let sim = TestSim::start();
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let rt1 = sim.authorize(&app, &user).await.refresh.unwrap();
    let check = sim.ctl.check_refresh_token(&rt1).await.unwrap();
    assert_eq!((check.state, check.generation, check.current_generation), (RefreshState::Current, Some(1), Some(1)));
    // Checking did not use it up.
    let (status, body) = sim.refresh(&app, &rt1).await;
    assert_eq!(status, 200, "{body}");
    let rt2 = tokens(&body).refresh.unwrap();
    let old = sim.ctl.check_refresh_token(&rt1).await.unwrap();
    assert_eq!((old.state, old.generation, old.current_generation), (RefreshState::Superseded, Some(1), Some(2)));
    assert!(old.current_issued_at.is_some());
    assert_eq!(sim.ctl.check_refresh_token(&rt2).await.unwrap().state, RefreshState::Current);
    assert_eq!(sim.ctl.check_refresh_token("made-up").await.unwrap().state, RefreshState::Unknown);
    sim.authorize(&app, &user).await;
    assert_eq!(
        sim.ctl.check_refresh_token(&rt2).await.unwrap().state,
        RefreshState::Revoked,
        "re-authorizing replaced the grant"
    );
}

#[tokio::test]
async fn refresh_token_of_another_client_is_refused() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let other = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &user).await;
    let refresh = tokens.refresh.unwrap();
    assert_oauth_error(&sim.refresh(&other, &refresh).await, "invalid_grant", Some("Invalid Token!"));
    // Presenting it to the wrong client did not burn it.
    assert_eq!(sim.refresh(&app, &refresh).await.0, 200);
}

#[tokio::test]
async fn reauthorizing_invalidates_earlier_tokens() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Member).await;
    let app = sim.app(AppKind::UserLevel).await;
    let old = sim.authorize(&app, &user).await;
    assert_eq!(sim.get(&old.access, "/users/me").await.0, 200);

    let new = sim.authorize(&app, &user).await;
    assert_api_error(&sim.get(&old.access, "/users/me").await, 401, 124, "Invalid access token.");
    assert_oauth_error(&sim.refresh(&app, &old.refresh.unwrap()).await, "invalid_grant", Some("Invalid Token!"));
    assert_eq!(sim.get(&new.access, "/users/me").await.0, 200);

    let grants = sim.ctl.grants(Some(&app.client_id), Some(&user.id)).await.unwrap();
    assert_eq!(grants.iter().map(|g| g.active).collect::<Vec<_>>(), [false, true]);
}

#[tokio::test]
async fn authorization_code_is_single_use() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let code = sim.code(&app, &user).await;
    assert_eq!(sim.exchange(&app, &code).await.0, 200);
    assert_oauth_error(&sim.exchange(&app, &code).await, "invalid_grant", Some("Invalid authorization code"));
    assert_oauth_error(&sim.exchange(&app, "not-a-code").await, "invalid_grant", Some("Invalid authorization code"));
}

#[tokio::test]
async fn authorization_code_expires_after_five_minutes() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let fresh = sim.code(&app, &user).await;
    let stale = sim.code(&app, &user).await;
    sim.ctl.advance_clock(290.0).await.unwrap();
    assert_eq!(sim.exchange(&app, &fresh).await.0, 200, "a 290 s old code is still valid");
    sim.ctl.advance_clock(11.0).await.unwrap();
    assert_oauth_error(&sim.exchange(&app, &stale).await, "invalid_grant", Some("Invalid authorization code"));
}

#[tokio::test]
async fn pkce_s256_and_plain_are_enforced() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let verifier = "v".repeat(43) + "-S256_verifier.~";
    let code_with = |challenge: String, method: &str| NewCode {
        client_id: app.client_id.clone(),
        user_id: user.id.clone(),
        redirect_uri: REDIRECT.to_owned(),
        code_challenge: Some(challenge),
        code_challenge_method: Some(method.to_owned()),
    };
    let exchange = |code: String, verifier: Option<String>| {
        let sim = &sim;
        let app = &app;
        async move {
            let mut form = vec![
                ("grant_type", "authorization_code".to_owned()),
                ("code", code),
                ("redirect_uri", REDIRECT.to_owned()),
            ];
            if let Some(v) = verifier {
                form.push(("code_verifier", v));
            }
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            sim.token_request(app, &form).await
        }
    };

    for method in ["S256", "plain"] {
        let challenge = if method == "S256" { s256(&verifier) } else { verifier.clone() };
        let wrong = format!("{}x", &verifier[..verifier.len() - 1]);

        let code = sim.ctl.create_code(&code_with(challenge.clone(), method)).await.unwrap();
        assert_oauth_error(&exchange(code.clone(), Some(wrong)).await, "invalid_grant", None);
        // A failed attempt used the code up.
        let retry = exchange(code, Some(verifier.clone())).await;
        assert_oauth_error(&retry, "invalid_grant", Some("Invalid authorization code"));

        let code = sim.ctl.create_code(&code_with(challenge.clone(), method)).await.unwrap();
        assert_oauth_error(&exchange(code, None).await, "invalid_request", None);

        let code = sim.ctl.create_code(&code_with(challenge, method)).await.unwrap();
        let ok = exchange(code, Some(verifier.clone())).await;
        assert_eq!(ok.0, 200, "{method}: {}", ok.1);
    }

    // A verifier without a challenge at authorize time is refused too.
    let code = sim.code(&app, &user).await;
    assert_oauth_error(&exchange(code, Some(verifier)).await, "invalid_request", None);
}

#[tokio::test]
async fn redirect_uri_must_match() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let registered = NewApp { redirect_uris: Some(vec![REDIRECT.to_owned()]), ..NewApp::new(AppKind::UserLevel) };
    let app = sim.ctl.create_app(&registered).await.unwrap();

    let code = sim.code(&app, &user).await;
    let other = "http://127.0.0.1:9/elsewhere";
    let result = sim
        .token_request(&app, &[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", other)])
        .await;
    assert_oauth_error(&result, "invalid_request", None);

    // Unregistered redirect at authorize: an error page, never a redirect.
    let url = format!(
        "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri={other}&login_hint={}",
        sim.base(),
        app.client_id,
        user.id
    );
    let res = sim.http.get(url).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.headers().get("location").is_none());
    assert!(res.text().await.unwrap().contains("redirect"));
    // And the control API refuses to mint such a code.
    let bad = NewCode {
        client_id: app.client_id.clone(),
        user_id: user.id.clone(),
        redirect_uri: other.to_owned(),
        ..Default::default()
    };
    assert_eq!(sim.ctl.create_code(&bad).await.unwrap_err().status(), Some(400));
}

#[tokio::test]
async fn client_must_authenticate() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let code = sim.code(&app, &user).await;
    let url = format!("{}/oauth/token", sim.base());

    let wrong = sim
        .http
        .post(&url)
        .basic_auth(&app.client_id, Some("wrong-secret"))
        .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", REDIRECT)])
        .send()
        .await
        .unwrap();
    let wrong = (wrong.status().as_u16(), wrong.json().await.unwrap());
    assert_oauth_error(&wrong, "invalid_client", Some("Invalid client_id or client_secret"));

    let none = sim.http.post(&url).form(&[("grant_type", "authorization_code"), ("code", &code)]).send().await.unwrap();
    assert_eq!(none.status().as_u16(), 400);

    // Credentials as form fields, parameters in the query string: both accepted.
    let res = sim
        .http
        .post(format!("{url}?grant_type=authorization_code&code={code}&redirect_uri={}", urlencode(REDIRECT)))
        .form(&[("client_id", app.client_id.as_str()), ("client_secret", app.client_secret.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);

    let unsupported = sim.token_request(&app, &[("grant_type", "password")]).await;
    assert_oauth_error(&unsupported, "unsupported_grant_type", None);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn access_token_expires_after_3599_seconds() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &user).await;
    sim.ctl.advance_clock(3590.0).await.unwrap();
    assert_eq!(sim.get(&tokens.access, "/users/me").await.0, 200);
    sim.ctl.advance_clock(10.0).await.unwrap();
    assert_api_error(&sim.get(&tokens.access, "/users/me").await, 401, 124, "Access token is expired.");
    // Refreshing still works and yields a fresh access token.
    let (status, body) = sim.refresh(&app, &tokens.refresh.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(sim.get(body["access_token"].as_str().unwrap(), "/users/me").await.0, 200);
}

#[tokio::test]
async fn refresh_tokens_expire_after_their_ttl() {
    let sim = TestSim::with(zoom_sim::SimOptions {
        refresh_token_ttl: std::time::Duration::from_secs(90 * 86_400),
        ..Default::default()
    });
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &user).await;
    sim.ctl.advance_clock(90.0 * 86_400.0 + 1.0).await.unwrap();
    assert_oauth_error(&sim.refresh(&app, &tokens.refresh.unwrap()).await, "invalid_grant", Some("Invalid Token!"));
}

#[tokio::test]
async fn consent_page_lists_users_and_issues_a_code() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let alice = sim.user(&account.id, Role::Owner).await;
    let bob = sim.user(&account.id, Role::Member).await;
    let app = sim.app(AppKind::UserLevel).await;
    let url = format!(
        "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&state=xyz",
        sim.base(),
        app.client_id,
        urlencode(REDIRECT)
    );
    let page = sim.http.get(&url).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains(&alice.id) && html.contains(&bob.id));
    assert_eq!(html.matches("action=\"/oauth/authorize/consent\"").count(), 2);

    // Bob clicks his button.
    let form = [
        ("response_type", "code"),
        ("client_id", app.client_id.as_str()),
        ("redirect_uri", REDIRECT),
        ("state", "xyz"),
        ("user_id", bob.id.as_str()),
    ];
    let res = sim.http.post(format!("{}/oauth/authorize/consent", sim.base())).form(&form).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 302);
    let location = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT));
    let query: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(query["state"], "xyz");
    let (status, body) = sim.exchange(&app, &query["code"]).await;
    assert_eq!(status, 200);
    let me = sim.get(body["access_token"].as_str().unwrap(), "/users/me").await;
    assert_eq!(me.1["id"], bob.id);
}

#[tokio::test]
async fn authorizer_and_login_hint_consent_automatically() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let alice = sim.user(&account.id, Role::Owner).await;
    let bob = sim.user(&account.id, Role::Member).await;
    let app = sim.app(AppKind::UserLevel).await;
    sim.ctl.set_authorizer(&app.client_id, &alice.id).await.unwrap();
    let base = format!(
        "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri={}",
        sim.base(),
        app.client_id,
        urlencode(REDIRECT)
    );
    let who = |url: String| {
        let sim = &sim;
        let app = &app;
        async move {
            let res = sim.http.get(url).send().await.unwrap();
            assert_eq!(res.status().as_u16(), 302);
            let location = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
            assert!(location.query_pairs().all(|(k, _)| k != "state"), "no state was given");
            let code = location.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
            let (_, body) = sim.exchange(app, &code).await;
            sim.get(body["access_token"].as_str().unwrap(), "/users/me").await.1["id"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(who(base.clone()).await, alice.id, "the authorizer consents");
    assert_eq!(who(format!("{base}&login_hint={}", urlencode(&bob.email))).await, bob.id, "login_hint wins");
    sim.ctl.clear_authorizer(&app.client_id).await.unwrap();
    let page = sim.http.get(&base).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200, "without an authorizer the consent page shows");
}

#[tokio::test]
async fn account_level_apps_need_an_admin_and_s2s_uses_account_credentials() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let owner = sim.user(&account.id, Role::Owner).await;
    let member = sim.user(&account.id, Role::Member).await;
    let admin_app = sim.app(AppKind::AccountLevel).await;
    let req = NewCode {
        client_id: admin_app.client_id.clone(),
        user_id: member.id.clone(),
        redirect_uri: REDIRECT.to_owned(),
        ..Default::default()
    };
    assert_eq!(sim.ctl.create_code(&req).await.unwrap_err().status(), Some(400));
    let url = format!(
        "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&login_hint={}",
        sim.base(),
        admin_app.client_id,
        urlencode(REDIRECT),
        member.id
    );
    assert_eq!(sim.http.get(url).send().await.unwrap().status().as_u16(), 400);
    sim.authorize(&admin_app, &owner).await;

    let s2s = sim.s2s_app(&account.id).await;
    let (status, body) =
        sim.token_request(&s2s, &[("grant_type", "account_credentials"), ("account_id", &account.id)]).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("refresh_token").is_none());
    let first = body["access_token"].as_str().unwrap().to_owned();
    let second = sim.s2s_token(&s2s).await;
    assert_eq!(sim.get(&first, "/users/me").await.1["id"], owner.id, "s2s `me` is the account owner");
    assert_eq!(sim.get(&second.access, "/users/me").await.0, 200, "several s2s tokens are valid at once");
    let wrong_account = sim.token_request(&s2s, &[("grant_type", "account_credentials"), ("account_id", "nope")]).await;
    assert_oauth_error(&wrong_account, "invalid_request", None);
    let user_app = sim.app(AppKind::UserLevel).await;
    let refused =
        sim.token_request(&user_app, &[("grant_type", "account_credentials"), ("account_id", &account.id)]).await;
    assert_oauth_error(&refused, "unsupported_grant_type", None);
    let url = format!(
        "{}/oauth/authorize?response_type=code&client_id={}&redirect_uri={}&login_hint={}",
        sim.base(),
        s2s.client_id,
        urlencode(REDIRECT),
        owner.id
    );
    assert_eq!(sim.http.get(url).send().await.unwrap().status().as_u16(), 400, "s2s apps are not authorized by users");
}

#[tokio::test]
async fn revoke_kills_every_token_of_the_grant() {
    let sim = TestSim::start();
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let tokens = sim.authorize(&app, &user).await;
    let res = sim
        .http
        .post(format!("{}/oauth/revoke?token={}", sim.base(), tokens.access))
        .basic_auth(&app.client_id, Some(&app.client_secret))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["status"], "success");
    assert_api_error(&sim.get(&tokens.access, "/users/me").await, 401, 124, "Invalid access token.");
    assert_oauth_error(&sim.refresh(&app, &tokens.refresh.unwrap()).await, "invalid_grant", Some("Invalid Token!"));
    assert_eq!(sim.ctl.counters().await.unwrap().oauth.revoke, 1);
}

/// docs/zoom.md §2.3 (unconfirmed): by default a refresh ends the access token handed out
/// before it, for user-level and account-level grants alike; `refresh_ends_access_token: false`
/// keeps it until it expires. Server-to-server tokens are valid several at once.
#[tokio::test]
async fn a_refresh_ends_the_previous_access_token_unless_switched_off() {
    use zoom_sim::control::types::SettingsPatch;
    let sim = TestSim::start();
    assert!(sim.ctl.settings().await.unwrap().refresh_ends_access_token);
    let account = sim.account().await;
    let owner = sim.user(&account.id, Role::Owner).await;
    for kind in [AppKind::UserLevel, AppKind::AccountLevel] {
        let app = sim.app(kind).await;
        let first = sim.authorize(&app, &owner).await;
        let (status, body) = sim.refresh(&app, first.refresh.as_deref().unwrap()).await;
        assert_eq!(status, 200, "{body}");
        let second = tokens(&body);
        assert_api_error(&sim.get(&first.access, "/users/me").await, 401, 124, "Invalid access token.");
        assert_eq!(sim.get(&second.access, "/users/me").await.0, 200, "{kind:?}");
    }

    let patch = SettingsPatch { refresh_ends_access_token: Some(false), ..Default::default() };
    assert!(!sim.ctl.update_settings(&patch).await.unwrap().refresh_ends_access_token);
    let app = sim.app(AppKind::UserLevel).await;
    let first = sim.authorize(&app, &owner).await;
    let (_, body) = sim.refresh(&app, first.refresh.as_deref().unwrap()).await;
    assert_eq!(sim.get(&first.access, "/users/me").await.0, 200, "kept until it expires");
    assert_eq!(sim.get(&tokens(&body).access, "/users/me").await.0, 200);

    // Server-to-server: every token handed out stays valid, whatever the setting.
    sim.ctl
        .update_settings(&SettingsPatch { refresh_ends_access_token: Some(true), ..Default::default() })
        .await
        .unwrap();
    let s2s = sim.s2s_app(&account.id).await;
    let mut issued = Vec::new();
    for _ in 0..3 {
        issued.push(sim.s2s_token(&s2s).await);
    }
    for token in &issued {
        assert_eq!(sim.get(&token.access, "/users/me").await.0, 200);
    }
}

/// docs/zoom.md §2.4: `invalid_client` is about the app's credentials and is decided before the
/// code or refresh token is looked at, so neither is used up. Its status is 400 unless
/// `invalid_client_status` says 401.
#[tokio::test]
async fn invalid_client_uses_up_neither_the_refresh_token_nor_the_code() {
    use zoom_sim::control::types::{RefreshState, SettingsPatch};
    let sim = TestSim::start();
    let account = sim.account().await;
    let user = sim.user(&account.id, Role::Owner).await;
    let app = sim.app(AppKind::UserLevel).await;
    let wrong = zoom_sim::control::types::App { client_secret: "wrong-secret".to_owned(), ..app.clone() };
    let refresh = sim.authorize(&app, &user).await.refresh.unwrap();
    let invalid_client = Some("Invalid client_id or client_secret");

    assert_oauth_error(&sim.refresh(&wrong, &refresh).await, "invalid_client", invalid_client);
    assert_eq!(sim.ctl.check_refresh_token(&refresh).await.unwrap().state, RefreshState::Current);
    let code = sim.code(&app, &user).await;
    assert_oauth_error(&sim.exchange(&wrong, &code).await, "invalid_client", invalid_client);

    sim.ctl.update_settings(&SettingsPatch { invalid_client_status: Some(401), ..Default::default() }).await.unwrap();
    let refused = sim.refresh(&wrong, &refresh).await;
    assert_eq!(refused.0, 401, "{}", refused.1);
    assert_eq!(
        refused.1,
        serde_json::json!({"reason": "Invalid client_id or client_secret", "error": "invalid_client"})
    );
    assert_eq!(sim.exchange(&wrong, &code).await.0, 401);

    // The right secret: the same refresh token and the same code still work.
    assert_eq!(sim.refresh(&app, &refresh).await.0, 200);
    assert_eq!(sim.exchange(&app, &code).await.0, 200);
    let counters = sim.ctl.counters().await.unwrap();
    assert_eq!((counters.oauth.invalid_grant, counters.oauth.refresh, counters.oauth.authorization_code), (0, 1, 2));
    let bad = SettingsPatch { invalid_client_status: Some(403), ..Default::default() };
    assert_eq!(sim.ctl.update_settings(&bad).await.unwrap_err().status(), Some(400));
}
