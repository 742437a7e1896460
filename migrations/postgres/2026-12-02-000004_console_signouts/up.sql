-- Console sessions an admin signed out of before they expired. The session cookie is signed and
-- carries its own expiry, so any replica accepts it without a lookup; logging out records its
-- nonce here, and every replica refuses a session whose nonce is listed. A row is needed only
-- until the session would have expired anyway: housekeeping deletes it then. A new table only
-- (expand-only): a replica still on the previous release neither reads nor writes it.
CREATE TABLE console_signouts (
    nonce TEXT PRIMARY KEY NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    signed_out_at TIMESTAMP NOT NULL
);
-- Housekeeping deletes expired rows by age: an index, not a scan of every row.
CREATE INDEX console_signouts_expires_at ON console_signouts (expires_at);
