-- REPLICA: each subscription of this database (pg_subscription is shared by all databases).
-- pg_stat_subscription has no status column: "running" means an apply worker row with a pid
-- (relid IS NULL; table-sync workers have a relid). Errors are cumulative counts in
-- pg_stat_subscription_stats; per-table state is pg_subscription_rel.srsubstate
-- (i = initialize, d = copying, f = finished copy, s = synchronized, r = ready). applied_lsn:
-- the PRIMARY's commit position applied last (the replication origin), to tell a logged failure
-- the worker has since got past from one that still blocks it.
SELECT s.oid::int8 AS id,
       s.subname AS name,
       s.subenabled AS enabled,
       s.subslotname AS slot_name,
       s.subpublications AS publications,
       s.subskiplsn::text AS skip_lsn,
       w.pid AS worker_pid,
       w.received_lsn::text AS received_lsn,
       w.last_msg_send_time AS last_msg_send_time,
       w.last_msg_receipt_time AS last_msg_receipt_time,
       w.latest_end_time AS latest_end_time,
       (SELECT remote_lsn::text FROM pg_replication_origin_status o WHERE o.external_id = 'pg_' || s.oid) AS applied_lsn,
       coalesce(st.apply_error_count, 0)::int8 AS apply_error_count,
       coalesce(st.sync_error_count, 0)::int8 AS sync_error_count,
       st.stats_reset AS stats_reset,
       coalesce((SELECT json_object_agg(c.relname, r.srsubstate::text ORDER BY c.relname)
                   FROM pg_subscription_rel r JOIN pg_class c ON c.oid = r.srrelid
                  WHERE r.srsubid = s.oid), '{}') AS table_states
  FROM pg_subscription s
  LEFT JOIN pg_stat_subscription w ON w.subid = s.oid AND w.relid IS NULL
  LEFT JOIN pg_stat_subscription_stats st ON st.subid = s.oid
 WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
 ORDER BY s.subname;
