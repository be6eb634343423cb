-- Every seeded product's 'main' warehouse row holds the file's stock: fix the ones that differ.
UPDATE public.inventory AS i
SET quantity = d.stock
FROM replkit_seed_delta d
WHERE i.product_id = d.product_id AND i.warehouse = 'main' AND NOT d.inventory_missing
  AND i.quantity IS DISTINCT FROM d.stock
