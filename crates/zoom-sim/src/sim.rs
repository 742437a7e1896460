//! The state every handler shares (as `web::Data<Sim>`).

use std::sync::Arc;

use actix_web::{HttpMessage as _, HttpRequest};
use chrono::{DateTime, Utc};
use parking_lot::Mutex;

use crate::clock::Clock;
use crate::counters::Counters;
use crate::errors::ApiError;
use crate::faults::Faults;
use crate::http::bearer_token;
use crate::ratelimit::{RateInfo, RateLimiter};
use crate::rest::Endpoint;
use crate::settings::Settings;
use crate::state::{Caller, GrantRef, World};
use crate::webhooks::Webhooks;

pub struct Sim {
    pub clock: Clock,
    pub world: Mutex<World>,
    pub counters: Arc<Counters>,
    pub faults: Faults,
    pub rate: RateLimiter,
    pub webhooks: Webhooks,
    pub settings: Arc<Settings>,
}

/// Set on a REST request once it is authenticated; the middleware turns it into counters and
/// rate-limit headers.
#[derive(Clone)]
pub struct RequestMeta {
    pub grant: Arc<GrantRef>,
    pub rate: Option<RateInfo>,
}

impl Sim {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Runs a change to the world, then queues the webhooks it caused before releasing the
    /// lock, so deliveries keep the order of the changes.
    pub fn mutate<T>(&self, f: impl FnOnce(&mut World, DateTime<Utc>) -> T) -> T {
        let now = self.now();
        let mut world = self.world.lock();
        let out = f(&mut world, now);
        if !world.outbox.is_empty() {
            let events = std::mem::take(&mut world.outbox);
            self.webhooks.publish(events);
        }
        out
    }

    /// Authenticates a REST call, counts it against the account's rate limits, and checks the
    /// endpoint's scope, in that order.
    pub fn authorize(&self, req: &HttpRequest, endpoint: &Endpoint) -> Result<Caller, ApiError> {
        let token = bearer_token(req).ok_or_else(ApiError::no_token)?;
        if token.is_empty() {
            return Err(self.token_error(ApiError::invalid_token()));
        }
        let now = self.now();
        let caller = self.world.lock().authenticate(&token, now).map_err(|e| self.token_error(e))?;
        let mut meta = RequestMeta { grant: caller.grant.clone(), rate: None };
        let rate =
            self.rate.check(caller.account_id(), caller.plan, endpoint.category, now, self.settings.retry_after());
        let rate = match rate {
            Ok(rate) => rate,
            Err(limited) => {
                self.counters.update(|c| {
                    c.rate_limited += 1;
                    if limited.daily {
                        c.daily_limited += 1;
                    }
                });
                req.extensions_mut().insert(meta);
                return Err(limited.error);
            }
        };
        meta.rate = rate;
        req.extensions_mut().insert(meta);
        endpoint.check_scopes(&caller)?;
        Ok(caller)
    }

    /// A refused access token answers 401 or 400 as `token_error_status` says (docs/zoom.md
    /// §3.1: Zoom documents 400 and has been seen answering 401); other errors pass unchanged.
    pub fn token_error(&self, mut e: ApiError) -> ApiError {
        if e.code == 124 && e.status == actix_web::http::StatusCode::UNAUTHORIZED {
            let status = self.settings.token_error_status();
            e.status = actix_web::http::StatusCode::from_u16(status).unwrap_or(e.status);
        }
        e
    }
}
