-- Housekeeping deletes old rows by age; these keep that from scanning whole tables.
CREATE INDEX credential_logs_created_at ON credential_logs (created_at);
CREATE INDEX webhook_events_received_at ON webhook_events (received_at);
CREATE INDEX sync_runs_started_at ON sync_runs (started_at);
CREATE INDEX meeting_tombstones_deleted_at ON meeting_tombstones (deleted_at);
