-- --diff: the table's primary key column and type; --diff narrows by ranges of a uuid key.
SELECT a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type, cardinality(i.indkey) AS columns
  FROM pg_index i
  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
 WHERE i.indrelid = to_regclass(format('public.%I', $1::text)) AND i.indisprimary;
