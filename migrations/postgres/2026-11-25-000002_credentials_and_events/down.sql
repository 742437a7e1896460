DROP TABLE meeting_tombstones;
DROP TABLE zoom_users;
DROP TABLE oauth_states;
ALTER TABLE credentials DROP COLUMN refresh_lease_until;
ALTER TABLE credentials DROP COLUMN refresh_lease_owner;
