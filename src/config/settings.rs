//! `Settings`: the configuration after every value has been checked and typed.

use std::net::SocketAddr;
use std::time::Duration;

use secrecy::ExposeSecret;

use super::secrets::{self, Secrets};
use super::{Config, ConfigError};
use crate::crypto::EncryptionKey;
use crate::db::{DbTarget, PoolOptions};

/// The per-account rate budget to keep inside (docs/zoom.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Plan {
    Free,
    Pro,
    Business,
    /// No client-side budget: every call goes straight to Zoom.
    Unlimited,
}

#[derive(Clone, Debug)]
pub struct ZoomSettings {
    /// No trailing slash: `https://zoom.us`.
    pub oauth_base_url: String,
    /// No trailing slash: `https://api.zoom.us/v2`.
    pub api_base_url: String,
    /// The same for apps on ZoomGov: `https://zoomgov.com`, `https://api.zoomgov.com/v2`.
    pub gov_oauth_base_url: String,
    pub gov_api_base_url: String,
    pub plan: Plan,
    /// `zoom.shared_rate_budget` (PostgreSQL only).
    pub shared_rate_budget: bool,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub bind: SocketAddr,
    /// `server.admin_bind`: where the admin surface is served, when not on `bind`.
    pub admin_bind: Option<SocketAddr>,
    /// `server.body_timeout_seconds`.
    pub body_timeout: Duration,
    /// No trailing slash: `http://127.0.0.1:8080`.
    pub public_url: String,
    pub database: DbTarget,
    pub pool: PoolOptions,
    pub secrets: Secrets,
    pub zoom: ZoomSettings,
    /// `None` when the scheduled backfill is disabled.
    pub sync_schedule: Option<String>,
    /// `sync.full_listing_hours`: zero lists every due credential at every tick.
    pub full_listing_every: Duration,
    /// `sync.webhook_healthy_minutes`; `None` when 0 (user-level credentials listed every tick).
    pub webhook_healthy_within: Option<Duration>,
    /// `sync.catch_up_after_seconds`; `None` when 0.
    pub catch_up_after: Option<Duration>,
    pub webhook_max_skew: Duration,
    pub webhook_max_age: Duration,
    pub webhook_secret_grace: Duration,
    pub token_max_queue: Duration,
    /// `tokens.resolution_cache_ms` (zero: off).
    pub resolution_cache: Duration,
    /// `tokens.resolution_cache_notified_ms`.
    pub resolution_cache_notified: Duration,
    /// `security.serve_access_tokens`.
    pub serve_access_tokens: bool,
    /// `[webhooks_out]`.
    pub outbound: OutboundSettings,
}

/// `[webhooks_out]`, checked.
#[derive(Clone, Debug)]
pub struct OutboundSettings {
    pub allow_private_addresses: bool,
    /// The wait before each retry; its length is how many retries there are.
    pub retry_schedule: Vec<Duration>,
    pub timeout: Duration,
}

/// `"5s 5m 2h"` -> the durations; `ms`, `s`, `m` and `h` are the units.
pub fn parse_schedule(text: &str) -> Result<Vec<Duration>, String> {
    text.split_whitespace()
        .map(|item| {
            let digits = item.find(|c: char| !c.is_ascii_digit()).unwrap_or(item.len());
            let (number, unit) = item.split_at(digits);
            let number: u64 = number.parse().map_err(|_| format!("{item:?} does not start with a number"))?;
            let unit_ms: u64 = match unit {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => return Err(format!("{item:?}: the unit must be ms, s, m or h")),
            };
            number
                .checked_mul(unit_ms)
                .filter(|ms| *ms <= 7 * 86_400_000)
                .map(Duration::from_millis)
                .ok_or_else(|| format!("{item:?} is longer than a week"))
        })
        .collect()
}

impl Settings {
    /// Reads the configuration this process should use, checks it, and resolves the secrets
    /// (generating the missing ones on first start with SQLite).
    pub fn load(file: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        Self::from_config(super::load(file)?)
    }

    pub fn from_config(config: Config) -> Result<Self, ConfigError> {
        let bind = config.server.bind.parse().map_err(|_| {
            ConfigError::key("server.bind", format!("{:?} is not an address like 127.0.0.1:8080", config.server.bind))
        })?;
        let admin_bind = match config.server.admin_bind.trim() {
            "" => None,
            text => Some(text.parse().map_err(|_| {
                ConfigError::key("server.admin_bind", format!("{text:?} is not an address like 127.0.0.1:8081"))
            })?),
        };
        let public_url = base_url("server.public_url", &config.server.public_url)?;
        let database = DbTarget::parse(&config.database.url)
            .map_err(|e| ConfigError::key("database.url", format!("{:?}: {e}", config.database.url)))?;
        if config.database.pool_size == 0 {
            return Err(ConfigError::key("database.pool_size", "must be at least 1"));
        }
        let zoom = ZoomSettings {
            oauth_base_url: base_url("zoom.oauth_base_url", &config.zoom.oauth_base_url)?,
            api_base_url: base_url("zoom.api_base_url", &config.zoom.api_base_url)?,
            gov_oauth_base_url: base_url("zoom.gov_oauth_base_url", &config.zoom.gov_oauth_base_url)?,
            gov_api_base_url: base_url("zoom.gov_api_base_url", &config.zoom.gov_api_base_url)?,
            plan: match config.zoom.plan_limits.as_str() {
                "free" => Plan::Free,
                "pro" => Plan::Pro,
                "business" => Plan::Business,
                "none" => Plan::Unlimited,
                other => {
                    return Err(ConfigError::key(
                        "zoom.plan_limits",
                        format!("{other:?} is not one of free, pro, business, none"),
                    ));
                }
            },
            shared_rate_budget: config.zoom.shared_rate_budget,
        };
        let schedule = config.sync.schedule.trim();
        let sync_schedule = if schedule.is_empty() {
            None
        } else {
            validate_cron(schedule).map_err(|e| ConfigError::key("sync.schedule", format!("{schedule:?}: {e}")))?;
            Some(schedule.to_owned())
        };
        if config.webhook.max_skew_seconds == 0 {
            return Err(ConfigError::key("webhook.max_skew_seconds", "must be at least 1"));
        }
        if config.webhook.max_age_seconds == 0 {
            return Err(ConfigError::key("webhook.max_age_seconds", "must be at least 1"));
        }
        validate_secrets(&config)?;
        let secrets = secrets::resolve(&config.security, &database)?;
        if admin_bind == Some(bind) {
            return Err(ConfigError::key("server.admin_bind", "must differ from server.bind"));
        }
        Ok(Self {
            bind,
            admin_bind,
            body_timeout: match config.server.body_timeout_seconds {
                0 => return Err(ConfigError::key("server.body_timeout_seconds", "must be at least 1")),
                seconds => Duration::from_secs(seconds),
            },
            public_url,
            database,
            pool: PoolOptions { max_size: config.database.pool_size, ..PoolOptions::default() },
            secrets,
            zoom,
            sync_schedule,
            full_listing_every: Duration::from_secs(config.sync.full_listing_hours.saturating_mul(3600)),
            catch_up_after: match config.sync.catch_up_after_seconds {
                0 => None,
                seconds => Some(Duration::from_secs(seconds)),
            },
            webhook_healthy_within: match config.sync.webhook_healthy_minutes {
                0 => None,
                minutes => Some(Duration::from_secs(minutes.saturating_mul(60))),
            },
            webhook_max_skew: Duration::from_secs(config.webhook.max_skew_seconds),
            webhook_max_age: Duration::from_secs(config.webhook.max_age_seconds),
            webhook_secret_grace: Duration::from_secs(config.webhook.previous_secret_grace_seconds),
            token_max_queue: Duration::from_secs(config.tokens.max_queue_seconds),
            resolution_cache: Duration::from_millis(config.tokens.resolution_cache_ms),
            resolution_cache_notified: Duration::from_millis(config.tokens.resolution_cache_notified_ms),
            serve_access_tokens: config.security.serve_access_tokens,
            outbound: OutboundSettings {
                allow_private_addresses: config.webhooks_out.allow_private_addresses,
                retry_schedule: parse_schedule(&config.webhooks_out.retry_schedule)
                    .map_err(|e| ConfigError::key("webhooks_out.retry_schedule", e))?,
                timeout: match config.webhooks_out.timeout_seconds {
                    0 => return Err(ConfigError::key("webhooks_out.timeout_seconds", "must be at least 1")),
                    seconds => Duration::from_secs(seconds.min(300)),
                },
            },
        })
    }
}

/// The six-field (seconds first) cron dialect of tokio-cron-scheduler, parsed the way it will be.
pub fn validate_cron(schedule: &str) -> Result<(), String> {
    croner::parser::CronParser::builder()
        .seconds(croner::parser::Seconds::Required)
        .dom_and_dow(true)
        .build()
        .parse(schedule)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

fn base_url(key: &str, value: &str) -> Result<String, ConfigError> {
    let url = url::Url::parse(value).map_err(|e| ConfigError::key(key, format!("{value:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(ConfigError::key(key, format!("{value:?} is not an http(s) URL")));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::key(key, format!("{value:?} must not have a query or fragment")));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

const MIN_TOKEN_LEN: usize = 16;

fn validate_secrets(config: &Config) -> Result<(), ConfigError> {
    let security = &config.security;
    for (key, value) in [("security.admin_token", &security.admin_token), ("security.bot_secret", &security.bot_secret)]
    {
        if let Some(value) = value
            && value.expose_secret().trim().len() < MIN_TOKEN_LEN
        {
            return Err(ConfigError::key(key, format!("must be at least {MIN_TOKEN_LEN} characters")));
        }
    }
    if let Some(key) = &security.encryption_key {
        EncryptionKey::from_base64(key.expose_secret())
            .map_err(|e| ConfigError::key("security.encryption_key", e.to_string()))?;
    }
    for (i, key) in security.previous_encryption_keys.iter().enumerate() {
        EncryptionKey::from_base64(key.expose_secret())
            .map_err(|e| ConfigError::key(format!("security.previous_encryption_keys[{i}]"), e.to_string()))?;
    }
    if let Some(secret) = &security.attendee_webhook_secret {
        crate::attendee::SigningKey::parse(secret.expose_secret())
            .map_err(|e| ConfigError::key("security.attendee_webhook_secret", e))?;
    }
    if let Some(secret) = &security.recall_verification_secret {
        crate::recall::VerificationKey::parse(secret.expose_secret())
            .map_err(|e| ConfigError::key("security.recall_verification_secret", e))?;
    }
    Ok(())
}
