-- compare: what a table's comparison needs to know, from the PRIMARY: its primary key columns in
-- key order (type, and whether the type is fixed-width: such keys are split into key ranges by
-- width_bucket, others by a hash of the key), its columns in the PRIMARY's order (a row is hashed
-- over this list, so a replica whose columns are in another physical order still compares
-- equal), and its rows now. $1: the table (replkit's name:
-- one part is a table in public, whatever the search_path). $2: a publication (or NULL): what it
-- sends of the table in part (PostgreSQL 15+), its column list (NULL: all) and row filter.
--
-- The row estimate is the planner's (estimate_rel_size): the density of the last ANALYZE times
-- the pages the table has now, since reltuples alone is stale after a bulk load that autovacuum
-- has not reached yet (a million rows read as a few hundred cut the table into one block too big
-- to list). Never analysed, or analysed empty: as many rows as a page can hold, an overestimate
-- that only makes the blocks smaller. A partitioned table (which autovacuum never analyses) is
-- the sum of its leaf partitions.
SELECT (SELECT coalesce(sum(CASE WHEN l.reltuples > 0 AND l.relpages > 0
                                 THEN l.reltuples::float8 / l.relpages * sz.pages
                                 ELSE sz.pages * floor((sz.page_size - 24) / 28.0) END), 0)
          FROM (SELECT t.relid FROM pg_partition_tree(c.oid) AS t WHERE t.isleaf
                UNION ALL
                SELECT c.oid WHERE c.relkind <> 'p') AS leaf
          JOIN pg_class l ON l.oid = leaf.relid
         CROSS JOIN LATERAL (SELECT current_setting('block_size')::int AS page_size) AS bs
         CROSS JOIN LATERAL (SELECT ceil(pg_relation_size(l.oid)::float8 / bs.page_size) AS pages, bs.page_size) AS sz
       ) AS estimated_rows,
       (SELECT coalesce(json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod),
                                                  'fixed', t.typlen > 0) ORDER BY k.ord), '[]')
          FROM pg_index i
         CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k (attnum, ord)
          JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
          JOIN pg_type t ON t.oid = a.atttypid
         WHERE i.indrelid = c.oid AND i.indisprimary) AS key,
       (SELECT json_agg(json_build_object('name', a.attname, 'generated', a.attgenerated <> '') ORDER BY a.attnum)
          FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT json_build_object('columns', (SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
                                              WHERE a.attrelid = c.oid AND a.attnum = ANY (pr.prattrs::int2[])),
                                 'row_filter', pg_get_expr(pr.prqual, pr.prrelid))
          FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid
         WHERE pr.prrelid = c.oid AND p.pubname = $2::text) AS published
  FROM pg_class c
 WHERE c.oid = to_regclass(CASE WHEN cardinality(parse_ident($1::text)) = 1 THEN 'public.' || $1::text ELSE $1::text END);
