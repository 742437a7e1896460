ALTER TABLE oauth_apps DROP COLUMN client_secret_refused_at;
ALTER TABLE credentials DROP COLUMN connected_at;
