//! One scenario's world: zoom-sim and the daemon as processes over a fresh database, and what
//! an admin, a Zoom user and a bot would do to them (register apps on both sides, connect users
//! through the code exchange, wait for backfills, mint).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow, bail};
use serde_json::{Value, json};
use zoom_sim::control::types::{AppKind, Bulk, BulkResult, NewAccount, NewApp, NewCode, NewUser, Role, WebhookConfig};

use crate::database::Database;
use crate::options::{Backend, Options};
use crate::processes::{ADMIN_TOKEN, BOT_SECRET, DaemonConfig, DaemonProcess, SimProcess, WorkDir, cpu_time};

/// How a world is started.
#[derive(Clone, Copy, Debug)]
pub struct WorldConfig {
    /// zoom-sim enforces Zoom's per-account limits (`--rate-limits`).
    pub rate_limits: bool,
    /// The daemon's `zoom.plan_limits`.
    pub plan: &'static str,
}

impl WorldConfig {
    /// No limits anywhere: what the daemon itself costs.
    pub const UNLIMITED: Self = Self { rate_limits: false, plan: "none" };
    /// A Zoom Pro account, enforced by zoom-sim and budgeted by the daemon.
    pub const PRO: Self = Self { rate_limits: true, plan: "pro" };
}

/// Fields drop in order: the daemon first, the simulator, then the database, then the files.
pub struct World {
    pub daemon: DaemonProcess,
    pub sim: SimProcess,
    pub db: Database,
    dir: WorkDir,
    daemon_config: DaemonConfig,
    bin_dir: std::path::PathBuf,
    /// The simulator's control API.
    pub control: zoom_sim::control::Client,
    /// For load: many keep-alive connections, long timeouts (queued bots wait up to 30 s).
    pub http: reqwest::Client,
}

/// CPU time of each process, or its growth over a stretch of time.
#[derive(Clone, Copy, Debug, Default)]
pub struct Cpu {
    pub bench: Duration,
    pub sim: Duration,
    pub daemon: Duration,
}

impl Cpu {
    /// What was used between `earlier` and `self`.
    pub fn since(self, earlier: Cpu) -> Cpu {
        Cpu {
            bench: self.bench.saturating_sub(earlier.bench),
            sim: self.sim.saturating_sub(earlier.sim),
            daemon: self.daemon.saturating_sub(earlier.daemon),
        }
    }

    pub fn add(&mut self, other: Cpu) {
        self.bench += other.bench;
        self.sim += other.sim;
        self.daemon += other.daemon;
    }
}

/// An app registered in zoomsync and at zoom-sim.
#[derive(Clone, Debug)]
pub struct RegisteredApp {
    /// zoomsync's id.
    pub id: String,
    pub client_id: String,
    pub webhook_secret: String,
}

/// A bot's join-token request to the daemon at `base_url`.
pub fn join_token_url(base_url: &str, meeting_id: u64) -> String {
    format!("{base_url}/zoom/join-token?secret={BOT_SECRET}&meeting_id={meeting_id}")
}

pub fn http_client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(2048)
        .timeout(Duration::from_secs(60))
        .tcp_nodelay(true)
        .build()?)
}

impl World {
    pub async fn start(
        options: &Options,
        bin_dir: &Path,
        backend: Backend,
        name: &str,
        config: WorldConfig,
    ) -> Result<Self> {
        let dir = WorkDir::new(&format!("{}-{name}", backend.name().to_lowercase()), options.keep)?;
        let db = Database::create(backend, &dir.path, &options.postgres_url)?;
        let sim = SimProcess::start(bin_dir, &dir.path, config.rate_limits)?;
        let daemon_config =
            DaemonConfig { plan: config.plan, log: options.daemon_log.clone(), env: options.daemon_env.clone() };
        let daemon = DaemonProcess::start(bin_dir, &dir.path, &db.url(), &sim, &daemon_config, 0).await?;
        let control = zoom_sim::control::Client::new(&sim.base_url);
        if options.verbose {
            eprintln!(
                "\n  zoom-sim pid {} at {}; zoomsync pid {} at {}; work dir {}",
                sim.pid(),
                sim.base_url,
                daemon.pid(),
                daemon.base_url,
                dir.path.display()
            );
        }
        Ok(Self { daemon, sim, db, dir, daemon_config, bin_dir: bin_dir.to_owned(), control, http: http_client()? })
    }

    /// Stops the daemon gracefully and runs `between` while it is down (e.g. a database
    /// statement), then starts it again on the same port and database: its memory is empty.
    pub async fn restart_daemon(&mut self, between: impl FnOnce(&World) -> Result<()>) -> Result<()> {
        self.daemon.stop();
        between(self)?;
        let port = self.daemon.port;
        self.daemon =
            DaemonProcess::start(&self.bin_dir, &self.dir.path, &self.db.url(), &self.sim, &self.daemon_config, port)
                .await?;
        Ok(())
    }

    /// Another daemon on the same database and zoom-sim: a replica.
    pub async fn start_replica(&self) -> Result<DaemonProcess> {
        DaemonProcess::start(&self.bin_dir, &self.dir.path, &self.db.url(), &self.sim, &self.daemon_config, 0).await
    }

    pub fn daemon_url(&self, path: &str) -> String {
        format!("{}{path}", self.daemon.base_url)
    }

    pub fn join_token_url(&self, meeting_id: u64) -> String {
        join_token_url(&self.daemon.base_url, meeting_id)
    }

    pub fn callback_url(&self) -> String {
        self.daemon_url("/zoom/oauth/callback")
    }

    /// An admin API call; the JSON answer, or an error naming the status and body.
    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
        let mut request = self.http.request(method, self.daemon_url(path)).bearer_auth(ADMIN_TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| format!("admin {path}"))?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("admin {path}: {status}: {text}");
        }
        serde_json::from_str(&text).with_context(|| format!("admin {path}: not JSON: {text}"))
    }

    pub async fn account(&self) -> Result<String> {
        Ok(self.control.create_account(&NewAccount::default()).await?.id)
    }

    pub async fn user(&self, account_id: &str, role: Role) -> Result<String> {
        let user = self
            .control
            .create_user(&NewUser { account_id: account_id.to_owned(), role: Some(role), ..NewUser::default() })
            .await?;
        Ok(user.id)
    }

    /// `users` members of the account with `meetings_per_user` meetings each, no webhooks (as if
    /// they existed before zoomsync was installed). Sent in chunks of at most 20,000 meetings.
    pub async fn bulk(&self, account_id: &str, users: usize, meetings_per_user: usize) -> Result<BulkResult> {
        let mut all = BulkResult { users: Vec::new(), meetings: Vec::new() };
        let per_call = (20_000 / meetings_per_user.max(1)).max(1);
        let mut left = users;
        while left > 0 {
            let n = left.min(per_call);
            let part = self
                .control
                .bulk(&Bulk {
                    account_id: account_id.to_owned(),
                    users: u32::try_from(n)?,
                    meetings_per_user: u32::try_from(meetings_per_user)?,
                    role: Some(Role::Member),
                    local_recording: Some(true),
                    notify: Some(false),
                })
                .await?;
            all.users.extend(part.users);
            all.meetings.extend(part.meetings);
            left -= n;
        }
        Ok(all)
    }

    /// Registers an app in zoomsync and at zoom-sim, its webhook subscribed to zoomsync (which
    /// zoom-sim validates).
    pub async fn app(&self, kind: AppKind) -> Result<RegisteredApp> {
        let suffix = rand::random::<u32>();
        let client_id = format!("bench-client-{suffix}");
        let client_secret = format!("bench-client-secret-{suffix}-abcdef");
        let webhook_secret = format!("bench-webhook-secret-{suffix}-abcdef");
        let kind_name = match kind {
            AppKind::UserLevel => "user_level",
            AppKind::AccountLevel => "account_level",
            AppKind::ServerToServer => bail!("the bench uses user-level and account-level apps only"),
        };
        let created = self
            .admin(
                reqwest::Method::POST,
                "/api/v2/zoom-oauth-apps/",
                Some(json!({"kind": kind_name, "client_id": client_id, "client_secret": client_secret, "webhook_secret": webhook_secret})),
            )
            .await?;
        let id = created["id"].as_str().ok_or_else(|| anyhow!("app without id: {created}"))?.to_owned();
        let webhook_url =
            created["webhook_url"].as_str().ok_or_else(|| anyhow!("app without webhook_url: {created}"))?.to_owned();
        self.control
            .create_app(&NewApp {
                client_id: Some(client_id.clone()),
                client_secret: Some(client_secret),
                redirect_uris: Some(vec![self.callback_url()]),
                webhook: Some(WebhookConfig {
                    url: webhook_url,
                    secret_token: webhook_secret.clone(),
                    enabled: Some(true),
                }),
                ..NewApp::new(kind)
            })
            .await
            .context("registering the app at zoom-sim")?;
        Ok(RegisteredApp { id, client_id, webhook_secret })
    }

    /// Connects one user (or, for an account-level app, their account) the way an app with its
    /// own OAuth front end does: a code from Zoom's consent, exchanged by zoomsync. Returns the
    /// credential id; its first backfill starts in the background.
    pub async fn connect(&self, app: &RegisteredApp, user_id: &str) -> Result<String> {
        let redirect_uri = self.callback_url();
        let code = self
            .control
            .create_code(&NewCode {
                client_id: app.client_id.clone(),
                user_id: user_id.to_owned(),
                redirect_uri: redirect_uri.clone(),
                ..NewCode::default()
            })
            .await?;
        let credential = self
            .admin(
                reqwest::Method::POST,
                "/api/v2/zoom-oauth-credentials/",
                Some(json!({"oauth_app": app.id, "authorization_code": {"code": code, "redirect_uri": redirect_uri}})),
            )
            .await?;
        Ok(credential["id"].as_str().ok_or_else(|| anyhow!("credential without id: {credential}"))?.to_owned())
    }

    /// Connects every user, eight at a time; credential ids in the users' order.
    pub async fn connect_all(&self, app: &RegisteredApp, users: &[String]) -> Result<Vec<String>> {
        let mut ids = Vec::with_capacity(users.len());
        for chunk in users.chunks(8) {
            let connected = futures_util::future::join_all(chunk.iter().map(|user| self.connect(app, user))).await;
            for id in connected {
                ids.push(id?);
            }
        }
        Ok(ids)
    }

    /// Every credential of the app, through the paginated admin list.
    pub async fn credentials(&self, app: &RegisteredApp) -> Result<Vec<Value>> {
        let mut all = Vec::new();
        let mut path = format!("/api/v2/zoom-oauth-credentials/?oauth_app={}&page_size=500", app.id);
        loop {
            let page = self.admin(reqwest::Method::GET, &path, None).await?;
            all.extend(page["results"].as_array().cloned().unwrap_or_default());
            match page["next"].as_str() {
                Some(next) if !next.is_empty() => {
                    path = match next.find("/api/") {
                        Some(at) => next[at..].to_owned(),
                        None => bail!("unexpected next link {next}"),
                    };
                }
                _ => return Ok(all),
            }
        }
    }

    /// Waits until every credential of the app has finished its backfill; fails if one failed.
    pub async fn wait_for_backfills(&self, app: &RegisteredApp, expected: usize, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let credentials = self.credentials(app).await?;
            let failed: Vec<&Value> =
                credentials.iter().filter(|c| c["meeting_sync_status"].as_str() == Some("failed")).collect();
            if let Some(first) = failed.first() {
                bail!("{} backfill(s) failed, e.g. {first}", failed.len());
            }
            let done = credentials.iter().filter(|c| c["meeting_sync_status"].as_str() == Some("completed")).count();
            if credentials.len() >= expected && done == credentials.len() {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("backfills not finished after {timeout:?}: {done} of {expected}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until one credential's backfill has finished; returns when it saw it.
    pub async fn wait_for_backfill(&self, credential_id: &str, timeout: Duration) -> Result<Instant> {
        let deadline = Instant::now() + timeout;
        let path = format!("/api/v2/zoom-oauth-credentials/{credential_id}/");
        loop {
            let credential = self.admin(reqwest::Method::GET, &path, None).await?;
            match credential["meeting_sync_status"].as_str() {
                Some("completed") => return Ok(Instant::now()),
                Some("failed") => bail!("the backfill failed: {credential}"),
                _ => {}
            }
            if Instant::now() > deadline {
                bail!("the backfill did not finish within {timeout:?}: {credential}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// An access token for minting straight at zoom-sim, bypassing zoomsync: an account-level
    /// app of zoom-sim only (zoomsync never hears of it), authorized by an owner of the account.
    pub async fn direct_access_token(&self, owner_id: &str) -> Result<String> {
        let app = self.control.create_app(&NewApp::new(AppKind::AccountLevel)).await?;
        let redirect_uri = "http://127.0.0.1/bench-direct".to_owned();
        let code = self
            .control
            .create_code(&NewCode {
                client_id: app.client_id.clone(),
                user_id: owner_id.to_owned(),
                redirect_uri: redirect_uri.clone(),
                ..NewCode::default()
            })
            .await?;
        let tokens: Value = self
            .http
            .post(format!("{}/oauth/token", self.sim.base_url))
            .basic_auth(&app.client_id, Some(&app.client_secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect_uri.as_str()),
            ])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(tokens["access_token"].as_str().ok_or_else(|| anyhow!("no access token: {tokens}"))?.to_owned())
    }

    /// The forwarder baseline, sending to this world's zoom-sim with `access_token`.
    pub fn start_forwarder(&self, access_token: &str) -> Result<crate::processes::Listening> {
        crate::processes::start_forwarder(&self.bin_dir, &self.dir.path, &self.sim.api_base_url(), access_token)
    }

    /// CPU time of the bench, zoom-sim and `pid` (the forwarder), in the `daemon` field.
    pub fn cpu_with(&self, pid: u32) -> Result<Cpu> {
        Ok(Cpu { bench: cpu_time(std::process::id())?, sim: cpu_time(self.sim.pid())?, daemon: cpu_time(pid)? })
    }

    pub fn direct_join_token_url(&self, meeting_id: u64) -> String {
        format!("{}/v2/meetings/{meeting_id}/jointoken/local_recording?bypass_waiting_room=true", self.sim.base_url)
    }

    /// Checks that a token the daemon handed out is one zoom-sim minted for that meeting.
    pub async fn check_minted(&self, token: &str, meeting_id: u64) -> Result<()> {
        let minted = self.control.token(token).await.context("the daemon's token is unknown to zoom-sim")?;
        if minted.meeting_id != Some(meeting_id) {
            bail!("token minted for meeting {:?}, asked for {meeting_id}", minted.meeting_id);
        }
        Ok(())
    }

    /// CPU time used so far by the bench itself, zoom-sim and the daemon.
    pub fn cpu(&self) -> Result<Cpu> {
        Ok(Cpu {
            bench: cpu_time(std::process::id())?,
            sim: cpu_time(self.sim.pid())?,
            daemon: cpu_time(self.daemon.pid())?,
        })
    }

    /// Zoom calls (OAuth and REST) zoom-sim has answered so far.
    pub async fn zoom_calls(&self) -> Result<u64> {
        let counters = self.control.counters().await?;
        Ok(counters.requests.values().flat_map(|statuses| statuses.values()).sum())
    }
}
