//! `/_sim/users`.

use actix_web::{HttpResponse, web};

use super::{Reply, created, ok};
use crate::control::types::{Disassociate, NewUser, UserPatch};
use crate::http::json_body;
use crate::sim::Sim;

pub async fn create(sim: web::Data<Sim>, body: web::Bytes) -> Reply {
    let req: NewUser = json_body(&body)?;
    created(sim.mutate(|w, now| w.create_user(req, now).map(|u| u.view()))?)
}

pub async fn get(sim: web::Data<Sim>, id: web::Path<String>) -> Reply {
    ok(sim.world.lock().user(&id)?.view())
}

pub async fn update(sim: web::Data<Sim>, id: web::Path<String>, body: web::Bytes) -> Reply {
    let patch: UserPatch = json_body(&body)?;
    ok(sim.mutate(|w, _| w.update_user(&id, patch).map(|u| u.view()))?)
}

pub async fn delete(sim: web::Data<Sim>, id: web::Path<String>) -> Reply {
    sim.mutate(|w, _| w.delete_user(&id))?;
    Ok(HttpResponse::NoContent().finish())
}

/// The user leaves their account (`user.disassociated`), for a new one of their own or the
/// account named.
pub async fn disassociate(sim: web::Data<Sim>, id: web::Path<String>, body: web::Bytes) -> Reply {
    let req: Disassociate = json_body(&body)?;
    ok(sim.mutate(|w, now| w.disassociate_user(&id, req, now).map(|u| u.view()))?)
}
