//! The REST API under `/v2` (docs/zoom.md §3): users, meetings, webinars, and the token endpoints
//! bots need.
//! Each handler authorizes through [`Sim::authorize`](crate::sim::Sim::authorize), resolves what
//! the grant may see ([`access`]), and renders Zoom's shapes ([`shapes`]).

mod access;
mod meetings;
mod shapes;
mod tokens;
mod users;
mod webinars;

use std::collections::HashMap;

use actix_web::web;

use crate::errors::ApiError;
use crate::ratelimit::Category;
use crate::state::{Caller, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/v2")
            // Fixed paths first so they are counted under their own names.
            .route("/users/me", web::get().to(users::get_me))
            .route("/users/me/zak", web::get().to(tokens::zak))
            .route("/users", web::get().to(users::list))
            .route("/users/{userId}", web::get().to(users::get))
            .route("/users/{userId}/meetings", web::get().to(meetings::list))
            .route("/users/{userId}/token", web::get().to(tokens::user_token))
            .route("/meetings/{meetingId}", web::get().to(meetings::get))
            .route("/meetings/{meetingId}/jointoken/local_recording", web::get().to(tokens::join_token))
            .route("/users/{userId}/webinars", web::get().to(webinars::list))
            .route("/webinars/{webinarId}", web::get().to(webinars::get))
            .route("/webinars/{webinarId}/jointoken/local_recording", web::get().to(tokens::webinar_join_token))
            .default_service(web::to(not_found)),
    );
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(actix_web::http::StatusCode::NOT_FOUND, 404, "The requested resource was not found."))
}

/// An endpoint's rate category and scopes: the granular user-level scope, its `:admin` variant
/// and the classic scopes Zoom still accepts (docs/zoom.md §3.2 table).
pub struct Endpoint {
    pub category: Category,
    scope: &'static str,
    admin_scope: &'static str,
    classic: &'static [&'static str],
    classic_admin: &'static [&'static str],
    /// Not available to user-level grants at all (`GET /users`).
    admin_only: bool,
}

impl Endpoint {
    /// 4711 naming the scope the grant's kind needs, when it has neither that nor a classic one.
    pub fn check_scopes(&self, caller: &Caller) -> Result<(), ApiError> {
        let (needed, classic) = if caller.is_user_level() {
            if self.admin_only {
                return Err(ApiError::missing_scope(self.admin_scope));
            }
            (self.scope, self.classic)
        } else {
            (self.admin_scope, self.classic_admin)
        };
        let granted = caller.scopes.iter().any(|s| s == needed || classic.contains(&s.as_str()));
        if granted { Ok(()) } else { Err(ApiError::missing_scope(needed)) }
    }
}

pub const GET_USER: Endpoint = Endpoint {
    category: Category::Light,
    scope: "user:read:user",
    admin_scope: "user:read:user:admin",
    classic: &["user:read", "user_profile", "user_info:read"],
    classic_admin: &["user:read:admin"],
    admin_only: false,
};

pub const LIST_USERS: Endpoint = Endpoint {
    category: Category::Medium,
    scope: "user:read:list_users:admin",
    admin_scope: "user:read:list_users:admin",
    classic: &[],
    classic_admin: &["user:read:admin"],
    admin_only: true,
};

pub const LIST_MEETINGS: Endpoint = Endpoint {
    category: Category::Medium,
    scope: "meeting:read:list_meetings",
    admin_scope: "meeting:read:list_meetings:admin",
    classic: &["meeting:read"],
    classic_admin: &["meeting:read:admin"],
    admin_only: false,
};

pub const GET_MEETING: Endpoint = Endpoint {
    category: Category::Light,
    scope: "meeting:read:meeting",
    admin_scope: "meeting:read:meeting:admin",
    classic: &["meeting:read"],
    classic_admin: &["meeting:read:admin"],
    admin_only: false,
};

pub const JOIN_TOKEN: Endpoint = Endpoint {
    category: Category::Light,
    scope: "meeting:read:local_recording_token",
    admin_scope: "meeting:read:local_recording_token:admin",
    classic: &["meeting_token:read:local_recording"],
    classic_admin: &["meeting_token:read:admin:local_recording"],
    admin_only: false,
};

pub const LIST_WEBINARS: Endpoint = Endpoint {
    category: Category::Medium,
    scope: "webinar:read:list_webinars",
    admin_scope: "webinar:read:list_webinars:admin",
    classic: &["webinar:read"],
    classic_admin: &["webinar:read:admin"],
    admin_only: false,
};

pub const GET_WEBINAR: Endpoint = Endpoint {
    category: Category::Light,
    scope: "webinar:read:webinar",
    admin_scope: "webinar:read:webinar:admin",
    classic: &["webinar:read"],
    classic_admin: &["webinar:read:admin"],
    admin_only: false,
};

pub const WEBINAR_JOIN_TOKEN: Endpoint = Endpoint {
    category: Category::Light,
    scope: "webinar:read:local_recording_token",
    admin_scope: "webinar:read:local_recording_token:admin",
    classic: &["webinar_token:read:local_recording"],
    classic_admin: &["webinar_token:read:admin:local_recording"],
    admin_only: false,
};

pub const USER_TOKEN: Endpoint = Endpoint {
    category: Category::Light,
    scope: "user:read:token",
    admin_scope: "user:read:token:admin",
    classic: &["user:read", "user:write", "user_profile"],
    classic_admin: &["user:read:admin", "user:write:admin"],
    admin_only: false,
};

pub const ZAK: Endpoint = Endpoint {
    category: Category::Light,
    scope: "user:read:zak",
    admin_scope: "user:read:zak:admin",
    classic: &["user_zak:read"],
    classic_admin: &["user_zak:read"],
    admin_only: false,
};

/// `page_size` (default 30, larger than 300 clamped) and `next_page_token`.
fn page_request(query: &HashMap<String, String>) -> Result<PageRequest, ApiError> {
    let page_size = match query.get("page_size").map(String::as_str) {
        None | Some("") => DEFAULT_PAGE_SIZE,
        Some(raw) => match raw.parse::<u64>() {
            Ok(0) => DEFAULT_PAGE_SIZE,
            Ok(n) => u32::try_from(n.min(u64::from(MAX_PAGE_SIZE))).unwrap_or(MAX_PAGE_SIZE),
            Err(_) => return Err(ApiError::invalid_param("page_size")),
        },
    };
    Ok(PageRequest { page_size, next_page_token: query.get("next_page_token").cloned() })
}
