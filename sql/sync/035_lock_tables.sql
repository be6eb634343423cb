-- On the replica, first inside the transaction of an atomic copy (scripts/lib/sync/atomic-copy.ts):
-- every table's ACCESS EXCLUSIVE lock, all or none. Taking them one by one (as TRUNCATE does)
-- while a reader holds one table and waits for another is a deadlock, and PostgreSQL would cancel
-- the reader or the copy. Here each attempt waits at most 200 ms (under deadlock_timeout's 1 s),
-- then lets go of everything and tries again: readers queued behind it run in between, nobody
-- is cancelled. The copy's deadline ends the retries. Variables: :tables.
SELECT set_config('replkit.lock_tables', :'tables', true);
DO $$
DECLARE
  attempt int := 0;
BEGIN
  LOOP
    BEGIN
      SET LOCAL lock_timeout = '200ms';
      EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', current_setting('replkit.lock_tables'));
      SET LOCAL lock_timeout = 0;
      EXIT;
    EXCEPTION WHEN lock_not_available THEN
      attempt := attempt + 1;
      PERFORM pg_sleep(least(0.05 * attempt, 0.5));
    END;
  END LOOP;
END
$$;
