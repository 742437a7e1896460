//! `GET /v2/users/me`, `/v2/users/{userId}`, `/v2/users`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::{GET_USER, LIST_USERS, access, page_request, shapes};
use crate::control::types::UserStatus;
use crate::errors::ApiError;
use crate::http::query_map;
use crate::sim::Sim;
use crate::state::{PageQuery, User};

pub async fn get_me(sim: web::Data<Sim>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    show(&sim, &req, "me")
}

pub async fn get(sim: web::Data<Sim>, req: HttpRequest, user_id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    show(&sim, &req, &user_id)
}

fn show(sim: &Sim, req: &HttpRequest, user_id: &str) -> Result<HttpResponse, ApiError> {
    let caller = sim.authorize(req, &GET_USER)?;
    let world = sim.world.lock();
    let user = access::user(&world, &caller, user_id)?;
    Ok(HttpResponse::Ok().json(shapes::user(&world, user)))
}

pub async fn list(sim: web::Data<Sim>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let caller = sim.authorize(&req, &LIST_USERS)?;
    let query = query_map(&req);
    let status = match query.get("status").map(String::as_str) {
        None | Some("") | Some("active") => UserStatus::Active,
        Some("inactive") => UserStatus::Inactive,
        Some("pending") => UserStatus::Pending,
        Some(_) => return Err(ApiError::invalid_param("status")),
    };
    let paging = page_request(&query)?;
    let now = sim.now();
    let mut guard = sim.world.lock();
    let world = &mut *guard;
    let matching: Vec<(u64, &User)> = world
        .accounts
        .get(caller.account_id())
        .into_iter()
        .flat_map(|a| a.users.iter())
        .filter_map(|(seq, id)| world.users.get(id).map(|u| (*seq, u)))
        .filter(|(_, u)| u.status == status)
        .collect();
    let query = PageQuery::Users { account_id: caller.account_id().to_owned(), status: format!("{status:?}") };
    let page = world.pages.page(query, matching, &paging, now)?;
    let users: Vec<_> = page.items.iter().map(|u| shapes::user_summary(u)).collect();
    Ok(HttpResponse::Ok().json(json!({
        "next_page_token": page.next_page_token,
        "page_count": page.page_count,
        "page_number": page.page_number,
        "page_size": page.page_size,
        "total_records": page.total_records,
        "users": users,
    })))
}
