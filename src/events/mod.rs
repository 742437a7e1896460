//! Outbound events: what zoomsync tells the product about its credentials, delivered as
//! Standard Webhooks to the endpoints an admin registered (docs/events.md).
//!
//! - [`record`] writes an event, and one delivery per endpoint that wants it, in the
//!   transaction of the change it reports: once that change has committed the event cannot be
//!   lost (a kill -9, a restart), and a change rolled back emits nothing.
//! - [`deliver`] is the worker every process runs: it claims due deliveries with a lease (one
//!   worker per delivery across replicas), signs ([`signature`]), sends to a checked address
//!   ([`target`]), records each attempt and retries with backoff for more than a day, in order
//!   per credential.
//!
//! The module stands on `db`, `crypto` and `config` only, so that `services` and `webhooks` (Zoom's
//! inbound events) can both record events inside their own transactions.

pub mod deliver;
pub mod signature;
pub mod target;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::QueryResult;
use serde_json::{Value, json};

use crate::db::AnyConnection;
use crate::db::models::credentials::CredentialRow;
use crate::db::models::outbound_events::{self, EventRow};
use crate::db::models::{apps, credentials, webhook_deliveries, webhook_endpoints};

crate::text_enum! {
    /// The event types, the one list of them (the API checks subscriptions against it).
    pub enum EventType {
        /// A user connected a Zoom account (or a credential was imported) for the first time.
        CredentialConnected = "credential.connected",
        /// An existing credential got a new grant (the user connected again).
        CredentialReconnected = "credential.reconnected",
        /// The credential cannot mint; `user_must_act` says whether the user must reconnect.
        CredentialUnhealthy = "credential.unhealthy",
        /// An unhealthy credential works again without a reconnect (a Zoom user reactivated).
        CredentialHealthy = "credential.healthy",
        /// The credential is gone; `reason` says why.
        CredentialDeleted = "credential.deleted",
        /// Zoom refused an app's client secret: an admin must fix the app in zoomsync.
        AppSecretRejected = "app.secret_rejected",
        /// A Zoom account reached (or is clear of) Zoom's daily limit for a category of calls.
        AccountDailyLimit = "account.daily_limit",
        /// A credential's backfill of its meetings failed.
        SyncFailed = "sync.failed",
        /// Sent by `POST /api/v2/webhook-endpoints/{id}/test`, to that endpoint only.
        Test = "webhook.test",
    }
}

impl serde::Serialize for EventType {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

crate::text_enum! {
    /// Why a credential was deleted.
    #[derive(serde::Serialize)]
    #[serde(rename_all = "snake_case")]
    pub enum DeleteReason {
        /// An admin deleted it (API, CLI or console): sent when the admin asks, before Zoom has
        /// confirmed the revoke (retried until it does; the credential mints nothing meanwhile).
        Admin = "admin",
        /// Zoom told us the user removed the app (`app_deauthorized`).
        ZoomDeauthorized = "zoom_deauthorized",
        /// The Zoom user was deleted (`user.deleted`): the grant went with them.
        ZoomUserDeleted = "zoom_user_deleted",
    }
}

/// What happened, with what only the caller knows; the rest of the payload (app, user,
/// account, email, status) is read from the rows inside the same transaction.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    Connected {
        credential: &'a str,
    },
    Reconnected {
        credential: &'a str,
    },
    Unhealthy {
        credential: &'a str,
        user_must_act: bool,
    },
    Healthy {
        credential: &'a str,
    },
    /// The row as read before it went. Recorded once: by the transaction whose `DELETE` took
    /// the row, or, for an admin's deletion, when the admin asked (before Zoom's revoke).
    Deleted {
        credential: &'a CredentialRow,
        reason: DeleteReason,
    },
    AppSecretRejected {
        app: &'a str,
        detail: &'a str,
    },
    /// `reached` false: cleared. `until`: when Zoom lifts the limit (when it was reached).
    DailyLimit {
        account: &'a str,
        category: &'a str,
        reached: bool,
        until: DateTime<Utc>,
    },
    SyncFailed {
        credential: &'a str,
        error: &'a str,
    },
}

impl Event<'_> {
    pub fn kind(&self) -> EventType {
        match self {
            Self::Connected { .. } => EventType::CredentialConnected,
            Self::Reconnected { .. } => EventType::CredentialReconnected,
            Self::Unhealthy { .. } => EventType::CredentialUnhealthy,
            Self::Healthy { .. } => EventType::CredentialHealthy,
            Self::Deleted { .. } => EventType::CredentialDeleted,
            Self::AppSecretRejected { .. } => EventType::AppSecretRejected,
            Self::DailyLimit { .. } => EventType::AccountDailyLimit,
            Self::SyncFailed { .. } => EventType::SyncFailed,
        }
    }

    /// Deliveries with the same key reach an endpoint in order.
    fn order_key(&self) -> String {
        match self {
            Self::Connected { credential }
            | Self::Reconnected { credential }
            | Self::Unhealthy { credential, .. }
            | Self::Healthy { credential }
            | Self::SyncFailed { credential, .. } => format!("credential:{credential}"),
            Self::Deleted { credential, .. } => format!("credential:{}", credential.id),
            Self::AppSecretRejected { app, .. } => format!("app:{app}"),
            Self::DailyLimit { account, .. } => format!("account:{account}"),
        }
    }

    /// Replicas that notice the same daily limit record it once: it is named by account,
    /// category, the hour it lifts (rounded, so that replicas a few seconds apart agree) and
    /// whether it was reached or cleared.
    fn dedupe_key(&self) -> Option<String> {
        match self {
            Self::DailyLimit { account, category, reached, until } => Some(format!(
                "daily_limit:{account}:{category}:{}:{}",
                (*until + chrono::Duration::minutes(30)).format("%Y-%m-%dT%H"),
                if *reached { "reached" } else { "cleared" }
            )),
            _ => None,
        }
    }

    /// The `data` of the payload; `None` when what it is about no longer exists.
    fn data(&self, conn: &mut AnyConnection) -> QueryResult<Option<Value>> {
        let of_row = |conn: &mut AnyConnection, row: &CredentialRow| -> QueryResult<serde_json::Map<String, Value>> {
            let app = apps::find(conn, &row.app_id)?;
            let mut data = serde_json::Map::new();
            data.insert("app".into(), app_json(&row.app_id, app.as_ref()));
            data.insert("credential_id".into(), json!(row.id));
            data.insert("zoom_user_id".into(), json!(row.zoom_user_id));
            data.insert("account_id".into(), json!(row.account_id));
            data.insert("email".into(), json!(row.email));
            data.insert("status".into(), json!(row.status));
            data.insert("status_detail".into(), json!(row.status_detail));
            Ok(data)
        };
        let credential_data =
            |conn: &mut AnyConnection, id: &str| -> QueryResult<Option<serde_json::Map<String, Value>>> {
                match credentials::find(conn, id)? {
                    Some(row) => of_row(conn, &row).map(Some),
                    None => Ok(None),
                }
            };
        let with = |base: Option<serde_json::Map<String, Value>>, extra: Value| {
            base.map(|mut data| {
                if let Value::Object(extra) = extra {
                    data.extend(extra);
                }
                Value::Object(data)
            })
        };
        Ok(match *self {
            Self::Connected { credential } | Self::Reconnected { credential } | Self::Healthy { credential } => {
                credential_data(conn, credential)?.map(Value::Object)
            }
            Self::Unhealthy { credential, user_must_act } => {
                with(credential_data(conn, credential)?, json!({ "user_must_act": user_must_act }))
            }
            Self::Deleted { credential, reason } => with(Some(of_row(conn, credential)?), json!({ "reason": reason })),
            Self::SyncFailed { credential, error } => {
                with(credential_data(conn, credential)?, json!({ "error": error }))
            }
            Self::AppSecretRejected { app, detail } => {
                let row = apps::find(conn, app)?;
                row.as_ref().map(|row| json!({ "app": app_json(app, Some(row)), "detail": detail }))
            }
            Self::DailyLimit { account, category, reached, until } => Some(json!({
                "account_id": account,
                "category": category,
                "state": if reached { "reached" } else { "cleared" },
                "until": until.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })),
        })
    }
}

fn app_json(id: &str, app: Option<&apps::AppRow>) -> Value {
    json!({
        "id": id,
        "name": app.and_then(|a| a.name.clone()),
        "client_id": app.map(|a| a.client_id.clone()),
        "kind": app.map(|a| a.kind),
    })
}

/// The body every endpoint gets: `{type, timestamp, data}`, as Standard Webhooks suggests.
pub fn body(kind: EventType, at: NaiveDateTime, data: &Value) -> String {
    json!({
        "type": kind,
        "timestamp": at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    })
    .to_string()
}

/// A new event id: the `webhook-id` header.
pub fn new_id() -> String {
    format!("msg_{}", uuid::Uuid::new_v4().simple())
}

/// Records `event` for every enabled endpoint that wants it, in the caller's transaction.
/// Nothing is written when no endpoint wants it. Returns the event id when one was written.
pub fn record(conn: &mut AnyConnection, event: &Event<'_>) -> QueryResult<Option<String>> {
    let kind = event.kind();
    let endpoints: Vec<_> = webhook_endpoints::enabled(conn)?.into_iter().filter(|e| e.wants(kind.as_str())).collect();
    if endpoints.is_empty() {
        return Ok(None);
    }
    let Some(data) = event.data(conn)? else { return Ok(None) };
    let now = crate::time::now();
    let row = EventRow {
        id: new_id(),
        event_type: kind.as_str().to_owned(),
        order_key: event.order_key(),
        dedupe_key: event.dedupe_key(),
        payload: body(kind, now, &data),
        created_at: now,
    };
    if !outbound_events::insert(conn, &row)? {
        return Ok(None);
    }
    for endpoint in &endpoints {
        webhook_deliveries::enqueue(conn, &row.id, &endpoint.id, &row.order_key, now)?;
    }
    deliver::wake();
    Ok(Some(row.id))
}
