use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::credentials;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    Healthy,
    Unhealthy,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Healthy => "healthy",
            Self::Unhealthy => "unhealthy",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncStatus {
    NotStarted,
    InProgress,
    Completed,
    Failed,
}

impl SyncStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::InProgress => "in_progress",
            Self::Completed => "completed",
            Self::Failed => "failed",
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Identifiable)]
#[diesel(table_name = credentials)]
pub struct CredentialRow {
    pub id: String,
    pub app_id: String,
    pub subject: String,
    pub zoom_user_id: String,
    pub account_id: String,
    pub email: Option<String>,
    pub scopes: String,
    pub refresh_token: Option<Vec<u8>>,
    pub access_token: Option<Vec<u8>>,
    pub access_token_expires_at: Option<NaiveDateTime>,
    pub status: String,
    pub status_detail: Option<String>,
    pub meeting_sync_status: String,
    pub last_synced_at: Option<NaiveDateTime>,
    pub last_refreshed_at: Option<NaiveDateTime>,
    pub pmi: Option<i64>,
    pub vanity_name: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<CredentialRow>> {
    credentials::table.find(id).select(CredentialRow::as_select()).first(conn).optional()
}

/// Every row, for `zoomsync reencrypt`.
pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<CredentialRow>> {
    credentials::table.select(CredentialRow::as_select()).order(credentials::id.asc()).load(conn)
}

/// Replaces the stored ciphertexts of one row (re-encryption keeps the plaintexts).
pub fn set_ciphertexts(
    conn: &mut AnyConnection,
    id: &str,
    refresh_token: Option<Vec<u8>>,
    access_token: Option<Vec<u8>>,
) -> QueryResult<usize> {
    diesel::update(credentials::table.find(id))
        .set((credentials::refresh_token.eq(refresh_token), credentials::access_token.eq(access_token)))
        .execute(conn)
}
