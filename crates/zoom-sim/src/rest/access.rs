//! Who may see what (DESIGN.md "Who may see what"): a user-level grant acts as its user only
//! (`me`, their own meetings); account-level and server-to-server grants see their account.

use chrono::{DateTime, Utc};

use crate::control::types::GrantKind;
use crate::errors::ApiError;
use crate::state::{Caller, Meeting, MeetingRef, User, World};

/// Resolves `{userId}` (`me`, an id or an email) for this caller.
pub fn user<'w>(world: &'w World, caller: &Caller, param: &str) -> Result<&'w User, ApiError> {
    if caller.is_user_level() && param != "me" {
        return Err(ApiError::not_me());
    }
    if param == "me" {
        let me = match caller.kind {
            GrantKind::ServerToServer => world.accounts.get(caller.account_id()).and_then(|a| a.owner.as_deref()),
            _ => caller.user_id(),
        };
        return me.and_then(|id| world.users.get(id)).ok_or_else(|| ApiError::user_not_found("me"));
    }
    world
        .find_user(param)
        .filter(|u| u.account_id == caller.account_id())
        .ok_or_else(|| ApiError::user_not_found(param))
}

/// A meeting number from a path: digits only, at most 19 of them.
pub fn meeting_number(param: &str) -> Result<u64, ApiError> {
    if param.is_empty() || param.len() > 19 || !param.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::invalid_meeting_id());
    }
    param.parse().map_err(|_| ApiError::invalid_meeting_id())
}

/// Resolves `{meetingId}` (a meeting, a webinar or a PMI) and its host, whoever hosts it: an
/// OBF token is minted for a meeting or webinar outside the user's account (docs/zoom.md §3.8),
/// Zoom checks at join time that the user is in it.
pub fn any_meeting<'w>(
    world: &'w World,
    param: &str,
    now: DateTime<Utc>,
) -> Result<(u64, MeetingRef<'w>, &'w User), ApiError> {
    let number = meeting_number(param)?;
    let not_found = || ApiError::meeting_not_found(param);
    let found = world.resolve_meeting(number).ok_or_else(not_found)?;
    let host = match &found {
        MeetingRef::Scheduled(m) => {
            if m.is_expired(now) {
                return Err(not_found());
            }
            world.users.get(&m.host_id).ok_or_else(not_found)?
        }
        MeetingRef::Pmi(u) => *u,
    };
    Ok((number, found, host))
}

/// Whether `caller` may see what `host` hosts: their own user-level grant, or a grant of their
/// account.
fn sees(caller: &Caller, host: &User) -> bool {
    if caller.is_user_level() {
        caller.user_id() == Some(host.id.as_str())
    } else {
        host.account_id == caller.account_id()
    }
}

/// Resolves `{meetingId}` (a meeting or a PMI) and its host, if this caller may see it and the
/// meeting id has not expired (docs/zoom.md §5). A webinar's id is refused with 3000, whoever
/// asks (docs/zoom.md §3.7): the meeting endpoints do not serve webinars.
pub fn meeting<'w>(
    world: &'w World,
    caller: &Caller,
    param: &str,
    now: DateTime<Utc>,
) -> Result<(u64, MeetingRef<'w>, &'w User), ApiError> {
    let (number, found, host) = any_meeting(world, param, now)?;
    if matches!(found, MeetingRef::Scheduled(m) if m.is_webinar()) {
        return Err(ApiError::webinar_on_meeting_endpoint());
    }
    if sees(caller, host) { Ok((number, found, host)) } else { Err(ApiError::meeting_not_found(param)) }
}

/// Resolves `{webinarId}` and its host, if it is a webinar this caller may see, outside the bin
/// and unexpired; anything else (a meeting, a PMI) is `404 {code:3001}`.
pub fn webinar<'w>(
    world: &'w World,
    caller: &Caller,
    param: &str,
    now: DateTime<Utc>,
) -> Result<(&'w Meeting, &'w User), ApiError> {
    let number = meeting_number(param).map_err(|_| ApiError::invalid_webinar_id())?;
    let not_found = || ApiError::webinar_not_found(param);
    let webinar = world
        .meetings
        .get(&number)
        .filter(|m| m.is_webinar() && !m.in_bin() && !m.is_expired(now))
        .ok_or_else(not_found)?;
    let host = world.users.get(&webinar.host_id).ok_or_else(not_found)?;
    if sees(caller, host) { Ok((webinar, host)) } else { Err(not_found()) }
}
