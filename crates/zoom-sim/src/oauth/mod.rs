//! The OAuth endpoints under `/oauth` (docs/zoom.md §2): the browser-facing authorize page, the token
//! endpoint and revocation. They are never rate limited.

mod authorize;
mod token;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/oauth/authorize", web::get().to(authorize::authorize))
        .route("/oauth/authorize/consent", web::post().to(authorize::consent))
        .route("/oauth/token", web::post().to(token::token))
        .route("/oauth/revoke", web::post().to(token::revoke));
}
