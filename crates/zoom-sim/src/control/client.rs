//! A typed async client for the control API, for tests:
//!
//! ```no_run
//! # async fn demo() -> Result<(), zoom_sim::control::ClientError> {
//! use zoom_sim::control::{Client, types::{NewAccount, NewUser}};
//! let sim = Client::new("http://127.0.0.1:9999");
//! let account = sim.create_account(&NewAccount::default()).await?;
//! let user = sim.create_user(&NewUser { account_id: account.id, ..Default::default() }).await?;
//! # let _ = user; Ok(()) }
//! ```

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::types::*;

/// A control-API call failed: the request itself, or the simulator refused it.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("control request failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("invalid base URL: {0}")]
    Url(#[from] url::ParseError),
    #[error("zoom-sim answered {status} {error}: {detail}")]
    Api { status: u16, error: String, detail: String },
}

impl ClientError {
    /// The HTTP status the simulator answered with, if it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            Self::Http(e) => e.status().map(|s| s.as_u16()),
            Self::Url(_) => None,
        }
    }
}

type Result<T> = std::result::Result<T, ClientError>;

#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base_url: String,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    error: String,
    detail: String,
}

/// Marker for calls without a request body.
const NO_BODY: Option<&()> = None;

/// An enum as its JSON name, for a path segment (`Plan::Free` -> `free`).
fn segment<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

impl Client {
    /// `base_url` is the simulator's root, e.g. `http://127.0.0.1:8123`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self { http: reqwest::Client::new(), base_url: base_url.into().trim_end_matches('/').to_owned() }
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    async fn send<B: Serialize + ?Sized>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<reqwest::Response> {
        let mut url = url::Url::parse(&self.base_url)?;
        url.path_segments_mut()
            .map_err(|()| ClientError::Url(url::ParseError::RelativeUrlWithCannotBeABaseBase))?
            .push("_sim")
            .extend(segments);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let mut req = self.http.request(method, url);
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await?;
        if res.status().is_success() {
            return Ok(res);
        }
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        let (error, detail) = match serde_json::from_str::<ErrorBody>(&text) {
            Ok(b) => (b.error, b.detail),
            Err(_) => ("unexpected".to_owned(), text),
        };
        Err(ClientError::Api { status, error, detail })
    }

    async fn call<T: DeserializeOwned, B: Serialize + ?Sized>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<T> {
        Ok(self.send(method, segments, query, body).await?.json().await?)
    }

    async fn call_empty<B: Serialize + ?Sized>(
        &self,
        method: Method,
        segments: &[&str],
        query: &[(&str, &str)],
        body: Option<&B>,
    ) -> Result<()> {
        self.send(method, segments, query, body).await.map(drop)
    }

    // Accounts.

    pub async fn create_account(&self, req: &NewAccount) -> Result<Account> {
        self.call(Method::POST, &["accounts"], &[], Some(req)).await
    }

    pub async fn get_account(&self, id: &str) -> Result<Account> {
        self.call(Method::GET, &["accounts", id], &[], NO_BODY).await
    }

    pub async fn set_plan(&self, id: &str, plan: Plan) -> Result<Account> {
        self.call(Method::PATCH, &["accounts", id], &[], Some(&AccountPatch { plan: Some(plan) })).await
    }

    // Users.

    pub async fn create_user(&self, req: &NewUser) -> Result<User> {
        self.call(Method::POST, &["users"], &[], Some(req)).await
    }

    pub async fn get_user(&self, id: &str) -> Result<User> {
        self.call(Method::GET, &["users", id], &[], NO_BODY).await
    }

    pub async fn update_user(&self, id: &str, patch: &UserPatch) -> Result<User> {
        self.call(Method::PATCH, &["users", id], &[], Some(patch)).await
    }

    pub async fn delete_user(&self, id: &str) -> Result<()> {
        self.call_empty(Method::DELETE, &["users", id], &[], NO_BODY).await
    }

    /// The user leaves their account (`user.disassociated`); returns them in their new one.
    pub async fn disassociate_user(&self, id: &str, req: &Disassociate) -> Result<User> {
        self.call(Method::POST, &["users", id, "disassociate"], &[], Some(req)).await
    }

    // Apps.

    pub async fn create_app(&self, req: &NewApp) -> Result<App> {
        self.call(Method::POST, &["apps"], &[], Some(req)).await
    }

    pub async fn get_app(&self, client_id: &str) -> Result<App> {
        self.call(Method::GET, &["apps", client_id], &[], NO_BODY).await
    }

    pub async fn update_app(&self, client_id: &str, patch: &AppPatch) -> Result<App> {
        self.call(Method::PATCH, &["apps", client_id], &[], Some(patch)).await
    }

    pub async fn delete_app(&self, client_id: &str) -> Result<()> {
        self.call_empty(Method::DELETE, &["apps", client_id], &[], NO_BODY).await
    }

    /// Runs `endpoint.url_validation` against the app's subscription now.
    pub async fn validate_app(&self, client_id: &str) -> Result<Validation> {
        self.call(Method::POST, &["apps", client_id, "validate"], &[], NO_BODY).await
    }

    /// Makes `user_id` consent automatically at `/oauth/authorize` for this app.
    pub async fn set_authorizer(&self, client_id: &str, user_id: &str) -> Result<App> {
        let body = Authorizer { user_id: user_id.to_owned() };
        self.call(Method::PUT, &["apps", client_id, "authorizer"], &[], Some(&body)).await
    }

    pub async fn clear_authorizer(&self, client_id: &str) -> Result<App> {
        self.call(Method::DELETE, &["apps", client_id, "authorizer"], &[], NO_BODY).await
    }

    // OAuth.

    /// The authorization code `/oauth/authorize` would issue for `req.user_id`.
    pub async fn create_code(&self, req: &NewCode) -> Result<String> {
        let code: Code = self.call(Method::POST, &["oauth", "codes"], &[], Some(req)).await?;
        Ok(code.code)
    }

    pub async fn grants(&self, client_id: Option<&str>, user_id: Option<&str>) -> Result<Vec<Grant>> {
        let query: Vec<(&str, &str)> =
            [("client_id", client_id), ("user_id", user_id)].into_iter().filter_map(|(k, v)| Some((k, v?))).collect();
        self.call(Method::GET, &["grants"], &query, NO_BODY).await
    }

    /// Ends a grant and its tokens; `notify` sends `app_deauthorized`.
    pub async fn revoke_grant(&self, grant_id: &str, notify: bool) -> Result<Grant> {
        self.revoke_grant_with(grant_id, &RevokeGrant { notify: Some(notify), ..Default::default() }).await
    }

    /// Ends a grant, choosing what its `app_deauthorized` says (`deauthorization_time`,
    /// `event_ts`).
    pub async fn revoke_grant_with(&self, grant_id: &str, req: &RevokeGrant) -> Result<Grant> {
        self.call(Method::POST, &["grants", grant_id, "revoke"], &[], Some(req)).await
    }

    /// Sends `app_deauthorized` for a grant again, or late (a stale one after the user
    /// reconnected), without changing the grant.
    pub async fn send_app_deauthorized(&self, grant_id: &str, req: &AppDeauthorized) -> Result<DeauthorizationSent> {
        self.call(Method::POST, &["grants", grant_id, "app-deauthorized"], &[], Some(req)).await
    }

    // Meetings.

    pub async fn create_meeting(&self, req: &NewMeeting) -> Result<Meeting> {
        self.call(Method::POST, &["meetings"], &[], Some(req)).await
    }

    pub async fn get_meeting(&self, id: u64) -> Result<Meeting> {
        self.call(Method::GET, &["meetings", &id.to_string()], &[], NO_BODY).await
    }

    pub async fn update_meeting(&self, id: u64, patch: &MeetingPatch) -> Result<Meeting> {
        self.call(Method::PATCH, &["meetings", &id.to_string()], &[], Some(patch)).await
    }

    pub async fn delete_meeting(&self, id: u64) -> Result<()> {
        self.call_empty(Method::DELETE, &["meetings", &id.to_string()], &[], NO_BODY).await
    }

    /// Deletes one occurrence of a recurring meeting.
    pub async fn delete_occurrence(&self, id: u64, occurrence_id: &str) -> Result<()> {
        let query = [("occurrence_id", occurrence_id)];
        self.call_empty(Method::DELETE, &["meetings", &id.to_string()], &query, NO_BODY).await
    }

    /// Brings a deleted meeting back from the bin (`meeting.recovered`).
    pub async fn recover_meeting(&self, id: u64) -> Result<Meeting> {
        self.call(Method::POST, &["meetings", &id.to_string(), "recover"], &[], NO_BODY).await
    }

    /// Ends a deleted meeting for good (`meeting.permanently_deleted`).
    pub async fn permanently_delete_meeting(&self, id: u64) -> Result<()> {
        let query = [("permanent", "true")];
        self.call_empty(Method::DELETE, &["meetings", &id.to_string()], &query, NO_BODY).await
    }

    // Webinars.

    pub async fn create_webinar(&self, req: &NewWebinar) -> Result<Webinar> {
        self.call(Method::POST, &["webinars"], &[], Some(req)).await
    }

    pub async fn get_webinar(&self, id: u64) -> Result<Webinar> {
        self.call(Method::GET, &["webinars", &id.to_string()], &[], NO_BODY).await
    }

    pub async fn update_webinar(&self, id: u64, patch: &WebinarPatch) -> Result<Webinar> {
        self.call(Method::PATCH, &["webinars", &id.to_string()], &[], Some(patch)).await
    }

    /// Moves a webinar to the bin (`webinar.deleted`).
    pub async fn delete_webinar(&self, id: u64) -> Result<()> {
        self.call_empty(Method::DELETE, &["webinars", &id.to_string()], &[], NO_BODY).await
    }

    /// Deletes one occurrence of a type-9 webinar.
    pub async fn delete_webinar_occurrence(&self, id: u64, occurrence_id: &str) -> Result<()> {
        let query = [("occurrence_id", occurrence_id)];
        self.call_empty(Method::DELETE, &["webinars", &id.to_string()], &query, NO_BODY).await
    }

    /// Brings a deleted webinar back (`webinar.recovered`).
    pub async fn recover_webinar(&self, id: u64) -> Result<Webinar> {
        self.call(Method::POST, &["webinars", &id.to_string(), "recover"], &[], NO_BODY).await
    }

    /// Ends a deleted webinar for good (`webinar.permanently_deleted`).
    pub async fn permanently_delete_webinar(&self, id: u64) -> Result<()> {
        let query = [("permanent", "true")];
        self.call_empty(Method::DELETE, &["webinars", &id.to_string()], &query, NO_BODY).await
    }

    pub async fn bulk(&self, req: &Bulk) -> Result<BulkResult> {
        self.call(Method::POST, &["bulk"], &[], Some(req)).await
    }

    // Clock and rate limits.

    pub async fn clock(&self) -> Result<ClockState> {
        self.call(Method::GET, &["clock"], &[], NO_BODY).await
    }

    pub async fn advance_clock(&self, seconds: f64) -> Result<ClockState> {
        self.call(Method::POST, &["clock", "advance"], &[], Some(&Advance { seconds })).await
    }

    pub async fn rate_limits(&self) -> Result<RateLimits> {
        self.call(Method::GET, &["rate-limits"], &[], NO_BODY).await
    }

    pub async fn set_rate_limits(&self, enabled: bool) -> Result<RateLimits> {
        self.call(Method::PUT, &["rate-limits"], &[], Some(&RateLimits { enabled })).await
    }

    /// Zoom's daily caps per plan and category, as the simulator counts them now.
    pub async fn daily_limits(&self) -> Result<DailyLimits> {
        self.call(Method::GET, &["daily-limits"], &[], NO_BODY).await
    }

    /// Sets one daily cap (`None`: no cap); e.g. a tiny one so a test reaches it.
    pub async fn set_daily_limit(&self, plan: Plan, category: RateCategory, limit: Option<u32>) -> Result<DailyLimits> {
        let (plan, category) = (segment(&plan), segment(&category));
        self.call(Method::PUT, &["daily-limits", &plan, &category], &[], Some(&DailyLimit { limit })).await
    }

    /// Back to Zoom's table.
    pub async fn reset_daily_limits(&self) -> Result<DailyLimits> {
        self.call(Method::DELETE, &["daily-limits"], &[], NO_BODY).await
    }

    // Settings: what docs/zoom.md leaves unconfirmed.

    pub async fn settings(&self) -> Result<Settings> {
        self.call(Method::GET, &["settings"], &[], NO_BODY).await
    }

    pub async fn update_settings(&self, patch: &SettingsPatch) -> Result<Settings> {
        self.call(Method::PATCH, &["settings"], &[], Some(patch)).await
    }

    // Faults.

    pub async fn add_fault(&self, req: &NewFault) -> Result<Fault> {
        self.call(Method::POST, &["faults"], &[], Some(req)).await
    }

    pub async fn faults(&self) -> Result<Vec<Fault>> {
        self.call(Method::GET, &["faults"], &[], NO_BODY).await
    }

    pub async fn clear_faults(&self) -> Result<()> {
        self.call_empty(Method::DELETE, &["faults"], &[], NO_BODY).await
    }

    // Minted tokens.

    pub async fn token(&self, token: &str) -> Result<MintedToken> {
        self.call(Method::GET, &["tokens", token], &[], NO_BODY).await
    }

    /// Whether a refresh token is still current, without using it up.
    pub async fn check_refresh_token(&self, refresh_token: &str) -> Result<RefreshCheck> {
        let body = CheckRefreshToken { refresh_token: refresh_token.to_owned() };
        self.call(Method::POST, &["refresh-tokens", "check"], &[], Some(&body)).await
    }

    /// A bot joins with the token.
    pub async fn use_token(&self, token: &str) -> Result<TokenUse> {
        self.call(Method::POST, &["tokens", token, "use"], &[], NO_BODY).await
    }

    // Counters and deliveries.

    pub async fn counters(&self) -> Result<Counters> {
        self.call(Method::GET, &["counters"], &[], NO_BODY).await
    }

    pub async fn reset_counters(&self) -> Result<Counters> {
        self.call(Method::POST, &["counters", "reset"], &[], NO_BODY).await
    }

    pub async fn deliveries(&self, client_id: Option<&str>, event: Option<&str>) -> Result<Vec<Delivery>> {
        let query: Vec<(&str, &str)> =
            [("client_id", client_id), ("event", event)].into_iter().filter_map(|(k, v)| Some((k, v?))).collect();
        self.call(Method::GET, &["deliveries"], &query, NO_BODY).await
    }

    /// Resends a delivery now, byte for byte.
    pub async fn redeliver(&self, id: u64) -> Result<Redelivery> {
        self.call(Method::POST, &["deliveries", &id.to_string(), "redeliver"], &[], NO_BODY).await
    }
}
