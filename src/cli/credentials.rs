//! `zoomsync credential list|remove|import`.

use std::process::ExitCode;

use clap::Subcommand;

use super::{import, output};
use crate::db::models::credentials::ListFilter;
use crate::pagination::{MAX_PAGE_SIZE, all_pages};
use crate::services::AppState;
use crate::services::credentials::{self, CredentialView};

#[derive(Subcommand)]
pub enum CredentialCommand {
    /// List connected Zoom users and accounts.
    List {
        /// Only this app's credentials.
        #[arg(long)]
        app: Option<String>,
        /// healthy or unhealthy.
        #[arg(long)]
        status: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Revoke a credential at Zoom and delete it with its meeting mappings.
    Remove { id: String },
    /// Import refresh tokens issued to APP before zoomsync, so their users need not connect
    /// again. Each is refreshed at once (zoomsync takes over its rotation: the token given is
    /// spent afterwards). Reads FILE (or standard input, or `-`): one token a line, blank lines
    /// and `#` comments skipped, or JSON: `["...", ...]` or `[{"refresh_token": "..."}, ...]`.
    /// Prints one outcome per token, never the token. Exits 0 when every token was imported,
    /// 1 when any was refused, else 5 when any met Zoom or the database unavailable.
    Import {
        /// The zoomsync app the tokens were issued to (not server-to-server).
        #[arg(long)]
        app: String,
        file: Option<std::path::PathBuf>,
        /// Print an array of outcomes as JSON.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(state: &AppState, command: CredentialCommand) -> ExitCode {
    match command {
        CredentialCommand::List { app, status, json } => {
            let status = match status.as_deref().map(credentials::parse_status).transpose() {
                Ok(status) => status,
                Err(e) => return output::failure(&e),
            };
            // A mistyped app id is an error, not an empty list.
            if let Some(app) = &app
                && let Err(e) = crate::services::apps::get(state, app).await
            {
                return output::failure(&e);
            }
            let filter = ListFilter { app_id: app, status, zoom_user_id: None };
            let all = match all_pages(|cursor| credentials::list(state, filter.clone(), cursor, MAX_PAGE_SIZE)).await {
                Ok(all) => all,
                Err(e) => return output::failure(&e),
            };
            if json {
                return output::print_json(&all);
            }
            print(&all);
            ExitCode::SUCCESS
        }
        CredentialCommand::Remove { id } => match credentials::delete(state, &id).await {
            Ok(credentials::Deletion::Done) => {
                println!("removed credential {id} (revoked at Zoom)");
                ExitCode::SUCCESS
            }
            Ok(credentials::Deletion::RevokePending(detail)) => {
                // 5, as for Zoom being unavailable: the same command succeeds once Zoom answers.
                eprintln!("credential {id} is not removed yet: {detail}");
                ExitCode::from(5)
            }
            Err(e) => output::failure(&e),
        },
        CredentialCommand::Import { app, file, json } => import::run(state, &app, file.as_deref(), json).await,
    }
}

fn print(list: &[CredentialView]) {
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|c| {
            vec![
                c.id.clone(),
                c.oauth_app.clone(),
                c.email.clone().unwrap_or_else(|| c.user_id.clone()),
                c.account_id.clone(),
                c.status.to_string(),
                c.meeting_sync_status.to_string(),
                c.status_detail.clone().unwrap_or_default(),
            ]
        })
        .collect();
    output::print_table(&["ID", "APP", "USER", "ACCOUNT", "STATUS", "SYNC", "DETAIL"], &rows);
}
