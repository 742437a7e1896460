//! `zoomsync`: the daemon (`serve`) and its admin commands. Every command reads the same
//! configuration as `serve` and calls the same services as the admin API.
//!
//! Exit codes, for scripts: 0 success, 1 failure, 2 usage or configuration error, 3 not
//! found, 4 conflict, 5 unavailable (database or Zoom down; retry later).

mod apps;
mod bot_urls;
mod credentials;
mod docs;
mod import;
mod output;
mod serve;
mod sync;
mod tokens;
mod webhook_endpoints;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::{ConfigError, Settings};
use crate::db::Db;
use crate::error::AppError;
use crate::services;
use crate::services::AppState;
use crate::startup::apply_migrations;
use crate::telemetry::{self, LogFormat};

/// The exit codes, for scripts (the module's doc says the same).
const EXIT_CODES: &str = "Exit codes: 0 success, 1 failure, 2 usage or configuration error, 3 not found, 4 conflict, \
                          5 unavailable (database or Zoom down; retry later).";

#[derive(Parser)]
#[command(
    name = "zoomsync",
    version = crate::metrics::VERSION,
    about = "Keeps Zoom hosts' OAuth credentials alive and mints join tokens, ZAKs and OBF tokens for meeting bots",
    after_long_help = EXIT_CODES
)]
pub struct Cli {
    /// Log one JSON object per line (also: ZOOMSYNC_LOG_FORMAT=json).
    #[arg(long, global = true)]
    log_json: bool,
    /// The TOML configuration file (default: config/zoomsync.toml when present). Environment
    /// variables ZOOMSYNC__<SECTION>__<KEY> override it.
    #[arg(long, short = 'c', global = true, value_name = "PATH", env = "ZOOMSYNC_CONFIG")]
    config: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: HTTP API, webhooks, token endpoints and the scheduled backfill.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Register, list and remove Zoom OAuth apps.
    #[command(subcommand)]
    App(apps::AppCommand),
    /// List, remove and import connected Zoom users and accounts.
    #[command(subcommand)]
    Credential(credentials::CredentialCommand),
    /// Register, list and change where outbound events go; their deliveries; send again.
    #[command(subcommand)]
    WebhookEndpoint(webhook_endpoints::EndpointCommand),
    /// Backfill meetings now: every healthy credential, or one.
    Sync {
        #[arg(long)]
        credential: Option<String>,
    },
    /// Mint a token now, as a bot would get it.
    #[command(subcommand)]
    Token(tokens::TokenCommand),
    /// Show which credential would mint for a meeting, and why.
    Explain {
        /// A meeting ID or Zoom join URL.
        meeting: String,
        /// The bot's user, for OBF and ZAK.
        #[command(flatten)]
        user: tokens::UserArgs,
        #[arg(long)]
        json: bool,
    },
    /// Sign one bot's token URLs (no shared secret in them; each bound to its endpoint, its
    /// parameters and an expiry).
    BotUrls {
        /// A meeting ID or Zoom join URL.
        meeting: String,
        /// The bot's user, for the OBF, ZAK and access-token URLs.
        #[command(flatten)]
        user: tokens::UserArgs,
        /// Seconds the URLs stay valid (default 86400, at most 2592000).
        #[arg(long)]
        expires_in: Option<u64>,
        #[arg(long)]
        json: bool,
    },
    /// Re-encrypt every stored secret under the current `security.encryption_key`.
    Reencrypt,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to standard output.
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff): `zoomsync man | man -l -`; with --dir, write one page per
    /// command there (zoomsync.1, zoomsync-serve.1, ...), e.g. into /usr/share/man/man1.
    Man {
        #[arg(long, value_name = "DIR")]
        dir: Option<std::path::PathBuf>,
    },
}

pub fn run() -> ExitCode {
    crate::init_process();
    let cli = Cli::parse();
    // Generated from this very definition: no configuration, no database.
    match cli.command {
        Command::Completions { shell } => return docs::completions(shell),
        Command::Man { dir } => return docs::man_pages(dir.as_deref()),
        _ => {}
    }
    telemetry::init(LogFormat::choose(cli.log_json));
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(dispatch(cli.command, cli.config.as_deref()))
}

async fn dispatch(command: Command, config: Option<&std::path::Path>) -> ExitCode {
    let settings = match Settings::load(config) {
        Ok(settings) => settings,
        Err(e) => return config_failure(&e),
    };
    output::announce_generated_secrets(&settings);
    if let Command::Serve = command {
        return serve::run(settings).await;
    }
    let state = match connect(settings).await {
        Ok(state) => state,
        Err(e) => return output::failure(&e),
    };
    match command {
        Command::Serve | Command::Migrate | Command::Completions { .. } | Command::Man { .. } => ExitCode::SUCCESS,
        Command::App(command) => apps::run(&state, command).await,
        Command::Credential(command) => credentials::run(&state, command).await,
        Command::WebhookEndpoint(command) => webhook_endpoints::run(&state, command).await,
        Command::Sync { credential } => sync::run(&state, credential).await,
        Command::Token(command) => tokens::run(&state, command).await,
        Command::BotUrls { meeting, user, expires_in, json } => {
            bot_urls::run(&state, &meeting, &user, expires_in, json).await
        }
        Command::Explain { meeting, user, json } => tokens::explain(&state, &meeting, &user, json).await,
        Command::Reencrypt => match services::keys::reseal_under_current_key(&state).await {
            Ok(report) => {
                println!(
                    "resealed {} value(s); {} already under the current key",
                    report.values_resealed, report.values_current
                );
                if report.credentials_skipped > 0 {
                    // Not done: a script must not go on to drop the previous key.
                    eprintln!(
                        "{} credential(s) were refreshed at every attempt while this ran and may still be under a \
                         previous key; run `zoomsync reencrypt` again before removing it",
                        report.credentials_skipped
                    );
                    return ExitCode::FAILURE;
                }
                ExitCode::SUCCESS
            }
            Err(e) => output::failure(&e),
        },
    }
}

/// Opens the database and applies pending migrations, as `serve` does at start-up.
async fn connect(settings: Settings) -> Result<AppState, AppError> {
    let db = Db::connect(&settings.database, &settings.pool)?;
    apply_migrations(&db).await.map_err(|e| AppError::Unavailable(format!("{e:#}")))?;
    AppState::new(db, settings).map_err(AppError::Internal)
}

fn config_failure(error: &ConfigError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(2)
}
