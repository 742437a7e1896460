DROP INDEX console_signouts_expires_at;
DROP TABLE console_signouts;
