-- Portable DDL (see migrations/README.md): TEXT ids, UTC TIMESTAMP, BIGINT, BYTEA ciphertext.
-- Every encrypted column holds crypto::Cipher output: version | key id | nonce | ciphertext+tag.

CREATE TABLE oauth_apps (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('user_level', 'account_level', 'server_to_server')),
    client_id TEXT NOT NULL UNIQUE,
    client_secret BYTEA NOT NULL,
    webhook_secret BYTEA NOT NULL,
    -- The secret replaced by the last rotation, accepted on webhooks until it expires.
    previous_webhook_secret BYTEA,
    previous_webhook_secret_expires_at TIMESTAMP,
    account_id TEXT,
    webhook_last_validation TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE credentials (
    id TEXT PRIMARY KEY NOT NULL,
    app_id TEXT NOT NULL REFERENCES oauth_apps (id),
    -- Who the credential stands for: the Zoom user id for user-level apps, the account id for
    -- account-level and server-to-server apps. Reconnecting the same subject updates the row.
    subject TEXT NOT NULL,
    zoom_user_id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    email TEXT,
    scopes TEXT NOT NULL,
    refresh_token BYTEA,
    access_token BYTEA,
    access_token_expires_at TIMESTAMP,
    status TEXT NOT NULL CHECK (status IN ('healthy', 'unhealthy')),
    status_detail TEXT,
    meeting_sync_status TEXT NOT NULL
        CHECK (meeting_sync_status IN ('not_started', 'in_progress', 'completed', 'failed')),
    last_synced_at TIMESTAMP,
    last_refreshed_at TIMESTAMP,
    pmi BIGINT,
    vanity_name TEXT,
    -- Optimistic concurrency: every token write bumps it and is conditional on the old value.
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (app_id, subject)
);
CREATE INDEX credentials_zoom_user_id ON credentials (zoom_user_id);
CREATE INDEX credentials_account_id ON credentials (account_id);

CREATE TABLE meeting_mappings (
    meeting_id BIGINT NOT NULL,
    credential_id TEXT NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    host_user_id TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('webhook', 'sync', 'pmi', 'lookup')),
    synced_at TIMESTAMP NOT NULL,
    -- Zoom time (event_ts, milliseconds) of the newest event that wrote this row; an older
    -- event never overwrites it.
    event_ts BIGINT,
    PRIMARY KEY (meeting_id, credential_id)
);
CREATE INDEX meeting_mappings_credential_id ON meeting_mappings (credential_id);
CREATE INDEX meeting_mappings_host_user_id ON meeting_mappings (host_user_id);

CREATE TABLE webhook_events (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    app_id TEXT NOT NULL,
    -- event | event_ts | object id or uuid: Zoom sends no delivery id, and retries repeat these.
    dedupe_key TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    event_ts BIGINT NOT NULL,
    -- The fields the daemon acts on, normalised; never the raw body (it can carry passcodes).
    payload TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'ignored', 'failed')),
    outcome TEXT,
    received_at TIMESTAMP NOT NULL,
    applied_at TIMESTAMP
);
CREATE INDEX webhook_events_pending ON webhook_events (status, id);

CREATE TABLE credential_logs (
    id BIGSERIAL PRIMARY KEY NOT NULL,
    credential_id TEXT NOT NULL REFERENCES credentials (id) ON DELETE CASCADE,
    level TEXT NOT NULL CHECK (level IN ('info', 'warning', 'error')),
    message TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX credential_logs_credential_id ON credential_logs (credential_id, id);
