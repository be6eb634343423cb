-- One definition of "same rows" for every node: row count and a content checksum computed
-- inside the database (rows never leave it). The SET clauses pin how values render as text,
-- so the same row hashes the same on every node whatever the session's settings.
CREATE OR REPLACE FUNCTION replkit.table_fingerprint(tbl regclass, OUT row_count bigint, OUT checksum numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog
SET timezone = 'UTC'
SET datestyle = 'ISO, MDY'
SET intervalstyle = 'postgres'
SET extra_float_digits = 1
AS $$
BEGIN
    EXECUTE format('SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), 0) FROM %s AS t', tbl)
    INTO row_count, checksum;
END
$$;
