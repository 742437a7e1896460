//! Injected faults (`/_sim/faults`): the next `count` requests matching a method and a path
//! prefix are delayed, answered with a canned status, or dropped; before the handler runs, or
//! (`after_work`) after it did its work, which is how an answer that never arrives looks to a
//! client although Zoom rotated the refresh token (docs/zoom.md §2.3).
//!
//! Dropping: actix cannot abort a connection from a handler, so every accepted socket keeps a
//! duplicate of its descriptor (`on_connect`, a `socket2::Socket`). A drop shuts that socket
//! down before anything is written, so the client sees the connection close without a response,
//! and the response body errors so that actix closes its side too.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::Extensions;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use parking_lot::Mutex;
use serde_json::Value;

use crate::control::types::{self, NewFault};
use crate::errors::ControlError;

struct Fault {
    id: u64,
    method: Option<String>,
    path: String,
    remaining: u32,
    status: Option<StatusCode>,
    body: Option<Value>,
    headers: Vec<(HeaderName, HeaderValue)>,
    delay: Option<Duration>,
    drop: bool,
    after_work: bool,
}

impl Fault {
    fn view(&self) -> types::Fault {
        types::Fault {
            id: self.id,
            method: self.method.clone(),
            path: self.path.clone(),
            remaining: self.remaining,
            status: self.status.map(|s| s.as_u16()),
            body: self.body.clone(),
            headers: (!self.headers.is_empty()).then(|| {
                self.headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
                    .collect::<BTreeMap<_, _>>()
            }),
            delay_ms: self.delay.map(|d| d.as_millis() as u64),
            drop: self.drop,
            after_work: self.after_work,
        }
    }
}

/// What the middleware must do with one request.
pub struct FaultAction {
    pub delay: Option<Duration>,
    pub effect: Effect,
    /// Run the handler first; the delay and the effect apply to its answer.
    pub after_work: bool,
}

pub enum Effect {
    /// Answer normally (after the delay).
    Proceed,
    Respond(HttpResponse),
    Drop,
}

#[derive(Default)]
pub struct Faults {
    /// Number of armed faults, so that requests skip the lock when there are none.
    armed: AtomicUsize,
    list: Mutex<(u64, Vec<Fault>)>,
}

impl Faults {
    pub fn add(&self, req: NewFault) -> Result<types::Fault, ControlError> {
        if !req.path.starts_with('/') {
            return Err(ControlError::bad_request("path must start with /"));
        }
        if req.path.starts_with("/_sim") {
            return Err(ControlError::bad_request("faults cannot target the control API"));
        }
        let drop = req.drop.unwrap_or(false);
        if drop && (req.status.is_some() || req.body.is_some() || req.headers.is_some()) {
            return Err(ControlError::bad_request("drop excludes status, body and headers"));
        }
        if !drop && req.status.is_none() && req.delay_ms.is_none() {
            return Err(ControlError::bad_request("give status, drop or delay_ms"));
        }
        if req.status.is_none() && (req.body.is_some() || req.headers.is_some()) {
            return Err(ControlError::bad_request("body and headers need a status"));
        }
        let status = req
            .status
            .map(|s| StatusCode::from_u16(s).ok().filter(|s| s.as_u16() >= 200))
            .map(|s| s.ok_or_else(|| ControlError::bad_request("status must be 200-999")))
            .transpose()?;
        let mut headers = Vec::new();
        for (name, value) in req.headers.unwrap_or_default() {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|_| ControlError::bad_request(format!("invalid header name {name:?}")))?;
            let value = HeaderValue::try_from(value.as_str())
                .map_err(|_| ControlError::bad_request(format!("invalid value for header {name}")))?;
            headers.push((name, value));
        }
        if req.delay_ms.is_some_and(|d| d > 600_000) {
            return Err(ControlError::bad_request("delay_ms must be at most 600000"));
        }
        let count = req.count.unwrap_or(1);
        if count == 0 {
            return Err(ControlError::bad_request("count must be at least 1"));
        }
        let mut list = self.list.lock();
        list.0 += 1;
        let fault = Fault {
            id: list.0,
            method: req.method.map(|m| m.to_ascii_uppercase()),
            path: req.path,
            remaining: count,
            status,
            body: req.body,
            headers,
            delay: req.delay_ms.map(Duration::from_millis),
            drop,
            after_work: req.after_work.unwrap_or(false),
        };
        let view = fault.view();
        list.1.push(fault);
        self.armed.store(list.1.len(), Ordering::Release);
        Ok(view)
    }

    pub fn list(&self) -> Vec<types::Fault> {
        self.list.lock().1.iter().map(Fault::view).collect()
    }

    pub fn clear(&self) {
        let mut list = self.list.lock();
        list.1.clear();
        self.armed.store(0, Ordering::Release);
    }

    /// Consumes one hit of the oldest fault matching this request, if any.
    pub fn take(&self, method: &str, path: &str) -> Option<FaultAction> {
        if self.armed.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut list = self.list.lock();
        let pos = list.1.iter().position(|f| {
            f.remaining > 0 && path.starts_with(&f.path) && f.method.as_deref().is_none_or(|m| m == method)
        })?;
        let fault = list.1.get_mut(pos)?;
        fault.remaining -= 1;
        let effect = if fault.drop {
            Effect::Drop
        } else if let Some(status) = fault.status {
            Effect::Respond(canned(status, fault.body.as_ref(), &fault.headers))
        } else {
            Effect::Proceed
        };
        let action = FaultAction { delay: fault.delay, effect, after_work: fault.after_work };
        if fault.remaining == 0 {
            list.1.remove(pos);
            self.armed.store(list.1.len(), Ordering::Release);
        }
        Some(action)
    }
}

fn canned(status: StatusCode, body: Option<&Value>, headers: &[(HeaderName, HeaderValue)]) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    for (name, value) in headers {
        res.insert_header((name.clone(), value.clone()));
    }
    match body {
        None => res.finish(),
        Some(Value::String(text)) => {
            let looks_json = serde_json::from_str::<Value>(text).is_ok();
            if !headers.iter().any(|(n, _)| n == CONTENT_TYPE) {
                res.insert_header((
                    CONTENT_TYPE,
                    if looks_json { "application/json" } else { "text/plain; charset=utf-8" },
                ));
            }
            res.body(text.clone())
        }
        Some(json) => res.json(json),
    }
}

/// A duplicate of the connection's socket, kept in the connection's extensions.
pub struct ConnSocket(socket2::Socket);

/// `HttpServer::on_connect` hook.
pub fn remember_socket(conn: &dyn std::any::Any, ext: &mut Extensions) {
    if let Some(stream) = conn.downcast_ref::<actix_web::rt::net::TcpStream>()
        && let Ok(socket) = socket2::SockRef::from(stream).try_clone()
    {
        ext.insert(ConnSocket(socket));
    }
}

/// Drops the request's connection without a response.
pub fn drop_connection(req: &HttpRequest) -> HttpResponse {
    if let Some(ConnSocket(socket)) = req.conn_data::<ConnSocket>() {
        // Linger 0 makes the final close a reset, like a crashed server.
        let _ = socket.set_linger(Some(Duration::ZERO));
        if socket.shutdown(std::net::Shutdown::Both).is_ok() {
            // Nothing can be written any more; actix fails quietly writing this and closes.
            return HttpResponse::Ok().force_close().finish();
        }
    }
    // No socket to shut: break the response instead (the client sees a truncated reply).
    HttpResponse::Ok().body(BrokenBody)
}

/// A body that fails at once, so actix abandons the response and closes the connection.
struct BrokenBody;

impl MessageBody for BrokenBody {
    type Error = std::io::Error;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Option<Result<Bytes, Self::Error>>> {
        Poll::Ready(Some(Err(std::io::Error::new(std::io::ErrorKind::ConnectionAborted, "injected drop"))))
    }
}
