//! `zoomsync token join|obf|zak MEETING` and `zoomsync explain MEETING`.

use std::process::ExitCode;

use clap::Subcommand;
use secrecy::ExposeSecret;

use super::output;
use crate::error::AppError;
use crate::meeting_ref;
use crate::services::AppState;
use crate::services::mint::{self, MintError, Target, TokenKind};
use crate::services::resolve;

#[derive(Subcommand)]
pub enum TokenCommand {
    /// A join token for local recording, minted now with the host's credential.
    Join {
        /// A meeting ID or Zoom join URL.
        meeting: String,
        /// Do not ask Zoom to let the bot skip the waiting room.
        #[arg(long)]
        no_bypass_waiting_room: bool,
    },
    /// An on-behalf-of (OBF) token for the meeting.
    Obf { meeting: String },
    /// A ZAK of the meeting's host, or (with --credential) of a credential's own user.
    Zak {
        #[arg(required_unless_present = "credential")]
        meeting: Option<String>,
        #[arg(long, conflicts_with = "meeting")]
        credential: Option<String>,
    },
}

pub async fn run(state: &AppState, command: TokenCommand) -> ExitCode {
    let (kind, target) = match command {
        TokenCommand::Join { meeting, no_bypass_waiting_room } => {
            (TokenKind::Join { bypass_waiting_room: !no_bypass_waiting_room }, meeting_target(&meeting))
        }
        TokenCommand::Obf { meeting } => (TokenKind::Obf, meeting_target(&meeting)),
        TokenCommand::Zak { meeting: Some(meeting), .. } => (TokenKind::Zak, meeting_target(&meeting)),
        TokenCommand::Zak { credential, .. } => {
            (TokenKind::Zak, Ok(Target::Credential(credential.unwrap_or_default())))
        }
    };
    let target = match target {
        Ok(target) => target,
        Err(e) => return output::failure(&e),
    };
    let result = mint::mint(state, kind, target).await;
    state.log.flush().await;
    match result {
        Ok(token) => {
            println!("{}", token.expose_secret());
            ExitCode::SUCCESS
        }
        Err(MintError::NotFound(reason)) => output::failure(&AppError::NotFound(reason)),
        Err(MintError::Unavailable { detail, .. }) => output::failure(&AppError::Unavailable(detail)),
    }
}

fn meeting_target(text: &str) -> Result<Target, AppError> {
    Ok(Target::Meeting(meeting_ref::parse(text)?))
}

/// Which credential would mint for a meeting, and why.
pub async fn explain(state: &AppState, meeting: &str, json: bool) -> ExitCode {
    let meeting = match meeting_ref::parse(meeting).map_err(AppError::from) {
        Ok(meeting) => meeting,
        Err(e) => return output::failure(&e),
    };
    let meeting_id = match resolve::meeting_id(state, &meeting).await {
        Ok(Some(id)) => id,
        Ok(None) => return output::failure(&AppError::not_found("no known user has that personal link")),
        Err(e) => return output::failure(&e),
    };
    let ranked = match resolve::candidates(state, meeting_id, crate::scopes::Capability::JoinToken).await {
        Ok(ranked) => ranked,
        Err(e) => return output::failure(&e),
    };
    let explained = resolve::explain(&ranked);
    if json {
        return output::print_json(&serde_json::json!({"meeting_id": meeting_id, "candidates": explained}));
    }
    if explained.is_empty() {
        println!("meeting {meeting_id}: no credential is mapped; a join token would be refused (404)");
        return ExitCode::from(3);
    }
    println!("meeting {meeting_id}: candidates in the order they would be tried");
    let rows: Vec<Vec<String>> = explained
        .iter()
        .enumerate()
        .map(|(i, e)| {
            vec![
                (i + 1).to_string(),
                e.credential.clone(),
                e.kind.as_str().to_owned(),
                e.user_id.clone(),
                e.status.to_string(),
                e.source.to_string(),
                e.reason.clone(),
            ]
        })
        .collect();
    output::print_table(&["#", "CREDENTIAL", "KIND", "USER", "STATUS", "SOURCE", "WHY"], &rows);
    ExitCode::SUCCESS
}
