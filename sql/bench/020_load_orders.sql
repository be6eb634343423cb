-- make bench (initial copy; run by psql after the products are loaded): :orders orders with
-- :items_per_order items each over the :products products of 010_load_products.sql (their ids are
-- md5('product' || n): no join), plus one payment per order, so the copy moves the shop's big tables
-- (an order's items are distinct products: UNIQUE (order_id, product_id)).
-- The rows are consistent by construction: no foreign-key trigger needs to check each one (the
-- load is 2-3x faster; superuser only, as make bench runs).
SET session_replication_role = replica;
TRUNCATE public.orders, public.order_items, public.payments;

INSERT INTO public.orders (id, customer_email, status, currency, total, created_at, updated_at)
SELECT md5('order' || g)::uuid,
       'customer' || (g % 50000) || '@example.com',
       (ARRAY['pending', 'paid', 'shipped', 'delivered'])[g % 4 + 1],
       'USD',
       (g % 10000) / 10.0,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
  FROM generate_series(1, :orders) AS g;

INSERT INTO public.order_items (id, order_id, product_id, quantity, unit_price, created_at, updated_at)
SELECT md5('item' || g || '-' || i)::uuid,
       md5('order' || g)::uuid,
       md5('product' || ((g * :items_per_order + i) % :products + 1))::uuid,
       i,
       (g % 1000) / 10.0 + 1,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
  FROM generate_series(1, :orders) AS g
 CROSS JOIN generate_series(1, :items_per_order) AS i;

INSERT INTO public.payments (id, order_id, amount, method, status, provider_ref, created_at, updated_at)
SELECT md5('payment' || g)::uuid, md5('order' || g)::uuid, (g % 10000) / 10.0 + 1,
       (ARRAY['card', 'paypal', 'bank_transfer', 'gift_card'])[g % 4 + 1], 'captured', 'ref-' || g,
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
  FROM generate_series(1, :orders) AS g;

RESET session_replication_role;
VACUUM (ANALYZE) public.orders, public.order_items, public.payments;
