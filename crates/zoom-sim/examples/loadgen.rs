//! Load generator: how many local-recording join tokens per second the simulator mints.
//!
//! ```sh
//! cargo run --release -p zoom-sim --example loadgen                  # in-process simulator
//! cargo run --release -p zoom-sim --example loadgen -- --url http://127.0.0.1:8123
//! ```
//!
//! It sets up an account, a host, a user-level app and a meeting through the control API,
//! exchanges a code for an access token, then keeps `--concurrency` keep-alive requests to
//! `GET /v2/meetings/{id}/jointoken/local_recording` in flight for `--seconds`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use zoom_sim::control::types::{AppKind, NewAccount, NewApp, NewCode, NewMeeting, NewUser, Role};
use zoom_sim::{SimOptions, SimServer};

#[derive(Parser)]
struct Args {
    /// An already running simulator; default: start one in this process.
    #[arg(long)]
    url: Option<String>,
    /// Requests kept in flight.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// How long to measure.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Server worker threads for the in-process simulator (0: one per core).
    #[arg(long, default_value_t = 0)]
    workers: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _server;
    let base = match &args.url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let server = SimServer::start(SimOptions { workers: args.workers, ..SimOptions::default() })?;
            let base = server.base_url().to_owned();
            _server = server;
            base
        }
    };
    let control = zoom_sim::control::Client::new(&base);
    control.set_rate_limits(false).await?;
    let account = control.create_account(&NewAccount::default()).await?;
    let host = control
        .create_user(&NewUser { account_id: account.id.clone(), role: Some(Role::Owner), ..Default::default() })
        .await?;
    let app = control.create_app(&NewApp::new(AppKind::UserLevel)).await?;
    let meeting = control.create_meeting(&NewMeeting { host_id: host.id.clone(), ..Default::default() }).await?;
    let redirect_uri = "http://127.0.0.1/callback";
    let code = control
        .create_code(&NewCode {
            client_id: app.client_id.clone(),
            user_id: host.id.clone(),
            redirect_uri: redirect_uri.to_owned(),
            ..Default::default()
        })
        .await?;
    let http = reqwest::Client::builder().pool_max_idle_per_host(args.concurrency).build()?;
    let tokens: serde_json::Value = http
        .post(format!("{base}/oauth/token"))
        .basic_auth(&app.client_id, Some(&app.client_secret))
        .form(&[("grant_type", "authorization_code"), ("code", &code), ("redirect_uri", redirect_uri)])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let access = tokens["access_token"].as_str().unwrap_or_default().to_owned();
    let url = Arc::new(format!("{base}/v2/meetings/{}/jointoken/local_recording?bypass_waiting_room=true", meeting.id));

    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (http, url, access, ok, failed) = (http.clone(), url.clone(), access.clone(), ok.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let success = match http.get(url.as_str()).bearer_auth(&access).send().await {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                let counter = if success { &ok } else { &failed };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let minted = ok.load(Ordering::Relaxed);
    let counters = control.counters().await?;
    println!(
        "{minted} join tokens in {elapsed:.1} s = {:.0}/s ({} failed; concurrency {}; simulator counted {})",
        minted as f64 / elapsed,
        failed.load(Ordering::Relaxed),
        args.concurrency,
        counters.mints.join_local_recording,
    );
    Ok(())
}
