-- Switchover, on the PRIMARY: it stops taking writes. Every new transaction of the database is
-- read-only (default_transaction_read_only, set for the database), and the sessions already open
-- — they keep the setting they started with — are ended, their open transactions rolled back
-- (pg_terminate_backend waits up to 5 s for each to go). replkit's own session (:keep_pid) and
-- the walsenders stay. replkit.switchover marks the fence in pg_db_role_setting, so a re-run
-- after a crash sees that a switch was under way. Variables: :marker, :keep_pid.
SELECT format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database())
\gexec
SELECT format('ALTER DATABASE %I SET replkit.switchover = %L', current_database(), :'marker')
\gexec
SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000)) AS sessions_ended
  FROM pg_stat_activity
 WHERE datname = current_database() AND backend_type = 'client backend'
   AND pid <> pg_backend_pid() AND pid <> :keep_pid;
