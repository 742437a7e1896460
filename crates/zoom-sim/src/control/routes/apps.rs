//! `/_sim/apps`. Setting or changing a webhook URL runs `endpoint.url_validation` first, without
//! holding the world lock, and refuses the change when it fails.

use actix_web::{HttpResponse, web};

use super::{Reply, created, ok};
use crate::control::types::{AppPatch, Authorizer, NewApp};
use crate::errors::ControlError;
use crate::http::json_body;
use crate::sim::Sim;

async fn require_valid(sim: &Sim, url: &str, secret: &str) -> Result<(), ControlError> {
    let result = sim.webhooks.validate(url.to_owned(), secret.to_owned()).await;
    if result.ok {
        Ok(())
    } else {
        Err(ControlError::bad_request(format!("endpoint.url_validation failed: {}", result.detail)))
    }
}

pub async fn create(sim: web::Data<Sim>, body: web::Bytes) -> Reply {
    let req: NewApp = json_body(&body)?;
    let client_id = sim.world.lock().check_new_app(&req)?;
    if let Some(hook) = &req.webhook {
        require_valid(&sim, &hook.url, &hook.secret_token).await?;
    }
    created(sim.mutate(|w, now| w.create_app(client_id, req, now).map(|a| a.view()))?)
}

pub async fn get(sim: web::Data<Sim>, client_id: web::Path<String>) -> Reply {
    ok(sim.world.lock().app(&client_id)?.view())
}

pub async fn update(sim: web::Data<Sim>, client_id: web::Path<String>, body: web::Bytes) -> Reply {
    let patch: AppPatch = json_body(&body)?;
    let (webhook, must_validate) = sim.world.lock().plan_app_patch(&client_id, &patch)?;
    if let (Some(hook), true) = (&webhook, must_validate) {
        require_valid(&sim, &hook.url, &hook.secret_token).await?;
    }
    ok(sim.mutate(|w, _| w.apply_app_patch(&client_id, patch, webhook).map(|a| a.view()))?)
}

pub async fn delete(sim: web::Data<Sim>, client_id: web::Path<String>) -> Reply {
    sim.mutate(|w, _| w.delete_app(&client_id))?;
    Ok(HttpResponse::NoContent().finish())
}

/// Runs `endpoint.url_validation` against the app's current subscription.
pub async fn validate(sim: web::Data<Sim>, client_id: web::Path<String>) -> Reply {
    let hook = sim.world.lock().app(&client_id)?.webhook.clone();
    let hook = hook.ok_or_else(|| ControlError::bad_request("the app has no webhook subscription"))?;
    ok(sim.webhooks.validate(hook.url, hook.secret_token).await)
}

pub async fn set_authorizer(sim: web::Data<Sim>, client_id: web::Path<String>, body: web::Bytes) -> Reply {
    let req: Authorizer = json_body(&body)?;
    ok(sim.mutate(|w, _| w.set_authorizer(&client_id, Some(req.user_id)).map(|a| a.view()))?)
}

pub async fn clear_authorizer(sim: web::Data<Sim>, client_id: web::Path<String>) -> Reply {
    ok(sim.mutate(|w, _| w.set_authorizer(&client_id, None).map(|a| a.view()))?)
}
