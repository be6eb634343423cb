-- Every node: the columns of the tables in $1 (replkit's names: one part is a table in public,
-- whatever the search_path) with their type, NOT NULL and default, to compare a replica's schema
-- with the PRIMARY's (DDL is not replicated: a column added on one side only stops apply or
-- silently drops data). Each row names its table as $1 does.
SELECT t.name AS table,
       a.attname AS column,
       format_type(a.atttypid, a.atttypmod) AS type,
       a.attnotnull AS not_null,
       pg_get_expr(d.adbin, d.adrelid) AS default
  FROM unnest($1::text[]) WITH ORDINALITY AS t (name, ord)
  JOIN pg_attribute a
    ON a.attrelid = to_regclass(CASE WHEN cardinality(parse_ident(t.name)) = 1 THEN 'public.' || t.name ELSE t.name END)
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.attgenerated = ''
 WHERE a.attnum > 0 AND NOT a.attisdropped
 ORDER BY t.name, a.attnum;
