-- PRIMARY: user tables that take writes but are in no publication of $1's name: their rows never
-- reach the replicas, and nothing else says so. replkit's and pgTAP's own schemas are left out.
SELECT n.nspname AS schema,
       c.relname AS table,
       (s.n_tup_ins + s.n_tup_upd + s.n_tup_del)::int8 AS writes,
       s.n_live_tup::int8 AS live_rows
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_stat_user_tables s ON s.relid = c.oid
 WHERE c.relkind IN ('r', 'p')
   AND n.nspname NOT IN ('replkit', 'pgtap', 'pg_catalog', 'information_schema')
   AND s.n_tup_ins + s.n_tup_upd + s.n_tup_del > 0
   AND NOT EXISTS (SELECT 1 FROM pg_publication_tables pt
                    WHERE pt.pubname = $1 AND pt.schemaname = n.nspname AND pt.tablename = c.relname)
 ORDER BY 1, 2;
