-- PRIMARY: lag is measured here, never on a replica (a logical replica writes its own,
-- unrelated WAL). A subscription's walsender has application_name = the subscription name.
-- replay_lag is NULL once replication is idle: that means caught up, not unknown.
SELECT application_name,
       pid,
       state,
       pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::int8 AS lag_bytes,
       (extract(epoch FROM replay_lag) * 1000)::float8 AS replay_lag_ms
  FROM pg_stat_replication
 ORDER BY application_name;
