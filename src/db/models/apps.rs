use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::db::schema::{credentials, oauth_apps};

crate::text_enum! {
    /// What kind of Zoom app, which decides who a credential stands for and what it can mint.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum AppKind {
        /// Installed by one user for themselves: the credential is that user's.
        UserLevel = "user_level",
        /// Installed by an admin for the whole account: the credential covers every user in it.
        AccountLevel = "account_level",
        /// Server-to-Server OAuth: an account credential with no user flow and no refresh token.
        ServerToServer = "server_to_server",
    }
}

crate::text_enum! {
    /// Which Zoom an app lives on: its OAuth and REST calls go to that cloud's hosts
    /// (`zoom.oauth_base_url` and `zoom.api_base_url`, or their `gov_` twins). Fixed when the
    /// app is registered: its grants exist on one cloud only.
    #[derive(serde::Serialize, serde::Deserialize, utoipa::ToSchema, Default)]
    #[serde(rename_all = "snake_case")]
    pub enum Cloud {
        #[default]
        Zoom = "zoom",
        /// ZoomGov (`zoomgov.com`), for government accounts.
        Zoomgov = "zoomgov",
    }
}

impl AppKind {
    /// Account-level and server-to-server credentials act for a whole account.
    pub fn is_account_wide(self) -> bool {
        !matches!(self, Self::UserLevel)
    }
}

#[derive(Clone, Debug, Queryable, Selectable, Identifiable)]
#[diesel(table_name = oauth_apps)]
pub struct AppRow {
    pub id: String,
    pub kind: AppKind,
    pub client_id: String,
    pub client_secret: Vec<u8>,
    pub webhook_secret: Vec<u8>,
    pub previous_webhook_secret: Option<Vec<u8>>,
    pub previous_webhook_secret_expires_at: Option<NaiveDateTime>,
    pub account_id: Option<String>,
    pub webhook_last_validation: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// When Zoom last refused the client secret (`invalid_client`); `None` once it works.
    pub client_secret_refused_at: Option<NaiveDateTime>,
    pub cloud: Cloud,
    /// The admin's name for the app; `None`: shown by its client id.
    pub name: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = oauth_apps)]
pub struct NewApp<'a> {
    pub id: &'a str,
    pub kind: AppKind,
    pub client_id: &'a str,
    pub client_secret: &'a [u8],
    pub webhook_secret: &'a [u8],
    pub account_id: Option<&'a str>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub cloud: Cloud,
    pub name: Option<&'a str>,
}

/// The secret columns a PATCH may replace.
#[derive(AsChangeset, Default)]
#[diesel(table_name = oauth_apps)]
pub struct SecretsChange {
    pub client_secret: Option<Vec<u8>>,
    pub webhook_secret: Option<Vec<u8>>,
    pub previous_webhook_secret: Option<Option<Vec<u8>>>,
    pub previous_webhook_secret_expires_at: Option<Option<NaiveDateTime>>,
    pub updated_at: Option<NaiveDateTime>,
    /// A new client secret clears Zoom's last refusal of the old one.
    pub client_secret_refused_at: Option<Option<NaiveDateTime>>,
}

pub fn insert(conn: &mut AnyConnection, app: &NewApp<'_>) -> QueryResult<()> {
    diesel::insert_into(oauth_apps::table).values(app).execute(conn).map(drop)
}

pub fn find(conn: &mut AnyConnection, id: &str) -> QueryResult<Option<AppRow>> {
    oauth_apps::table.find(id).select(AppRow::as_select()).first(conn).optional()
}

/// One page in creation order, starting after `after` (the previous page's last row).
pub fn list(conn: &mut AnyConnection, after: Option<(NaiveDateTime, String)>, limit: i64) -> QueryResult<Vec<AppRow>> {
    let mut query = oauth_apps::table.select(AppRow::as_select()).into_boxed();
    if let Some((at, id)) = after {
        query =
            query.filter(oauth_apps::created_at.gt(at).or(oauth_apps::created_at.eq(at).and(oauth_apps::id.gt(id))));
    }
    query.order((oauth_apps::created_at.asc(), oauth_apps::id.asc())).limit(limit).load(conn)
}

pub fn update_secrets(conn: &mut AnyConnection, id: &str, change: &SecretsChange) -> QueryResult<usize> {
    diesel::update(oauth_apps::table.find(id)).set(change).execute(conn)
}

/// Names the app (`None`: no name, shown by its client id).
pub fn set_name(conn: &mut AnyConnection, id: &str, name: Option<&str>, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(oauth_apps::table.find(id))
        .set((oauth_apps::name.eq(name), oauth_apps::updated_at.eq(at)))
        .execute(conn)
}

/// The apps whose webhook endpoint Zoom validated at or after `since` (webhook health).
pub fn validated_since(conn: &mut AnyConnection, since: NaiveDateTime) -> QueryResult<Vec<String>> {
    oauth_apps::table.filter(oauth_apps::webhook_last_validation.ge(since)).select(oauth_apps::id).load(conn)
}

pub fn set_webhook_last_validation(conn: &mut AnyConnection, id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(oauth_apps::table.find(id)).set(oauth_apps::webhook_last_validation.eq(at)).execute(conn)
}

/// Zoom refused the app's client secret at `at` (`None`: it works again).
pub fn set_client_secret_refused(conn: &mut AnyConnection, id: &str, at: Option<NaiveDateTime>) -> QueryResult<usize> {
    diesel::update(oauth_apps::table.find(id)).set(oauth_apps::client_secret_refused_at.eq(at)).execute(conn)
}

pub fn credential_count(conn: &mut AnyConnection, id: &str) -> QueryResult<i64> {
    credentials::table.filter(credentials::app_id.eq(id)).count().get_result(conn)
}

pub fn delete(conn: &mut AnyConnection, id: &str) -> QueryResult<usize> {
    diesel::delete(oauth_apps::table.find(id)).execute(conn)
}

/// Every row's encrypted columns, for `zoomsync reencrypt`.
pub fn all(conn: &mut AnyConnection) -> QueryResult<Vec<AppRow>> {
    oauth_apps::table.select(AppRow::as_select()).order(oauth_apps::id.asc()).load(conn)
}
