-- Every node: row count and content checksum of each table in $1, computed inside the database
-- so no row leaves it. query_to_xml runs the per-table query in this one statement (one round
-- trip); tables that do not exist are reported as missing rather than failing the whole query.
-- The row text depends on TimeZone, DateStyle and extra_float_digits: the connection sets them.
SELECT t.name AS table,
       to_regclass(format('public.%I', t.name)) IS NOT NULL AS exists,
       (xpath('/row/n/text()', x))[1]::text::int8 AS rows,
       (xpath('/row/s/text()', x))[1]::text AS checksum
  FROM unnest($1::text[]) WITH ORDINALITY AS t (name, ord)
  LEFT JOIN LATERAL (
      SELECT query_to_xml(format('SELECT count(*) AS n, coalesce(sum(hashtextextended(r::text, 0)), 0) AS s FROM public.%I r',
                                 t.name), false, true, '') AS x
       WHERE to_regclass(format('public.%I', t.name)) IS NOT NULL
  ) q ON true
 ORDER BY t.ord;
