//! A daemon pointed at its own zoom-sim: the world most tests live in. Helpers here do what an
//! admin, a Zoom user and a bot would do, over real HTTP.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use zoom_sim::control::types::{
    self as sim, AppKind as SimKind, NewAccount, NewApp, NewMeeting, NewUser, Role, WebhookConfig,
};
use zoom_sim::{SimOptions, SimServer, control};
use zoomsync::config::Config;

use super::app::{BOT_SECRET, TestApp, json};
use super::db::Backend;

pub struct World {
    pub daemon: TestApp,
    pub sim: control::Client,
    /// Kept alive for the test; dropped last.
    pub zoom: SimServer,
}

/// An app registered on both sides: at zoom-sim and in zoomsync.
#[derive(Clone, Debug)]
pub struct RegisteredApp {
    /// zoomsync's id for it.
    pub id: String,
    pub client_id: String,
    pub client_secret: String,
    pub webhook_secret: String,
}

/// A member of a fresh account, connected through a user-level app, hosting one meeting that
/// zoomsync has mapped (the most common starting point of a test).
pub struct Hosted {
    pub account: String,
    pub host: sim::User,
    pub app: RegisteredApp,
    /// The credential, as the admin API shows it.
    pub credential: Value,
    pub meeting: sim::Meeting,
}

pub fn sim_options() -> SimOptions {
    // Zoom's retry schedule (5, 20, 60 minutes) in a fraction of a second.
    SimOptions { port: 0, retry_scale: 0.0005, workers: 2, ..SimOptions::default() }
}

impl World {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, sim_options(), |_| {}).await
    }

    pub async fn start_with(backend: Backend, options: SimOptions, customize: impl FnOnce(&mut Config)) -> Self {
        let zoom = SimServer::start(options).expect("zoom-sim starts");
        let base = zoom.base_url().to_owned();
        let api = zoom.api_base_url();
        let daemon = TestApp::spawn_with(backend, |config| {
            config.zoom.oauth_base_url = base;
            config.zoom.api_base_url = api;
            customize(config);
        })
        .await;
        let sim = zoom.control();
        Self { daemon, sim, zoom }
    }

    /// Stops zoomsync and starts it again on the same database and address: its in-memory
    /// state (cached tokens) is gone, everything stored remains.
    pub async fn restart_daemon(self, customize: impl FnOnce(&mut Config)) -> Self {
        let World { daemon, sim, zoom } = self;
        let port = daemon.port();
        let db = daemon.into_db();
        let (base, api) = (zoom.base_url().to_owned(), zoom.api_base_url());
        let daemon = TestApp::spawn_on_port(db, port, |config| {
            config.zoom.oauth_base_url = base;
            config.zoom.api_base_url = api;
            customize(config);
        })
        .await;
        Self { daemon, sim, zoom }
    }

    pub async fn account(&self) -> String {
        self.sim.create_account(&NewAccount::default()).await.expect("account").id
    }

    pub async fn user(&self, account_id: &str, role: Role) -> sim::User {
        self.sim
            .create_user(&NewUser { account_id: account_id.to_owned(), role: Some(role), ..NewUser::default() })
            .await
            .expect("user")
    }

    /// Registers an app in zoomsync and at zoom-sim (with its webhook subscription pointing at
    /// zoomsync, which zoom-sim validates).
    pub async fn app(&self, kind: &'static str, account_id: Option<&str>) -> RegisteredApp {
        self.app_with_scopes(kind, account_id, None).await
    }

    /// The same, with the scopes the app asks Zoom for (`None`: zoom-sim's default, all of them).
    pub async fn app_with_scopes(
        &self,
        kind: &'static str,
        account_id: Option<&str>,
        scopes: Option<&[&str]>,
    ) -> RegisteredApp {
        self.app_on(kind, account_id, scopes, None).await
    }

    /// The same, registered in zoomsync on `cloud` (`zoom`, `zoomgov`; `None`: not said).
    pub async fn app_on(
        &self,
        kind: &'static str,
        account_id: Option<&str>,
        scopes: Option<&[&str]>,
        cloud: Option<&str>,
    ) -> RegisteredApp {
        let suffix = rand::random::<u32>();
        let client_id = format!("client-{suffix}");
        let client_secret = format!("client-secret-{suffix}-abcdef");
        let webhook_secret = format!("webhook-secret-{suffix}-abcdef");
        let mut body = json!({"kind": kind, "client_id": client_id, "client_secret": client_secret, "webhook_secret": webhook_secret});
        if kind == "server_to_server" {
            body["account_id"] = json!(account_id.expect("s2s apps need an account"));
        }
        if let Some(cloud) = cloud {
            body["cloud"] = json!(cloud);
        }
        let created = self.daemon.create_app(body).await;
        assert_eq!(created.status(), StatusCode::CREATED);
        let created = json(created).await;
        let sim_kind = match kind {
            "user_level" => SimKind::UserLevel,
            "account_level" => SimKind::AccountLevel,
            _ => SimKind::ServerToServer,
        };
        self.sim
            .create_app(&NewApp {
                client_id: Some(client_id.clone()),
                client_secret: Some(client_secret.clone()),
                kind: sim_kind,
                account_id: account_id.map(str::to_owned),
                redirect_uris: Some(vec![self.daemon.url("/zoom/oauth/callback")]),
                webhook: Some(WebhookConfig {
                    url: created["webhook_url"].as_str().expect("webhook_url").to_owned(),
                    secret_token: webhook_secret.clone(),
                    enabled: Some(true),
                }),
                scopes: scopes.map(|s| s.iter().map(|s| (*s).to_owned()).collect()),
            })
            .await
            .expect("zoom-sim app");
        RegisteredApp { id: created["id"].as_str().expect("id").to_owned(), client_id, client_secret, webhook_secret }
    }

    /// Connects `user_id` through the browser flow: zoomsync's start link, Zoom's consent (the
    /// user is signed in at zoom-sim), back to zoomsync's callback. Returns the credential.
    pub async fn connect(&self, app: &RegisteredApp, user_id: &str) -> Value {
        self.sim.set_authorizer(&app.client_id, user_id).await.expect("authorizer");
        let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::limited(5)).build().unwrap();
        let page = browser.get(self.daemon.url(&format!("/zoom/oauth/start?app={}", app.id))).send().await.unwrap();
        let status = page.status();
        let text = page.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(text.contains("connected"), "{text}");
        let credential = self.credential_of(app, user_id).await;
        self.wait_for_first_backfill(credential["id"].as_str().expect("id")).await
    }

    /// Waits until the credential's first backfill (started by connecting) has finished,
    /// completed or failed, and returns the credential.
    pub async fn wait_for_first_backfill(&self, credential_id: &str) -> Value {
        let path = format!("/api/v2/zoom-oauth-credentials/{credential_id}/");
        self.daemon
            .eventually_json(&path, |c| matches!(c["meeting_sync_status"].as_str(), Some("completed" | "failed")))
            .await
    }

    /// The credential zoomsync holds for `user_id` under `app`.
    pub async fn credential_of(&self, app: &RegisteredApp, user_id: &str) -> Value {
        let list = json(
            self.daemon
                .admin(Method::GET, &format!("/api/v2/zoom-oauth-credentials/?oauth_app={}&user_id={user_id}", app.id))
                .send()
                .await
                .unwrap(),
        )
        .await;
        list["results"][0].clone()
    }

    pub async fn hosted_meeting(&self) -> Hosted {
        let account = self.account().await;
        let host = self.user(&account, Role::Member).await;
        let app = self.app("user_level", None).await;
        let credential = self.connect(&app, &host.id).await;
        let meeting = self.meeting(&host.id).await;
        assert_eq!(self.wait_for_mappings(meeting.id, 1).await.len(), 1, "the new meeting is mapped");
        Hosted { account, host, app, credential, meeting }
    }

    pub async fn meeting(&self, host_id: &str) -> sim::Meeting {
        self.sim
            .create_meeting(&NewMeeting { host_id: host_id.to_owned(), ..NewMeeting::default() })
            .await
            .expect("meeting")
    }

    pub async fn mappings(&self, meeting_id: u64) -> Vec<Value> {
        let list = json(
            self.daemon
                .admin(Method::GET, &format!("/api/v2/zoom-meetings-to-credentials/?meeting_id={meeting_id}"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        list["results"].as_array().cloned().unwrap_or_default()
    }

    /// Waits (webhooks are asynchronous) until `meeting_id` has `count` mappings.
    pub async fn wait_for_mappings(&self, meeting_id: u64, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let found = self.mappings(meeting_id).await;
            if found.len() == count || Instant::now() > deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Posts `body` to an app's webhook as Zoom would, signed (by zoom-sim's signer) with
    /// `secret` at `timestamp` (seconds).
    pub async fn deliver(&self, app_id: &str, secret: &str, timestamp: i64, body: &str) -> reqwest::Response {
        let timestamp = timestamp.to_string();
        let signature = zoom_sim::signature::sign_webhook(secret, &timestamp, body.as_bytes());
        self.daemon
            .client
            .post(self.daemon.url(&format!("/api/v2/zoom-oauth-apps/{app_id}/webhook")))
            .header("content-type", "application/json; charset=utf-8")
            .header("x-zm-request-timestamp", timestamp)
            .header("x-zm-signature", signature)
            .body(body.to_owned())
            .send()
            .await
            .unwrap()
    }

    /// Waits until `check` holds (webhooks arrive asynchronously), failing after 10 s.
    pub async fn eventually<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !check().await {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Turns the app's event subscription off at zoom-sim: only backfills and lookups can find
    /// what happens from now on.
    pub async fn webhooks_off(&self, app: &RegisteredApp) {
        let off = sim::AppPatch {
            webhook: Some(sim::WebhookPatch { enabled: Some(false), ..Default::default() }),
            ..Default::default()
        };
        self.sim.update_app(&app.client_id, &off).await.unwrap();
    }

    /// Backfills the credential now and waits until that run has finished; returns the
    /// credential.
    pub async fn resync(&self, credential_id: &str) -> Value {
        let finished_runs = || {
            use diesel::prelude::*;
            use zoomsync::db::schema::sync_runs;
            let mut conn = self.db().get().unwrap();
            sync_runs::table
                .filter(sync_runs::credential_id.eq(credential_id))
                .filter(sync_runs::finished_at.is_not_null())
                .count()
                .get_result::<i64>(&mut *conn)
                .unwrap()
        };
        let before = finished_runs();
        let path = format!("/api/v2/zoom-oauth-credentials/{credential_id}/");
        let response = self.daemon.admin(Method::POST, &format!("{path}sync-meetings/")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        self.eventually("the backfill to finish", || async { finished_runs() > before }).await;
        json(self.daemon.admin(Method::GET, &path).send().await.unwrap()).await
    }

    /// A direct handle on zoomsync's database, for what no API shows.
    pub fn db(&self) -> zoomsync::db::Db {
        self.daemon.db.handle()
    }

    /// How many events zoomsync has recorded.
    pub async fn recorded_events(&self) -> i64 {
        let mut conn = self.db().get().unwrap();
        zoomsync::db::models::webhook_events::count(&mut conn).unwrap()
    }

    /// Makes every access token expired, for Zoom (its clock jumps an hour) and, with
    /// `in_database`, for zoomsync's stored copy as well.
    pub async fn expire_access_tokens(&self, in_database: bool) {
        self.sim.advance_clock(3600.0).await.unwrap();
        if in_database {
            use diesel::prelude::*;
            use zoomsync::db::schema::credentials;
            let mut conn = self.db().get().unwrap();
            let past = chrono::Utc::now().naive_utc() - chrono::Duration::hours(1);
            diesel::update(credentials::table)
                .set(credentials::access_token_expires_at.eq(past))
                .execute(&mut *conn)
                .unwrap();
        }
    }

    /// `GET /zoom/<path>?secret=...&<query>` as a bot would call it.
    pub async fn bot(&self, path: &str, query: &str) -> reqwest::Response {
        let separator = if query.is_empty() { "" } else { "&" };
        self.daemon
            .client
            .get(self.daemon.url(&format!("/zoom/{path}?secret={BOT_SECRET}{separator}{query}")))
            .send()
            .await
            .unwrap()
    }
}
