-- replkit.table_fingerprint over what a publication sends of a table (PostgreSQL 15+ column lists
-- and row filters): the listed columns of the rows the filter keeps. On the PRIMARY both are
-- given; on a replica only the columns (it holds only the rows the filter kept, and its other
-- columns are its own). Rows are hashed as row(columns)::text, the same text on every node.
-- Not STRICT: NULL columns means all of them and NULL filter all rows; a NULL table is no
-- table (to_regclass of one missing on a node), and nothing is read. The filter is SQL the
-- caller passes (the PRIMARY's own pg_get_expr of it) and runs with the caller's privileges.
CREATE OR REPLACE FUNCTION replkit.table_fingerprint(tbl regclass, columns text[], row_filter text,
                                                     OUT row_count bigint, OUT checksum numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
SET timezone = 'UTC'
SET datestyle = 'ISO, MDY'
SET intervalstyle = 'postgres'
SET extra_float_digits = 1
AS $$
BEGIN
    IF tbl IS NULL THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT count(*), coalesce(sum(hashtextextended(%s, 0)), 0) FROM %s AS t%s',
                   CASE WHEN columns IS NULL THEN 't::text'
                        ELSE format('row(%s)::text', (SELECT string_agg(format('t.%I', c), ', ' ORDER BY o)
                                                        FROM unnest(columns) WITH ORDINALITY AS u (c, o))) END,
                   tbl,
                   CASE WHEN row_filter IS NULL THEN '' ELSE format(' WHERE (%s)', row_filter) END)
    INTO row_count, checksum;
END
$$;
