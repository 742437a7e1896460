//! The token endpoints bots call seconds before joining (docs/http.md): plain text in, plain text
//! out. `200` carries the token alone; every other status a short reason. Never a 200 without a
//! token.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use secrecy::ExposeSecret;

use crate::crypto::secrets_equal;
use crate::meeting_ref::{self, MeetingRef};
use crate::metrics::TokenOutcome;
use crate::recall::SignedRequest;
use crate::services::AppState;
use crate::services::bot_urls;
use crate::services::mint::{self, MintError, Target, TokenKind};
use crate::services::resolve::BotUser;

/// What every bot endpoint takes (documentation only: the query is read by [`query`]).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct BotQuery {
    /// The bot secret (or `sig` and `expires` of a signed URL instead).
    secret: Option<String>,
    /// A signed URL's signature: its last parameter (docs/http.md, "Signed token URLs").
    sig: Option<String>,
    /// A signed URL's expiry, in Unix seconds.
    expires: Option<i64>,
    /// A Zoom meeting ID (digits; spaces and dashes tolerated).
    meeting_id: Option<String>,
    /// A Zoom join URL (zoom.us, zoom.com, zoomgov.com and their subdomains).
    meeting_url: Option<String>,
}

/// Whom an OBF token or ZAK is for (documentation only).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct BotUserQuery {
    /// The bot's user: a Zoom user id, or an email (any case). Not with `credential`.
    user: Option<String>,
    /// A credential id: its own user. Not with `user`.
    credential: Option<String>,
}

/// What every bot endpoint answers: plain text, the token alone on 200.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
enum BotResponses {
    #[response(status = 200, description = "The token alone", content_type = "text/plain")]
    Token(String),
    #[response(status = 400, description = "Not a meeting ID or Zoom URL", content_type = "text/plain")]
    BadMeeting(String),
    #[response(
        status = 401,
        description = "Missing or wrong secret, or bad Recall signature",
        content_type = "text/plain"
    )]
    Unauthorized(String),
    #[response(
        status = 403,
        description = "Access tokens are not served (security.serve_access_tokens)",
        content_type = "text/plain"
    )]
    Forbidden(String),
    #[response(status = 404, description = "No credential can mint for this meeting", content_type = "text/plain")]
    NotFound(String),
    #[response(
        status = 503,
        description = "Zoom unavailable or rate budget full; see Retry-After",
        content_type = "text/plain"
    )]
    Unavailable(String),
}

/// The query string as a map. Parsed by hand so that even a malformed one gets a plain-text
/// answer; a repeated parameter keeps its first value.
pub(super) fn query(request: &HttpRequest) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for (key, value) in url::form_urlencoded::parse(request.query_string().as_bytes()) {
        map.entry(key.into_owned()).or_insert_with(|| value.into_owned());
    }
    map
}

/// A join token for local recording, minted now with the host's credential.
#[utoipa::path(get, path = "/zoom/join-token", operation_id = "join_token", tag = "bots", security(()),
    params(BotQuery, ("bypass_waiting_room" = Option<bool>, Query, description = "Default true")), responses(BotResponses))]
pub async fn join_token(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query = query(&request);
    let bypass = match query.get("bypass_waiting_room").map(String::as_str) {
        None | Some("true" | "1") => true,
        Some("false" | "0") => false,
        Some(_) => return text(StatusCode::BAD_REQUEST, "bypass_waiting_room must be true or false"),
    };
    handle(&request, &state, &query, TokenKind::Join { bypass_waiting_room: bypass }).await
}

/// An on-behalf-of (OBF) token for the meeting: of the bot's user when `user` or `credential`
/// names one, else of the meeting's host.
#[utoipa::path(get, path = "/zoom/obf-token", operation_id = "obf_token", tag = "bots", security(()),
    params(BotQuery, BotUserQuery), responses(BotResponses))]
pub async fn obf_token(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    handle(&request, &state, &query(&request), TokenKind::Obf).await
}

/// A ZAK of the bot's user when `user` or `credential` names one (no meeting needed), else of
/// the meeting's host.
#[utoipa::path(get, path = "/zoom/zak", operation_id = "zak", tag = "bots", security(()),
    params(BotQuery, BotUserQuery), responses(BotResponses))]
pub async fn zak(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    handle(&request, &state, &query(&request), TokenKind::Zak).await
}

async fn handle(
    request: &HttpRequest,
    state: &AppState,
    query: &HashMap<String, String>,
    kind: TokenKind,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let response = answer(request, state, query, kind).await;
    let outcome = match response.status() {
        StatusCode::OK => TokenOutcome::Ok,
        StatusCode::UNAUTHORIZED => TokenOutcome::Unauthorized,
        StatusCode::BAD_REQUEST => TokenOutcome::BadRequest,
        StatusCode::NOT_FOUND => TokenOutcome::NotFound,
        _ => TokenOutcome::Unavailable,
    };
    state.metrics.token(kind.metric(), outcome, started.elapsed().as_secs_f64());
    response
}

async fn answer(
    request: &HttpRequest,
    state: &AppState,
    query: &HashMap<String, String>,
    kind: TokenKind,
) -> HttpResponse {
    if let Err(why) = authenticate(request, state, query) {
        return text(StatusCode::UNAUTHORIZED, &why);
    }
    let target = match target(query, kind) {
        Ok(target) => target,
        Err(reason) => return text(StatusCode::BAD_REQUEST, reason),
    };
    minted(mint::mint(state, kind, target).await)
}

/// A token Zoom's Marketplace apps are used with: `/zoom/access-token` for Recall's
/// customer-managed OAuth, off unless `security.serve_access_tokens`.
#[utoipa::path(get, path = "/zoom/access-token", operation_id = "access_token", tag = "bots", security(()),
    params(BotQuery, BotUserQuery), responses(BotResponses))]
pub async fn access_token(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let query = query(&request);
    if let Err(why) = authenticate(&request, &state, &query) {
        return text(StatusCode::UNAUTHORIZED, &why);
    }
    if !state.settings.serve_access_tokens {
        return text(StatusCode::FORBIDDEN, "access tokens are not served here (security.serve_access_tokens is off)");
    }
    let user = match bot_user(&query) {
        Ok(Some(user)) => user,
        Ok(None) => return text(StatusCode::BAD_REQUEST, "give credential= or user="),
        Err(reason) => return text(StatusCode::BAD_REQUEST, reason),
    };
    minted(mint::access_token(&state, &user).await)
}

/// What a mint came to, as a bot is answered.
pub(super) fn minted(result: Result<secrecy::SecretString, MintError>) -> HttpResponse {
    match result {
        Ok(token) => text(StatusCode::OK, token.expose_secret()),
        Err(MintError::NotFound(reason)) => text(StatusCode::NOT_FOUND, &reason),
        Err(MintError::Unavailable { detail, retry_after }) => {
            let mut response = text(StatusCode::SERVICE_UNAVAILABLE, &detail);
            let seconds = retry_after.as_secs_f64().ceil().max(1.0) as u64;
            if let Ok(value) = header::HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            response
        }
    }
}

/// A Recall bot's request: its bot credentials ([`bot_credentials`]), then, when configured,
/// Recall's signature (over an empty body: these are GETs). `Err` says why it is refused.
pub(super) fn authenticate(
    request: &HttpRequest,
    state: &AppState,
    query: &HashMap<String, String>,
) -> Result<(), String> {
    bot_credentials(request, state, query)?;
    if let Some(key) = &state.settings.secrets.recall {
        let header = |names: [&str; 2]| {
            names.iter().find_map(|n| request.headers().get(*n).and_then(|v| v.to_str().ok())).unwrap_or_default()
        };
        let signed = SignedRequest {
            id: header(["webhook-id", "svix-id"]),
            timestamp: header(["webhook-timestamp", "svix-timestamp"]),
            signatures: header(["webhook-signature", "svix-signature"]),
            body: b"",
        };
        let skew = i64::try_from(state.settings.webhook_max_skew.as_secs()).unwrap_or(i64::MAX);
        key.verify(&signed, chrono::Utc::now().timestamp(), skew).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A signed URL's signature (`sig`, judged alone even if a `secret` is there too), else the
/// bot secret (constant time): what every bot endpoint asks, whoever's bot it is.
pub(super) fn bot_credentials(
    request: &HttpRequest,
    state: &AppState,
    query: &HashMap<String, String>,
) -> Result<(), String> {
    let secret = state.settings.secrets.bot_secret.expose_secret();
    if query.contains_key("sig") {
        return bot_urls::verify(secret, request.path(), request.query_string(), chrono::Utc::now().timestamp())
            .map_err(|e| e.to_string());
    }
    let presented = query.get("secret").map(String::as_str).unwrap_or_default();
    if presented.is_empty() || !secrets_equal(presented, secret) {
        return Err("the secret is missing or wrong".into());
    }
    Ok(())
}

/// `user=` or `credential=`, at most one.
pub(super) fn bot_user(query: &HashMap<String, String>) -> Result<Option<BotUser>, &'static str> {
    let user = query.get("user").filter(|v| !v.is_empty());
    let credential = query.get("credential").filter(|v| !v.is_empty());
    match (user, credential) {
        (Some(_), Some(_)) => Err("give user or credential, not both"),
        (Some(user), None) => Ok(Some(BotUser::User(user.clone()))),
        (None, Some(id)) => Ok(Some(BotUser::Credential(id.clone()))),
        (None, None) => Ok(None),
    }
}

/// `meeting_id=` or `meeting_url=`, at most one.
fn meeting(query: &HashMap<String, String>) -> Result<Option<MeetingRef>, &'static str> {
    let id = query.get("meeting_id").filter(|v| !v.is_empty());
    let url = query.get("meeting_url").filter(|v| !v.is_empty());
    match (id, url) {
        (Some(_), Some(_)) => Err("give meeting_id or meeting_url, not both"),
        (Some(id), None) => meeting_ref::parse_id(id)
            .map(|id| Some(MeetingRef::Id(id)))
            .map_err(|_| "meeting_id must be a Zoom meeting ID (9 to 13 digits)"),
        (None, Some(url)) => {
            meeting_ref::parse_url(url).map(Some).map_err(|_| "meeting_url must be a Zoom meeting URL")
        }
        (None, None) => Ok(None),
    }
}

fn target(query: &HashMap<String, String>, kind: TokenKind) -> Result<Target, &'static str> {
    let meeting = meeting(query)?;
    match (kind, bot_user(query)?, meeting) {
        (TokenKind::Join { .. }, Some(_), _) => {
            Err("a join token comes from the meeting's host: user= and credential= are for OBF tokens and ZAKs")
        }
        (_, None, Some(meeting)) => Ok(Target::Meeting(meeting)),
        (_, None, None) => Err("a meeting_id or meeting_url is required"),
        (TokenKind::Obf, Some(_), None) => Err("an OBF token needs a meeting: give meeting_id or meeting_url"),
        (_, Some(user), meeting) => Ok(Target::BotUser { user, meeting }),
    }
}

pub(super) fn text(status: StatusCode, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::plaintext())
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body.to_owned())
}
