//! `GET /v2/users/{userId}/webinars` (docs/zoom.md §3.7): a user's webinars, paged like their
//! meetings.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::{LIST_WEBINARS, access, page_request, shapes};
use crate::errors::ApiError;
use crate::http::query_map;
use crate::sim::Sim;
use crate::state::{Meeting, PageQuery};

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
