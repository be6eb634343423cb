-- Every seeded product has a 'main' warehouse row whose quantity is the file's stock. Joined on
-- all staged skus (not only changed products) so a missing inventory row is recreated.
INSERT INTO public.inventory AS i (product_id, warehouse, quantity)
SELECT p.id, 'main', s.stock
FROM replkit_seed_staging s
JOIN public.products p ON p.sku = s.sku
ON CONFLICT (product_id, warehouse) DO UPDATE
    SET quantity = EXCLUDED.quantity
    WHERE i.quantity IS DISTINCT FROM EXCLUDED.quantity
