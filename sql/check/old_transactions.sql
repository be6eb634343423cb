-- PRIMARY: the oldest transactions that hold a transaction id. Logical decoding must keep the WAL
-- back to the start of the oldest one running, so an idle-in-transaction session makes every
-- logical slot retain WAL however caught up its replica is. The first line of the last query only.
SELECT pid,
       usename AS user,
       application_name,
       state,
       extract(epoch FROM now() - xact_start)::float8 AS age_seconds,
       left(split_part(query, E'\n', 1), 120) AS query
  FROM pg_stat_activity
 WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() AND backend_type = 'client backend'
 ORDER BY xact_start
 LIMIT 3;
