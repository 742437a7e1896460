//! Reading a Zoom event (docs/zoom.md §1.5) into the one change zoomsync makes of it. Only the fields
//! acted on are kept (and stored): never passcodes or join URLs. Ids and PMIs are accepted as
//! numbers or strings.

use chrono::{NaiveDateTime, TimeZone as _, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::db::models::mappings::MeetingKind;

/// The events zoomsync knows, by the names Zoom sends in `event` (docs/zoom.md §1.5): the one list
/// the parser, the metrics (which count any other name as `other`) and the console (which tells
/// the operator what to subscribe to) all read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventName {
    UrlValidation,
    MeetingCreated,
    MeetingUpdated,
    MeetingDeleted,
    MeetingRecovered,
    MeetingPermanentlyDeleted,
    WebinarCreated,
    WebinarUpdated,
    WebinarDeleted,
    WebinarRecovered,
    WebinarPermanentlyDeleted,
    UserUpdated,
    UserDeactivated,
    UserActivated,
    UserDisassociated,
    UserDeleted,
    AppDeauthorized,
}

impl EventName {
    pub const ALL: [Self; 17] = [
        Self::UrlValidation,
        Self::MeetingCreated,
        Self::MeetingUpdated,
        Self::MeetingDeleted,
        Self::MeetingRecovered,
        Self::MeetingPermanentlyDeleted,
        Self::WebinarCreated,
        Self::WebinarUpdated,
        Self::WebinarDeleted,
        Self::WebinarRecovered,
        Self::WebinarPermanentlyDeleted,
        Self::UserUpdated,
        Self::UserDeactivated,
        Self::UserActivated,
        Self::UserDisassociated,
        Self::UserDeleted,
        Self::AppDeauthorized,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UrlValidation => "endpoint.url_validation",
            Self::MeetingCreated => "meeting.created",
            Self::MeetingUpdated => "meeting.updated",
            Self::MeetingDeleted => "meeting.deleted",
            Self::MeetingRecovered => "meeting.recovered",
            Self::MeetingPermanentlyDeleted => "meeting.permanently_deleted",
            Self::WebinarCreated => "webinar.created",
            Self::WebinarUpdated => "webinar.updated",
            Self::WebinarDeleted => "webinar.deleted",
            Self::WebinarRecovered => "webinar.recovered",
            Self::WebinarPermanentlyDeleted => "webinar.permanently_deleted",
            Self::UserUpdated => "user.updated",
            Self::UserDeactivated => "user.deactivated",
            Self::UserActivated => "user.activated",
            Self::UserDisassociated => "user.disassociated",
            Self::UserDeleted => "user.deleted",
            Self::AppDeauthorized => "app_deauthorized",
        }
    }

    /// For a meeting or webinar event: which of the two, and the meeting event it behaves as.
    pub const fn as_meeting_event(self) -> Option<(MeetingKind, Self)> {
        match self {
            Self::MeetingCreated
            | Self::MeetingUpdated
            | Self::MeetingDeleted
            | Self::MeetingRecovered
            | Self::MeetingPermanentlyDeleted => Some((MeetingKind::Meeting, self)),
            Self::WebinarCreated => Some((MeetingKind::Webinar, Self::MeetingCreated)),
            Self::WebinarUpdated => Some((MeetingKind::Webinar, Self::MeetingUpdated)),
            Self::WebinarDeleted => Some((MeetingKind::Webinar, Self::MeetingDeleted)),
            Self::WebinarRecovered => Some((MeetingKind::Webinar, Self::MeetingRecovered)),
            Self::WebinarPermanentlyDeleted => Some((MeetingKind::Webinar, Self::MeetingPermanentlyDeleted)),
            _ => None,
        }
    }

    /// The meeting event a webinar event is the twin of; `None` for every other event.
    pub fn as_webinar_event(self) -> Option<Self> {
        self.as_meeting_event().filter(|(kind, _)| *kind == MeetingKind::Webinar).map(|(_, twin)| twin)
    }

    /// The known event called `name`, or `None`.
    pub fn named(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|known| known.as_str() == name)
    }

    /// How Zoom's Marketplace lists the event under Event Subscription, for the events an app
    /// subscribes to there. `None` for those Zoom sends without a subscription: the URL
    /// validation, and `app_deauthorized` (sent to the deauthorization notification URL).
    pub const fn subscription_label(self) -> Option<&'static str> {
        match self {
            Self::MeetingCreated => Some("Meeting has been created"),
            Self::MeetingUpdated => Some("Meeting has been updated"),
            Self::MeetingDeleted => Some("Meeting has been deleted"),
            Self::MeetingRecovered => Some("Meeting has been recovered"),
            Self::MeetingPermanentlyDeleted => Some("Meeting has been permanently deleted"),
            Self::WebinarCreated => Some("Webinar has been created"),
            Self::WebinarUpdated => Some("Webinar has been updated"),
            Self::WebinarDeleted => Some("Webinar has been deleted"),
            Self::WebinarRecovered => Some("Webinar has been recovered"),
            Self::WebinarPermanentlyDeleted => Some("Webinar has been permanently deleted"),
            Self::UserUpdated => Some("User's profile info has been updated"),
            Self::UserDeactivated => Some("User has been deactivated"),
            Self::UserActivated => Some("User has been activated"),
            Self::UserDisassociated => Some("User has been disassociated"),
            Self::UserDeleted => Some("User has been deleted"),
            Self::UrlValidation | Self::AppDeauthorized => None,
        }
    }
}

/// What an event asks of the meeting-to-credential table. The `meeting_*` changes come from
/// `webinar.*` events too, with `kind` saying which (stored changes from before webinars were
/// mapped read as meetings).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    MeetingCreated {
        meeting_id: i64,
        #[serde(default)]
        kind: MeetingKind,
        host_id: String,
        account_id: String,
    },
    /// `host_id` is set when the update names a host (a changed host moves the mapping).
    MeetingUpdated {
        meeting_id: i64,
        #[serde(default)]
        kind: MeetingKind,
        host_id: Option<String>,
        account_id: String,
    },
    /// `occurrences` is non-empty when only some occurrences of a recurring meeting went;
    /// `permanently` for `meeting.permanently_deleted` (no recovery after it).
    MeetingDeleted {
        meeting_id: i64,
        account_id: String,
        occurrences: Vec<String>,
        permanently: bool,
    },
    /// `meeting.recovered`: a deleted meeting back from Zoom's bin.
    MeetingRecovered {
        meeting_id: i64,
        #[serde(default)]
        kind: MeetingKind,
        host_id: String,
        account_id: String,
    },
    /// `pmi` is the new PMI when it changed; `old_pmi` the previous one when Zoom said.
    UserUpdated {
        user_id: String,
        account_id: String,
        pmi: Option<i64>,
        old_pmi: Option<i64>,
        vanity_name: Option<String>,
    },
    UserGone {
        user_id: String,
        account_id: String,
        deleted: bool,
    },
    /// `user.activated`: undoes `user.deactivated`.
    UserActivated {
        user_id: String,
        account_id: String,
    },
    /// `user.disassociated`: the user left `account_id` (the user still exists).
    UserDisassociated {
        user_id: String,
        account_id: String,
    },
    /// `deauthorized_at` (ms) is `deauthorization_time`, else the event time: what a late or
    /// repeated delivery is judged by.
    AppDeauthorized {
        user_id: String,
        account_id: String,
        deauthorized_at: i64,
    },
    /// An event zoomsync does not act on.
    Ignored,
}

impl Change {
    /// The Zoom account whose meetings or users the event changes. `app_deauthorized` has
    /// none: it acts only on its app's own credential for its subject.
    pub fn named_account(&self) -> Option<&str> {
        match self {
            Self::MeetingCreated { account_id, .. }
            | Self::MeetingUpdated { account_id, .. }
            | Self::MeetingDeleted { account_id, .. }
            | Self::MeetingRecovered { account_id, .. }
            | Self::UserUpdated { account_id, .. }
            | Self::UserGone { account_id, .. }
            | Self::UserActivated { account_id, .. }
            | Self::UserDisassociated { account_id, .. } => Some(account_id),
            Self::AppDeauthorized { .. } | Self::Ignored => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub event: String,
    /// Zoom's event time, milliseconds.
    pub event_ts: i64,
    /// The object's id (and uuid, occurrences): with `event` and `event_ts` the dedupe key.
    pub object_key: String,
    pub change: Change,
}

impl Delivery {
    pub fn dedupe_key(&self, app_id: &str) -> String {
        format!("{app_id}|{}|{}|{}", self.event, self.event_ts, self.object_key)
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    UrlValidation { plain_token: String },
    Delivery(Delivery),
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("malformed event: {0}")]
pub struct Malformed(pub String);

fn malformed(what: impl Into<String>) -> Malformed {
    Malformed(what.into())
}

/// Parses a verified body. `header_seconds` is `x-zm-request-timestamp`, the event time of last
/// resort for events that carry none.
pub fn parse(body: &[u8], header_seconds: i64) -> Result<Parsed, Malformed> {
    let root: Value = serde_json::from_slice(body).map_err(|e| malformed(format!("not JSON: {e}")))?;
    let event = root.get("event").and_then(Value::as_str).ok_or_else(|| malformed("`event` is missing"))?.to_owned();
    let payload = root.get("payload").filter(|p| p.is_object());
    let known = EventName::named(&event);
    if known == Some(EventName::UrlValidation) {
        let plain_token = payload
            .and_then(|p| p.get("plainToken"))
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| malformed("`payload.plainToken` is missing"))?;
        return Ok(Parsed::UrlValidation { plain_token: plain_token.to_owned() });
    }
    let event_ts = root
        .get("event_ts")
        .and_then(millis)
        .or_else(|| payload.and_then(|p| p.get("event_ts")).and_then(millis))
        .or_else(|| payload.and_then(|p| p.get("time_stamp")).and_then(millis))
        .unwrap_or(header_seconds.saturating_mul(1000));
    let Some(payload) = payload else {
        return Ok(Parsed::Delivery(Delivery { event, event_ts, object_key: String::new(), change: Change::Ignored }));
    };
    let account_id = text(payload, "account_id").unwrap_or_default();
    let object = payload.get("object").filter(|o| o.is_object());
    let (object_key, change) = match known.and_then(EventName::as_meeting_event) {
        Some((kind, event)) => {
            let object = object.ok_or_else(|| malformed("`payload.object` is missing"))?;
            let meeting_id = integer(object, "id")?.ok_or_else(|| malformed("`object.id` is missing"))?;
            let uuid = text(object, "uuid").unwrap_or_default();
            let host_id = text(object, "host_id");
            match event {
                EventName::MeetingCreated => {
                    let host_id = host_id.ok_or_else(|| malformed("`object.host_id` is missing"))?;
                    (format!("{meeting_id}/{uuid}"), Change::MeetingCreated { meeting_id, kind, host_id, account_id })
                }
                EventName::MeetingUpdated => {
                    (format!("{meeting_id}/{uuid}"), Change::MeetingUpdated { meeting_id, kind, host_id, account_id })
                }
                EventName::MeetingRecovered => {
                    let host_id = host_id.ok_or_else(|| malformed("`object.host_id` is missing"))?;
                    (format!("{meeting_id}/{uuid}"), Change::MeetingRecovered { meeting_id, kind, host_id, account_id })
                }
                _ => {
                    let occurrences: Vec<String> = object
                        .get("occurrences")
                        .and_then(Value::as_array)
                        .map(|list| list.iter().filter_map(|o| text(o, "occurrence_id")).collect())
                        .unwrap_or_default();
                    let permanently = event == EventName::MeetingPermanentlyDeleted;
                    (
                        format!("{meeting_id}/{uuid}/{}", occurrences.join(",")),
                        Change::MeetingDeleted { meeting_id, account_id, occurrences, permanently },
                    )
                }
            }
        }
        None => match known {
            Some(EventName::UserUpdated) => {
                let object = object.ok_or_else(|| malformed("`payload.object` is missing"))?;
                let user_id = text(object, "id").ok_or_else(|| malformed("`object.id` is missing"))?;
                let old = payload.get("old_object").filter(|o| o.is_object());
                let change = Change::UserUpdated {
                    user_id: user_id.clone(),
                    account_id,
                    pmi: integer(object, "pmi")?,
                    old_pmi: match old {
                        Some(old) => integer(old, "pmi")?,
                        None => None,
                    },
                    vanity_name: text(object, "vanity_name").map(|v| v.to_ascii_lowercase()),
                };
                (user_id, change)
            }
            Some(kind @ (EventName::UserDeactivated | EventName::UserDeleted)) => {
                let object = object.ok_or_else(|| malformed("`payload.object` is missing"))?;
                let user_id = text(object, "id").ok_or_else(|| malformed("`object.id` is missing"))?;
                (user_id.clone(), Change::UserGone { user_id, account_id, deleted: kind == EventName::UserDeleted })
            }
            Some(kind @ (EventName::UserActivated | EventName::UserDisassociated)) => {
                let object = object.ok_or_else(|| malformed("`payload.object` is missing"))?;
                let user_id = text(object, "id").ok_or_else(|| malformed("`object.id` is missing"))?;
                let change = if kind == EventName::UserActivated {
                    Change::UserActivated { user_id: user_id.clone(), account_id }
                } else {
                    Change::UserDisassociated { user_id: user_id.clone(), account_id }
                };
                (user_id, change)
            }
            Some(EventName::AppDeauthorized) => {
                let user_id = text(payload, "user_id").ok_or_else(|| malformed("`payload.user_id` is missing"))?;
                let deauthorized_at = payload.get("deauthorization_time").and_then(millis).unwrap_or(event_ts);
                (user_id.clone(), Change::AppDeauthorized { user_id, account_id, deauthorized_at })
            }
            _ => (
                object.and_then(|o| text(o, "id").or_else(|| o.get("id").map(Value::to_string))).unwrap_or_default(),
                Change::Ignored,
            ),
        },
    };
    Ok(Parsed::Delivery(Delivery { event, event_ts, object_key, change }))
}

fn text(object: &Value, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// An integer given as a number or a numeric string; absent, null or "" is `None`; anything
/// else is malformed.
fn integer(object: &Value, key: &str) -> Result<Option<i64>, Malformed> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| malformed(format!("`{key}` is not an integer"))),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            s.trim().parse().map(Some).map_err(|_| malformed(format!("`{key}` is not an integer")))
        }
        Some(_) => Err(malformed(format!("`{key}` is not an integer"))),
    }
}

/// Milliseconds from a number or, as Zoom's own `app_deauthorized` example has it, a date-time
/// string (`2024-09-08 15:58:40`, taken as UTC).
fn millis(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse::<i64>().ok().or_else(|| {
            chrono::DateTime::parse_from_rfc3339(s.trim()).map(|d| d.timestamp_millis()).ok().or_else(|| {
                NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S")
                    .ok()
                    .map(|n| Utc.from_utc_datetime(&n).timestamp_millis())
            })
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_event_name_is_found_by_its_name() {
        for known in EventName::ALL {
            assert_eq!(EventName::named(known.as_str()), Some(known));
        }
        assert_eq!(EventName::named("meeting.started"), None);
        let subscribed = EventName::ALL.iter().filter(|e| e.subscription_label().is_some()).count();
        assert_eq!(subscribed, 15);
    }

    fn delivery(body: &str) -> Delivery {
        match parse(body.as_bytes(), 1_700_000_000).unwrap() {
            Parsed::Delivery(d) => d,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn meeting_created_with_a_numeric_or_string_id() {
        for id in ["85746065123", "\"85746065123\""] {
            let d = delivery(&format!(
                r#"{{"event":"meeting.created","event_ts":1739923528123,"payload":{{"account_id":"A1","operator_id":"op","object":{{"id":{id},"uuid":"u==","host_id":"host","type":2,"password":"123456"}}}}}}"#
            ));
            assert_eq!(d.event_ts, 1739923528123);
            assert_eq!(
                d.change,
                Change::MeetingCreated {
                    meeting_id: 85746065123,
                    kind: MeetingKind::Meeting,
                    host_id: "host".into(),
                    account_id: "A1".into()
                }
            );
            assert_eq!(d.dedupe_key("app"), "app|meeting.created|1739923528123|85746065123/u==");
        }
    }

    #[test]
    fn the_host_is_the_host_not_the_operator() {
        let d = delivery(
            r#"{"event":"meeting.created","event_ts":1,"payload":{"account_id":"A","operator_id":"assistant","object":{"id":1,"host_id":"boss"}}}"#,
        );
        assert!(matches!(d.change, Change::MeetingCreated { ref host_id, .. } if host_id == "boss"));
    }

    #[test]
    fn an_occurrence_delete_names_its_occurrences() {
        let d = delivery(
            r#"{"event":"meeting.deleted","event_ts":5,"payload":{"account_id":"A","object":{"id":9,"uuid":"x","host_id":"h","occurrences":[{"occurrence_id":"1648194360000","start_time":"2026-03-01T15:00:00Z"}]}}}"#,
        );
        assert_eq!(
            d.change,
            Change::MeetingDeleted {
                meeting_id: 9,
                account_id: "A".into(),
                occurrences: vec!["1648194360000".into()],
                permanently: false
            }
        );
    }

    #[test]
    fn user_updated_pmi_as_number_or_string() {
        let d = delivery(
            r#"{"event":"user.updated","event_ts":7,"payload":{"account_id":"A","object":{"id":"u1","pmi":5551234567},"old_object":{"id":"u1","pmi":"5559876543"}}}"#,
        );
        assert_eq!(
            d.change,
            Change::UserUpdated {
                user_id: "u1".into(),
                account_id: "A".into(),
                pmi: Some(5551234567),
                old_pmi: Some(5559876543),
                vanity_name: None
            }
        );
    }

    #[test]
    fn app_deauthorized_takes_its_time_from_the_payload_in_either_form() {
        let d = delivery(
            r#"{"event":"app_deauthorized","payload":{"account_id":"A","user_id":"u1","signature":"x","client_id":"c","event_ts":1725811120000}}"#,
        );
        assert_eq!(d.event_ts, 1725811120000);
        assert_eq!(
            d.change,
            Change::AppDeauthorized { user_id: "u1".into(), account_id: "A".into(), deauthorized_at: 1725811120000 }
        );
        let d = delivery(
            r#"{"event":"app_deauthorized","payload":{"account_id":"A","user_id":"u1","event_ts":"2024-09-08 15:58:40"}}"#,
        );
        assert_eq!(d.event_ts, 1725811120000);
        // Zoom's own example: the deauthorization time, an ISO date-time, is what counts.
        let d = delivery(
            r#"{"event":"app_deauthorized","event_ts":1725811120000,"payload":{"account_id":"A","user_id":"u1","deauthorization_time":"2020-09-08T15:58:40Z"}}"#,
        );
        assert!(matches!(d.change, Change::AppDeauthorized { deauthorized_at: 1599580720000, .. }), "{:?}", d.change);
    }

    #[test]
    fn recovered_meetings_and_returning_users() {
        let d = delivery(
            r#"{"event":"meeting.recovered","event_ts":9,"payload":{"account_id":"A","object":{"id":"85746065123","uuid":"u","host_id":"h"}}}"#,
        );
        assert_eq!(
            d.change,
            Change::MeetingRecovered {
                meeting_id: 85746065123,
                kind: MeetingKind::Meeting,
                host_id: "h".into(),
                account_id: "A".into()
            }
        );
        let d = delivery(
            r#"{"event":"meeting.permanently_deleted","event_ts":9,"payload":{"account_id":"A","object":{"id":1,"uuid":"u","host_id":"h"}}}"#,
        );
        assert!(matches!(d.change, Change::MeetingDeleted { permanently: true, .. }));
        let d =
            delivery(r#"{"event":"user.activated","event_ts":9,"payload":{"account_id":"A","object":{"id":"u1"}}}"#);
        assert_eq!(d.change, Change::UserActivated { user_id: "u1".into(), account_id: "A".into() });
        let d = delivery(
            r#"{"event":"user.disassociated","event_ts":9,"payload":{"account_id":"A","object":{"id":"u1"}}}"#,
        );
        assert_eq!(d.change, Change::UserDisassociated { user_id: "u1".into(), account_id: "A".into() });
    }

    #[test]
    fn webinar_events_are_their_meeting_twins_for_webinars() {
        let d = delivery(
            r#"{"event":"webinar.created","event_ts":9,"payload":{"account_id":"A","object":{"id":"91234567890","uuid":"w","host_id":"h","type":5}}}"#,
        );
        assert_eq!(
            d.change,
            Change::MeetingCreated {
                meeting_id: 91234567890,
                kind: MeetingKind::Webinar,
                host_id: "h".into(),
                account_id: "A".into()
            }
        );
        assert_eq!(d.dedupe_key("app"), "app|webinar.created|9|91234567890/w");
        let d = delivery(
            r#"{"event":"webinar.updated","event_ts":9,"payload":{"account_id":"A","object":{"id":912345678,"topic":"t"}}}"#,
        );
        assert!(matches!(d.change, Change::MeetingUpdated { kind: MeetingKind::Webinar, host_id: None, .. }));
        let d = delivery(
            r#"{"event":"webinar.recovered","event_ts":9,"payload":{"account_id":"A","object":{"id":912345678,"host_id":"h"}}}"#,
        );
        assert!(matches!(d.change, Change::MeetingRecovered { kind: MeetingKind::Webinar, .. }));
        for (event, permanently) in [("webinar.deleted", false), ("webinar.permanently_deleted", true)] {
            let d = delivery(&format!(
                r#"{{"event":"{event}","event_ts":9,"payload":{{"account_id":"A","object":{{"id":912345678,"host_id":"h"}}}}}}"#
            ));
            assert!(
                matches!(d.change, Change::MeetingDeleted { meeting_id: 912345678, permanently: p, .. } if p == permanently),
                "{event}"
            );
        }
        // A change stored before webinars were mapped reads as a meeting's.
        let old: Change =
            serde_json::from_str(r#"{"change":"meeting_created","meeting_id":1,"host_id":"h","account_id":"A"}"#)
                .unwrap();
        assert!(matches!(old, Change::MeetingCreated { kind: MeetingKind::Meeting, .. }));
    }

    #[test]
    fn url_validation_and_unknown_events() {
        assert_eq!(
            parse(br#"{"payload":{"plainToken":"qgg8"},"event_ts":1,"event":"endpoint.url_validation"}"#, 0).unwrap(),
            Parsed::UrlValidation { plain_token: "qgg8".into() }
        );
        assert_eq!(
            delivery(r#"{"event":"meeting.started","event_ts":3,"payload":{"object":{"id":"1"}}}"#).change,
            Change::Ignored
        );
    }

    #[test]
    fn malformed_bodies_are_refused() {
        for body in [
            "{\"event\":\"meeting.created\"",
            "[]",
            r#"{"payload":{}}"#,
            r#"{"event":"meeting.created","event_ts":1,"payload":{"object":{"host_id":"h"}}}"#,
            r#"{"event":"meeting.created","event_ts":1,"payload":{"object":{"id":"12ab","host_id":"h"}}}"#,
            r#"{"event":"meeting.created","event_ts":1,"payload":{"object":{"id":1}}}"#,
            r#"{"event":"user.updated","event_ts":1,"payload":{"object":{"id":"u","pmi":"x"}}}"#,
            r#"{"event":"endpoint.url_validation","payload":{}}"#,
        ] {
            assert!(parse(body.as_bytes(), 0).is_err(), "{body}");
        }
    }
}
