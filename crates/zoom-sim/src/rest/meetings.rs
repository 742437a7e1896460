//! `GET /v2/users/{userId}/meetings` and `GET /v2/meetings/{meetingId}`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::{GET_MEETING, LIST_MEETINGS, access, page_request, shapes};
use crate::errors::ApiError;
use crate::http::query_map;
use crate::sim::Sim;
use crate::state::{Meeting, PageQuery};

/// The listing `type`s of docs/zoom.md §3.5.
#[derive(Clone, Copy, Debug)]
enum ListType {
    Scheduled,
    Live,
    Upcoming,
    Previous,
}

impl ListType {
    fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        match raw {
            None | Some("") | Some("scheduled") => Ok(Self::Scheduled),
            Some("live") => Ok(Self::Live),
            Some("upcoming") | Some("upcoming_meetings") => Ok(Self::Upcoming),
            Some("previous_meetings") => Ok(Self::Previous),
            Some(_) => Err(ApiError::invalid_param("type")),
        }
    }

    fn includes(self, m: &Meeting, now: chrono::DateTime<chrono::Utc>) -> bool {
        // Only scheduled and recurring meetings are listed, never instant ones, webinars, or
        // what is in the bin.
        if !matches!(m.kind, 2 | 3 | 8) || m.in_bin() {
            return false;
        }
        match self {
            Self::Scheduled => !m.is_expired(now),
            Self::Live => m.is_live(now),
            Self::Upcoming => !m.is_expired(now) && m.is_upcoming(now),
            Self::Previous => m.is_previous(now),
        }
    }
}

pub async fn list(sim: web::Data<Sim>, req: HttpRequest, user_id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let caller = sim.authorize(&req, &LIST_MEETINGS)?;
    let query = query_map(&req);
    let list_type = ListType::parse(query.get("type").map(String::as_str))?;
    let paging = page_request(&query)?;
    let now = sim.now();
    let mut guard = sim.world.lock();
    let world = &mut *guard;
    let user = access::user(world, &caller, &user_id)?;
    let matching: Vec<(u64, &Meeting)> = user
        .meetings
        .iter()
        .filter_map(|(seq, id)| world.meetings.get(id).map(|m| (*seq, m)))
        .filter(|(_, m)| list_type.includes(m, now))
        .collect();
    let query = PageQuery::Meetings { user_id: user.id.clone(), list_type: format!("{list_type:?}") };
    let page = world.pages.page(query, matching, &paging, now)?;
    let meetings: Vec<_> = page.items.iter().map(|m| shapes::meeting_summary(world, m)).collect();
    Ok(HttpResponse::Ok().json(json!({
        "next_page_token": page.next_page_token,
        "page_count": page.page_count,
        "page_number": page.page_number,
        "page_size": page.page_size,
        "total_records": page.total_records,
        "meetings": meetings,
    })))
}

pub async fn get(
    sim: web::Data<Sim>,
    req: HttpRequest,
    meeting_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = sim.authorize(&req, &GET_MEETING)?;
    let now = sim.now();
    let world = sim.world.lock();
    let (_, found, host) = access::meeting(&world, &caller, &meeting_id, now)?;
    Ok(HttpResponse::Ok().json(shapes::meeting(&world, &found, host, now)))
}
