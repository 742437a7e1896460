//! Starting and stopping a simulator: its own OS thread, its own actix `System`, plus a small
//! tokio runtime for outbound webhook traffic. Works from any caller (sync code,
//! `#[tokio::test]`, `#[actix_web::test]`) and returns once the port is bound.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpResponse, HttpServer, web};
use parking_lot::Mutex;

use crate::clock::Clock;
use crate::control;
use crate::counters::Counters;
use crate::faults::{self, Faults};
use crate::middleware::SimMiddleware;
use crate::options::SimOptions;
use crate::ratelimit::RateLimiter;
use crate::settings::Settings;
use crate::sim::Sim;
use crate::state::World;
use crate::webhooks::Webhooks;
use crate::{oauth, rest};

/// A running simulator. Dropping it stops the server.
pub struct SimServer {
    addr: SocketAddr,
    base_url: String,
    handle: Option<ServerHandle>,
    thread: Option<JoinHandle<()>>,
}

impl SimServer {
    /// Binds `host:port` and starts serving on a new thread.
    pub fn start(options: SimOptions) -> io::Result<Self> {
        options.validate()?;
        let listener = TcpListener::bind((options.host.as_str(), options.port))?;
        let addr = listener.local_addr()?;
        let (ready_tx, ready_rx) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("zoom-sim".to_owned())
            .spawn(move || serve(listener, options, ready_tx))?;
        let handle = match ready_rx.recv() {
            Ok(Ok(handle)) => handle,
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => {
                let _ = thread.join();
                return Err(io::Error::other("zoom-sim server thread exited during start-up"));
            }
        };
        // A wildcard bind is reachable on loopback.
        let ip = match addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        let base_url = format!("http://{}", SocketAddr::new(ip, addr.port()));
        Ok(Self { addr, base_url, handle: Some(handle), thread: Some(thread) })
    }

    /// `http://127.0.0.1:PORT`: the daemon's `zoom.oauth_base_url`; add `/v2` for
    /// `zoom.api_base_url`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `base_url() + "/v2"`.
    pub fn api_base_url(&self) -> String {
        format!("{}/v2", self.base_url)
    }

    /// The address the server is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A client for the control API of this server.
    pub fn control(&self) -> control::Client {
        control::Client::new(self.base_url.clone())
    }

    /// Stops the server and waits for its thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    /// Blocks until the server stops by itself (on a signal, with `handle_signals`).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    fn shutdown(&mut self) {
        if let Some(handle) = self.handle.take() {
            // The stop command is sent on call; the returned future only waits for it.
            drop(handle.stop(false));
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The server thread: builds the shared state, runs actix until stopped, then tears down the
/// webhook runtime (outside any async context, where that is allowed).
fn serve(listener: TcpListener, options: SimOptions, ready: mpsc::Sender<io::Result<ServerHandle>>) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("zoom-sim-webhooks")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let counters = Arc::new(Counters::default());
    let settings = Arc::new(Settings::new(&options.settings()));
    let webhooks = Webhooks::new(
        runtime.handle().clone(),
        counters.clone(),
        options.webhook_timeout,
        options.retry_scale,
        settings.clone(),
    );
    let webhooks = match webhooks {
        Ok(w) => w,
        Err(e) => {
            let _ = ready.send(Err(io::Error::other(e)));
            return;
        }
    };
    let sim = web::Data::new(Sim {
        clock: Clock::default(),
        world: Mutex::new(World::new(options.refresh_token_ttl)),
        counters,
        faults: Faults::default(),
        rate: RateLimiter::new(options.rate_limits, options.daily_limits),
        webhooks,
        settings,
    });

    let system = actix_web::rt::System::new();
    let result = system.block_on(async move {
        let built = HttpServer::new(move || {
            App::new()
                .app_data(sim.clone())
                .app_data(web::PayloadConfig::new(1 << 20))
                .wrap(SimMiddleware)
                .configure(oauth::configure)
                .configure(rest::configure)
                .configure(control::routes::configure)
                .default_service(web::to(HttpResponse::NotFound))
        })
        .workers(options.worker_count())
        // Longer than actix's 5 s default, so that a client's pooled connection is rarely
        // closed under it between two calls (a race real Zoom seldom shows either).
        .keep_alive(std::time::Duration::from_secs(75))
        .on_connect(faults::remember_socket)
        .shutdown_timeout(1)
        .listen(listener);
        let server = match built {
            Ok(server) if options.handle_signals => server.run(),
            Ok(server) => server.disable_signals().run(),
            Err(e) => {
                let _ = ready.send(Err(e));
                return Ok(());
            }
        };
        let _ = ready.send(Ok(server.handle()));
        server.await
    });
    if let Err(e) = result {
        tracing::error!("zoom-sim server stopped with an error: {e}");
    }
    runtime.shutdown_background();
}
