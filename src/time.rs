//! Time, in the one precision both databases keep (PostgreSQL's TIMESTAMP holds microseconds).

use chrono::{DateTime, NaiveDateTime, SubsecRound as _, Utc};

/// Now, UTC, truncated to microseconds so that a value read back equals the value written.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// A timestamp in the precision the databases keep.
pub fn truncate(at: NaiveDateTime) -> NaiveDateTime {
    at.trunc_subsecs(6)
}

/// A stored (UTC, naive) timestamp as the API shows it.
pub fn utc(at: NaiveDateTime) -> DateTime<Utc> {
    at.and_utc()
}
