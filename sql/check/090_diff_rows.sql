-- --diff: each key and its row hash within the ranges that still differ, only when they are few.
SELECT r.{{key}}::text AS key, hashtextextended(r::text, 0)::text AS hash
  FROM unnest($1::uuid[], $2::uuid[]) AS k (low, high)
  JOIN public.{{table}} r ON r.{{key}} BETWEEN k.low AND k.high;
