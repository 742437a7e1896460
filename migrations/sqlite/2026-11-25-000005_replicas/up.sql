-- The daemon processes alive on this database, each refreshing its row every few seconds, so
-- that each keeps its share of Zoom's per-account rate limits (src/replicas.rs).
CREATE TABLE replicas (
    id TEXT PRIMARY KEY NOT NULL,
    started_at TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL
);
