-- PRIMARY: the tables in $1 (replkit's names: one part is a table in public) that publication $2
-- sends in part (PostgreSQL 15+): the columns of its column list in the table's order (NULL: all
-- of them) and its row filter as the server holds it (NULL: every row). Compare, checksums,
-- repair and verify read these, so they judge what the publication really sends.
SELECT t.name AS table,
       CASE WHEN pr.prattrs IS NOT NULL
            THEN (SELECT array_agg(a.attname::text ORDER BY a.attnum) FROM pg_attribute a
                   WHERE a.attrelid = pr.prrelid AND a.attnum = ANY (pr.prattrs::int2[])) END AS columns,
       pg_get_expr(pr.prqual, pr.prrelid) AS row_filter
  FROM unnest($1::text[]) AS t (name)
  JOIN pg_publication_rel pr
    ON pr.prrelid = to_regclass(CASE WHEN cardinality(parse_ident(t.name)) = 1 THEN 'public.' || t.name ELSE t.name END)
  JOIN pg_publication p ON p.oid = pr.prpubid AND p.pubname = $2
 WHERE pr.prattrs IS NOT NULL OR pr.prqual IS NOT NULL;
