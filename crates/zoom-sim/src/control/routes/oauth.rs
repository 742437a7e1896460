//! `/_sim/oauth/codes` and `/_sim/grants`.

use actix_web::{HttpRequest, web};

use super::{Reply, created, ok};
use crate::control::types::{AppDeauthorized, CheckRefreshToken, Code, NewCode, RevokeGrant};
use crate::http::{json_body, query_map};
use crate::sim::Sim;
use crate::state::CodeRequest;

/// Issues the code `/oauth/authorize` would, without a browser.
pub async fn create_code(sim: web::Data<Sim>, body: web::Bytes) -> Reply {
    let req: NewCode = json_body(&body)?;
    let code = sim.mutate(|w, now| {
        let req = CodeRequest {
            client_id: &req.client_id,
            user_id: &req.user_id,
            redirect_uri: &req.redirect_uri,
            code_challenge: req.code_challenge.as_deref(),
            code_challenge_method: req.code_challenge_method.as_deref(),
        };
        w.issue_code(req, now)
    })?;
    created(Code { code })
}

pub async fn list_grants(sim: web::Data<Sim>, req: HttpRequest) -> Reply {
    let query = query_map(&req);
    let filter = |k: &str| query.get(k).map(String::as_str).filter(|v| !v.is_empty());
    ok(sim.world.lock().grants_view(filter("client_id"), filter("user_id")))
}

pub async fn revoke_grant(sim: web::Data<Sim>, id: web::Path<String>, body: web::Bytes) -> Reply {
    let req: RevokeGrant = json_body(&body)?;
    ok(sim.mutate(|w, _| w.revoke_grant(&id, &req))?)
}

/// Sends `app_deauthorized` for a grant (again, or late) without changing it.
pub async fn send_app_deauthorized(sim: web::Data<Sim>, id: web::Path<String>, body: web::Bytes) -> Reply {
    let req: AppDeauthorized = json_body(&body)?;
    ok(sim.mutate(|w, _| w.send_app_deauthorized(&id, &req))?)
}

/// Tells whether a refresh token is still current, without using it up.
pub async fn check_refresh_token(sim: web::Data<Sim>, body: web::Bytes) -> Reply {
    let req: CheckRefreshToken = json_body(&body)?;
    ok(sim.world.lock().check_refresh_token(&req.refresh_token))
}
