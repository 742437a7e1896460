//! Route table of the control API. Handlers are thin: parse, one world call, render.

mod accounts;
mod apps;
mod meetings;
mod oauth;
mod observe;
mod users;

use actix_web::{HttpResponse, web};
use serde::Serialize;

use crate::errors::ControlError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/_sim")
            .route("/accounts", web::post().to(accounts::create))
            .route("/accounts/{id}", web::get().to(accounts::get))
            .route("/accounts/{id}", web::patch().to(accounts::update))
            .route("/users", web::post().to(users::create))
            .route("/users/{id}", web::get().to(users::get))
            .route("/users/{id}", web::patch().to(users::update))
            .route("/users/{id}", web::delete().to(users::delete))
            .route("/users/{id}/disassociate", web::post().to(users::disassociate))
            .route("/apps", web::post().to(apps::create))
            .route("/apps/{client_id}", web::get().to(apps::get))
            .route("/apps/{client_id}", web::patch().to(apps::update))
            .route("/apps/{client_id}", web::delete().to(apps::delete))
            .route("/apps/{client_id}/validate", web::post().to(apps::validate))
            .route("/apps/{client_id}/authorizer", web::put().to(apps::set_authorizer))
            .route("/apps/{client_id}/authorizer", web::delete().to(apps::clear_authorizer))
            .route("/oauth/codes", web::post().to(oauth::create_code))
            .route("/grants", web::get().to(oauth::list_grants))
            .route("/grants/{id}/revoke", web::post().to(oauth::revoke_grant))
            .route("/grants/{id}/app-deauthorized", web::post().to(oauth::send_app_deauthorized))
            .route("/refresh-tokens/check", web::post().to(oauth::check_refresh_token))
            .route("/meetings", web::post().to(meetings::create))
            .route("/meetings/{id}", web::get().to(meetings::get))
            .route("/meetings/{id}", web::patch().to(meetings::update))
            .route("/meetings/{id}", web::delete().to(meetings::delete))
            .route("/meetings/{id}/recover", web::post().to(meetings::recover))
            .route("/webinars", web::post().to(meetings::create_webinar))
            .route("/webinars/{id}", web::get().to(meetings::get_webinar))
            .route("/webinars/{id}", web::patch().to(meetings::update_webinar))
            .route("/webinars/{id}", web::delete().to(meetings::delete_webinar))
            .route("/webinars/{id}/recover", web::post().to(meetings::recover_webinar))
            .route("/bulk", web::post().to(meetings::bulk))
            .route("/clock", web::get().to(observe::clock))
            .route("/clock/advance", web::post().to(observe::advance_clock))
            .route("/rate-limits", web::get().to(observe::rate_limits))
            .route("/rate-limits", web::put().to(observe::set_rate_limits))
            .route("/daily-limits", web::get().to(observe::daily_limits))
            .route("/daily-limits", web::delete().to(observe::reset_daily_limits))
            .route("/daily-limits/{plan}/{category}", web::put().to(observe::set_daily_limit))
            .route("/settings", web::get().to(observe::settings))
            .route("/settings", web::patch().to(observe::update_settings))
            .route("/faults", web::post().to(observe::add_fault))
            .route("/faults", web::get().to(observe::list_faults))
            .route("/faults", web::delete().to(observe::clear_faults))
            .route("/tokens/{token}", web::get().to(observe::token))
            .route("/tokens/{token}/use", web::post().to(observe::use_token))
            .route("/counters", web::get().to(observe::counters))
            .route("/counters/reset", web::post().to(observe::reset_counters))
            .route("/deliveries", web::get().to(observe::deliveries))
            .route("/deliveries/{id}/redeliver", web::post().to(observe::redeliver))
            .default_service(web::to(not_found)),
    );
}

async fn not_found() -> Reply {
    Err(ControlError::not_found("no such control endpoint"))
}

type Reply = Result<HttpResponse, ControlError>;

fn ok<T: Serialize>(body: T) -> Reply {
    Ok(HttpResponse::Ok().json(body))
}

fn created<T: Serialize>(body: T) -> Reply {
    Ok(HttpResponse::Created().json(body))
}
