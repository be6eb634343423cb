-- Compare the batch with the PRIMARY in one pass, before it writes anything, and keep only
-- what differs: new products, changed products, inventory rows that are missing or off. An
-- unchanged product never reaches the statements after this one, so a re-seed writes nothing
-- (no row version, no WAL, nothing for the replicas to apply) and costs one read of the tables.
-- Those statements join this delta by key only: none anti-joins a table it inserts into (with an
-- empty products table the planner picks a nested loop that rescans every row inserted so far —
-- quadratic; make bench-seed found it). New products get their id here, so their inventory rows
-- need no lookup either.
-- Each batch is probed by key, never hashed against a whole table: a batch is at most 50,000
-- records, so probing costs the same whatever the tables hold, while a hash join reads products
-- whole for every batch (quadratic over the file). The planner still picks one when products is
-- small next to the batch: 300k products, batches of 17k records, it hashed all of products for
-- each (450 ms a batch; a re-seed took 10.2 s). For the rest of the seed's transaction (the
-- writes below join this delta by key too); a load into empty tables never runs this file, so the
-- foreign key check it puts back (048) still plans freely.
SET LOCAL enable_hashjoin = off;
SET LOCAL enable_mergejoin = off;

INSERT INTO replkit_seed_delta
SELECT s.sku, s.title, s.description, s.price, s.stock, s.attributes,
       c.id AS category_id,
       coalesce(p.id, gen_random_uuid()) AS product_id,
       p.id IS NULL AS is_new,
       p.id IS NOT NULL
         AND (p.title, p.description, p.price, p.stock, p.category_id, p.attributes)
             IS DISTINCT FROM (s.title, s.description, s.price, s.stock, c.id, s.attributes) AS product_changed,
       i.product_id IS NULL AS inventory_missing
FROM replkit_seed_staging s
JOIN public.categories c ON c.slug = s.category
LEFT JOIN public.products p ON p.sku = s.sku
LEFT JOIN public.inventory i ON i.product_id = p.id AND i.warehouse = 'main'
WHERE p.id IS NULL
   OR (p.title, p.description, p.price, p.stock, p.category_id, p.attributes)
      IS DISTINCT FROM (s.title, s.description, s.price, s.stock, c.id, s.attributes)
   OR i.quantity IS DISTINCT FROM s.stock
