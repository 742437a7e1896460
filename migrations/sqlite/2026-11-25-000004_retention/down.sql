DROP INDEX meeting_tombstones_deleted_at;
DROP INDEX sync_runs_started_at;
DROP INDEX webhook_events_received_at;
DROP INDEX credential_logs_created_at;
