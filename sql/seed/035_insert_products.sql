-- New skus. If another writer inserts one of them meanwhile, the unique index stops this
-- statement and the whole seed rolls back: nothing written, run it again.
INSERT INTO public.products (id, sku, title, description, price, stock, category_id, attributes)
SELECT product_id, sku, title, description, price, stock, category_id, attributes
FROM replkit_seed_delta
WHERE is_new
