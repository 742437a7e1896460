//! A product's endpoint for zoomsync's outbound events, over real HTTP: it records every
//! request (headers and body) and answers with the statuses it is told to, then 200.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;

#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HashMap<String, String>,
    pub body: String,
    /// What the receiver answered.
    pub status: u16,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("an event body is JSON")
    }

    pub fn event_type(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_owned()
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or_default()
    }
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    answers: VecDeque<u16>,
    /// Sent as `location` with every 3xx answer.
    location: Option<String>,
}

pub struct Receiver {
    pub url: String,
    inner: Arc<parking_lot::Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}/events", listener.local_addr().expect("addr"));
        let inner = Arc::new(parking_lot::Mutex::new(Inner::default()));
        let shared = Arc::clone(&inner);
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let shared = Arc::clone(&shared);
                tokio::spawn(async move {
                    let Some((head, body)) = super::flaky::read_request(&mut stream).await else { return };
                    let headers = head
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                        .collect();
                    let (status, location) = {
                        let mut inner = shared.lock();
                        let status = inner.answers.pop_front().unwrap_or(200);
                        let body = String::from_utf8_lossy(&body).into_owned();
                        inner.received.push(Received { headers, body, status });
                        let location = inner.location.clone().filter(|_| (300..400).contains(&status));
                        (status, location.map(|l| format!("location: {l}\r\n")).unwrap_or_default())
                    };
                    let answer =
                        format!("HTTP/1.1 {status} X\r\n{location}content-length: 0\r\nconnection: close\r\n\r\n");
                    let _ = stream.write_all(answer.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        Self { url, inner, task }
    }

    /// The next requests get these statuses, in order; later ones 200.
    pub fn answer_next(&self, statuses: &[u16]) {
        self.inner.lock().answers.extend(statuses);
    }

    /// Every 3xx it answers points at `url`.
    pub fn redirect_to(&self, url: &str) {
        self.inner.lock().location = Some(url.to_owned());
    }

    /// Forgets the statuses still queued: every later request gets 200.
    pub fn clear_answers(&self) {
        self.inner.lock().answers.clear();
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().received.clone()
    }

    /// The requests it answered 2xx (the events the product took).
    pub fn taken(&self) -> Vec<Received> {
        self.received().into_iter().filter(|r| (200..300).contains(&r.status)).collect()
    }

    /// Waits (up to `within`) until `done` holds for what was received; returns it.
    pub async fn until(&self, within: Duration, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let now = self.received();
            if done(&now) || Instant::now() > deadline {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Standard Webhooks verification, written from the specification and independent of
/// zoomsync's signer: true when one of the header's `v1,` signatures is the HMAC-SHA256 of
/// `id.timestamp.body` under the secret's base64-decoded key.
pub fn verify(secret: &str, received: &Received) -> bool {
    let engine = base64::engine::general_purpose::STANDARD;
    let Some(key) = secret.strip_prefix("whsec_").and_then(|k| engine.decode(k).ok()) else { return false };
    let signed =
        format!("{}.{}.{}", received.header("webhook-id"), received.header("webhook-timestamp"), received.body);
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(signed.as_bytes());
    let expected = engine.encode(mac.finalize().into_bytes());
    received.header("webhook-signature").split(' ').any(|s| s.strip_prefix("v1,") == Some(expected.as_str()))
}
