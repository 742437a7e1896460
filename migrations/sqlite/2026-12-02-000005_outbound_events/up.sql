-- Outbound events (extension): endpoints a product registers, the events zoomsync emits, and
-- the outbox of their deliveries. An event and its deliveries are written in the transaction
-- that made the change they report, so none is lost once that change committed; a delivery
-- worker in every replica claims due deliveries with a lease. New tables only (expand-only):
-- a replica on the previous release neither reads nor writes them.
CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY NOT NULL,
    url TEXT NOT NULL,
    description TEXT,
    -- Space-separated event types, or '*' for every type.
    event_types TEXT NOT NULL,
    -- The whsec_ signing secret, sealed (AES-256-GCM) like the apps' secrets.
    secret BLOB NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE outbound_events (
    -- The webhook-id header: the same for every attempt and every resend.
    id TEXT PRIMARY KEY NOT NULL,
    event_type TEXT NOT NULL,
    -- Deliveries of one key reach an endpoint in the order they were made (a credential's id,
    -- an app's, an account's).
    order_key TEXT NOT NULL,
    -- Set for events that several replicas may notice at once (a daily limit): one row wins.
    dedupe_key TEXT UNIQUE,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbound_events_created_at ON outbound_events (created_at);

CREATE TABLE webhook_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    event_id TEXT NOT NULL REFERENCES outbound_events (id) ON DELETE CASCADE,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    order_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_status_code INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
-- The worker's question: what is due.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
-- Its second: is an older delivery of the same key still pending for that endpoint.
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, order_key, status, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at TIMESTAMP NOT NULL,
    -- The receiver's HTTP status; NULL when no answer came (refused, timed out, reset).
    status_code INTEGER,
    error TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, id);
