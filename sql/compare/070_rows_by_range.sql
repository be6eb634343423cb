-- compare, every node: each row's block, key (as jsonb text, the same on every node) and hash in
-- the range blocks $2, for blocks that hold few rows and still differ (as 060, row by row).
SELECT k.block, x.key, x.h::text AS hash
  FROM unnest($2::int[]) AS k (block)
 CROSS JOIN (SELECT (SELECT {{key}} FROM {{table}} AS b ORDER BY 1 LIMIT 1) AS lo,
                    (SELECT {{key}} FROM {{table}} AS b ORDER BY 1 DESC LIMIT 1) AS hi) AS m
 CROSS JOIN LATERAL (
       SELECT {{keyjson}}::text AS key, hashtextextended({{row}}, 0) AS h
         FROM {{table}} r
        WHERE r.{{key}} >= CASE WHEN k.block = 0 THEN m.lo ELSE ($1::{{type}}[])[k.block] END
          AND r.{{key}} <= CASE WHEN k.block = cardinality($1::{{type}}[]) THEN m.hi ELSE ($1::{{type}}[])[k.block + 1] END
          AND width_bucket(r.{{key}}, $1::{{type}}[]) = k.block
       OFFSET 0) AS x;
