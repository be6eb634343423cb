-- Every node: row count and content checksum of each table in $1 (replkit's names: one part is a
-- table in public, whatever the search_path), computed inside the database
-- by replkit.table_fingerprint (sql/schema/070: the one definition of "same rows", also used by
-- the pgTAP suites), so no row leaves it. Tables that do not exist are reported as missing rather
-- than failing the whole query: the function is STRICT, so it never runs on their NULL. Run only
-- where the function exists (node.sql says so).
SELECT t.name AS table,
       r.rel IS NOT NULL AS exists,
       f.row_count AS rows,
       f.checksum::text AS checksum
  FROM unnest($1::text[]) WITH ORDINALITY AS t (name, ord)
 CROSS JOIN LATERAL (SELECT to_regclass(CASE WHEN cardinality(parse_ident(t.name)) = 1 THEN 'public.' || t.name ELSE t.name END) AS rel) r
  LEFT JOIN LATERAL (SELECT * FROM replkit.table_fingerprint(r.rel) WHERE r.rel IS NOT NULL) f ON true
 ORDER BY t.ord;
