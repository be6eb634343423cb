-- A 'main' row for every new product, and for any existing product whose row was deleted.
INSERT INTO public.inventory (product_id, warehouse, quantity)
SELECT product_id, 'main', stock
FROM replkit_seed_delta
WHERE inventory_missing
