//! The `webhook_endpoints` table: where a product asked zoomsync to send its events.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::webhook_endpoints;

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub description: Option<String>,
    /// Space-separated event types, or `*`.
    pub event_types: String,
    /// The sealed `whsec_` secret.
    pub secret: Vec<u8>,
    pub enabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl EndpointRow {
    /// True when this endpoint asked for events of `event_type`.
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types.split_whitespace().any(|t| t == "*" || t == event_type)
    }
}

#[derive(Insertable)]
#[diesel(table_name = webhook_endpoints)]
pub struct NewEndpoint<'a> {
    pub id: &'a str,
    pub url: &'a str,
    pub description: Option<&'a str>,
    pub event_types: &'a str,
    pub secret: &'a [u8],
    pub enabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A change to an endpoint: `None` leaves a field as it is.
#[derive(AsChangeset, Default)]
#[diesel(table_name = webhook_endpoints)]
pub struct EndpointChange<'a> {
    pub url: Option<&'a str>,
    pub description: Option<Option<&'a str>>,
    pub event_types: Option<&'a str>,
    pub secret: Option<&'a [u8]>,
    pub enabled: Option<bool>,
    pub updated_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut AnyConnection, endpoint: &NewEndpoint<'_>) -> QueryResult<()> {
    diesel::insert_into(webhook_endpoints::table).values(endpoint).execute(conn).map(drop)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<EndpointRow>> {
    webhook_endpoints::table.find(id).select(EndpointRow::as_select()).first(conn).optional()
}

/// Every endpoint, oldest first (a handful per deployment).
pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<EndpointRow>> {
    webhook_endpoints::table
        .order((webhook_endpoints::created_at, webhook_endpoints::id))
        .select(EndpointRow::as_select())
        .load(conn)
}

/// The enabled endpoints: the ones a new event is delivered to.
pub fn enabled(conn: &mut AnyConnection) -> QueryResult<Vec<EndpointRow>> {
    webhook_endpoints::table.filter(webhook_endpoints::enabled.eq(true)).select(EndpointRow::as_select()).load(conn)
}

pub fn update(conn: &mut AnyConnection, id: &str, change: &EndpointChange<'_>) -> QueryResult<usize> {
    diesel::update(webhook_endpoints::table.find(id)).set(change).execute(conn)
}

/// Deletes the endpoint with its deliveries and their attempts.
pub fn delete(conn: &mut AnyConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(webhook_endpoints::table.find(id)).execute(conn)
}
