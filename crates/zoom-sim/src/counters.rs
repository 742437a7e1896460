//! Call counts for `/_sim/counters`: requests per route and status, per grant, OAuth outcomes,
//! mints, rate-limited calls, webhook outcomes.

use parking_lot::Mutex;

use crate::control::types;

#[derive(Default)]
pub struct Counters {
    data: Mutex<types::Counters>,
}

impl Counters {
    /// One answered request. `route` is the method and route pattern; `status` is the HTTP
    /// status or `"dropped"`.
    pub fn record_request(&self, route: &str, status: &str, grant_id: Option<&str>) {
        let mut data = self.data.lock();
        bump(bump_map(&mut data.requests, route), status);
        if let Some(grant_id) = grant_id {
            bump(bump_map(&mut data.by_grant, grant_id), route);
        }
    }

    pub fn update(&self, f: impl FnOnce(&mut types::Counters)) {
        f(&mut self.data.lock());
    }

    pub fn snapshot(&self) -> types::Counters {
        self.data.lock().clone()
    }

    pub fn reset(&self) {
        *self.data.lock() = types::Counters::default();
    }
}

type CountMap = std::collections::BTreeMap<String, u64>;

fn bump_map<'a>(maps: &'a mut std::collections::BTreeMap<String, CountMap>, key: &str) -> &'a mut CountMap {
    maps.entry(key.to_owned()).or_default()
}

fn bump(map: &mut CountMap, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_owned(), 1);
        }
    }
}
