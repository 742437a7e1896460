//! `zoomsync webhook-endpoint add|list|update|remove|deliveries|resend|test`: the admin API's
//! outbound event endpoints, through the same service. Events recorded while no daemon runs
//! wait in the outbox; the daemon delivers them.

use std::process::ExitCode;

use clap::Subcommand;

use super::output;
use crate::pagination::{MAX_PAGE_SIZE, all_pages};
use crate::services::AppState;
use crate::services::webhook_endpoints::{self, CreateEndpoint, DeliveryView, EndpointView, UpdateEndpoint};

#[derive(Subcommand)]
pub enum EndpointCommand {
    /// Register an endpoint; prints its signing secret, once.
    Add {
        /// An http(s) URL.
        url: String,
        /// Event types, comma-separated (default: all).
        #[arg(long, value_delimiter = ',')]
        events: Option<Vec<String>>,
        #[arg(long)]
        description: Option<String>,
        /// Register it disabled.
        #[arg(long)]
        disabled: bool,
        #[arg(long)]
        json: bool,
    },
    /// List endpoints.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Change an endpoint.
    Update {
        id: String,
        #[arg(long)]
        url: Option<String>,
        #[arg(long, value_delimiter = ',')]
        events: Option<Vec<String>>,
        #[arg(long)]
        description: Option<String>,
        #[arg(long, conflicts_with = "disable")]
        enable: bool,
        #[arg(long)]
        disable: bool,
        /// Make a new signing secret and print it; the old one stops signing at once.
        #[arg(long)]
        rotate_secret: bool,
        #[arg(long)]
        json: bool,
    },
    /// Remove an endpoint and its deliveries.
    Remove { id: String },
    /// An endpoint's deliveries, newest first, with each attempt.
    Deliveries {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Send a delivery's event again.
    Resend { id: String, delivery: i64 },
    /// Queue a `webhook.test` event for the endpoint.
    Test { id: String },
}

pub async fn run(state: &AppState, command: EndpointCommand) -> ExitCode {
    match command {
        EndpointCommand::Add { url, events, description, disabled, json } => {
            let input = CreateEndpoint { url: Some(url), events, description, enabled: Some(!disabled) };
            shown(webhook_endpoints::create(state, input).await, json)
        }
        EndpointCommand::List { json } => match webhook_endpoints::list(state).await {
            Ok(all) if json => output::print_json(&all),
            Ok(all) => {
                print_endpoints(&all);
                ExitCode::SUCCESS
            }
            Err(e) => output::failure(&e),
        },
        EndpointCommand::Update { id, url, events, description, enable, disable, rotate_secret, json } => {
            let enabled = match (enable, disable) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            };
            let input = UpdateEndpoint { url, events, description, enabled, rotate_secret: Some(rotate_secret) };
            shown(webhook_endpoints::update(state, &id, input).await, json)
        }
        EndpointCommand::Remove { id } => match webhook_endpoints::delete(state, &id).await {
            Ok(()) => {
                println!("removed webhook endpoint {id}");
                ExitCode::SUCCESS
            }
            Err(e) => output::failure(&e),
        },
        EndpointCommand::Deliveries { id, json } => {
            let all = all_pages(|cursor| webhook_endpoints::deliveries(state, &id, cursor, MAX_PAGE_SIZE)).await;
            match all {
                Ok(all) if json => output::print_json(&all),
                Ok(all) => {
                    print_deliveries(&all);
                    ExitCode::SUCCESS
                }
                Err(e) => output::failure(&e),
            }
        }
        EndpointCommand::Resend { id, delivery } => queued(webhook_endpoints::resend(state, &id, delivery).await),
        EndpointCommand::Test { id } => queued(webhook_endpoints::send_test(state, &id).await),
    }
}

fn shown(result: Result<EndpointView, crate::error::AppError>, json: bool) -> ExitCode {
    match result {
        Ok(endpoint) if json => output::print_json(&endpoint),
        Ok(endpoint) => {
            print_endpoints(std::slice::from_ref(&endpoint));
            if let Some(secret) = &endpoint.secret {
                println!("signing secret (shown once): {secret}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => output::failure(&e),
    }
}

fn queued(result: Result<DeliveryView, crate::error::AppError>) -> ExitCode {
    match result {
        Ok(delivery) => {
            println!("queued delivery {} of event {} ({})", delivery.id, delivery.event_id, delivery.event_type);
            ExitCode::SUCCESS
        }
        Err(e) => output::failure(&e),
    }
}

fn print_endpoints(endpoints: &[EndpointView]) {
    let rows: Vec<Vec<String>> = endpoints
        .iter()
        .map(|e| {
            vec![
                e.id.clone(),
                e.url.clone(),
                e.events.join(","),
                if e.enabled { "yes".into() } else { "no".into() },
                e.description.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    output::print_table(&["ID", "URL", "EVENTS", "ENABLED", "DESCRIPTION"], &rows);
}

fn print_deliveries(deliveries: &[DeliveryView]) {
    let rows: Vec<Vec<String>> = deliveries
        .iter()
        .map(|d| {
            vec![
                d.id.to_string(),
                d.event_type.clone(),
                d.event_id.clone(),
                d.status.as_str().to_owned(),
                d.attempts.to_string(),
                d.last_status_code.map_or_else(|| "-".into(), |c| c.to_string()),
                d.last_error.clone().unwrap_or_else(|| "-".into()),
                d.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            ]
        })
        .collect();
    output::print_table(&["ID", "TYPE", "EVENT", "STATUS", "ATTEMPTS", "LAST STATUS", "LAST ERROR", "CREATED"], &rows);
}
