//! `zoomsync token join|obf|zak MEETING` and `zoomsync explain MEETING`.

use std::process::ExitCode;

use clap::Subcommand;
use secrecy::ExposeSecret;

use super::output;
use crate::error::AppError;
use crate::meeting_ref;
use crate::services::AppState;
use crate::services::mint::{self, MintError, Target, TokenKind};
use crate::services::resolve::{self, BotUser};

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
    /// An on-behalf-of (OBF) token for the meeting: of the bot's user (--user or --credential),
    /// else of the meeting's host.
    Obf {
        meeting: String,
        #[command(flatten)]
        user: UserArgs,
    },
    /// A ZAK of the bot's user (--user or --credential), else of the meeting's host.
    Zak {
        #[arg(required_unless_present_any = ["credential", "user"])]
        meeting: Option<String>,
        #[command(flatten)]
        user: UserArgs,
    },
}

/// The user a bot acts for.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct UserArgs {
    /// A Zoom user id, or an email (any case). Zoom's ids may begin with `-`: taken as the value.
    #[arg(long, conflicts_with = "credential", allow_hyphen_values = true)]
    pub user: Option<String>,
    /// A credential id: its own user.
    #[arg(long)]
    pub credential: Option<String>,
}

impl UserArgs {
    pub fn bot_user(&self) -> Option<BotUser> {
        match (&self.user, &self.credential) {
            (Some(user), _) => Some(BotUser::User(user.clone())),
            (None, Some(id)) => Some(BotUser::Credential(id.clone())),
            (None, None) => None,
        }
    }
}

pub async fn run(state: &AppState, command: TokenCommand) -> ExitCode {
    let (kind, target) = match command {
        TokenCommand::Join { meeting, no_bypass_waiting_room } => {
            (TokenKind::Join { bypass_waiting_room: !no_bypass_waiting_room }, target(Some(&meeting), None))
        }
        TokenCommand::Obf { meeting, user } => (TokenKind::Obf, target(Some(&meeting), user.bot_user())),
        TokenCommand::Zak { meeting, user } => (TokenKind::Zak, target(meeting.as_deref(), user.bot_user())),
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

fn target(meeting: Option<&str>, user: Option<BotUser>) -> Result<Target, AppError> {
    let meeting = meeting.map(meeting_ref::parse).transpose()?;
    match (user, meeting) {
        (Some(user), meeting) => Ok(Target::BotUser { user, meeting }),
        (None, Some(meeting)) => Ok(Target::Meeting(meeting)),
        (None, None) => Err(AppError::bad_request("invalid_meeting", "give a meeting, or --user / --credential")),
    }
}

/// Which credential would mint each kind of token for a meeting (and for the bot's user), and why.
pub async fn explain(state: &AppState, meeting: &str, user: &UserArgs, json: bool) -> ExitCode {
    let meeting = match meeting_ref::parse(meeting).map_err(AppError::from) {
        Ok(meeting) => meeting,
        Err(e) => return output::failure(&e),
    };
    let meeting_id = match resolve::meeting_id(state, &meeting).await {
        Ok(Some(id)) => id,
        Ok(None) => return output::failure(&AppError::not_found("no known user has that personal link")),
        Err(e) => return output::failure(&e),
    };
    let explained = match resolve::explain_meeting(state, meeting_id, user.bot_user().as_ref()).await {
        Ok(explained) => explained,
        Err(e) => return output::failure(&e),
    };
    if json {
        return output::print_json(&explained);
    }
    for token in &explained.tokens {
        println!("meeting {meeting_id}, {} for {}:", token.kind, token.minted_for);
        if let Some(why) = &token.refusal {
            println!("  refused (404): {why}");
            continue;
        }
        if token.candidates.is_empty() {
            println!("  no credential is mapped; refused (404)");
            continue;
        }
        let rows: Vec<Vec<String>> = token
            .candidates
            .iter()
            .enumerate()
            .map(|(i, e)| {
                vec![
                    (i + 1).to_string(),
                    e.credential.clone(),
                    e.kind.as_str().to_owned(),
                    e.user_id.clone(),
                    e.status.to_string(),
                    e.source.map_or("-", |s| s.as_str()).to_owned(),
                    e.reason.clone(),
                ]
            })
            .collect();
        output::print_table(&["#", "CREDENTIAL", "KIND", "USER", "STATUS", "SOURCE", "WHY"], &rows);
    }
    // Scripts read the join token's answer: 3 (not found) when nobody could mint it.
    if explained.candidates.is_empty() { ExitCode::from(3) } else { ExitCode::SUCCESS }
}
