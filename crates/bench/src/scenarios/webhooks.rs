//! Figure 4: webhook ingest. `senders` concurrent senders post `events` distinct, signed
//! `meeting.created` deliveries (forged as Zoom sends them) for a connected host: events
//! acknowledged per second, acknowledgement latency, and the time until every event is applied
//! (its mapping readable in the database).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use serde_json::json;
use zoom_sim::control::types::{AppKind, Role};

use super::Context;
use crate::options::WebhookSizes;
use crate::processes::thread_cpu_time;
use crate::setup::{Cpu, WorldConfig};
use crate::stats::{Samples, Summary};

#[derive(Clone, Debug)]
pub struct WebhookResult {
    pub senders: usize,
    pub acked: Summary,
    /// From the first send to the last acknowledgement.
    pub time_to_last_ack: Duration,
    /// From the first send until every event's mapping was in the database.
    pub time_to_applied: Duration,
    pub applied: u64,
    /// CPU used by each process while the events were sent.
    pub cpu: Cpu,
    /// CPU used meanwhile by the daemon's one webhook writer thread.
    pub writer_cpu: Duration,
}

/// The daemon's group-commit writer (src/webhooks/ingest.rs names its thread so).
const WRITER_THREAD: &str = "webhook-writer";

/// A delivery ready to send: body, timestamp header, signature header.
struct Signed {
    body: String,
    timestamp: String,
    signature: String,
}

pub async fn run(ctx: &Context<'_>, sizes: &WebhookSizes) -> Result<WebhookResult> {
    let world = ctx.world("webhooks", WorldConfig::UNLIMITED).await?;
    let account = world.account().await?;
    let host = world.user(&account, Role::Member).await?;
    let app = world.app(AppKind::UserLevel).await?;
    world.connect(&app, &host).await?;
    world.wait_for_backfills(&app, 1, Duration::from_secs(60)).await?;
    let before = world.db.count("meeting_mappings WHERE source = 'webhook'")?;

    // Signed up front, so that the senders spend their time sending.
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let event_ts = chrono::Utc::now().timestamp_millis();
    let deliveries: Arc<Vec<Signed>> = Arc::new(
        (0..sizes.events)
            .map(|i| {
                let meeting_id = 91_000_000_000u64 + i as u64;
                let body = created(meeting_id, &host, &account, event_ts);
                let signature = zoom_sim::signature::sign_webhook(&app.webhook_secret, &timestamp, body.as_bytes());
                Signed { body, timestamp: timestamp.clone(), signature }
            })
            .collect(),
    );
    let url = Arc::new(world.daemon_url(&format!("/api/v2/zoom-oauth-apps/{}/webhook", app.id)));
    let next = Arc::new(AtomicUsize::new(0));
    let cpu_before = world.cpu()?;
    let writer_before = thread_cpu_time(world.daemon.pid(), WRITER_THREAD)?;
    let started = Instant::now();
    let senders = (0..sizes.senders).map(|_| {
        let (client, url, next, deliveries) =
            (world.http.clone(), Arc::clone(&url), Arc::clone(&next), Arc::clone(&deliveries));
        tokio::spawn(async move {
            let mut samples = Samples::default();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(delivery) = deliveries.get(i) else { return samples };
                let sent = Instant::now();
                let answer = client
                    .post(url.as_str())
                    .header("content-type", "application/json; charset=utf-8")
                    .header("x-zm-request-timestamp", &delivery.timestamp)
                    .header("x-zm-signature", &delivery.signature)
                    .body(delivery.body.clone())
                    .send()
                    .await;
                let applied = match answer {
                    Ok(response) if response.status() == 200 => {
                        response.text().await.is_ok_and(|t| t.contains("\"applied\""))
                    }
                    _ => false,
                };
                if applied {
                    samples.latencies.push(sent.elapsed());
                } else {
                    samples.failed += 1;
                }
            }
        })
    });
    let mut all = Samples::default();
    for sender in futures_util::future::join_all(senders).await {
        let samples = sender?;
        all.latencies.extend(samples.latencies);
        all.failed += samples.failed;
    }
    let time_to_last_ack = started.elapsed();
    all.elapsed = time_to_last_ack;
    let cpu = world.cpu()?.since(cpu_before);
    let writer_cpu = thread_cpu_time(world.daemon.pid(), WRITER_THREAD)?.saturating_sub(writer_before);

    // Applied inside the acknowledging transaction: the first count should see every event, in
    // which case they were all applied by the last acknowledgement.
    let expected = before + all.ok();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut first_look = true;
    let (applied, time_to_applied) = loop {
        let now = world.db.count("meeting_mappings WHERE source = 'webhook'")?;
        if now >= expected {
            break (now - before, if first_look { time_to_last_ack } else { started.elapsed() });
        }
        if Instant::now() > deadline {
            bail!("only {} of {} acknowledged events were applied after 60 s", now - before, all.ok());
        }
        first_look = false;
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    Ok(WebhookResult {
        senders: sizes.senders,
        acked: all.summary(),
        time_to_last_ack,
        time_to_applied,
        applied,
        cpu,
        writer_cpu,
    })
}

/// A `meeting.created` delivery as Zoom sends it (docs/zoom.md §1.5).
fn created(meeting_id: u64, host: &str, account: &str, event_ts: i64) -> String {
    json!({"event": "meeting.created", "event_ts": event_ts, "payload": {"account_id": account, "operator": "bench@example.com",
        "operator_id": host, "object": {"uuid": format!("bench{meeting_id}=="), "id": meeting_id, "host_id": host,
        "topic": "bench", "type": 2, "duration": 30, "join_url": format!("https://zoom.us/j/{meeting_id}?pwd=benchpwd"),
        "password": "123456", "settings": {"use_pmi": false, "alternative_hosts": ""}}}})
    .to_string()
}
