//! A webhook receiver for tests: records every request's headers and raw body, answers
//! `endpoint.url_validation` (correctly or not), and answers events with a chosen status.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::mpsc;
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use parking_lot::Mutex;
use serde_json::{Value, json};
use zoom_sim::signature::url_validation_token;

#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
    /// When it arrived (monotonic), to measure the retry schedule.
    pub at: std::time::Instant,
    /// When it arrived, wall-clock seconds, to measure how old a timestamp was on arrival.
    pub wall_secs: i64,
}

impl Received {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", String::as_str)
    }

    /// `x-zm-request-timestamp` as a number.
    pub fn timestamp(&self) -> i64 {
        self.header("x-zm-request-timestamp").parse().unwrap()
    }

    pub fn event(&self) -> String {
        self.json()["event"].as_str().unwrap_or_default().to_owned()
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Validation {
    Correct,
    WrongToken,
    Status(u16),
}

struct State {
    secret: String,
    event_status: u16,
    /// Answer this many next events with `fail_status` before `event_status` applies again.
    fail_next: usize,
    fail_status: u16,
    validation: Validation,
    received: Vec<Received>,
}

pub struct Receiver {
    url: String,
    state: Arc<Mutex<State>>,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
}

async fn receive(state: web::Data<Arc<Mutex<State>>>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let headers =
        req.headers().iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or_default().to_owned())).collect();
    let mut state = state.lock();
    let (at, wall_secs) = (std::time::Instant::now(), chrono::Utc::now().timestamp());
    state.received.push(Received { headers, body: body.to_vec(), at, wall_secs });
    let parsed: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if parsed["event"] == "endpoint.url_validation" {
        let plain = parsed["payload"]["plainToken"].as_str().unwrap_or_default().to_owned();
        let encrypted = match state.validation {
            Validation::Correct => url_validation_token(&state.secret, &plain),
            Validation::WrongToken => "0".repeat(64),
            Validation::Status(code) => {
                return HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap()).finish();
            }
        };
        return HttpResponse::Ok().json(json!({"plainToken": plain, "encryptedToken": encrypted}));
    }
    let status = if state.fail_next > 0 {
        state.fail_next -= 1;
        state.fail_status
    } else {
        state.event_status
    };
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
}

impl Receiver {
    pub fn start(secret: &str) -> Self {
        let state = Arc::new(Mutex::new(State {
            secret: secret.to_owned(),
            event_status: 200,
            fail_next: 0,
            fail_status: 500,
            validation: Validation::Correct,
            received: Vec::new(),
        }));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/webhook", listener.local_addr().unwrap());
        let data = web::Data::new(state.clone());
        let (tx, rx) = mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = HttpServer::new(move || {
                    App::new().app_data(data.clone()).route("/webhook", web::post().to(receive))
                })
                .workers(1)
                .disable_signals()
                .shutdown_timeout(0)
                .listen(listener)
                .unwrap()
                .run();
                tx.send(server.handle()).unwrap();
                server.await.unwrap();
            });
        });
        let handle = rx.recv().unwrap();
        Self { url, state, handle, thread: Some(thread) }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Status for event deliveries (not validation).
    pub fn set_status(&self, status: u16) {
        self.state.lock().event_status = status;
    }

    /// Answers the next `n` events with `status`, then goes back to normal.
    pub fn fail_next(&self, n: usize, status: u16) {
        let mut state = self.state.lock();
        state.fail_next = n;
        state.fail_status = status;
    }

    pub fn set_validation(&self, validation: Validation) {
        self.state.lock().validation = validation;
    }

    /// Every request received so far, validations included.
    pub fn all(&self) -> Vec<Received> {
        self.state.lock().received.clone()
    }

    /// Event deliveries received so far (validations excluded).
    pub fn events(&self) -> Vec<Received> {
        self.all().into_iter().filter(|r| r.event() != "endpoint.url_validation").collect()
    }

    /// Waits until at least `n` event deliveries arrived.
    pub async fn wait_events(&self, n: usize) -> Vec<Received> {
        crate::helpers::eventually(10, &format!("{n} webhook deliveries"), || async {
            let events = self.events();
            (events.len() >= n).then_some(events)
        })
        .await
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
