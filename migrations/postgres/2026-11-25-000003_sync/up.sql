-- Backfill leases: whoever holds a live lease syncs the credential; `sync_tick` is the schedule
-- tick it was last claimed for, so replicas firing on the same tick sync it once.
ALTER TABLE credentials ADD COLUMN sync_lease_owner TEXT;
ALTER TABLE credentials ADD COLUMN sync_lease_until TIMESTAMP;
ALTER TABLE credentials ADD COLUMN sync_tick TIMESTAMP;

-- One row per backfill run, for the credential's history and the console.
CREATE TABLE sync_runs (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    credential_id TEXT NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    -- The schedule tick it ran for; NULL for a run asked for by hand or by a new connection.
    tick TIMESTAMP,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'completed', 'failed')),
    pages BIGINT NOT NULL,
    users_seen BIGINT NOT NULL,
    meetings_seen BIGINT NOT NULL,
    added BIGINT NOT NULL,
    removed BIGINT NOT NULL,
    error TEXT
);
CREATE INDEX sync_runs_credential_id ON sync_runs (credential_id, id);
