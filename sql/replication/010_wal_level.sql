-- Runbook 3.1, corrected: ALTER SYSTEM only writes postgresql.auto.conf. wal_level,
-- max_wal_senders and max_replication_slots take effect after a RESTART, not a reload
-- (pg_reload_conf() would merely set pg_settings.pending_restart). replkit restarts the local
-- cluster itself and tells the operator the command for any other server.
-- Variables: :max_wal_senders, :max_replication_slots (never lower than the current values).
ALTER SYSTEM SET wal_level = 'logical';
ALTER SYSTEM SET max_wal_senders = :max_wal_senders;
ALTER SYSTEM SET max_replication_slots = :max_replication_slots;
-- The reload does not apply the settings above; it makes pg_settings.pending_restart say that a
-- restart is due, so make check reports it until someone restarts the server.
SELECT pg_reload_conf();
