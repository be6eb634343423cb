-- compare, every node: row count and hash sum of every block of the table in one scan.
-- {{block}} is the row's block (width_bucket over $1, the bounds, or a hash of the key masked by
-- $1),
-- {{row}} the row as text over the PRIMARY's column list.
SELECT {{block}} AS block, count(*)::int8 AS rows, sum(hashtextextended({{row}}, 0))::text AS sum
  FROM {{table}} r
 GROUP BY 1;
