//! A started simulator plus typed shortcuts for the OAuth dance and REST calls.

use std::future::Future;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use zoom_sim::control::Client;
use zoom_sim::control::types::{Account, App, AppKind, NewAccount, NewApp, NewCode, NewUser, Plan, Role, User};
use zoom_sim::{SimOptions, SimServer};

pub const REDIRECT: &str = "http://127.0.0.1:9/zoom/oauth/callback";

pub struct TestSim {
    pub server: SimServer,
    pub ctl: Client,
    pub http: reqwest::Client,
}

/// Access and refresh token from `/oauth/token`.
pub struct Tokens {
    pub access: String,
    pub refresh: Option<String>,
}

impl TestSim {
    pub fn start() -> Self {
        Self::with(SimOptions::default())
    }

    pub fn with(options: SimOptions) -> Self {
        let server = SimServer::start(SimOptions { workers: 2, ..options }).unwrap();
        let ctl = server.control();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { server, ctl, http }
    }

    pub fn base(&self) -> &str {
        self.server.base_url()
    }

    pub async fn account(&self) -> Account {
        self.account_on(Plan::Pro).await
    }

    pub async fn account_on(&self, plan: Plan) -> Account {
        self.ctl.create_account(&NewAccount { plan: Some(plan), ..Default::default() }).await.unwrap()
    }

    pub async fn user(&self, account_id: &str, role: Role) -> User {
        let req = NewUser { account_id: account_id.to_owned(), role: Some(role), ..Default::default() };
        self.ctl.create_user(&req).await.unwrap()
    }

    pub async fn app(&self, kind: AppKind) -> App {
        self.ctl.create_app(&NewApp::new(kind)).await.unwrap()
    }

    pub async fn app_with_scopes(&self, kind: AppKind, scopes: &[&str]) -> App {
        let req = NewApp { scopes: Some(scopes.iter().map(|s| (*s).to_owned()).collect()), ..NewApp::new(kind) };
        self.ctl.create_app(&req).await.unwrap()
    }

    pub async fn s2s_app(&self, account_id: &str) -> App {
        let req = NewApp { account_id: Some(account_id.to_owned()), ..NewApp::new(AppKind::ServerToServer) };
        self.ctl.create_app(&req).await.unwrap()
    }

    pub async fn code(&self, app: &App, user: &User) -> String {
        let req = NewCode {
            client_id: app.client_id.clone(),
            user_id: user.id.clone(),
            redirect_uri: REDIRECT.to_owned(),
            ..Default::default()
        };
        self.ctl.create_code(&req).await.unwrap()
    }

    /// `POST /oauth/token` with Basic auth; returns status and JSON.
    pub async fn token_request(&self, app: &App, form: &[(&str, &str)]) -> (u16, Value) {
        let res = self
            .http
            .post(format!("{}/oauth/token", self.base()))
            .basic_auth(&app.client_id, Some(&app.client_secret))
            .form(form)
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.json().await.unwrap())
    }

    pub async fn exchange(&self, app: &App, code: &str) -> (u16, Value) {
        self.token_request(app, &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", REDIRECT)])
            .await
    }

    /// A refresh whose answer may not be JSON (faults).
    pub async fn refresh_raw(&self, app: &App, refresh_token: &str) -> reqwest::Response {
        self.http
            .post(format!("{}/oauth/token", self.base()))
            .basic_auth(&app.client_id, Some(&app.client_secret))
            .form(&[("grant_type", "refresh_token"), ("refresh_token", refresh_token)])
            .send()
            .await
            .unwrap()
    }

    pub async fn refresh(&self, app: &App, refresh_token: &str) -> (u16, Value) {
        self.token_request(app, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
    }

    /// Authorizes `app` as `user` and exchanges the code.
    pub async fn authorize(&self, app: &App, user: &User) -> Tokens {
        let code = self.code(app, user).await;
        let (status, body) = self.exchange(app, &code).await;
        assert_eq!(status, 200, "{body}");
        tokens(&body)
    }

    pub async fn s2s_token(&self, app: &App) -> Tokens {
        let account = app.account_id.clone().unwrap();
        let (status, body) =
            self.token_request(app, &[("grant_type", "account_credentials"), ("account_id", &account)]).await;
        assert_eq!(status, 200, "{body}");
        tokens(&body)
    }

    /// `GET /v2{path}` with a bearer token.
    pub async fn get_raw(&self, token: &str, path: &str) -> reqwest::Response {
        self.http.get(format!("{}/v2{path}", self.base())).bearer_auth(token).send().await.unwrap()
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        let res = self.get_raw(token, path).await;
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

pub fn tokens(body: &Value) -> Tokens {
    Tokens {
        access: body["access_token"].as_str().unwrap().to_owned(),
        refresh: body["refresh_token"].as_str().map(str::to_owned),
    }
}

/// Asserts a Zoom REST error.
pub fn assert_api_error(result: &(u16, Value), status: u16, code: i64, message: &str) {
    assert_eq!(result.0, status, "{}", result.1);
    assert_eq!(result.1["code"], code, "{}", result.1);
    assert_eq!(result.1["message"], message, "{}", result.1);
}

/// Asserts an OAuth error body.
pub fn assert_oauth_error(result: &(u16, Value), error: &str, reason: Option<&str>) {
    assert_eq!(result.0, 400, "{}", result.1);
    assert_eq!(result.1["error"], error, "{}", result.1);
    if let Some(reason) = reason {
        assert_eq!(result.1["reason"], reason, "{}", result.1);
    }
}

pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Polls `check` until it yields a value, for at most `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
