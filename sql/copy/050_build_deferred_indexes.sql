-- Replica, after the copy: the saved definitions of the indexes dropped for it (or an interrupted
-- run left dropped), to build them again; 060 forgets each once it is built.
SELECT to_regclass(index) IS NOT NULL AS exists, index, "table", definition
  FROM replkit.deferred_indexes
 ORDER BY "table", index;
