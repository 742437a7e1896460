//! HTTP routes. Handlers are thin: extract, authenticate, call one service, respond.
//! Every path here is fixed by CONTRACT.md; admin paths answer with and without the trailing
//! slash.

mod apps;
mod auth;
mod extractors;
mod health;

use actix_web::{HttpResponse, web};

pub use auth::Admin;

use crate::error::ErrorBody;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(extractors::configure)
        .service(web::resource("/healthz").get(health::healthz))
        .service(web::resource("/readyz").get(health::readyz))
        .service(
            web::resource(["/api/v2/zoom-oauth-apps/", "/api/v2/zoom-oauth-apps"]).get(apps::list).post(apps::create),
        )
        .service(
            web::resource(["/api/v2/zoom-oauth-apps/{id}/", "/api/v2/zoom-oauth-apps/{id}"])
                .get(apps::get)
                .patch(apps::update)
                .delete(apps::delete),
        )
        .default_service(web::to(not_found));
}

async fn not_found() -> HttpResponse {
    HttpResponse::NotFound().json(ErrorBody { error: "not_found", detail: "no such endpoint" })
}
