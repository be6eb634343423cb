-- compare: what a table's comparison needs to know, from the PRIMARY: its primary key columns in
-- key order (type, and whether the type is fixed-width: such keys are split into key ranges by
-- width_bucket, others by a hash of the key), its columns in the PRIMARY's order (a row is hashed
-- over this list, so a replica whose columns are in another physical order still compares
-- equal), and the planner's row estimate (-1 when never analysed). $1: the table in public.
SELECT c.reltuples::float8 AS estimated_rows,
       (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                                  'fixed', t.typlen > 0) ORDER BY k.ord), '[]')
          FROM pg_index i
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k (attnum, ord)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
          JOIN pg_type t ON t.oid = a.atttypid
         WHERE i.indrelid = c.oid AND i.indisprimary) AS key,
       (SELECT json_agg(json_build_object('name', a.attname, 'generated', a.attgenerated <> '') ORDER BY a.attnum)
          FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns
  FROM pg_class c
 WHERE c.oid = to_regclass(format('public.%I', $1::text));
