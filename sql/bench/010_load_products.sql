-- make bench-check (run by psql): :rows products with deterministic content, so every node loaded separately holds
-- the same rows (keys, text, timestamps) and only checksumming is measured, not replication.
TRUNCATE public.categories, public.products, public.inventory, public.orders, public.order_items, public.payments;

INSERT INTO public.categories (id, slug, name, created_at, updated_at)
SELECT md5('category' || g)::uuid, 'bench-' || g, 'Bench category ' || g, '2024-01-01 00:00:00+00', '2024-01-01 00:00:00+00'
  FROM generate_series(1, 5) AS g;

INSERT INTO public.products (id, sku, title, description, price, stock, category_id, attributes, created_at, updated_at)
SELECT md5('product' || g)::uuid,
       'BENCH-' || lpad(g::text, 8, '0'),
       'Bench product ' || g,
       'Deterministic bench row number ' || g,
       (g % 100000) / 100.0,
       g % 500,
       md5('category' || (g % 5 + 1))::uuid,
       jsonb_build_object('n', g, 'colour', (ARRAY['red', 'green', 'blue'])[g % 3 + 1]),
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second',
       timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second'
  FROM generate_series(1, :rows) AS g;

-- count(*) and the checksum scan are ~20x slower until VACUUM sets the visibility map.
VACUUM (ANALYZE) public.categories, public.products;
