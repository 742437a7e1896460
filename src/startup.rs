//! Building and running the daemon: connect, migrate, bind, serve (z2p's `Application`).

use std::net::TcpListener;

use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use anyhow::Context as _;

use crate::config::Settings;
use crate::db::{Db, migrate};
use crate::services::AppState;
use crate::services::replicas::{self, Joined};
use crate::{api, server_limits, telemetry};

pub struct Application {
    port: u16,
    server: Server,
    state: AppState,
    schedule: Option<tokio_cron_scheduler::JobScheduler>,
    backfills: Option<tokio::task::JoinHandle<()>>,
    housekeeping: tokio::task::JoinHandle<()>,
    revokes: tokio::task::JoinHandle<()>,
    replicas: Joined,
}

impl Application {
    /// Connects, applies migrations, and binds `server.bind`. The server starts on
    /// [`Application::run_until_stopped`].
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let listener =
            TcpListener::bind(settings.bind).with_context(|| format!("cannot listen on {}", settings.bind))?;
        Self::with_listener(settings, listener).await
    }

    /// The same on a listener the caller bound (tests bind port 0 and derive `public_url`).
    pub async fn with_listener(settings: Settings, listener: TcpListener) -> anyhow::Result<Self> {
        let db = Db::connect(&settings.database, &settings.pool).context("cannot open the database")?;
        apply_migrations(&db).await?;
        tracing::info!("database ready");
        let port = listener.local_addr()?.port();
        let state = AppState::new(db, settings)?;
        let data = web::Data::new(state.clone());
        let body_timeout = state.settings.body_timeout;
        let workers = std::thread::available_parallelism().map_or(2, usize::from);
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(crate::console::security_headers))
                .wrap(from_fn(move |req, next| server_limits::body_deadline(body_timeout, req, next)))
                .wrap(from_fn(telemetry::log_requests))
                .app_data(data.clone())
                .configure(crate::console::configure)
                .configure(api::configure)
        })
        // Signals are handled by `serve`, which also stops the background work.
        .disable_signals()
        .shutdown_timeout(10)
        .workers(workers)
        .client_request_timeout(server_limits::HEADER_TIMEOUT)
        .max_connections(server_limits::connections_per_worker(workers))
        .listen(listener)?
        .run();
        tracing::info!(port, public_url = %state.settings.public_url, "listening");
        let backfills = crate::sync::start_worker(&state);
        let schedule = crate::sync::schedule::start(&state).await?;
        let housekeeping = tokio::spawn(crate::housekeeping::run(state.db.clone()));
        let revokes = tokio::spawn(crate::services::credentials::run_pending_deletes(state.clone()));
        // Join the other replicas before the first bot arrives.
        let replicas = replicas::join(&state).await;
        Ok(Self { port, server, state, schedule, backfills, housekeeping, revokes, replicas })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until the server is stopped (see [`Application::handle`]), then stops the schedule.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.housekeeping.abort();
        self.revokes.abort();
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
