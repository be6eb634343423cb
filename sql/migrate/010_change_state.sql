-- make migrate, on each node before each step: where the objects a change names stand there, so
-- a re-run skips what is already done and runs the rest (every step is idempotent this way).
-- $1: the table as written (NULL for DROP INDEX), $2: the column, index or constraint, unquoted.
SELECT to_regclass($1::text) IS NOT NULL AS table_exists,
       a.attname IS NOT NULL AS column_exists,
       coalesce(a.attnotnull, false) AS column_not_null,
       format_type(a.atttypid, a.atttypmod) AS column_type,
       to_regclass(quote_ident($2::text)) IS NOT NULL AS index_exists,
       EXISTS (SELECT FROM pg_constraint
                WHERE conrelid = to_regclass($1::text) AND conname = $2::text) AS constraint_exists
  FROM (SELECT) AS one
  LEFT JOIN pg_attribute a
    ON a.attrelid = to_regclass($1::text) AND a.attname = $2::text AND a.attnum > 0 AND NOT a.attisdropped
