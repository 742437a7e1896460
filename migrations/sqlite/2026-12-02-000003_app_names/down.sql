ALTER TABLE oauth_apps DROP COLUMN name;
