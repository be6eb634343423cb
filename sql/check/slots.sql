-- PRIMARY: replication slots with the WAL each one holds back. Retention is measured from
-- restart_lsn (what the server must keep); how far the consumer has confirmed is measured from
-- confirmed_flush_lsn (restart_lsn advances lazily even on a healthy slot). safe_wal_size: WAL
-- that may still be written before the slot is lost (NULL when max_slot_wal_keep_size = -1).
SELECT slot_name AS name,
       slot_type AS type,
       plugin,
       database,
       active,
       active_pid,
       wal_status,
       pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::int8 AS retained_bytes,
       pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::int8 AS unconfirmed_bytes,
       safe_wal_size::int8 AS safe_wal_size
  FROM pg_replication_slots
 ORDER BY slot_name;
