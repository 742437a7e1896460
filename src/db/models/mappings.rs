use chrono::NaiveDateTime;
use diesel::dsl;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::models::apps::AppKind;
use crate::db::models::credentials::Health;
use crate::db::schema::{credentials, meeting_mappings, oauth_apps};
use crate::per_backend;

crate::text_enum! {
    /// How a meeting came to be mapped to a credential (docs/http.md, the mappings list).
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Source {
        Webhook = "webhook",
        Sync = "sync",
        Pmi = "pmi",
        Lookup = "lookup",
    }
}

crate::text_enum! {
    /// What a mapped ID names: a meeting or a webinar. They share one ID space at Zoom, but a
    /// webinar's join token comes from its own endpoint (and needs its own scope).
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema, Default)]
    #[serde(rename_all = "snake_case")]
    pub enum MeetingKind {
        #[default]
        Meeting = "meeting",
        Webinar = "webinar",
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = meeting_mappings)]
pub struct MappingRow {
    pub meeting_id: i64,
    pub credential_id: String,
    pub host_user_id: String,
    pub source: Source,
    pub synced_at: NaiveDateTime,
    pub event_ts: Option<i64>,
    pub kind: MeetingKind,
}

/// Maps `meeting_id` to a credential, or refreshes the mapping. A write carrying an `event_ts`
/// (a webhook) never overwrites a mapping written by a newer event. True when the mapping is
/// new.
pub fn upsert(conn: &mut AnyConnection, row: &MappingRow) -> QueryResult<bool> {
    let inserted = per_backend!(&mut *conn, |c| diesel::insert_into(meeting_mappings::table)
        .values(row)
        .on_conflict((meeting_mappings::meeting_id, meeting_mappings::credential_id))
        .do_nothing()
        .execute(c))?;
    if inserted == 1 {
        return Ok(true);
    }
    let target = meeting_mappings::table.find((row.meeting_id, &row.credential_id));
    let changes = (
        meeting_mappings::host_user_id.eq(&row.host_user_id),
        meeting_mappings::source.eq(row.source),
        meeting_mappings::synced_at.eq(row.synced_at),
        meeting_mappings::event_ts.eq(row.event_ts),
        meeting_mappings::kind.eq(row.kind),
    );
    match row.event_ts {
        Some(ts) => diesel::update(target)
            .filter(meeting_mappings::event_ts.is_null().or(meeting_mappings::event_ts.le(ts)))
            .set(changes)
            .execute(conn)?,
        None => diesel::update(target).set(changes).execute(conn)?,
    };
    Ok(false)
}

/// [`upsert`] for many rows; returns how many mappings are new. On PostgreSQL the new ones go
/// in one statement per [`INSERT_CHUNK`] rows (a round trip each is what costs there) and only
/// those that existed are updated one by one.
pub fn upsert_many(conn: &mut AnyConnection, rows: &[MappingRow]) -> QueryResult<usize> {
    let (existing, mut added): (Vec<&MappingRow>, usize) = match conn {
        AnyConnection::Postgresql(c) if rows.len() > 1 => {
            let mut inserted = std::collections::HashSet::new();
            for chunk in rows.chunks(INSERT_CHUNK) {
                inserted.extend(
                    diesel::insert_into(meeting_mappings::table)
                        .values(chunk)
                        .on_conflict((meeting_mappings::meeting_id, meeting_mappings::credential_id))
                        .do_nothing()
                        .returning((meeting_mappings::meeting_id, meeting_mappings::credential_id))
                        .get_results::<(i64, String)>(c)?,
                );
            }
            let existing =
                rows.iter().filter(|r| !inserted.contains(&(r.meeting_id, r.credential_id.clone()))).collect();
            (existing, inserted.len())
        }
        _ => (rows.iter().collect(), 0),
    };
    for row in existing {
        if upsert(conn, row)? {
            added += 1;
        }
    }
    Ok(added)
}

/// Rows per multi-row insert: PostgreSQL takes at most 65,535 bound values in one statement.
const INSERT_CHUNK: usize = 1000;

/// The credentials in one Zoom account. A webhook event changes only the mappings held by
/// credentials of the account it names (and only an app with a credential there may name it,
/// see `webhooks::apply`): no event speaks for another account's meetings or users.
fn of_account(
    account_id: &str,
) -> dsl::Select<dsl::Filter<credentials::table, dsl::Eq<credentials::account_id, String>>, credentials::id> {
    credentials::table.filter(credentials::account_id.eq(account_id.to_owned())).select(credentials::id)
}

/// Removes every mapping of a meeting held by `account_id`'s credentials that no event newer than
/// `event_ts` wrote. Returns how many went.
pub fn delete_meeting(
    conn: &mut AnyConnection,
    account_id: &str,
    meeting_id: i64,
    event_ts: i64,
) -> QueryResult<usize> {
    diesel::delete(
        meeting_mappings::table
            .filter(meeting_mappings::meeting_id.eq(meeting_id))
            .filter(meeting_mappings::credential_id.eq_any(of_account(account_id)))
            .filter(meeting_mappings::event_ts.is_null().or(meeting_mappings::event_ts.le(event_ts))),
    )
    .execute(conn)
}

/// Removes a meeting's mappings to `account_id`'s credentials other than `keep` (a host change
/// moves it).
pub fn delete_meeting_except(
    conn: &mut AnyConnection,
    account_id: &str,
    meeting_id: i64,
    keep: &[String],
    event_ts: i64,
) -> QueryResult<usize> {
    diesel::delete(
        meeting_mappings::table
            .filter(meeting_mappings::meeting_id.eq(meeting_id))
            .filter(meeting_mappings::credential_id.ne_all(keep))
            .filter(meeting_mappings::credential_id.eq_any(of_account(account_id)))
            .filter(meeting_mappings::event_ts.is_null().or(meeting_mappings::event_ts.le(event_ts))),
    )
    .execute(conn)
}

/// Removes `host_user_id`'s PMI mappings held by `account_id`'s credentials other than `keep`
/// (after a PMI change exactly one remains).
pub fn delete_pmis_except(
    conn: &mut AnyConnection,
    account_id: &str,
    host_user_id: &str,
    keep: i64,
) -> QueryResult<usize> {
    diesel::delete(
        meeting_mappings::table
            .filter(meeting_mappings::host_user_id.eq(host_user_id))
            .filter(meeting_mappings::credential_id.eq_any(of_account(account_id)))
            .filter(meeting_mappings::source.eq(Source::Pmi))
            .filter(meeting_mappings::meeting_id.ne(keep)),
    )
    .execute(conn)
}

/// Marks a meeting's mappings held by `account_id`'s credentials as just confirmed by an event,
/// unless a newer event wrote them.
pub fn touch(
    conn: &mut AnyConnection,
    account_id: &str,
    meeting_id: i64,
    event_ts: i64,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        meeting_mappings::table
            .filter(meeting_mappings::meeting_id.eq(meeting_id))
            .filter(meeting_mappings::credential_id.eq_any(of_account(account_id)))
            .filter(meeting_mappings::event_ts.is_null().or(meeting_mappings::event_ts.le(event_ts))),
    )
    .set((meeting_mappings::synced_at.eq(now), meeting_mappings::event_ts.eq(event_ts)))
    .execute(conn)
}

/// Removes every mapping of meetings hosted by `host_user_id` held by `account_id`'s credentials
/// (the user left Zoom).
pub fn delete_host(conn: &mut AnyConnection, account_id: &str, host_user_id: &str) -> QueryResult<usize> {
    diesel::delete(
        meeting_mappings::table
            .filter(meeting_mappings::host_user_id.eq(host_user_id))
            .filter(meeting_mappings::credential_id.eq_any(of_account(account_id))),
    )
    .execute(conn)
}

/// Removes `host_user_id`'s mappings held by `credential_ids` (a user who left an account keeps
/// the mappings of their own credentials, not those of the account's).
pub fn delete_host_for(conn: &mut AnyConnection, host_user_id: &str, credential_ids: &[String]) -> QueryResult<usize> {
    if credential_ids.is_empty() {
        return Ok(0);
    }
    diesel::delete(
        meeting_mappings::table
            .filter(meeting_mappings::host_user_id.eq(host_user_id))
            .filter(meeting_mappings::credential_id.eq_any(credential_ids)),
    )
    .execute(conn)
}

/// A credential that may mint, with what resolution needs to know about it: from a mapping (the
/// meeting's host), or named by a bot (its user; `host_user_id` is then that user).
#[derive(Clone, Debug, Queryable)]
pub struct Candidate {
    pub meeting_id: i64,
    /// What the mapped ID names; a meeting for a credential a bot named (not mapped).
    pub meeting_kind: MeetingKind,
    pub host_user_id: String,
    /// How the meeting came to be mapped; `None` for a credential a bot named (not mapped).
    pub source: Option<Source>,
    pub synced_at: NaiveDateTime,
    pub credential_id: String,
    pub credential_user_id: String,
    pub credential_account_id: String,
    pub status: Health,
    pub status_detail: Option<String>,
    pub scopes: String,
    pub app_id: String,
    pub app_kind: AppKind,
}

pub fn candidates(conn: &mut AnyConnection, meeting_id: i64) -> QueryResult<Vec<Candidate>> {
    meeting_mappings::table
        .inner_join(credentials::table.inner_join(oauth_apps::table))
        .filter(meeting_mappings::meeting_id.eq(meeting_id))
        .select((
            meeting_mappings::meeting_id,
            meeting_mappings::kind,
            meeting_mappings::host_user_id,
            meeting_mappings::source.nullable(),
            meeting_mappings::synced_at,
            credentials::id,
            credentials::zoom_user_id,
            credentials::account_id,
            credentials::status,
            credentials::status_detail,
            credentials::scopes,
            oauth_apps::id,
            oauth_apps::kind,
        ))
        .load(conn)
}

/// Filters of the admin list.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub meeting_id: Option<i64>,
    pub credential_id: Option<String>,
}

/// One page in (meeting_id, credential_id) order, after `after`.
pub fn list(
    conn: &mut AnyConnection,
    filter: &ListFilter,
    after: Option<(i64, String)>,
    limit: i64,
) -> QueryResult<Vec<MappingRow>> {
    let mut query = meeting_mappings::table.select(MappingRow::as_select()).into_boxed();
    if let Some(meeting_id) = filter.meeting_id {
        query = query.filter(meeting_mappings::meeting_id.eq(meeting_id));
    }
    if let Some(credential_id) = &filter.credential_id {
        query = query.filter(meeting_mappings::credential_id.eq(credential_id.clone()));
    }
    if let Some((meeting_id, credential_id)) = after {
        query =
            query.filter(meeting_mappings::meeting_id.gt(meeting_id).or(
                meeting_mappings::meeting_id.eq(meeting_id).and(meeting_mappings::credential_id.gt(credential_id)),
            ));
    }
    query.order((meeting_mappings::meeting_id.asc(), meeting_mappings::credential_id.asc())).limit(limit).load(conn)
}

/// After a complete backfill: removes the credential's mappings that the backfill did not list
/// and that nothing (webhook, lookup) wrote since it began; lookups older than `lookup_cutoff`
/// go too, to be looked up again if still wanted.
pub fn delete_stale(
    conn: &mut AnyConnection,
    credential_id: &str,
    listed: &[MeetingKind],
    sync_started: NaiveDateTime,
    lookup_cutoff: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(
        meeting_mappings::table.filter(meeting_mappings::credential_id.eq(credential_id)).filter(
            meeting_mappings::source
                .ne(Source::Lookup)
                // What the backfill did not list (webinars without the scope) it cannot call stale.
                .and(meeting_mappings::kind.eq_any(listed))
                .and(meeting_mappings::synced_at.lt(sync_started))
                .or(meeting_mappings::source.eq(Source::Lookup).and(meeting_mappings::synced_at.lt(lookup_cutoff))),
        ),
    )
    .execute(conn)
}

pub fn count_all(conn: &mut AnyConnection) -> QueryResult<i64> {
    meeting_mappings::table.count().get_result(conn)
}

pub fn count_for_credential(conn: &mut AnyConnection, credential_id: &str) -> QueryResult<i64> {
    meeting_mappings::table.filter(meeting_mappings::credential_id.eq(credential_id)).count().get_result(conn)
}
