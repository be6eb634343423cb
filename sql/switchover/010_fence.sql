-- Switchover, on the PRIMARY: it stops taking writes. Every new transaction of the database is
-- read-only (default_transaction_read_only, set for the database), and the sessions already open
-- — they keep the setting they started with — are ended, their open transactions rolled back.
-- replkit's own session (:keep_pid) and the walsenders stay. replkit.switchover marks the fence
-- in pg_db_role_setting, so a re-run after a crash sees that a switch was under way.
-- Variables: :marker, :keep_pid.
SELECT format('ALTER DATABASE %I SET default_transaction_read_only = on', current_database())
\gexec
SELECT format('ALTER DATABASE %I SET replkit.switchover = %L', current_database(), :'marker')
\gexec
-- Signal them all at once (pg_terminate_backend's own wait sleeps 100 ms per session), then wait
-- up to 5 s, every 5 ms, until each is gone: gone means its transaction was rolled back.
-- (The signal is in the aggregate's FILTER, so it only ever reaches the rows the WHERE kept.)
SELECT set_config('replkit.ended', coalesce(string_agg(pid::text, ',') FILTER (WHERE pg_terminate_backend(pid)), ''), false)
  FROM pg_stat_activity
 WHERE datname = current_database() AND backend_type = 'client backend'
   AND pid <> pg_backend_pid() AND pid <> :keep_pid;
DO $$
DECLARE
    ended int[] := string_to_array(nullif(current_setting('replkit.ended'), ''), ',')::int[];
BEGIN
    FOR i IN 1..1000 LOOP
        PERFORM pg_stat_clear_snapshot();
        EXIT WHEN NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = ANY (ended));
        PERFORM pg_sleep(0.005);
    END LOOP;
    IF EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = ANY (ended)) THEN
        RAISE EXCEPTION 'sessions % did not end within 5 s', ended;
    END IF;
END
$$;
