//! The middleware around the Zoom-facing routes (`/oauth`, `/v2`): injected faults first (or,
//! for `after_work` faults, once the handler has answered), then the handler, then
//! `x-zm-trackingid` and rate-limit headers, then the counters.
//! The control API (`/_sim`) passes straight through: it is never faulted nor counted.

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{Error, HttpMessage as _, web};

use crate::faults::{Effect, drop_connection};
use crate::ids;
use crate::sim::{RequestMeta, Sim};

pub struct SimMiddleware;

impl<S, B> Transform<S, ServiceRequest> for SimMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Transform = SimMiddlewareService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SimMiddlewareService { service: Rc::new(service) }))
    }
}

pub struct SimMiddlewareService<S> {
    service: Rc<S>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl<S, B> Service<ServiceRequest> for SimMiddlewareService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = Error;
    type Future = BoxFuture<Result<Self::Response, Self::Error>>;

    forward_ready!(service);

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let service = self.service.clone();
        Box::pin(handle(req, service))
    }
}

async fn handle<S, B>(req: ServiceRequest, service: Rc<S>) -> Result<ServiceResponse<BoxBody>, Error>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    let path = req.path();
    let zoom_facing = path.starts_with("/v2") || path.starts_with("/oauth");
    let sim = req.app_data::<web::Data<Sim>>().cloned();
    let (Some(sim), true) = (sim, zoom_facing) else {
        return Ok(service.call(req).await?.map_into_boxed_body());
    };
    let is_rest = path.starts_with("/v2");
    let pattern = req.match_pattern().unwrap_or_else(|| "(unmatched)".to_owned());
    let route = format!("{} {pattern}", req.method());

    let fault = sim.faults.take(req.method().as_str(), req.path());
    let (before, after) = match fault {
        Some(action) if action.after_work => (None, Some(action)),
        other => (other, None),
    };
    if let Some(action) = before {
        if let Some(delay) = action.delay {
            actix_web::rt::time::sleep(delay).await;
        }
        match action.effect {
            Effect::Proceed => {}
            Effect::Drop => {
                sim.counters.record_request(&route, "dropped", None);
                let res = drop_connection(req.request());
                return Ok(req.into_response(res));
            }
            Effect::Respond(res) => {
                sim.counters.record_request(&route, res.status().as_str(), None);
                return Ok(req.into_response(res));
            }
        }
    }

    let mut res = service.call(req).await?.map_into_boxed_body();
    if let Some(action) = after {
        // The work is done (and counted by the handler); only the answer is held back or lost.
        if let Some(delay) = action.delay {
            actix_web::rt::time::sleep(delay).await;
        }
        match action.effect {
            Effect::Proceed => {}
            Effect::Drop => {
                sim.counters.record_request(&route, "dropped", None);
                let dropped = drop_connection(res.request());
                return Ok(res.into_response(dropped));
            }
            Effect::Respond(canned) => {
                sim.counters.record_request(&route, canned.status().as_str(), None);
                return Ok(res.into_response(canned));
            }
        }
    }
    let meta = res.request().extensions().get::<RequestMeta>().cloned();
    if is_rest {
        let headers = res.headers_mut();
        if let Ok(v) = HeaderValue::from_str(&format!("v=2.0;clid=us05;rid={}", ids::opaque(24))) {
            headers.insert(HeaderName::from_static("x-zm-trackingid"), v);
        }
    }
    if let Some(rate) = meta.as_ref().and_then(|m| m.rate).filter(|_| res.status().is_success()) {
        let headers = res.headers_mut();
        headers.insert(HeaderName::from_static("x-ratelimit-category"), HeaderValue::from_static(rate.category.name()));
        headers.insert(HeaderName::from_static("x-ratelimit-limit"), HeaderValue::from(rate.limit));
        headers.insert(HeaderName::from_static("x-ratelimit-remaining"), HeaderValue::from(rate.remaining));
    }
    sim.counters.record_request(&route, res.status().as_str(), meta.as_ref().map(|m| m.grant.id.as_str()));
    Ok(res)
}
