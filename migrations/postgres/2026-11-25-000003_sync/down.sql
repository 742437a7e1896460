DROP TABLE sync_runs;
ALTER TABLE credentials DROP COLUMN sync_tick;
ALTER TABLE credentials DROP COLUMN sync_lease_until;
ALTER TABLE credentials DROP COLUMN sync_lease_owner;
