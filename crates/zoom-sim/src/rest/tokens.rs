//! The tokens bots join with: `GET /v2/meetings/{meetingId}/jointoken/local_recording`, its
//! webinar twin, `GET /v2/users/{userId}/token` (ZAK, OBF) and `GET /v2/users/me/zak`. Every token minted is
//! recorded for `/_sim/tokens/{token}`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::TimeDelta;
use serde_json::json;

use super::{JOIN_TOKEN, USER_TOKEN, WEBINAR_JOIN_TOKEN, ZAK, access};
use crate::control::types::TokenKind;
use crate::errors::ApiError;
use crate::http::query_map;
use crate::sim::Sim;
use crate::state::MintRequest;

/// "always returns 120" (docs/zoom.md §3.7).
const JOIN_TOKEN_SECS: i64 = 120;
const ME_ZAK_SECS: i64 = 300;
const DEFAULT_TTL_SECS: i64 = 7200;
const MAX_TTL_SECS: i64 = 365 * 86_400;

fn parse_bool(name: &str, raw: Option<&String>) -> Result<bool, ApiError> {
    match raw.map(String::as_str) {
        None | Some("") | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::invalid_param(name)),
    }
}

pub async fn join_token(
    sim: web::Data<Sim>,
    req: HttpRequest,
    meeting_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = sim.authorize(&req, &JOIN_TOKEN)?;
    let bypass = parse_bool("bypass_waiting_room", query_map(&req).get("bypass_waiting_room"))?;
    let now = sim.now();
    let token = {
        let mut world = sim.world.lock();
        let (number, _, host) = access::meeting(&world, &caller, &meeting_id, now)?;
        if !host.local_recording {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                3000,
                "Not allowed to start local recording for this meeting.",
            ));
        }
        let mint = MintRequest {
            kind: TokenKind::JoinLocalRecording,
            meeting_id: Some(number),
            host_id: Some(host.handle.clone()),
            user_id: caller.grant.user_id.clone(),
            bypass_waiting_room: bypass,
            ttl: TimeDelta::seconds(JOIN_TOKEN_SECS),
        };
        world.mint(&caller, mint, now)
    };
    sim.counters.update(|c| c.mints.join_local_recording += 1);
    Ok(HttpResponse::Ok().json(json!({"token": token, "expire_in": JOIN_TOKEN_SECS})))
}

/// `GET /v2/webinars/{webinarId}/jointoken/local_recording`: the same rule as for meetings (the
/// host's own grant or one of the host's account; local recording on), for webinars only.
pub async fn webinar_join_token(
    sim: web::Data<Sim>,
    req: HttpRequest,
    webinar_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = sim.authorize(&req, &WEBINAR_JOIN_TOKEN)?;
    let bypass = parse_bool("bypass_waiting_room", query_map(&req).get("bypass_waiting_room"))?;
    let now = sim.now();
    let token = {
        let mut world = sim.world.lock();
        let (webinar, host) = access::webinar(&world, &caller, &webinar_id, now)?;
        if !host.local_recording {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                3000,
                "Not allowed to start local recording for this webinar.",
            ));
        }
        let mint = MintRequest {
            kind: TokenKind::WebinarJoinLocalRecording,
            meeting_id: Some(webinar.id),
            host_id: Some(host.handle.clone()),
            user_id: caller.grant.user_id.clone(),
            bypass_waiting_room: bypass,
            ttl: TimeDelta::seconds(JOIN_TOKEN_SECS),
        };
        world.mint(&caller, mint, now)
    };
    sim.counters.update(|c| c.mints.webinar_join_local_recording += 1);
    Ok(HttpResponse::Ok().json(json!({"token": token, "expire_in": JOIN_TOKEN_SECS})))
}

pub async fn user_token(
    sim: web::Data<Sim>,
    req: HttpRequest,
    user_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = sim.authorize(&req, &USER_TOKEN)?;
    let query = query_map(&req);
    let kind = match query.get("type").map(String::as_str) {
        None | Some("") | Some("token") => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                300,
                "Token is no longer supported. Please use ZAK token instead.",
            ));
        }
        Some("zak") => TokenKind::Zak,
        Some("onbehalf") => TokenKind::Onbehalf,
        Some(_) => return Err(ApiError::invalid_param("type")),
    };
    let ttl = match query.get("ttl").map(String::as_str) {
        None | Some("") => DEFAULT_TTL_SECS,
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|t| (1..=MAX_TTL_SECS).contains(t))
            .ok_or_else(|| ApiError::invalid_param("ttl"))?,
    };
    let now = sim.now();
    let token = {
        let mut world = sim.world.lock();
        let user_id = access::user(&world, &caller, &user_id)?.handle.clone();
        let (meeting_id, host_id) = if kind == TokenKind::Onbehalf {
            let param = query.get("meeting_id").map_or("", String::as_str);
            // Any meeting: the user need not host it, nor be in its account.
            let (number, _, host) =
                access::any_meeting(&world, param, now).map_err(|_| ApiError::invalid_meeting_id())?;
            (Some(number), Some(host.handle.clone()))
        } else {
            (None, None)
        };
        let mint = MintRequest {
            kind,
            meeting_id,
            host_id,
            user_id: Some(user_id),
            bypass_waiting_room: false,
            ttl: TimeDelta::seconds(ttl),
        };
        world.mint(&caller, mint, now)
    };
    sim.counters.update(|c| match kind {
        TokenKind::Onbehalf => c.mints.onbehalf += 1,
        _ => c.mints.zak += 1,
    });
    Ok(HttpResponse::Ok().json(json!({"token": token})))
}

pub async fn zak(sim: web::Data<Sim>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let caller = sim.authorize(&req, &ZAK)?;
    let now = sim.now();
    let token = {
        let mut world = sim.world.lock();
        let user_id = access::user(&world, &caller, "me")?.handle.clone();
        let mint = MintRequest {
            kind: TokenKind::Zak,
            meeting_id: None,
            host_id: None,
            user_id: Some(user_id),
            bypass_waiting_room: false,
            ttl: TimeDelta::seconds(ME_ZAK_SECS),
        };
        world.mint(&caller, mint, now)
    };
    sim.counters.update(|c| c.mints.zak += 1);
    Ok(HttpResponse::Ok().json(json!({"token": token})))
}
