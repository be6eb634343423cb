-- Every node: the tables whose checksums a comparison at an LSN reads instead (make check --diff
-- TABLE reads the table once, not twice): whether each exists, and that this session gets the lock
-- a read takes (pg_relation_size opens the table with ACCESS SHARE). A table locked past the
-- statement timeout then marks the node as not observed, as reading its checksum would have.
-- $1: replkit's names (one part is a table in public, whatever the search_path).
SELECT t.name AS table,
       r.rel IS NOT NULL AS exists,
       CASE WHEN r.rel IS NOT NULL THEN pg_relation_size(r.rel) END AS bytes
  FROM unnest($1::text[]) WITH ORDINALITY AS t (name, ord)
 CROSS JOIN LATERAL (SELECT to_regclass(CASE WHEN cardinality(parse_ident(t.name)) = 1 THEN 'public.' || t.name ELSE t.name END) AS rel) r
 ORDER BY t.ord;
