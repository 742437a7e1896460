//! Run-time switches for what docs/zoom.md leaves unconfirmed (§7, DESIGN.md "Settings"): set
//! from `SimOptions` at start, read and changed through `/_sim/settings`. They are atomics
//! because every REST call, token request and webhook retry reads one, and a lock there would
//! show in benchmarks.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU16, Ordering};

use crate::control::types::{self, RetryAfterFormat, RetryTimestamp, SettingsPatch};
use crate::errors::ControlError;

pub struct Settings {
    retry_timestamp: AtomicU8,
    refresh_ends_access_token: AtomicBool,
    token_error_status: AtomicU16,
    invalid_client_status: AtomicU16,
    retry_after: AtomicU8,
}

/// The statuses each switchable answer may have, so that nothing else can be configured.
const TOKEN_ERROR_STATUSES: [u16; 2] = [400, 401];
const INVALID_CLIENT_STATUSES: [u16; 2] = [400, 401];

/// Refuses a settings value the simulator does not model, naming the setting.
pub fn check(view: &types::Settings) -> Result<(), String> {
    if !TOKEN_ERROR_STATUSES.contains(&view.token_error_status) {
        return Err("token_error_status must be 400 or 401".to_owned());
    }
    if !INVALID_CLIENT_STATUSES.contains(&view.invalid_client_status) {
        return Err("invalid_client_status must be 400 or 401".to_owned());
    }
    Ok(())
}

fn timestamp_code(v: RetryTimestamp) -> u8 {
    match v {
        RetryTimestamp::First => 0,
        RetryTimestamp::Fresh => 1,
    }
}

fn retry_after_code(v: RetryAfterFormat) -> u8 {
    match v {
        RetryAfterFormat::Iso8601 => 0,
        RetryAfterFormat::HttpDate => 1,
        RetryAfterFormat::Absent => 2,
    }
}

impl Settings {
    pub fn new(view: &types::Settings) -> Self {
        Self {
            retry_timestamp: AtomicU8::new(timestamp_code(view.retry_timestamp)),
            refresh_ends_access_token: AtomicBool::new(view.refresh_ends_access_token),
            token_error_status: AtomicU16::new(view.token_error_status),
            invalid_client_status: AtomicU16::new(view.invalid_client_status),
            retry_after: AtomicU8::new(retry_after_code(view.retry_after)),
        }
    }

    pub fn retry_timestamp(&self) -> RetryTimestamp {
        match self.retry_timestamp.load(Ordering::Relaxed) {
            1 => RetryTimestamp::Fresh,
            _ => RetryTimestamp::First,
        }
    }

    pub fn refresh_ends_access_token(&self) -> bool {
        self.refresh_ends_access_token.load(Ordering::Relaxed)
    }

    pub fn token_error_status(&self) -> u16 {
        self.token_error_status.load(Ordering::Relaxed)
    }

    pub fn invalid_client_status(&self) -> u16 {
        self.invalid_client_status.load(Ordering::Relaxed)
    }

    pub fn retry_after(&self) -> RetryAfterFormat {
        match self.retry_after.load(Ordering::Relaxed) {
            1 => RetryAfterFormat::HttpDate,
            2 => RetryAfterFormat::Absent,
            _ => RetryAfterFormat::Iso8601,
        }
    }

    pub fn view(&self) -> types::Settings {
        types::Settings {
            retry_timestamp: self.retry_timestamp(),
            refresh_ends_access_token: self.refresh_ends_access_token(),
            token_error_status: self.token_error_status(),
            invalid_client_status: self.invalid_client_status(),
            retry_after: self.retry_after(),
        }
    }

    /// Applies `patch` after checking the whole result, so a refused patch changes nothing.
    pub fn apply(&self, patch: SettingsPatch) -> Result<types::Settings, ControlError> {
        let current = self.view();
        let next = types::Settings {
            retry_timestamp: patch.retry_timestamp.unwrap_or(current.retry_timestamp),
            refresh_ends_access_token: patch.refresh_ends_access_token.unwrap_or(current.refresh_ends_access_token),
            token_error_status: patch.token_error_status.unwrap_or(current.token_error_status),
            invalid_client_status: patch.invalid_client_status.unwrap_or(current.invalid_client_status),
            retry_after: patch.retry_after.unwrap_or(current.retry_after),
        };
        check(&next).map_err(ControlError::bad_request)?;
        self.retry_timestamp.store(timestamp_code(next.retry_timestamp), Ordering::Relaxed);
        self.refresh_ends_access_token.store(next.refresh_ends_access_token, Ordering::Relaxed);
        self.token_error_status.store(next.token_error_status, Ordering::Relaxed);
        self.invalid_client_status.store(next.invalid_client_status, Ordering::Relaxed);
        self.retry_after.store(retry_after_code(next.retry_after), Ordering::Relaxed);
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_patch_changes_nothing() {
        let settings = Settings::new(&types::Settings::default());
        let patch = SettingsPatch {
            refresh_ends_access_token: Some(false),
            token_error_status: Some(403),
            ..Default::default()
        };
        assert!(settings.apply(patch).is_err());
        assert_eq!(settings.view(), types::Settings::default());
        let patch = SettingsPatch {
            retry_timestamp: Some(RetryTimestamp::Fresh),
            retry_after: Some(RetryAfterFormat::Absent),
            token_error_status: Some(400),
            ..Default::default()
        };
        let view = settings.apply(patch).map_err(|e| e.to_string());
        assert_eq!(view.as_ref().map(|v| v.retry_timestamp), Ok(RetryTimestamp::Fresh));
        assert_eq!(settings.retry_after(), RetryAfterFormat::Absent);
        assert_eq!(settings.token_error_status(), 400);
    }
}
