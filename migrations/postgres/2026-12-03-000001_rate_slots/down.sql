DROP TABLE rate_slots;
