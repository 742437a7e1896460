ALTER TABLE oauth_apps DROP COLUMN cloud;
ALTER TABLE meeting_mappings DROP COLUMN kind;
