//! `/_sim/meetings`, `/_sim/webinars` and `/_sim/bulk`.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::TimeDelta;

use super::{Reply, created, ok};
use crate::control::types::{Bulk, BulkResult, BulkUser, MeetingPatch, NewMeeting, NewUser, NewWebinar};
use crate::errors::ControlError;
use crate::http::{json_body, query_map};
use crate::sim::Sim;
use crate::state::{Family, World};

/// Keeps one bulk call to a size that cannot exhaust memory.
const MAX_BULK_USERS: u32 = 100_000;
const MAX_BULK_MEETINGS: u64 = 1_000_000;

fn meeting_id(raw: &str) -> Result<u64, ControlError> {
    raw.parse().map_err(|_| ControlError::bad_request(format!("id {raw:?} is not a number")))
}

/// The control view of a meeting or webinar.
fn view(world: &World, family: Family, id: u64) -> Result<serde_json::Value, ControlError> {
    let value = match family {
        Family::Meeting => serde_json::to_value(world.meeting_view(id)?),
        Family::Webinar => serde_json::to_value(world.webinar_view(id)?),
    };
    value.map_err(|e| ControlError::bad_request(format!("cannot render {} {id}: {e}", family.noun())))
}

pub async fn create(sim: web::Data<Sim>, body: web::Bytes) -> Reply {
    let req: NewMeeting = json_body(&body)?;
    created(sim.mutate(|w, now| {
        let id = w.create_meeting(req, now, true)?.id;
        w.meeting_view(id)
    })?)
}

pub async fn create_webinar(sim: web::Data<Sim>, body: web::Bytes) -> Reply {
    let req: NewWebinar = json_body(&body)?;
    created(sim.mutate(|w, now| {
        let id = w.create_webinar(req, now)?.id;
        w.webinar_view(id)
    })?)
}

fn get_one(sim: &Sim, family: Family, id: &str) -> Reply {
    let id = meeting_id(id)?;
    ok(view(&sim.world.lock(), family, id)?)
}

fn update_one(sim: &Sim, family: Family, id: &str, body: &[u8]) -> Reply {
    let id = meeting_id(id)?;
    let patch: MeetingPatch = json_body(body)?;
    ok(sim.mutate(|w, _| {
        w.update_scheduled(family, id, patch)?;
        view(w, family, id)
    })?)
}

/// `DELETE`: to the bin (`{family}.deleted`), one occurrence (`?occurrence_id=`), or out of
/// the bin for good (`?permanent=true`, `{family}.permanently_deleted`).
fn delete_one(sim: &Sim, family: Family, req: &HttpRequest, id: &str) -> Reply {
    let id = meeting_id(id)?;
    let mut query = query_map(req);
    let occurrence = query.remove("occurrence_id").filter(|o| !o.is_empty());
    let permanent = match query.remove("permanent").as_deref() {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ControlError::bad_request("permanent must be true or false")),
    };
    sim.mutate(|w, now| match (permanent, occurrence) {
        (true, Some(_)) => Err(ControlError::bad_request("permanent and occurrence_id exclude each other")),
        (true, None) => w.permanently_delete(family, id),
        (false, occurrence) => w.delete_scheduled(family, id, occurrence.as_deref(), now),
    })?;
    Ok(HttpResponse::NoContent().finish())
}

fn recover_one(sim: &Sim, family: Family, id: &str) -> Reply {
    let id = meeting_id(id)?;
    ok(sim.mutate(|w, _| {
        w.recover(family, id)?;
        view(w, family, id)
    })?)
}

pub async fn get(sim: web::Data<Sim>, id: web::Path<String>) -> Reply {
    get_one(&sim, Family::Meeting, &id)
}

pub async fn update(sim: web::Data<Sim>, id: web::Path<String>, body: web::Bytes) -> Reply {
    update_one(&sim, Family::Meeting, &id, &body)
}

pub async fn delete(sim: web::Data<Sim>, req: HttpRequest, id: web::Path<String>) -> Reply {
    delete_one(&sim, Family::Meeting, &req, &id)
}

pub async fn recover(sim: web::Data<Sim>, id: web::Path<String>) -> Reply {
    recover_one(&sim, Family::Meeting, &id)
}

pub async fn get_webinar(sim: web::Data<Sim>, id: web::Path<String>) -> Reply {
    get_one(&sim, Family::Webinar, &id)
}

pub async fn update_webinar(sim: web::Data<Sim>, id: web::Path<String>, body: web::Bytes) -> Reply {
    update_one(&sim, Family::Webinar, &id, &body)
}

pub async fn delete_webinar(sim: web::Data<Sim>, req: HttpRequest, id: web::Path<String>) -> Reply {
    delete_one(&sim, Family::Webinar, &req, &id)
}

pub async fn recover_webinar(sim: web::Data<Sim>, id: web::Path<String>) -> Reply {
    recover_one(&sim, Family::Webinar, &id)
}

/// Creates `users` users with `meetings_per_user` scheduled meetings each, in one call.
pub async fn bulk(sim: web::Data<Sim>, body: web::Bytes) -> Reply {
    let req: Bulk = json_body(&body)?;
    if req.users > MAX_BULK_USERS || u64::from(req.users) * u64::from(req.meetings_per_user) > MAX_BULK_MEETINGS {
        return Err(ControlError::bad_request(format!(
            "at most {MAX_BULK_USERS} users and {MAX_BULK_MEETINGS} meetings per call"
        )));
    }
    if req.role == Some(crate::control::types::Role::Owner) && req.users > 0 {
        return Err(ControlError::bad_request("an account has one owner; bulk users cannot be owners"));
    }
    let notify = req.notify.unwrap_or(false);
    let result = sim.mutate(|w, now| {
        w.account(&req.account_id)?;
        let mut users = Vec::with_capacity(req.users as usize);
        let mut meetings = Vec::with_capacity(req.users as usize * req.meetings_per_user as usize);
        for _ in 0..req.users {
            let new = NewUser {
                account_id: req.account_id.clone(),
                role: req.role,
                local_recording: req.local_recording,
                ..NewUser::default()
            };
            let user = w.create_user(new, now)?;
            let host_id = user.id.clone();
            users.push(BulkUser { id: user.id.clone(), email: user.email.clone(), pmi: user.pmi });
            for i in 0..req.meetings_per_user {
                // Spread over the coming days so listings see upcoming meetings.
                let start = now + TimeDelta::hours(i64::from(i) + 1);
                let new = NewMeeting {
                    host_id: host_id.clone(),
                    start_time: Some(crate::clock::zoom_time(start)),
                    ..NewMeeting::default()
                };
                meetings.push(w.create_meeting(new, now, notify)?.id);
            }
        }
        Ok::<_, ControlError>(BulkResult { users, meetings })
    })?;
    created(result)
}
