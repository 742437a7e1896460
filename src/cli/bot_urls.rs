//! `zoomsync bot-urls MEETING [--user U | --credential C] [--expires-in SECONDS] [--json]`: one
//! bot's signed token URLs, as `POST /api/v2/bot-token-urls/` gives them.

use std::process::ExitCode;

use super::output;
use super::tokens::UserArgs;
use crate::error::AppError;
use crate::meeting_ref;
use crate::services::AppState;
use crate::services::bot_urls;

pub async fn run(state: &AppState, meeting: &str, user: &UserArgs, expires_in: Option<u64>, json: bool) -> ExitCode {
    let meeting = match meeting_ref::parse(meeting).map_err(AppError::from) {
        Ok(meeting) => meeting,
        Err(e) => return output::failure(&e),
    };
    let urls = match bot_urls::issue(state, &meeting, user.bot_user().as_ref(), expires_in).await {
        Ok(urls) => urls,
        Err(e) => return output::failure(&e),
    };
    if json {
        return output::print_json(&urls);
    }
    println!("join_token_url: {}", urls.join_token_url);
    println!("obf_token_url: {}", urls.obf_token_url);
    println!("zak_url: {}", urls.zak_url);
    if let Some(url) = &urls.access_token_url {
        println!("access_token_url: {url}");
    }
    println!("attendee_zoom_tokens_url: {}", urls.attendee_zoom_tokens_url);
    println!("expires_at: {}", urls.expires_at.to_rfc3339());
    ExitCode::SUCCESS
}
