//! The simulated Zoom: accounts, users, apps, grants and tokens, meetings, minted tokens.
//!
//! One [`World`] lives behind one mutex in [`crate::sim::Sim`]. Every map is indexed by the id
//! requests name, so a request costs a few hash look-ups whatever the world's size. Mutations
//! that Zoom announces by webhook push an [`OutboundEvent`] to `outbox`; `Sim::mutate` hands
//! them to the webhook queues before the lock is released, which keeps them in order.

mod accounts;
mod apps;
mod codes;
mod grants;
mod meetings;
mod paging;
mod tokens;
mod users;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

pub use self::accounts::Account;
pub use self::apps::{App, Subscription};
pub use self::codes::{AuthCode, CodeRequest};
pub use self::grants::{ACCESS_TOKEN_SECS, AccessToken, Caller, Grant, GrantKey, GrantRef, RefreshToken, TokenSet};
pub use self::meetings::{Family, Meeting, MeetingRef};
pub use self::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageQuery, PageRequest, Pages};
pub use self::tokens::{MintRequest, Minted, MintedKey};
pub use self::users::User;
use crate::errors::ControlError;
use crate::webhooks::{OutboundEvent, Target};

pub struct World {
    pub accounts: HashMap<String, Account>,
    pub users: HashMap<String, User>,
    /// Every user in creation order (the consent page).
    pub users_by_seq: BTreeMap<u64, String>,
    /// Lower-cased email -> user id.
    pub user_by_email: HashMap<String, String>,
    pub user_by_pmi: HashMap<u64, String>,
    pub user_by_vanity: HashMap<String, String>,
    pub apps: HashMap<String, App>,
    pub grants: HashMap<String, Grant>,
    /// The grant that is current for (app, user) or (app, account).
    pub current_grant: HashMap<GrantKey, String>,
    pub codes: HashMap<String, AuthCode>,
    pub access_tokens: HashMap<String, AccessToken>,
    pub refresh_tokens: HashMap<String, RefreshToken>,
    /// Refresh tokens already used: token -> (grant, generation), so a check can tell a
    /// superseded token from one never issued.
    pub retired_refresh_tokens: HashMap<String, (String, u64)>,
    pub meetings: HashMap<u64, Meeting>,
    pub minted: HashMap<MintedKey, Minted>,
    pub pages: Pages,
    pub outbox: Vec<OutboundEvent>,
    seq: u64,
    refresh_ttl: TimeDelta,
}

impl World {
    pub fn new(refresh_ttl: std::time::Duration) -> Self {
        Self {
            accounts: HashMap::new(),
            users: HashMap::new(),
            users_by_seq: BTreeMap::new(),
            user_by_email: HashMap::new(),
            user_by_pmi: HashMap::new(),
            user_by_vanity: HashMap::new(),
            apps: HashMap::new(),
            grants: HashMap::new(),
            current_grant: HashMap::new(),
            codes: HashMap::new(),
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            retired_refresh_tokens: HashMap::new(),
            meetings: HashMap::new(),
            minted: HashMap::new(),
            pages: Pages::default(),
            outbox: Vec::new(),
            seq: 0,
            refresh_ttl: TimeDelta::from_std(refresh_ttl).unwrap_or(TimeDelta::MAX),
        }
    }

    /// A counter that orders creations (users and meetings are listed in creation order).
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Queues `event` for every app that should hear about something in `account_id`
    /// concerning the users `subjects` (docs/zoom.md §1; DESIGN.md "Recipients").
    fn emit(&mut self, name: &'static str, account_id: &str, subjects: &[&str], payload: Value) {
        let targets: Vec<Target> = self
            .apps
            .values()
            .filter_map(|app| {
                let sub = app.webhook.as_ref()?;
                app.hears_about(self, account_id, subjects).then(|| Target::new(app, sub))
            })
            .collect();
        if !targets.is_empty() {
            self.outbox.push(OutboundEvent::new(name, payload, targets));
        }
    }

    /// Queues `event` for the account-level and server-to-server apps of `account_id` only:
    /// events that need admin scopes (`user.deactivated`, `user.activated`,
    /// `user.disassociated`, docs/zoom.md §1.5) never reach user-level apps.
    fn emit_to_admins(&mut self, name: &'static str, account_id: &str, payload: Value) {
        let targets: Vec<Target> = self
            .apps
            .values()
            .filter(|app| app.kind != crate::control::types::AppKind::UserLevel)
            .filter_map(|app| {
                let sub = app.webhook.as_ref()?;
                app.hears_about(self, account_id, &[]).then(|| Target::new(app, sub))
            })
            .collect();
        if !targets.is_empty() {
            self.outbox.push(OutboundEvent::new(name, payload, targets));
        }
    }
}

/// Caller-chosen ids appear in URL paths: keep them to Zoom's alphabet.
fn check_id(kind: &str, id: &str) -> Result<(), ControlError> {
    let ok =
        !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(ControlError::bad_request(format!("{kind} id must be 1-64 characters of [A-Za-z0-9_-]")))
    }
}

/// Parses an RFC 3339 date-time from the control API.
fn parse_time(field: &str, value: &str) -> Result<DateTime<Utc>, ControlError> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| ControlError::bad_request(format!("{field} must be an RFC 3339 date-time")))
}

impl World {
    /// Queues `event` for one app only (`app_deauthorized`), whatever its grants say now;
    /// false when the app has no subscription to send it to.
    fn emit_to_app(&mut self, name: &'static str, client_id: &str, payload: Value) -> bool {
        let target = self.apps.get(client_id).and_then(|app| Some(Target::new(app, app.webhook.as_ref()?)));
        match target {
            Some(target) => {
                self.outbox.push(OutboundEvent::new(name, payload, vec![target]));
                true
            }
            None => false,
        }
    }
}
