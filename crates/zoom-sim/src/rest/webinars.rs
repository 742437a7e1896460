//! `GET /v2/users/{userId}/webinars` (docs/zoom.md §3.7): a user's webinars, paged like their
//! meetings; `GET /v2/webinars/{webinarId}`: one webinar.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::{GET_WEBINAR, LIST_WEBINARS, access, page_request, shapes};
use crate::errors::ApiError;
use crate::http::query_map;
use crate::sim::Sim;
use crate::state::{Meeting, MeetingRef, PageQuery};

/// The listing `type`s Zoom's List webinars takes.
#[derive(Clone, Copy, Debug)]
enum ListType {
    Scheduled,
    Upcoming,
}

impl ListType {
    fn parse(raw: Option<&str>) -> Result<Self, ApiError> {
        match raw {
            None | Some("") | Some("scheduled") => Ok(Self::Scheduled),
            Some("upcoming") => Ok(Self::Upcoming),
            Some(_) => Err(ApiError::invalid_param("type")),
        }
    }

    fn includes(self, m: &Meeting, now: chrono::DateTime<chrono::Utc>) -> bool {
        if !m.is_webinar() || m.in_bin() || m.is_expired(now) {
            return false;
        }
        match self {
            Self::Scheduled => true,
            Self::Upcoming => m.is_upcoming(now),
        }
    }
}

pub async fn list(sim: web::Data<Sim>, req: HttpRequest, user_id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let caller = sim.authorize(&req, &LIST_WEBINARS)?;
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
    let query = PageQuery::Webinars { user_id: user.id.clone(), list_type: format!("{list_type:?}") };
    let page = world.pages.page(query, matching, &paging, now)?;
    let webinars: Vec<_> = page.items.iter().map(|m| shapes::meeting_summary(world, m)).collect();
    Ok(HttpResponse::Ok().json(json!({
        "next_page_token": page.next_page_token,
        "page_count": page.page_count,
        "page_number": page.page_number,
        "page_size": page.page_size,
        "total_records": page.total_records,
        "webinars": webinars,
    })))
}

/// `GET /v2/webinars/{webinarId}`: a webinar the grant can see (the host's own, or one of the
/// host's account), in the meeting object's shape; a meeting's ID is not a webinar (3001).
pub async fn get(
    sim: web::Data<Sim>,
    req: HttpRequest,
    webinar_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = sim.authorize(&req, &GET_WEBINAR)?;
    let now = sim.now();
    let world = sim.world.lock();
    let (webinar, host) = access::webinar(&world, &caller, &webinar_id, now)?;
    Ok(HttpResponse::Ok().json(shapes::meeting(&world, &MeetingRef::Scheduled(webinar), host, now)))
}
