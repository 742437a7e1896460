use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::models::apps::{AppKind, Cloud};
use crate::db::schema::{credentials, oauth_apps};

crate::text_enum! {
    /// Whether a credential can be used: `unhealthy` means the user must reconnect (or an admin
    /// fix the app); `status_detail` says why.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Health {
        Healthy = "healthy",
        Unhealthy = "unhealthy",
    }
}

crate::text_enum! {
    /// Where a credential's backfill stands (and, in `sync_runs`, how one run ended).
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum SyncStatus {
        NotStarted = "not_started",
        InProgress = "in_progress",
        Completed = "completed",
        Failed = "failed",
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
    pub status: Health,
    pub status_detail: Option<String>,
    pub meeting_sync_status: SyncStatus,
    pub last_synced_at: Option<NaiveDateTime>,
    pub last_refreshed_at: Option<NaiveDateTime>,
    pub pmi: Option<i64>,
    pub vanity_name: Option<String>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub refresh_lease_owner: Option<String>,
    pub refresh_lease_until: Option<NaiveDateTime>,
    pub sync_lease_owner: Option<String>,
    pub sync_lease_until: Option<NaiveDateTime>,
    pub sync_tick: Option<NaiveDateTime>,
    /// When the user last connected or reconnected (`None` on rows from before it was kept).
    pub connected_at: Option<NaiveDateTime>,
    /// An admin deleted it, and Zoom has not confirmed revoking the grant yet.
    pub delete_requested_at: Option<NaiveDateTime>,
}

impl CredentialRow {
    pub fn is_healthy(&self) -> bool {
        self.status == Health::Healthy
    }

    pub fn scope_list(&self) -> Vec<&str> {
        self.scopes.split_whitespace().collect()
    }
}

/// The credentials that may mint for Zoom user `user_id` of `account_id`: the user's own
/// user-level ones and the account-wide ones of the account, with their app's kind.
pub fn for_user(
    conn: &mut AnyConnection,
    user_id: &str,
    account_id: &str,
) -> QueryResult<Vec<(CredentialRow, AppKind)>> {
    credentials::table
        .inner_join(oauth_apps::table)
        .filter(
            credentials::zoom_user_id
                .eq(user_id)
                .and(oauth_apps::kind.eq(AppKind::UserLevel))
                .or(credentials::account_id.eq(account_id).and(oauth_apps::kind.ne(AppKind::UserLevel))),
        )
        .select((CredentialRow::as_select(), oauth_apps::kind))
        .order(credentials::updated_at.desc())
        .load(conn)
}

/// Says why the credential cannot be used for now, keeping its health (`None` clears it).
pub fn set_status_detail(conn: &mut AnyConnection, id: &str, detail: Option<&str>) -> QueryResult<usize> {
    diesel::update(credentials::table.find(id)).set(credentials::status_detail.eq(detail)).execute(conn)
}

/// Healthy account-level and server-to-server credentials, with their app's kind: the ones that
/// may look an unmapped meeting up.
///
/// A bot asking for an unknown meeting runs this: the apps first (a handful of rows), then their
/// credentials through the `(app_id, subject)` index, so thousands of user-level credentials are
/// never read. Without an account-wide app it is one small query.
pub fn healthy_account_wide(conn: &mut AnyConnection) -> QueryResult<Vec<(CredentialRow, AppKind)>> {
    let apps: Vec<(String, AppKind)> = oauth_apps::table
        .filter(oauth_apps::kind.ne(AppKind::UserLevel))
        .select((oauth_apps::id, oauth_apps::kind))
        .load(conn)?;
    if apps.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<CredentialRow> = credentials::table
        .filter(credentials::app_id.eq_any(apps.iter().map(|(id, _)| id.as_str())))
        .filter(credentials::status.eq(Health::Healthy))
        .select(CredentialRow::as_select())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let kind = apps.iter().find(|(id, _)| *id == row.app_id).map(|(_, kind)| *kind)?;
            Some((row, kind))
        })
        .collect())
}

/// The account-level and server-to-server credentials of `account_id`.
pub fn account_wide_of(conn: &mut AnyConnection, account_id: &str) -> QueryResult<Vec<String>> {
    credentials::table
        .inner_join(oauth_apps::table)
        .filter(credentials::account_id.eq(account_id))
        .filter(oauth_apps::kind.ne(AppKind::UserLevel))
        .select(credentials::id)
        .load(conn)
}

/// The kind of the credential's app.
pub fn app_kind(conn: &mut AnyConnection, id: &str) -> QueryResult<AppKind> {
    credentials::table.inner_join(oauth_apps::table).filter(credentials::id.eq(id)).select(oauth_apps::kind).first(conn)
}

/// A new credential, or the fields a reconnect replaces.
#[derive(Insertable)]
#[diesel(table_name = credentials)]
pub struct NewCredential<'a> {
    pub id: &'a str,
    pub app_id: &'a str,
    pub subject: &'a str,
    pub zoom_user_id: &'a str,
    pub account_id: &'a str,
    pub email: Option<&'a str>,
    pub scopes: &'a str,
    pub refresh_token: Option<&'a [u8]>,
    pub access_token: Option<&'a [u8]>,
    pub access_token_expires_at: Option<NaiveDateTime>,
    pub status: Health,
    pub status_detail: Option<&'a str>,
    pub meeting_sync_status: SyncStatus,
    pub last_refreshed_at: Option<NaiveDateTime>,
    pub pmi: Option<i64>,
    pub vanity_name: Option<&'a str>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub connected_at: Option<NaiveDateTime>,
}

/// What a reconnect changes on an existing credential (its id, mappings and logs stay).
#[derive(AsChangeset)]
#[diesel(table_name = credentials, treat_none_as_null = true)]
pub struct Reconnect<'a> {
    pub zoom_user_id: &'a str,
    pub account_id: &'a str,
    pub email: Option<&'a str>,
    pub scopes: &'a str,
    pub refresh_token: Option<&'a [u8]>,
    pub access_token: Option<&'a [u8]>,
    pub access_token_expires_at: Option<NaiveDateTime>,
    pub status: Health,
    pub status_detail: Option<&'a str>,
    pub last_refreshed_at: Option<NaiveDateTime>,
    pub pmi: Option<i64>,
    pub vanity_name: Option<&'a str>,
    pub updated_at: NaiveDateTime,
    pub refresh_lease_owner: Option<&'a str>,
    pub refresh_lease_until: Option<NaiveDateTime>,
    pub connected_at: Option<NaiveDateTime>,
    /// A reconnect withdraws a deletion whose revoke was pending.
    pub delete_requested_at: Option<NaiveDateTime>,
}

pub fn insert(conn: &mut AnyConnection, credential: &NewCredential<'_>) -> QueryResult<()> {
    diesel::insert_into(credentials::table).values(credential).execute(conn).map(drop)
}

pub fn reconnect(conn: &mut AnyConnection, id: &str, change: &Reconnect<'_>) -> QueryResult<usize> {
    diesel::update(credentials::table.find(id))
        .set((change, credentials::version.eq(credentials::version + 1)))
        .execute(conn)
}

pub fn find_by_subject(conn: &mut AnyConnection, app_id: &str, subject: &str) -> QueryResult<Option<CredentialRow>> {
    credentials::table
        .filter(credentials::app_id.eq(app_id))
        .filter(credentials::subject.eq(subject))
        .select(CredentialRow::as_select())
        .first(conn)
        .optional()
}

/// Filters of the admin list.
#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub app_id: Option<String>,
    pub status: Option<Health>,
    pub zoom_user_id: Option<String>,
}

pub fn list(
    conn: &mut AnyConnection,
    filter: &ListFilter,
    after: Option<(NaiveDateTime, String)>,
    limit: i64,
) -> QueryResult<Vec<(CredentialRow, AppKind)>> {
    let mut query = credentials::table
        .inner_join(oauth_apps::table)
        .select((CredentialRow::as_select(), oauth_apps::kind))
        .into_boxed();
    if let Some(app_id) = &filter.app_id {
        query = query.filter(credentials::app_id.eq(app_id.clone()));
    }
    if let Some(status) = &filter.status {
        query = query.filter(credentials::status.eq(*status));
    }
    if let Some(user) = &filter.zoom_user_id {
        query = query.filter(credentials::zoom_user_id.eq(user.clone()));
    }
    if let Some((at, id)) = after {
        query =
            query.filter(credentials::created_at.gt(at).or(credentials::created_at.eq(at).and(credentials::id.gt(id))));
    }
    query.order((credentials::created_at.asc(), credentials::id.asc())).limit(limit).load(conn)
}

pub fn delete(conn: &mut AnyConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(credentials::table.find(id)).execute(conn)
}

/// Takes the refresh lease if nobody holds a live one (or `owner` already does).
pub fn try_lease(
    conn: &mut AnyConnection,
    id: &str,
    owner: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let taken = diesel::update(credentials::table.find(id))
        .filter(
            credentials::refresh_lease_until
                .is_null()
                .or(credentials::refresh_lease_until.lt(now))
                .or(credentials::refresh_lease_owner.eq(owner)),
        )
        .set((credentials::refresh_lease_owner.eq(owner), credentials::refresh_lease_until.eq(until)))
        .execute(conn)?;
    Ok(taken == 1)
}

pub fn release_lease(conn: &mut AnyConnection, id: &str, owner: &str) -> QueryResult<usize> {
    diesel::update(credentials::table.find(id))
        .filter(credentials::refresh_lease_owner.eq(owner))
        .set((
            credentials::refresh_lease_owner.eq(None::<String>),
            credentials::refresh_lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// Stores freshly issued tokens (and releases the lease) in one statement. The new refresh token
/// must be committed before the new access token is used: Zoom has already killed the old one.
#[allow(clippy::too_many_arguments)]
pub fn store_refreshed(
    conn: &mut AnyConnection,
    id: &str,
    refresh_token: Option<&[u8]>,
    access_token: &[u8],
    expires_at: NaiveDateTime,
    scopes: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let target = credentials::table.find(id);
    let common = (
        credentials::access_token.eq(Some(access_token)),
        credentials::access_token_expires_at.eq(Some(expires_at)),
        credentials::status.eq(Health::Healthy),
        credentials::status_detail.eq(None::<String>),
        credentials::last_refreshed_at.eq(Some(now)),
        credentials::updated_at.eq(now),
        credentials::version.eq(credentials::version + 1),
        credentials::refresh_lease_owner.eq(None::<String>),
        credentials::refresh_lease_until.eq(None::<NaiveDateTime>),
    );
    match (refresh_token, scopes) {
        (Some(refresh), Some(scopes)) => diesel::update(target)
            .set((common, credentials::refresh_token.eq(Some(refresh)), credentials::scopes.eq(scopes)))
            .execute(conn),
        (Some(refresh), None) => {
            diesel::update(target).set((common, credentials::refresh_token.eq(Some(refresh)))).execute(conn)
        }
        (None, Some(scopes)) => diesel::update(target).set((common, credentials::scopes.eq(scopes))).execute(conn),
        (None, None) => diesel::update(target).set(common).execute(conn),
    }
}

/// Marks a credential unhealthy (the user must reconnect) and releases any lease. True when it
/// was healthy until now: the conditional update decides, so of two transactions marking the
/// same credential (two replicas) exactly one sees the change, and reports it.
pub fn mark_unhealthy(conn: &mut AnyConnection, id: &str, detail: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let became = diesel::update(credentials::table.find(id).filter(credentials::status.eq(Health::Healthy)))
        .set(credentials::status.eq(Health::Unhealthy))
        .execute(conn)?
        == 1;
    diesel::update(credentials::table.find(id))
        .set((
            credentials::status.eq(Health::Unhealthy),
            credentials::status_detail.eq(Some(detail)),
            credentials::updated_at.eq(now),
            credentials::version.eq(credentials::version + 1),
            credentials::refresh_lease_owner.eq(None::<String>),
            credentials::refresh_lease_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(became)
}

/// The credential's health as stored now, if it exists.
pub fn health_of(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<Health>> {
    credentials::table.find(id).select(credentials::status).first(conn).optional()
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<CredentialRow>> {
    credentials::table.find(id).select(CredentialRow::as_select()).first(conn).optional()
}

/// Marks a credential deleted by an admin whose revoke Zoom has not confirmed: it mints nothing
/// (unhealthy, saying why) and loses its mappings, and the revoke is retried.
pub fn request_delete(conn: &mut AnyConnection, id: &str, detail: &str, now: NaiveDateTime) -> QueryResult<usize> {
    mark_unhealthy(conn, id, detail, now)?;
    diesel::delete(
        crate::db::schema::meeting_mappings::table.filter(crate::db::schema::meeting_mappings::credential_id.eq(id)),
    )
    .execute(conn)?;
    diesel::update(credentials::table.find(id)).set(credentials::delete_requested_at.eq(Some(now))).execute(conn)
}

/// Notes that an admin asked to delete the credential, before Zoom is asked to revoke it: Zoom's
/// `app_deauthorized` for that revoke then reports the admin's deletion, and a crash before
/// the revoke leaves a deletion the retry finishes.
pub fn note_delete_requested(conn: &mut AnyConnection, id: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(credentials::table.find(id).filter(credentials::delete_requested_at.is_null()))
        .set(credentials::delete_requested_at.eq(Some(now)))
        .execute(conn)
}

/// Credentials whose revoke is pending, oldest request first.
pub fn pending_deletes(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<CredentialRow>> {
    credentials::table
        .filter(credentials::delete_requested_at.is_not_null())
        .order(credentials::delete_requested_at.asc())
        .limit(limit)
        .select(CredentialRow::as_select())
        .load(conn)
}

/// [`find`], with the cloud of the credential's app (where its Zoom calls go).
pub fn find_with_cloud(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<(CredentialRow, Cloud)>> {
    credentials::table
        .inner_join(oauth_apps::table)
        .filter(credentials::id.eq(id))
        .select((CredentialRow::as_select(), oauth_apps::cloud))
        .first(conn)
        .optional()
}

/// Every row, for `zoomsync reencrypt`.
pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<CredentialRow>> {
    credentials::table.select(CredentialRow::as_select()).order(credentials::id.asc()).load(conn)
}

/// Replaces the stored ciphertexts of one row (resealing keeps the plaintexts), only while the
/// row is still at `version`: a refresh or reconnect since it was read stored new tokens, and
/// writing these over them would bring back a refresh token Zoom has retired. True when the row
/// was updated. The version stays: the tokens themselves did not change.
pub fn set_ciphertexts(
    conn: &mut AnyConnection,
    id: &str,
    version: i64,
    refresh_token: Option<&[u8]>,
    access_token: Option<&[u8]>,
) -> QueryResult<bool> {
    let updated = diesel::update(credentials::table.find(id).filter(credentials::version.eq(version)))
        .set((credentials::refresh_token.eq(refresh_token), credentials::access_token.eq(access_token)))
        .execute(conn)?;
    Ok(updated == 1)
}

/// The credentials that can mint for a meeting hosted by `host_user_id` of `account_id`: that
/// user's own user-level credentials, and every account-wide credential of the account.
pub fn able_to_mint_for(conn: &mut AnyConnection, host_user_id: &str, account_id: &str) -> QueryResult<Vec<String>> {
    Ok(able_to_mint_with_accounts(conn, host_user_id, account_id)?.into_iter().map(|(id, _)| id).collect())
}

/// The same, of credentials in `account_id` only (what a webhook naming that account may map).
pub fn able_to_mint_in_account(
    conn: &mut AnyConnection,
    host_user_id: &str,
    account_id: &str,
) -> QueryResult<Vec<String>> {
    // A host has a handful of such credentials: filtering them here keeps one query.
    Ok(able_to_mint_with_accounts(conn, host_user_id, account_id)?
        .into_iter()
        .filter(|(_, account)| account == account_id)
        .map(|(id, _)| id)
        .collect())
}

/// Whether `app_id` holds a credential in `account_id`: Zoom sends an app events only for the
/// accounts that installed it, so an app without one has no say about that account.
pub fn app_is_in_account(conn: &mut AnyConnection, app_id: &str, account_id: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        credentials::table.filter(credentials::app_id.eq(app_id)).filter(credentials::account_id.eq(account_id)),
    ))
    .get_result(conn)
}

/// (credential id, account id) of the credentials that can mint for the host.
fn able_to_mint_with_accounts(
    conn: &mut AnyConnection,
    host_user_id: &str,
    account_id: &str,
) -> QueryResult<Vec<(String, String)>> {
    credentials::table
        .inner_join(oauth_apps::table)
        .filter(
            credentials::zoom_user_id.eq(host_user_id).and(oauth_apps::kind.eq(AppKind::UserLevel)).or(
                credentials::account_id
                    .eq(account_id)
                    .and(oauth_apps::kind.eq_any([AppKind::AccountLevel, AppKind::ServerToServer])),
            ),
        )
        .select((credentials::id, credentials::account_id))
        .load(conn)
}

/// The user-level credentials of a Zoom user in a Zoom account.
pub fn user_level_of(conn: &mut AnyConnection, account_id: &str, zoom_user_id: &str) -> QueryResult<Vec<String>> {
    credentials::table
        .inner_join(oauth_apps::table)
        .filter(credentials::account_id.eq(account_id))
        .filter(credentials::zoom_user_id.eq(zoom_user_id))
        .filter(oauth_apps::kind.eq(AppKind::UserLevel))
        .select(credentials::id)
        .load(conn)
}

/// Takes the credential's backfill lease, if nobody holds a live one. With `tick`, only if the
/// credential was not yet claimed for that schedule tick: replicas firing on the same tick sync
/// it once between them.
pub fn try_sync_lease(
    conn: &mut AnyConnection,
    id: &str,
    owner: &str,
    tick: Option<NaiveDateTime>,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let free = credentials::sync_lease_until.is_null().or(credentials::sync_lease_until.lt(now));
    let target = credentials::table.find(id).filter(free);
    let taken = match tick {
        Some(tick) => {
            diesel::update(target.filter(credentials::sync_tick.is_null().or(credentials::sync_tick.lt(tick))))
                .set((
                    credentials::sync_lease_owner.eq(owner),
                    credentials::sync_lease_until.eq(until),
                    credentials::sync_tick.eq(tick),
                ))
                .execute(conn)?
        }
        None => diesel::update(target)
            .set((credentials::sync_lease_owner.eq(owner), credentials::sync_lease_until.eq(until)))
            .execute(conn)?,
    };
    Ok(taken == 1)
}

/// Extends a held backfill lease (long syncs); false if it was lost.
pub fn renew_sync_lease(conn: &mut AnyConnection, id: &str, owner: &str, until: NaiveDateTime) -> QueryResult<bool> {
    let renewed = diesel::update(credentials::table.find(id).filter(credentials::sync_lease_owner.eq(owner)))
        .set(credentials::sync_lease_until.eq(until))
        .execute(conn)?;
    Ok(renewed == 1)
}

#[derive(AsChangeset)]
#[diesel(table_name = credentials)]
struct SyncState<'a> {
    meeting_sync_status: SyncStatus,
    /// Left alone when `None`.
    last_synced_at: Option<NaiveDateTime>,
    /// `Some(None)` clears the lease; `None` leaves it.
    sync_lease_owner: Option<Option<&'a str>>,
    sync_lease_until: Option<Option<NaiveDateTime>>,
}

/// Records a backfill's state (and its time, when it completed). With `release`, also releases
/// the lease, and only if `owner` still holds it.
pub fn set_sync_status(
    conn: &mut AnyConnection,
    id: &str,
    owner: &str,
    status: SyncStatus,
    synced_at: Option<NaiveDateTime>,
    release: bool,
) -> QueryResult<usize> {
    let change = SyncState {
        meeting_sync_status: status,
        last_synced_at: synced_at,
        sync_lease_owner: release.then_some(None),
        sync_lease_until: release.then_some(None),
    };
    let target = credentials::table.find(id);
    if release {
        diesel::update(target.filter(credentials::sync_lease_owner.eq(owner))).set(&change).execute(conn)
    } else {
        diesel::update(target).set(&change).execute(conn)
    }
}

/// Healthy credentials, with their app's kind: what the schedule syncs.
pub fn healthy_with_kind(conn: &mut AnyConnection) -> QueryResult<Vec<(CredentialRow, AppKind)>> {
    credentials::table
        .inner_join(oauth_apps::table)
        .filter(credentials::status.eq(Health::Healthy))
        .select((CredentialRow::as_select(), oauth_apps::kind))
        .order(credentials::id.asc())
        .load(conn)
}

/// Healthy credentials, with their app's kind, never listed to completion or last listed
/// before `before`.
pub fn healthy_listed_before(
    conn: &mut AnyConnection,
    before: NaiveDateTime,
) -> QueryResult<Vec<(CredentialRow, AppKind)>> {
    credentials::table
        .inner_join(oauth_apps::table)
        .filter(credentials::status.eq(Health::Healthy))
        .filter(credentials::last_synced_at.is_null().or(credentials::last_synced_at.lt(before)))
        .select((CredentialRow::as_select(), oauth_apps::kind))
        .load(conn)
}

/// Records what `/users/me` said about the credential's own user.
pub fn set_profile(
    conn: &mut AnyConnection,
    id: &str,
    pmi: Option<i64>,
    vanity_name: Option<&str>,
) -> QueryResult<usize> {
    diesel::update(credentials::table.find(id))
        .set((credentials::pmi.eq(pmi), credentials::vanity_name.eq(vanity_name)))
        .execute(conn)
}

/// How many credentials are in each health status.
pub fn count_by_status(conn: &mut AnyConnection) -> QueryResult<Vec<(Health, i64)>> {
    credentials::table.group_by(credentials::status).select((credentials::status, diesel::dsl::count_star())).load(conn)
}
