-- A refresh lease: the one process (of any replica) that holds it may refresh the credential's
-- tokens; the others wait and then read the tokens it stored. It expires, so a process that
-- dies mid-refresh does not block the credential forever.
ALTER TABLE credentials ADD COLUMN refresh_lease_owner TEXT;
ALTER TABLE credentials ADD COLUMN refresh_lease_until TIMESTAMP;

-- OAuth flows in progress: the `state` we sent to Zoom and the PKCE verifier to finish with.
-- Single-use (deleted when used) and short-lived.
CREATE TABLE oauth_states (
    state TEXT PRIMARY KEY NOT NULL,
    app_id TEXT NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
    code_verifier BYTEA NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- Zoom users we know of (from /users/me, the users list and webhooks): their PMI, to keep PMI
-- mappings current, and their vanity name, to resolve /my/<name> meeting URLs.
CREATE TABLE zoom_users (
    user_id TEXT PRIMARY KEY NOT NULL,
    account_id TEXT NOT NULL,
    email TEXT,
    pmi BIGINT,
    vanity_name TEXT,
    -- event_ts of the newest user.* webhook applied; older ones do not overwrite.
    event_ts BIGINT,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX zoom_users_account_id ON zoom_users (account_id);
CREATE INDEX zoom_users_vanity_name ON zoom_users (vanity_name);

-- Meetings a webhook deleted, so a late or retried meeting.created/updated cannot bring them
-- back, and a backfill that started before the delete does not re-add them.
CREATE TABLE meeting_tombstones (
    meeting_id BIGINT PRIMARY KEY NOT NULL,
    event_ts BIGINT NOT NULL,
    deleted_at TIMESTAMP NOT NULL
);
