-- REPLICA: each subscription of this database (pg_subscription is shared by all databases).
-- pg_stat_subscription has no status column: "running" means an apply worker row with a pid
-- (relid IS NULL; table-sync workers have a relid). Errors are cumulative counts in
-- pg_stat_subscription_stats; per-table state is pg_subscription_rel.srsubstate
-- (i = initialize, d = copying, f = finished copy, s = synchronized, r = ready). applied_lsn:
-- the PRIMARY's commit position applied last (the replication origin), to tell a logged failure
-- the worker has since got past from one that still blocks it. applying_ms: how long the
-- subscription's apply worker has held the transaction it is applying open (from xact_start: a
-- worker waiting on a lock before its first row has no xid yet); on 16+ a parallel apply worker
-- counts once its leader waits for it to finish (the PRIMARY committed; before that its open
-- transaction is one the PRIMARY has not committed). Its rows are invisible until it commits,
-- while the walsender's replay position (streamed changes are confirmed as they are spooled) can
-- already read as caught up. applying_blocked_by: the sessions holding a lock the worker waits for
-- (pid, application, state, seconds in that state's transaction), as JSON.
-- A line ending in "since N" reads a column PostgreSQL N added (sql-files.ts forMajor): the
-- options 16 and 17 added, and 18's conflict counts by type (pg_stat_subscription_stats).
SELECT s.oid::int8 AS id,
       s.subname AS name,
       s.subenabled AS enabled,
       s.subowner::regrole::text AS owner,
       s.subslotname AS slot_name,
       s.subpublications AS publications,
       s.subskiplsn::text AS skip_lsn,
       s.substream::text AS streaming,
       s.subbinary AS binary,
       s.suborigin AS origin,                                      -- since 16
       s.subfailover AS failover,                                  -- since 17
       w.pid AS worker_pid,
       w.received_lsn::text AS received_lsn,
       w.last_msg_send_time AS last_msg_send_time,
       w.last_msg_receipt_time AS last_msg_receipt_time,
       w.latest_end_time AS latest_end_time,
       (SELECT remote_lsn::text FROM pg_replication_origin_status o WHERE o.external_id = 'pg_' || s.oid) AS applied_lsn, -- needs pg_replication_origin_status
       (SELECT max(extract(epoch FROM now() - a.xact_start) * 1000)::float8
          FROM pg_stat_subscription aw JOIN pg_stat_activity a ON a.pid = aw.pid
         WHERE aw.subid = s.oid AND aw.relid IS NULL AND a.xact_start IS NOT NULL
           AND (aw.leader_pid IS NULL                                                  -- since 16
                OR EXISTS (SELECT FROM pg_stat_activity l WHERE l.pid = aw.leader_pid AND l.wait_event = 'applytransaction')) -- since 16
       ) AS applying_ms,
       (SELECT json_agg(json_build_object('pid', b.pid,
                                          'application', coalesce(nullif(b.application_name, ''), b.backend_type),
                                          'state', coalesce(b.state, '?'),
                                          'seconds', round(extract(epoch FROM now() - coalesce(b.xact_start, b.backend_start)))::int)
                        ORDER BY b.pid)
          FROM pg_stat_subscription aw JOIN pg_stat_activity a ON a.pid = aw.pid
          JOIN pg_stat_activity b ON b.pid = ANY (pg_blocking_pids(a.pid))
         WHERE aw.subid = s.oid AND aw.relid IS NULL) AS applying_blocked_by,
       coalesce(st.apply_error_count, 0)::int8 AS apply_error_count,
       coalesce(st.sync_error_count, 0)::int8 AS sync_error_count,
       st.stats_reset AS stats_reset,
       json_build_object('insert_exists', st.confl_insert_exists,                    -- since 18
                         'update_exists', st.confl_update_exists,                    -- since 18
                         'update_missing', st.confl_update_missing,                  -- since 18
                         'update_origin_differs', st.confl_update_origin_differs,    -- since 18
                         'delete_missing', st.confl_delete_missing,                  -- since 18
                         'delete_origin_differs', st.confl_delete_origin_differs,    -- since 18
                         'multiple_unique_conflicts', st.confl_multiple_unique_conflicts) AS conflicts, -- since 18
       -- [schema, table, state]: replkit names the table (facts.ts)
       coalesce((SELECT json_agg(json_build_array(n.nspname, c.relname, r.srsubstate::text) ORDER BY n.nspname, c.relname)
                   FROM pg_subscription_rel r JOIN pg_class c ON c.oid = r.srrelid
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE r.srsubid = s.oid), '[]') AS table_states
  FROM pg_subscription s
  -- the apply worker: not a table-sync worker (relid), not a parallel apply worker (leader_pid)
  LEFT JOIN pg_stat_subscription w ON w.subid = s.oid AND w.relid IS NULL
                                   AND w.leader_pid IS NULL                      -- since 16
  LEFT JOIN pg_stat_subscription_stats st ON st.subid = s.oid
 WHERE s.subdbid = (SELECT oid FROM pg_database WHERE datname = current_database())
 ORDER BY s.subname;
