-- PRIMARY: the tables in $1 (schema public), largest first so the
-- longest copy starts first, each with the columns COPY can carry (generated ones are computed
-- again on the replica and cannot be written).
SELECT c.relname AS table,
       pg_relation_size(c.oid) AS bytes,
       array_agg(a.attname::text ORDER BY a.attnum) AS columns
  FROM pg_class c
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
 WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY ($1::text[])
 GROUP BY c.oid, c.relname
 ORDER BY bytes DESC, c.relname;
