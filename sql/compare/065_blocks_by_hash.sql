-- compare, every node: row count and hash sum of the blocks $2 only, for keys split by hash
-- (composite or variable-width keys): a hash block is not a key range, so this is a scan of
-- the table that hashes only the rows of those blocks.
SELECT {{block}} AS block, count(*)::int8 AS rows, sum(hashtextextended({{row}}, 0))::text AS sum
  FROM {{table}} r
 WHERE {{block}} = ANY ($2::int[])
 GROUP BY 1;
