-- An admin deleted the credential but Zoom has not confirmed revoking its grant yet: the row
-- stays (unhealthy, minting nothing) so the revoke can be retried until Zoom confirms it.
ALTER TABLE credentials ADD COLUMN delete_requested_at TIMESTAMP;
-- The daemon looks for pending revokes every few seconds: an index, not a scan of every row.
CREATE INDEX credentials_delete_requested_at ON credentials (delete_requested_at);
