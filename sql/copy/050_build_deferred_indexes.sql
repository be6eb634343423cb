-- Replica, after the copy: the saved definitions of the indexes dropped for it (or an interrupted
-- run left dropped), to build them again; 060 forgets each once it is built. $1: only this
-- table's (its last part is in while other tables still copy), or NULL for every table.
SELECT to_regclass(index) IS NOT NULL AS exists, index, "table", definition
  FROM replkit.deferred_indexes
 WHERE $1::text IS NULL OR "table" = $1
 ORDER BY "table", index;
