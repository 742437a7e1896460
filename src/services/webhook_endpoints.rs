//! Outbound event endpoints: register, list, read, change, delete; their deliveries and each
//! attempt; a manual "send again"; a test event. The admin API, `zoomsync webhook-endpoint ...`
//! and the console all call these. The events themselves are recorded by [`crate::events`].

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::crypto::Field;
use crate::db::models::outbound_events::{self, EventRow};
use crate::db::models::webhook_deliveries::{self, AttemptRow, DeliveryRow, DeliveryStatus};
use crate::db::models::webhook_endpoints::{self, EndpointChange, EndpointRow, NewEndpoint};
use crate::error::AppError;
use crate::events::{self, EventType, signature, target};
use crate::pagination::Cursor;
use crate::services::AppState;
use crate::time::{self, utc};

/// An endpoint as the API shows it. `secret` only in the answer that created or rotated it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EndpointView {
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    /// The event types it gets; `["*"]` for all.
    pub events: Vec<String>,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The `whsec_` signing secret: shown once, when created or rotated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl EndpointView {
    fn new(row: &EndpointRow, secret: Option<String>) -> Self {
        Self {
            id: row.id.clone(),
            url: row.url.clone(),
            description: row.description.clone(),
            events: row.event_types.split_whitespace().map(str::to_owned).collect(),
            enabled: row.enabled,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            secret,
        }
    }
}

/// What an admin submits to register an endpoint.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateEndpoint {
    /// An http(s) URL; loopback, private and link-local addresses are refused unless
    /// `webhooks_out.allow_private_addresses` is set.
    pub url: Option<String>,
    /// Event types to send (see docs/events.md), or `["*"]` (the default) for all.
    pub events: Option<Vec<String>>,
    #[schema(max_length = 200)]
    pub description: Option<String>,
    /// Default true.
    pub enabled: Option<bool>,
}

/// A change: absent fields stay as they are.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateEndpoint {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    /// An empty string removes it.
    #[schema(max_length = 200)]
    pub description: Option<String>,
    pub enabled: Option<bool>,
    /// True: a new secret is made and shown in the answer; the old one stops signing at once.
    pub rotate_secret: Option<bool>,
}

/// One delivery of an event to an endpoint, with every attempt.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    pub id: i64,
    /// The `webhook-id` the receiver sees (the same on every attempt and resend).
    pub event_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// When the next attempt is due; `null` once delivered or given up.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    /// The body sent, as JSON.
    #[schema(value_type = Object)]
    pub payload: Value,
    pub attempt_log: Vec<AttemptView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AttemptView {
    pub at: DateTime<Utc>,
    /// The receiver's status; `null` when no answer came.
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

impl DeliveryView {
    fn new(delivery: &DeliveryRow, event: &EventRow, attempts: &[AttemptRow]) -> Self {
        Self {
            id: delivery.id,
            event_id: event.id.clone(),
            event_type: event.event_type.clone(),
            status: delivery.status,
            attempts: delivery.attempts,
            next_attempt_at: (delivery.status == DeliveryStatus::Pending).then(|| utc(delivery.next_attempt_at)),
            last_status_code: delivery.last_status_code,
            last_error: delivery.last_error.clone(),
            created_at: utc(delivery.created_at),
            delivered_at: delivery.delivered_at.map(utc),
            payload: serde_json::from_str(&event.payload).unwrap_or(Value::Null),
            attempt_log: attempts
                .iter()
                .filter(|a| a.delivery_id == delivery.id)
                .map(|a| AttemptView {
                    at: utc(a.attempted_at),
                    status_code: a.status_code,
                    error: a.error.clone(),
                    duration_ms: a.duration_ms,
                })
                .collect(),
        }
    }
}

fn checked_url(state: &AppState, url: &str) -> Result<String, AppError> {
    let parsed = target::check(url, state.settings.outbound.allow_private_addresses)
        .map_err(|why| AppError::bad_request("invalid_field", format!("`url`: {why}")))?;
    if parsed.as_str().len() > 2000 {
        return Err(AppError::bad_request("invalid_field", "`url` is longer than 2000 characters"));
    }
    Ok(parsed.to_string())
}

fn checked_events(events: &[String]) -> Result<String, AppError> {
    if events.is_empty() {
        return Err(AppError::bad_request("invalid_field", "`events` must name at least one event type, or \"*\""));
    }
    for event in events {
        if event != "*" && EventType::parse(event).is_none() {
            let known = EventType::ALL.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(", ");
            return Err(AppError::bad_request(
                "invalid_field",
                format!("`events`: {event:?} is not an event type (one of {known}, or \"*\")"),
            ));
        }
    }
    let mut events = events.to_vec();
    events.sort();
    events.dedup();
    Ok(events.join(" "))
}

fn checked_description(description: Option<&str>) -> Result<Option<String>, AppError> {
    match description.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) if text.chars().count() > 200 => {
            Err(AppError::bad_request("invalid_field", "`description` is longer than 200 characters"))
        }
        Some(text) => Ok(Some(text.to_owned())),
    }
}

fn sealed_secret(state: &AppState, id: &str) -> Result<(String, Vec<u8>), AppError> {
    let secret = signature::new_secret();
    let sealed = state.settings.secrets.cipher.seal(Field::WebhookEndpointSecret, id, &secret)?;
    Ok((secret, sealed))
}

pub async fn create(state: &AppState, input: CreateEndpoint) -> Result<EndpointView, AppError> {
    let url = match input.url.as_deref().map(str::trim) {
        Some(url) if !url.is_empty() => checked_url(state, url)?,
        _ => return Err(AppError::bad_request("invalid_field", "`url` is required")),
    };
    let event_types = checked_events(input.events.as_deref().unwrap_or(&["*".to_owned()]))?;
    let description = checked_description(input.description.as_deref())?;
    let id = uuid::Uuid::new_v4().to_string();
    let (secret, sealed) = sealed_secret(state, &id)?;
    let now = time::now();
    let enabled = input.enabled.unwrap_or(true);
    let row = state
        .db
        .write_with(move |conn| {
            webhook_endpoints::insert(
                conn,
                &NewEndpoint {
                    id: &id,
                    url: &url,
                    description: description.as_deref(),
                    event_types: &event_types,
                    secret: &sealed,
                    enabled,
                    created_at: now,
                    updated_at: now,
                },
            )?;
            webhook_endpoints::find(conn, &id)?.ok_or_else(|| AppError::Internal(anyhow::anyhow!("endpoint vanished")))
        })
        .await?;
    tracing::info!(endpoint = %row.id, "outbound event endpoint registered");
    Ok(EndpointView::new(&row, Some(secret)))
}

pub async fn list(state: &AppState) -> Result<Vec<EndpointView>, AppError> {
    let rows = state.db.read(webhook_endpoints::all).await?;
    Ok(rows.iter().map(|row| EndpointView::new(row, None)).collect())
}

async fn find(state: &AppState, id: &str) -> Result<EndpointRow, AppError> {
    let id = id.to_owned();
    state
        .db
        .read(move |conn| webhook_endpoints::find(conn, &id))
        .await?
        .ok_or_else(|| AppError::not_found("no such webhook endpoint"))
}

pub async fn get(state: &AppState, id: &str) -> Result<EndpointView, AppError> {
    Ok(EndpointView::new(&find(state, id).await?, None))
}

pub async fn update(state: &AppState, id: &str, input: UpdateEndpoint) -> Result<EndpointView, AppError> {
    let url = input.url.as_deref().map(|url| checked_url(state, url)).transpose()?;
    let event_types = input.events.as_deref().map(checked_events).transpose()?;
    let description = input.description.as_deref().map(|d| checked_description(Some(d))).transpose()?;
    let secret = input.rotate_secret.unwrap_or(false).then(|| sealed_secret(state, id)).transpose()?;
    let (shown, sealed) = secret.map_or((None, None), |(shown, sealed)| (Some(shown), Some(sealed)));
    let id_owned = id.to_owned();
    let enabled = input.enabled;
    let row = state
        .db
        .write_with(move |conn| {
            let change = EndpointChange {
                url: url.as_deref(),
                description: description.as_ref().map(Option::as_deref),
                event_types: event_types.as_deref(),
                secret: sealed.as_deref(),
                enabled,
                updated_at: Some(time::now()),
            };
            if webhook_endpoints::update(conn, &id_owned, &change)? == 0 {
                return Err(AppError::not_found("no such webhook endpoint"));
            }
            webhook_endpoints::find(conn, &id_owned)?.ok_or_else(|| AppError::not_found("no such webhook endpoint"))
        })
        .await?;
    if enabled == Some(true) {
        events::deliver::wake();
    }
    Ok(EndpointView::new(&row, shown))
}

/// Deletes the endpoint with its deliveries: nothing more is sent to it.
pub async fn delete(state: &AppState, id: &str) -> Result<(), AppError> {
    let id = id.to_owned();
    if state.db.write(move |conn| webhook_endpoints::delete(conn, &id)).await? == 0 {
        return Err(AppError::not_found("no such webhook endpoint"));
    }
    Ok(())
}

/// One page of the endpoint's deliveries, newest first; the cursor names the last one shown.
pub async fn deliveries(
    state: &AppState,
    id: &str,
    before: Option<Cursor>,
    page_size: i64,
) -> Result<(Vec<DeliveryView>, Option<Cursor>), AppError> {
    find(state, id).await?;
    let id = id.to_owned();
    let (rows, attempts) = state
        .db
        .read(move |conn| {
            let rows = webhook_deliveries::page_for_endpoint(conn, &id, before.map(|c| c.key), page_size + 1)?;
            let ids: Vec<i64> = rows.iter().map(|(d, _)| d.id).collect();
            Ok((rows, webhook_deliveries::attempts_of(conn, &ids)?))
        })
        .await?;
    Ok(crate::pagination::split_page(rows, page_size, |(delivery, event)| {
        (DeliveryView::new(delivery, event, &attempts), Cursor::number(delivery.id, ""))
    }))
}

/// Queues `event` for `endpoint` and shows the new delivery.
fn queue(
    conn: &mut crate::db::AnyConnection,
    event: &EventRow,
    endpoint: &str,
    order_key: &str,
) -> Result<DeliveryView, AppError> {
    webhook_deliveries::enqueue(conn, &event.id, endpoint, order_key, time::now())?;
    let (newest, _) = webhook_deliveries::page_for_endpoint(conn, endpoint, None, 1)?
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the new delivery vanished")))?;
    Ok(DeliveryView::new(&newest, event, &[]))
}

/// Sends a delivered or given-up (or still pending) event to the endpoint again, as a new
/// delivery behind the endpoint's others of the same credential, with the same `webhook-id`.
pub async fn resend(state: &AppState, endpoint_id: &str, delivery_id: i64) -> Result<DeliveryView, AppError> {
    let endpoint = endpoint_id.to_owned();
    let view = state
        .db
        .write_with(move |conn| {
            let original = webhook_deliveries::find(conn, delivery_id)?
                .filter(|d| d.endpoint_id == endpoint)
                .ok_or_else(|| AppError::not_found("no such delivery for this endpoint"))?;
            let event = outbound_events::find(conn, &original.event_id)?
                .ok_or_else(|| AppError::not_found("no such delivery for this endpoint"))?;
            queue(conn, &event, &endpoint, &original.order_key)
        })
        .await?;
    events::deliver::wake();
    Ok(view)
}

/// Sends a `webhook.test` event to this endpoint only (enabled or not, it is queued; it goes
/// once the endpoint is enabled).
pub async fn send_test(state: &AppState, endpoint_id: &str) -> Result<DeliveryView, AppError> {
    let endpoint = find(state, endpoint_id).await?;
    let view = state
        .db
        .write_with(move |conn| {
            let now = time::now();
            let data = serde_json::json!({ "endpoint_id": endpoint.id, "message": "a test event from zoomsync" });
            let event = EventRow {
                id: events::new_id(),
                event_type: EventType::Test.as_str().to_owned(),
                order_key: format!("endpoint:{}", endpoint.id),
                dedupe_key: None,
                payload: events::body(EventType::Test, now, &data),
                created_at: now,
            };
            outbound_events::insert(conn, &event)?;
            queue(conn, &event, &endpoint.id, &event.order_key)
        })
        .await?;
    events::deliver::wake();
    Ok(view)
}
