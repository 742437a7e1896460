-- What real Zoom needs remembered (docs/zoom.md §7):
-- when a credential was last (re)connected, so a late or repeated app_deauthorized from before
-- it cannot delete the fresh grant;
ALTER TABLE credentials ADD COLUMN connected_at TIMESTAMP;
UPDATE credentials SET connected_at = created_at;
-- when Zoom last refused an app's client secret (invalid_client), which is the app's fault, not
-- its users': shown on the app, and cleared when the secret is replaced or a refresh works.
ALTER TABLE oauth_apps ADD COLUMN client_secret_refused_at TIMESTAMP;
