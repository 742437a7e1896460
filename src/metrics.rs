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
use crate::webhooks::verify::Refusal;

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

/// A closed set of label values: the enum the code records with, and `ALL`, from which every
/// series is created at start (at zero), so a dashboard or an alert on a rate sees the series
/// before the first event.
macro_rules! label_set {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }
    };
}

label_set! {
    /// How a bot's token request ended (`zoomsync_tokens_total{outcome}`).
    pub enum TokenOutcome {
        Ok => "ok",
        Unauthorized => "unauthorized",
        BadRequest => "bad_request",
        NotFound => "not_found",
        Unavailable => "unavailable",
    }
}

label_set! {
    /// The token kinds bots ask for (`zoomsync_tokens_total{kind}`).
    pub enum TokenKindLabel {
        Join => "join",
        Obf => "obf",
        Zak => "zak",
    }
}

label_set! {
    /// How a refresh (or a server-to-server token request) ended.
    pub enum RefreshOutcome {
        Ok => "ok",
        /// `invalid_grant`: the user must reconnect.
        Refused => "refused",
        /// Zoom refused the app's client credentials.
        ClientRefused => "client_refused",
        Failed => "failed",
    }
}

label_set! {
    /// What one outbound event delivery attempt came to.
    pub enum DeliveryOutcome {
        Delivered => "delivered",
        /// Not taken; another attempt is scheduled.
        Retry => "retry",
        /// Not taken, and the retries are used up.
        GivenUp => "given_up",
    }
}

label_set! {
    /// What became of a verified webhook event.
    pub enum WebhookOutcome {
        /// URL validation answered.
        Answered => "answered",
        Applied => "applied",
        Ignored => "ignored",
        Duplicate => "duplicate",
        /// Not recorded (the database is unavailable): Zoom retries.
        Unavailable => "unavailable",
    }
}

label_set! {
    /// Why a webhook delivery was refused.
    pub enum WebhookRefusal {
        UnknownApp => "unknown_app",
        Body => "body",
        Headers => "headers",
        Timestamp => "timestamp",
        Signature => "signature",
        Malformed => "malformed",
    }
}

impl From<Refusal> for WebhookRefusal {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::MissingHeaders => Self::Headers,
            Refusal::TimestampNotANumber | Refusal::TimestampAhead | Refusal::TimestampTooOld => Self::Timestamp,
            Refusal::BadSignature => Self::Signature,
        }
    }
}

label_set! {
    pub enum SyncOutcome {
        Completed => "completed",
        Failed => "failed",
    }
}

label_set! {
    /// The Zoom endpoints zoomsync calls (`zoomsync_zoom_calls_total{endpoint}`).
    pub enum ZoomEndpoint {
        OauthToken => "oauth_token",
        OauthRevoke => "oauth_revoke",
        GetUser => "get_user",
        ListUsers => "list_users",
        ListMeetings => "list_meetings",
        ListWebinars => "list_webinars",
        GetMeeting => "get_meeting",
        GetWebinar => "get_webinar",
        JoinToken => "join_token",
        WebinarJoinToken => "webinar_join_token",
        ObfToken => "obf_token",
        Zak => "zak",
    }
}

/// What a backfill counts (`zoomsync_sync_meetings_total{outcome}`).
const SYNC_FIGURES: [&str; 3] = ["seen", "added", "removed"];

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
    pub refreshes_in_flight: Gauge,
    outbound_attempts: Family<OutcomeLabel, Counter>,
    pub outbound_pending: Gauge,
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
        let refreshes_in_flight = Gauge::default();
        registry.register(
            "token_refreshes_in_flight",
            "Refreshes between asking Zoom and storing its answer (what a kill -9 now would lose)",
            refreshes_in_flight.clone(),
        );
        let daily_limited = Gauge::default();
        registry.register(
            "zoom_daily_limited",
            "Zoom accounts and rate categories that reached Zoom's daily limit, paused until it lifts",
            daily_limited.clone(),
        );
        let outbound_attempts = Family::default();
        registry.register(
            "outbound_event_attempts",
            "Outbound event delivery attempts, by outcome",
            outbound_attempts.clone(),
        );
        let outbound_pending = Gauge::default();
        registry.register(
            "outbound_events_pending",
            "Outbound event deliveries not yet delivered or given up",
            outbound_pending.clone(),
        );
        let metrics = Self {
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
            refreshes_in_flight,
            outbound_attempts,
            outbound_pending,
        };
        metrics.create_every_series();
        metrics
    }
}

impl Metrics {
    /// Every series of a closed label set, at zero. Zoom's answer statuses are Zoom's to choose:
    /// `zoomsync_zoom_calls_total` starts with each endpoint's `status="200"` and `"error"`
    /// (no answer), and gains a series for any other status on its first occurrence.
    fn create_every_series(&self) {
        // `get_or_create` creates the series; the guard it returns is not needed.
        for kind in TokenKindLabel::ALL {
            for outcome in TokenOutcome::ALL {
                drop(self.tokens.get_or_create(&token_labels(*kind, *outcome)));
            }
            drop(self.token_seconds.get_or_create(&KindLabel { kind: kind.as_str().into() }));
        }
        for endpoint in ZoomEndpoint::ALL {
            for status in [Some(200), None] {
                drop(self.zoom_calls.get_or_create(&zoom_call_labels(*endpoint, status)));
            }
            drop(self.zoom_seconds.get_or_create(&EndpointLabel { endpoint: endpoint.as_str().into() }));
        }
        for outcome in RefreshOutcome::ALL {
            drop(self.refreshes.get_or_create(&outcome_label(outcome.as_str())));
        }
        for event in EventName::ALL.iter().map(|e| e.as_str()).chain(["other"]) {
            for outcome in WebhookOutcome::ALL {
                drop(
                    self.webhook_events
                        .get_or_create(&EventLabels { event: event.into(), outcome: outcome.as_str().into() }),
                );
            }
        }
        for reason in WebhookRefusal::ALL {
            drop(self.webhook_refusals.get_or_create(&outcome_label(reason.as_str())));
        }
        for outcome in SyncOutcome::ALL {
            drop(self.sync_runs.get_or_create(&outcome_label(outcome.as_str())));
        }
        for figure in SYNC_FIGURES {
            drop(self.sync_meetings.get_or_create(&outcome_label(figure)));
        }
        for outcome in DeliveryOutcome::ALL {
            drop(self.outbound_attempts.get_or_create(&outcome_label(outcome.as_str())));
        }
    }

    pub fn outbound_attempt(&self, outcome: DeliveryOutcome) {
        self.outbound_attempts.get_or_create(&outcome_label(outcome.as_str())).inc();
    }

    pub fn token(&self, kind: TokenKindLabel, outcome: TokenOutcome, seconds: f64) {
        self.tokens.get_or_create(&token_labels(kind, outcome)).inc();
        self.token_seconds.get_or_create(&KindLabel { kind: kind.as_str().into() }).observe(seconds);
    }

    /// `status` is the HTTP status Zoom answered, or `None` when it did not answer.
    pub fn zoom_call(&self, endpoint: ZoomEndpoint, status: Option<u16>, seconds: f64) {
        self.zoom_calls.get_or_create(&zoom_call_labels(endpoint, status)).inc();
        self.zoom_seconds.get_or_create(&EndpointLabel { endpoint: endpoint.as_str().into() }).observe(seconds);
    }

    pub fn refresh(&self, outcome: RefreshOutcome) {
        self.refreshes.get_or_create(&outcome_label(outcome.as_str())).inc();
    }

    /// Any name but the events zoomsync knows is counted as `other`, so a sender cannot grow the
    /// label set.
    pub fn webhook_event(&self, event: &str, outcome: WebhookOutcome) {
        let event = EventName::named(event).map_or("other", EventName::as_str);
        self.webhook_events.get_or_create(&EventLabels { event: event.into(), outcome: outcome.as_str().into() }).inc();
    }

    pub fn webhook_refusal(&self, reason: WebhookRefusal) {
        self.webhook_refusals.get_or_create(&outcome_label(reason.as_str())).inc();
    }

    pub fn sync_run(&self, outcome: SyncOutcome, seconds: f64, seen: i64, added: i64, removed: i64) {
        self.sync_runs.get_or_create(&outcome_label(outcome.as_str())).inc();
        self.sync_seconds.observe(seconds);
        for (what, n) in SYNC_FIGURES.into_iter().zip([seen, added, removed]) {
            self.sync_meetings.get_or_create(&outcome_label(what)).inc_by(n.max(0) as u64);
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

fn token_labels(kind: TokenKindLabel, outcome: TokenOutcome) -> TokenLabels {
    TokenLabels { kind: kind.as_str().into(), outcome: outcome.as_str().into() }
}

fn zoom_call_labels(endpoint: ZoomEndpoint, status: Option<u16>) -> ZoomCallLabels {
    let status = status.map_or_else(|| "error".to_owned(), |s| s.to_string());
    ZoomCallLabels { endpoint: endpoint.as_str().into(), status }
}

fn outcome_label(outcome: &str) -> OutcomeLabel {
    OutcomeLabel { outcome: outcome.into() }
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
        metrics.webhook_event("meeting.created", WebhookOutcome::Applied);
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
    fn every_series_of_a_closed_set_is_there_from_the_start() {
        let text = Metrics::default().encode_classic();
        for series in [
            r#"zoomsync_tokens_total{kind="zak",outcome="unavailable"} 0"#,
            r#"zoomsync_token_refreshes_total{outcome="refused"} 0"#,
            r#"zoomsync_sync_runs_total{outcome="failed"} 0"#,
            r#"zoomsync_webhook_refusals_total{outcome="signature"} 0"#,
            r#"zoomsync_webhook_events_total{event="meeting.deleted",outcome="duplicate"} 0"#,
            r#"zoomsync_zoom_calls_total{endpoint="oauth_token",status="error"} 0"#,
            r#"zoomsync_token_request_seconds_count{kind="obf"} 0"#,
        ] {
            assert!(text.contains(series), "{series} missing from\n{text}");
        }
    }

    #[test]
    fn unknown_event_names_do_not_become_labels() {
        let metrics = Metrics::default();
        metrics.webhook_event("meeting.created", WebhookOutcome::Applied);
        metrics.webhook_event("attacker.chosen.name", WebhookOutcome::Ignored);
        let text = metrics.encode();
        assert!(
            text.contains(r#"zoomsync_webhook_events_total{event="meeting.created",outcome="applied"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"zoomsync_webhook_events_total{event="other",outcome="ignored"} 1"#), "{text}");
        assert!(!text.contains("attacker"));
    }
}
