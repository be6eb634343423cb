-- Products that exist and differ from the file. (INSERT … ON CONFLICT DO UPDATE … WHERE would
-- also lock every unchanged row and insert speculatively; make bench-seed measured it slower.)
UPDATE public.products AS p
SET title = d.title, description = d.description, price = d.price, stock = d.stock,
    category_id = d.category_id, attributes = d.attributes
FROM replkit_seed_delta d
WHERE p.id = d.product_id AND d.product_changed
