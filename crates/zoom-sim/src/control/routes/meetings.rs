//! `/_sim/meetings` and `/_sim/bulk`.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::TimeDelta;

use super::{Reply, created, ok};
use crate::control::types::{Bulk, BulkResult, BulkUser, MeetingPatch, NewMeeting, NewUser};
use crate::errors::ControlError;
use crate::http::{json_body, query_map};
use crate::sim::Sim;

/// Keeps one bulk call to a size that cannot exhaust memory.
const MAX_BULK_USERS: u32 = 100_000;
const MAX_BULK_MEETINGS: u64 = 1_000_000;

fn meeting_id(raw: &str) -> Result<u64, ControlError> {
    raw.parse().map_err(|_| ControlError::bad_request(format!("meeting id {raw:?} is not a number")))
}

pub async fn create(sim: web::Data<Sim>, body: web::Bytes) -> Reply {
    let req: NewMeeting = json_body(&body)?;
    created(sim.mutate(|w, now| {
        let id = w.create_meeting(req, now, true)?.id;
        w.meeting_view(id)
    })?)
}

pub async fn get(sim: web::Data<Sim>, id: web::Path<String>) -> Reply {
    let id = meeting_id(&id)?;
    ok(sim.world.lock().meeting_view(id)?)
}

pub async fn update(sim: web::Data<Sim>, id: web::Path<String>, body: web::Bytes) -> Reply {
    let id = meeting_id(&id)?;
    let patch: MeetingPatch = json_body(&body)?;
    ok(sim.mutate(|w, _| {
        w.update_meeting(id, patch)?;
        w.meeting_view(id)
    })?)
}

pub async fn delete(sim: web::Data<Sim>, req: HttpRequest, id: web::Path<String>) -> Reply {
    let id = meeting_id(&id)?;
    let occurrence = query_map(&req).remove("occurrence_id").filter(|o| !o.is_empty());
    sim.mutate(|w, _| w.delete_meeting(id, occurrence.as_deref()))?;
    Ok(HttpResponse::NoContent().finish())
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
