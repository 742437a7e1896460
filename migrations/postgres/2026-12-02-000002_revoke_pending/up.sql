-- An admin deleted the credential but Zoom has not confirmed revoking its grant yet: the row
-- stays (unhealthy, minting nothing) so the revoke can be retried until Zoom confirms it.
ALTER TABLE credentials ADD COLUMN delete_requested_at TIMESTAMP;
