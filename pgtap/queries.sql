-- Criterion 5 on one replica: the runbook's verification queries (corrected, ordered
-- deterministically; see sql/schema/090_verification_views.sql) return exactly what they
-- return on the PRIMARY. The runner passes the PRIMARY's results as JSON (pg_prove --set):
-- :primary_row_counts (an object) and :primary_sample (an array).
SET search_path = pgtap, public, pg_catalog;
SET client_min_messages = warning;
BEGIN;
SELECT plan(2);

SELECT is(to_jsonb(c), :'primary_row_counts'::jsonb, 'Row counts per table match the PRIMARY''s.')
FROM replkit.row_counts c;

SELECT is((SELECT jsonb_agg(to_jsonb(s)) FROM replkit.sample_products s), :'primary_sample'::jsonb,
    'The five newest products (id, sku, title, price, stock) match the PRIMARY''s, in order.');

SELECT finish();
ROLLBACK;
