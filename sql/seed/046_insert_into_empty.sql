-- Products was empty when the seed began (021): every record of the batch is a new product. It
-- goes from the staging table straight into products, and its 'main' inventory row with it in
-- the same statement: no skus table, no match against products and inventory, no delta (023-045):
-- each row is staged, then written once. A sku the file repeats, or one another writer inserted
-- meanwhile, stops it on the unique index; the seed then rolls back and runs again by the upsert
-- path, which names both places of a repeated sku (023, 024).
WITH new AS (
    INSERT INTO public.products (sku, title, description, price, stock, category_id, attributes)
    SELECT s.sku, s.title, s.description, s.price, s.stock, c.id, s.attributes
    FROM replkit_seed_staging s
    JOIN public.categories c ON c.slug = s.category
    RETURNING id, stock
)
INSERT INTO public.inventory (product_id, warehouse, quantity)
SELECT id, 'main', stock FROM new
