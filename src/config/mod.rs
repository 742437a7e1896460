//! Configuration: what the operator may set (`Config`: the keys the README documents), how it is
//! read (`load`: the TOML file, then `ZOOMSYNC__SECTION__KEY` variables over it), and what the
//! daemon runs with once every value is checked (`Settings`). Unknown keys and bad values are
//! refused with an error that names the key and where it came from.
//!
//! `config/zoomsync.example.toml` documents every key; `tests/api/config.rs` fails when it
//! drifts from these structs.

mod lenient;
mod load;
pub mod secrets;
mod settings;

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

pub use load::{ConfigError, ENV_PREFIX, load, load_from};
pub use settings::{OutboundSettings, Plan, Settings, ZoomSettings, parse_schedule};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub security: SecurityConfig,
    pub zoom: ZoomConfig,
    pub sync: SyncConfig,
    pub webhook: WebhookConfig,
    pub tokens: TokensConfig,
    pub webhooks_out: WebhooksOutConfig,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Listen address.
    pub bind: String,
    /// A second listen address (extension; empty: none). When set, the admin API, the console,
    /// the OpenAPI document and `/metrics` are served only there, and `bind` serves Zoom, the
    /// OAuth redirect and the bots: the admin surface need not be reachable from the internet.
    pub admin_bind: String,
    /// How Zoom and browsers reach us; webhook URLs and the OAuth redirect URI derive from it.
    pub public_url: String,
    /// A request's body must arrive within this, else the request fails and its connection
    /// closes: a stalled or trickling client cannot hold a connection.
    #[serde(deserialize_with = "crate::lenient::u64")]
    pub body_timeout_seconds: u64,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            admin_bind: String::new(),
            public_url: "http://127.0.0.1:8080".into(),
            body_timeout_seconds: 10,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://<path>` (created if missing) or `postgres://...`.
    pub url: String,
    /// Connections in the pool (an extension, as the README marks it).
    #[serde(deserialize_with = "crate::lenient::u32")]
    pub pool_size: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self { url: "sqlite://data/zoomsync.db".into(), pool_size: 10 }
    }
}

/// Secrets: each may be configured; on SQLite the missing ones are generated on first start.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    #[serde(serialize_with = "lenient::redact")]
    pub admin_token: Option<SecretString>,
    #[serde(serialize_with = "lenient::redact")]
    pub bot_secret: Option<SecretString>,
    #[serde(serialize_with = "lenient::redact")]
    pub encryption_key: Option<SecretString>,
    #[serde(deserialize_with = "lenient::secret_list", serialize_with = "lenient::redact_list")]
    pub previous_encryption_keys: Vec<SecretString>,
    #[serde(serialize_with = "lenient::redact")]
    pub recall_verification_secret: Option<SecretString>,
    /// Attendee's project webhook secret, as Attendee shows it (base64): when set,
    /// `/attendee/zoom-tokens` requires Attendee's `X-Webhook-Signature`.
    #[serde(serialize_with = "lenient::redact")]
    pub attendee_webhook_secret: Option<SecretString>,
    /// Whether `/zoom/access-token` hands out access tokens (off: a bot secret must not give API
    /// access by default).
    #[serde(deserialize_with = "crate::lenient::boolean")]
    pub serve_access_tokens: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ZoomConfig {
    pub oauth_base_url: String,
    pub api_base_url: String,
    /// Where apps with `"cloud": "zoomgov"` (government accounts) make their calls.
    pub gov_oauth_base_url: String,
    pub gov_api_base_url: String,
    /// `free`, `pro`, `business` or `none`.
    pub plan_limits: String,
    /// On PostgreSQL, whether every replica books its Zoom calls in one schedule per account
    /// (in the database) rather than keeping an even share of the limit each.
    #[serde(deserialize_with = "crate::lenient::boolean")]
    pub shared_rate_budget: bool,
}

impl Default for ZoomConfig {
    fn default() -> Self {
        Self {
            oauth_base_url: "https://zoom.us".into(),
            api_base_url: "https://api.zoom.us/v2".into(),
            gov_oauth_base_url: "https://zoomgov.com".into(),
            gov_api_base_url: "https://api.zoomgov.com/v2".into(),
            plan_limits: "pro".into(),
            shared_rate_budget: true,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyncConfig {
    /// Cron with seconds; empty disables the scheduled backfill. Each firing is a tick: a
    /// credential is listed at a tick only when its full listing is due (`sync::policy`).
    pub schedule: String,
    /// Hours between full listings of a credential that can find an unknown meeting at request
    /// time (account-wide, with the meeting read scope), and, with `webhook_healthy_minutes`, of
    /// the others while their app's webhooks are healthy. 0: every tick (the old behaviour).
    pub full_listing_hours: u64,
    /// When above 0, an app whose verified webhook (or URL validation) arrived within this many
    /// minutes counts as healthy, and its user-level credentials are listed every
    /// `full_listing_hours` too. 0: user-level credentials are listed at every tick.
    pub webhook_healthy_minutes: u64,
    /// When above 0, a credential that cannot look an unknown meeting up (user-level ones) is
    /// listed every `full_listing_hours` too, and at once when a bot asks for a meeting nothing
    /// maps if its last listing is older than this many seconds (at most one such catch-up a
    /// minute per process). 0: such credentials are listed at every tick (the old behaviour).
    #[serde(deserialize_with = "crate::lenient::u64")]
    pub catch_up_after_seconds: u64,
}

impl Default for SyncConfig {
    fn default() -> Self {
        Self {
            schedule: "0 */30 * * * *".into(),
            full_listing_hours: 24,
            webhook_healthy_minutes: 0,
            catch_up_after_seconds: 1800,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhookConfig {
    /// Timestamps further ahead of now than this are refused.
    #[serde(deserialize_with = "crate::lenient::u64")]
    pub max_skew_seconds: u64,
    /// Timestamps older than this are refused (Zoom retries at +5, +20 and +60 minutes, maybe
    /// with the first timestamp).
    #[serde(deserialize_with = "crate::lenient::u64")]
    pub max_age_seconds: u64,
    /// After a `webhook_secret` rotation the old secret is still accepted this long (extension).
    #[serde(deserialize_with = "crate::lenient::u64")]
    pub previous_secret_grace_seconds: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self { max_skew_seconds: 300, max_age_seconds: 7200, previous_secret_grace_seconds: 3600 }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokensConfig {
    #[serde(deserialize_with = "crate::lenient::u64")]
    pub max_queue_seconds: u64,
    /// How long a meeting's resolution (the credentials that may mint for it) is reused without
    /// reading the database again; 0 turns the cache off. Writes in this process end it at once;
    /// this bounds how late another process's change is seen while the change watch
    /// (`db::changes`) is not listening.
    #[serde(deserialize_with = "crate::lenient::u64")]
    pub resolution_cache_ms: u64,
    /// The same while this process hears other processes' writes (`db::changes`): they end it
    /// at once, so this bounds only changes made outside zoomsync.
    #[serde(deserialize_with = "crate::lenient::u64")]
    pub resolution_cache_notified_ms: u64,
}

impl Default for TokensConfig {
    fn default() -> Self {
        Self { max_queue_seconds: 30, resolution_cache_ms: 2000, resolution_cache_notified_ms: 60_000 }
    }
}

/// Outbound events (`[webhooks_out]`, extension): Standard Webhooks sent to the endpoints
/// registered at `/api/v2/webhook-endpoints/`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksOutConfig {
    /// Allow endpoints on loopback, private and link-local addresses (off: an admin token
    /// must not turn zoomsync into a way into the internal network).
    #[serde(deserialize_with = "crate::lenient::boolean")]
    pub allow_private_addresses: bool,
    /// The waits before each retry of a failed delivery, space-separated, each a number and
    /// `ms`, `s`, `m` or `h`. After the last the delivery is given up. The default retries for
    /// 27.6 hours.
    pub retry_schedule: String,
    /// One delivery attempt's limit, connecting included.
    #[serde(deserialize_with = "crate::lenient::u64")]
    pub timeout_seconds: u64,
}

impl Default for WebhooksOutConfig {
    fn default() -> Self {
        Self { allow_private_addresses: false, retry_schedule: "5s 5m 30m 2h 5h 10h 10h".into(), timeout_seconds: 15 }
    }
}
