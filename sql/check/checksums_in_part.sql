-- Every node: sql/check/checksums.sql for tables a publication sends in part: $1 the tables
-- (replkit's names), $2 each one's column list as a JSON array (NULL: all columns), $3 each one's
-- row filter (given on the PRIMARY only: a replica holds just the rows it kept). Computed by
-- replkit.table_fingerprint(regclass, text[], text) (sql/schema/110).
SELECT t.name AS table,
       r.rel IS NOT NULL AS exists,
       f.row_count AS rows,
       f.checksum::text AS checksum
  FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t (name, columns, row_filter, ord)
 CROSS JOIN LATERAL (SELECT to_regclass(CASE WHEN cardinality(parse_ident(t.name)) = 1
                                             THEN 'public.' || t.name ELSE t.name END) AS rel) r
 CROSS JOIN LATERAL replkit.table_fingerprint(r.rel,
                                              CASE WHEN t.columns IS NOT NULL
                                                   THEN ARRAY(SELECT jsonb_array_elements_text(t.columns::jsonb)) END,
                                              t.row_filter) f
 ORDER BY t.ord;
