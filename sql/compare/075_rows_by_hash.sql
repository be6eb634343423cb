-- compare, every node: each row's block, key and hash in the hash blocks $2 (as 065, row by row).
SELECT {{block}} AS block, {{keyjson}}::text AS key, hashtextextended({{row}}, 0)::text AS hash
  FROM {{table}} r
 WHERE {{block}} = ANY ($2::int[]);
