//! A real zoomsync server on a real loopback port, in this process but on its own thread and
//! runtime (so nothing a test does can stall it), over a fresh database.

use std::net::TcpListener;
use std::thread::JoinHandle;

use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use zoomsync::config::{Config, Settings};
use zoomsync::startup::Application;

use super::db::{Backend, TestDb};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";
pub const BOT_SECRET: &str = "test-bot-secret-0123456789abcdef";
/// 32 bytes of 0x2a, base64.
pub const ENCRYPTION_KEY: &str = "KioqKioqKioqKioqKioqKioqKioqKioqKioqKioqKio=";

/// The configuration every in-process test starts from: a fresh database, explicit secrets.
pub fn test_config(db: &TestDb) -> Config {
    let mut config = Config::default();
    config.database.url = db.url.clone();
    config.database.pool_size = 4;
    config.security.admin_token = Some(ADMIN_TOKEN.into());
    config.security.bot_secret = Some(BOT_SECRET.into());
    config.security.encryption_key = Some(ENCRYPTION_KEY.into());
    config.sync.schedule = String::new();
    // Event receivers in tests listen on loopback, and retries come fast.
    config.webhooks_out.allow_private_addresses = true;
    config.webhooks_out.retry_schedule = "100ms 200ms 300ms 400ms".into();
    config
}

pub struct TestApp {
    pub address: String,
    /// The admin listener's address, when the test set `server.admin_bind` (port 0 is fine).
    pub admin_address: Option<String>,
    pub client: reqwest::Client,
    pub db: TestDb,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts a server whose configuration `customize` may change first.
    pub async fn spawn_with(backend: Backend, customize: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_on(TestDb::new(backend), customize).await
    }

    /// Starts a server on an existing database.
    pub async fn spawn_on(db: TestDb, customize: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_on_port(db, 0, customize).await
    }

    /// The same on a given port (a restart keeps its address, so Zoom's webhook URL stays right).
    pub async fn spawn_on_port(db: TestDb, port: u16, customize: impl FnOnce(&mut Config)) -> Self {
        super::logs::init();
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let address = format!("http://127.0.0.1:{port}");
        let mut config = test_config(&db);
        config.server.public_url = address.clone();
        customize(&mut config);
        let settings = Settings::from_config(config).expect("valid test config");

        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
            runtime.block_on(async move {
                let app = match Application::with_listener(settings, listener).await {
                    Ok(app) => app,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("{e:#}")));
                        return;
                    }
                };
                let handle = app.handle();
                let _ = ready_tx.send(Ok(app.admin_port()));
                let server = tokio::spawn(app.run_until_stopped());
                let _ = stop_rx.await;
                handle.stop(false).await;
                let _ = server.await;
            });
        });
        let admin_port = ready_rx.await.expect("server thread").expect("server starts");
        let admin_address = admin_port.map(|port| format!("http://127.0.0.1:{port}"));
        Self { address, admin_address, client: reqwest::Client::new(), db, stop: Some(stop_tx), thread: Some(thread) }
    }

    pub fn port(&self) -> u16 {
        self.address.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A request with the admin token, to the admin listener when there is one.
    pub fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        let base = self.admin_address.as_deref().unwrap_or(&self.address);
        self.client.request(method, format!("{base}{path}")).bearer_auth(ADMIN_TOKEN)
    }

    /// Stops the server and hands back its database, for a test that restarts on it.
    pub fn into_db(mut self) -> TestDb {
        self.shutdown();
        std::mem::replace(&mut self.db, TestDb::placeholder())
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// GETs an admin path until its JSON satisfies `done` (things written in the background),
    /// failing after 10 s.
    pub async fn eventually_json(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let value = json(self.admin(Method::GET, path).send().await.expect("request")).await;
            if done(&value) {
                return value;
            }
            assert!(std::time::Instant::now() < deadline, "timed out waiting on {path}: {value}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    pub async fn create_app(&self, body: Value) -> Response {
        self.admin(Method::POST, "/api/v2/zoom-oauth-apps/").json(&body).send().await.expect("request")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Reads a response's JSON body, failing the test with the body text if it is not JSON.
pub async fn json(response: Response) -> Value {
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
}
