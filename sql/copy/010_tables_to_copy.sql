-- PRIMARY: the tables in $1 (replkit's names: one part is a table in public), largest first so
-- the longest copy starts first, each with the columns COPY can carry (generated ones are computed
-- again on the replica and cannot be written). A table publication $2 sends in part (PostgreSQL
-- 15+) carries only its column list's columns and the rows its row filter keeps, as the
-- subscription's own copy would. blocks: the table's size in blocks now, for the parts a copy
-- splits it into (the last part has no end, so rows in blocks added since are copied too).
SELECT t.name AS table,
       pg_relation_size(c.oid) AS bytes,
       pg_relation_size(c.oid) / current_setting('block_size')::int8 AS blocks,
       array_agg(a.attname::text ORDER BY a.attnum) AS columns,
       pg_get_expr(pr.prqual, pr.prrelid) AS row_filter
  FROM unnest($1::text[]) AS t (name)
  JOIN pg_class c ON c.oid = to_regclass(CASE WHEN cardinality(parse_ident(t.name)) = 1 THEN 'public.' || t.name ELSE t.name END)
  LEFT JOIN (pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid AND p.pubname = $2::text)
         ON pr.prrelid = c.oid
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
                     AND (pr.prattrs IS NULL OR a.attnum = ANY (pr.prattrs::int2[]))
 GROUP BY c.oid, t.name, pr.prqual, pr.prrelid
 ORDER BY bytes DESC, t.name;
