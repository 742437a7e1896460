//! `POST /attendee/zoom-tokens`: the URL an Attendee bot is given as
//! `callback_settings.zoom_tokens_url` (docs/http.md, "Attendee bots"). Attendee posts its
//! callback JSON and reads four fields back; each is a token or `null`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::bot::{bot_credentials, bot_user, query, text};
use crate::meeting_ref;
use crate::services::AppState;
use crate::services::attendee::{self, ZoomTokens};
use crate::services::resolve::BotUser;

/// Attendee's callback body (documentation only: the body is read as raw JSON, so that its
/// signature can be checked over exactly what was sent).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ZoomTokensCallback {
    bot_id: String,
    bot_metadata: Option<Value>,
    /// `zoom_tokens`.
    callback_type: String,
    meeting_url: String,
}

/// The answer Attendee reads.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct ZoomTokensAnswer {
    /// The bot's user's ZAK (else the host's).
    zak_token: Option<String>,
    /// Always `null`: Zoom's registrant join token, which zoomsync does not have.
    join_token: Option<String>,
    /// The join token for local recording (the host's credential).
    app_privilege_token: Option<String>,
    /// The bot's user's OBF token for the meeting (else the host's).
    onbehalf_token: Option<String>,
}

/// Attendee's `zoom_tokens` callback.
#[utoipa::path(post, path = "/attendee/zoom-tokens", operation_id = "attendee_zoom_tokens", tag = "bots",
    security(()), request_body = ZoomTokensCallback,
    params(("secret" = Option<String>, Query, description = "The bot secret, or sig= and expires= of a signed URL"),
        ("user" = Option<String>, Query, description = "The bot's user (Zoom user id or email)"),
        ("credential" = Option<String>, Query, description = "A credential id: its own user")),
    responses((status = 200, description = "The four fields, each a token or null", body = ZoomTokensAnswer),
        (status = 400, description = "Not Attendee's callback JSON", content_type = "text/plain"),
        (status = 401, description = "Missing or wrong secret, or bad Attendee signature", content_type = "text/plain")))]
pub async fn zoom_tokens(request: HttpRequest, state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let query = query(&request);
    // Attendee signs its callbacks itself (below); a Recall signature is not asked of it.
    if let Err(why) = bot_credentials(&request, &state, &query) {
        return text(StatusCode::UNAUTHORIZED, &why);
    }
    let Ok(callback) = serde_json::from_slice::<Value>(&body) else {
        return text(StatusCode::BAD_REQUEST, "the body is not JSON");
    };
    if let Some(key) = &state.settings.secrets.attendee {
        let signature = request.headers().get("x-webhook-signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
        if !key.verify(&callback, signature) {
            return text(StatusCode::UNAUTHORIZED, "the X-Webhook-Signature is missing or not Attendee's");
        }
    }
    if callback.get("callback_type").and_then(Value::as_str) != Some("zoom_tokens") {
        return text(StatusCode::BAD_REQUEST, "callback_type must be zoom_tokens");
    }
    let Some(meeting) =
        callback.get("meeting_url").and_then(Value::as_str).and_then(|u| meeting_ref::parse_url(u).ok())
    else {
        return text(StatusCode::BAD_REQUEST, "meeting_url must be a Zoom meeting URL");
    };
    let user = match bot_user(&query) {
        Ok(Some(user)) => Some(user),
        Ok(None) => callback
            .pointer("/bot_metadata/zoom_user")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .map(|u| BotUser::User(u.to_owned())),
        Err(reason) => return text(StatusCode::BAD_REQUEST, reason),
    };
    let tokens = attendee::zoom_tokens(&state, meeting, user).await;
    HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(answer(&tokens))
}

fn answer(tokens: &ZoomTokens) -> Value {
    let shown = |token: &Option<SecretString>| token.as_ref().map(|t| t.expose_secret().to_owned());
    json!({
        "zak_token": shown(&tokens.zak),
        "join_token": null,
        "app_privilege_token": shown(&tokens.join_for_local_recording),
        "onbehalf_token": shown(&tokens.onbehalf),
    })
}
