-- PRIMARY: ends the replication session that holds a copy's exported snapshot (application_name
-- $1), started by this run or by one that was killed: it pins the PRIMARY's xmin while it lives.
SELECT count(pg_terminate_backend(pid))::int AS ended
  FROM pg_stat_activity
 WHERE application_name = $1 AND backend_type = 'walsender';
