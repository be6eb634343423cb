-- REPLICA: the subscription's apply worker holds a transaction open — the same rule as
-- subscriptions.sql's applying_ms, without its grace: on 16+ a parallel apply worker counts only
-- once its leader waits for it to finish (before that, the PRIMARY has not committed what it holds,
-- and waiting for it would wait for the PRIMARY's transaction). $1: the subscription.
SELECT count(*)::int AS n
  FROM pg_stat_subscription w JOIN pg_stat_activity a ON a.pid = w.pid
 WHERE w.subname = $1 AND w.relid IS NULL AND a.xact_start IS NOT NULL
   AND (w.leader_pid IS NULL                                                  -- since 16
        OR EXISTS (SELECT FROM pg_stat_activity l WHERE l.pid = w.leader_pid AND l.wait_event = 'applytransaction')) -- since 16
;
