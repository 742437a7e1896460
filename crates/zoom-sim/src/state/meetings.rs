//! Meetings and webinars: scheduled (2; webinars 5), recurring (3, 8; webinars 6, 9) and instant
//! (1) ones, indexed by id and by host; personal meeting rooms (type 4) are derived from users'
//! PMIs. Webinars are separate objects for Zoom (their own events and endpoints, docs/zoom.md
//! §3.7) but share the meeting-number space and every rule of time, so one type holds both.
//!
//! Deleting moves a meeting to a recoverable bin (`deleted_at`): invisible to REST, still
//! holding its number, until it is recovered or permanently deleted.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use super::{User, World, parse_time};
use crate::clock::{wall_ms, zoom_time};
use crate::control::types::{self, MeetingPatch, NewMeeting, NewWebinar};
use crate::errors::ControlError;
use crate::ids;

/// One-time meeting ids expire 30 days after their date; recurring ones after 365 days without
/// an occurrence (docs/zoom.md §5).
const ONE_TIME_EXPIRY_DAYS: i64 = 30;
const RECURRING_EXPIRY_DAYS: i64 = 365;
const MAX_OCCURRENCES: u32 = 60;

/// Which of Zoom's two objects a [`Meeting`] is: it picks the event names and the error texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Meeting,
    Webinar,
}

/// What happened to a meeting or webinar, as its event names it.
#[derive(Clone, Copy)]
enum Change {
    Created,
    Updated,
    Deleted,
    Recovered,
    PermanentlyDeleted,
}

impl Family {
    fn event(self, change: Change) -> &'static str {
        match (self, change) {
            (Self::Meeting, Change::Created) => "meeting.created",
            (Self::Meeting, Change::Updated) => "meeting.updated",
            (Self::Meeting, Change::Deleted) => "meeting.deleted",
            (Self::Meeting, Change::Recovered) => "meeting.recovered",
            (Self::Meeting, Change::PermanentlyDeleted) => "meeting.permanently_deleted",
            (Self::Webinar, Change::Created) => "webinar.created",
            (Self::Webinar, Change::Updated) => "webinar.updated",
            (Self::Webinar, Change::Deleted) => "webinar.deleted",
            (Self::Webinar, Change::Recovered) => "webinar.recovered",
            (Self::Webinar, Change::PermanentlyDeleted) => "webinar.permanently_deleted",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Self::Meeting => "meeting",
            Self::Webinar => "webinar",
        }
    }

    /// The types the control API accepts, and the default.
    fn types(self) -> (&'static [u8], u8) {
        match self {
            Self::Meeting => (&[1, 2, 3, 8], 2),
            Self::Webinar => (&[5, 6, 9], 5),
        }
    }
}

pub struct Occurrence {
    pub id: String,
    pub start: DateTime<Utc>,
}

pub struct Meeting {
    pub id: u64,
    pub uuid: String,
    pub host_id: String,
    pub topic: String,
    pub kind: u8,
    pub start_time: Option<DateTime<Utc>>,
    /// Minutes.
    pub duration: u32,
    pub timezone: String,
    pub password: String,
    /// The `pwd` of the join URL.
    pub url_password: String,
    pub use_pmi: bool,
    pub occurrences: Vec<Occurrence>,
    pub created_at: DateTime<Utc>,
    pub seq: u64,
    /// Set while it sits in the recoverable bin (sim time).
    pub deleted_at: Option<DateTime<Utc>>,
}

/// A meeting as the REST API resolves an id: a meeting of its own, or a user's PMI room.
pub enum MeetingRef<'a> {
    Scheduled(&'a Meeting),
    Pmi(&'a User),
}

impl Meeting {
    pub fn family(&self) -> Family {
        if matches!(self.kind, 5 | 6 | 9) { Family::Webinar } else { Family::Meeting }
    }

    pub fn is_webinar(&self) -> bool {
        self.family() == Family::Webinar
    }

    pub fn in_bin(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// Recurring with a fixed time (meeting type 8, webinar type 9): it has occurrences.
    pub fn has_occurrences(&self) -> bool {
        matches!(self.kind, 8 | 9)
    }

    /// Recurring with no fixed time (meeting type 3, webinar type 6).
    fn has_no_time(&self) -> bool {
        matches!(self.kind, 3 | 6)
    }

    fn length(&self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.duration))
    }

    /// Start times of every instance (one for one-time meetings, none for type 3).
    fn instance_starts(&self) -> Vec<DateTime<Utc>> {
        if self.has_occurrences() {
            self.occurrences.iter().map(|o| o.start).collect()
        } else {
            self.start_time.into_iter().collect()
        }
    }

    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        let last_end = self.instance_starts().into_iter().max().map(|s| s + self.length());
        match (self.kind, last_end) {
            (1, Some(end)) => end <= now,
            (2 | 5, Some(end)) => end + TimeDelta::days(ONE_TIME_EXPIRY_DAYS) <= now,
            (8 | 9, Some(end)) => end + TimeDelta::days(RECURRING_EXPIRY_DAYS) <= now,
            _ => false,
        }
    }

    pub fn is_live(&self, now: DateTime<Utc>) -> bool {
        self.instance_starts().into_iter().any(|s| s <= now && now < s + self.length())
    }

    /// Upcoming includes live ones; type 3 (no fixed time) is always upcoming.
    pub fn is_upcoming(&self, now: DateTime<Utc>) -> bool {
        self.has_no_time() || self.instance_starts().into_iter().any(|s| now < s + self.length())
    }

    pub fn is_previous(&self, now: DateTime<Utc>) -> bool {
        self.instance_starts().into_iter().any(|s| s + self.length() <= now)
    }

    /// The host's current PMI when scheduled with it (a string, docs/zoom.md §5).
    pub fn pmi(&self, world: &World) -> Option<String> {
        self.use_pmi.then(|| world.users.get(&self.host_id).map(|u| u.pmi.to_string())).flatten()
    }

    pub fn join_url(&self, world: &World) -> String {
        let number = self.pmi(world).unwrap_or_else(|| self.id.to_string());
        format!("https://zoom.us/j/{number}?pwd={}", self.url_password)
    }

    pub fn account_id<'w>(&self, world: &'w World) -> &'w str {
        world.users.get(&self.host_id).map_or("", |u| u.account_id.as_str())
    }

    pub fn occurrences_view(&self) -> Vec<types::Occurrence> {
        self.occurrences
            .iter()
            .map(|o| types::Occurrence {
                occurrence_id: o.id.clone(),
                start_time: zoom_time(o.start),
                duration: self.duration,
                status: "available".to_owned(),
            })
            .collect()
    }

    pub fn view(&self, world: &World) -> types::Meeting {
        types::Meeting {
            id: self.id,
            uuid: self.uuid.clone(),
            host_id: self.host_id.clone(),
            account_id: self.account_id(world).to_owned(),
            topic: self.topic.clone(),
            meeting_type: self.kind,
            start_time: self.start_time.map(zoom_time),
            duration: self.duration,
            timezone: self.timezone.clone(),
            created_at: zoom_time(self.created_at),
            join_url: self.join_url(world),
            password: self.password.clone(),
            use_pmi: self.use_pmi,
            pmi: self.pmi(world),
            occurrences: self.occurrences_view(),
            deleted_at: self.deleted_at.map(zoom_time),
        }
    }

    pub fn webinar_view(&self, world: &World) -> types::Webinar {
        types::Webinar {
            id: self.id,
            uuid: self.uuid.clone(),
            host_id: self.host_id.clone(),
            account_id: self.account_id(world).to_owned(),
            topic: self.topic.clone(),
            webinar_type: self.kind,
            start_time: self.start_time.map(zoom_time),
            duration: self.duration,
            timezone: self.timezone.clone(),
            created_at: zoom_time(self.created_at),
            join_url: self.join_url(world),
            password: self.password.clone(),
            occurrences: self.occurrences_view(),
            deleted_at: self.deleted_at.map(zoom_time),
        }
    }

    /// The `object` of `meeting.created` and `meeting.recovered` (docs/zoom.md §1.5), and of
    /// their webinar twins.
    fn created_object(&self, world: &World) -> Value {
        let mut object = json!({
            "uuid": self.uuid,
            "id": self.id,
            "host_id": self.host_id,
            "topic": self.topic,
            "type": self.kind,
            "duration": self.duration,
            "timezone": self.timezone,
            "join_url": self.join_url(world),
            "password": self.password,
            "settings": {"use_pmi": self.use_pmi, "alternative_hosts": ""},
        });
        if let Some(map) = object.as_object_mut() {
            if let Some(start) = self.start_time {
                map.insert("start_time".to_owned(), json!(zoom_time(start)));
            }
            if let Some(pmi) = self.pmi(world) {
                map.insert("pmi".to_owned(), json!(pmi));
            }
            if !self.occurrences.is_empty() {
                map.insert("occurrences".to_owned(), json!(self.occurrences_view()));
            }
        }
        object
    }

    /// The `object` of `meeting.deleted` and `meeting.permanently_deleted`, and of their
    /// webinar twins.
    fn deleted_object(&self) -> Map<String, Value> {
        let mut object = Map::new();
        object.insert("uuid".to_owned(), json!(self.uuid));
        object.insert("id".to_owned(), json!(self.id));
        object.insert("host_id".to_owned(), json!(self.host_id));
        object.insert("type".to_owned(), json!(self.kind));
        object.insert("topic".to_owned(), json!(self.topic));
        if let Some(start) = self.start_time {
            object.insert("start_time".to_owned(), json!(zoom_time(start)));
        }
        object.insert("duration".to_owned(), json!(self.duration));
        object.insert("timezone".to_owned(), json!(self.timezone));
        object
    }
}

fn check_duration(duration: u32) -> Result<u32, ControlError> {
    if (1..=1440).contains(&duration) {
        Ok(duration)
    } else {
        Err(ControlError::bad_request("duration must be 1-1440 minutes"))
    }
}

fn check_topic(topic: &str) -> Result<(), ControlError> {
    if topic.chars().count() <= 200 {
        Ok(())
    } else {
        Err(ControlError::bad_request("topic is longer than 200 characters"))
    }
}

impl World {
    /// A meeting or webinar of `family`, in the bin or not (what the control API shows).
    pub fn scheduled(&self, family: Family, id: u64) -> Result<&Meeting, ControlError> {
        self.meetings
            .get(&id)
            .filter(|m| m.family() == family)
            .ok_or_else(|| ControlError::not_found(format!("no {} {id}", family.noun())))
    }

    pub fn meeting(&self, id: u64) -> Result<&Meeting, ControlError> {
        self.scheduled(Family::Meeting, id)
    }

    pub fn meeting_view(&self, id: u64) -> Result<types::Meeting, ControlError> {
        Ok(self.meeting(id)?.view(self))
    }

    pub fn webinar_view(&self, id: u64) -> Result<types::Webinar, ControlError> {
        Ok(self.scheduled(Family::Webinar, id)?.webinar_view(self))
    }

    /// A meeting or webinar that is not in the bin: only those can change.
    fn outside_bin(&self, family: Family, id: u64) -> Result<&Meeting, ControlError> {
        let m = self.scheduled(family, id)?;
        if m.in_bin() {
            return Err(ControlError::conflict(format!("{} {id} is deleted; recover it first", family.noun())));
        }
        Ok(m)
    }

    /// Resolves a number as the REST API does: a meeting or webinar outside the bin, else a
    /// user's PMI.
    pub fn resolve_meeting(&self, number: u64) -> Option<MeetingRef<'_>> {
        if let Some(m) = self.meetings.get(&number) {
            return (!m.in_bin()).then_some(MeetingRef::Scheduled(m));
        }
        let user = self.user_by_pmi.get(&number).and_then(|id| self.users.get(id))?;
        Some(MeetingRef::Pmi(user))
    }

    fn fresh_meeting_id(&self) -> u64 {
        loop {
            let id = ids::meeting_id();
            if !self.id_in_use(id) {
                return id;
            }
        }
    }

    /// Creates a meeting; `notify` fires `meeting.created`.
    pub fn create_meeting(
        &mut self,
        req: NewMeeting,
        now: DateTime<Utc>,
        notify: bool,
    ) -> Result<&Meeting, ControlError> {
        self.create_scheduled(Family::Meeting, req, now, notify)
    }

    /// Creates a webinar; fires `webinar.created`.
    pub fn create_webinar(&mut self, req: NewWebinar, now: DateTime<Utc>) -> Result<&Meeting, ControlError> {
        let req = NewMeeting {
            id: req.id,
            host_id: req.host_id,
            topic: req.topic,
            meeting_type: req.webinar_type,
            start_time: req.start_time,
            duration: req.duration,
            occurrences: req.occurrences,
            // Webinars cannot be held in a personal meeting room.
            use_pmi: None,
            timezone: req.timezone,
        };
        self.create_scheduled(Family::Webinar, req, now, true)
    }

    fn create_scheduled(
        &mut self,
        family: Family,
        req: NewMeeting,
        now: DateTime<Utc>,
        notify: bool,
    ) -> Result<&Meeting, ControlError> {
        let host = self.user(&req.host_id)?;
        let account_id = host.account_id.clone();
        let (allowed, default_type) = family.types();
        let kind = req.meeting_type.unwrap_or(default_type);
        if !allowed.contains(&kind) {
            let names: Vec<String> = allowed.iter().map(u8::to_string).collect();
            return Err(ControlError::bad_request(format!(
                "{} type must be one of {}",
                family.noun(),
                names.join(", ")
            )));
        }
        let id = match req.id {
            Some(id) => {
                if !(100_000_000..100_000_000_000).contains(&id) {
                    return Err(ControlError::bad_request(format!("{} id must have 9 to 11 digits", family.noun())));
                }
                if self.id_in_use(id) {
                    return Err(ControlError::conflict(format!("{id} is already a meeting or webinar id or a PMI")));
                }
                id
            }
            None => self.fresh_meeting_id(),
        };
        let start_time = match (&req.start_time, kind) {
            (_, 3 | 6) => None,
            (Some(t), _) => Some(parse_time("start_time", t)?),
            (None, 1) => Some(now),
            (None, _) => Some(now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now) + TimeDelta::hours(1)),
        };
        let duration = check_duration(req.duration.unwrap_or(60))?;
        let topic = req.topic.unwrap_or_else(|| format!("Zoom {}", family.noun()));
        check_topic(&topic)?;
        let occurrences = match (kind, req.occurrences) {
            (8 | 9, n) => {
                let n = n.unwrap_or(4);
                if !(1..=MAX_OCCURRENCES).contains(&n) {
                    return Err(ControlError::bad_request(format!("occurrences must be 1-{MAX_OCCURRENCES}")));
                }
                let first = start_time.unwrap_or(now);
                (0..i64::from(n))
                    .map(|i| {
                        let start = first + TimeDelta::weeks(i);
                        Occurrence { id: start.timestamp_millis().to_string(), start }
                    })
                    .collect()
            }
            (_, None) => Vec::new(),
            (_, Some(_)) => return Err(ControlError::bad_request("occurrences are only for types 8 and 9")),
        };
        let seq = self.next_seq();
        let meeting = Meeting {
            id,
            uuid: ids::meeting_uuid(),
            host_id: req.host_id.clone(),
            topic,
            kind,
            start_time,
            duration,
            timezone: req.timezone.unwrap_or_else(|| "UTC".to_owned()),
            password: ids::alnum(6),
            url_password: ids::alnum(32),
            use_pmi: req.use_pmi.unwrap_or(false),
            occurrences,
            created_at: now,
            seq,
            deleted_at: None,
        };
        if let Some(host) = self.users.get_mut(&req.host_id) {
            host.meetings.insert(seq, id);
        }
        let object = meeting.created_object(self);
        self.meetings.insert(id, meeting);
        if notify {
            self.announce(family.event(Change::Created), &account_id, &req.host_id, object);
        }
        self.scheduled(family, id)
    }

    /// Queues a meeting or webinar event; the host is its subject and its operator.
    fn announce(&mut self, event: &'static str, account_id: &str, host_id: &str, object: Value) {
        let (operator, operator_id) = self.operator_for_host(host_id);
        self.emit(
            event,
            account_id,
            &[host_id],
            json!({"account_id": account_id, "operator": operator, "operator_id": operator_id, "object": object}),
        );
    }

    /// The host acts on their own meetings.
    fn operator_for_host(&self, host_id: &str) -> (String, String) {
        self.users.get(host_id).map_or_else(|| (String::new(), host_id.to_owned()), |u| (u.email.clone(), u.id.clone()))
    }

    /// Changes topic, time, duration or host; fires `meeting.updated` (or `webinar.updated`)
    /// with the changed fields (plus `id`) in `object` and their old values in `old_object`.
    pub fn update_scheduled(&mut self, family: Family, id: u64, patch: MeetingPatch) -> Result<&Meeting, ControlError> {
        let meeting = self.outside_bin(family, id)?;
        let old_host = meeting.host_id.clone();
        let account_id = meeting.account_id(self).to_owned();
        if let Some(host) = &patch.host_id {
            let new_host = self.user(host)?;
            if new_host.account_id != account_id {
                return Err(ControlError::bad_request("the new host must be in the same account"));
            }
        }
        let start = patch.start_time.as_deref().map(|t| parse_time("start_time", t)).transpose()?;
        if start.is_some() && meeting.has_no_time() {
            return Err(ControlError::bad_request(format!(
                "a type-{} {} has no start time",
                meeting.kind,
                family.noun()
            )));
        }
        let duration = patch.duration.map(check_duration).transpose()?;
        if let Some(topic) = &patch.topic {
            check_topic(topic)?;
        }

        let Some(meeting) = self.meetings.get_mut(&id) else {
            return Err(ControlError::not_found(format!("no {} {id}", family.noun())));
        };
        let mut object = Map::new();
        let mut old = Map::new();
        let mut changed = |key: &str, new: Value, before: Value| {
            if new != before {
                object.insert(key.to_owned(), new);
                old.insert(key.to_owned(), before);
            }
        };
        if let Some(topic) = patch.topic {
            changed("topic", json!(topic), json!(meeting.topic));
            meeting.topic = topic;
        }
        if let Some(start) = start {
            changed("start_time", json!(zoom_time(start)), json!(meeting.start_time.map(zoom_time)));
            // Recurring meetings move as a whole.
            if let Some(old_start) = meeting.start_time {
                let shift = start - old_start;
                for occ in &mut meeting.occurrences {
                    occ.start += shift;
                    occ.id = occ.start.timestamp_millis().to_string();
                }
            }
            meeting.start_time = Some(start);
        }
        if let Some(duration) = duration {
            changed("duration", json!(duration), json!(meeting.duration));
            meeting.duration = duration;
        }
        let mut new_host = None;
        if let Some(host) = patch.host_id {
            changed("host_id", json!(host), json!(meeting.host_id));
            if host != meeting.host_id {
                new_host = Some(host.clone());
            }
            meeting.host_id = host;
        }
        let seq = meeting.seq;
        if let Some(host) = &new_host {
            if let Some(u) = self.users.get_mut(&old_host) {
                u.meetings.remove(&seq);
            }
            if let Some(u) = self.users.get_mut(host) {
                u.meetings.insert(seq, id);
            }
        }
        if !object.is_empty() {
            object.insert("id".to_owned(), json!(id));
            old.insert("id".to_owned(), json!(id));
            let current_host = new_host.clone().unwrap_or_else(|| old_host.clone());
            let (operator, operator_id) = self.operator_for_host(&current_host);
            let ts = wall_ms();
            let subjects: Vec<&str> = std::iter::once(old_host.as_str()).chain(new_host.as_deref()).collect();
            self.emit(
                family.event(Change::Updated),
                &account_id,
                &subjects,
                json!({"account_id": account_id, "operator": operator, "operator_id": operator_id,
                       "time_stamp": ts, "object": object, "old_object": old}),
            );
        }
        self.scheduled(family, id)
    }

    /// Moves a meeting or webinar to the recoverable bin at `now` (sim time), or deletes one
    /// occurrence of it; fires `meeting.deleted` (or `webinar.deleted`).
    pub fn delete_scheduled(
        &mut self,
        family: Family,
        id: u64,
        occurrence_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ControlError> {
        let meeting = self.outside_bin(family, id)?;
        let account_id = meeting.account_id(self).to_owned();
        let host_id = meeting.host_id.clone();
        let mut object = meeting.deleted_object();
        let Some(meeting) = self.meetings.get_mut(&id) else {
            return Err(ControlError::not_found(format!("no {} {id}", family.noun())));
        };
        match occurrence_id {
            Some(occ_id) => {
                let pos = meeting.occurrences.iter().position(|o| o.id == occ_id).ok_or_else(|| {
                    ControlError::not_found(format!("{} {id} has no occurrence {occ_id}", family.noun()))
                })?;
                let occ = meeting.occurrences.remove(pos);
                object.insert(
                    "occurrences".to_owned(),
                    json!([{"occurrence_id": occ.id, "start_time": zoom_time(occ.start)}]),
                );
            }
            None => meeting.deleted_at = Some(now),
        }
        self.announce(family.event(Change::Deleted), &account_id, &host_id, Value::Object(object));
        Ok(())
    }

    /// Brings a meeting or webinar back from the bin; fires `meeting.recovered` (or
    /// `webinar.recovered`) with the shape of `meeting.created`.
    pub fn recover(&mut self, family: Family, id: u64) -> Result<&Meeting, ControlError> {
        let meeting = self.scheduled(family, id)?;
        if !meeting.in_bin() {
            return Err(ControlError::conflict(format!("{} {id} is not deleted", family.noun())));
        }
        let account_id = meeting.account_id(self).to_owned();
        let host_id = meeting.host_id.clone();
        if let Some(meeting) = self.meetings.get_mut(&id) {
            meeting.deleted_at = None;
        }
        let object = self.scheduled(family, id)?.created_object(self);
        self.announce(family.event(Change::Recovered), &account_id, &host_id, object);
        self.scheduled(family, id)
    }

    /// Ends a meeting or webinar in the bin for good; fires `meeting.permanently_deleted` (or
    /// `webinar.permanently_deleted`) with the shape of `meeting.deleted`. Only what is in the
    /// bin can go: Zoom deletes permanently from "Recently deleted".
    pub fn permanently_delete(&mut self, family: Family, id: u64) -> Result<(), ControlError> {
        let meeting = self.scheduled(family, id)?;
        if !meeting.in_bin() {
            return Err(ControlError::conflict(format!("{} {id} is not deleted; delete it first", family.noun())));
        }
        let account_id = meeting.account_id(self).to_owned();
        let host_id = meeting.host_id.clone();
        let object = meeting.deleted_object();
        if let Some(meeting) = self.meetings.remove(&id)
            && let Some(host) = self.users.get_mut(&host_id)
        {
            host.meetings.remove(&meeting.seq);
        }
        self.announce(family.event(Change::PermanentlyDeleted), &account_id, &host_id, Value::Object(object));
        Ok(())
    }
}
