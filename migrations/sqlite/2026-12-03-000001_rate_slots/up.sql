-- One rate budget per Zoom account and category across every replica (PostgreSQL). `slots`
-- holds the start times of the account's last calls in that category, in microseconds of the
-- database's clock, comma-separated and ascending: a replica books its next turns under this
-- row's lock, so no one-second window of all replicas' calls together holds more than the
-- plan's limit. A new table only (expand-only): a replica still on the previous release keeps
-- its even share and neither reads nor writes it. SQLite (one process) does not use it.
CREATE TABLE rate_slots (
    account_id TEXT NOT NULL,
    category TEXT NOT NULL,
    slots TEXT NOT NULL,
    PRIMARY KEY (account_id, category)
);
