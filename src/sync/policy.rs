//! Which credentials a tick lists: what staying in sync costs at Zoom.
//!
//! A full listing of an account-wide credential is one Medium call per user of the account
//! (plus a page of users per 300), so listing every credential at every tick of the default
//! half-hourly schedule costs ~96,000 Medium calls a day for a 2,000-user account, far over a
//! Free plan's 2,000. A listing is only needed where nothing else keeps a meeting findable
//! when a bot asks for it:
//!
//! - an account-wide credential granted the meeting read scope finds a meeting nobody mapped at
//!   request time (`services::lookup`, `GET /meetings/{id}`, Light), so webhooks lost or not, a
//!   bot gets its token; its listing only tidies (removals, PMIs) and runs every
//!   `sync.full_listing_hours`;
//! - a user-level credential cannot be looked up that way without knowing the host. With
//!   `sync.catch_up_after_seconds` (the default), a bot asking for a meeting nothing maps lists
//!   at once every such credential not listed within that long (`services::lookup::catch_up`),
//!   so the bound holds at request time there too, and the tick lists it every
//!   `sync.full_listing_hours`; with it 0, at every tick, unless `sync.webhook_healthy_minutes`
//!   is set and its app's webhooks are healthy (a verified event or URL validation within that
//!   many minutes).
//!
//! A credential never listed to completion is always due.

use std::time::Duration;

use chrono::NaiveDateTime;

/// What the tick knows about one credential.
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    /// When its last complete listing finished, if ever.
    pub last_listed: Option<NaiveDateTime>,
    /// It can find an unknown meeting at request time (account-wide with the read scope).
    pub can_look_up: bool,
    /// Its app's webhooks count as healthy (always false when health is not trusted).
    pub webhooks_healthy: bool,
    /// A bot's unknown meeting lists it at once when stale (`sync.catch_up_after_seconds`).
    pub catches_up: bool,
}

/// Whether a tick at `now` lists this credential; `every` is `sync.full_listing_hours`.
pub fn due(facts: Facts, every: Duration, now: NaiveDateTime) -> bool {
    let Some(last) = facts.last_listed else { return true };
    if !(facts.can_look_up || facts.webhooks_healthy || facts.catches_up) {
        return true;
    }
    let every = chrono::Duration::from_std(every).unwrap_or(chrono::Duration::MAX);
    // A small slack: a listing that finished a little after the tick it ran for should not
    // push the next one a whole tick later.
    now - last + chrono::Duration::minutes(5) >= every
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hours: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + hours * 3600, 0).unwrap().naive_utc()
    }

    const DAY: Duration = Duration::from_secs(24 * 3600);

    #[test]
    fn never_listed_is_due() {
        let facts = Facts { last_listed: None, can_look_up: true, webhooks_healthy: true, catches_up: false };
        assert!(due(facts, DAY, at(0)));
    }

    #[test]
    fn a_credential_that_can_look_up_is_listed_once_per_interval() {
        let facts = Facts { last_listed: Some(at(0)), can_look_up: true, webhooks_healthy: false, catches_up: false };
        assert!(!due(facts, DAY, at(1)));
        assert!(!due(facts, DAY, at(23)));
        assert!(due(facts, DAY, at(24)));
    }

    #[test]
    fn without_lookup_it_is_listed_every_tick_unless_webhooks_are_healthy() {
        let lost = Facts { last_listed: Some(at(0)), can_look_up: false, webhooks_healthy: false, catches_up: false };
        assert!(due(lost, DAY, at(0)));
        let healthy = Facts { webhooks_healthy: true, ..lost };
        assert!(!due(healthy, DAY, at(1)));
        assert!(due(healthy, DAY, at(24)));
    }

    #[test]
    fn catching_up_at_request_time_lists_it_every_full_listing_interval() {
        let caught = Facts { last_listed: Some(at(0)), can_look_up: false, webhooks_healthy: false, catches_up: true };
        assert!(!due(caught, DAY, at(1)));
        assert!(due(caught, DAY, at(24)));
    }

    #[test]
    fn zero_hours_lists_every_tick() {
        let facts = Facts { last_listed: Some(at(0)), can_look_up: true, webhooks_healthy: true, catches_up: false };
        assert!(due(facts, Duration::ZERO, at(0)));
    }
}
