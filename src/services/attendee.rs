//! The answer to Attendee's `zoom_tokens` callback (attendee-labs/attendee,
//! `bots/external_callback_utils.py`): four fields, each a token or `null`, which Attendee's bot
//! joins with. The three zoomsync can mint are minted at once, and the answer comes within
//! [`ANSWER_WITHIN`] whatever Zoom does: a field that fails or is too slow is `null` (Attendee
//! then joins without it).

use std::time::Duration;

use secrecy::SecretString;

use super::AppState;
use super::mint::{self, Target, TokenKind};
use super::resolve::BotUser;
use crate::meeting_ref::MeetingRef;

/// Attendee waits 30 s for the callback; a bot waiting to join should not wait that long.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(9);

/// What the callback answers, before it is written as JSON.
pub struct ZoomTokens {
    /// Attendee's `app_privilege_token`: the join token for local recording (the host's).
    pub join_for_local_recording: Option<SecretString>,
    /// Attendee's `onbehalf_token`: the OBF token of the bot's user, else of the host.
    pub onbehalf: Option<SecretString>,
    /// Attendee's `zak_token`: the ZAK of the bot's user, else of the host.
    pub zak: Option<SecretString>,
}

pub async fn zoom_tokens(state: &AppState, meeting: MeetingRef, user: Option<BotUser>) -> ZoomTokens {
    let for_user = |meeting: MeetingRef| match &user {
        Some(user) => Target::BotUser { user: user.clone(), meeting: Some(meeting) },
        None => Target::Meeting(meeting),
    };
    let (join, onbehalf, zak) = tokio::join!(
        field(state, TokenKind::Join { bypass_waiting_room: true }, Target::Meeting(meeting.clone())),
        field(state, TokenKind::Obf, for_user(meeting.clone())),
        field(state, TokenKind::Zak, for_user(meeting)),
    );
    ZoomTokens { join_for_local_recording: join, onbehalf, zak }
}

async fn field(state: &AppState, kind: TokenKind, target: Target) -> Option<SecretString> {
    match tokio::time::timeout(ANSWER_WITHIN, mint::mint(state, kind, target)).await {
        Ok(Ok(token)) => Some(token),
        Ok(Err(e)) => {
            tracing::info!(kind = kind.name(), reason = %e, "Attendee callback: field left null");
            None
        }
        Err(_) => {
            tracing::warn!(kind = kind.name(), "Attendee callback: field left null, Zoom too slow");
            None
        }
    }
}
