-- compare: the key values that split a table into blocks of about equal size, from the PRIMARY.
-- Every node puts a row in block width_bucket(key, bounds), so the blocks are the same key ranges
-- on every node whatever rows each holds; uneven blocks only cost speed, never correctness.
-- $1: the number of blocks, $2: the percentage of the table's pages sampled (100 on small
-- tables). {{table}} (schema-qualified), {{key}} (quoted identifiers) and {{type}} are filled in by replkit.
SELECT coalesce(array_agg(DISTINCT b ORDER BY b), '{}')::text[] AS bounds
  FROM unnest((SELECT percentile_disc(ARRAY(SELECT g::float8 / $1 FROM generate_series(1, $1::int - 1) AS g))
                        WITHIN GROUP (ORDER BY r.{{key}})
                 FROM {{table}} r TABLESAMPLE SYSTEM ($2))) AS b;
