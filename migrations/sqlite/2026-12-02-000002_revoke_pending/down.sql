ALTER TABLE credentials DROP COLUMN delete_requested_at;
