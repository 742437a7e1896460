//! What every handler, job and CLI command shares.

use std::sync::Arc;

use super::access::AccessTokens;
use super::backfill_queue::BackfillQueue;
use super::budget::Budget;
use super::credential_log::CredentialLog;
use super::lookup_cache::Lookups;
use super::resolution_cache::ResolutionCache;
use crate::config::Settings;
use crate::db::{Backend, Db};
use crate::metrics::Metrics;
use crate::webhooks::ingest::Ingestor;
use crate::webhooks::keys::WebhookKeys;
use crate::zoom::Clouds;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    /// Zoom's client for each cloud: `state.zoom.on(app.cloud)`.
    pub zoom: Clouds,
    pub tokens: Arc<AccessTokens>,
    pub budget: Arc<Budget>,
    pub log: CredentialLog,
    pub webhook_keys: Arc<WebhookKeys>,
    pub ingest: Ingestor,
    pub lookups: Arc<Lookups>,
    /// What meetings resolved to lately (`resolution_cache`).
    pub resolutions: Arc<ResolutionCache>,
    pub backfills: Arc<BackfillQueue>,
    pub sign_ins: Arc<super::sign_ins::SignIns>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(db: Db, settings: Settings) -> anyhow::Result<Self> {
        let metrics = Arc::new(Metrics::default());
        let zoom = Clouds::new(&settings.zoom, Arc::clone(&metrics))?;
        // Log lines, rate-budget bookings and heartbeats change no resolution.
        let log = CredentialLog::start(db.unrelated_to_resolution());
        let tokens = Arc::new(AccessTokens::new(
            db.clone(),
            zoom.clone(),
            settings.secrets.cipher.clone(),
            log.clone(),
            Arc::clone(&metrics),
        ));
        // SQLite serves one process: its schedule stays in memory, with no round trip.
        let budget = Arc::new(if settings.zoom.shared_rate_budget && db.backend() == Backend::Postgres {
            Budget::shared(settings.zoom.plan, db.unrelated_to_resolution())
        } else {
            Budget::new(settings.zoom.plan)
        });
        let webhook_keys = Arc::new(WebhookKeys::new(db.clone(), settings.secrets.cipher.clone()));
        let ingest = Ingestor::new(db.clone());
        let resolutions = Arc::new(ResolutionCache::new(settings.resolution_cache, settings.resolution_cache_notified));
        Ok(Self {
            db,
            settings: Arc::new(settings),
            zoom,
            tokens,
            budget,
            log,
            webhook_keys,
            ingest,
            lookups: Arc::default(),
            resolutions,
            backfills: Arc::default(),
            sign_ins: Arc::default(),
            metrics,
        })
    }
}
