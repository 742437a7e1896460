//! `zoomsync app add|list|remove`: the admin API's app commands, through the same service.

use std::process::ExitCode;

use clap::Subcommand;
use secrecy::SecretString;

use super::output;
use crate::pagination::{MAX_PAGE_SIZE, all_pages};
use crate::services::AppState;
use crate::services::apps::{self, AppView, CreateApp};

#[derive(Subcommand)]
pub enum AppCommand {
    /// Register a Zoom OAuth app. Secrets may come from the environment to keep them out of
    /// the process list and shell history.
    Add {
        /// user_level, account_level or server_to_server.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        client_id: String,
        #[arg(long, env = "ZOOMSYNC_APP_CLIENT_SECRET", hide_env_values = true)]
        client_secret: String,
        /// The app's webhook "Secret Token" from Zoom's Marketplace.
        #[arg(long, env = "ZOOMSYNC_APP_WEBHOOK_SECRET", hide_env_values = true)]
        webhook_secret: String,
        /// The Zoom account id (server_to_server only).
        #[arg(long)]
        account_id: Option<String>,
        /// zoom (default) or zoomgov, for an app of a government account on ZoomGov.
        #[arg(long)]
        cloud: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// List registered apps.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove an app (refused while it has credentials).
    Remove { id: String },
}

pub async fn run(state: &AppState, command: AppCommand) -> ExitCode {
    match command {
        AppCommand::Add { kind, client_id, client_secret, webhook_secret, account_id, cloud, json } => {
            let input = CreateApp {
                kind: Some(kind),
                client_id: Some(client_id),
                client_secret: Some(SecretString::from(client_secret)),
                webhook_secret: Some(SecretString::from(webhook_secret)),
                account_id,
                cloud,
            };
            match apps::create(state, input).await {
                Ok(app) if json => output::print_json(&app),
                Ok(app) => {
                    print_apps(&[app]);
                    ExitCode::SUCCESS
                }
                Err(e) => output::failure(&e),
            }
        }
        AppCommand::List { json } => {
            let all = match all_pages(|cursor| apps::list(state, cursor, MAX_PAGE_SIZE)).await {
                Ok(all) => all,
                Err(e) => return output::failure(&e),
            };
            if json {
                output::print_json(&all)
            } else {
                print_apps(&all);
                ExitCode::SUCCESS
            }
        }
        AppCommand::Remove { id } => match apps::delete(state, &id).await {
            Ok(()) => {
                println!("removed app {id}");
                ExitCode::SUCCESS
            }
            Err(e) => output::failure(&e),
        },
    }
}

fn print_apps(apps: &[AppView]) {
    let rows: Vec<Vec<String>> = apps
        .iter()
        .map(|a| {
            vec![
                a.id.clone(),
                a.kind_str().to_owned(),
                a.client_id.clone(),
                a.webhook_url.clone(),
                a.oauth_start_url.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    output::print_table(&["ID", "KIND", "CLIENT ID", "WEBHOOK URL", "CONNECT URL"], &rows);
}
