//! Request and response bodies of the `/_sim/*` control API, shared by the server and by
//! [`crate::control::Client`]. Request structs derive `Default` so that callers name only what
//! they care about: `NewUser { account_id, ..Default::default() }`. Unknown fields are refused,
//! so that a typo in a test fails loudly instead of being ignored.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A Zoom plan; it picks the account's rate limits (docs/zoom.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Plan {
    Free,
    #[default]
    Pro,
    /// Business and up (Education, Enterprise, Partners).
    Business,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan: Option<Plan>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub plan: Plan,
    pub created_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Admin,
    #[default]
    Member,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UserStatus {
    #[default]
    Active,
    Inactive,
    Pending,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub account_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// 10 digits; random when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pmi: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vanity_name: Option<String>,
    /// The user's "Local recording" setting (default on); minting join tokens needs it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_recording: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
    /// Zoom's user type: 1 Basic, 2 Licensed (default), 4 Unassigned, 99 None.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub user_type: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// Changes to a user. An empty `vanity_name` removes it.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pmi: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vanity_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_recording: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<UserStatus>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub user_type: Option<u8>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// A user as the control API shows it: Zoom's user shape plus `role`, `vanity_name` and
/// `local_recording`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub account_id: String,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub display_name: String,
    pub role: Role,
    pub role_name: String,
    pub pmi: u64,
    pub use_pmi: bool,
    pub personal_meeting_url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vanity_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vanity_url: Option<String>,
    pub local_recording: bool,
    pub status: UserStatus,
    #[serde(rename = "type")]
    pub user_type: u8,
    pub timezone: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppKind {
    /// User-managed: each user installs it for themselves; `{userId}` must be `me`.
    UserLevel,
    /// Admin-managed: an owner or admin installs it for the whole account.
    AccountLevel,
    /// Server-to-Server OAuth (`grant_type=account_credentials`), bound to one account.
    ServerToServer,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: String,
    pub secret_token: String,
    /// Default true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewApp {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub kind: AppKind,
    /// Required for server-to-server apps, refused for the others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// Default: every scope of the kind.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// Absent: any redirect URI is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookConfig>,
}

impl NewApp {
    /// An app of `kind` with every default.
    pub fn new(kind: AppKind) -> Self {
        Self {
            client_id: None,
            client_secret: None,
            kind,
            account_id: None,
            scopes: None,
            redirect_uris: None,
            webhook: None,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uris: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<WebhookPatch>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    pub url: String,
    pub secret_token: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct App {
    pub client_id: String,
    pub client_secret: String,
    pub kind: AppKind,
    pub account_id: Option<String>,
    pub scopes: Vec<String>,
    pub redirect_uris: Option<Vec<String>>,
    pub webhook: Option<Webhook>,
    pub authorizer: Option<String>,
    pub created_at: String,
}

/// Result of an `endpoint.url_validation` run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub detail: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Authorizer {
    pub user_id: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCode {
    pub client_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<String>,
    /// `S256` or `plain` (the default when a challenge is given).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_method: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Code {
    pub code: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantKind {
    UserLevel,
    AccountLevel,
    ServerToServer,
    /// `grant_type=client_credentials`: an app-only token that no REST endpoint accepts.
    ClientCredentials,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Grant {
    pub id: String,
    pub client_id: String,
    pub user_id: Option<String>,
    pub account_id: Option<String>,
    pub kind: GrantKind,
    pub scopes: Vec<String>,
    pub active: bool,
    pub created_at: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeGrant {
    /// Send `app_deauthorized` (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<bool>,
    /// The event's `deauthorization_time` (RFC 3339; default: now, wall clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deauthorization_time: Option<String>,
    /// The event's `payload.event_ts` (epoch milliseconds; default: now, wall clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ts: Option<i64>,
}

/// `POST /_sim/grants/{id}/app-deauthorized`: sends `app_deauthorized` for a grant again, or
/// late, without changing the grant. Absent fields repeat what the grant's own deauthorization
/// carried (or, for a grant that never ended, now and a new signature).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppDeauthorized {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deauthorization_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_ts: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// What `POST /_sim/grants/{id}/app-deauthorized` sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeauthorizationSent {
    /// False when the app has no webhook subscription (nothing was queued).
    pub sent: bool,
    /// The event's `payload`.
    pub payload: Value,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMeeting {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    pub host_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// 2 scheduled (default), 3 recurring without fixed time, 8 recurring with fixed time;
    /// 1 (instant) is accepted too, and never listed by Zoom.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub meeting_type: Option<u8>,
    /// RFC 3339; default one hour from now (sim time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Minutes; default 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    /// Number of weekly occurrences of a type-8 meeting (default 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrences: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_pmi: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Occurrence {
    pub occurrence_id: String,
    pub start_time: String,
    pub duration: u32,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Meeting {
    pub id: u64,
    pub uuid: String,
    pub host_id: String,
    pub account_id: String,
    pub topic: String,
    #[serde(rename = "type")]
    pub meeting_type: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    pub duration: u32,
    pub timezone: String,
    pub created_at: String,
    pub join_url: String,
    pub password: String,
    pub use_pmi: bool,
    /// The host's current PMI when scheduled with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pmi: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub occurrences: Vec<Occurrence>,
    /// When it was deleted (wall clock), while it sits in the recoverable bin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
}

/// A webinar (docs/zoom.md §3.7): a separate object from meetings, with ids from the same
/// number space.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewWebinar {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    pub host_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub topic: Option<String>,
    /// 5 webinar (default), 6 recurring without fixed time, 9 recurring with fixed time.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub webinar_type: Option<u8>,
    /// RFC 3339; default one hour from now (sim time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    /// Minutes; default 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<u32>,
    /// Number of weekly occurrences of a type-9 webinar (default 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occurrences: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// Changes to a webinar: the same fields as a meeting's.
pub type WebinarPatch = MeetingPatch;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webinar {
    pub id: u64,
    pub uuid: String,
    pub host_id: String,
    pub account_id: String,
    pub topic: String,
    #[serde(rename = "type")]
    pub webinar_type: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<String>,
    pub duration: u32,
    pub timezone: String,
    pub created_at: String,
    pub join_url: String,
    pub password: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub occurrences: Vec<Occurrence>,
    /// When it was deleted (wall clock), while it sits in the recoverable bin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<String>,
}

/// `POST /_sim/users/{id}/disassociate`: the user leaves their account (`user.disassociated`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Disassociate {
    /// An existing account to move to, as a member; default: a new free account the user owns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bulk {
    pub account_id: String,
    pub users: u32,
    pub meetings_per_user: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_recording: Option<bool>,
    /// Send `meeting.created` for every meeting (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkUser {
    pub id: String,
    pub email: String,
    pub pmi: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkResult {
    pub users: Vec<BulkUser>,
    pub meetings: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockState {
    /// Simulator time, RFC 3339 with milliseconds.
    pub now: String,
    pub offset_seconds: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    pub seconds: f64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimits {
    pub enabled: bool,
}

/// A rate-limit category (docs/zoom.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RateCategory {
    Light,
    Medium,
    Heavy,
}

/// Daily caps of one plan, per category; `None` is no daily cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CategoryLimits {
    pub light: Option<u32>,
    pub medium: Option<u32>,
    pub heavy: Option<u32>,
}

impl CategoryLimits {
    pub fn get(&self, category: RateCategory) -> Option<u32> {
        match category {
            RateCategory::Light => self.light,
            RateCategory::Medium => self.medium,
            RateCategory::Heavy => self.heavy,
        }
    }

    pub fn set(&mut self, category: RateCategory, limit: Option<u32>) {
        match category {
            RateCategory::Light => self.light = limit,
            RateCategory::Medium => self.medium = limit,
            RateCategory::Heavy => self.heavy = limit,
        }
    }
}

/// `GET /_sim/daily-limits`: the daily cap per plan and category, counted over the simulator's
/// UTC day while rate limits are on. `Default` is Zoom's table (docs/zoom.md §4): Free caps
/// Light at 6,000, Medium at 2,000 and Heavy at 1,000 calls a day; paid plans cap only Heavy
/// (Pro 30,000, Business 60,000).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailyLimits {
    pub free: CategoryLimits,
    pub pro: CategoryLimits,
    pub business: CategoryLimits,
}

impl Default for DailyLimits {
    fn default() -> Self {
        Self {
            free: CategoryLimits { light: Some(6000), medium: Some(2000), heavy: Some(1000) },
            pro: CategoryLimits { light: None, medium: None, heavy: Some(30_000) },
            business: CategoryLimits { light: None, medium: None, heavy: Some(60_000) },
        }
    }
}

impl DailyLimits {
    pub fn plan(&self, plan: Plan) -> &CategoryLimits {
        match plan {
            Plan::Free => &self.free,
            Plan::Pro => &self.pro,
            Plan::Business => &self.business,
        }
    }

    pub fn plan_mut(&mut self, plan: Plan) -> &mut CategoryLimits {
        match plan {
            Plan::Free => &mut self.free,
            Plan::Pro => &mut self.pro,
            Plan::Business => &mut self.business,
        }
    }
}

/// `PUT /_sim/daily-limits/{plan}/{category}`: `{"limit": n}`, or `{"limit": null}` for no cap.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DailyLimit {
    pub limit: Option<u32>,
}

/// Which `x-zm-request-timestamp` a webhook retry carries (docs/zoom.md §1.4: unconfirmed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryTimestamp {
    /// The first attempt's timestamp and the signature over it (what a receiver must survive).
    /// Under `retry_scale` the timestamp is the first attempt's on the simulated timeline, so a
    /// retry arrives as old as Zoom's would (DESIGN.md, "Webhooks").
    #[default]
    First,
    /// A timestamp and signature made when the retry is sent.
    Fresh,
}

/// The form of `Retry-After` on a 429 (docs/zoom.md §4: a date-time, or no header at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryAfterFormat {
    /// `2026-11-26T00:00:00Z`.
    #[default]
    Iso8601,
    /// `Thu, 26 Nov 2026 00:00:00 GMT`.
    HttpDate,
    /// No `Retry-After` header (seen once on a daily 429).
    #[serde(rename = "none")]
    Absent,
}

/// `GET /_sim/settings`: the behaviours docs/zoom.md leaves open (§7), chosen at start
/// (`SimOptions`, flags) and switchable at run time (`PATCH /_sim/settings`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// What a webhook retry's `x-zm-request-timestamp` is (default `first`).
    pub retry_timestamp: RetryTimestamp,
    /// Whether refreshing an OAuth grant ends the access tokens it handed out before (default
    /// true). Server-to-server tokens are never ended this way: several stay valid at once.
    pub refresh_ends_access_token: bool,
    /// Status of the `{code:124}` answer to an invalid or expired access token: 401 (default) or
    /// 400 (docs/zoom.md §3.1).
    pub token_error_status: u16,
    /// Status of an `invalid_client` answer at `/oauth/token` and `/oauth/revoke`: 400 (default,
    /// as observed since 2022) or 401.
    pub invalid_client_status: u16,
    /// The form of `Retry-After` on a 429 (default ISO 8601).
    pub retry_after: RetryAfterFormat,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            retry_timestamp: RetryTimestamp::First,
            refresh_ends_access_token: true,
            token_error_status: 401,
            invalid_client_status: 400,
            retry_after: RetryAfterFormat::Iso8601,
        }
    }
}

/// `PATCH /_sim/settings`: only the fields given change.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingsPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_timestamp: Option<RetryTimestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_ends_access_token: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_error_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_client_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<RetryAfterFormat>,
}

/// A fault to inject into the next `count` requests whose path starts with `path` (and whose
/// method is `method`, when given). Give `status` (with `body`/`headers`), `drop`, or only
/// `delay_ms` (the request then proceeds normally after the delay).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewFault {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// A JSON value sent as JSON, or a string sent as it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Value>,
    /// Extra response headers, e.g. `Retry-After`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drop: Option<bool>,
    /// Let the request do its work first (a token rotates, a token is minted), then wait
    /// `delay_ms` and answer, replace the answer with `status`, or drop the connection: the
    /// answer that never arrives although Zoom did the work (docs/zoom.md §2.3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_work: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fault {
    pub id: u64,
    pub method: Option<String>,
    pub path: String,
    /// How many more requests it will hit.
    pub remaining: u32,
    pub status: Option<u16>,
    pub body: Option<Value>,
    pub headers: Option<BTreeMap<String, String>>,
    pub delay_ms: Option<u64>,
    pub drop: bool,
    #[serde(default)]
    pub after_work: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    JoinLocalRecording,
    /// `GET /webinars/{webinarId}/jointoken/local_recording`; `meeting_id` is the webinar id.
    WebinarJoinLocalRecording,
    Zak,
    Onbehalf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MintedToken {
    pub token: String,
    pub kind: TokenKind,
    pub meeting_id: Option<u64>,
    pub host_id: Option<String>,
    pub user_id: Option<String>,
    pub client_id: String,
    pub grant_id: String,
    pub account_id: String,
    pub bypass_waiting_room: bool,
    pub issued_at: String,
    pub expires_at: String,
    pub expired: bool,
    pub uses: u32,
    pub reused: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenUse {
    pub uses: u32,
    pub reused: bool,
    pub expired: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OAuthCounters {
    pub authorization_code: u64,
    pub refresh: u64,
    pub invalid_grant: u64,
    pub account_credentials: u64,
    pub client_credentials: u64,
    pub revoke: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MintCounters {
    pub join_local_recording: u64,
    #[serde(default)]
    pub webinar_join_local_recording: u64,
    pub zak: u64,
    pub onbehalf: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WebhookCounters {
    pub delivered: u64,
    pub failed_attempts: u64,
    pub retries: u64,
    pub dropped: u64,
}

/// `GET /_sim/counters`. Route names are the method plus the route pattern, e.g.
/// `GET /v2/users/{userId}/meetings`; statuses are strings (`"200"`, or `"dropped"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    pub requests: BTreeMap<String, BTreeMap<String, u64>>,
    pub by_grant: BTreeMap<String, BTreeMap<String, u64>>,
    pub oauth: OAuthCounters,
    pub mints: MintCounters,
    /// Every 429, per-second and daily.
    pub rate_limited: u64,
    /// The daily-limit 429s among them.
    #[serde(default)]
    pub daily_limited: u64,
    pub webhooks: WebhookCounters,
}

impl Counters {
    /// Requests answered on `route` with `status` (0 when none).
    pub fn count(&self, route: &str, status: &str) -> u64 {
        self.requests.get(route).and_then(|m| m.get(status)).copied().unwrap_or(0)
    }

    /// Requests answered on `route`, whatever their status.
    pub fn total(&self, route: &str) -> u64 {
        self.requests.get(route).map_or(0, |m| m.values().sum())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    Failed,
    Dropped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attempt {
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The `x-zm-request-timestamp` this attempt carried (see `Settings::retry_timestamp`).
    #[serde(default)]
    pub timestamp: String,
    /// The `x-zm-signature` this attempt carried.
    #[serde(default)]
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: u64,
    pub client_id: String,
    pub event: String,
    pub url: String,
    pub status: DeliveryStatus,
    pub attempts: Vec<Attempt>,
    /// The exact bytes sent (compact JSON).
    pub body: String,
    /// The first attempt's `x-zm-request-timestamp` (each attempt's is in `attempts`).
    pub timestamp: String,
    /// The first attempt's `x-zm-signature`.
    pub signature: String,
    /// `x-zm-request-id`.
    pub request_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Redelivery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `POST /_sim/refresh-tokens/check`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckRefreshToken {
    pub refresh_token: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshState {
    /// The grant's newest refresh token: a refresh with it would succeed.
    Current,
    /// Used already: a newer one was issued in its place.
    Superseded,
    /// Its grant was revoked or replaced.
    Revoked,
    /// Never issued here.
    Unknown,
}

/// Whether a refresh token still works, and how it relates to its grant's newest one.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RefreshCheck {
    pub state: RefreshState,
    pub grant_id: Option<String>,
    pub generation: Option<u64>,
    pub current_generation: Option<u64>,
    /// Wall-clock time the grant's newest refresh token was issued.
    pub current_issued_at: Option<String>,
}
