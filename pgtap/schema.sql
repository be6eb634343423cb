-- Every node carries the shop schema (DDL is not replicated): same tables, uuid keys, the
-- constraints the seed and the replicas rely on. Run against each node.
SET search_path = pgtap, public, pg_catalog;
SET client_min_messages = warning;
BEGIN;
SELECT plan(26);

SELECT tables_are('public', ARRAY['categories', 'products', 'inventory', 'orders', 'order_items', 'payments'],
    'The public schema holds exactly the six shop tables.');

SELECT col_is_pk('public', t, 'id', format('%s is keyed by id, so replication can identify its rows.', t))
FROM unnest(ARRAY['categories', 'products', 'inventory', 'orders', 'order_items', 'payments']) AS t;

SELECT col_type_is('public', t, 'id', 'uuid', format('%s.id is a uuid, never a node-local sequence value.', t))
FROM unnest(ARRAY['categories', 'products', 'inventory', 'orders', 'order_items', 'payments']) AS t;

SELECT col_not_null('public', 'products', 'sku', 'Every product has a sku.');
SELECT col_is_unique('public', 'products', 'sku', 'No two products share a sku.');
SELECT col_type_is('public', 'products', 'price', 'numeric(12,2)', 'Prices are exact to the cent.');
SELECT col_type_is('public', 'products', 'stock', 'integer', 'Stock is a whole number.');
SELECT fk_ok('public', 'products', 'category_id', 'public', 'categories', 'id', 'A product belongs to an existing category.');
SELECT fk_ok('public', 'inventory', 'product_id', 'public', 'products', 'id', 'Inventory rows belong to existing products.');
SELECT fk_ok('public', 'order_items', 'order_id', 'public', 'orders', 'id', 'Order items belong to existing orders.');
SELECT fk_ok('public', 'order_items', 'product_id', 'public', 'products', 'id', 'Order items name existing products.');
SELECT fk_ok('public', 'payments', 'order_id', 'public', 'orders', 'id', 'Payments belong to existing orders.');

SELECT throws_ok(
    $$INSERT INTO public.products (sku, title, price, stock, category_id)
      VALUES ('TAP-NEG', 'Negative', -1, 0, gen_random_uuid())$$,
    '23514', NULL, 'A negative price is refused by the database itself.');
SELECT throws_ok(
    $$INSERT INTO public.products (sku, title, price, stock, category_id)
      VALUES ('TAP-NEG', 'Negative stock', 1, -1, gen_random_uuid())$$,
    '23514', NULL, 'Negative stock is refused by the database itself.');
SELECT throws_ok(
    $$INSERT INTO public.order_items (order_id, product_id, quantity, unit_price)
      VALUES (gen_random_uuid(), gen_random_uuid(), 0, 1)$$,
    '23514', NULL, 'An order item must have a positive quantity.');

SELECT has_table('replkit', 'schema_migrations', 'The node records which schema versions it has applied.');

SELECT finish();
ROLLBACK;
