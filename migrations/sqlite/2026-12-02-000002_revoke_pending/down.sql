DROP INDEX credentials_delete_requested_at;
ALTER TABLE credentials DROP COLUMN delete_requested_at;
