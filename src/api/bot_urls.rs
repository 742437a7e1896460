//! `POST /api/v2/bot-token-urls/`: one bot's signed token URLs (docs/http.md, "Signed token
//! URLs").

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;

use super::Admin;
use crate::error::{AppError, ErrorBody};
use crate::meeting_ref::{self, MeetingRef};
use crate::services::AppState;
use crate::services::bot_urls::{self, BotUrls};
use crate::services::resolve::BotUser;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotUrlsInput {
    /// A Zoom meeting ID (a number, or digits as text). Give this or `meeting_url`.
    #[schema(value_type = Option<String>)]
    meeting_id: Option<Value>,
    /// A Zoom join URL.
    meeting_url: Option<String>,
    /// The bot's user (Zoom user id or email), for OBF, ZAK and access-token URLs.
    user: Option<String>,
    /// A credential id, instead of `user`.
    credential: Option<String>,
    /// Seconds the URLs stay valid: 1 to 2592000, default 86400.
    expires_in: Option<u64>,
}

/// Sign one bot's token URLs.
#[utoipa::path(post, path = "/api/v2/bot-token-urls/", operation_id = "create_bot_token_urls", tag = "bots",
    request_body = BotUrlsInput,
    responses((status = 201, description = "The URLs", body = BotUrls), (status = 400, description = "Invalid input", body = ErrorBody<'static>),
        (status = 401, description = "No or wrong admin token", body = ErrorBody<'static>), (status = 404, description = "Unknown personal link", body = ErrorBody<'static>)))]
pub async fn create(
    _: Admin,
    state: web::Data<AppState>,
    input: web::Json<BotUrlsInput>,
) -> Result<HttpResponse, AppError> {
    let input = input.into_inner();
    let meeting = meeting(input.meeting_id.as_ref(), input.meeting_url.as_deref())?;
    let user = match (input.user.filter(|u| !u.is_empty()), input.credential.filter(|c| !c.is_empty())) {
        (Some(_), Some(_)) => {
            return Err(AppError::bad_request("invalid_field", "give `user` or `credential`, not both"));
        }
        (Some(user), None) => Some(BotUser::User(user)),
        (None, Some(id)) => Some(BotUser::Credential(id)),
        (None, None) => None,
    };
    let urls = bot_urls::issue(&state, &meeting, user.as_ref(), input.expires_in).await?;
    Ok(HttpResponse::Created().json(urls))
}

fn meeting(id: Option<&Value>, url: Option<&str>) -> Result<MeetingRef, AppError> {
    let invalid = |detail: &str| AppError::bad_request("invalid_meeting", detail);
    match (id, url.filter(|u| !u.is_empty())) {
        (Some(_), Some(_)) => Err(invalid("give `meeting_id` or `meeting_url`, not both")),
        (Some(Value::Number(n)), None) => Ok(MeetingRef::Id(meeting_ref::parse_id(&n.to_string())?)),
        (Some(Value::String(text)), None) => Ok(MeetingRef::Id(meeting_ref::parse_id(text)?)),
        (Some(_), None) => Err(invalid("`meeting_id` must be a number or digits")),
        (None, Some(url)) => Ok(meeting_ref::parse_url(url)?),
        (None, None) => Err(invalid("give `meeting_id` or `meeting_url`")),
    }
}
