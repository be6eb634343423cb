-- PRIMARY: the tables in $1 (replkit's names: one part is a table in public), largest first so the
-- longest copy starts first, each with the columns COPY can carry (generated ones are computed
-- again on the replica and cannot be written).
SELECT t.name AS table,
       pg_relation_size(c.oid) AS bytes,
       array_agg(a.attname::text ORDER BY a.attnum) AS columns
  FROM unnest($1::text[]) AS t (name)
  JOIN pg_class c ON c.oid = to_regclass(CASE WHEN cardinality(parse_ident(t.name)) = 1 THEN 'public.' || t.name ELSE t.name END)
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
 GROUP BY c.oid, t.name
 ORDER BY bytes DESC, t.name;
