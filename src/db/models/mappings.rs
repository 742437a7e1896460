use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::meeting_mappings;

/// How a meeting came to be mapped to a credential (CONTRACT.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Webhook,
    Sync,
    Pmi,
    Lookup,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Webhook => "webhook",
            Self::Sync => "sync",
            Self::Pmi => "pmi",
            Self::Lookup => "lookup",
        }
    }
}

#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = meeting_mappings)]
pub struct MappingRow {
    pub meeting_id: i64,
    pub credential_id: String,
    pub host_user_id: String,
    pub source: String,
    pub synced_at: NaiveDateTime,
    pub event_ts: Option<i64>,
}

pub fn for_meeting(conn: &mut AnyConnection, meeting_id: i64) -> QueryResult<Vec<MappingRow>> {
    meeting_mappings::table
        .filter(meeting_mappings::meeting_id.eq(meeting_id))
        .select(MappingRow::as_select())
        .load(conn)
}
