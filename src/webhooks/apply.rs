//! What each event does to the meeting-to-credential table (docs/http.md), inside the
//! transaction that records the event, so an acknowledged event is always both stored and
//! applied. Events are applied by their Zoom time: an event older than the state it would
//! change leaves that state alone, and a late retry never brings back what a later event
//! removed (deletes leave a tombstone).
//!
//! Events are applied a batch at a time (see `ingest`); [`Batch`] holds what the batch's events
//! share, read once: the tombstones of its meetings and which credentials can mint for a host.

use crate::events::Event;
use std::collections::HashMap;

use chrono::NaiveDateTime;

use super::event::Change;
use crate::db::models::apps::AppRow;
use crate::db::models::credentials;
use crate::db::models::mappings::{self, MappingRow, MeetingKind, Source};
use crate::db::models::webhook_events::EventStatus;
use crate::db::models::{tombstones, zoom_users};
use diesel::QueryResult;

use crate::db::AnyConnection;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Applied(String),
    Ignored(String),
}

impl Outcome {
    pub fn status(&self) -> EventStatus {
        match self {
            Self::Applied(_) => EventStatus::Applied,
            Self::Ignored(_) => EventStatus::Ignored,
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            Self::Applied(d) | Self::Ignored(d) => d,
        }
    }
}

/// The outcome, credentials the event deleted (their cached tokens must go too), and credentials
/// to revive: healthy again once a refresh succeeds (after `user.activated`).
pub struct Applied {
    pub outcome: Outcome,
    pub deleted_credentials: Vec<String>,
    pub revived_credentials: Vec<String>,
}

impl From<Outcome> for Applied {
    fn from(outcome: Outcome) -> Self {
        Self { outcome, deleted_credentials: Vec::new(), revived_credentials: Vec::new() }
    }
}

/// How `user.deactivated` marks a user's own credentials; `user.activated` revives those only.
pub const DEACTIVATED: &str = "the Zoom user was deactivated";

/// What a batch's events share, read once per batch, and the new mappings of its
/// `meeting.created` events, written together (see [`Batch::flush`]).
#[derive(Default)]
pub struct Batch {
    /// (host, account) -> the account's credentials that can mint for that host.
    able: HashMap<(String, String), Vec<String>>,
    /// (app, account) -> whether the app holds a credential in the account.
    speaks_for: HashMap<(String, String), bool>,
    /// meeting id -> event time of its newest delete, for every meeting the batch names.
    tombstones: HashMap<i64, i64>,
    /// Mappings `meeting.created` events asked for, not written yet.
    pending: Vec<MappingRow>,
}

impl Batch {
    /// Reads the tombstones of every meeting `changes` name.
    pub fn load<'a>(conn: &mut AnyConnection, changes: impl Iterator<Item = &'a Change>) -> QueryResult<Self> {
        let ids: Vec<i64> = changes
            .filter_map(|c| match c {
                Change::MeetingCreated { meeting_id, .. }
                | Change::MeetingUpdated { meeting_id, .. }
                | Change::MeetingDeleted { meeting_id, .. }
                | Change::MeetingRecovered { meeting_id, .. } => Some(*meeting_id),
                _ => None,
            })
            .collect();
        Ok(Self {
            able: HashMap::new(),
            speaks_for: HashMap::new(),
            tombstones: tombstones::for_meetings(conn, &ids)?.into_iter().collect(),
            pending: Vec::new(),
        })
    }

    /// Writes the pending mappings. Called before any event that reads or removes mappings, and
    /// at the end of the batch, so the order of effects is the order of the events.
    pub fn flush(&mut self, conn: &mut AnyConnection) -> QueryResult<()> {
        if !self.pending.is_empty() {
            mappings::upsert_many(conn, &self.pending)?;
            self.pending.clear();
        }
        Ok(())
    }

    /// Zoom sends an app events only for accounts that installed it: an app without a
    /// credential in the account an event names has no say about that account's meetings.
    fn speaks_for(&mut self, conn: &mut AnyConnection, app: &str, account: &str) -> QueryResult<bool> {
        let key = (app.to_owned(), account.to_owned());
        if let Some(known) = self.speaks_for.get(&key) {
            return Ok(*known);
        }
        let known = credentials::app_is_in_account(conn, app, account)?;
        self.speaks_for.insert(key, known);
        Ok(known)
    }

    /// Only credentials in the account the event names: no event speaks for another account.
    fn able(&mut self, conn: &mut AnyConnection, host: &str, account: &str) -> QueryResult<Vec<String>> {
        let key = (host.to_owned(), account.to_owned());
        if let Some(ids) = self.able.get(&key) {
            return Ok(ids.clone());
        }
        let ids = credentials::able_to_mint_in_account(conn, host, account)?;
        self.able.insert(key, ids.clone());
        Ok(ids)
    }
}

pub fn apply(
    conn: &mut AnyConnection,
    batch: &mut Batch,
    app: &AppRow,
    change: &Change,
    event_ts: i64,
    now: NaiveDateTime,
) -> QueryResult<Applied> {
    // Only a creation may wait in the batch's buffer; anything else sees every earlier write.
    if !matches!(change, Change::MeetingCreated { .. }) {
        batch.flush(conn)?;
    }
    if let Some(account) = change.named_account()
        && !batch.speaks_for(conn, &app.id, account)?
    {
        return Ok(Outcome::Ignored("the app has no credential in the Zoom account the event names".into()).into());
    }
    Ok(match change {
        Change::MeetingCreated { meeting_id, kind, host_id, account_id } => {
            map_to_host(conn, batch, (*meeting_id, *kind), host_id, account_id, event_ts, now, false)?.into()
        }
        Change::MeetingUpdated { meeting_id, kind, host_id: Some(host_id), account_id } => {
            map_to_host(conn, batch, (*meeting_id, *kind), host_id, account_id, event_ts, now, true)?.into()
        }
        Change::MeetingUpdated { meeting_id, host_id: None, account_id, .. } => {
            let touched = mappings::touch(conn, account_id, *meeting_id, event_ts, now)?;
            if touched == 0 {
                Outcome::Ignored("no mapping to refresh".into()).into()
            } else {
                Outcome::Applied(format!("refreshed {touched} mapping(s)")).into()
            }
        }
        Change::MeetingDeleted { occurrences, .. } if !occurrences.is_empty() => {
            Outcome::Ignored("only occurrences were deleted; the meeting stays".into()).into()
        }
        Change::MeetingRecovered { meeting_id, kind, host_id, account_id } => {
            // Back from Zoom's bin: the delete it undoes no longer stands (a later one would).
            if batch.tombstones.get(meeting_id).is_some_and(|deleted| *deleted < event_ts) {
                tombstones::clear_before(conn, *meeting_id, event_ts)?;
                batch.tombstones.remove(meeting_id);
            }
            map_to_host(conn, batch, (*meeting_id, *kind), host_id, account_id, event_ts, now, false)?.into()
        }
        Change::MeetingDeleted { meeting_id, account_id, .. } => {
            let removed = mappings::delete_meeting(conn, account_id, *meeting_id, event_ts)?;
            tombstones::record(conn, *meeting_id, event_ts, now)?;
            let newest = batch.tombstones.entry(*meeting_id).or_insert(event_ts);
            *newest = (*newest).max(event_ts);
            Outcome::Applied(format!("removed {removed} mapping(s)")).into()
        }
        Change::UserUpdated { user_id, account_id, pmi, old_pmi, vanity_name } => {
            user_updated(conn, batch, user_id, account_id, *pmi, *old_pmi, vanity_name.as_deref(), event_ts, now)?
                .into()
        }
        Change::UserGone { user_id, deleted: true, account_id } => {
            // The grant went with the user: nothing can revive it, so the user's own
            // credentials go too (an account-wide credential stays: the account still exists).
            let removed = mappings::delete_host(conn, account_id, user_id)?;
            let own = credentials::user_level_of(conn, account_id, user_id)?;
            for id in &own {
                let Some(row) = credentials::find(conn, id)? else { continue };
                if credentials::delete(conn, id)? == 1 {
                    let reason = crate::events::DeleteReason::ZoomUserDeleted;
                    crate::events::record(conn, &Event::Deleted { credential: &row, reason })?;
                    tracing::info!(credential = %id, "credential deleted: its Zoom user was deleted");
                }
            }
            zoom_users::delete(conn, user_id)?;
            if !own.is_empty() {
                batch.able.clear();
                batch.speaks_for.clear();
            }
            Applied {
                outcome: Outcome::Applied(format!("removed {removed} mapping(s); deleted {} credential(s)", own.len())),
                deleted_credentials: own,
                revived_credentials: Vec::new(),
            }
        }
        Change::UserGone { user_id, deleted: false, account_id } => {
            let removed = mappings::delete_host(conn, account_id, user_id)?;
            let own = credentials::user_level_of(conn, account_id, user_id)?;
            for id in &own {
                // Not the user's to fix: a Zoom admin reactivates them, and `user.activated`
                // makes the credential healthy again.
                if credentials::mark_unhealthy(conn, id, DEACTIVATED, now)? {
                    crate::events::record(conn, &Event::Unhealthy { credential: id, user_must_act: false })?;
                }
                crate::db::models::credential_logs::append_at(
                    conn,
                    id,
                    crate::db::models::credential_logs::Level::Error,
                    &format!("credential unhealthy: {DEACTIVATED} (webhook)"),
                    now,
                )?;
            }
            Outcome::Applied(format!("removed {removed} mapping(s); {} credential(s) unhealthy", own.len())).into()
        }
        Change::UserActivated { user_id, account_id } => {
            let mut revived = Vec::new();
            for id in credentials::user_level_of(conn, account_id, user_id)? {
                if credentials::find(conn, &id)?
                    .is_some_and(|c| !c.is_healthy() && c.status_detail.as_deref() == Some(DEACTIVATED))
                {
                    revived.push(id);
                }
            }
            Applied {
                outcome: Outcome::Applied(format!("{} credential(s) to revive once a refresh succeeds", revived.len())),
                deleted_credentials: Vec::new(),
                revived_credentials: revived,
            }
        }
        Change::UserDisassociated { user_id, account_id } => {
            let account_wide = credentials::account_wide_of(conn, account_id)?;
            let removed = mappings::delete_host_for(conn, user_id, &account_wide)?;
            Outcome::Applied(format!("removed {removed} mapping(s) held by the account the user left")).into()
        }
        Change::AppDeauthorized { user_id, account_id, deauthorized_at } => {
            let subject = if app.kind.is_account_wide() { account_id } else { user_id };
            match credentials::find_by_subject(conn, &app.id, subject)? {
                // A late or repeated deauthorization from before the user connected again
                // must not delete the fresh grant.
                Some(credential)
                    if credential.connected_at.unwrap_or(credential.created_at).and_utc().timestamp_millis()
                        > *deauthorized_at =>
                {
                    Outcome::Ignored("a deauthorization from before the latest connection".into()).into()
                }
                Some(credential) => {
                    // An admin's deletion (this answers its revoke) was reported when asked.
                    if credentials::delete(conn, &credential.id)? == 1 && credential.delete_requested_at.is_none() {
                        let reason = crate::events::DeleteReason::ZoomDeauthorized;
                        crate::events::record(conn, &Event::Deleted { credential: &credential, reason })?;
                    }
                    // Later events of the batch must not map to the deleted credential.
                    batch.able.clear();
                    batch.speaks_for.clear();
                    tracing::info!(credential = %credential.id, app = %app.id, "credential deleted: the app was deauthorized at Zoom");
                    Applied {
                        outcome: Outcome::Applied(format!("deleted credential {} (app deauthorized)", credential.id)),
                        deleted_credentials: vec![credential.id],
                        revived_credentials: Vec::new(),
                    }
                }
                None => Outcome::Ignored("no credential for that user".into()).into(),
            }
        }
        Change::Ignored => Outcome::Ignored("not an event zoomsync acts on".into()).into(),
    })
}

/// Maps a meeting (or webinar) to every credential that can mint for its host, and (for a host
/// change) drops its mappings to credentials that no longer can.
#[allow(clippy::too_many_arguments)]
fn map_to_host(
    conn: &mut AnyConnection,
    batch: &mut Batch,
    (meeting_id, kind): (i64, MeetingKind),
    host_id: &str,
    account_id: &str,
    event_ts: i64,
    now: NaiveDateTime,
    moving: bool,
) -> QueryResult<Outcome> {
    if batch.tombstones.get(&meeting_id).is_some_and(|deleted| *deleted >= event_ts) {
        return Ok(Outcome::Ignored("the meeting was deleted by a later event".into()));
    }
    let credential_ids = batch.able(conn, host_id, account_id)?;
    let moved = if moving {
        mappings::delete_meeting_except(conn, account_id, meeting_id, &credential_ids, event_ts)?
    } else {
        0
    };
    if credential_ids.is_empty() {
        return Ok(if moved > 0 {
            Outcome::Applied(format!("the new host has no credential; removed {moved} mapping(s)"))
        } else {
            Outcome::Ignored("no credential for the host".into())
        });
    }
    for credential_id in &credential_ids {
        let row = MappingRow {
            meeting_id,
            credential_id: credential_id.clone(),
            host_user_id: host_id.to_owned(),
            source: Source::Webhook,
            synced_at: now,
            event_ts: Some(event_ts),
            kind,
        };
        if moving {
            mappings::upsert(conn, &row)?;
        } else {
            batch.pending.push(row);
        }
    }
    Ok(Outcome::Applied(format!("mapped to {} credential(s)", credential_ids.len())))
}

#[allow(clippy::too_many_arguments)]
fn user_updated(
    conn: &mut AnyConnection,
    batch: &mut Batch,
    user_id: &str,
    account_id: &str,
    pmi: Option<i64>,
    old_pmi: Option<i64>,
    vanity_name: Option<&str>,
    event_ts: i64,
    now: NaiveDateTime,
) -> QueryResult<Outcome> {
    if !zoom_users::apply_event(conn, user_id, account_id, pmi, vanity_name, event_ts, now)? {
        return Ok(Outcome::Ignored("older than what a later event recorded".into()));
    }
    // As ATT does: no PMI, or the same PMI as before, is no PMI change.
    let Some(new_pmi) = pmi.filter(|new| Some(*new) != old_pmi) else {
        return Ok(Outcome::Applied(if vanity_name.is_some() {
            "vanity name updated".into()
        } else {
            "nothing to change".into()
        }));
    };
    // Exactly one PMI mapping per user: drop every other, then map the new one.
    let dropped = mappings::delete_pmis_except(conn, account_id, user_id, new_pmi)?;
    let credential_ids = batch.able(conn, user_id, account_id)?;
    for credential_id in &credential_ids {
        mappings::upsert(
            conn,
            &MappingRow {
                meeting_id: new_pmi,
                credential_id: credential_id.clone(),
                host_user_id: user_id.to_owned(),
                source: Source::Pmi,
                synced_at: now,
                event_ts: Some(event_ts),
                kind: MeetingKind::Meeting,
            },
        )?;
    }
    Ok(Outcome::Applied(format!(
        "PMI mapped to {} credential(s); {dropped} old PMI mapping(s) removed",
        credential_ids.len()
    )))
}
