//! `zoomsync serve`: run until SIGTERM or SIGINT, then stop gracefully (in-flight requests
//! finish, background work stops at a safe point).

use std::process::ExitCode;

use crate::config::Settings;
use crate::startup::Application;

pub async fn run(settings: Settings) -> ExitCode {
    let app = match Application::build(settings).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::FAILURE;
        }
    };
    let handle = app.handle();
    let server = tokio::spawn(app.run_until_stopped());
    let signal = shutdown_signal().await;
    tracing::info!(signal, "shutting down");
    handle.stop(true).await;
    match server.await {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn shutdown_signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
        // Without signal handlers, wait for Ctrl-C the portable way.
        let _ = tokio::signal::ctrl_c().await;
        return "ctrl-c";
    };
    tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    }
}
