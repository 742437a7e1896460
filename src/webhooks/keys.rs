//! Each app's webhook secrets, decrypted once and cached briefly, so verifying a delivery costs
//! no database read or decryption on the hot path. A rotation in this process takes effect at
//! once; one made by another replica within `TTL`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::SecretString;

use crate::crypto::{Cipher, Field};
use crate::db::Db;
use crate::db::models::apps::{self, AppRow};
use crate::error::AppError;
use crate::time;

const TTL: Duration = Duration::from_secs(5);

/// What verifying one app's deliveries needs.
pub struct AppKeys {
    pub app: AppRow,
    pub current: SecretString,
    /// The secret replaced by the last rotation, while its grace period lasts.
    pub previous: Option<SecretString>,
}

/// When an entry was read, and the app's keys (`None`: no such app).
type Entry = (Instant, Option<Arc<AppKeys>>);

pub struct WebhookKeys {
    db: Db,
    cipher: Cipher,
    cache: parking_lot::Mutex<HashMap<String, Entry>>,
}

impl WebhookKeys {
    pub fn new(db: Db, cipher: Cipher) -> Self {
        Self { db, cipher, cache: parking_lot::Mutex::new(HashMap::new()) }
    }

    /// The app's keys, or `None` for an unknown app.
    pub async fn get(&self, app_id: &str) -> Result<Option<Arc<AppKeys>>, AppError> {
        if let Some((at, keys)) = self.cache.lock().get(app_id)
            && at.elapsed() < TTL
        {
            return Ok(keys.clone());
        }
        let id = app_id.to_owned();
        let row = self.db.read(move |conn| apps::find(conn, &id)).await?;
        let keys = row.map(|app| self.open(app)).transpose()?.map(Arc::new);
        let mut cache = self.cache.lock();
        if cache.len() > 10_000 {
            // Requests for made-up app ids must not grow this without bound.
            cache.retain(|_, (at, keys)| keys.is_some() && at.elapsed() < TTL);
        }
        cache.insert(app_id.to_owned(), (Instant::now(), keys.clone()));
        Ok(keys)
    }

    pub fn invalidate(&self, app_id: &str) {
        self.cache.lock().remove(app_id);
    }

    fn open(&self, app: AppRow) -> Result<AppKeys, AppError> {
        let current = self.cipher.open(Field::AppWebhookSecret, &app.id, &app.webhook_secret)?;
        let previous = match (&app.previous_webhook_secret, app.previous_webhook_secret_expires_at) {
            (Some(sealed), Some(until)) if until > time::now() => {
                Some(self.cipher.open(Field::AppPreviousWebhookSecret, &app.id, sealed)?)
            }
            _ => None,
        };
        Ok(AppKeys { app, current, previous })
    }
}
