-- A name the admin gives an app ("Recording bots, EU"), shown in the console and the API instead
-- of its client id. Nullable, with no default to fill in: expand-only, so a replica still on the
-- previous release (which neither reads nor writes it) keeps working on the migrated database.
ALTER TABLE oauth_apps ADD COLUMN name TEXT;
