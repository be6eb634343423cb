-- Runbook success criterion 1 on the PRIMARY: it holds the products of data/products.json, by
-- sku and by content, each with an inventory row. The runner passes the file's text as
-- :products_json (pg_prove --set), so the comparison happens here, in SQL, against the file.
SET search_path = pgtap, public, pg_catalog;
SET client_min_messages = warning;
BEGIN;
SELECT plan(6);

CREATE TEMPORARY TABLE expected ON COMMIT DROP AS
SELECT sku, title, description, price::numeric(12,2) AS price, stock, category,
       coalesce(attributes, '{}') AS attributes
FROM jsonb_to_recordset(:'products_json'::jsonb)
     AS j (sku text, title text, description text, price numeric, stock int, category text, attributes jsonb);

SELECT cmp_ok((SELECT count(*)::int FROM expected), '=', 30, 'The seed file lists 30 products.');

SELECT set_eq(
    'SELECT sku FROM public.products WHERE sku NOT LIKE ''REPLKIT-%''',
    'SELECT sku FROM expected',
    'The PRIMARY holds exactly the skus of the seed file.');

SELECT set_eq(
    $$SELECT p.sku, p.title, p.description, p.price, p.stock, c.slug::text, p.attributes
      FROM public.products p JOIN public.categories c ON c.id = p.category_id
      WHERE p.sku NOT LIKE 'REPLKIT-%'$$,
    'SELECT sku, title, description, price, stock, category, attributes FROM expected',
    'Every seeded product matches the file field by field.');

SELECT set_eq(
    $$SELECT p.sku, i.quantity FROM public.inventory i JOIN public.products p ON p.id = i.product_id
      WHERE i.warehouse = 'main' AND p.sku NOT LIKE 'REPLKIT-%'$$,
    'SELECT sku, stock FROM expected',
    'Every seeded product has a main-warehouse inventory row holding its stock.');

SELECT set_eq(
    'SELECT DISTINCT c.slug::text FROM public.products p JOIN public.categories c ON c.id = p.category_id',
    'SELECT DISTINCT category FROM expected',
    'The products use exactly the categories the file names.');

SELECT is_empty(
    $$SELECT 1 FROM public.products WHERE updated_at < created_at$$,
    'No product was updated before it was created.');

SELECT finish();
ROLLBACK;
