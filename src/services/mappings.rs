//! The meeting-to-credential table as admins see it.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::models::mappings::{self, ListFilter, MappingRow, MeetingKind, Source};
use crate::error::AppError;
use crate::pagination::{self, Cursor};
use crate::services::AppState;
use crate::time::utc;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct MappingView {
    pub meeting_id: i64,
    /// `meeting` or `webinar`.
    pub kind: MeetingKind,
    pub credential: String,
    pub host_user_id: String,
    pub source: Source,
    pub synced_at: DateTime<Utc>,
}

impl From<&MappingRow> for MappingView {
    fn from(row: &MappingRow) -> Self {
        Self {
            meeting_id: row.meeting_id,
            kind: row.kind,
            credential: row.credential_id.clone(),
            host_user_id: row.host_user_id.clone(),
            source: row.source,
            synced_at: utc(row.synced_at),
        }
    }
}

pub async fn list(
    state: &AppState,
    filter: ListFilter,
    after: Option<Cursor>,
    page_size: i64,
) -> Result<(Vec<MappingView>, Option<Cursor>), AppError> {
    let rows =
        state.db.read(move |conn| mappings::list(conn, &filter, after.map(|c| (c.key, c.id)), page_size + 1)).await?;
    Ok(pagination::split_page(rows, page_size, |row| {
        (MappingView::from(row), Cursor::number(row.meeting_id, &row.credential_id))
    }))
}
