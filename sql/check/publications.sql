-- PRIMARY: for every table that is published or that replkit expects ($1): whether it exists,
-- which publications carry it, and whether it can replicate UPDATE/DELETE: it needs a primary
-- key (replica identity default), a replica identity index, or REPLICA IDENTITY FULL.
-- pg_get_publication_tables() covers FOR TABLE, FOR ALL TABLES and FOR TABLES IN SCHEMA alike;
-- the pg_publication_tables view does the same but plans badly (~200 ms even on six tables).
-- Each table's publications come from one aggregate, not a subquery per table: that plan's
-- estimated cost (~290,000) passed jit_above_cost, and compiling it cost ~90 ms of every check.
WITH pub_tables AS (
    SELECT p.pubname, g.relid
      FROM pg_publication p, LATERAL pg_get_publication_tables(p.pubname) AS g
), by_table AS (
    SELECT relid, array_agg(pubname ORDER BY pubname) AS publications
      FROM pub_tables
     GROUP BY relid
), wanted AS (
    SELECT c.oid, n.nspname AS schemaname, c.relname AS tablename
      FROM by_table b
      JOIN pg_class c ON c.oid = b.relid
      JOIN pg_namespace n ON n.oid = c.relnamespace
    UNION
    -- replkit's names: one part is a table in public, whatever the search_path
    SELECT to_regclass(CASE WHEN cardinality(n) = 1 THEN 'public.' || t ELSE t END),
           CASE WHEN cardinality(n) = 1 THEN 'public' ELSE n[1] END, n[cardinality(n)]
      FROM unnest($1::text[]) AS t, parse_ident(t) AS n
)
SELECT w.schemaname AS schema,
       w.tablename AS table,
       c.oid IS NOT NULL AS exists,
       coalesce(b.publications, '{}') AS publications,
       EXISTS (SELECT FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary) AS has_primary_key,
       CASE c.relreplident WHEN 'd' THEN 'default' WHEN 'n' THEN 'nothing' WHEN 'f' THEN 'full' WHEN 'i' THEN 'index' END
           AS replica_identity
  FROM wanted w
  LEFT JOIN pg_class c ON c.oid = w.oid
  LEFT JOIN by_table b ON b.relid = c.oid
 ORDER BY w.schemaname, w.tablename;
