-- Replica, before the copy: the indexes of the tables in $1 (replkit's names) that the copy would otherwise update
-- row by row (a random uuid key touches a random page per row); each is built once after the
-- copy with one sort. Plain indexes, and PRIMARY KEY / UNIQUE constraints no foreign key
-- references (a referenced key stays: dropping it would drop the foreign key). An index that is
-- the replica identity stays too. `definition` builds it again, `drop` removes it; both are saved
-- first (030_save_deferred_indexes.sql) so an interrupted run builds it again.
SELECT i.indexrelid::regclass::text AS index,
       t.name AS table,
       CASE WHEN k.oid IS NULL THEN pg_get_indexdef(i.indexrelid)
            ELSE format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.oid::regclass, k.conname, pg_get_constraintdef(k.oid)) END AS definition,
       CASE WHEN k.oid IS NULL THEN format('DROP INDEX %s', i.indexrelid::regclass)
            ELSE format('ALTER TABLE %s DROP CONSTRAINT %I', c.oid::regclass, k.conname) END AS drop
  FROM unnest($1::text[]) AS t (name)
  JOIN pg_class c ON c.oid = to_regclass(CASE WHEN cardinality(parse_ident(t.name)) = 1 THEN 'public.' || t.name ELSE t.name END)
  JOIN pg_index i ON i.indrelid = c.oid
  LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid AND k.conrelid = c.oid AND k.contype IN ('p', 'u')
 WHERE NOT i.indisreplident
   AND NOT EXISTS (SELECT 1 FROM pg_constraint o WHERE o.conindid = i.indexrelid AND o.contype NOT IN ('p', 'u'))
   AND NOT EXISTS (SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid)
 ORDER BY t.name, 1;
