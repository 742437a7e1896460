//! Zoom's JSON shapes (docs/zoom.md §3). Fields the daemon reads are exact; the rest are plausible
//! values so that clients which deserialize strictly keep working.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::clock::zoom_time;
use crate::control::types::UserStatus;
use crate::state::{Meeting, MeetingRef, User, World};

fn status_name(status: UserStatus) -> &'static str {
    match status {
        UserStatus::Active => "active",
        UserStatus::Inactive => "inactive",
        UserStatus::Pending => "pending",
    }
}

/// `GET /users/{userId}`.
pub fn user(world: &World, u: &User) -> Value {
    let account_number = world.accounts.get(&u.account_id).map_or(0, |a| a.number);
    let mut v = json!({
        "id": u.id,
        "first_name": u.first_name,
        "last_name": u.last_name,
        "display_name": u.display_name(),
        "email": u.email,
        "type": u.user_type,
        "role_name": u.role_name(),
        "pmi": u.pmi,
        "use_pmi": false,
        "personal_meeting_url": u.personal_meeting_url(),
        "timezone": u.timezone,
        "verified": 1,
        "dept": "",
        "created_at": zoom_time(u.created_at),
        "user_created_at": zoom_time(u.created_at),
        "last_login_time": zoom_time(u.created_at),
        "last_client_version": "6.0.0.0 (mac)",
        "pic_url": "",
        "language": "en-US",
        "phone_number": "",
        "status": status_name(u.status),
        "role_id": u.role_id(),
        "account_id": u.account_id,
        "account_number": account_number,
        "cluster": "us05",
        "group_ids": [],
        "im_group_ids": [],
        "host_key": u.host_key,
        "jid": format!("{}@xmpp.zoom.us", u.id.to_ascii_lowercase()),
        "login_types": [100],
    });
    if let (Some(url), Some(map)) = (u.vanity_url(), v.as_object_mut()) {
        map.insert("vanity_url".to_owned(), json!(url));
    }
    v
}

/// An entry of `GET /users`.
pub fn user_summary(u: &User) -> Value {
    json!({
        "id": u.id,
        "first_name": u.first_name,
        "last_name": u.last_name,
        "display_name": u.display_name(),
        "email": u.email,
        "type": u.user_type,
        "pmi": u.pmi,
        "timezone": u.timezone,
        "verified": 1,
        "dept": "",
        "created_at": zoom_time(u.created_at),
        "user_created_at": zoom_time(u.created_at),
        "last_login_time": zoom_time(u.created_at),
        "last_client_version": "6.0.0.0 (mac)",
        "language": "en-US",
        "status": status_name(u.status),
        "role_id": u.role_id(),
        "group_ids": [],
        "host_key": u.host_key,
    })
}

/// An entry of `GET /users/{userId}/meetings`.
pub fn meeting_summary(world: &World, m: &Meeting) -> Value {
    let mut v = Map::new();
    v.insert("uuid".into(), json!(m.uuid));
    v.insert("id".into(), json!(m.id));
    v.insert("host_id".into(), json!(m.host_id));
    v.insert("topic".into(), json!(m.topic));
    v.insert("type".into(), json!(m.kind));
    if let Some(start) = m.start_time {
        v.insert("start_time".into(), json!(zoom_time(start)));
    }
    v.insert("duration".into(), json!(m.duration));
    v.insert("timezone".into(), json!(m.timezone));
    v.insert("created_at".into(), json!(zoom_time(m.created_at)));
    v.insert("join_url".into(), json!(m.join_url(world)));
    v.insert("agenda".into(), json!(""));
    if let Some(pmi) = m.pmi(world) {
        v.insert("pmi".into(), json!(pmi));
    }
    Value::Object(v)
}

fn settings(use_pmi: bool) -> Value {
    json!({
        "host_video": false,
        "participant_video": false,
        "join_before_host": false,
        "jbh_time": 0,
        "mute_upon_entry": false,
        "waiting_room": false,
        "use_pmi": use_pmi,
        "approval_type": 2,
        "audio": "voip",
        "auto_recording": "none",
        "alternative_hosts": "",
        "meeting_authentication": false,
        "local_recording": true,
    })
}

/// `GET /meetings/{meetingId}`.
pub fn meeting(world: &World, found: &MeetingRef<'_>, host: &User, now: DateTime<Utc>) -> Value {
    let start_url = |number: u64| format!("https://zoom.us/s/{number}?zak={}", crate::ids::opaque(40));
    match found {
        MeetingRef::Scheduled(m) => {
            let mut v = match meeting_summary(world, m) {
                Value::Object(map) => map,
                _ => Map::new(),
            };
            v.remove("agenda");
            v.insert("host_email".into(), json!(host.email));
            v.insert("assistant_id".into(), json!(""));
            v.insert("status".into(), json!(if m.is_live(now) { "started" } else { "waiting" }));
            v.insert("agenda".into(), json!(""));
            v.insert("start_url".into(), json!(start_url(m.id)));
            v.insert("password".into(), json!(m.password));
            v.insert("h323_password".into(), json!(m.password));
            v.insert("pstn_password".into(), json!(m.password));
            v.insert("encrypted_password".into(), json!(m.url_password));
            v.insert("settings".into(), settings(m.use_pmi));
            v.insert("pre_schedule".into(), json!(false));
            v.insert("creation_source".into(), json!("open_api"));
            if m.kind == 8 {
                v.insert("occurrences".into(), json!(m.occurrences_view()));
                let weekday = m.start_time.map_or(1, |s| {
                    use chrono::Datelike as _;
                    s.weekday().number_from_sunday()
                });
                v.insert(
                    "recurrence".into(),
                    json!({"type": 2, "repeat_interval": 1, "weekly_days": weekday.to_string(),
                           "end_times": m.occurrences.len()}),
                );
            }
            Value::Object(v)
        }
        MeetingRef::Pmi(u) => json!({
            "uuid": u.pmi_uuid,
            "id": u.pmi,
            "host_id": u.id,
            "host_email": u.email,
            "assistant_id": "",
            "topic": format!("{}'s Personal Meeting Room", u.display_name()),
            "type": 4,
            "status": "waiting",
            "timezone": u.timezone,
            "agenda": "",
            "created_at": zoom_time(u.created_at),
            "start_url": start_url(u.pmi),
            "join_url": u.personal_meeting_url(),
            "password": "",
            "settings": settings(true),
            "pre_schedule": false,
            "creation_source": "other",
        }),
    }
}
