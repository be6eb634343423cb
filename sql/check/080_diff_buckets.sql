-- --diff: row count and checksum per key range, a range being every key that starts with the
-- same $1 hex digits. $2/$3 (low/high keys of the ranges that differed one level up) restrict
-- the scan to those ranges through the primary key index; NULL means the whole table.
-- {{table}} and {{key}} are quoted identifiers filled in by replkit.
SELECT left(r.{{key}}::text, $1::int) AS bucket, count(*)::int8 AS rows, sum(hashtextextended(r::text, 0))::text AS checksum
  FROM public.{{table}} r
 WHERE $2::uuid[] IS NULL
 GROUP BY 1
UNION ALL
SELECT left(r.{{key}}::text, $1::int), count(*)::int8, sum(hashtextextended(r::text, 0))::text
  FROM unnest($2::uuid[], $3::uuid[]) AS k (low, high)
  JOIN public.{{table}} r ON r.{{key}} BETWEEN k.low AND k.high
 GROUP BY 1;
