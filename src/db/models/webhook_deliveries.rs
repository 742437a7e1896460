//! The `webhook_deliveries` outbox and its `webhook_attempts`: one delivery per event and
//! endpoint, claimed by one worker at a time with a lease, delivered oldest first per
//! (endpoint, order key).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{outbound_events, webhook_attempts, webhook_deliveries, webhook_endpoints};

crate::text_enum! {
    /// Where a delivery stands: `failed` means every retry was used up.
    #[derive(serde::Serialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum DeliveryStatus {
        Pending = "pending",
        Delivered = "delivered",
        Failed = "failed",
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct DeliveryRow {
    pub id: i64,
    pub event_id: String,
    pub endpoint_id: String,
    pub order_key: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_owner: Option<String>,
    pub lease_until: Option<NaiveDateTime>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub delivered_at: Option<NaiveDateTime>,
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = webhook_attempts)]
pub struct AttemptRow {
    pub id: i64,
    pub delivery_id: i64,
    pub attempted_at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// Queues `event_id` for `endpoint_id`, due at once.
pub fn enqueue(
    conn: &mut AnyConnection,
    event_id: &str,
    endpoint_id: &str,
    order_key: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::event_id.eq(event_id),
            webhook_deliveries::endpoint_id.eq(endpoint_id),
            webhook_deliveries::order_key.eq(order_key),
            webhook_deliveries::status.eq(DeliveryStatus::Pending),
            webhook_deliveries::attempts.eq(0),
            webhook_deliveries::next_attempt_at.eq(now),
            webhook_deliveries::created_at.eq(now),
            webhook_deliveries::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

diesel::alias!(webhook_deliveries as older: OlderDeliveries);

/// Up to `limit` deliveries a worker may attempt now: pending, due, not leased by a live
/// worker, to an enabled endpoint, and the oldest pending one of their (endpoint, order key),
/// so that a credential's events arrive in the order they happened.
pub fn claimable(conn: &mut AnyConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<DeliveryRow>> {
    let older_pending = older
        .filter(older.field(webhook_deliveries::endpoint_id).eq(webhook_deliveries::endpoint_id))
        .filter(older.field(webhook_deliveries::order_key).eq(webhook_deliveries::order_key))
        .filter(older.field(webhook_deliveries::status).eq(DeliveryStatus::Pending))
        .filter(older.field(webhook_deliveries::id).lt(webhook_deliveries::id));
    webhook_deliveries::table
        .inner_join(webhook_endpoints::table)
        .filter(webhook_endpoints::enabled.eq(true))
        .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .filter(webhook_deliveries::lease_until.is_null().or(webhook_deliveries::lease_until.lt(now)))
        .filter(diesel::dsl::not(diesel::dsl::exists(older_pending)))
        .order(webhook_deliveries::id)
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)
}

/// Takes the lease on a delivery until `until`; false when another worker holds it or it is
/// no longer pending. The conditional update is the arbiter across replicas.
pub fn try_claim(
    conn: &mut AnyConnection,
    id: i64,
    owner: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let claimed = diesel::update(
        webhook_deliveries::table
            .find(id)
            .filter(webhook_deliveries::status.eq(DeliveryStatus::Pending))
            .filter(webhook_deliveries::lease_until.is_null().or(webhook_deliveries::lease_until.lt(now))),
    )
    .set((webhook_deliveries::lease_owner.eq(Some(owner)), webhook_deliveries::lease_until.eq(Some(until))))
    .execute(conn)?;
    Ok(claimed == 1)
}

/// What one attempt came to.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub at: NaiveDateTime,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
    /// The receiver took it (a 2xx).
    pub delivered: bool,
    /// When to try again after a failure; `None`: the retries are used up.
    pub retry_at: Option<NaiveDateTime>,
}

/// Records an attempt and moves the delivery on, if this worker still holds its lease: a
/// worker whose lease ran out while it waited on the receiver records nothing over another's.
pub fn record_attempt(conn: &mut AnyConnection, id: i64, owner: &str, attempt: &Attempt) -> QueryResult<bool> {
    let (status, next) = match (attempt.delivered, attempt.retry_at) {
        (true, _) => (DeliveryStatus::Delivered, attempt.at),
        (false, Some(at)) => (DeliveryStatus::Pending, at),
        (false, None) => (DeliveryStatus::Failed, attempt.at),
    };
    let moved = diesel::update(webhook_deliveries::table.find(id).filter(webhook_deliveries::lease_owner.eq(owner)))
        .set((
            webhook_deliveries::status.eq(status),
            webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
            webhook_deliveries::next_attempt_at.eq(next),
            webhook_deliveries::lease_owner.eq(None::<String>),
            webhook_deliveries::lease_until.eq(None::<NaiveDateTime>),
            webhook_deliveries::last_status_code.eq(attempt.status_code),
            webhook_deliveries::last_error.eq(attempt.error.as_deref()),
            webhook_deliveries::updated_at.eq(attempt.at),
            webhook_deliveries::delivered_at.eq(attempt.delivered.then_some(attempt.at)),
        ))
        .execute(conn)?;
    if moved == 0 {
        return Ok(false);
    }
    diesel::insert_into(webhook_attempts::table)
        .values((
            webhook_attempts::delivery_id.eq(id),
            webhook_attempts::attempted_at.eq(attempt.at),
            webhook_attempts::status_code.eq(attempt.status_code),
            webhook_attempts::error.eq(attempt.error.as_deref()),
            webhook_attempts::duration_ms.eq(attempt.duration_ms),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Deliveries not yet delivered or given up (through the `(status, next_attempt_at)` index).
pub fn count_pending(conn: &mut AnyConnection) -> QueryResult<i64> {
    webhook_deliveries::table.filter(webhook_deliveries::status.eq(DeliveryStatus::Pending)).count().get_result(conn)
}

pub fn find(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<DeliveryRow>> {
    webhook_deliveries::table.find(id).select(DeliveryRow::as_select()).first(conn).optional()
}

/// An endpoint's deliveries with their events, newest first, older than `before` when given.
pub fn page_for_endpoint(
    conn: &mut AnyConnection,
    endpoint_id: &str,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(DeliveryRow, super::outbound_events::EventRow)>> {
    let mut query = webhook_deliveries::table
        .inner_join(outbound_events::table)
        .filter(webhook_deliveries::endpoint_id.eq(endpoint_id))
        .select((DeliveryRow::as_select(), super::outbound_events::EventRow::as_select()))
        .into_boxed();
    if let Some(id) = before {
        query = query.filter(webhook_deliveries::id.lt(id));
    }
    query.order(webhook_deliveries::id.desc()).limit(limit).load(conn)
}

/// The attempts of these deliveries, oldest first.
pub fn attempts_of(conn: &mut AnyConnection, deliveries: &[i64]) -> QueryResult<Vec<AttemptRow>> {
    webhook_attempts::table
        .filter(webhook_attempts::delivery_id.eq_any(deliveries))
        .order((webhook_attempts::delivery_id, webhook_attempts::id))
        .select(AttemptRow::as_select())
        .load(conn)
}

/// Deliveries whose events are older than `before` and that are finished (delivered or given
/// up), at most `limit`: what housekeeping removes with their events.
pub fn prune_finished(conn: &mut AnyConnection, before: NaiveDateTime, limit: i64) -> QueryResult<usize> {
    let old: Vec<i64> = webhook_deliveries::table
        .filter(webhook_deliveries::created_at.lt(before))
        .filter(webhook_deliveries::status.ne(DeliveryStatus::Pending))
        .select(webhook_deliveries::id)
        .limit(limit)
        .load(conn)?;
    let removed =
        diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&old))).execute(conn)?;
    // Events none of whose deliveries are left.
    let orphaned = outbound_events::table
        .filter(outbound_events::created_at.lt(before))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            webhook_deliveries::table.filter(webhook_deliveries::event_id.eq(outbound_events::id)),
        )))
        .select(outbound_events::id)
        .limit(limit)
        .load::<String>(conn)?;
    let events = diesel::delete(outbound_events::table.filter(outbound_events::id.eq_any(&orphaned))).execute(conn)?;
    Ok(removed + events)
}
