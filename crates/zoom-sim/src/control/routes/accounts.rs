//! `/_sim/accounts`.

use actix_web::web;

use super::{Reply, created, ok};
use crate::control::types::{AccountPatch, NewAccount};
use crate::errors::ControlError;
use crate::http::json_body;
use crate::sim::Sim;

pub async fn create(sim: web::Data<Sim>, body: web::Bytes) -> Reply {
    let req: NewAccount = json_body(&body)?;
    created(sim.mutate(|w, now| w.create_account(req, now).map(|a| a.view()))?)
}

pub async fn get(sim: web::Data<Sim>, id: web::Path<String>) -> Reply {
    ok(sim.world.lock().account(&id)?.view())
}

pub async fn update(sim: web::Data<Sim>, id: web::Path<String>, body: web::Bytes) -> Reply {
    let req: AccountPatch = json_body(&body)?;
    let plan = req.plan.ok_or_else(|| ControlError::bad_request("give plan"))?;
    ok(sim.mutate(|w, _| w.set_plan(&id, plan).map(|a| a.view()))?)
}
