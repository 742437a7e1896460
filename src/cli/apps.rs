//! `zoomsync app add|list|update|remove`: the admin API's app commands, through the same service.

use std::process::ExitCode;

use clap::Subcommand;
use secrecy::SecretString;

use super::output;
use crate::pagination::{MAX_PAGE_SIZE, all_pages};
use crate::services::AppState;
use crate::services::apps::{self, AppView, CreateApp, UpdateApp};

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
        /// A name for people, shown instead of the client id (1 to 100 characters).
        #[arg(long)]
        name: Option<String>,
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
    /// Rename an app (secrets rotate with the admin API or the console).
    Update {
        id: String,
        /// The new name (1 to 100 characters).
        #[arg(long, required_unless_present = "no_name")]
        name: Option<String>,
        /// Remove the name: the app is shown by its client id again.
        #[arg(long, conflicts_with = "name")]
        no_name: bool,
        #[arg(long)]
        json: bool,
    },
    /// Remove an app (refused while it has credentials).
    Remove { id: String },
}

pub async fn run(state: &AppState, command: AppCommand) -> ExitCode {
    match command {
        AppCommand::Add { kind, client_id, name, client_secret, webhook_secret, account_id, cloud, json } => {
            let input = CreateApp {
                kind: Some(kind),
                client_id: Some(client_id),
                name,
                client_secret: Some(SecretString::from(client_secret)),
                webhook_secret: Some(SecretString::from(webhook_secret)),
                account_id,
                cloud,
            };
            shown(apps::create(state, input).await, json)
        }
        AppCommand::Update { id, name, no_name: _, json } => {
            // `--name` or `--no-name` (clap requires one): no name given means remove it.
            let input = UpdateApp { name: Some(name), ..UpdateApp::default() };
            shown(apps::update(state, &id, input).await, json)
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

/// An app just added or changed, as JSON or as a one-row table; or the failure.
fn shown(result: Result<AppView, crate::error::AppError>, json: bool) -> ExitCode {
    match result {
        Ok(app) if json => output::print_json(&app),
        Ok(app) => {
            print_apps(&[app]);
            ExitCode::SUCCESS
        }
        Err(e) => output::failure(&e),
    }
}

fn print_apps(apps: &[AppView]) {
    let rows: Vec<Vec<String>> = apps
        .iter()
        .map(|a| {
            vec![
                a.id.clone(),
                a.name.clone().unwrap_or_else(|| "-".into()),
                a.kind_str().to_owned(),
                a.client_id.clone(),
                a.webhook_url.clone(),
                a.oauth_start_url.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    output::print_table(&["ID", "NAME", "KIND", "CLIENT ID", "WEBHOOK URL", "CONNECT URL"], &rows);
}
