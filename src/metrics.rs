//! Prometheus metrics (`GET /metrics`), with `prometheus-client`. Labels are closed sets chosen
//! by our code (token kinds, outcomes, endpoint names, event names): never a secret, a token, a
//! meeting id or a URL.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::webhooks::event::EventName;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TokenLabels {
    pub kind: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabel {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ZoomCallLabels {
    pub endpoint: String,
    pub status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabel {
    pub endpoint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabel {
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EventLabels {
    pub event: String,
    pub outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StatusLabel {
    pub status: String,
}

/// `zoomsync --version`: the crate's version and the source revision it was built from.
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("ZOOMSYNC_REVISION"), ")");

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct BuildLabels {
    pub version: String,
    pub revision: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Request latencies: 0.1 ms to ~13 s.
fn latency() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.5, 14))
}

/// Backfill durations: 10 ms to ~2.8 h.
fn long() -> Histogram {
    Histogram::new(exponential_buckets(0.01, 3.5, 12))
}

pub struct Metrics {
    registry: Registry,
    tokens: Family<TokenLabels, Counter>,
    token_seconds: Histograms<KindLabel>,
    zoom_calls: Family<ZoomCallLabels, Counter>,
    zoom_seconds: Histograms<EndpointLabel>,
    refreshes: Family<OutcomeLabel, Counter>,
    webhook_events: Family<EventLabels, Counter>,
    webhook_refusals: Family<OutcomeLabel, Counter>,
    sync_runs: Family<OutcomeLabel, Counter>,
    sync_seconds: Histogram,
    sync_meetings: Family<OutcomeLabel, Counter>,
    pub mappings: Gauge,
    pub credentials: Family<StatusLabel, Gauge>,
    pub replicas: Gauge,
    pub daily_limited: Gauge,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("zoomsync");
        let tokens = Family::default();
        registry.register("tokens", "Token requests from bots, by token kind and outcome", tokens.clone());
        let token_seconds: Histograms<KindLabel> = Family::new_with_constructor(latency);
        registry.register("token_request_seconds", "Time to answer a bot's token request", token_seconds.clone());
        let zoom_calls = Family::default();
        registry.register(
            "zoom_calls",
            "Calls to Zoom, by endpoint and HTTP status (error: no answer)",
            zoom_calls.clone(),
        );
        let zoom_seconds: Histograms<EndpointLabel> = Family::new_with_constructor(latency);
        registry.register("zoom_call_seconds", "Duration of calls to Zoom", zoom_seconds.clone());
        let refreshes = Family::default();
        registry.register("token_refreshes", "Access-token refreshes, by outcome", refreshes.clone());
        let webhook_events = Family::default();
        registry.register("webhook_events", "Webhook events received, by event and outcome", webhook_events.clone());
        let webhook_refusals = Family::default();
        registry.register("webhook_refusals", "Webhook deliveries refused, by reason", webhook_refusals.clone());
        let sync_runs = Family::default();
        registry.register("sync_runs", "Backfill runs, by outcome", sync_runs.clone());
        let sync_seconds = long();
        registry.register("sync_run_seconds", "Duration of backfill runs", sync_seconds.clone());
        let sync_meetings = Family::default();
        registry.register("sync_meetings", "Meetings backfills saw, added and removed", sync_meetings.clone());
        let mappings = Gauge::default();
        registry.register("mappings", "Meeting-to-credential mappings", mappings.clone());
        let credentials = Family::default();
        registry.register("credentials", "Credentials, by health", credentials.clone());
        let replicas = Gauge::default();
        registry.register("replicas", "Live replicas sharing Zoom's rate limits, this one included", replicas.clone());
        let build_info = Family::<BuildLabels, Gauge>::default();
        build_info
            .get_or_create(&BuildLabels {
                version: env!("CARGO_PKG_VERSION").to_owned(),
                revision: env!("ZOOMSYNC_REVISION").to_owned(),
            })
            .set(1);
        registry.register("build_info", "The running build: always 1, labelled with version and revision", build_info);
        let daily_limited = Gauge::default();
        registry.register(
            "zoom_daily_limited",
            "Zoom accounts and rate categories that reached Zoom's daily limit, paused until it lifts",
            daily_limited.clone(),
        );
        Self {
            registry,
            tokens,
            token_seconds,
            zoom_calls,
            zoom_seconds,
            refreshes,
            webhook_events,
            webhook_refusals,
            sync_runs,
            sync_seconds,
            sync_meetings,
            mappings,
            credentials,
            replicas,
            daily_limited,
        }
    }
}

impl Metrics {
    pub fn token(&self, kind: &str, outcome: &str, seconds: f64) {
        self.tokens.get_or_create(&TokenLabels { kind: kind.into(), outcome: outcome.into() }).inc();
        self.token_seconds.get_or_create(&KindLabel { kind: kind.into() }).observe(seconds);
    }

    /// `status` is the HTTP status Zoom answered, or `None` when it did not answer.
    pub fn zoom_call(&self, endpoint: &'static str, status: Option<u16>, seconds: f64) {
        let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
        self.zoom_calls.get_or_create(&ZoomCallLabels { endpoint: endpoint.into(), status }).inc();
        self.zoom_seconds.get_or_create(&EndpointLabel { endpoint: endpoint.into() }).observe(seconds);
    }

    pub fn refresh(&self, outcome: &str) {
        self.refreshes.get_or_create(&OutcomeLabel { outcome: outcome.into() }).inc();
    }

    /// Any name but the events zoomsync knows is counted as `other`, so a sender cannot grow the
    /// label set.
    pub fn webhook_event(&self, event: &str, outcome: &str) {
        let event = EventName::named(event).map_or("other", EventName::as_str);
        self.webhook_events.get_or_create(&EventLabels { event: event.into(), outcome: outcome.into() }).inc();
    }

    pub fn webhook_refusal(&self, reason: &str) {
        self.webhook_refusals.get_or_create(&OutcomeLabel { outcome: reason.into() }).inc();
    }

    pub fn sync_run(&self, outcome: &str, seconds: f64, seen: i64, added: i64, removed: i64) {
        self.sync_runs.get_or_create(&OutcomeLabel { outcome: outcome.into() }).inc();
        self.sync_seconds.observe(seconds);
        for (what, n) in [("seen", seen), ("added", added), ("removed", removed)] {
            self.sync_meetings.get_or_create(&OutcomeLabel { outcome: what.into() }).inc_by(n.max(0) as u64);
        }
    }

    /// Prometheus' classic text format (`text/plain; version=0.0.4`), what a scraper gets unless
    /// it asks for OpenMetrics: the same samples, with each counter's family named as its
    /// samples are (`x_total`), and no `# UNIT` or `# EOF` lines, which the classic parser does
    /// not know.
    pub fn encode_classic(&self) -> String {
        classic_text(&self.encode())
    }

    /// The OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::warn!(error = %e, "encoding metrics failed");
        }
        text
    }
}

fn classic_text(openmetrics: &str) -> String {
    let counters: std::collections::HashSet<&str> =
        openmetrics.lines().filter_map(|line| line.strip_prefix("# TYPE ")?.strip_suffix(" counter")).collect();
    let mut out = String::with_capacity(openmetrics.len());
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|prefix| {
            let rest = line.strip_prefix(prefix)?;
            let (name, tail) = rest.split_once(' ')?;
            counters.contains(name).then(|| format!("{prefix}{name}_total {tail}"))
        });
        out.push_str(renamed.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_classic_format_names_counter_families_as_their_samples() {
        let metrics = Metrics::default();
        metrics.webhook_event("meeting.created", "applied");
        metrics.replicas.set(2);
        let text = metrics.encode_classic();
        assert!(text.contains("# TYPE zoomsync_webhook_events_total counter\n"), "{text}");
        assert!(text.contains("# HELP zoomsync_webhook_events_total Webhook events received"), "{text}");
        assert!(text.contains(r#"zoomsync_webhook_events_total{event="meeting.created",outcome="applied"} 1"#));
        assert!(text.contains("# TYPE zoomsync_replicas gauge\nzoomsync_replicas 2\n"), "{text}");
        assert!(!text.contains("# EOF") && !text.contains("# UNIT"), "{text}");
        assert!(metrics.encode().ends_with("# EOF\n"));
    }

    #[test]
    fn unknown_event_names_do_not_become_labels() {
        let metrics = Metrics::default();
        metrics.webhook_event("meeting.created", "applied");
        metrics.webhook_event("attacker.chosen.name", "ignored");
        let text = metrics.encode();
        assert!(
            text.contains(r#"zoomsync_webhook_events_total{event="meeting.created",outcome="applied"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"event="other""#));
        assert!(!text.contains("attacker"));
    }
}
