//! `zoomsync sync [--credential ID]`: backfill now, in the foreground, with a progress bar when
//! stdout is a terminal.

use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::watch;

use super::output;
use crate::db::models::credentials;
use crate::error::AppError;
use crate::services::AppState;
use crate::sync::{self, Progress, SyncError};

pub async fn run(state: &AppState, credential: Option<String>) -> ExitCode {
    let ids = match credential {
        Some(id) => vec![id],
        None => match state.db.read(credentials::healthy_with_kind).await {
            Ok(rows) => rows.into_iter().map(|(c, _)| c.id).collect(),
            Err(e) => return output::failure(&e.into()),
        },
    };
    let replicas = crate::services::replicas::join(state).await;
    let mut failed = false;
    let mut missing = false;
    for id in ids {
        let bar = progress_bar(&id);
        let (tx, mut rx) = watch::channel(Progress::default());
        let shown = bar.clone();
        let painter = tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let p = *rx.borrow();
                shown.set_length(p.users_total.max(1));
                shown.set_position(p.users_done);
                shown.set_message(format!("{} meeting(s)", p.meetings_seen));
            }
        });
        let result = sync::run_now(state, &id, Some(&tx)).await;
        drop(tx);
        let _ = painter.await;
        bar.finish_and_clear();
        match result {
            Ok(f) => println!(
                "{id}: {} user(s), {} meeting(s) seen, {} added, {} removed, {} page(s)",
                f.users_seen, f.meetings_seen, f.added, f.removed, f.pages
            ),
            Err(SyncError::App(e @ AppError::NotFound(_))) => {
                missing = true;
                eprintln!("{id}: {e}");
            }
            Err(SyncError::App(e)) => {
                failed = true;
                eprintln!("{id}: {e}");
            }
            Err(e) => {
                failed = true;
                eprintln!("{id}: backfill failed: {e}");
            }
        }
    }
    replicas.leave().await;
    state.log.flush().await;
    match (failed, missing) {
        (true, _) => ExitCode::FAILURE,
        (false, true) => ExitCode::from(3),
        (false, false) => ExitCode::SUCCESS,
    }
}

fn progress_bar(id: &str) -> ProgressBar {
    if !std::io::stdout().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(1);
    let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} users, {msg} ({elapsed})")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(id.chars().take(8).collect::<String>());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
