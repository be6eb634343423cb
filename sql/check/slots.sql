-- PRIMARY: replication slots with the WAL each one holds back. Retention is measured from
-- restart_lsn (what the server must keep); how far the consumer has confirmed is measured from
-- confirmed_flush_lsn (restart_lsn advances lazily even on a healthy slot). safe_wal_size: WAL
-- that may still be written before the slot is lost (NULL when max_slot_wal_keep_size = -1).
-- A line ending in "since N" reads a column PostgreSQL N added; older servers run without it
-- (sql-files.ts forMajor). 16: conflicting (invalidated by a recovery conflict); 17: why a slot
-- was invalidated, since when it has had no consumer, and whether it is a failover slot.
SELECT slot_name AS name,
       slot_type AS type,
       plugin,
       database,
       active,
       active_pid,
       wal_status,
       pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::int8 AS retained_bytes,
       pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::int8 AS unconfirmed_bytes,
       safe_wal_size::int8 AS safe_wal_size,
       conflicting,                          -- since 16
       invalidation_reason,                  -- since 17
       inactive_since,                       -- since 17
       failover,                             -- since 17
       temporary
  FROM pg_replication_slots
 ORDER BY slot_name;
