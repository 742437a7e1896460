//! Clock, rate limits, faults, minted tokens, counters and deliveries.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::SecondsFormat;

use super::{Reply, created, ok};
use crate::control::types::{Advance, ClockState, DailyLimit, NewFault, Plan, RateCategory, RateLimits, SettingsPatch};
use crate::errors::ControlError;
use crate::http::{json_body, query_map};
use crate::sim::Sim;

fn clock_state(sim: &Sim) -> ClockState {
    ClockState {
        now: sim.now().to_rfc3339_opts(SecondsFormat::Millis, true),
        offset_seconds: sim.clock.offset_ms() as f64 / 1000.0,
    }
}

pub async fn clock(sim: web::Data<Sim>) -> Reply {
    ok(clock_state(&sim))
}

pub async fn advance_clock(sim: web::Data<Sim>, body: web::Bytes) -> Reply {
    let req: Advance = json_body(&body)?;
    // Time only moves forward: expiries would otherwise come undone.
    if !sim.clock.advance(req.seconds) {
        return Err(ControlError::bad_request("seconds must be >= 0, and the clock at most 1000 years ahead"));
    }
    ok(clock_state(&sim))
}

pub async fn rate_limits(sim: web::Data<Sim>) -> Reply {
    ok(RateLimits { enabled: sim.rate.enabled() })
}

pub async fn set_rate_limits(sim: web::Data<Sim>, body: web::Bytes) -> Reply {
    let req: RateLimits = json_body(&body)?;
    sim.rate.set_enabled(req.enabled);
    ok(req)
}

pub async fn daily_limits(sim: web::Data<Sim>) -> Reply {
    ok(sim.rate.daily_limits())
}

/// `PUT /_sim/daily-limits/{plan}/{category}` `{"limit": n | null}`.
pub async fn set_daily_limit(sim: web::Data<Sim>, path: web::Path<(String, String)>, body: web::Bytes) -> Reply {
    let (plan, category) = path.into_inner();
    let plan: Plan = serde_json::from_value(serde_json::Value::String(plan.clone()))
        .map_err(|_| ControlError::bad_request(format!("unknown plan {plan:?} (free, pro or business)")))?;
    let category: RateCategory = serde_json::from_value(serde_json::Value::String(category.clone()))
        .map_err(|_| ControlError::bad_request(format!("unknown category {category:?} (light, medium or heavy)")))?;
    let req: DailyLimit = json_body(&body)?;
    ok(sim.rate.set_daily_limit(plan, category, req.limit))
}

/// Back to Zoom's table.
pub async fn reset_daily_limits(sim: web::Data<Sim>) -> Reply {
    ok(sim.rate.reset_daily_limits())
}

pub async fn settings(sim: web::Data<Sim>) -> Reply {
    ok(sim.settings.view())
}

pub async fn update_settings(sim: web::Data<Sim>, body: web::Bytes) -> Reply {
    let patch: SettingsPatch = json_body(&body)?;
    ok(sim.settings.apply(patch)?)
}

pub async fn add_fault(sim: web::Data<Sim>, body: web::Bytes) -> Reply {
    let req: NewFault = json_body(&body)?;
    created(sim.faults.add(req)?)
}

pub async fn list_faults(sim: web::Data<Sim>) -> Reply {
    ok(sim.faults.list())
}

pub async fn clear_faults(sim: web::Data<Sim>) -> Reply {
    sim.faults.clear();
    Ok(HttpResponse::NoContent().finish())
}

pub async fn token(sim: web::Data<Sim>, token: web::Path<String>) -> Reply {
    let now = sim.now();
    let view = sim.world.lock().minted_view(&token, now);
    ok(view.ok_or_else(|| ControlError::not_found("no such token was minted"))?)
}

pub async fn use_token(sim: web::Data<Sim>, token: web::Path<String>) -> Reply {
    let now = sim.now();
    let used = sim.world.lock().use_minted(&token, now);
    ok(used.ok_or_else(|| ControlError::not_found("no such token was minted"))?)
}

pub async fn counters(sim: web::Data<Sim>) -> Reply {
    ok(sim.counters.snapshot())
}

pub async fn reset_counters(sim: web::Data<Sim>) -> Reply {
    sim.counters.reset();
    ok(sim.counters.snapshot())
}

pub async fn deliveries(sim: web::Data<Sim>, req: HttpRequest) -> Reply {
    let query = query_map(&req);
    let filter = |k: &str| query.get(k).map(String::as_str).filter(|v| !v.is_empty());
    ok(sim.webhooks.list(filter("client_id"), filter("event")))
}

pub async fn redeliver(sim: web::Data<Sim>, id: web::Path<String>) -> Reply {
    let id: u64 = id.parse().map_err(|_| ControlError::bad_request("delivery id must be a number"))?;
    let result = sim.webhooks.redeliver(id).await;
    ok(result.ok_or_else(|| ControlError::not_found(format!("no delivery {id}")))?)
}
