-- How many writes that may change what a meeting resolves to have committed (SQLite). Each
-- such write moves `changes` in its own transaction, and the daemon's change watch reads it
-- every 10 ms: a change made by another process (the CLI) then ends the daemon's remembered
-- resolutions at once. One row, always. PostgreSQL's writers announce themselves with
-- NOTIFY instead (a row every replica's writes updated would queue them all on its lock), so
-- there it stays at 0. A new table only (expand-only): a process still on the previous release
-- neither reads nor writes it.
CREATE TABLE resolution_changes (
    id BIGINT PRIMARY KEY NOT NULL CHECK (id = 1),
    changes BIGINT NOT NULL
);
INSERT INTO resolution_changes (id, changes) VALUES (1, 0);
