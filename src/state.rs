//! What every handler, job and CLI command shares.

use std::sync::Arc;

use crate::config::Settings;
use crate::db::Db;

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
}

impl AppState {
    pub fn new(db: Db, settings: Settings) -> Self {
        Self { db, settings: Arc::new(settings) }
    }
}
