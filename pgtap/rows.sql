-- Criterion 2 on one replica: it holds the same rows as the PRIMARY in every published table,
-- by content, not only by count. Cross-node honestly: the runner reads the PRIMARY's figures
-- (replkit.table_fingerprint, after waiting for catch-up) and passes them in as
-- :primary_fingerprints (pg_prove --set), a JSON object {table: {row_count, checksum}}; this
-- suite computes the replica's own with the same function and compares. No password or
-- dblink connection from one server to another is needed.
SET search_path = pgtap, public, pg_catalog;
SET client_min_messages = warning;
BEGIN;

-- Keyed by replkit's names (one part is a table in public); two tests per table. A table a
-- publication sends in part carries its column list ("columns"): the replica sums those columns
-- of all its rows (it holds only the rows the filter kept); NULL columns is the whole row.
CREATE TEMPORARY TABLE expected ON COMMIT DROP AS
SELECT key AS tbl, (value->>'row_count')::bigint AS row_count, (value->>'checksum')::numeric AS checksum,
       to_regclass(CASE WHEN cardinality(parse_ident(key)) = 1 THEN 'public.' || key ELSE key END) AS rel,
       CASE WHEN jsonb_typeof(value->'columns') = 'array'
            THEN ARRAY(SELECT jsonb_array_elements_text(value->'columns')) END AS columns
FROM jsonb_each(:'primary_fingerprints'::jsonb);
SELECT plan(2 * count(*)::int) FROM expected;

SELECT is(f.row_count, e.row_count, format('%s has as many rows as on the PRIMARY (%s).', e.tbl, e.row_count))
FROM expected e, replkit.table_fingerprint(e.rel, e.columns, NULL) f
ORDER BY e.tbl;

SELECT is(f.checksum, e.checksum, format('%s holds the same row contents as on the PRIMARY (checksum).', e.tbl))
FROM expected e, replkit.table_fingerprint(e.rel, e.columns, NULL) f
ORDER BY e.tbl;

SELECT finish();
ROLLBACK;
