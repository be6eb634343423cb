-- PRIMARY: each publication with its tables, and for every table that is published or that
-- replkit expects ($1) whether it exists and can replicate UPDATE/DELETE: it needs a primary key
-- (replica identity default), a replica identity index, or REPLICA IDENTITY FULL.
WITH pub_tables AS (
    SELECT p.pubname, pt.schemaname, pt.tablename
      FROM pg_publication p
      LEFT JOIN pg_publication_tables pt ON pt.pubname = p.pubname
), wanted AS (
    SELECT DISTINCT schemaname, tablename FROM pub_tables WHERE tablename IS NOT NULL
    UNION
    SELECT 'public', unnest($1::text[])
)
SELECT w.schemaname AS schema,
       w.tablename AS table,
       c.oid IS NOT NULL AS exists,
       coalesce((SELECT array_agg(pubname ORDER BY pubname) FROM pub_tables pt
                  WHERE pt.schemaname = w.schemaname AND pt.tablename = w.tablename), '{}') AS publications,
       EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_primary_key,
       CASE c.relreplident WHEN 'd' THEN 'default' WHEN 'n' THEN 'nothing' WHEN 'f' THEN 'full' WHEN 'i' THEN 'index' END
           AS replica_identity
  FROM wanted w
  LEFT JOIN pg_namespace n ON n.nspname = w.schemaname
  LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = w.tablename
 ORDER BY w.schemaname, w.tablename;
