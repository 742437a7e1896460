DROP TABLE resolution_changes;
