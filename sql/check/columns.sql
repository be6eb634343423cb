-- Every node: the columns of the tables in $1 (schema public) with their type, NOT NULL and
-- default, to compare a replica's schema with the PRIMARY's (DDL is not replicated: a column
-- added on one side only stops apply or silently drops data).
SELECT c.relname AS table,
       a.attname AS column,
       format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null,
       pg_get_expr(d.adbin, d.adrelid) AS default
  FROM pg_attribute a
  JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.attgenerated = ''
 WHERE c.relnamespace = 'public'::regnamespace AND c.relname = ANY ($1::text[])
   AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY c.relname, a.attnum;
