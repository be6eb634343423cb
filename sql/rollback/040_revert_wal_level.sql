-- Back to the configured wal_level (PostgreSQL's default, replica). Only safe once no logical
-- slot remains: with one left, the server refuses to start at wal_level below logical.
-- Takes effect after a restart, like setting it did.
ALTER SYSTEM RESET wal_level;
