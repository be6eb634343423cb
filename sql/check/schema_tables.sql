-- PRIMARY: the tables a whole schema in PUBLICATION_TABLES (sales.*) stands for: each ordinary or
-- partitioned table of the schemas in $1, as FOR TABLES IN SCHEMA would take them (permanent
-- tables, a partitioned table by its root). schema-tables.ts publishes them as a list.
SELECT n.nspname AS schema,
       c.relname AS name
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = ANY ($1::text[])
   AND c.relkind IN ('r', 'p')
   AND c.relpersistence = 'p'
   AND NOT c.relispartition
 ORDER BY 1, 2;
