-- The partition drill's cleanup, on the PRIMARY: back to the listen_addresses and
-- wal_sender_timeout of the node's configuration files (ALTER SYSTEM's values overrode them).
-- Takes effect after the restart the cleanup does next.
ALTER SYSTEM RESET listen_addresses;
ALTER SYSTEM RESET wal_sender_timeout;
