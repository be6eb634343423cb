-- compare, every node: row count and hash sum of the blocks $2 only, each read by an index range
-- scan between its bounds (blocks that differed in the round before; the rest are settled).
-- Block 0 starts at this node's lowest key and the last block ends at its highest (read from the
-- index: there is no min(uuid)); a key equal to the next block's first bound is read twice, and
-- left out by the width_bucket filter.
-- OFFSET 0 keeps each range its own scan (joined flat, the planner scans the whole table).
SELECT k.block, count(x.h)::int8 AS rows, coalesce(sum(x.h), 0)::text AS sum
  FROM unnest($2::int[]) AS k (block)
 CROSS JOIN (SELECT (SELECT {{key}} FROM {{table}} AS b ORDER BY 1 LIMIT 1) AS lo,
                    (SELECT {{key}} FROM {{table}} AS b ORDER BY 1 DESC LIMIT 1) AS hi) AS m
 CROSS JOIN LATERAL (
       SELECT hashtextextended({{row}}, 0) AS h
         FROM {{table}} r
        WHERE r.{{key}} >= CASE WHEN k.block = 0 THEN m.lo ELSE ($1::{{type}}[])[k.block] END
          AND r.{{key}} <= CASE WHEN k.block = cardinality($1::{{type}}[]) THEN m.hi ELSE ($1::{{type}}[])[k.block + 1] END
          AND width_bucket(r.{{key}}, $1::{{type}}[]) = k.block
       OFFSET 0) AS x
 GROUP BY k.block;
