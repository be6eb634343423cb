-- Whether products is empty as the seed starts. Then every record is a new product, and each
-- staged batch goes straight into products and inventory (046) instead of through the skus
-- table and the match (023-045). Inventory references products, so it is empty too.
SELECT NOT EXISTS (SELECT 1 FROM public.products) AS empty
