-- --diff: row count and checksum per key range, a range being every key that starts with the
-- same $1 hex digits. $2/$3 (low/high keys of the ranges that differed one level up) restrict
-- the scan to those ranges; NULL means the whole table. OFFSET 0 keeps the per-range subquery
-- apart, so each range is an index range scan (joined flat, the planner scans the whole table).
-- {{table}} and {{key}} are quoted identifiers filled in by replkit.
SELECT left(r.{{key}}::text, $1::int) AS bucket, count(*)::int8 AS rows, sum(hashtextextended(r::text, 0))::text AS checksum
  FROM public.{{table}} r
 WHERE $2::uuid[] IS NULL
 GROUP BY 1
UNION ALL
SELECT left(x.key, $1::int), count(*)::int8, sum(x.hash)::text
  FROM unnest($2::uuid[], $3::uuid[]) AS k (low, high)
  CROSS JOIN LATERAL (SELECT r.{{key}}::text AS key, hashtextextended(r::text, 0) AS hash
                        FROM public.{{table}} r WHERE r.{{key}} BETWEEN k.low AND k.high OFFSET 0) x
 GROUP BY 1;
