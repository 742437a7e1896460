DROP TABLE credential_logs;
DROP TABLE webhook_events;
DROP TABLE meeting_mappings;
DROP TABLE credentials;
DROP TABLE oauth_apps;
