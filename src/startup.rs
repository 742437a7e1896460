//! Building and running the daemon: connect, migrate, bind, serve (z2p's `Application`).

use std::net::TcpListener;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;

use crate::api::{Listener, Surface};
use crate::config::Settings;
use crate::db::{Db, migrate};
use crate::services::AppState;
use crate::services::replicas::{self, Joined};
use crate::{api, server_limits, telemetry};

pub struct Application {
    port: u16,
    admin_port: Option<u16>,
    servers: Vec<Server>,
    state: AppState,
    schedule: Option<tokio_cron_scheduler::JobScheduler>,
    backfills: Option<tokio::task::JoinHandle<()>>,
    housekeeping: tokio::task::JoinHandle<()>,
    revokes: tokio::task::JoinHandle<()>,
    deliveries: tokio::task::JoinHandle<()>,
    daily_limits: tokio::task::JoinHandle<()>,
    replicas: Joined,
}

/// Stops every listener of an [`Application`].
#[derive(Clone)]
pub struct Handles(Vec<ServerHandle>);

impl Handles {
    /// Stops accepting; `graceful`: requests in flight finish first.
    pub async fn stop(&self, graceful: bool) {
        futures_util::future::join_all(self.0.iter().map(|handle| handle.stop(graceful))).await;
    }
}

impl Application {
    /// Connects, applies migrations, and binds `server.bind` (and `server.admin_bind`). The
    /// server starts on [`Application::run_until_stopped`].
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener =
            TcpListener::bind(settings.bind).with_context(|| format!("cannot listen on {}", settings.bind))?;
        Self::with_listener(settings, listener).await
    }

    /// The same on a listener the caller bound (tests bind port 0 and derive `public_url`);
    /// `server.admin_bind`, when set, is bound here.
    pub async fn with_listener(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let admin_listener = match settings.admin_bind {
            Some(addr) => Some(TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))?),
            None => None,
        };
        let db = Db::connect(&settings.database, &settings.pool).context("cannot open the database")?;
        apply_migrations(&db).await?;
        tracing::info!("database ready");
        let port = listener.local_addr()?.port();
        let state = AppState::new(db, settings)?;
        // The daemon hears other processes' writes (replicas', the CLI's): its cached
        // resolutions end at once.
        state.resolutions.hear(state.db.watch_changes());
        let workers = std::thread::available_parallelism().map_or(2, usize::from);
        // The open-file limit is shared by every worker of every listener.
        let per_worker = server_limits::connections_per_worker(workers + usize::from(admin_listener.is_some()));
        let mut servers = Vec::new();
        let admin_port = match admin_listener {
            None => {
                servers.push(serve(&state, listener, Listener::Combined, workers, per_worker)?);
                None
            }
            Some(admin) => {
                let admin_port = admin.local_addr()?.port();
                servers.push(serve(&state, listener, Listener::Public, workers, per_worker)?);
                // Operators' traffic is light: one worker keeps the bots' workers theirs.
                servers.push(serve(&state, admin, Listener::Admin, 1, per_worker)?);
                Some(admin_port)
            }
        };
        tracing::info!(port, admin_port, public_url = %state.settings.public_url, "listening");
        let backfills = crate::sync::start_worker(&state);
        let schedule = crate::sync::schedule::start(&state).await?;
        let housekeeping = tokio::spawn(crate::housekeeping::run(state.db.clone()));
        let revokes = tokio::spawn(crate::services::credentials::run_pending_deletes(state.clone()));
        let daily_limits = tokio::spawn(crate::services::zoom_call::run_daily_limit_watch(state.clone()));
        let deliveries = tokio::spawn(
            crate::events::deliver::Deliverer::new(
                // Claims and attempts change no resolution.
                state.db.unrelated_to_resolution(),
                state.settings.secrets.cipher.clone(),
                state.settings.outbound.clone(),
                outbound_metrics(&state),
            )?
            .run(),
        );
        // Join the other replicas before the first bot arrives.
        let replicas = replicas::join(&state).await;
        Ok(Self {
            port,
            admin_port,
            servers,
            state,
            schedule,
            backfills,
            housekeeping,
            revokes,
            deliveries,
            daily_limits,
            replicas,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The admin listener's port, when `server.admin_bind` is set.
    pub fn admin_port(&self) -> Option<u16> {
        self.admin_port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn handle(&self) -> Handles {
        Handles(self.servers.iter().map(Server::handle).collect())
    }

    /// Serves until the server is stopped (see [`Application::handle`]), then stops the schedule.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        // Every listener stops together (see `Handles`); the first error is the result.
        let results = futures_util::future::join_all(self.servers).await;
        let result = results.into_iter().collect::<std::io::Result<Vec<()>>>().map(drop);
        self.housekeeping.abort();
        self.revokes.abort();
        // A delivery cut off here is attempted again, with the same webhook-id, once its lease
        // runs out.
        self.deliveries.abort();
        self.daily_limits.abort();
        if let Some(backfills) = &self.backfills {
            backfills.abort();
        }
        // Refreshes in flight have rotated refresh tokens only their answers hold: let them
        // commit before the process ends (bounded, see `access::DRAIN_LIMIT`).
        self.state.tokens.drain(crate::services::access::DRAIN_LIMIT).await;
        self.replicas.leave().await;
        if let Some(mut schedule) = self.schedule
            && let Err(e) = schedule.shutdown().await
        {
            tracing::warn!(error = %e, "stopping the schedule failed");
        }
        self.state.log.flush().await;
        result
    }
}

/// One HTTP server on `listener`, serving what `which` serves.
fn serve(
    state: &AppState,
    listener: TcpListener,
    which: Listener,
    workers: usize,
    connections_per_worker: usize,
) -> std::io::Result<Server> {
    let data = web::Data::new(state.clone());
    let body_timeout = state.settings.body_timeout;
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(crate::console::security_headers))
            .wrap(from_fn(move |req, next| server_limits::body_deadline(body_timeout, req, next)))
            .wrap(from_fn(telemetry::log_requests))
            .app_data(data.clone())
            // The API first: its bot routes lead the route table (see `api::ROUTES`).
            .configure(|cfg| api::configure(cfg, which))
            .configure(|cfg| {
                if which.serves(Surface::Admin) {
                    crate::console::configure(cfg);
                }
            })
    })
    // Signals are handled by `serve`, which also stops the background work.
    .disable_signals()
    .shutdown_timeout(10)
    .workers(workers)
    .client_request_timeout(server_limits::HEADER_TIMEOUT)
    .max_connections(connections_per_worker)
    .listen(listener)?
    .run();
    Ok(server)
}

/// Applies pending migrations, logging what it did (PostgreSQL: under the advisory lock). An
/// up-to-date schema is news for the daemon's start-up log, not for each CLI command's output.
pub async fn apply_migrations(db: &Db) -> anyhow::Result<Vec<String>> {
    let applied =
        db.read_with(|conn| migrate::run_pending(conn).map_err(|e| anyhow::anyhow!("migration failed: {e}"))).await?;
    if applied.is_empty() {
        tracing::debug!("database schema is up to date");
    } else {
        tracing::info!(count = applied.len(), versions = %applied.join(","), "applied migrations");
    }
    Ok(applied)
}

/// Counts outbound event attempts in the process's metrics.
fn outbound_metrics(state: &AppState) -> crate::events::deliver::Observer {
    use crate::events::deliver::Attempted;
    use crate::metrics::DeliveryOutcome;
    let metrics = std::sync::Arc::clone(&state.metrics);
    std::sync::Arc::new(move |attempted| {
        metrics.outbound_attempt(match attempted {
            Attempted::Delivered => DeliveryOutcome::Delivered,
            Attempted::Retry => DeliveryOutcome::Retry,
            Attempted::GivenUp => DeliveryOutcome::GivenUp,
        });
    })
}
