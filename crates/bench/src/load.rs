//! Two ways of sending requests: a closed loop (N workers, each sending its next request as
//! soon as the last one is answered, for a fixed time) and scheduled arrivals (each request at
//! its own instant, whatever the others are doing: bots that all show up at once).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::stats::Samples;

/// How a GET request is made: its URL for the n-th item, and an optional bearer token.
#[derive(Clone)]
pub struct Get {
    pub urls: Arc<Vec<String>>,
    pub bearer: Option<String>,
}

impl Get {
    async fn send(&self, client: &reqwest::Client, index: usize) -> Result<(u16, String)> {
        let url = &self.urls[index % self.urls.len()];
        let mut request = client.get(url);
        if let Some(token) = &self.bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.text().await?))
    }
}

/// `concurrency` workers request `get`'s URLs in turn for `duration`; success is a 200.
pub async fn closed_loop(client: &reqwest::Client, get: &Get, concurrency: usize, duration: Duration) -> Samples {
    let next = Arc::new(AtomicUsize::new(rand::random::<u32>() as usize));
    let started = Instant::now();
    let deadline = started + duration;
    let workers = (0..concurrency).map(|_| {
        let (client, get, next) = (client.clone(), get.clone(), Arc::clone(&next));
        tokio::spawn(async move {
            let mut samples = Samples::default();
            while Instant::now() < deadline {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let sent = Instant::now();
                match get.send(&client, index).await {
                    Ok((200, _)) => {
                        samples.latencies.push(sent.elapsed());
                        samples.ok_in_window += u64::from(Instant::now() <= deadline);
                    }
                    Ok((status, _)) => samples.fail(status.to_string()),
                    Err(e) => samples.fail(transport_failure(&e).into()),
                }
            }
            samples
        })
    });
    let mut all = Samples::default();
    // A worker cannot panic short of a bug; one that did simply contributes nothing.
    for samples in futures_util::future::join_all(workers).await.into_iter().flatten() {
        all.merge(samples);
    }
    all.elapsed = started.elapsed();
    all.window = duration;
    all
}

/// What kind of transport failure `error` was, in a word for the tables.
pub fn transport_failure(error: &anyhow::Error) -> &'static str {
    match error.downcast_ref::<reqwest::Error>() {
        Some(e) if e.is_timeout() => "timeout",
        Some(e) if e.is_connect() => "connect",
        Some(e) if e.is_body() || e.is_decode() => "body",
        Some(e) if e.is_request() => "reset",
        _ => "error",
    }
}

/// What happened to one scheduled request.
#[derive(Clone, Debug)]
pub struct Arrival {
    pub status: Option<u16>,
    pub body: String,
    /// From the start of the schedule to the answer.
    pub answered_after: Duration,
    /// From sending to the answer.
    pub latency: Duration,
}

/// Sends request `i` of `count` at `spread * i / count` after the start, each on its own task.
pub async fn arrivals(client: &reqwest::Client, get: &Get, count: usize, spread: Duration) -> Vec<Arrival> {
    let start = Instant::now() + Duration::from_millis(20);
    let tasks = (0..count).map(|i| {
        let (client, get) = (client.clone(), get.clone());
        let at = start + spread.mul_f64(i as f64 / count.max(1) as f64);
        tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let sent = Instant::now();
            let (status, body) = match get.send(&client, i).await {
                Ok((status, body)) => (Some(status), body),
                Err(e) => (None, e.to_string()),
            };
            Arrival { status, body, answered_after: start.elapsed(), latency: sent.elapsed() }
        })
    });
    futures_util::future::join_all(tasks).await.into_iter().filter_map(Result::ok).collect()
}
