//! Meetings: look up an ID or Zoom URL and see which credential would mint for it, and why.
//! Nothing is minted from the console.

use actix_web::web;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{badge, page};
use super::session::Session;
use crate::db::models::credentials::Health;
use crate::error::AppError;
use crate::services::AppState;
use crate::services::resolve::{self, BotUser, KindExplained};

#[derive(Deserialize)]
pub struct Lookup {
    meeting: Option<String>,
    /// The bot's user (a Zoom user id or email), for OBF and ZAK.
    user: Option<String>,
}

pub async fn explain(
    session: Session,
    state: web::Data<AppState>,
    query: web::Query<Lookup>,
) -> Result<Markup, AppError> {
    let asked = query.meeting.as_deref().map(str::trim).filter(|m| !m.is_empty());
    let user = query.user.as_deref().map(str::trim).filter(|u| !u.is_empty());
    let answer = match asked {
        None => html! {},
        Some(text) => match crate::meeting_ref::parse(text) {
            Err(e) => html! { p.bad { (e) } },
            Ok(meeting) => match resolve::meeting_id(&state, &meeting).await? {
                None => html! { p.bad { "No known user has that personal link." } },
                Some(id) => {
                    let bot_user = user.map(|u| BotUser::User(u.to_owned()));
                    let explained = resolve::explain_meeting(&state, id, bot_user.as_ref()).await?;
                    html! {
                        h2 id="explained" { "Meeting " span.mono { (id) } }
                        @for token in &explained.tokens {
                            (kind_table(token))
                        }
                    }
                }
            },
        },
    };
    Ok(page(
        &state.settings,
        "Meetings",
        Some(&session.csrf),
        html! {
            section {
                h1 { "Which credential would mint for a meeting?" }
                form method="get" action="/console/meetings" {
                    label for="meeting" { "Meeting ID or Zoom URL" }
                    input id="meeting" name="meeting" value=(asked.unwrap_or_default()) placeholder="857 4606 5123 or https://zoom.us/j/85746065123";
                    label for="user" { "The bot's user (optional: Zoom user id or email, for OBF and ZAK)" }
                    input id="user" name="user" value=(user.unwrap_or_default()) placeholder="jane@example.com";
                    p { button.primary type="submit" id="explain" { "Explain" } }
                }
                (answer)
            }
        },
    ))
}

/// One kind of token: whom it would be for, and each candidate with why it would (not) be used.
fn kind_table(token: &KindExplained) -> Markup {
    let title = match token.kind {
        "join" => "Join token for local recording",
        "obf" => "OBF token",
        _ => "ZAK",
    };
    html! {
        h3 id=(format!("explained-{}", token.kind)) { (title) " for " (token.minted_for) }
        @if let Some(why) = &token.refusal {
            p.bad { "Refused (404): " (why) }
        } @else if token.candidates.is_empty() {
            p { "No credential is mapped to this meeting: a bot would get 404, unless an account-wide credential finds it by lookup." }
        } @else {
            table {
                tr { th { "#" } th { "Credential" } th { "Kind" } th { "User" } th { "Health" } th { "Source" } th { "Why" } }
                @for (i, e) in token.candidates.iter().enumerate() {
                    tr {
                        td { (i + 1) }
                        td.mono { (e.credential.get(..8).unwrap_or(&e.credential)) }
                        td { (e.kind.as_str()) }
                        td.mono { (e.user_id) }
                        td { @if e.status == Health::Healthy { (badge("ok", "healthy")) } @else { (badge("bad", "unhealthy")) } }
                        td { (e.source.map_or("named", |s| s.as_str())) }
                        td.reason { (e.reason) }
                    }
                }
            }
        }
    }
}
