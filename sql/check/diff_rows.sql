-- --diff: each key and its row hash within the ranges that still differ, only when they are few
-- (OFFSET 0: one index range scan per range, as in 080).
SELECT x.key, x.hash::text
  FROM unnest($1::uuid[], $2::uuid[]) AS k (low, high)
  CROSS JOIN LATERAL (SELECT r.{{key}}::text AS key, hashtextextended(r::text, 0) AS hash
                        FROM public.{{table}} r WHERE r.{{key}} BETWEEN k.low AND k.high OFFSET 0) x;
